"""Tests for core.params: each domain's accepted and rejected values, its texts for messages and
--help, command-line parsing, Param's messages and defaults, and per_class."""

import math
import re

import numpy as np
import pytest

from cetrain.core.params import (
    Choice,
    ClassValues,
    Columns,
    Flag,
    Integer,
    Names,
    Number,
    OneOf,
    Param,
    RepeatedClassError,
    Text,
    is_number,
    per_class,
)
from cetrain.errors import ConfigError

MOMENTUM_DOMAIN = Number(0.0, 1.0, high_open=True)
NAMES_MESSAGE = 'must name columns separated by commas, like "a,b"'
NAMES_TYPE_MESSAGE = 'must be a comma-separated string or a list of strings, like "a,b"'
CLASS_VALUES_MESSAGE = 'must be class=weight pairs with weights in [0, 1e6], like "a=2,b=1"'
WORDS = OneOf(
    words=("auto", "none", "balanced"),
    domains=(Number(0.0, low_open=True),),
    expected='a finite number > 0, "auto", "none" or "balanced"',
    metavar="NUMBER|auto",
)
ALPHA = OneOf(
    words=("none",),
    domains=(Number(0.0, 1.0), ClassValues()),
    expected='a number in [0, 1], "none", or class=weight pairs',
    metavar="NUMBER|none",
)


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def assert_rejects(domain, value, message):
    """domain.check(value) raises ValueError with exactly `message`."""
    with pytest.raises(ValueError, match=exactly(message)):
        domain.check(value)


# --- is_number ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, True),
        (-3, True),
        (2.5, True),
        (np.float32(0.5), True),
        (np.int64(7), True),
        (True, False),
        (False, False),
        (np.bool_(True), False),
        (math.nan, False),
        (math.inf, False),
        (-math.inf, False),
        ("1", False),
        (None, False),
        (1j, False),
    ],
)
def test_is_number(value, expected):
    assert is_number(value) is expected


def test_is_number_of_an_int_too_large_for_a_float_is_false():
    assert is_number(10**400) is False


def test_a_param_rejects_an_int_too_large_for_a_float_with_a_config_error():
    tol = Param("tol", Number(0.0), 1e-6, "Tolerance.")
    with pytest.raises(
        ConfigError,
        match=exactly(f"tol must be a finite number >= 0; got {str(10**400)[:77]}... (401 digits)"),
    ):
        tol.check(10**400)


# --- Number ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, value, expected",
    [
        (Number(0.0), 0, 0.0),
        (Number(0.0), 3, 3.0),
        (Number(0.0), 2.5, 2.5),
        (Number(0.0), np.int64(2), 2.0),
        (Number(0.0), np.float32(0.5), 0.5),
        (Number(), -1e300, -1e300),
        (MOMENTUM_DOMAIN, 0.0, 0.0),
        (MOMENTUM_DOMAIN, 0.99, 0.99),
        (Number(0.0, low_open=True), 1e-300, 1e-300),
        (Number(0.0, 1.0), 1.0, 1.0),
        (Number(high=0.0, high_open=True), -0.5, -0.5),
    ],
)
def test_number_accepts_a_value_in_range_as_a_python_float(domain, value, expected):
    result = domain.check(value)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize(
    "domain, value",
    [
        (Number(0.0), True),
        (Number(0.0), False),
        (Number(0.0), np.bool_(True)),
        (Number(0.0), math.nan),
        (Number(0.0), math.inf),
        (Number(), -math.inf),
        (Number(0.0), "1.5"),
        (Number(0.0), None),
        (Number(0.0), [1.0]),
        (Number(0.0), 1j),
        (Number(0.0), -1e-12),
        (MOMENTUM_DOMAIN, 1.0),
        (MOMENTUM_DOMAIN, -0.01),
        (Number(0.0, low_open=True), 0.0),
        (Number(0.0, low_open=True), 0),
        (Number(high=0.0, high_open=True), 0.0),
        (Number(0.0, 1.0), 1.0000001),
    ],
)
def test_number_rejects(domain, value):
    assert_rejects(domain, value, f"must be {domain.expected}")


