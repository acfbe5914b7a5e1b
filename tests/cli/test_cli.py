"""Tests for the command line, end to end: `cetrain train` and its run folder, every error a user
can trigger (exact text and exit code), precedence of settings, and `cetrain datasets`/`--help`.

Every invocation goes through click's CliRunner with its files under pytest's tmp_path.
"""

import csv
import json
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from conftest import DEFAULT_SETTINGS_TOML, assert_error, invoke, run_files
from sklearn.metrics import balanced_accuracy_score, log_loss, recall_score
from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures

import cetrain.runs.train
import cetrain.runs.write
from cetrain import plots
from cetrain.core.losses import LOSS_NAMES
from cetrain.data import DATASETS_DIR, load_dataset, train_test_split
from cetrain.runs.modelfile import load_model
from cetrain.runs.settings import KEYS

VALID_KEYS = ", ".join(KEYS)  # the settings table's order (tests/runs/test_settings.py pins it)
ALL_DATASETS = (
    "iris, wine, breast_cancer, digits, moons, circles, blobs, xor, spiral, linear, "
    "default, exam, genres, line, noisy_labels, sparse, species"
)
GENERATED = "moons, circles, blobs, xor, spiral, linear"
IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def assert_ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "Error" not in result.output


def read_history(folder: Path) -> list[dict[str, str]]:
    with (folder / "history.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def read_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def write_text_csv(path: Path) -> int:
    """A CSV with a text feature column, string labels and rows with missing values.

    Returns the number of rows with a missing value.
    """
    rng = np.random.default_rng(11)
    lines = ["size,colour,weight,label"]
    colours = ["red", "green", "blue"]
    for i in range(60):
        size, weight = rng.normal(5.0, 2.0), rng.normal(50.0, 15.0)
        colour = colours[i % 3]
        logit = (
            1.2 * (size - 5.0)
            - 0.05 * (weight - 50.0)
            + {"red": 1.0, "green": 0.0}.get(colour, -1.0)
        )
        label = "yes" if rng.random() < 1.0 / (1.0 + math.exp(-logit)) else "no"
        lines.append(f"{size:.3f},{colour},{weight:.2f},{label}")
    # three rows with a missing value, spelled three ways
    lines += ["4.1,red,,yes", "6.0,NA,40.0,no", "?,blue,55.5,no"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 3


def assert_png_not_blank(path: Path) -> None:
    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert image.shape[2] in (3, 4)
    assert 400 <= height <= 3000 and 600 <= width <= 3000
    rgb = image[:, :, :3]
    assert rgb.std() > 0.05
    codes = ((rgb.reshape(-1, 3) * 255).round().astype(np.int64) * [65536, 256, 1]).sum(axis=1)
    assert len(np.unique(codes)) > 50


# --------------------------------------------------------------------------- end-to-end runs

CSV_ROWS_WITH_MISSING = 3

# name -> (train options, what the run must hold)
RUNS = {
    "iris": (["--data", "iris"], {"model": "softmax", "classes": 3, "poly": 1, "test": True}),
    "binary": (
        ["--data", "moons", "--n-samples", "60"],
        {"model": "logistic", "classes": 2, "poly": 1, "test": True},
    ),
    "poly": (
        ["--data", "moons", "--n-samples", "60", "--poly", "3"],
        {"model": "logistic", "classes": 2, "poly": 3, "test": True},
    ),
    "csv": (["--data", "{csv}"], {"model": "logistic", "classes": 2, "poly": 1, "test": True}),
    "no_test": (
        ["--data", "line", "--test-size", "0"],
        {"model": "logistic", "classes": 2, "poly": 1, "test": False},
    ),
}


class Run:
    """One `cetrain train` invocation, its folder, the TrainResult it wrote, and a re-run."""

    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        args, self.expect = RUNS[name]
        self.csv = base / "points.csv"  # written by run_cache
        self.rows_with_missing = CSV_ROWS_WITH_MISSING if name == "csv" else 0
        self.args = [arg.replace("{csv}", str(self.csv)) for arg in args]
        self.out = base / name
        captured = []
        original = cetrain.runs.write.write_run

        def spy(result, out, fmt="png", **options):
            captured.append(result)
            return original(result, out, fmt, **options)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cetrain.runs.write, "write_run", spy)
            self.cli_result = invoke("train", *self.args, "--out", self.out)
        self.result = captured[0] if captured else None
        self.again = base / f"{name}-again"
        self.rerun = invoke("train", self.out / "config.toml", "--out", self.again, "--quiet")

    @property
    def metrics(self) -> dict:
        return read_json(self.out / "metrics.json")

    @property
    def config(self) -> dict:
        return read_toml(self.out / "config.toml")

    def split(self):
        """The data and split of the run, rebuilt from its config.toml."""
        config = self.config
        dataset = load_dataset(
            config["data"],
            target=config.get("target"),
            features=config.get("features"),
            n_samples=config.get("n_samples"),
            noise=config.get("noise"),
            seed=config["seed"],
        )
        return dataset, train_test_split(
            dataset.X, dataset.y, test_size=config["test_size"], seed=config["seed"]
        )


@pytest.fixture(scope="module")
def run_cache(tmp_path_factory):
    """The folder of the end-to-end runs (with the CSV they use) and the runs made so far."""
    base = tmp_path_factory.mktemp("runs")
    assert write_text_csv(base / "points.csv") == CSV_ROWS_WITH_MISSING
    return base, {}


def get_run(run_cache, name: str) -> Run:
    """The run called name, made on first use."""
    base, cache = run_cache
    if name not in cache:
        cache[name] = Run(name, base)
    return cache[name]


@pytest.fixture(params=list(RUNS))
def run(request, run_cache) -> Run:
    return get_run(run_cache, request.param)


def test_run_succeeds_and_writes_exactly_the_run_files(run):
    assert_ok(run.cli_result)
    assert entries(run.out) == run_files(run.out)
    assert not any(name.startswith(".") for name in entries(run.out.parent))


def test_config_toml_holds_the_resolved_settings(run):
    defaults = DEFAULT_SETTINGS_TOML
    expected = {
        # the two features with the largest standardised coefficients
        "iris": {
            "data": "iris",
            "model": "softmax",
            "plot_features": ["petal width (cm)", "petal length (cm)"],
        },
        "binary": {
            "data": "moons",
            "n_samples": 60,
            "model": "logistic",
            "plot_features": ["x1", "x2"],
        },
        "poly": {
            "data": "moons",
            "n_samples": 60,
            "model": "logistic",
            "poly": 3,
            "plot_features": ["x1", "x2"],
        },
        "csv": {
            "data": str(run.csv.resolve()),
            "target": "label",
            "model": "logistic",
            "plot_features": ["size", "weight"],
        },
        "no_test": {"data": "line", "target": "color", "model": "logistic", "test_size": 0.0},
    }[run.name]
    # the epoch axis drawn, "auto" resolved by the run's own training loss
    history = np.genfromtxt(run.out / "history.csv", delimiter=",", names=True)
    axis = plots.choose_epoch_axis([np.atleast_1d(history["train_loss"])])
    assert run.config == {**defaults, **expected, "epoch_axis": axis}
    if run.name == "iris":  # 90% of the decrease in its first 11 of 405 epochs
        assert axis == "log"


def test_config_toml_reproduces_the_run(run):
    assert_ok(run.rerun)
    assert run.rerun.stdout == f"{run.again}\n"
    again = read_json(run.again / "metrics.json")
    splits = ("train", "test") if run.expect["test"] else ("train",)
    for split in splits:
        assert again[split]["accuracy"] == run.metrics[split]["accuracy"]
        assert again[split]["log_loss"] == run.metrics[split]["log_loss"]
    if not run.expect["test"]:
        assert again["test"] is None
    assert again["epochs"] == run.metrics["epochs"]
    assert again["rows_dropped"] == run.metrics["rows_dropped"]
    assert read_toml(run.again / "config.toml") == run.config
    assert read_json(run.again / "model.json") == read_json(run.out / "model.json")


def test_metrics_json_layout(run):
    metrics = run.metrics
    required = {"train", "test", "epochs", "converged", "status", "seconds", "rows_dropped"}
    assert required <= set(metrics)
    split_keys = {"accuracy", "log_loss", "loss", "balanced_accuracy", "recall"}
    assert set(metrics["train"]) == split_keys
    if run.expect["test"]:
        assert set(metrics["test"]) == split_keys
    else:
        assert metrics["test"] is None
        assert metrics["n_test"] == 0
    assert metrics["status"] in ("converged", "max_iter", "diverged")
    assert metrics["converged"] is (metrics["status"] == "converged")
    assert isinstance(metrics["epochs"], int) and metrics["epochs"] >= 1
    assert isinstance(metrics["seconds"], float)
    assert metrics["rows_dropped"] == run.rows_with_missing
    # with the cross-entropy loss, the training loss is the log loss
    assert metrics["train"]["loss"] == metrics["train"]["log_loss"]


def test_metrics_agree_with_scikit_learn_on_the_rebuilt_split(run):
    metrics = run.metrics
    model = load_model(run.out / "model.json")
    dataset, (X_train, X_test, y_train, y_test) = run.split()
    assert metrics["n_train"] == len(y_train)
    assert metrics["n_test"] == len(y_test)
    assert dataset.rows_dropped == run.rows_with_missing
    splits = [("train", X_train, y_train)] + ([("test", X_test, y_test)] if len(y_test) else [])
    for split, X, y in splits:
        proba = model.predict_proba(X)
        expected_log_loss = log_loss(y, proba, labels=model.classes_)
        assert metrics[split]["log_loss"] == pytest.approx(expected_log_loss, abs=1e-9, rel=0)
        predicted = model.classes_[np.argmax(proba, axis=1)]
        fraction_correct = np.mean(predicted == y)
        assert metrics[split]["accuracy"] == pytest.approx(fraction_correct, abs=1e-15)
        assert metrics[split]["balanced_accuracy"] == pytest.approx(
            balanced_accuracy_score(y, predicted), abs=1e-15
        )
        recall = recall_score(y, predicted, labels=model.classes_, average=None, zero_division=0)
        present = [label in set(y) for label in model.classes_]
        assert list(metrics[split]["recall"]) == [str(c) for c in model.classes_]
        for value, expected, seen in zip(
            metrics[split]["recall"].values(), recall, present, strict=True
        ):
            assert value == (pytest.approx(expected, abs=1e-15) if seen else None)


def test_history_csv(run):
    metrics = run.metrics
    rows = read_history(run.out)
    with (run.out / "history.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip() == "epoch,train_loss,test_loss,grad_norm"
    assert len(rows) == metrics["epochs"] + 1
    assert [int(row["epoch"]) for row in rows] == list(range(metrics["epochs"] + 1))
    # zero initial weights: every class equally likely
    start = math.log(run.expect["classes"])
    assert float(rows[0]["train_loss"]) == pytest.approx(start, rel=1e-12)
    if run.expect["test"]:
        assert float(rows[0]["test_loss"]) == pytest.approx(start, rel=1e-12)
        assert float(rows[-1]["test_loss"]) == pytest.approx(metrics["test"]["loss"], abs=1e-9)
    else:
        assert {row["test_loss"] for row in rows} == {""}
    # both are the unpenalised mean training loss of the final weights
    assert float(rows[-1]["train_loss"]) == pytest.approx(metrics["train"]["loss"], abs=1e-9)
    assert float(rows[-1]["grad_norm"]) == metrics["final_grad_norm"]
    assert metrics["converged"] is True  # these small runs all converge at the default tol
    assert float(rows[-1]["grad_norm"]) <= 1e-6
    assert all(float(row["grad_norm"]) >= 0 for row in rows)


def test_model_json_is_json_and_predicts_as_the_trained_pipeline(run):
    raw = (run.out / "model.json").read_bytes()
    assert raw.startswith(b"{")
    data = json.loads(raw)
    assert data["format"] == "cetrain-model"
    assert data["model"] == run.expect["model"]
    assert len(data["classes"]) == run.expect["classes"]
    model = load_model(run.out / "model.json")
    X = run.result.dataset.X
    np.testing.assert_allclose(
        model.predict_proba(X), run.result.pipeline.predict_proba(X), rtol=1e-12, atol=0
    )
    np.testing.assert_array_equal(model.predict(X), run.result.pipeline.predict(X))


def test_model_json_coef_is_in_original_units(run):
    data = read_json(run.out / "model.json")
    model = load_model(run.out / "model.json")
    X = run.result.dataset.X
    X_poly = SkPolynomialFeatures(degree=run.expect["poly"], include_bias=False).fit_transform(X)
    scores = X_poly @ np.array(data["coef"]).T + np.array(data["intercept"])
    if run.expect["model"] == "logistic":
        scores = scores[:, 0]
    np.testing.assert_allclose(scores, model.decision_function(X), rtol=1e-12, atol=1e-12)
    assert data["preprocessing"]["poly"]["degree"] == run.expect["poly"]


def test_pngs_are_pictures(run):
    for name in ("loss_curve.png", "decision_boundary.png"):
        assert (run.out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert_png_not_blank(run.out / name)


def test_text_column_is_one_hot_encoded_in_the_model(run_cache):
    run = get_run(run_cache, "csv")
    data = read_json(run.out / "model.json")
    assert data["feature_names"] == ["size", "colour=green", "colour=red", "weight"]
    assert data["target"] == "label"
    assert data["classes"] == ["no", "yes"]
    assert data["input_columns"] == [
        {"name": "size", "kind": "numeric"},
        {"name": "colour", "kind": "categorical", "levels": ["blue", "green", "red"]},
        {"name": "weight", "kind": "numeric"},
    ]
    assert "Dropped 3 rows with missing values." in run.cli_result.stderr.splitlines()


def test_summary_of_the_iris_run(run_cache):
    run = get_run(run_cache, "iris")
    metrics = run.metrics
    lines = run.cli_result.stdout.splitlines()
    assert lines[0] == (
        "Softmax regression on iris: 112 train / 38 test rows, 4 features, 3 classes, "
        "loss cross-entropy"
    )
    assert lines[1].startswith(f"converged after {metrics['epochs']} epochs in ")
    assert lines[2].split() == ["accuracy", "log", "loss", "bal.", "acc"]
    for line, split in zip(lines[3:5], ("train", "test"), strict=True):
        assert line.split() == [
            split,
            f"{metrics[split]['accuracy']:.4f}",
            f"{metrics[split]['log_loss']:.4f}",
            f"{metrics[split]['balanced_accuracy']:.4f}",
        ]
    recall = metrics["test"]["recall"]
    assert lines[5] == "test recall by class: " + ", ".join(
        f"{name} {value:.4f}" for name, value in recall.items()
    )
    assert lines[6:] == [f"Run folder: {run.out}"]


def test_summary_without_a_test_set_has_no_test_row(run_cache):
    run = get_run(run_cache, "no_test")
    lines = run.cli_result.stdout.splitlines()
    assert lines[0].startswith("Logistic regression on line: 10 train / 0 test rows, ")
    assert [line.split()[0] for line in lines[3:-1]] == ["train"]
    assert lines[-1] == f"Run folder: {run.out}"


def test_unpenalised_exam_model_json_has_wikipedias_coefficients(tmp_path):
    """Wikipedia, "Logistic regression": intercept -4.0777, slope 1.5046 per hour of study."""
    out = tmp_path / "exam"
    assert_ok(invoke("train", "--data", "exam", "--l2", "0", "--test-size", "0", "--out", out))
    data = read_json(out / "model.json")
    assert data["coef"][0][0] == pytest.approx(1.5046, abs=5e-5)
    assert data["intercept"][0] == pytest.approx(-4.0777, abs=5e-5)
    assert data["preprocessing"]["standardize"]["enabled"] is True


def test_diverged_run_history_ends_at_the_saved_model(tmp_path):
    out = tmp_path / "run"
    result = invoke(
        "train",
        *("--data", "exam", "--lr", "1000", "--momentum", "0", "--no-standardize"),
        *("--l2", "0", "--test-size", "0", "--out", out, "--quiet"),
    )
    assert result.exit_code == 0
    metrics = read_json(out / "metrics.json")
    assert metrics["status"] == "diverged"
    rows = read_history(out)
    assert float(rows[-1]["train_loss"]) == pytest.approx(metrics["train"]["loss"], abs=1e-9)


# --------------------------------------------------------------------------- user errors


def _toml_error(text: str) -> str:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return str(exc)
    raise AssertionError("the text is valid TOML")


PTS = "x,kind,label\n1,a,no\n2,b,no\n3,a,yes\n4,b,yes\n2.5,a,no\n3.5,b,yes\n"

# (files to write, arguments, message after "Error: ", exit code)
USER_ERRORS = {
    "no data": (
        {},
        ["train"],
        "no data given; name a dataset or a CSV file with --data (see `cetrain datasets`) or "
        "`data = ...` in the config file",
        1,
    ),
    "unknown dataset": (
        {},
        ["train", "--data", "nope"],
        f"unknown dataset 'nope'; use a CSV path or one of: {ALL_DATASETS}",
        1,
    ),
    "missing csv": ({}, ["train", "--data", "missing.csv"], "no such file: 'missing.csv'", 1),
    "missing csv in a folder": (
        {},
        ["train", "--data", "sub/points"],
        "no such file: 'sub/points'",
        1,
    ),
    "malformed csv": (
        {"bad.csv": "a,b,c\n1,2,x\n3,4\n"},
        ["train", "--data", "bad.csv"],
        "'bad.csv', line 3: expected 3 fields (a, b, c), found 2",
        1,
    ),
    "unknown target": (
        {"pts.csv": PTS},
        ["train", "--data", "pts.csv", "--target", "zz"],
        "unknown target column 'zz' in 'pts.csv'; the columns are: x, kind, label",
        1,
    ),
    "unknown feature": (
        {"pts.csv": PTS},
        ["train", "--data", "pts.csv", "--features", "x,zz"],
        "unknown column 'zz' in features; the columns are: x, kind",
        1,
    ),
    "target on a built-in set": (
        {},
        ["train", "--data", "iris", "--target", "species"],
        "target applies only to CSV data; 'iris' comes with its own labels",
        1,
    ),
    "unknown plot feature": (
        {},
        ["train", "--data", "iris", "--plot-features", "sepal width (cm),petal"],
        "unknown plot feature 'petal'; the features are: " + ", ".join(IRIS_FEATURES),
        1,
    ),
    "one plot feature": (
        {},
        ["train", "--data", "iris", "--plot-features", "petal"],
        "Invalid value for '--plot-features': plot_features must name two different features, "
        "like \"a,b\"; got 'petal'",
        2,
    ),
    "plot features of one-feature data": (
        {},
        ["train", "--data", "line", "--plot-features", "x,y"],
        "plot_features needs data with at least two features",
        1,
    ),
    "empty features": (
        {},
        ["train", "--data", "line", "--features", ""],
        "Invalid value for '--features': features must name columns separated by commas, "
        "like \"a,b\"; got ''",
        2,
    ),
    "logistic on iris": (
        {},
        ["train", "--data", "iris", "--model", "logistic"],
        "model 'logistic' needs exactly 2 classes, but 'iris' has 3 "
        "(setosa, versicolor, virginica); use model 'softmax' or 'auto'",
        1,
    ),
    "test set too small": (
        {},
        ["train", "--data", "line", "--test-size", "0.1"],
        "test_size 0.1 of 10 rows gives a test set of 1, too small to hold one row of each of "
        "the 2 classes; use a test_size between 0.2 and 0.8",
        1,
    ),
    "target that is not a class label": (
        {},
        ["train", "--data", "exam", "--target", "hours"],
        "the target 'hours' has 19 distinct values in 20 rows; cetrain trains classifiers, "
        "so pick a column of class labels with --target",
        1,
    ),
    "--n-samples with iris": (
        {},
        ["train", "--data", "iris", "--n-samples", "50"],
        f"n_samples applies only to the generated datasets ({GENERATED}), not to 'iris'",
        1,
    ),
    "--noise with a csv": (
        {},
        ["train", "--data", "line", "--noise", "0.1"],
        f"noise applies only to the generated datasets ({GENERATED}), not to 'line'",
        1,
    ),
    "--n-samples and --noise with a csv": (
        {"pts.csv": PTS},
        ["train", "--data", "pts.csv", "--n-samples", "50", "--noise", "0.1"],
        f"n_samples and noise apply only to the generated datasets ({GENERATED}), not to 'pts.csv'",
        1,
    ),
    "--lr -1": (
        {},
        ["train", "--data", "iris", "--lr", "-1"],
        "Invalid value for '--lr': lr must be a number in (0, 1e6] or \"auto\"; got -1.0",
        2,
    ),
    "--lr abc": (
        {},
        ["train", "--data", "iris", "--lr", "abc"],
        "Invalid value for '--lr': lr must be a number in (0, 1e6] or \"auto\"; got 'abc'",
        2,
    ),
    "--lr inf": (
        {},
        ["train", "--data", "iris", "--lr", "inf"],
        "Invalid value for '--lr': lr must be a number in (0, 1e6] or \"auto\"; got inf",
        2,
    ),
    "--momentum 1.5": (
        {},
        ["train", "--data", "iris", "--momentum", "1.5"],
        "Invalid value for '--momentum': momentum must be a finite number in [0, 1); got 1.5",
        2,
    ),
    "--test-size 1": (
        {},
        ["train", "--data", "iris", "--test-size", "1"],
        "Invalid value for '--test-size': test_size must be a finite number in [0, 1); got 1.0",
        2,
    ),
    "--epochs 0": (
        {},
        ["train", "--data", "iris", "--epochs", "0"],
        "Invalid value for '--epochs': epochs must be an integer in [1, 1000000]; got 0",
        2,
    ),
    "--epochs ten": (
        {},
        ["train", "--data", "iris", "--epochs", "ten"],
        "Invalid value for '--epochs': epochs must be an integer in [1, 1000000]; got 'ten'",
        2,
    ),
    "--poly 0": (
        {},
        ["train", "--data", "iris", "--poly", "0"],
        "Invalid value for '--poly': poly must be an integer in [1, 20000]; got 0",
        2,
    ),
    "--seed -1": (
        {},
        ["train", "--data", "iris", "--seed", "-1"],
        "Invalid value for '--seed': seed must be an integer in [0, 4294967295]; got -1",
        2,
    ),
    "--seed 2**32": (
        {},
        ["train", "--data", "iris", "--seed", "4294967296"],
        "Invalid value for '--seed': seed must be an integer in [0, 4294967295]; got 4294967296",
        2,
    ),
    "--tol inf": (
        {},
        ["train", "--data", "iris", "--tol", "inf"],
        "Invalid value for '--tol': tol must be a finite number >= 0; got inf",
        2,
    ),
    "--out below a file": (
        {"notes.txt": "mine\n"},
        ["train", "--data", "iris", "--out", "notes.txt/run"],
        "cannot create the run folder 'notes.txt/run': 'notes.txt' is a file, not a folder",
        1,
    ),
    "features too large for float64": (
        {"huge.csv": "a,y\n1e160,0\n-1e160,1\n3,0\n4,1\n"},
        ["train", "--data", "huge.csv", "--no-standardize", "--test-size", "0"],
        "the loss is not finite at the initial weights: the features are too large for float64 "
        "arithmetic; standardize them (--standardize) or rescale them",
        1,
    ),
    "poly overflows": (
        {"big.csv": "a,y\n1e120,0\n-1e120,1\n3,0\n4,1\n"},
        ["train", "--data", "big.csv", "--poly", "3", "--test-size", "0"],
        "degree-3 polynomial features of these inputs overflow float64 (the largest input is "
        "1e+120); use a lower --poly or rescale",
        1,
    ),
    "a number written as a string in a config": (
        {"run.toml": 'data = "iris"\nepochs = "100"\n'},
        ["train", "run.toml"],
        "run.toml: epochs must be an integer in [1, 1000000]; got '100'",
        1,
    ),
    "--model foo": (
        {},
        ["train", "--data", "iris", "--model", "foo"],
        "Invalid value for '--model': model must be one of: auto, logistic, softmax, "
        "multilabel; got 'foo'",
        2,
    ),
    "--loss foo": (
        {},
        ["train", "--data", "iris", "--loss", "foo"],
        f"Invalid value for '--loss': loss must be one of: {', '.join(LOSS_NAMES)}; got 'foo'",
        2,
    ),
    "unknown option": (
        {},
        ["train", "--data", "iris", "--zzz"],
        "No such option '--zzz'.",
        2,
    ),
    "option without its value": (
        {},
        ["train", "--data"],
        "Option '--data' requires an argument.",
        2,
    ),
    "two config files": (
        {},
        ["train", "a.toml", "b.toml"],
        "Got unexpected extra argument (b.toml)",
        2,
    ),
    "unknown command": ({}, ["fit"], "No such command 'fit'.", 2),
    "missing config file": ({}, ["train", "nope.toml"], "config file not found: 'nope.toml'", 1),
    "config file is a folder": (
        {"sub/x.csv": PTS},
        ["train", "sub"],
        "Invalid value for '[CONFIG]': File 'sub' is a directory.",
        2,
    ),
    "invalid toml": (
        {"run.toml": "epochs = [\n"},
        ["train", "run.toml"],
        f"run.toml: not valid TOML: {_toml_error('epochs = [' + chr(10))}",
        1,
    ),
    "toml with a bare string": (
        {"run.toml": "data = iris\n"},
        ["train", "run.toml"],
        f"run.toml: not valid TOML: {_toml_error('data = iris' + chr(10))}",
        1,
    ),
    "unknown key": (
        {"run.toml": 'data = "iris"\nlearning_rate = 0.1\n'},
        ["train", "run.toml"],
        f"run.toml: unknown key 'learning_rate'; valid keys: {VALID_KEYS}",
        1,
    ),
    "a section": (
        {"run.toml": '[train]\ndata = "iris"\n'},
        ["train", "run.toml"],
        "run.toml: unknown key 'train' (sections are not used; put keys at the top level); "
        f"valid keys: {VALID_KEYS}",
        1,
    ),
    "key twice": (
        {"run.toml": 'data = "iris"\ntest-size = 0.5\ntest_size = 0.3\n'},
        ["train", "run.toml"],
        "run.toml: key 'test_size' is given twice",
        1,
    ),
    "epochs as text": (
        {"run.toml": 'data = "iris"\nepochs = "ten"\n'},
        ["train", "run.toml"],
        "run.toml: epochs must be an integer in [1, 1000000]; got 'ten'",
        1,
    ),
    "standardize as text": (
        {"run.toml": 'data = "iris"\nstandardize = "yes"\n'},
        ["train", "run.toml"],
        "run.toml: standardize must be true or false; got 'yes'",
        1,
    ),
    "negative lr": (
        {"run.toml": 'data = "iris"\nlr = -1\n'},
        ["train", "run.toml"],
        'run.toml: lr must be a number in (0, 1e6] or "auto"; got -1',
        1,
    ),
    "one plot feature in a config": (
        {"run.toml": 'data = "iris"\nplot_features = "a"\n'},
        ["train", "run.toml"],
        "run.toml: plot_features must name two different features, like \"a,b\"; got 'a'",
        1,
    ),
    "hyphenated key with a bad value": (
        {"run.toml": 'data = "iris"\ntest-size = 1.5\n'},
        ["train", "run.toml"],
        "run.toml: test_size must be a finite number in [0, 1); got 1.5",
        1,
    ),
    "unknown dataset in a config": (
        {"run.toml": 'data = "irises"\n'},
        ["train", "run.toml"],
        f"unknown dataset 'irises'; use a CSV path or one of: {ALL_DATASETS}",
        1,
    ),
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", list(USER_ERRORS))
def test_user_error(workdir, case):
    files, args, message, exit_code = USER_ERRORS[case]
    for name, text in files.items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text(text, encoding="utf-8")
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    result = invoke(*args)
    assert_error(result, message, exit_code)
    # a failed command creates nothing: no run folder, no runs/
    assert sorted(p.relative_to(workdir) for p in workdir.rglob("*")) == before


def test_a_data_error_is_the_only_thing_printed(workdir):
    """The progress bar opens at the first epoch, so a mistake in the data prints alone."""
    result = invoke("train", "--data", "nope")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: unknown dataset 'nope'; use a CSV path or one of: {ALL_DATASETS}\n"
    )


def test_out_pointing_at_a_non_empty_folder_leaves_it_untouched(workdir):
    folder = workdir / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / "sub").mkdir()
    result = invoke("train", "--data", "line", "--out", "results")
    assert_error(
        result,
        "the run folder 'results' already exists and is not empty; choose a new --out or remove it",
    )
    assert entries(folder) == ["notes.txt", "sub"]
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert entries(folder / "sub") == []
    assert entries(workdir) == ["results"]


def test_out_pointing_at_a_file_leaves_it_untouched(workdir):
    (workdir / "model.txt").write_text("mine", encoding="utf-8")
    result = invoke("train", "--data", "line", "--out", "model.txt")
    assert_error(
        result,
        "the run folder 'model.txt' already exists as a file; choose a new --out or remove it",
    )
    assert (workdir / "model.txt").read_text(encoding="utf-8") == "mine"
    assert entries(workdir) == ["model.txt"]


def test_out_pointing_at_an_empty_file_is_not_called_non_empty(workdir):
    (workdir / "empty").write_text("", encoding="utf-8")
    result = invoke("train", "--data", "line", "--out", "empty")
    assert result.exit_code == 1
    assert "non-empty" not in result.stderr


def test_the_out_check_happens_before_training(workdir, monkeypatch):
    (workdir / "taken").mkdir()
    (workdir / "taken" / "x").write_text("", encoding="utf-8")

    def no_training(*args, **kwargs):
        raise AssertionError("train() was called")

    monkeypatch.setattr(cetrain.runs.train, "train", no_training)
    result = invoke("train", "--data", "line", "--out", "taken")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the run folder 'taken' already exists")


def test_out_pointing_at_an_empty_folder_fills_it(workdir):
    (workdir / "empty").mkdir()
    result = invoke("train", "--data", "line", "--test-size", "0", "--out", "empty", "--quiet")
    assert_ok(result)
    assert result.stdout == "empty\n"
    assert entries(workdir / "empty") == run_files(workdir / "empty")
    assert entries(workdir) == ["empty"]


def test_a_failed_write_is_an_error_and_leaves_nothing(workdir, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "decision_boundary", disk_full)
    result = invoke("train", "--data", "line", "--test-size", "0", "--out", "run", "--quiet")
    assert_error(result, "cannot write the run folder 'run': disk full")
    assert entries(workdir) == []


def test_a_failed_write_keeps_an_existing_empty_folder(workdir, monkeypatch):
    (workdir / "run").mkdir()

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "decision_boundary", disk_full)
    result = invoke("train", "--data", "line", "--test-size", "0", "--out", "run", "--quiet")
    assert_error(result, "cannot write the run folder 'run': disk full")
    assert entries(workdir) == ["run"]
    assert entries(workdir / "run") == []


def test_a_failed_write_to_the_default_folder_leaves_no_run_folder(workdir, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "loss_curve", disk_full)
    result = invoke("train", "--data", "line", "--test-size", "0", "--quiet")
    assert result.exit_code == 1
    assert re.fullmatch(
        r"Error: cannot write the run folder 'runs/\d{8}-\d{6}-line-logistic': disk full\n",
        result.stderr,
    )
    # at most the empty parent runs/ is left: no run folder and no hidden staging folder
    assert [p for p in workdir.rglob("*") if p.name != "runs"] == []


# --------------------------------------------------------------------------- settings precedence


def test_command_line_beats_config_file_beats_defaults(workdir):
    (workdir / "run.toml").write_text(
        'data = "moons"\nn-samples = 60\nepochs = 5\ntol = 0\nl2 = 0.5\n', encoding="utf-8"
    )
    result = invoke("train", "run.toml", "--epochs", "7", "--out", "out", "--quiet")
    assert result.exit_code == 0
    metrics = read_json(workdir / "out" / "metrics.json")
    assert metrics["epochs"] == 7
    assert metrics["status"] == "max_iter"
    assert len(read_history(workdir / "out")) == 8
    config = read_toml(workdir / "out" / "config.toml")
    assert config["epochs"] == 7  # command line
    assert config["l2"] == 0.5  # config file
    assert config["tol"] == 0.0  # config file
    assert config["momentum"] == 0.99  # default
    assert config["n_samples"] == 60  # hyphenated key in the file


def test_command_line_data_replaces_the_config_data(workdir):
    (workdir / "run.toml").write_text('data = "iris"\ntest_size = 0\n', encoding="utf-8")
    result = invoke("train", "run.toml", "--data", "line", "--out", "out", "--quiet")
    assert_ok(result)
    config = read_toml(workdir / "out" / "config.toml")
    assert config["data"] == "line"
    assert config["test_size"] == 0.0
    assert read_json(workdir / "out" / "metrics.json")["n_train"] == 10


def test_hyphenated_key_is_accepted(workdir):
    (workdir / "run.toml").write_text('data = "line"\ntest-size = 0\n', encoding="utf-8")
    result = invoke("train", "run.toml", "--out", "out", "--quiet")
    assert_ok(result)
    assert read_toml(workdir / "out" / "config.toml")["test_size"] == 0.0
    assert read_json(workdir / "out" / "metrics.json")["test"] is None


def test_relative_csv_path_in_a_config_is_read_beside_the_config(workdir):
    folder = workdir / "experiment"
    folder.mkdir()
    (folder / "pts.csv").write_text(PTS, encoding="utf-8")
    (folder / "run.toml").write_text('data = "pts.csv"\ntest_size = 0\n', encoding="utf-8")
    result = invoke("train", "experiment/run.toml", "--out", "out", "--quiet")
    assert_ok(result)
    config = read_toml(workdir / "out" / "config.toml")
    assert config["data"] == str((folder / "pts.csv").resolve())
    assert config["target"] == "label"
    assert read_json(workdir / "out" / "metrics.json")["n_train"] == 6
    # the same relative path on the command line is read from the working folder
    assert_error(invoke("train", "--data", "pts.csv"), "no such file: 'pts.csv'")


def test_config_can_set_out_and_quiet(workdir):
    (workdir / "run.toml").write_text(
        'data = "line"\ntest_size = 0\nout = "from-config"\nquiet = true\n', encoding="utf-8"
    )
    result = invoke("train", "run.toml")
    assert_ok(result)
    assert result.stdout == "from-config\n"
    assert entries(workdir / "from-config") == run_files(workdir / "from-config")
    assert "out" not in read_toml(workdir / "from-config" / "config.toml")


# --------------------------------------------------------------------------- output


def test_quiet_prints_only_the_run_folder(workdir):
    result = invoke("train", "--data", "line", "--test-size", "0", "--out", "run", "--quiet")
    assert_ok(result)
    assert result.stdout == "run\n"
    assert result.stderr == ""


def test_quiet_still_notes_dropped_rows_on_stderr(workdir):
    (workdir / "gaps.csv").write_text(PTS + "NA,a,no\n5,?,yes\n", encoding="utf-8")
    result = invoke("train", "--data", "gaps.csv", "--test-size", "0", "--out", "run", "--quiet")
    assert_ok(result)
    assert result.stdout == "run\n"
    assert result.stderr == "Dropped 2 rows with missing values.\n"
    assert read_json(workdir / "run" / "metrics.json")["rows_dropped"] == 2


def test_default_out_folder_is_runs_time_dataset_model(workdir):
    result = invoke("train", "--data", "line", "--test-size", "0", "--quiet")
    assert_ok(result)
    assert re.fullmatch(r"runs/\d{8}-\d{6}-line-logistic\n", result.stdout)
    folder = workdir / result.stdout.strip()
    assert entries(folder) == run_files(folder)
    assert entries(workdir) == ["runs"]


def test_default_out_folder_of_a_csv_uses_its_stem(workdir):
    (workdir / "pts.csv").write_text(PTS, encoding="utf-8")
    result = invoke(
        "train", "--data", "pts.csv", "--test-size", "0", "--model", "softmax", "--quiet"
    )
    assert_ok(result)
    assert re.fullmatch(r"runs/\d{8}-\d{6}-pts-softmax\n", result.stdout)


def test_convergence_warning_is_one_line_on_stderr_and_the_run_is_written(workdir):
    result = invoke(
        "train", "--data", "moons", "--n-samples", "60", "--epochs", "3", "--out", "run"
    )
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "Warning: training reached the epoch limit --epochs 3 with the gradient norm "
    )
    assert warnings[0].endswith(
        " still above --tol 1e-06; raise --epochs, raise --l2 if the classes are separable, or "
        "raise --tol"
    )
    assert "Warning" not in result.stdout
    assert "stopped at --epochs after 3 epochs" in result.stdout
    assert entries(workdir / "run") == run_files(workdir / "run")
    metrics = read_json(workdir / "run" / "metrics.json")
    assert metrics["status"] == "max_iter"
    assert metrics["converged"] is False
    assert metrics["epochs"] == 3
    assert len(read_history(workdir / "run")) == 4


