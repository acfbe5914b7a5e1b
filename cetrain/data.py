"""Datasets: the registry of named sets, CSV loading with one-hot encoding, and a stratified split.

Every dataset arrives as a `Dataset`: a float64 feature matrix, the targets, the feature names and
a record of the input columns that is enough to encode new rows the same way. The targets are a
label vector (int64 when the labels are whole numbers, strings otherwise) or, when a CSV names
several target columns, a float64 matrix with one column per target: 0/1 labels of a multi-label
problem or rows of class probabilities (see `target_kind`). A CSV may also give per-row sample
weights (`weight_col`). User mistakes raise `DataError` with a one-line message.

Splitting: `train_test_split` stratifies a label vector by class and refuses a split that cannot
hold every class on both sides. A target matrix is stratified by the argmax class (probabilities)
or by the combination of labels (multi-label) when every such stratum has at least 2 rows and both
sets can hold one row of each; otherwise, and only for a target matrix, the split falls back to an
unstratified split with the same seed (rare label combinations are common in multi-label data).
`split_strata` says which of the two a split will be.
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
        Features, float64 and C-contiguous.
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
    "genres": "synthetic songs tagged electronic, rock and pop: multi-label",
    "noisy_labels": "three blobs with 30% of the labels flipped",
    "sparse": "binary labels from 4 of 20 features",
}

# Registered CSVs whose default target is not the last column alone.
_CSV_TARGETS = {"genres": ("electronic", "rock", "pop")}


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
    target: str | Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    weight_col: str | None = None,
) -> Dataset:
    """Load a registered dataset by name, or a CSV file by path.

    Parameters
    ----------
    spec : str
        A registered name (case-insensitive, ``-`` same as ``_``; see `list_datasets`) or the
        path of a CSV file.
    target : str or sequence of str, optional
        CSV only: the label column, or several target columns as a sequence or a comma-separated
        string (see `read_csv`). Default: the last column; for ``genres`` (by name or path) its
        three label columns.
    features : sequence of str, optional
        The input columns to use, in this order (CSV columns before one-hot encoding, or
        feature names of a built-in set). Default: all but the target and weight columns.
    n_samples : int, optional
        Generated sets only: number of rows (default 200); at least 2 per class.
    noise : float, optional
        Generated sets only: noise level, >= 0 (each generator has its own default).
    seed : int
        Seed of the generated sets; ignored by the others.
    weight_col : str, optional
        CSV only: a numeric column of per-row sample weights (see `read_csv`).

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
        if weight_col is not None:
            raise DataError(f"weight_col applies only to CSV data; '{key}' has no weight column")
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
    if target is None:
        target = _registered_target(path, csvs)
    return read_csv(path, target=target, features=features, weight_col=weight_col)


def _registered_target(path: Path, csvs: dict[str, Path]) -> tuple[str, ...] | None:
    """The default target of a registered CSV, found by name or by path; None: the last column."""
    resolved = path.resolve()
    for key, registered in csvs.items():
        if registered.resolve() == resolved:
            return _CSV_TARGETS.get(key)
    return None


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


# --------------------------------------------------------------------------- CSV files


