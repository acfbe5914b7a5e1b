"""The configs in configs/ run, converge and do what their comments and the README say."""

import json
import math
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer

from cetrain.cli import cli
from cetrain.modelfile import load_model

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def run_config(name: str, out: Path) -> dict:
    """Run configs/NAME.toml into `out` and return its metrics."""
    result = CliRunner().invoke(cli, ["train", str(CONFIGS / f"{name}.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))


def test_the_readme_names_every_config():
    readme = (CONFIGS.parent / "README.md").read_text(encoding="utf-8")
    names = sorted(path.name for path in CONFIGS.glob("*.toml"))
    assert {"quickstart.toml", "iris-softmax.toml", "moons-poly.toml", "breast-cancer.toml"} <= set(
        names
    )
    assert [name for name in names if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("name", sorted(path.stem for path in CONFIGS.glob("*.toml")))
def test_every_config_converges(name, tmp_path):
    metrics = run_config(name, tmp_path / name)
    assert metrics["status"] == "converged"
    # what the run used is what the config asked for
    used = tomllib.loads((tmp_path / name / "config.toml").read_text(encoding="utf-8"))
    asked = tomllib.loads((CONFIGS / f"{name}.toml").read_text(encoding="utf-8"))
    assert {key: used[key] for key in asked} == asked


def test_breast_cancer_config_is_sklearns_c_equal_one(tmp_path):
    # the comment: l2 = 1/(C n) with C = 1 and n = the training rows at test_size 0.25
    asked = tomllib.loads((CONFIGS / "breast-cancer.toml").read_text(encoding="utf-8"))
    n_rows = load_breast_cancer().target.shape[0]
    n_train = n_rows - math.ceil(asked["test_size"] * n_rows)
    assert asked["l2"] == pytest.approx(1 / n_train, rel=1e-15)
    metrics = run_config("breast-cancer", tmp_path / "run")
    assert metrics["n_train"] == n_train


def test_exam_config_gives_the_textbook_maximum_likelihood_fit(tmp_path):
    run_config("exam", tmp_path / "run")
    model = load_model(tmp_path / "run" / "model.json").estimator
    # Wikipedia, "Logistic regression": intercept -4.0777, 1.5046 per hour of study
    assert model.intercept_[0] == pytest.approx(-4.0777, abs=1e-4)
    assert model.coef_[0, 0] == pytest.approx(1.5046, abs=1e-4)


def test_default_config_drops_the_rows_with_missing_income(tmp_path):
    metrics = run_config("default", tmp_path / "run")
    # datasets/README.md: ten rows have income NA
    assert metrics["rows_dropped"] == 10
