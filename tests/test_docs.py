"""The README, the lesson in docs/teaching.md and every command's --help say what the commands
really do: every `cetrain ...` command they show is run, in order, and what they quote from its
output is checked against what it printed or wrote.

Which text is a command (`documented_examples`, `help_examples`):

- In a ```sh block, every command line that starts with `cetrain` (also after `&&`, `;` or `|`),
  with `# ...` after it as its note. Blocks are commands to type, so all of them run.
- An inline code span `cetrain ...` (it may wrap across lines) in the prose is a command when it
  is a complete command line that names what to run:
  - it has no placeholder: a word in capitals (NEW, RUN_DIR, NEW_FOLDER), a capital letter as
    the value of --data or --out (X), or a word in brackets ([OPTIONS]);
  - click parses it: every option has its value, every argument is given;
  - it gives an argument or an option's value (`cetrain train configs/sparse-l1.toml`), or it is
    `--help`, or it is a bare command that its own --help shows as an example (`cetrain
    gradcheck`).
  Otherwise it names a command or an option (`cetrain train`, `cetrain loss`, `cetrain train
  --report`, `cetrain train --loss`, `cetrain report`) and is not run. An unknown option or
  command is no mention: it runs, and fails.
- In `cetrain --help` and each command's --help, each line of the Examples section that starts
  with `cetrain`; the more deeply indented lines under it are its note.

How they run (`run_in_order`): in-process (conftest `invoke`), one temporary working folder per
document, holding links to datasets/, configs/ and docs/, in document order, so that a command can
use what an earlier one wrote (`cetrain report runs/moons` after `... --out runs/moons`; predict
and evaluate after `cetrain train --data species --out runs/species`). The --help examples run
after the README's, in the same folder. A command that writes a folder or file (`--out P`, or the
default runs/<time>-...) writes it there; when P already exists (another section's example named
it too), the earlier P is moved aside first, as a reader trying that example afresh would. A
command that repeats one already run in that folder is not run again (its note is checked against
the earlier result). `train` and `compare` get `--epochs 3` (fast: what is checked does not
depend on the fit) unless their text quotes a number that does (`FULL_FIT`). Figures are built
but not rendered (`_unrendered`). Each must exit with 0, or with the code its note states ("exit
code N"), or 1 when its quoted output is an `Error:` line.

What is checked against the output: a ```text block right after a one-command ```sh block is
exactly what the command prints; every decimal number in a command's note (`# 0.0020: confident
and right`) that is not one of its own arguments is printed by it; and what the prose says about
a command's result (`readme_checks`, `lesson_checks`: the predict and evaluate rows, the report
page, "focal = CE = 0.2014", the saturation and landscape epochs, the gradient errors, "16 of
the 20 coefficients", ...) is measured from what it printed or wrote.

The pictures in docs/images/ are checked by their data (`test_the_committed_pictures_...`).
"""

import ast
import dataclasses
import functools
import hashlib
import importlib.util
import io
import itertools
import json
import math
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.core import ParameterSource
from click.testing import Result
from conftest import invoke, stop_playground

from cetrain.cli import cli
from cetrain.runs.settings import KEYS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEACHING = ROOT / "docs" / "teaching.md"
QUICK_EPOCHS = "3"
# The commands whose text quotes a number that depends on the fit: they train in full.
FULL_FIT = {
    ("train", "configs/sparse-l1.toml"),  # "16 of the 20 coefficients become exactly zero"
    ("train", "configs/default-balanced.toml"),  # "finds all of them"
    ("compare", "configs/quickstart.toml"),  # "classify the test points equally well", ...
}


@dataclass(frozen=True)
class Example:
    """One documented `cetrain` command: where it is, its arguments after `cetrain`, its note
    (the `# ...` comment, or the --help lines under it) and the ```text block that follows it."""

    where: str
    args: tuple[str, ...]
    note: str = ""
    output: str | None = None

    @property
    def line(self) -> str:
        return shlex.join(["cetrain", *self.args])


