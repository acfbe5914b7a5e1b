"""The command line: parse options, call the library, echo results, translate errors.

`base` holds the `cetrain` group and what the commands share; `training` the commands that
train (train, compare, datasets); `teaching` the teaching commands (loss, gradcheck,
landscape, saturation); `scoring` predict and evaluate; `reporting` the page of a folder
(report); `playground` the live page; `interrupts` what Ctrl-C and SIGTERM do. Each command
imports the heavy libraries it needs when it runs, and this package imports nothing until
`cli` is asked for, so that `main` handles Ctrl-C before click is even imported.
"""

import sys

from cetrain.cli import interrupts

__all__ = ["cli", "main"]


def __getattr__(name: str):
    if name == "cli":
        return _group()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _group():
    """The `cetrain` group with every command: each module adds its commands to it."""
    from cetrain.cli import playground, reporting, scoring, teaching, training  # noqa: F401
    from cetrain.cli.base import cli

    return cli


def main() -> None:
    """Entry point of the `cetrain` console script and of `python -m cetrain`.

    Ctrl-C or SIGTERM at any time, from the imports on, ends with one line on stderr and exit
    code 130 or 143 (cetrain.cli.interrupts)."""
    interrupts.install()
    try:
        _group()(prog_name="cetrain")
    except interrupts.Interrupted as exc:
        print(exc.message, file=sys.stderr)
        sys.exit(exc.exit_code)
