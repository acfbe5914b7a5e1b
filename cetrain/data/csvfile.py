"""CSV files: reading, missing values, one-hot encoding of text columns, labels and weights.

`read_csv` reads a file with a header into a `Dataset`. User mistakes raise `DataError` with a
one-line message that names the file, the line and what would be accepted.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cetrain.data.columns import CATEGORICAL, InputColumn, RawTable, is_missing, one_hot
from cetrain.data.dataset import Dataset, check_features
from cetrain.data.npyfile import is_npy
from cetrain.data.numbers import PLAIN, NumberFormat, format_problem, shown
from cetrain.errors import CetrainError, DataError

MAX_LEVELS = 50
DELIMITERS = (",", ";", "\t")


def read_csv(
    path: str | os.PathLike,
    *,
    target: str | Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    name: str | None = None,
    weight_col: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
) -> Dataset:
    """Read a CSV file with a header into a Dataset.

    The delimiter is the one of ``,`` ``;`` and tab that splits the header into the most fields.
    Fields are stripped; an empty field or one of ``na``, ``n/a``, ``nan``, ``null``, ``none``,
    ``?`` (any case) is missing, and a row missing a used column (feature, target or weight) is
    dropped. A column whose values are all numbers is numeric; any other feature column is one-hot
    encoded with its sorted levels, the first level dropped, columns named ``column=level``,
    unless its values are numbers in another format than `decimal` and `thousands` describe
    (``1,011``, ``12,5``; see cetrain.data.numbers): that is a DataError naming the options
    that read it, never a column of categories.

    Parameters
    ----------
    path : str or PathLike
        The CSV file, UTF-8 (a byte-order mark is allowed).
    target : str or sequence of str, optional
        The label column; or several target columns, as a sequence or as one string with the names
        separated by commas (a string that is itself a column name is that one column). One column
        gives a label vector; several give a float64 matrix (n, k), each column numeric with values
        in [0, 1]: 0/1 labels (multi-label) or probabilities (soft targets). Default: the last
        column that is not the weight column.
    features : sequence of str, optional
        The columns to use as features, in this order. Default: all columns but the targets and
        the weight column.
    name : str, optional
        The dataset's name. Default: the file stem.
    weight_col : str, optional
        A numeric column of per-row sample weights, >= 0 and not all 0; never a feature. A row
        whose weight is missing is dropped.
    decimal : {".", ","}, optional
        The decimal mark of the numbers (default ".").
    thousands : {",", ".", "'", "space", "none"}, optional
        The thousands separator of the numbers (default none; "space" is a space, a no-break
        or a narrow no-break space).

    Returns
    -------
    Dataset
        With ``source`` the file's absolute path, ``rows_dropped`` the rows with missing values and
        ``sample_weight`` the weights (None without a weight column).

    Raises
    ------
    DataError
        If the file is missing or unreadable, is not UTF-8, has no header or no rows, has duplicate
        column names or a row of the wrong length, names an unknown column or one column in two
        roles, holds a non-finite number, a text column with more than 50 levels, a target value
        outside [0, 1] (several targets), a bad weight, or no row without missing values.
    """
    path = Path(path)
    where = f"'{path}'"
    numbers = _number_format(decimal, thousands)
    header, rows = _read_table(path, where)
    if weight_col is not None and weight_col not in header:
        raise DataError(
            f"unknown weight column '{weight_col}' in {where}; the columns are: {', '.join(header)}"
        )
    targets = _target_columns(target, header, weight_col, where)
    if weight_col in targets:
        raise DataError(
            f"column '{weight_col}' is the weight column, so it cannot also be a target; "
            "name another target column"
        )
    others = [c for c in header if c not in targets and c != weight_col]
    if not others:
        raise DataError(
            f"{where}: every column is a target or the weight column, which leaves no column for "
            "the features"
        )
    chosen = others if features is None else check_features(features, others, targets, weight_col)

    index = {col: i for i, col in enumerate(header)}
    weights = [] if weight_col is None else [weight_col]
    used_names = [*chosen, *targets, *weights]
    used = [index[c] for c in used_names]
    kept = [(line, row) for line, row in rows if not any(is_missing(row[i]) for i in used)]
    if not kept:
        raise DataError(
            f"{where}: every row has a missing value in the columns used "
            f"({', '.join(used_names)}); no rows are left"
        )

    blocks, feature_names, columns = [], [], []
    for col in chosen:
        values = [(line, row[index[col]]) for line, row in kept]
        block, names, info = _encode_column(col, values, where, numbers)
        blocks.append(block)
        feature_names += names
        columns.append(info)
    if not feature_names:
        raise DataError(
            f"{where}: the feature columns ({', '.join(chosen)}) each hold a single value, "
            "which leaves nothing to learn from; choose other features"
        )
    X = np.ascontiguousarray(np.column_stack(blocks), dtype=np.float64)
    if len(targets) == 1:
        y = parse_labels([row[index[targets[0]]] for _, row in kept])
    else:
        y = np.column_stack(
            [unit_column(t, _numbered(kept, index[t]), where, numbers) for t in targets]
        )
    sample_weight = None
    if weight_col is not None:
        sample_weight = _weights(weight_col, _numbered(kept, index[weight_col]), where, numbers)
        if not sample_weight.any():
            raise DataError(
                f"{where}: every weight in column '{weight_col}' is 0 in the {len(kept)} rows "
                "used; at least one row needs a positive weight"
            )
    return Dataset(
        name=path.stem if name is None else name,
        X=X,
        y=y,
        feature_names=feature_names,
        target_name=",".join(targets),
        rows_dropped=len(rows) - len(kept),
        columns=columns,
        source=str(path.resolve()),
        target_names=targets,
        sample_weight=sample_weight,
    )


def read_table(
    path: str | os.PathLike, decimal: str | None = None, thousands: str | None = None
) -> RawTable:
    """A CSV file's columns as raw text, unencoded: for scoring new rows with a trained model
    (see cetrain.data.columns), its numbers read in the format `decimal` and `thousands` give
    (see read_csv). Raises DataError as read_csv does for an unreadable file."""
    path = Path(path)
    numbers = _number_format(decimal, thousands)
    if is_npy(path) and path.is_file():
        raise DataError(
            f"'{path}' is a NumPy .npy file, not a CSV: new rows are read from a CSV with the "
            "model's input columns; from Python, cetrain.load_model(model).predict_proba("
            "np.load(path, mmap_mode='r')) scores an array of features"
        )
    header, rows = _read_table(path, f"'{path}'", for_training=False)
    columns = {name: [row[i] for _, row in rows] for i, name in enumerate(header)}
    return RawTable(columns, f"'{path}'", [f"line {line}" for line, _ in rows], numbers)


def _number_format(decimal: str | None, thousands: str | None) -> NumberFormat:
    """The number format of the settings; DataError for a decimal mark that is also the
    thousands separator."""
    try:
        return NumberFormat.of(decimal, thousands)
    except ValueError as exc:  # ConfigError for a value out of range is a ValueError too
        if isinstance(exc, CetrainError):
            raise
        raise DataError(f"{exc}; --decimal and --thousands must be different marks") from None


def _target_columns(
    target: str | Sequence[str] | None, header: list[str], weight_col: str | None, where: str
) -> list[str]:
    """The target column names: checked, in the user's order, a comma-separated string split."""
    if target is None:
        return [next(c for c in reversed(header) if c != weight_col)]
    if isinstance(target, str):
        # A column whose own name holds a comma is still one column.
        names = [target] if target in header else [t.strip() for t in target.split(",")]
    else:
        names = list(target)
    if not names:
        raise DataError(f"target is empty; name at least one of: {', '.join(header)}")
    for i, t in enumerate(names):
        if t == "":
            raise DataError(
                f"target '{target}' has an empty column name; separate the target columns "
                "with single commas"
            )
        if t not in header:
            raise DataError(
                f"unknown target column '{t}' in {where}; the columns are: {', '.join(header)}"
            )
        if t in names[:i]:
            raise DataError(f"column '{t}' is named twice in target; name each column once")
    return names


