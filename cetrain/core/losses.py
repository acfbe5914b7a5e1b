"""Losses written on scores (logits): each has a value and a gradient with respect to the scores.

Every loss is an object with one signature::

    loss(scores, y, *, sample_weight=None, reduction="mean", **options)            -> value
    loss.grad(scores, y, *, sample_weight=None, reduction="mean", **options)       -> d value / d s
    loss.value_and_grad(scores, y, *, sample_weight=None, reduction="mean", **options)

Options (label smoothing, class weights, focal's gamma, ...) are declared by each loss in
`option_names`; `loss(..., label_smoothing=0.1)` is `loss.configured(label_smoothing=0.1)(...)`.
The module-level objects (`binary_cross_entropy`, `cross_entropy`, `mse`, ...) have the defaults.

Reductions, with per-sample losses l_i and weights w_i = sample_weight_i * m_i, where m_i is the
loss's `sample_multiplier` (class weights of the labels; 1 for most losses):

    "mean":  sum_i w_i l_i / sum_i w_i
    "sum":   sum_i w_i l_i
    "none":  the vector (w_i l_i)_i; its "gradient" holds each sample's own d(w_i l_i)/d s_i

No loss takes probabilities or computes log(p + eps): the log of a probability is always formed
from the scores with log-sum-exp, so it is exact where the probability underflows to zero.
The objective (cetrain.core.objective) calls `accumulate`, the in-place kernel behind all three
methods, with the targets of `prepare_target` and the weights sample_weight * `sample_multiplier`.
"""

import dataclasses
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from cetrain.core.heads import MODEL_KINDS
from cetrain.core.params import (
    MAX_CLASS_WEIGHT,
    ClassValues,
    Number,
    OneOf,
    Param,
    is_class_weight,
    is_none_word,
    is_number,
    number_text,
    per_class,
)
from cetrain.errors import ConfigError, DataError

__all__ = [
    "FOCAL_ALPHA",
    "FOCAL_GAMMA",
    "LABEL_SMOOTHING",
    "LOSSES",
    "LOSS_NAMES",
    "MSE",
    "REDUCTIONS",
    "SCE_ALPHA",
    "SCE_BETA",
    "SCE_LOG_ZERO",
    "BinaryCrossEntropy",
    "BinaryFocalLoss",
    "BinaryHinge",
    "BinaryMSE",
    "BinarySymmetricCrossEntropy",
    "CrammerSingerHinge",
    "CrossEntropy",
    "Loss",
    "LossOption",
    "LossSpec",
    "MulticlassMSE",
    "MultilabelLoss",
    "Reduction",
    "SoftmaxFocalLoss",
    "SymmetricCrossEntropy",
    "binary_cross_entropy",
    "binary_hinge",
    "binary_mse",
    "binary_symmetric_cross_entropy",
    "check_sample_weight",
    "cross_entropy",
    "focal_loss",
    "loss_for",
    "loss_spec",
    "mse",
    "multiclass_hinge",
    "multiclass_mse",
    "multilabel_cross_entropy",
    "multilabel_focal_loss",
    "softmax_focal_loss",
    "symmetric_cross_entropy",
    "unit_scaled",
]

Reduction = Literal["mean", "sum", "none"]
REDUCTIONS = ("mean", "sum", "none")

# The options a run can set, declared once: the losses check their values with these, and the
# registry below makes them settings (cetrain.runs.settings) and options (cetrain.cli).
LABEL_SMOOTHING = Param(
    "label_smoothing",
    Number(0.0, 1.0, high_open=True),
    0.0,
    "Smooth the targets: (1-e) onehot + e/C (binary: y(1-e) + e/2).",
)
# (1 - p_t)^gamma: beyond 100, every point right with p_t > 0.5 weighs less than 1e-30 and only
# the worst ones train (the paper uses 0..5); gamma times the loss stays finite in the gradient.
MAX_FOCAL_GAMMA = 100.0
FOCAL_GAMMA = Param(
    "gamma", Number(0.0, MAX_FOCAL_GAMMA), 2.0, "Focal loss: the exponent gamma of (1 - p_t)."
)
# a sigmoid output's alpha (None: no weighting); a softmax's is one weight >= 0 per class
FOCAL_POSITIVE_WEIGHT = Param(
    "alpha", Number(0.0, 1.0), 0.25, "Focal loss: the weight of the positive class."
)
FOCAL_ALPHA = Param(
    "alpha",
    OneOf(
        words=("none",),
        domains=(FOCAL_POSITIVE_WEIGHT.domain, ClassValues()),
        expected='a number in [0, 1], "none", or class=weight pairs like "a=0.5,b=0.25"',
        metavar="NUMBER|none",
    ),
    None,
    "Focal loss: alpha, the weight of the positive class (sigmoid outputs), class=weight pairs "
    '(softmax, like "a=0.5,b=0.25"), or none.',
    default_text="0.25 sigmoid, none softmax",
)
# alpha and beta weigh two terms against each other (the paper uses 0.01..10): only their ratio
# and scale matter, and up to 1e3 the loss, its gradient and its curvature bound stay finite for
# every score a model reaches. A below log(5e-324) = -744.4, the log of float64's smallest
# probability, stands for no probability; A above log(0.99) = -0.01 stands for a probability
# near 1, not 0 (and makes the reverse term vanish).
MAX_SCE_LOG_ZERO = -0.01
MAX_SCE_WEIGHT = 1e3
# one of them at least this, so that the loss's curvature, and 1 / it, stay normal numbers
MIN_SCE_WEIGHT = 1e-12
SCE_ALPHA = Param(
    "alpha",
    Number(0.0, MAX_SCE_WEIGHT),
    0.1,
    "Symmetric cross-entropy: the weight of cross-entropy.",
)
SCE_BETA = Param(
    "beta",
    Number(0.0, MAX_SCE_WEIGHT),
    1.0,
    "Symmetric cross-entropy: the weight of reverse cross-entropy.",
)
SCE_LOG_ZERO = Param(
    "log_zero",
    Number(-745.0, MAX_SCE_LOG_ZERO),
    -4.0,
    "Symmetric cross-entropy: A, the value that stands for log 0 (the paper's A).",
)