def read_csv(
    path: str | os.PathLike,
    *,
    target: str | Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    name: str | None = None,
    weight_col: str | None = None,
) -> Dataset:
    """Read a CSV file with a header into a Dataset.

    The delimiter is the one of ``,`` ``;`` and tab that splits the header into the most fields.
    Fields are stripped; an empty field or one of ``na``, ``n/a``, ``nan``, ``null``, ``none``,
    ``?`` (any case) is missing, and a row missing a used column (feature, target or weight) is
    dropped. A column whose values are all numbers is numeric; any other feature column is one-hot
    encoded with its sorted levels, the first level dropped, columns named ``column=level``.

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
    chosen = others if features is None else _check_features(features, others, targets, weight_col)

    index = {col: i for i, col in enumerate(header)}
    weights = [] if weight_col is None else [weight_col]
    used_names = [*chosen, *targets, *weights]
    used = [index[c] for c in used_names]
    kept = [(line, row) for line, row in rows if not any(_is_missing(row[i]) for i in used)]
    if not kept:
        raise DataError(
            f"{where}: every row has a missing value in the columns used "
            f"({', '.join(used_names)}); no rows are left"
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
    if len(targets) == 1:
        y = _labels([row[index[targets[0]]] for _, row in kept])
    else:
        y = np.column_stack(
            [_unit_column(t, [(line, row[index[t]]) for line, row in kept], where) for t in targets]
        )
    sample_weight = None
    if weight_col is not None:
        sample_weight = _weights(
            weight_col, [(line, row[index[weight_col]]) for line, row in kept], where
        )
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


def _unit_column(col: str, values: list[tuple[int, str]], where: str) -> np.ndarray:
    """One of several target columns as float64, every value a number in [0, 1]."""
    return _checked_numbers(
        values,
        where,
        lambda v: (v >= 0) & (v <= 1),
        lambda value: (
            f"target column '{col}' holds '{value}', not a number in [0, 1]; "
            "several target columns take 0/1 labels or probabilities"
        ),
    )


def _weights(col: str, values: list[tuple[int, str]], where: str) -> np.ndarray:
    """The weight column as float64, every value a finite number >= 0."""
    return _checked_numbers(
        values,
        where,
        lambda v: (v >= 0) & (v < math.inf),
        lambda value: (
            f"weight column '{col}' holds '{value}'; sample weights must be finite numbers >= 0"
        ),
    )


def _checked_numbers(
    values: list[tuple[int, str]],
    where: str,
    accept: Callable[[np.ndarray], np.ndarray],
    complaint: Callable[[str], str],
) -> np.ndarray:
    """The (line, text) values as float64; the first one that is not an accepted number raises."""
    out = np.full(len(values), math.nan)
    for i, (_, value) in enumerate(values):
        try:
            out[i] = float(value)
        except ValueError:
            pass  # stays NaN, which no check accepts
    bad = np.flatnonzero(~accept(out))
    if bad.size:
        line, value = values[bad[0]]
        raise DataError(f"{where}, line {line}: {complaint(value)}")
    return out


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
        ds = read_csv(path, name=path.stem, target=_CSV_TARGETS.get(key))
        infos.append(_info(ds, "csv", _CSV_DESCRIPTIONS.get(key, f"datasets/{path.name}")))
    return sorted(infos, key=lambda info: (info.kind, info.name))


def _info(ds: Dataset, kind: str, description: str) -> DatasetInfo:
    """The DatasetInfo of a loaded dataset; a target matrix counts its columns as classes."""
    return DatasetInfo(
        name=ds.name,
        kind=kind,
        rows=ds.X.shape[0],
        features=ds.X.shape[1],
        classes=ds.y.shape[1] if ds.y.ndim == 2 else np.unique(ds.y).size,
        description=description,
    )


def target_kind(y: np.ndarray) -> str:
    """What kind of targets y holds: a label vector, multi-label 0/1 rows, or probability rows.

    Rows that are all one-hot are both 0/1 labels and probabilities; they are reported as
    "probabilities", which a softmax model trains on exactly as on their class labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Labels, or a matrix with at least 2 columns of values in [0, 1].

    Returns
    -------
    str
        "labels" for a vector; for a matrix, "probabilities" when every row sums to 1 (within
        1e-6), otherwise "multilabel" when every value is 0 or 1 (a row may hold any number of 1s).

    Raises
    ------
    DataError
        For a matrix with fewer than 2 columns, a value that is not a number in [0, 1], or values
        that are neither all 0/1 nor rows summing to 1.
    """
    y = np.asarray(y)
    if y.ndim == 1:
        return "labels"
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
        return "probabilities"
    if np.all((values == 0) | (values == 1)):
        return "multilabel"
    row = int(np.flatnonzero(np.abs(sums - 1) > ROW_SUM_TOL)[0])
    raise DataError(
        f"the targets are neither 0/1 labels nor probabilities: row {row} sums to {sums[row]:g}, "
        "and rows of probabilities must sum to 1 (within 1e-6)"
    )


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
    if not _is_real(test_size) or not 0 <= test_size < 1:
        raise DataError(f"test_size must be a number in [0, 1); got {test_size!r}")
    arrays = [X, y]
    if sample_weight is not None:
        arrays.append(np.asarray(sample_weight))
        if arrays[-1].shape != (y.shape[0],):
            raise DataError(
                f"sample_weight has shape {arrays[-1].shape}, but y has {y.shape[0]} rows; "
                "give one weight per row"
            )
    if test_size == 0:
        return tuple(part for a in arrays for part in (a.copy(), a[:0].copy()))
    if y.ndim == 2:
        n, n_test = y.shape[0], math.ceil(test_size * y.shape[0])
        if n_test >= n:
            raise DataError(
                f"test_size {test_size:g} of {n} rows leaves no row for training; "
                "use a smaller test_size"
            )
        strata = split_strata(y, test_size)
    else:
        strata = _check_stratified(y, test_size)
    return tuple(
        model_selection.train_test_split(
            *arrays, test_size=test_size, stratify=strata, random_state=seed
        )
    )


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
    if kind == "labels":
        return y
    if kind == "probabilities":
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
