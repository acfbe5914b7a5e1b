"""Check the analytic gradient of the training objective against central finite differences.

For every model kind (cetrain.core.heads.MODEL_KINDS: one sigmoid output, a softmax over C
outputs, C independent sigmoids) and every loss it trains on, with and without sample weights
and with an l2 penalty, a small seeded random problem is built and the gradient that
cetrain.core.objective.LinearObjective computes is compared with

    g_i ~ (f(theta + h_i e_i) - f(theta - h_i e_i)) / (2 h_i),   h_i = h * max(1, |theta_i|),

separately for the weights W and the intercept b, by the relative error

    ||g_analytic - g_numeric|| / max(||g_analytic|| + ||g_numeric||, tiny).

Central differences are accurate to O(h^2) plus a rounding error of about eps * |f| / h; the two
balance near h = 1e-5, where a correct gradient of a well-scaled float64 problem gives relative
errors of 1e-11 to 1e-8 (h = 1e-6 reaches 2e-7 on problems of 50 features).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cetrain.core.heads import MODEL_KINDS, TargetKind
from cetrain.core.losses import LOSS_NAMES, LOSSES, loss_for
from cetrain.core.objective import LinearObjective

STEP = 1e-5
GOOD_BELOW = 1e-7  # a correct gradient, up to the finite differences' own error
WRONG_ABOVE = 1e-2  # no rounding error gets this large: the gradient is wrong
L2 = 0.1
WEIGHTINGS = ("uniform", "weighted")


@dataclass(frozen=True)
class GradCheck:
    """One parameter block of one objective: its relative gradient error and verdict."""

    model: str  # a model kind: "logistic", "softmax" or "multilabel"
    loss: str  # the loss's name, e.g. "binary_cross_entropy"
    weighting: str  # "uniform" (no sample weights) or "weighted"
    block: str  # "W" (the weights) or "b" (the intercept)
    relative_error: float

    @property
    def verdict(self) -> str:
        """ "good" below GOOD_BELOW, "WRONG" above WRONG_ABOVE, "check" in between."""
        if self.relative_error < GOOD_BELOW:
            return "good"
        if self.relative_error > WRONG_ABOVE or not np.isfinite(self.relative_error):
            return "WRONG"
        return "check"


def central_differences(
    fun: Callable[[np.ndarray], float], x: np.ndarray, h: float = STEP
) -> np.ndarray:
    """Gradient of a scalar function by central differences with steps h * max(1, |x_i|).

    Parameters
    ----------
    fun : callable
        f(x) -> float, for x of the shape of `x`.
    x : ndarray of shape (m,)
        The point.
    h : float
        Step relative to the size of each coordinate (absolute below 1).

    Returns
    -------
    ndarray of shape (m,)
        (f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i) for each coordinate i.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in range(x.size):
        step = h * max(1.0, abs(x[i]))
        original = x[i]
        x[i] = original + step
        forward = fun(x)
        x[i] = original - step
        backward = fun(x)
        x[i] = original
        grad[i] = (forward - backward) / (2 * step)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / max(||a|| + ||n||, tiny): 0 for equal vectors, at most 1."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / max(scale, np.finfo(np.float64).tiny))


def available(loss_name: str, model: str) -> bool:
    """Does `model` ("logistic", "softmax" or "multilabel") have a form of the loss?"""
    return model in LOSSES[loss_name].forms


def check_gradients(
    seed: int = 0,
    rows: int = 7,
    features: int = 3,
    classes: int = 3,
    l2: float = L2,
    h: float = STEP,
) -> list[GradCheck]:
    """Compare LinearObjective's gradient with central differences for every model and loss.

    Parameters
    ----------
    seed : int
        Seed of the random problem: standard normal features, uniform random labels, parameters
        with standard deviation 0.5 (scores of order 1) and sample weights in [0.5, 2].
    rows, features, classes : int
        Problem size: n rows, d features, C classes of the softmax model (the logistic one has 2).
    l2 : float
        The ridge penalty, so that its gradient l2 W is checked too.
    h : float
        The finite-difference step, relative to each parameter's size.

    Returns
    -------
    list of GradCheck
        One per model, loss, weighting and block (W, then b), in that order.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features))
    weights = rng.uniform(0.5, 2.0, size=rows)
    checks = []
    for model, kind in MODEL_KINDS.items():
        # the target each kind is made for: labels, or 0/1 columns for a multi-label model
        target_kind = kind.target
        head = kind.heads[target_kind]
        n_classes = head.n_classes or classes
        if target_kind is TargetKind.INDICATOR:  # any number of labels per row
            encoded = rng.integers(0, 2, size=(rows, n_classes)).astype(np.float64)
        else:
            encoded = rng.integers(0, n_classes, size=rows)
        labels = head.loss_targets(encoded, n_classes)
        shape = head.loss_shape(rows, n_classes)
        n_outputs = head.n_outputs(n_classes)
        theta = rng.normal(scale=0.5, size=(features + 1) * n_outputs)
        for loss_name in LOSS_NAMES:
            if not available(loss_name, model):
                continue
            loss = loss_for(loss_name, model)
            target = loss.prepare_target(labels, shape)
            for weighting in WEIGHTINGS:
                objective = LinearObjective(
                    X,
                    target,
                    loss,
                    n_outputs=n_outputs,
                    sample_weight=weights if weighting == "weighted" else None,
                    l2=l2,
                )
                analytic = np.empty_like(theta)
                objective.value_and_grad(theta, analytic)
                numeric = central_differences(
                    lambda t, objective=objective: objective.value_and_grad(t, np.empty_like(t)),
                    theta,
                    h,
                )
                for block, a, n in zip(
                    ("W", "b"), objective.unpack(analytic), objective.unpack(numeric), strict=True
                ):
                    checks.append(
                        GradCheck(model, loss.name, weighting, block, relative_error(a, n))
                    )
    return checks
