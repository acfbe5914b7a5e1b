"""The commands that use a trained model: `predict` (score new rows) and `evaluate` (how well
it does on labelled rows, with figures).

Both read a model.json, never a pickle: loading a model runs no code. The model encodes the raw
columns itself (cetrain.data.columns): text columns with the levels seen in training, the
standardisation and polynomial features as trained.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cetrain.cli.base import (
    CheckedPath,
    cli,
    count,
    echo_dropped,
    echo_table,
    fixed,
    number_options,
    user_errors,
    write_folder,
)
from cetrain.runs.folder import FIGURE_FORMATS, check_run_dir

if TYPE_CHECKING:
    from cetrain.runs.evaluation import Evaluation

_MODEL = click.argument("model_file", type=CheckedPath(dir_okay=False, path_type=Path))
_DATA = click.argument("data", type=CheckedPath(dir_okay=False, path_type=Path))


def _read_data(data: Path, decimal: str | None, thousands: str | None):
    """DATA as a raw table, its numbers read in the format the options give."""
    from cetrain.data.csvfile import read_table

    return read_table(data, decimal=decimal, thousands=thousands)


def _echo_ignored(ignored: list[str]) -> None:
    if ignored:
        names = ", ".join(ignored)
        click.echo(f"Note: columns not used by the model were ignored: {names}", err=True)


@cli.command("predict")
@_MODEL
@_DATA
@click.option(
    "--out",
    type=CheckedPath(dir_okay=False, path_type=Path),
    help="Write the predictions to this new CSV file instead of standard output.",
)
@click.option("--id-col", metavar="COL", help="A column of DATA to copy into each output row.")
@click.option(
    "--keep-missing",
    is_flag=True,
    help="Keep rows with a missing value in a used column, with empty probabilities and "
    "prediction (default: leave them out and say how many).",
)
@number_options
@user_errors
def predict_command(
    model_file: Path,
    data: Path,
    out: Path | None,
    id_col: str | None,
    keep_missing: bool,
    decimal: str | None,
    thousands: str | None,
):
    """Score the rows of a CSV file with a trained model (a model.json).

    DATA needs the model's input columns, in any order; other columns are
    ignored (and named on standard error). Text columns are encoded with the
    levels seen in training (another level is an error), and the model's
    standardisation and polynomial features are applied as trained. The
    output has one probability column p(<class>) per class and the
    predicted class (for a multi-label model, p(<label>) and a 0/1
    predicted(<label>) per label), one row per input row in the input's
    order. Without --out it goes to standard output, so it can be piped.
    Numbers written with a decimal comma or thousands separators need
    --decimal and --thousands, as in training.

    \b
    Examples:
      cetrain predict runs/species/model.json docs/examples/new_birds.csv --id-col id
      cetrain predict runs/species/model.json docs/examples/new_birds.csv --out birds.csv
    """
    from cetrain.runs.folder import check_new_file, write_new_file
    from cetrain.runs.modelfile import load_model
    from cetrain.runs.predictions import predict_table

    if out is not None:
        check_new_file(out)  # before the work, not after
    model = load_model(model_file)
    raw = _read_data(data, decimal, thousands)
    table = predict_table(model, raw, id_col=id_col, keep_missing=keep_missing)
    _echo_ignored(table.ignored)
    echo_dropped(table.rows_dropped, "--keep-missing keeps them, with empty predictions")
    if out is None:
        table.write_csv(sys.stdout)
    else:
        write_new_file(out, table.write_csv)
        click.echo(f"Wrote {count(len(table.rows), 'row')} to {out}", err=True)


@cli.command("evaluate")
@_MODEL
@_DATA
@click.option(
    "--out",
    type=CheckedPath(file_okay=False, path_type=Path),
    help="The folder to write (new or empty).  [default: runs/<time>-<data>-evaluate]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FIGURE_FORMATS),
    default="png",
    show_default=True,
    help="File format of the figures.",
)
@number_options
@user_errors
def evaluate_command(
    model_file: Path,
    data: Path,
    out: Path | None,
    fmt: str,
    decimal: str | None,
    thousands: str | None,
):
    """Measure a trained model on a CSV file that holds the labels.

    DATA needs the model's input columns and the label column(s) it was
    trained on. Prints accuracy, balanced accuracy, log loss and Brier score
    and per-class precision, recall and F1 (per label, with subset accuracy,
    for a multi-label model), and writes a folder with metrics.json,
    confusion_matrix.png, calibration.png and, for a binary model, roc.png.
    Rows with a missing value in a used column are left out and counted.
    Numbers written with a decimal comma or thousands separators need
    --decimal and --thousands, as in training.

    \b
    Examples:
      cetrain evaluate runs/species/model.json docs/examples/new_birds.csv
      cetrain evaluate runs/species/model.json docs/examples/new_birds.csv --out runs/birds-eval
    """
    from cetrain.runs.modelfile import load_model
    from cetrain.runs.write import write_evaluation

    if out is not None:
        check_run_dir(out)
    model = load_model(model_file)
    evaluation, rows = model.evaluate(_read_data(data, decimal, thousands))
    _echo_ignored(rows.ignored)
    echo_dropped(rows.rows_dropped)
    format_option = [] if fmt == "png" else ["--format", fmt]
    for name, value in (("--decimal", decimal), ("--thousands", thousands)):
        format_option += [] if value is None else [name, value]
    record = {
        "command": shlex.join(
            ["cetrain", "evaluate", str(model_file), str(data), *format_option, "--out"]
        )
        + " NEW_FOLDER",
        "model": str(model_file),
        "data": str(data),
        "rows_dropped": rows.rows_dropped,
    }
    title = f"{model.estimator.kind.capitalize()} regression on {Path(data).name}"
    folder = write_folder(
        lambda path: write_evaluation(evaluation, record, path, title=title, fmt=fmt),
        out,
        default=(Path(data).stem, "evaluate"),
    )
    _echo_evaluation(evaluation, title, folder)


def _echo_evaluation(evaluation: Evaluation, title: str, folder: Path) -> None:
    metrics = evaluation.metrics
    click.echo(f"{title}: {count(metrics['rows'], 'row')}")
    if evaluation.label_sets:
        overall = ("subset accuracy", "label accuracy", "log loss", "Brier")
        keys = ("subset_accuracy", "label_accuracy", "log_loss", "brier")
    else:
        overall = ("accuracy", "balanced accuracy", "log loss", "Brier")
        keys = ("accuracy", "balanced_accuracy", "log_loss", "brier")
    echo_table(list(overall), [[fixed(metrics[key]) for key in keys]], ">" * len(keys))
    per = metrics["per_label" if evaluation.label_sets else "per_class"]
    columns = ("precision", "recall", "f1", "support")
    rows = [
        [name, *(fixed(v[c]) for c in columns[:3]), str(v["support"])] for name, v in per.items()
    ]
    click.echo("")
    echo_table(["label" if evaluation.label_sets else "class", *columns], rows, "<>>>>")
    click.echo(f"Evaluation folder: {folder}")
