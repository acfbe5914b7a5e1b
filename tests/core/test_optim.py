"""Tests for core.optim.gradient_descent on quadratics whose minimiser and steps are known."""

import numpy as np
import pytest

from cetrain.core.optim import (
    DIVERGENCE_FACTOR,
    OSCILLATION_SHARE,
    Descent,
    MajoriserInverse,
    _no_progress,
    gradient_descent,
    oscillated,
    trajectory,
    uphill_epochs,
)


def quadratic(A, minimiser):
    """f(x) = 1/2 (x - m)^T A (x - m), gradient A (x - m), written into grad_out."""
    A, minimiser = np.asarray(A, dtype=float), np.asarray(minimiser, dtype=float)

    def fun(x, grad_out):
        r = x - minimiser
        np.matmul(A, r, out=grad_out)
        return 0.5 * float(r @ grad_out)

    return fun


def half_squared_norm(x, grad_out):
    """f(x) = ||x||^2 / 2, gradient x."""
    grad_out[:] = x
    return 0.5 * float(x @ x)


# An ill-conditioned quadratic: eigenvalues 1 and 100, minimiser (1, -2, 3).
ILL = np.diag([1.0, 10.0, 100.0])
MINIMISER = np.array([1.0, -2.0, 3.0])


def test_plain_steps_by_hand():
    # f = ||x||^2 / 2 with step 1/2 halves x each epoch: x = (2, -4), (1, -2), (1/2, -1), ...
    # f = 10, 2.5, 0.625, 0.15625 and ||grad|| = ||x|| = sqrt(20), sqrt(5), sqrt(5)/2, sqrt(5)/4
    result = gradient_descent(
        half_squared_norm, np.array([2.0, -4.0]), learning_rate=0.5, max_iter=3, tol=0.0
    )
    assert result.status == "max_iter"
    assert not result.converged
    assert result.n_iter == 3
    assert result.objective == [10.0, 2.5, 0.625, 0.15625]
    np.testing.assert_allclose(result.grad_norm, np.sqrt(20) / 2.0 ** np.arange(4), rtol=1e-15)
    np.testing.assert_array_equal(result.theta, [0.25, -0.5])


def test_nesterov_steps_by_hand():
    # f = ||x||^2 / 2, step 1/2, momentum 1/2, x_0 = y_0 = (2, -4):
    #   epoch 0: grad (2, -4); x_1 = y_0 - grad/2 = (1, -2); step (-1, 2) goes downhill
    #            (grad . step = -10), so y_1 = x_1 + step/2 = (0.5, -1): f = 0.625
    #   epoch 1: grad (0.5, -1); x_2 = (0.25, -0.5); step x_2 - x_1 = (-0.75, 1.5);
    #            grad . step = -1.875, so y_2 = x_2 + step/2 = (-0.125, 0.25): f = 0.0390625
    result = gradient_descent(
        half_squared_norm,
        np.array([2.0, -4.0]),
        learning_rate=0.5,
        max_iter=2,
        tol=0.0,
        momentum=0.5,
    )
    assert result.objective == [10.0, 0.625, 0.0390625]
    np.testing.assert_array_equal(result.theta, [-0.125, 0.25])


def test_momentum_restarts_when_a_step_goes_uphill():
    # f = x^2 / 2, step 0.9, momentum 0.9, x_0 = y_0 = 1 (the gradient at y is y):
    #   epoch 0: y_0 = 1; x_1 = 1 - 0.9 = 0.1; step -0.9, grad . step = -0.9 < 0 (downhill):
    #            y_1 = 0.1 + 0.9 (-0.9) = -0.71, past the minimum: momentum overshoots
    #   epoch 1: y_1 = -0.71; x_2 = -0.71 + 0.639 = -0.071; step x_2 - x_1 = -0.171,
    #            grad . step = (-0.71)(-0.171) = 0.12141 > 0 (uphill): restart, y_2 = x_2 = -0.071
    #            (without the restart y_2 = -0.071 + 0.9 (-0.171) = -0.2249)
    #   epoch 2: y_2 = -0.071; x_3 = -0.0071; step 0.0639, grad . step < 0: momentum again,
    #            y_3 = -0.0071 + 0.9 (0.0639) = 0.05041
    points = []
    result = gradient_descent(
        half_squared_norm,
        np.array([1.0]),
        learning_rate=0.9,
        max_iter=3,
        tol=0.0,
        momentum=0.9,
        callback=lambda epoch, theta, value, grad_norm: points.append(theta[0]),
    )
    np.testing.assert_allclose(points, [1.0, -0.71, -0.071, 0.05041], rtol=1e-13)
    np.testing.assert_allclose(
        result.objective, [0.5, 0.71**2 / 2, 0.071**2 / 2, 0.05041**2 / 2], rtol=1e-13
    )


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_converges_to_the_minimiser(momentum):
    result = gradient_descent(
        quadratic(ILL, MINIMISER),
        np.zeros(3),
        learning_rate=1 / 100,
        max_iter=10_000,
        tol=1e-10,
        momentum=momentum,
    )
    assert result.status == "converged"
    assert result.converged
    # ||A (x - m)|| <= 1e-10 and the smallest eigenvalue is 1: ||x - m|| <= 1e-10
    np.testing.assert_allclose(result.theta, MINIMISER, rtol=0, atol=1e-10)
    assert result.grad_norm[-1] <= 1e-10
    assert result.grad_norm[-2] > 1e-10  # it stopped at the first point below tol


