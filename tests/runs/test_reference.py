"""Tests for runs.reference: `train(..., reference=True)` puts scikit-learn's solution of the
same problem beside ours, measured by our objective, or says why there is none."""

import json
import math
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from cetrain.data import train_test_split
from cetrain.estimators import reference as estimator_reference
from cetrain.runs.reference import NoReference, Reference, sklearn_reference
from cetrain.runs.settings import read_config, resolve_settings
from cetrain.runs.train import train
from cetrain.runs.write import write_run

ROOT = Path(__file__).resolve().parents[2]
# the configs `cetrain train` runs (the compare configs list `losses` or `models`)
TRAIN_CONFIGS = sorted(
    path.name
    for path in (ROOT / "configs").glob("*.toml")
    if not {"losses", "models"} & set(tomllib.loads(path.read_text(encoding="utf-8")))
)
# the shipped configs that scikit-learn has no model for, and what the run says instead
NOTES = {
    "default-focal.toml": "scikit-learn's LogisticRegression minimises cross-entropy; it has no "
    "'focal' loss",
    "genres-multilabel.toml": "scikit-learn's LogisticRegression fits one logistic or softmax "
    "model, not a multilabel model (one sigmoid per label)",
    "iris-smoothing.toml": "scikit-learn's LogisticRegression has no label smoothing",
}
GAP = 1e-6  # the largest relative gap of the objectives a shipped config may have


def run(**values):
    return train(resolve_settings(values, {"reference": True}))


@pytest.fixture(scope="module")
def configs():
    """Each shipped train config's result with the reference, trained when first asked for."""
    results = {}

    def result(name: str):
        if name not in results:
            values = read_config(ROOT / "configs" / name)
            results[name] = train(resolve_settings(values, {"reference": True}))
        return results[name]

    return result


@pytest.fixture(scope="module")
def weighted_csv(tmp_path_factory):
    """Two features, a 0/1 label and a weight column of 1 to 3 (120 rows)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    weight = rng.integers(1, 4, size=120)
    csv = tmp_path_factory.mktemp("weighted") / "weighted.csv"
    rows = [f"{a:.4f},{b:.4f},{w},{label}" for (a, b), w, label in zip(X, weight, y, strict=True)]
    csv.write_text("a,b,w,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return csv


def standardised_weights(result):
    """Our model's weights W (d, K) and intercepts (K,) on the standardised features."""
    estimator = result.pipeline.estimator
    W_T, b = estimator.standardizer_.to_standardised_units(estimator.coef_, estimator.intercept_)
    return W_T.T, b


# --------------------------------------------------------------------------- the shipped configs


def test_the_train_configs_are_found():
    assert {"quickstart.toml", "iris-softmax.toml", "sparse-l1.toml", *NOTES} < set(TRAIN_CONFIGS)
    assert "iris-ovr-compare.toml" not in TRAIN_CONFIGS


@pytest.mark.parametrize("name", TRAIN_CONFIGS)
def test_every_shipped_config_reaches_the_sklearn_optimum_or_says_why_not(configs, name):
    result = configs(name)
    reference = result.metrics.reference
    if name in NOTES:
        assert reference == NoReference(NOTES[name])
        return
    assert isinstance(reference, Reference)
    assert result.metrics.status == "converged"
    assert reference.warning is None
    assert abs(reference.relative_gap) < GAP
    # the same predictions: our metrics, our estimator and scikit-learn's
    assert reference.cetrain.train_accuracy == result.metrics.train.accuracy
    assert reference.sklearn.train_accuracy == reference.cetrain.train_accuracy
    assert reference.sklearn.test_accuracy == reference.cetrain.test_accuracy


