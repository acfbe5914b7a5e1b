"""Tests for data.moments: a feature matrix's column moments in one pass over its blocks.

Reference: the scatter sum_i w_i (x_i - c)(x_i - c)^T and the residual sum_i w_i (x_i - c)
written out directly over the whole array, in math.fsum where the rounding matters.
"""

import math

import numpy as np
import pytest

import cetrain.core.blocks
from cetrain.data.moments import column_moments

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_the_merged_scatter_around_any_point_is_the_direct_one(weighted, monkeypatch):
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)  # 64-row blocks, a ragged last
    X = RNG.normal(size=(300, 3)) * [1.0, 3.0, 0.2] + [2.0, -1.0, 0.5]
    weight = RNG.uniform(0.0, 2.0, 300) if weighted else None
    w = np.ones(300) if weight is None else weight
    moments = column_moments(X, weight)
    centre = np.array([0.3, -2.0, 1.0])
    scatter, residual = moments.around(centre)
    deviations = X - centre
    np.testing.assert_allclose(scatter, deviations.T @ (w[:, None] * deviations), rtol=1e-13)
    np.testing.assert_allclose(residual, w @ deviations, rtol=1e-13)
    np.testing.assert_array_equal(scatter, scatter.T)
    np.testing.assert_array_equal(moments.low, X.min(axis=0))
    np.testing.assert_array_equal(moments.high, X.max(axis=0))
    assert len(moments.means) == 5  # 64 + 64 + 64 + 64 + 44 rows


def test_the_corrected_mean_is_the_exactly_rounded_one_far_from_zero(monkeypatch):
    # a mean 1e12 times the spread: the blocks' sums round by about the spread, and the one
    # correction takes the mean to fsum's (to the last bit or two of 1e12)
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    X = RNG.normal(size=(1000, 2)) + np.array([1e12, -7e11])
    moments = column_moments(X, None)
    mean, scatter, residual = moments.around_mean(moments.total / 1000, 1000.0)
    exact = np.array([math.fsum(column) / 1000 for column in X.T])
    np.testing.assert_allclose(mean, exact, rtol=0, atol=2 * np.spacing(1e12))
    deviations = X - mean  # exact: the values are within a few units of the mean
    squares = [math.fsum(column**2) for column in deviations.T]
    np.testing.assert_allclose(np.diag(scatter), squares, rtol=1e-12)
    np.testing.assert_allclose(residual, [math.fsum(c) for c in deviations.T], atol=1e-9)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_a_constant_column_near_the_limit_has_zero_moments(position):
    # first, middle or last: its row and its column are 0 on both sides of the diagonal
    X = np.insert(RNG.normal(size=(50, 2)), position, 1e300, axis=1)
    centre = np.insert(np.zeros(2), position, 1e300)
    scatter, residual = column_moments(X, None).around(centre)
    np.testing.assert_array_equal(scatter[position], np.zeros(3))
    np.testing.assert_array_equal(scatter[:, position], np.zeros(3))
    assert residual[position] == 0.0
    others = np.delete(X, position, axis=1)
    kept = np.delete(np.delete(scatter, position, axis=0), position, axis=1)
    np.testing.assert_allclose(kept, others.T @ others, rtol=1e-13)


def test_blocks_of_weight_zero_add_nothing_but_their_range(monkeypatch):
    # 64-row blocks: the first two of weight 0 only, then the weighted rows
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    X = RNG.normal(size=(200, 2))
    weight = np.r_[np.zeros(128), np.ones(72)]
    moments = column_moments(X, weight)
    centre = X[128:].mean(axis=0)
    scatter, _ = moments.around(centre)
    deviations = X[128:] - centre
    np.testing.assert_allclose(scatter, deviations.T @ deviations, rtol=1e-13)
    np.testing.assert_array_equal(moments.low, X.min(axis=0))  # the weight-0 rows too
