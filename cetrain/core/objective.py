"""The one place where X, W, b, the penalty and the chain rule meet.

For a linear model with scores S = Z W + b (one column per output; a single column, kept as a
vector, for binary models) the training objective is

    f(W, b) = sum_i w_i l(S_i, y_i) / sum_i w_i  +  (l2 / 2) ||W||_F^2

and its gradient, with G_i = (w_i / sum_j w_j) dl/dS_i, is

    df/dW = Z^T G + l2 W,        df/db = sum_i G_i.

An L1 penalty l1 ||W||_1 (elastic net with l2) is not differentiable: it is the non-smooth part
h of the objective, handled by the optimiser's proximal step (`penalty`, `prox`).

Z are the features the model is trained on: the raw X, or X standardised, Z = (X - mean) / scale
per column, without ever being formed. The standardised model's scores on the raw X are

    S = X (W / scale) + (b - mean . (W / scale))

and its gradient maps back the same way, row j of W: (X^T G - mean_j sum_i G_i)_j / scale_j.
So W, b and every number reported are those of the standardised model, and no copy of X is
made. Going through the raw X rounds each term x_j W_j / scale_j to eps |mean_j| / scale_j in
standardised units, which the gradient keeps where those terms cancel: when a column's mean is
more than CENTRE_RATIO of its scales from zero, each block is centred instead (X_block - mean,
into a buffer of one block, exact for values near the mean) and only the division by scale is
mapped. A scale of inf stands for a constant column: its Z is 0, and so is its gradient.

The intercept is not penalised. An evaluation walks X in blocks of rows: each block's scores are
formed class-major, S^T = W^T X_block^T, in a reused buffer, turned into G^T in place by the
loss kernel (in reused scratch arrays), and multiplied back by the same block of X while it is
still in cache. No one-hot matrix and no copy of X is made; a memory-mapped X's pages are given
back after each pair of blocks (cetrain.core.blocks), so a fit on a file larger than memory
holds about two blocks of it. With `threads` = 2 the blocks are shared with a worker thread,
each block's sums kept apart and added up in block order, so the result is the same to the last
bit. The arithmetic is in X's dtype: float32 data is trained in float32 (W cast to it for the
products), with the loss total and the gradient added up over the blocks in float64.
"""

import math
import os
import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np

from cetrain.core.blocks import FilePages, block_rows, released
from cetrain.core.columns import rowwise
from cetrain.core.losses import Loss, Workspace, unit_scaled

# Rows per block: a block of X is about this many bytes, so it is still in the CPU's cache when
# X_block^T G_block reads it again right after X_block W. Smaller blocks pay the fixed cost of
# more, smaller BLAS calls; 4 MB was the best size on every shape of benchmarks/epoch.py.
BLOCK_BYTES = 1 << 22
# The threads an evaluation can spread its row blocks over (see LinearObjective.threads), and
# the fewest rows per thread for which rows that fit one block are split in two for them:
# below, the handover costs more than it saves (10k x 20: two threads 1.2x slower than one).
THREADS = min(2, os.cpu_count() or 1)
MIN_THREAD_ROWS = 16384
# Above this many features the step size's eigenvalue comes from power iteration, not a Gram matrix.
GRAM_MAX_FEATURES = 1024
# A standardised column whose mean is more than this many scales from zero is centred block by
# block (X_block - mean, in a buffer) rather than mapped through the raw X, whose rounding,
# eps |mean| / scale, would then show in the gradient: about 2e-12 of its scale in float64 at
# this ratio, and 1e-6 in float32 at its own (float32's scores carry 6e-8 anyway).
CENTRE_RATIO = {np.dtype(np.float64): 1e4, np.dtype(np.float32): 10.0}