def test_convergence_warning_is_printed_with_quiet_too(workdir):
    # 80 rows: a test split of 20, too many for the note of a small one
    result = invoke(
        "train", "--data", "moons", "--n-samples", "80", "--epochs", "3", "--out", "run", "--quiet"
    )
    assert result.exit_code == 0
    assert result.stdout == "run\n"
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Warning: training reached the epoch limit --epochs 3 ")


# --------------------------------------------------------------------------- datasets, help


def test_datasets_lists_every_dataset():
    result = invoke("datasets")
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "kind", "rows", "features", "classes", "description"]
    table = {}
    for line in lines[1:]:
        name, kind, rows, features, classes, _description = re.split(r"\s{2,}", line, maxsplit=5)
        table[name] = (kind, int(rows), int(features), int(classes))
    builtin = ["iris", "wine", "breast_cancer", "digits"]
    generated = ["moons", "circles", "blobs", "xor", "spiral", "linear"]
    csvs = sorted(path.stem for path in DATASETS_DIR.glob("*.csv"))
    assert sorted(table) == sorted(builtin + generated + csvs)
    assert {table[name][0] for name in builtin} == {"sklearn"}
    assert {table[name][0] for name in generated} == {"generator"}
    assert {table[name][0] for name in csvs} == {"csv"}
    assert table["iris"] == ("sklearn", 150, 4, 3)
    assert table["line"] == ("csv", 10, 1, 2)
    assert table["exam"] == ("csv", 20, 1, 2)
    assert table["moons"] == ("generator", 200, 2, 2)
    assert table["digits"] == ("sklearn", 1797, 64, 10)


