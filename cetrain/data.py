"""Datasets: the registry of named sets, CSV loading with one-hot encoding, and a stratified split.

Every dataset arrives as a `Dataset`: a float64 feature matrix, a label vector (int64 when the
labels are whole numbers, strings otherwise), the feature names and a record of the input columns
that is enough to encode new rows the same way. User mistakes raise `DataError` with a one-line
message.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import math
import numbers
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn import datasets as sklearn_datasets
from sklearn import model_selection

from cetrain.errors import DataError

# A link to the repository's top-level datasets/ folder, whose CSVs are package data: found the
# same way from a checkout, an editable install and a wheel.
DATASETS_DIR: Path = Path(__file__).resolve().parent / "datasets"

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MAX_LEVELS = 50
DELIMITERS = (",", ";", "\t")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A loaded dataset: features, labels, and how the features were made from the input columns.

    Attributes
    ----------
    name : str
        The registered name ("iris", "moons") or, for a CSV, its file stem.
    X : ndarray of shape (n_samples, n_features)
        Features, float64 and C-contiguous.
    y : ndarray of shape (n_samples,)
        Labels: int64 when every label is a whole number, otherwise strings.
    feature_names : list of str
        One name per column of X; one-hot columns are named ``column=level``.
    target_name : str
        What y is (the CSV column, or the label's name for built-in sets).
    rows_dropped : int
        Rows removed because a used column had a missing value.
    columns : list of dict
        The input columns used, in order: ``{"name", "kind": "numeric"}`` or
        ``{"name", "kind": "categorical", "levels": [...]}`` with every level sorted; the first
        level has no column in X.
    source : str
        "sklearn", "generator", or the CSV's absolute path.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    rows_dropped: int = 0
    columns: list[dict] = dataclasses.field(default_factory=list)
    source: str = ""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """One line of `list_datasets`: what a registered name loads, with its default size."""

    name: str
    kind: str
    rows: int
    features: int
    classes: int
    description: str


# --------------------------------------------------------------------------- built-in sets


@dataclasses.dataclass(frozen=True)
class _Bundled:
    loader: Callable
    target_name: str
    string_labels: bool
    description: str


_SKLEARN = {
    "iris": _Bundled(
        sklearn_datasets.load_iris, "species", True, "Fisher's iris flowers: 4 measurements"
    ),
    "wine": _Bundled(
        sklearn_datasets.load_wine, "cultivar", True, "Italian wines: 13 chemical analyses"
    ),
    "breast_cancer": _Bundled(
        sklearn_datasets.load_breast_cancer,
        "diagnosis",
        True,
        "Wisconsin breast cancer: 30 cell-nucleus features",
    ),
    "digits": _Bundled(
        sklearn_datasets.load_digits, "digit", False, "8x8 images of handwritten digits"
    ),
}


def _moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (sklearn's make_moons)."""
    return sklearn_datasets.make_moons(n_samples=n, noise=noise, random_state=seed)


