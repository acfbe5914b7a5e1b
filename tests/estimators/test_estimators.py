"""Tests for estimators: scikit-learn parity, original units, the estimator API and errors.

The references are scikit-learn's LogisticRegression optimum (same objective, computed the same
way for both), sklearn's StandardScaler and metrics, and Wikipedia's maximum-likelihood fit of
datasets/exam.csv.
"""

import contextlib
import csv
import json
import math
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import sklearn.exceptions
from conftest import DEFAULT_SETTINGS_TOML
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.preprocessing import StandardScaler

from cetrain import LogisticRegression, SoftmaxRegression
from cetrain.core.losses import LOSS_NAMES
from cetrain.errors import ConfigError, ConvergenceWarning, DataError

EXAM_CSV = Path(__file__).resolve().parents[2] / "datasets" / "exam.csv"
IRIS_NAMES = np.array(["setosa", "versicolor", "virginica"])


@pytest.fixture(scope="module")
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def exam():
    with EXAM_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    hours = np.array([[float(row["hours"])] for row in rows])
    passed = np.array([int(row["passed"]) for row in rows])
    return hours, passed


@pytest.fixture(scope="module")
def small_binary(breast_cancer):
    """80 rows and 5 raw features of breast_cancer: quick fits that still need standardising."""
    X, y = breast_cancer
    rows = np.random.default_rng(0).choice(len(y), size=80, replace=False)
    return X[rows, :5], y[rows]


def fit_quietly(model, *args, **kwargs):
    """model.fit(...), failing on a ConvergenceWarning (sklearn's, or ours, its subclass)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", sklearn.exceptions.ConvergenceWarning)
        return model.fit(*args, **kwargs)


def penalised_objective(model, X, y, C):
    """Mean log loss + ||coef||^2 / (2 C n): sklearn's objective divided by C n."""
    n = X.shape[0]
    return log_loss(y, model.predict_proba(X), labels=model.classes_) + np.sum(model.coef_**2) / (
        2 * C * n
    )


# --- parity with scikit-learn's optimum, with the library's default settings -----------------


@pytest.mark.parametrize(
    ("dataset", "estimator"),
    [("breast_cancer", LogisticRegression), ("iris", SoftmaxRegression)],
)
def test_reaches_sklearn_optimum_with_default_settings(dataset, estimator, request):
    X, y = request.getfixturevalue(dataset)
    X = StandardScaler().fit_transform(X)
    C, n = 1.0, X.shape[0]
    reference = fit_quietly(SklearnLogisticRegression(C=C, tol=1e-10, max_iter=10_000), X, y)
    assert reference.n_iter_[0] < 10_000
    model = fit_quietly(estimator(l2=1 / (C * n)), X, y)
    assert model.status_ == "converged"
    expected = penalised_objective(reference, X, y, C)
    assert penalised_objective(model, X, y, C) == pytest.approx(expected, rel=1e-6)
    assert model.coef_.shape == reference.coef_.shape
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-3)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-3)


# --- original units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "estimator"),
    [("breast_cancer", LogisticRegression), ("iris", SoftmaxRegression)],
)
def test_standardised_fit_on_raw_data_is_reported_in_original_units(dataset, estimator, request):
    X, y = request.getfixturevalue(dataset)
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    raw = fit_quietly(estimator(l2=0.01), X, y)
    pre = fit_quietly(estimator(l2=0.01), Z, y)
    np.testing.assert_allclose(raw.predict_proba(X), pre.predict_proba(Z), rtol=0, atol=1e-9)
    np.testing.assert_allclose(raw.decision_function(X), pre.decision_function(Z), atol=1e-9)
    # x . coef + b = z . (coef * scale) + (b + coef . mean) with z = (x - mean) / scale
    np.testing.assert_allclose(raw.coef_ * scaler.scale_, pre.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        raw.intercept_ + raw.coef_ @ scaler.mean_, pre.intercept_, rtol=0, atol=1e-9
    )


def test_standardizer_is_the_population_standardisation(breast_cancer):
    X, y = breast_cancer
    model = fit_quietly(LogisticRegression(l2=0.01), X, y)
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(model.standardizer_.mean_, scaler.mean_, rtol=1e-14)
    np.testing.assert_allclose(model.standardizer_.scale_, scaler.scale_, rtol=1e-14)


@pytest.mark.parametrize("standardize", [True, False])
def test_unpenalised_fit_on_exam_is_the_maximum_likelihood_fit(exam, standardize):
    hours, passed = exam
    reference = fit_quietly(
        SklearnLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000), hours, passed
    )
    model = fit_quietly(LogisticRegression(l2=0.0, standardize=standardize), hours, passed)
    assert model.status_ == "converged"
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-4)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-4)
    # Wikipedia, "Logistic regression", the hours-of-study example
    np.testing.assert_allclose(model.coef_, [[1.5046]], rtol=0, atol=1e-3)
    np.testing.assert_allclose(model.intercept_, [-4.0777], rtol=0, atol=1e-3)


