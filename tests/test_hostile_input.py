"""Hostile input, one family per section (issue 11): each test asserts the exact `Error:` line or
the exact outcome a student gets when they feed cetrain a broken file, an impossible option or
an interrupt. The fuzzing that generalises these families lives beside each layer's tests.
"""

import json
import re
import time
from pathlib import Path

import pytest
from conftest import assert_error, invoke

# --- Interrupting: Ctrl-C and SIGTERM before, during and after training ----------------------


# --- Concurrent runs: runs started together never collide ------------------------------------


# --- Values at the edges of float64: loss options, class weights, extreme CSV values ---------


# --- Numbers that are not plain numbers: thousands separators, decimal commas ----------------


# --- Sizes: epochs, generated rows, polynomial expansions, demo starts, long names -----------


# --- Config files: nesting, NUL bytes, wrong types -------------------------------------------


# --- Model files: nesting, non-finite numbers, wrong types, sizes, unknown names -------------

MODEL_FILE = Path(__file__).parent / "fixtures" / "models" / "species-categorical.json"
NEW_BIRDS = Path(__file__).parents[1] / "docs" / "examples" / "new_birds.csv"


def _edited_model(path: str, value) -> str:
    """The species model.json (a softmax on 6 features, classes finch, sparrow, warbler) as
    JSON text, with the field at a dotted path set to value; a value of the form "<<TEXT>>" is
    written as the raw JSON TEXT."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    *parents, last = [int(key) if key.isdigit() else key for key in path.split(".")]
    holder = data
    for key in parents:
        holder = holder[key]
    holder[last] = value
    return re.sub(r'"<<(.*?)>>"', lambda m: m[1], json.dumps(data))


MODEL_FILE_CASES = {
    "nested past Python's limit": (
        "coef",
        "<<" + "[" * 100_000 + "]" * 100_000 + ">>",
        "{model} nests JSON lists and objects more than 16 levels deep; a model file is not "
        "nested that deeply",
    ),
    "nested 20 deep": (
        "coef",
        "<<" + "[" * 20 + "]" * 20 + ">>",
        "{model}: field 'coef' nests lists and objects more than 16 levels deep; a model file "
        "is not nested that deeply",
    ),
    "NaN coefficient": (
        "coef.2.0",
        "<<NaN>>",
        "{model}: field 'coef[2][0]' must be a finite number; got NaN",
    ),
    "infinite intercept": (
        "intercept.1",
        "<<Infinity>>",
        "{model}: field 'intercept[1]' must be a finite number; got Infinity",
    ),
    "huge integer": (
        "training.epochs",
        "<<" + "9" * 5000 + ">>",
        "{model}: field 'training.epochs' must be an integer >= 0; got a 5000-digit integer",
    ),
    "huge coefficient": (
        "coef.0.0",
        "<<1e308>>",
        "{model}: field 'coef[0]' and intercept[0] are too large to score in float64: inputs "
        "near the training data would score up to inf, more than 1e+300",
    ),
    "object for a list": (
        "coef",
        {"finch": [1.0]},
        "{model}: field 'coef' must be a list; got an object",
    ),
    "number for a feature name": (
        "feature_names.1",
        3,
        "{model}: field 'feature_names[1]' must be a non-empty string; got 3",
    ),
    "poly degree 10^9": (
        "preprocessing.poly.degree",
        10**9,
        "{model}: field 'preprocessing.poly.degree' is 1000000000: on 6 features that makes "
        "more than 20000 polynomial terms",
    ),
    "repeated class": (
        "classes.2",
        "finch",
        "{model}: field 'classes[2]' repeats 'finch' of classes[0]; entries must differ",
    ),
    "unknown loss": (
        "loss",
        "cross_entropy",
        "{model}: field 'loss' must be one of: cross-entropy, mse, focal, hinge, "
        "symmetric-cross-entropy; got 'cross_entropy'",
    ),
    "negative learning rate": (
        "hyperparameters.learning_rate",
        -0.5,
        "{model}: field 'hyperparameters.learning_rate' must be a finite number > 0 or "
        '"auto"; got -0.5',
    ),
    "newer version": (
        "version",
        2,
        "{model} has model file version 2 (a newer cetrain wrote it); this cetrain reads version 1",
    ),
}


@pytest.mark.parametrize("command", ["predict", "evaluate"])
@pytest.mark.parametrize(
    ("path", "value", "message"), MODEL_FILE_CASES.values(), ids=MODEL_FILE_CASES.keys()
)
def test_a_broken_model_file_is_one_error_line_naming_the_field(
    tmp_path, command, path, value, message
):
    model = tmp_path / "model.json"
    model.write_text(_edited_model(path, value), encoding="utf-8")
    start = time.perf_counter()
    result = invoke(
        command, model, NEW_BIRDS, *(["--out", tmp_path / "out"] * (command == "evaluate"))
    )
    assert time.perf_counter() - start < 5  # a degree of 10^9 is refused, not expanded
    assert_error(result, message.format(model=f"'{model}'"))
    assert not (tmp_path / "out").exists()


# --- Output: tables, advice, library warnings, symlinked and read-only folders ---------------


# --- Optimiser honesty: a status never claims more than happened -----------------------------
