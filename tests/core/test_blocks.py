"""Tests for core.blocks: row blocks over X, and a memmap's pages given back after each block.

Memory is not measured here (benchmarks/memory.py does); these check which arrays have pages
to give back and that giving them back never changes what X holds.
"""

import numpy as np
import pytest

import cetrain.core.blocks
from cetrain.core.blocks import FilePages, block_rows, first_non_finite, row_blocks


@pytest.fixture
def saved(tmp_path):
    """The path of a saved (300, 7) float64 array, and the array."""
    X = np.random.default_rng(0).normal(size=(300, 7))
    np.save(tmp_path / "X.npy", X)
    return tmp_path / "X.npy", X


def test_row_blocks_cover_the_rows_once_with_a_ragged_last_block(monkeypatch):
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)  # the minimum, 64 rows
    assert block_rows(7) == 64
    assert list(row_blocks(np.zeros((150, 7)))) == [(0, 64), (64, 128), (128, 150)]
    assert list(row_blocks(np.zeros((150, 7)), rows=100)) == [(0, 100), (100, 150)]
    assert list(row_blocks(np.zeros((0, 7)))) == []


def test_block_rows_make_blocks_of_block_bytes():
    assert block_rows(50) == (1 << 22) // 400
    assert block_rows(10**6) == 64
    assert block_rows(50, itemsize=4) == (1 << 22) // 200
    assert block_rows(50, block_bytes=1 << 20) == (1 << 20) // 400


def test_first_non_finite_names_the_first_bad_value_in_any_block(monkeypatch):
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)  # blocks of 64 rows
    X = np.ones((150, 7))
    assert first_non_finite(X) is None
    X[100, 3] = np.nan
    X[130, 1] = np.inf
    assert first_non_finite(X) == (100, 3)
    # finite values whose block sum overflows are looked at value by value: all finite
    huge = np.full((150, 7), 1e308)
    assert first_non_finite(huge) is None
    huge[149, 6] = -np.inf
    assert first_non_finite(huge) == (149, 6)


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_a_shared_memmap_and_its_row_views_have_pages_to_give_back(saved, mode):
    path, _ = saved
    X = np.load(path, mmap_mode=mode)
    pages = FilePages.of(np.asarray(X))  # as check_X hands it on: an ndarray view
    assert pages is not None
    assert pages.row_bytes == 7 * 8
    rows = FilePages.of(X[100:])
    assert rows.offset == pages.offset + 100 * 7 * 8


def test_arrays_without_a_shared_mapping_have_no_pages_to_give_back(saved):
    path, X = saved
    assert FilePages.of(X) is None  # in memory
    assert FilePages.of(np.load(path, mmap_mode="c")) is None  # copy-on-write
    assert FilePages.of(np.load(path, mmap_mode="r")[:, :3]) is None  # rows not contiguous
    assert FilePages.of(np.load(path, mmap_mode="r").T) is None


def test_giving_pages_back_keeps_the_values(saved, monkeypatch):
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    path, X = saved
    mapped = np.load(path, mmap_mode="r")
    for _ in range(2):  # read again after every block was given back
        total = np.zeros(7)
        for start, stop in row_blocks(mapped):
            total += mapped[start:stop].sum(axis=0)
        np.testing.assert_array_equal(total, sum(X[s:e].sum(axis=0) for s, e in row_blocks(X)))
    np.testing.assert_array_equal(mapped, X)


def test_a_copy_on_write_memmap_keeps_its_changes(saved, monkeypatch):
    # dropping a private page would throw the change away and read the file again
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    path, X = saved
    changed = np.load(path, mmap_mode="c")
    changed[:] = 1.5
    for _ in row_blocks(changed):
        pass
    np.testing.assert_array_equal(changed, 1.5)
    np.testing.assert_array_equal(np.load(path), X)
