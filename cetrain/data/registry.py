"""The datasets `--data` can name: scikit-learn's bundled sets, generators, and the shipped CSVs.

`load_dataset(name or path)` returns a `Dataset`; `list_datasets()` describes every registered
name. scikit-learn is imported only when one of its loaders or generators runs.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cetrain.core.params import Integer, Number, Param
from cetrain.data.csvfile import read_csv
from cetrain.data.dataset import Dataset, DatasetInfo, check_features
from cetrain.data.npyfile import is_npy, read_npy
from cetrain.data.preprocess import check_feature_memory
from cetrain.errors import DataError

# A link to the repository's top-level datasets/ folder, whose CSVs are package data: found the
# same way from a checkout, an editable install and a wheel.
DATASETS_DIR: Path = Path(__file__).resolve().parent / "csvs"


# --------------------------------------------------------------------------- built-in sets


@dataclasses.dataclass(frozen=True)
class _Bundled:
    loader: str  # the name of the sklearn.datasets function that loads it
    target_name: str
    string_labels: bool
    description: str


_SKLEARN = {
    "iris": _Bundled("load_iris", "species", True, "Fisher's iris flowers: 4 measurements"),
    "wine": _Bundled("load_wine", "cultivar", True, "Italian wines: 13 chemical analyses"),
    "breast_cancer": _Bundled(
        "load_breast_cancer",
        "diagnosis",
        True,
        "Wisconsin breast cancer: 30 cell-nucleus features",
    ),
    "digits": _Bundled("load_digits", "digit", False, "8x8 images of handwritten digits"),
}


def _sklearn_datasets():
    """scikit-learn's datasets module, imported when first needed: it is slow to import."""
    from sklearn import datasets

    return datasets


