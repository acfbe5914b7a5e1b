"""Fuzzing the CSV reader (issue 11): random bytes and random malformed CSV files (ragged rows,
stray quotes, byte-order marks, NUL bytes, other encodings, empty and header-only files,
repeated names, huge fields, numbers such as 1e309, -0, nan, inf and 1,011) either load or
raise the project's own errors, through the library and through `cetrain train`, which prints
one `Error:` line and never a traceback. Bounded to a few seconds."""

import os
import tempfile
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cetrain.runs.write
from cetrain.cli import cli
from cetrain.data import load_dataset, read_csv
from cetrain.data.csvfile import read_table
from cetrain.errors import CetrainError

# Fields that have broken CSV readers: numbers at the edges of float64 and in other formats,
# missing-value markers, quotes, separators, control characters, text in other scripts.
TRICKY_FIELDS = [
    "0",
    "1",
    "-0",
    "2.5",
    "1e309",
    "-1e309",
    "1e-320",
    "1.7e308",
    "-1.7e308",
    "1e-308",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "NA",
    "?",
    "",
    " ",
    "1,011",
    "12,5",
    "1.234,5",
    "1 234",
    "1\u202f234",
    "$5",
    "50%",
    "1_000",
    "0x1F",
    "١٢",
    "a",
    "b",
    "A-12",
    "é",
    "日本",
    '"',
    '""',
    '"a,b"',
    "a\nb",
    "\x00",
    "\t",
    ";",
    ",",
    "\r",
    "\ufeff",
    "x" * 5000,
    "9" * 400,
]
SEPARATORS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "utf-16"]
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_N", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def malformed_csv(draw) -> bytes:
    """A CSV file's bytes: a header and rows of tricky fields, ragged at times, in some
    encoding, with random damage."""
    sep = draw(st.sampled_from(SEPARATORS))
    n_columns = draw(st.integers(1, 4))
    names = draw(
        st.lists(
            st.sampled_from(["x", "y", "label", "a b", "", "x", "é", "\x00", "1,011"]),
            min_size=n_columns,
            max_size=n_columns,
        )
    )
    field = st.one_of(
        st.sampled_from(TRICKY_FIELDS),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(max_size=6),
    )
    rows = draw(
        st.lists(
            st.lists(field, min_size=max(1, n_columns - 1), max_size=n_columns + 1),
            max_size=12,
        )
    )
    quote = draw(st.booleans())
    lines = [sep.join(names)]
    for row in rows:
        lines.append(sep.join(f'"{v}"' if quote else v for v in row))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.booleans()):  # damage: a slice removed, or random bytes put in
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.binary(max_size=8)) + data[i + draw(st.integers(0, 4)) :]
    return data


@st.composite
def nearly_valid_csv(draw) -> bytes:
    """A CSV that trains unless one of its numbers is hostile: two feature columns of ordinary
    and extreme numbers (and numbers in other formats), and 0/1 labels."""
    numbers = st.one_of(
        st.floats(-100, 100, allow_nan=False).map(repr),
        st.sampled_from(["1e308", "-1.7e308", "1e-308", "-0", "5e-324", "1e309", '"1,011"']),
    )
    n = draw(st.integers(8, 14))
    rows = [f"{draw(numbers)},{draw(numbers)},{i % 2}" for i in range(n)]
    return ("a,b,label\n" + "\n".join(rows) + "\n").encode()


def _read_every_way(path: Path) -> None:
    """The CSV through read_csv (with and without number options), load_dataset and
    read_table: each returns or raises a CetrainError."""
    calls = [
        lambda: read_csv(path),
        lambda: read_csv(path, decimal=",", thousands="."),
        lambda: read_csv(path, thousands="space", target="x"),
        lambda: load_dataset(str(path), weight_col="y"),
        lambda: read_table(path),
    ]
    for call in calls:
        try:
            result = call()
        except CetrainError:
            continue
        X = getattr(result, "X", None)
        if X is not None:  # a loaded dataset holds finite numbers only
            assert X.dtype == np.float64 and np.all(np.isfinite(X))


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_load_or_raise_cetrain_errors(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        _read_every_way(path)


@SETTINGS
@given(malformed_csv())
def test_malformed_csv_loads_or_raises_cetrain_errors(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        _read_every_way(path)


@settings(
    max_examples=int(os.environ.get("FUZZ_CLI_N", 12)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(malformed_csv(), st.binary(max_size=120)), st.sampled_from(["x", "label"]))
def test_cetrain_train_on_malformed_csv_gives_one_error_line_or_a_run(monkeypatch, data, target):
    _train_gives_one_error_line_or_a_run(monkeypatch, data, target)


@settings(
    max_examples=int(os.environ.get("FUZZ_RUN_N", 5)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(nearly_valid_csv())
def test_cetrain_train_on_extreme_numbers_gives_one_error_line_or_a_run(monkeypatch, data):
    _train_gives_one_error_line_or_a_run(monkeypatch, data, "label", "--test-size", "0")


def _train_gives_one_error_line_or_a_run(monkeypatch, data: bytes, target: str, *more) -> None:
    monkeypatch.setattr(cetrain.runs.write, "_save_diagnostics", lambda *args: None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        out = Path(folder) / "run"
        args = ["train", "--data", str(path), "--target", target, "--epochs", "1", *more]
        result = CliRunner().invoke(cli, [*args, "--out", str(out), "--quiet"])
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            assert sorted(os.listdir(out)) and (out / "model.json").is_file()
        else:
            assert result.exit_code in (1, 2), result.output
            assert isinstance(result.exception, SystemExit), repr(result.exception)
            lines = result.stderr.split("\n")
            errors = [line for line in lines if line.startswith("Error:")]
            assert len(errors) == 1, result.stderr
            assert result.stderr.endswith(errors[0] + "\n")
            assert errors[0].isprintable(), errors[0]  # one line on any terminal