@pytest.mark.parametrize(
    "domain, expected, bounds",
    [
        (Number(0.0), "a finite number >= 0", "x>=0"),
        (MOMENTUM_DOMAIN, "a finite number in [0, 1)", "0<=x<1"),
        (Number(0.0, low_open=True), "a finite number > 0", "x>0"),
        (Number(high=0.0, high_open=True), "a finite number < 0", "x<0"),
        (Number(high=5.0), "a finite number <= 5", "x<=5"),
        (Number(0.0, 1.0), "a finite number in [0, 1]", "0<=x<=1"),
        (Number(0.0, 1.0, low_open=True, high_open=True), "a finite number in (0, 1)", "0<x<1"),
        (Number(-1.0, 2.5, low_open=True), "a finite number in (-1, 2.5]", "-1<x<=2.5"),
        (Number(1e-6), "a finite number >= 1e-6", "x>=1e-6"),
    ],
)
def test_number_expected_text_and_bounds(domain, expected, bounds):
    assert domain.expected == expected
    assert domain.bounds == bounds


def test_number_message_finishes_the_sentence():
    assert_rejects(MOMENTUM_DOMAIN, 1.5, "must be a finite number in [0, 1)")


def test_number_metavar_is_clicks_and_no_choices():
    assert Number().metavar == "FLOAT"
    assert Number(0.0).metavar == "FLOAT RANGE"
    assert Number().choices is None


@pytest.mark.parametrize(
    "text, expected", [("1.5", 1.5), ("1e-3", 0.001), (" 2 ", 2.0), ("-0.25", -0.25)]
)
def test_number_parses_text_as_float(text, expected):
    result = Number().parse(text)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize("text", ["abc", "", "1,5"])
def test_number_keeps_unreadable_text_which_check_rejects(text):
    domain = Number(0.0)
    assert domain.parse(text) == text
    assert_rejects(domain, domain.parse(text), "must be a finite number >= 0")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400"])
def test_number_parses_non_finite_text_then_rejects_it(text):
    domain = Number(0.0)
    parsed = domain.parse(text)
    assert isinstance(parsed, float) and not math.isfinite(parsed)
    assert_rejects(domain, parsed, "must be a finite number >= 0")


# --- Integer -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, value",
    [
        (Integer(), 0),
        (Integer(), 5000),
        (Integer(), np.int64(7)),
        (Integer(1), 1),
        (Integer(2, 10), 2),
        (Integer(2, 10), 10),
        (Integer(-3), -3),
    ],
)
def test_integer_accepts_a_whole_number_in_range_as_a_python_int(domain, value):
    result = domain.check(value)
    assert result == int(value)
    assert type(result) is int


@pytest.mark.parametrize(
    "domain, value",
    [
        (Integer(), True),
        (Integer(), False),
        (Integer(), 10.0),
        (Integer(), np.float64(3.0)),
        (Integer(), "5"),
        (Integer(), None),
        (Integer(), -1),
        (Integer(1), 0),
        (Integer(2, 10), 1),
        (Integer(2, 10), 11),
    ],
)
def test_integer_rejects(domain, value):
    assert_rejects(domain, value, f"must be {domain.expected}")


@pytest.mark.parametrize(
    "domain, expected, bounds",
    [
        (Integer(), "an integer >= 0", "x>=0"),
        (Integer(1), "an integer >= 1", "x>=1"),
        (Integer(2, 10), "an integer in [2, 10]", "2<=x<=10"),
    ],
)
def test_integer_expected_text_and_bounds(domain, expected, bounds):
    assert domain.expected == expected
    assert domain.bounds == bounds
    assert domain.metavar == "INTEGER RANGE"


@pytest.mark.parametrize(
    "text, expected", [("12", 12), (" 3 ", 3), ("-4", -4), ("10.0", "10.0"), ("abc", "abc")]
)
def test_integer_parse(text, expected):
    result = Integer().parse(text)
    assert result == expected
    assert type(result) is type(expected)


def test_integer_rejects_text_that_is_not_a_whole_number():
    domain = Integer(1)
    assert_rejects(domain, domain.parse("10.0"), "must be an integer >= 1")


# --- Choice, Flag, Text ------------------------------------------------------------------------

FORMATS = Choice(("png", "svg", "pdf"))


def test_choice_accepts_its_words():
    assert [FORMATS.check(word) for word in ("png", "svg", "pdf")] == ["png", "svg", "pdf"]


@pytest.mark.parametrize("value", ["SVG", " svg", "jpg", "", 1, None])
def test_choice_rejects_other_values(value):
    assert_rejects(FORMATS, value, "must be one of: png, svg, pdf")


def test_choice_texts():
    assert FORMATS.expected == "one of: png, svg, pdf"
    assert FORMATS.metavar == "[png|svg|pdf]"
    assert FORMATS.choices == ("png", "svg", "pdf")
    assert FORMATS.bounds is None
    assert FORMATS.parse("svg") == "svg"


