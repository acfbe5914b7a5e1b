"""`cetrain predict` and `cetrain evaluate`: a saved model on new raw rows, end to end."""

import csv
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_error, assert_not_blank, invoke
from sklearn import metrics as skm

import cetrain
from cetrain.data.columns import is_missing
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train
from cetrain.runs.write import write_run

DATASETS = Path(cetrain.__file__).parent / "data" / "csvs"


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The CSV's header and its rows without a missing value (the rows training used)."""
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, [row for row in rows if not any(is_missing(v) for v in row)]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


class Trained:
    """A run trained in this process, its folder, and its test rows as a raw CSV whose columns
    are shuffled, with an id column and an extra column."""

    def __init__(self, folder: Path, data: str, **settings):
        self.result = train(resolve_settings({"data": data, "epochs": 300, **settings}))
        self.model = write_run(self.result, folder / "run") / "model.json"
        header, rows = read_rows(Path(data))
        X = self.result.dataset.X
        self.test_index = [int(np.flatnonzero((X == x).all(axis=1))[0]) for x in self.result.X_test]
        order = list(reversed(range(len(header))))
        self.test_csv = write_rows(
            folder / "test.csv",
            ["id", *(header[j] for j in order), "comment"],
            [[f"r{i}", *(rows[i][j] for j in order), "-"] for i in self.test_index],
        )


@pytest.fixture(scope="module")
def species(tmp_path_factory):
    """softmax with a text column (site) and degree-2 features."""
    return Trained(tmp_path_factory.mktemp("species"), str(DATASETS / "species.csv"), poly=2)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    """logistic with a text column (student) and class weights."""
    folder = tmp_path_factory.mktemp("default")
    return Trained(folder, str(DATASETS / "default.csv"), class_weight="balanced")


def parse_csv(text: str) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


# --- predict ---------------------------------------------------------------------------------


def test_predict_gives_the_in_memory_models_probabilities(species):
    result = invoke("predict", species.model, species.test_csv, "--id-col", "id")
    assert result.exit_code == 0, result.output
    header, rows = parse_csv(result.stdout)
    assert header == ["id", "p(finch)", "p(sparrow)", "p(warbler)", "predicted"]
    assert [row[0] for row in rows] == [f"r{i}" for i in species.test_index]
    proba = np.array([[float(v) for v in row[1:4]] for row in rows])
    pipeline = species.result.pipeline
    np.testing.assert_allclose(
        proba, pipeline.predict_proba(species.result.X_test), rtol=0, atol=1e-12
    )
    assert [row[4] for row in rows] == list(pipeline.predict(species.result.X_test))
    assert result.stderr == "Note: columns not used by the model were ignored: species, comment\n"


def test_predict_out_writes_a_new_file_and_keeps_an_existing_one(species, tmp_path):
    out = tmp_path / "predictions.csv"
    first = invoke("predict", species.model, species.test_csv, "--out", out)
    assert first.exit_code == 0, first.output
    assert first.stdout == ""
    header, rows = parse_csv(out.read_text(encoding="utf-8"))
    assert header == ["p(finch)", "p(sparrow)", "p(warbler)", "predicted"]
    assert len(rows) == len(species.test_index)
    assert first.stderr.endswith(f"Wrote {len(rows)} rows to {out}\n")
    before = out.read_bytes()
    again = invoke("predict", species.model, species.test_csv, "--out", out)
    assert_error(again, f"'{out}' already exists; choose a new --out or remove it")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.csv"]


