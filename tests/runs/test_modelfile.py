"""Tests for runs.modelfile: the JSON model file round trip and every way a file can be bad."""

import copy
import json
import re
from math import comb
from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures

from cetrain.data.preprocess import MAX_POLY_FEATURES
from cetrain.errors import CetrainError, ModelFileError
from cetrain.estimators import LogisticRegression, MultiLabelRegression, SoftmaxRegression
from cetrain.runs import modelfile, modelschema
from cetrain.runs.modelfile import FORMAT, VERSION, from_dict, load_model, to_dict
from cetrain.runs.modelschema import poly_terms, validate
from cetrain.runs.pipeline import ClassifierPipeline

# Small overlapping two-feature data: three clusters, labels given per test.
_RNG = np.random.default_rng(7)
X3 = np.concatenate([_RNG.normal(c, 1.0, size=(12, 2)) for c in ([0, 0], [2, 1], [0, 2.5])])
LABELS3 = np.repeat([0, 1, 2], 12)
X2, LABELS2 = X3[:24], LABELS3[:24]


def fitted(kind: str, labels, X=None, poly: int = 1, standardize: bool = True):
    """A small fitted pipeline: logistic on X2 or softmax on X3, with the given label values."""
    if X is None:
        X = X2 if kind == "logistic" else X3
    estimator_class = LogisticRegression if kind == "logistic" else SoftmaxRegression
    estimator = estimator_class(l2=0.01, max_iter=300, standardize=standardize)
    return ClassifierPipeline(estimator, ["a", "b"], poly=poly).fit(X, np.asarray(labels))


