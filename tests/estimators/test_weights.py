"""Weighted fits against scikit-learn's definitions.

The rule the README states: with w_i = sample weight x class weight of the row's label, the fit
minimises sum_i w_i l_i / sum_i w_i + (l2/2)||W||^2 on features standardised with the
w-weighted mean and (population) scale. That is scikit-learn's LogisticRegression on the same
standardised features with C = 1 / (l2 sum_i w_i), its class weights and sample weights. The
class weights, the weighted standardisation and the penalty are computed here with NumPy and
scikit-learn, never with cetrain.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import breast_cancer_rows
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from cetrain import LogisticRegression, MultiLabelRegression, SoftmaxRegression

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
TIGHT = {"tol": 1e-10, "max_iter": 100_000}  # ours: stop at a gradient norm of 1e-10


def sklearn_fit(X, y, weight, l2):
    """scikit-learn's LogisticRegression, with sample weights `weight`, on X standardised with
    the weighted mean and population scale of `weight`, C = 1 / (l2 sum(weight)); coef_ and
    intercept_ mapped back to X's units."""
    mean = np.average(X, axis=0, weights=weight)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weight))
    model = SklearnLogisticRegression(C=1 / (l2 * weight.sum()), tol=1e-12, max_iter=100_000)
    model.fit((X - mean) / scale, y, sample_weight=weight)
    coef = model.coef_ / scale
    return coef, model.intercept_ - coef @ mean


def sample_weight(n, seed):
    return np.random.default_rng(seed).uniform(0.2, 3.0, size=n)


@pytest.fixture(scope="module")
def default_data():
    """default.csv (the ISLR `Default` data): student (0/1), balance, income; 7% default."""
    frame = pd.read_csv(DATASETS / "default.csv").dropna()
    X = np.column_stack(
        [(frame["student"] == "Yes").astype(float), frame["balance"], frame["income"]]
    )
    return X, frame["default"].to_numpy()


@pytest.fixture(scope="module")
def breast_cancer_subset():
    return breast_cancer_rows(150, 8, seed=0)


def test_balanced_class_weights_count_the_classes_with_the_sample_weights(default_data):
    X, y = default_data
    weight = sample_weight(len(y), seed=4)
    l2 = 1e-3
    model = LogisticRegression(class_weight="balanced", l2=l2, **TIGHT)
    model.fit(X, y, sample_weight=weight)
    # scikit-learn's rule: n_k is the summed sample weight of class k, n the total weight
    classes = np.unique(y)
    class_weight = compute_class_weight("balanced", classes=classes, y=y, sample_weight=weight)
    assert class_weight[1] > 5 * class_weight[0]  # 7% defaults: the rule matters here
    w = weight * class_weight[np.searchsorted(classes, y)]
    coef, intercept = sklearn_fit(X, y, w, l2)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6)
    # and scikit-learn's own class_weight="balanced" with the sample weights, on the same features
    mean = np.average(X, axis=0, weights=w)
    scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
    reference = SklearnLogisticRegression(
        C=1 / (l2 * w.sum()), class_weight="balanced", tol=1e-12, max_iter=100_000
    ).fit((X - mean) / scale, y, sample_weight=weight)
    np.testing.assert_allclose(model.coef_ * scale, reference.coef_, rtol=1e-6)


@pytest.mark.parametrize(
    ("estimator", "dataset", "class_weight"),
    [
        (LogisticRegression, "breast_cancer", {0: 3.0, 1: 0.5}),
        (LogisticRegression, "breast_cancer", None),
        (SoftmaxRegression, "iris", {0: 1.0, 1: 2.5, 2: 0.7}),
    ],
)
def test_a_weighted_fit_is_sklearns_on_features_standardised_with_the_weights(
    estimator, dataset, class_weight, breast_cancer_subset
):
    X, y = breast_cancer_subset if dataset == "breast_cancer" else load_iris(return_X_y=True)
    weight = sample_weight(len(y), seed=5)
    l2 = 0.01
    model = estimator(class_weight=class_weight, l2=l2, **TIGHT).fit(X, y, sample_weight=weight)
    w = weight if class_weight is None else weight * np.array([class_weight[k] for k in y])
    coef, intercept = sklearn_fit(X, y, w, l2)
    # 1e-6 relative to the largest coefficient: both optimisers stop near, not at, the optimum
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-6 * np.abs(coef).max())
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6, atol=1e-6)


def test_each_label_of_a_multilabel_fit_is_its_own_logistic_regression():
    frame = pd.read_csv(DATASETS / "genres.csv")
    labels = ["electronic", "rock", "pop"]
    X, Y = frame.drop(columns=labels).to_numpy(), frame[labels].to_numpy()
    weight = sample_weight(len(Y), seed=6)
    l2 = 0.01
    model = MultiLabelRegression(l2=l2, **TIGHT).fit(X, Y, sample_weight=weight, classes=labels)
    for k in range(len(labels)):
        coef, intercept = sklearn_fit(X, Y[:, k], weight, l2)
        np.testing.assert_allclose(model.coef_[k], coef[0], rtol=1e-6)
        np.testing.assert_allclose(model.intercept_[k], intercept[0], rtol=1e-6)
        alone = LogisticRegression(l2=l2, **TIGHT).fit(X, Y[:, k], sample_weight=weight)
        np.testing.assert_allclose(model.coef_[k], alone.coef_[0], rtol=1e-6)
    # the loss it reports is still PyTorch's BCEWithLogitsLoss: the mean over rows and labels
    S = X @ model.coef_.T + model.intercept_
    bce = np.logaddexp(0, S) - Y * S
    assert model.history_.train_loss[-1] == pytest.approx(
        np.average(bce.mean(axis=1), weights=weight), rel=1e-9
    )