def test_momentum_needs_fewer_epochs_on_an_ill_conditioned_problem():
    # plain gradient descent contracts by 1 - 1/100 per epoch along the flat direction
    # (about 2300 epochs to 1e-10); Nesterov momentum is much faster
    runs = [
        gradient_descent(
            quadratic(ILL, MINIMISER),
            np.zeros(3),
            learning_rate=1 / 100,
            max_iter=10_000,
            tol=1e-10,
            momentum=momentum,
        )
        for momentum in (0.0, 0.9)
    ]
    assert runs[0].n_iter > 2000
    assert runs[1].n_iter < runs[0].n_iter / 4


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_history_has_one_entry_per_evaluation(momentum):
    calls = []

    def fun(x, grad_out):
        calls.append(x.copy())
        return quadratic(ILL, MINIMISER)(x, grad_out)

    theta0 = np.array([5.0, 5.0, 5.0])
    result = gradient_descent(
        fun, theta0, learning_rate=1 / 100, max_iter=40, tol=0.0, momentum=momentum
    )
    assert result.n_iter == 40
    assert len(result.objective) == len(result.grad_norm) == result.n_iter + 1 == len(calls)
    # epoch 0 is the starting point
    np.testing.assert_array_equal(calls[0], theta0)
    r = theta0 - MINIMISER
    assert result.objective[0] == 0.5 * r @ ILL @ r
    assert result.grad_norm[0] == pytest.approx(np.linalg.norm(ILL @ r), rel=1e-15)
    # and every entry is f and ||grad f|| at the point that was evaluated
    for x, value, norm in zip(calls, result.objective, result.grad_norm, strict=True):
        assert value == pytest.approx(0.5 * (x - MINIMISER) @ ILL @ (x - MINIMISER), rel=1e-14)
        assert norm == pytest.approx(np.linalg.norm(ILL @ (x - MINIMISER)), rel=1e-14)


def test_max_iter_status_and_zero_iterations():
    fun = quadratic(ILL, MINIMISER)
    result = gradient_descent(fun, np.zeros(3), learning_rate=1 / 100, max_iter=5, tol=1e-10)
    assert (result.status, result.n_iter, len(result.objective)) == ("max_iter", 5, 6)
    result = gradient_descent(fun, np.zeros(3), learning_rate=1 / 100, max_iter=0, tol=1e-10)
    # f(0) = (1 * 1^2 + 10 * 2^2 + 100 * 3^2) / 2
    assert (result.status, result.n_iter, result.objective) == ("max_iter", 0, [941 / 2])
    np.testing.assert_array_equal(result.theta, np.zeros(3))


def test_starting_at_the_minimiser_converges_at_epoch_zero():
    fun = quadratic(ILL, MINIMISER)
    result = gradient_descent(fun, MINIMISER, learning_rate=1.0, max_iter=10, tol=0.0)
    assert (result.status, result.n_iter, result.objective, result.grad_norm) == (
        "converged",
        0,
        [0.0],
        [0.0],
    )


def test_divergence_returns_the_last_recorded_point():
    # f = (x^2 + 2.2 y^2) / 2 with step 1: x goes to 0 at once (factor 1 - 1 = 0), y grows by a
    # factor 1 - 2.2 = -1.2 each epoch, so f grows by 1.44 per epoch until it passes
    # DIVERGENCE_FACTOR * f(epoch 0). That last evaluation is recorded and returned, so the
    # history ends at the returned parameters.
    fun = quadratic(np.diag([1.0, 2.2]), [0.0, 0.0])
    result = gradient_descent(fun, np.array([10.0, 0.01]), learning_rate=1.0, max_iter=500, tol=0)
    assert result.status == "diverged"
    assert not result.converged
    np.testing.assert_allclose(
        result.theta, [0.0, 0.01 * (-1.2) ** result.n_iter], rtol=1e-12, atol=0
    )
    assert result.objective[0] == pytest.approx(50 + 1.1e-4, rel=1e-14)
    assert result.objective[-1] == pytest.approx(1.1 * result.theta[1] ** 2, rel=1e-12)
    assert result.objective[-1] > DIVERGENCE_FACTOR * result.objective[0]
    assert max(result.objective[:-1]) <= DIVERGENCE_FACTOR * result.objective[0]
    assert len(result.objective) == len(result.grad_norm) == result.n_iter + 1