def save(tmp_path: Path, data, name: str = "model.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def raises_exactly(message: str):
    return pytest.raises(ModelFileError, match=f"^{re.escape(message)}$")


@pytest.fixture(scope="module")
def logistic_dict():
    return to_dict(fitted("logistic", np.where(LABELS2 == 1, "yes", "no"), poly=2), target="t")


# --------------------------------------------------------------------------- the layout


def test_to_dict_layout(logistic_dict):
    model = logistic_dict
    assert model["format"] == "cetrain-model" == FORMAT
    assert model["version"] == 1 == VERSION
    assert model["model"] == "logistic"
    assert model["loss"] == "cross-entropy"
    assert model["classes"] == ["no", "yes"]
    assert model["target"] == "t"
    assert model["feature_names"] == ["a", "b"]
    assert model["input_columns"] == []
    assert model["preprocessing"]["poly"] == {"degree": 2, "input_names": ["a", "b"]}
    assert model["preprocessing"]["model_features"] == ["a", "b", "a^2", "a b", "b^2"]
    assert model["preprocessing"]["standardize"]["enabled"] is True
    assert len(model["preprocessing"]["standardize"]["mean"]) == 5
    assert np.shape(model["coef"]) == (1, 5)
    assert np.shape(model["intercept"]) == (1,)
    assert model["hyperparameters"] == {
        "loss": "cross-entropy",
        "learning_rate": "auto",
        "max_iter": 300,
        "tol": 1e-6,
        "l2": 0.01,
        "l1": 0.0,
        "momentum": 0.99,
        "standardize": True,
        "class_weight": None,
        "label_smoothing": 0.0,
        "loss_options": None,
        "dtype": "float64",
    }
    assert model["target_kind"] == "labels"
    assert set(model["training"]) == {"epochs", "status", "learning_rate"}
    assert model["training"]["status"] in ("converged", "max_iter")


def test_model_features_are_named_like_scikit_learns_polynomial_features(logistic_dict):
    reference = SkPolynomialFeatures(degree=2, include_bias=False).fit(X2)
    assert logistic_dict["preprocessing"]["model_features"] == list(
        reference.get_feature_names_out(["a", "b"])
    )


def test_to_dict_is_strict_json(logistic_dict):
    text = json.dumps(logistic_dict, allow_nan=False)
    assert json.loads(text) == logistic_dict


def test_model_kind():
    assert LogisticRegression().kind == "logistic"
    assert SoftmaxRegression().kind == "softmax"


# --------------------------------------------------------------------------- the round trip


@pytest.mark.parametrize(
    ("kind", "labels", "poly", "standardize"),
    [
        ("logistic", np.where(LABELS2 == 1, "yes", "no"), 1, True),
        ("logistic", LABELS2 * 5 - 3, 2, False),
        ("softmax", np.array(["finch", "sparrow", "warbler"])[LABELS3], 3, True),
        ("softmax", LABELS3 + 10, 1, True),
    ],
)
def test_saved_model_predicts_exactly_as_the_trained_one(tmp_path, kind, labels, poly, standardize):
    pipeline = fitted(kind, labels, poly=poly, standardize=standardize)
    path = save(tmp_path, to_dict(pipeline, target="label"))
    loaded = load_model(path)
    X = np.concatenate([X3, X3 * 3 - 1])  # also points away from the training data
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    np.testing.assert_array_equal(loaded.decision_function(X), pipeline.decision_function(X))
    np.testing.assert_array_equal(loaded.predict(X), pipeline.predict(X))
    assert type(loaded.estimator) is type(pipeline.estimator)
    assert loaded.feature_names == ["a", "b"]
    assert loaded.pipeline.poly.degree == poly
    assert loaded.estimator.n_iter_ == pipeline.estimator.n_iter_
    assert loaded.estimator.status_ == pipeline.estimator.status_
    assert loaded.estimator.learning_rate_ == pipeline.estimator.learning_rate_
    assert loaded.estimator.get_params() == pipeline.estimator.get_params()


def test_string_class_labels_come_back_as_strings(tmp_path):
    labels = np.where(LABELS2 == 1, "yes", "no")
    loaded = load_model(save(tmp_path, to_dict(fitted("logistic", labels))))
    assert loaded.classes_.tolist() == ["no", "yes"]
    assert loaded.classes_.dtype.kind == "U"
    assert all(type(label) is str for label in loaded.predict(X2).tolist())


def test_integer_class_labels_come_back_as_integers(tmp_path):
    loaded = load_model(save(tmp_path, to_dict(fitted("softmax", LABELS3 * 2 - 2))))
    assert loaded.classes_.tolist() == [-2, 0, 2]
    assert loaded.classes_.dtype == np.int64
    predicted = loaded.predict(X3)
    assert predicted.dtype == np.int64
    assert set(predicted.tolist()) <= {-2, 0, 2}


def test_numeric_looking_string_labels_stay_strings(tmp_path):
    labels = np.where(LABELS2 == 1, "2", "1")
    loaded = load_model(save(tmp_path, to_dict(fitted("logistic", labels))))
    assert loaded.classes_.tolist() == ["1", "2"]


def test_coef_and_intercept_give_the_scores_on_the_polynomial_features(tmp_path):
    pipeline = fitted("softmax", LABELS3, poly=2)
    data = to_dict(pipeline)
    X_poly = SkPolynomialFeatures(degree=2, include_bias=False).fit_transform(X3)
    scores = X_poly @ np.array(data["coef"]).T + np.array(data["intercept"])
    np.testing.assert_allclose(scores, pipeline.decision_function(X3), rtol=1e-12, atol=1e-12)


def test_from_dict_uses_the_source_in_messages():
    with raises_exactly('mine is not a cetrain model file (no "format": "cetrain-model")'):
        from_dict({}, source="mine")
    with raises_exactly('model is not a cetrain model file (no "format": "cetrain-model")'):
        from_dict({"format": "other"})


# --------------------------------------------------------------------------- bad files


def test_model_file_error_is_a_cetrain_error_and_a_value_error():
    assert issubclass(ModelFileError, CetrainError)
    assert issubclass(ModelFileError, ValueError)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    with raises_exactly(f"model file not found: '{path}'"):
        load_model(path)


def test_a_folder_is_not_a_model_file(tmp_path):
    with pytest.raises(
        ModelFileError, match=f"^cannot read model file '{re.escape(str(tmp_path))}'"
    ):
        load_model(tmp_path)


def test_not_utf8(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b'{"format": "cetrain-model\xff"}')
    with pytest.raises(ModelFileError, match=f"^cannot read model file '{re.escape(str(path))}': "):
        load_model(path)


@pytest.mark.parametrize("text", ["", "{", "not json", "{'format': 1}", "\x80\x03}."])
def test_invalid_json(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(text)
    with raises_exactly(f"'{path}' is not valid JSON: {reference.value}"):
        load_model(path)


def test_a_pickle_is_not_loaded(tmp_path):
    import pickle

    path = tmp_path / "model.json"
    path.write_bytes(pickle.dumps({"format": "cetrain-model"}))
    with pytest.raises(ModelFileError, match=f"^cannot read model file '{re.escape(str(path))}'"):
        load_model(path)


@pytest.mark.parametrize("value", [[1, 2], "text", 3, None])
def test_json_that_is_not_an_object(tmp_path, value):
    path = save(tmp_path, value)
    with raises_exactly(f"'{path}' is not a cetrain model file (expected a JSON object)"):
        load_model(path)


@pytest.mark.parametrize("fmt", ["sklearn-model", None, 1])
def test_wrong_format(tmp_path, logistic_dict, fmt):
    data = dict(logistic_dict, format=fmt)
    path = save(tmp_path, data)
    with raises_exactly(f'\'{path}\' is not a cetrain model file (no "format": "cetrain-model")'):
        load_model(path)


def test_no_format(tmp_path, logistic_dict):
    data = {key: value for key, value in logistic_dict.items() if key != "format"}
    path = save(tmp_path, data)
    with raises_exactly(f'\'{path}\' is not a cetrain model file (no "format": "cetrain-model")'):
        load_model(path)


@pytest.mark.parametrize(
    ("version", "shown", "newer"),
    [(0, "0", ""), (2, "2", " (a newer cetrain wrote it)"), ("1", "'1'", ""), (1.0, "1.0", "")],
)
def test_a_version_this_cetrain_does_not_read(tmp_path, logistic_dict, version, shown, newer):
    path = save(tmp_path, dict(logistic_dict, version=version))
    with raises_exactly(
        f"'{path}' has model file version {shown}{newer}; this cetrain reads version 1"
    ):
        load_model(path)


def test_version_is_read_before_the_rest(tmp_path, logistic_dict):
    """A newer file's other fields may mean something else: its version is the error."""
    path = save(tmp_path, dict(logistic_dict, version=2, coef="new layout", extra=1))
    with raises_exactly(
        f"'{path}' has model file version 2 (a newer cetrain wrote it); this cetrain reads "
        "version 1"
    ):
        load_model(path)


@pytest.mark.parametrize(
    "keys",
    [
        ("version",),
        ("model",),
        ("loss",),
        ("classes",),
        ("coef",),
        ("intercept",),
        ("feature_names",),
        ("hyperparameters",),
        ("preprocessing",),
        ("training",),
        ("preprocessing", "standardize"),
        ("preprocessing", "poly", "degree"),
        ("training", "epochs"),
    ],
)
def test_missing_field(tmp_path, logistic_dict, keys):
    data = copy.deepcopy(logistic_dict)
    holder = data
    for key in keys[:-1]:
        holder = holder[key]
    del holder[keys[-1]]
    path = save(tmp_path, data)
    with raises_exactly(f"'{path}': field '{'.'.join(keys)}' is missing"):
        load_model(path)


def test_a_hyperparameter_an_older_file_lacks_takes_its_default(tmp_path, logistic_dict):
    data = copy.deepcopy(logistic_dict)
    del data["hyperparameters"]["l1"]  # files written before l1 existed
    original = from_dict(logistic_dict)
    model = load_model(save(tmp_path, data))
    assert model.estimator.l1 == LogisticRegression().l1 == 0.0
    assert model.estimator.l2 == logistic_dict["hyperparameters"]["l2"]
    X = np.random.default_rng(0).standard_normal((5, len(data["feature_names"])))
    np.testing.assert_array_equal(model.predict_proba(X), original.predict_proba(X))


def test_a_file_without_input_columns_or_target_reads_each_feature_as_a_column(
    tmp_path, logistic_dict
):
    """Files from before raw columns were recorded: each feature is a numeric column."""
    data = {k: v for k, v in logistic_dict.items() if k not in ("input_columns", "target")}
    model = load_model(save(tmp_path, data))
    assert model.input_columns == ["a", "b"]
    assert model.target_names == ["label"]
    np.testing.assert_array_equal(
        model.predict_proba({"a": [0.5], "b": [1.0]}), from_dict(data).predict_proba([[0.5, 1.0]])
    )


def _with(data: dict, path: str, value) -> dict:
    """A copy of data with the field at a dotted path ("coef.0.1") set to value (or deleted,
    for DELETE)."""
    data = copy.deepcopy(data)
    *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
    holder = data
    for key in parents:
        holder = holder[key]
    if value is DELETE:
        del holder[last]
    else:
        holder[last] = value
    return data


DELETE = object()
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # types, and numbers that are not finite
        (
            "model",
            "tree",
            "field 'model' must be one of: logistic, softmax, multilabel; got 'tree'",
        ),
        ("coef", {"a": 1}, "field 'coef' must be a list; got an object"),
        ("coef.0", 1.0, "field 'coef[0]' must be a list; got 1.0"),
        ("coef.0.0", "x", "field 'coef[0][0]' must be a finite number; got 'x'"),
        ("coef.0.0", NAN, "field 'coef[0][0]' must be a finite number; got NaN"),
        ("coef.0.4", -INF, "field 'coef[0][4]' must be a finite number; got -Infinity"),
        ("intercept.0", None, "field 'intercept[0]' must be a finite number; got null"),
        ("intercept.0", True, "field 'intercept[0]' must be a finite number; got true"),
        (
            "preprocessing.standardize.mean.1",
            [1],
            ("field 'preprocessing.standardize.mean[1]' must be a finite number; got a list of 1"),
        ),
        (
            "preprocessing.standardize.scale.0",
            0,
            ("field 'preprocessing.standardize.scale[0]' must be a finite number > 0; got 0"),
        ),
        (
            "preprocessing.standardize.enabled",
            "yes",
            ("field 'preprocessing.standardize.enabled' must be true or false; got 'yes'"),
        ),
        ("feature_names.1", 3, "field 'feature_names[1]' must be a non-empty string; got 3"),
        ("feature_names.0", " ", "field 'feature_names[0]' must be a non-empty string; got ' '"),
        ("classes.0", 1.5, "field 'classes[0]' must be a string or an integer; got 1.5"),
        (
            "classes.0",
            2**63,
            "field 'classes[0]' must be an integer that fits 64 bits; got 9223372036854775808",
        ),
        ("classes.0", 7, "field 'classes' must be all strings or all integers; got both"),
        ("target", ["t"], "field 'target' must be a string; got a list of 1"),
        ("target", "\ud800", "field 'target' must be text (no lone surrogates); got '\\ud800'"),
        ("target", "a\nb", "field 'target' must be one line of text; got 'a\\nb'"),
        (
            "feature_names.0",
            "a\u2028",
            "field 'feature_names[0]' must be one line of text; got 'a\\u2028'",
        ),
        (
            "training.a\nb",
            1,
            "field 'training['a\\nb']' is not a field of 'training'; the "
            "fields are: epochs, status, learning_rate",
        ),
        ("target", "t" * 131_073, "field 'target' must be at most 131072 characters; got 131073"),
        (
            "training.status",
            "banana",
            (
                "field 'training.status' must be one of: converged, stalled, max_iter, "
                "diverged, interrupted; got 'banana'"
            ),
        ),
        (
            "training.epochs",
            1.5,
            "field 'training.epochs' must be an integer in [0, 1000000]; got 1.5",
        ),
        (
            "training.learning_rate",
            -0.1,
            ("field 'training.learning_rate' must be a finite number in (0, 1e6]; got -0.1"),
        ),
        # hyperparameters, by their declarations
        (
            "hyperparameters.learning_rate",
            -0.1,
            (
                "field 'hyperparameters.learning_rate' must be a number in (0, 1e6] or \"auto\"; "
                "got -0.1"
            ),
        ),
        (
            "hyperparameters.momentum",
            1.0,
            ("field 'hyperparameters.momentum' must be a finite number in [0, 1); got 1.0"),
        ),
        (
            "hyperparameters.max_iter",
            -1,
            ("field 'hyperparameters.max_iter' must be an integer in [0, 1000000]; got -1"),
        ),
        (
            "hyperparameters.loss",
            "mse",
            ("field 'hyperparameters.loss' is 'mse', but the field 'loss' is 'cross-entropy'"),
        ),
        (
            "hyperparameters.loss_options",
            [1],
            ("field 'hyperparameters.loss_options' must be an object or null; got a list of 1"),
        ),
        (
            "hyperparameters.loss_options",
            {"gamma": 2.0},
            (
                "field 'hyperparameters.loss_options' does not fit the cross-entropy loss of this "
                "model: gamma applies to the loss focal of a logistic model, not to "
                "'cross-entropy'"
            ),
        ),
        (
            "hyperparameters.class_weight",
            {"maybe": 2},
            (
                "field 'hyperparameters.class_weight' does not fit the classes: class_weight names "
                "the unknown class 'maybe'; the classes are no, yes"
            ),
        ),
        (
            "hyperparameters.seed",
            1,
            (
                "field 'hyperparameters.seed' is not a field of 'hyperparameters'; the fields are: "
                "loss, learning_rate, max_iter, tol, l2, l1, momentum, standardize, class_weight, "
                "label_smoothing, loss_options, dtype"
            ),
        ),
        # names from the registries
        (
            "loss",
            "bogus",
            (
                "field 'loss' must be one of: cross-entropy, mse, focal, hinge, "
                "symmetric-cross-entropy; got 'bogus'"
            ),
        ),
        (
            "target_kind",
            "indicator",
            ("field 'target_kind' is 'indicator', but a logistic model is fit on labels"),
        ),
        (
            "target_kind",
            None,
            ("field 'target_kind' must be one of: labels, probabilities, indicator; got null"),
        ),
        # shapes
        (
            "coef.0",
            [1.0, 2.0, 3.0],
            ("field 'coef[0]' must have 5 entries (one per model feature); got 3"),
        ),
        ("intercept", [0.0, 1.0], "field 'intercept' must have 1 entry (one per output); got 2"),
        (
            "classes",
            ["a", "b", "c"],
            "field 'classes' must have 2 entries for a logistic model; got 3",
        ),
        ("classes", ["a"], "field 'classes' must have at least 2 entries; got 1"),
        (
            "preprocessing.poly.input_names",
            ["b", "a"],
            (
                "field 'preprocessing.poly.input_names' must be the same names as "
                "feature_names, in the same order"
            ),
        ),
        (
            "preprocessing.model_features.3",
            "a*b",
            (
                "field 'preprocessing.model_features' must name the polynomial terms of "
                "feature_names (a, b, a^2, a b, b^2); got a, b, a^2, a*b, b^2"
            ),
        ),
        (
            "preprocessing.standardize.scale",
            [1.0],
            (
                "field 'preprocessing.standardize.scale' must have 5 entries (one per model "
                "feature); got 1"
            ),
        ),
        # repeats, unknown and missing fields
        ("classes.1", "no", "field 'classes[1]' repeats 'no' of classes[0]; entries must differ"),
        (
            "feature_names.1",
            "a",
            ("field 'feature_names[1]' repeats 'a' of feature_names[0]; entries must differ"),
        ),
        (
            "extra",
            1,
            (
                "field 'extra' is not a field of a model file; the fields are: format, version, "
                "model, target_kind, loss, classes, target, feature_names, input_columns, "
                "preprocessing, coef, intercept, hyperparameters, training"
            ),
        ),
        ("training.status", DELETE, "field 'training.status' is missing"),
        # sizes
        (
            "preprocessing.poly.degree",
            300,
            (
                "field 'preprocessing.poly.degree' is 300: on 2 features that makes more "
                "than 20000 polynomial terms"
            ),
        ),
        (
            "preprocessing.poly.degree",
            0,
            ("field 'preprocessing.poly.degree' must be an integer in [1, 20000]; got 0"),
        ),
        (
            "coef.0.0",
            1e305,
            (
                "field 'coef[0]' and intercept[0] are too large to score in float64: inputs near "
                "the training data would score up to inf, more than 1e+300"
            ),
        ),
        (
            "intercept.0",
            1e301,
            (
                "field 'coef[0]' and intercept[0] are too large to score in float64: inputs near "
                "the training data would score up to 1e+301, more than 1e+300"
            ),
        ),
    ],
)
def test_each_field_is_checked_by_the_schema(tmp_path, logistic_dict, path, value, message):
    model = save(tmp_path, _with(logistic_dict, path, value))
    with raises_exactly(f"'{model}': {message}"):
        load_model(model)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '"epochs": ' + "9" * 5000,
            "field 'training.epochs' must be an integer in [0, 1000000]; got a 5000-digit integer",
        ),
        (
            '"epochs": -1e999',  # float64 reads it as -inf
            "field 'training.epochs' must be an integer in [0, 1000000]; got -Infinity",
        ),
        ('"epochs": NaN', "field 'training.epochs' must be an integer in [0, 1000000]; got NaN"),
        (
            '"epochs": -Infinity',
            "field 'training.epochs' must be an integer in [0, 1000000]; got -Infinity",
        ),
        ('"epochs": 3, "epochs": 4', "field 'training.epochs' is given twice"),
        (
            '"epochs": ' + "[" * 20 + "]" * 20,
            "field 'training' nests lists and objects more "
            "than 16 levels deep; a model file is not nested that deeply",
        ),
    ],
)
def test_json_that_python_reads_badly_is_refused_by_field(tmp_path, logistic_dict, text, message):
    epochs = logistic_dict["training"]["epochs"]
    encoded = json.dumps(logistic_dict).replace(f'"epochs": {epochs}', text)
    path = tmp_path / "model.json"
    path.write_text(encoded, encoding="utf-8")
    with raises_exactly(f"'{path}': {message}"):
        load_model(path)


