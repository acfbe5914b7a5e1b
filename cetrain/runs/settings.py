"""Run settings: one table, a TOML config file, and command-line overrides, validated.

`SETTINGS` lists every setting of `cetrain train` once, in the order of --help and config.toml.
Each is a `Param` (name, accepted values, default, help) declared by what it configures: the
estimator's parameters in `cetrain.estimators.params` (`lr` and `epochs` are its `learning_rate`
and `max_iter`), each loss's options with the loss in `cetrain.core.losses`, the data's in
`cetrain.data`, and the run's own here. The click options (`cetrain.cli`), the TOML checks,
the resolved `config.toml` and `cetrain loss`'s shared options are all made from this table.

Every setting has a config key of its name (`--test-size` is `test_size`; `test-size` is
accepted too). Precedence: command line > config file > defaults. An unknown key, or a value of
the wrong type or range, is a ConfigError that names the key.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cetrain.core.heads import MODEL_KINDS
from cetrain.core.losses import LOSSES, LossSpec
from cetrain.core.params import (
    Choice,
    Columns,
    Flag,
    Names,
    Param,
    PathText,
    Text,
    is_none_word,
)
from cetrain.data.npyfile import TARGET_FILE
from cetrain.data.numbers import DECIMAL, THOUSANDS
from cetrain.data.preprocess import POLY, STANDARDIZE
from cetrain.data.registry import N_SAMPLES, NOISE, looks_like_path
from cetrain.data.split import SEED, TEST_SIZE
from cetrain.errors import ConfigError
from cetrain.estimators import params
from cetrain.runs.folder import FIGURE_FORMATS


@dataclasses.dataclass(frozen=True)
class Setting:
    """One row of the table.

    param : what the setting accepts; its name is the config key
    estimator : the estimator parameter it sets (None: not one of the estimator's)
    loss : the loss that owns it (None: every loss); `option` is the loss's own name for it
    invocation : describes one invocation (where to write, how much to print), not the
        experiment: not written to config.toml
    train_only : only `cetrain train` takes it; `compare` has no such option, refuses the key
        and does not write it (TRAIN_ONLY)
    """

    param: Param
    estimator: str | None = None
    loss: str | None = None
    option: str | None = None
    invocation: bool = False
    train_only: bool = False

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def default(self) -> Any:
        return self.param.default

    @property
    def is_flag(self) -> bool:
        return isinstance(self.param.domain, Flag)


def _estimator(param: Param, name: str | None = None, **changes: Any) -> Setting:
    """An estimator parameter as a setting (under `name`, with `changes` to its declaration)."""
    return Setting(param.renamed(name or param.name, **changes), estimator=param.name)


def _loss_settings(spec: LossSpec) -> list[Setting]:
    """A loss's options that a run can set. One the estimator also takes (label_smoothing) is
    an estimator setting; the others go to `loss_options` only when given (default None), so
    that the loss keeps its own default."""
    settings = []
    for name, option in spec.settings.items():
        if name in _ESTIMATOR_PARAMS:
            settings.append(
                Setting(option.param.renamed(name), estimator=name, loss=spec.name, option=name)
            )
            continue
        param = option.param.renamed(name, default=None, default_text=option.param.shown_default)
        settings.append(Setting(param, loss=spec.name, option=option.param.name))
    return settings


_ESTIMATOR_PARAMS = {param.name for param in params.PARAMETERS}

SETTINGS: tuple[Setting, ...] = (
    Setting(
        Param(
            "data",
            PathText(metavar="TEXT"),
            None,
            "Dataset name (see `cetrain datasets`), path to a CSV file with a header, or to a "
            ".npy file of features (with --target-file), read from disk block by block.",
        )
    ),
    Setting(
        Param(
            "target",
            Columns(),
            None,
            "CSV label column, or several comma-separated 0/1 (multi-label) or probability "
            "columns.",
            default_text="the last column",
        )
    ),
    Setting(TARGET_FILE),
    Setting(
        Param("weight_col", Text(), None, "CSV column of per-row sample weights (not a feature).")
    ),
    Setting(
        Param(
            "features",
            Names(),
            None,
            "Comma-separated input columns to use.",
            default_text="all but the target",
        )
    ),
    Setting(DECIMAL),
    Setting(THOUSANDS),
    Setting(N_SAMPLES),
    Setting(NOISE),
    Setting(
        Param(
            "model",
            Choice(("auto", *MODEL_KINDS)),
            "auto",
            "auto: logistic for 2 classes, softmax for more or for probability columns, "
            "multilabel for 0/1 columns.",
        )
    ),
    _estimator(params.LOSS),
    _estimator(params.CLASS_WEIGHT),
    *(setting for spec in LOSSES.values() for setting in _loss_settings(spec)),
    _estimator(params.LEARNING_RATE, "lr"),
    # a run trains for at least one epoch; the estimator also takes max_iter=0
    _estimator(
        params.MAX_ITER, "epochs", domain=dataclasses.replace(params.MAX_ITER.domain, low=1)
    ),
    _estimator(params.TOL),
    _estimator(params.L2),
    _estimator(params.L1),
    _estimator(params.MOMENTUM),
    _estimator(STANDARDIZE),
    _estimator(params.DTYPE),
    Setting(POLY),
    Setting(TEST_SIZE),
    Setting(SEED),
    Setting(
        Param(
            "plot_features",
            Names(count=2, what="features"),
            None,
            "Two comma-separated features (or text columns) for the boundary plot.",
            default_text="the two with the largest standardised coefficients",
        )
    ),
    Setting(
        Param(
            "show_loss",
            Flag(),
            False,
            "Size each point of the boundary plot by its own training loss, so the few "
            "confidently wrong points that dominate the mean stand out.",
        )
    ),
    Setting(
        Param(
            "epoch_axis",
            Choice(("auto", "log", "linear")),
            "auto",
            "Epoch axis of the loss curves: auto is log when the training loss makes 90% of its "
            "decrease in the first 10% of the epochs (config.toml records the choice made).",
        )
    ),
    Setting(Param("format", Choice(FIGURE_FORMATS), "png", "File format of the figures.")),
    Setting(
        Param(
            "animate",
            Flag(),
            False,
            "Also write training.gif: the decision boundary moving over the epochs.",
        )
    ),
    Setting(
        Param(
            "reference",
            Flag(),
            False,
            "Also fit scikit-learn's LogisticRegression to the same objective and print both "
            "side by side (in metrics.json: reference).",
        ),
        train_only=True,
    ),
    Setting(
        Param(
            "report",
            Flag(),
            False,
            "Also write report.html: the run on one self-contained page (as `cetrain report`).",
        ),
        train_only=True,
    ),
    Setting(
        Param(
            "out",
            PathText(),
            None,
            "Run folder to create; must not exist or be empty.",
            default_text="runs/<time>-<data>-<model>",
        ),
        invocation=True,
    ),
    Setting(
        Param(
            "force",
            Flag(),
            False,
            "Replace a run folder (--out) that already holds files, once the new run has "
            "finished: the old folder is removed only when the new one is in place. E.g. "
            "--out runs/moons --force.",
        ),
        invocation=True,
    ),
    Setting(
        Param(
            "quiet",
            Flag(),
            False,
            "No progress bar or summary: print only the run folder (warnings and notes still go "
            "to stderr).",
        ),
        invocation=True,
    ),
)
BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
if len(BY_NAME) != len(SETTINGS):  # e.g. two losses declaring the same run setting
    repeated = sorted({s.name for s in SETTINGS if [t.name for t in SETTINGS].count(s.name) > 1})
    raise ValueError(f"settings declared twice: {', '.join(repeated)}; each needs its own name")
KEYS = tuple(BY_NAME)
TRAIN_ONLY = tuple(setting.name for setting in SETTINGS if setting.train_only)


def _settings_class() -> type:
    fields = [(s.name, Any, dataclasses.field(default=s.default)) for s in SETTINGS]
    cls = dataclasses.make_dataclass("TrainSettings", fields, frozen=True)
    cls.__module__ = __name__
    cls.__doc__ = (
        "Everything `cetrain train` needs, one field per row of SETTINGS (the config keys). "
        "None means not given: the data's, loss's or generator's own default."
    )
    return cls


TrainSettings = _settings_class()
DEFAULTS = TrainSettings()


def loss_option_settings(loss: str | None = None) -> tuple[Setting, ...]:
    """The settings that are a loss's own options, passed to the estimator as `loss_options`
    (focal_gamma, ...; not label_smoothing, an estimator parameter): of `loss`, or of every
    loss."""
    return tuple(
        s for s in SETTINGS if s.loss is not None and not s.estimator and loss in (None, s.loss)
    )


def loss_options(loss: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The options of `loss` given in `values` (by setting name), under the loss's own names.

    An option not given (None) is left out, so the loss keeps its own default; the word "none"
    is None.
    """
    options = {}
    for setting in loss_option_settings(loss):
        value = values.get(setting.name)
        if value is not None:
            options[setting.option] = None if is_none_word(value) else value
    return options


def is_given(settings: TrainSettings, name: str) -> bool:
    """Does the setting differ from its default (given in a config file or on the command line
    with another value)?"""
    return getattr(settings, name) != BY_NAME[name].default


def loss_settings_given(settings: TrainSettings) -> dict[str, list[str]]:
    """The loss-owned settings that differ from their defaults, by the loss that owns them."""
    given: dict[str, list[str]] = {}
    for setting in SETTINGS:
        if setting.loss is not None and is_given(settings, setting.name):
            given.setdefault(setting.loss, []).append(setting.name)
    return given


def estimator_params(settings: TrainSettings) -> dict[str, Any]:
    """The estimator's parameters from the settings: the estimator settings under the
    estimator's names, and the chosen loss's other options as `loss_options` (None if none;
    the word "none" is None; an option not given keeps the loss's own default).

    A setting of another loss than the chosen one is a ConfigError.
    """
    for loss, names in loss_settings_given(settings).items():
        if loss != settings.loss:
            verb = "applies" if len(names) == 1 else "apply"
            raise ConfigError(
                f"{' and '.join(names)} {verb} to the loss '{loss}', not '{settings.loss}'"
            )
    kwargs = {s.estimator: getattr(settings, s.name) for s in SETTINGS if s.estimator}
    kwargs["loss_options"] = loss_options(settings.loss, vars(settings)) or None
    return kwargs


# --- config files ---------------------------------------------------------------------------


def read_config(path: str | Path, extra_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a TOML config file into {key: value}, with keys checked but values not yet.

    Hyphens in keys are read as underscores. `extra_keys` are accepted besides the settings
    (compare's `losses`). A relative `data` or `target_file` path is taken relative to the
    config file's folder when a file exists there.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: '{path}'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file '{path}': {exc}") from None
    except ValueError:  # a NUL byte in the name, which no system call takes
        raise ConfigError(
            f"cannot read config file {str(path)!r}: a NUL byte in its name"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise ConfigError(
            f"{path}: not valid TOML for cetrain: arrays or tables nested too deeply "
            "(settings are numbers, strings, lists of names and class=weight tables)"
        ) from None
    values = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in BY_NAME and name not in extra_keys:
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
    for key in ("data", "target_file"):
        value = values.get(key)
        # Only data that looks like a path: "iris" stays the dataset even beside a file "iris".
        if not isinstance(value, str):
            continue  # a value of the wrong type, which resolve_settings refuses by its key
        if (key == "target_file" or looks_like_path(value)) and not Path(value).is_absolute():
            beside_config = path.parent / value
            if beside_config.is_file():
                values[key] = str(beside_config)
    return values


def resolve_settings(
    file_values: Mapping[str, Any] | None = None,
    cli_values: Mapping[str, Any] | None = None,
    *,
    config_name: str = "config",
) -> TrainSettings:
    """Merge defaults <- config file <- command line (None means "not given") and validate.

    A bad value is a ConfigError naming the key, prefixed with where it came from.
    """
    merged: dict[str, Any] = {}
    for source, values in ((config_name, file_values or {}), ("command line", cli_values or {})):
        for key, value in values.items():
            if value is None:
                continue
            if key not in BY_NAME:
                raise ConfigError(f"unknown setting '{key}'; valid keys: {', '.join(KEYS)}")
            try:
                merged[key] = BY_NAME[key].param.check(value)
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc}") from None
    return dataclasses.replace(DEFAULTS, **merged)


def to_toml(
    settings: TrainSettings,
    header: str = "",
    *,
    exclude: tuple[str, ...] = (),
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The settings as a TOML document that `cetrain train` reads back to the same settings.

    Unset values (None), the per-invocation keys (`out`, `force`, `quiet`) and the keys in
    `exclude` are left out; `extra` keys (e.g. compare's `losses`) are added after the
    settings. A mapping is written as a TOML inline table, a sequence of names as an array.
    """
    lines = [f"# {line}" for line in header.splitlines()]
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if value is None or setting.invocation or setting.name in exclude:
            continue
        lines.append(f"{setting.name} = {_toml_value(value)}")
    lines += [f"{key} = {_toml_value(value)}" for key, value in (extra or {}).items()]
    return "\n".join(lines) + "\n"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, int, float, a sequence of str, or a mapping of str to
    any of these (an inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    return "[" + ", ".join(_toml_value(item) for item in value) + "]"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


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