@pytest.mark.parametrize(
    "value, expected",
    [(True, True), (False, False), (np.bool_(True), True), (np.bool_(False), False)],
)
def test_flag_accepts_bools_as_python_bools(value, expected):
    result = Flag().check(value)
    assert result is expected


@pytest.mark.parametrize("value", [1, 0, "true", "false", None, 1.0])
def test_flag_rejects_other_values(value):
    assert_rejects(Flag(), value, "must be true or false")


@pytest.mark.parametrize(
    "value, expected", [("iris", "iris"), ("  iris \n", "iris"), ("a b", "a b")]
)
def test_text_is_stripped(value, expected):
    assert Text().check(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "\t\n", 3, None, ["a"]])
def test_text_rejects_empty_and_non_strings(value):
    assert_rejects(Text(), value, "must be a non-empty string")


def test_text_metavar_can_be_changed():
    assert Text().metavar == "TEXT"
    assert Text(metavar="PATH").metavar == "PATH"


# --- Names and Columns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a,b", ("a", "b")),
        (" a , b ", ("a", "b")),
        ("x", ("x",)),
        (["x", " y"], ("x", "y")),
        (("p",), ("p",)),
        ("a,b,a", ("a", "b", "a")),
    ],
)
def test_names_accepts_a_comma_string_or_a_list(value, expected):
    assert Names().check(value) == expected


@pytest.mark.parametrize("value", ["a,,b", "a,", ",a", "", " ", [], ["a", ""], ("a", "  ")])
def test_names_rejects_empty_names(value):
    assert_rejects(Names(), value, NAMES_MESSAGE)


@pytest.mark.parametrize("value", [5, None, [1, 2], ["a", 2], {"a": 1}])
def test_names_rejects_other_types(value):
    assert_rejects(Names(), value, NAMES_TYPE_MESSAGE)


def test_an_empty_name_is_refused_whatever_the_names_are():
    assert_rejects(Names(what="features"), "a,,b", NAMES_MESSAGE)


@pytest.mark.parametrize("value, expected", [("x,y", ("x", "y")), ([" y", "x "], ("y", "x"))])
def test_names_with_a_count_of_two_accepts_two_different_names(value, expected):
    assert Names(count=2, what="features").check(value) == expected


@pytest.mark.parametrize("value", ["x", "x,y,z", "x,x", ["x", " x"]])
def test_names_with_a_count_of_two_rejects_other_numbers_and_repeats(value):
    assert_rejects(
        Names(count=2, what="features"), value, 'must name two different features, like "a,b"'
    )


@pytest.mark.parametrize("value", ["x,", "", "a,,b"])
def test_names_with_a_count_of_two_refuses_an_empty_name_first(value):
    assert_rejects(Names(count=2, what="features"), value, NAMES_MESSAGE)


def test_names_with_a_count_of_three_does_not_ask_for_two():
    with pytest.raises(ValueError) as info:
        Names(count=3).check("a,b")
    assert "two" not in str(info.value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("label", "label"),
        ("  label ", "label"),
        ("a , b", "a,b"),
        ("a,b", "a,b"),
        (["a", " b"], ("a", "b")),
        (("a",), ("a",)),
    ],
)
def test_columns(value, expected):
    result = Columns().check(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "must be a non-empty string"),
        ("  ", "must be a non-empty string"),
        (3, "must be a non-empty string"),
        (None, "must be a non-empty string"),
        ("a,,b", NAMES_MESSAGE),
        ("a,", NAMES_MESSAGE),
        ([], NAMES_MESSAGE),
        ([1], NAMES_TYPE_MESSAGE),
    ],
)
def test_columns_rejects(value, message):
    assert_rejects(Columns(), value, message)