def test_nesting_deeper_than_python_can_read_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"format": "cetrain-model", "coef": ' + "[" * 100_000, encoding="utf-8")
    with raises_exactly(
        f"'{path}' nests JSON lists and objects more than 16 levels deep; a model file is not "
        "nested that deeply"
    ):
        load_model(path)


def test_a_file_larger_than_the_cap_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", 100)
    path = tmp_path / "model.json"
    path.write_text("[" * 101, encoding="utf-8")  # not JSON: parsing it would say so
    with raises_exactly(f"'{path}' is more than 100 bytes, larger than a model file can be"):
        load_model(path)


def test_a_byte_order_mark_is_read_past(tmp_path, logistic_dict):
    path = tmp_path / "model.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(logistic_dict).encode("utf-8"))
    assert load_model(path).classes_.tolist() == ["no", "yes"]


def test_the_default_file_cap_holds_the_largest_model_train_writes():
    # 100 classes (runs.train.MAX_CLASSES) x 20 000 terms, ~28 bytes a coefficient indented
    assert modelschema.MAX_FILE_BYTES > 100 * MAX_POLY_FEATURES * 28


def test_a_huge_polynomial_degree_is_refused_at_once(tmp_path, logistic_dict):
    # the largest degree the range allows, on many features: the terms are counted, never built
    # (building them would not end), so the refusal comes before anything else is checked
    data = _with(logistic_dict, "preprocessing.poly.degree", 20000)
    data["feature_names"] = [f"x{i}" for i in range(5000)]  # checked before the degree
    path = save(tmp_path, data)
    with pytest.raises(ModelFileError, match=r"field 'preprocessing\.poly\.degree' is 20000: on"):
        load_model(path)


