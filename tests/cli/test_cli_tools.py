"""Tests for the teaching commands `cetrain loss` and `cetrain gradcheck` through CliRunner:
the printed numbers against hand arithmetic with math.log, the examples in --help and README.md
against what the command prints, every error (exact text and exit code), and gradcheck passing on
the real gradients and failing on a deliberately broken one.
"""

import math
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke
from gradcheck_cases import ALL_CASES, BROKEN, break_gradient

import cetrain.cli.teaching
from cetrain.teach.gradcheck import GradCheck
from cetrain.teach.infotheory import information_report, log_probabilities

README = Path(__file__).resolve().parents[2] / "README.md"
LN2 = math.log(2)


def assert_ok(result):
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def assert_usage_error(result, message: str):
    """click's usage error: exit code 2, the usage and a hint, then `Error: message` once."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert result.stderr.count("Error:") == 1


def four(x: float) -> str:
    return f"{x:.4f}"


def quantities(stdout: str) -> dict[str, tuple[str, str]]:
    """The printed H(p), H(p, q) and KL(p||q) rows: label -> (nats, bits), as text."""
    rows = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r"(H\(p\)|H\(p, q\)|KL\(p\|\|q\))\s+(\S+)\s+(\S+)", line)
        if match:
            rows[match[1]] = (match[2], match[3])
    assert list(rows) == ["H(p)", "H(p, q)", "KL(p||q)"], stdout
    return rows


def class_table(stdout: str) -> list[list[str]]:
    """The per-class table, header first, as lists of cells."""
    lines = stdout.split("\n\n")[0].splitlines()
    assert lines[0].split()[0] == "class", stdout
    return [line.split() for line in lines]


# ------------------------------------------------------------------ cetrain loss: the numbers

# (arguments, H(p, q) in nats by hand, the same as printed)
TEXTBOOK = {
    "true class B": (["--target", "1", "--probs", "0.228,0.619,0.153"], -math.log(0.619), "0.4797"),
    "confident and right": (
        ["--target", "B", "--classes", "A,B,C", "--probs", "0.001,0.998,0.001"],
        -math.log(0.998),
        "0.0020",
    ),
    "confident and wrong": (
        ["--target", "B", "--classes", "A,B,C", "--probs", "0.001,0.001,0.998"],
        -math.log(0.001),
        "6.9078",
    ),
}


@pytest.mark.parametrize("name", list(TEXTBOOK))
def test_textbook_examples(name):
    args, nats, printed = TEXTBOOK[name]
    assert four(nats) == printed
    result = invoke("loss", *args)
    assert_ok(result)
    rows = quantities(result.stdout)
    assert rows["H(p)"] == ("0.0000", "0.0000")
    assert rows["H(p, q)"] == (printed, four(nats / LN2))
    assert rows["KL(p||q)"] == rows["H(p, q)"]  # H(p) = 0 for a known class


def test_textbook_example_in_bits_and_its_table():
    result = invoke("loss", "--target", "1", "--probs", "0.228,0.619,0.153")
    assert_ok(result)
    assert four(-math.log(0.619) / LN2) == "0.6920"
    assert quantities(result.stdout)["H(p, q)"] == ("0.4797", "0.6920")
    assert class_table(result.stdout) == [
        ["class", "p", "q"],
        ["0", "0.0000", "0.2280"],
        ["1", "1.0000", "0.6190"],
        ["2", "0.0000", "0.1530"],
    ]


def test_class_names_label_the_table():
    result = invoke("loss", "--target", "B", "--classes", "A,B,C", "--probs", "0.001,0.998,0.001")
    assert_ok(result)
    assert [row[:2] for row in class_table(result.stdout)[1:]] == [
        ["A", "0.0000"],
        ["B", "1.0000"],
        ["C", "0.0000"],
    ]


def test_a_class_can_be_named_by_index_when_classes_are_named():
    by_index = invoke("loss", "--target", "2", "--classes", "A,B,C", "--probs", "0.2,0.3,0.5")
    assert_ok(by_index)
    assert quantities(by_index.stdout)["H(p, q)"][0] == four(-math.log(0.5))


def test_a_soft_truth():
    result = invoke("loss", "--p", "0.1,0.6,0.3", "--probs", "0.228,0.619,0.153")
    assert_ok(result)
    h_p = -(0.1 * math.log(0.1) + 0.6 * math.log(0.6) + 0.3 * math.log(0.3))
    h_pq = -(0.1 * math.log(0.228) + 0.6 * math.log(0.619) + 0.3 * math.log(0.153))
    rows = quantities(result.stdout)
    assert rows["H(p)"] == (four(h_p), four(h_p / LN2))  # 0.8979
    assert rows["H(p, q)"] == (four(h_pq), four(h_pq / LN2))  # 0.9988
    assert rows["KL(p||q)"] == (four(h_pq - h_p), four((h_pq - h_p) / LN2))  # 0.1009


def test_scores_are_turned_into_probabilities_by_softmax():
    result = invoke("loss", "--target", "0", "--scores", "2.0,1.0,0.1")
    assert_ok(result)
    lse = math.log(math.exp(2.0) + math.exp(1.0) + math.exp(0.1))
    assert quantities(result.stdout)["H(p, q)"] == (four(lse - 2.0), four((lse - 2.0) / LN2))
    assert class_table(result.stdout) == [
        ["class", "p", "score", "q"],
        ["0", "1.0000", "2.0000", four(math.exp(2.0 - lse))],  # 0.6590
        ["1", "0.0000", "1.0000", four(math.exp(1.0 - lse))],  # 0.2424
        ["2", "0.0000", "0.1000", four(math.exp(0.1 - lse))],  # 0.0986
    ]


def test_extreme_scores_are_exact():
    result = invoke("loss", "--target", "2", "--scores", "1000,0,-1000")
    assert_ok(result)
    assert quantities(result.stdout)["H(p, q)"] == ("2000.0000", four(2000 / LN2))


def test_binary_with_a_logit():
    result = invoke("loss", "--binary", "--target", "1", "--scores", "1.5")
    assert_ok(result)
    nats = math.log(1 + math.exp(-1.5))  # log(1 + e^-s) - 0: binary cross-entropy at y = 1
    assert quantities(result.stdout)["H(p, q)"] == (four(nats), four(nats / LN2))
    sigma = 1 / (1 + math.exp(-1.5))
    assert class_table(result.stdout)[1:] == [
        ["0", "0.0000", "0.0000", four(1 - sigma)],
        ["1", "1.0000", "1.5000", four(sigma)],
    ]


def test_binary_with_probabilities_and_a_soft_truth():
    result = invoke("loss", "--binary", "--p", "0.3", "--probs", "0.8")
    assert_ok(result)
    h_p = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    h_pq = -(0.3 * math.log(0.8) + 0.7 * math.log(0.2))
    rows = quantities(result.stdout)
    assert rows["H(p)"] == (four(h_p), four(h_p / LN2))
    assert rows["H(p, q)"] == (four(h_pq), four(h_pq / LN2))
    assert rows["KL(p||q)"][0] == four(h_pq - h_p)
    assert class_table(result.stdout)[1:] == [["0", "0.7000", "0.2000"], ["1", "0.3000", "0.8000"]]


def test_binary_class_names():
    result = invoke(
        "loss", "--binary", "--target", "spam", "--classes", "ham,spam", "--probs", "0.9"
    )
    assert_ok(result)
    assert [row[0] for row in class_table(result.stdout)[1:]] == ["ham", "spam"]
    assert quantities(result.stdout)["H(p, q)"][0] == four(-math.log(0.9))


@pytest.mark.parametrize("seed", range(4))
def test_kl_is_the_difference_and_not_negative(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    result = invoke("loss", "--p", ",".join(map(str, p)), "--probs", ",".join(map(str, q)))
    assert_ok(result)
    rows = {label: float(nats) for label, (nats, _) in quantities(result.stdout).items()}
    assert rows["KL(p||q)"] > 0
    assert rows["KL(p||q)"] == pytest.approx(rows["H(p, q)"] - rows["H(p)"], abs=1.5e-4)
    assert rows["KL(p||q)"] == pytest.approx(float(np.sum(p * np.log(p / q))), abs=5e-5)


def test_equal_distributions_have_zero_kl_never_minus_zero():
    p = "0.129,0.011,0.404,0.440,0.016"
    # KL(p||p) comes out as -9e-17 here, by rounding: it must still print as 0.0000
    values = [float(x) for x in p.split(",")]
    assert information_report(values, log_probabilities(values)).kl_divergence < 0
    result = invoke("loss", "--p", p, "--probs", p)
    assert_ok(result)
    assert quantities(result.stdout)["KL(p||q)"] == ("0.0000", "0.0000")
    assert "-0.0000" not in result.stdout


def test_an_impossible_true_class_costs_inf():
    result = invoke("loss", "--p", "0.5,0.5,0", "--probs", "0,0.5,0.5")
    assert_ok(result)
    rows = quantities(result.stdout)
    assert rows["H(p)"] == (four(math.log(2)), "1.0000")
    assert rows["H(p, q)"] == ("inf", "inf")
    assert rows["KL(p||q)"] == ("inf", "inf")


def test_zero_log_zero_is_zero():
    """Class 0 has p = q = 0: it contributes nothing, so H(p, q) = H(p) = log 2."""
    result = invoke("loss", "--p", "0,0.5,0.5", "--probs", "0,0.5,0.5")
    assert_ok(result)
    assert quantities(result.stdout)["H(p, q)"] == (four(math.log(2)), "1.0000")


# ------------------------------------------------------------------ cetrain loss: help, README


def documented_examples(text: str, pattern: str) -> list[tuple[str, list[str]]]:
    """(command line, the four-decimal numbers its comment claims) for each example in `text`."""
    found = []
    for match in re.finditer(pattern, text, re.MULTILINE):
        claimed = re.findall(r"\b\d+\.\d{4}\b", match["comment"])
        found.append((match["command"].strip(), claimed))
    return found


def assert_example_prints_its_numbers(command: str, claimed: list[str]):
    args = shlex.split(command)
    assert args[:2] == ["cetrain", "loss"]
    result = invoke(*args[1:])
    assert_ok(result)
    printed = result.stdout.split()
    assert claimed, command
    for number in claimed:
        assert number in printed, (command, number, result.stdout)


def test_help_examples_print_what_the_help_says():
    help_text = invoke("loss", "--help").stdout
    examples = documented_examples(
        help_text, r"^    (?P<command>cetrain loss .*)\n {8}(?P<comment>.*)$"
    )
    assert [command for command, _ in examples][:3] == [
        "cetrain loss --target 1 --probs 0.228,0.619,0.153",
        "cetrain loss --target B --classes A,B,C --probs 0.001,0.998,0.001",
        "cetrain loss --target B --classes A,B,C --probs 0.001,0.001,0.998",
    ]
    options = " ".join(command for command, _ in examples)
    for option in ("--p ", "--scores ", "--binary "):
        assert option in options
    for command, claimed in examples:
        assert_example_prints_its_numbers(command, claimed)
    assert "0.4797 nats (0.6920 bits)" in help_text
    assert "0.0020 nats" in help_text
    assert "6.9078 nats" in help_text


def test_readme_examples_print_what_the_readme_says():
    readme = README.read_text(encoding="utf-8")
    examples = documented_examples(readme, r"^(?P<command>cetrain loss [^#\n]*)#(?P<comment>.*)$")
    assert len(examples) == 8
    for command, claimed in examples:
        assert_example_prints_its_numbers(command, claimed)


# ------------------------------------------------------------------ cetrain loss: errors

P3 = ["--probs", "0.2,0.3,0.5"]

LOSS_ERRORS = {
    "no truth": (P3, "give exactly one of --target and --p"),
    "two truths": (
        ["--target", "1", "--p", "0.5,0.5", "--probs", "0.5,0.5"],
        "give exactly one of --target and --p",
    ),
    "no prediction": (["--target", "1"], "give exactly one of --probs and --scores"),
    "two predictions": (
        ["--target", "1", "--probs", "0.5,0.5", "--scores", "1,2"],
        "give exactly one of --probs and --scores",
    ),
    "not a number": (
        ["--target", "1", "--probs", "0.5,x"],
        "Invalid value for '--probs': 'x' is not a number",
    ),
    "empty number": (
        ["--target", "1", "--scores", "1,,2"],
        "Invalid value for '--scores': '' is not a number",
    ),
    "infinite number": (
        ["--target", "1", "--scores", "1,inf"],
        "Invalid value for '--scores': 'inf' is not a finite number",
    ),
    "sum": (
        ["--target", "1", "--probs", "0.1,0.6,0.2"],
        "Invalid value for '--probs': probabilities must sum to 1 (within 1e-6); these sum to 0.9",
    ),
    "sum just outside the tolerance": (
        ["--target", "1", "--probs", "0.5,0.5000015"],
        "Invalid value for '--probs': probabilities must sum to 1 (within 1e-6); "
        "these sum to 1.0000015",
    ),
    "sum of p": (
        ["--p", "0.2,0.9", "--probs", "0.5,0.5"],
        "Invalid value for '--p': probabilities must sum to 1 (within 1e-6); these sum to 1.1",
    ),
    "probability above 1": (
        ["--target", "1", "--probs", "1.2,-0.2"],
        "Invalid value for '--probs': probabilities must be in [0, 1]; got 1.2",
    ),
    "negative probability": (
        ["--p", "-0.5,1.5", "--probs", "0.5,0.5"],
        "Invalid value for '--p': probabilities must be in [0, 1]; got -0.5",
    ),
    "lengths": (
        ["--p", "0.5,0.5", *P3],
        "--p has 2 values but --probs has 3; give one per class",
    ),
    "one class": (
        ["--target", "0", "--probs", "1"],
        "Invalid value for '--probs': give at least 2 values, one per class "
        "(for class 1 alone, use --binary)",
    ),
    "index out of range": (
        ["--target", "3", *P3],
        "Invalid value for '--target': class index 3 is out of range 0..2",
    ),
    "negative index": (
        ["--target", "-1", *P3],
        "Invalid value for '--target': class index -1 is out of range 0..2",
    ),
    "name without classes": (
        ["--target", "B", *P3],
        "Invalid value for '--target': 'B' is not a class index 0..2 "
        "(to name classes, use --classes)",
    ),
    "unknown class name": (
        ["--target", "D", "--classes", "A,B,C", *P3],
        "Invalid value for '--target': 'D' is not a class; use one of A, B, C or 0..2",
    ),
    "class count": (
        ["--target", "A", "--classes", "A,B", *P3],
        "--classes names 2 classes but --probs has 3",
    ),
    "empty class name": (
        ["--target", "A", "--classes", "A,,B", *P3],
        "Invalid value for '--classes': class names must be distinct and not empty; got 'A,,B'",
    ),
    "repeated class name": (
        ["--target", "A", "--classes", "A,A,B", *P3],
        "Invalid value for '--classes': class names must be distinct and not empty; got 'A,A,B'",
    ),
    "binary with two probabilities": (
        ["--binary", "--target", "0", "--probs", "0.2,0.8"],
        "Invalid value for '--probs': --binary takes one number, the probability of class 1; got 2",
    ),
    "binary with two scores": (
        ["--binary", "--target", "0", "--scores", "1,2"],
        "Invalid value for '--scores': --binary takes one number, the score (logit) of class 1; "
        "got 2",
    ),
    "binary with two true probabilities": (
        ["--binary", "--p", "0.2,0.8", "--scores", "1"],
        "Invalid value for '--p': --binary takes one number, the probability of class 1; got 2",
    ),
    "binary p out of range": (
        ["--binary", "--p", "1.5", "--scores", "1"],
        "Invalid value for '--p': probabilities must be in [0, 1]; got 1.5",
    ),
    "binary q out of range": (
        ["--binary", "--target", "0", "--probs", "-0.1"],
        "Invalid value for '--probs': probabilities must be in [0, 1]; got -0.1",
    ),
    "binary target out of range": (
        ["--binary", "--target", "2", "--scores", "1"],
        "Invalid value for '--target': class index 2 is out of range 0..1",
    ),
    "binary class count": (
        ["--binary", "--target", "A", "--classes", "A,B,C", "--probs", "0.5"],
        "--classes names 3 classes but --binary has 2",
    ),
}


@pytest.mark.parametrize("case", list(LOSS_ERRORS))
def test_loss_error(case):
    args, message = LOSS_ERRORS[case]
    assert_usage_error(invoke("loss", *args), message)


# ------------------------------------------------------------------ cetrain gradcheck


def gradcheck_rows(stdout: str) -> dict[tuple[str, str, str, str], tuple[float, str]]:
    """The table: (model, loss, weights, block) -> (relative error, verdict)."""
    lines = stdout.splitlines()
    assert lines[1].split() == ["model", "loss", "weights", "block", "rel.", "error", "verdict"]
    rows = {}
    for line in lines[2:]:
        model, loss, weighting, block, error, verdict = line.split()
        rows[(model, loss, weighting, block)] = (float(error), verdict)
    return rows


def test_gradcheck_passes_for_every_loss_and_model():
    result = invoke("gradcheck")
    assert_ok(result)
    assert result.stdout.splitlines()[0] == (
        "Seed 0: 7 rows, 3 features, 3 softmax classes, l2 = 0.1; central differences, h = 1e-05"
    )
    rows = gradcheck_rows(result.stdout)
    assert set(rows) == ALL_CASES
    assert all(verdict == "good" and error < 1e-7 for error, verdict in rows.values())


def test_gradcheck_problem_size_options():
    result = invoke("gradcheck", "--seed", "9", "--rows", "1", "--features", "1", "--classes", "2")
    assert_ok(result)
    assert result.stdout.startswith("Seed 9: 1 row, 1 feature, 2 softmax classes, l2 = 0.1;")
    rows = gradcheck_rows(result.stdout)
    assert set(rows) == ALL_CASES
    assert {verdict for _, verdict in rows.values()} == {"good"}


MODEL_ORDER = ("logistic", "softmax", "multilabel")  # gradcheck's order


@pytest.mark.parametrize("loss_class", list(BROKEN), ids=lambda cls: cls.__name__)
def test_gradcheck_fails_on_a_broken_gradient(monkeypatch, loss_class):
    break_gradient(monkeypatch, loss_class)
    result = invoke("gradcheck")
    assert result.exit_code == 1, result.output
    pairs = BROKEN[loss_class]
    broken = [
        f"{model} {loss} {w} {b}"
        for model, loss in sorted(pairs, key=lambda pair: MODEL_ORDER.index(pair[0]))
        for w in ("uniform", "weighted")
        for b in ("W", "b")
    ]
    assert result.stderr == (
        f"Error: {len(broken)} gradient blocks are wrong: {', '.join(broken)}\n"
    )
    rows = gradcheck_rows(result.stdout)
    for case, (error, verdict) in rows.items():
        expected = "WRONG" if case[:2] in pairs else "good"
        assert verdict == expected, (case, error)


def test_gradcheck_one_wrong_block_and_one_to_check(monkeypatch):
    checks = [
        GradCheck("logistic", "mse", "uniform", "W", 3e-12),
        GradCheck("logistic", "mse", "uniform", "b", 2e-5),
        GradCheck("softmax", "cross_entropy", "weighted", "b", 0.05),
    ]
    monkeypatch.setattr(cetrain.cli.teaching, "check_gradients", lambda **options: checks)
    result = invoke("gradcheck")
    assert result.exit_code == 1
    assert result.stderr == "Error: 1 gradient block is wrong: softmax cross_entropy weighted b\n"
    assert gradcheck_rows(result.stdout) == {
        ("logistic", "mse", "uniform", "W"): (3e-12, "good"),
        ("logistic", "mse", "uniform", "b"): (2e-5, "check"),
        ("softmax", "cross_entropy", "weighted", "b"): (5e-2, "WRONG"),
    }


def test_gradcheck_blocks_to_check_do_not_fail(monkeypatch):
    checks = [GradCheck("logistic", "mse", "uniform", "W", 1e-3)]
    monkeypatch.setattr(cetrain.cli.teaching, "check_gradients", lambda **options: checks)
    result = invoke("gradcheck")
    assert_ok(result)
    assert gradcheck_rows(result.stdout) == {("logistic", "mse", "uniform", "W"): (1e-3, "check")}


def test_gradcheck_option_error():
    assert_usage_error(
        invoke("gradcheck", "--rows", "0"),
        "Invalid value for '--rows': 0 is not in the range 1<=x<=1000.",
    )


# ------------------------------------------------------------------ help


@pytest.mark.parametrize("command", ["loss", "gradcheck"])
def test_help_has_examples(command):
    result = invoke(command, "--help")
    assert_ok(result)
    assert result.stdout.startswith(f"Usage: cli {command} [OPTIONS]")
    assert f"\n  Examples:\n    cetrain {command}" in result.stdout


def test_top_level_help_lists_the_commands():
    help_text = invoke("--help").stdout
    assert re.search(r"^  loss ", help_text, re.MULTILINE)
    assert re.search(r"^  gradcheck ", help_text, re.MULTILINE)
