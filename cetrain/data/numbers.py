"""Numbers as CSV files write them: a decimal comma, thousands separators, and how to tell.

A file's number format is two settings, declared here once: `decimal` (``.`` or ``,``) and
`thousands` (``,``, ``.``, ``'``, ``space`` or none). ``space`` is any of the space, the
no-break space (U+00A0) and the narrow no-break space (U+202F) that French and SI style put
between groups. With either setting given, a number must be written in that format: digits in
groups of three after the first group (or no grouping at all), the decimal mark given, an
optional exponent; ``12.5`` is not a number in a file read with ``--decimal ,``. Without them,
a number is what Python's float() reads.

A text column is never read as categories when its values are numbers in another format:
`format_problem` finds such a column and says which options read it. ``1,011`` reads as 1011
with ``--thousands ,`` and as 1.011 with ``--decimal ,``: the message names both.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
import re
from collections.abc import Sequence

from cetrain.core.params import Choice, Param

DECIMAL = Param(
    "decimal",
    Choice((".", ",")),
    None,
    "Decimal mark of the numbers in a CSV file, e.g. --decimal , for 12,5.",
    default_text=".",
)
THOUSANDS = Param(
    "thousands",
    Choice((",", ".", "'", "space", "none")),
    None,
    "Thousands separator of the numbers in a CSV file, e.g. --thousands , for 1,011 "
    "(space: a space or no-break space, as in 1 011).",
    default_text="none",
)

_SPACES = " \u00a0\u202f"
_NON_FINITE = re.compile(r"[+-]?(inf|infinity|nan)", re.IGNORECASE)
# a currency sign before a number, or a percent sign after it: read by no format
_SIGNED = re.compile(r"[$€£¥]\s?(?P<a>[^$€£¥%]+)|(?P<b>[^$€£¥%]+?)\s?%")


@dataclasses.dataclass(frozen=True)
class NumberFormat:
    """How a file writes its numbers: the decimal mark and the thousands separator (None)."""

    decimal: str = "."
    thousands: str | None = None

    def __post_init__(self) -> None:
        if self.thousands == "none":
            object.__setattr__(self, "thousands", None)
        if self.decimal not in (".", ","):
            raise ValueError(f"decimal must be '.' or ','; got {self.decimal!r}")
        if self.thousands == self.decimal:
            raise ValueError(
                f"the decimal mark and the thousands separator are both '{self.decimal}'"
            )
        self._compile()

    @classmethod
    def of(cls, decimal: str | None = None, thousands: str | None = None) -> NumberFormat:
        """The format of the settings (None: the default), checked by their declarations."""
        return cls(DECIMAL.check(decimal) or ".", THOUSANDS.check(thousands))

    @property
    def plain(self) -> bool:
        return self.decimal == "." and self.thousands is None

    @property
    def options(self) -> str:
        """The command-line options that read this format, e.g. "--decimal , --thousands ."."""
        parts = [] if self.decimal == "." else [f"--decimal {self.decimal}"]
        if self.thousands is not None:
            parts.append(f"--thousands {self.thousands}")
        return " ".join(parts)

    @property
    def words(self) -> str:
        """What sets the format apart from plain numbers: "thousands separators", ..."""
        parts = [] if self.thousands is None else ["thousands separators"]
        if self.decimal == ",":
            parts.insert(0, "a decimal comma")
        return " and ".join(parts) or "a decimal point"

    def parse(self, text: str) -> float | None:
        """The number the text holds in this format (inf for 1e999), or None if it holds none."""
        text = text.strip()
        if self.plain:
            try:
                return float(text)
            except ValueError:
                return None
        match = self._regex.fullmatch(text)
        if match is None:
            return float(text) if _NON_FINITE.fullmatch(text) else None
        sign, whole, fraction, fraction_only, exponent = match.groups()
        digits = whole.translate(self._drop) if whole else "0"
        return float(f"{sign or ''}{digits}.{fraction or fraction_only or ''}{exponent or ''}")

    def _compile(self) -> None:
        """The pattern of a number, sign? (digits (mark digits?)? | mark digits) exponent?,
        the digits grouped or not, and the separators to drop from it."""
        separators = _SPACES if self.thousands == "space" else (self.thousands or "")
        whole = "[0-9]+"
        if separators:
            whole = rf"[0-9]{{1,3}}(?:[{re.escape(separators)}][0-9]{{3}})+|[0-9]+"
        mark = re.escape(self.decimal)
        number = rf"([+-])?(?:({whole})(?:{mark}([0-9]*))?|{mark}([0-9]+))([eE][+-]?[0-9]+)?"
        object.__setattr__(self, "_regex", re.compile(number))
        object.__setattr__(self, "_drop", {ord(c): None for c in separators})


PLAIN = NumberFormat()

# The formats a column may be written in, simplest (fewest options) first.
FORMATS = (
    PLAIN,
    NumberFormat(".", ","),
    NumberFormat(",", None),
    NumberFormat(".", "space"),
    NumberFormat(".", "'"),
    NumberFormat(",", "."),
    NumberFormat(",", "space"),
    NumberFormat(",", "'"),
)


def other_format(text: str, given: NumberFormat) -> NumberFormat | None:
    """The simplest other format in which the text is a number (None: no format reads it)."""
    return next((f for f in FORMATS if f != given and f.parse(text) is not None), None)


def format_problem(
    column: str, values: Sequence[tuple[str, str]], given: NumberFormat
) -> str | None:
    """Why a column that `given` does not read as numbers must not become categories: its
    values are numbers written in another format (or with a currency or percent sign), maybe
    with a few words among them. None when the column is text.

    `values` are (row name, text) pairs, e.g. ("line 7", "1,011"); the message names the first
    value that sets the format apart, and the options that read the column.
    """
    # the formats that read each distinct value, as bits of FORMATS (a column repeats values)
    read_by = {v: _reading(v) for v in {v for _, v in values}}
    numbers = [(row, v) for row, v in values if read_by[v]]
    needed = _bit(given) | _bit(PLAIN)
    formatted = [(row, v) for row, v in numbers if read_by[v] & needed != needed]
    if not formatted or 2 * len(numbers) <= len(values):
        return _signed_problem(column, values)
    row, example = formatted[0]
    where = f"'{shown(example)}' on {row}"
    common = functools.reduce(operator.and_, (read_by[v] for _, v in numbers))
    readers = [f for f in FORMATS if common & _bit(f)]
    words = [(r, v) for r, v in values if not read_by[v]]
    text = f" and the text '{shown(words[0][1])}' ({words[0][0]})" if words else ""
    leave_out = "or leave the column out with --features"
    if given in readers:
        return (
            f"column '{column}' holds numbers ({where}){text}, so it would be read "
            f"as text; leave a missing value empty (or write na), {leave_out}"
        )
    if not readers:
        simplest = next(f for f in FORMATS if f.parse(example) is not None)
        other = next(v for _, v in numbers if simplest.parse(v) is None)
        return (
            f"column '{column}' holds numbers written in different formats ({where}, "
            f"'{shown(other)}'){text}, so it would be read as text; write every number in one "
            f"format, {leave_out}"
        )
    first = readers[0]
    same = [f for f in readers[1:] if _n_options(f) == _n_options(first)]
    alt = same[0] if same and first.parse(example) != same[0].parse(example) else None
    if given.plain:
        with_given, fix = "", f"pass {first.options} to read them as numbers"
        if alt is not None:
            fix = (
                f"pass {first.options} to read '{shown(example)}' as "
                f"{_shown(first.parse(example))}, or {alt.options} to read it as "
                f"{_shown(alt.parse(example))}"
            )
    else:
        with_given = f" with {given.options}"
        either = first.options if alt is None else f"{first.options} or {alt.options}"
        fix = f"they need {either} (the options apply to every column)"
        if first.plain:
            fix = f"they are read without {given.options} (the options apply to every column)"
    kind = first.words if alt is None else f"{first.words} or {alt.words}"
    missing = "; leave a missing value empty (or write na)" if words else ""
    return (
        f"column '{column}' holds numbers with {kind} ({where}){text}, which "
        f"would be read as text{with_given}; {fix}{missing}, {leave_out}"
    )


def _reading(text: str) -> int:
    """The formats that read the text as a number, as bits (bit i: FORMATS[i])."""
    return sum(1 << i for i, f in enumerate(FORMATS) if f.parse(text) is not None)


def _bit(fmt: NumberFormat) -> int:
    return 1 << FORMATS.index(fmt) if fmt in FORMATS else 0


def shown(text: object, limit: int = 40) -> str:
    """A value as an error shows it, on one line: characters that do not print (a vertical tab,
    a NUL) escaped as \\x0b, and cut to `limit` characters."""
    text = str(text)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _signed_problem(column: str, values: Sequence[tuple[str, str]]) -> str | None:
    """A column of numbers with a currency or percent sign (most of its values)."""
    signed = [(row, v) for row, v in values if _signed_number(v)]
    if 2 * len(signed) <= len(values):
        return None
    row, example = signed[0]
    return (
        f"column '{column}' holds numbers with a currency or percent sign ('{shown(example)}' on "
        f"{row}), which would be read as text; write the numbers without the sign, or leave "
        "the column out with --features"
    )


def _signed_number(text: str) -> bool:
    match = _SIGNED.fullmatch(text.strip())
    if match is None:
        return False
    number = match["a"] if match["a"] is not None else match["b"]
    return any(f.parse(number) is not None for f in FORMATS)


def _n_options(fmt: NumberFormat) -> int:
    return len(fmt.options.split(" ")) // 2 if fmt.options else 0


def _shown(value: float | None) -> str:
    return "nothing" if value is None or not math.isfinite(value) else f"{value:.15g}"