@pytest.mark.parametrize(("n", "degree"), [(1, 1), (2, 3), (6, 1), (5, 4), (20, 3), (3, 30)])
def test_poly_terms_counts_the_monomials(n, degree):
    assert poly_terms(n, degree, 10**9) == comb(n + degree, degree) - 1
    assert poly_terms(n, degree, comb(n + degree, degree) - 2) is None


def test_from_dict_checks_a_python_dict_with_the_same_schema(logistic_dict):
    with raises_exactly("mine: field 'coef[0][1]' must be a finite number; got NaN"):
        from_dict(_with(logistic_dict, "coef.0.1", NAN), source="mine")
    with raises_exactly("model: field 'coef' must be a list; got a Python ndarray"):
        from_dict(dict(logistic_dict, coef=np.zeros((1, 50))))


def test_an_option_given_twice_is_refused(tmp_path, logistic_dict):
    data = _with(logistic_dict, "hyperparameters.loss_options", {"gamma": 1.0})
    text = json.dumps(data).replace('"gamma": 1.0', '"gamma": 1.0, "gamma": 2.0')
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with raises_exactly(f"'{path}': field 'hyperparameters.loss_options.gamma' is given twice"):
        load_model(path)


def test_validate_fills_what_older_files_leave_out(logistic_dict):
    data = {k: v for k, v in logistic_dict.items() if k not in ("target_kind", "input_columns")}
    model = validate(data)
    assert model["target_kind"] == "labels"
    assert list(model["input_columns"]) == []
    assert model["coef"] == logistic_dict["coef"]


