"""How raw input columns become features, in training and again for new rows.

A model remembers its input columns (`Dataset.columns`, saved in model.json): each is numeric, or
categorical with the sorted levels seen in training. `InputColumns.encode` turns a raw table, one
list of values per column name, into the features the model was trained on:

    numeric column          ->  its values as float64                       (1 feature)
    categorical column, L   ->  one 0/1 column per level but the first,
                                named ``column=level``                      (L - 1 features)

Rules for new rows, the same everywhere (Python, `cetrain predict`, `cetrain evaluate`):

- columns are found by name, in any order; columns the model does not use are ignored;
- a missing column is an error that names it;
- a category level not seen in training is an error that names the column, the level and the
  known levels (an all-zero encoding would silently score the row as the first level);
- a row with a missing value (an empty field, ``na``, ``nan``, ``null``, ``none``, ``?``, None or
  NaN) in a used column is dropped and counted, as in training, or with ``keep_missing`` kept
  with NaN features, so that its scores are NaN.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from cetrain.data.numbers import PLAIN, NumberFormat, other_format, shown
from cetrain.errors import DataError, ModelFileError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
NUMERIC, CATEGORICAL = "numeric", "categorical"


# pandas' missing-value markers, recognised by type name so that pandas need not be imported
PANDAS_MISSING = frozenset({"NAType", "NaTType"})


def is_missing(value: object) -> bool:
    """True for None, a float NaN, pandas' NA and NaT, or text that is empty or one of
    MISSING_TOKENS (any case)."""
    if value is None or type(value).__name__ in PANDAS_MISSING:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_TOKENS
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return math.isnan(value)
    return False


def one_hot(texts: np.ndarray, levels: Sequence[str]) -> np.ndarray:
    """Text values (n,) -> 0/1 columns (n, L - 1), one per level but the first (dropped)."""
    return (texts[:, None] == np.asarray(levels[1:])[None, :]).astype(np.float64)


@dataclasses.dataclass(frozen=True)
class RawTable:
    """New rows as they come: one list of raw values (text or numbers) per column name.

    Attributes
    ----------
    columns : dict of str to list
        Every column, each with n_rows values.
    where : str
        How to name the data in errors, e.g. "'new.csv'" or "the DataFrame".
    row_names : list of str
        How to name each row in errors: "line 7" for a CSV file, "row 3" otherwise.
    numbers : NumberFormat
        How its text writes numbers (a CSV file read with --decimal or --thousands).
    """

    columns: dict[str, list]
    where: str
    row_names: list[str]
    numbers: NumberFormat = PLAIN

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    @classmethod
    def from_mapping(cls, data: Mapping, where: str = "the data") -> RawTable:
        """A mapping of column name to a sequence of values (or to one value: one row)."""
        columns: dict[str, list] = {}
        for name, values in data.items():
            if hasattr(values, "tolist"):  # a NumPy array or a pandas Series
                values = values.tolist()
            if isinstance(values, str | bytes) or not isinstance(values, Sequence):
                values = [values]  # one value: one row
            if str(name) in columns:
                raise DataError(f"{where} has two columns named '{name}'; name each column once")
            columns[str(name)] = list(values)
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            counts = ", ".join(f"{name}: {len(values)}" for name, values in columns.items())
            raise DataError(f"{where}: the columns have different lengths ({counts})")
        n = lengths.pop() if lengths else 0
        return cls(columns, where, [f"row {i}" for i in range(n)])


@dataclasses.dataclass(frozen=True)
class EncodedRows:
    """Features of the rows that were scored, and what happened to the others.

    Attributes
    ----------
    X : ndarray of shape (n_kept, n_features)
        The features; with keep_missing, every row, NaN where a value was missing.
    kept : ndarray of shape (n_kept,)
        The index in the raw table of each row of X.
    missing : ndarray of shape (n_rows,) of bool
        Rows with a missing value in a used column (dropped unless keep_missing).
    ignored : list of str
        The table's columns that the model does not use.
    """

    X: np.ndarray
    kept: np.ndarray
    missing: np.ndarray
    ignored: list[str]

    @property
    def rows_dropped(self) -> int:
        """Rows left out (0 with keep_missing)."""
        return len(self.missing) - len(self.kept)


@dataclasses.dataclass(frozen=True)
class InputColumn:
    """One raw input column: numeric, or categorical with the sorted levels seen in training."""

    name: str
    kind: str = NUMERIC
    levels: tuple[str, ...] = ()

    @property
    def feature_names(self) -> list[str]:
        """The features this column becomes: its name, or ``name=level`` per level but the
        first."""
        if self.kind == NUMERIC:
            return [self.name]
        return [f"{self.name}={level}" for level in self.levels[1:]]

    def to_dict(self) -> dict:
        if self.kind == NUMERIC:
            return {"name": self.name, "kind": NUMERIC}
        return {"name": self.name, "kind": CATEGORICAL, "levels": list(self.levels)}

    def encode(self, table: RawTable, missing: np.ndarray) -> np.ndarray:
        """This column's values in `table` -> its features (n_rows, k); NaN in missing rows."""
        values = table.columns[self.name]
        if self.kind == NUMERIC:
            out = np.full((len(values), 1), math.nan)
            for i in np.flatnonzero(~missing):
                out[i, 0] = self._number(values[i], table, i)
            return out
        texts = np.array([_as_text(v) for v in values], dtype=object)
        known = set(self.levels)
        for i in np.flatnonzero(~missing):
            if texts[i] not in known:
                raise DataError(
                    f"{table.where}, {table.row_names[i]}: column '{self.name}' has the level "
                    f"'{shown(texts[i])}', which was not seen in training; the known levels are: "
                    f"{', '.join(self.levels)}"
                )
        out = one_hot(texts, self.levels)
        out[missing] = math.nan
        return out

    def _number(self, value: object, table: RawTable, row: int) -> float:
        if isinstance(value, str):
            number = table.numbers.parse(value)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError, OverflowError):
                number = None
        if number is None or not math.isfinite(number):
            other = other_format(value, table.numbers) if isinstance(value, str) else None
            hint = "" if other is None or number is not None else _format_hint(other, table)
            raise DataError(
                f"{table.where}, {table.row_names[row]}: column '{self.name}' holds "
                f"'{shown(value)}', "
                f"not a finite number{hint}; the model was trained on numbers in this column"
            )
        return number