# --- ClassValues -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a=2,b=1", {"a": 2.0, "b": 1.0}),
        (" a = 2 , b=0", {"a": 2.0, "b": 0.0}),
        ("Yes=5", {"Yes": 5.0}),
        ({"Yes": 5, "No": 1}, {"Yes": 5.0, "No": 1.0}),
        ({1: 2, 0: 0.5}, {"1": 2.0, "0": 0.5}),
        ({" a ": np.float64(1.5)}, {"a": 1.5}),
    ],
)
def test_class_values_accepts_text_and_mappings_as_str_to_float(value, expected):
    result = ClassValues().check(value)
    assert result == expected
    assert all(type(key) is str and type(weight) is float for key, weight in result.items())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a=2,b=1", {"a": 2.0, "b": 1.0}),
        ("a=x", {"a": "x"}),
        ("a2", "a2"),
        ("=1", "=1"),
        ("a=1,", "a=1,"),
        ("", ""),
    ],
)
def test_class_values_parse(text, expected):
    assert ClassValues().parse(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"a": -1},
        {"a": 1, "b": -0.5},
        {},
        "a2",
        "a=x",
        "a=1,",
        "",
        {"a": True},
        {"a": math.nan},
        {"a": math.inf},
        {"a": "2"},
        {"": 1},
        {" ": 1},
        5,
        None,
        [("a", 1)],
    ],
)
def test_class_values_rejects(value):
    assert_rejects(ClassValues(), value, CLASS_VALUES_MESSAGE)


@pytest.mark.parametrize("text", ["a=1,b=2,a=3", " a =1,a=2"])
def test_class_values_refuses_a_class_named_twice(text):
    for read in (ClassValues().parse, ClassValues().check):
        with pytest.raises(RepeatedClassError, match=exactly("names the class 'a' twice")):
            read(text)


def test_repeated_class_error_is_a_value_error():
    assert issubclass(RepeatedClassError, ValueError)


def test_class_values_refuses_a_mapping_that_names_a_class_twice_once_stripped():
    with pytest.raises(RepeatedClassError):
        ClassValues().check({"a": 1, " a": 2})


# --- OneOf -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("auto", "auto"),
        ("AUTO", "auto"),
        (" Balanced ", "balanced"),
        ("None", "none"),
        (0.5, 0.5),
        (2, 2.0),
    ],
)
def test_one_of_accepts_its_words_in_any_case_and_its_domains_values(value, expected):
    result = WORDS.check(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", ["fast", "", 0, -1.0, True, None, math.nan])
def test_one_of_rejects_with_its_own_expected_text(value):
    assert_rejects(WORDS, value, 'must be a finite number > 0, "auto", "none" or "balanced"')


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.25, 0.25),
        (1, 1.0),
        ("NONE", "none"),
        ({"a": 0.5}, {"a": 0.5}),
        ("a=0.5,b=0.25", {"a": 0.5, "b": 0.25}),
    ],
)
def test_one_of_tries_each_domain_in_turn(value, expected):
    assert ALPHA.check(value) == expected


@pytest.mark.parametrize("value", [2.0, -0.1, {"a": -1}, "a2"])
def test_one_of_rejects_what_no_domain_accepts(value):
    assert_rejects(ALPHA, value, 'must be a number in [0, 1], "none", or class=weight pairs')


def test_one_of_lets_a_repeated_class_through():
    with pytest.raises(RepeatedClassError, match=exactly("names the class 'a' twice")):
        ALPHA.check("a=1,a=2")


@pytest.mark.parametrize(
    "domain, text, expected",
    [
        (ALPHA, "None", "None"),
        (ALPHA, "0.5", 0.5),
        (ALPHA, "a=0.5,b=1", {"a": 0.5, "b": 1.0}),
        (ALPHA, "abc", "abc"),
        (WORDS, "Auto", "Auto"),
        (WORDS, "3", 3.0),
        (WORDS, "a=1", "a=1"),  # no ClassValues among its domains
    ],
)
def test_one_of_parse(domain, text, expected):
    assert domain.parse(text) == expected


def test_one_of_parse_of_a_repeated_class_raises():
    with pytest.raises(RepeatedClassError, match=exactly("names the class 'b' twice")):
        ALPHA.parse("b=1,b=2")


def test_one_of_texts_are_the_declared_ones():
    assert WORDS.metavar == "NUMBER|auto"
    assert WORDS.choices is None
    # the ranges of its number domains, for --help
    assert WORDS.bounds == "x>0"
    assert ALPHA.bounds == "0<=x<=1, weights 0<=x<=1e6"


# --- Param -------------------------------------------------------------------------------------

MOMENTUM = Param("momentum", MOMENTUM_DOMAIN, 0.99, "Nesterov momentum.")
CLASS_WEIGHT = Param(
    "class_weight",
    OneOf(
        words=("balanced",), domains=(ClassValues(),), expected="balanced or pairs", metavar="TEXT"
    ),
    None,
    "Per-class weights.",
    default_text="none",
)


def test_one_of_must_say_what_it_expects():
    with pytest.raises(ValueError, match="needs the `expected` text"):
        OneOf(words=("auto",), domains=(Number(),))