def test_binary_quickstart_matches_an_independent_sklearn_fit(configs):
    result = configs("quickstart.toml")
    reference = result.metrics.reference
    n, l2 = result.metrics.n_train, result.settings.l2
    assert reference.sklearn_params == {
        "solver": "lbfgs",
        "C": 1 / (l2 * n),
        "l1_ratio": 0.0,
        "tol": 1e-10,
        "max_iter": 10_000,
        "n_iter": reference.sklearn_params["n_iter"],
    }
    assert reference.relative_gap < 1e-8
    assert reference.max_coef_difference < 1e-3
    assert reference.max_intercept_difference < 1e-4
    assert reference.coef_units == "standardised"
    # our objective at our weights: the mean log loss of metrics.json plus the penalty
    W, _ = standardised_weights(result)
    expected = result.metrics.train.log_loss + l2 / 2 * np.sum(W**2)
    assert reference.cetrain.objective == pytest.approx(expected, rel=1e-12)
    # scikit-learn fitted here, on StandardScaler's features (the unweighted standardisation),
    # from its documented objective C sum_i l_i + ||w||^2 / 2 with C = 1 / (l2 n)
    Z = StandardScaler().fit_transform(result.pipeline.transform(result.X_train))
    own = SkLogisticRegression(C=1 / (l2 * n), tol=1e-10, max_iter=10_000).fit(Z, result.y_train)
    own_objective = log_loss(result.y_train, own.predict_proba(Z)) + l2 / 2 * np.sum(own.coef_**2)
    assert reference.sklearn.objective == pytest.approx(own_objective, rel=1e-9)
    assert reference.cetrain.test_accuracy == result.metrics.test.accuracy == 0.96


def test_softmax_on_three_classes(configs):
    result = configs("iris-softmax.toml")
    reference = result.metrics.reference
    assert result.pipeline.estimator.coef_.shape == (3, 4)
    assert reference.sklearn_params["solver"] == "lbfgs"
    assert reference.sklearn_params["C"] == pytest.approx(1 / (0.001 * 105))
    assert reference.relative_gap < 1e-8
    assert reference.max_coef_difference < 1e-3
    assert reference.max_intercept_difference < 1e-3
    assert (reference.cetrain.train_accuracy, reference.cetrain.test_accuracy) == (103 / 105, 1.0)


def test_l1_uses_saga_and_reaches_the_same_lasso(configs):
    result = configs("sparse-l1.toml")
    reference = result.metrics.reference
    assert reference.sklearn_params["solver"] == "saga"
    assert reference.sklearn_params["l1_ratio"] == 1.0
    assert reference.sklearn_params["C"] == pytest.approx(1 / (0.05 * result.metrics.n_train))
    assert reference.relative_gap < 1e-10
    assert reference.max_coef_difference < 1e-5
    assert result.metrics.zero_coefficients == 16


def test_elastic_net_splits_the_strength_into_c_and_l1_ratio():
    result = run(data="sparse", l1=0.02, l2=0.01)
    reference = result.metrics.reference
    assert reference.sklearn_params["solver"] == "saga"
    assert reference.sklearn_params["l1_ratio"] == pytest.approx(2 / 3)
    assert reference.sklearn_params["C"] == pytest.approx(1 / (0.03 * result.metrics.n_train))
    assert abs(reference.relative_gap) < GAP
    assert reference.max_coef_difference < 1e-4


def test_class_weights_are_sample_weights_for_sklearn(configs):
    result = configs("default-balanced.toml")
    reference = result.metrics.reference
    # the weights passed are scaled to mean 1, so C is 1 / (l2 n) as without weights
    n = result.metrics.n_train
    assert reference.sklearn_params["C"] == pytest.approx(1 / (0.001 * n))
    assert abs(reference.relative_gap) < GAP
    assert reference.max_coef_difference < 1e-3


def test_a_weight_column_and_class_weights_together(weighted_csv):
    result = run(data=str(weighted_csv), weight_col="w", class_weight={"1": 2.5})
    reference = result.metrics.reference
    assert isinstance(reference, Reference)
    assert abs(reference.relative_gap) < GAP
    assert reference.max_coef_difference < 1e-3
    # the row weights matter: scikit-learn fitted without them is worse by our objective
    dataset = result.dataset
    *_, w_train, _ = train_test_split(
        dataset.X, dataset.y, test_size=0.25, seed=0, sample_weight=dataset.sample_weight
    )
    estimator, X_train = result.pipeline.estimator, result.pipeline.transform(result.X_train)
    objective = estimator.training_objective(X_train, result.y_train, w_train)
    assert objective.value(objective.pack(*standardised_weights(result))) == pytest.approx(
        reference.cetrain.objective, rel=1e-12
    )
    unweighted = estimator_reference.fit_sklearn(estimator, X_train, result.y_train)
    at_unweighted = objective.value(objective.pack(unweighted.coef.T, unweighted.intercept))
    assert at_unweighted > reference.sklearn.objective * (1 + 1e-3)


