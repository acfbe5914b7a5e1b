"""The configs in configs/ run, converge and do what their comments and the README say."""

import json
import math
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer

from cetrain.cli import cli
from cetrain.runs.modelfile import load_model

# these tests check what is trained; the diagnostic figures are checked elsewhere
pytestmark = pytest.mark.usefixtures("no_diagnostic_figures")

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def read_config(name: str) -> dict:
    return tomllib.loads((CONFIGS / f"{name}.toml").read_text(encoding="utf-8"))


def is_comparison(name: str) -> bool:
    """A config with `losses` or `models` is for `cetrain compare`, the others for train."""
    return bool({"losses", "models"} & set(read_config(name)))


def run_config(name: str, out: Path) -> dict:
    """Run configs/NAME.toml into `out` (with train or compare) and return its metrics, or the
    comparison's summary."""
    command = "compare" if is_comparison(name) else "train"
    result = CliRunner().invoke(cli, [command, str(CONFIGS / f"{name}.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    if command == "compare":
        return json.loads((out / "comparison.json").read_text(encoding="utf-8"))["summary"]
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
    if is_comparison(name):
        assert {row["status"] for row in metrics.values()} == {"converged"}
    else:
        assert metrics["status"] == "converged"
    # what the run used is what the config asked for
    used = tomllib.loads((tmp_path / name / "config.toml").read_text(encoding="utf-8"))
    asked = read_config(name)
    assert {key: used[key] for key in asked} == asked


def test_comparison_configs_say_how_to_run_them():
    for path in CONFIGS.glob("*.toml"):
        if is_comparison(path.stem):
            assert path.read_text(encoding="utf-8").startswith(
                f"# cetrain compare configs/{path.name}\n"
            )


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


def test_sparse_l1_config_keeps_exactly_the_four_features_that_matter(tmp_path):
    # datasets/README.md: the labels were drawn from x3, x8, x13 and x17 alone
    metrics = run_config("sparse-l1", tmp_path / "run")
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    kept = [name for name, c in zip(model["feature_names"], model["coef"][0], strict=True) if c]
    assert kept == ["x3", "x8", "x13", "x17"]
    assert metrics["zero_coefficients"] == 16 and metrics["coefficients"] == 20


def test_genres_config_reaches_its_subset_accuracy(tmp_path):
    metrics = run_config("genres-multilabel", tmp_path / "run")
    # every tag right in 49 of the 75 test songs; 196 of the 225 single tags
    assert metrics["test"]["accuracy"] == pytest.approx(49 / 75, abs=1e-15)
    assert metrics["test"]["label_accuracy"] == pytest.approx(196 / 225, abs=1e-15)


def test_balanced_class_weights_find_more_defaults(tmp_path):
    plain = run_config("default", tmp_path / "plain")
    balanced = run_config("default-balanced", tmp_path / "balanced")
    focal = run_config("default-focal", tmp_path / "focal")
    # the comment: more of the rare "Yes" rows are found, at the price of more false alarms
    assert balanced["test"]["recall"]["Yes"] > 2 * plain["test"]["recall"]["Yes"]
    assert focal["test"]["recall"]["Yes"] > plain["test"]["recall"]["Yes"]
    assert balanced["test"]["recall"]["No"] < plain["test"]["recall"]["No"]
    assert balanced["test"]["balanced_accuracy"] > plain["test"]["balanced_accuracy"]


def test_label_smoothing_config_is_less_confident(tmp_path):
    plain = run_config("iris-softmax", tmp_path / "plain")
    smoothed = run_config("iris-smoothing", tmp_path / "smoothed")
    # smoothing keeps probabilities away from 0 and 1: the log loss on the hard labels rises
    assert smoothed["train"]["log_loss"] > plain["train"]["log_loss"]
    assert smoothed["train"]["loss"] > smoothed["train"]["log_loss"]
