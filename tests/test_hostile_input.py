"""Hostile input, one family per section (issue 11): each test asserts the exact `Error:` line or
the exact outcome a student gets when they feed cetrain a broken file, an impossible option or
an interrupt. The fuzzing that generalises these families lives beside each layer's tests.
"""

import json
import os
import pickle
import re
import signal
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_error, invoke, run_files

from cetrain.cli.base import ProgressBar, fixed
from cetrain.data import preprocess
from cetrain.runs import folder as run_folder

# --- Interrupting: Ctrl-C and SIGTERM before, during and after training ----------------------


def test_ctrl_c_during_training_writes_the_epochs_trained(tmp_path, monkeypatch):
    """Ctrl-C at epoch 5 (sent by the progress callback): training stops at the end of that
    epoch and the run folder holds those 6 epochs (0..5), said honestly; exit code 130.
    (Real processes and SIGTERM: tests/cli/test_interrupts.py.)"""

    def progress(bar):
        def on_epoch(epoch, loss, grad_norm):
            if epoch == 5:
                os.kill(os.getpid(), signal.SIGINT)

        return on_epoch

    monkeypatch.setattr(ProgressBar, "__enter__", progress)
    out = tmp_path / "run"
    result = invoke("train", "--data", "line", "--epochs", "1000", "--tol", "0", "--out", out)
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == f"Interrupted at epoch 5 of 1000: wrote {out}\n"
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["status"], metrics["epochs"], metrics["converged"]) == ("interrupted", 5, False)
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert model["training"]["status"] == "interrupted"
    assert len((out / "history.csv").read_text(encoding="utf-8").splitlines()) == 1 + 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging folder left


# --- Concurrent runs: runs started together never collide ------------------------------------