# --------------------------------------------------------------------------- multi-label, options


def round_trip(tmp_path: Path, pipeline: ClassifierPipeline) -> tuple[dict, ClassifierPipeline]:
    """Save as strict JSON (no NaN or Infinity) and load: (the saved dict, the loaded pipeline)."""
    path = tmp_path / "model.json"
    path.write_text(json.dumps(to_dict(pipeline), allow_nan=False), encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8")), load_model(path)


# Three overlapping 0/1 label columns on X3: a row may have none, one or several labels.
INDICATOR3 = np.column_stack(
    [
        (X3[:, 0] + _RNG.normal(0, 0.7, size=36) > 1.0),
        (X3[:, 1] + _RNG.normal(0, 0.7, size=36) > 1.2),
        (X3[:, 0] - X3[:, 1] + _RNG.normal(0, 0.7, size=36) > 0.0),
    ]
).astype(int)
X_FAR = np.concatenate([X3, X3 * 3 - 1])  # also points away from the training data


@pytest.mark.parametrize(
    ("classes", "dtype"), [(["rock", "pop", "jazz"], "U"), (None, "i"), ([30, 10, 20], "i")]
)
def test_multilabel_model_round_trips_with_its_label_columns(tmp_path, classes, dtype):
    estimator = MultiLabelRegression(l2=0.01, max_iter=300)
    fit_params = {} if classes is None else {"classes": classes}
    pipeline = ClassifierPipeline(estimator, ["a", "b"]).fit(X3, INDICATOR3, **fit_params)
    names = [0, 1, 2] if classes is None else classes
    data, loaded = round_trip(tmp_path, pipeline)
    assert data["model"] == "multilabel"
    assert data["target_kind"] == "indicator"
    assert data["classes"] == names  # column order, not sorted
    assert np.shape(data["coef"]) == (3, 2)
    assert type(loaded.estimator) is MultiLabelRegression
    assert loaded.estimator.target_kind_ == "indicator"
    assert loaded.classes_.tolist() == names
    assert loaded.classes_.dtype.kind == dtype
    proba = loaded.predict_proba(X_FAR)
    np.testing.assert_allclose(proba, pipeline.predict_proba(X_FAR), rtol=0, atol=1e-12)
    # each label's own sigmoid: the rows do not sum to 1
    assert not np.allclose(proba.sum(axis=1), 1.0)
    predicted = loaded.predict(X_FAR)
    assert predicted.shape == (len(X_FAR), 3)
    np.testing.assert_array_equal(predicted, pipeline.predict(X_FAR))
    np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))
    assert loaded.estimator.score(X3, INDICATOR3) == pipeline.estimator.score(X3, INDICATOR3)
    assert loaded.estimator.get_params() == pipeline.estimator.get_params()


