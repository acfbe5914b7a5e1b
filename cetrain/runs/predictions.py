"""The table `cetrain predict` writes: one row per input row, in the input's order.

Columns: the id column (when one is named), then ``p(<class>)`` for each class and ``predicted``
(the most probable class); for a multi-label model ``p(<label>)`` and ``predicted(<label>)`` (0/1)
for each label. Probabilities are written with every digit (repr), so that reading the file back
gives the model's numbers exactly. A row with a missing value in a used column is left out (and
counted), or with keep_missing written with empty probability and prediction fields.
"""

from __future__ import annotations

import csv
import dataclasses
from typing import IO

import numpy as np

from cetrain.data.columns import RawTable
from cetrain.errors import DataError
from cetrain.runs.trained import TrainedModel, as_table, check_rows_left


@dataclasses.dataclass(frozen=True)
class Predictions:
    """A prediction table and what was left out of it.

    Attributes
    ----------
    header : list of str
    rows : list of list of str
    rows_dropped : int
        Input rows left out because a used column had a missing value.
    rows_missing : int
        Rows with a missing value (kept, with empty fields, when keep_missing).
    ignored : list of str
        Input columns the model does not use (the id column excluded).
    """

    header: list[str]
    rows: list[list[str]]
    rows_dropped: int
    rows_missing: int
    ignored: list[str]

    def write_csv(self, handle: IO[str]) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)


def predict_table(
    model: TrainedModel, data, id_col: str | None = None, keep_missing: bool = False
) -> Predictions:
    """Score raw data (a CSV path, DataFrame or mapping) and lay the result out as a table."""
    names = [str(c) for c in model.classes_]
    header = [f"p({name})" for name in names]
    if model.predicts_label_sets:
        header += [f"predicted({name})" for name in names]
    else:
        header.append("predicted")
    table = as_table(data, model.columns)
    if id_col is not None and id_col not in table.columns:
        raise DataError(
            f"--id-col '{id_col}' is not a column of {table.where}; the columns are: "
            f"{', '.join(table.columns)}"
        )
    if id_col in header:
        raise DataError(
            f"--id-col '{id_col}' has the name of an output column; the output's columns are: "
            f"{', '.join(header)}"
        )
    encoded = model.columns.encode(table, keep_missing)
    check_rows_left(table, encoded, hint="; --keep-missing keeps them, with empty predictions")
    scored = ~encoded.missing[encoded.kept]
    proba = predicted = np.empty((0,))
    if scored.any():
        proba = model.pipeline.predict_proba(encoded.X[scored])
        predicted = model.pipeline.predict(encoded.X[scored])
    blank = [""] * len(header)
    cells = iter(
        [repr(float(p)) for p in row_proba] + [str(int(v)) for v in np.atleast_1d(row_pred)]
        if model.predicts_label_sets
        else [*(repr(float(p)) for p in row_proba), str(row_pred)]
        for row_proba, row_pred in zip(proba, predicted, strict=True)
    )
    rows = [next(cells) if is_scored else blank for is_scored in scored]
    if id_col is not None:
        header.insert(0, id_col)
        rows = [[_cell(table, id_col, i), *row] for i, row in zip(encoded.kept, rows, strict=True)]
    ignored = [name for name in encoded.ignored if name != id_col]
    return Predictions(header, rows, encoded.rows_dropped, int(encoded.missing.sum()), ignored)


def _cell(table: RawTable, column: str, row: int) -> str:
    value = table.columns[column][row]
    return "" if value is None else str(value)