def _numbered(rows: list[tuple[int, list[str]]], column: int) -> list[tuple[str, str]]:
    """One column of (line number, fields) rows as (row name, value) pairs: ("line 7", "0.5")."""
    return [(f"line {line}", row[column]) for line, row in rows]


def unit_column(
    col: str, values: list[tuple[str, object]], where: str, numbers: NumberFormat = PLAIN
) -> np.ndarray:
    """One of several target columns as float64, every value a number in [0, 1]. `values` are
    (row name, value) pairs, the row named in an error ("line 7", "row 3"); text is read in
    the `numbers` format."""
    return _checked_numbers(
        values,
        where,
        numbers,
        lambda v: (v >= 0) & (v <= 1),
        lambda value: (
            f"target column '{col}' holds '{shown(value)}', not a number in [0, 1]; "
            "several target columns take 0/1 labels or probabilities"
        ),
    )


def _weights(
    col: str, values: list[tuple[str, str]], where: str, numbers: NumberFormat
) -> np.ndarray:
    """The weight column as float64, every value a finite number >= 0."""
    return _checked_numbers(
        values,
        where,
        numbers,
        lambda v: (v >= 0) & (v < math.inf),
        lambda value: (
            f"weight column '{col}' holds '{shown(value)}'; sample weights must be finite "
            "numbers >= 0"
        ),
    )