def test_a_too_large_step_diverges():
    # on ||x||^2 / 2 a step of 3 maps x to -2x: f grows 4x per epoch
    result = gradient_descent(
        half_squared_norm, np.array([1.0, 1.0]), learning_rate=3.0, max_iter=100, tol=1e-8
    )
    assert result.status == "diverged"
    # f = 4^k; 4^5 = 1024 > 1000 = DIVERGENCE_FACTOR * f(0): epoch 5 is the last one
    assert result.objective == [1.0, 4.0, 16.0, 64.0, 256.0, 1024.0]
    np.testing.assert_array_equal(result.theta, [-32.0, -32.0])


def test_non_finite_objective_is_divergence():
    def fun(x, grad_out):
        grad_out[:] = x
        return float(np.inf) if x[0] < 0.5 else 0.5 * float(x @ x)

    result = gradient_descent(fun, np.array([1.0]), learning_rate=0.75, max_iter=10, tol=0.0)
    # x = 1 (f = 0.5), then 0.25 where f is inf (not recorded): diverged, back at x = 1
    assert (result.status, result.n_iter, result.objective) == ("diverged", 0, [0.5])
    np.testing.assert_array_equal(result.theta, [1.0])


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_callback_once_per_evaluation(momentum):
    seen = []

    def callback(epoch, theta, value, grad_norm):
        seen.append((epoch, theta.copy(), value, grad_norm))

    result = gradient_descent(
        quadratic(ILL, MINIMISER),
        np.zeros(3),
        learning_rate=1 / 100,
        max_iter=10_000,
        tol=1e-6,
        momentum=momentum,
        callback=callback,
    )
    assert result.status == "converged"
    assert [entry[0] for entry in seen] == list(range(result.n_iter + 1))
    assert [entry[2] for entry in seen] == result.objective
    assert [entry[3] for entry in seen] == result.grad_norm
    np.testing.assert_array_equal(seen[0][1], np.zeros(3))
    np.testing.assert_array_equal(seen[-1][1], result.theta)


def test_theta0_is_not_modified():
    theta0 = np.array([4.0, -4.0, 4.0])
    before = theta0.copy()
    result = gradient_descent(
        quadratic(ILL, MINIMISER), theta0, learning_rate=1 / 100, max_iter=50, tol=0, momentum=0.9
    )
    np.testing.assert_array_equal(theta0, before)
    assert result.theta is not theta0


def test_integer_theta0_is_promoted_to_float():
    result = gradient_descent(
        half_squared_norm, np.array([3, -1]), learning_rate=0.5, max_iter=1, tol=0.0
    )
    np.testing.assert_array_equal(result.theta, [1.5, -0.5])
    assert result.theta.dtype == np.float64


# --- proximal steps (L1) ---------------------------------------------------------------------


