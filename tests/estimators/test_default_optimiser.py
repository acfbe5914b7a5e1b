"""The estimators' default optimiser: Nesterov momentum in the metric of the majoriser
M = c A^T D A + l2 I_W (cetrain.core.optim), when it applies, and
today's fixed steps when it does not: what it is chosen for, that its safe step lowers the
objective, that it reaches the plain-gradient-descent optimum, and that its statuses are honest.
"""

import warnings

import numpy as np
import pytest
from conftest import breast_cancer_rows
from sklearn.datasets import load_iris

import cetrain.estimators.linear
from cetrain import LogisticRegression, MultiLabelRegression, SoftmaxRegression
from cetrain.core.optim import gradient_descent


@pytest.fixture(scope="module")
def binary():
    return breast_cancer_rows(150, 8, seed=3)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def fit_quietly(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **fit_params)


def preconditioner_used(monkeypatch, model, X, y, **fit_params):
    """The `precondition` that fit passed to gradient_descent (None: today's fixed steps)."""
    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs["precondition"])
        return gradient_descent(*args, **kwargs)

    monkeypatch.setattr(cetrain.estimators.linear, "gradient_descent", spy)
    fit_quietly(model, X, y, **fit_params)
    (precondition,) = seen
    return precondition


@pytest.mark.parametrize(
    "params, preconditioned",
    [
        ({}, True),  # the default: lr auto, momentum 0.99
        ({"momentum": 0.5, "loss": "focal"}, True),
        ({"momentum": 0.0}, False),  # plain gradient descent, the teaching path
        ({"learning_rate": 0.1}, False),  # a hand-set step stays fixed
        ({"l1": 0.01}, False),  # FISTA: the soft threshold needs a diagonal metric
        ({"loss": "hinge"}, False),  # subgradient steps
    ],
)
def test_which_runs_use_the_preconditioned_steps(monkeypatch, binary, params, preconditioned):
    X, y = binary
    used = preconditioner_used(monkeypatch, LogisticRegression(max_iter=5, **params), X, y)
    assert (used is not None) == preconditioned


def test_momentum_zero_is_plain_gradient_descent_with_the_one_over_l_step(binary):
    X, y = binary
    model = fit_quietly(LogisticRegression(momentum=0.0, l2=0.01, max_iter=30, tol=0.0), X, y)
    objective = model.training_objective(X, y)
    plain = gradient_descent(
        objective.value_and_grad,
        np.zeros(objective.n_params),
        learning_rate=1.0 / objective.lipschitz_bound(),
        max_iter=30,
        tol=0.0,
    )
    # fit's Gram matrix came from the Standardizer's pass, this objective's from a pass of its
    # own: the same matrix to rounding
    assert model.learning_rate_ == pytest.approx(1.0 / objective.lipschitz_bound(), rel=1e-13)
    np.testing.assert_allclose(model.history_.grad_norm, plain.grad_norm, rtol=1e-12)
    assert np.all(np.diff(plain.objective) <= 0)  # 1/L never goes uphill


@pytest.mark.parametrize(
    "estimator, params",
    [
        (LogisticRegression, {}),
        (LogisticRegression, {"loss": "mse"}),
        (SoftmaxRegression, {}),
        (SoftmaxRegression, {"loss": "focal"}),
        (MultiLabelRegression, {}),
    ],
)
def test_the_majorisers_step_lowers_the_objective(monkeypatch, iris, estimator, params):
    # M majorises the Hessian, so f(theta - P g) <= f(theta) - (1/2) g^T P g at any theta
    X, y = iris
    if estimator is LogisticRegression:
        X, y = X[y > 0], y[y > 0]
    weight = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
    model = estimator(l2=0.01, max_iter=3, **params)
    precondition = preconditioner_used(monkeypatch, model, X, y, sample_weight=weight)
    objective = model.training_objective(X, y, sample_weight=weight)
    rng = np.random.default_rng(1)
    for scale in (0.1, 1.0, 5.0):
        theta = rng.normal(0.0, scale, size=objective.n_params)
        grad = np.empty_like(theta)
        value = objective.value_and_grad(theta, grad)
        direction = np.empty_like(theta)
        precondition(grad, direction)
        assert objective.value(theta - direction) <= value - 0.5 * grad @ direction + 1e-12


def standardised_theta(model, objective):
    """The fitted model's parameters in the objective's (standardised) coordinates."""
    W, b = model.standardizer_.to_standardised_units(model.coef_, model.intercept_)
    return objective.pack(W.T, b)


def test_the_default_reaches_the_plain_gradient_descent_optimum(iris):
    # both stop at ||grad|| <= 1e-9 of an objective that is strongly convex with modulus at
    # least l2 = 0.05, so each is within 2e-8 of the minimiser and f within 1e-17 of its minimum
    X, y = iris
    fast = fit_quietly(SoftmaxRegression(l2=0.05, tol=1e-9), X, y)
    plain = fit_quietly(SoftmaxRegression(l2=0.05, tol=1e-9, max_iter=50_000, momentum=0.0), X, y)
    assert (fast.status_, plain.status_) == ("converged", "converged")
    assert fast.n_iter_ < plain.n_iter_ / 5
    objective = fast.training_objective(X, y)
    fast_theta, plain_theta = (standardised_theta(m, objective) for m in (fast, plain))
    assert objective.value(fast_theta) == pytest.approx(objective.value(plain_theta), rel=1e-12)
    np.testing.assert_allclose(fast_theta, plain_theta, rtol=0, atol=4e-8)
    np.testing.assert_allclose(fast.predict_proba(X), plain.predict_proba(X), atol=1e-6)


def test_statuses_are_those_of_the_true_gradient(iris):
    X, y = iris
    short = fit_quietly(SoftmaxRegression(max_iter=4), X, y)
    assert (short.status_, short.n_iter_, len(short.history_.train_loss)) == ("max_iter", 4, 5)
    done = fit_quietly(SoftmaxRegression(tol=1e-5), X, y)
    assert done.status_ == "converged"
    # the recorded gradient norm is the Euclidean norm of the true gradient at the returned
    # coefficients, the first of the run at most tol
    objective = done.training_objective(X, y)
    theta = standardised_theta(done, objective)
    grad = np.empty_like(theta)
    objective.value_and_grad(theta, grad)
    assert np.linalg.norm(grad) == pytest.approx(done.history_.grad_norm[-1], rel=1e-6)
    assert done.history_.grad_norm[-1] <= 1e-5 < min(done.history_.grad_norm[:-1])
