"""A trained model as a user holds it: new raw rows in, predictions out.

`TrainedModel` joins a fitted pipeline (polynomial features, then the estimator, which
standardises internally) to the input columns it was trained on (cetrain.data.columns), so that
it scores raw data as it arrives: a CSV file, a pandas DataFrame, a mapping of column name to
values, or rows of raw values in the order of the input columns. A NumPy array of numbers is taken
as features already encoded, as the estimator takes them.

A row with a missing value in a used column is dropped, as in training, with a warning that
counts the rows (`keep_missing=True` keeps it: NaN scores and probabilities, None as its
prediction). See cetrain.data.columns for how each column is read.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cetrain.core.heads import TargetKind
from cetrain.data.columns import EncodedRows, InputColumns, RawTable
from cetrain.data.csvfile import parse_labels, read_table, unit_column
from cetrain.errors import DataError
from cetrain.runs.evaluation import Evaluation, assess

if TYPE_CHECKING:
    from cetrain.runs.pipeline import ClassifierPipeline


class MissingValuesWarning(UserWarning):
    """Rows with a missing value in a used column were left out of the predictions."""


class TrainedModel:
    """A fitted pipeline with the input columns and targets it was trained on.

    Parameters
    ----------
    pipeline : ClassifierPipeline
        Fitted.
    columns : InputColumns
        The raw input columns, whose encoding gives `pipeline.feature_names`.
    target_names : list of str
        The label column, or the target columns of a 2-D target, as in the training data.

    Every method that takes `data` accepts a CSV path (str or PathLike), a pandas DataFrame, a
    mapping of column name to values, rows of raw values in the order of `input_columns`, or a
    NumPy array of encoded features (n, len(feature_names)).
    """

    def __init__(
        self, pipeline: ClassifierPipeline, columns: InputColumns, target_names: Sequence[str]
    ) -> None:
        if columns.feature_names != pipeline.feature_names:
            raise DataError(
                f"input_columns encode to the features {', '.join(columns.feature_names)}, "
                f"but feature_names lists {', '.join(pipeline.feature_names)}"
            )
        self.pipeline = pipeline
        self.columns = columns
        self.target_names = list(target_names)

    # --- what the model is ------------------------------------------------------------------

    @property
    def estimator(self):
        return self.pipeline.estimator

    @property
    def classes_(self) -> np.ndarray:
        return self.pipeline.classes_

    @property
    def feature_names(self) -> list[str]:
        return self.pipeline.feature_names

    @property
    def input_columns(self) -> list[str]:
        return self.columns.names

    @property
    def predicts_label_sets(self) -> bool:
        """True for a multi-label model on 0/1 columns: predict gives one 0/1 column per
        label."""
        return self.estimator.head_.predicts_label_sets

    # --- raw data -> features ---------------------------------------------------------------

    def encode(
        self, data: Any, keep_missing: bool = False, with_targets: bool = False
    ) -> EncodedRows:
        """Raw data -> the features of the rows scored (cetrain.data.columns.EncodedRows).

        with_targets: the target columns must be there too, and a row missing its target is
        dropped."""
        table = as_table(data, self.columns)
        if with_targets:
            self._check_has_targets(table)
        return self.columns.encode(
            table, keep_missing, also_used=self.target_names if with_targets else ()
        )

    def targets(self, data: Any, rows: np.ndarray | None = None) -> np.ndarray:
        """The targets in raw data's target columns, as fit took them: labels (n,) (int64 when
        the classes are whole numbers), or for a 2-D target float columns (n, C) in [0, 1]."""
        table = as_table(data, self.columns)
        self._check_has_targets(table)
        rows = np.arange(table.n_rows) if rows is None else rows
        if self.estimator.target_kind_ == TargetKind.LABELS:
            name = self.target_names[0]
            values = [str(table.columns[name][i]).strip() for i in rows]
            labels = parse_labels(values)
            labels = labels.astype(str) if self.classes_.dtype.kind in "US" else labels
            unknown = np.flatnonzero(~np.isin(labels, self.classes_))
            if unknown.size:
                k = unknown[0]
                raise DataError(
                    f"{table.where}, {table.row_names[rows[k]]}: column '{name}' holds the class "
                    f"'{values[k]}', which the model was not trained on; its classes are: "
                    f"{', '.join(map(str, self.classes_))}"
                )
            return labels
        columns = {
            name: [(table.row_names[i], table.columns[name][i]) for i in rows]
            for name in self.target_names
        }
        return np.column_stack(
            [
                unit_column(name, values, table.where, table.numbers)
                for name, values in columns.items()
            ]
        )

    def _check_has_targets(self, table: RawTable) -> None:
        absent = [name for name in self.target_names if name not in table.columns]
        if absent:
            what = "label column" if len(self.target_names) == 1 else "target columns"
            raise DataError(
                f"{table.where} has no column {', '.join(repr(a) for a in absent)}; evaluating "
                f"needs the {what} the model was trained on ({', '.join(self.target_names)})"
            )

    def features(self, data: Any, keep_missing: bool = False) -> EncodedRows:
        """The features of the rows to score, and which rows they are.

        Raw data is encoded (see `encode`); a row with a missing value is left out, counted in
        a MissingValuesWarning, or with keep_missing kept with NaN features. A NumPy array of
        numbers with one column per feature is taken as already encoded.
        """
        rows = self._rows(data, keep_missing, "; keep_missing=True keeps them, scored NaN")
        if rows.rows_dropped:
            warnings.warn(
                f"{rows.rows_dropped} of {len(rows.missing)} rows have a missing value in a used "
                "column and were left out; pass keep_missing=True to keep them (scored NaN)",
                MissingValuesWarning,
                stacklevel=3,
            )
        return rows

    def _rows(self, data: Any, keep_missing: bool, hint: str = "") -> EncodedRows:
        """The encoded rows of data (features as they are for an encoded array); no row to
        score is a DataError ending with `hint`. len(rows.missing) is the data's row count."""
        if _is_encoded(data, len(self.feature_names)):
            X = np.asarray(data, dtype=np.float64)
            if len(X) == 0:
                raise DataError("the array of features has no rows to score")
            return EncodedRows(X, np.arange(len(X)), np.zeros(len(X), dtype=bool), [])
        table = as_table(data, self.columns)
        rows = self.encode(table, keep_missing)
        check_rows_left(table, rows, hint)
        return rows

    def labelled(self, data: Any) -> tuple[EncodedRows, np.ndarray]:
        """The features and targets of raw data that holds the target columns; rows with a
        missing value in a feature or a target are left out (as in training)."""
        table = as_table(data, self.columns)
        rows = self.encode(table, with_targets=True)
        check_rows_left(table, rows)
        return rows, self.targets(table, rows.kept)

    def evaluate(self, data: Any, y: Any = None) -> tuple[Evaluation, EncodedRows]:
        """`cetrain evaluate`'s numbers (cetrain.runs.evaluation.assess) on data with its own
        target columns, or on data and y, with the rows they were measured on."""
        rows, y = self._labelled_rows(data, y)
        return assess(self.pipeline, rows.X, y), rows

    # --- predictions ------------------------------------------------------------------------

    def decision_function(self, data: Any, keep_missing: bool = False) -> np.ndarray:
        """The scores, as the estimator's decision_function gives them."""
        return _scored(self.features(data, keep_missing), self.pipeline.decision_function, np.nan)

    def predict_proba(self, data: Any, keep_missing: bool = False) -> np.ndarray:
        """Class probabilities (n, C), columns in the order of classes_."""
        return _scored(self.features(data, keep_missing), self.pipeline.predict_proba, np.nan)

    def predict(self, data: Any, keep_missing: bool = False) -> np.ndarray:
        """The predicted class of each row (n,), or for a multi-label model 0/1 columns (n, C);
        with keep_missing, an object array with None in rows that had missing values."""
        return _scored(self.features(data, keep_missing), self.pipeline.predict, None)

    def score(self, data: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Accuracy, as the estimator's score. Without y, the targets are the data's own target
        columns. Rows with a missing value (in a feature, or a target) are left out, as in
        training, and so are their entries of y and sample_weight, which need one entry per
        row of data."""
        rows, y = self._labelled_rows(data, y)
        if sample_weight is not None:
            weights = _one_per_row(sample_weight, len(rows.missing), "sample_weight")
            sample_weight = weights[rows.kept]
        return self.pipeline.score(rows.X, y, sample_weight)

    def _labelled_rows(self, data: Any, y: Any) -> tuple[EncodedRows, np.ndarray]:
        """The rows to measure and their targets: y's entries of the rows kept, or without y
        the data's own target columns (rows missing a target are left out too)."""
        if y is not None:
            rows = self._rows(data, keep_missing=False)
            return rows, _one_per_row(y, len(rows.missing), "y")[rows.kept]
        if _is_encoded(data, len(self.feature_names)):
            raise DataError(
                "y is needed with an array of encoded features (raw data may hold its own "
                f"target columns: {', '.join(self.target_names)})"
            )
        return self.labelled(data)


def _one_per_row(values: Any, n_rows: int, name: str) -> np.ndarray:
    """values as an array with one entry (or row) per row of the data scored."""
    array = np.asarray(values)
    if array.ndim == 0 or len(array) != n_rows:
        got = "one value" if array.ndim == 0 else f"{len(array)}"
        raise DataError(f"{name} needs one entry per row of the data ({n_rows}); got {got}")
    return array


def check_rows_left(table: RawTable, rows: EncodedRows, hint: str = "") -> None:
    """Refuse data with no row to score (DataError), rather than fail inside the estimator."""
    if table.n_rows == 0:
        raise DataError(f"{table.where} has no rows to score")
    if len(rows.kept) == 0:
        raise DataError(
            f"every row of {table.where} has a missing value in a used column, so no row is "
            f"left to score{hint}"
        )


def _scored(rows: EncodedRows, method, fill) -> np.ndarray:
    """method on the rows' features, with `fill` in the rows that had missing values (kept
    with keep_missing, their features NaN)."""
    return _with_missing(rows.X, rows.missing[rows.kept], method, fill)


def _with_missing(X: np.ndarray, missing: np.ndarray | None, method, fill) -> np.ndarray:
    """method(X), with `fill` in the rows that had missing values (their X is NaN)."""
    if missing is None or not missing.any():
        return method(X)
    # the rows scored give the output's shape and type; a zero row stands in when there is none
    scored = method(X[~missing]) if (~missing).any() else method(np.zeros_like(X[:1]))[:0]
    out = np.full((len(X), *scored.shape[1:]), fill, dtype=object if fill is None else float)
    out[~missing] = scored
    return out


def as_table(data: Any, columns: InputColumns) -> RawTable:
    """Raw data of any accepted kind (see TrainedModel) as a RawTable (read once: a RawTable
    is returned as it is)."""
    if isinstance(data, RawTable):
        return data
    if isinstance(data, str | os.PathLike):
        return read_table(Path(data))
    if hasattr(data, "columns") and hasattr(data, "to_dict"):  # a pandas DataFrame
        names = [str(name) for name in data.columns]
        if len(set(names)) < len(names):
            raise DataError(f"the DataFrame has repeated column names: {', '.join(names)}")
        return RawTable.from_mapping(
            {str(name): data[name].tolist() for name in data.columns}, "the DataFrame"
        )
    if isinstance(data, Mapping):
        return RawTable.from_mapping(data)
    given = np.asarray(data, dtype=object)
    rows = given[None, :] if given.ndim == 1 else given
    if rows.ndim != 2 or rows.shape[1] != len(columns.names) or not rows.size:
        raise DataError(
            f"rows of raw values need one value per input column ({len(columns.names)}: "
            f"{', '.join(columns.names)}), and an array of encoded features one column per "
            f"feature ({len(columns.feature_names)}); got shape {given.shape}"
        )
    return RawTable.from_mapping(
        {name: rows[:, j].tolist() for j, name in enumerate(columns.names)}, "the rows"
    )


def _is_encoded(data: Any, n_features: int) -> bool:
    """A NumPy array (or nested list) of numbers with one column per feature: features already
    encoded. Rows of numbers of another width are raw rows (see as_table)."""
    if isinstance(data, str | os.PathLike | Mapping | RawTable) or hasattr(data, "columns"):
        return False
    try:
        array = np.asarray(data)
    except (TypeError, ValueError):
        return False
    return array.dtype.kind in "fiub" and array.ndim == 2 and array.shape[1] == n_features
