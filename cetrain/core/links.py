"""Links from scores (logits) to probabilities, computed stably.

Every function here takes raw scores and never exponentiates a large positive number:
the max (or the sign) is factored out first, so scores of +-1e4 give exact, finite results.
"""

import numpy as np
from numpy.typing import ArrayLike


def sigmoid(scores: ArrayLike) -> np.ndarray:
    """Logistic function sigma(s) = 1 / (1 + exp(-s)), elementwise.

    Computed as 1 / (1 + e) for s >= 0 and e / (1 + e) for s < 0, with e = exp(-|s|) <= 1,
    so neither branch overflows and sigma(-s) = 1 - sigma(s) holds to rounding.
    """
    s = np.asarray(scores, dtype=np.float64)
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0, e) / (1.0 + e)


def log_sigmoid(scores: ArrayLike) -> np.ndarray:
    """log sigma(s) = -log(1 + exp(-s)) = -logaddexp(0, -s), elementwise and exact for large |s|."""
    return -np.logaddexp(0.0, -np.asarray(scores, dtype=np.float64))


def logsumexp(scores: ArrayLike, axis: int = -1) -> np.ndarray:
    """log sum_k exp(s_k) along `axis`, as m + log sum_k exp(s_k - m) with m = max_k s_k.

    Rows whose max is -inf (every class impossible) give -inf rather than nan.
    """
    s = np.asarray(scores, dtype=np.float64)
    m = np.max(s, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    # log(0) = -inf is the right answer for such rows; s - m below -1.8e308 (scores of both
    # signs near the largest float) overflows to -inf, whose exp is the right 0
    with np.errstate(divide="ignore", over="ignore"):
        out = np.log(np.sum(np.exp(s - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def log_softmax(scores: ArrayLike, axis: int = -1) -> np.ndarray:
    """log softmax(s)_k = s_k - logsumexp(s), along `axis`."""
    s = np.asarray(scores, dtype=np.float64)
    with np.errstate(over="ignore"):  # below -1.8e308 the exact value is -inf in float64
        return s - np.expand_dims(logsumexp(s, axis=axis), axis)


def softmax(scores: ArrayLike, axis: int = -1) -> np.ndarray:
    """softmax(s)_k = exp(s_k - m) / sum_j exp(s_j - m) with m = max_j s_j, along `axis`.

    Invariant to adding a constant to every score of a row.
    """
    s = np.asarray(scores, dtype=np.float64)
    with np.errstate(over="ignore"):  # s - m below -1.8e308 is -inf, and its exp the right 0
        e = np.exp(s - np.max(s, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