def documented_examples(path: Path) -> list[Example]:
    """The `cetrain` commands of a Markdown file, in order (the module docstring's rule)."""
    text = path.read_text(encoding="utf-8")
    fences = list(re.finditer(r"^```(\w*)\n(.*?)^```\n?", text, re.M | re.S))
    found: list[tuple[int, Example]] = []
    prose = text
    for index, fence in enumerate(fences):
        prose = prose[: fence.start()] + " " * len(fence.group(0)) + prose[fence.end() :]
        if fence.group(1) != "sh":
            continue
        commands = []
        body_start = fence.start(2)
        for offset, line in _logical_lines(fence.group(2)):
            note = line.split(" #", 1)[1].strip() if " #" in line else ""
            for words in _shell_commands(shlex.split(line, comments=True)):
                where = (
                    f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, body_start + offset) + 1}"
                )
                commands.append((body_start + offset, Example(where, tuple(words[1:]), note)))
        following = fences[index + 1] if index + 1 < len(fences) else None
        if (
            len(commands) == 1
            and following is not None
            and following.group(1) == "text"
            and text[fence.end() : following.start()].strip() == ""
        ):
            position, example = commands[0]
            commands = [(position, dataclasses.replace(example, output=following.group(2)))]
        found += commands
    for span in re.finditer(r"`!?(cetrain(?:\s[^`]*)?)`", prose):
        words = shlex.split(" ".join(span.group(1).split()))
        if names_a_run(words[1:]):
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, span.start()) + 1}"
            found.append((span.start(), Example(where, tuple(words[1:]))))
    return [example for _, example in sorted(found, key=lambda item: item[0])]


def _logical_lines(block: str) -> list[tuple[int, str]]:
    """(offset, line) of a shell block, a line ending in a backslash joined to the next."""
    lines, start, pending = [], 0, ""
    offset = 0
    for raw in block.splitlines(keepends=True):
        if not pending:
            start = offset
        offset += len(raw)
        stripped = raw.rstrip("\n")
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append((start, pending + stripped))
        pending = ""
    return [(start, line) for start, line in lines if line.strip()]


def _shell_commands(tokens: list[str]) -> list[list[str]]:
    """The `cetrain` commands among the commands of one shell line (split at && ; | ||)."""
    commands, current = [], []
    for token in [*tokens, ";"]:
        if token in ("&&", "||", ";", "|"):
            if current and current[0] == "cetrain":
                commands.append(current)
            current = []
        else:
            current.append(token)
    return commands


PLACEHOLDER = re.compile(r"\[.*\]|[A-Z][A-Z0-9_]+")


def names_a_run(args: list[str]) -> bool:
    """Is an inline span's `cetrain ARGS` a complete command to run (the module docstring's
    rule), rather than the name of a command or option?"""
    if any(PLACEHOLDER.fullmatch(arg) for arg in args):
        return False
    if any(
        previous in ("--data", "--out") and re.fullmatch(r"[A-Z]", arg)
        for previous, arg in itertools.pairwise(args)
    ):
        return False
    if "--help" in args:
        return True
    if not args or args[0] not in cli.commands:
        return bool(args)  # an unknown command runs, and fails
    command = cli.commands[args[0]]
    try:
        context = command.make_context(f"cetrain {args[0]}", list(args[1:]))
    except (click.MissingParameter, click.BadOptionUsage):
        return False  # `cetrain report`, `cetrain train --loss`: a command's or option's name
    except click.UsageError:
        return True  # an unknown option: it runs, and fails
    given = [
        param
        for param in command.params
        if context.get_parameter_source(param.name) == ParameterSource.COMMANDLINE
        and not getattr(param, "is_flag", False)
    ]
    if given:
        return True
    bare = f"cetrain {args[0]}"
    return len(args) == 1 and bare in {
        shlex.join(["cetrain", *e.args]) for e in help_examples(args[0])
    }


