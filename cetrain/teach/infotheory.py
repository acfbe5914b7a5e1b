"""Entropy, cross-entropy and KL divergence of one true distribution p and one prediction q.

The prediction enters as log-probabilities log q, never as q: from scores they are
log_softmax(s), exact where q underflows to zero; from probabilities they are log q with
log 0 = -inf. With the convention 0 log 0 = 0 a class with p_k = 0 contributes nothing, even
when q_k = 0, and H(p, q) = inf when some class with p_k > 0 has q_k = 0.

    H(p)        = -sum_k p_k log p_k
    H(p, q)     = -sum_k p_k log q_k
    KL(p || q)  =  sum_k p_k (log p_k - log q_k)  =  H(p, q) - H(p)  >= 0

All three are in nats (natural logarithms); divide by log(base) for another base, by log 2 for bits.
"""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cetrain.core.links import log_softmax
from cetrain.core.losses import cross_entropy
from cetrain.errors import DataError

# How far from 1 the sum of a distribution may be (numbers typed to a few decimals rarely add
# up exactly); cetrain.core.losses accepts probability rows with the same tolerance.
SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class InfoReport:
    """H(p), H(p, q) and KL(p || q) in nats, with the distributions they were computed from.

    `p` and `log_q` are normalised to sum to 1 (in probability); `q` is exp(log_q).
    """

    p: np.ndarray
    log_q: np.ndarray
    entropy: float
    cross_entropy: float
    kl_divergence: float

    @property
    def q(self) -> np.ndarray:
        """The predicted distribution q = exp(log q)."""
        return np.exp(self.log_q)


