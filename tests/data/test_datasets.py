"""Tests for data: registry, generators, CSV loading, the split and the committed CSVs."""

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn import __version__ as sklearn_version
from sklearn import model_selection
from sklearn.linear_model import LogisticRegression

from cetrain.data import (
    DATASETS_DIR,
    Dataset,
    list_datasets,
    load_dataset,
    read_csv,
    registry,
    split_strata,
    target_kind,
    train_test_split,
)
from cetrain.errors import ConfigError, DataError

GENERATORS = {"moons": 2, "circles": 2, "blobs": 3, "xor": 2, "spiral": 3, "linear": 2}
COMMITTED_CSVS = [
    "default.csv",
    "exam.csv",
    "genres.csv",
    "line.csv",
    "noisy_labels.csv",
    "sparse.csv",
    "species.csv",
]


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
    assert ds.X.ndim == 2 and ds.y.shape[0] == ds.X.shape[0]
    assert len(ds.feature_names) == ds.X.shape[1]
    if ds.y.ndim == 1:
        assert ds.target_names == [ds.target_name]
    else:
        assert ds.y.dtype == np.float64
        assert ds.target_names == ds.target_name.split(",")
        assert len(ds.target_names) == ds.y.shape[1]
    if ds.sample_weight is not None:
        assert ds.sample_weight.dtype == np.float64
        assert ds.sample_weight.shape == (ds.X.shape[0],)


def make_datasets_module():
    """datasets/make_datasets.py, imported, for the seeds and generating coefficients it holds."""
    spec = importlib.util.spec_from_file_location(
        "make_datasets", DATASETS_DIR / "make_datasets.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    ("noise", "got"),
    [(-0.1, "-0.1"), (float("inf"), "inf"), ("high", "'high'"), (1e308, "1e+308")],
)
def test_generator_bad_noise(noise, got):
    message = f"noise for 'spiral' must be a finite number in [0, 1000]; got {got}"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
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
        (
            "iris",
            {"target": ["a", "b"]},
            "target applies only to CSV data; 'iris' comes with its own labels",
        ),
        (
            "iris",
            {"weight_col": "w"},
            "weight_col applies only to CSV data; 'iris' has no weight column",
        ),
        (
            "blobs",
            {"weight_col": "x1"},
            "weight_col applies only to CSV data; 'blobs' has no weight column",
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
        "moons, circles, blobs, xor, spiral, linear, default, exam, genres, line, noisy_labels, "
        "sparse, species"
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
    monkeypatch.setattr(registry, "DATASETS_DIR", tmp_path)
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
    assert_csv_error(tmp_path, text, kwargs, message)


def assert_csv_error(tmp_path: Path, text: str, kwargs: dict, message: str) -> None:
    """read_csv of a file holding text raises exactly message, '{p}' standing for the path."""
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


# --------------------------------------------------------------------------- weight column


def test_weight_column_gives_sample_weights_not_a_feature(tmp_path):
    path = write(tmp_path, "a,w,b,label\n1,0.5,2,x\n3,2,4,y\n5,0,6,x\n")
    ds = read_csv(path, weight_col="w")
    assert_well_formed(ds)
    assert ds.feature_names == ["a", "b"]
    assert [c["name"] for c in ds.columns] == ["a", "b"]
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(ds.sample_weight, [0.5, 2.0, 0.0])
    assert ds.target_name == "label"
    assert read_csv(path).sample_weight is None
    assert read_csv(path).feature_names == ["a", "w", "b"]


def test_weight_column_may_be_last(tmp_path):
    # The default target is then the last column that is not the weight column.
    ds = read_csv(write(tmp_path, "a,label,w\n1,x,3\n2,y,4\n"), weight_col="w")
    assert (ds.target_name, ds.feature_names) == ("label", ["a"])
    np.testing.assert_array_equal(ds.sample_weight, [3, 4])


def test_missing_weight_drops_the_row_and_weights_stay_aligned(tmp_path):
    path = write(tmp_path, "a,w,label\n1,,x\n2,1,y\nNA,5,x\n4,2.5,x\n5,?,y\n6,3,y\n")
    ds = read_csv(path, weight_col="w")
    assert ds.rows_dropped == 3
    np.testing.assert_array_equal(ds.X[:, 0], [2, 4, 6])
    assert ds.y.tolist() == ["y", "x", "y"]
    np.testing.assert_array_equal(ds.sample_weight, [1, 2.5, 3])


def test_weight_column_through_load_dataset():
    # default.csv's income is a positive number in every row it has: usable as a weight.
    ds = load_dataset("default", weight_col="income")
    assert ds.feature_names == ["student=Yes", "balance"]
    assert ds.rows_dropped == 10
    np.testing.assert_array_equal(ds.sample_weight, load_dataset("default").X[:, 2])


WEIGHTS = "sample weights must be finite numbers >= 0"


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (
            "a,w,label\n1,2,x\n",
            {"weight_col": "z"},
            "unknown weight column 'z' in '{p}'; the columns are: a, w, label",
        ),
        (
            "a,w,label\n1,2,x\n",
            {"weight_col": "w", "features": ["a", "w"]},
            "column 'w' is the weight column, so it cannot also be a feature; "
            "the feature columns are: a",
        ),
        (
            "a,w,label\n1,2,x\n",
            {"weight_col": "w", "target": "w"},
            "column 'w' is the weight column, so it cannot also be a target; "
            "name another target column",
        ),
        (
            "a,w\n1,2\n",
            {"weight_col": "w"},
            "'{p}': every column is a target or the weight column, which leaves no column for "
            "the features",
        ),
        (
            "a,w,label\n1,2,x\n2,-1,y\n3,-2,y\n",
            {"weight_col": "w"},
            f"'{{p}}', line 3: weight column 'w' holds '-1'; {WEIGHTS}",
        ),
        (
            "a,w,label\n1,inf,x\n",
            {"weight_col": "w"},
            f"'{{p}}', line 2: weight column 'w' holds 'inf'; {WEIGHTS}",
        ),
        (
            "a,w,label\n1,1,x\n2,heavy,y\n",
            {"weight_col": "w"},
            f"'{{p}}', line 3: weight column 'w' holds 'heavy'; {WEIGHTS}",
        ),
        (
            "a,w,label\n1,0,x\n2,,y\n3,0.0,y\n",
            {"weight_col": "w"},
            "'{p}': every weight in column 'w' is 0 in the 2 rows used; "
            "at least one row needs a positive weight",
        ),
        (
            "a,w,label\n1,,x\nNA,2,y\n",
            {"weight_col": "w"},
            "'{p}': every row has a missing value in the columns used (a, label, w); "
            "no rows are left",
        ),
    ],
)
def test_weight_column_errors(tmp_path, text, kwargs, message):
    assert_csv_error(tmp_path, text, kwargs, message)


