"""Feature preprocessing: standardisation (and its mapping back to original units), polynomials."""

import os
from collections.abc import Sequence
from itertools import combinations_with_replacement
from math import comb

import numpy as np

from cetrain.core.blocks import block_rows, row_blocks
from cetrain.core.losses import unit_scaled
from cetrain.core.objective import GRAM_MAX_FEATURES
from cetrain.core.params import Flag, Integer, Param
from cetrain.data.moments import column_moments, extend_range, squares_safe
from cetrain.errors import DataError, ModelFileError

MAX_POLY_FEATURES = 20_000
_EPS = np.finfo(np.float64).eps
# The spreads (largest minus smallest value) that float64 can standardise: below the smallest,
# the values are subnormal or their differences are, and 1/spread (a coefficient in original
# units) overflows; above the largest, the centred values and the reciprocal underflow.
SMALLEST_SPREAD = float(np.finfo(np.float64).tiny / _EPS)  # 1.0e-292
LARGEST_SPREAD = float(np.finfo(np.float64).max * _EPS)  # 4.0e292

STANDARDIZE = Param("standardize", Flag(), True, "Standardise features inside the model.")
# degree K on one feature already makes K columns: a higher degree never fits MAX_POLY_FEATURES
POLY = Param("poly", Integer(1, MAX_POLY_FEATURES), 1, "Degree of polynomial features (1: none).")

# Where the system does not tell its memory (os.sysconf is POSIX only).
FALLBACK_MEMORY_LIMIT = 4 * 2**30


def memory_limit() -> tuple[int, str]:
    """The bytes one feature matrix may take, and why: a quarter of this machine's memory, which
    leaves room for the arrays a table of features is read and encoded through."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = -1
    if total <= 0:
        return FALLBACK_MEMORY_LIMIT, "a fixed limit: this system does not tell its memory"
    return total // 4, "a quarter of this machine's memory"


def feature_bytes(n_rows: int, n_columns: int) -> int:
    """The bytes of a float64 matrix of n_rows x n_columns, computed without building it."""
    return int(n_rows) * int(n_columns) * 8


def check_feature_memory(n_rows: int, n_columns: int, what: str, advice: str) -> None:
    """DataError when n_rows x n_columns float64 values would exceed `memory_limit`; the
    message is "<what>: <n_rows> rows would need <estimate>, more than the <limit> limit
    (<why>); <advice>"."""
    need = feature_bytes(n_rows, n_columns)
    limit, why = memory_limit()
    if need > limit:
        raise DataError(
            f"{what}: {n_rows} rows would need {_gib(need)}, more than the {_gib(limit)} limit "
            f"({why}); {advice}"
        )


def _gib(size: int) -> str:
    return f"{size / 2**30:.3g} GiB"


