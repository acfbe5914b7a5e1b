"""Tests for core.links: direct formulas, exact values at +-1e4, invariances, the axis."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cetrain.core.links import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

MODERATE = np.array([-30.0, -5.5, -1.0, -1e-3, 0.0, 1e-3, 0.75, 2.0, 12.0, 30.0])
SCORES_2D = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, 3.0, -2.0, 1.5], [-4.0, 0.25, 0.0, -1.0]])

finite_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(1, 6)),
    elements=st.floats(-100, 100, allow_nan=False),
)


# --- against the direct formulas ---------------------------------------------------------------


def test_sigmoid_matches_the_formula():
    expected = [1.0 / (1.0 + math.exp(-s)) for s in MODERATE]
    np.testing.assert_allclose(sigmoid(MODERATE), expected, rtol=1e-15, atol=0)


def test_sigmoid_of_zero_and_log_three_by_hand():
    # sigma(0) = 1/2; sigma(ln 3) = 1 / (1 + 1/3) = 3/4; sigma(-ln 3) = 1/4
    np.testing.assert_allclose(
        sigmoid([0.0, math.log(3), -math.log(3)]), [0.5, 0.75, 0.25], rtol=1e-15
    )


def test_sigmoid_is_symmetric():
    # to rounding: 1 - sigma(s) is only known to an ulp of 1
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(sigmoid(-MODERATE), 1.0 - sigmoid(MODERATE), rtol=0, atol=eps)


def test_log_sigmoid_matches_the_formula():
    expected = [-math.log1p(math.exp(-s)) for s in MODERATE]
    np.testing.assert_allclose(log_sigmoid(MODERATE), expected, rtol=1e-15, atol=0)


def test_logsumexp_matches_the_formula():
    expected = [math.log(sum(math.exp(v) for v in row)) for row in SCORES_2D]
    np.testing.assert_allclose(logsumexp(SCORES_2D), expected, rtol=1e-15)


def test_logsumexp_by_hand():
    # log(e^0 + e^0 + e^0) = log 3 and log(1 + 2 + 3) = log 6
    np.testing.assert_allclose(
        logsumexp([[0.0, 0.0, 0.0], [0.0, math.log(2), math.log(3)]]),
        [math.log(3), math.log(6)],
        rtol=1e-15,
    )


def test_log_softmax_matches_the_formula():
    expected = [[v - math.log(sum(math.exp(u) for u in row)) for v in row] for row in SCORES_2D]
    np.testing.assert_allclose(log_softmax(SCORES_2D), expected, rtol=1e-14)


def test_softmax_matches_the_formula():
    expected = [[math.exp(v) / sum(math.exp(u) for u in row) for v in row] for row in SCORES_2D]
    np.testing.assert_allclose(softmax(SCORES_2D), expected, rtol=1e-14)


def test_softmax_by_hand():
    # exp(log k) = k: the probabilities are (1, 2, 3) / 6
    np.testing.assert_allclose(
        softmax([math.log(1), math.log(2), math.log(3)]), [1 / 6, 2 / 6, 3 / 6], rtol=1e-15
    )


# --- extreme scores ----------------------------------------------------------------------------


def test_sigmoid_at_plus_minus_1e4_is_exact():
    # 1 - sigma(1e4) = e^-10000 is far below half an ulp of 1, and sigma(-1e4) = e^-10000 is
    # below the smallest subnormal: 1 and 0 are the correctly rounded values.
    assert sigmoid(1e4) == 1.0
    assert sigmoid(-1e4) == 0.0


def test_log_sigmoid_at_plus_minus_1e4_is_exact():
    # log sigma(-s) = -s - log(1 + e^-s) = -1e4 - e^-10000, which rounds to -1e4
    out = log_sigmoid([-1e4, 1e4])
    assert out[0] == -1e4
    assert out[1] == 0.0


def test_logsumexp_at_1e4_is_exact():
    # log(e^a + e^a) = a + log 2; log(e^a + e^-a) = a + log(1 + e^-2a) = a
    out = logsumexp([[1e4, 1e4], [1e4, -1e4], [-1e4, -1e4]])
    np.testing.assert_array_equal(out, [1e4 + math.log(2), 1e4, -1e4 + math.log(2)])


def test_log_softmax_and_softmax_at_1e4_are_exact():
    np.testing.assert_array_equal(log_softmax([[1e4, -1e4]]), [[0.0, -2e4]])
    np.testing.assert_array_equal(softmax([[1e4, -1e4], [-1e4, 1e4]]), [[1.0, 0.0], [0.0, 1.0]])


def test_logsumexp_ignores_impossible_classes():
    # exp(-inf) = 0: log(e^0 + 0) = 0
    assert logsumexp([0.0, -np.inf]) == 0.0


def test_logsumexp_of_an_all_impossible_row_is_minus_inf_without_warning():
    # The docstring promises -inf "rather than nan" for rows whose max is -inf.
    assert logsumexp([-np.inf, -np.inf]) == -np.inf


# --- invariances -------------------------------------------------------------------------------


@given(finite_rows, st.floats(-100, 100))
def test_softmax_is_shift_invariant(scores, shift):
    np.testing.assert_allclose(softmax(scores + shift), softmax(scores), rtol=0, atol=1e-12)


@given(finite_rows, st.floats(-100, 100))
def test_log_softmax_is_shift_invariant(scores, shift):
    np.testing.assert_allclose(log_softmax(scores + shift), log_softmax(scores), atol=1e-11)


@given(finite_rows, st.floats(-100, 100))
def test_logsumexp_shifts_with_its_scores(scores, shift):
    np.testing.assert_allclose(logsumexp(scores + shift), logsumexp(scores) + shift, atol=1e-11)


@given(finite_rows)
def test_softmax_rows_sum_to_one(scores):
    probs = softmax(scores)
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=0, atol=1e-14)


@given(finite_rows)
def test_exp_of_log_softmax_is_softmax(scores):
    np.testing.assert_allclose(np.exp(log_softmax(scores)), softmax(scores), atol=1e-15)


@given(st.floats(-50, 50), st.floats(-50, 50))
def test_two_class_softmax_is_sigmoid_of_the_difference(a, b):
    probs = softmax([a, b])
    np.testing.assert_allclose(probs, [sigmoid(a - b), sigmoid(b - a)], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(log_softmax([a, b])[1], log_sigmoid(b - a), rtol=1e-14, atol=1e-14)


# --- the axis argument -------------------------------------------------------------------------


@pytest.mark.parametrize("link", [logsumexp, log_softmax, softmax])
def test_axis_zero_is_the_transpose(link):
    along_columns = link(SCORES_2D, axis=0)
    along_rows = link(SCORES_2D.T, axis=-1)
    np.testing.assert_array_equal(along_columns, along_rows.T)


def test_axis_on_a_3d_array_matches_the_formula():
    scores = np.arange(24, dtype=float).reshape(2, 3, 4) / 5.0 - 2.0
    exp = np.exp(scores)
    np.testing.assert_allclose(softmax(scores, axis=1), exp / exp.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(logsumexp(scores, axis=1), np.log(exp.sum(axis=1)), rtol=1e-15)
    np.testing.assert_allclose(
        log_softmax(scores, axis=1), np.log(exp / exp.sum(axis=1, keepdims=True)), rtol=1e-14
    )
    assert logsumexp(scores, axis=1).shape == (2, 4)