def test_predict_leaves_out_rows_with_missing_values_or_keeps_them_blank(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    rows[1][header.index("site")] = ""
    rows[3][header.index("mass_g")] = "NA"
    path = write_rows(tmp_path / "gaps.csv", header, rows[:5])
    dropped = invoke("predict", species.model, path, "--id-col", "id")
    assert dropped.exit_code == 0, dropped.output
    assert [row[0] for row in parse_csv(dropped.stdout)[1]] == [rows[i][0] for i in (0, 2, 4)]
    assert dropped.stderr.splitlines()[-1] == (
        "Dropped 2 rows with missing values (--keep-missing keeps them, with empty predictions)."
    )
    kept = invoke("predict", species.model, path, "--id-col", "id", "--keep-missing")
    out_rows = parse_csv(kept.stdout)[1]
    assert [row[0] for row in out_rows] == [row[0] for row in rows[:5]]
    assert out_rows[1][1:] == ["", "", "", ""] and out_rows[3][1:] == ["", "", "", ""]
    assert out_rows[0] == parse_csv(dropped.stdout)[1][0]


def test_predict_a_multilabel_model_gives_a_probability_and_a_0_1_column_per_label(tmp_path):
    run = Trained(tmp_path, str(DATASETS / "genres.csv"))
    result = invoke("predict", run.model, run.test_csv)
    header, rows = parse_csv(result.stdout)
    labels = ["electronic", "rock", "pop"]
    assert header == [f"p({k})" for k in labels] + [f"predicted({k})" for k in labels]
    proba = np.array([[float(v) for v in row[:3]] for row in rows])
    pipeline = run.result.pipeline
    np.testing.assert_allclose(proba, pipeline.predict_proba(run.result.X_test), atol=1e-12)
    predicted = np.array([[int(v) for v in row[3:]] for row in rows])
    np.testing.assert_array_equal(predicted, pipeline.predict(run.result.X_test))


def test_predict_names_an_unseen_level(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    rows[2][header.index("site")] = "desert"
    path = write_rows(tmp_path / "new.csv", header, rows)
    assert_error(
        invoke("predict", species.model, path),
        f"'{path}', line 4: column 'site' has the level 'desert', which was not seen in "
        "training; the known levels are: marsh, meadow, woodland",
    )


def test_predict_names_a_missing_column(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    j = header.index("bill_mm")
    path = write_rows(
        tmp_path / "new.csv", header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows]
    )
    assert_error(
        invoke("predict", species.model, path),
        f"'{path}' has no column 'bill_mm', which the model needs; the model's input columns "
        "are: wing_mm, bill_mm, tail_mm, mass_g, site",
    )


def test_predict_refuses_a_file_that_is_not_a_model(species, tmp_path):
    not_a_model = tmp_path / "settings.json"
    not_a_model.write_text('{"epochs": 3}', encoding="utf-8")
    assert_error(
        invoke("predict", not_a_model, species.test_csv),
        f'\'{not_a_model}\' is not a cetrain model file (no "format": "cetrain-model")',
    )
    assert_error(
        invoke("predict", species.test_csv, species.test_csv),
        f"'{species.test_csv}' is not valid JSON: Expecting value: line 1 column 1 (char 0)",
    )


def test_predict_names_an_unknown_id_column(species):
    assert_error(
        invoke("predict", species.model, species.test_csv, "--id-col", "ID"),
        f"--id-col 'ID' is not a column of '{species.test_csv}'; the columns are: id, species, "
        "site, mass_g, tail_mm, bill_mm, wing_mm, comment",
    )


# --- evaluate --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluated(default, tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate") / "eval"
    return invoke("evaluate", default.model, default.test_csv, "--out", out), out


def test_evaluate_writes_scikit_learns_metrics(default, evaluated):
    result, out = evaluated
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    X, y = default.result.X_test, default.result.y_test
    proba = default.result.pipeline.predict_proba(X)
    predicted = default.result.pipeline.predict(X)
    assert metrics["rows"] == len(y) and metrics["rows_dropped"] == 0
    assert metrics["command"] == (
        f"cetrain evaluate {default.model} {default.test_csv} --out NEW_FOLDER"
    )
    assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted), abs=1e-15)
    assert metrics["balanced_accuracy"] == pytest.approx(
        skm.balanced_accuracy_score(y, predicted), abs=1e-15
    )
    assert metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba), rel=1e-9)
    assert metrics["brier"] == pytest.approx(
        skm.brier_score_loss(y == "Yes", proba[:, 1]), rel=1e-12
    )
    precision, recall, f1, support = skm.precision_recall_fscore_support(y, predicted)
    assert metrics["per_class"] == {
        name: {
            "precision": pytest.approx(precision[k]),
            "recall": pytest.approx(recall[k]),
            "f1": pytest.approx(f1[k]),
            "support": int(support[k]),
        }
        for k, name in enumerate(["No", "Yes"])
    }
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.png",
        "confusion_matrix.png",
        "metrics.json",
        "roc.png",
    ]
    for name in ("calibration.png", "confusion_matrix.png", "roc.png"):
        assert_not_blank(out / name)