def check_distribution(values: ArrayLike) -> np.ndarray:
    """A probability vector, checked and divided by its sum.

    Parameters
    ----------
    values : array-like of shape (C,)
        Probabilities, each in [0, 1], summing to 1 within SUM_TOLERANCE.

    Returns
    -------
    ndarray of shape (C,)
        The values as float64, divided by their sum so that they sum to 1 to rounding.
    """
    p = np.asarray(values, dtype=np.float64)
    if p.ndim != 1 or p.shape[0] == 0:
        raise DataError(f"a distribution is a vector of probabilities; got shape {p.shape}")
    outside = p[~((p >= 0) & (p <= 1))]  # nan is outside too
    if outside.size:
        raise DataError(f"probabilities must be in [0, 1]; got {outside[0]:g}")
    total = float(p.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise DataError(f"probabilities must sum to 1 (within 1e-6); these sum to {total:.10g}")
    return p / total


def binary_distribution(p1: float) -> np.ndarray:
    """The two-class distribution (1 - p1, p1) of a probability p1 of class 1, checked."""
    if not 0 <= p1 <= 1:
        raise DataError(f"probabilities must be in [0, 1]; got {p1:g}")
    return np.array([1.0 - p1, p1])


def log_probabilities(q: ArrayLike) -> np.ndarray:
    """log q of a distribution q (checked and normalised as by check_distribution), log 0 = -inf.

    Parameters
    ----------
    q : array-like of shape (C,)
        Probabilities in [0, 1] summing to 1.

    Returns
    -------
    ndarray of shape (C,)
        log q_k, -inf where q_k = 0.
    """
    q = check_distribution(q)
    with np.errstate(divide="ignore"):  # log 0 = -inf is the right answer
        return np.log(q)


def entropy(p: ArrayLike, base: float = math.e) -> float:
    """Shannon entropy H(p) = -sum_k p_k log p_k, with 0 log 0 = 0.

    Parameters
    ----------
    p : array-like of shape (C,)
        A distribution: probabilities in [0, 1] summing to 1.
    base : float
        Base of the logarithm: e (default) for nats, 2 for bits.

    Returns
    -------
    float
        H(p) >= 0; log C for the uniform distribution over C classes, 0 for a one-hot p.
    """
    p = check_distribution(p)
    support = p[p > 0]
    # 0.0 - x rather than -x: a one-hot p gives 0.0, not -0.0
    return _in_base(0.0 - float(np.sum(support * np.log(support))), base)


def cross_entropy_of(p: ArrayLike, log_q: ArrayLike, base: float = math.e) -> float:
    """Cross-entropy H(p, q) = -sum_k p_k log q_k of the prediction q against the truth p.

    This is cetrain.core.losses.cross_entropy with log q as the scores and p as the probability row:
    sum_k p_k (logsumexp(log q) - log q_k), where logsumexp(log q) = log sum_k q_k = 0.
    A class with p_k = 0 contributes nothing; the result is inf if some p_k > 0 has q_k = 0.

    Parameters
    ----------
    p : array-like of shape (C,)
        The true distribution (a one-hot vector for a known class), C >= 2.
    log_q : array-like of shape (C,)
        Log-probabilities of the prediction, e.g. log_softmax(scores); -inf for q_k = 0.
    base : float
        Base of the logarithm: e (default) for nats, 2 for bits.

    Returns
    -------
    float
        H(p, q) >= H(p); for a one-hot p at class y it is -log q_y, the log loss.
    """
    p, log_q = _pair(p, log_q)
    return _in_base(float(cross_entropy(log_q[None, :], p[None, :])), base)


def kl_divergence(p: ArrayLike, log_q: ArrayLike, base: float = math.e) -> float:
    """Kullback-Leibler divergence KL(p || q) = sum_k p_k (log p_k - log q_k) = H(p, q) - H(p).

    Summed over the classes with p_k > 0 (0 log 0 = 0), so it is inf if some p_k > 0 has
    q_k = 0. Written as one sum rather than the difference H(p, q) - H(p) of two larger numbers,
    so that it stays accurate when q is close to p.

    Parameters
    ----------
    p : array-like of shape (C,)
        The true distribution.
    log_q : array-like of shape (C,)
        Log-probabilities of the prediction; -inf for q_k = 0.
    base : float
        Base of the logarithm: e (default) for nats, 2 for bits.

    Returns
    -------
    float
        KL(p || q) >= 0 (up to rounding): how many extra nats (or bits) coding p with a code
        built for q costs.
    """
    p, log_q = _pair(p, log_q)
    support = p > 0
    return _in_base(float(np.sum(p[support] * (np.log(p[support]) - log_q[support]))), base)


def information_report(p: ArrayLike, log_q: ArrayLike) -> InfoReport:
    """H(p), H(p, q) and KL(p || q), in nats, of a truth p and a prediction given as log q.

    Parameters
    ----------
    p : array-like of shape (C,)
        The true distribution, C >= 2: one-hot for a known class.
    log_q : array-like of shape (C,)
        Log-probabilities of the prediction: log_softmax(scores), or log_probabilities(q).

    Returns
    -------
    InfoReport
        The three quantities and the (normalised) distributions.
    """
    p, log_q = _pair(p, log_q)
    return InfoReport(
        p=p,
        log_q=log_q,
        entropy=entropy(p),
        cross_entropy=cross_entropy_of(p, log_q),
        kl_divergence=kl_divergence(p, log_q),
    )


def in_bits(nats: float) -> float:
    """An information quantity in bits: nats / log 2."""
    return _in_base(nats, 2.0)


def _in_base(nats: float, base: float) -> float:
    """nats / log(base); a quantity in nats expressed with logarithms to `base`."""
    return nats if base == math.e else nats / math.log(base)


def _pair(p: ArrayLike, log_q: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """p checked and normalised, log q renormalised with log_softmax; same length C >= 2."""
    p = check_distribution(p)
    log_q = np.asarray(log_q, dtype=np.float64)
    if log_q.shape != p.shape or p.shape[0] < 2:
        raise DataError(
            f"p and log q must be vectors of the same length C >= 2; got shapes {p.shape} "
            f"and {log_q.shape}"
        )
    if np.isnan(log_q).any() or (log_q == np.inf).any() or not np.isfinite(log_q).any():
        raise DataError("log q must be finite or -inf (for q_k = 0), and not all -inf")
    # A no-op for a normalised log q, up to rounding; q typed to a few decimals sums to 1 only
    # within SUM_TOLERANCE, and the three quantities must use the same q.
    return p, log_softmax(log_q)
