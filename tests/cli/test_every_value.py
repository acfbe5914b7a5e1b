"""Every value a user can type is checked where it is read (issue 11, item 3).

The options come from the commands themselves, which are made from the declarations, so an
option added later is swept too: each hostile value (0, negative, nan, inf, -inf, 1e308, 1e-320,
a huge integer, an empty string, a NUL byte, a name too long for any system) either gives one
clean `Error:` line naming the option or is a value the declaration accepts. Only values that
must be refused are run, so nothing trains and the sweep takes a second or two.
"""

import math

import click
import pytest
from conftest import assert_error, invoke, stop_playground

from cetrain.cli import cli
from cetrain.cli.base import ParamType
from cetrain.cli.teaching import DEMO_DATA, DEMO_LEARNING_RATE, DEMO_OUT, SMOOTHING
from cetrain.core.params import Integer, Number, OneOf, Param
from cetrain.errors import ConfigError
from cetrain.runs.settings import SETTINGS, resolve_settings

HOSTILE_TEXT = [
    "0",
    "-1",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-320",
    str(10**30),
    "",
    "a\0b",
    "x" * 5000,
]
# the values a TOML file can hold for the same cases
HOSTILE_TOML = [
    0,
    -1,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1e-320,
    10**30,
    "",
    "a\0b",
    "x" * 5000,
    [],
    {},
    [[[[1]]]],
]

COMMANDS = sorted(cli.commands.items())


def _declared_options() -> list[tuple[str, click.Option, Param]]:
    """(command, option, its declaration) for every option made from a Param."""
    return [
        (name, option, option.type.param)
        for name, command in COMMANDS
        for option in command.params
        if isinstance(option, click.Option) and isinstance(option.type, ParamType)
    ]


def _refusal(param: Param, text: str) -> str | None:
    """The message the declaration gives for `text`; None when it accepts it."""
    try:
        param.from_text(text)
    except ConfigError as exc:
        return str(exc)
    return None


DECLARED = _declared_options()


def test_the_sweep_covers_every_setting_and_the_demo_options():
    swept = {(name, option.name) for name, option, _ in DECLARED}
    assert {("train", setting.name) for setting in SETTINGS if not setting.is_flag} <= swept
    assert {("landscape", "lr"), ("landscape", "data"), ("landscape", "out")} <= swept
    assert {("saturation", "lr"), ("saturation", "out"), ("loss", "smoothing")} <= swept


@pytest.mark.parametrize(
    ("command", "option", "param"),
    DECLARED,
    ids=[f"{name} {option.opts[0]}" for name, option, _ in DECLARED],
)
def test_a_declared_option_refuses_what_its_declaration_refuses(command, option, param):
    flag = option.opts[0]
    refused = 0
    for text in HOSTILE_TEXT:
        message = _refusal(param, text)
        if message is None:
            continue
        refused += 1
        assert_error(
            invoke(command, flag, text), f"Invalid value for '{flag}': {message}", exit_code=2
        )
    # every declared option refuses something here: a NUL byte, nan, a huge number or "" (a
    # column name may be "nan": an unknown column is refused when the data is read)
    assert refused >= 1


def _numeric_params() -> list[Param]:
    params = [s.param for s in SETTINGS] + [DEMO_LEARNING_RATE, SMOOTHING]
    return [p for p in params if _numbers_of(p.domain)]


def _numbers_of(domain) -> list:
    if isinstance(domain, Number | Integer):
        return [domain]
    if isinstance(domain, OneOf):
        return [d for d in domain.domains if isinstance(d, Number | Integer)]
    return []


# A tolerance of any size is honest: the run stops at epoch 0, "converged".
UNBOUNDED_ABOVE = {"tol"}


@pytest.mark.parametrize("param", _numeric_params(), ids=lambda p: p.name)
def test_every_number_has_a_range_float64_can_compute(param):
    for domain in _numbers_of(param.domain):
        if isinstance(domain, Integer):
            assert domain.high is not None and domain.high < 2**53, param.name
        elif param.name not in UNBOUNDED_ABOVE:
            assert math.isfinite(domain.low) and math.isfinite(domain.high), param.name
            assert domain.high <= 1e6 and domain.low >= -1e6, param.name
    for text in ("nan", "inf", "-inf", "1e308", "-1e308", str(10**30)):
        if param.name in UNBOUNDED_ABOVE and text in ("1e308", str(10**30)):
            continue
        assert _refusal(param, text) is not None, (param.name, text)


@pytest.mark.parametrize("param", [DEMO_DATA, DEMO_OUT] + [s.param for s in SETTINGS])
def test_no_setting_takes_a_nul_byte_or_a_path_longer_than_the_system_allows(param):
    for text in ("a\0b", "x" * 5000):
        if param.name in ("data", "out"):
            assert _refusal(param, text) is not None, (param.name, text)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_a_config_value_is_refused_by_its_key_or_accepted(setting):
    for value in HOSTILE_TOML:
        try:
            resolve_settings({setting.name: value}, config_name="run.toml")
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(f"run.toml: {setting.name} "), message
            assert "\n" not in message and len(message) < 400, message
            assert str(exc) == f"run.toml: {_check_message(setting.param, value)}"


def _check_message(param: Param, value) -> str:
    with pytest.raises(ConfigError) as refused:
        param.check(value)
    return str(refused.value)


# Options that are not settings (click's own types, free text) and the commands' arguments:
# every hostile value ends in one `Error:` line or a correct run, never a traceback.
_BASE = {
    "loss": ["--target", "0", "--probs", "0.5,0.5"],
    "predict": ["missing.json", "missing.csv"],
    "evaluate": ["missing.json", "missing.csv"],
    "report": ["missing-run"],
}
OTHER = [
    (name, option)
    for name, command in COMMANDS
    for option in command.params
    if not isinstance(option.type, ParamType)
    and not (isinstance(option, click.Option) and (option.is_flag or option.name == "help"))
]


@pytest.mark.parametrize(
    ("command", "option"),
    OTHER,
    ids=[f"{name} {option.opts[0]}" for name, option in OTHER],
)
def test_any_other_value_ends_in_one_error_line_or_a_run(tmp_path, monkeypatch, command, option):
    monkeypatch.chdir(tmp_path)  # whatever a run writes, it writes here
    if command == "playground":
        stop_playground(monkeypatch)  # a value it takes would serve until Ctrl-C
    for text in HOSTILE_TEXT:
        if isinstance(option.type, click.Choice) and text in option.type.choices:
            continue  # a run of its own ("saturation --target 0"), tested elsewhere
        base = list(_BASE.get(command, []))
        if isinstance(option, click.Argument):
            position = [p.name for p in cli.commands[command].params].index(option.name)
            args = [*base[:position], text, *base[position + 1 :]] if base else [text]
        else:
            flag = option.opts[0]
            if flag in base:  # the base's own value is replaced
                at = base.index(flag)
                del base[at : at + 2]
            args = [*base, flag, text]
            if command == "loss" and flag in ("--p", "--scores"):
                args = [a for a in args if a not in ("--target", "0", "--probs", "0.5,0.5")]
                args += ["--probs", "0.5,0.5"] if flag == "--p" else ["--target", "0"]
        result = invoke(command, *args)
        assert "Traceback" not in result.output, (args, result.output)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), (args, result.exception)
        if result.exit_code != 0:
            lines = result.stderr.strip().splitlines()
            assert result.exit_code in (1, 2), (args, result.output)
            assert lines[-1].startswith("Error: "), (args, result.output)
            assert result.stderr.count("Error:") == 1, (args, result.output)
