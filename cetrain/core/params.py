"""Parameters declared once: a name, the values it accepts, a default and a help text.

A `Param` is written next to what it configures (the optimiser's step size in `optim`, a loss's
options in `losses`, ...). Every layer derives what it needs from that one declaration: the
estimators check their parameters with it, `cetrain.runs.settings` turns it into a config key and
`cetrain.cli` into a command-line option with its help. So a value out of range gets the same
message wherever it came from:

    momentum must be a finite number in [0, 1); got 1.5

A `Domain` is the set of accepted values: `check` returns the clean value or raises ValueError
whose text finishes that sentence ("must be ..."), `parse` turns command-line text into a value
to check, `metavar` and `bounds` describe it in --help.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from cetrain.errors import ConfigError


def is_number(value: object) -> bool:
    """A finite real number that float64 can hold (NumPy's too), not a bool."""
    if not isinstance(value, Real) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float64, such as 10**400 in a TOML file
        return False


def number_text(value: float) -> str:
    """A bound as people write it: 0.25, 1000, 1e6, 1e-12 (not Python's 1e+06)."""
    text = f"{value:g}"
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


class Domain:
    """The values a parameter accepts (see the module docstring)."""

    expected: str = "a value"
    metavar: str = "TEXT"

    def check(self, value: Any) -> Any:
        """The clean value; ValueError(f"must be {expected}") if it is not accepted."""
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        """A value from command-line text, before `check` (which rejects what parses badly)."""
        return text

    @property
    def bounds(self) -> str | None:
        """The range in click's style, e.g. "0<=x<1", for --help; None if there is none."""
        return None

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The fixed words accepted, for --help and shell completion; None for open values."""
        return None

    def fail(self) -> ValueError:
        return ValueError(f"must be {self.expected}")


@dataclasses.dataclass(frozen=True)
class Number(Domain):
    """A finite real number in [low, high], either end open; kept as float."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    @property
    def metavar(self) -> str:
        return "FLOAT" if self.bounds is None else "FLOAT RANGE"

    @property
    def expected(self) -> str:
        if math.isinf(self.high) and math.isinf(self.low):
            return "a finite number"
        if math.isinf(self.high):
            return f"a finite number {'>' if self.low_open else '>='} {number_text(self.low)}"
        if math.isinf(self.low):
            return f"a finite number {'<' if self.high_open else '<='} {number_text(self.high)}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"a finite number in {left}{number_text(self.low)}, {number_text(self.high)}{right}"

    def check(self, value: Any) -> float:
        if not is_number(value):
            raise self.fail()
        value = float(value)
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        if not (above and below):
            raise self.fail()
        return value

    def parse(self, text: str) -> float | str:
        return _float_or_text(text)

    @property
    def bounds(self) -> str | None:
        if math.isinf(self.high) and math.isinf(self.low):
            return None
        if math.isinf(self.high):
            return f"x{'>' if self.low_open else '>='}{number_text(self.low)}"
        high = f"x{'<' if self.high_open else '<='}{number_text(self.high)}"
        if math.isinf(self.low):
            return high
        return f"{number_text(self.low)}{'<' if self.low_open else '<='}{high}"


@dataclasses.dataclass(frozen=True)
class Integer(Domain):
    """A whole number in [low, high] (a float such as 10.0 is not one: a TOML "10" neither)."""

    low: int = 0
    high: int | None = None
    metavar: str = "INTEGER RANGE"  # it always has a lower end

    @property
    def expected(self) -> str:
        if self.high is None:
            return f"an integer >= {self.low}"
        return f"an integer in [{self.low}, {self.high}]"

    def check(self, value: Any) -> int:
        if not isinstance(value, Integral) or isinstance(value, bool):
            raise self.fail()
        if value < self.low or (self.high is not None and value > self.high):
            raise self.fail()
        return int(value)

    def parse(self, text: str) -> int | str:
        try:
            return int(text)
        except ValueError:
            return text

    @property
    def bounds(self) -> str:
        return f"x>={self.low}" if self.high is None else f"{self.low}<=x<={self.high}"


@dataclasses.dataclass(frozen=True)
class Choice(Domain):
    """One of a fixed set of words."""

    options: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        return f"one of: {', '.join(self.options)}"

    @property
    def metavar(self) -> str:
        return f"[{'|'.join(self.options)}]"

    @property
    def choices(self) -> tuple[str, ...]:
        return self.options

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise self.fail()
        return value


@dataclasses.dataclass(frozen=True)
class Flag(Domain):
    """True or false (on the command line, --name / --no-name)."""

    expected: str = "true or false"

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise self.fail()
        return bool(value)


@dataclasses.dataclass(frozen=True)
class Text(Domain):
    """A non-empty string, stripped."""

    expected: str = "a non-empty string"
    metavar: str = "TEXT"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail()
        return value.strip()


# The longest path the operating system takes (Linux's PATH_MAX, counted in bytes of UTF-8).
MAX_PATH_BYTES = 4096


@dataclasses.dataclass(frozen=True)
class PathText(Text):
    """A file or folder name: a non-empty string, stripped, that the operating system can take:
    no NUL byte (no system call accepts one) and at most MAX_PATH_BYTES bytes in UTF-8."""

    expected: str = f"a path without NUL bytes, at most {MAX_PATH_BYTES} bytes long"
    metavar: str = "PATH"

    def check(self, value: Any) -> str:
        text = Text().check(value)
        if "\0" in text:
            raise ValueError("must be a path without NUL bytes")
        size = len(text.encode("utf-8", "surrogatepass"))  # the bytes the system would get
        if size > MAX_PATH_BYTES:
            raise ValueError(
                f"must be a path of at most {MAX_PATH_BYTES} bytes (this one has {size})"
            )
        return text


@dataclasses.dataclass(frozen=True)
class Names(Domain):
    """Names, as a comma-separated string or a list of strings: kept as a tuple of str. With
    `count`, exactly that many different names."""

    count: int | None = None
    what: str = "columns"
    expected: str = 'a comma-separated string or a list of strings, like "a,b"'
    metavar: str = "TEXT"

    def check(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",")]
        elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            items = [item.strip() for item in value]
        else:
            raise self.fail()
        if not items or not all(items):
            raise ValueError('must name columns separated by commas, like "a,b"')
        if self.count is not None and (len(items) != self.count or len(set(items)) != len(items)):
            count = {2: "two", 3: "three"}.get(self.count, str(self.count))
            example = ",".join("abcdefghij"[: self.count])
            raise ValueError(f'must name {count} different {self.what}, like "{example}"')
        return tuple(items)