def test_a_bad_weight_in_a_dropped_row_is_not_an_error(tmp_path):
    # Like a feature, a weight is only read in the rows that are used.
    path = write(tmp_path, "a,w,label\nNA,-1,x\n2,1,y\n")
    np.testing.assert_array_equal(read_csv(path, weight_col="w").sample_weight, [1])


# --------------------------------------------------------------------------- several targets


MULTI = "x1,x2,a,b,c\n0.5,1,1,0,1\n1.5,2,0,0,0\n2.5,3,1,1,1\n3.5,4,0,1,0\n"


@pytest.mark.parametrize("target", ["a,b,c", " a , b,c ", ["a", "b", "c"], ("a", "b", "c")])
def test_several_target_columns(tmp_path, target):
    ds = read_csv(write(tmp_path, MULTI), target=target)
    assert_well_formed(ds)
    assert ds.y.shape == (4, 3)
    np.testing.assert_array_equal(ds.y, [[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]])
    assert ds.target_names == ["a", "b", "c"]
    assert ds.target_name == "a,b,c"
    assert ds.feature_names == ["x1", "x2"]
    assert target_kind(ds.y) == "indicator"


def test_target_columns_keep_the_users_order_and_the_rest_are_features(tmp_path):
    ds = read_csv(write(tmp_path, MULTI), target=["c", "a"])
    assert ds.target_names == ["c", "a"]
    assert ds.feature_names == ["x1", "x2", "b"]
    np.testing.assert_array_equal(ds.y, [[1, 1], [0, 0], [1, 1], [0, 0]])
    # target_name names the same columns again.
    again = load_dataset(str(tmp_path / "data.csv"), target=ds.target_name)
    np.testing.assert_array_equal(again.y, ds.y)