@functools.cache
def help_examples(command: str | None = None) -> list[Example]:
    """The Examples of `cetrain --help` and every command's --help (of one command if named)."""
    names = [command] if command else [None, *cli.list_commands(click.Context(cli))]
    examples = []
    for name in names:
        args = ["--help"] if name is None else [name, "--help"]
        text = invoke(*args).stdout
        section = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0] if "Examples:" in text else ""
        where = shlex.join(["cetrain", *args])
        lines = section.splitlines()
        for number, line in enumerate(lines):
            if not line.strip().startswith("cetrain "):
                continue
            indent = len(line) - len(line.lstrip())
            note = []
            for below in lines[number + 1 :]:
                if len(below) - len(below.lstrip()) <= indent:
                    break
                note.append(below.strip())
            words = shlex.split(line)
            examples.append(Example(where, tuple(words[1:]), " ".join(note)))
    return examples


def expected_exit_code(example: Example) -> int:
    """0, or the code the note states ("exit code 1"), or 1 when the quoted output is an error."""
    stated = re.search(r"exit code (\d+)", example.note)
    if stated:
        return int(stated.group(1))
    if example.output is not None and example.output.startswith("Error:"):
        return 1
    return 0


@dataclass
class Ran:
    """A documented command as it was run: the arguments used and its result."""

    example: Example
    args: list[str]
    result: Result
    folder: Path  # the working folder
    problems: list[str] = dataclasses.field(default_factory=list)
    checked: list[str] = dataclasses.field(default_factory=list)  # the checks that applied

    def written(self) -> Path:
        """The folder or file the command wrote: its --out, or the folder it names ("Run
        folder: ...", "Folder: ..."; with --quiet, the one line it prints)."""
        if "--out" in self.args:
            return self.folder / self.args[self.args.index("--out") + 1]
        named = re.search(
            r"^(?:Run folder|Folder|Evaluation folder): (.+)$", self.result.stdout, re.M
        )
        return self.folder / (named.group(1) if named else self.result.stdout.splitlines()[0])


# What a figure file holds while the documented commands run: the figures are built, not
# rendered, and an animation's frames are not drawn (rendering is 90% of a run's time;
# tests/plots render every figure kind).
UNRENDERED = {
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n',
    "pdf": b"%PDF-1.4\n%%EOF\n",
}


def _unrendered(original):
    """Figure.savefig and Animation.save that write a placeholder file of the format asked."""
    import matplotlib.image
    from PIL import Image

    png, gif = io.BytesIO(), io.BytesIO()
    matplotlib.image.imsave(png, [[[1.0, 1.0, 1.0]]], format="png")
    Image.new("RGB", (1, 1)).save(gif, format="GIF")
    written = {**UNRENDERED, "png": png.getvalue(), "gif": gif.getvalue()}

    def savefig(fig, target, *args, **kwargs):
        if not isinstance(target, str | os.PathLike):
            return original(fig, target, *args, **kwargs)  # an animation's frames
        path = Path(target)
        path.write_bytes(written[kwargs.get("format") or path.suffix[1:]])
        return None

    def save_animation(animation, target, *args, **kwargs):
        animation._draw_was_started = True  # no "deleted without rendering" warning
        Path(target).write_bytes(written["gif"])

    return savefig, save_animation


def run_in_order(examples: list[Example], folder: Path, checks: list) -> list[Ran]:
    """Run the examples one after another in `folder` (the module docstring's rules), each
    checked (`problems`) before the next runs. One that repeats an earlier command is not run
    again: its note and quoted output are checked against the earlier result."""
    from matplotlib.animation import Animation
    from matplotlib.figure import Figure

    for name in ("datasets", "configs", "docs"):
        if not (folder / name).exists():
            (folder / name).symlink_to(ROOT / name)
    done: dict[tuple[str, ...], Ran] = {}
    ran = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        savefig, save_animation = _unrendered(Figure.savefig)
        patch.setattr(Figure, "savefig", savefig)
        patch.setattr(Animation, "save", save_animation)
        stop_playground(patch)  # it would serve until Ctrl-C
        for example in examples:
            if example.args in done:
                earlier = done[example.args]
                again = Ran(example, earlier.args, earlier.result, folder)
                again.problems = problems(again, checks=[])
                ran.append(again)
                continue
            args = list(example.args)
            if "--out" in args:
                out = folder / args[args.index("--out") + 1]
                if out.exists():
                    out.rename(out.with_name(f"{out.name}.earlier-{len(ran)}"))
            trains = args[0] in ("train", "compare") and "--help" not in args
            if trains and tuple(args[:2]) not in FULL_FIT:
                args += ["--epochs", QUICK_EPOCHS]
            run = Ran(example, args, invoke(*args), folder)
            run.problems = problems(run, checks)
            ran.append(done.setdefault(example.args, run))
    return ran


