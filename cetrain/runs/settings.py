"""Training settings: defaults, a TOML config file, and command-line overrides, validated.

Every `cetrain train` option has a key of the same name in the config file (`--test-size` is
`test_size`; `test-size` is accepted too). Precedence: command line > config file > defaults.
An unknown key, or a value of the wrong type or range, is a ConfigError that names the key.
"""

import dataclasses
import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cetrain.core.losses import LOSS_NAMES
from cetrain.data import looks_like_path
from cetrain.errors import ConfigError
from cetrain.estimators import DEFAULT_L2, DEFAULT_MAX_ITER, DEFAULT_MOMENTUM, DEFAULT_TOL
from cetrain.runs.folder import FIGURE_FORMATS

MODEL_NAMES = ("auto", "logistic", "softmax", "multilabel")
MAX_SEED = 2**32 - 1  # NumPy's and scikit-learn's seeds are 32-bit
MAX_SAMPLES = 1_000_000  # generated datasets are for demonstrations


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """Everything `cetrain train` needs; the field names are the config keys."""

    data: str | None = None
    target: str | None = None
    weight_col: str | None = None
    features: tuple[str, ...] | None = None
    n_samples: int | None = None
    noise: float | None = None
    model: str = "auto"
    loss: str = "cross-entropy"
    class_weight: str | None = None
    label_smoothing: float = 0.0
    focal_gamma: float | None = None
    focal_alpha: float | str | None = None
    sce_alpha: float | None = None
    sce_beta: float | None = None
    lr: float | str = "auto"
    epochs: int = DEFAULT_MAX_ITER
    tol: float = DEFAULT_TOL
    l2: float = DEFAULT_L2
    l1: float = 0.0
    momentum: float = DEFAULT_MOMENTUM
    standardize: bool = True
    poly: int = 1
    test_size: float = 0.25
    seed: int = 0
    plot_features: tuple[str, ...] | None = None
    format: str = "png"
    animate: bool = False
    out: str | None = None
    quiet: bool = False


DEFAULTS = TrainSettings()
KEYS = tuple(field.name for field in dataclasses.fields(TrainSettings))
# Keys that describe one invocation rather than the experiment: not written to config.toml.
INVOCATION_KEYS = ("out", "quiet")


# --- value checks: each returns the clean value or raises ValueError("must be ...") --------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _names(value: Any) -> tuple[str, ...]:
    """A comma-separated string or a list of strings."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ValueError('must be a comma-separated string or a list of strings, like "a,b"')
    if not items or any(not item for item in items):
        raise ValueError('must name columns separated by commas, like "a,b"')
    return tuple(items)


def _two_names(value: Any) -> tuple[str, ...]:
    names = _names(value)
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError('must name two different features, like "a,b"')
    return names


def _integer(minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    described = f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"

    def check(value: Any) -> int:
        # A TOML string like "10" is a wrong type, not a number: no conversion here.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer {described}")
        if value < minimum or (maximum is not None and value > maximum):
            raise ValueError(f"must be an integer {described}")
        return value

    return check


def _number(low: float, high: float = math.inf, *, high_open: bool = False) -> Callable:
    described = f"in [{low:g}, {high:g})" if high_open else f">= {low:g}"

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a finite number {described}")
        value = float(value)
        in_range = low <= value < high if high_open else low <= value <= high
        if not (math.isfinite(value) and in_range):
            raise ValueError(f"must be a finite number {described}")
        return value

    return check


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}")
        return value

    return check


def learning_rate(value: Any) -> float | str:
    """A finite number > 0, or "auto" (any case)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        rate = _number(0.0)(value)
    except ValueError:
        raise ValueError('must be a finite number > 0 or "auto"') from None
    if rate <= 0:
        raise ValueError('must be a finite number > 0 or "auto"')
    return rate


def _target(value: Any) -> str:
    """One column, or several as a comma-separated string or a list: kept as "a,b,c"."""
    if isinstance(value, list | tuple) or (isinstance(value, str) and "," in value):
        return ",".join(_names(value))
    return _text(value)


class RepeatedClassError(ValueError):
    """class=weight pairs that name one class twice: the message says which, and is kept."""


def parse_class_weight(text: str) -> str | dict[str, float]:
    """ "balanced", or "a=2,b=1" as {"a": 2.0, "b": 1.0}; ValueError("must be ...") otherwise."""
    text = text.strip()
    if text == "balanced":
        return "balanced"
    try:
        return parse_class_values(text)
    except RepeatedClassError:
        raise
    except ValueError:
        raise ValueError(
            'must be "balanced" or class=weight pairs with weights >= 0, like "a=2,b=1"'
        ) from None


def parse_class_values(text: str) -> dict[str, float]:
    """ "a=2,b=1" as {"a": 2.0, "b": 1.0}; ValueError("must be ...") otherwise."""
    weights = {}
    for item in text.split(","):
        name, _, number = item.partition("=")
        try:
            weight = float(number)
        except ValueError:
            weight = math.nan
        if not name.strip() or not (math.isfinite(weight) and weight >= 0):
            raise ValueError('must be class=weight pairs with weights >= 0, like "a=2,b=1"')
        if name.strip() in weights:
            raise RepeatedClassError(f"names the class {name.strip()!r} twice")
        weights[name.strip()] = weight
    return weights


def _pairs_text(pairs: dict) -> str:
    """{class: weight} (parsed, or a TOML table) as the text "a=2.0,b=1.0"."""
    return ",".join(f"{name}={weight}" for name, weight in pairs.items())