def test_evaluate_reads_a_file_with_decimal_commas_and_thousands_separators(
    default, evaluated, tmp_path
):
    """The same rows written as a German spreadsheet writes them ("53.047,95"; separated by
    ";") give the same numbers with --decimal , --thousands ., and the command says so."""
    header, rows = read_rows(default.test_csv)

    def german(value: str) -> str:
        try:
            return f"{float(value):,.2f}".translate(str.maketrans(",.", ".,"))
        except ValueError:
            return value

    path = tmp_path / "german.csv"
    lines = [";".join(header), *(";".join(german(v) for v in row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "eval"
    result = invoke(
        "evaluate", default.model, path, "--decimal", ",", "--thousands", ".", "--out", out
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    expected = json.loads((evaluated[1] / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["log_loss"] == pytest.approx(expected["log_loss"], rel=1e-12)
    assert metrics["accuracy"] == expected["accuracy"]
    assert metrics["command"] == (
        f"cetrain evaluate {default.model} {path} --decimal , --thousands . --out NEW_FOLDER"
    )


def test_evaluate_prints_a_short_table(evaluated):
    result, out = evaluated
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    lines = result.stdout.splitlines()
    assert lines[0] == f"Logistic regression on test.csv: {metrics['rows']} rows"
    assert lines[1].split() == ["accuracy", "balanced", "accuracy", "log", "loss", "Brier"]
    assert lines[2].split() == [
        f"{metrics[k]:.4f}" for k in ("accuracy", "balanced_accuracy", "log_loss", "brier")
    ]
    yes = metrics["per_class"]["Yes"]
    assert lines[6].split() == [
        "Yes", f"{yes['precision']:.4f}", f"{yes['recall']:.4f}", f"{yes['f1']:.4f}",
        str(yes["support"]),
    ]  # fmt: skip
    assert lines[-1] == f"Evaluation folder: {out}"


def test_evaluate_a_multiclass_model_has_no_roc_curve(species, tmp_path):
    result = invoke("evaluate", species.model, species.test_csv, "--out", tmp_path / "e")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == [
        "calibration.png",
        "confusion_matrix.png",
        "metrics.json",
    ]
    metrics = json.loads((tmp_path / "e" / "metrics.json").read_text(encoding="utf-8"))
    y = species.result.y_test
    proba = species.result.pipeline.predict_proba(species.result.X_test)
    assert metrics["brier"] == pytest.approx(
        skm.brier_score_loss(y, proba, labels=["finch", "sparrow", "warbler"]), rel=1e-12
    )
    assert metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba), rel=1e-9)


def test_evaluate_needs_the_label_column(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    j = header.index("species")
    path = write_rows(
        tmp_path / "unlabelled.csv",
        header[:j] + header[j + 1 :],
        [r[:j] + r[j + 1 :] for r in rows],
    )
    assert_error(
        invoke("evaluate", species.model, path, "--out", tmp_path / "e"),
        f"'{path}' has no column 'species'; evaluating needs the label column the model was "
        "trained on (species)",
    )
    assert not (tmp_path / "e").exists()


def test_evaluate_names_a_label_the_model_never_saw(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    rows[0][header.index("species")] = "robin"
    path = write_rows(tmp_path / "new.csv", header, rows)
    assert_error(
        invoke("evaluate", species.model, path, "--out", tmp_path / "e"),
        f"'{path}', line 2: column 'species' holds the class 'robin', which the model was not "
        "trained on; its classes are: finch, sparrow, warbler",
    )


def test_report_reads_an_evaluate_folder(evaluated, tmp_path):
    _, out = evaluated
    folder = shutil.copytree(out, tmp_path / "eval")
    result = invoke("report", folder)
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert f"<code>{metrics['command']}</code></pre>" in page
    assert re.findall(r'<img [^>]*alt="([^"]+)"', page) == [
        "calibration",
        "confusion matrix",
        "roc",
    ]
    yes = metrics["per_class"]["Yes"]
    assert f'<th scope="row">Yes</th><td class="num">{yes["precision"]:.5f}</td>' in page


def test_train_report_writes_the_page_with_the_reference(tmp_path):
    out = tmp_path / "run"
    args = ("--data", "moons", "--n-samples", "80", "--epochs", "300", "--out", out)
    result = invoke("train", *args, "--reference", "--report")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Report: {out / 'report.html'}"
    page = (out / "report.html").read_text(encoding="utf-8")
    figures = sorted(p.stem.replace("_", " ") for p in out.glob("*.png"))
    assert figures == ["calibration", "confusion matrix", "decision boundary", "loss curve", "roc"]
    assert page.count("data:image/png;base64,") == len(figures)
    reference = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["reference"]
    assert abs(reference["relative_gap"]) < 1e-6
    shown = f"<td>{reference['scikit-learn']['objective']:.5g}</td>"
    assert f'<th scope="row">objective</th>{shown}' in page


def test_predict_on_rows_that_all_miss_a_value(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    for row in rows[:3]:
        row[header.index("site")] = "?"
    path = write_rows(tmp_path / "gaps.csv", header, rows[:3])
    assert_error(
        invoke("predict", species.model, path),
        f"every row of '{path}' has a missing value in a used column, so no row is left to "
        "score; --keep-missing keeps them, with empty predictions",
    )
    kept = invoke("predict", species.model, path, "--keep-missing", "--id-col", "id")
    assert kept.exit_code == 0, kept.output
    assert parse_csv(kept.stdout)[1] == [[row[0], "", "", "", ""] for row in rows[:3]]


def test_predict_refuses_an_id_column_named_like_an_output_column(species, tmp_path):
    header, rows = parse_csv(species.test_csv.read_text(encoding="utf-8"))
    header[header.index("comment")] = "predicted"
    path = write_rows(tmp_path / "new.csv", header, rows)
    assert_error(
        invoke("predict", species.model, path, "--id-col", "predicted"),
        "--id-col 'predicted' has the name of an output column; the output's columns are: "
        "p(finch), p(sparrow), p(warbler), predicted",
    )


def test_predict_checks_out_before_scoring(species, tmp_path):
    out = tmp_path / "no-such-folder" / "p.csv"
    unreadable = tmp_path / "missing.csv"  # reading it would be an error of its own
    assert_error(
        invoke("predict", species.model, unreadable, "--out", out),
        f"cannot write '{out}': the folder '{out.parent}' does not exist",
    )


def test_evaluate_on_rows_of_one_class_says_there_is_no_roc_curve(default, tmp_path):
    header, rows = parse_csv(default.test_csv.read_text(encoding="utf-8"))
    label = header.index("default")
    path = write_rows(tmp_path / "no.csv", header, [r for r in rows if r[label] == "No"])
    out = tmp_path / "eval"
    result = invoke("evaluate", default.model, path, "--out", out, "--format", "svg")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.svg",
        "confusion_matrix.svg",
        "metrics.json",
        "roc.svg",
    ]
    assert "these rows hold one class only" in (out / "roc.svg").read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert "roc_auc" not in metrics
    assert metrics["command"] == (
        f"cetrain evaluate {default.model} {path} --format svg --out NEW_FOLDER"
    )