# --- labels, probabilities, predictions, shapes ------------------------------------------------


def test_string_labels_and_sorted_classes(iris):
    X, y = iris
    order = np.array([2, 0, 1])  # names given out of order: "virginica" for class 0, ...
    labels = IRIS_NAMES[order][y]
    model = fit_quietly(SoftmaxRegression(l2=0.01), X, labels)
    np.testing.assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    assert model.predict(X).dtype.kind == "U"
    assert model.score(X, labels) > 0.95


def test_binary_string_labels(small_binary):
    X, y = small_binary
    labels = np.where(y == 1, "benign", "malignant")
    model = fit_quietly(LogisticRegression(l2=0.01), X, labels)
    np.testing.assert_array_equal(model.classes_, ["benign", "malignant"])
    # P(classes_[1]) = sigmoid(score): the column of "malignant" follows the score
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-model.decision_function(X))))


@pytest.mark.parametrize(
    ("dataset", "estimator"),
    [("small_binary", LogisticRegression), ("iris", SoftmaxRegression)],
)
def test_predict_proba_columns_follow_classes(dataset, estimator, request):
    # the same penalised optimum as sklearn with labels out of alphabetical order: the
    # probabilities must match column by column (sklearn's columns follow its sorted classes_)
    X, y = request.getfixturevalue(dataset)
    X = StandardScaler().fit_transform(X)
    names = np.array(["zebra", "ant", "moth"])[: len(np.unique(y))]
    labels = names[y]
    reference = fit_quietly(SklearnLogisticRegression(tol=1e-10, max_iter=10_000), X, labels)
    model = fit_quietly(estimator(l2=1 / X.shape[0]), X, labels)
    np.testing.assert_array_equal(model.classes_, reference.classes_)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, reference.predict_proba(X), rtol=0, atol=1e-4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(proba, axis=1)])


def test_shapes_and_decision_function(small_binary, iris):
    X, y = small_binary
    binary = fit_quietly(LogisticRegression(l2=0.01), X, y)
    assert binary.coef_.shape == (1, 5)
    assert binary.intercept_.shape == (1,)
    assert binary.decision_function(X).shape == (80,)
    assert binary.predict_proba(X).shape == (80, 2)
    np.testing.assert_allclose(
        binary.decision_function(X), X @ binary.coef_[0] + binary.intercept_[0], rtol=1e-12
    )
    X, y = iris
    softmax = fit_quietly(SoftmaxRegression(l2=0.01), X, y)
    assert softmax.coef_.shape == (3, 4)
    assert softmax.intercept_.shape == (3,)
    assert softmax.decision_function(X).shape == (150, 3)
    assert softmax.predict_proba(X).shape == (150, 3)
    np.testing.assert_allclose(
        softmax.decision_function(X), X @ softmax.coef_.T + softmax.intercept_, rtol=1e-12
    )
    assert softmax.n_features_in_ == 4


@pytest.mark.parametrize(
    ("dataset", "estimator"),
    [("small_binary", LogisticRegression), ("iris", SoftmaxRegression)],
)
def test_score_is_accuracy(dataset, estimator, request):
    X, y = request.getfixturevalue(dataset)
    model = fit_quietly(estimator(l2=0.05), X, y)
    assert model.score(X, y) == accuracy_score(y, model.predict(X))
    assert 0.8 < model.score(X, y) < 1.0  # a real fit, not a trivial one


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        LogisticRegression().predict([[0.0]])


# --- history, callback, validation loss --------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "estimator", "n_classes"),
    [("small_binary", LogisticRegression, 2), ("iris", SoftmaxRegression, 3)],
)
def test_history(dataset, estimator, n_classes, request):
    X, y = request.getfixturevalue(dataset)
    model = fit_quietly(estimator(l2=0.01), X, y)
    assert set(model.history_) == {"train_loss", "grad_norm"}
    for values in model.history_.values():
        assert len(values) == model.n_iter_ + 1
    # epoch 0 is the zero initialisation: every class has probability 1 / C
    assert model.history_["train_loss"][0] == pytest.approx(math.log(n_classes), rel=1e-15)
    # the last entry is the loss of the returned model, without the penalty
    assert model.history_["train_loss"][-1] == pytest.approx(
        log_loss(y, model.predict_proba(X)), rel=1e-10
    )
    assert model.history_["grad_norm"][-1] <= model.tol < model.history_["grad_norm"][-2]