def test_one_target_in_a_list_is_a_label_vector(tmp_path):
    ds = read_csv(write(tmp_path, MULTI), target=["b"])
    assert ds.y.dtype == np.int64 and ds.y.tolist() == [0, 0, 1, 1]
    assert (ds.target_name, ds.target_names) == ("b", ["b"])
    assert ds.feature_names == ["x1", "x2", "a", "c"]


def test_a_column_name_with_a_comma_is_one_target(tmp_path):
    ds = read_csv(write(tmp_path, 'x,"a,b",c\n1,p,0\n2,q,1\n'), target="a,b")
    assert ds.target_names == ["a,b"] and ds.y.tolist() == ["p", "q"]


def test_probability_targets(tmp_path):
    path = write(tmp_path, "x,p0,p1,p2\n1,0.2,0.5,0.3\n2,1,0,0\n3,0,0.25,0.75\n")
    ds = read_csv(path, target="p0,p1,p2")
    np.testing.assert_array_equal(ds.y, [[0.2, 0.5, 0.3], [1, 0, 0], [0, 0.25, 0.75]])
    assert target_kind(ds.y) == "probabilities"


def test_missing_value_in_any_target_drops_the_row(tmp_path):
    path = write(tmp_path, "x,a,b\n1,1,0\n2,,1\n3,0,NA\n4,0,1\n")
    ds = read_csv(path, target="a,b")
    assert ds.rows_dropped == 2
    np.testing.assert_array_equal(ds.X[:, 0], [1, 4])
    np.testing.assert_array_equal(ds.y, [[1, 0], [0, 1]])


def test_several_targets_with_a_weight_column(tmp_path):
    path = write(tmp_path, "x,w,a,b\n1,2,1,0\n2,,1,1\n3,0.5,0,1\n")
    ds = read_csv(path, target=["a", "b"], weight_col="w")
    assert (ds.feature_names, ds.rows_dropped) == (["x"], 1)
    np.testing.assert_array_equal(ds.y, [[1, 0], [0, 1]])
    np.testing.assert_array_equal(ds.sample_weight, [2, 0.5])


UNIT = "several target columns take 0/1 labels or probabilities"


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        (
            "x,a,b\n1,0,1\n2,1,2\n3,1,3\n",
            "a,b",
            f"'{{p}}', line 3: target column 'b' holds '2', not a number in [0, 1]; {UNIT}",
        ),
        (
            "x,a,b\n1,-0.5,1\n",
            "a,b",
            f"'{{p}}', line 2: target column 'a' holds '-0.5', not a number in [0, 1]; {UNIT}",
        ),
        (
            "x,a,b\n1,yes,1\n",
            "a,b",
            f"'{{p}}', line 2: target column 'a' holds 'yes', not a number in [0, 1]; {UNIT}",
        ),
        (
            "x,a,b\n1,0,inf\n",
            ["a", "b"],
            f"'{{p}}', line 2: target column 'b' holds 'inf', not a number in [0, 1]; {UNIT}",
        ),
        ("x,a,b\n1,0,1\n", "a,z", "unknown target column 'z' in '{p}'; the columns are: x, a, b"),
        (
            "x,a,b\n1,0,1\n",
            "a,,b",
            "target 'a,,b' has an empty column name; separate the target columns with single "
            "commas",
        ),
        (
            "x,a,b\n1,0,1\n",
            ["a", "a"],
            "column 'a' is named twice in target; name each column once",
        ),
        ("x,a,b\n1,0,1\n", [], "target is empty; name at least one of: x, a, b"),
        (
            "x,a,b\n1,0,1\n",
            "x,a,b",
            "'{p}': every column is a target or the weight column, which leaves no column for "
            "the features",
        ),
        (
            "x,a,b\n1,,1\n2,0,NA\n",
            "a,b",
            "'{p}': every row has a missing value in the columns used (x, a, b); no rows are left",
        ),
    ],
)
def test_several_targets_errors(tmp_path, text, target, message):
    assert_csv_error(tmp_path, text, {"target": target}, message)