def test_param_check_returns_the_clean_value():
    assert MOMENTUM.check(0.5) == 0.5
    assert type(MOMENTUM.check(0)) is float
    assert CLASS_WEIGHT.check("Balanced") == "balanced"


@pytest.mark.parametrize(
    "value, message",
    [
        (1.5, "momentum must be a finite number in [0, 1); got 1.5"),
        ("0.5", "momentum must be a finite number in [0, 1); got '0.5'"),
        (True, "momentum must be a finite number in [0, 1); got True"),
        (math.nan, "momentum must be a finite number in [0, 1); got nan"),
        (None, "momentum must be a finite number in [0, 1); got None"),
    ],
)
def test_param_check_message(value, message):
    with pytest.raises(ConfigError, match=exactly(message)) as info:
        MOMENTUM.check(value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_param_check_under_another_name():
    with pytest.raises(ConfigError, match=exactly("beta must be a finite number in [0, 1); got 2")):
        MOMENTUM.check(2, name="beta")


def test_param_check_accepts_none_only_when_it_is_the_default():
    assert CLASS_WEIGHT.check(None) is None
    assert Param("x", Number(0.0), None, "h").check(None) is None
    with pytest.raises(ConfigError, match=exactly("x must be a finite number >= 0; got None")):
        Param("x", Number(0.0), 0.0, "h").check(None)


def test_param_check_of_a_repeated_class_is_a_config_error():
    message = "class_weight names the class 'a' twice; got 'a=1,a=2'"
    with pytest.raises(ConfigError, match=exactly(message)):
        CLASS_WEIGHT.check("a=1,a=2")


@pytest.mark.parametrize(
    "param, text, expected",
    [
        (MOMENTUM, "0.5", 0.5),
        (MOMENTUM, " 0 ", 0.0),
        (Param("epochs", Integer(1), 5000, "h"), "12", 12),
        (CLASS_WEIGHT, "a=2,b=1", {"a": 2.0, "b": 1.0}),
        (CLASS_WEIGHT, "BALANCED", "balanced"),
    ],
)
def test_param_from_text(param, text, expected):
    assert param.from_text(text) == expected


def test_param_from_text_of_a_flag_is_refused():
    # a flag reads no text (it is --name / --no-name): Domain.parse keeps it and check refuses it
    flag = Param("standardize", Flag(), True, "h")
    with pytest.raises(ConfigError, match=exactly("standardize must be true or false; got 'x'")):
        flag.from_text("x")


@pytest.mark.parametrize(
    "param, text, message",
    [
        (MOMENTUM, "1.5", "momentum must be a finite number in [0, 1); got 1.5"),
        (MOMENTUM, "abc", "momentum must be a finite number in [0, 1); got 'abc'"),
        (
            Param("epochs", Integer(1), 5000, "h"),
            "10.0",
            "epochs must be an integer >= 1; got '10.0'",
        ),
        (Param("epochs", Integer(1), 5000, "h"), "0", "epochs must be an integer >= 1; got 0"),
        (CLASS_WEIGHT, "a2", "class_weight must be balanced or pairs; got 'a2'"),
        (CLASS_WEIGHT, "a=-1", "class_weight must be balanced or pairs; got 'a=-1'"),
    ],
)
def test_param_from_text_rejects(param, text, message):
    with pytest.raises(ConfigError, match=exactly(message)):
        param.from_text(text)


@pytest.mark.parametrize("param", [CLASS_WEIGHT, Param("class_weight", ClassValues(), None, "h")])
def test_param_from_text_of_a_repeated_class(param):
    message = "class_weight names the class 'a' twice; got 'a=1,a=2'"
    with pytest.raises(ConfigError, match=exactly(message)):
        param.from_text("a=1,a=2")


def test_param_from_text_under_another_name():
    with pytest.raises(
        ConfigError, match=exactly("alpha names the class 'a' twice; got 'a=1,a=2'")
    ):
        CLASS_WEIGHT.from_text("a=1,a=2", name="alpha")
    with pytest.raises(ConfigError, match=exactly("mu must be a finite number in [0, 1); got 3.0")):
        MOMENTUM.from_text("3", name="mu")


def test_param_renamed_keeps_the_rest():
    lr = MOMENTUM.renamed("lr")
    assert (lr.name, lr.default, lr.help, lr.default_text) == (
        "lr",
        0.99,
        "Nesterov momentum.",
        None,
    )
    assert lr.domain is MOMENTUM.domain
    assert MOMENTUM.name == "momentum"
    with pytest.raises(ConfigError, match=exactly("lr must be a finite number in [0, 1); got 1.0")):
        lr.check(1.0)


def test_param_renamed_with_changes():
    changed = MOMENTUM.renamed("mu", default=None, default_text="0.99")
    assert (changed.name, changed.default, changed.default_text) == ("mu", None, "0.99")
    assert changed.domain is MOMENTUM.domain
    assert changed.check(None) is None
    assert MOMENTUM.default == 0.99


@pytest.mark.parametrize(
    "param, shown",
    [
        (Param("standardize", Flag(), True, "h"), "standardize"),
        (Param("fit_intercept", Flag(), True, "h"), "fit-intercept"),
        (Param("animate", Flag(), False, "h"), "no-animate"),
        (Param("tol", Number(0.0), 1e-6, "h"), "1e-06"),
        (Param("l2", Number(0.0), 1e-3, "h"), "0.001"),
        (Param("momentum", MOMENTUM_DOMAIN, 0.99, "h"), "0.99"),
        (Param("l1", Number(0.0), 0.0, "h"), "0"),
        (Param("c", Number(0.0), 1234567.0, "h"), "1.23457e+06"),
        (Param("epochs", Integer(1), 5000, "h"), "5000"),
        (Param("lr", WORDS, "auto", "h"), "auto"),
        (Param("data", Text(), None, "h"), None),
        (Param("target", Columns(), None, "h", default_text="the last column"), "the last column"),
        (Param("tol", Number(0.0), 1e-6, "h", default_text="tiny"), "tiny"),
        (Param("quiet", Flag(), False, "h", default_text="off"), "off"),
    ],
)
def test_param_shown_default(param, shown):
    assert param.shown_default == shown


def test_param_shown_default_of_a_false_flag_uses_dashes():
    assert Param("fit_intercept", Flag(), False, "h").shown_default == "no-fit-intercept"


# --- per_class ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mapping, names, unnamed, expected",
    [
        ({"b": 3, "a": 0.5}, ["a", "b", "c"], 1.0, (0.5, 3.0, 1.0)),
        ({"b": 3, "a": 0.5}, ["a", "b", "c"], 0.0, (0.5, 3.0, 0.0)),
        ({}, ["a", "b"], 1.0, (1.0, 1.0)),
        ({}, ["a", "b"], 0.25, (0.25, 0.25)),
        ({"c": 0}, ("a", "b", "c"), 1.0, (1.0, 1.0, 0.0)),
        ({1: 2}, np.array([0, 1, 2]), 1.0, (1.0, 2.0, 1.0)),
        ({"1": np.float64(2.5)}, np.array([0, 1, 2]), 1.0, (1.0, 2.5, 1.0)),
        ({"No": 1, "Yes": 5}, np.array(["No", "Yes"]), 1.0, (1.0, 5.0)),
    ],
)
def test_per_class_in_class_order(mapping, names, unnamed, expected):
    result = per_class(mapping, names, "class_weight", unnamed=unnamed)
    assert result == expected
    assert type(result) is tuple
    assert all(type(value) is float for value in result)