def numbers_in(text: str) -> set[str]:
    return set(re.findall(r"\d+\.\d+", text))


def problems(run: Ran, checks: list[tuple[Callable[[Ran], bool], Callable]]) -> list[str]:
    """What is not as documented about one run: a wrong exit code, a quoted output or number of
    its note that it did not print, or a failed check of `checks` that applies to it."""
    example, result = run.example, run.result
    where = f"{example.where} {example.line}"
    if result.exit_code != expected_exit_code(example):
        return [f"{where}: exit {result.exit_code}\n{result.output}"]
    found = []
    if example.output is not None and result.stdout != example.output:
        found.append(f"{where} printed\n{result.stdout}")
    missing = numbers_in(example.note) - numbers_in(" ".join(example.args))
    missing -= numbers_in(result.stdout)
    if missing:
        found.append(f"{where}: {sorted(missing)} not printed")
    for applies, check in checks:
        if applies(run):
            run.checked.append(getattr(check, "__qualname__", "").split(".")[0])
            try:
                check(run)
            except AssertionError as error:
                found.append(f"{where}: {error}")
    return found


# --- what the documents say about particular commands --------------------------------------


def is_command(*start: str) -> Callable[[Ran], bool]:
    """Does a run's command start with these words?"""
    return lambda run: tuple(run.example.args[: len(start)]) == start


def runs(command: str) -> Callable[[Ran], bool]:
    """Is a run the command at work (not its --help)?"""
    return lambda run: run.args[0] == command and "--help" not in run.args


def check_train_folder(run: Ran) -> None:
    """A run folder with its model; with --quiet the folder is all it prints."""
    folder = run.written()
    assert (folder / "model.json").is_file(), folder
    if "--quiet" in run.args:
        assert run.result.stdout == f"{folder.relative_to(run.folder)}\n"


def check_prediction(run: Ran) -> None:
    """The README's predict section: one row per bird with all its values (60, 2 with a gap),
    the id column with --id-col, the probability of each class, the prediction."""
    args = run.args
    text = run.written().read_text(encoding="utf-8") if "--out" in args else run.result.stdout
    lines = text.splitlines()
    with_id = "--id-col" in args
    assert lines[0] == ("id," if with_id else "") + "p(finch),p(sparrow),p(warbler),predicted"
    assert len(lines) == 1 + 60 - 2


def check_evaluation(run: Ran) -> None:
    """`evaluate` on the new birds: 58 rows scored, 2 left out, and the folder it names."""
    folder = run.written()
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["rows"], metrics["rows_dropped"]) == (58, 2)
    assert (
        run.result.stdout.splitlines()[-1] == f"Evaluation folder: {folder.relative_to(run.folder)}"
    )


def check_report(run: Ran) -> None:
    """`cetrain report RUN_DIR` prints the page's path and the page shows the figures."""
    folder = run.args[1]
    assert run.result.stdout == f"{Path(folder) / 'report.html'}\n"
    page = (run.folder / folder / "report.html").read_text(encoding="utf-8")
    assert page.count("<img ") >= 1


def loss_rows(stdout: str) -> dict[str, list[str]]:
    """The loss table of `cetrain loss`: loss name -> the words after it."""
    table = stdout.split("loss (train --loss)")[1].splitlines()[1:]
    return {row.split()[0]: row.split()[1:] for row in table if row.strip()}


def check_focal_without_alpha(run: Ran) -> None:
    """ "focal = CE": γ = 0 and no α is cross-entropy, log(1 + e^−1.5) = 0.2014, not 0.25 of it."""
    rows = loss_rows(run.result.stdout)
    expected = f"{math.log1p(math.exp(-1.5)):.4f}"
    assert expected == "0.2014" and expected in run.example.note
    assert rows["cross-entropy"] == [expected]
    assert rows["focal"] == [expected, "alpha", "none,", "gamma", "0"]


