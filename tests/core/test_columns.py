"""Tests for core.columns: folded per-column reductions and row-wise arithmetic.

Reference: NumPy's own axis-0 reduction and broadcasting, which must give the same values.
"""

import numpy as np
import pytest

from cetrain.core.columns import FOLD_WIDTH, column_reduce, rowwise

RNG = np.random.default_rng(0)
# (rows, columns): whole lines only, a ragged remainder, fewer rows than a line, one column,
# rows longer than a line (no folding)
SHAPES = [(512, 4), (1000, 7), (3, 20), (999, 1), (10, FOLD_WIDTH + 5), (1, 3)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("ufunc", [np.minimum, np.maximum], ids=lambda u: u.__name__)
def test_column_reduce_is_numpys_axis_0_reduction(ufunc, shape, dtype):
    block = RNG.standard_normal(shape).astype(dtype)
    result = column_reduce(ufunc, block)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, ufunc.reduce(block, axis=0))


def test_column_reduce_of_a_strided_block_is_numpys():
    block = RNG.standard_normal((300, 12))[:, ::2]  # not C-contiguous: not folded
    np.testing.assert_array_equal(column_reduce(np.minimum, block), block.min(axis=0))


def test_the_fold_finds_an_extreme_in_the_ragged_remainder():
    block = np.zeros((1030, 2))
    block[-1] = [-5.0, 7.0]  # in the rows after the last whole line of 512
    np.testing.assert_array_equal(column_reduce(np.minimum, block), [-5.0, 0.0])
    np.testing.assert_array_equal(column_reduce(np.maximum, block), [0.0, 7.0])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("ufunc", [np.subtract, np.divide], ids=lambda u: u.__name__)
def test_rowwise_is_numpys_broadcast(ufunc, shape):
    block = RNG.standard_normal(shape)
    row = RNG.uniform(0.5, 2.0, shape[1])
    out = np.empty(shape)
    assert rowwise(ufunc, block, row, out) is out
    np.testing.assert_array_equal(out, ufunc(block, row))


def test_rowwise_in_place_and_from_float32():
    block = RNG.standard_normal((700, 6)).astype(np.float32)
    row = RNG.standard_normal(6)
    out = np.empty((700, 6))
    rowwise(np.subtract, block, row, out)
    np.testing.assert_array_equal(out, block - row)  # float32 - float64: float64
    expected = out / row
    rowwise(np.divide, out, row, out)
    np.testing.assert_array_equal(out, expected)