class Loss:
    """A loss on scores: value, gradient, and the in-place kernel the training loop uses.

    `curvature` bounds the spectral norm of one sample's Hessian d^2 l / ds^2 over all scores and
    targets; the objective turns it into a safe step size. `smooth` is False for a loss whose
    gradient is only a subgradient (hinge): its curvature is then a nominal scale, not a bound.
    """

    name: str = ""
    option_names: tuple[str, ...] = ()
    curvature: float = np.inf
    smooth: bool = True

    @property
    def options(self) -> dict[str, object]:
        """The loss's options and their values."""
        return {option: getattr(self, option) for option in self.option_names}

    def configured(self, **options: object) -> "Loss":
        """A new loss of the same kind with `options` changed (the others kept)."""
        self._check_option_names(options)
        return type(self)(**{**self.options, **options})

    def _check_option_names(self, options: dict[str, object]) -> None:
        for option in options:
            if option not in self.option_names:
                accepted = (
                    f"use one of: {', '.join(self.option_names)}"
                    if self.option_names
                    else "it takes no options"
                )
                raise ConfigError(f"{self.name} has no option {option!r}; {accepted}")

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.options.items())
        return f"{type(self).__name__}({options})"

    def __call__(
        self,
        scores: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
        **options: object,
    ) -> float | np.ndarray:
        return self.value_and_grad(
            scores, y, sample_weight=sample_weight, reduction=reduction, **options
        )[0]

    def grad(
        self,
        scores: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
        **options: object,
    ) -> np.ndarray:
        """Gradient of the reduced loss with respect to `scores`; same shape as `scores`."""
        return self.value_and_grad(
            scores, y, sample_weight=sample_weight, reduction=reduction, **options
        )[1]

    def value_and_grad(
        self,
        scores: ArrayLike,
        y: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
        **options: object,
    ) -> tuple[float | np.ndarray, np.ndarray]:
        """The reduced loss and its gradient with respect to `scores`, in one pass."""
        if options:
            return self.configured(**options).value_and_grad(
                scores, y, sample_weight=sample_weight, reduction=reduction
            )
        _check_reduction(reduction)
        s = self.check_scores(scores)
        target = self.prepare_target(y, s.shape)
        weight = self._weight(sample_weight, y, s.shape, reduction)
        return self._reduce(s, target, weight, reduction)

    def _reduce(
        self, s: np.ndarray, target: np.ndarray, weight: np.ndarray, reduction: Reduction
    ) -> tuple[float | np.ndarray, np.ndarray]:
        """value_and_grad on checked scores, prepared targets and the full weights."""
        if reduction == "mean":
            weight = unit_scaled(weight)
            weight /= weight.sum()
        per_sample = np.empty(s.shape[0]) if reduction == "none" else None
        kernel_scores = self.to_kernel_layout(s)
        total = self.accumulate(kernel_scores, target, weight, per_sample)
        grad = self.from_kernel_layout(kernel_scores)
        if reduction == "none":
            return per_sample * weight, grad
        return float(total), grad

    def _weight(
        self,
        sample_weight: ArrayLike | None,
        y: ArrayLike,
        shape: tuple[int, ...],
        reduction: Reduction = "sum",
    ) -> np.ndarray:
        """sample_weight * sample_multiplier, checked. For the "mean" reduction only their
        ratios matter: each factor is unit_scaled first, so that the product of two weights
        near the largest float64 does not overflow (or of two tiny ones underflow)."""
        weight = check_sample_weight(sample_weight, shape[0])
        multiplier = self.sample_multiplier(y, shape)
        if multiplier is None:
            return weight
        if reduction == "mean":
            weight = unit_scaled(weight) * unit_scaled(multiplier)
        else:
            weight = weight * multiplier
        if not np.any(weight > 0):
            raise DataError("sample_weight times class_weight of each label must not be all zero")
        return weight

    # --- what each loss defines -------------------------------------------------------------

    def check_scores(self, scores: ArrayLike) -> np.ndarray:
        """`scores` as float64, checked for shape (not copied)."""
        raise NotImplementedError

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        """Targets in the form `accumulate` expects, checked against the scores' shape (n, ...)."""
        raise NotImplementedError

    def sample_multiplier(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray | None:
        """Per-sample factors (n,) that multiply sample_weight, e.g. the class weight of each
        label; None means all ones. The "mean" reduction divides by the sum of the products."""
        return None

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
        work: "Workspace | None" = None,
    ) -> float:
        """Return sum_i weight_i l_i and overwrite `scores` with weight_i * dl_i/ds_i.

        Scores come in the kernel layout: (n,) for binary losses and C-contiguous class-major
        (C, n) for multiclass ones, where the reductions over classes are fast elementwise
        operations between rows. `weight` None means all ones. With `per_sample`, l_i is
        written into it. The arithmetic is in the scores' dtype (float32 scores take float32
        targets and weights); `work` holds scratch arrays reused from call to call (None: fresh
        ones), as the training loop calls the kernel once per block of rows.
        """
        raise NotImplementedError