def soft_threshold(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_proximal_descent_solves_a_lasso_with_a_known_answer(momentum):
    # f = ||theta - a||^2 / 2 and h = lam ||theta||_1: the minimiser is soft_threshold(a, lam)
    a, lam = np.array([3.0, -0.2, 0.5, -2.0]), 0.4

    def fun(theta, grad_out):
        grad_out[:] = theta - a
        return 0.5 * float(np.sum((theta - a) ** 2))

    def prox(theta, step):
        theta[:] = soft_threshold(theta, step * lam)

    result = gradient_descent(
        fun,
        np.zeros(4),
        learning_rate=0.5,
        max_iter=500,
        tol=1e-12,
        momentum=momentum,
        prox=prox,
        penalty=lambda theta: lam * float(np.abs(theta).sum()),
    )
    assert result.status == "converged"
    np.testing.assert_allclose(result.theta, [2.6, 0.0, 0.1, -1.6], atol=1e-12)
    assert result.theta[1] == 0.0  # exactly zero, not merely small
    expected = 0.5 * (0.4**2 + 0.2**2 + 0.4**2 + 0.4**2) + lam * (2.6 + 0.1 + 1.6)
    assert result.objective[-1] == pytest.approx(expected, rel=1e-12)


def test_without_a_prox_the_stopping_norm_is_the_gradient():
    result = gradient_descent(
        half_squared_norm, np.array([3.0, 4.0]), learning_rate=0.5, max_iter=0, tol=0.0
    )
    assert result.grad_norm == [5.0]


def test_the_subgradient_method_handles_a_kink_at_the_minimum():
    # f = |x - 3|: its subgradient is +-1 everywhere, so it never falls below tol; diminishing
    # steps 1/sqrt(k + 1) close in on 3 and the run stops once the best value stops improving
    def fun(theta, grad_out):
        grad_out[:] = np.sign(theta - 3.0)
        return float(abs(theta[0] - 3.0))

    start = np.array([0.3])  # fixed steps of 1 from here hop over 3 for ever: 2.3, 3.3, 2.3
    smooth_run = gradient_descent(fun, start, learning_rate=1.0, max_iter=3000, tol=1e-3)
    assert smooth_run.status == "max_iter"  # the gradient norm stays 1: never "converged"

    result = gradient_descent(fun, start, learning_rate=1.0, max_iter=3000, tol=1e-3, smooth=False)
    assert result.status == "stalled"  # never "converged": no gradient norm vouches for it
    assert not result.converged
    assert result.n_iter < 3000
    # the run ends at its best point, which the history's last entry describes
    assert result.objective[-1] == min(result.objective)
    assert abs(result.theta[0] - 3.0) < 1e-6


def test_a_smaller_tol_takes_the_subgradient_method_closer():
    # f = |x - 3| + 1.5 |x|: two kinks, the minimum f(0) = 3 at one of them
    def fun(theta, grad_out):
        grad_out[:] = np.sign(theta - 3.0) + 1.5 * np.sign(theta)
        return float(abs(theta[0] - 3.0) + 1.5 * abs(theta[0]))

    gaps, epochs = [], []
    for tol in (1e-2, 1e-5, 1e-8):
        result = gradient_descent(
            fun, np.array([5.0]), learning_rate=1.0, max_iter=20_000, tol=tol, smooth=False
        )
        assert result.status == "stalled"
        gaps.append(result.objective[-1] - 3.0)
        epochs.append(result.n_iter)
    assert gaps[0] >= gaps[1] >= gaps[2] >= 0
    assert gaps[2] < 1e-7
    assert epochs[0] <= epochs[1] <= epochs[2]


def scripted(values, gradient=0.0):
    """An objective whose value at the k-th evaluation is values[k], whatever the point, with a
    constant gradient (0: the point never moves): for testing the stopping rules on chosen
    values."""
    values = iter(values)

    def fun(x, grad_out):
        grad_out[:] = gradient
        return next(values)

    return fun


@pytest.mark.parametrize(
    ("start", "threshold"),
    [
        # below 1 the threshold is 1000 x 1 (the floor), not 1000 x f(0)
        (0.5, 1000.0),
        (0.0, 1000.0),
        (-4.0, 1000.0),
        # above 1 it is 1000 x f(0)
        (4.0, 4000.0),
    ],
)
def test_the_divergence_threshold_is_the_factor_times_the_start_at_least_one(start, threshold):
    assert DIVERGENCE_FACTOR == 1e3
    for at_most in (threshold * (1 - 1e-9), threshold):  # the threshold itself is not past it
        below = gradient_descent(
            scripted([start, at_most]), np.zeros(1), learning_rate=1.0, max_iter=1, tol=None
        )
        assert (below.status, below.n_iter) == ("max_iter", 1)
    above = gradient_descent(
        scripted([start, threshold * (1 + 1e-9)]),
        np.zeros(1),
        learning_rate=1.0,
        max_iter=1,
        tol=None,
    )
    assert (above.status, above.n_iter) == ("diverged", 1)


@pytest.mark.parametrize("level", [1000.0, -1000.0])
def test_the_subgradient_stall_is_relative_to_the_objective(level):
    # The objective falls by 0.005 per epoch around +-1000, with tol 1e-3: relative to |f| the
    # threshold is 1e-3 x 1000 = 1, absolute it would be 1e-3. Each phase of 101 epochs (the
    # first check is after SUBGRADIENT_WINDOW + 1 = 101 values) gains 100 x 0.005 = 0.5 <= 1 over
    # its last 100: no progress. Phase 1 (epochs 0-100) ends with no earlier best to compare;
    # phases 2 (101-201) and 3 (202-302) each improve the best by 101 x 0.005 = 0.505 <= 1: two
    # idle phases, "stalled" at epoch 302. Measured absolutely, every phase progresses.
    fun = scripted(level - 0.005 * np.arange(1000))
    result = gradient_descent(
        fun, np.zeros(1), learning_rate=1.0, max_iter=500, tol=1e-3, smooth=False
    )
    assert (result.status, result.n_iter) == ("stalled", 302)
    assert result.objective[-1] == pytest.approx(level - 0.005 * 302, rel=1e-15)


@pytest.mark.parametrize(
    ("level", "per_epoch"),
    [
        # 100 x 0.011 = 1.1 > 1e-3 x 1000 over each window
        (1000.0, 0.011),
        # near 0 the threshold is tol x 1 (the floor): 100 x 1.5e-5 = 1.5e-3 > 1e-3
        (0.5, 1.5e-5),
    ],
)
def test_the_subgradient_method_goes_on_while_it_gains_more_than_tol_relative(level, per_epoch):
    fun = scripted(level - per_epoch * np.arange(1000), gradient=-1.0)
    result = gradient_descent(
        fun, np.zeros(1), learning_rate=1.0, max_iter=500, tol=1e-3, smooth=False
    )
    assert (result.status, result.n_iter) == ("max_iter", 500)
    # one phase throughout: 500 steps 1 / sqrt(k), none shrunk by SUBGRADIENT_SHRINK
    steps = 1.0 / np.sqrt(np.arange(1, 501))
    np.testing.assert_allclose(result.theta, [steps.sum()], rtol=1e-13)


def test_a_subgradient_phase_that_gains_just_over_tol_near_zero_is_not_idle():
    # Near 0 the idle test is absolute (the floor of 1): each phase of 101 epochs is judged
    # without progress over its last 100 (100 x 0.995e-5 <= 1e-3), yet improves the best by
    # 101 x 0.995e-5 = 1.005e-3 > 1e-3 x max(0.5, 1): never idle, so never "stalled"
    fun = scripted(0.5 - 0.995e-5 * np.arange(1000), gradient=-1.0)
    result = gradient_descent(
        fun, np.zeros(1), learning_rate=1.0, max_iter=500, tol=1e-3, smooth=False
    )
    assert (result.status, result.n_iter) == ("max_iter", 500)


def test_no_progress_compares_the_best_of_the_last_half_with_the_best_before_it():
    # at least SUBGRADIENT_WINDOW = 100 values in the recent part, and more than that in all
    assert not _no_progress([4.0] * 100, tol=1.0)
    # a gain of exactly tol x |before| is no progress: 4 - 3.5 = 0.125 x 4
    assert _no_progress([4.0] + [3.5] * 100, tol=0.125)
    assert not _no_progress([4.0] + [3.5 - 1e-12] * 100, tol=0.125)
    # near 0, tol x 1: 0.5 - 0.4375 = 0.0625 x 1 (relative to 0.5 it would be progress)
    assert _no_progress([0.5] + [0.4375] * 100, tol=0.0625)
    # 300 values: the last half is the last 150, which holds the best (5), so there was progress;
    # over the last 100 alone the best would be 10, no better than before
    assert not _no_progress([10.0] * 150 + [5.0] * 50 + [10.0] * 100, tol=0.1)


def test_the_subgradient_method_takes_no_momentum():
    # f = |x - 3|: the subgradient steps eta / sqrt(k) are the same whatever the momentum asked
    def fun(theta, grad_out):
        grad_out[:] = np.sign(theta - 3.0)
        return float(abs(theta[0] - 3.0))

    runs = [
        gradient_descent(
            fun, np.array([0.3]), learning_rate=1.0, max_iter=50, tol=None, momentum=m, smooth=False
        )
        for m in (0.0, 0.9)
    ]
    assert runs[0].objective == runs[1].objective
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)


