"""Tests for cetrain.data: registry, generators, CSV loading, the split and the committed CSVs."""

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from cetrain import data
from cetrain.data import (
    DATASETS_DIR,
    Dataset,
    list_datasets,
    load_dataset,
    read_csv,
    train_test_split,
)
from cetrain.errors import DataError

GENERATORS = {"moons": 2, "circles": 2, "blobs": 3, "xor": 2, "spiral": 3, "linear": 2}
COMMITTED_CSVS = ["default.csv", "exam.csv", "line.csv", "species.csv"]


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    """Write text to tmp_path/name and return the path."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def raises_exactly(message: str):
    """pytest.raises for a DataError whose whole message is `message`."""
    return pytest.raises(DataError, match=f"^{re.escape(message)}$")


def assert_well_formed(ds: Dataset) -> None:
    """The invariants every Dataset keeps, whatever its source."""
    assert ds.X.dtype == np.float64
    assert ds.X.flags.c_contiguous
    assert ds.X.ndim == 2 and ds.y.shape == (ds.X.shape[0],)
    assert len(ds.feature_names) == ds.X.shape[1]


# --------------------------------------------------------------------------- scikit-learn sets


@pytest.mark.parametrize(
    ("spec", "name", "shape", "labels", "first_feature"),
    [
        ("iris", "iris", (150, 4), ["setosa", "versicolor", "virginica"], "sepal length (cm)"),
        ("wine", "wine", (178, 13), ["class_0", "class_1", "class_2"], "alcohol"),
        ("breast_cancer", "breast_cancer", (569, 30), ["benign", "malignant"], "mean radius"),
        ("Breast-Cancer", "breast_cancer", (569, 30), ["benign", "malignant"], "mean radius"),
        ("digits", "digits", (1797, 64), list(range(10)), "pixel_0_0"),
    ],
)
def test_sklearn_sets(spec, name, shape, labels, first_feature):
    ds = load_dataset(spec)
    assert_well_formed(ds)
    assert ds.name == name
    assert ds.X.shape == shape
    assert np.unique(ds.y).tolist() == labels
    assert ds.feature_names[0] == first_feature
    assert ds.columns[0] == {"name": first_feature, "kind": "numeric"}
    assert ds.source == "sklearn"
    assert ds.rows_dropped == 0


def test_sklearn_label_types():
    assert load_dataset("iris").y.dtype.kind == "U"
    assert load_dataset("digits").y.dtype == np.int64
    # The first iris rows are setosa; breast_cancer's class 0 is malignant.
    assert load_dataset("iris").y[0] == "setosa"
    assert (load_dataset("breast_cancer").y == "malignant").sum() == 212


def test_builtin_feature_selection_keeps_the_users_order():
    full = load_dataset("iris")
    ds = load_dataset("iris", features=["petal width (cm)", "sepal length (cm)"])
    assert ds.feature_names == ["petal width (cm)", "sepal length (cm)"]
    np.testing.assert_array_equal(ds.X, full.X[:, [3, 0]])
    assert ds.X.flags.c_contiguous
    assert [c["name"] for c in ds.columns] == ds.feature_names


def test_builtin_feature_selection_on_a_generator():
    ds = load_dataset("moons", features=["x2"])
    np.testing.assert_array_equal(ds.X[:, 0], load_dataset("moons").X[:, 1])


def test_a_single_string_is_one_feature():
    assert load_dataset("iris", features="petal length (cm)").feature_names == ["petal length (cm)"]


# --------------------------------------------------------------------------- generators


@pytest.mark.parametrize(("name", "classes"), GENERATORS.items())
def test_generator_defaults(name, classes):
    ds = load_dataset(name)
    assert_well_formed(ds)
    assert ds.X.shape == (200, 2)
    assert ds.y.dtype == np.int64
    assert np.unique(ds.y).tolist() == list(range(classes))
    assert ds.feature_names == ["x1", "x2"]
    assert ds.source == "generator"


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_is_deterministic_per_seed(name):
    a, b, c = (load_dataset(name, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize(("name", "classes"), GENERATORS.items())
def test_generator_honours_n_samples_with_balanced_classes(name, classes):
    ds = load_dataset(name, n_samples=101)
    assert ds.X.shape == (101, 2)
    counts = np.bincount(ds.y, minlength=classes)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_honours_noise(name):
    assert not np.allclose(load_dataset(name, noise=0.0).X, load_dataset(name, noise=0.5).X)


def _radius(X):
    return np.hypot(X[:, 0], X[:, 1])


@pytest.mark.parametrize(
    ("name", "check"),
    [
        # Without noise each generator draws its exact, textbook shape.
        ("moons", lambda X, y: np.allclose(_radius(X[y == 0]), 1.0)),
        ("circles", lambda X, y: np.allclose(_radius(X), np.where(y == 1, 0.5, 1.0))),
        ("blobs", lambda X, y: len(np.unique(X, axis=0)) == 3),
        ("xor", lambda X, y: np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))),
        ("spiral", lambda X, y: _radius(X).max() <= 1.0 + 1e-12),
        (
            "linear",
            lambda X, y: np.array_equal(X, np.where(y == 1, 1.0, -1.0)[:, None].repeat(2, axis=1)),
        ),
    ],
)
def test_generator_without_noise(name, check):
    ds = load_dataset(name, noise=0)
    assert check(ds.X, ds.y)


def test_linear_noise_is_the_class_standard_deviation():
    ds = load_dataset("linear", n_samples=4000, noise=0.5)
    assert ds.X[ds.y == 1].std(axis=0) == pytest.approx([0.5, 0.5], rel=0.05)
    assert ds.X[ds.y == 0].mean(axis=0) == pytest.approx([-1.0, -1.0], abs=0.05)


def test_default_noise_lets_xor_labels_cross_the_axes():
    ds = load_dataset("xor")
    disagree = ds.y != (ds.X[:, 0] * ds.X[:, 1] > 0)
    assert 0 < disagree.sum() < 40


@pytest.mark.parametrize(
    ("kwargs", "got"),
    [({"n_samples": 5}, "5"), ({"n_samples": 10.5}, "10.5"), ({"n_samples": True}, "True")],
)
def test_generator_bad_n_samples(kwargs, got):
    message = "n_samples for 'spiral' must be a whole number of at least 6 (2 per class); got "
    with raises_exactly(message + got):
        load_dataset("spiral", **kwargs)


@pytest.mark.parametrize(
    ("noise", "got"), [(-0.1, "-0.1"), (float("inf"), "inf"), ("high", "'high'")]
)
def test_generator_bad_noise(noise, got):
    with raises_exactly(f"noise for 'spiral' must be a finite number >= 0; got {got}"):
        load_dataset("spiral", noise=noise)


def test_generator_smallest_n_samples_is_accepted():
    assert load_dataset("moons", n_samples=4).X.shape == (4, 2)


# --------------------------------------------------------------------------- load_dataset errors


@pytest.mark.parametrize(
    ("spec", "kwargs", "message"),
    [
        (
            "iris",
            {"n_samples": 10},
            "n_samples applies only to the generated datasets "
            "(moons, circles, blobs, xor, spiral, linear), not to 'iris'",
        ),
        (
            "exam",
            {"noise": 0.1},
            "noise applies only to the generated datasets "
            "(moons, circles, blobs, xor, spiral, linear), not to 'exam'",
        ),
        (
            "wine",
            {"n_samples": 10, "noise": 0.1},
            "n_samples and noise apply only to the generated datasets "
            "(moons, circles, blobs, xor, spiral, linear), not to 'wine'",
        ),
        (
            "iris",
            {"target": "species"},
            "target applies only to CSV data; 'iris' comes with its own labels",
        ),
        (
            "moons",
            {"target": "x1"},
            "target applies only to CSV data; 'moons' comes with its own labels",
        ),
        ("nope.csv", {}, "no such file: 'nope.csv'"),
        ("some/where", {}, "no such file: 'some/where'"),
        (
            "iris",
            {"features": ["petal"]},
            "unknown column 'petal' in features; the columns are: sepal length (cm), "
            "sepal width (cm), petal length (cm), petal width (cm)",
        ),
        ("moons", {"features": []}, "features is empty; name at least one of: x1, x2"),
        (
            "moons",
            {"features": ["x1", "x1"]},
            "column 'x1' is named twice in features; name each column once",
        ),
    ],
)
def test_load_dataset_errors(spec, kwargs, message):
    with raises_exactly(message):
        load_dataset(spec, **kwargs)


def test_unknown_dataset_lists_every_name():
    with raises_exactly(
        "unknown dataset 'foo'; use a CSV path or one of: iris, wine, breast_cancer, digits, "
        "moons, circles, blobs, xor, spiral, linear, default, exam, line, species"
    ):
        load_dataset("foo")


def test_generator_options_on_a_csv_path_are_rejected(tmp_path):
    path = write(tmp_path, "a,b\n1,0\n2,1\n")
    with raises_exactly(
        "n_samples applies only to the generated datasets "
        f"(moons, circles, blobs, xor, spiral, linear), not to '{path}'"
    ):
        load_dataset(str(path), n_samples=10)


def test_a_directory_is_not_a_file(tmp_path):
    with raises_exactly(f"not a file: '{tmp_path}'; give the path of a CSV file"):
        load_dataset(str(tmp_path) + "/")


def test_load_dataset_reads_a_csv_path(tmp_path):
    path = write(tmp_path, "a,b\n1,0\n2,1\n", name="tiny.csv")
    ds = load_dataset(str(path))
    assert ds.name == "tiny"
    assert ds.source == str(path.resolve())
    np.testing.assert_array_equal(ds.X, [[1.0], [2.0]])


def test_load_dataset_reads_an_existing_file_without_csv_suffix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a,b\n1,0\n2,1\n", name="table")
    assert load_dataset("table").name == "table"


def test_registered_csv_names_follow_the_datasets_folder(tmp_path, monkeypatch):
    write(tmp_path, "a,b\n1,x\n2,y\n", name="My-Set.csv")
    write(tmp_path, "a,b\n1,x\n2,y\n", name="iris.csv")
    monkeypatch.setattr(data, "DATASETS_DIR", tmp_path)
    ds = load_dataset("my_set")
    assert ds.name == "My-Set"
    assert ds.y.tolist() == ["x", "y"]
    # A file cannot shadow a built-in name.
    assert load_dataset("iris").source == "sklearn"
    assert [i.name for i in list_datasets() if i.kind == "csv"] == ["My-Set"]


def test_registered_csv_accepts_target_and_features():
    ds = load_dataset("default", target="student", features=["income"])
    assert ds.target_name == "student"
    assert ds.feature_names == ["income"]
    assert ds.rows_dropped == 10


# --------------------------------------------------------------------------- CSV parsing


def test_one_hot_drops_the_first_sorted_level(tmp_path):
    path = write(tmp_path, "color,size,label\nred,1,a\nblue,2,b\ngreen,3,a\nred,4,b\n")
    ds = read_csv(path)
    assert ds.feature_names == ["color=green", "color=red", "size"]
    np.testing.assert_array_equal(ds.X, [[0, 1, 1], [0, 0, 2], [1, 0, 3], [0, 1, 4]])
    assert ds.columns == [
        {"name": "color", "kind": "categorical", "levels": ["blue", "green", "red"]},
        {"name": "size", "kind": "numeric"},
    ]
    assert ds.target_name == "label"


def test_type_inference(tmp_path):
    path = write(tmp_path, "num,mixed,label\n1,1,0\n-3e2,x,1\n2.5,2,0\n")
    ds = read_csv(path)
    assert ds.columns[0] == {"name": "num", "kind": "numeric"}
    # One value that is not a number makes the whole column text.
    assert ds.columns[1] == {"name": "mixed", "kind": "categorical", "levels": ["1", "2", "x"]}
    np.testing.assert_array_equal(ds.X[:, 0], [1.0, -300.0, 2.5])


def test_single_level_column_has_no_feature(tmp_path):
    path = write(tmp_path, "site,x,label\nA,1,0\nA,2,1\n")
    ds = read_csv(path)
    assert ds.feature_names == ["x"]
    assert ds.columns[0] == {"name": "site", "kind": "categorical", "levels": ["A"]}


@pytest.mark.parametrize(
    ("values", "expected", "kind"),
    [
        (["0", "1", "1"], [0, 1, 1], "i"),
        (["1.0", "2.0", "-3"], [1, 2, -3], "i"),
        (["2", "1e1", "+4"], [2, 10, 4], "i"),
        (["0.5", "1", "1"], ["0.5", "1", "1"], "U"),
        (["yes", "no", "yes"], ["yes", "no", "yes"], "U"),
    ],
)
def test_label_types(tmp_path, values, expected, kind):
    path = write(tmp_path, "x,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    ds = read_csv(path)
    assert ds.y.dtype.kind == kind
    assert ds.y.tolist() == expected
    if kind == "i":
        assert ds.y.dtype == np.int64


@given(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=20), st.booleans())
@settings(max_examples=25, deadline=None)
def test_integral_labels_become_int64(tmp_path_factory, labels, as_float):
    text = "x,y\n" + "".join(f"0,{v}{'.0' if as_float else ''}\n" for v in labels)
    ds = read_csv(write(tmp_path_factory.mktemp("labels"), text))
    assert ds.y.dtype == np.int64
    assert ds.y.tolist() == labels


@pytest.mark.parametrize(
    "token", ["", "NA", "na", "n/a", "N/A", "NaN", "null", "None", "?", " na "]
)
def test_missing_values_drop_rows(tmp_path, token):
    path = write(tmp_path, f"a,b,label\n1,2,x\n{token},3,y\n4,5,x\n6,7,y\n")
    ds = read_csv(path)
    assert ds.rows_dropped == 1
    np.testing.assert_array_equal(ds.X, [[1, 2], [4, 5], [6, 7]])
    assert ds.y.tolist() == ["x", "x", "y"]


def test_missing_values_in_unused_columns_keep_the_row(tmp_path):
    path = write(tmp_path, "a,b,label\n1,,x\n2,3,y\n,4,x\n")
    assert read_csv(path, features=["a"]).rows_dropped == 1
    assert read_csv(path, features=["b"]).rows_dropped == 1
    assert read_csv(path).rows_dropped == 2


def test_missing_target_drops_the_row(tmp_path):
    ds = read_csv(write(tmp_path, "a,label\n1,x\n2,?\n3,y\n"))
    assert ds.rows_dropped == 1
    assert ds.y.tolist() == ["x", "y"]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_sniffed(tmp_path, sep):
    path = write(
        tmp_path, sep.join(["a", "b", "label"]) + "\n" + sep.join(["1.5", "2", "x"]) + "\n"
    )
    ds = read_csv(path)
    assert ds.feature_names == ["a", "b"]
    np.testing.assert_array_equal(ds.X, [[1.5, 2.0]])


def test_quoted_header_with_commas_in_a_semicolon_file(tmp_path):
    ds = read_csv(write(tmp_path, 'name;"x, y";label\nab;1;p\ncd;2;q\n'))
    assert ds.feature_names == ["name=cd", "x, y"]


def test_bom_whitespace_crlf_and_blank_lines(tmp_path):
    path = write(
        tmp_path, " a , b ,label \r\n\r\n 1 , 2 , x \r\n   \r\n3,4,y\r\n\r\n", encoding="utf-8-sig"
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    ds = read_csv(path)
    assert ds.feature_names == ["a", "b"]
    assert ds.target_name == "label"
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.y.tolist() == ["x", "y"]


def test_quoted_fields_may_hold_the_delimiter(tmp_path):
    ds = read_csv(write(tmp_path, 'city,n,label\n"Paris, FR",1,a\n"Rome, IT",2,b\n'))
    assert ds.feature_names == ["city=Rome, IT", "n"]


def test_target_and_features_selection(tmp_path):
    path = write(tmp_path, "a,b,c,d\n1,x,0,5\n2,y,1,6\n3,x,0,7\n")
    ds = read_csv(path, target="c", features=["d", "b"])
    assert ds.target_name == "c"
    assert ds.feature_names == ["d", "b=y"]
    np.testing.assert_array_equal(ds.X, [[5, 0], [6, 1], [7, 0]])
    assert ds.y.tolist() == [0, 1, 0]
    assert read_csv(path, target="a").feature_names == ["b=y", "c", "d"]


def test_name_and_source(tmp_path):
    path = write(tmp_path, "a,b\n1,0\n2,1\n", name="table.csv")
    assert read_csv(path).name == "table"
    assert read_csv(path, name="other").name == "other"
    assert read_csv(str(path)).source == str(path.resolve())


# --------------------------------------------------------------------------- CSV errors


NON_FINITE = "use a finite number, or leave the field empty to mark it missing"


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("", {}, "'{p}' is empty; expected a header line and rows of data"),
        ("\n  \n\n", {}, "'{p}' is empty; expected a header line and rows of data"),
        ('""\n', {}, "'{p}' is empty; expected a header line and rows of data"),
        ("a,b\n", {}, "'{p}' has a header but no rows of data"),
        ("a,b\n\n", {}, "'{p}' has a header but no rows of data"),
        (
            "abc\n1\n",
            {},
            "'{p}', line 1: found 1 column ('abc'); need at least a feature and a target column, "
            "separated by , ; or tab",
        ),
        (
            "a,a,b\n1,2,3\n",
            {},
            "'{p}', line 1: column name 'a' appears more than once; column names must be unique",
        ),
        ("a,,b\n1,2,3\n", {}, "'{p}', line 1: column 2 has no name; name every column"),
        ("a,b,c\n1,2,3\n\n4,5\n", {}, "'{p}', line 4: expected 3 fields (a, b, c), found 2"),
        ("a,b\n1,2,3\n", {}, "'{p}', line 2: expected 2 fields (a, b), found 3"),
        (
            "a,b\n1,2\n",
            {"target": "z"},
            "unknown target column 'z' in '{p}'; the columns are: a, b",
        ),
        (
            "a,b,c\n1,2,3\n",
            {"features": ["z"]},
            "unknown column 'z' in features; the columns are: a, b",
        ),
        (
            "a,b,c\n1,2,3\n",
            {"features": ["a", "c"]},
            "column 'c' is the target, so it cannot also be a feature; "
            "the feature columns are: a, b",
        ),
        ("a,b,c\n1,2,3\n", {"features": []}, "features is empty; name at least one of: a, b"),
        (
            "a,b,c\n1,,3\nNA,2,3\n",
            {},
            "'{p}': every row has a missing value in the columns used (a, b, c); no rows are left",
        ),
        (
            "a,b\n1,0\ninf,1\n",
            {},
            f"'{{p}}', line 3: column 'a' holds the non-finite number 'inf'; {NON_FINITE}",
        ),
        (
            "a,b\n-Infinity,0\n",
            {},
            f"'{{p}}', line 2: column 'a' holds the non-finite number '-Infinity'; {NON_FINITE}",
        ),
        (
            "a,b\nx,0\nx,1\n",
            {},
            "'{p}': the feature columns (a) each hold a single value, "
            "which leaves nothing to learn from; choose other features",
        ),
    ],
)
def test_csv_errors(tmp_path, text, kwargs, message):
    path = write(tmp_path, text)
    with raises_exactly(message.replace("{p}", str(path))):
        read_csv(path, **kwargs)


def test_not_utf8_names_the_line(tmp_path):
    # A BOM first, then Latin-1: the line number must count from the real start of the file.
    path = tmp_path / "latin.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "a,b\n1,x\ncafé,y\n".encode("latin-1"))
    with raises_exactly(f"'{path}', line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8"):
        read_csv(path)


def test_too_many_levels(tmp_path):
    rows = "".join(f"id{i},{i % 2}\n" for i in range(51))
    path = write(tmp_path, "a,b\n" + rows)
    with raises_exactly(
        f"'{path}': column 'a' has 51 different text values (more than 50, e.g. 'id0' on line 2), "
        "too many to one-hot encode; leave it out with --features"
    ):
        read_csv(path)


def test_too_many_levels_names_a_value_that_is_not_a_number(tmp_path):
    # A numeric column with one typo becomes text; the message points at the typo.
    rows = "".join(f"{i},{i % 2}\n" for i in range(60))
    path = write(tmp_path, "a,b\n" + rows + "1O,1\n")
    with pytest.raises(DataError, match=r"e\.g\. '1O' on line 62\)"):
        read_csv(path)


def test_fifty_levels_are_accepted(tmp_path):
    rows = "".join(f"id{i},{i % 2}\n" for i in range(50))
    assert read_csv(write(tmp_path, "a,b\n" + rows)).X.shape == (50, 49)


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "a,b\n1,2\n")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with raises_exactly(f"cannot read '{path}': Permission denied"):
        read_csv(path)


def test_malformed_csv(tmp_path):
    # The csv module refuses a field longer than its limit (131072 characters).
    path = write(tmp_path, "a,b\n1," + "x" * 200_000 + "\n")
    with raises_exactly(
        f"'{path}', line 2: malformed CSV (field larger than field limit (131072))"
    ):
        read_csv(path)


def test_missing_file_via_read_csv(tmp_path):
    path = tmp_path / "absent.csv"
    with raises_exactly(f"no such file: '{path}'"):
        read_csv(path)


# --------------------------------------------------------------------------- train_test_split


def test_split_is_stratified():
    X = np.arange(200, dtype=float).reshape(100, 2)
    y = np.array(["a"] * 60 + ["b"] * 40)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert X_train.shape == (75, 2) and X_test.shape == (25, 2)
    assert (y_test == "a").sum() == 15 and (y_test == "b").sum() == 10
    assert (y_train == "a").sum() == 45 and (y_train == "b").sum() == 30
    # Rows stay whole: each X row keeps its label.
    np.testing.assert_array_equal(y[(X_test[:, 0] // 2).astype(int)], y_test)


def test_split_is_deterministic_per_seed():
    X, y = np.arange(60.0).reshape(30, 2), np.repeat([0, 1, 2], 10)
    first = train_test_split(X, y, test_size=0.3, seed=7)
    again = train_test_split(X, y, test_size=0.3, seed=7)
    other = train_test_split(X, y, test_size=0.3, seed=8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])


def test_split_with_no_test_set():
    X, y = np.ones((5, 3)), np.array(["p", "q", "p", "q", "p"])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0, seed=0)
    np.testing.assert_array_equal(X_train, X)
    np.testing.assert_array_equal(y_train, y)
    assert X_test.shape == (0, 3)
    assert y_test.shape == (0,) and y_test.dtype == y.dtype


@given(
    st.lists(st.integers(0, 3), min_size=8, max_size=60),
    st.floats(0.2, 0.5),
    st.integers(0, 2**31),
)
@settings(max_examples=40, deadline=None)
def test_split_partitions_the_rows_by_class(labels, test_size, seed):
    y = np.array(labels)
    classes, counts = np.unique(y, return_counts=True)
    n, n_test = y.size, math.ceil(test_size * y.size)
    # Impossible splits have their own tests below.
    assume(counts.min() >= 2 and classes.size <= n_test <= n - classes.size)
    X = np.arange(n, dtype=float)[:, None]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=seed)
    rows = np.concatenate([X_train, X_test])[:, 0].astype(int)
    assert sorted(rows) == list(range(n))
    np.testing.assert_array_equal(y[rows], np.concatenate([y_train, y_test]))
    # Stratified: each class gets its share of the test set, rounded one way or the other.
    for c, count in zip(classes, counts, strict=True):
        assert abs((y_test == c).sum() - n_test * count / n) < 1


@pytest.mark.parametrize("test_size", [1, 1.0, -0.1, float("nan"), "0.2", None, True])
def test_split_rejects_bad_test_size(test_size):
    with pytest.raises(DataError, match=r"^test_size must be a number in \[0, 1\); got "):
        train_test_split(np.ones((10, 1)), np.repeat([0, 1], 5), test_size=test_size, seed=0)


@pytest.mark.parametrize(
    ("y", "test_size", "message"),
    [
        (
            ["a", "a", "b", "b", "c"],
            0.4,
            "class 'c' has only 1 row, and a stratified split needs at least 2 in every class; "
            "add rows of that class or use test_size 0 (no test set)",
        ),
        (
            [0] * 10 + [1] * 5 + [2] * 5,
            0.1,
            "test_size 0.1 of 20 rows gives a test set of 2, too small to hold one row of each of "
            "the 3 classes; use a test_size between 0.15 and 0.85",
        ),
        (
            [0] * 10 + [1] * 5 + [2] * 5,
            0.9,
            "test_size 0.9 of 20 rows leaves 2 for training, too few to hold one row of each of "
            "the 3 classes; use a test_size between 0.15 and 0.85",
        ),
    ],
)
def test_split_impossible_stratification(y, test_size, message):
    y = np.array(y)
    with raises_exactly(message):
        train_test_split(np.ones((y.size, 2)), y, test_size=test_size, seed=0)


def test_split_accepts_the_suggested_bounds():
    y = np.array([0] * 10 + [1] * 5 + [2] * 5)
    for test_size, n_test in ((0.15, 3), (0.85, 17)):
        *_, y_test = train_test_split(np.ones((20, 1)), y, test_size=test_size, seed=0)
        assert y_test.size == n_test


# --------------------------------------------------------------------------- committed CSVs


def test_make_datasets_reproduces_the_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, str(DATASETS_DIR / "make_datasets.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    written = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert written == sorted(p.name for p in DATASETS_DIR.glob("*.csv")) == COMMITTED_CSVS
    for name in written:
        assert (tmp_path / name).read_bytes() == (DATASETS_DIR / name).read_bytes(), name


@pytest.mark.parametrize("name", COMMITTED_CSVS)
def test_committed_csvs_are_small(name):
    assert (DATASETS_DIR / name).stat().st_size < 100_000


def test_line_csv():
    ds = load_dataset("line")
    assert ds.feature_names == ["x"] and ds.target_name == "color"
    np.testing.assert_array_equal(ds.X[:, 0], [-2.2, -1.4, -0.8, 0.2, 0.4, 0.8, 1.2, 2.2, 2.9, 4.6])
    assert ds.y.tolist() == ["red", "red", "green", "red"] + ["green"] * 6


def test_exam_csv():
    ds = load_dataset("exam")
    assert (ds.feature_names, ds.target_name) == (["hours"], "passed")
    np.testing.assert_array_equal(
        ds.X[:, 0],
        [0.5, 0.75, 1, 1.25, 1.5, 1.75, 1.75, 2, 2.25, 2.5,
         2.75, 3, 3.25, 3.5, 4, 4.25, 4.5, 4.75, 5, 5.5],
    )  # fmt: skip
    assert ds.y.dtype == np.int64
    assert ds.y.tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1]
    # Wikipedia's maximum-likelihood fit, recomputed by scikit-learn without a penalty.
    fit = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(ds.X, ds.y)
    assert fit.intercept_[0] == pytest.approx(-4.0777, abs=1e-4)
    assert fit.coef_[0, 0] == pytest.approx(1.5046, abs=1e-4)


def test_default_csv():
    ds = load_dataset("default")
    assert ds.X.shape == (990, 3)
    assert ds.rows_dropped == 10
    assert ds.feature_names == ["student=Yes", "balance", "income"]
    assert ds.columns[0] == {"name": "student", "kind": "categorical", "levels": ["No", "Yes"]}
    assert 0.05 <= (ds.y == "Yes").mean() <= 0.10
    assert (ds.X[:, 1] >= 0).all()
    # Defaulters carry larger balances: the signal the logistic model was drawn from.
    assert ds.X[ds.y == "Yes", 1].mean() > ds.X[ds.y == "No", 1].mean() + 500
    assert load_dataset("default", features=["student", "balance"]).rows_dropped == 0


def test_species_csv():
    ds = load_dataset("species")
    assert ds.X.shape == (204, 6)
    assert ds.rows_dropped == 6
    assert ds.feature_names == [
        "wing_mm",
        "bill_mm",
        "tail_mm",
        "mass_g",
        "site=meadow",
        "site=woodland",
    ]
    assert ds.columns[4] == {
        "name": "site",
        "kind": "categorical",
        "levels": ["marsh", "meadow", "woodland"],
    }
    assert np.unique(ds.y).tolist() == ["finch", "sparrow", "warbler"]
    # Mostly but not perfectly separable by a linear model.
    X = (ds.X - ds.X.mean(axis=0)) / ds.X.std(axis=0)
    accuracy = LogisticRegression(max_iter=1000).fit(X, ds.y).score(X, ds.y)
    assert 0.75 < accuracy < 0.98


# --------------------------------------------------------------------------- list_datasets


def test_list_datasets():
    infos = list_datasets()
    assert [(i.kind, i.name) for i in infos] == sorted((i.kind, i.name) for i in infos)
    by_name = {i.name: i for i in infos}
    assert set(by_name) == {
        "iris", "wine", "breast_cancer", "digits",
        "moons", "circles", "blobs", "xor", "spiral", "linear",
        "default", "exam", "line", "species",
    }  # fmt: skip
    shapes = {
        i.name: (i.kind, i.rows, i.features, i.classes)
        for i in infos
        if i.name in ("iris", "spiral", "species")
    }
    assert shapes == {
        "iris": ("sklearn", 150, 4, 3),
        "spiral": ("generator", 200, 2, 3),
        "species": ("csv", 204, 6, 3),
    }
    assert all(i.description for i in infos)
