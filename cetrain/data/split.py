"""Train/test splits, stratified by class (or by the kind of a target matrix).

`train_test_split` stratifies a label vector by class and refuses a split that cannot hold every
class on both sides. A target matrix is stratified by the argmax class (probabilities) or by the
combination of labels (multi-label) when every such stratum has at least 2 rows and both sets can
hold one row of each; otherwise, and only for a target matrix, the split falls back to an
unstratified split with the same seed (rare label combinations are common in multi-label data).
`split_strata` says which of the two a split will be.
"""

from __future__ import annotations

import math

import numpy as np

from cetrain.core.heads import TargetKind
from cetrain.core.params import Integer, Number, Param
from cetrain.data.dataset import target_kind
from cetrain.errors import DataError

TEST_SIZE = Param(
    "test_size",
    Number(0.0, 1.0, high_open=True),
    0.25,
    "Fraction held out as a stratified test set; 0 for none.",
)
# NumPy's and scikit-learn's seeds are 32-bit
SEED = Param("seed", Integer(0, 2**32 - 1), 0, "Seed of the split and of generated data.")


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    test_size: float,
    seed: int,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Split rows into a training and a test set, stratified by label.

    A label vector is stratified by class. A target matrix (see `target_kind`) is stratified by
    the argmax class of probability rows, or by the combination of 0/1 labels of multi-label rows,
    when every stratum has at least 2 rows and both sets can hold one row of each; otherwise it is
    split without stratification, with the same seed (`split_strata` tells which).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    test_size : float
        Fraction of rows in the test set, in [0, 1). With 0 every row is for training and the test
        arrays are empty.
    seed : int
        Seed of the shuffle; the same seed gives the same split.
    sample_weight : ndarray of shape (n_samples,), optional
        Per-row weights, split with the rows; they do not change which rows go where.

    Returns
    -------
    X_train : ndarray of shape (n_train, n_features)
    X_test : ndarray of shape (n_test, n_features)
    y_train : ndarray of shape (n_train,) or (n_train, n_targets)
    y_test : ndarray of shape (n_test,) or (n_test, n_targets)
    w_train, w_test : ndarray of shape (n_train,) and (n_test,)
        Only when sample_weight is given.

    Raises
    ------
    DataError
        If test_size is outside [0, 1), a label vector cannot be stratified (a class with one
        row, or a test or training set smaller than the number of classes), a target matrix is
        invalid, or no row is left for training.
    """
    X, y = np.asarray(X), np.asarray(y)
    arrays = [X, y]
    if sample_weight is not None:
        arrays.append(np.asarray(sample_weight))
        if arrays[-1].shape != (y.shape[0],):
            raise DataError(
                f"sample_weight has shape {arrays[-1].shape}, but y has {y.shape[0]} rows; "
                "give one weight per row"
            )
    train, test = split_indices(y, test_size=test_size, seed=seed)
    return tuple(part for a in arrays for part in (a[train], a[test]))


def split_indices(y: np.ndarray, *, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows of `train_test_split`'s two sets, without taking them: (train, test) indices
    into y's rows, in the order train_test_split gives the rows. Splitting memory-mapped
    features by these (cetrain.data.rows) gives the same sets as splitting them in memory.

    Parameters and errors as `train_test_split`; with test_size 0 train is every row in order
    and test is empty.
    """
    y = np.asarray(y)
    test_size = TEST_SIZE.check(test_size)
    n = y.shape[0]
    if test_size == 0:
        return np.arange(n), np.arange(0)
    if y.ndim == 2:
        n_test = math.ceil(test_size * n)
        if n_test >= n:
            raise DataError(
                f"test_size {test_size:g} of {n} rows leaves no row for training; "
                "use a smaller test_size"
            )
        strata = split_strata(y, test_size)
    else:
        strata = _check_stratified(y, test_size)
    from sklearn import model_selection  # imported here: slow, and only a split needs it

    # scikit-learn draws the split from the number of rows and the strata alone, so the
    # indices are the rows it would have taken from X itself
    train, test = model_selection.train_test_split(
        np.arange(n), test_size=test_size, stratify=strata, random_state=seed
    )
    return train, test


def split_strata(y: np.ndarray, test_size: float) -> np.ndarray | None:
    """What `train_test_split` stratifies by: one stratum per row, or None for no stratification.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    test_size : float
        Fraction of rows in the test set, in (0, 1).

    Returns
    -------
    ndarray of shape (n_samples,) or None
        y itself for a label vector; for a target matrix the argmax class of probability rows or
        an index of each multi-label row's combination of labels, or None when some stratum has a
        single row or the test or training set cannot hold one row of each stratum.
    """
    y = np.asarray(y)
    kind = target_kind(y)
    if kind is TargetKind.LABELS:
        return y
    if kind is TargetKind.PROBABILITIES:
        strata = y.argmax(axis=1)
    else:
        strata = np.unique(y, axis=0, return_inverse=True)[1].reshape(-1)
    _, counts = np.unique(strata, return_counts=True)
    n, n_test = strata.size, math.ceil(test_size * strata.size)
    if n == 0 or counts.min() < 2 or n_test < counts.size or n - n_test < counts.size:
        return None
    return strata


def _check_stratified(y: np.ndarray, test_size: float) -> np.ndarray:
    """y, after checking that a split stratified by its labels is possible."""
    classes, counts = np.unique(y, return_counts=True)
    n, k = y.shape[0], classes.size
    if counts.min() < 2:
        lonely = classes[counts.argmin()]
        raise DataError(
            f"class '{lonely}' has only 1 row, and a stratified split needs at least 2 in every "
            "class; add rows of that class or use test_size 0 (no test set)"
        )
    # sklearn puts ceil(test_size * n) rows in the test set; both sets need one row per class.
    n_test = math.ceil(test_size * n)
    # Every class has 2+ rows, so n >= 2k and this range is never empty.
    low, high = math.ceil(100 * k / n) / 100, math.floor(100 * (n - k) / n) / 100
    advice = f"use a test_size between {low:g} and {high:g}"
    if n_test < k:
        raise DataError(
            f"test_size {test_size:g} of {n} rows gives a test set of {n_test}, too small to "
            f"hold one row of each of the {k} classes; {advice}"
        )
    if n - n_test < k:
        raise DataError(
            f"test_size {test_size:g} of {n} rows leaves {n - n_test} for training, too few to "
            f"hold one row of each of the {k} classes; {advice}"
        )
    return y