def check_gradients(text: str) -> Callable[[Ran], None]:
    """The relative errors gradcheck prints are what the document quotes: "gives 5e-13 to
    3e-10" (all of them in that range), or "around 1e-11" (their median within a factor 10)."""
    text = " ".join(text.split())
    span = re.search(r"gives (\S+e-\d+) to (\S+e-\d+) on the default problem", text)
    around = re.search(r"cetrain's are around (\S+e-\d+)\.", text)
    assert span or around, "the gradient errors the text quotes"

    def check(run: Ran) -> None:
        errors = [float(x) for x in re.findall(r" (\d\.\de-\d+) +good$", run.result.stdout, re.M)]
        assert len(errors) >= 20 and "WRONG" not in run.result.stdout
        if span:
            low, high = float(span.group(1)), float(span.group(2))
            assert low <= min(errors) and max(errors) <= high, (min(errors), max(errors))
        else:
            median = sorted(errors)[len(errors) // 2]
            assert 0.1 <= median / float(around.group(1)) <= 10, median

    return check


def check_saturation(pattern: str, text: str) -> Callable[[Ran], None]:
    """The epochs at which each output falls below 0.1, as the text quotes them."""
    quoted = re.search(pattern, text)
    assert quoted, pattern

    def check(run: Ran) -> None:
        data = json.loads((run.written() / "saturation.json").read_text(encoding="utf-8"))
        measured = tuple(
            data["losses"][name]["first_epoch_near_target"] for name in ("cross-entropy", "mse")
        )
        assert measured == (int(quoted.group(1)), int(quoted.group(2)))

    return check


def check_landscape(run: Ran) -> None:
    """The README's numbers of `cetrain landscape` on `line`: cross-entropy within 1% of its
    optimum after 17 epochs, MSE down by less than 5% after 50, MSE's smallest eigenvalue."""
    readme = README.read_text(encoding="utf-8")
    ce_share = re.search(r"cross-entropy is within 1% of its optimum after (\d+) epochs", readme)
    mse_share = re.search(r"MSE has lost less than 5% of\s+its loss after (\d+)", readme)
    eigenvalue = re.search(r"MSE's is (−?[\d.]+) on `line`", readme)
    assert ce_share and mse_share and eigenvalue
    data = json.loads((run.written() / "landscape.json").read_text(encoding="utf-8"))
    optimum = data["cross_entropy_optimum"]["loss"]
    ce = data["losses"]["cross-entropy"]["path"]["loss"]
    mse = data["losses"]["mse"]["path"]["loss"]
    assert next(i for i, loss in enumerate(ce) if loss < 1.01 * optimum) == int(ce_share.group(1))
    assert mse[int(mse_share.group(1))] > 0.95 * mse[0]
    quoted = float(eigenvalue.group(1).replace("−", "-"))
    measured = data["losses"]["mse"]["hessian"]["min_eigenvalue"]
    assert f"{measured:.2g}" == f"{quoted:.2g}"


def check_sparse(run: Ran) -> None:
    """The lesson: "16 of the 20 coefficients become exactly zero"."""
    quoted = re.search(r"(\d+) of\s+the (\d+) coefficients become exactly zero", lesson_text())
    assert quoted
    assert (
        f"{quoted.group(1)} of {quoted.group(2)} coefficients are exactly zero" in run.result.stdout
    )


def check_balanced(run: Ran) -> None:
    """The lesson: class weights find "all of" the defaults of the test set: Yes recall 1."""
    assert re.search(r"n/\(C·n_k\), and finds all of them", " ".join(lesson_text().split()))
    assert re.search(r"^test recall by class: .*Yes 1\.0000$", run.result.stdout, re.M)


def check_moons_comparison(run: Ran) -> None:
    """The lesson on `cetrain compare configs/quickstart.toml --losses cross-entropy,mse`: both
    models "classify the test points equally well", and on the test log loss "the model trained
    on cross-entropy is better"."""
    text = " ".join(lesson_text().split())
    assert "Both models classify the test points equally well" in text
    assert "the test log loss (second panel), the model trained on cross-entropy is better" in text
    folder = run.written()
    summary = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))["summary"]
    ce, mse = summary["cross-entropy"], summary["mse"]
    assert ce["test_accuracy"] == mse["test_accuracy"]
    assert ce["test_log_loss"] < mse["test_log_loss"]


