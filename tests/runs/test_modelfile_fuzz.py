"""Fuzzing model files (issue 11): random bytes, random JSON and mutations of a valid model.json
never raise anything but ModelFileError through cetrain.load_model, and through `cetrain predict`
and `cetrain evaluate` end with one `Error:` line and no traceback; a valid model round trips."""

import copy
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cetrain
from cetrain.errors import ModelFileError
from cetrain.estimators import ESTIMATORS
from cetrain.runs.modelfile import to_dict
from cetrain.runs.pipeline import ClassifierPipeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
# model files of every kind (tests/fixtures/models), each with encoded features to score
MODELS = {
    path.stem: (
        json.loads(path.read_text(encoding="utf-8")),
        np.array(json.loads(path.with_suffix(".expected.json").read_text())["X"]),
    )
    for path in sorted(FIXTURES.glob("*.json"))
    if ".expected" not in path.name
}
BIRDS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "new_birds.csv"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _paths(value, path=()):
    """Every path into a JSON value (keys and list positions), the value's own () first."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*path, i))


DEEP = "nested-lists-of-depth-"  # write_json writes such a string as that many nested lists


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["cetrain-model", "logistic", "labels", "cross-entropy"]),
    _containers,
    max_leaves=12,
)
hostile = st.one_of(
    json_values,
    st.sampled_from(
        [math.nan, math.inf, -math.inf, 10**400, -(10**30), 10**9, 0, -1, 1e308, [], {}, "", True]
    ),
    st.integers(10, 3000).map(lambda depth: f"{DEEP}{depth}"),
)


@st.composite
def mutated(draw, names=tuple(MODELS)):
    """A valid model (one of `names`) with one field replaced, deleted or its list's entries
    repeated, and the features it was trained for."""
    model, X = MODELS[draw(st.sampled_from(names))]
    data = copy.deepcopy(model)
    path = draw(st.sampled_from(list(_paths(model))[1:]))
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    action = draw(st.sampled_from(["replace", "delete", "repeat"]))
    if action == "delete":
        del holder[path[-1]]
    elif action == "repeat" and isinstance(holder[path[-1]], list) and holder[path[-1]]:
        holder[path[-1]].append(copy.deepcopy(holder[path[-1]][0]))
    else:
        holder[path[-1]] = draw(hostile)
    return data, X


def write_json(path: Path, value) -> Path:
    """value as JSON (NaN and Infinity as Python writes them), with nested lists for DEEP."""
    text = re.sub(f'"{DEEP}(\\d+)"', lambda m: "[" * int(m[1]) + "]" * int(m[1]), json.dumps(value))
    path.write_text(text, encoding="utf-8")
    return path


def loads_or_refuses(path: Path, X: np.ndarray) -> None:
    """load_model gives a ModelFileError, or a model whose probabilities of the data it was
    trained for are finite (no NaN, no overflow warning): nothing else escapes."""
    try:
        model = cetrain.load_model(path)
    except ModelFileError:
        return
    proba = model.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1)), proba


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_are_refused_with_a_model_file_error(tmp_path, data):
    path = tmp_path / "model.json"
    path.write_bytes(data)
    with pytest.raises(ModelFileError):
        cetrain.load_model(path)


@FUZZ
@given(json_values)
def test_random_json_is_refused_with_a_model_file_error(tmp_path, value):
    with pytest.raises(ModelFileError):
        cetrain.load_model(write_json(tmp_path / "model.json", value))


@settings(FUZZ, max_examples=100)
@given(case=mutated())
def test_a_mutated_model_file_loads_or_is_refused_with_a_model_file_error(tmp_path, case):
    data, X = case
    loads_or_refuses(write_json(tmp_path / "model.json", data), X)


def _one_error_line(result) -> None:
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code:
        assert result.stderr.count("Error:") == 1, result.stderr
        assert result.stderr.splitlines()[-1].startswith("Error: ")


@settings(FUZZ, max_examples=20)
@given(mutated(names=("species-categorical",)))
def test_predict_with_a_mutated_model_file_gives_one_error_line(tmp_path, case):
    model = write_json(tmp_path / "model.json", case[0])
    _one_error_line(invoke("predict", model, BIRDS))


@settings(FUZZ, max_examples=4)
@given(mutated(names=("species-categorical",)))
def test_evaluate_with_a_mutated_model_file_gives_one_error_line(tmp_path, case):
    out = tmp_path / "evaluation"
    if out.exists():
        for file in out.iterdir():
            file.unlink()
        out.rmdir()
    model = write_json(tmp_path / "model.json", case[0])
    _one_error_line(invoke("evaluate", model, BIRDS, "--out", out, "--format", "svg"))


@settings(FUZZ, max_examples=15)
@given(
    kind=st.sampled_from(list(ESTIMATORS)),
    n_features=st.integers(1, 3),
    poly=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_a_saved_model_predicts_as_the_trained_estimator(tmp_path, kind, n_features, poly, seed):
    rng = np.random.default_rng(seed)
    X_train = rng.normal(size=(30, n_features))
    if kind == "multilabel":
        y = (X_train[:, :1] + rng.normal(size=(30, 3)) > 0).astype(int)
        y[:2] = [[0, 0, 0], [1, 1, 1]]  # every column holds both values
    else:
        y = np.arange(30) % (2 if kind == "logistic" else 3)
    estimator = ESTIMATORS[kind](max_iter=30)
    names = [f"x{j}" for j in range(n_features)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 30 epochs do not converge; the model is what it is
        pipeline = ClassifierPipeline(estimator, names, poly=poly).fit(X_train, y)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(to_dict(pipeline), allow_nan=False), encoding="utf-8")
    loaded = cetrain.load_model(path)
    X_new = rng.normal(size=(10, n_features)) * 3
    np.testing.assert_array_equal(loaded.predict_proba(X_new), pipeline.predict_proba(X_new))
    np.testing.assert_array_equal(loaded.predict(X_new), pipeline.predict(X_new))
