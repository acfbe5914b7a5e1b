"""A feature matrix's column moments in one pass over its blocks of rows: range, weighted sums
and the scatter matrix around the mean, the statistics of the standardisation and of the step
size's Gram matrix (cetrain.data.preprocess.Standardizer).

Each block of rows is centred on its own weighted mean m_b (so nothing cancels, however far the
mean is from zero) and its scatter S_b = sum_(i in b) w_i (x_i - m_b)(x_i - m_b)^T kept with
its weight W_b and its residual r_b = sum_(i in b) w_i (x_i - m_b) (0 but for the rounding of
m_b). Around any point c, with o_b = m_b - c, exactly:

    sum_i w_i (x_i - c)(x_i - c)^T = sum_b S_b + r_b o_b^T + o_b r_b^T + W_b o_b o_b^T
    sum_i w_i (x_i - c)            = sum_b r_b + W_b o_b

(Chan, Golub and LeVeque's pairwise update, with the residuals that keep the rounding of each
m_b, as large as the spread for a mean 1e12 times the spread, out of the result.)
"""

from dataclasses import dataclass, field

import numpy as np

from cetrain.core.blocks import block_rows, row_blocks
from cetrain.core.columns import column_reduce, rowwise

# The deviations from the mean whose squares, summed over up to 1e18 rows, stay normal float64
# numbers (1e-140^2 is far above the smallest normal, 2.2e-308; 1e18 x 1e130^2 below the largest)
SQUARES_RANGE = (1e-140, 1e130)


@dataclass
class ColumnMoments:
    """What one pass over X (n, d) found: each column's smallest and largest value (low, high),
    its weighted sum sum_i w_i x_i (total, inf where it overflows), and each block's scatter
    parts (see the module docstring)."""

    low: np.ndarray
    high: np.ndarray
    total: np.ndarray
    within: np.ndarray  # sum_b S_b, (d, d)
    residuals: list[np.ndarray] = field(default_factory=list)  # r_b, (d,) each
    means: list[np.ndarray] = field(default_factory=list)  # m_b
    weights: list[float] = field(default_factory=list)  # W_b
    has_scatter: bool = True  # False: only the range and the sums were taken

    def around(self, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scatter, residual) around `centre` (d,): sum_i w_i (x_i - c)(x_i - c)^T, exactly
        symmetric, and sum_i w_i (x_i - c). The entries of columns that do not vary (low ==
        high) are 0: a constant near 1e300 would give inf - inf in its own."""
        with np.errstate(over="ignore", invalid="ignore"):
            offsets = np.array(self.means) - centre  # (blocks, d)
            residuals = np.array(self.residuals)
            weighted = np.array(self.weights)[:, None] * offsets
            cross = residuals.T @ offsets
            scatter = self.within + cross + cross.T + offsets.T @ weighted
            residual = residuals.sum(axis=0) + weighted.sum(axis=0)
        constant = ~(self.high > self.low)
        scatter[constant] = 0.0
        scatter[:, constant] = 0.0
        residual[constant] = 0.0
        return np.tril(scatter) + np.tril(scatter, -1).T, residual

    def around_mean(
        self, mean: np.ndarray, weight_sum: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean', scatter, residual) with mean' = mean + r / W the mean corrected to the
        rounding of its own value (as a second pass would make it: the residual r around
        `mean` is the rounding of a sum over many rows), and the scatter and the residual
        around mean'. Moved by a = mean' - mean (exactly the difference of two floats), they
        are S - r a^T - a r^T + W a a^T and r - W a."""
        scatter, residual = self.around(mean)
        corrected = mean + residual / weight_sum  # a constant column's residual is 0
        moved = corrected - mean
        cross = np.outer(residual, moved)
        scatter += weight_sum * np.outer(moved, moved) - cross - cross.T
        return corrected, scatter, residual - weight_sum * moved


def column_moments(X: np.ndarray, weight: np.ndarray | None, scatter: bool = True) -> ColumnMoments:
    """The column moments of X (n, d) with sample weights w (None: all ones), in one pass over
    its blocks (in float64, whatever X's dtype); without `scatter`, only the range and the
    sums (has_scatter False: for many features, whose d x d scatter costs n d^2)."""
    n, d = X.shape
    moments = ColumnMoments(
        np.full(d, np.inf),
        np.full(d, -np.inf),
        np.zeros(d),
        np.zeros((d, d) if scatter else 0),
        has_scatter=scatter,
    )
    rows = block_rows(d)
    values = np.empty((min(n, rows), d))
    ones = np.ones(min(n, rows))
    with np.errstate(over="ignore", invalid="ignore"):
        for start, stop in row_blocks(X, rows):
            block = X[start:stop]
            extend_range(moments.low, moments.high, block)
            m = stop - start
            if block.dtype != np.float64:  # float32 data summed in float64
                np.copyto(values[:m], block)
                block = values[:m]  # centred in place below
            w = ones[:m] if weight is None else weight[start:stop]
            block_total = w @ block
            moments.total += block_total
            block_weight = float(m) if weight is None else float(w.sum())
            if not scatter or block_weight == 0.0:  # (rows of weight 0 add nothing to it)
                continue
            block_mean = block_total / block_weight
            centred = rowwise(np.subtract, block, block_mean, values[:m])
            weighted = centred if weight is None else centred * w[:, None]
            moments.within += centred.T @ weighted
            moments.residuals.append(w @ centred)
            moments.means.append(block_mean)
            moments.weights.append(block_weight)
    return moments


def extend_range(low: np.ndarray, high: np.ndarray, block: np.ndarray) -> None:
    """Lower `low` and raise `high` (per column, in place) to the block's own extremes."""
    np.minimum(low, column_reduce(np.minimum, block), out=low)
    np.maximum(high, column_reduce(np.maximum, block), out=high)


def squares_safe(largest: np.ndarray, varies: np.ndarray) -> bool:
    """Whether the squares of every varying feature's deviations from its mean (at most
    `largest`) are normal float64 numbers that their sums over rows cannot overflow: then the
    scatter's diagonal gives the std as exactly as a scaled second pass would."""
    spread = largest[varies]
    return bool(np.all((spread > SQUARES_RANGE[0]) & (spread < SQUARES_RANGE[1])))