def test_the_gradient_mapping_is_divided_by_the_step():
    # f = x^2 / 2, h = |x|, x_0 = 3, eta = 1/2: y - eta f'(y) = 1.5, prox (soft threshold by
    # eta x 1) = 1, G = (3 - 1) / (1/2) = 4; f + h = 4.5 + 3
    result = gradient_descent(
        half_squared_norm,
        np.array([3.0]),
        learning_rate=0.5,
        max_iter=0,
        tol=None,
        prox=lambda theta, step: np.copyto(theta, soft_threshold(theta, step)),
        penalty=lambda theta: float(np.abs(theta).sum()),
    )
    assert (result.objective, result.grad_norm) == ([7.5], [4.0])


def test_running_again_to_the_epoch_a_run_paused_at_changes_nothing():
    # the run of test_the_subgradient_stall_is_relative_to_the_objective stalls at epoch 302,
    # in the step after it: paused at 302, it stays paused until asked for more epochs
    descent = Descent(
        scripted(1000.0 - 0.005 * np.arange(1000)),
        np.zeros(1),
        learning_rate=1.0,
        tol=1e-3,
        smooth=False,
    )
    statuses = [descent.run(max_iter).status for max_iter in (302, 302, 303)]
    assert statuses == ["max_iter", "max_iter", "stalled"]
    assert descent.result.n_iter == 302