@dataclasses.dataclass(frozen=True)
class Columns(Domain):
    """One column name, or several: a comma-separated string (kept as "a,b", so that a column
    whose own name holds a comma can still be named) or a list (kept as a tuple of str)."""

    expected: str = "a non-empty string"
    metavar: str = "TEXT"

    def check(self, value: Any) -> str | tuple[str, ...]:
        if isinstance(value, list | tuple):
            return Names().check(value)
        if isinstance(value, str) and "," in value:
            return ",".join(Names().check(value))
        return Text().check(value)


# Weights are relative (a mean divides by their sum), so only their ratios matter: beyond a
# million to one a class counts as nothing beside another, while n * 1e6 * loss stays far from
# float64's limit, so sums of weighted losses and gradients never overflow.
MAX_CLASS_WEIGHT = 1e6


def is_class_weight(value: object) -> bool:
    """A number in [0, MAX_CLASS_WEIGHT] (a class weight, a focal alpha)."""
    return is_number(value) and 0 <= value <= MAX_CLASS_WEIGHT


class RepeatedClassError(ValueError):
    """class=weight pairs that name one class twice; the message says which."""


@dataclasses.dataclass(frozen=True)
class ClassValues(Domain):
    """One number in [0, MAX_CLASS_WEIGHT] per class name: a mapping (a TOML table, a dict) or
    the text "a=2,b=1". Kept as a dict of str to float; classes not named take their default."""

    expected: str = (
        f'class=weight pairs with weights in [0, {number_text(MAX_CLASS_WEIGHT)}], like "a=2,b=1"'
    )
    metavar: str = "TEXT"

    def check(self, value: Any) -> dict[str, float]:
        if isinstance(value, str):
            value = self.parse(value)
        if not isinstance(value, Mapping) or not value:
            raise self.fail()
        pairs = {}
        for name, weight in value.items():
            if not is_class_weight(weight) or not str(name).strip():
                raise self.fail()
            if str(name).strip() in pairs:  # "a" and " a", or 1 and "1"
                raise RepeatedClassError(f"names the class {str(name).strip()!r} twice")
            pairs[str(name).strip()] = float(weight)
        return pairs

    @property
    def bounds(self) -> str:
        return f"weights 0<=x<={number_text(MAX_CLASS_WEIGHT)}"

    def parse(self, text: str) -> dict[str, float] | str:
        """ "a=2,b=1" as {"a": 2.0, "b": 1.0}; the text itself (rejected later) if malformed."""
        pairs: dict[str, Any] = {}
        for item in text.split(","):
            name, sign, number = item.partition("=")
            name = name.strip()
            if not sign or not name:
                return text
            if name in pairs:
                raise RepeatedClassError(f"names the class {name!r} twice")
            pairs[name] = _float_or_text(number)
        return pairs


