"""The README and the lesson in docs/teaching.md say what the commands really do."""

import ast
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke

from cetrain.runs.settings import KEYS
from cetrain.teach import landscape, saturation

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "docs" / "teaching.md"


def command_outputs(markdown: str) -> list[tuple[str, str]]:
    """(command, printed text) for each ```sh block of one command followed by a ```text block."""
    pattern = re.compile(r"```sh\n(cetrain [^\n]+)\n```\n\n```text\n(.*?)```", re.S)
    return pattern.findall(markdown)


@pytest.mark.parametrize("document", ["README.md", "docs/teaching.md"])
def test_every_picture_exists(document):
    path = ROOT / document
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text(encoding="utf-8"))
    assert images
    missing = [image for image in images if not (path.parent / image).is_file()]
    assert missing == []


PAIRS = command_outputs(TEACHING.read_text(encoding="utf-8"))


def test_the_lesson_quotes_three_outputs():
    assert len(PAIRS) == 3


@pytest.mark.parametrize(("command", "printed"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_every_quoted_output_is_what_the_command_prints(command, printed):
    result = invoke(*shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout == printed


def test_the_saturation_numbers_in_the_lesson_are_measured():
    text = TEACHING.read_text(encoding="utf-8")
    found = re.search(r"below 0\.1 after (\d+) epochs, MSE after (\d+)", text)
    assert found is not None
    result = saturation.saturation_demo()
    runs = result.runs
    measured = (runs["cross-entropy"].first_epoch_near, runs["mse"].first_epoch_near)
    assert measured == (int(found.group(1)), int(found.group(2)))


def test_the_numbers_the_readme_quotes_for_the_demos_are_measured():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ce_share = re.search(r"cross-entropy is within 1% of its optimum after (\d+) epochs", readme)
    mse_share = re.search(r"MSE has lost less than 5% of\s+its loss after (\d+)", readme)
    eigenvalue = re.search(r"MSE's is (−?[\d.]+) on `line`", readme)
    epochs = re.search(
        r"falls below 0\.1 at epoch (\d+) under cross-entropy and at epoch (\d+) under MSE", readme
    )
    assert ce_share and mse_share and eigenvalue and epochs

    result = landscape.compute_landscape(landscape.one_feature_data("line"))
    optimum = result.optimum.loss
    ce = result.surfaces["cross-entropy"].path.loss
    mse = result.surfaces["mse"].path.loss
    assert int(np.flatnonzero(ce < 1.01 * optimum)[0]) == int(ce_share.group(1))
    assert mse[int(mse_share.group(1))] > 0.95 * mse[0]
    quoted = float(eigenvalue.group(1).replace("−", "-"))
    assert f"{result.surfaces['mse'].min_eigenvalue:.2g}" == f"{quoted:.2g}"

    runs = saturation.saturation_demo().runs
    measured = (runs["cross-entropy"].first_epoch_near, runs["mse"].first_epoch_near)
    assert measured == (int(epochs.group(1)), int(epochs.group(2)))


def train_examples() -> list[str]:
    """The `cetrain train` lines of the README's train section and of `cetrain train --help`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `cetrain train [CONFIG] [OPTIONS]`")[1].split("\n### ")[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    from_help = re.findall(r"^ +(cetrain train .+)$", invoke("train", "--help").stdout, re.M)
    return sorted({*block.strip().splitlines(), *from_help})


@pytest.mark.parametrize("command", train_examples())
def test_every_train_example_runs(command, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples name datasets/ and configs/ files
    args = [arg for arg in shlex.split(command)[1:] if arg not in ("--out", "runs/moons")]
    result = invoke(*args, "--epochs", "3", "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "model.json").is_file()


def test_every_setting_is_in_the_readme_options_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `cetrain train [CONFIG] [OPTIONS]`")[1].split("\n### ")[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `--")]
    documented = {key for row in rows for key in re.findall(r"`(\w+)`", row[1])}
    assert documented == set(KEYS)


def model_examples() -> list[str]:
    """The predict and evaluate lines of the README's section on them and of their --help."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `cetrain predict MODEL DATA`")[1].split("\n### ")[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1).strip().splitlines()
    from_help = [
        line
        for command in ("predict", "evaluate")
        for line in re.findall(
            rf"^ +(cetrain {command} .+)$", invoke(command, "--help").stdout, re.M
        )
    ]
    return sorted({*block[1:], *from_help})


@pytest.fixture(scope="module")
def species_model_dir(tmp_path_factory):
    """The README's first line of the section, `cetrain train --data species --out
    runs/species`, run once (with few epochs)."""
    base = tmp_path_factory.mktemp("model-examples")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("### `cetrain predict MODEL DATA`")[1].split("```sh\n")[1].splitlines()[0]
    assert first == "cetrain train --data species --out runs/species"
    result = invoke(*shlex.split(first)[1:], "--epochs", "50", "--quiet", "--out", base / "species")
    assert result.exit_code == 0, result.output
    return base / "species"


@pytest.mark.parametrize("command", model_examples())
def test_every_predict_and_evaluate_example_runs(command, species_model_dir, tmp_path, monkeypatch):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "species").symlink_to(species_model_dir)
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    monkeypatch.chdir(tmp_path)
    result = invoke(*shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    args = shlex.split(command)
    out = tmp_path / args[args.index("--out") + 1] if "--out" in args else None
    if args[1] == "predict":
        text = result.stdout if out is None else out.read_text(encoding="utf-8")
        lines = text.splitlines()
        with_id = "--id-col" in args
        assert lines[0] == ("id," if with_id else "") + "p(finch),p(sparrow),p(warbler),predicted"
        assert len(lines) == 1 + 60 - 2  # 60 birds, 2 with a missing value
    elif out is not None:  # evaluate
        metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
        assert (metrics["rows"], metrics["rows_dropped"]) == (58, 2)
        assert result.stdout.splitlines()[-1] == f"Evaluation folder: {args[-1]}"
    else:
        assert result.stdout.splitlines()[-1].startswith("Evaluation folder: runs/")


def test_the_readme_notebook_section_runs(species_model_dir, tmp_path, monkeypatch):
    """Run the section as a notebook would, one statement at a time, keeping the value of each
    expression statement (what a notebook would show)."""
    from matplotlib.figure import Figure

    from cetrain.runs.trained import MissingValuesWarning

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### In a notebook")[1].split("\n## ")[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "species").symlink_to(species_model_dir)
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    shown = {}
    with pytest.warns(MissingValuesWarning, match="^2 of 60 rows"):
        for statement in ast.parse(code).body:
            source = ast.get_source_segment(code, statement)
            if isinstance(statement, ast.Expr):
                shown[source.split("(")[0]] = eval(source, namespace)
            else:
                exec(source, namespace)
    plotted = {name: value for name, value in shown.items() if name.startswith("cetrain.plot_")}
    assert sorted(plotted) == [
        "cetrain.plot_calibration",
        "cetrain.plot_confusion_matrix",
        "cetrain.plot_decision_boundary",
        "cetrain.plot_loss_curve",
    ]
    assert all(isinstance(fig, Figure) and fig.axes for fig in plotted.values())
    report, saved = namespace["report"], namespace["saved"]
    assert 0.5 < report["accuracy"] <= 1
    assert shown["saved.predict_proba"].shape == (3, 3)
    assert list(saved.classes_) == ["finch", "sparrow", "warbler"]


def report_examples() -> list[str]:
    """The command lines of the README's report section, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `cetrain report RUN_DIR`")[1].split("\n### ")[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.strip().splitlines()]


def test_the_report_examples_run_and_write_their_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write runs/...
    lines = report_examples()
    from_help = re.findall(r"^ +(cetrain report .+)$", invoke("report", "--help").stdout, re.M)
    assert from_help and set(from_help) <= set(lines)  # so --help's examples run here too
    reports = 0
    for line in lines:
        args = shlex.split(line)[1:]
        if args[0] in ("train", "compare"):
            args += ["--epochs", "3"]  # fast: the page, not the fit, is under test
        result = invoke(*args)
        assert result.exit_code == 0, (line, result.output)
        if args[0] == "report":
            page = tmp_path / args[1] / "report.html"
            assert result.stdout == f"{Path(args[1]) / 'report.html'}\n"
            assert page.read_text(encoding="utf-8").count("<img ") >= 1
            reports += 1
    assert reports >= 2
