"""Some rows of a feature matrix that stays where it is (a memory-mapped .npy on disk).

A split of memory-mapped features cannot take its training rows with `X[index]`: that copies
them, most of X. `Rows(X, index)` stands for ``X[index]`` without making it: the estimators,
the pipeline and the metrics walk it block by block (`apply`), reading each block of rows from
X in file order, so that no array of X's size is ever made; only what is computed per row (the
scores, n x C) is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

# Bytes of X read per block: large enough that the per-block Python work is negligible, small
# enough that a block and its per-row results stay a small fraction of memory.
BLOCK_BYTES = 1 << 24


class Rows:
    """The rows ``X[index]`` of a 2-D array, in the order of `index`, without copying them.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Float64 features, typically a read-only np.memmap.
    index : ndarray of int, shape (m,)
        The rows, in the order they stand for (distinct, each in 0..n-1).
    transform : callable, optional
        Applied to every block of rows as it is read (the pipeline's polynomial features):
        the rows are then transform(X[index]).
    """

    def __init__(
        self,
        X: np.ndarray,
        index: np.ndarray,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.X = X
        self.index = np.asarray(index, dtype=np.intp)
        self.transform = transform
        # walking the rows in file order reads X forwards, block by block
        self._order = np.argsort(self.index, kind="stable")
        width = X.shape[1] if transform is None else transform(np.asarray(X[:1])).shape[1]
        self.shape = (len(self.index), width)

    ndim = 2
    dtype = np.dtype(np.float64)

    def __len__(self) -> int:
        return len(self.index)

    def __repr__(self) -> str:
        return f"Rows({len(self)} of {self.X.shape[0]} rows, {self.shape[1]} columns)"

    def mapped(self, transform: Callable[[np.ndarray], np.ndarray]) -> Rows:
        """The same rows with `transform` applied to every block (after this one's own)."""
        inner = self.transform
        composed = transform if inner is None else (lambda block: transform(inner(block)))
        return Rows(self.X, self.index, composed)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(positions, block): blocks of the rows in file order, `positions` their places in
        `index` order and `block` their (transformed) values, a float64 array of a few MB."""
        per_block = max(1, BLOCK_BYTES // (8 * max(self.X.shape[1], 1)))
        for start in range(0, len(self), per_block):
            positions = self._order[start : start + per_block]
            block = np.ascontiguousarray(self.X[self.index[positions]], dtype=np.float64)
            yield positions, block if self.transform is None else self.transform(block)

    def apply(self, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """function(block) over every block, its per-row results put together in the order of
        `index`: shape (m, ...) as function returns (k, ...) for a block of k rows. The function
        must treat each row on its own (scores, probabilities, predictions)."""
        out = None
        for positions, block in self.blocks():
            result = np.asarray(function(block))
            if out is None:
                out = np.empty((len(self), *result.shape[1:]), dtype=result.dtype)
            out[positions] = result
        if out is None:  # no rows: the function's result on an empty block
            return np.asarray(function(np.empty((0, self.X.shape[1]))))
        return out

    def __getitem__(self, position: int) -> np.ndarray:
        """One row, shape (d,)."""
        row = np.asarray(self.X[self.index[position]], dtype=np.float64)[None, :]
        return (row if self.transform is None else self.transform(row))[0]

    def take(self, positions: np.ndarray) -> np.ndarray:
        """The rows at `positions` (of index order) as a new array: a few rows, not all."""
        positions = np.asarray(positions, dtype=np.intp)
        block = np.asarray(self.X[self.index[positions]], dtype=np.float64)
        return block if self.transform is None else self.transform(block)

    def to_array(self) -> np.ndarray:
        """All the rows as one array: a copy of them, for what needs them in memory."""
        return self.take(np.arange(len(self)))

    def mean(self, axis: int = 0) -> np.ndarray:
        """The column means, shape (d,), summed block by block."""
        _only_rows(axis)
        total = np.zeros(self.shape[1])
        for _, block in self.blocks():
            total += block.sum(axis=0)
        return total / len(self)

    def std(self, axis: int = 0) -> np.ndarray:
        """The columns' population standard deviations, shape (d,), as np.std: from the
        squared deviations from the mean, in two passes."""
        mean = self.mean(axis)
        total = np.zeros(self.shape[1])
        for _, block in self.blocks():
            total += np.square(block - mean).sum(axis=0)
        return np.sqrt(total / len(self))


def _only_rows(axis: int) -> None:
    if axis != 0:
        raise ValueError("Rows reduces over its rows only (axis=0)")


def sample_positions(n: int, limit: int, seed: int = 0) -> np.ndarray:
    """All of 0..n-1 when n <= limit, else `limit` of them drawn without replacement with
    `seed`, in increasing order: the rows a figure draws."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))