@dataclasses.dataclass(frozen=True)
class OneOf(Domain):
    """A special word (any case), or a value of another domain (or of one of several)."""

    words: tuple[str, ...] = ()
    domains: tuple[Domain, ...] = ()
    expected: str = ""
    metavar: str = ""

    def __post_init__(self) -> None:
        if not (self.expected and self.metavar):
            raise ValueError("OneOf needs the `expected` text and the `metavar` it is shown by")

    def check(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in self.words:
            return value.strip().lower()
        for domain in self.domains:
            try:
                return domain.check(value)
            except RepeatedClassError:
                raise
            except ValueError:
                continue
        raise self.fail()

    @property
    def bounds(self) -> str | None:
        """The ranges of its number domains, e.g. "0<x<=1e6" for a step or "auto"."""
        return ", ".join(d.bounds for d in self.domains if d.bounds is not None) or None

    def parse(self, text: str) -> Any:
        if text.strip().lower() in self.words:
            return text
        if "=" in text and any(isinstance(d, ClassValues) for d in self.domains):
            return ClassValues().parse(text)
        return _float_or_text(text)


@dataclasses.dataclass(frozen=True)
class Param:
    """A declared parameter: its name, accepted values, default and help.

    `default_text` describes a default that is not a plain value ("the last column"); `help`
    is one sentence for --help (the default and the range are added there).
    """

    name: str
    domain: Domain
    default: Any
    help: str
    default_text: str | None = None

    def check(self, value: Any, name: str | None = None) -> Any:
        """The clean value, or a ConfigError "<name> must be ...; got <value>". None is accepted
        where it is the default: the parameter is not set."""
        if value is None and self.default is None:
            return None
        try:
            return self.domain.check(value)
        except ValueError as exc:
            raise ConfigError(f"{name or self.name} {exc}; got {shown(value)}") from None

    def from_text(self, text: str, name: str | None = None) -> Any:
        """The clean value of command-line text: parsed, then checked as `check` does."""
        try:
            value = self.domain.parse(text)
        except ValueError as exc:  # text the domain reads but refuses: a class named twice
            raise ConfigError(f"{name or self.name} {exc}; got {shown(text)}") from None
        if not isinstance(value, Mapping):
            return self.check(value, name)
        try:  # pairs read from "a=2,b=1": a refusal repeats the text as typed
            return self.check(value, name)
        except ConfigError:
            return self.check(text, name)

    def renamed(self, name: str, **changes: Any) -> Param:
        """The same parameter under another name (a run setting for an estimator parameter)."""
        return dataclasses.replace(self, name=name, **changes)

    @property
    def shown_default(self) -> str | None:
        """The default as --help shows it; None when there is nothing to show."""
        if self.default_text is not None:
            return self.default_text
        if isinstance(self.default, bool):
            flag = self.name.replace("_", "-")
            return flag if self.default else f"no-{flag}"
        if isinstance(self.default, float):
            return f"{self.default:g}"
        return None if self.default is None else str(self.default)


MAX_SHOWN = 80  # characters of a refused value that an error message repeats


def shown(value: object) -> str:
    """repr(value) for an error message, cut to MAX_SHOWN characters with its length said, so
    that one line stays one line: 'aaaaaaaa...' (5000 characters)."""
    text = repr(value)
    if len(text) <= MAX_SHOWN:
        return text
    if isinstance(value, str):
        size = f" ({len(value)} characters)"
    elif isinstance(value, Integral):
        size = f" ({len(str(abs(int(value))))} digits)"
    else:
        size = ""
    return f"{text[: MAX_SHOWN - 3]}...{size}"


def is_none_word(value: object) -> bool:
    """The word "none" (any case, spaces around it), which stands for None in a config file and
    on the command line, where there is no None."""
    return isinstance(value, str) and value.strip().lower() == "none"


def per_class(
    mapping: Mapping[Any, Any], class_names: Sequence[str], option: str, unnamed: float = 1.0
) -> tuple[float, ...]:
    """{class: number} as one number per class, in the order of `class_names`.

    A class not named takes `unnamed`; a name that is not a class, or a number outside
    [0, MAX_CLASS_WEIGHT], is a ConfigError that names the option and the classes.
    """
    names = [str(name) for name in class_names]
    values = dict.fromkeys(names, unnamed)
    seen: set[str] = set()
    for label, value in mapping.items():
        if str(label) in seen:  # 1 and "1" name one class
            raise ConfigError(f"{option} names the class {str(label)!r} twice")
        seen.add(str(label))
        if str(label) not in values:
            raise ConfigError(
                f"{option} names the unknown class {label!r}; the classes are {', '.join(names)}"
            )
        if not is_class_weight(value):
            raise ConfigError(
                f"{option} of {label!r} must be a number in [0, {number_text(MAX_CLASS_WEIGHT)}]; "
                f"got {value!r}"
            )
        values[str(label)] = float(value)
    return tuple(values.values())


def _float_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


# --- advice that names parameters, in the spelling of the surface that shows it --------------


class Spelling:
    """How a surface writes a parameter: Python's `max_iter` and `tol=1e-06` (this class);
    the command line derives its own (`--epochs`, `--tol 1e-06`) from its settings."""

    def name(self, param: str) -> str:
        return param

    def value(self, param: str, value: Any) -> str:
        return f"{param}={_python_text(value)}"


PYTHON = Spelling()


@dataclasses.dataclass(frozen=True)
class Advice:
    """A message that names parameters, rendered per surface (see Spelling).

    `template` is a str.format template whose fields are keys of `mentions`, each a (parameter
    name, value) pair: `{key}` renders the parameter with its value (`tol=1e-06`, `--tol 1e-06`),
    `{key:name}` the parameter alone (`tol`, `--tol`). str() is the Python spelling.
    """

    template: str
    mentions: Mapping[str, tuple[str, Any]] = dataclasses.field(default_factory=dict)

    def render(self, spelling: Spelling = PYTHON) -> str:
        fields = {key: _Mention(spelling, *mention) for key, mention in self.mentions.items()}
        return self.template.format_map(fields)

    def __str__(self) -> str:
        return self.render()


@dataclasses.dataclass(frozen=True)
class _Mention:
    spelling: Spelling
    param: str
    value: Any

    def __format__(self, spec: str) -> str:
        if spec == "name":
            return self.spelling.name(self.param)
        return self.spelling.value(self.param, self.value)


def _python_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)
