"""Losses written on scores (logits): each has a value and a gradient with respect to the scores.

Every loss is an object with one signature::

    loss(scores, y, *, sample_weight=None, reduction="mean")            -> value
    loss.grad(scores, y, *, sample_weight=None, reduction="mean")       -> d value / d scores
    loss.value_and_grad(scores, y, *, sample_weight=None, reduction="mean")

Reductions, with per-sample losses l_i and weights w_i (all 1 when sample_weight is None):

    "mean":  sum_i w_i l_i / sum_i w_i
    "sum":   sum_i w_i l_i
    "none":  the vector (w_i l_i)_i; its "gradient" holds each sample's own d(w_i l_i)/d s_i

No loss takes probabilities or computes log(p + eps): the log of a probability is always formed
from the scores with log-sum-exp, so it is exact where the probability underflows to zero.
The objective (cetrain.objective) calls `accumulate`, the in-place kernel behind all three methods.
"""

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from cetrain.errors import ConfigError, DataError

Reduction = Literal["mean", "sum", "none"]
REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """A loss on scores: value, gradient, and the in-place kernel the training loop uses.

    `curvature` bounds the spectral norm of one sample's Hessian d^2 l / ds^2 over all scores and
    targets; the objective turns it into a safe step size.
    """

    name: str = ""
    curvature: float = np.inf

    def __call__(
        self,
        scores: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
    ) -> float | np.ndarray:
        return self.value_and_grad(scores, y, sample_weight=sample_weight, reduction=reduction)[0]

    def grad(
        self,
        scores: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
    ) -> np.ndarray:
        """Gradient of the reduced loss with respect to `scores`; same shape as `scores`."""
        return self.value_and_grad(scores, y, sample_weight=sample_weight, reduction=reduction)[1]

    def value_and_grad(
        self,
        scores: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
    ) -> tuple[float | np.ndarray, np.ndarray]:
        """The reduced loss and its gradient with respect to `scores`, in one pass."""
        if reduction not in REDUCTIONS:
            raise ConfigError(f"unknown reduction {reduction!r}; use one of: mean, sum, none")
        s = self.check_scores(scores)
        target = self.prepare_target(y, s.shape)
        weight = check_sample_weight(sample_weight, s.shape[0])
        if reduction == "mean":
            weight = weight / weight.sum()
        per_sample = np.empty(s.shape[0]) if reduction == "none" else None
        kernel_scores = self.to_kernel_layout(s)
        total = self.accumulate(kernel_scores, target, weight, per_sample)
        grad = self.from_kernel_layout(kernel_scores)
        if reduction == "none":
            return per_sample * weight, grad
        return float(total), grad

    # --- what each loss defines -------------------------------------------------------------

    def check_scores(self, scores: ArrayLike) -> np.ndarray:
        """`scores` as float64, checked for shape (not copied)."""
        raise NotImplementedError

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        """Targets in the form `accumulate` expects, checked against the scores' shape (n, ...)."""
        raise NotImplementedError

    def to_kernel_layout(self, scores: np.ndarray) -> np.ndarray:
        """A copy of the scores as `accumulate` takes them, which it may overwrite: (n,) here,
        class-major (C, n) for multiclass losses."""
        return scores.copy()

    def from_kernel_layout(self, scores: np.ndarray) -> np.ndarray:
        """The inverse of to_kernel_layout."""
        return scores

    def accumulate(
        self,
        scores: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None,
        per_sample: np.ndarray | None = None,
    ) -> float:
        """Return sum_i weight_i l_i and overwrite `scores` with weight_i * dl_i/ds_i.

        Scores come in the kernel layout: (n,) for binary losses and class-major (C, n) for
        multiclass ones, where the reductions over classes are fast elementwise operations
        between rows. `weight` None means all ones. With `per_sample`, l_i is written into it.
        """
        raise NotImplementedError


# --- binary losses: scores of shape (n,), targets in [0, 1] ---------------------------------


class _BinaryLoss(Loss):
    def check_scores(self, scores: ArrayLike) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 1 or s.shape[0] == 0:
            raise DataError(
                f"{self.name} takes scores of shape (n,) with n >= 1; got shape {s.shape}"
            )
        return s

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        return _binary_target(y, shape[0], self.name)


class BinaryCrossEntropy(_BinaryLoss):
    """Binary cross-entropy (log loss) on scores s, for targets y in [0, 1] (usually 0/1).

        l(s, y) = log(1 + exp(s)) - y*s  =  -[y log sigma(s) + (1 - y) log(1 - sigma(s))]
        dl/ds   = sigma(s) - y

    log(1 + exp(s)) is computed as max(s, 0) + log1p(exp(-|s|)), which never overflows.
    """

    name = "binary_cross_entropy"
    curvature = 0.25  # max of sigma'(s) = sigma(s)(1 - sigma(s))

    def accumulate(self, scores, target, weight, per_sample=None):
        e = np.exp(-np.abs(scores))  # in (0, 1]; shared by the loss and the sigmoid
        loss = np.log1p(e, out=per_sample)
        loss += np.maximum(scores, 0.0)
        loss -= target * scores
        # sigma(s) = 1/(1+e) for s >= 0 and e/(1+e) for s < 0: the same e, no second exp
        np.copyto(scores, np.where(scores >= 0, 1.0, e) / (1.0 + e))
        scores -= target
        return _weighted_total(loss, scores, weight)