def _circles(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (sklearn's make_circles, factor 0.5)."""
    return sklearn_datasets.make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)


def _blobs(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs with standard deviation `noise` (sklearn's make_blobs)."""
    return sklearn_datasets.make_blobs(n_samples=n, centers=3, cluster_std=noise, random_state=seed)


def _xor(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in the four quadrants of [-1, 1]^2, label x1*x2 > 0, then Gaussian jitter."""
    rng = np.random.default_rng(seed)
    # Quadrants in turn rather than at random, so every quadrant (and class) gets n/4 points.
    quadrant = np.arange(n) % 4
    signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])[quadrant]
    clean = rng.uniform(0.0, 1.0, size=(n, 2)) * signs
    y = (signs[:, 0] * signs[:, 1] > 0).astype(np.int64)
    X = clean + rng.normal(0.0, noise, size=(n, 2))
    order = rng.permutation(n)
    return X[order], y[order]


def _spiral(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved spiral arms (CS231n), `noise` the standard deviation of the angle."""
    rng = np.random.default_rng(seed)
    Xs, ys = [], []
    for k, size in enumerate(_class_sizes(n, 3)):
        r = np.linspace(0.0, 1.0, size)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), size) + rng.normal(0.0, noise, size)
        Xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(size, k, dtype=np.int64))
    order = rng.permutation(n)
    return np.concatenate(Xs)[order], np.concatenate(ys)[order]


def _linear(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes centred at (-1, -1) and (1, 1) with standard deviation `noise`."""
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n, 2)
    X = np.concatenate([rng.normal(-1.0, noise, (n0, 2)), rng.normal(1.0, noise, (n1, 2))])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    order = rng.permutation(n)
    return X[order], y[order]


def _class_sizes(n: int, k: int) -> list[int]:
    """Split n rows into k classes as evenly as possible."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


@dataclasses.dataclass(frozen=True)
class _Generator:
    make: Callable[[int, float, int], tuple[np.ndarray, np.ndarray]]
    classes: int
    noise: float
    description: str


DEFAULT_N_SAMPLES = 200

# Default noise levels leave the classes overlapping a little, so that an unpenalised fit still has
# a finite optimum on the sets a linear model can separate (blobs, linear).
_GENERATORS = {
    "moons": _Generator(_moons, 2, 0.2, "two interleaving half moons"),
    "circles": _Generator(_circles, 2, 0.1, "a circle inside a circle"),
    "blobs": _Generator(_blobs, 3, 1.0, "three Gaussian blobs (noise = their std)"),
    "xor": _Generator(_xor, 2, 0.1, "four quadrants, label x1*x2 > 0"),
    "spiral": _Generator(_spiral, 3, 0.2, "three interleaved spiral arms (CS231n)"),
    "linear": _Generator(_linear, 2, 1.0, "two Gaussian classes split by a line"),
}

_CSV_DESCRIPTIONS = {
    "line": "Godoy's red and green points on a line",
    "exam": "Wikipedia's hours of study vs passing an exam",
    "default": "synthetic credit default, in the style of ISLR's Default",
    "species": "synthetic bird species from measurements and site",
}


def _normalize(name: str) -> str:
    """Registry key of a dataset name: case-insensitive, '-' and '_' alike."""
    return name.strip().lower().replace("-", "_")


def _csv_registry() -> dict[str, Path]:
    """The CSVs in DATASETS_DIR by normalised stem; a built-in name takes precedence."""
    if not DATASETS_DIR.is_dir():
        return {}
    found = {_normalize(p.stem): p for p in sorted(DATASETS_DIR.glob("*.csv"))}
    return {k: p for k, p in found.items() if k not in _SKLEARN and k not in _GENERATORS}


# --------------------------------------------------------------------------- load_dataset


def load_dataset(
    spec: str,
    *,
    target: str | None = None,
    features: Sequence[str] | None = None,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
) -> Dataset:
    """Load a registered dataset by name, or a CSV file by path.

    Parameters
    ----------
    spec : str
        A registered name (case-insensitive, ``-`` same as ``_``; see `list_datasets`) or the
        path of a CSV file.
    target : str, optional
        CSV only: the label column. Default: the last column.
    features : sequence of str, optional
        The input columns to use, in this order (CSV columns before one-hot encoding, or
        feature names of a built-in set). Default: all but the target.
    n_samples : int, optional
        Generated sets only: number of rows (default 200); at least 2 per class.
    noise : float, optional
        Generated sets only: noise level, >= 0 (each generator has its own default).
    seed : int
        Seed of the generated sets; ignored by the others.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For an unknown name, a missing or malformed file, an unknown column, or options that do
        not apply to this dataset.
    """
    key = _normalize(spec)
    csvs = _csv_registry()
    if key in _SKLEARN or key in _GENERATORS:
        if target is not None:
            raise DataError(f"target applies only to CSV data; '{key}' comes with its own labels")
        if key in _GENERATORS:
            ds = _generate(key, n_samples, noise, seed)
        else:
            _reject_generator_options(key, n_samples, noise)
            ds = _load_sklearn(key)
        return ds if features is None else _select_features(ds, features)
    if key in csvs:
        path = csvs[key]
    elif Path(spec).is_file() or looks_like_path(spec):
        path = Path(spec)
    else:
        names = ", ".join([*_SKLEARN, *_GENERATORS, *csvs])
        raise DataError(f"unknown dataset '{spec}'; use a CSV path or one of: {names}")
    _reject_generator_options(spec, n_samples, noise)
    return read_csv(path, target=target, features=features)


def looks_like_path(spec: str) -> bool:
    """True when spec names a file rather than a dataset: it has a path separator or a .csv end."""
    has_sep = any(sep and sep in spec for sep in ("/", os.sep, os.altsep))
    return has_sep or spec.lower().endswith(".csv")


def _reject_generator_options(name: str, n_samples: int | None, noise: float | None) -> None:
    """Raise when n_samples or noise is given for a dataset that is not generated."""
    given = [
        opt for opt, value in (("n_samples", n_samples), ("noise", noise)) if value is not None
    ]
    if given:
        verb = "apply" if len(given) > 1 else "applies"
        raise DataError(
            f"{' and '.join(given)} {verb} only to the generated datasets "
            f"({', '.join(_GENERATORS)}), not to '{name}'"
        )


def _load_sklearn(key: str) -> Dataset:
    """One of scikit-learn's bundled datasets, with string labels where it names its classes."""
    spec = _SKLEARN[key]
    bunch = spec.loader()
    y = bunch.target_names[bunch.target] if spec.string_labels else bunch.target.astype(np.int64)
    return Dataset(
        name=key,
        X=np.ascontiguousarray(bunch.data, dtype=np.float64),
        y=np.asarray(y),
        feature_names=[str(f) for f in bunch.feature_names],
        target_name=spec.target_name,
        columns=[{"name": str(f), "kind": "numeric"} for f in bunch.feature_names],
        source="sklearn",
    )


def _generate(key: str, n_samples: int | None, noise: float | None, seed: int) -> Dataset:
    """A generated two-feature dataset, after checking n_samples and noise."""
    gen = _GENERATORS[key]
    n = DEFAULT_N_SAMPLES if n_samples is None else n_samples
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 2 * gen.classes:
        raise DataError(
            f"n_samples for '{key}' must be a whole number of at least {2 * gen.classes} "
            f"(2 per class); got {n_samples!r}"
        )
    level = gen.noise if noise is None else noise
    if not _is_real(level) or not 0 <= level < math.inf:
        raise DataError(f"noise for '{key}' must be a finite number >= 0; got {noise!r}")
    X, y = gen.make(int(n), float(level), seed)
    return Dataset(
        name=key,
        X=np.ascontiguousarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.int64),
        feature_names=["x1", "x2"],
        target_name="class",
        columns=[{"name": "x1", "kind": "numeric"}, {"name": "x2", "kind": "numeric"}],
        source="generator",
    )


def _is_real(value: object) -> bool:
    """True for a real number (numpy's too), False for bool, str, None and the like."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _select_features(ds: Dataset, features: Sequence[str]) -> Dataset:
    """Keep only the requested features of a built-in dataset, in the requested order."""
    chosen = _check_features(features, ds.feature_names)
    idx = [ds.feature_names.index(f) for f in chosen]
    return dataclasses.replace(
        ds,
        X=np.ascontiguousarray(ds.X[:, idx]),
        feature_names=chosen,
        columns=[ds.columns[i] for i in idx],
    )


def _check_features(
    features: Sequence[str], accepted: list[str], target: str | None = None
) -> list[str]:
    """Validate a user's feature list against the accepted column names; keep their order."""
    # A lone string is one column name, not a sequence of one-letter names.
    chosen = [features] if isinstance(features, str) else list(features)
    listing = ", ".join(accepted)
    if not chosen:
        raise DataError(f"features is empty; name at least one of: {listing}")
    seen: set[str] = set()
    for f in chosen:
        if f == target:
            raise DataError(
                f"column '{f}' is the target, so it cannot also be a feature; "
                f"the feature columns are: {listing}"
            )
        if f not in accepted:
            raise DataError(f"unknown column '{f}' in features; the columns are: {listing}")
        if f in seen:
            raise DataError(f"column '{f}' is named twice in features; name each column once")
        seen.add(f)
    return chosen


# --------------------------------------------------------------------------- CSV files


def read_csv(
    path: str | os.PathLike,
    *,
    target: str | None = None,
    features: Sequence[str] | None = None,
    name: str | None = None,
) -> Dataset:
    """Read a CSV file with a header into a Dataset.

    The delimiter is the one of ``,`` ``;`` and tab that splits the header into the most fields.
    Fields are stripped; an empty field or one of ``na``, ``n/a``, ``nan``, ``null``, ``none``,
    ``?`` (any case) is missing, and a row missing a used column is dropped. A column whose values
    are all numbers is numeric; any other feature column is one-hot encoded with its sorted levels,
    the first level dropped, columns named ``column=level``.

    Parameters
    ----------
    path : str or PathLike
        The CSV file, UTF-8 (a byte-order mark is allowed).
    target : str, optional
        The label column. Default: the last column.
    features : sequence of str, optional
        The columns to use as features, in this order. Default: all columns but the target.
    name : str, optional
        The dataset's name. Default: the file stem.

    Returns
    -------
    Dataset
        With ``source`` the file's absolute path and ``rows_dropped`` the rows with missing values.

    Raises
    ------
    DataError
        If the file is missing or unreadable, is not UTF-8, has no header or no rows, has duplicate
        column names or a row of the wrong length, names an unknown column, holds a non-finite
        number, a text column with more than 50 levels, or no row without missing values.
    """
    path = Path(path)
    where = f"'{path}'"
    header, rows = _read_table(path, where)
    if target is None:
        target = header[-1]
    elif target not in header:
        raise DataError(
            f"unknown target column '{target}' in {where}; the columns are: {', '.join(header)}"
        )
    others = [c for c in header if c != target]
    chosen = others if features is None else _check_features(features, others, target)

    index = {col: i for i, col in enumerate(header)}
    used = [index[c] for c in [*chosen, target]]
    kept = [(line, row) for line, row in rows if not any(_is_missing(row[i]) for i in used)]
    if not kept:
        raise DataError(
            f"{where}: every row has a missing value in the columns used "
            f"({', '.join([*chosen, target])}); no rows are left"
        )

    blocks, feature_names, columns = [], [], []
    for col in chosen:
        values = [(line, row[index[col]]) for line, row in kept]
        block, names, info = _encode_column(col, values, where)
        blocks.append(block)
        feature_names += names
        columns.append(info)
    if not feature_names:
        raise DataError(
            f"{where}: the feature columns ({', '.join(chosen)}) each hold a single value, "
            "which leaves nothing to learn from; choose other features"
        )
    X = np.ascontiguousarray(np.column_stack(blocks), dtype=np.float64)
    y = _labels([row[index[target]] for _, row in kept])
    return Dataset(
        name=path.stem if name is None else name,
        X=X,
        y=y,
        feature_names=feature_names,
        target_name=target,
        rows_dropped=len(rows) - len(kept),
        columns=columns,
        source=str(path.resolve()),
    )


def _read_table(path: Path, where: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The stripped header and the (line number, stripped fields) of every non-blank row."""
    if not path.exists():
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
                header = _check_header(fields, where, reader.line_num)
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


def _check_header(fields: list[str], where: str, line: int) -> list[str]:
    """Reject a header with fewer than 2 columns, an empty name, or a repeated name."""
    if len(fields) < 2:
        raise DataError(
            f"{where}, line {line}: found 1 column ('{fields[0]}'); need at least a feature and "
            "a target column, separated by , ; or tab"
        )
    for i, col in enumerate(fields):
        if not col:
            raise DataError(f"{where}, line {line}: column {i + 1} has no name; name every column")
        if col in fields[:i]:
            raise DataError(
                f"{where}, line {line}: column name '{col}' appears more than once; "
                "column names must be unique"
            )
    return fields


def _is_missing(value: str) -> bool:
    """True for an empty field or one of the tokens that mean 'missing'."""
    return value.lower() in MISSING_TOKENS


def _encode_column(
    col: str, values: list[tuple[int, str]], where: str
) -> tuple[np.ndarray, list[str], dict]:
    """A numeric column as is, or a text column one-hot with its first sorted level dropped."""
    floats = _as_floats([v for _, v in values])
    if floats is not None:
        bad = np.flatnonzero(~np.isfinite(floats))
        if bad.size:
            line, value = values[bad[0]]
            raise DataError(
                f"{where}, line {line}: column '{col}' holds the non-finite number '{value}'; "
                "use a finite number, or leave the field empty to mark it missing"
            )
        return floats[:, None], [col], {"name": col, "kind": "numeric"}
    texts = np.array([v for _, v in values])
    levels = sorted(set(texts.tolist()))
    if len(levels) > MAX_LEVELS:
        line, example = next((ln, v) for ln, v in values if _as_floats([v]) is None)
        raise DataError(
            f"{where}: column '{col}' has {len(levels)} different text values (more than "
            f"{MAX_LEVELS}, e.g. '{example}' on line {line}), too many to one-hot encode; "
            "leave it out with --features"
        )
    block = (texts[:, None] == np.array(levels[1:])[None, :]).astype(np.float64)
    names = [f"{col}={level}" for level in levels[1:]]
    return block, names, {"name": col, "kind": "categorical", "levels": levels}


def _as_floats(values: list[str]) -> np.ndarray | None:
    """The values as float64 if every one parses as a number, else None."""
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        return None


def _labels(values: list[str]) -> np.ndarray:
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


# --------------------------------------------------------------------------- listing, splitting


def list_datasets() -> list[DatasetInfo]:
    """Describe every registered dataset by loading it.

    Returns
    -------
    list of DatasetInfo
        Sorted by kind ("csv", "generator", "sklearn"), then name; generated sets report their
        default size.
    """
    infos = []
    for key, spec in _SKLEARN.items():
        infos.append(_info(_load_sklearn(key), "sklearn", spec.description))
    for key, gen in _GENERATORS.items():
        infos.append(_info(_generate(key, None, None, 0), "generator", gen.description))
    for key, path in _csv_registry().items():
        ds = read_csv(path, name=path.stem)
        infos.append(_info(ds, "csv", _CSV_DESCRIPTIONS.get(key, f"datasets/{path.name}")))
    return sorted(infos, key=lambda info: (info.kind, info.name))


def _info(ds: Dataset, kind: str, description: str) -> DatasetInfo:
    """The DatasetInfo of a loaded dataset."""
    return DatasetInfo(
        name=ds.name,
        kind=kind,
        rows=ds.X.shape[0],
        features=ds.X.shape[1],
        classes=np.unique(ds.y).size,
        description=description,
    )


def train_test_split(
    X: np.ndarray, y: np.ndarray, *, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split rows into a training and a test set, stratified by label.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    test_size : float
        Fraction of rows in the test set, in [0, 1). With 0 every row is for training and the test
        arrays are empty.
    seed : int
        Seed of the shuffle; the same seed gives the same split.

    Returns
    -------
    X_train : ndarray of shape (n_train, n_features)
    X_test : ndarray of shape (n_test, n_features)
    y_train : ndarray of shape (n_train,)
    y_test : ndarray of shape (n_test,)

    Raises
    ------
    DataError
        If test_size is outside [0, 1), or a stratified split is impossible: a class with one
        row, or a test or training set smaller than the number of classes.
    """
    X, y = np.asarray(X), np.asarray(y)
    if not _is_real(test_size) or not 0 <= test_size < 1:
        raise DataError(f"test_size must be a number in [0, 1); got {test_size!r}")
    if test_size == 0:
        return X.copy(), X[:0].copy(), y.copy(), y[:0].copy()

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
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed
    )
    return X_train, X_test, y_train, y_test