def test_one_vs_rest_multilabel_model_keeps_its_labels_target_kind(tmp_path):
    labels = np.array(["finch", "sparrow", "warbler"])[LABELS3]
    estimator = MultiLabelRegression(l2=0.01, max_iter=300)
    pipeline = ClassifierPipeline(estimator, ["a", "b"]).fit(X3, labels)
    data, loaded = round_trip(tmp_path, pipeline)
    assert data["target_kind"] == "labels"
    assert loaded.estimator.target_kind_ == "labels"
    proba = loaded.predict_proba(X_FAR)
    np.testing.assert_allclose(proba, pipeline.predict_proba(X_FAR), rtol=0, atol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)  # normalised sigmoids
    np.testing.assert_array_equal(loaded.predict(X_FAR), pipeline.predict(X_FAR))
    assert set(loaded.predict(X_FAR).tolist()) <= {"finch", "sparrow", "warbler"}


def test_softmax_fitted_on_probability_rows_keeps_its_target_kind(tmp_path):
    soft = np.eye(3)[LABELS3] * 0.8 + 0.2 / 3
    estimator = SoftmaxRegression(l2=0.01, max_iter=300)
    pipeline = ClassifierPipeline(estimator, ["a", "b"]).fit(X3, soft, classes=["x", "y", "z"])
    data, loaded = round_trip(tmp_path, pipeline)
    assert data["target_kind"] == "probabilities"
    assert loaded.estimator.target_kind_ == "probabilities"
    assert loaded.classes_.tolist() == ["x", "y", "z"]
    np.testing.assert_array_equal(loaded.predict_proba(X_FAR), pipeline.predict_proba(X_FAR))
    np.testing.assert_array_equal(loaded.predict(X_FAR), pipeline.predict(X_FAR))


