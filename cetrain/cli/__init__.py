"""The command line: parse options, call the library, echo results, translate errors.

`base` holds the `cetrain` group and what the commands share; `training` the commands that
train (train, compare, datasets); `teaching` the teaching commands (loss, gradcheck,
landscape, saturation); `reporting` the page of a folder (report). Each command imports the
heavy libraries it needs when it runs.
"""

# each module adds its commands to the group
from cetrain.cli import reporting, scoring, teaching, training  # noqa: F401
from cetrain.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the `cetrain` console script."""
    cli(prog_name="cetrain")
