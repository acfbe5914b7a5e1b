"""Model files written before the redesign load and predict exactly as they did then."""

import json
from pathlib import Path

import numpy as np
import pytest

from cetrain.runs.modelfile import load_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
NAMES = sorted(
    p.name.removesuffix(".json") for p in FIXTURES.glob("*.json") if ".expected" not in p.name
)


def test_every_kind_of_model_has_a_fixture():
    kinds = {(json.loads((FIXTURES / f"{n}.json").read_text())["model"]) for n in NAMES}
    assert kinds == {"logistic", "softmax", "multilabel"}
    assert len(NAMES) == 13


@pytest.mark.parametrize("name", NAMES)
def test_an_old_model_file_predicts_as_it_did(name):
    model = load_model(FIXTURES / f"{name}.json")
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    X = np.array(expected["X"])
    np.testing.assert_allclose(
        model.predict_proba(X), expected["predict_proba"], rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        model.decision_function(X), expected["decision_function"], rtol=1e-12, atol=1e-12
    )
    assert model.predict(X).tolist() == expected["predict"]


def test_load_model_is_a_public_name_of_the_package():
    import cetrain

    path = FIXTURES / "iris-softmax.json"
    expected = json.loads((FIXTURES / "iris-softmax.expected.json").read_text())
    X = np.array(expected["X"])
    np.testing.assert_allclose(
        cetrain.load_model(path).predict_proba(X), expected["predict_proba"], rtol=0, atol=1e-12
    )
    assert "load_model" in dir(cetrain)