@pytest.mark.parametrize(
    "options",
    [
        {"class_weight": {"a": 2.0}},
        {"class_weight": "balanced"},
        {"label_smoothing": 0.1},
        {"loss": "focal", "loss_options": {"gamma": 1.0, "alpha": [0.5, 1.0, 2.0]}},
        {"class_weight": {"c": 0.5}, "label_smoothing": 0.05, "l1": 0.01},
    ],
)
def test_loss_options_round_trip_exactly(tmp_path, options):
    labels = np.array(["a", "b", "c"])[LABELS3]
    estimator = SoftmaxRegression(l2=0.01, max_iter=300, **options)
    pipeline = ClassifierPipeline(estimator, ["a", "b"]).fit(X3, labels)
    data, loaded = round_trip(tmp_path, pipeline)
    for name, value in options.items():
        assert data["hyperparameters"][name] == value
        assert getattr(loaded.estimator, name) == value
    assert loaded.estimator.get_params() == pipeline.estimator.get_params()
    assert data["loss"] == options.get("loss", "cross-entropy") == loaded.estimator.loss
    np.testing.assert_array_equal(loaded.predict_proba(X_FAR), pipeline.predict_proba(X_FAR))
    np.testing.assert_array_equal(loaded.predict(X_FAR), pipeline.predict(X_FAR))
    # the options still mean the same training: the loaded model measures the same loss
    assert loaded.estimator.mean_loss(X3, labels) == pipeline.estimator.mean_loss(X3, labels)


