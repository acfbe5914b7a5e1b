"""Tests for teach.gradcheck: the finite-difference helper, the relative error and its verdicts,
every objective's gradient passing, and a deliberately broken gradient being caught.
"""

import math

import numpy as np
import pytest
from gradcheck_cases import ALL_CASES, BROKEN, PAIRS, break_gradient

from cetrain.teach.gradcheck import (
    GOOD_BELOW,
    GradCheck,
    central_differences,
    check_gradients,
    relative_error,
)


def key(check):
    return (check.model, check.loss, check.weighting, check.block)


def test_central_differences_of_a_known_function():
    """f(x) = sum(sin x) + x_0^3 / 3: gradient cos x + (x_0^2, 0, ...); the step scales with |x|."""
    x = np.array([0.3, -1.2, 2.0, 1e4])

    def f(v):
        return float(np.sum(np.sin(v[:3])) + v[0] ** 3 / 3 + 1e-8 * v[3] ** 2)

    expected = [math.cos(0.3) + 0.09, math.cos(-1.2), math.cos(2.0), 2e-8 * 1e4]
    np.testing.assert_allclose(central_differences(f, x), expected, rtol=1e-8)
    np.testing.assert_array_equal(x, [0.3, -1.2, 2.0, 1e4])  # x is left as it was


def test_relative_error():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, 1.1 * a) == pytest.approx(0.1 * 5 / (5 + 5.5), rel=1e-12)


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (0.0, "good"),
        (9.9e-8, "good"),
        (1e-7, "check"),
        (1e-4, "check"),
        (1e-2, "check"),
        (1.01e-2, "WRONG"),
        (1.0, "WRONG"),
        (math.nan, "WRONG"),
    ],
)
def test_verdict_thresholds(error, verdict):
    assert GradCheck("logistic", "mse", "uniform", "W", error).verdict == verdict


def test_every_loss_and_model_passes_on_the_default_problem():
    checks = check_gradients()
    assert len(checks) == len(ALL_CASES) == 4 * len(PAIRS)  # 2 weightings x 2 blocks each
    assert {key(c) for c in checks} == ALL_CASES
    worst = max(c.relative_error for c in checks)
    assert worst < GOOD_BELOW, checks
    assert all(c.verdict == "good" for c in checks)


@pytest.mark.parametrize(
    ("seed", "rows", "features", "classes"),
    [(1, 7, 3, 3), (2, 1, 1, 2), (3, 50, 10, 5), (4, 100, 50, 10)],
)
def test_every_loss_and_model_passes_on_other_problems(seed, rows, features, classes):
    checks = check_gradients(seed=seed, rows=rows, features=features, classes=classes)
    assert {key(c) for c in checks} == ALL_CASES
    assert max(c.relative_error for c in checks) < GOOD_BELOW


def test_the_problem_depends_on_the_seed_and_repeats():
    errors = [c.relative_error for c in check_gradients(seed=5)]
    assert errors == [c.relative_error for c in check_gradients(seed=5)]
    assert errors != [c.relative_error for c in check_gradients(seed=6)]


@pytest.mark.parametrize("loss_class", list(BROKEN), ids=lambda cls: cls.__name__)
def test_a_wrong_gradient_is_caught(monkeypatch, loss_class):
    break_gradient(monkeypatch, loss_class)
    checks = check_gradients()
    broken = {case for case in ALL_CASES if case[:2] in BROKEN[loss_class]}
    assert len(broken) == 4 * len(BROKEN[loss_class])  # both weightings, both blocks
    assert {key(c) for c in checks if c.verdict == "WRONG"} == broken
    assert all(c.verdict == "good" for c in checks if key(c) not in broken)