@pytest.mark.parametrize(
    ("dataset", "estimator", "n_classes"),
    [("small_binary", LogisticRegression, 2), ("iris", SoftmaxRegression, 3)],
)
def test_validation_loss(dataset, estimator, n_classes, request):
    X, y = request.getfixturevalue(dataset)
    half = X.shape[0] // 2
    rows = np.random.default_rng(1).permutation(X.shape[0])
    train, val = rows[:half], rows[half:]
    model = fit_quietly(estimator(l2=0.01), X[train], y[train], validation_data=(X[val], y[val]))
    validation_keys = {"val_loss", "val_log_loss", "val_accuracy"}
    assert set(model.history_) == {"train_loss", "grad_norm"} | validation_keys
    for key in validation_keys:
        assert len(model.history_[key]) == model.n_iter_ + 1
    assert model.history_["val_loss"][0] == pytest.approx(math.log(n_classes), rel=1e-15)
    final_log_loss = log_loss(y[val], model.predict_proba(X[val]), labels=model.classes_)
    assert model.history_["val_loss"][-1] == pytest.approx(final_log_loss, rel=1e-10)
    assert model.history_["val_log_loss"] == model.history_["val_loss"]  # trained on log loss
    assert model.history_["val_accuracy"][-1] == accuracy_score(y[val], model.predict(X[val]))


def test_mse_model_records_validation_log_loss_and_accuracy_on_the_shared_scale(iris):
    X, y = iris
    rows = np.random.default_rng(2).permutation(X.shape[0])
    train, val = rows[:90], rows[90:]
    model = fit_quietly(
        SoftmaxRegression(loss="mse", l2=0.01, max_iter=200),
        X[train],
        y[train],
        validation_data=(X[val], y[val]),
    )
    history = model.history_
    # epoch 0 (zero weights): p = 1/3 everywhere, accuracy = the share of the first class
    assert history["val_log_loss"][0] == pytest.approx(math.log(3), rel=1e-15)
    assert history["val_loss"][0] == pytest.approx(2 / 3, rel=1e-15)
    assert history["val_log_loss"][-1] == pytest.approx(
        log_loss(y[val], model.predict_proba(X[val]), labels=model.classes_), rel=1e-10
    )
    assert history["val_loss"][-1] == pytest.approx(
        brier_score_loss(y[val], model.predict_proba(X[val]), labels=model.classes_), rel=1e-10
    )
    assert history["val_accuracy"][-1] == accuracy_score(y[val], model.predict(X[val]))


def test_record_params_keeps_every_epochs_weights_in_original_units(small_binary):
    X, y = small_binary
    model = fit_quietly(LogisticRegression(l2=0.01), X, y, record_params=True)
    assert len(model.history_["coef"]) == len(model.history_["intercept"]) == model.n_iter_ + 1
    np.testing.assert_array_equal(model.history_["coef"][0], np.zeros((1, X.shape[1])))
    np.testing.assert_array_equal(model.history_["coef"][-1], model.coef_)
    np.testing.assert_array_equal(model.history_["intercept"][-1], model.intercept_)
    # each epoch's weights reproduce that epoch's recorded training loss
    epoch = 7
    scores = X @ model.history_["coef"][epoch][0] + model.history_["intercept"][epoch][0]
    targets = (np.asarray(y) == model.classes_[1]).astype(float)
    assert model.history_["train_loss"][epoch] == pytest.approx(
        np.mean(np.logaddexp(0, scores) - targets * scores), rel=1e-9
    )


def test_callback_sees_every_epoch(iris):
    X, y = iris
    seen = []
    model = fit_quietly(SoftmaxRegression(l2=0.01), X, y, callback=lambda *args: seen.append(args))
    assert [entry[0] for entry in seen] == list(range(model.n_iter_ + 1))
    assert [entry[1] for entry in seen] == model.history_["train_loss"]
    assert [entry[2] for entry in seen] == model.history_["grad_norm"]


# --- sample weights ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "estimator"),
    [("small_binary", LogisticRegression), ("iris", SoftmaxRegression)],
)
def test_weight_two_equals_a_duplicated_row(dataset, estimator, request):
    X, y = request.getfixturevalue(dataset)
    weight = np.ones(len(y))
    weight[[3, 17]] = 2.0
    weighted = fit_quietly(estimator(l2=0.01), X, y, sample_weight=weight)
    duplicated = fit_quietly(estimator(l2=0.01), np.vstack([X, X[[3, 17]]]), np.r_[y, y[[3, 17]]])
    np.testing.assert_allclose(weighted.coef_, duplicated.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(weighted.intercept_, duplicated.intercept_, rtol=0, atol=1e-6)


def test_weighted_fit_matches_sklearn(iris):
    # sklearn minimises C sum_i w_i l_i + ||W||^2 / 2, i.e. l2 = 1 / (C sum w) for the weighted
    # mean; standardize=False so the penalty is on the same (pre-scaled) weights
    X, y = iris
    X = StandardScaler().fit_transform(X)
    weight = np.random.default_rng(2).uniform(0.2, 3.0, size=len(y))
    reference = fit_quietly(
        SklearnLogisticRegression(tol=1e-10, max_iter=10_000), X, y, sample_weight=weight
    )
    model = fit_quietly(
        SoftmaxRegression(l2=1 / weight.sum(), standardize=False, tol=1e-9),
        X,
        y,
        sample_weight=weight,
    )
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-5)


