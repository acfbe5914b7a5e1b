"""The one place where X, W, b, the penalty and the chain rule meet.

For a linear model with scores S = X W + b (one column per output; a single column, kept as a
vector, for binary models) the training objective is

    f(W, b) = sum_i w_i l(S_i, y_i) / sum_i w_i  +  (l2 / 2) ||W||_F^2

and its gradient, with G_i = (w_i / sum_j w_j) dl/dS_i, is

    df/dW = X^T G + l2 W,        df/db = sum_i G_i.

An L1 penalty l1 ||W||_1 (elastic net with l2) is not differentiable: it is the non-smooth part
h of the objective, handled by the optimiser's proximal step (`penalty`, `prox`).

The intercept is not penalised. An evaluation walks X in blocks of rows: each block's scores are
formed class-major, S^T = W^T X_block^T, in a preallocated buffer, turned into G^T in place by
the loss kernel, and multiplied back by the same block of X while it is still in cache.
No one-hot matrix and no copy of X is made.
"""

import math
from collections.abc import Iterator

import numpy as np

from cetrain.core.losses import Loss, unit_scaled

# Rows per block: a block of X is about this many bytes, so it is still in the CPU's cache when
# X_block^T G_block reads it again right after X_block W. Smaller blocks pay the fixed cost of
# more, smaller BLAS calls; 4 MB was the best size on every shape of benchmarks/epoch.py.
BLOCK_BYTES = 1 << 22
# Above this many features the step size's eigenvalue comes from power iteration, not a Gram matrix.
GRAM_MAX_FEATURES = 1024


class LinearObjective:
    """Penalised weighted mean loss of the linear scores X W + b, with its gradient.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Float64 features; used as they are (not copied), so pass a C-contiguous array.
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
        self.block_rows = _block_rows(d)
        self._scores = np.empty(n_outputs * min(n, self.block_rows))
        self._block_grad = np.empty((d, n_outputs))
        self._gram: np.ndarray | None = None  # weighted_gram's, once computed

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
            if math.isfinite(value) or self.weight is not None:
                return value
            # the sum of n losses overflowed before its division by n: weigh each by 1/n
            n = self.X.shape[0]
            self.weight, self.scale = np.full(n, 1.0 / n), 1.0
            try:
                return self._value_and_grad(theta, grad_out)
            finally:
                self.weight, self.scale = None, 1.0 / n

    def _value_and_grad(self, theta: np.ndarray, grad_out: np.ndarray) -> float:
        W, b = self.unpack(theta)
        grad_W, grad_b = self.unpack(grad_out)
        total = 0.0
        for first, (start, stop) in enumerate(_row_blocks(self.X.shape[0], self.block_rows)):
            X_block = self.X[start:stop]
            # class-major (K, m) view of the buffer's start, contiguous for the loss kernel
            scores_T = self._scores[: self.n_outputs * (stop - start)].reshape(self.n_outputs, -1)
            np.matmul(W.T, X_block.T, out=scores_T)
            scores_T += b[:, None]
            weight = None if self.weight is None else self.weight[start:stop]
            total += self.loss.accumulate(
                self._kernel_scores(scores_T), _rows(self.target, start, stop), weight
            )
            # scores_T now holds G^T for this block: accumulate X_block^T G and sum_i G_i
            if first == 0:
                np.matmul(X_block.T, scores_T.T, out=grad_W)
                np.sum(scores_T, axis=1, out=grad_b)
            else:
                np.matmul(X_block.T, scores_T.T, out=self._block_grad)
                grad_W += self._block_grad
                grad_b += scores_T.sum(axis=1)
        if self.scale != 1.0:
            total *= self.scale
            grad_out *= self.scale
        if self.l2:
            grad_W += self.l2 * W
            total += _ridge(self.l2, W)
        return total  # the smooth part: the L1 term is the optimiser's (penalty, prox)

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

    def scores(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The scores of other data, e.g. a validation set, in the loss kernel's layout:
        (m,) for a binary model, class-major (K, m) otherwise."""
        W, b = self.unpack(theta)
        return self._kernel_scores(np.ascontiguousarray(W.T @ X.T) + b[:, None])

    def lipschitz_bound(self) -> float:
        """An upper bound L on the curvature of f, so that a step of 1/L always decreases f.

            L = c * lambda_max(A^T D A) + l2,   A = [X, 1],  D = diag(w) / sum(w)

        where c = loss.curvature bounds the norm of the loss's Hessian with respect to one
        sample's scores: 1/4 for the sigmoid cross-entropy, 1/2 for the softmax one, 0.154 for
        the binary squared error and 0.616 for the softmax one. L is inf when the features are
        too large for their squares to be summed in float64.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            if self.X.shape[1] > GRAM_MAX_FEATURES:
                top = _power_iteration(self.X, self._row_weights())
            else:
                top = _top_eigenvalue(self.weighted_gram())
        return self.loss.curvature * top + self.l2 if np.isfinite(top) else np.inf

    def weighted_gram(self) -> np.ndarray:
        """A^T D A, shape (d + 1, d + 1), with A = [X, 1] and D = diag(w) / sum(w) (1/n without
        weights): the matrix of the Lipschitz bound and of the optimiser's preconditioner.
        Computed once (a pass over X) and kept; non-finite where the features' squares overflow.
        """
        if self._gram is None:
            with np.errstate(over="ignore", invalid="ignore"):
                self._gram = _weighted_gram(self.X, self._row_weights())
        return self._gram

    def _row_weights(self) -> np.ndarray:
        """The normalised row weights, 1/n each without sample weights."""
        n = self.X.shape[0]
        return np.full(n, 1.0 / n) if self.weight is None else self.weight

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


def _block_rows(d: int) -> int:
    """Rows per block so that a block of X (d float64 columns) is about BLOCK_BYTES."""
    return max(64, BLOCK_BYTES // (8 * max(d, 1)))


def _rows(target: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Samples start..stop of a target: labels (n,) or class-major probabilities (C, n)."""
    return target[start:stop] if target.ndim == 1 else target[:, start:stop]