def test_a_target_column_named_as_a_feature(tmp_path):
    path = write(tmp_path, MULTI)
    with raises_exactly(
        "column 'b' is a target column, so it cannot also be a feature; "
        "the feature columns are: x1, x2, c"
    ):
        read_csv(path, target="a,b", features=["x1", "b"])


# --------------------------------------------------------------------------- target_kind


@pytest.mark.parametrize(
    ("y", "kind"),
    [
        ([0, 1, 1], "labels"),
        (["cat", "dog"], "labels"),
        ([0.5, 0.25], "labels"),
        ([[1, 0, 1], [0, 0, 0], [1, 1, 1]], "indicator"),
        ([[1, 0], [0, 0]], "indicator"),
        ([[True, False], [True, True]], "indicator"),
        ([[0.2, 0.8], [0.5, 0.5]], "probabilities"),
        ([[0.2, 0.8], [1, 0]], "probabilities"),
        # All rows one-hot: 0/1 labels that are also probabilities; reported as probabilities.
        ([[1, 0, 0], [0, 0, 1]], "probabilities"),
        ([[0.3, 0.7 + 5e-7], [0.1, 0.9 - 5e-7]], "probabilities"),
    ],
)
def test_target_kind(y, kind):
    assert target_kind(np.array(y)) == kind


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (
            np.ones((3, 1)),
            "targets must be a vector of labels (n,) or a matrix (n, k) with k >= 2 columns; "
            "got shape (3, 1)",
        ),
        (
            np.ones((2, 2, 2)),
            "targets must be a vector of labels (n,) or a matrix (n, k) with k >= 2 columns; "
            "got shape (2, 2, 2)",
        ),
        (
            np.array([[0.5, 0.5], [1.5, 0.0]]),
            "a target matrix must hold numbers in [0, 1]; row 1, column 0 holds 1.5",
        ),
        (
            np.array([[0.5, 0.5], [0.0, np.nan]]),
            "a target matrix must hold numbers in [0, 1]; row 1, column 1 holds nan",
        ),
        (
            np.array([["a", "b"]]),
            "a target matrix must hold numbers in [0, 1]; got values of type <U1",
        ),
        (
            np.array([[0.2, 0.8], [0.5, 0.4], [1, 1]]),
            "the targets are neither 0/1 labels nor probabilities: row 1 sums to 0.9, and rows "
            "of probabilities must sum to 1 (within 1e-6)",
        ),
        (
            np.array([[1, 1], [0.3, 0.7 + 2e-6]]),
            "the targets are neither 0/1 labels nor probabilities: row 0 sums to 2, and rows "
            "of probabilities must sum to 1 (within 1e-6)",
        ),
        # just outside the tolerance on either side (5e-7 inside is accepted: test_target_kind);
        # :g writes 1.000002 as 1
        (
            np.array([[0.5, 0.5], [0.3, 0.7 + 2e-6]]),
            "the targets are neither 0/1 labels nor probabilities: row 1 sums to 1, and rows "
            "of probabilities must sum to 1 (within 1e-6)",
        ),
        (
            np.array([[0.3, 0.7 - 2e-6], [0.5, 0.5]]),
            "the targets are neither 0/1 labels nor probabilities: row 0 sums to 0.999998, and "
            "rows of probabilities must sum to 1 (within 1e-6)",
        ),
    ],
)
def test_target_kind_errors(y, message):
    with raises_exactly(message):
        target_kind(y)


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
    with pytest.raises(ConfigError, match=r"^test_size must be a finite number in \[0, 1\); got "):
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


# --------------------------------------------------------------------------- split, target matrix


def combinations(Y: np.ndarray) -> dict[tuple, int]:
    """How many rows hold each combination of labels."""
    combos, counts = np.unique(Y, axis=0, return_counts=True)
    return {tuple(c.tolist()): int(k) for c, k in zip(combos, counts, strict=True)}