OVR_L2 = 0.01


@pytest.fixture(scope="module")
def one_vs_rest_iris():
    """A MultiLabelRegression fit one-vs-rest on iris's labels, and scikit-learn's
    LogisticRegression fit to each class's column (coef (C, d), intercept (C,))."""
    X, y = load_iris(return_X_y=True)
    model = MultiLabelRegression(l2=OVR_L2, **TIGHT).fit(X, y)
    fits = [sklearn_fit(X, y == k, np.ones(len(y)), OVR_L2) for k in model.classes_]
    coef = np.vstack([coef for coef, _ in fits])
    intercept = np.concatenate([intercept for _, intercept in fits])
    return X, model, coef, intercept


def test_each_one_vs_rest_sigmoid_is_its_own_logistic_regression(one_vs_rest_iris):
    _, model, coef, intercept = one_vs_rest_iris
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6)


def test_one_vs_rest_probabilities_are_the_normalised_sigmoids(one_vs_rest_iris):
    X, model, coef, intercept = one_vs_rest_iris
    # iris row 0 (a setosa), with scikit-learn's per-class fits: P_k = sigma(s_k) / sum_j sigma(s_j)
    sigmoids = 1.0 / (1.0 + np.exp(-(X[0] @ coef.T + intercept)))
    expected = sigmoids / sigmoids.sum()
    probabilities = model.predict_proba(X[:1])[0]
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5)
    assert 0.90 < probabilities[0] < 0.91  # a softmax of the same scores gives 0.998
    # and from the model's own coef_ and intercept_, on every row, to rounding
    sigmoids = 1.0 / (1.0 + np.exp(-(X @ model.coef_.T + model.intercept_)))
    np.testing.assert_allclose(
        model.predict_proba(X), sigmoids / sigmoids.sum(axis=1, keepdims=True), rtol=1e-13
    )


def test_one_vs_rest_class_weights_weigh_each_row_by_its_label():
    X, y = load_iris(return_X_y=True)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    weighted = MultiLabelRegression(class_weight=class_weight, l2=0.01, **TIGHT).fit(X, y)
    rows = MultiLabelRegression(l2=0.01, **TIGHT).fit(
        X, y, sample_weight=np.array([class_weight[k] for k in y])
    )
    np.testing.assert_allclose(weighted.coef_, rows.coef_, rtol=1e-9)


# a fit of one or two epochs is all these need: its warning that it did not converge is expected
SHORT_FIT = pytest.mark.filterwarnings("ignore::cetrain.errors.ConvergenceWarning")


@SHORT_FIT
def test_the_validation_loss_of_a_class_weighted_fit_is_the_weighted_mean():
    X, y = load_iris(return_X_y=True)
    train, val = np.arange(len(y)) % 3 != 0, np.arange(len(y)) % 3 == 0
    class_weight = {0: 1.0, 1: 4.0, 2: 0.5}
    model = SoftmaxRegression(class_weight=class_weight, max_iter=2, tol=0.0)
    model.fit(X[train], y[train], validation_data=(X[val], y[val]))
    # epoch 0, zero weights: every probability is 1/3, so any weighted mean of -log p is log 3
    # (weights divided by n instead of their sum would give log 3 x mean(w), a different value
    # for any scale of these class weights but the one of mean 1)
    assert model.history_.val_loss[0] == pytest.approx(np.log(3), rel=1e-15)
    # the last epoch, whose weights fit returned: sum_i w_i l_i / sum_i w_i by hand
    S = X[val] @ model.coef_.T + model.intercept_
    per_row = np.log(np.exp(S).sum(axis=1)) - S[np.arange(len(S)), y[val]]
    w = np.array([class_weight[k] for k in y[val]])
    assert model.history_.val_loss[-1] == pytest.approx(np.sum(w * per_row) / w.sum(), rel=1e-12)


@SHORT_FIT
@pytest.mark.parametrize(
    ("estimator", "y", "sample_weight", "expected"),
    [
        # n = 6, C = 3, n_k = (3, 2, 1): 6 / (3 n_k)
        (SoftmaxRegression, [0, 0, 0, 1, 1, 2], None, [2 / 3, 1.0, 2.0]),
        # with sample weights, n_k sums them: n = 7, n_k = (4, 2, 1)
        (SoftmaxRegression, [0, 0, 0, 1, 1, 2], [1, 1, 2, 1, 1, 1], [7 / 12, 7 / 6, 7 / 3]),
        # n = 5, C = 2, n_k = (4, 1)
        (LogisticRegression, [0, 0, 0, 0, 1], None, [5 / 8, 5 / 2]),
    ],
)
def test_balanced_class_weights_are_n_over_c_n_k(estimator, y, sample_weight, expected):
    y = np.array(y)
    X = np.arange(len(y), dtype=float)[:, None]
    model = estimator(class_weight="balanced", max_iter=1).fit(X, y, sample_weight=sample_weight)
    # the weights the loss is configured with (cross-entropy takes class weights itself)
    loss = model.training_objective(X, y, sample_weight).loss
    np.testing.assert_allclose(loss.class_weight, expected, rtol=1e-15)