def test_a_run_reserves_its_folder_when_training_starts(tmp_path, monkeypatch):
    """Two runs starting in the same second: the first takes the default name before its
    first epoch, so the other (reserving while the first trains) gets -2, and neither loses
    its folder when they end."""

    class FixedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 5, 6, 7, 8, 9)

    monkeypatch.setattr(run_folder, "datetime", FixedDatetime)
    monkeypatch.chdir(tmp_path)
    other = []

    def progress(bar):
        def on_epoch(epoch, loss, grad_norm):
            if epoch == 0:  # another run starts now
                other.append(run_folder.reserve_run_dir("line", "logistic"))

        return on_epoch

    monkeypatch.setattr(ProgressBar, "__enter__", progress)
    result = invoke("train", "--data", "line", "--epochs", "20", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == "runs/20240506-070809-line-logistic\n"
    assert [str(path) for path in other] == ["runs/20240506-070809-line-logistic-2"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "20240506-070809-line-logistic",
        "20240506-070809-line-logistic-2",
    ]


def test_a_second_run_with_the_same_out_is_refused_before_it_trains(tmp_path, monkeypatch):
    """Two runs with the same --out, an empty folder that already exists: the second one,
    started while the first trains, gets one Error line; the first writes its folder, complete
    and without its marker."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "same").mkdir()
    args = ("train", "--data", "line", "--epochs", "20", "--out", "same", "--quiet")
    second = []

    def progress(bar):
        def on_epoch(epoch, loss, grad_norm):
            if epoch == 0:  # another run starts now
                second.append(invoke(*args))

        return on_epoch

    monkeypatch.setattr(ProgressBar, "__enter__", progress)
    first = invoke(*args)
    assert_error(
        second[0],
        f"the run folder 'same' is being written by another cetrain run (process {os.getpid()}); "
        "choose another --out",
    )
    assert first.exit_code == 0, first.output
    assert first.stdout == "same\n"
    assert sorted(path.name for path in (tmp_path / "same").iterdir()) == sorted(
        run_files(tmp_path / "same")
    )


# --- Values at the edges of float64: loss options, class weights, extreme CSV values ---------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                *("train", "--data", "moons", "--loss", "symmetric-cross-entropy"),
                *("--sce-alpha", "1e300", "--sce-beta", "1e300"),
            ],
            "Invalid value for '--sce-alpha': sce_alpha must be a finite number in [0, 1000]; "
            "got 1e+300",
        ),
        (
            ["loss", "--target", "0", "--probs", "0.5,0.5", "--sce-beta", "1e300"],
            "Invalid value for '--sce-beta': sce_beta must be a finite number in [0, 1000]; "
            "got 1e+300",
        ),
        (
            ["train", "--data", "moons", "--loss", "focal", "--focal-gamma", "1e300"],
            "Invalid value for '--focal-gamma': focal_gamma must be a finite number in [0, 100]; "
            "got 1e+300",
        ),
        (
            ["train", "--data", "moons", "--class-weight", "0=1e308,1=1e308"],
            "Invalid value for '--class-weight': class_weight must be \"balanced\" or "
            "class=weight pairs with weights in [0, 1e6], like \"a=2,b=1\"; got '0=1e308,1=1e308'",
        ),
        (
            ["train", "--data", "moons", "--lr", "1e308"],
            "Invalid value for '--lr': lr must be a number in (0, 1e6] or \"auto\"; got 1e+308",
        ),
    ],
)
def test_option_values_beyond_float64_are_refused_naming_the_option(tmp_path, args, message):
    assert_error(
        invoke(*args, "--out", tmp_path / "run") if args[0] == "train" else invoke(*args),
        message,
        exit_code=2,
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["train", "loss"])
def test_loss_weights_too_small_for_a_step_are_refused_before_anything_runs(tmp_path, command):
    args = {
        "train": ["--data", "moons", "--loss", "symmetric-cross-entropy", "--out", tmp_path],
        "loss": ["--target", "0", "--probs", "0.5,0.5"],
    }[command]
    result = invoke(command, *args, "--sce-alpha", "1e-320", "--sce-beta", "0")
    assert_error(
        result,
        "alpha and beta must not both be below 1e-12 (they scale the loss, and 1 / its curvature "
        "is the step); got alpha 9.99989e-321, beta 0",
    )
    assert list(tmp_path.iterdir()) == []


def test_loss_option_values_beyond_float64_in_a_config_name_the_key(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('data = "moons"\nloss = "focal"\nfocal_gamma = 1e300\n', encoding="utf-8")
    assert_error(
        invoke("train", config, "--out", tmp_path / "run"),
        f"{config}: focal_gamma must be a finite number in [0, 100]; got 1e+300",
    )
    assert not (tmp_path / "run").exists()


def _edge_csv(tmp_path, values):
    path = tmp_path / "edge.csv"
    rows = "".join(f"{v},{i % 2}\n" for i, v in enumerate(values))
    path.write_text("size,label\n" + rows, encoding="utf-8")
    return path


def test_a_csv_with_values_near_plus_minus_1e308_is_refused_naming_the_feature(tmp_path):
    path = _edge_csv(tmp_path, ["1.7e308", "-1.7e308", "1e308", "-1e308", "0", "1", "2", "3"])
    args = ["--epochs", "5", "--test-size", "0", "--out", tmp_path / "run"]
    result = invoke("train", "--data", path, *args)
    assert_error(
        result,
        "feature 'size' spreads over more than 4e+292 (from -1.7e+308 to 1.7e+308), beyond what "
        "float64 arithmetic can work with; rescale it (divide by a power of ten) or leave it "
        "out with --features",
    )
    assert not (tmp_path / "run").exists()


def test_a_csv_whose_values_are_all_near_1e_308_is_refused_not_trained_as_constant(tmp_path):
    values = ["1e-308", "-2e-308", "1.5e-308", "3e-309", "-1e-308", "2e-308", "0", "5e-324"]
    path = _edge_csv(tmp_path, values)
    for standardize in ("--standardize", "--no-standardize"):
        result = invoke(
            "train", "--data", path, "--epochs", "5", standardize, "--out", tmp_path / "run"
        )
        assert_error(
            result,
            "feature 'size' varies by less than 1e-292 (from -2e-308 to 2e-308), beyond what "
            "float64 arithmetic can work with; rescale it (multiply by a power of ten) or "
            "leave it out with --features",
        )


# --- Numbers that are not plain numbers: thousands separators, decimal commas ----------------
INCOMES = ["1,011", "12,500", "3,400", "980", "2,250", "45,000", "7,700", "1,234,567"]


def _incomes_csv(tmp_path):
    path = tmp_path / "incomes.csv"
    rows = "".join(f'"{v}",{i % 2}\n' for i, v in enumerate(INCOMES))
    path.write_text("income,label\n" + rows, encoding="utf-8")
    return path


def test_thousands_separators_are_refused_naming_the_option(tmp_path):
    path = _incomes_csv(tmp_path)
    result = invoke("train", "--data", path, "--epochs", "5", "--out", tmp_path / "run")
    assert_error(
        result,
        f"'{path}': column 'income' holds numbers with thousands separators ('1,011' on line 2), "
        "which would be read as text; pass --thousands , to read them as numbers, or leave the "
        "column out with --features",
    )


@pytest.mark.usefixtures("no_diagnostic_figures")
def test_thousands_separators_are_read_as_numbers_with_the_option(tmp_path):
    path = _incomes_csv(tmp_path)
    out = tmp_path / "run"
    result = invoke("train", "--data", path, "--thousands", ",", "--epochs", "5", "--out", out)
    assert result.exit_code == 0, result.output
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert model["feature_names"] == ["income"]  # one number, not one category per value
    assert 'thousands = ","' in (out / "config.toml").read_text(encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text(
        "income\n" + "".join(f"{v.replace(',', '')}\n" for v in INCOMES), encoding="utf-8"
    )
    read = invoke("predict", out / "model.json", path, "--thousands", ",")
    assert read.exit_code == 0, read.output
    assert read.stdout == invoke("predict", out / "model.json", plain).stdout
    refused = invoke("predict", out / "model.json", path)
    assert_error(
        refused,
        f"'{path}', line 2: column 'income' holds '1,011', not a finite number (--thousands , "
        "reads it as one); the model was trained on numbers in this column",
    )


@pytest.mark.usefixtures("no_diagnostic_figures")
def test_decimal_commas_in_a_semicolon_file_are_refused_or_read_with_the_option(tmp_path):
    path = tmp_path / "heights.csv"
    heights = ["171,3", "168,7", "176,4", "159,0", "181,25", "165,5", "170", "174,8"]
    rows = "".join(f"{h};{i % 2}\n" for i, h in enumerate(heights))
    path.write_text("height;label\n" + rows, encoding="utf-8")
    refused = invoke("train", "--data", path, "--epochs", "5", "--out", tmp_path / "a")
    assert_error(
        refused,
        f"'{path}': column 'height' holds numbers with a decimal comma ('171,3' on line 2), "
        "which would be read as text; pass --decimal , to read them as numbers, or leave the "
        "column out with --features",
    )
    out = tmp_path / "b"
    result = invoke("train", "--data", path, "--decimal", ",", "--epochs", "5", "--out", out)
    assert result.exit_code == 0, result.output
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert model["feature_names"] == ["height"]


# --- Sizes: epochs, generated rows, polynomial expansions, demo starts, long names -----------


def test_epochs_beyond_the_cap_are_refused_before_training(tmp_path):
    assert_error(
        invoke(
            "train", "--data", "moons", "--epochs", "1e30", "--animate", "--out", tmp_path / "a"
        ),
        "Invalid value for '--epochs': epochs must be an integer in [1, 1000000]; got '1e30'",
        exit_code=2,
    )
    config = tmp_path / "run.toml"
    config.write_text(f'data = "moons"\nepochs = {10**30}\nanimate = true\n', encoding="utf-8")
    assert_error(
        invoke("train", config, "--out", tmp_path / "b"),
        f"{config}: epochs must be an integer in [1, 1000000]; got {10**30}",
    )


def test_a_polynomial_expansion_too_large_for_memory_is_refused_with_the_estimate(
    tmp_path, monkeypatch
):
    # a fixed limit, so that the line is the same on every machine
    monkeypatch.setattr(
        preprocess, "memory_limit", lambda: (6 * 2**30, "a quarter of this machine's memory")
    )
    result = invoke(
        "train", "--data", "moons", "--n-samples", "1000000", "--poly", "198", "--out", tmp_path
    )
    assert_error(
        result,
        "poly degree 198 on 2 features makes 19899 columns: 1000000 rows would need 148 GiB, "
        "more than the 6 GiB limit (a quarter of this machine's memory); use a lower --poly, "
        "fewer --features or fewer rows",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "landscape",
            "--start 1e+308,1e+308 puts the scores w*x + b at up to inf on line; the figure can "
            "show starts whose scores stay within ±1000 (the default start is 4.93,-0.803)",
        ),
        (
            "saturation",
            "--start 1e+308,1e+308 is too far out: w and b must each be in [-1000, 1000] (the "
            "output sigma(w + b) is 0 or 1 to float64 beyond w + b = ±37)",
        ),
    ],
)
def test_demo_starts_beyond_what_the_figure_can_draw_are_refused(tmp_path, command, message):
    result = invoke(command, "--start", "1e308,1e308", "--epochs", "5", "--out", tmp_path / "d")
    assert_error(result, message)
    assert not (tmp_path / "d").exists()


# --- Config files: nesting, NUL bytes, wrong types -------------------------------------------


def test_a_deeply_nested_config_value_is_a_config_error(tmp_path):
    config = tmp_path / "deep.toml"
    config.write_text('data = "moons"\nepochs = ' + "[" * 5000 + "]" * 5000 + "\n")
    assert_error(
        invoke("train", config, "--out", tmp_path / "run"),
        f"{config}: not valid TOML for cetrain: arrays or tables nested too deeply (settings are "
        "numbers, strings, lists of names and class=weight tables)",
    )


@pytest.mark.parametrize("key", ["out", "data"])
def test_a_nul_byte_in_a_path_is_refused_before_training(tmp_path, key):
    values = {"data": '"moons"', "out": f'"{tmp_path / "run"}"', key: '"a\\u0000b"'}
    config = tmp_path / "run.toml"
    config.write_text("".join(f"{k} = {v}\n" for k, v in values.items()), encoding="utf-8")
    assert_error(
        invoke("train", config),
        f"{config}: {key} must be a path without NUL bytes; got 'a\\x00b'",
    )
    option = {"data": ["--data", "a\0b", "--out", tmp_path / "run"], "out": ["--out", "a\0b"]}
    assert_error(
        invoke("train", "--data", "moons", *option[key]),
        f"Invalid value for '--{key}': {key} must be a path without NUL bytes; got 'a\\x00b'",
        exit_code=2,
    )
    assert not (tmp_path / "run").exists()


# --- Model files: nesting, non-finite numbers, wrong types, sizes, unknown names -------------

MODEL_FILE = Path(__file__).parent / "fixtures" / "models" / "species-categorical.json"
NEW_BIRDS = Path(__file__).parents[1] / "docs" / "examples" / "new_birds.csv"


def _edited_model(path: str, value) -> str:
    """The species model.json (a softmax on 6 features, classes finch, sparrow, warbler) as
    JSON text, with the field at a dotted path set to value; a value of the form "<<TEXT>>" is
    written as the raw JSON TEXT."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    *parents, last = [int(key) if key.isdigit() else key for key in path.split(".")]
    holder = data
    for key in parents:
        holder = holder[key]
    holder[last] = value
    return re.sub(r'"<<(.*?)>>"', lambda m: m[1], json.dumps(data))


MODEL_FILE_CASES = {
    "nested past Python's limit": (
        "coef",
        "<<" + "[" * 100_000 + "]" * 100_000 + ">>",
        "{model} nests JSON lists and objects more than 16 levels deep; a model file is not "
        "nested that deeply",
    ),
    "nested 20 deep": (
        "coef",
        "<<" + "[" * 20 + "]" * 20 + ">>",
        "{model}: field 'coef' nests lists and objects more than 16 levels deep; a model file "
        "is not nested that deeply",
    ),
    "NaN coefficient": (
        "coef.2.0",
        "<<NaN>>",
        "{model}: field 'coef[2][0]' must be a finite number; got NaN",
    ),
    "infinite intercept": (
        "intercept.1",
        "<<Infinity>>",
        "{model}: field 'intercept[1]' must be a finite number; got Infinity",
    ),
    "huge integer": (
        "training.epochs",
        "<<" + "9" * 5000 + ">>",
        "{model}: field 'training.epochs' must be an integer in [0, 1000000]; "
        "got a 5000-digit integer",
    ),
    "huge coefficient": (
        "coef.0.0",
        "<<1e308>>",
        "{model}: field 'coef[0]' and intercept[0] are too large to score in float64: inputs "
        "near the training data would score up to inf, more than 1e+300",
    ),
    "object for a list": (
        "coef",
        {"finch": [1.0]},
        "{model}: field 'coef' must be a list; got an object",
    ),
    "number for a feature name": (
        "feature_names.1",
        3,
        "{model}: field 'feature_names[1]' must be a non-empty string; got 3",
    ),
    "poly degree 10^9": (
        "preprocessing.poly.degree",
        10**9,
        "{model}: field 'preprocessing.poly.degree' must be an integer in [1, 20000]; "
        "got 1000000000",
    ),
    "repeated class": (
        "classes.2",
        "finch",
        "{model}: field 'classes[2]' repeats 'finch' of classes[0]; entries must differ",
    ),
    "unknown loss": (
        "loss",
        "cross_entropy",
        "{model}: field 'loss' must be one of: cross-entropy, mse, focal, hinge, "
        "symmetric-cross-entropy; got 'cross_entropy'",
    ),
    "negative learning rate": (
        "hyperparameters.learning_rate",
        -0.5,
        "{model}: field 'hyperparameters.learning_rate' must be a number in (0, 1e6] or "
        '"auto"; got -0.5',
    ),
    "newer version": (
        "version",
        2,
        "{model} has model file version 2 (a newer cetrain wrote it); this cetrain reads version 1",
    ),
}


@pytest.mark.parametrize("command", ["predict", "evaluate"])
@pytest.mark.parametrize(
    ("path", "value", "message"), MODEL_FILE_CASES.values(), ids=MODEL_FILE_CASES.keys()
)
def test_a_broken_model_file_is_one_error_line_naming_the_field(
    tmp_path, command, path, value, message
):
    model = tmp_path / "model.json"
    model.write_text(_edited_model(path, value), encoding="utf-8")
    result = invoke(
        command, model, NEW_BIRDS, *(["--out", tmp_path / "out"] * (command == "evaluate"))
    )
    assert_error(result, message.format(model=f"'{model}'"))
    assert not (tmp_path / "out").exists()


# --- Output: tables, advice, library warnings, symlinked and read-only folders ---------------


def test_a_diverged_run_prints_its_table_in_columns(tmp_path):
    # the largest step --lr takes blows the loss up in one epoch: a log loss in the tens of
    # thousands, which ran into its neighbours before
    result = invoke(
        "train", "--data", "moons", "--lr", "1e6", "--momentum", "0", "--out", tmp_path / "run"
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["status"] == "diverged"
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["accuracy", "log"])
    table = lines[header + 1 : header + 3]
    for line, split in zip(table, ("train", "test"), strict=True):
        values = metrics[split]
        assert line.split() == [
            split,
            fixed(values["accuracy"]),
            fixed(values["log_loss"]),
            fixed(values["balanced_accuracy"]),
        ]
        assert len(fixed(values["log_loss"])) <= 10
    # the advice names the command line's options, and not standardisation, which is on
    assert result.stderr.splitlines()[0] == (
        "Warning: training diverged with the step --lr 1e+06: the loss grew instead of "
        "falling; use a smaller --lr (e.g. --lr 100000) or --lr auto"
    )


def test_class_names_no_font_has_are_named_once_and_no_raw_warning(tmp_path):
    from cetrain.plots.style import _installed_fonts

    names = ["中文", "عربي", "🙂"]
    rows = [
        f"{k * 2 + (i % 5) / 5},{(i % 7) / 7 - k},{names[k]}" for i in range(30) for k in (0, 1, 2)
    ]
    data = tmp_path / "scripts.csv"
    data.write_text("x1,x2,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("train", "--data", data, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    for raw in ("UserWarning", "RuntimeWarning", "Glyph", "missing from"):
        assert raw not in result.stderr
    drawable = set().union(*(charmap for _, charmap in _installed_fonts()))
    undrawable = [name for name in names if any(ord(c) not in drawable for c in name)]
    expected = (
        [
            "Warning: no installed font can draw some characters of "
            + ", ".join(repr(name) for name in undrawable)
            + ": the figures show them as boxes; installing a font that has them (such as "
            "Noto Sans CJK or Noto Color Emoji) draws them"
        ]
        if undrawable
        else []
    )
    assert [line for line in result.stderr.splitlines() if line.startswith("Warning")] == expected


@pytest.mark.parametrize(
    ("prepare", "out", "message"),
    [
        (
            lambda tmp: os.symlink("empty", tmp / "link"),
            "link",
            "the run folder 'link' is a symbolic link to 'empty'; "
            "give a folder that is not a link as --out",
        ),
        (
            lambda tmp: os.symlink("nowhere", tmp / "dangling"),
            "dangling",
            "the run folder 'dangling' is a symbolic link to 'nowhere', which does not exist; "
            "give a folder that is not a link as --out",
        ),
        (
            lambda tmp: (tmp / "locked").mkdir(mode=0o555),
            "locked",
            "the run folder 'locked' is not writable; make it writable (chmod u+w) "
            "or choose a new --out",
        ),
        (
            lambda tmp: None,
            "n" * 300,
            f"the name '{'n' * 20}...{'n' * 10}' in --out is 300 bytes long; "
            "the file system allows at most 255: choose a shorter --out",
        ),
        (
            lambda tmp: (tmp / "nul.toml").write_text(
                'data = "line"\nout = "a\\u0000b"\n', encoding="utf-8"
            ),
            None,
            "nul.toml: out must be a path without NUL bytes; got 'a\\x00b'",
        ),
    ],
    ids=["link-to-empty-folder", "dangling-link", "read-only-folder", "name-too-long", "nul"],
)
def test_an_unusable_out_is_refused_before_anything_runs(
    tmp_path, monkeypatch, prepare, out, message
):
    """A --out that would fail only after training (a link, a read-only folder, a name too
    long, a NUL byte from a config file) is refused first by train and by the demos, with one
    line, and left as it was."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    prepare(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if out is None:
        commands = [["train", "nul.toml"]]
    else:
        commands = [["train", "--data", "line", "--out", out], ["landscape", "--out", out]]
    for args in commands:
        assert_error(invoke(*args), message)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if out == "locked":
        assert (tmp_path / "locked").stat().st_mode & 0o777 == 0o555


# --- Optimiser honesty: a status never claims more than happened -----------------------------


def test_a_hinge_run_ends_stalled_not_converged(tmp_path):
    result = invoke("train", "--data", "linear", "--loss", "hinge", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["status"], metrics["converged"]) == ("stalled", False)
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    assert model["training"]["status"] == "stalled"
    assert result.stderr.splitlines()[0] == (
        f"Warning: training stalled after {metrics['epochs']} epochs: the hinge loss has a kink, "
        "where the gradient need not vanish, and its subgradient steps no longer lowered the "
        "objective by more than --tol 1e-06 (relative), so the weights are near the minimum but "
        "not proven at it; a smaller --tol runs closer to it"
    )
    assert f"stalled after {metrics['epochs']} epochs in " in result.stdout


# --- .npy input: features and labels from NumPy files, memory-mapped --------------------------


def _npy_files(folder: Path) -> dict[str, Path]:
    """Good and broken .npy files of 40 rows, by name, a pickle named .npy and a CSV."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    with_nan = X.copy()
    with_nan[7, 2] = np.nan
    arrays = {
        "X": X,
        "y": y,
        "one_d": X[:, 0],
        "text": np.array([["a", "b"]] * 40),
        "nan": with_nan,
        "short_y": y[:39],
        "frac_y": y + 0.5,
        "columns_y": np.stack([y, 1 - y, y], axis=1),
        "empty": np.empty((0, 3)),
    }
    paths = {name: folder / f"{name}.npy" for name in arrays}
    for name, array in arrays.items():
        np.save(paths[name], array)
    paths["objects"] = folder / "objects.npy"
    np.save(paths["objects"], np.array([{"a": 1}] * 40, dtype=object), allow_pickle=True)
    paths["pickle"] = folder / "pickle.npy"
    paths["pickle"].write_bytes(pickle.dumps(X))
    paths["csv"] = folder / "data.csv"
    paths["csv"].write_text("a,label\n1,0\n2,1\n")
    return paths


def test_npy_input_mistakes_are_one_error_line_each(tmp_path):
    """Every mistake with .npy data ends with one `Error:` line naming the file and what would
    be accepted; nothing is unpickled (an object array and a pickle are refused unread)."""
    f = _npy_files(tmp_path)
    X, y = f["X"], f["y"]
    cases = [
        (
            (X, None),
            f"'{X}' holds only features; give the labels with target_file, a .npy file "
            "of one label per row (--target-file labels.npy)",
        ),
        ((tmp_path / "no.npy", y), f"no such file: '{tmp_path / 'no.npy'}' (the features)"),
        ((X, tmp_path / "no.npy"), f"no such file: '{tmp_path / 'no.npy'}' (the labels)"),
        (
            (f["one_d"], y),
            f"'{f['one_d']}' holds an array of shape (40,); the features must be "
            "a 2-D array (rows, features) (X.reshape(-1, 1) for a single feature)",
        ),
        (
            (f["text"], y),
            f"'{f['text']}' holds text (dtype <U1), not numbers; the features must "
            "be a 2-D array of numbers",
        ),
        (
            (f["objects"], y),
            f"'{f['objects']}' holds Python objects (dtype object), which "
            "cetrain never loads: unpickling can run code; save numbers (or, for labels, text) "
            "with numpy.save",
        ),
        (
            (f["pickle"], y),
            f"'{f['pickle']}' is not a NumPy .npy file (it does not start with "
            "NumPy's magic bytes); save the array with numpy.save",
        ),
        (
            (f["empty"], y),
            f"'{f['empty']}' holds an empty array of shape (0, 3); it needs rows and columns",
        ),
        (
            (f["nan"], y),
            f"'{f['nan']}': X[7, 2] is nan; the features must be finite numbers "
            "(a .npy's rows are not dropped as a CSV's missing values are)",
        ),
        (
            (X, f["short_y"]),
            f"'{f['short_y']}' has 39 rows of labels, but '{X}' has 40 rows of "
            "features; give one label per row",
        ),
        (
            (X, f["frac_y"]),
            f"'{f['frac_y']}': label 0 is 0.5, a number with a fraction; class "
            "labels must be whole numbers or text (cetrain trains classifiers)",
        ),
        (
            (X, f["objects"]),
            f"'{f['objects']}' holds Python objects (dtype object), which "
            "cetrain never loads: unpickling can run code; save numbers (or, for labels, text) "
            "with numpy.save",
        ),
        (
            ("iris", y),
            "target_file gives the labels of .npy features (--data features.npy), "
            "but 'iris' is not a .npy file: it comes with its own labels",
        ),
        (
            (f["csv"], y),
            "target_file gives the labels of .npy features (--data features.npy), "
            f"but '{f['csv']}' is not a .npy file: a CSV's labels are its column named by target",
        ),
    ]
    for (data, labels), message in cases:
        args = ["train", "--data", data, "--out", tmp_path / "run"]
        result = invoke(*args, *([] if labels is None else ["--target-file", labels]))
        assert_error(result, message)
    # a 2-D target where the model takes one label per row; a CSV's column option with .npy
    result = invoke("train", "--data", X, "--target-file", f["columns_y"], "--model", "logistic")
    assert_error(
        result,
        "model 'logistic' needs one class per row, but the target columns of 'X' (0, 1, 2) "
        "have rows with several labels or none; use model 'multilabel' or 'auto'",
    )
    result = invoke("train", "--data", X, "--target-file", y, "--features", "x0")
    assert_error(
        result,
        f"features applies only to CSV data, not to '{X}': every column of the array is a feature",
    )
    assert not (tmp_path / "run").exists()