@dataclasses.dataclass(frozen=True)
class InputColumns:
    """The input columns of a model, in the order of its features."""

    columns: tuple[InputColumn, ...]

    @classmethod
    def from_dicts(cls, dicts: Sequence[Mapping], source: str = "model") -> InputColumns:
        """Read `Dataset.columns` / model.json's ``input_columns``, checking every entry."""
        out = []
        for i, entry in enumerate(dicts):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                raise ModelFileError(f"{source}: input_columns[{i}] has no name")
            kind = entry.get("kind")
            if kind == NUMERIC:
                out.append(InputColumn(entry["name"]))
            elif kind == CATEGORICAL:
                levels = entry.get("levels")
                if (
                    not isinstance(levels, list)
                    or not levels
                    or not all(isinstance(level, str) for level in levels)
                ):
                    raise ModelFileError(
                        f"{source}: input column '{entry['name']}' needs a list of text levels"
                    )
                out.append(InputColumn(entry["name"], CATEGORICAL, tuple(levels)))
            else:
                raise ModelFileError(
                    f"{source}: input column '{entry['name']}' has kind {kind!r}; expected "
                    f"'{NUMERIC}' or '{CATEGORICAL}'"
                )
        return cls(tuple(out))

    @classmethod
    def numeric(cls, names: Sequence[str]) -> InputColumns:
        """Every feature its own numeric column (model files that did not record columns)."""
        return cls(tuple(InputColumn(name) for name in names))

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def feature_names(self) -> list[str]:
        """The features, in order, that these columns become."""
        return [name for column in self.columns for name in column.feature_names]

    def encode(
        self, table: RawTable, keep_missing: bool = False, also_used: Sequence[str] = ()
    ) -> EncodedRows:
        """Encode a raw table as the model's features (the rules in the module docstring).

        Parameters
        ----------
        table : RawTable
        keep_missing : bool
            Keep rows with a missing value (their features NaN) instead of dropping them.
        also_used : sequence of str
            Other columns the caller reads (targets, an id column): a missing value there drops
            the row too, and they are not reported as ignored.
        """
        absent = [name for name in self.names if name not in table.columns]
        if absent:
            raise DataError(
                f"{table.where} has no column {_quoted(absent)}, which the model needs; "
                f"the model's input columns are: {', '.join(self.names)}"
            )
        used = [*self.names, *also_used]
        missing = np.zeros(table.n_rows, dtype=bool)
        for name in used:
            missing |= np.fromiter(
                (is_missing(v) for v in table.columns[name]), dtype=bool, count=table.n_rows
            )
        blocks = [column.encode(table, missing) for column in self.columns]
        X = np.hstack(blocks) if blocks else np.empty((table.n_rows, 0))
        kept = np.arange(table.n_rows) if keep_missing else np.flatnonzero(~missing)
        ignored = [name for name in table.columns if name not in used]
        return EncodedRows(np.ascontiguousarray(X[kept]), kept, missing, ignored)


def _as_text(value: object) -> object:
    """A categorical value as the text a CSV would hold (None stays None: it is missing)."""
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else str(value)


def _format_hint(other: NumberFormat, table: RawTable) -> str:
    """How to read a value written in the `other` number format, for an error."""
    if other.plain:
        return f" when read with {table.numbers.options} (it is a plain number: leave that out)"
    return f" ({other.options} reads it as one)"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)
