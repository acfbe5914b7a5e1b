"""Tests for estimators.reference: the mapping of our objective onto scikit-learn's
LogisticRegression, checked against scikit-learn's documented objective

    C sum_i s_i l_i + r ||W||_1 + (1 - r) / 2 ||W||_F^2

evaluated here with sklearn.metrics.log_loss, at arbitrary weights (not only at an optimum)."""

import math
import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.metrics import log_loss

from cetrain import LogisticRegression, MultiLabelRegression, SoftmaxRegression
from cetrain.data import load_dataset
from cetrain.errors import ConfigError
from cetrain.estimators.reference import fit_sklearn, no_reference_reason, sklearn_params


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def sklearn_objective(Z, y, weight, W, b, C, l1_ratio):
    """scikit-learn's documented objective at W (d, K), b (K,): K = 1 is the binary model."""
    S = Z @ W + b
    if W.shape[1] == 1:
        p1 = 1 / (1 + np.exp(-S[:, 0]))
        proba = np.column_stack([1 - p1, p1])
    else:
        proba = np.exp(S - S.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
    data = log_loss(y, proba, sample_weight=weight, normalize=False)
    penalty = l1_ratio * np.abs(W).sum() + (1 - l1_ratio) / 2 * np.sum(W**2)
    return C * data + penalty


@pytest.mark.parametrize(
    ("l2", "l1", "weight_sum", "expected"),
    [
        (0.01, 0.0, 200, {"solver": "lbfgs", "C": 0.5, "l1_ratio": 0.0}),
        (0.0, 0.05, 100, {"solver": "saga", "C": 0.2, "l1_ratio": 1.0}),
        (0.03, 0.01, 50, {"solver": "saga", "C": 0.5, "l1_ratio": 0.25}),
        (0.0, 0.0, 50, {"solver": "lbfgs", "C": math.inf, "l1_ratio": 0.0}),
    ],
)
def test_sklearn_params(l2, l1, weight_sum, expected):
    assert sklearn_params(l2, l1, weight_sum) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("estimator", "rows"),
    [
        (LogisticRegression(l2=0.03, l1=0.01, class_weight={0: 3.0}, max_iter=5), slice(0, 100)),
        (SoftmaxRegression(l2=0.02, l1=0.005, class_weight="balanced", max_iter=5), slice(20, 150)),
    ],
    ids=["binary", "softmax"],
)
def test_sklearns_objective_is_ours_divided_by_the_penalty_strength(estimator, rows, iris):
    X, y = iris[0][rows], iris[1][rows]
    weight = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # five epochs: only the standardisation is wanted
        estimator.fit(X, y, sample_weight=weight)
    objective = estimator.training_objective(X, y, weight)
    # w_i = sample weight x class weight: {0: 3}, or "balanced", n / (C n_k) with n and n_k
    # counted in sample weights, as scikit-learn counts them
    counts = np.bincount(y, weights=weight)
    class_weight = (
        np.where(y == 0, 3.0, 1.0) if len(counts) == 2 else weight.sum() / (3 * counts[y])
    )
    w = weight * class_weight
    params = sklearn_params(estimator.l2, estimator.l1, w.sum())
    rng = np.random.default_rng(2)
    for _ in range(3):  # at arbitrary weights, not only at an optimum
        theta = rng.normal(size=objective.n_params)
        W, b = objective.unpack(theta)
        Z = estimator.standardizer_.transform(X)
        expected = sklearn_objective(Z, y, w, W, b, params["C"], params["l1_ratio"])
        strength = estimator.l1 + estimator.l2
        assert objective.value(theta) / strength == pytest.approx(expected, rel=1e-12)


def test_two_class_softmax_is_the_binary_model_with_half_the_l2(iris):
    X, y = iris[0][:100], iris[1][:100]
    softmax = SoftmaxRegression(l2=0.04, l1=0.01, max_iter=1)
    binary = LogisticRegression(l2=0.02, l1=0.01, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch: only the standardisation is wanted
        two_rows = softmax.fit(X, y).training_objective(X, y)
        one_row = binary.fit(X, y).training_objective(X, y)
    rng = np.random.default_rng(3)
    beta, c = rng.normal(size=(4, 1)), rng.normal(size=1)
    split = two_rows.value(two_rows.pack(np.hstack([-beta / 2, beta / 2]), np.r_[-c / 2, c / 2]))
    assert split == pytest.approx(one_row.value(one_row.pack(beta, c)), rel=1e-12)
    # any other split of beta between the rows has the same scores and a larger penalty
    for shift in rng.normal(size=(3, 4, 1)):
        other = np.hstack([-beta / 2 + shift, beta / 2 + shift])
        assert two_rows.value(two_rows.pack(other, np.r_[-c / 2, c / 2])) > split


def test_two_class_softmax_reference_has_two_opposite_rows(iris):
    X, y = iris[0][:100], iris[1][:100]
    model = SoftmaxRegression(l2=0.04).fit(X, y)
    fit = fit_sklearn(model, X, y)
    assert fit.params["C"] == pytest.approx(1 / (0.02 * 100))
    assert fit.coef.shape == (2, 4)
    np.testing.assert_array_equal(fit.coef[0], -fit.coef[1])
    np.testing.assert_array_equal(fit.intercept[0], -fit.intercept[1])
    np.testing.assert_array_equal(fit.coef[1] * 2, fit.model.coef_[0])
    W_T, _ = model.standardizer_.to_standardised_units(model.coef_, model.intercept_)
    np.testing.assert_allclose(W_T, fit.coef, rtol=0, atol=1e-4)


def test_l1_zeroes_the_same_coefficients_as_ours():
    data = load_dataset("sparse")
    model = LogisticRegression(l1=0.05, l2=0.0).fit(data.X, data.y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation (penalty=) and no convergence warning
        fit = fit_sklearn(model, data.X, data.y)
    assert fit.params == {
        "solver": "saga",
        "C": pytest.approx(1 / (0.05 * 400)),
        "l1_ratio": 1.0,
        "tol": 1e-10,
        "max_iter": 100_000,
    }
    assert fit.warning is None
    ours = model.coef_[0] != 0
    np.testing.assert_array_equal(fit.coef[0] != 0, ours)
    assert [name for name, kept in zip(data.feature_names, ours, strict=True) if kept] == [
        "x3",
        "x8",
        "x13",
        "x17",
    ]


@pytest.mark.parametrize(
    ("estimator", "reason"),
    [
        (LogisticRegression(), None),
        (SoftmaxRegression(class_weight="balanced"), None),
        (
            LogisticRegression(loss="focal"),
            "scikit-learn's LogisticRegression minimises cross-entropy; it has no 'focal' loss",
        ),
        (
            SoftmaxRegression(loss_options={"label_smoothing": 0.1}),
            "scikit-learn's LogisticRegression has no label smoothing",
        ),
        (
            MultiLabelRegression(),
            "scikit-learn's LogisticRegression fits one logistic or softmax model, not a "
            "multilabel model (one-vs-rest sigmoids)",
        ),
    ],
    ids=["logistic", "weighted softmax", "focal", "smoothing option", "one-vs-rest"],
)
def test_no_reference_reason(estimator, reason, iris):
    X, y = iris
    if isinstance(estimator, LogisticRegression):
        X, y = X[:100], y[:100]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 20 epochs are enough to know the model
        estimator.set_params(max_iter=20).fit(X, y)
    assert no_reference_reason(estimator) == reason
    if reason is not None:
        with pytest.raises(ConfigError, match=f"^{re.escape(reason)}$"):
            fit_sklearn(estimator, X, y)
