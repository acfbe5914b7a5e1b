"""Checks of what users pass to the estimators: features X and labels y.

Messages follow scikit-learn's where scikit-learn has one for the same mistake, so that its own
estimator checks recognise them.
"""

import warnings

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import DataConversionWarning

from cetrain.core.blocks import first_non_finite
from cetrain.core.params import Advice
from cetrain.errors import DataError, DataTypeError


def check_X(
    X: ArrayLike,
    n_features: int | None = None,
    name: str = "X",
    model: str = "the model",
    dtype: type[np.floating] | np.dtype = np.float64,
) -> np.ndarray:
    """Features as a C-contiguous (n, d) array of finite numbers of `dtype` (float64, or float32
    for single-precision training), n >= 1 and d >= 1 (X itself when it is one already, e.g. a
    read-only memmap: callers only read it, and the check reads it in blocks, with no temporary
    of its size). Values that are not numbers raise DataTypeError, a TypeError as
    scikit-learn's check_array raises."""
    if hasattr(X, "toarray"):
        raise DataError(f"sparse {name} is not supported; pass a dense array ({name}.toarray())")
    if np.asarray(X).dtype.kind == "c":
        raise DataError(f"Complex data not supported: {name} holds complex values")
    try:
        with np.errstate(over="ignore"):  # to float32: beyond its range is inf, refused below
            arr = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise DataTypeError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 2:
        raise DataError(
            f"{name} must be a 2-D array (n_samples, n_features); got shape {arr.shape}. "
            "Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a "
            "single sample"
        )
    for axis, what in ((0, "sample"), (1, "feature")):
        if arr.shape[axis] == 0:
            raise DataError(
                f"Found {name} with 0 {what}(s) (shape={arr.shape}) while a minimum of 1 is "
                f"required by {model}."
            )
    if n_features is not None and arr.shape[1] != n_features:
        raise DataError(
            f"{name} has {arr.shape[1]} features, but {model} is expecting {n_features} "
            "features as input"
        )
    arr = np.ascontiguousarray(arr)
    if not _all_finite(arr):
        if arr.dtype != np.float64 and _all_finite(np.asarray(X, dtype=np.float64)):
            raise DataError(
                Advice(
                    f"{name} has values beyond {arr.dtype}'s range (about "
                    f"{np.finfo(arr.dtype).max:.3g}); train in {{float64}}",
                    {"float64": ("dtype", "float64")},
                )
            )
        raise DataError(f"{name} contains NaN or infinite values; drop or fill them first")
    return arr


def _all_finite(X: np.ndarray) -> bool:
    """Whether every value of X (n, d) is finite, read a block of rows at a time."""
    return first_non_finite(X) is None


def check_y(y: ArrayLike, n: int, name: str = "y", two_d: bool = False) -> np.ndarray:
    """Class labels as a 1-D array with one entry per row of the features; with two_d, an
    (n, C) array of columns passes as it is."""
    if y is None:
        raise DataError(f"a classifier requires {name} to be passed, but the target {name} is None")
    labels = np.asarray(y)
    if two_d and labels.ndim == 2 and labels.shape[0] == n and labels.shape[1] > 1:
        return labels
    if labels.ndim == 2 and labels.shape[1] == 1:
        warnings.warn(
            f"A column-vector {name} was passed when a 1d array was expected; it was flattened "
            "to shape (n,)",
            DataConversionWarning,
            stacklevel=3,
        )
        labels = labels[:, 0]
    if labels.shape != (n,):
        raise DataError(f"{name} must have one label per row ({n}); got shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            raise DataError(f"{name} contains NaN or infinite labels")
        if not np.all(labels == np.round(labels)):
            raise DataError(
                f"Unknown label type: continuous. {name} holds numbers with fractions; a "
                "classifier needs class labels (integers or strings)"
            )
    return labels
