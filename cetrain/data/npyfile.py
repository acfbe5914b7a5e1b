"""Features and labels from NumPy .npy files: the features memory-mapped, never read whole.

`read_npy(features_path, target_path)` returns a `Dataset` whose X is the features file opened
with ``np.load(path, mmap_mode="r")`` when it holds float64 in C order: training reads it block by
block (see `cetrain.data.rows`), so data larger than memory can be trained on. Another numeric
type, or Fortran order, is converted to float64 in memory (a copy, refused when it would not fit).
Nothing is ever unpickled (``allow_pickle=False``): a file of Python objects is refused, as
loading one can run code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cetrain.core.blocks import first_non_finite
from cetrain.core.params import Param, PathText
from cetrain.data.dataset import Dataset, target_kind
from cetrain.data.preprocess import check_feature_memory
from cetrain.errors import DataError

TARGET_FILE = Param(
    "target_file",
    PathText(),
    None,
    "The labels of a .npy --data, as a .npy file: one label per row (numbers or text), or "
    "0/1 or probability columns. E.g. --data X.npy --target-file y.npy.",
)

NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def is_npy(path: str | Path) -> bool:
    """True when the path ends in .npy (or .npz, refused by name when read; any case) or the
    file starts with NumPy's magic bytes."""
    if str(path).lower().endswith((".npy", ".npz")):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(len(NPY_MAGIC)) == NPY_MAGIC
    except (OSError, ValueError):
        return False


def read_npy(features_path: str | Path, target_path: str | Path | None) -> Dataset:
    """The features of `features_path` (2-D, numeric) and the labels of `target_path`.

    Parameters
    ----------
    features_path : path of a .npy file of shape (n, d), numbers (bool, integers or floats)
    target_path : path of a .npy file of shape (n,) (labels: whole numbers or text), (n, 1)
        (the same), or (n, k) with k >= 2 (0/1 label columns or rows of probabilities, named
        "0".."k-1")

    Returns
    -------
    Dataset
        X memory-mapped (read-only) when the file holds native float64 in C order, else a
        float64 copy; feature names "x0".."x{d-1}" (the columns of X); every value finite.

    Raises
    ------
    DataError
        A missing file, a file that is not .npy, an array of Python objects, text or other
        non-numbers, a shape that is not 2-D, NaN or infinite features, no target file, or
        labels that do not match the rows.
    """
    features_path = Path(features_path)
    if target_path is None:
        raise DataError(
            f"'{features_path}' holds only features; give the labels with target_file, a .npy "
            "file of one label per row (--target-file labels.npy)"
        )
    X = _features(features_path)
    y = _labels(Path(target_path), X.shape[0], features_path)
    d = X.shape[1]
    names = [f"x{j}" for j in range(d)]
    return Dataset(
        name=features_path.stem,
        X=X,
        y=y,
        feature_names=names,
        target_name=Path(target_path).stem,
        columns=[{"name": name, "kind": "numeric"} for name in names],
        source=str(features_path.resolve()),
        target_names=[str(k) for k in range(y.shape[1])] if y.ndim == 2 else [],
    )