def test_multilabel_split_is_stratified_by_label_combination():
    Y = np.array([[0, 0]] * 40 + [[1, 0]] * 20 + [[0, 1]] * 20 + [[1, 1]] * 20, dtype=float)
    X = np.arange(100, dtype=float)[:, None]
    assert split_strata(Y, 0.25) is not None
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, seed=0)
    assert Y_train.shape == (75, 2) and Y_test.shape == (25, 2)
    assert combinations(Y_test) == {(0, 0): 10, (0, 1): 5, (1, 0): 5, (1, 1): 5}
    assert combinations(Y_train) == {(0, 0): 30, (0, 1): 15, (1, 0): 15, (1, 1): 15}
    # Rows stay whole.
    np.testing.assert_array_equal(Y[X_test[:, 0].astype(int)], Y_test)
    np.testing.assert_array_equal(Y[X_train[:, 0].astype(int)], Y_train)


def test_probability_split_is_stratified_by_the_argmax_class():
    rng = np.random.default_rng(0)
    top = rng.uniform(0.6, 1.0, 100)
    first = np.r_[np.ones(60), np.zeros(40)].astype(bool)
    Y = np.column_stack([np.where(first, top, 1 - top), np.where(first, 1 - top, top)])
    X = np.arange(100, dtype=float)[:, None]
    np.testing.assert_array_equal(split_strata(Y, 0.25), np.where(first, 0, 1))
    _, X_test, _, Y_test = train_test_split(X, Y, test_size=0.25, seed=3)
    assert np.bincount(Y_test.argmax(axis=1)).tolist() == [15, 10]
    np.testing.assert_array_equal(Y[X_test[:, 0].astype(int)], Y_test)


@pytest.mark.parametrize(
    ("Y", "test_size"),
    [
        # The combination (1, 1) has a single row.
        (np.array([[0, 0]] * 10 + [[1, 0]] * 5 + [[0, 1]] * 4 + [[1, 1]]), 0.25),
        # Eight combinations of two rows each: a test set of 4 cannot hold one of each.
        (np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)] * 2), 0.25),
        # ...nor can a training set of 4.
        (np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)] * 2), 0.75),
        # Probability rows whose argmax class 1 occurs once.
        (np.array([[0.9, 0.1]] * 9 + [[0.4, 0.6]]), 0.3),
    ],
)
def test_target_matrix_split_falls_back_to_an_unstratified_split(Y, test_size):
    Y = Y.astype(float)
    n = Y.shape[0]
    X = np.arange(n, dtype=float)[:, None]
    assert split_strata(Y, test_size) is None
    split = train_test_split(X, Y, test_size=test_size, seed=5)
    # The same seed gives the same split, and it is scikit-learn's unstratified split.
    for ours, again, sklearns in zip(
        split,
        train_test_split(X, Y, test_size=test_size, seed=5),
        model_selection.train_test_split(X, Y, test_size=test_size, random_state=5),
        strict=True,
    ):
        np.testing.assert_array_equal(ours, again)
        np.testing.assert_array_equal(ours, sklearns)
    X_train, X_test, Y_train, Y_test = split
    assert Y_test.shape == (math.ceil(test_size * n), Y.shape[1])
    rows = np.concatenate([X_train, X_test])[:, 0].astype(int)
    assert sorted(rows) == list(range(n))
    np.testing.assert_array_equal(Y[rows], np.concatenate([Y_train, Y_test]))


def test_target_matrix_split_with_no_test_set():
    Y = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    X_train, X_test, Y_train, Y_test = train_test_split(np.ones((3, 2)), Y, test_size=0, seed=0)
    np.testing.assert_array_equal(X_train, np.ones((3, 2)))
    np.testing.assert_array_equal(Y_train, Y)
    assert X_test.shape == (0, 2) and Y_test.shape == (0, 2)


def test_target_matrix_split_needs_a_training_row():
    with raises_exactly(
        "test_size 0.5 of 1 rows leaves no row for training; use a smaller test_size"
    ):
        train_test_split(np.ones((1, 2)), np.array([[1.0, 0.0]]), test_size=0.5, seed=0)


def test_split_rejects_an_invalid_target_matrix():
    with raises_exactly(
        "the targets are neither 0/1 labels nor probabilities: row 0 sums to 0.5, and rows "
        "of probabilities must sum to 1 (within 1e-6)"
    ):
        train_test_split(np.ones((4, 1)), np.full((4, 2), 0.25), test_size=0.5, seed=0)


def test_split_strata_of_a_label_vector_is_the_labels():
    y = np.array(["a", "b", "a", "b"])
    assert split_strata(y, 0.5) is y


