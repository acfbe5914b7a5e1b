"""Hostile input, one family per section (issue 11): each test asserts the exact `Error:` line or
the exact outcome a student gets when they feed cetrain a broken file, an impossible option or
an interrupt. The fuzzing that generalises these families lives beside each layer's tests.
"""

import json

import pytest
from conftest import assert_error, invoke

# --- Interrupting: Ctrl-C and SIGTERM before, during and after training ----------------------


# --- Concurrent runs: runs started together never collide ------------------------------------


# --- Values at the edges of float64: loss options, class weights, extreme CSV values ---------


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
        "float64 arithmetic can standardise; rescale it (divide by a power of ten) or leave it "
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
            "float64 arithmetic can standardise; rescale it (multiply by a power of ten) or "
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


# --- Config files: nesting, NUL bytes, wrong types -------------------------------------------


# --- Model files: nesting, non-finite numbers, wrong types, sizes, unknown names -------------


# --- Output: tables, advice, library warnings, symlinked and read-only folders ---------------


# --- Optimiser honesty: a status never claims more than happened -----------------------------