# --- stopping and warnings ---------------------------------------------------------------------


def test_max_iter_warns_and_says_what_to_change(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"limit max_iter=7 .*raise max_iter") as record:
        model = SoftmaxRegression(max_iter=7).fit(X, y)
    assert issubclass(record[0].category, sklearn.exceptions.ConvergenceWarning)
    assert model.status_ == "max_iter"
    assert model.n_iter_ == 7
    assert len(model.history_["train_loss"]) == 8
    assert model.history_["grad_norm"][-1] > model.tol


def test_divergence_warns_and_says_what_to_change(small_binary):
    X, y = small_binary
    with pytest.warns(ConvergenceWarning, match=r"diverged.*use a smaller learning_rate"):
        model = LogisticRegression(learning_rate=1e6).fit(X, y)
    assert model.status_ == "diverged"
    history = model.history_["train_loss"]
    assert history[0] == pytest.approx(math.log(2), rel=1e-15)
    assert len(history) == model.n_iter_ + 1
    # the history ends at the returned model: its last entry is that model's training loss,
    # mean(log(1 + e^s) - t s) on its scores (exact; sklearn's log_loss would clip at 1e-15)
    targets = (np.asarray(y) == model.classes_[1]).astype(float)
    scores = model.decision_function(X)
    assert history[-1] == pytest.approx(
        np.mean(np.logaddexp(0, scores) - targets * scores), rel=1e-9
    )
    assert history[-1] > 100 * math.log(2)


def test_converged_status(small_binary):
    X, y = small_binary
    model = fit_quietly(LogisticRegression(l2=0.01), X, y)
    assert model.status_ == "converged"
    assert model.n_iter_ < model.max_iter


# --- learning rate, loss, initialisation -------------------------------------------------------


def test_auto_learning_rate_is_one_over_the_lipschitz_bound(small_binary):
    X, y = small_binary
    l2 = 0.01
    model = fit_quietly(LogisticRegression(l2=l2), X, y)
    # L = (1/4) lambda_max(A^T A / n) + l2 with A = [Z, 1] on the standardised features
    Z = StandardScaler().fit_transform(X)
    A = np.column_stack([Z, np.ones(len(y))])
    L = 0.25 * np.linalg.eigvalsh(A.T @ A / len(y))[-1] + l2
    assert model.learning_rate_ == pytest.approx(1 / L, rel=1e-10)


def test_a_numeric_learning_rate_is_used_and_reaches_the_same_fit(small_binary):
    X, y = small_binary
    auto = fit_quietly(LogisticRegression(l2=0.01, tol=1e-9), X, y)
    fixed = fit_quietly(LogisticRegression(l2=0.01, tol=1e-9, learning_rate=0.3), X, y)
    assert fixed.learning_rate_ == 0.3
    assert fixed.n_iter_ != auto.n_iter_
    np.testing.assert_allclose(fixed.coef_, auto.coef_, rtol=1e-7, atol=1e-6)


def test_mse_softmax_trains_and_reports_the_brier_score(iris):
    X, y = iris
    # the default l2 = 1e-3 gives MSE on iris a finite optimum (setosa is separable)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SoftmaxRegression(loss="mse").fit(X, y)
    assert model.status_ == "converged"
    assert model.score(X, y) > 0.9
    assert model.history_["train_loss"][-1] == pytest.approx(
        brier_score_loss(y, model.predict_proba(X)), rel=1e-10
    )
    # epoch 0: p = 1/3 everywhere, (2/3)^2 + 2 (1/3)^2 = 2/3
    assert model.history_["train_loss"][0] == pytest.approx(2 / 3, rel=1e-15)


def test_mse_logistic_reports_the_brier_score(small_binary):
    X, y = small_binary
    model = fit_quietly(LogisticRegression(loss="mse", l2=0.01), X, y)
    assert model.score(X, y) > 0.8
    assert model.history_["train_loss"][-1] == pytest.approx(
        brier_score_loss(y, model.predict_proba(X)[:, 1]), rel=1e-10
    )
    assert model.history_["train_loss"][0] == pytest.approx(0.25, rel=1e-15)  # (1/2 - y)^2


@pytest.mark.parametrize(
    ("dataset", "estimator"),
    [("small_binary", LogisticRegression), ("iris", SoftmaxRegression)],
)
def test_zero_initialisation_without_random_state(dataset, estimator, request):
    X, y = request.getfixturevalue(dataset)
    with pytest.warns(ConvergenceWarning):
        model = estimator(max_iter=0).fit(X, y)
    assert not np.any(model.coef_)
    assert not np.any(model.intercept_)