def _class_weight(value: Any) -> str:
    """ "balanced" or class=weight pairs (a string, or a TOML table), kept as "a=2.0,b=1.0"."""
    if isinstance(value, dict):
        value = _pairs_text(value)
    if not isinstance(value, str):
        raise ValueError('must be "balanced" or class=weight pairs, like "a=2,b=1"')
    parsed = parse_class_weight(value)
    return "balanced" if parsed == "balanced" else _pairs_text(parsed)


def focal_alpha(value: Any) -> float | str:
    """A number in [0, 1] (the positive class's weight), "none" (no weighting), or class=weight
    pairs for a softmax model (a string or a TOML table), kept as "a=0.5,b=0.25"."""
    if isinstance(value, str) and value.strip().lower() == "none":
        return "none"
    expected = 'must be a number in [0, 1], "none", or class=weight pairs like "a=0.5,b=0.25"'
    if isinstance(value, dict):
        value = _pairs_text(value)
    if isinstance(value, str) and "=" in value:
        try:
            return _pairs_text(parse_class_values(value.strip()))
        except RepeatedClassError:
            raise
        except ValueError:
            raise ValueError(expected) from None
    try:
        return _number(0.0, 1.0)(value)
    except ValueError:
        raise ValueError(expected) from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


CHECKS: dict[str, Callable[[Any], Any]] = {
    "data": _text,
    "target": _target,
    "weight_col": _text,
    "features": _names,
    "n_samples": _integer(2, MAX_SAMPLES),
    "noise": _number(0.0),
    "model": _choice(*MODEL_NAMES),
    "loss": _choice(*LOSS_NAMES),
    "class_weight": _class_weight,
    "label_smoothing": _number(0.0, 1.0, high_open=True),
    "focal_gamma": _number(0.0),
    "focal_alpha": focal_alpha,
    "sce_alpha": _number(0.0),
    "sce_beta": _number(0.0),
    "lr": learning_rate,
    "epochs": _integer(1),
    "tol": _number(0.0),
    "l2": _number(0.0),
    "l1": _number(0.0),
    "momentum": _number(0.0, 1.0, high_open=True),
    "standardize": _boolean,
    "poly": _integer(1),
    "test_size": _number(0.0, 1.0, high_open=True),
    "seed": _integer(0, MAX_SEED),
    "plot_features": _two_names,
    "format": _choice(*FIGURE_FORMATS),
    "animate": _boolean,
    "out": _text,
    "quiet": _boolean,
}
assert set(CHECKS) == set(KEYS), "every setting needs a check"


def read_config(path: str | Path, extra_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a TOML config file into {key: value}, with keys checked but values not yet.

    Hyphens in keys are read as underscores. `extra_keys` are accepted besides the settings
    (compare's `losses`). A relative `data` path is taken relative to the config file's folder
    when a file exists there.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: '{path}'") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file '{path}': {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    values = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in CHECKS and name not in extra_keys:
            hint = (
                " (sections are not used; put keys at the top level)"
                if isinstance(value, dict)
                else ""
            )
            valid = ", ".join((*KEYS, *extra_keys))
            raise ConfigError(f"{path}: unknown key '{key}'{hint}; valid keys: {valid}")
        if name in values:
            raise ConfigError(f"{path}: key '{name}' is given twice")
        values[name] = value
    data = values.get("data")
    # Only a value that looks like a path: "iris" stays the dataset even beside a file "iris".
    if isinstance(data, str) and looks_like_path(data) and not Path(data).is_absolute():
        beside_config = path.parent / data
        if beside_config.is_file():
            values["data"] = str(beside_config)
    return values


def resolve_settings(
    file_values: Mapping[str, Any] | None = None,
    cli_values: Mapping[str, Any] | None = None,
    *,
    config_name: str = "config",
) -> TrainSettings:
    """Merge defaults <- config file <- command line (None means "not given") and validate.

    Errors name the key and where its value came from.
    """
    merged: dict[str, Any] = {}
    for source, values in ((config_name, file_values or {}), ("command line", cli_values or {})):
        for key, value in values.items():
            if value is None:
                continue
            if key not in CHECKS:
                raise ConfigError(f"unknown setting '{key}'; valid keys: {', '.join(KEYS)}")
            try:
                merged[key] = CHECKS[key](value)
            except ValueError as exc:
                label = f"'{key}'" if source != "command line" else f"--{key.replace('_', '-')}"
                raise ConfigError(f"{source}: {label} {exc}; got {value!r}") from None
    return dataclasses.replace(DEFAULTS, **merged)


def to_toml(
    settings: TrainSettings,
    header: str = "",
    *,
    exclude: tuple[str, ...] = (),
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The settings as a TOML document that `cetrain train` reads back to the same settings.

    Unset values (None), the per-invocation keys `out` and `quiet`, and the keys in `exclude`
    are left out; `extra` keys (e.g. compare's `losses`) are added after the settings.
    """
    lines = [f"# {line}" for line in header.splitlines()]
    for key in KEYS:
        value = getattr(settings, key)
        if value is None or key in INVOCATION_KEYS or key in exclude:
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    lines += [f"{key} = {_toml_value(value)}" for key, value in (extra or {}).items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, int, float or tuple of str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    return "[" + ", ".join(_toml_string(item) for item in value) + "]"  # a sequence of str


def _toml_string(text: str) -> str:
    """A TOML basic string: quote and backslash escaped, control characters (U+0000-U+001F,
    U+007F) as \\uXXXX, everything else written as itself (TOML files are UTF-8)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