@pytest.mark.parametrize(
    "mapping, names, message",
    [
        ({"d": 1}, ["a", "b"], "class_weight names the unknown class 'd'; the classes are a, b"),
        (
            {3: 1},
            np.array([0, 1, 2]),
            "class_weight names the unknown class 3; the classes are 0, 1, 2",
        ),
        ({"a": -1}, ["a", "b"], "class_weight of 'a' must be a number in [0, 1e6]; got -1"),
        ({"b": -0.5}, ["a", "b"], "class_weight of 'b' must be a number in [0, 1e6]; got -0.5"),
        ({"a": math.nan}, ["a", "b"], "class_weight of 'a' must be a number in [0, 1e6]; got nan"),
        ({"a": True}, ["a", "b"], "class_weight of 'a' must be a number in [0, 1e6]; got True"),
        ({"a": "2"}, ["a", "b"], "class_weight of 'a' must be a number in [0, 1e6]; got '2'"),
    ],
)
def test_per_class_rejects(mapping, names, message):
    with pytest.raises(ConfigError, match=exactly(message)):
        per_class(mapping, names, "class_weight")


def test_per_class_names_the_option():
    with pytest.raises(
        ConfigError, match=exactly("alpha names the unknown class 'z'; the classes are x, y")
    ):
        per_class({"z": 0.5}, ["x", "y"], "alpha")
