"""Tests for runs.settings: defaults, validation of every key, config files, and to_toml."""

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from conftest import DEFAULT_SETTINGS_TOML
from hypothesis import given, settings
from hypothesis import strategies as st

from cetrain.core.losses import LOSS_NAMES, LOSSES
from cetrain.errors import CetrainError, ConfigError
from cetrain.runs.settings import (
    DEFAULTS,
    KEYS,
    TrainSettings,
    read_config,
    resolve_settings,
    to_toml,
)

VALID_KEYS = ", ".join(KEYS)
# the settings before and after the losses' own ones, in the order of --help and config.toml
FIRST_KEYS = (
    "data target target_file weight_col features decimal thousands n_samples noise model loss "
    "class_weight"
).split()
LAST_KEYS = (
    "lr epochs tol l2 l1 momentum standardize dtype poly test_size seed plot_features show_loss "
    "epoch_axis format animate reference report out force quiet"
).split()


def raises_exactly(message: str):
    """pytest.raises for a ConfigError whose whole message is `message`."""
    return pytest.raises(ConfigError, match=f"^{re.escape(message)}$")


def write(tmp_path: Path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defaults


def test_defaults_are_the_documented_ones():
    assert DEFAULTS == TrainSettings(
        data=None,
        target=None,
        features=None,
        n_samples=None,
        noise=None,
        model="auto",
        loss="cross-entropy",
        lr="auto",
        epochs=5000,
        tol=1e-6,
        l2=1e-3,
        momentum=0.99,
        standardize=True,
        dtype="float64",
        poly=1,
        test_size=0.25,
        seed=0,
        plot_features=None,
        out=None,
        force=False,
        quiet=False,
    )
    # between them, each loss's own settings in the order of the loss registry
    owned = [name for spec in LOSSES.values() for name in spec.settings]
    assert list(KEYS) == [*FIRST_KEYS, *owned, *LAST_KEYS]
    known = ["label_smoothing", "focal_gamma", "focal_alpha", "sce_alpha", "sce_beta"]
    assert [name for name in owned if name in known] == known


def test_nothing_given_resolves_to_the_defaults():
    assert resolve_settings() == DEFAULTS
    assert resolve_settings({}, {}) == DEFAULTS


def test_config_error_is_a_cetrain_error_and_a_value_error():
    assert issubclass(ConfigError, CetrainError)
    assert issubclass(ConfigError, ValueError)


# --------------------------------------------------------------------------- resolve_settings


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("data", "iris", "iris"),
        ("data", "  iris  ", "iris"),
        ("target", "label", "label"),
        ("target", ["a", "b"], ("a", "b")),  # a list stays a list
        ("target", " a , b ", "a,b"),
        ("features", "a,b", ("a", "b")),
        ("features", " a , b ", ("a", "b")),
        ("features", ["a", "b c"], ("a", "b c")),
        ("features", "only", ("only",)),
        ("n_samples", 2, 2),
        ("n_samples", 1_000_000, 1_000_000),
        ("noise", 0, 0.0),
        ("noise", 0.3, 0.3),
        ("model", "auto", "auto"),
        ("model", "logistic", "logistic"),
        ("model", "softmax", "softmax"),
        ("loss", "cross-entropy", "cross-entropy"),
        ("loss", "mse", "mse"),
        ("lr", "auto", "auto"),
        ("lr", "AUTO", "auto"),
        ("lr", 0.5, 0.5),
        ("lr", 2, 2.0),
        ("epochs", 1, 1),
        ("tol", 0, 0.0),
        ("tol", 1e-9, 1e-9),
        ("l2", 0, 0.0),
        ("l2", 0.25, 0.25),
        ("momentum", 0, 0.0),
        ("momentum", 0.9, 0.9),
        ("standardize", False, False),
        ("standardize", True, True),
        ("poly", 3, 3),
        ("test_size", 0, 0.0),
        ("test_size", 0.3, 0.3),
        ("seed", 0, 0),
        ("seed", 12345, 12345),
        ("seed", 2**32 - 1, 2**32 - 1),
        ("plot_features", "a,b", ("a", "b")),
        (
            "plot_features",
            ["petal length (cm)", "petal width (cm)"],
            ("petal length (cm)", "petal width (cm)"),
        ),
        ("out", "runs/x", "runs/x"),
        ("quiet", True, True),
    ],
)
def test_valid_values_are_cleaned(key, value, expected):
    settings = resolve_settings({key: value})
    assert getattr(settings, key) == expected
    assert type(getattr(settings, key)) is type(expected)
    # every other key keeps its default
    assert dataclasses.replace(settings, **{key: getattr(DEFAULTS, key)}) == DEFAULTS


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("data", "", "must be a non-empty string"),
        ("data", "   ", "must be a non-empty string"),
        ("data", 5, "must be a non-empty string"),
        ("target", [], 'must name columns separated by commas, like "a,b"'),
        ("target", ["a", ""], 'must name columns separated by commas, like "a,b"'),
        ("features", "", 'must name columns separated by commas, like "a,b"'),
        ("features", "a,,b", 'must name columns separated by commas, like "a,b"'),
        ("features", [], 'must name columns separated by commas, like "a,b"'),
        ("features", 3, 'must be a comma-separated string or a list of strings, like "a,b"'),
        ("features", ["a", 1], 'must be a comma-separated string or a list of strings, like "a,b"'),
        ("n_samples", 1, "must be an integer in [2, 1000000]"),
        ("n_samples", 1_000_001, "must be an integer in [2, 1000000]"),
        ("n_samples", 2.5, "must be an integer in [2, 1000000]"),
        ("n_samples", True, "must be an integer in [2, 1000000]"),
        ("n_samples", "60", "must be an integer in [2, 1000000]"),
        ("noise", -0.1, "must be a finite number in [0, 1000]"),
        ("noise", "loud", "must be a finite number in [0, 1000]"),
        ("noise", "0.3", "must be a finite number in [0, 1000]"),
        ("noise", float("inf"), "must be a finite number in [0, 1000]"),
        ("model", "foo", "must be one of: auto, logistic, softmax, multilabel"),
        ("model", "Logistic", "must be one of: auto, logistic, softmax, multilabel"),
        ("loss", "foo", f"must be one of: {', '.join(LOSS_NAMES)}"),
        ("lr", -1, 'must be a number in (0, 1e6] or "auto"'),
        ("lr", 0, 'must be a number in (0, 1e6] or "auto"'),
        ("lr", "abc", 'must be a number in (0, 1e6] or "auto"'),
        ("lr", "0.1", 'must be a number in (0, 1e6] or "auto"'),
        ("lr", float("nan"), 'must be a number in (0, 1e6] or "auto"'),
        ("lr", float("inf"), 'must be a number in (0, 1e6] or "auto"'),
        ("lr", True, 'must be a number in (0, 1e6] or "auto"'),
        ("epochs", "ten", "must be an integer in [1, 1000000]"),
        ("epochs", "7", "must be an integer in [1, 1000000]"),
        ("epochs", 0, "must be an integer in [1, 1000000]"),
        ("epochs", 10.0, "must be an integer in [1, 1000000]"),
        ("epochs", False, "must be an integer in [1, 1000000]"),
        ("tol", -1e-6, "must be a finite number >= 0"),
        ("tol", float("inf"), "must be a finite number >= 0"),
        ("l2", -1, "must be a finite number in [0, 1e6]"),
        ("l2", "1e-3", "must be a finite number in [0, 1e6]"),
        ("l2", [0.1], "must be a finite number in [0, 1e6]"),
        ("momentum", 1, "must be a finite number in [0, 1)"),
        ("momentum", 1.5, "must be a finite number in [0, 1)"),
        ("momentum", -0.1, "must be a finite number in [0, 1)"),
        ("standardize", "yes", "must be true or false"),
        ("standardize", 1, "must be true or false"),
        ("poly", 0, "must be an integer in [1, 20000]"),
        ("poly", 2.0, "must be an integer in [1, 20000]"),
        ("test_size", 1, "must be a finite number in [0, 1)"),
        ("test_size", -0.1, "must be a finite number in [0, 1)"),
        ("seed", -1, "must be an integer in [0, 4294967295]"),
        ("seed", 2**32, "must be an integer in [0, 4294967295]"),
        ("seed", 1.5, "must be an integer in [0, 4294967295]"),
        ("plot_features", "a", 'must name two different features, like "a,b"'),
        ("plot_features", "a,b,c", 'must name two different features, like "a,b"'),
        ("plot_features", "a,a", 'must name two different features, like "a,b"'),
        ("plot_features", 7, 'must be a comma-separated string or a list of strings, like "a,b"'),
        ("out", "", "must be a non-empty string"),
        ("quiet", "no", "must be true or false"),
    ],
)
def test_invalid_values_name_the_key_the_source_and_the_value(key, value, problem):
    with raises_exactly(f"run.toml: {key} {problem}; got {value!r}"):
        resolve_settings({key: value}, config_name="run.toml")
    with raises_exactly(f"command line: {key} {problem}; got {value!r}"):
        resolve_settings({}, {key: value})


