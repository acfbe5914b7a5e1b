"""Numbers in CSV files: --decimal and --thousands read them, and a column of numbers written
in another format is an error naming the options, never a column of categories."""

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cetrain.data import load_dataset, read_csv
from cetrain.data.csvfile import read_table
from cetrain.data.numbers import FORMATS, PLAIN, NumberFormat
from cetrain.errors import ConfigError, DataError


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def raises_exactly(message: str):
    return pytest.raises(DataError, match=f"^{re.escape(message)}$")


def column_file(tmp_path: Path, values: list[str], sep: str = ",", name: str = "x") -> Path:
    """A file with one feature column of these values (quoted) and a 0/1 label."""
    rows = [f'"{v}"{sep}{i % 2}' for i, v in enumerate(values)]
    return write(tmp_path, "\n".join([f"{name}{sep}label", *rows]) + "\n")


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "number"),
    [
        ("1,011", ".", ",", 1011.0),
        ("1,234,567.25", ".", ",", 1234567.25),
        ("-1,011", ".", ",", -1011.0),
        ("1011", ".", ",", 1011.0),  # no grouping at all is fine
        ("12,5", ",", None, 12.5),
        (",5", ",", None, 0.5),
        ("1.234,5", ",", ".", 1234.5),
        ("1 234", ".", "space", 1234.0),
        ("1\u00a0234,5", ",", "space", 1234.5),  # no-break space
        ("1\u202f234", ".", "space", 1234.0),  # narrow no-break space
        ("1'234.5", ".", "'", 1234.5),
        ("1,5e3", ",", None, 1500.0),
        ("+2,5E-1", ",", None, 0.25),
    ],
)
def test_a_number_format_reads_its_numbers(text, decimal, thousands, number):
    assert NumberFormat(decimal, thousands).parse(text) == number


@pytest.mark.parametrize(
    ("text", "decimal", "thousands"),
    [
        ("12.5", ",", None),  # a decimal point where a comma is the mark
        ("1,23", ".", ","),  # a group of two digits
        ("1,0111", ".", ","),
        ("12,34,567", ".", ","),  # Indian grouping is not read
        ("1,,011", ".", ","),
        ("1.011,5", ".", ","),
        ("1 234", ",", None),
        ("A-12", ",", "."),
        ("", ",", None),
    ],
)
def test_a_number_format_refuses_other_text(text, decimal, thousands):
    assert NumberFormat(decimal, thousands).parse(text) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(0, 99), st.sampled_from(FORMATS))
def test_any_number_written_in_a_format_reads_back(whole, hundredths, fmt):
    grouped = f"{abs(whole):,}"
    separator = {"space": "\u202f", None: ""}.get(fmt.thousands, fmt.thousands)
    text = ("-" if whole < 0 else "") + grouped.replace(",", separator)
    text += f"{fmt.decimal}{hundredths:02d}"
    expected = (
        float(f"{whole}.{hundredths:02d}") if whole >= 0 else -float(f"{-whole}.{hundredths:02d}")
    )
    assert fmt.parse(text) == expected


def test_decimal_and_thousands_read_features_weights_and_targets(tmp_path):
    path = write(
        tmp_path,
        "income;height;w;a;b\n"
        '"1.011";170,5;0,5;0,25;0,75\n'
        '"2.345.678";"1.002,25";1;1;0\n'
        "999;3;2,5;0;1\n",
    )
    ds = read_csv(path, target="a,b", weight_col="w", decimal=",", thousands=".")
    np.testing.assert_array_equal(ds.X, [[1011.0, 170.5], [2345678.0, 1002.25], [999.0, 3.0]])
    np.testing.assert_array_equal(ds.sample_weight, [0.5, 1.0, 2.5])
    np.testing.assert_array_equal(ds.y, [[0.25, 0.75], [1.0, 0.0], [0.0, 1.0]])
    assert ds.feature_names == ["income", "height"]


def test_a_semicolon_file_with_decimal_commas_is_read_with_decimal_comma(tmp_path):
    path = write(tmp_path, "height;weight;label\n171,3;70,25;0\n168,7;-3;1\n")
    ds = read_csv(path, decimal=",")
    np.testing.assert_array_equal(ds.X, [[171.3, 70.25], [168.7, -3.0]])
    np.testing.assert_array_equal(ds.y, [0, 1])