def test_the_options_change_the_model_they_are_saved_with(tmp_path):
    """The round-trip test above would pass vacuously if the options were ignored in training."""
    labels = np.array(["a", "b", "c"])[LABELS3]
    plain = SoftmaxRegression(l2=0.01, max_iter=300).fit(X3, labels)
    weighted = SoftmaxRegression(l2=0.01, max_iter=300, class_weight={"a": 2.0}).fit(X3, labels)
    assert not np.allclose(plain.coef_, weighted.coef_)
    _, loaded = round_trip(tmp_path, ClassifierPipeline(weighted, ["a", "b"]))
    np.testing.assert_array_equal(loaded.estimator.coef_, weighted.coef_)


def test_l1_zeros_stay_exact_zeros(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 6))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=80) > 0).astype(int)
    names = [f"f{i}" for i in range(6)]
    pipeline = ClassifierPipeline(LogisticRegression(l1=0.05, l2=0.0), names).fit(X, y)
    coef = pipeline.estimator.coef_
    zeros = coef == 0.0
    assert zeros.any() and not zeros.all()  # some, but not all, weights are exactly zero
    data, loaded = round_trip(tmp_path, pipeline)
    assert data["hyperparameters"]["l1"] == 0.05
    assert data["hyperparameters"]["l2"] == 0.0
    assert [value == 0.0 for value in data["coef"][0]] == zeros[0].tolist()
    np.testing.assert_array_equal(loaded.estimator.coef_ == 0.0, zeros)
    np.testing.assert_array_equal(loaded.estimator.coef_, coef)
    np.testing.assert_array_equal(loaded.estimator.intercept_, pipeline.estimator.intercept_)
    assert (loaded.estimator.l1, loaded.estimator.l2) == (0.05, 0.0)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))


@pytest.mark.parametrize("kind", ["multiclass", "Labels", "", 3])
def test_unknown_target_kind(tmp_path, logistic_dict, kind):
    path = save(tmp_path, dict(logistic_dict, target_kind=kind))
    with raises_exactly(
        f"'{path}': field 'target_kind' must be one of: labels, probabilities, indicator; got "
        f"{kind!r}"
    ):
        load_model(path)


def test_a_file_without_target_kind_was_fit_on_labels(tmp_path, logistic_dict):
    data = {key: value for key, value in logistic_dict.items() if key != "target_kind"}
    model = load_model(save(tmp_path, data))
    assert model.estimator.target_kind_ == "labels"
    np.testing.assert_array_equal(
        model.predict_proba(X2), from_dict(logistic_dict).predict_proba(X2)
    )