def _checked_numbers(
    values: list[tuple[str, object]],
    where: str,
    numbers: NumberFormat,
    accept: Callable[[np.ndarray], np.ndarray],
    complaint: Callable[[object], str],
) -> np.ndarray:
    """The (row name, value) values as float64 (text read in the `numbers` format); the first
    one that is not an accepted number raises, naming its row."""
    out = np.full(len(values), math.nan)
    for i, (_, value) in enumerate(values):
        number = numbers.parse(value) if isinstance(value, str) else _float(value)
        if number is not None:
            out[i] = number  # else NaN, which no check accepts
    bad = np.flatnonzero(~accept(out))
    if bad.size:
        row, value = values[bad[0]]
        raise DataError(f"{where}, {row}: {complaint(value)}")
    return out


def _read_table(
    path: Path, where: str, for_training: bool = True
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The stripped header and the (line number, stripped fields) of every non-blank row.
    Data for training needs at least two columns (a feature and a target)."""
    try:
        found = path.exists()
    except OSError as exc:  # a name the system refuses: too long
        raise DataError(f"cannot read {where}: {exc.strerror or exc}") from None
    if not found:
        raise DataError(f"no such file: {where}")
    if not path.is_file():
        raise DataError(f"not a file: {where}; give the path of a CSV file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc.strerror or exc}") from exc
    # Strip the BOM by hand rather than decode "utf-8-sig", whose error offsets skip the BOM.
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{where}, line {line}: not UTF-8 text (byte 0x{body[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from exc
    if "\x00" in text:  # text files hold none: a binary file, or another encoding's zeros
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(
            f"{where}, line {line}: holds a NUL byte, which text never does; save the file as "
            "UTF-8 text"
        )

    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(first_line))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            # Blank lines (csv yields [] or one empty field for them) separate nothing.
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            fields = [f.strip() for f in fields]
            if header is None:
                header = _check_header(fields, where, reader.line_num, for_training)
            elif len(fields) != len(header):
                raise DataError(
                    f"{where}, line {reader.line_num}: expected {len(header)} fields "
                    f"({', '.join(header)}), found {len(fields)}"
                )
            else:
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise DataError(f"{where}, line {reader.line_num}: malformed CSV ({exc})") from exc
    if header is None:
        raise DataError(f"{where} is empty; expected a header line and rows of data")
    if not rows:
        raise DataError(f"{where} has a header but no rows of data")
    return header, rows


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter among , ; tab that splits the header line into the most fields (ties: ,)."""
    counts = [len(next(csv.reader([header_line], delimiter=d))) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def _check_header(fields: list[str], where: str, line: int, for_training: bool) -> list[str]:
    """Reject a header with an empty name, a repeated name, or (for training) only 1 column."""
    if for_training and len(fields) < 2:
        raise DataError(
            f"{where}, line {line}: found 1 column ('{shown(fields[0])}'); need at least a "
            "feature and "
            "a target column, separated by , ; or tab"
        )
    for i, col in enumerate(fields):
        if not col:
            raise DataError(f"{where}, line {line}: column {i + 1} has no name; name every column")
        if not col.isprintable():  # a name that messages could not show on one line
            raise DataError(
                f"{where}, line {line}: the name of column {i + 1} ('{shown(col)}') holds a "
                "character that does not print; name every column in plain text"
            )
        if col in fields[:i]:
            raise DataError(
                f"{where}, line {line}: column name '{col}' appears more than once; "
                "column names must be unique"
            )
    return fields


def _encode_column(
    col: str, values: list[tuple[int, str]], where: str, numbers: NumberFormat = PLAIN
) -> tuple[np.ndarray, list[str], dict]:
    """A numeric column as is, or a text column one-hot with its first sorted level dropped;
    numbers in another format than `numbers` are a DataError (see format_problem)."""
    floats = _as_floats([v for _, v in values], numbers)
    if floats is not None:
        bad = np.flatnonzero(~np.isfinite(floats))
        if bad.size:
            line, value = values[bad[0]]
            raise DataError(
                f"{where}, line {line}: column '{col}' holds the non-finite number "
                f"'{shown(value)}'; "
                "use a finite number, or leave the field empty to mark it missing"
            )
        return floats[:, None], [col], InputColumn(col).to_dict()
    problem = format_problem(col, [(f"line {line}", v) for line, v in values], numbers)
    if problem is not None:
        raise DataError(f"{where}: {problem}")
    texts = np.array([v for _, v in values])
    levels = sorted(set(texts.tolist()))
    if len(levels) > MAX_LEVELS:
        line, example = next((ln, v) for ln, v in values if _as_floats([v], numbers) is None)
        raise DataError(
            f"{where}: column '{col}' has {len(levels)} different text values (more than "
            f"{MAX_LEVELS}, e.g. '{shown(example)}' on line {line}), too many to one-hot encode; "
            "leave it out with --features"
        )
    column = InputColumn(col, CATEGORICAL, tuple(levels))
    return one_hot(texts, levels), column.feature_names, column.to_dict()


def _as_floats(values: list[str], numbers: NumberFormat = PLAIN) -> np.ndarray | None:
    """The values as float64 if every one is a number in the `numbers` format, else None."""
    if numbers.plain:
        try:
            return np.array([float(v) for v in values], dtype=np.float64)
        except ValueError:
            return None
    out = [numbers.parse(v) for v in values]
    return None if None in out else np.array(out, dtype=np.float64)


def _float(value: object) -> float | None:
    """A non-text value (from a DataFrame or a mapping) as a float, or None."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_labels(values: list[str]) -> np.ndarray:
    """int64 labels when every value is a whole number (also '1.0'), else string labels."""
    ints = []
    for v in values:
        try:
            ints.append(int(v))
            continue
        except ValueError:
            pass
        try:
            f = float(v)
        except ValueError:
            return np.array(values)
        if not f.is_integer():
            return np.array(values)
        ints.append(int(f))
    try:
        return np.array(ints, dtype=np.int64)
    except OverflowError:
        return np.array(values)