@pytest.mark.parametrize(
    ("dataset", "estimator", "n_classes"),
    [("small_binary", LogisticRegression, 2), ("iris", SoftmaxRegression, 3)],
)
def test_random_state_gives_a_reproducible_small_initialisation(
    dataset, estimator, n_classes, request
):
    X, y = request.getfixturevalue(dataset)
    with pytest.warns(ConvergenceWarning):
        first = estimator(max_iter=0, random_state=3, standardize=False).fit(X, y)
        again = estimator(max_iter=0, random_state=3, standardize=False).fit(X, y)
        other = estimator(max_iter=0, random_state=4, standardize=False).fit(X, y)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    assert np.all(first.coef_ != 0) and np.all(np.abs(first.coef_) < 0.05)
    assert np.all(first.coef_ != other.coef_)
    np.testing.assert_array_equal(first.intercept_, np.zeros(1 if n_classes == 2 else 3))
    assert first.history_["train_loss"][0] != pytest.approx(math.log(n_classes), rel=1e-12)
    if n_classes > 2:
        # centred across classes: adding a vector to every class's weights changes nothing
        np.testing.assert_allclose(first.coef_.sum(axis=0), 0.0, atol=1e-16)


def test_random_state_fit_is_reproducible(iris):
    X, y = iris
    first = fit_quietly(SoftmaxRegression(l2=0.01, random_state=0), X, y)
    again = fit_quietly(SoftmaxRegression(l2=0.01, random_state=0), X, y)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    assert first.history_ == again.history_


# --- scikit-learn estimator API ----------------------------------------------------------------


def test_get_params_and_clone():
    model = SoftmaxRegression(loss="mse", learning_rate=0.5, l2=0.1, momentum=0.5, max_iter=9)
    expected = {
        "loss": "mse",
        "learning_rate": 0.5,
        "max_iter": 9,
        "tol": 1e-6,
        "l2": 0.1,
        "l1": 0.0,
        "momentum": 0.5,
        "standardize": True,
        "random_state": None,
        "class_weight": None,
        "label_smoothing": 0.0,
        "loss_options": None,
        "dtype": "float64",
    }
    assert model.get_params() == expected
    copy = clone(model)
    assert copy is not model
    assert copy.get_params() == expected
    assert copy.set_params(l2=2.0).l2 == 2.0
    assert model.l2 == 0.1


def test_clone_of_a_fitted_model_is_unfitted(small_binary):
    X, y = small_binary
    model = fit_quietly(LogisticRegression(l2=0.01), X, y)
    assert not hasattr(clone(model), "coef_")


# --- errors ------------------------------------------------------------------------------------


def raises(message: str, error: type[Exception] = DataError):
    """pytest.raises for an error (DataError by default) whose message is exactly `message`."""
    return pytest.raises(error, match=f"^{re.escape(message)}$")


X4 = np.array([[0.0], [1.0], [2.0], [3.0]])
Y4 = np.array(["a", "b", "a", "b"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"loss": "huber"},
            f"loss must be one of: {', '.join(LOSS_NAMES)}; got 'huber'",
        ),
        ({"l2": -1}, "l2 must be a finite number in [0, 1e6]; got -1"),
        ({"l2": np.inf}, "l2 must be a finite number in [0, 1e6]; got inf"),
        ({"momentum": 1}, "momentum must be a finite number in [0, 1); got 1"),
        ({"momentum": 1.5}, "momentum must be a finite number in [0, 1); got 1.5"),
        ({"momentum": -0.1}, "momentum must be a finite number in [0, 1); got -0.1"),
        (
            {"learning_rate": "fast"},
            "learning_rate must be a number in (0, 1e6] or \"auto\"; got 'fast'",
        ),
        ({"learning_rate": 0}, 'learning_rate must be a number in (0, 1e6] or "auto"; got 0'),
        ({"learning_rate": -0.1}, 'learning_rate must be a number in (0, 1e6] or "auto"; got -0.1'),
        (
            {"learning_rate": np.nan},
            'learning_rate must be a number in (0, 1e6] or "auto"; got nan',
        ),
        ({"max_iter": -1}, "max_iter must be an integer in [0, 1000000]; got -1"),
        ({"max_iter": 2.5}, "max_iter must be an integer in [0, 1000000]; got 2.5"),
        ({"tol": -1e-3}, "tol must be a finite number >= 0; got -0.001"),
    ],
)
@pytest.mark.parametrize("estimator", [LogisticRegression, SoftmaxRegression])
def test_bad_parameters(estimator, params, message):
    with raises(message, ConfigError):
        estimator(**params).fit(X4, Y4)


def test_boolean_max_iter_is_rejected():
    with raises("max_iter must be an integer in [0, 1000000]; got True", ConfigError):
        LogisticRegression(max_iter=True).fit(X4, Y4)