# max |d^2/ds^2 (sigma(s) - y)^2| over s and y in [0, 1]: at y = 0 it is 2 q^2 (1 - q)(2 - 3q) with
# q = sigma(s), largest at q = (15 - sqrt(33)) / 24.
_WORST_SIGMOID = (15 - np.sqrt(33)) / 24
_BINARY_MSE_CURVATURE = float(
    2 * _WORST_SIGMOID**2 * (1 - _WORST_SIGMOID) * (2 - 3 * _WORST_SIGMOID)
)


class BinaryMSE(_BinaryLoss):
    """Squared error between the predicted probability sigma(s) and the 0/1 target y.

        l(s, y) = (sigma(s) - y)^2
        dl/ds   = 2 (sigma(s) - y) sigma'(s),   sigma'(s) = sigma(s)(1 - sigma(s))

    This equals sklearn.metrics.brier_score_loss(y, sigma(s)). The factor sigma'(s) <= 1/4
    vanishes when the neuron saturates, which is why MSE learns slowly from confident mistakes.
    """

    name = "mse"
    curvature = _BINARY_MSE_CURVATURE

    def accumulate(self, scores, target, weight, per_sample=None):
        e = np.exp(-np.abs(scores))
        one_plus_e = 1.0 + e
        prob = np.where(scores >= 0, 1.0, e) / one_plus_e
        # sigma'(s) = e / (1 + e)^2 for either sign of s; no 1 - sigma cancellation
        slope = e / (one_plus_e * one_plus_e)
        residual = prob - target
        loss = np.square(residual, out=per_sample)
        np.multiply(residual, slope, out=scores)
        scores *= 2.0
        return _weighted_total(loss, scores, weight)


# --- multiclass losses: scores of shape (n, C), integer labels or probability rows ----------