def test_a_trajectory_keeps_every_point_and_ends_only_when_it_diverges():
    # the steps of test_plain_steps_by_hand and test_nesterov_steps_by_hand, every point kept
    path = trajectory(half_squared_norm, np.array([2.0, -4.0]), learning_rate=0.5, epochs=3)
    np.testing.assert_array_equal(path.theta, [[2, -4], [1, -2], [0.5, -1], [0.25, -0.5]])
    np.testing.assert_array_equal(path.objective, [10.0, 2.5, 0.625, 0.15625])
    assert path.status == "finished"
    path = trajectory(
        half_squared_norm, np.array([2.0, -4.0]), learning_rate=0.5, epochs=2, momentum=0.5
    )
    np.testing.assert_array_equal(path.theta, [[2, -4], [0.5, -1], [-0.125, 0.25]])
    # a plateau (gradient 0) is sat on for all the epochs: no early stop
    path = trajectory(scripted([1.0] * 6), np.array([0.5]), learning_rate=1.0, epochs=5)
    assert (path.theta.shape, path.status) == ((6, 1), "finished")
    # x <- x - 3x = -2x: f = x^2 / 2 grows 4-fold an epoch, past 1000 x max(f(0), 1) at epoch 6
    path = trajectory(half_squared_norm, np.array([1.0]), learning_rate=3.0, epochs=20)
    np.testing.assert_array_equal(path.theta[:, 0], (-2.0) ** np.arange(7))
    np.testing.assert_array_equal(path.objective, 0.5 * 4.0 ** np.arange(7))
    assert path.status == "diverged"


def test_a_callback_that_raises_stop_iteration_interrupts_the_run():
    def stop_at_two(epoch, theta, value, grad_norm):
        if epoch == 2:
            raise StopIteration

    result = gradient_descent(
        half_squared_norm,
        np.array([2.0, -4.0]),
        learning_rate=0.5,
        max_iter=10,
        tol=0.0,
        callback=stop_at_two,
    )
    # x halves each epoch (test_plain_steps_by_hand): epoch 2 is (1/2, -1), f = 0.625
    assert (result.status, result.n_iter, result.objective) == (
        "interrupted",
        2,
        [10.0, 2.5, 0.625],
    )
    np.testing.assert_array_equal(result.theta, [0.5, -1.0])


def test_a_step_at_right_angles_to_the_gradient_keeps_the_momentum():
    # the restart needs G . step > 0; at exactly 0 the momentum stays. Scripted gradients, step 1,
    # momentum 1/2, x_0 = (1, 0):
    #   epoch 0: G = (1, 0), x_1 = (0, 0), step (-1, 0) downhill: y_1 = (-1/2, 0)
    #   epoch 1: G = (-1/4, 1/4), x_2 = (-1/4, -1/4), step (-1/4, -1/4), G . step = 0:
    #            y_2 = x_2 + step / 2 = (-3/8, -3/8) (a restart would give y_2 = x_2)
    gradients = iter([[1.0, 0.0], [-0.25, 0.25], [0.0, 0.0]])

    def fun(x, grad_out):
        grad_out[:] = next(gradients)
        return 1.0

    points = []
    gradient_descent(
        fun,
        np.array([1.0, 0.0]),
        learning_rate=1.0,
        max_iter=2,
        tol=None,
        momentum=0.5,
        callback=lambda epoch, theta, value, grad_norm: points.append(theta.copy()),
    )
    np.testing.assert_array_equal(points, [[1.0, 0.0], [-0.5, 0.0], [-0.375, -0.375]])


def test_a_gradient_norm_beyond_1e154_is_finite():
    # np.linalg.norm squares the entries: (1e200, 1e200) would give inf, not sqrt(2) 1e200
    def fun(x, grad_out):
        grad_out[:] = 1e200
        return 1.0

    result = gradient_descent(fun, np.zeros(2), learning_rate=1.0, max_iter=0, tol=0.0)
    assert result.status == "max_iter"
    assert result.grad_norm == [pytest.approx(np.sqrt(2) * 1e200, rel=1e-15)]