def _moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (sklearn's make_moons)."""
    return _sklearn_datasets().make_moons(n_samples=n, noise=noise, random_state=seed)


def _circles(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (sklearn's make_circles, factor 0.5)."""
    return _sklearn_datasets().make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)


def _blobs(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs with standard deviation `noise` (sklearn's make_blobs)."""
    return _sklearn_datasets().make_blobs(
        n_samples=n, centers=3, cluster_std=noise, random_state=seed
    )


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
_GENERATED_FEATURES = 2  # every generator draws points in the plane
MAX_SAMPLES = 1_000_000  # generated datasets are for demonstrations
N_SAMPLES = Param(
    "n_samples",
    Integer(2, MAX_SAMPLES),
    None,
    "Rows of a generated dataset (moons, ...).",
    default_text=str(DEFAULT_N_SAMPLES),
)
# The generators draw shapes a few units across: noise of 1000 hides them entirely, and its
# squares stay far from float64's limit when the features are standardised.
MAX_NOISE = 1000.0
NOISE = Param("noise", Number(0.0, MAX_NOISE), None, "Noise of a generated dataset.")

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

# The generated two-feature sets, by name (what the playground offers).
GENERATOR_NAMES = tuple(_GENERATORS)

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
    decimal: str | None = None,
    thousands: str | None = None,
    target_file: str | None = None,
) -> Dataset:
    """Load a registered dataset by name, a CSV file by path, or a .npy file of features with
    a .npy file of labels (`target_file`; see cetrain.data.npyfile), memory-mapped.

    Parameters
    ----------
    spec : str
        A registered name (case-insensitive, ``-`` same as ``_``; see `list_datasets`), the
        path of a CSV file, or the path of a .npy file of features (ending in .npy).
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
    decimal, thousands : str, optional
        CSV only: the decimal mark and thousands separator of its numbers (see `read_csv`).
    target_file : str, optional
        .npy features only, and needed for them: the path of a .npy file of labels.

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
    registered = key in _SKLEARN or key in _GENERATORS or key in csvs
    if not registered and is_npy(spec):
        _reject_generator_options(spec, n_samples, noise)
        return _load_npy(spec, target_file, target, features, weight_col, decimal, thousands)
    if target_file is not None and (registered or _is_file(spec)):
        labels = (
            "it comes with its own labels"
            if key in _SKLEARN or key in _GENERATORS
            else "a CSV's labels are its column named by target"
        )
        raise DataError(
            f"target_file gives the labels of .npy features (--data features.npy), but "
            f"'{spec}' is not a .npy file: {labels}"
        )
    if key in _SKLEARN or key in _GENERATORS:
        if target is not None:
            raise DataError(f"target applies only to CSV data; '{key}' comes with its own labels")
        if weight_col is not None:
            raise DataError(f"weight_col applies only to CSV data; '{key}' has no weight column")
        for option, value in (("decimal", decimal), ("thousands", thousands)):
            if value is not None:
                raise DataError(
                    f"{option} applies only to CSV data; '{key}' is not read from a CSV file"
                )
        if key in _GENERATORS:
            ds = _generate(key, n_samples, noise, seed)
        else:
            _reject_generator_options(key, n_samples, noise)
            ds = _load_sklearn(key)
        return ds if features is None else _select_features(ds, features)
    if key in csvs:
        path = csvs[key]
    elif _is_file(spec) or looks_like_path(spec):
        path = Path(spec)
    else:
        names = ", ".join([*_SKLEARN, *_GENERATORS, *csvs])
        raise DataError(f"unknown dataset '{spec}'; use a CSV path or one of: {names}")
    _reject_generator_options(spec, n_samples, noise)
    if target is None:
        target = _registered_target(path, csvs)
    return read_csv(
        path,
        target=target,
        features=features,
        weight_col=weight_col,
        decimal=decimal,
        thousands=thousands,
    )


def _load_npy(
    spec: str,
    target_file: str | None,
    target: object,
    features: object,
    weight_col: str | None,
    decimal: str | None,
    thousands: str | None,
) -> Dataset:
    """A .npy pair, after refusing the options that name CSV columns or number formats."""
    for option, value, why in (
        ("target", target, "name the labels' file with target_file"),
        ("features", features, "every column of the array is a feature"),
        ("weight_col", weight_col, "a .npy array has no weight column"),
        ("decimal", decimal, "a .npy file holds numbers, not text"),
        ("thousands", thousands, "a .npy file holds numbers, not text"),
    ):
        if value is not None:
            raise DataError(f"{option} applies only to CSV data, not to '{spec}': {why}")
    return read_npy(spec, target_file)


def _registered_target(path: Path, csvs: dict[str, Path]) -> tuple[str, ...] | None:
    """The default target of a registered CSV, found by name or by path; None: the last column."""
    resolved = path.resolve()
    for key, registered in csvs.items():
        if registered.resolve() == resolved:
            return _CSV_TARGETS.get(key)
    return None


def _is_file(spec: str) -> bool:
    """Path(spec).is_file(), False for a name the system refuses (too long, a NUL byte): read
    as a path, it then gets read_csv's message."""
    try:
        return Path(spec).is_file()
    except (OSError, ValueError):
        return False


def looks_like_path(spec: str) -> bool:
    """True when spec names a file rather than a dataset: it has a path separator or a .csv or
    .npy end."""
    has_sep = any(sep and sep in spec for sep in ("/", os.sep, os.altsep))
    return has_sep or spec.lower().endswith((".csv", ".npy"))


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
    bunch = getattr(_sklearn_datasets(), spec.loader)()
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
    N_SAMPLES.check(n, name=f"n_samples for '{key}'")
    level = gen.noise if noise is None else NOISE.check(noise, name=f"noise for '{key}'")
    check_feature_memory(
        int(n), _GENERATED_FEATURES, f"n_samples {n} for '{key}'", "use a smaller --n-samples"
    )
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


def _select_features(ds: Dataset, features: Sequence[str]) -> Dataset:
    """Keep only the requested features of a built-in dataset, in the requested order."""
    chosen = check_features(features, ds.feature_names)
    idx = [ds.feature_names.index(f) for f in chosen]
    return dataclasses.replace(
        ds,
        X=np.ascontiguousarray(ds.X[:, idx]),
        feature_names=chosen,
        columns=[ds.columns[i] for i in idx],
    )


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