def lesson_text() -> str:
    return TEACHING.read_text(encoding="utf-8")


def readme_checks() -> list:
    readme = README.read_text(encoding="utf-8")
    return [
        (runs("train"), check_train_folder),
        (runs("predict"), check_prediction),
        (runs("evaluate"), check_evaluation),
        (runs("report"), check_report),
        (
            lambda run: "--focal-alpha" in run.args and run.args[0] == "loss",
            check_focal_without_alpha,
        ),
        (lambda run: run.example.args == ("gradcheck",), check_gradients(readme)),
        (
            lambda run: run.example.args == ("saturation",),
            check_saturation(
                r"falls below 0\.1 at epoch (\d+) under cross-entropy and at epoch (\d+) under MSE",
                readme,
            ),
        ),
        (lambda run: run.example.args == ("landscape",), check_landscape),
    ]


def lesson_checks() -> list:
    lesson = lesson_text()
    return [
        (runs("train"), check_train_folder),
        (lambda run: run.example.args == ("gradcheck",), check_gradients(lesson)),
        (
            lambda run: run.example.args == ("saturation",),
            check_saturation(r"below 0\.1 after (\d+) epochs, MSE after (\d+)", lesson),
        ),
        (is_command("train", "configs/sparse-l1.toml"), check_sparse),
        (is_command("train", "configs/default-balanced.toml"), check_balanced),
        (is_command("compare", "configs/quickstart.toml", "--losses"), check_moons_comparison),
    ]


@pytest.fixture(scope="module")
def readme_runs(tmp_path_factory) -> list[Ran]:
    """Every command of the README, then every --help example, run in one working folder."""
    examples = [*documented_examples(README), *help_examples()]
    return run_in_order(examples, tmp_path_factory.mktemp("readme"), readme_checks())


@pytest.fixture(scope="module")
def lesson_runs(tmp_path_factory) -> list[Ran]:
    """Every command of docs/teaching.md, run in one working folder."""
    return run_in_order(
        documented_examples(TEACHING), tmp_path_factory.mktemp("lesson"), lesson_checks()
    )


def test_every_readme_and_help_command_runs_as_documented(readme_runs):
    found = [problem for run in readme_runs for problem in run.problems]
    assert not found, "\n\n".join(found)
    commands = {run.example.args[0] for run in readme_runs}
    assert commands >= {*cli.commands, "--help"}  # every command is shown at work
    assert_every_check_applied(readme_runs, readme_checks())


def assert_every_check_applied(runs: list[Ran], checks: list) -> None:
    """Each check found its command: a document that drops or rewrites one fails here."""
    applied = {name for run in runs for name in run.checked}
    names = {check.__qualname__.split(".")[0] for _, check in checks}
    assert names <= applied, names - applied


def test_every_help_has_examples():
    where = {example.where for example in help_examples()}
    assert where == {"cetrain --help", *(f"cetrain {name} --help" for name in cli.commands)}


def test_every_lesson_command_runs_as_documented(lesson_runs):
    found = [problem for run in lesson_runs for problem in run.problems]
    assert not found, "\n\n".join(found)
    quoted = [run for run in lesson_runs if run.example.output is not None]
    assert len(quoted) == 3  # the three printed tables of the lesson
    assert_every_check_applied(lesson_runs, lesson_checks())


def test_the_extraction_rule():
    """What counts as a command in the prose, and what only names one."""
    assert names_a_run(["train", "configs/sparse-l1.toml"])
    assert names_a_run(["gradcheck"]) and names_a_run(["datasets"])
    assert names_a_run(["--help"]) and names_a_run(["train", "--help"])
    assert names_a_run(["loss", "--target", "1", "--probs", "0.2,0.7,0.1"])
    assert names_a_run(["train", "--data", "iris", "--no-such-option"])  # runs, and fails
    for mention in (
        ["train"],
        ["loss"],
        ["report"],
        ["train", "--report"],
        ["train", "--loss"],
        ["train", "config.toml", "--out", "NEW"],
        ["train", "--data", "X"],
        ["report", "RUN_DIR"],
    ):
        assert not names_a_run(mention), mention
    lines = [example.line for example in documented_examples(README)]
    assert "cetrain train configs/quickstart.toml" in lines  # after `pip install ... &&`
    assert "cetrain report runs/moons" in lines  # without its comment
    assert not any("NEW" in line for line in lines)