def test_a_step_that_overflows_ends_the_run_diverged_without_a_numpy_warning():
    # step 1e10 on gradients of 1e300 overflows to -inf, then inf - inf is nan: NumPy's
    # overflow and invalid-value warnings (errors in these tests) stay silent; the run says it
    values, gradients = iter([0.5, 0.5, np.nan]), iter([1e300, -1e300, 0.0])

    def fun(x, grad_out):
        grad_out[:] = next(gradients)
        return next(values)

    result = gradient_descent(fun, np.array([1.0]), learning_rate=1e10, max_iter=5, tol=0.0)
    assert (result.status, result.n_iter, result.objective) == ("diverged", 1, [0.5, 0.5])


def test_the_subgradient_steps_shrink_as_one_over_the_root_of_the_epoch():
    # f = |x - 3| from 0 with eta = 1: steps 1, 1/sqrt(2), 1/sqrt(3) towards 3
    def fun(theta, grad_out):
        grad_out[:] = np.sign(theta - 3.0)
        return float(abs(theta[0] - 3.0))

    points = []
    gradient_descent(
        fun,
        np.zeros(1),
        learning_rate=1.0,
        max_iter=3,
        tol=None,
        smooth=False,
        callback=lambda epoch, theta, value, grad_norm: points.append(theta[0]),
    )
    steps = np.cumsum([0.0, 1.0, 1 / np.sqrt(2), 1 / np.sqrt(3)])
    np.testing.assert_allclose(points, steps, rtol=1e-15)


def test_a_subgradient_phase_that_gains_exactly_tol_is_idle():
    # values 1/2 - k d with d = 2^-20 and tol = 101 d, exact in binary: each phase of 101 epochs
    # gains 100 d <= tol over its window and improves the best by 101 d = tol x max(|f|, 1):
    # idle (at most tol), so the run stalls after phases 2 and 3, at epoch 302
    d = 2.0**-20
    fun = scripted(0.5 - d * np.arange(1000))
    result = gradient_descent(
        fun, np.zeros(1), learning_rate=1.0, max_iter=500, tol=101 * d, smooth=False
    )
    assert (result.status, result.n_iter) == ("stalled", 302)


def test_uphill_epochs_and_oscillation():
    assert uphill_epochs([3.0, 2.0, 4.0, 1.0, 5.0, 5.0]) == 2
    falling = list(np.linspace(1.0, 0.1, 101))
    assert not oscillated(falling)
    # one rise in every 10 epochs is OSCILLATION_SHARE of them: an oscillation
    assert OSCILLATION_SHARE == 0.1
    bumpy = [value + (0.5 if i % 10 == 0 else 0.0) for i, value in enumerate(falling)]
    assert uphill_epochs(bumpy) == 10 and oscillated(bumpy)
    fewer = [value + (0.5 if i % 10 == 0 and i < 100 else 0.0) for i, value in enumerate(falling)]
    assert uphill_epochs(fewer) == 9 and not oscillated(fewer)
    # one value has no epoch; two values with a rise are one uphill epoch in one
    assert not oscillated([1.0]) and oscillated([1.0, 2.0])
    # 2 rises in 21 epochs: 2 < 0.1 x 21
    rising_twice = [value + (0.5 if i in (5, 15) else 0.0) for i, value in enumerate(falling[:22])]
    assert uphill_epochs(rising_twice) == 2 and not oscillated(rising_twice)


# --- the preconditioned steps ------------------------------------------------------------------


