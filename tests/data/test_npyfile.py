"""Reading .npy features and labels (cetrain.data.npyfile) and walking rows of a memmap
(cetrain.data.rows): what is memory-mapped, what is converted, what is refused, and Rows giving
what X[index] would give."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cetrain.core.blocks
from cetrain.data import load_dataset, looks_like_path, npyfile
from cetrain.data import rows as rows_module
from cetrain.data.rows import Rows, sample_positions
from cetrain.errors import DataError


def _save(folder, **arrays):
    paths = {}
    for name, array in arrays.items():
        paths[name] = folder / f"{name}.npy"
        np.save(paths[name], array)
    return paths


def test_float64_features_are_memory_mapped_and_named_by_column(tmp_path):
    X = np.arange(12.0).reshape(4, 3)
    f = _save(tmp_path, X=X, y=np.array([0, 1, 0, 1]))
    ds = load_dataset(str(f["X"]), target_file=str(f["y"]))
    assert isinstance(ds.X, np.memmap) and ds.X.mode == "r"
    np.testing.assert_array_equal(ds.X, X)
    assert ds.feature_names == ["x0", "x1", "x2"]
    assert (ds.name, ds.target_name, ds.source) == ("X", "y", str(f["X"].resolve()))
    assert ds.y.dtype == np.int64 and ds.sample_weight is None


@pytest.mark.parametrize(
    "X",
    [
        np.arange(12, dtype=np.float32).reshape(4, 3),
        np.arange(12, dtype=np.int16).reshape(4, 3),
        np.asfortranarray(np.arange(12.0).reshape(4, 3)),
        np.arange(12.0).reshape(4, 3).astype(">f8"),
        np.arange(12).reshape(4, 3) % 2 == 0,
    ],
    ids=["float32", "int16", "fortran", "big-endian", "bool"],
)
def test_other_numbers_are_converted_to_float64_in_memory(tmp_path, X):
    """Another number type or order cannot be used in place: a C-ordered float64 copy."""
    f = _save(tmp_path, X=X, y=np.array([0, 1, 0, 1]))
    ds = load_dataset(str(f["X"]), target_file=str(f["y"]))
    assert not isinstance(ds.X, np.memmap)
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, X.astype(np.float64))


def test_a_conversion_too_large_for_memory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(npyfile, "check_feature_memory", _refuse)
    f = _save(tmp_path, X=np.ones((4, 3), dtype=np.float32), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"float32 values, converted to float64.*save it as"):
        load_dataset(str(f["X"]), target_file=str(f["y"]))


def _refuse(n, d, what, advice):
    raise DataError(f"{what}: too large; {advice}")


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (np.array([1.0, 2.0, 1.0, 2.0]), np.array([1, 2, 1, 2])),
        (np.array([True, False, True, False]), np.array([1, 0, 1, 0])),
        (np.array(["cat", "dog", "cat", "dog"]), np.array(["cat", "dog", "cat", "dog"])),
        (np.array([b"a", b"b", b"a", b"b"]), np.array(["a", "b", "a", "b"])),
        (np.array([[3], [4], [3], [4]]), np.array([3, 4, 3, 4])),
    ],
    ids=["whole floats", "booleans", "text", "bytes", "one column"],
)
def test_labels_are_whole_numbers_or_text(tmp_path, y, expected):
    f = _save(tmp_path, X=np.ones((4, 2)), y=y)
    ds = load_dataset(str(f["X"]), target_file=str(f["y"]))
    np.testing.assert_array_equal(ds.y, expected)
    assert ds.y.dtype.kind == expected.dtype.kind


def test_label_columns_are_a_target_matrix_named_by_position(tmp_path):
    Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    f = _save(tmp_path, X=np.ones((4, 2)), y=Y)
    ds = load_dataset(str(f["X"]), target_file=str(f["y"]))
    assert ds.y.dtype == np.float64 and ds.target_names == ["0", "1", "2"]


def test_a_nan_far_into_the_file_is_found_block_by_block(tmp_path, monkeypatch):
    """The finite check walks X in blocks (here of 64 rows, cetrain.core.blocks's fewest)
    and names the first bad value."""
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    X = np.zeros((200, 2))
    X[180, 1], X[190, 0] = -np.inf, np.nan
    f = _save(tmp_path, X=X, y=np.arange(200) % 2)
    with pytest.raises(DataError, match=r"X\[180, 1\] is -inf;"):
        load_dataset(str(f["X"]), target_file=str(f["y"]))


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([0, 1, np.nan, 1.0]), "label 2 is nan; labels must be finite"),
        (np.array([[0.5, 2.0]] * 4), "a target matrix must hold numbers in [0, 1]"),
        (np.ones((4, 2, 2)), "holds an array of shape (4, 2, 2); the labels must be a vector"),
        (np.array([1 + 1j] * 4), "holds complex numbers (dtype complex128); labels must be"),
        (np.array([["a", "b"]] * 4), "holds text columns; label columns must hold numbers"),
    ],
    ids=["nan", "matrix beyond [0, 1]", "3-D", "complex", "text columns"],
)
def test_bad_labels_are_refused_naming_the_file(tmp_path, y, message):
    f = _save(tmp_path, X=np.ones((4, 2)), y=y)
    with pytest.raises(DataError) as caught:
        load_dataset(str(f["X"]), target_file=str(f["y"]))
    assert str(caught.value).startswith(f"'{f['y']}'")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("option", "value"),
    [("target", "y"), ("features", ["x0"]), ("weight_col", "w"), ("decimal", ",")],
)
def test_csv_options_are_refused_with_npy_data(tmp_path, option, value):
    f = _save(tmp_path, X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=rf"^{option} applies only to CSV data, not to '"):
        load_dataset(str(f["X"]), target_file=str(f["y"]), **{option: value})


def test_a_target_file_with_a_csv_is_refused(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n1,0\n2,1\n")
    with pytest.raises(DataError, match=r"is not a \.npy file: a CSV's labels are its column"):
        load_dataset(str(csv), target_file=str(tmp_path / "y.npy"))


def test_broken_files_are_refused_naming_them(tmp_path):
    """A malformed header, and data cut short, in features or labels."""
    good = _save(tmp_path, X=np.ones((50, 3)), y=np.arange(50) % 2)
    header = tmp_path / "header.npy"
    header.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{garbage}      \n")
    short_X, short_y = tmp_path / "short_X.npy", tmp_path / "short_y.npy"
    short_X.write_bytes(good["X"].read_bytes()[:-400])
    short_y.write_bytes(good["y"].read_bytes()[:-40])
    for X, y, message in (
        (header, good["y"], f"'{header}' is not a valid .npy file: its header is malformed;"),
        (short_X, good["y"], f"cannot read '{short_X}' as a .npy file: "),
        (good["X"], short_y, f"cannot read '{short_y}' as a .npy file: "),
    ):
        with pytest.raises(DataError) as caught:
            load_dataset(str(X), target_file=str(y))
        assert str(caught.value).startswith(message)


def test_npy_paths_are_paths_and_found_by_their_magic(tmp_path):
    assert looks_like_path("features.npy") and looks_like_path("X.NPY")
    renamed = tmp_path / "features.bin"
    np.save(tmp_path / "f.npy", np.ones((2, 2)))
    (tmp_path / "f.npy").rename(renamed)
    assert npyfile.is_npy(renamed) and not npyfile.is_npy(tmp_path / "missing")


# --- Rows -------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 60),
    block=st.integers(1, 7),
    seed=st.integers(0, 2**16),
    share=st.floats(0.05, 1.0),
)
def test_rows_stand_for_x_of_index(n, block, seed, share):
    """Walked in blocks of any size (a ragged last one too), Rows give what X[index] gives:
    per-row results in index order, rows, means and standard deviations."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1, 10, 1e-3] + [0, 5, 1]
    index = rng.permutation(n)[: max(1, int(share * n))]
    rows = Rows(X, index)
    saved = rows_module.BLOCK_BYTES
    rows_module.BLOCK_BYTES = 8 * 3 * block
    try:
        weights = np.array([1.0, 2.0, 3.0])
        np.testing.assert_array_equal(rows.apply(lambda b: b @ weights), X[index] @ weights)
        np.testing.assert_array_equal(rows.to_array(), X[index])
        close = {"rtol": 1e-12, "atol": 1e-12}
        np.testing.assert_allclose(rows.mean(axis=0), X[index].mean(axis=0), **close)
        np.testing.assert_allclose(rows.std(axis=0), X[index].std(axis=0), **close)
        squared = rows.mapped(np.square)
        np.testing.assert_array_equal(squared.apply(lambda b: b), X[index] ** 2)
        np.testing.assert_array_equal(squared[0], X[index[0]] ** 2)
    finally:
        rows_module.BLOCK_BYTES = saved
    assert rows.shape == (len(index), 3) and len(rows) == len(index)


def test_rows_read_x_in_file_order():
    """Blocks go forwards through the file (sorted rows), whatever the order of index."""

    X = np.arange(20.0).reshape(10, 2)
    index = np.array([7, 1, 9, 3])
    seen = []
    Rows(X, index).apply(lambda block: seen.append(block[:, 0].tolist()) or block[:, 0])
    assert seen == [[2.0, 6.0, 14.0, 18.0]]


def test_sample_positions_are_all_rows_or_a_seeded_sorted_sample():
    np.testing.assert_array_equal(sample_positions(5, 10), np.arange(5))
    drawn = sample_positions(1000, 30)
    assert len(drawn) == 30 and len(set(drawn)) == 30 and np.all(np.diff(drawn) > 0)
    np.testing.assert_array_equal(drawn, sample_positions(1000, 30))