@pytest.mark.parametrize("two_d", [False, True])
def test_split_carries_the_sample_weights_with_their_rows(two_d):
    y = np.repeat([0, 1], 10)
    if two_d:
        y = np.column_stack([y, 1 - y]).astype(float)
    X = np.arange(20, dtype=float)[:, None]
    w = 10 * X[:, 0] + 1
    X_train, X_test, y_train, y_test, w_train, w_test = train_test_split(
        X, y, test_size=0.3, seed=1, sample_weight=w
    )
    np.testing.assert_array_equal(w_train, 10 * X_train[:, 0] + 1)
    np.testing.assert_array_equal(w_test, 10 * X_test[:, 0] + 1)
    # The weights do not change which rows go where.
    plain = train_test_split(X, y, test_size=0.3, seed=1)
    for a, b in zip((X_train, X_test, y_train, y_test), plain, strict=True):
        np.testing.assert_array_equal(a, b)
    parts = train_test_split(X, y, test_size=0, seed=1, sample_weight=w)
    assert len(parts) == 6
    np.testing.assert_array_equal(parts[4], w)
    assert parts[5].shape == (0,)


def test_split_rejects_weights_of_the_wrong_length():
    with raises_exactly("sample_weight has shape (3,), but y has 4 rows; give one weight per row"):
        train_test_split(
            np.ones((4, 1)), np.array([0, 1, 0, 1]), test_size=0.5, seed=0, sample_weight=[1, 2, 3]
        )


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


def test_make_datasets_reproduces_the_example_of_new_rows(tmp_path):
    make = make_datasets_module()
    for name, (header, make_rows) in make.EXAMPLES.items():
        make.write_csv(tmp_path / name, header, make_rows())
        assert (tmp_path / name).read_bytes() == (make.EXAMPLES_DIR / name).read_bytes(), name


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


def test_genres_csv():
    ds = load_dataset("genres")
    assert_well_formed(ds)
    assert ds.feature_names == ["tempo_bpm", "energy", "danceability", "acousticness", "valence"]
    assert ds.target_names == ["electronic", "rock", "pop"]
    assert ds.y.shape == (300, 3) and ds.rows_dropped == 0
    assert target_kind(ds.y) == "indicator"
    # The labels overlap: 0, 1, 2 and 3 labels per song.
    assert np.bincount(ds.y.sum(axis=1).astype(int)).tolist() == [69, 122, 70, 39]
    assert ds.y.sum(axis=0).tolist() == [110, 131, 138]
    # By path the default target is the same three columns; one tag alone is a binary target.
    assert load_dataset(str(DATASETS_DIR / "genres.csv")).target_names == ds.target_names
    pop = load_dataset("genres", target="pop")
    assert pop.y.dtype == np.int64 and pop.feature_names[-2:] == ["electronic", "rock"]
    # Every combination of tags has enough songs for a split stratified by combination.
    assert split_strata(ds.y, 0.25) is not None
    # One sigmoid per label, on the standardised features: good per label, fair on whole rows
    # (the accuracies datasets/README.md quotes).
    X = (ds.X - ds.X.mean(axis=0)) / ds.X.std(axis=0)
    predicted = np.column_stack(
        [LogisticRegression().fit(X, y).predict(X) for y in ds.y.astype(int).T]
    )
    per_label = (predicted == ds.y).mean(axis=0)
    np.testing.assert_allclose(per_label, [0.88, 0.90, 0.86], atol=0.005)
    assert (predicted == ds.y).all(axis=1).mean() == pytest.approx(0.68, abs=0.005)


def test_genres_csv_is_the_documented_model():
    make = make_datasets_module()
    features, labels = make.genres_data()
    ds = load_dataset("genres")
    np.testing.assert_array_equal(ds.X, features)
    np.testing.assert_array_equal(ds.y, labels)
    assert make.GENRES_COEF.shape == (3, 5) and make.GENRES_SEED == 20240103