def _row_blocks(n: int, block_rows: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive row blocks covering 0..n."""
    for start in range(0, n, block_rows):
        yield start, min(start + block_rows, n)


def _top_eigenvalue(gram: np.ndarray) -> float:
    """Largest eigenvalue of the (d+1) x (d+1) matrix A^T D A (inf if it is not finite).

    Used for up to GRAM_MAX_FEATURES features; beyond, where that matrix gets too large, the
    eigenvalue comes from power iteration (see _power_iteration).
    """
    if not np.all(np.isfinite(gram)):
        return np.inf  # features so large that their squares overflow
    return float(np.linalg.eigvalsh(gram)[-1])


def _weighted_gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A^T D A with A = [X, 1] and D = diag(w)."""
    n, d = X.shape
    # Accumulated over row blocks, so no weighted copy of X is made.
    gram = np.zeros((d + 1, d + 1))
    for start, stop in _row_blocks(n, _block_rows(d)):
        X_block, w_block = X[start:stop], w[start:stop]
        weighted = X_block * w_block[:, None]
        gram[:d, :d] += X_block.T @ weighted
        gram[:d, d] += weighted.sum(axis=0)
    gram[d, :d] = gram[:d, d]
    gram[d, d] = w.sum()
    return gram


def _power_iteration(
    X: np.ndarray, w: np.ndarray, max_iter: int = 300, rtol: float = 1e-6
) -> float:
    """Top eigenvalue of A^T D A by power iteration, from a fixed start (so runs repeat exactly).

    The Rayleigh quotient approaches the top eigenvalue from below; the 5% margin keeps 1/L a
    safe step for the small shortfall that remains when the top eigenvalues are close.
    """
    d = X.shape[1]
    v = np.random.default_rng(0).standard_normal(d + 1)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(max_iter):
        r = w * (X @ v[:d] + v[d])  # D A v
        u = np.append(X.T @ r, r.sum())  # A^T D A v
        previous, estimate = estimate, float(v @ u)
        v = u / np.linalg.norm(u)
        if abs(estimate - previous) <= rtol * estimate:
            break
    return 1.05 * estimate