def _open(path: Path, role: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The shape, Fortran order and dtype in a .npy file's header, after checking that it is
    one; nothing of the array is read."""
    where = f"'{path}'"
    try:
        if not path.exists():
            raise DataError(f"no such file: {where} ({role})")
        if not path.is_file():
            raise DataError(f"not a file: {where}; give the path of a .npy file ({role})")
        with path.open("rb") as handle:
            start = handle.read(len(NPY_MAGIC))
            if start != NPY_MAGIC:
                if start.startswith(_ZIP_MAGIC):
                    raise DataError(
                        f"{where} is a .npz archive, not a .npy file; save the array alone with "
                        "numpy.save"
                    )
                raise DataError(
                    f"{where} is not a NumPy .npy file (it does not start with NumPy's magic "
                    "bytes); save the array with numpy.save"
                )
            handle.seek(0)
            version = np.lib.format.read_magic(handle)
            read_header = {
                (1, 0): np.lib.format.read_array_header_1_0,
                (2, 0): np.lib.format.read_array_header_2_0,
            }.get(version)
            if read_header is None:
                raise DataError(
                    f"{where} is a .npy file of format version {version[0]}.{version[1]}, which "
                    "cetrain does not read; save the array again with numpy.save"
                )
            shape, fortran_order, dtype = read_header(handle)
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"cannot read {where}: {exc.strerror or exc}") from None
    except (ValueError, SyntaxError):  # a header numpy cannot parse
        raise DataError(
            f"{where} is not a valid .npy file: its header is malformed; save the array again "
            "with numpy.save"
        ) from None
    if dtype.hasobject:
        raise DataError(
            f"{where} holds Python objects (dtype object), which cetrain never loads: unpickling "
            "can run code; save numbers (or, for labels, text) with numpy.save"
        )
    if dtype.fields is not None:
        raise DataError(
            f"{where} holds a structured array (fields {', '.join(dtype.names)}); save a plain "
            "array of numbers with numpy.save"
        )
    return shape, fortran_order, dtype


def _load(path: Path, mmap: bool) -> np.ndarray:
    """np.load of a checked .npy file, never unpickling; memory-mapped read-only with mmap."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"cannot read '{path}' as a .npy file: {exc}") from None


def _features(path: Path) -> np.ndarray:
    """The features, (n, d) float64: the memory-mapped file itself when it holds native float64
    in C order."""
    shape, fortran_order, dtype = _open(path, "the features")
    where = f"'{path}'"
    if dtype.kind not in "biuf":
        raise DataError(
            f"{where} holds {_kind_words(dtype)}, not numbers; the features must be a 2-D array "
            "of numbers"
        )
    if len(shape) != 2:
        hint = " (X.reshape(-1, 1) for a single feature)" if len(shape) == 1 else ""
        raise DataError(
            f"{where} holds an array of shape {shape}; the features must be a 2-D array "
            f"(rows, features){hint}"
        )
    if shape[0] == 0 or shape[1] == 0:
        raise DataError(f"{where} holds an empty array of shape {shape}; it needs rows and columns")
    X = _load(path, mmap=True)
    if dtype != np.dtype(np.float64) or fortran_order:
        check_feature_memory(
            shape[0],
            shape[1],
            f"{where} holds {dtype} values{' in Fortran order' if fortran_order else ''}, "
            "converted to float64 in C order in memory",
            "save it as float64 in C order (np.save(path, np.ascontiguousarray(X, "
            "dtype=np.float64))), which is read from disk block by block",
        )
        X = np.ascontiguousarray(X, dtype=np.float64)
    _check_finite(X, where)
    return X


def _check_finite(X: np.ndarray, where: str) -> None:
    """DataError naming the first NaN or infinite value; X is checked block by block, so no
    temporary of its size is made."""
    bad = first_non_finite(X)
    if bad is not None:
        i, j = bad
        raise DataError(
            f"{where}: X[{i}, {j}] is {X[i, j]}; the features must be "
            "finite numbers (a .npy's rows are not dropped as a CSV's missing values are)"
        )


def _labels(path: Path, n: int, features_path: Path) -> np.ndarray:
    """The labels: (n,) int64 for whole numbers and booleans, str for text; (n, k) float64 for
    k >= 2 columns."""
    shape, _, dtype = _open(path, "the labels")
    where = f"'{path}'"
    if dtype.kind not in "biufUS":
        raise DataError(
            f"{where} holds {_kind_words(dtype)}; labels must be whole numbers or text, or "
            "columns of numbers in [0, 1]"
        )
    if len(shape) == 2 and shape[1] == 1:
        shape = (shape[0],)
    if len(shape) not in (1, 2):
        raise DataError(
            f"{where} holds an array of shape {shape}; the labels must be a vector (rows,) or "
            "label columns (rows, k)"
        )
    if shape[0] != n:
        raise DataError(
            f"{where} has {shape[0]} rows of labels, but '{features_path}' has {n} rows of "
            "features; give one label per row"
        )
    y = _load(path, mmap=False).reshape(shape)
    if y.ndim == 2:
        if dtype.kind not in "biuf":
            raise DataError(
                f"{where} holds text columns; label columns must hold numbers in [0, 1]"
            )
        y = y.astype(np.float64)
        try:
            target_kind(y)  # 0/1 labels or rows of probabilities
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
        return y
    if dtype.kind in "US":
        return y.astype(str)
    if dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where}: label {i} is {y[i]}; labels must be finite")
        fraction = y != np.round(y)
        if fraction.any():
            i = int(np.flatnonzero(fraction)[0])
            raise DataError(
                f"{where}: label {i} is {y[i]:g}, a number with a fraction; class labels must be "
                "whole numbers or text (cetrain trains classifiers)"
            )
    return y.astype(np.int64)


def _kind_words(dtype: np.dtype) -> str:
    """What a dtype holds, in words."""
    words = {
        "c": "complex numbers",
        "U": "text",
        "S": "bytes",
        "M": "dates",
        "m": "time differences",
        "V": "raw bytes",
    }
    return f"{words.get(dtype.kind, 'values')} (dtype {dtype})"