def test_config_name_defaults_to_config():
    with raises_exactly("config: epochs must be an integer in [1, 1000000]; got 'ten'"):
        resolve_settings({"epochs": "ten"})


def test_unknown_setting_is_an_error_that_lists_the_keys():
    with raises_exactly(f"unknown setting 'foo'; valid keys: {VALID_KEYS}"):
        resolve_settings({"foo": 1})
    with raises_exactly(f"unknown setting 'test-size'; valid keys: {VALID_KEYS}"):
        resolve_settings({}, {"test-size": 0.5})


def test_command_line_overrides_config_file_overrides_defaults():
    settings = resolve_settings(
        {"data": "iris", "epochs": 5, "l2": 0.5, "seed": 3},
        {"epochs": 7, "seed": None, "model": "softmax"},
    )
    assert settings.epochs == 7  # command line beats the file
    assert settings.l2 == 0.5  # the file beats the default
    assert settings.seed == 3  # None on the command line means "not given"
    assert settings.model == "softmax"  # command line beats the default
    assert settings.momentum == 0.99  # nobody set it
    assert settings.data == "iris"


def test_a_bad_file_value_is_reported_even_when_the_command_line_overrides_it():
    with raises_exactly("run.toml: epochs must be an integer in [1, 1000000]; got 0"):
        resolve_settings({"epochs": 0}, {"epochs": 5}, config_name="run.toml")