@pytest.mark.parametrize(
    ("values", "sep", "shown"),
    [
        (
            ["1,234,567", "2,000", "3"],
            ",",
            "holds numbers with thousands separators ('1,234,567' on line 2), which would be "
            "read as text; pass --thousands , to read them as numbers",
        ),
        (
            ["1,011", "2,500", "12,345"],
            ",",
            "holds numbers with thousands separators or a decimal comma ('1,011' on line 2), "
            "which would be read as text; pass --thousands , to read '1,011' as 1011, or "
            "--decimal , to read it as 1.011",
        ),
        (
            ["12,5", "3,75", "4"],
            ";",
            "holds numbers with a decimal comma ('12,5' on line 2), which would be read as "
            "text; pass --decimal , to read them as numbers",
        ),
        (
            ["1.234,5", "12,5", "7"],
            ";",
            "holds numbers with a decimal comma and thousands separators ('1.234,5' on line 2), "
            "which would be read as text; pass --decimal , --thousands . to read them as "
            "numbers",
        ),
        (
            ["1\u00a0234", "5\u00a0678", "12"],
            ",",
            # the no-break space shown escaped: it looks like a space, and is not one
            "holds numbers with thousands separators ('1\\xa0234' on line 2), which would be "
            "read as text; pass --thousands space to read them as numbers",
        ),
        (
            ["1,234,567", "n.a.", "3"],
            ",",
            "holds numbers with thousands separators ('1,234,567' on line 2) and the text "
            "'n.a.' (line 3), which would be read as text; pass --thousands , to read them as "
            "numbers; leave a missing value empty (or write na)",
        ),
        (
            ["$12", "$1,011", "$3"],
            ",",
            "holds numbers with a currency or percent sign ('$12' on line 2), which would be "
            "read as text; write the numbers without the sign",
        ),
    ],
)
def test_numbers_in_another_format_are_refused_naming_the_options(tmp_path, values, sep, shown):
    path = column_file(tmp_path, values, sep, name="income")
    message = f"'{path}': column 'income' {shown}, or leave the column out with --features"
    with raises_exactly(message):
        read_csv(path)


def test_a_column_in_another_format_than_the_options_is_refused(tmp_path):
    path = column_file(tmp_path, ["12.5", "13.25", "1"], ";")
    with raises_exactly(
        f"'{path}': column 'x' holds numbers with a decimal point ('12.5' on line 2), which "
        "would be read as text with --decimal ,; they are read without --decimal , (the "
        "options apply to every column), or leave the column out with --features"
    ):
        read_csv(path, decimal=",")


@pytest.mark.parametrize(
    "values",
    [
        ["a,b", "c,d", "a,b"],  # names with commas
        ["A-12", "B-7", "C-1"],  # IDs
        ["1,011 main st", "2 high st", "3 low rd"],  # addresses: numbers and words
        ["small", "1,5", "large", "medium"],  # mostly words
    ],
)
def test_text_columns_stay_text(tmp_path, values):
    ds = read_csv(column_file(tmp_path, values))
    levels = sorted(set(values))
    assert ds.feature_names == [f"x={level}" for level in levels[1:]]


def test_a_decimal_mark_that_is_also_the_thousands_separator_is_refused(tmp_path):
    path = column_file(tmp_path, ["1", "2"])
    with raises_exactly(
        "the decimal mark and the thousands separator are both ','; --decimal and "
        "--thousands must be different marks"
    ):
        read_csv(path, decimal=",", thousands=",")
    with pytest.raises(ConfigError, match=r"^decimal must be one of: \., ,; got ';'$"):
        read_csv(path, decimal=";")


def test_number_options_apply_only_to_csv_data():
    with raises_exactly("thousands applies only to CSV data; 'iris' is not read from a CSV file"):
        load_dataset("iris", thousands=",")


def test_a_table_for_scoring_reads_its_numbers_in_the_format_given(tmp_path):
    path = write(tmp_path, "a;b\n1.011,5;x\n")
    table = read_table(path, decimal=",", thousands=".")
    assert table.numbers == NumberFormat(",", ".")
    assert table.numbers.parse(table.columns["a"][0]) == 1011.5
    assert read_table(path).numbers == PLAIN


def test_a_nul_byte_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"x,label\n1,0\n2\x00,1\n")
    with raises_exactly(
        f"'{path}', line 3: holds a NUL byte, which text never does; save the file as UTF-8 text"
    ):
        read_csv(path)


def test_a_long_value_is_shown_cut_short(tmp_path):
    path = write(tmp_path, "x,label\n" + "9" * 400 + ",0\n2,1\n")
    with raises_exactly(
        f"'{path}', line 2: column 'x' holds the non-finite number '{'9' * 37}...'; use a "
        "finite number, or leave the field empty to mark it missing"
    ):
        read_csv(path)


def test_a_column_name_that_does_not_print_is_refused_shown_escaped(tmp_path):
    path = write(tmp_path, "a\x0bb,label\n1,0\n")
    with raises_exactly(
        f"'{path}', line 1: the name of column 1 ('a\\x0bb') holds a character that does not "
        "print; name every column in plain text"
    ):
        read_csv(path)