def test_one_class():
    with raises("a classifier needs at least 2 classes; got 1 class (a)"):
        SoftmaxRegression().fit(X4, ["a"] * 4)
    with raises("a classifier needs at least 2 classes; got 1 class (a)"):
        LogisticRegression().fit(X4, ["a"] * 4)


def test_three_classes_for_logistic_regression():
    with raises(
        "Only binary classification is supported. Logistic regression needs exactly 2 "
        "classes; the labels have 3 (a, b, c); "
        "use softmax regression for more"
    ):
        LogisticRegression().fit(np.arange(6.0)[:, None], ["a", "b", "c", "a", "b", "c"])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_features(bad):
    X = X4.copy()
    X[1, 0] = bad
    message = "X contains NaN or infinite values; drop or fill them first"
    with raises(message):
        LogisticRegression().fit(X, Y4)
    model = fit_quietly(LogisticRegression(l2=0.1), X4, Y4)
    with raises(message):
        model.predict(X)


def test_bad_feature_arrays():
    with raises(
        "X must be a 2-D array (n_samples, n_features); got shape (4,). Reshape your data: "
        "X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a single sample"
    ):
        LogisticRegression().fit(X4[:, 0], Y4)
    with raises(
        "Found X with 0 sample(s) (shape=(0, 1)) while a minimum of 1 is required by "
        "LogisticRegression."
    ):
        LogisticRegression().fit(np.zeros((0, 1)), [])
    with raises(
        "Found X with 0 feature(s) (shape=(4, 0)) while a minimum of 1 is required by "
        "LogisticRegression."
    ):
        LogisticRegression().fit(np.zeros((4, 0)), Y4)
    with raises("Complex data not supported: X holds complex values"):
        LogisticRegression().fit(X4 + 1j, Y4)
    with raises("sparse X is not supported; pass a dense array (X.toarray())"):
        LogisticRegression().fit(scipy.sparse.csr_matrix(X4), Y4)
    with raises("X must be numeric: could not convert string to float: 'x'"):
        LogisticRegression().fit([["x"], ["y"], ["z"], ["w"]], Y4)


def test_wrong_number_of_features_at_predict():
    model = fit_quietly(LogisticRegression(l2=0.1), X4, Y4)
    for method in (model.predict, model.predict_proba, model.decision_function):
        with raises("X has 2 features, but LogisticRegression is expecting 1 features as input"):
            method(np.zeros((3, 2)))


def test_bad_labels():
    with raises("y must have one label per row (4); got shape (3,)"):
        LogisticRegression().fit(X4, Y4[:3])
    with raises("y contains NaN or infinite labels"):
        LogisticRegression().fit(X4, [0.0, 1.0, np.nan, 1.0])
    with raises("a classifier requires y to be passed, but the target y is None"):
        LogisticRegression().fit(X4, None)
    with raises(
        "Unknown label type: continuous. y holds numbers with fractions; a classifier needs "
        "class labels (integers or strings)"
    ):
        LogisticRegression().fit(X4, [0.5, 1.0, 0.0, 1.0])


def test_a_column_of_labels_is_flattened_with_a_warning():
    with pytest.warns(
        sklearn.exceptions.DataConversionWarning,
        match="A column-vector y was passed when a 1d array was expected",
    ):
        model = LogisticRegression(l2=0.1).fit(X4, np.asarray(Y4)[:, None])
    reference = LogisticRegression(l2=0.1).fit(X4, Y4)
    np.testing.assert_array_equal(model.coef_, reference.coef_)


def test_bad_sample_weight():
    with raises("sample_weight must be finite and >= 0"):
        LogisticRegression().fit(X4, Y4, sample_weight=[1, 1, -1, 1])
    with raises("sample_weight must not be all zero"):
        LogisticRegression().fit(X4, Y4, sample_weight=[0, 0, 0, 0])
    with raises("sample_weight must have shape (4,), one weight per sample; got (2,)"):
        LogisticRegression().fit(X4, Y4, sample_weight=[1, 1])


def test_unknown_validation_classes():
    with raises("y_val has classes not seen in training: c, d; the classes are a, b"):
        LogisticRegression().fit(X4, Y4, validation_data=(X4, ["a", "c", "d", "a"]))
    with raises("X_val has 2 features, but LogisticRegression is expecting 1 features as input"):
        LogisticRegression().fit(X4, Y4, validation_data=(np.zeros((4, 2)), Y4))


@pytest.mark.parametrize("estimator", [LogisticRegression, SoftmaxRegression])
def test_defaults_are_the_documented_ones(estimator):
    # README's parameter table, and the command line's defaults (tests/conftest.py)
    assert estimator().get_params() == {
        "loss": "cross-entropy",
        "learning_rate": "auto",
        "max_iter": DEFAULT_SETTINGS_TOML["epochs"],
        "tol": DEFAULT_SETTINGS_TOML["tol"],
        "l2": DEFAULT_SETTINGS_TOML["l2"],
        "l1": 0.0,
        "momentum": DEFAULT_SETTINGS_TOML["momentum"],
        "standardize": True,
        "random_state": None,
        "class_weight": None,
        "label_smoothing": 0.0,
        "loss_options": None,
        "dtype": "float64",
    }