# --------------------------------------------------------------------------- read_config


def test_read_config_returns_the_raw_values(tmp_path):
    path = write(tmp_path, 'data = "iris"\nepochs = 10\nl2 = 0.5\nfeatures = ["a", "b"]\n')
    assert read_config(path) == {"data": "iris", "epochs": 10, "l2": 0.5, "features": ["a", "b"]}


def test_read_config_reads_hyphens_as_underscores(tmp_path):
    path = write(tmp_path, 'test-size = 0.5\nn-samples = 40\nplot-features = "a,b"\n')
    values = read_config(path)
    assert values == {"test_size": 0.5, "n_samples": 40, "plot_features": "a,b"}
    assert resolve_settings(values).test_size == 0.5


def test_read_config_accepts_a_str_path(tmp_path):
    path = write(tmp_path, "seed = 4\n")
    assert read_config(str(path)) == {"seed": 4}


def test_missing_config_file(tmp_path):
    path = tmp_path / "nope.toml"
    with raises_exactly(f"config file not found: '{path}'"):
        read_config(path)


def test_config_path_that_is_a_folder(tmp_path):
    with pytest.raises(
        ConfigError, match=f"^cannot read config file '{re.escape(str(tmp_path))}': "
    ):
        read_config(tmp_path)


def test_config_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('data = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=f"^cannot read config file '{re.escape(str(path))}': "):
        read_config(path)


@pytest.mark.parametrize("text", ["epochs = [\n", "epochs = \n", "data = iris\n", "a = 1\na = 2\n"])
def test_invalid_toml_repeats_tomllib_message(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(tomllib.TOMLDecodeError) as reference:
        tomllib.loads(text)
    with raises_exactly(f"{path}: not valid TOML: {reference.value}"):
        read_config(path)


def test_unknown_key_names_it_and_lists_the_valid_keys(tmp_path):
    path = write(tmp_path, 'data = "iris"\nlearning_rate = 0.1\n')
    with raises_exactly(f"{path}: unknown key 'learning_rate'; valid keys: {VALID_KEYS}"):
        read_config(path)


def test_a_section_gets_a_hint_to_use_top_level_keys(tmp_path):
    path = write(tmp_path, '[train]\ndata = "iris"\n')
    with raises_exactly(
        f"{path}: unknown key 'train' (sections are not used; put keys at the top level); "
        f"valid keys: {VALID_KEYS}"
    ):
        read_config(path)


def test_a_key_given_with_hyphen_and_underscore_is_an_error(tmp_path):
    path = write(tmp_path, "test-size = 0.5\ntest_size = 0.3\n")
    with raises_exactly(f"{path}: key 'test_size' is given twice"):
        read_config(path)


def test_relative_data_path_is_read_beside_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "experiment"
    folder.mkdir()
    (folder / "points.csv").write_text("x,y\n1,a\n2,b\n", encoding="utf-8")
    path = write(folder, 'data = "points.csv"\n')
    monkeypatch.chdir(tmp_path)  # points.csv is not in the working folder
    assert read_config(path) == {"data": str(folder / "points.csv")}
    assert read_config(Path("experiment/run.toml")) == {"data": "experiment/points.csv"}


def test_relative_npy_paths_are_read_beside_the_config_file(tmp_path, monkeypatch):
    """A .npy data path and its target_file are both found beside the config (a target_file
    named like a dataset too: it is always a path)."""
    folder = tmp_path / "experiment"
    folder.mkdir()
    for name in ("X.npy", "labels"):
        (folder / name).write_bytes(b"")
    path = write(folder, 'data = "X.npy"\ntarget_file = "labels"\n')
    monkeypatch.chdir(tmp_path)
    expected = {"data": str(folder / "X.npy"), "target_file": str(folder / "labels")}
    assert read_config(path) == expected


def test_relative_data_path_without_a_file_beside_the_config_is_kept(tmp_path):
    path = write(tmp_path, 'data = "elsewhere/points.csv"\n')
    assert read_config(path) == {"data": "elsewhere/points.csv"}


def test_dataset_names_and_absolute_paths_are_kept(tmp_path):
    assert read_config(write(tmp_path, 'data = "iris"\n')) == {"data": "iris"}
    absolute = tmp_path / "abs.csv"
    absolute.write_text("x,y\n1,a\n", encoding="utf-8")
    assert read_config(write(tmp_path, f"data = {str(absolute)!r}\n")) == {"data": str(absolute)}


def test_read_config_does_not_check_values(tmp_path):
    """Values are checked by resolve_settings, which names the file."""
    path = write(tmp_path, 'epochs = "ten"\nstandardize = "yes"\n')
    assert read_config(path) == {"epochs": "ten", "standardize": "yes"}
    with raises_exactly(f"{path}: epochs must be an integer in [1, 1000000]; got 'ten'"):
        resolve_settings(read_config(path), config_name=str(path))


# --------------------------------------------------------------------------- to_toml


def _without_invocation(settings: TrainSettings) -> TrainSettings:
    return dataclasses.replace(settings, out=None, force=False, quiet=False)


ROUND_TRIP_CASES = [
    resolve_settings({"data": "iris"}),
    resolve_settings(
        {
            "data": "/data/my file.csv",
            "target": "label",
            "features": ["a", "b c", "site=meadow"],
            "model": "softmax",
            "loss": "mse",
            "lr": 0.05,
            "epochs": 123,
            "tol": 1e-9,
            "l2": 0.0,
            "momentum": 0.0,
            "standardize": False,
            "poly": 3,
            "test_size": 0.0,
            "seed": 42,
            "plot_features": ["a", "b c"],
            "out": "runs/x",
            "force": True,
            "quiet": True,
        }
    ),
    resolve_settings({"data": "moons", "n_samples": 60, "noise": 0.35, "l2": 1e-5, "lr": 3}),
    resolve_settings({"data": 'C:\\data\\"quoted".csv', "features": ["tab\there", "é"]}),
]


@pytest.mark.parametrize("settings", ROUND_TRIP_CASES)
def test_to_toml_round_trips_through_tomllib(settings):
    parsed = tomllib.loads(to_toml(settings))
    assert "out" not in parsed and "force" not in parsed and "quiet" not in parsed
    assert resolve_settings(parsed) == _without_invocation(settings)


def test_to_toml_writes_resolved_values_and_leaves_out_unset_ones():
    settings = resolve_settings({"data": "iris", "model": "softmax", "out": "x", "quiet": True})
    assert tomllib.loads(to_toml(settings)) == {
        "data": "iris",
        "model": "softmax",
        **DEFAULT_SETTINGS_TOML,
    }


def test_to_toml_header_is_comments():
    text = to_toml(resolve_settings({"data": "iris"}), header="first line\nsecond line")
    lines = text.splitlines()
    assert lines[:2] == ["# first line", "# second line"]
    assert lines[2] == 'data = "iris"'
    assert tomllib.loads(text)["data"] == "iris"


def test_to_toml_of_a_file_read_back_by_read_config(tmp_path):
    settings = ROUND_TRIP_CASES[1]
    path = write(tmp_path, to_toml(settings, header="a run"))
    assert resolve_settings(read_config(path)) == _without_invocation(settings)


# Characters of the Basic Multilingual Plane, without surrogates (which are not text).
_bmp_names = st.text(
    alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), min_size=1
).filter(lambda name: name.strip() == name and "," not in name)


@settings(max_examples=60, deadline=None)
# a data path holds no NUL byte (no system call takes one); column names may
@given(
    data=_bmp_names.filter(lambda name: "\0" not in name),
    features=st.lists(_bmp_names, min_size=1, max_size=3),
)
def test_to_toml_round_trips_any_names(data, features):
    original = resolve_settings({"data": data, "features": features})
    assert resolve_settings(tomllib.loads(to_toml(original))) == original


def test_to_toml_round_trips_characters_outside_the_bmp():
    original = resolve_settings({"data": "points-\U0001d465.csv", "features": ["\U0001d465"]})
    assert resolve_settings(tomllib.loads(to_toml(original))) == original