class _MulticlassLoss(Loss):
    def check_scores(self, scores: ArrayLike) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] < 2:
            raise DataError(
                f"{self.name} takes scores of shape (n, C) with n >= 1 and C >= 2; "
                f"got shape {s.shape}"
            )
        return s

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        return _multiclass_target(y, shape, self.name)

    def to_kernel_layout(self, scores: np.ndarray) -> np.ndarray:
        return np.array(scores.T, order="C")  # always a copy, even of Fortran-ordered scores

    def from_kernel_layout(self, scores: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(scores.T)


class CrossEntropy(_MulticlassLoss):
    """Softmax cross-entropy on scores s (n, C) for labels y in 0..C-1 or probability rows t.

        l(s, y) = logsumexp(s) - s_y                   = -log softmax(s)_y
        l(s, t) = sum_k t_k (logsumexp(s) - s_k)       = -sum_k t_k log softmax(s)_k
        dl/ds   = softmax(s) - onehot(y)    (labels),    softmax(s) * sum_k t_k - t   (rows)

    No one-hot matrix is built for labels: 1 is subtracted at the label's position.
    """

    name = "cross_entropy"
    curvature = 0.5  # ||diag(p) - p p^T|| <= 1/2

    def accumulate(self, scores, target, weight, per_sample=None):
        scores -= np.max(scores, axis=0)  # shift each sample's scores so that exp(.) <= 1
        if target.ndim == 1:
            label_at = _label_positions(target, scores.shape[1])
            target_score = scores.reshape(-1).take(label_at)
        else:
            # 0 * (-inf) would be nan; a class with t_k = 0 contributes nothing
            target_score = np.sum(target * np.where(target != 0, scores, 0.0), axis=0)
        np.exp(scores, out=scores)
        normaliser = np.sum(scores, axis=0)
        scores *= 1.0 / normaliser  # scores now hold softmax(s)
        loss = np.log(normaliser, out=per_sample)
        if target.ndim == 1:
            loss -= target_score
            scores.reshape(-1)[label_at] -= 1.0
        else:
            target_mass = np.sum(target, axis=0)
            loss *= target_mass
            loss -= target_score
            scores *= target_mass
            scores -= target
        return _weighted_total(loss, scores, weight)


class MulticlassMSE(_MulticlassLoss):
    """Squared error between softmax(s) and the one-hot (or probability) target t, summed over k.

        l(s, t) = sum_k (p_k - t_k)^2,   p = softmax(s)
        dl/ds_j = 2 p_j (e_j - sum_k e_k p_k),   e = p - t

    This is the multiclass Brier score: sklearn.metrics.brier_score_loss(y, p, scale_by_half=False)
    for any C (scikit-learn's default for C >= 3; for C = 2 it halves by default).
    """

    name = "mse"
    # Two classes reduce to the binary case along s_1 - s_0, which doubles the squared error and
    # the squared direction norm: 4x. A numerical search over C = 2..10 found no larger value.
    curvature = 4 * _BINARY_MSE_CURVATURE

    def accumulate(self, scores, target, weight, per_sample=None):
        scores -= np.max(scores, axis=0)
        np.exp(scores, out=scores)
        scores *= 1.0 / np.sum(scores, axis=0)  # scores now hold p = softmax(s)
        residual = scores.copy()
        if target.ndim == 1:
            residual.reshape(-1)[_label_positions(target, scores.shape[1])] -= 1.0
        else:
            residual -= target
        loss = np.sum(np.square(residual), axis=0, out=per_sample)
        residual -= np.sum(residual * scores, axis=0)
        scores *= residual
        scores *= 2.0
        return _weighted_total(loss, scores, weight)


binary_cross_entropy = BinaryCrossEntropy()
cross_entropy = CrossEntropy()
binary_mse = BinaryMSE()
multiclass_mse = MulticlassMSE()


class MSE(Loss):
    """Squared error between predicted probabilities and the target.

    Scores of shape (n,) use the sigmoid (binary_mse); scores of shape (n, C) use the softmax
    (multiclass_mse). Every call is handed whole to the one that fits the scores' shape; the
    training loop uses those two directly (see loss_for).
    """

    name = "mse"

    def value_and_grad(self, scores, y, *, sample_weight=None, reduction="mean"):
        loss = binary_mse if np.ndim(scores) == 1 else multiclass_mse
        return loss.value_and_grad(scores, y, sample_weight=sample_weight, reduction=reduction)


mse = MSE()

LOSS_NAMES = ("cross-entropy", "mse")


def loss_for(name: str, *, binary: bool) -> Loss:
    """The loss a model trains on: `name` is "cross-entropy" or "mse"; binary models use sigmoid."""
    if name == "cross-entropy":
        return binary_cross_entropy if binary else cross_entropy
    if name == "mse":
        return binary_mse if binary else multiclass_mse
    raise ConfigError(f"unknown loss {name!r}; use one of: {', '.join(LOSS_NAMES)}")


# --- input checks ------------------------------------------------------------------------------


def _weighted_total(loss: np.ndarray, grad: np.ndarray, weight: np.ndarray | None) -> float:
    """sum_i w_i l_i, scaling each sample's gradient (the last axis) by w_i in place."""
    if weight is None:
        return float(np.sum(loss))
    grad *= weight
    return float(loss @ weight)


def _label_positions(labels: np.ndarray, n: int) -> np.ndarray:
    """Flat positions of (labels[i], i) in a C-contiguous class-major (C, n) array."""
    return labels * n + np.arange(n)


def check_sample_weight(sample_weight: ArrayLike | None, n: int) -> np.ndarray:
    """Sample weights as float64 (n,), finite, >= 0 and not all zero (None: all ones)."""
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise DataError(
            f"sample_weight must have shape ({n},), one weight per sample; got {w.shape}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise DataError("sample_weight must be finite and >= 0")
    if not w.sum() > 0:
        raise DataError("sample_weight must not be all zero")
    return w


def _binary_target(y: ArrayLike, n: int, loss_name: str) -> np.ndarray:
    """Binary targets as float64 (n,) in [0, 1]."""
    t = np.asarray(y)
    if t.shape != (n,):
        raise DataError(
            f"{loss_name} takes y of shape ({n},), one 0/1 target per score; got {t.shape}"
        )
    if not (np.issubdtype(t.dtype, np.number) or t.dtype == bool):
        raise DataError(f"{loss_name} takes numeric 0/1 targets; got values of type {t.dtype}")
    t = t.astype(np.float64)
    if not np.all((t >= 0) & (t <= 1)):
        raise DataError(f"{loss_name} takes targets in [0, 1] (0/1 labels or probabilities)")
    return t


def _multiclass_target(y: ArrayLike, shape: tuple[int, ...], loss_name: str) -> np.ndarray:
    """Integer labels (n,) in 0..C-1, or probability rows (n, C) summing to 1, as (C, n)."""
    n, n_classes = shape
    t = np.asarray(y)
    if t.ndim == 1 and t.shape[0] == n:
        if not (np.issubdtype(t.dtype, np.number) or t.dtype == bool):
            raise DataError(f"{loss_name} takes integer labels 0..{n_classes - 1}; got {t.dtype}")
        # Range first: casting NaN or 1e30 to an integer is undefined (and warns).
        in_range = np.all((t >= 0) & (t < n_classes))
        labels = t.astype(np.intp) if in_range else None
        if labels is None or not np.array_equal(labels, t):
            raise DataError(
                f"{loss_name} takes integer labels 0..{n_classes - 1} for {n_classes} classes"
            )
        return labels
    if t.shape == (n, n_classes):
        probs = t.astype(np.float64)
        if not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise DataError(f"{loss_name} takes probability rows with entries >= 0")
        if not np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-6):
            raise DataError(f"{loss_name} takes probability rows that sum to 1")
        return np.ascontiguousarray(probs.T)  # class-major, like the kernel's scores
    raise DataError(
        f"{loss_name} takes y as labels of shape ({n},) or probabilities of shape "
        f"({n}, {n_classes}); got {t.shape}"
    )