class Workspace:
    """Scratch arrays that a loss kernel reuses from one call to the next, by name and dtype.

    `array(name, size, dtype)` returns the first `size` entries of the same memory every call
    (grown when a call needs more), so an epoch allocates nothing of the data's size. One
    workspace serves one thread.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[str, np.dtype], np.ndarray] = {}

    @staticmethod
    def of(work: "Workspace | None") -> "Workspace":
        """`work` itself, or a fresh workspace for a single call."""
        return Workspace() if work is None else work

    def array(self, name: str, size: int, dtype: np.dtype) -> np.ndarray:
        """A 1-D scratch array of `size` entries (its contents are left from the last use)."""
        key = (name, dtype)
        buffer = self._arrays.get(key)
        if buffer is None or buffer.shape[0] < size:
            buffer = self._arrays[key] = np.empty(size, dtype)
        return buffer[:size]

    def zeros(self, size: int, dtype: np.dtype) -> np.ndarray:
        """`size` zeros of `dtype`, made once (callers only read them)."""
        key = ("zeros", dtype)
        buffer = self._arrays.get(key)
        if buffer is None or buffer.shape[0] < size:
            buffer = self._arrays[key] = np.zeros(size, dtype)
        return buffer[:size]

    def positions(self, size: int) -> np.ndarray:
        """0, 1, ..., size - 1 (np.intp), made once."""
        steps = self._arrays.get(("positions", None))
        if steps is None or steps.shape[0] < size:
            steps = self._arrays["positions", None] = np.arange(size)
        return steps[:size]

    def arrays(self) -> list[np.ndarray]:
        """Every scratch array held (for tests that check their dtypes)."""
        return list(self._arrays.values())


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
        return self.adjust_target(_binary_target(y, shape[0], self.name))

    def adjust_target(self, t: np.ndarray) -> np.ndarray:
        """Checked targets in [0, 1] (any shape) as the kernel takes them, e.g. smoothed."""
        return t


class BinaryCrossEntropy(_BinaryLoss):
    """Binary cross-entropy (log loss) on scores s, for targets y in [0, 1] (usually 0/1).

        l(s, y) = log(1 + exp(s)) - y*s  =  -[y log sigma(s) + (1 - y) log(1 - sigma(s))]
        dl/ds   = sigma(s) - y

    log(1 + exp(s)) - y*s is computed as (max(s, 0) - y*s) + log1p(exp(-|s|)), a sum of two
    non-negative terms: it never overflows and keeps its relative accuracy as l -> 0.

    Options
    -------
    label_smoothing : float in [0, 1), default 0
        The target becomes y' = y (1 - eps) + eps/2 (Keras BinaryCrossentropy(label_smoothing)).
    class_weight : (w0, w1), default None
        For 0/1 targets: sample y_i's loss is weighted by w_{y_i} (sample_multiplier), so "mean"
        is sum_i s_i w_{y_i} l_i / sum_i s_i w_{y_i}: PyTorch F.cross_entropy(weight=(w0, w1)) on
        the two-class scores (0, s). Keras's class_weight gives the same per-sample factors (its
        default mean divides by the batch size instead). With both options the smoothed loss is
        weighted by w_{y_i} as a whole, as Keras does; the two-class softmax with both options
        weights each class's part by its own weight (see CrossEntropy).
    """

    name = "binary_cross_entropy"
    option_names = ("class_weight", "label_smoothing")
    curvature = 0.25  # max of sigma'(s) = sigma(s)(1 - sigma(s)); no option changes it

    def __init__(
        self, *, class_weight: Sequence[float] | None = None, label_smoothing: float = 0.0
    ) -> None:
        self.class_weight = _check_class_weight(class_weight, n_classes=2)
        self.label_smoothing = LABEL_SMOOTHING.check(label_smoothing)

    def adjust_target(self, t: np.ndarray) -> np.ndarray:
        eps = self.label_smoothing
        return t * (1.0 - eps) + 0.5 * eps if eps else t

    def sample_multiplier(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        t = _binary_target(y, shape[0], self.name)
        return np.asarray(self.class_weight)[_zero_one(t, f"{self.name} with class_weight")]

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        work = Workspace.of(work)
        n, dtype = scores.shape[0], scores.dtype
        e, tmp = work.array("e", n, dtype), work.array("tmp", n, dtype)
        loss = work.array("loss", n, dtype) if per_sample is None else per_sample
        zeros = work.zeros(n, dtype)  # an array: NumPy's max with a scalar 0 is 2x slower
        np.maximum(scores, zeros, out=loss)
        np.multiply(target, scores, out=tmp)
        np.minimum(scores, zeros, out=scores)  # the scores are needed only as min(s, 0) now
        np.subtract(scores, loss, out=e)  # min(s, 0) - max(s, 0) = -|s|
        np.exp(e, out=e)  # e^-|s| in (0, 1]; shared by the loss and the sigmoid
        # max(s, 0) - y*s >= 0 is formed first: added to log1p(e), nothing cancels
        loss -= tmp
        np.log1p(e, out=tmp)
        loss += tmp
        # sigma(s) = e^min(s, 0) / (1 + e): 1/(1+e) for s >= 0, e/(1+e) for s < 0, with no
        # select and no overflow
        np.exp(scores, out=scores)
        e += 1.0
        scores /= e
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

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
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


class BinaryFocalLoss(_BinaryLoss):
    """Focal loss (Lin et al. 2017, RetinaNet) on scores s for targets y in [0, 1], exactly
    torchvision.ops.sigmoid_focal_loss:

        ce = log(1 + exp(s)) - y*s,   q = 1 - p_t = y sigma(-s) + (1 - y) sigma(s)
        l(s, y) = alpha_t q^gamma ce,   alpha_t = alpha y + (1 - alpha)(1 - y)  (1 if alpha None)
        dl/ds   = alpha_t q^gamma [(sigma(s) - y) + gamma ce (1 - 2y) sigma'(s) / q]

    Derivation: d ce/ds = sigma - y and dq/ds = (1 - 2y) sigma'(s), so d(q^gamma ce)/ds =
    q^gamma (sigma - y) + gamma q^(gamma - 1) (1 - 2y) sigma' ce. q is a sum of two non-negative
    terms (no 1 - p cancellation) and sigma'/q <= 1, so the gradient is finite for every gamma.
    gamma = 0 with alpha None is binary_cross_entropy, value and gradient, bit for bit.
    torchvision's default reduction is "none" and its "mean" is the mean over elements; here
    the default is "mean". torchvision skips alpha when alpha < 0; here alpha=None does.

    Options: alpha in [0, 1] or None (default 0.25), gamma >= 0 (default 2).

    Curvature: max(alpha, 1 - alpha) * kappa(gamma), kappa = max_s |d^2 l/ds^2| at y = 0 with
    alpha None (by symmetry the same at y = 1), found by a scan of its closed form (see
    _focal_curvature). A dense scan over s and y in [0, 1] for gamma in 0..10 found no soft
    target with a larger second derivative than the 0/1 ones.
    """

    name = "focal_loss"
    option_names = ("alpha", "gamma")

    def __init__(self, *, alpha: float | None = 0.25, gamma: float = 2.0) -> None:
        self.alpha = None if alpha is None else FOCAL_POSITIVE_WEIGHT.check(alpha)
        self.gamma = FOCAL_GAMMA.check(gamma)
        alpha_max = 1.0 if self.alpha is None else max(self.alpha, 1.0 - self.alpha)
        self.curvature = alpha_max * _focal_curvature(self.gamma)

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        gamma = self.gamma
        ce, sig, sig_neg, slope = _sigmoid_parts(scores, target)
        q = target * sig_neg
        q += (1.0 - target) * sig
        modulator = np.power(q, gamma)  # 1 for gamma = 0, even at q = 0 (0^0 = 1)
        loss = ce * modulator
        grad = sig - target
        grad *= modulator
        if gamma:
            # sigma'(s) / q, with the limit 0 where q underflows (there ce is 0 too)
            ratio = np.divide(slope, q, out=np.zeros_like(q), where=q > 0)
            # q^gamma sigma'/q <= 1 first, gamma last: a huge gamma times a huge ce would
            # overflow where q^gamma is 0 (inf * 0), yet the product is finite
            ratio *= modulator
            ratio *= ce
            ratio *= gamma * (1.0 - 2.0 * target)
            grad += ratio
        if self.alpha is not None:
            alpha_t = self.alpha * target + (1.0 - self.alpha) * (1.0 - target)
            loss *= alpha_t
            grad *= alpha_t
        return _finish(scores, loss, grad, weight, per_sample)


class BinaryHinge(_BinaryLoss):
    """Hinge loss of a linear SVM on scores s for 0/1 labels y, with y± = 2y - 1:

        l(s, y) = max(0, 1 - y± s)
        dl/ds   = -y± where y± s < 1, else 0   (a subgradient: at y± s = 1 it takes 0)

    This is sklearn.metrics.hinge_loss(y, s) (which maps the two labels to -1 and +1).
    smooth is False: the loss has a kink at margin 1, and `curvature` = 1/4 is only a nominal
    scale for the automatic step size, not a bound.
    """

    name = "binary_hinge"
    curvature = 0.25
    smooth = False

    def adjust_target(self, t: np.ndarray) -> np.ndarray:
        return 2.0 * _zero_one(t, self.name) - 1.0

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        margin = target * scores
        loss = np.maximum(1.0 - margin, 0.0, out=per_sample)
        np.copyto(scores, np.where(margin < 1.0, -target, 0.0))
        return _weighted_total(loss, scores, weight)


class BinarySymmetricCrossEntropy(_BinaryLoss):
    """Symmetric cross-entropy (Wang et al., ICCV 2019) for one sigmoid output, y in [0, 1]:

        l(s, y) = alpha ce + beta rce,   ce = log(1 + exp(s)) - y*s
        rce     = -[sigma(s) L(y) + sigma(-s) L(1 - y)],   L(t) = max(log t, A)  (log 0 = A)
        dl/ds   = alpha (sigma(s) - y) - beta sigma'(s) (L(y) - L(1 - y))

    For 0/1 labels rce = -A (1 - p_t), p_t as in focal_loss. L is the paper's "log 0 := A"
    extended to soft targets as the authors' code does it: it clips the target at e^A before the
    log (their code uses 1e-4, i.e. A = log 1e-4 = -9.21; the paper's A = -4 is the default).
    This is the two-class case of SymmetricCrossEntropy on the scores (0, s).

    Options: alpha >= 0 (default 0.1), beta >= 0 (default 1.0), log_zero = A < 0 (default -4):
    the paper's CIFAR-10 setting.

    Curvature: max_s |alpha sigma'(s) + beta |A| sigma''(s)|, the largest of the second
    derivative alpha sigma' + beta sigma'' (L(1-y) - L(y)) since |L(1-y) - L(y)| <= |A|; in
    u = sigma(s) it is a cubic, maximised in closed form (_sce_curvature).
    """

    name = "binary_symmetric_cross_entropy"
    option_names = ("alpha", "beta", "log_zero")

    def __init__(self, *, alpha: float = 0.1, beta: float = 1.0, log_zero: float = -4.0) -> None:
        self.alpha, self.beta, self.log_zero = _check_sce_options(alpha, beta, log_zero)
        self.curvature = _sce_curvature(self.alpha, self.beta * -self.log_zero)

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        ce, sig, sig_neg, slope = _sigmoid_parts(scores, target)
        with np.errstate(divide="ignore"):  # log 0 = -inf, replaced by A
            log_pos = np.maximum(np.log(target), self.log_zero)
            log_neg = np.maximum(np.log1p(-target), self.log_zero)
        loss = self.alpha * ce - self.beta * (sig * log_pos + sig_neg * log_neg)
        grad = self.alpha * (sig - target)
        grad -= self.beta * slope * (log_pos - log_neg)
        return _finish(scores, loss, grad, weight, per_sample)


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


class _LabelsOnly(_MulticlassLoss):
    """A multiclass loss defined for integer labels only."""

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        target = _multiclass_target(y, shape, self.name)
        if target.ndim != 1:
            raise DataError(
                f"{self.name} takes integer labels 0..{shape[1] - 1}, not probability rows"
            )
        return target


class CrossEntropy(_MulticlassLoss):
    """Softmax cross-entropy on scores s (n, C) for labels y in 0..C-1 or probability rows t.

        l(s, y) = logsumexp(s) - s_y                   = -log softmax(s)_y
        l(s, t) = sum_k t_k (logsumexp(s) - s_k)       = -sum_k t_k log softmax(s)_k
        dl/ds   = softmax(s) - onehot(y)    (labels),    softmax(s) * sum_k t_k - t   (rows)

    No one-hot matrix is built for labels: 1 is subtracted at the label's position.

    Options, as PyTorch's F.cross_entropy(weight=w, label_smoothing=eps), to rounding:

    label_smoothing : float in [0, 1), default 0
        Targets become (1 - eps) onehot(y) + eps/C, or (1 - eps) t + eps/C for rows.
    class_weight : sequence of C numbers >= 0, default None
        Labels: the target row becomes T_k = w_k t_k / w_y (t the smoothed one-hot; T = onehot
        without smoothing) and w_y multiplies the sample weight (sample_multiplier). Then
        sum_i s_i w_{y_i} l(s_i, T_i) = sum_i s_i [(1 - eps) w_y (-log p_y)
        + (eps/C) sum_k w_k (-log p_k)] and "mean" divides it by sum_i s_i w_{y_i}: PyTorch's
        loss for class indices (s = sample weights; PyTorch has none, i.e. s = 1).
        Probability rows: T = w * t (after smoothing), no multiplier, so "mean" divides by
        sum_i s_i (N when unweighted): PyTorch's loss for probability targets.
        With label_smoothing > 0 every class weight must be > 0 (a label of weight 0 would
        need a zero sample weight and a non-zero loss at once).

    Curvature: the Hessian is (sum_k T_k)(diag(p) - p p^T), of norm <= (sum_k T_k)/2. The
    largest target-row mass sum_k T_k is 1 without class weights; with them it is the larger of
    (1 - eps) max(w) + eps mean(w) (rows) and 1 - eps + eps mean(w)/min(w) (labels).
    """

    name = "cross_entropy"
    option_names = ("class_weight", "label_smoothing")

    def __init__(
        self, *, class_weight: Sequence[float] | None = None, label_smoothing: float = 0.0
    ) -> None:
        self.class_weight = _check_class_weight(class_weight)
        self.label_smoothing = LABEL_SMOOTHING.check(label_smoothing)
        w, eps = self.class_weight, self.label_smoothing
        if w is None:
            self.curvature = 0.5  # ||diag(p) - p p^T|| <= 1/2
            return
        if eps and min(w) == 0:
            raise ConfigError(
                f"class_weight must be > 0 for every class when label_smoothing > 0; got {w}"
            )
        mean_w = sum(weight / len(w) for weight in w)  # not sum(w) / C: it may overflow
        label_mass = 1.0 - eps + eps * mean_w / min(w) if eps else 1.0
        row_mass = (1.0 - eps) * max(w) + eps * mean_w
        self.curvature = 0.5 * max(label_mass, row_mass)
        if not math.isfinite(self.curvature):
            # a smoothed target row weighs its classes by w_k / w_y: beyond float64 here
            raise ConfigError(
                f"class_weight {w} with label_smoothing {eps:g} weighs a target beyond "
                "float64: the ratio of the largest to the smallest class weight is too large"
            )

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        target = _multiclass_target(y, shape, self.name)
        eps = self.label_smoothing
        w = _class_weight_array(self.class_weight, shape[1], self.name)
        if target.ndim == 1:
            if not eps:
                return target  # labels; class weights act through sample_multiplier
            n_classes, n = shape[1], shape[0]
            rows = np.full((n_classes, n), eps / n_classes)
            rows.reshape(-1)[_label_positions(target, n)] += 1.0 - eps
            if w is not None:
                rows *= w[:, None]
                rows /= w[target]
            return rows
        if eps:
            target = target * (1.0 - eps) + eps / shape[1]
        if w is not None:
            target = target * w[:, None]
        return target

    def sample_multiplier(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        target = _multiclass_target(y, shape, self.name)
        if target.ndim != 1:
            return None  # probability rows: PyTorch's mean divides by the number of samples
        return _class_weight_array(self.class_weight, shape[1], self.name)[target]

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        work = Workspace.of(work)
        n, dtype = scores.shape[1], scores.dtype
        flat = scores.reshape(-1)
        peak = work.array("peak", n, dtype)
        np.max(scores, axis=0, out=peak)
        scores -= peak  # shift each sample's scores so that exp(.) <= 1
        if target.ndim == 1:
            label_at = work.array("label_at", n, np.intp)
            np.multiply(target, n, out=label_at)
            label_at += work.positions(n)  # flat positions of (labels[i], i)
            target_score = work.array("target_score", n, dtype)
            # mode="wrap" skips the bounds check (the positions are in range by construction):
            # twice as fast as the default
            np.take(flat, label_at, out=target_score, mode="wrap")
        else:
            # 0 * (-inf) would be nan; a class with t_k = 0 contributes nothing
            target_score = np.sum(target * np.where(target != 0, scores, 0.0), axis=0)
        np.exp(scores, out=scores)
        normaliser = work.array("normaliser", n, dtype)
        np.sum(scores, axis=0, out=normaliser)
        loss = work.array("loss", n, dtype) if per_sample is None else per_sample
        np.log(normaliser, out=loss)
        np.divide(1.0, normaliser, out=normaliser)
        scores *= normaliser  # scores now hold softmax(s)
        if target.ndim == 1:
            loss -= target_score
            # p_y - 1 at the labels, through a buffer: no temporary of the block's size
            np.take(flat, label_at, out=target_score, mode="wrap")
            target_score -= 1.0
            flat[label_at] = target_score  # twice as fast as np.put
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

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
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


class SoftmaxFocalLoss(_LabelsOnly):
    """Focal loss (Lin et al. 2017) for a softmax over C classes, integer labels y:

        l(s, y) = -alpha_y (1 - p_y)^gamma log p_y,   p = softmax(s),   alpha_y = 1 if alpha None
        dl/ds   = alpha_y m^gamma (1 + gamma p_y (-log p_y) / m) (p - onehot(y)),   m = 1 - p_y

    Derivation: with u = p_y, dl/du = -alpha_y [(1-u)^gamma / u - gamma (1-u)^(gamma-1) log u]
    and du/ds = u (onehot(y) - p). m = sum_{k != y} p_k is summed, never 1 - p_y, and -log p_y
    is -log1p(-m) when m < 1/2 and logsumexp(s) - s_y otherwise, both exact; (-log p_y)/m -> 1
    as m -> 0. gamma = 0 with alpha None is cross_entropy (to rounding). Two classes with
    alpha = (1 - a, a) are focal_loss with alpha = a on the scores s_1 - s_0.

    Options: alpha None (default) or a sequence of C per-class weights >= 0; gamma >= 0
    (default 2). Unlike class weights, alpha is part of l: "mean" divides by sum_i s_i.

    Curvature: 2 max_k(alpha_k) kappa(gamma), kappa as in focal_loss. Two classes attain it
    (the Hessian is phi''(z) (e_1 - e_0)(e_1 - e_0)^T along z = s_1 - s_0); a numerical search
    (Nelder-Mead over scores, 30 starts for each C = 3..10, gamma in 0..10) found no larger norm.
    """

    name = "softmax_focal_loss"
    option_names = ("alpha", "gamma")

    def __init__(self, *, alpha: Sequence[float] | None = None, gamma: float = 2.0) -> None:
        self.alpha = _check_class_weight(alpha, option="alpha")
        self.gamma = FOCAL_GAMMA.check(gamma)
        alpha_max = 1.0 if self.alpha is None else max(self.alpha)
        self.curvature = 2.0 * alpha_max * _focal_curvature(self.gamma)

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        gamma = self.gamma
        flat = scores.reshape(-1)
        label_at = _label_positions(target, scores.shape[1])
        scores -= np.max(scores, axis=0)
        target_score = flat.take(label_at)
        np.exp(scores, out=scores)
        normaliser = np.sum(scores, axis=0)
        scores *= 1.0 / normaliser  # softmax(s)
        p_y = flat.take(label_at)
        flat[label_at] = 0.0
        # 1 - p_y without cancellation; at most 1 (a sum of rounded terms may exceed it, and
        # (1 + ulp)^gamma overflows for a huge gamma)
        m = np.minimum(np.sum(scores, axis=0), 1.0)
        small = m < 0.5
        ce = np.where(small, -np.log1p(-np.where(small, m, 0.0)), np.log(normaliser) - target_score)
        ce_over_m = np.divide(ce, m, out=np.ones_like(m), where=m > 0)
        modulator = np.power(m, gamma)  # 1 for gamma = 0, even at m = 0 (0^0 = 1)
        loss = modulator * ce
        # m^gamma (1 + gamma p_y ce/m), multiplied out so that gamma comes last: a huge gamma
        # meets m^gamma, not 1 + gamma p_y ce/m alone
        coef = modulator + modulator * p_y * ce_over_m * gamma if gamma else modulator
        if self.alpha is not None:
            alpha = _class_weight_array(self.alpha, scores.shape[0], self.name, "alpha")
            alpha_y = alpha.astype(scores.dtype)[target]
            loss *= alpha_y
            coef = coef * alpha_y
        scores *= coef
        flat[label_at] = -coef * m  # coef (p_y - 1)
        if per_sample is not None:
            np.copyto(per_sample, loss)
        return _weighted_total(loss, scores, weight)


class CrammerSingerHinge(_LabelsOnly):
    """Multiclass hinge loss of Crammer and Singer on scores s (n, C), integer labels y:

        l(s, y) = max(0, 1 + max_{k != y} s_k - s_y)
        dl/ds   = onehot(k*) - onehot(y) where l > 0, else 0,   k* = argmax_{k != y} s_k

    (a subgradient: the first k* on ties, 0 at l = 0). This is sklearn.metrics.hinge_loss on
    multiclass decision values. Two classes give binary_hinge on s_1 - s_0.
    smooth is False and `curvature` = 1/4 is a nominal scale for the step size, not a bound.
    """

    name = "multiclass_hinge"
    curvature = 0.25
    smooth = False

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        n = scores.shape[1]
        flat = scores.reshape(-1)
        label_at = _label_positions(target, n)
        target_score = flat.take(label_at)
        flat[label_at] = -np.inf
        rival_at = _label_positions(np.argmax(scores, axis=0), n)
        loss = np.maximum(1.0 + flat.take(rival_at) - target_score, 0.0)
        active = (loss > 0).astype(scores.dtype)
        scores.fill(0.0)
        flat[rival_at] = active
        flat[label_at] = -active
        if per_sample is not None:
            np.copyto(per_sample, loss)
        return _weighted_total(loss, scores, weight)


class SymmetricCrossEntropy(_MulticlassLoss):
    """Symmetric cross-entropy (Wang et al., ICCV 2019, "Symmetric Cross Entropy for Robust
    Learning with Noisy Labels"): SCE = alpha CE + beta RCE on scores s (n, C), p = softmax(s).

        RCE(s, t) = -sum_k p_k L(t_k),   L(t) = max(log t, A)   (the paper's log 0 := A)
        labels:  l = alpha (logsumexp(s) - s_y) + beta (-A)(1 - p_y)
                 dl/ds = (alpha + beta (-A) p_y)(p - onehot(y))
        rows:    l = alpha sum_k t_k (logsumexp(s) - s_k) + beta RCE
                 dl/ds = alpha (p sum_k t_k - t) - beta p * (L(t) - sum_k p_k L(t_k))

    1 - p_y is summed as sum_{k != y} p_k. For a one-hot row L is 0 at y and A elsewhere, so
    rows and labels agree. For soft rows L is what the authors' code computes: it clips the
    target to [1e-4, 1] before the log, i.e. A = log 1e-4 = -9.21 there, while the paper's
    experiments use A = -4 (the default here). Their code also clips p at 1e-7 inside CE; here
    CE comes from the scores, unclipped.

    Options: alpha >= 0 (default 0.1), beta >= 0 (default 1.0), log_zero = A < 0 (default -4):
    the paper's CIFAR-10 setting.

    Curvature: 2 max_s |alpha sigma'(s) + beta |A| sigma''(s)|, twice the binary one: two
    classes attain it and a numerical search (Nelder-Mead, C = 3..8, targets at the vertices
    of [0, |A|]^C where the norm, convex in L, is largest) found no larger norm.
    """

    name = "symmetric_cross_entropy"
    option_names = ("alpha", "beta", "log_zero")

    def __init__(self, *, alpha: float = 0.1, beta: float = 1.0, log_zero: float = -4.0) -> None:
        self.alpha, self.beta, self.log_zero = _check_sce_options(alpha, beta, log_zero)
        self.curvature = 2.0 * _sce_curvature(self.alpha, self.beta * -self.log_zero)

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        alpha, beta = self.alpha, self.beta
        flat = scores.reshape(-1)
        scores -= np.max(scores, axis=0)
        if target.ndim == 1:
            label_at = _label_positions(target, scores.shape[1])
            target_score = flat.take(label_at)
        else:
            target_score = np.sum(target * np.where(target != 0, scores, 0.0), axis=0)
        np.exp(scores, out=scores)
        normaliser = np.sum(scores, axis=0)
        scores *= 1.0 / normaliser  # softmax(s)
        if target.ndim == 1:
            ce = np.log(normaliser) - target_score
            p_y = flat.take(label_at)
            flat[label_at] = 0.0
            m = np.sum(scores, axis=0)  # 1 - p_y
            # coef = alpha + beta |A| p_y multiplied out, beta last in each product: beta |A|
            # alone may overflow where m or p_k is 0 (inf * 0)
            a_p_y = -self.log_zero * p_y
            loss = alpha * ce + beta * (-self.log_zero * m)
            rce_part = scores * a_p_y  # |A| p_y p_k; 0 at the label
            rce_part *= beta
            scores *= alpha
            scores += rce_part
            flat[label_at] = -(alpha * m + beta * (a_p_y * m))  # -coef (1 - p_y)
        else:
            target_mass = np.sum(target, axis=0)
            with np.errstate(divide="ignore"):
                clipped_log = np.maximum(np.log(target), self.log_zero)
            rce = -np.sum(scores * clipped_log, axis=0)
            loss = alpha * (np.log(normaliser) * target_mass - target_score) + beta * rce
            grad = alpha * (scores * target_mass - target)
            grad -= beta * scores * (clipped_log + rce)
            np.copyto(scores, grad)
        if per_sample is not None:
            np.copyto(per_sample, loss)
        return _weighted_total(loss, scores, weight)


# --- multilabel losses: C independent sigmoid outputs, scores and targets of shape (n, C) ----


class MultilabelLoss(Loss):
    """A binary loss applied to each of C independent sigmoid outputs: scores (n, C), targets
    (n, C) in [0, 1]. With the elementwise loss l_ik = l(s_ik, t_ik) and sample weights w_i:

        "mean":  sum_i w_i sum_k l_ik / (C sum_i w_i)     (PyTorch BCEWithLogitsLoss "mean",
                                                          Keras: mean over labels, then batch)
        "sum":   sum_i w_i sum_k l_ik
        "none":  the (n, C) array w_i l_ik, and its gradient d(w_i l_ik)/ds_ik
        dl/ds_ik as the binary loss's gradient

    To the objective (`accumulate`) a sample's loss is the mean over its labels,
    l_i = (1/C) sum_k l_ik, so its weighted mean is the "mean" above. The kernel works on the
    class-major (C, n) scores. Options are the binary loss's (class weights excepted: they
    weight samples by a 0/1 label, which a row of C labels does not have).

    Curvature: the Hessian of l_i is diag(l''(s_ik))/C; `curvature` is the binary loss's, a
    bound for every C (exact for C = 1, C times too large otherwise, as C is not known here).
    """

    def __init__(self, element: _BinaryLoss, name: str) -> None:
        self.element = element
        self.name = name
        self.option_names = tuple(o for o in element.option_names if o != "class_weight")
        for option in self.option_names:
            setattr(self, option, getattr(element, option))
        self.curvature = element.curvature
        self.smooth = element.smooth

    def __repr__(self) -> str:
        return f"MultilabelLoss({self.element!r})"

    def configured(self, **options: object) -> "MultilabelLoss":
        self._check_option_names(options)
        return MultilabelLoss(self.element.configured(**options), self.name)

    def check_scores(self, scores: ArrayLike) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
            raise DataError(
                f"{self.name} takes scores of shape (n, C) with n >= 1 and C >= 1; "
                f"got shape {s.shape}"
            )
        return s

    def prepare_target(self, y: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
        return self.element.adjust_target(_multilabel_target(y, shape, self.name))

    to_kernel_layout = _MulticlassLoss.to_kernel_layout
    from_kernel_layout = _MulticlassLoss.from_kernel_layout

    def _elementwise(self, scores: np.ndarray, target: np.ndarray) -> np.ndarray:
        """The (C, n) losses l_ik; overwrites the C-contiguous `scores` with dl_ik/ds_ik."""
        losses = np.empty(scores.shape, scores.dtype)
        self.element.accumulate(scores.reshape(-1), target.reshape(-1), None, losses.reshape(-1))
        return losses

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        n_labels = scores.shape[0]
        loss = np.sum(self._elementwise(scores, target), axis=0, out=per_sample)
        loss *= 1.0 / n_labels
        scores *= 1.0 / n_labels
        return _weighted_total(loss, scores, weight)

    def _reduce(self, s, target, weight, reduction):
        if reduction == "mean":
            weight = unit_scaled(weight)  # the ratios are what counts; no overflow below
        kernel_scores = self.to_kernel_layout(s)
        losses = self._elementwise(kernel_scores, target)
        losses *= weight
        kernel_scores *= weight
        if reduction == "none":
            return self.from_kernel_layout(losses), self.from_kernel_layout(kernel_scores)
        total = float(np.sum(losses))
        if reduction == "mean":
            scale = 1.0 / (s.shape[1] * weight.sum())
            total *= scale
            kernel_scores *= scale
        return total, self.from_kernel_layout(kernel_scores)


# --- curvature bounds ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _focal_curvature(gamma: float) -> float:
    """max over s of |l''(s)| for the focal loss at y = 0 with alpha None, by a scan.

    l(s) = sigma(s)^gamma log(1 + e^s); with sigma = sigma(s) and sp = log(1 + e^s),
    l''(s) = sigma^gamma (1 - sigma) [gamma^2 (1 - sigma) sp + (2 gamma + 1) sigma
    - gamma sigma sp]. A grid of step 0.01 finds the peak, a grid of step 1e-5 around it
    refines it (the error is then below 1e-9 relative), and a 1e-6 margin keeps it an upper
    bound. gamma = 0 gives 1/4, binary cross-entropy's.
    """

    # In logs, term by term: for a huge gamma, sigma^gamma vanishes where gamma^2 overflows.
    log_gamma = math.log(gamma) if gamma else -math.inf
    log_two_gamma_plus_one = math.log1p(2 * gamma) if gamma < 1e300 else math.log(2) + log_gamma

    def second_derivative(s: np.ndarray) -> np.ndarray:
        sp = np.logaddexp(0.0, s)  # log(1 + e^s) = -log sigma(-s)
        log_sig, log_sig_neg = -np.logaddexp(0.0, -s), -sp
        with np.errstate(over="ignore"):  # -inf: sigma^gamma underflows, the term is 0
            common = gamma * log_sig + log_sig_neg  # log of sigma^gamma (1 - sigma)
        log_sp = np.log(sp)
        return (
            np.exp(common + 2 * log_gamma + log_sig_neg + log_sp)
            + np.exp(common + log_two_gamma_plus_one + log_sig)
            - np.exp(common + log_gamma + log_sig + log_sp)
        )

    grid = np.linspace(-40.0, 40.0 + 2 * math.log1p(gamma), 8001)
    peak = int(np.argmax(np.abs(second_derivative(grid))))
    step = grid[1] - grid[0]
    fine = np.linspace(grid[peak] - step, grid[peak] + step, 2001)
    return float(np.max(np.abs(second_derivative(fine)))) * (1 + 1e-6)


def _sce_curvature(a: float, b: float) -> float:
    """max over s of |a sigma'(s) + b sigma''(s)| for a, b >= 0, exactly: with u = sigma(s) it
    is |f(u)|, f(u) = u (1 - u)(a + b (1 - 2u)), whose critical points solve
    6b u^2 - 2(a + 3b) u + (a + b) = 0, i.e. u = (a + 3b +- sqrt(a^2 + 3b^2)) / (6b).

    f is a cubic with leading coefficient 2b > 0, so its maximum on [0, 1] is at the smaller
    root (in (0, 1/2]) and its minimum at the larger one. And f = a h + b g with
    h(u) = u (1 - u) >= 0 and g(u) = h(u) (1 - 2u), odd about 1/2 (g(1 - u) = -g(u)), so
    min f >= -b max g >= -max f: |f| is largest at the smaller root."""
    if b == 0:
        return a / 4
    if math.isinf(b):  # beta |A| beyond float64
        return math.inf
    # f is linear in (a, b): scaled to max(a, b) = 1, nothing overflows; the smaller root is
    # (a + b) / (a + 3b + sqrt(...)), the product of the roots over the larger one, which does
    # not cancel when b << a
    top = max(a, b)
    a, b = a / top, b / top
    u = (a + b) / (a + 3 * b + math.sqrt(a * a + 3 * b * b))
    return top * (u * (1 - u) * (a + b * (1 - 2 * u)))


# --- option checks ---------------------------------------------------------------------------


def _check_class_weight(
    value: object, *, n_classes: int | None = None, option: str = "class_weight"
) -> tuple[float, ...] | None:
    """None, or a sequence of (n_classes, if given) finite numbers >= 0, not all zero."""
    if value is None:
        return None
    items = list(value) if isinstance(value, Sequence | np.ndarray) else None
    if (
        items is None
        or isinstance(value, str)
        or (n_classes is not None and len(items) != n_classes)
        or not items
        or not all(is_class_weight(item) for item in items)
        or not any(item > 0 for item in items)
    ):
        what = (
            f"two numbers (w0, w1) in [0, {number_text(MAX_CLASS_WEIGHT)}], not both zero"
            if n_classes == 2
            else f"a sequence of numbers in [0, {number_text(MAX_CLASS_WEIGHT)}], not all zero"
        )
        raise ConfigError(f"{option} must be None or {what}; got {value!r}")
    return tuple(float(item) for item in items)


def _class_weight_array(
    weights: tuple[float, ...] | None, n_classes: int, loss_name: str, option: str = "class_weight"
) -> np.ndarray | None:
    """Per-class weights as an array, checked against the scores' number of classes."""
    if weights is None:
        return None
    if len(weights) != n_classes:
        raise DataError(
            f"{loss_name} has {option} for {len(weights)} classes but the scores have {n_classes}"
        )
    return np.asarray(weights)


def _check_sce_options(alpha: object, beta: object, log_zero: object) -> tuple[float, float, float]:
    alpha, beta = SCE_ALPHA.check(alpha), SCE_BETA.check(beta)
    log_zero = SCE_LOG_ZERO.check(log_zero)
    if max(alpha, beta) < MIN_SCE_WEIGHT:
        raise ConfigError(
            f"alpha and beta must not both be below {number_text(MIN_SCE_WEIGHT)} (they scale "
            f"the loss, and 1 / its curvature is the step); got alpha {alpha:g}, beta {beta:g}"
        )
    return alpha, beta, float(log_zero)


# --- input checks ------------------------------------------------------------------------------


def _check_reduction(reduction: object) -> None:
    if reduction not in REDUCTIONS:
        raise ConfigError(f"unknown reduction {reduction!r}; use one of: mean, sum, none")


def _weighted_total(loss: np.ndarray, grad: np.ndarray, weight: np.ndarray | None) -> float:
    """sum_i w_i l_i, scaling each sample's gradient (the last axis) by w_i in place."""
    if weight is None:
        return float(np.sum(loss))
    grad *= weight
    with np.errstate(invalid="ignore"):
        total = _dot(loss, weight)
    if math.isnan(total):  # a sample of weight 0 whose loss overflowed: it counts for nothing
        counted = weight > 0
        total = _dot(loss[counted], weight[counted])
    return total


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a . b: by BLAS in float64; in single precision as the pairwise sum of the products, whose
    error does not grow with the length as float32 BLAS's running sum does."""
    return float(a @ b) if a.dtype == np.float64 else float(np.sum(a * b))


def _finish(
    scores: np.ndarray,
    loss: np.ndarray,
    grad: np.ndarray,
    weight: np.ndarray | None,
    per_sample: np.ndarray | None,
) -> float:
    """Store the gradient in `scores` and the losses in `per_sample`; the weighted total."""
    np.copyto(scores, grad)
    if per_sample is not None:
        np.copyto(per_sample, loss)
    return _weighted_total(loss, scores, weight)


def _sigmoid_parts(
    scores: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ce, sigma(s), sigma(-s), sigma'(s)) from one exp, ce = log(1 + e^s) - y*s as in
    binary_cross_entropy: (max(s, 0) - y*s) + log1p(e^-|s|), two non-negative terms."""
    e = np.exp(-np.abs(scores))
    one_plus_e = 1.0 + e
    ce = np.maximum(scores, 0.0)
    ce -= target * scores
    ce += np.log1p(e)
    positive = scores >= 0
    sig = np.where(positive, 1.0, e) / one_plus_e
    sig_neg = np.where(positive, e, 1.0) / one_plus_e
    return ce, sig, sig_neg, e / (one_plus_e * one_plus_e)


def _label_positions(labels: np.ndarray, n: int) -> np.ndarray:
    """Flat positions of (labels[i], i) in a C-contiguous class-major (C, n) array."""
    return labels * n + np.arange(n)


def _zero_one(t: np.ndarray, what: str) -> np.ndarray:
    """Checked targets in [0, 1] that must be 0 or 1, as integers."""
    if not np.all((t == 0) | (t == 1)):
        raise DataError(f"{what} takes 0/1 targets, not probabilities")
    return t.astype(np.intp)


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
    if not np.any(w > 0):  # not w.sum(), which overflows for weights near the largest float
        raise DataError("sample_weight must not be all zero")
    return w


def unit_scaled(weight: np.ndarray) -> np.ndarray:
    """Non-negative weights times the power of two that brings the largest into [0.5, 1).

    The ratios of the weights are exact (a power of two is an exact factor), so a weighted
    mean is the same to the last bit, but sums and products of the weights no longer overflow
    where the weights are near the largest float64, nor vanish where they are tiny.
    """
    _, exponent = np.frexp(np.max(weight))
    return np.ldexp(weight, -exponent)


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


def _multilabel_target(y: ArrayLike, shape: tuple[int, ...], loss_name: str) -> np.ndarray:
    """Targets (n, C) in [0, 1], one per score, as class-major float64 (C, n)."""
    t = np.asarray(y)
    if t.shape != tuple(shape):
        raise DataError(
            f"{loss_name} takes y of shape {tuple(shape)}, one target in [0, 1] per score; "
            f"got {t.shape}"
        )
    if not (np.issubdtype(t.dtype, np.number) or t.dtype == bool):
        raise DataError(
            f"{loss_name} takes numeric targets in [0, 1]; got values of type {t.dtype}"
        )
    t = t.astype(np.float64)
    if not np.all((t >= 0) & (t <= 1)):
        raise DataError(f"{loss_name} takes targets in [0, 1] (0/1 labels or probabilities)")
    return np.ascontiguousarray(t.T)


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


# --- the losses -------------------------------------------------------------------------------

binary_cross_entropy = BinaryCrossEntropy()
cross_entropy = CrossEntropy()
binary_mse = BinaryMSE()
multiclass_mse = MulticlassMSE()
focal_loss = BinaryFocalLoss()
softmax_focal_loss = SoftmaxFocalLoss()
binary_hinge = BinaryHinge()
multiclass_hinge = CrammerSingerHinge()
binary_symmetric_cross_entropy = BinarySymmetricCrossEntropy()
symmetric_cross_entropy = SymmetricCrossEntropy()
multilabel_cross_entropy = MultilabelLoss(binary_cross_entropy, "multilabel_cross_entropy")
multilabel_focal_loss = MultilabelLoss(focal_loss, "multilabel_focal_loss")


class MSE(Loss):
    """Squared error between predicted probabilities and the target.

    Scores of shape (n,) use the sigmoid (binary_mse); scores of shape (n, C) use the softmax
    (multiclass_mse). Every call is handed whole to the one that fits the scores' shape; the
    training loop uses those two directly (see loss_for).
    """

    name = "mse"

    def value_and_grad(self, scores, y, *, sample_weight=None, reduction="mean", **options):
        self._check_option_names(options)
        loss = binary_mse if np.ndim(scores) == 1 else multiclass_mse
        return loss.value_and_grad(scores, y, sample_weight=sample_weight, reduction=reduction)


mse = MSE()

# --- the registry: every loss, declared once ----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LossOption:
    """An option of a loss that a run can set.

    `param` is named as the loss takes it ("gamma") and `setting` is the run setting and
    command-line option it becomes ("focal_gamma"; None: from Python only). In the model kinds
    of `per_class_in`, the option is one value per class: a mapping {class: value} becomes a
    tuple in class order (a class not named takes 1), and a single number is refused.
    """

    param: Param
    setting: str | None
    per_class_in: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class LossSpec:
    """A training loss as every other module needs to know it.

    name : the `--loss` value
    label : how a loss axis is labelled ("cross-entropy (nats)")
    short_label : how a legend names it ("MSE")
    forms : the loss each model kind trains on ("logistic", "softmax", "multilabel"); a kind
        without one cannot train on it
    options : what a run can set (LossOption)
    needs_labels : trains on class labels only, not on probability rows
    margin_based : its scores are margins, not log-odds (it is zero beyond a margin): it is
        evaluated on scores given as such, never on scores made from probabilities
    """

    name: str
    label: str
    short_label: str
    forms: Mapping[str, Loss]
    options: tuple[LossOption, ...] = ()
    needs_labels: bool = False
    margin_based: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.forms) - set(MODEL_KINDS)
        if unknown:
            raise ValueError(f"loss {self.name!r} has forms for unknown model kinds {unknown}")

    @property
    def settings(self) -> dict[str, LossOption]:
        """The run settings this loss owns, by setting name."""
        return {option.setting: option for option in self.options if option.setting}

    def form(self, model: str) -> Loss:
        """The unconfigured loss a model kind trains on; a ConfigError if it has none."""
        if model not in self.forms:
            supported = " and ".join(self.forms)
            raise ConfigError(
                f"loss {self.name!r} is not available for {model} models; it supports "
                f"{supported} models"
            )
        return self.forms[model]

    def resolve(
        self, options: Mapping[str, object], model: str, class_names: Sequence[str]
    ) -> dict[str, object]:
        """Options as a run gives them (alpha as "none", a number or {class: weight}) in the form
        the model kind's loss takes them: None for "none", per-class tuples in class order."""
        by_name = {option.param.name: option for option in self.options}
        resolved = {}
        for name, value in options.items():
            option = by_name.get(name)
            if option is None:
                resolved[name] = value  # not a run-level option: the loss checks it
                continue
            if is_none_word(value):
                value = None
            per_class_form = model in option.per_class_in
            what = f"{self.name} {name}"
            if isinstance(value, Mapping):
                if not per_class_form:
                    pairs = ",".join(f"{k}={v}" for k, v in value.items())
                    raise ConfigError(
                        f"{what} of a {model} model is one number, not class=weight pairs; "
                        f"got {pairs}"
                    )
                value = per_class(value, class_names, what)
            elif per_class_form and is_number(value):
                example = ",".join(
                    f"{n}={w}" for n, w in zip(class_names, (0.5, 0.25), strict=False)
                )
                raise ConfigError(
                    f"{what} of a {model} model is one weight per class, like "
                    f'"{example}", or none; got {value!r}'
                )
            resolved[name] = value
        return resolved


_SMOOTHING = LossOption(LABEL_SMOOTHING, "label_smoothing")

LOSSES: dict[str, LossSpec] = {
    spec.name: spec
    for spec in (
        LossSpec(
            "cross-entropy",
            "cross-entropy (nats)",
            "cross-entropy",
            {
                "logistic": binary_cross_entropy,
                "softmax": cross_entropy,
                "multilabel": multilabel_cross_entropy,
            },
            options=(_SMOOTHING,),
        ),
        LossSpec(
            "mse", "MSE (Brier score)", "MSE", {"logistic": binary_mse, "softmax": multiclass_mse}
        ),
        LossSpec(
            "focal",
            "focal loss (nats)",
            "focal loss",
            {
                "logistic": focal_loss,
                "softmax": softmax_focal_loss,
                "multilabel": multilabel_focal_loss,
            },
            options=(
                LossOption(FOCAL_GAMMA, "focal_gamma"),
                LossOption(FOCAL_ALPHA, "focal_alpha", per_class_in=("softmax",)),
            ),
            needs_labels=True,
        ),
        LossSpec(
            "hinge",
            "hinge loss",
            "hinge loss",
            {"logistic": binary_hinge, "softmax": multiclass_hinge},
            needs_labels=True,
            margin_based=True,
        ),
        LossSpec(
            "symmetric-cross-entropy",
            "symmetric cross-entropy",
            "symmetric cross-entropy",
            {"logistic": binary_symmetric_cross_entropy, "softmax": symmetric_cross_entropy},
            options=(
                LossOption(SCE_ALPHA, "sce_alpha"),
                LossOption(SCE_BETA, "sce_beta"),
                LossOption(SCE_LOG_ZERO, None),
            ),
        ),
    )
}
LOSS_NAMES = tuple(LOSSES)


def loss_spec(name: str) -> LossSpec:
    """The registered loss `name`; a ConfigError naming the losses otherwise."""
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; use one of: {', '.join(LOSS_NAMES)}")
    return LOSSES[name]


def loss_for(name: str, model: str, **options: object) -> Loss:
    """The configured loss a model kind trains on.

    Parameters
    ----------
    name : str
        One of LOSS_NAMES: "cross-entropy", "mse", "focal", "hinge", "symmetric-cross-entropy".
    model : str
        The model kind (cetrain.core.heads.MODEL_KINDS): "logistic" (one sigmoid output, scores
        of shape (n,)), "softmax" (scores (n, C)) or "multilabel" (C independent sigmoid
        outputs, scores and targets (n, C)).
    **options
        The loss's options (see its `option_names`); none gives the module-level loss itself.

    Returns
    -------
    Loss
    """
    spec = loss_spec(name)
    if model not in MODEL_KINDS:
        raise ConfigError(f"unknown model {model!r}; use one of: {', '.join(MODEL_KINDS)}")
    loss = spec.form(model)
    for option in options:
        if option not in loss.option_names:
            takers = [
                other.name
                for other in LOSSES.values()
                if model in other.forms and option in other.forms[model].option_names
            ]
            if not takers:
                continue  # no loss has it: configured() names the options this one has
            losses = (
                f"the loss {takers[0]}"
                if len(takers) == 1
                else f"the losses {' and '.join(takers)}"
            )
            raise ConfigError(f"{option} applies to {losses} of a {model} model, not to {name!r}")
    return loss.configured(**options) if options else loss