# --- L1 and elastic net --------------------------------------------------------------------------


@pytest.mark.parametrize(("C", "l1_ratio"), [(0.1, 1.0), (1.0, 0.5)])
def test_l1_and_elastic_net_reach_sklearns_saga_optimum(breast_cancer, C, l1_ratio):
    # scikit-learn's objective C sum_i loss_i + l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2,
    # divided by C n, is the mean loss + l1 ||w||_1 + (l2/2) ||w||^2 with these strengths
    X, y = breast_cancer
    X = StandardScaler().fit_transform(X)  # both penalise the same (standardised) weights
    n = len(y)
    sk = SklearnLogisticRegression(
        C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12, max_iter=100_000
    ).fit(X, y)
    ours = fit_quietly(
        LogisticRegression(l1=l1_ratio / (C * n), l2=(1 - l1_ratio) / (C * n), tol=1e-8), X, y
    )

    def objective(model):
        w = model.coef_.ravel()
        penalty = l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * np.sum(w**2)
        return log_loss(y, model.predict_proba(X)) + penalty / (C * n)

    assert objective(ours) == pytest.approx(objective(sk), rel=1e-8)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-3)
    # the same coefficients are exactly zero
    np.testing.assert_array_equal(ours.coef_ == 0, sk.coef_ == 0)
    assert (ours.coef_ == 0).sum() > 0


def test_l1_zeroes_the_irrelevant_features():
    # 3 informative features among 15: y depends on x0, x1, x2 only
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 15))
    logits = 2.0 * X[:, 0] - 1.5 * X[:, 1] + 1.0 * X[:, 2]
    y = (rng.random(400) < 1 / (1 + np.exp(-logits))).astype(int)
    model = fit_quietly(LogisticRegression(l1=0.05, l2=0.0), X, y)
    nonzero = np.flatnonzero(model.coef_[0])
    assert set(nonzero) == {0, 1, 2}
    dense = fit_quietly(LogisticRegression(l1=0.0, l2=0.0), X, y)
    assert np.count_nonzero(dense.coef_) == 15


def test_l1_history_ends_at_the_model_and_counts_the_penalty(small_binary):
    X, y = small_binary
    model = fit_quietly(LogisticRegression(l1=0.01, l2=0.0), X, y)
    targets = (np.asarray(y) == model.classes_[1]).astype(float)
    scores = model.decision_function(X)
    # train_loss is the data loss alone: the penalty is not in it
    assert model.history_["train_loss"][-1] == pytest.approx(
        np.mean(np.logaddexp(0, scores) - targets * scores), rel=1e-9
    )


def test_labels_are_found_among_classes_named_in_column_order():
    # a 2-D target's classes keep their columns' order, which need not be sorted
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    scores = np.column_stack([X[:, 0], X[:, 1], -X[:, 0]])
    P = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    model = SoftmaxRegression().fit(X, P, classes=["c", "a", "b"])
    labels = np.array(["c", "a", "b"])[np.argmax(P, axis=1)]
    assert list(model.classes_) == ["c", "a", "b"]
    np.testing.assert_array_equal(model.class_index(labels), np.argmax(P, axis=1))
    assert model.score(X, labels) == np.mean(model.predict(X) == labels)
    with pytest.raises(
        DataError, match=r"^y has classes not seen in training: d; the classes are c, a, b$"
    ):
        model.class_index(np.array(["a", "d"]))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_in_any_case_is_the_automatic_step():
    reference = LogisticRegression(max_iter=3).fit(X4, Y4)
    for spelling in ("AUTO", " Auto "):
        model = LogisticRegression(learning_rate=spelling, max_iter=3).fit(X4, Y4)
        assert model.learning_rate_ == reference.learning_rate_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_history_is_typed_and_still_reads_as_a_mapping():
    model = LogisticRegression(max_iter=4).fit(X4, Y4, validation_data=(X4, Y4))
    history = model.history_
    assert len(history.train_loss) == len(history.grad_norm) == model.n_iter_ + 1
    assert history["val_accuracy"] is history.val_accuracy
    assert list(history) == ["train_loss", "grad_norm", "val_loss", "val_log_loss", "val_accuracy"]
    assert "coef" not in history and history.coef is None
    assert history.to_dict() == {key: getattr(history, key) for key in history}
    json.dumps(history.to_dict())  # plain lists of floats


def test_a_convergence_warning_pickles():
    warning = pickle.loads(pickle.dumps(ConvergenceWarning("stopped at max_iter")))
    assert type(warning) is ConvergenceWarning
    assert str(warning) == "stopped at max_iter"