class LinearObjective:
    """Penalised weighted mean loss of the linear scores Z W + b, with its gradient.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Float64 features, raw (not standardised); used as they are (not copied), so pass a
        C-contiguous array or memmap.
    target : ndarray
        Targets as `loss.prepare_target` returns them: (n,) floats in [0, 1] for binary losses,
        (n,) integer labels or (n, C) probability rows for multiclass losses.
    loss : Loss
        The loss on the scores.
    n_outputs : int
        1 for a binary model (scores are a vector), C for a softmax model.
    sample_weight : ndarray of shape (n,), optional
        Non-negative weights w_i; None means all ones.
    l2 : float
        The ridge penalty strength on W (not on b).
    l1 : float
        The lasso penalty strength on W (not on b): the non-smooth part, see `prox`.
    mean, scale : ndarray of shape (d,), optional
        Train on the standardised features Z = (X - mean) / scale (module docstring) instead of
        X itself: both None (the default) means Z = X; one of them None means zeros or ones. A
        scale of inf makes its feature's Z all zeros (a constant feature).
    gram : ndarray of shape (d + 1, d + 1), optional
        `weighted_gram` when the caller already has it (the Standardizer's, from the pass that
        found mean and scale): it is then not computed again.

    The parameters are one flat vector theta of length (d + 1) * n_outputs: viewed as a
    (d + 1, n_outputs) array, its first d rows are W and its last row is b.
    """

    def __init__(
        self,
        X: np.ndarray,
        target: np.ndarray,
        loss: Loss,
        *,
        n_outputs: int,
        sample_weight: np.ndarray | None = None,
        l2: float = 0.0,
        l1: float = 0.0,
        mean: np.ndarray | None = None,
        scale: np.ndarray | None = None,
        gram: np.ndarray | None = None,
    ) -> None:
        self.X = X
        self.target = target
        self.loss = loss
        self.n_outputs = n_outputs
        self.l2 = float(l2)
        self.l1 = float(l1)
        n, d = X.shape
        self.n_params = (d + 1) * n_outputs
        # Uniform weights are applied once to the (d, K) gradient instead of to every score.
        if sample_weight is None:
            self.weight, self.scale = None, 1.0 / n
        else:
            weight = unit_scaled(sample_weight)  # its sum cannot overflow
            self.weight, self.scale = weight / weight.sum(), 1.0
        # float32 data is trained in float32; anything else (float64, integers) in float64
        self._use_dtype(np.dtype(np.float32 if X.dtype == np.float32 else np.float64))
        self.feature_mean, self.feature_scale = _standardisation(mean, scale, d)
        # the features whose Z is all zeros (scale inf): their gradient is 0 exactly
        self._zeroed = (
            None if self.feature_scale is None else np.flatnonzero(np.isinf(self.feature_scale))
        )
        self._raw_W = np.empty((d, n_outputs))
        # the mean in the mapping to the raw X, or None when each block is centred instead
        self._map_mean, self._centre = self.feature_mean, False
        with np.errstate(over="ignore"):  # a ratio beyond float64 is inf: far
            far = self.feature_mean is not None and np.any(
                np.abs(self.feature_mean) / self.feature_scale > CENTRE_RATIO[self.dtype]
            )
        if far:
            self._map_mean, self._centre = None, True
        self._gram = gram  # weighted_gram's, once known
        # a memory-mapped X's file pages, given back after each pair of blocks (None: no file)
        self._pages = FilePages.of(X)

    def _use_dtype(self, dtype: np.dtype) -> None:
        """Arithmetic in `dtype` (float32 or float64): the targets and weights are cast to it
        once, and each evaluation's buffers are made in it, so a float32 epoch makes no float64
        array of the data's size. Sums that must be exact are taken pairwise per block and added
        up in float64 (the loss total, the gradient)."""
        self.dtype = dtype
        if self.target.dtype.kind == "f":
            self.target = self.target.astype(dtype, copy=False)
        if self.weight is not None:
            self.weight = self.weight.astype(dtype, copy=False)
        self.block_rows = _block_rows(self.X.shape[1], dtype.itemsize)
        # 1: one thread, the products on BLAS's own threads. 2 spreads the blocks over two
        # threads: for a caller that holds BLAS to one thread meanwhile (cetrain.estimators
        # does, with threadpoolctl; core imports only NumPy)
        self.threads = 1
        # one workspace per slot of a pair of blocks (see _value_and_grad): scores and scratch
        self._work = (Workspace(), Workspace())

    def buffers(self) -> list[np.ndarray]:
        """The arrays an evaluation works in (for tests of their dtypes)."""
        return [*self._work[0].arrays(), *self._work[1].arrays()]

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Views (W, b) into theta: W of shape (d, K), b of shape (K,)."""
        params = theta.reshape(-1, self.n_outputs)
        return params[:-1], params[-1]

    def pack(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The flat theta of W (d, K) and b (K,): the inverse of `unpack`."""
        return np.vstack([W, np.reshape(b, (1, -1))]).ravel()

    def value(self, theta: np.ndarray) -> float:
        """The whole objective f(theta), the non-smooth l1 ||W||_1 included."""
        return self.value_and_grad(theta, np.empty_like(theta)) + self.l1_penalty(theta)

    def value_and_grad(self, theta: np.ndarray, grad_out: np.ndarray) -> float:
        """Return f(theta) and write df/dtheta into `grad_out` (same shape as theta); f is the
        smooth part, without l1 ||W||_1.

        Scores too large for float64 give an infinite value rather than a warning: the
        optimiser treats a non-finite objective as divergence.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            value = self._value_and_grad(theta, grad_out)
            if self.weight is not None or (math.isfinite(value) and _finite(grad_out)):
                return value
            # the sum of n losses (or of n terms x_i G_i of the gradient) overflowed before its
            # division by n: weigh each by 1/n
            n = self.X.shape[0]
            self.weight, self.scale = np.full(n, 1.0 / n, self.dtype), 1.0
            try:
                return self._value_and_grad(theta, grad_out)
            finally:
                self.weight, self.scale = None, 1.0 / n

    def _value_and_grad(self, theta: np.ndarray, grad_out: np.ndarray) -> float:
        W, b = self._raw_params(theta)  # the model's weights on the raw X
        grad_W, grad_b = self.unpack(grad_out)
        W_T, b_col = self._product_weights(W, b)
        pages = self._pages
        grad_out.fill(0.0)
        blocks = list(_row_blocks(self.X.shape[0], self._rows_per_block()))
        worker = _worker() if self.uses_threads else None
        total = 0.0
        # With threads, blocks go in pairs: the worker thread evaluates the first of each pair
        # (products and loss kernel) while this thread evaluates the second. Each block's sums
        # land in its own buffers and are added up in block order, so threads change no bit.
        for pair_start in range(0, len(blocks), 2):
            pair = blocks[pair_start : pair_start + 2]
            if worker is not None and len(pair) == 2:
                handed = worker.submit(self._block, 0, *pair[0], W_T, b_col)
                try:
                    second = self._block(1, *pair[1], W_T, b_col)
                finally:  # slot 0's buffers are free again only once the worker is done
                    results = [handed()]
                results.append(second)
            else:
                results = [self._block(slot, *rows, W_T, b_col) for slot, rows in enumerate(pair)]
            for value, block_grad_W, block_grad_b in results:
                total += value
                grad_W += block_grad_W
                grad_b += block_grad_b
            if pages is not None:  # a memmap's pages of this pair, read: given back
                pages.release(pair[0][0], pair[-1][1])
        self._standardised_gradient(grad_W, grad_b)
        total *= self.scale  # 1/n without sample weights, else 1 (an exact no-op)
        grad_out *= self.scale
        if self.l2:
            W, _ = self.unpack(theta)
            grad_W += self.l2 * W
            total += _ridge(self.l2, W)
        return total  # the smooth part: the L1 term is the optimiser's (penalty, prox)

    @property
    def blocks_to_share(self) -> bool:
        """True when X has more than one block of rows, which threads > 1 share."""
        return self.X.shape[0] > self._rows_per_block()

    @property
    def uses_threads(self) -> bool:
        """True when an evaluation hands blocks to the worker thread: threads > 1 and more
        than one block of rows."""
        return self.threads > 1 and self.blocks_to_share

    def _product_weights(self, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """W^T (K, d) and b as a column (K, 1), in X's dtype (cast once per evaluation, so
        that the products of float32 data stay float32)."""
        if self.dtype == W.dtype:
            return W.T, b[:, None]
        return W.T.astype(self.dtype), b.astype(self.dtype)[:, None]

    def _rows_per_block(self) -> int:
        """block_rows, or half the rows when they fit in one block but are enough for two
        threads (the block layout does not depend on the number of threads)."""
        n = self.X.shape[0]
        if n <= self.block_rows and n >= 2 * MIN_THREAD_ROWS:
            return (n + 1) // 2
        return self.block_rows

    def _feature_block(self, slot: int, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of X as the epoch reads them: a view, or X_block - mean in the
        slot's buffer when a column is far from zero (CENTRE_RATIO)."""
        X_block = self.X[start:stop]
        if not self._centre:
            return X_block
        centred = self._work[slot].array("centred", X_block.size, self.dtype)
        centred = centred.reshape(X_block.shape)
        # the float64 mean, not its float32 rounding (a shift of up to half its float32 step in
        # every value, which is large next to the scale here): each difference rounded once
        return np.subtract(X_block, self.feature_mean, out=centred)

    def _block_scores(
        self, slot: int, X_block: np.ndarray, W_T: np.ndarray, b_col: np.ndarray
    ) -> np.ndarray:
        """S^T = W^T X_block^T + b, class-major (K, m), in the reused buffer of `slot`."""
        m = X_block.shape[0]
        scores_T = self._work[slot].array("scores", self.n_outputs * m, self.dtype)
        scores_T = scores_T.reshape(self.n_outputs, m)
        np.matmul(W_T, X_block.T, out=scores_T)
        scores_T += b_col
        return scores_T

    def _block(
        self, slot: int, start: int, stop: int, W_T: np.ndarray, b_col: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """One block's weighted loss total and its parts of the gradient (W's and b's)."""
        X_block = self._feature_block(slot, start, stop)
        scores_T = self._block_scores(slot, X_block, W_T, b_col)
        value = self._kernel(scores_T, start, stop, slot)
        return (value, *self._block_gradient(slot, X_block, scores_T))

    def _block_gradient(
        self, slot: int, X_block: np.ndarray, grad_T: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """X_block^T G (d, K) and sum_i G_i (K,) from the block's G^T (K, m), in the slot's
        buffers."""
        d, n_outputs = self.X.shape[1], self.n_outputs
        work = self._work[slot]
        grad_W = work.array("grad_W", d * n_outputs, self.dtype).reshape(d, n_outputs)
        np.matmul(X_block.T, grad_T.T, out=grad_W)
        grad_b = work.array("grad_b", n_outputs, self.dtype)
        np.add.reduce(grad_T, axis=1, out=grad_b)
        return grad_W, grad_b

    def _kernel(self, scores_T: np.ndarray, start: int, stop: int, slot: int) -> float:
        """The loss kernel on one block: its weighted loss total; scores_T becomes G^T."""
        weight = None if self.weight is None else self.weight[start:stop]
        return self.loss.accumulate(
            self._kernel_scores(scores_T),
            _rows(self.target, start, stop),
            weight,
            work=self._work[slot],
        )

    def penalty(self, theta: np.ndarray) -> float:
        """The whole penalty, (l2 / 2) ||W||_F^2 + l1 ||W||_1 (the intercept is not penalised)."""
        if not (self.l2 or self.l1):
            return 0.0
        W, _ = self.unpack(theta)
        return _ridge(self.l2, W) + self.l1_penalty(theta)

    def l1_penalty(self, theta: np.ndarray) -> float:
        """The non-smooth part h(theta) = l1 ||W||_1."""
        W, _ = self.unpack(theta)
        if not self.l1:
            return 0.0
        with np.errstate(over="ignore"):  # inf, as the smooth part is, beyond float64
            return self.l1 * float(np.abs(W).sum())

    def prox(self, theta: np.ndarray, step: float) -> None:
        """Replace theta in place by the proximal point of step * h: soft-thresholding of W,
        W <- sign(W) max(|W| - step l1, 0); the intercept is left alone."""
        W, _ = self.unpack(theta)
        shrunk = np.abs(W) - step * self.l1
        np.maximum(shrunk, 0.0, out=shrunk)
        np.copysign(shrunk, W, out=W)

    def _raw_params(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(W, b) of theta as weights on the blocks `_block` gives (see _to_raw), W in the
        objective's buffer."""
        return self._to_raw(*self.unpack(theta), self._raw_W)

    def _to_raw(
        self, W: np.ndarray, b: np.ndarray, out: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weights on Z as weights on the raw X, W / scale (into `out`, shape of W) and
        b - mean . (W / scale) (b itself when the blocks are centred); W and b themselves
        without standardisation."""
        if self.feature_scale is None:
            return W, b
        np.divide(W, self.feature_scale[:, None], out=out)
        return out, b if self._map_mean is None else b - self._map_mean @ out

    def _standardised_gradient(self, grad_W: np.ndarray, grad_b: np.ndarray) -> None:
        """Turn X^T G in grad_W into Z^T G in place, (X^T G - mean^T sum_i G_i) / scale, given
        grad_b = sum_i G_i (without the mean term when the blocks are centred); nothing to do
        without standardisation."""
        if self.feature_scale is None:
            return
        if self._map_mean is not None:
            grad_W -= np.outer(self._map_mean, grad_b)
        grad_W /= self.feature_scale[:, None]
        if self._zeroed.size:  # Z's column is 0 whatever X^T G was (even inf / inf)
            grad_W[self._zeroed] = 0.0

    def scores(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The scores of other data, e.g. a validation set, in the loss kernel's layout:
        (m,) for a binary model, class-major (K, m) otherwise. X is raw, as the training X:
        standardised by the same mean and scale."""
        W_T, b_col = self._product_weights(*self._raw_params(theta))
        if self._centre:  # centred as the training blocks are (a copy of X)
            X = np.subtract(
                X, self.feature_mean, out=np.empty(X.shape, np.result_type(X, self.dtype))
            )
        return self._kernel_scores(np.ascontiguousarray(W_T @ X.T) + b_col)

    def lipschitz_bound(self) -> float:
        """An upper bound L on the curvature of f, so that a step of 1/L always decreases f.

            L = c * lambda_max(A^T D A) + l2,   A = [Z, 1],  D = diag(w) / sum(w)

        where c = loss.curvature bounds the norm of the loss's Hessian with respect to one
        sample's scores: 1/4 for the sigmoid cross-entropy, 1/2 for the softmax one, 0.154 for
        the binary squared error and 0.616 for the softmax one. lambda_max is exact, from
        `weighted_gram`, for up to GRAM_MAX_FEATURES features, and from power iteration beyond,
        where that matrix gets too large (see _power_iteration). L is inf when the features are
        too large for their squares to be summed in float64.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            if self.X.shape[1] > GRAM_MAX_FEATURES:
                top = self._power_iteration()
            else:
                gram = self.weighted_gram()
                # features so large that their squares overflow: no finite bound
                top = float(np.linalg.eigvalsh(gram)[-1]) if _finite(gram) else np.inf
        return self.loss.curvature * top + self.l2 if np.isfinite(top) else np.inf

    def weighted_gram(self) -> np.ndarray:
        """A^T D A of shape (d + 1, d + 1), with A = [Z, 1] (Z the features the model trains on,
        standardised or not) and D = diag(w) / sum(w) (1/n without sample weights).

        Its last row and column are Z^T D 1 and sum(D) = 1. Accumulated over blocks of rows:
        each block is standardised on its own (in a block-sized buffer, never a copy of X),
        which keeps the centring exact where X's own Gram minus mean mean^T would cancel.
        It is the matrix of the Lipschitz bound and of the optimiser's preconditioner:
        computed once (a pass over X) and kept; non-finite where the features' squares overflow.
        """
        if self._gram is None:
            self._gram = self._weighted_gram()
        return self._gram

    def _weighted_gram(self) -> np.ndarray:
        """weighted_gram's pass over X."""
        n, d = self.X.shape
        gram = np.zeros((d + 1, d + 1))
        rows = _block_rows(d)
        standardised = self.feature_scale is not None
        Z = np.empty((min(n, rows), d)) if standardised else None
        ones = np.ones(min(n, rows))
        with np.errstate(over="ignore", invalid="ignore"):
            for start, stop in released(self.X, _row_blocks(n, rows)):
                Z_block = self.X[start:stop]
                if standardised:
                    Z_block = rowwise(np.subtract, Z_block, self.feature_mean, Z[: stop - start])
                    rowwise(np.divide, Z_block, self.feature_scale, Z_block)
                if standardised and self.weight is None:
                    # standardised values are about 1: their squares sum without overflow
                    gram[:d, :d] += Z_block.T @ Z_block
                    gram[:d, d] += ones[: stop - start] @ Z_block
                    continue
                w = 1.0 / n if self.weight is None else self.weight[start:stop, None]
                weighted = Z_block * w
                gram[:d, :d] += Z_block.T @ weighted
                gram[:d, d] += ones[: stop - start] @ weighted
            if standardised and self.weight is None:
                gram[:d] *= 1.0 / n
        gram[d, :d] = gram[:d, d]
        gram[d, d] = 1.0 if self.weight is None else self.weight.sum()
        # exactly symmetric: the lower triangle (the one eigvalsh reads) mirrored
        return np.tril(gram) + np.tril(gram, -1).T

    def _power_iteration(self, max_iter: int = 300, rtol: float = 1e-6) -> float:
        """Top eigenvalue of A^T D A by power iteration, from a fixed start (so runs repeat
        exactly), with A v and A^T r through the raw X as the scores and gradient are.

        The Rayleigh quotient approaches the top eigenvalue from below; the 5% margin keeps 1/L a
        safe step for the small shortfall that remains when the top eigenvalues are close.
        """
        n, d = self.X.shape
        w = np.full(n, 1.0 / n) if self.weight is None else self.weight
        v = np.random.default_rng(0).standard_normal(d + 1)
        v /= np.linalg.norm(v)
        estimate = 0.0
        raw_v = np.empty((d, 1))
        for _ in range(max_iter):
            # v = (v_W, v_b) as the weights of a one-output model, u = A^T D A v likewise
            v_W, v_b = self._to_raw(v[:d, None], v[d:], raw_v)
            u = np.zeros(d + 1)
            for start, stop in released(self.X, _row_blocks(n, self.block_rows)):
                X_block = self._feature_block(0, start, stop)
                r = w[start:stop] * (X_block @ v_W[:, 0] + v_b[0])  # D A v
                u[:d] += X_block.T @ r
                u[d] += r.sum()
            self._standardised_gradient(u[:d, None], u[d:])
            previous, estimate = estimate, float(v @ u)
            v = u / np.linalg.norm(u)
            if abs(estimate - previous) <= rtol * estimate:
                break
        return 1.05 * estimate

    def _kernel_scores(self, scores_T: np.ndarray) -> np.ndarray:
        """A binary model's single row of scores, as the vector binary losses take."""
        return scores_T[0] if self.n_outputs == 1 else scores_T


def _ridge(l2: float, W: np.ndarray) -> float:
    """(l2 / 2) ||W||_F^2, finite wherever it fits in float64: weights above 1e154, whose
    squares overflow, are scaled by the largest first (a tiny l2 can still make it small)."""
    squares = float(np.vdot(W, W))
    if math.isfinite(squares):
        return 0.5 * l2 * squares
    top = float(np.max(np.abs(W)))
    scaled = W / top
    return 0.5 * (l2 * top) * top * float(np.vdot(scaled, scaled))


def _block_rows(d: int, itemsize: int = 8) -> int:
    """Rows per block so that a block of X (d columns of `itemsize` bytes) is about
    BLOCK_BYTES (this module's, read when called)."""
    return block_rows(d, itemsize, BLOCK_BYTES)


class _Worker:
    """One persistent thread that evaluates the blocks handed to it, one at a time. NumPy
    releases the GIL inside its ufuncs and products, so a block here runs alongside the
    caller's. Each task has its own reply queue: a caller interrupted before it took its
    result leaves nothing behind for the next one, and callers on other threads may share it."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self.pid = os.getpid()
        threading.Thread(target=self._run, name="cetrain-blocks", daemon=True).start()

    def _run(self) -> None:
        # as in value_and_grad: scores beyond the dtype give inf, not a warning
        with np.errstate(over="ignore", invalid="ignore"):
            while True:
                function, args, reply = self._tasks.get()
                try:
                    reply.put((function(*args), None))
                except BaseException as error:  # handed back to the caller, raised there
                    reply.put((None, error))

    def submit(self, function: Callable[..., object], *args: object) -> Callable[[], object]:
        """Queue function(*args); returns what waits for its result (and raises its error)."""
        reply: queue.SimpleQueue = queue.SimpleQueue()
        self._tasks.put((function, args, reply))

        def result() -> object:
            value, error = reply.get()
            if error is not None:
                raise error
            return value

        return result


_WORKER: _Worker | None = None
_WORKER_LOCK = threading.Lock()


def _worker() -> _Worker:
    """The process's kernel thread, started on first use (and again in a forked child)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None or _WORKER.pid != os.getpid():
            _WORKER = _Worker()
        return _WORKER


def _rows(target: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Samples start..stop of a target: labels (n,) or class-major probabilities (C, n)."""
    return target[start:stop] if target.ndim == 1 else target[:, start:stop]


def _row_blocks(n: int, block_rows: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive row blocks covering 0..n."""
    for start in range(0, n, block_rows):
        yield start, min(start + block_rows, n)


def _standardisation(
    mean: np.ndarray | None, scale: np.ndarray | None, d: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(mean, scale) as float64 arrays of shape (d,), or (None, None) for no standardisation."""
    if mean is None and scale is None:
        return None, None
    mean = np.zeros(d) if mean is None else np.asarray(mean, dtype=np.float64)
    scale = np.ones(d) if scale is None else np.asarray(scale, dtype=np.float64)
    if mean.shape != (d,) or scale.shape != (d,):
        raise ValueError(f"mean and scale need shape ({d},); got {mean.shape} and {scale.shape}")
    return mean, scale


def _finite(array: np.ndarray) -> bool:
    """Whether every entry is finite (a sum is nan or inf if one is not, or if it overflows)."""
    return bool(np.isfinite(array.sum())) or bool(np.all(np.isfinite(array)))
