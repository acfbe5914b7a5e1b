"""Hostile input, one family per section (issue 11): each test asserts the exact `Error:` line or
the exact outcome a student gets when they feed cetrain a broken file, an impossible option or
an interrupt. The fuzzing that generalises these families lives beside each layer's tests.
"""

import json

from conftest import invoke

from cetrain.cli.base import fixed

# --- Interrupting: Ctrl-C and SIGTERM before, during and after training ----------------------


# --- Concurrent runs: runs started together never collide ------------------------------------


# --- Values at the edges of float64: loss options, class weights, extreme CSV values ---------


# --- Numbers that are not plain numbers: thousands separators, decimal commas ----------------


# --- Sizes: epochs, generated rows, polynomial expansions, demo starts, long names -----------


# --- Config files: nesting, NUL bytes, wrong types -------------------------------------------


# --- Model files: nesting, non-finite numbers, wrong types, sizes, unknown names -------------


# --- Output: tables, advice, library warnings, symlinked and read-only folders ---------------


def test_a_diverged_run_prints_its_table_in_columns(tmp_path):
    # a step of 1e9 blows the loss up in one epoch: a log loss of millions, in exponent form
    result = invoke(
        "train", "--data", "moons", "--lr", "1e9", "--momentum", "0", "--out", tmp_path / "run"
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["status"] == "diverged"
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["accuracy", "log"])
    table = lines[header + 1 : header + 3]
    for line, split in zip(table, ("train", "test"), strict=True):
        values = metrics[split]
        assert line.split() == [
            split,
            fixed(values["accuracy"]),
            fixed(values["log_loss"]),
            fixed(values["balanced_accuracy"]),
        ]
        assert len(fixed(values["log_loss"])) <= 10
    # the advice names the command line's options, and not standardisation, which is on
    assert result.stderr.splitlines()[0] == (
        "Warning: training diverged with the step --lr 1e+09: the loss grew instead of "
        "falling; use a smaller --lr (e.g. --lr 1e+08) or --lr auto"
    )


def test_class_names_no_font_has_are_named_once_and_no_raw_warning(tmp_path):
    from cetrain.plots.style import _installed_fonts

    names = ["中文", "عربي", "🙂"]
    rows = [
        f"{k * 2 + (i % 5) / 5},{(i % 7) / 7 - k},{names[k]}" for i in range(30) for k in (0, 1, 2)
    ]
    data = tmp_path / "scripts.csv"
    data.write_text("x1,x2,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("train", "--data", data, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    for raw in ("UserWarning", "RuntimeWarning", "Glyph", "missing from"):
        assert raw not in result.stderr
    drawable = set().union(*(charmap for _, charmap in _installed_fonts()))
    undrawable = [name for name in names if any(ord(c) not in drawable for c in name)]
    expected = (
        [
            "Warning: no installed font can draw some characters of "
            + ", ".join(repr(name) for name in undrawable)
            + ": the figures show them as boxes; installing a font that has them (such as "
            "Noto Sans CJK or Noto Color Emoji) draws them"
        ]
        if undrawable
        else []
    )
    assert [line for line in result.stderr.splitlines() if line.startswith("Warning")] == expected


# --- Optimiser honesty: a status never claims more than happened -----------------------------


def test_a_hinge_run_ends_stalled_not_converged(tmp_path):
    result = invoke("train", "--data", "linear", "--loss", "hinge", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["status"], metrics["converged"]) == ("stalled", False)
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    assert model["training"]["status"] == "stalled"
    assert result.stderr.splitlines()[0] == (
        f"Warning: training stalled after {metrics['epochs']} epochs: the hinge loss has a kink, "
        "where the gradient need not vanish, and its subgradient steps no longer lowered the "
        "objective by more than --tol 1e-06 (relative), so the weights are near the minimum but "
        "not proven at it; a smaller --tol runs closer to it"
    )
    assert f"stalled after {metrics['epochs']} epochs in " in result.stdout