@pytest.mark.parametrize("loss", ["cross-entropy", "mse", "focal"])
def test_row_losses_are_each_rows_term_of_the_mean_loss(loss):
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxRegression(loss=loss, max_iter=30, class_weight={0: 3.0}).fit(X, y)
    rows = model.row_losses(X, y)
    assert rows.shape == (150,)
    assert rows.mean() == pytest.approx(model.mean_loss(X, y), rel=1e-12)
    # cross-entropy of each row, unweighted: -log P(true class), as sklearn's log_loss sums it
    P = model.predict_proba(X)
    np.testing.assert_allclose(model.row_losses(X, y, "cross-entropy"), -np.log(P[range(150), y]))
    if loss == "cross-entropy":  # class 0 weighs 3: its rows' terms, over the mean weight 5/3
        weight = np.where(y == 0, 3.0, 1.0)
        np.testing.assert_allclose(rows, -np.log(P[range(150), y]) * weight / weight.mean())
        assert log_loss(y, P, sample_weight=weight) == pytest.approx(rows.mean(), rel=1e-10)


# --- float32 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "data"), [(LogisticRegression, "breast_cancer"), (SoftmaxRegression, "iris")]
)
def test_float32_fit_reaches_the_float64_loss(estimator, data, request):
    X, y = request.getfixturevalue(data)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    double = fit_quietly(estimator(), X, y, sample_weight=weight)
    single = fit_quietly(estimator(dtype="float32"), X, y, sample_weight=weight)
    assert single.history_.train_loss[-1] == pytest.approx(double.history_.train_loss[-1], rel=1e-5)
    assert single.coef_.dtype == np.float64 and single.intercept_.dtype == np.float64
    np.testing.assert_allclose(single.coef_, double.coef_, rtol=1e-3, atol=1e-3)
    assert single.training_objective(X, y).X.dtype == np.float32


def test_float32_refuses_features_beyond_its_range():
    X = np.array([[0.0], [1e39], [2.0], [3.0]])
    with raises("X has values beyond float32's range (about 3.4e+38); train in dtype='float64'"):
        LogisticRegression(dtype="float32").fit(X, [0, 1, 0, 1])
    with raises("dtype must be one of: float64, float32; got 'float16'", ConfigError):
        LogisticRegression(dtype="float16").fit(X, [0, 1, 0, 1])


class _FakeClock:
    """time.perf_counter for cetrain.estimators.cores: each reading advances 1 s while the
    objective's evaluations run on one thread ("blas") and `blocks` s while they share their
    blocks ("blocks"), so the trials' timings say which way is faster."""

    def __init__(self, blocks: float) -> None:
        self.blocks, self.now, self.objective = blocks, 0.0, None

    def perf_counter(self) -> float:
        self.now += 1.0 if self.objective.threads == 1 else self.blocks
        return self.now


@pytest.mark.parametrize(("blocks_seconds", "chosen"), [(0.5, "blocks"), (2.0, "blas")])
def test_a_fit_on_the_faster_way_of_using_the_cores_is_the_one_core_fit(
    breast_cancer, monkeypatch, blocks_seconds, chosen
):
    import cetrain.core.objective
    import cetrain.estimators.cores as cores

    # blocks of 64 rows, so that breast_cancer's 569 make 9 and a fit can share them
    monkeypatch.setattr(cetrain.core.objective, "BLOCK_BYTES", 1)
    X, y = breast_cancer
    limits = []

    class Controller:
        def limit(self, **kwargs):
            limits.append(kwargs)
            return contextlib.nullcontext()

    monkeypatch.setattr(cores, "_blas_controller", Controller)
    clock = _FakeClock(blocks_seconds)
    monkeypatch.setattr(cores, "time", clock)
    made = []
    real_core_use = cores.CoreUse.__init__

    def recorded_init(self, objective, threads=None):
        clock.objective = objective
        real_core_use(self, objective, threads)
        made.append(self)

    monkeypatch.setattr(cores.CoreUse, "__init__", recorded_init)
    fits = {}
    for threads in (1, 2):
        monkeypatch.setattr(cores, "THREADS", threads)
        with warnings.catch_warnings():  # 30 epochs do not converge, and say so
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits[threads] = LogisticRegression(max_iter=30).fit(X, y)
    one_core, shared = made
    assert one_core.chosen == "blas" and one_core.seconds == {"blas": np.inf, "blocks": np.inf}
    # the two-core fit timed TRIALS evaluations each way, then kept the faster
    assert shared.chosen == chosen
    assert shared.seconds == {"blas": 1.0, "blocks": blocks_seconds}
    trials_on_blocks = cores.TRIALS + (chosen == "blocks")
    assert limits == [{"limits": 1, "user_api": "blas"}] * trials_on_blocks
    assert shared.objective.threads == 1  # left as it was
    np.testing.assert_array_equal(fits[2].coef_, fits[1].coef_)
    assert fits[2].history_.train_loss == fits[1].history_.train_loss
