"""What a loaded dataset is: features, targets, names, and how the features were made.

Every dataset arrives as a `Dataset`: a float64 feature matrix, the targets, the feature names and
a record of the input columns that is enough to encode new rows the same way. The targets are a
label vector (int64 when the labels are whole numbers, strings otherwise) or, when a CSV names
several target columns, a float64 matrix with one column per target: 0/1 labels of a multi-label
problem or rows of class probabilities (see `target_kind`). A CSV may also give per-row sample
weights (`weight_col`).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence

import numpy as np

from cetrain.core.heads import TargetKind
from cetrain.errors import DataError

# Rows of probabilities sum to 1 within this.
ROW_SUM_TOL = 1e-6


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A loaded dataset: features, labels, and how the features were made from the input columns.

    Attributes
    ----------
    name : str
        The registered name ("iris", "moons") or, for a CSV, its file stem.
    X : ndarray of shape (n_samples, n_features)
        Features, float64 and C-contiguous: a read-only np.memmap for a .npy file, which a
        run reads block by block (cetrain.data.npyfile, cetrain.data.rows).
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Labels: int64 when every label is a whole number, otherwise strings. With several target
        columns, a float64 matrix of values in [0, 1], one column per target (`target_kind`).
    feature_names : list of str
        One name per column of X; one-hot columns are named ``column=level``.
    target_name : str
        What y is (the CSV column, or the label's name for built-in sets). With several target
        columns, their names joined by commas, which `load_dataset` accepts back as ``target``.
    rows_dropped : int
        Rows removed because a used column (feature, target or weight) had a missing value.
    columns : list of dict
        The input columns used, in order: ``{"name", "kind": "numeric"}`` or
        ``{"name", "kind": "categorical", "levels": [...]}`` with every level sorted; the first
        level has no column in X.
    source : str
        "sklearn", "generator", or the CSV's absolute path.
    target_names : list of str
        One name per target: ``[target_name]`` for a label vector (filled in when not given), the
        target columns in order for a target matrix.
    sample_weight : ndarray of shape (n_samples,) or None
        Per-row weights from the CSV's weight column, float64, >= 0 and not all 0; None when the
        data has no weight column.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    rows_dropped: int = 0
    columns: list[dict] = dataclasses.field(default_factory=list)
    source: str = ""
    target_names: list[str] = dataclasses.field(default_factory=list)
    sample_weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not self.target_names:
            # Frozen: set the default through object, as dataclasses itself does.
            object.__setattr__(self, "target_names", [self.target_name])


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """One line of `list_datasets`: what a registered name loads, with its default size.

    ``classes`` is the number of distinct labels, or for a dataset whose default target is several
    columns (``genres``) the number of target columns.
    """

    name: str
    kind: str
    rows: int
    features: int
    classes: int
    description: str


def target_kind(y: np.ndarray) -> TargetKind:
    """What kind of targets y holds: a label vector, multi-label 0/1 rows, or probability rows.

    Rows that are all one-hot are both 0/1 labels and probabilities; they are reported as
    "probabilities", which a softmax model trains on exactly as on their class labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Labels, or a matrix with at least 2 columns of values in [0, 1].

    Returns
    -------
    TargetKind
        LABELS for a vector; for a matrix, PROBABILITIES when every row sums to 1 (within
        1e-6), otherwise INDICATOR when every value is 0 or 1 (multi-label: a row may hold any
        number of 1s).

    Raises
    ------
    DataError
        For a matrix with fewer than 2 columns, a value that is not a number in [0, 1], or values
        that are neither all 0/1 nor rows summing to 1.
    """
    y = np.asarray(y)
    if y.ndim == 1:
        return TargetKind.LABELS
    if y.ndim != 2 or y.shape[1] < 2:
        raise DataError(
            f"targets must be a vector of labels (n,) or a matrix (n, k) with k >= 2 columns; "
            f"got shape {y.shape}"
        )
    try:
        values = y.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"a target matrix must hold numbers in [0, 1]; got values of type {y.dtype}"
        ) from None
    outside = ~((values >= 0) & (values <= 1))
    if outside.any():
        row, col = np.argwhere(outside)[0]
        raise DataError(
            f"a target matrix must hold numbers in [0, 1]; row {row}, column {col} holds "
            f"{values[row, col]:g}"
        )
    sums = values.sum(axis=1)
    if np.all(np.abs(sums - 1) <= ROW_SUM_TOL):
        return TargetKind.PROBABILITIES
    if np.all((values == 0) | (values == 1)):
        return TargetKind.INDICATOR
    row = int(np.flatnonzero(np.abs(sums - 1) > ROW_SUM_TOL)[0])
    raise DataError(
        f"the targets are neither 0/1 labels nor probabilities: row {row} sums to {sums[row]:g}, "
        "and rows of probabilities must sum to 1 (within 1e-6)"
    )


def is_real(value: object) -> bool:
    """True for a real number (numpy's too), False for bool, str, None and the like."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_features(
    features: Sequence[str],
    accepted: list[str],
    targets: Sequence[str] = (),
    weight_col: str | None = None,
) -> list[str]:
    """Validate a user's feature list against the accepted column names; keep their order."""
    # A lone string is one column name, not a sequence of one-letter names.
    chosen = [features] if isinstance(features, str) else list(features)
    listing = ", ".join(accepted)
    if not chosen:
        raise DataError(f"features is empty; name at least one of: {listing}")
    seen: set[str] = set()
    for f in chosen:
        if f in targets or f == weight_col:
            role = (
                "the weight column"
                if f == weight_col
                else ("the target" if len(targets) == 1 else "a target column")
            )
            raise DataError(
                f"column '{f}' is {role}, so it cannot also be a feature; "
                f"the feature columns are: {listing}"
            )
        if f not in accepted:
            raise DataError(f"unknown column '{f}' in features; the columns are: {listing}")
        if f in seen:
            raise DataError(f"column '{f}' is named twice in features; name each column once")
        seen.add(f)
    return chosen
