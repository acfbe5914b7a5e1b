"""One prediction under every training loss: what `cetrain loss` prints below H(p, q).

Every loss is the one `cetrain train --loss NAME` minimises (`losses.loss_for`), evaluated on
one row: the scores s of the prediction and the truth, a class or a distribution p.

    label smoothing   p' = (1 - e) p + e / C        (C = 2 for a binary truth: Keras' rule)
    scores from q     s = log q                     (softmax(log q) = q; binary: log q1 - log q0)

A loss that is a function of q alone (cross-entropy, MSE, focal, symmetric cross-entropy) gets
the same value from --probs as from the scores it came from. The hinge loss depends on the
scale of the scores, not only on q, so it needs scores; it and the focal loss also need a class,
not a distribution.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cetrain.core.losses import LABEL_SMOOTHING, LOSSES, LossSpec, loss_for
from cetrain.errors import DataError


@dataclass(frozen=True)
class LossValue:
    """One loss's value on the prediction, or why it has none (value None, `reason` set)."""

    name: str
    value: float | None
    options: Mapping[str, object]
    reason: str = ""


def smooth(p: ArrayLike, epsilon: float) -> np.ndarray:
    """Label smoothing of a distribution over C classes: (1 - epsilon) p + epsilon / C."""
    p = np.asarray(p, dtype=np.float64)
    epsilon = LABEL_SMOOTHING.check(epsilon)
    return (1.0 - epsilon) * p + epsilon / p.size


def loss_values(
    p: ArrayLike,
    log_q: ArrayLike,
    *,
    scores: ArrayLike | None = None,
    binary: bool = False,
    options: Mapping[str, Mapping[str, object]] | None = None,
    smoothed: bool = False,
) -> list[LossValue]:
    """The value of every training loss (LOSS_NAMES order) on one prediction.

    Parameters
    ----------
    p : array_like of shape (C,)
        The truth: a one-hot row (a class) or a distribution.
    log_q : array_like of shape (C,)
        Log-probabilities of the prediction.
    scores : array_like of shape (C,), optional
        The scores (logits) q came from, if it came from scores; the hinge loss needs them.
    binary : bool
        Evaluate the binary (sigmoid) losses on the score s_1 - s_0 and the truth p_1.
    options : mapping of loss name to its options, optional
        E.g. {"focal": {"gamma": 2.0, "alpha": None}}; a loss not named gets its defaults.
    smoothed : bool
        p is a label-smoothed target: only the losses that train on smoothed targets get a value.

    Returns
    -------
    list of LossValue
    """
    p = np.asarray(p, dtype=np.float64)
    log_q = np.asarray(log_q, dtype=np.float64)
    options = options or {}
    given = np.asarray(scores, dtype=np.float64) if scores is not None else log_q
    is_class = bool(np.all((p == 0.0) | (p == 1.0)))
    if binary:
        if p.size != 2:
            raise DataError(f"a binary prediction has 2 classes; got {p.size}")
        row_scores = np.array([given[1] - given[0]])
        truth = np.array([int(p[1])]) if is_class else p[1:]
    else:
        row_scores = given[np.newaxis, :]
        truth = np.array([int(np.argmax(p))]) if is_class else p[np.newaxis, :]
    values = []
    model = model_for(binary)
    for name, spec in LOSSES.items():
        chosen = dict(options.get(name, {}))
        if spec.needs_labels and not is_class:
            reason = "needs a class (--target, no --smoothing), not a distribution"
        elif smoothed and not _smooths(spec):
            reason = f"train smooths the targets of {_smoothed_losses()} only"
        elif spec.margin_based and scores is None:
            reason = "needs --scores: it depends on their scale, not only on q"
        else:
            loss = loss_for(name, model, **chosen)
            # q of exactly 0 or 1 is an infinite score, where a loss may be inf - inf
            with np.errstate(invalid="ignore", over="ignore"):
                value = float(loss(row_scores, truth))
            if not math.isnan(value):
                values.append(LossValue(name, value, loss.options))
                continue
            reason = "undefined at a probability of exactly 0 or 1: give --scores"
        values.append(LossValue(name, None, chosen, reason))
    return values


def model_for(binary: bool) -> str:
    """The model kind whose losses a prediction is scored with: one sigmoid for a binary
    prediction (the score s_1 - s_0), a softmax otherwise."""
    return "logistic" if binary else "softmax"


def _smooths(spec: LossSpec) -> bool:
    """Does `train --label-smoothing` smooth this loss's targets (it declares the option)?"""
    return any(option.param is LABEL_SMOOTHING for option in spec.options)


def _smoothed_losses() -> str:
    """The losses whose targets `train --label-smoothing` smooths."""
    names = [name for name, spec in LOSSES.items() if _smooths(spec)]
    return " and ".join(names)