def test_majoriser_inverse_solves_with_m_on_each_output_column():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(4, 4))
    M = B @ B.T + 0.5 * np.eye(4)
    grad = rng.normal(size=4 * 3)
    expected = np.linalg.solve(M, grad.reshape(4, 3)).ravel()
    out = np.empty_like(grad)
    MajoriserInverse(M, 3)(grad, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    MajoriserInverse(M, 3)(grad, grad)  # in place
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


def test_a_singular_majoriser_is_raised_to_a_tiny_share_of_its_top_eigenvalue():
    # a zero direction (a constant feature) gets eigenvalue 1e-10 * 4, not a division by zero
    out = np.empty(2)
    MajoriserInverse(np.diag([4.0, 0.0]), 1)(np.array([2.0, 1.0]), out)
    np.testing.assert_allclose(out, [0.5, 1.0 / 4e-10], rtol=1e-12)
    # with three eigenvalues 0, 1, 4 the floor is 1e-10 times the largest, 4
    out = np.empty(3)
    MajoriserInverse(np.diag([1.0, 0.0, 4.0]), 1)(np.array([1.0, 1.0, 2.0]), out)
    np.testing.assert_allclose(out, [1.0, 1.0 / 4e-10, 0.5], rtol=1e-12)


@pytest.mark.parametrize("bound", [1.0, 30.0])
def test_preconditioned_descent_solves_an_ill_conditioned_quadratic(bound):
    # M = bound * ILL majorises the Hessian ILL: its metric undoes the conditioning, and the
    # momentum makes up for a loose bound
    evaluations = []

    def fun(x, grad_out):
        evaluations.append(1)
        return quadratic(ILL, MINIMISER)(x, grad_out)

    result = gradient_descent(
        fun,
        np.zeros(3),
        learning_rate=1.0,  # not used
        max_iter=1000,
        tol=1e-10,
        momentum=0.9,
        precondition=MajoriserInverse(bound * ILL, 1),
    )
    assert result.status == "converged"
    np.testing.assert_allclose(result.theta, MINIMISER, rtol=0, atol=1e-10)
    assert len(evaluations) == len(result.objective) == result.n_iter + 1  # one per epoch
    assert result.n_iter < 200  # plain steps of 1/100 need about 2300 (see above)


def test_preconditioned_steps_without_momentum_at_the_exact_hessian_take_one_step():
    # M = A: x - M^{-1} grad is Newton's step, the minimiser
    result = gradient_descent(
        quadratic(ILL, MINIMISER),
        np.zeros(3),
        learning_rate=1.0,
        max_iter=5,
        tol=1e-12,
        precondition=MajoriserInverse(ILL, 1),
    )
    assert (result.status, result.n_iter) == ("converged", 1)
    np.testing.assert_allclose(result.theta, MINIMISER, rtol=1e-14)


@pytest.mark.parametrize("option", [{"smooth": False}, {"prox": lambda theta, eta: None}])
def test_preconditioned_steps_take_no_prox_or_subgradient(option):
    with pytest.raises(ValueError, match=r"^precondition takes neither prox nor smooth=False$"):
        gradient_descent(
            half_squared_norm,
            np.ones(2),
            learning_rate=1.0,
            max_iter=3,
            tol=0.0,
            precondition=MajoriserInverse(np.eye(2), 1),
            penalty=lambda theta: 0.0,
            **option,
        )


def _abs_value(x, grad_out):
    """f(x) = sum |x_i - m_i|, a subgradient sign(x - m): the subgradient method's case."""
    r = x - MINIMISER
    grad_out[:] = np.sign(r)
    return float(np.abs(r).sum())


@pytest.mark.parametrize(
    "fun, options",
    [
        (quadratic(ILL, MINIMISER), {"learning_rate": 1 / 100, "momentum": 0.9}),
        (quadratic(ILL, MINIMISER), {"learning_rate": 1 / 100}),
        (
            quadratic(ILL, MINIMISER),
            {
                "learning_rate": 1 / 100,
                "momentum": 0.5,
                "prox": lambda t, eta: np.copyto(t, np.sign(t) * np.maximum(np.abs(t) - eta, 0)),
                "penalty": lambda t: float(np.abs(t).sum()),
            },
        ),
        (_abs_value, {"learning_rate": 0.5, "smooth": False}),
    ],
    ids=["momentum", "plain", "proximal", "subgradient"],
)
def test_a_descent_run_in_pieces_takes_the_steps_of_one_run(fun, options):
    # 7 + 13 + 280 epochs, paused and resumed, are the 300 epochs of one run, to the bit
    whole = gradient_descent(fun, np.zeros(3), max_iter=300, tol=1e-12, **options)
    descent = Descent(fun, np.zeros(3), tol=1e-12, **options)
    for limit in (7, 20, 300):
        pieces = descent.run(limit)
    assert pieces.objective == whole.objective
    assert pieces.grad_norm == whole.grad_norm
    assert pieces.status == whole.status
    assert pieces.n_iter == whole.n_iter
    np.testing.assert_array_equal(pieces.theta, whole.theta)


def test_a_finished_descent_runs_no_further():
    descent = Descent(half_squared_norm, np.array([2.0]), learning_rate=1.0, tol=1e-9)
    result = descent.run(50)  # one step of 1/L lands on the minimum: converged at epoch 1
    assert (result.status, result.n_iter, descent.finished) == ("converged", 1, True)
    assert descent.run(100).objective == [2.0, 0.0]


def test_a_non_finite_start_is_divergence_at_epoch_zero_with_nothing_recorded():
    def fun(x, grad_out):
        grad_out[:] = 0.0
        return float(np.nan)

    result = gradient_descent(fun, np.array([1.0]), learning_rate=1.0, max_iter=5, tol=0.0)
    assert (result.status, result.n_iter, result.objective, result.grad_norm) == (
        "diverged",
        0,
        [],
        [],
    )
    np.testing.assert_array_equal(result.theta, [1.0])