class Standardizer:
    """z = (x - mean) / scale per feature, with the (weighted) mean and population std.

    A constant feature (whose range or std is rounding noise of its values) gets scale 1: it
    becomes all zeros rather than a division by zero (`constant_` marks them). A feature whose
    spread float64 cannot standardise is a DataError (see check_spread), enabled or not. With
    enabled=False it is the identity: mean 0 and scale 1.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def fit(
        self,
        X: np.ndarray,
        sample_weight: np.ndarray | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> "Standardizer":
        """Learn mean_ and scale_ from X of shape (n, d); `feature_names` name the features in
        errors (default "feature 0", ...).

        X is read in blocks of rows, so no temporary of X's size is made (X may be a memmap
        larger than memory), in one pass: the range, the sums, and each block's scatter around
        its own mean, merged into the scatter around the mean (Chan, Golub and LeVeque's
        pairwise update), whose diagonal gives the std and which is kept as covariance_ (the
        weighted population covariance around mean_, d x d) for the step size and the
        preconditioner (see weighted_gram), with residual_mean_, the weighted mean of x - mean_
        (0 but for mean_'s rounding). Features so large or small that their squares leave
        float64 take a second pass for the std, scaled, and keep no covariance_ (None).
        """
        d = X.shape[1]
        self.constant_ = np.zeros(d, dtype=bool)
        self.covariance_ = self.residual_mean_ = None
        if not self.enabled:
            low, high = _column_range(X)
            _check_range(low, high, feature_names)
            self.mean_, self.scale_ = np.zeros(d), np.ones(d)
            return self
        if sample_weight is not None:
            # scaled so that the largest is about 1 (exact ratios): the weighted squares of
            # spreads near 1e130 or 1e-140 neither overflow nor vanish, whatever the weights
            sample_weight = unit_scaled(sample_weight)
        # the scatter matrix only where the step size uses it: its d x d costs n d^2 to make
        moments = column_moments(X, sample_weight, scatter=d <= GRAM_MAX_FEATURES)
        low, high = moments.low, moments.high
        _check_range(low, high, feature_names)
        largest_value = np.maximum(np.abs(low), np.abs(high))  # max |x| per column
        weight_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        if weight_sum == 0:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        self.mean_ = moments.total / weight_sum
        if not np.all(np.isfinite(self.mean_)):
            # the sum overflowed (values near 1e308): the mean of x / max|x|, times max|x|
            top = np.where(largest_value > 0, largest_value, 1.0)
            self.mean_ = top * (_weighted_sum(X, sample_weight, divide=top) / weight_sum)
        largest = np.maximum(high - self.mean_, self.mean_ - low)  # max |x - mean|
        if moments.has_scatter and squares_safe(largest, varies=high > low):
            self.mean_, scatter, residual = moments.around_mean(self.mean_, weight_sum)
            std = np.sqrt(np.diag(scatter) / weight_sum)
            self.covariance_ = scatter / weight_sum
            self.residual_mean_ = residual / weight_sum
        else:
            # std = m sqrt(mean((x - mean)^2 / m^2)) with m = max |x - mean| (at the smallest
            # or the largest x): the squares cannot overflow, even for features near 1e300
            unit = np.where(largest > 0, largest, 1.0)
            squares = _weighted_sum(X, sample_weight, subtract=self.mean_, divide=unit, square=True)
            std = largest * np.sqrt(squares / weight_sum)
        # the range too: the std of a column of one value repeated is the rounding error of its
        # mean, which grows with the rows (0.1 x 800 rows: std 3.5e-16, more than 10 eps x 0.1)
        self.constant_ = _is_constant(std, largest_value) | _is_constant(high - low, largest_value)
        self.scale_ = np.where(self.constant_, 1.0, std)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean_) / scale_ as a new C-contiguous array (X itself when disabled), of shape
        (n, d): float32 data stays float32, each value computed in float64 and rounded once;
        any other type (integers, float16) gives float64.

        Rounding mean_ to float32 first would move every value of a column far from zero by up
        to half the float32 step of its mean (up to 0.031 at 1e6, whose step is 0.0625), as the
        objective's training blocks are not (see LinearObjective._feature_block)."""
        if not self.enabled:
            return X
        if X.dtype != np.float32:
            return np.ascontiguousarray((X - self.mean_) / self.scale_)
        Z = np.empty(X.shape, dtype=np.float32)
        for start, stop in row_blocks(X):  # a float64 temporary of one block, not of X
            # into float32 storage: a ufunc casts float64 results "same_kind" by default
            np.divide(X[start:stop] - self.mean_, self.scale_, out=Z[start:stop])
        return Z

    def objective_terms(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(mean, scale) for cetrain.core.objective.LinearObjective, which trains on
        (X - mean) / scale without making it: (None, None) when disabled, and scale inf for
        the features fit found constant (their standardised values are taken as 0, not as
        rounding noise, so their weights stay where they start)."""
        if not self.enabled:
            return None, None
        constant = getattr(self, "constant_", None)  # not kept in a model file
        if constant is None or not constant.any():
            return self.mean_, self.scale_
        return self.mean_, np.where(constant, np.inf, self.scale_)

    def weighted_gram(self) -> np.ndarray | None:
        """A^T D A of shape (d + 1, d + 1), with A = [Z, 1] for the standardised features Z of
        the data fit saw and D their weights over their sum, from covariance_:

            Z^T D Z = covariance_ / (scale scale^T),   Z^T D 1 = residual_mean_ / scale,
            1^T D 1 = 1

        (the weighted mean of Z: 0 but for mean_'s rounding, which is large next to the scale
        when the mean is far from zero), with the scale of objective_terms, so a constant
        feature's row and column are 0. It is cetrain.core.objective.LinearObjective's
        weighted_gram, without a pass over X. None without covariance_ (disabled, a model
        loaded from a file, features whose squares leave float64)."""
        covariance = getattr(self, "covariance_", None)
        if covariance is None:
            return None
        _, scale = self.objective_terms()
        inverse = 1.0 / scale  # 0 for a constant feature's inf
        d = covariance.shape[0]
        gram = np.zeros((d + 1, d + 1))
        gram[:d, :d] = covariance * inverse[:, None] * inverse[None, :]
        gram[:d, d] = gram[d, :d] = self.residual_mean_ * inverse
        gram[d, d] = 1.0
        return gram

    def to_original_units(self, W_T: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map weights on standardised features to weights on the original ones.

        z W^T + b = x (W / scale)^T + (b - (W / scale) mean), so with W_T of shape (K, d):
        coef = W_T / scale and intercept = b - coef @ mean.
        """
        coef = W_T / self.scale_
        return coef, b - coef @ self.mean_

    def to_standardised_units(
        self, coef: np.ndarray, intercept: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The inverse of to_original_units: W_T = coef * scale and b = intercept + coef @ mean,
        shapes (K, d) and (K,)."""
        return coef * self.scale_, intercept + coef @ self.mean_

    def to_dict(self) -> dict:
        return {"enabled": self.enabled, "mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "Standardizer":
        try:
            std = cls(enabled=bool(data["enabled"]))
            std.mean_ = np.asarray(data["mean"], dtype=np.float64)
            std.scale_ = np.asarray(data["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(
                f"bad standardisation settings in the model file: {exc!r}"
            ) from None
        if std.mean_.ndim != 1 or std.mean_.shape != std.scale_.shape:
            raise ModelFileError("bad standardisation settings in the model file: shapes differ")
        return std


def _is_constant(spread: np.ndarray, largest_value: np.ndarray) -> np.ndarray:
    """Features whose spread is rounding noise of their values, not information (all 0 too)."""
    return spread <= 10 * _EPS * largest_value


def check_spread(X: np.ndarray, feature_names: Sequence[str] | None = None) -> None:
    """Refuse features (columns of X, finite) whose spread float64 cannot work with,
    standardised or not (unstandardised, the weights must undo the spread): wider than
    LARGEST_SPREAD (values near +-1e308), or narrower than SMALLEST_SPREAD and not constant
    (values all near 1e-308), which would otherwise be silently taken as constant.
    DataError naming the features, with the range of the first."""
    if X.shape[0] == 0:
        return
    low, high = _column_range(X)
    _check_range(low, high, feature_names)


def _check_range(
    low: np.ndarray, high: np.ndarray, feature_names: Sequence[str] | None = None
) -> None:
    """check_spread's checks, on the columns' smallest and largest values."""
    if feature_names is None:
        feature_names = [f"feature {j}" for j in range(len(low))]
    names = [str(name) for name in feature_names]
    with np.errstate(over="ignore"):
        spread = high - low
    largest_value = np.maximum(np.abs(low), np.abs(high))
    wide = ~(spread <= LARGEST_SPREAD)  # inf too
    narrow = (spread < SMALLEST_SPREAD) & ~_is_constant(spread, largest_value)
    for bad, verbs, how, fix in (
        (wide, ("spreads", "spread"), f"over more than {LARGEST_SPREAD:.0e}", "divide"),
        (narrow, ("varies", "vary"), f"by less than {SMALLEST_SPREAD:.0e}", "multiply"),
    ):
        if not bad.any():
            continue
        j = np.flatnonzero(bad)
        first = f"from {low[j[0]]:.3g} to {high[j[0]]:.3g}"
        if len(j) == 1:
            what, verb, them = f"feature '{names[j[0]]}'", verbs[0], "it"
        else:
            listed = ", ".join(f"'{names[k]}'" for k in j[:5]) + (", ..." if len(j) > 5 else "")
            what, verb, them = f"features {listed}", verbs[1], "them"
            first = f"'{names[j[0]]}' {first}"
        raise DataError(
            f"{what} {verb} {how} ({first}), beyond what float64 arithmetic can work with; "
            f"rescale {them} ({fix} by a power of ten) or leave {them} out with --features"
        )


def _column_range(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's smallest and largest value, in one pass over X's blocks."""
    d = X.shape[1]
    low, high = np.full(d, np.inf), np.full(d, -np.inf)
    for start, stop in row_blocks(X):
        extend_range(low, high, X[start:stop])
    return low, high


def _weighted_sum(
    X: np.ndarray,
    weight: np.ndarray | None,
    subtract: np.ndarray | None = None,
    divide: np.ndarray | None = None,
    square: bool = False,
) -> np.ndarray:
    """sum_i w_i f(x_i) per column, f(x) = ((x - subtract) / divide)^2 (the parts given),
    over X's blocks: each block's f is made in one buffer of the block's size."""
    n, d = X.shape
    total = np.zeros(d)
    rows = block_rows(d)
    values = np.empty((min(n, rows), d))
    for start, stop in row_blocks(X, rows):
        block, out = X[start:stop], values[: stop - start]
        if subtract is not None:
            block = np.subtract(block, subtract, out=out)
        if divide is not None:
            block = np.divide(block, divide, out=out)
        if square:
            block = np.square(block, out=out)
        total += (
            block.sum(axis=0, dtype=np.float64) if weight is None else weight[start:stop] @ block
        )
    return total


class PolynomialFeatures:
    """All monomials of the inputs of degree 1..degree (no constant), in scikit-learn's order.

    For inputs (a, b) and degree 2 the outputs are a, b, a^2, a b, b^2; degree 1 is the identity.
    """

    def __init__(self, degree: int = 1) -> None:
        self.degree = POLY.check(degree)

    def fit(self, feature_names: list[str]) -> "PolynomialFeatures":
        """Learn the monomials for these input feature names."""
        d = len(feature_names)
        n_out = comb(d + self.degree, self.degree) - 1
        if n_out > MAX_POLY_FEATURES:
            raise DataError(
                f"poly degree {self.degree} on {d} features makes {n_out} features, more than "
                f"{MAX_POLY_FEATURES}; use a lower --poly or fewer --features"
            )
        self.input_names_ = list(feature_names)
        self.terms_ = [
            combo
            for k in range(1, self.degree + 1)
            for combo in combinations_with_replacement(range(d), k)
        ]
        return self

    @property
    def feature_names_out(self) -> list[str]:
        """Names like "x1", "x1^2", "x1 x2"."""
        return [_monomial_name(self.input_names_, term) for term in self.terms_]

    def check_memory(self, n_rows: int) -> None:
        """DataError, with the estimate and the limit, when the monomials of n_rows rows would
        not fit in memory (see `check_feature_memory`); nothing is built."""
        if self.degree == 1:
            return
        check_feature_memory(
            n_rows,
            len(self.terms_),
            f"poly degree {self.degree} on {len(self.input_names_)} features makes "
            f"{len(self.terms_)} columns",
            "use a lower --poly, fewer --features or fewer rows",
        )

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The monomials of X of shape (n, d): shape (n, len(terms_))."""
        if X.shape[1] != len(self.input_names_):
            raise DataError(
                f"expected {len(self.input_names_)} features for the polynomial, got {X.shape[1]}"
            )
        if self.degree == 1:
            return np.ascontiguousarray(X, dtype=np.float64)
        self.check_memory(X.shape[0])
        out = np.empty((X.shape[0], len(self.terms_)))
        # Each term is an earlier term (its prefix) times one more column. A product too large
        # for float64 is inf; the pipeline reports it, naming the degree.
        position = {term: j for j, term in enumerate(self.terms_)}
        with np.errstate(over="ignore"):
            for j, term in enumerate(self.terms_):
                if len(term) == 1:
                    out[:, j] = X[:, term[0]]
                else:
                    np.multiply(out[:, position[term[:-1]]], X[:, term[-1]], out=out[:, j])
        return out

    def to_dict(self) -> dict:
        return {"degree": self.degree, "input_names": self.input_names_}

    @classmethod
    def from_dict(cls, data: dict) -> "PolynomialFeatures":
        try:
            return cls(int(data["degree"])).fit(list(data["input_names"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"bad polynomial settings in the model file: {exc}") from None


def _monomial_name(names: list[str], term: tuple[int, ...]) -> str:
    """'a', 'a^2', 'a b^2' for the term's input indices."""
    parts = []
    for index in sorted(set(term)):
        power = term.count(index)
        parts.append(names[index] if power == 1 else f"{names[index]}^{power}")
    return " ".join(parts)