TRAIN_OPTIONS = [
    "--data",
    "--target",
    "--features",
    "--model",
    "--loss",
    "--lr",
    "--epochs",
    "--tol",
    "--l2",
    "--momentum",
    "--standardize / --no-standardize",
    "--poly",
    "--test-size",
    "--seed",
    "--out",
    "--quiet",
    "--plot-features",
    "--n-samples",
    "--noise",
]


@pytest.mark.parametrize("command", [[], ["train"], ["datasets"]])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_has_examples(command, flag):
    result = invoke(*command, flag)
    assert_ok(result)
    assert "Examples:" in result.stdout
    assert result.stdout.startswith(f"Usage: cli {' '.join(command)}".rstrip() + " [OPTIONS]")


def test_train_help_lists_every_option():
    help_text = invoke("train", "--help").stdout
    for option in TRAIN_OPTIONS:
        assert re.search(rf"^  {re.escape(option)}\b", help_text, re.MULTILINE), option
    assert "cetrain train --data iris" in help_text


def test_top_level_help_lists_the_commands():
    help_text = invoke("--help").stdout
    assert re.search(r"^  datasets ", help_text, re.MULTILINE)
    assert re.search(r"^  train ", help_text, re.MULTILINE)


def test_python_dash_m_cetrain_help(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "cetrain", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Usage: cetrain [OPTIONS] COMMAND [ARGS]...")
    assert "Examples:" in completed.stdout
    assert completed.stderr == ""


def test_version():
    result = invoke("--version")
    assert_ok(result)
    assert result.stdout == "cetrain, version 0.1.0\n"


# --------------------------------------------------------------------------- notes, progress bar


@pytest.mark.usefixtures("no_diagnostic_figures")
def test_a_note_is_one_line_on_stderr_and_kept_in_the_metrics(workdir):
    result = invoke("train", "--data", "line", "--out", "run")
    assert_ok(result)
    note = (
        "Note: the test split is small (3 rows, 1 row of class red): test accuracy 1.00 is 3 of "
        "3, and a 95% interval for it is 0.44 to 1.00 (Wilson); a larger --test-size or more "
        "data narrows it"
    )
    assert result.stderr == note + "\n"
    assert "Note" not in result.stdout
    assert read_json(workdir / "run" / "metrics.json")["notes"] == [note.removeprefix("Note: ")]
    quiet = invoke("train", "--data", "line", "--out", "quiet", "--quiet")
    assert (quiet.stdout, quiet.stderr) == ("quiet\n", note + "\n")


@pytest.mark.usefixtures("no_diagnostic_figures")
def test_compare_prints_a_note_every_run_earned_once_and_names_the_others(workdir):
    shared = invoke("compare", "--data", "line", "--out", "shared")
    assert_ok(shared)
    assert shared.stderr.splitlines() == [
        "Note: the test split is small (3 rows, 1 row of class red): test accuracy 1.00 is 3 of "
        "3, and a 95% interval for it is 0.44 to 1.00 (Wilson); a larger --test-size or more "
        "data narrows it"
    ]
    named = invoke("compare", "--data", "circles", "--out", "named")
    assert_ok(named)
    assert named.stderr.splitlines() == [
        f"Note: {loss}: a straight boundary cannot separate 'circles': training accuracy "
        f"{accuracy}, test 0.40, closer to the 0.50 of always guessing the largest class than "
        "to 1; polynomial features bend it: try --poly 2"
        for loss, accuracy in (("cross-entropy", "0.54"), ("mse", "0.55"))
    ]


@pytest.mark.usefixtures("no_diagnostic_figures")
def test_no_progress_bar_fragments_when_the_output_is_not_a_terminal(workdir):
    # CliRunner's streams are not terminals, as a pipe or a notebook's `!cetrain` is not
    train = invoke("train", "--data", "moons", "--n-samples", "80", "--out", "train")
    assert_ok(train)
    assert train.stderr == ""
    assert train.stdout.startswith("Logistic regression on moons: 60 train / 20 test rows")
    compare = invoke("compare", "--data", "moons", "--n-samples", "80", "--out", "compare")
    assert_ok(compare)
    assert compare.stderr == ""
    assert compare.stdout.startswith("Logistic regression on moons: 60 train / 20 test rows")


@pytest.mark.usefixtures("no_diagnostic_figures")
def test_the_progress_bar_draws_on_a_terminal(workdir, monkeypatch):
    import click.testing

    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    train = invoke("train", "--data", "moons", "--n-samples", "80", "--out", "train")
    assert_ok(train)
    assert train.stderr.startswith("\rTraining")
    assert "\rTraining  [####################################]  100%  done" in train.stderr
    compare = invoke("compare", "--data", "moons", "--n-samples", "80", "--out", "compare")
    assert_ok(compare)
    drawn = compare.stderr.split("\n")
    assert len(drawn) == 3 and drawn[2] == ""
    assert drawn[0].startswith("\rcross-entropy") and "100%  done" in drawn[0]
    assert drawn[1].startswith("\rmse") and "100%  done" in drawn[1]
    # --quiet draws nothing, even on a terminal
    quiet = invoke("train", "--data", "moons", "--n-samples", "80", "--out", "quiet", "--quiet")
    assert quiet.stderr == ""