@pytest.mark.parametrize("l1", [0.0, 0.01])
def test_two_class_softmax_is_the_binary_fit_with_half_the_l2(l1):
    result = run(data="moons", model="softmax", n_samples=80, l2=0.01, l1=l1)
    reference = result.metrics.reference
    assert result.pipeline.estimator.coef_.shape == (2, 2)
    strength = 0.01 / 2 + l1
    assert reference.sklearn_params["C"] == pytest.approx(1 / (strength * 60))
    assert reference.sklearn_params["l1_ratio"] == pytest.approx(l1 / strength)
    assert abs(reference.relative_gap) < 1e-9
    assert reference.max_coef_difference < 1e-4
    assert reference.max_intercept_difference < 1e-4


# --------------------------------------------------------------------------- no reference


@pytest.mark.parametrize(
    ("values", "note"),
    [
        (
            {"loss": "mse"},
            "scikit-learn's LogisticRegression minimises cross-entropy; it has no 'mse' loss",
        ),
        (
            {"loss": "hinge"},
            "scikit-learn's LogisticRegression minimises cross-entropy; it has no 'hinge' loss",
        ),
        (
            {"loss": "symmetric-cross-entropy"},
            "scikit-learn's LogisticRegression minimises cross-entropy; it has no "
            "'symmetric-cross-entropy' loss",
        ),
        (
            {"label_smoothing": 0.1},
            "scikit-learn's LogisticRegression has no label smoothing",
        ),
        (
            {"model": "multilabel"},
            "scikit-learn's LogisticRegression fits one logistic or softmax model, not a "
            "multilabel model (one-vs-rest sigmoids)",
        ),
    ],
    ids=["mse", "hinge", "sce", "smoothing", "one-vs-rest"],
)
def test_what_sklearn_has_not_gets_a_note(values, note):
    result = run(data="line", test_size=0, epochs=50, **values)
    assert result.metrics.reference == NoReference(note)
    assert result.metrics.to_dict()["reference"] == {"note": note}


def test_soft_targets_get_a_note(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    P = np.exp(X @ [[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    P = np.round(P / P.sum(axis=1, keepdims=True), 4)
    P[:, 2] = 1 - P[:, 0] - P[:, 1]  # rows that sum to 1 as written
    csv = tmp_path / "soft.csv"
    rows = [",".join(f"{v:.4f}" for v in row) for row in np.column_stack([X, P])]
    csv.write_text("x1,x2,a,b,c\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = run(data=str(csv), target="a,b,c", epochs=50)
    assert result.settings.model == "softmax"
    assert result.metrics.reference == NoReference(
        "scikit-learn's LogisticRegression takes class labels, not probability targets "
        "(soft targets)"
    )


# --------------------------------------------------------------------------- metrics.json


def test_metrics_json_holds_the_reference(configs, tmp_path):
    result = configs("exam.toml")  # no test rows, no penalty
    out = write_run(result, tmp_path / "run")
    written = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["reference"]
    reference = result.metrics.reference
    assert written == {
        "cetrain": {
            "objective": reference.cetrain.objective,
            "train_accuracy": 0.8,
            "test_accuracy": None,
        },
        "scikit-learn": {
            "objective": reference.sklearn.objective,
            "train_accuracy": 0.8,
            "test_accuracy": None,
            "solver": "lbfgs",
            "C": None,  # inf: no penalty
            "l1_ratio": 0.0,
            "tol": 1e-10,
            "max_iter": 10_000,
            "n_iter": reference.sklearn_params["n_iter"],
        },
        "relative_gap": reference.relative_gap,
        "max_coef_difference": reference.max_coef_difference,
        "max_intercept_difference": reference.max_intercept_difference,
        "coef_units": "standardised",
        "warning": None,
    }
    assert reference.sklearn_params["C"] == math.inf
    assert abs(written["relative_gap"]) < GAP


def test_metrics_json_has_no_reference_unless_asked_for():
    result = train(resolve_settings({"data": "line", "test_size": 0}))
    assert result.metrics.reference is None
    assert "reference" not in result.metrics.to_dict()


# --------------------------------------------------------------------------- sklearn's warning


def test_sklearn_not_converging_is_reported_not_raised(configs, monkeypatch):
    result = configs("iris-softmax.toml")
    monkeypatch.setitem(estimator_reference.MAX_ITER, "lbfgs", 2)
    estimator = result.pipeline.estimator
    X_train = result.pipeline.transform(result.X_train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reference = sklearn_reference(estimator, X_train, result.y_train)
    assert reference.warning.startswith("lbfgs failed to converge after 2 iteration(s)")
    assert reference.sklearn_params["n_iter"] == 2
    assert reference.relative_gap < -1e-3  # ours is the better solution now
    assert reference.cetrain.test_accuracy is None
