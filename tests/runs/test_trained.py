"""A saved model scores new raw rows with its own preprocessing (cetrain.runs.trained,
cetrain.data.columns), from a CSV path, a DataFrame, a mapping or raw rows."""

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cetrain
from cetrain.data.columns import InputColumns, RawTable, is_missing
from cetrain.errors import DataError, ModelFileError
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train
from cetrain.runs.trained import MissingValuesWarning
from cetrain.runs.write import write_run

SPECIES = cetrain.__file__.replace("__init__.py", "data/csvs/species.csv")


def raw_rows(path) -> tuple[list[str], list[list[str]]]:
    """The CSV's header and its rows without a missing value: the rows a Dataset holds."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, [row for row in rows if not any(is_missing(v) for v in row)]


@pytest.fixture(scope="module")
def species_run(tmp_path_factory):
    """softmax on species (a text column), degree-2 features: the result and its saved model."""
    result = train(resolve_settings({"data": SPECIES, "poly": 2, "epochs": 300}))
    out = write_run(result, tmp_path_factory.mktemp("species") / "run")
    return result, cetrain.load_model(out / "model.json")


def test_raw_test_rows_in_any_column_order_score_as_the_trained_model(species_run, tmp_path):
    result, model = species_run
    header, rows = raw_rows(SPECIES)
    # each test row of the split, found in the raw rows by its encoded features
    index = [int(np.flatnonzero((result.dataset.X == x).all(axis=1))[0]) for x in result.X_test]
    order = [5, 4, 2, 0, 3, 1]  # the label and the text column first
    path = tmp_path / "test.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note", *(header[j] for j in order)])
        writer.writerows(["x", *(rows[i][j] for j in order)] for i in index)
    expected = result.pipeline.predict_proba(result.X_test)
    np.testing.assert_allclose(model.predict_proba(path), expected, rtol=0, atol=1e-12)
    frame = pd.read_csv(path)
    np.testing.assert_allclose(model.predict_proba(frame), expected, rtol=0, atol=1e-12)
    mapping = {name: frame[name].tolist() for name in frame.columns}
    np.testing.assert_allclose(model.predict_proba(mapping), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(path), result.pipeline.predict(result.X_test))
    assert model.score(path) == result.pipeline.score(result.X_test, result.y_test)
    assert model.score(frame) == result.metrics.test.accuracy


def test_encoded_features_and_raw_rows_in_input_order_work_too(species_run):
    result, model = species_run
    X = result.X_test[:5]
    # the same coefficients, though another memory layout may sum in another order
    np.testing.assert_allclose(
        model.predict_proba(X), result.pipeline.predict_proba(X), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        model.decision_function(X), result.pipeline.decision_function(X), rtol=1e-12
    )
    # one raw row, its values in the order of the input columns, text and numbers mixed
    header, rows = raw_rows(SPECIES)
    row = [rows[0][header.index(name)] for name in model.input_columns]
    assert model.input_columns == ["wing_mm", "bill_mm", "tail_mm", "mass_g", "site"]
    one = dict(zip(model.input_columns, row, strict=True))
    np.testing.assert_array_equal(model.predict_proba([row]), model.predict_proba(one))
    np.testing.assert_allclose(
        model.predict_proba([row]),
        result.pipeline.predict_proba(result.dataset.X[:1]),
        rtol=0,
        atol=1e-12,
    )


def test_an_unseen_level_names_the_column_the_level_and_the_known_levels(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES).head(3).assign(site=["marsh", "desert", "meadow"])
    with pytest.raises(DataError) as caught:
        model.predict(frame)
    assert str(caught.value) == (
        "the DataFrame, row 1: column 'site' has the level 'desert', which was not seen in "
        "training; the known levels are: marsh, meadow, woodland"
    )


def test_a_missing_column_is_named(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES).drop(columns=["site", "mass_g"])
    with pytest.raises(DataError) as caught:
        model.predict(frame)
    assert str(caught.value) == (
        "the DataFrame has no column 'mass_g', 'site', which the model needs; the model's "
        "input columns are: wing_mm, bill_mm, tail_mm, mass_g, site"
    )


def test_a_text_value_in_a_numeric_column_is_named(species_run):
    _, model = species_run
    with pytest.raises(DataError) as caught:
        model.predict({"wing_mm": ["long"], "bill_mm": [10], "tail_mm": [50], "mass_g": [15],
                       "site": ["marsh"]})  # fmt: skip
    assert str(caught.value) == (
        "the data, row 0: column 'wing_mm' holds 'long', not a finite number; the model was "
        "trained on numbers in this column"
    )


def test_rows_with_missing_values_are_dropped_with_a_warning_or_kept_as_nan(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES, keep_default_na=False).head(6)
    frame.loc[1, "bill_mm"] = "?"
    frame.loc[4, "site"] = None
    full = model.predict_proba(frame.drop(index=[1, 4]))
    with pytest.warns(MissingValuesWarning, match="^2 of 6 rows have a missing value"):
        dropped = model.predict_proba(frame)
    np.testing.assert_array_equal(dropped, full)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = model.predict_proba(frame, keep_missing=True)
        labels = model.predict(frame, keep_missing=True)
    assert kept.shape == (6, 3)
    assert np.isnan(kept[[1, 4]]).all()
    np.testing.assert_array_equal(kept[[0, 2, 3, 5]], full)
    assert labels[1] is None and labels[4] is None
    assert list(labels[[0, 2, 3, 5]]) == list(model.predict(frame.drop(index=[1, 4])))


def test_score_reads_the_label_column_and_says_when_it_is_absent(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES, dtype=str, keep_default_na=False)
    truth = frame["species"].to_numpy()
    keep = ~frame.map(is_missing).any(axis=1).to_numpy()
    assert 0 < keep.sum() < len(frame)
    assert model.score(frame) == np.mean(model.predict(frame[keep]) == truth[keep])
    with pytest.raises(DataError) as caught:
        model.score(frame.drop(columns="species"))
    assert str(caught.value) == (
        "the DataFrame has no column 'species'; evaluating needs the label column the model "
        "was trained on (species)"
    )


def test_a_multilabel_model_reads_its_target_columns(tmp_path):
    result = train(resolve_settings({"data": "genres", "epochs": 300}))
    model = cetrain.load_model(write_run(result, tmp_path / "run") / "model.json")
    assert model.target_names == ["electronic", "rock", "pop"]
    assert model.predicts_label_sets
    frame = pd.DataFrame(result.dataset.X, columns=result.dataset.feature_names)
    frame[model.target_names] = result.dataset.y
    assert model.score(frame) == result.pipeline.score(result.dataset.X, result.dataset.y)
    np.testing.assert_array_equal(model.targets(frame), result.dataset.y)


def test_loading_checks_the_recorded_input_columns(species_run, tmp_path):
    result, _ = species_run
    data = json.loads(json.dumps(_model_json(result)))
    data["input_columns"][4]["levels"] = ["marsh", "meadow"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        cetrain.load_model(path)
    assert str(caught.value) == (
        f"'{path}': field 'input_columns' encodes to the features wing_mm, bill_mm, tail_mm, "
        "mass_g, site=meadow, but feature_names lists wing_mm, bill_mm, tail_mm, mass_g, "
        "site=meadow, site=woodland"
    )
    data["input_columns"][4] = {"name": "site", "kind": "ordinal"}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        cetrain.load_model(path)
    assert str(caught.value) == (
        f"'{path}': field 'input_columns[4].kind' must be one of: numeric, categorical; got "
        "'ordinal'"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c[4].pop("levels"),
            "field 'input_columns[4].levels' is missing (a categorical column's levels)",
        ),
        (
            lambda c: c[0].update(levels=["a"]),
            "field 'input_columns[0].levels' is only for a categorical column",
        ),
        (
            lambda c: c[4]["levels"].append("marsh"),
            "field 'input_columns[4].levels[3]' repeats "
            "'marsh' of input_columns[4].levels[0]; entries must differ",
        ),
        (
            lambda c: c[4].update(levels=[]),
            "field 'input_columns[4].levels' must have at least 1 entry; got 0",
        ),
        (
            lambda c: c[1].update(name="wing_mm"),
            "field 'input_columns[1].name' repeats the column 'wing_mm'",
        ),
        (lambda c: c[2].pop("name"), "field 'input_columns[2].name' is missing"),
        (
            lambda c: c.append({"name": "x", "kind": "numeric", "unit": "mm"}),
            "field "
            "'input_columns[5].unit' is not a field of 'input_columns[5]'; the fields are: name, "
            "kind, levels",
        ),
        (
            lambda c: c[4].update(levels=[str(i) for i in range(30_000)]),
            "field 'input_columns[4].levels' must have at most 20001 entries; got 30000",
        ),
        (
            lambda c: [
                c[4].update(levels=[str(i) for i in range(15_000)]),
                c.append({"name": "y", "kind": "categorical", "levels": c[4]["levels"]}),
            ],
            "field 'input_columns' encodes to 30002 features, more than the 6 of feature_names",
        ),
    ],
)
def test_the_input_columns_are_checked_by_the_schema(species_run, tmp_path, change, message):
    data = json.loads(json.dumps(_model_json(species_run[0])))
    change(data["input_columns"])
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        cetrain.load_model(path)
    assert str(caught.value) == f"'{path}': {message}"


def _model_json(result) -> dict:
    from cetrain.runs.modelfile import to_dict

    return to_dict(result.pipeline, target="species", input_columns=result.dataset.columns)


def test_input_columns_encode_as_training_did():
    columns = InputColumns.from_dicts(
        [{"name": "colour", "kind": "categorical", "levels": ["black", "red", "white"]},
         {"name": "size", "kind": "numeric"}]
    )  # fmt: skip
    assert columns.feature_names == ["colour=red", "colour=white", "size"]
    table = RawTable.from_mapping({"size": ["1.5", 2, None], "colour": ["white", "black", "red"]})
    rows = columns.encode(table)
    np.testing.assert_array_equal(rows.X, [[0, 1, 1.5], [0, 0, 2]])
    assert rows.rows_dropped == 1 and list(rows.kept) == [0, 1]
    kept = columns.encode(table, keep_missing=True)
    np.testing.assert_array_equal(kept.X[2], [np.nan] * 3)
    assert kept.rows_dropped == 0 and list(kept.missing) == [False, False, True]


def test_score_with_y_keeps_the_labels_of_the_rows_it_scores(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES, dtype=str, keep_default_na=False).head(20)
    frame.loc[[2, 7], "site"] = ""
    y = frame.pop("species").to_numpy()
    weight = np.arange(1.0, 21.0)
    kept = [i for i in range(20) if i not in (2, 7)]
    accuracy = model.score(frame, y, sample_weight=weight)  # rows left out, as in training
    right = model.predict(frame.iloc[kept]) == y[kept]
    assert accuracy == pytest.approx(np.average(right, weights=weight[kept]))


def test_pandas_missing_markers_and_a_mapping_of_series(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES).head(4).convert_dtypes()  # nullable dtypes: pd.NA
    frame.loc[1, "mass_g"] = pd.NA
    frame.loc[3, "site"] = pd.NA
    proba = model.predict_proba(frame, keep_missing=True)
    assert np.isnan(proba[[1, 3]]).all() and np.isfinite(proba[[0, 2]]).all()
    series = {name: frame[name] for name in frame.columns}
    np.testing.assert_array_equal(model.predict_proba(series, keep_missing=True), proba)


def test_data_without_a_row_to_score_is_one_clear_error(species_run):
    _, model = species_run
    frame = pd.read_csv(SPECIES).head(2).assign(site=None)
    with pytest.raises(DataError) as caught:
        model.predict(frame)
    assert str(caught.value) == (
        "every row of the DataFrame has a missing value in a used column, so no row is left to "
        "score; keep_missing=True keeps them, scored NaN"
    )
    assert list(model.predict(frame, keep_missing=True)) == [None, None]
    with pytest.raises(DataError, match=r"^the DataFrame has no rows to score$"):
        model.predict(frame.iloc[:0])


@pytest.mark.parametrize("name", ["soft-targets", "iris-ovr", "genres-multilabel"])
def test_every_target_kind_evaluates_from_its_own_columns(name, tmp_path):
    """A model from tests/fixtures scores a CSV of its own columns: rows drawn at random,
    targets made from its own predictions, so every prediction is right."""
    from cetrain.runs.modelfile import load_model

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "models"
    model = load_model(fixtures / f"{name}.json")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, len(model.feature_names))) * 2
    frame = pd.DataFrame(X, columns=model.input_columns)
    proba = model.predict_proba(X)
    if model.estimator.target_kind_ == "labels":
        frame[model.target_names[0]] = model.predict(X)
    elif model.predicts_label_sets:
        frame[model.target_names] = model.predict(X)
    else:
        frame[model.target_names] = proba
    frame.to_csv(tmp_path / "rows.csv", index=False)
    assert model.score(tmp_path / "rows.csv") == 1.0
    evaluation, rows = model.evaluate(tmp_path / "rows.csv")
    assert rows.rows_dropped == 0 and evaluation.metrics["rows"] == 40
    np.testing.assert_allclose(evaluation.proba, proba, rtol=0, atol=1e-12)


def test_y_and_sample_weight_need_one_entry_per_row(species_run):
    result, model = species_run
    frame = pd.read_csv(SPECIES, dtype=str, keep_default_na=False).head(10)
    y = frame.pop("species").to_numpy()
    with pytest.raises(DataError) as caught:
        model.score(frame, np.concatenate([y, y]))
    assert str(caught.value) == "y needs one entry per row of the data (10); got 20"
    with pytest.raises(DataError) as caught:
        model.score(frame, y, sample_weight=np.ones(3))
    assert str(caught.value) == "sample_weight needs one entry per row of the data (10); got 3"
    with pytest.raises(DataError) as caught:
        model.score(result.X_test[:5], result.y_test[:7])
    assert str(caught.value) == "y needs one entry per row of the data (5); got 7"
    with pytest.raises(DataError) as caught:
        model.score(result.X_test)
    assert str(caught.value) == (
        "y is needed with an array of encoded features (raw data may hold its own target "
        "columns: species)"
    )
    with pytest.raises(DataError, match=r"^the array of features has no rows to score$"):
        model.predict(result.X_test[:0])