def test_noisy_labels_csv():
    ds = load_dataset("noisy_labels")
    assert_well_formed(ds)
    assert (ds.feature_names, ds.target_name) == (["x1", "x2"], "label")
    assert np.bincount(ds.y).tolist() == [105, 96, 99]
    # Regenerate the clean labels from the script's seed: exactly 30% of the labels were flipped.
    make = make_datasets_module()
    X, clean, noisy = make.noisy_labels_data()
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, noisy)
    assert make.NOISY_LABELS_FLIP_RATE == 0.3 and make.NOISY_LABELS_SEED == 20240104
    assert (noisy != clean).sum() == 90 and (noisy != clean).mean() == 0.3
    assert np.bincount(clean).tolist() == [100, 100, 100]
    # The noise is symmetric: from each class, some labels went to each of the two others.
    moves = {(a, b) for a, b in zip(clean, noisy, strict=True) if a != b}
    assert moves == {(a, b) for a in range(3) for b in range(3) if a != b}
    # datasets/README.md's numbers: the noise hardly moves the boundaries but lowers confidence.
    on_clean = LogisticRegression().fit(ds.X, clean)
    on_noisy = LogisticRegression().fit(ds.X, ds.y)
    assert on_clean.score(ds.X, clean) == pytest.approx(0.92, abs=0.005)
    assert on_noisy.score(ds.X, ds.y) == pytest.approx(0.65, abs=0.005)
    assert on_noisy.score(ds.X, clean) == pytest.approx(0.92, abs=0.005)
    assert on_clean.predict_proba(ds.X).max(axis=1).mean() == pytest.approx(0.91, abs=0.005)
    assert on_noisy.predict_proba(ds.X).max(axis=1).mean() == pytest.approx(0.61, abs=0.005)


def _l1_logistic(C: float) -> LogisticRegression:
    """An L1-penalised scikit-learn LogisticRegression, spelled for the installed version."""
    major, minor = (int(part) for part in sklearn_version.split(".")[:2])
    l1 = {"l1_ratio": 1.0} if (major, minor) >= (1, 8) else {"penalty": "l1"}
    return LogisticRegression(C=C, solver="liblinear", random_state=0, **l1)


def test_sparse_csv():
    ds = load_dataset("sparse")
    assert_well_formed(ds)
    assert ds.feature_names == [f"x{j}" for j in range(1, 21)] and ds.target_name == "y"
    assert ds.X.shape == (400, 20) and (ds.y == 1).sum() == 179
    make = make_datasets_module()
    informative = np.flatnonzero(make.SPARSE_COEF)
    assert [ds.feature_names[j] for j in informative] == ["x3", "x8", "x13", "x17"]
    X, y = make.sparse_data()
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)
    # An L1 penalty keeps exactly the four features the labels were drawn from...
    kept = np.flatnonzero(_l1_logistic(C=0.05).fit(ds.X, ds.y).coef_[0])
    np.testing.assert_array_equal(kept, informative)
    # ...while an unpenalised fit gives every feature a nonzero weight, largest on those four.
    coef = LogisticRegression(C=np.inf, max_iter=1000).fit(ds.X, ds.y).coef_[0]
    assert np.all(coef != 0)
    np.testing.assert_array_equal(np.sort(np.argsort(-np.abs(coef))[:4]), informative)


# --------------------------------------------------------------------------- list_datasets


def test_list_datasets():
    infos = list_datasets()
    assert [(i.kind, i.name) for i in infos] == sorted((i.kind, i.name) for i in infos)
    by_name = {i.name: i for i in infos}
    assert set(by_name) == {
        "iris", "wine", "breast_cancer", "digits",
        "moons", "circles", "blobs", "xor", "spiral", "linear",
        "default", "exam", "line", "species", "genres", "noisy_labels", "sparse",
    }  # fmt: skip
    shapes = {
        i.name: (i.kind, i.rows, i.features, i.classes)
        for i in infos
        if i.name in ("iris", "spiral", "species", "genres", "noisy_labels", "sparse")
    }
    # genres' classes are its three target columns.
    assert shapes == {
        "iris": ("sklearn", 150, 4, 3),
        "spiral": ("generator", 200, 2, 3),
        "species": ("csv", 204, 6, 3),
        "genres": ("csv", 300, 5, 3),
        "noisy_labels": ("csv", 300, 2, 3),
        "sparse": ("csv", 400, 20, 2),
    }
    assert all(i.description for i in infos)
