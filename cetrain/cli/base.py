"""What every command shares: the `cetrain` group, options made from declarations, the
translation of a user's mistake into one `Error:` line, and the small output helpers.

Nothing here imports scikit-learn or matplotlib: the commands import what they use when they
run, so `cetrain --help` starts at once.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from cetrain import __version__
from cetrain.cli.interrupts import Deferred
from cetrain.core.params import Advice, Param, PathText, Spelling
from cetrain.errors import CetrainError, CetrainWarning, UndrawableText, undrawable_message
from cetrain.runs.settings import SETTINGS, Setting

PROGRESS_INTERVAL = 0.1  # seconds between progress-bar redraws


class Cetrain(click.Group):
    """The command group: every command runs with the warnings it raises recorded, and
    printed after it as `Warning: ...` lines of ours (own_warnings), never as Python's."""

    def invoke(self, ctx: click.Context):
        # the filters in force decide what is recorded (a library's DeprecationWarning is not);
        # ours are all recorded, to be said once each
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CetrainWarning)
            try:
                return super().invoke(ctx)
            finally:
                for line in own_warnings(caught):
                    click.echo(f"Warning: {line}", err=True)


@click.group(cls=Cetrain, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cetrain")
def cli():
    """cetrain: train logistic, softmax and multi-label regression on cross-entropy, and see why.

    \b
    Examples:
      cetrain datasets
      cetrain train --data iris
      cetrain train configs/moons-poly.toml --epochs 2000
    """


def user_errors(command: Callable) -> Callable:
    """Turn a CetrainError (a user's mistake) into click's one-line `Error: ...`, exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CetrainError as exc:
            advice = exc.args[0] if len(exc.args) == 1 else None
            message = spelled(advice) if isinstance(advice, Advice) else str(exc)
            raise click.ClickException(message) from None

    return wrapper


# matplotlib's text when a label has a character its font lacks: cetrain.plots.style has drawn
# the label with a font that has it, or named the labels no installed font can draw
_GLYPH_MISSING = re.compile(r"Glyph \d+ .*missing from (current )?font")


def own_warnings(caught: Iterable[warnings.WarningMessage]) -> list[str]:
    """The messages of the warnings a command raised, once each, in our words: our own
    (CetrainError's sibling CetrainWarning) as they are; NumPy's floating-point warnings as what
    they mean for the results; a missing glyph not at all (see _GLYPH_MISSING); any other
    library's as its message, so that a real problem is not hidden."""
    lines: list[str] = []
    caught = list(caught)
    undrawable = [
        label for w in caught if isinstance(w.message, UndrawableText) for label in w.message.labels
    ]
    for caught_warning in caught:
        message, category = str(caught_warning.message), caught_warning.category
        if issubclass(category, UndrawableText):  # the labels of every figure, in one line
            line = undrawable_message(undrawable)
        elif issubclass(category, CetrainWarning):
            line = message
        elif _GLYPH_MISSING.search(message):
            continue
        elif issubclass(category, RuntimeWarning) and "encountered in" in message:
            line = (
                f"a computation with numbers beyond float64 ({message}): a value printed or "
                "saved as inf or nan comes from it; values that extreme in the data or the "
                "options cause it"
            )
        else:
            line = message
        if line not in lines:
            lines.append(line)
    return lines


# --- options made from declarations ----------------------------------------------------------


class ParamType(click.ParamType):
    """A declared parameter's value on the command line: parsed and checked by its declaration,
    so that a bad value gets the same message here as in a config file or from Python."""

    def __init__(self, param: Param) -> None:
        self.param = param
        self.name = param.name

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.param.domain.metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if not isinstance(value, str):
            return value  # a default, already a value
        try:
            return self.param.from_text(value)
        except CetrainError as exc:
            self.fail(str(exc), param, ctx)

    def shell_complete(self, ctx, param, incomplete: str) -> list[CompletionItem]:
        choices = self.param.domain.choices or ()
        return [CompletionItem(choice) for choice in choices if choice.startswith(incomplete)]


class CheckedPath(click.Path):
    """click.Path that first refuses what no system call takes, a NUL byte or a path longer
    than the system allows, with the message a path setting gets (`--out`, `data`)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, str):
            name = param.name if param is not None and param.name else "path"
            try:
                Param(name, PathText(), None, "").check(value)
            except CetrainError as exc:
                self.fail(str(exc), param, ctx)
        return super().convert(value, param, ctx)


def option_help(param: Param) -> str:
    """The help text, then the default and the range in click's style."""
    extras = []
    if param.shown_default is not None:
        extras.append(f"[default: {param.shown_default}]")
    if param.domain.bounds is not None:
        extras.append(f"[{param.domain.bounds}]")
    return "  ".join([param.help, *extras])


def setting_option(setting: Setting) -> Callable:
    """The click option of a run setting: --name VALUE, or --name/--no-name for a flag. Not
    given, it is None, so the config file or the default decides."""
    flag = "--" + setting.name.replace("_", "-")
    if setting.is_flag:
        return click.option(
            f"{flag}/--no-{flag[2:]}", setting.name, default=None, help=option_help(setting.param)
        )
    return click.option(
        flag, setting.name, type=ParamType(setting.param), help=option_help(setting.param)
    )


def number_options(command: Callable) -> Callable:
    """--decimal and --thousands, for a command that reads a CSV file outside the run
    settings (predict, evaluate, landscape): declared once, in cetrain.data.numbers."""
    from cetrain.data.numbers import DECIMAL, THOUSANDS

    for param in (THOUSANDS, DECIMAL):
        flag = "--" + param.name
        command = click.option(flag, type=ParamType(param), help=option_help(param))(command)
    return command


def setting_options(settings: Iterable[Setting]) -> Callable:
    """Apply the options of `settings` to a command, in their order."""

    def decorate(command: Callable) -> Callable:
        for setting in reversed(list(settings)):
            command = setting_option(setting)(command)
        return command

    return decorate


class CommandLineSpelling(Spelling):
    """Parameters as this command line names them: the option of the run setting that sets
    the estimator parameter (max_iter -> --epochs), with its value as typed (--lr auto,
    --no-standardize)."""

    def __init__(self, settings: Iterable[Setting]) -> None:
        self.settings = {s.estimator or s.name: s for s in settings}

    def name(self, param: str) -> str:
        setting = self.settings.get(param)
        return "--" + (setting.name if setting else param).replace("_", "-")

    def value(self, param: str, value: Any) -> str:
        flag = self.name(param)
        if isinstance(value, bool):
            return flag if value else f"--no-{flag[2:]}"
        return f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}"


COMMAND_LINE = CommandLineSpelling(SETTINGS)


def spelled(message: Advice | str) -> str:
    """A message for the terminal: an Advice in the command line's spelling."""
    return message.render(COMMAND_LINE) if isinstance(message, Advice) else str(message)


# --- output ----------------------------------------------------------------------------------


def write_folder(
    write: Callable[[Path], Path], out: str | Path | None, default: tuple[str, str] = ("", "")
) -> Path:
    """Call write(out), reporting a failure of the file system as one `Error:` line.

    Without `out`, the folder is runs/<time>-<default[0]>-<default[1]>, reserved (created
    empty) just before writing so that commands ending together never take the same name; it
    is removed again if the writing fails. (A training run reserves its folder when training
    starts: RunFolder.)"""
    folder = RunFolder(out)
    if not out:
        folder.reserve(*default)
    else:
        folder.path = Path(out)
    return folder.write(lambda path, replace, commit: write(path))


class RunFolder:
    """The folder a training command writes: checked when the command starts (by its
    settings), reserved when training starts, so that runs started together never take the
    same name, and written when training ends; given back (removed, if it was made here and
    is still empty) when the command ends without writing it.

    `out` None (or empty) is the default, runs/<time>-<data>-<model>; with `force`, a folder
    at `out` that holds files is replaced once the new one is complete.
    """

    def __init__(
        self,
        out: str | Path | None,
        force: bool = False,
        stop: Deferred | None = None,
    ) -> None:
        self.out, self.force, self.stop = (Path(out) if out else None), force, stop
        self.path: Path | None = None
        self.created = False
        self.parents_made: list[Path] = []

    def reserve(self, dataset: str, model: str) -> Path:
        """Take the folder now (once): an atomic mkdir of the default name, or of `out`.
        From then on the run is one to keep: a first signal no longer aborts (`stop`)."""
        from cetrain.runs.folder import reserve_out, reserve_run_dir

        if self.path is None:
            if self.stop is not None:
                self.stop.start()
            parent = (self.out or Path("runs") / "run").parent
            self.parents_made = [p for p in (parent, *parent.parents) if not os.path.lexists(p)]
            if self.out is None:
                self.path, self.created = reserve_run_dir(dataset, model), True
            else:
                self.created = reserve_out(self.out, replace=self.force)
                self.path = self.out
        return self.path

    def write(self, write: Callable[..., Path], interrupted: bool = False) -> Path:
        """Call write(path, replace, commit), reporting a failure of the file system as one
        `Error:` line. `replace` is whether a folder with files at `path` is to be replaced
        (--force); an `interrupted` run never replaces one: it goes to a new folder beside it,
        <out>-interrupted (-2, -3, ... when taken), so the finished run there is kept.
        `commit` (for staged_folder) holds the signals while the folder is put in place, and
        from then on it counts as written."""
        from cetrain.runs.folder import give_back, holds_files, reserve_beside

        replace = self.force
        try:
            if interrupted and self.force and not self.created and holds_files(self.path):
                give_back(self.path, False)  # the finished run there is kept as it is
                self.path, self.created = reserve_beside(self.path, "interrupted"), True
                replace = False
            path = self.path
            commit = None if self.stop is None else (lambda: self.stop.holding(path))
            written = write(path, replace, commit)
        except BaseException as exc:
            self.release()
            if isinstance(exc, OSError):
                raise click.ClickException(
                    f"cannot write the run folder '{self.path}': {exc}"
                ) from None
            raise
        if self.stop is not None:
            self.stop.written = written
        return written

    def release(self) -> None:
        """Remove the reserved folder if it was made here and nothing was written into it,
        and the parent folders made for it (runs/) if they are still empty."""
        from cetrain.runs.folder import give_back

        if self.path is not None:
            give_back(self.path, self.created)
        if self.created and not self.path.is_dir():
            for parent in self.parents_made:  # the deepest first
                if parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
        self.created = False


@contextmanager
def training_run(out: str | Path | None, force: bool = False) -> Iterator[tuple]:
    """The run folder (RunFolder) and the signal handling (Deferred) of a command that
    trains: the first Ctrl-C or SIGTERM once training starts (when the folder is reserved)
    stops it at the end of its epoch and the folder is still written (`interrupted` then ends
    the command); a second one, or one before training starts, aborts, and the reserved
    folder is given back."""
    with Deferred() as stop:
        folder = RunFolder(out, force, stop)
        try:
            yield folder, stop
        except BaseException:
            folder.release()
            raise


def interrupted(stop: Deferred, where: str, folder: Path) -> None:
    """After a run stopped by a signal was written: one line saying where, on stderr, and exit
    code 130 (SIGINT) or 143 (SIGTERM)."""
    click.echo(f"Interrupted {where}: wrote {folder}", err=True)
    raise click.exceptions.Exit(stop.exit_code)


NUMBER_WIDTH = 10  # the widest a number's cell gets in any table: "-1.234e+300" would not fit
COLUMN_GAP = "  "  # between the columns of every table


def table_lines(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """The lines of a table: columns COLUMN_GAP apart, as wide as their widest cells; `align`
    is < or > per column."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        COLUMN_GAP.join(
            f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)
        ).rstrip()
        for row in [header, *rows]
    ]


def echo_table(header: list[str], rows: list[list[str]], align: str) -> None:
    """Print table_lines(header, rows, align) on stdout."""
    for line in table_lines(header, rows, align):
        click.echo(line)


def fixed(value: float | None, decimals: int = 4, width: int = NUMBER_WIDTH) -> str:
    """A number for a table cell, at most `width` characters whatever its size: `decimals`
    decimals when that fits, else exponent form with as many digits as fit (1.2346e+05);
    nan, inf and -inf as such, None as "-", and a value that rounds to zero as 0.0000, never
    -0.0000."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return str(value)  # nan, inf, -inf
    text = f"{round(value, decimals) + 0.0:.{decimals}f}"
    digits = decimals
    while len(text) > width:
        text = f"{value:.{digits}e}"
        if digits == 0:
            break  # never happens for width >= 7: "-1e+300" fits
        digits -= 1
    return text


def scientific(value: float, digits: int = 1) -> str:
    """A number in exponent form for a table cell (1.2e-07; nan and inf as such): at most
    9 characters with one digit, whatever its size."""
    return f"{value:.{digits}e}"


def echo_dropped(rows: int, hint: str = "") -> None:
    """'Dropped 2 rows with missing values.' on stderr (nothing for 0), with an optional
    hint in brackets before the full stop."""
    if rows:
        bracket = f" ({hint})" if hint else ""
        click.echo(f"Dropped {count(rows, 'row')} with missing values{bracket}.", err=True)


def count(n: int, noun: str) -> str:
    """'1 row', '3 rows', '2 classes'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def _is_terminal(stream) -> bool:
    """The stream is an interactive terminal (False for a pipe, a file or a notebook's)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ProgressBar:
    """click's progress bar over epochs with the current loss, on stderr, redrawn at most every
    0.1 s.

    The bar appears at the first epoch, so a mistake found while loading the data prints
    only its error. It is drawn only on a terminal: piped, or in a notebook's `!cetrain`, a bar
    cannot redraw itself and would leave its label behind, one bare line per run.
    """

    def __init__(
        self, epochs: int, enabled: bool, label: str = "Training", stop: Deferred | None = None
    ) -> None:
        self.epochs, self.enabled, self.label, self.stop = epochs, enabled, label, stop
        self.bar = None
        self.shown, self.last_draw = 0, 0.0

    def __enter__(self):
        return self.update if self.enabled and _is_terminal(sys.stderr) else None

    def update(self, epoch: int, loss: float, grad_norm: float) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=self.epochs,
                label=self.label,
                file=sys.stderr,
                item_show_func=lambda item: item,
            )
            self.bar.__enter__()
        now = time.perf_counter()
        if now - self.last_draw >= PROGRESS_INTERVAL:
            self.bar.update(epoch - self.shown, f"loss {fixed(loss)}  |grad| {grad_norm:.1e}")
            self.shown, self.last_draw = epoch, now

    def __exit__(self, *exc_info):
        stopped = self.stop is not None and self.stop.signum is not None
        self.close(finished=exc_info[0] is None and not stopped)
        return False

    def close(self, finished: bool = True) -> None:
        """Fill the bar (when training finished) and end its line."""
        if self.bar is not None:
            if finished:
                self.bar.update(self.epochs - self.shown, "done")
            self.bar.__exit__(None, None, None)
            self.bar = None