@pytest.mark.parametrize("document", ["README.md", "docs/teaching.md"])
def test_every_picture_exists(document):
    path = ROOT / document
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text(encoding="utf-8"))
    assert images
    missing = [image for image in images if not (path.parent / image).is_file()]
    assert missing == []


def test_every_setting_is_in_the_readme_options_table():
    readme = README.read_text(encoding="utf-8")
    section = readme.split("### `cetrain train [CONFIG] [OPTIONS]`")[1].split("\n### ")[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `--")]
    documented = {key for row in rows for key in re.findall(r"`(\w+)`", row[1])}
    assert documented == set(KEYS)


@pytest.fixture(scope="module")
def species_model_dir(tmp_path_factory):
    """The README's first line of the predict section, `cetrain train --data species --out
    runs/species`, run once (with few epochs)."""
    base = tmp_path_factory.mktemp("model-examples")
    readme = README.read_text(encoding="utf-8")
    first = readme.split("### `cetrain predict MODEL DATA`")[1].split("```sh\n")[1].splitlines()[0]
    assert first == "cetrain train --data species --out runs/species"
    result = invoke(*shlex.split(first)[1:], "--epochs", "50", "--quiet", "--out", base / "species")
    assert result.exit_code == 0, result.output
    return base / "species"


def test_the_readme_notebook_section_runs(species_model_dir, tmp_path, monkeypatch):
    """Run the section as a notebook would, one statement at a time, keeping the value of each
    expression statement (what a notebook would show)."""
    from matplotlib.figure import Figure

    from cetrain.runs.trained import MissingValuesWarning

    readme = README.read_text(encoding="utf-8")
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


def load_make_images():
    """docs/make_images.py as a module."""
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def differences(measured, committed, where: str = "") -> list[str]:
    """Where two figure records differ: texts exactly, numbers to 1e-3 relative (1e-9 absolute)
    so that another machine's last digit of a fit does not count."""
    if isinstance(measured, dict) and isinstance(committed, dict):
        if measured.keys() != committed.keys():
            return [f"{where}: keys {sorted(measured)} != {sorted(committed)}"]
        return [
            d
            for key in measured
            for d in differences(measured[key], committed[key], f"{where}.{key}")
        ]
    if isinstance(measured, list) and isinstance(committed, list):
        if len(measured) != len(committed):
            return [f"{where}: {len(measured)} items, committed {len(committed)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(measured, committed, strict=True))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    if isinstance(measured, float) and isinstance(committed, int | float):
        if math.isclose(measured, committed, rel_tol=1e-3, abs_tol=1e-9):
            return []
    elif measured == committed:
        return []
    return [f"{where}: {measured!r}, committed {committed!r}"]


def test_the_committed_pictures_are_what_make_images_draws(tmp_path):
    """Each docs/images/NAME.png has the NAME.json that `python docs/make_images.py` wrote with
    it (same SHA-256), and that JSON's figure data is what the command draws today: a change
    in the commands' figures or numbers makes a stale picture fail here, a change of rendering
    (fonts, antialiasing on another machine) does not."""
    make_images = load_make_images()
    pictures = {path.name for path in (ROOT / "docs" / "images").glob("*.png")}
    assert pictures == set(make_images.PICTURES)
    measured = make_images.make(tmp_path, render=False)
    stale = []
    for image, data in measured.items():
        path = ROOT / "docs" / "images" / image
        committed = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert committed["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), image
        assert committed["command"] == data["command"]
        found = differences(data["figure"], committed["figure"], image)
        stale += found[:5]
    assert not stale, "stale pictures; run `python docs/make_images.py`:\n" + "\n".join(stale)
