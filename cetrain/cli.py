"""The command line: parse options, call the library, echo results, translate errors."""

import functools
import sys
import time
from pathlib import Path

import click

from cetrain import __version__
from cetrain.config import (
    DEFAULTS,
    MAX_SAMPLES,
    MAX_SEED,
    MODEL_NAMES,
    learning_rate,
    read_config,
    resolve_settings,
)
from cetrain.data import list_datasets
from cetrain.errors import CetrainError
from cetrain.losses import LOSS_NAMES
from cetrain.runs import check_run_dir, default_run_dir, write_run
from cetrain.train import TrainResult, train

PROGRESS_INTERVAL = 0.1  # seconds between progress-bar redraws


class LearningRate(click.ParamType):
    """A positive number or the word auto, checked as a config file's `lr` is."""

    name = "lr"

    def get_metavar(self, param, ctx=None):
        return "NUMBER|auto"

    def convert(self, value, param, ctx):
        typed = value
        try:
            if isinstance(value, str) and value.strip().lower() != "auto":
                value = float(value)
            return learning_rate(value)
        except ValueError:
            self.fail(f"{typed!r} is not a finite number > 0 or 'auto'", param, ctx)


def _user_errors(command):
    """Turn a CetrainError (a user's mistake) into click's one-line `Error: ...`, exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CetrainError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cetrain")
def cli():
    """cetrain: train logistic and softmax regression on cross-entropy, and see why.

    \b
    Examples:
      cetrain datasets
      cetrain train --data iris
      cetrain train configs/moons-poly.toml --epochs 2000
    """


def _default(key: str) -> str:
    return f"[default: {getattr(DEFAULTS, key)}]"


@cli.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--data", help="Dataset name (see `cetrain datasets`) or path to a CSV file with a header."
)
@click.option("--target", help="CSV label column.  [default: the last column]")
@click.option(
    "--features", help="Comma-separated input columns to use.  [default: all but the target]"
)
@click.option(
    "--n-samples",
    type=click.IntRange(2, MAX_SAMPLES),
    help="Rows of a generated dataset (moons, ...).  [default: 200]",
)
@click.option("--noise", type=click.FloatRange(min=0), help="Noise of a generated dataset.")
@click.option(
    "--model",
    type=click.Choice(MODEL_NAMES),
    help=f"auto: logistic for 2 classes, else softmax.  {_default('model')}",
)
@click.option("--loss", type=click.Choice(LOSS_NAMES), help=f"Training loss.  {_default('loss')}")
@click.option(
    "--lr",
    type=LearningRate(),
    help=f"Step size, or auto for 1/L (L: the Lipschitz constant).  {_default('lr')}",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    help=f"Maximum epochs (full passes over the data).  {_default('epochs')}",
)
@click.option(
    "--tol",
    type=click.FloatRange(min=0),
    help=f"Stop when the gradient norm falls below this.  {_default('tol')}",
)
@click.option(
    "--l2",
    type=click.FloatRange(min=0),
    help=f"Penalty l2/2 * ||W||^2 on standardised weights.  {_default('l2')}",
)
@click.option(
    "--momentum",
    type=click.FloatRange(0, 1, max_open=True),
    help=f"Nesterov momentum; 0 is plain gradient descent.  {_default('momentum')}",
)
@click.option(
    "--standardize/--no-standardize",
    default=None,
    help="Standardise features inside the model.  [default: standardize]",
)
@click.option(
    "--poly",
    type=click.IntRange(min=1),
    help=f"Degree of polynomial features (1: none).  {_default('poly')}",
)
@click.option(
    "--test-size",
    type=click.FloatRange(0, 1, max_open=True),
    help=f"Fraction held out as a stratified test set; 0 for none.  {_default('test_size')}",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    help=f"Seed of the split and of generated data.  {_default('seed')}",
)
@click.option(
    "--plot-features",
    help="Two comma-separated features for the boundary plot.  [default: the first two]",
)
@click.option(
    "--out",
    type=click.Path(),
    help="Run folder to create; must not exist or be empty.  [default: runs/<time>-<data>-<model>]",
)
@click.option(
    "--quiet/--no-quiet",
    default=None,
    help="No progress bar or summary: print only the run folder (warnings and notes still go "
    "to stderr).  [default: no-quiet]",
)
@_user_errors
def train_command(config: Path | None, **options):
    """Train a model and write a run folder with plots, metrics and the model.

    CONFIG is an optional TOML file whose keys are the option names
    (test_size or test-size); options given here override it.

    \b
    Examples:
      cetrain train --data iris
      cetrain train --data moons --poly 3 --test-size 0.3 --out runs/moons
      cetrain train --data datasets/default.csv --target default --features student,balance
      cetrain train configs/quickstart.toml --loss mse --epochs 2000
    """
    file_values = read_config(config) if config is not None else {}
    cli_values = {key: value for key, value in options.items() if value is not None}
    settings = resolve_settings(file_values, cli_values, config_name=str(config))
    if settings.out is not None:
        check_run_dir(settings.out)  # fail now, not after training

    with _ProgressBar(settings.epochs, enabled=not settings.quiet) as on_epoch:
        result = train(settings, callback=on_epoch)

    out = (
        Path(settings.out)
        if settings.out
        else default_run_dir(result.dataset.name, result.settings.model)
    )
    try:
        folder = write_run(result, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the run folder '{out}': {exc}") from None
    if result.dataset.rows_dropped:
        click.echo(f"Dropped {result.dataset.rows_dropped} rows with missing values.", err=True)
    for message in result.warnings:
        click.echo(f"Warning: {message}", err=True)
    if settings.quiet:
        click.echo(str(folder))
    else:
        _echo_summary(result, folder)


cli.add_command(train_command, name="train")


@cli.command()
@_user_errors
def datasets():
    """List the datasets --data can name: built-in, generated and in datasets/.

    Any CSV file with a header works too: pass its path to --data.

    \b
    Examples:
      cetrain datasets
      cetrain train --data breast_cancer
    """
    infos = list_datasets()
    width = max(len(info.name) for info in infos)
    click.echo(
        f"{'name':<{width}}  {'kind':<9}  {'rows':>5}  {'features':>8}  {'classes':>7}  description"
    )
    for info in infos:
        click.echo(
            f"{info.name:<{width}}  {info.kind:<9}  {info.rows:>5}  {info.features:>8}  "
            f"{info.classes:>7}  {info.description}"
        )


# --- teaching commands: loss, gradcheck ------------------------------------------------------


# --- teaching commands: landscape, saturation ------------------------------------------------


class _ProgressBar:
    """click's progress bar over epochs with the current loss, redrawn at most every 0.1 s.

    The bar appears at the first epoch, so a mistake found while loading the data prints
    only its error.
    """

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.epochs, self.enabled = epochs, enabled
        self.bar = None
        self.shown, self.last_draw = 0, 0.0

    def __enter__(self):
        return self.update if self.enabled else None

    def update(self, epoch: int, loss: float, grad_norm: float) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=self.epochs,
                label="Training",
                file=sys.stderr,
                item_show_func=lambda item: item,
            )
            self.bar.__enter__()
        now = time.perf_counter()
        if now - self.last_draw >= PROGRESS_INTERVAL:
            self.bar.update(epoch - self.shown, f"loss {loss:.4f}  |grad| {grad_norm:.1e}")
            self.shown, self.last_draw = epoch, now

    def __exit__(self, *exc_info):
        if self.bar is not None:
            if exc_info[0] is None:
                self.bar.update(self.epochs - self.shown, "done")
            self.bar.__exit__(*exc_info)
        return False


def _echo_summary(result: TrainResult, folder: Path) -> None:
    settings, metrics = result.settings, result.metrics
    dataset = result.dataset
    n_classes = len(result.pipeline.classes_)
    click.echo(
        f"{settings.model.capitalize()} regression on {dataset.name}: "
        f"{metrics['n_train']} train / {metrics['n_test']} test rows, "
        f"{_count(len(dataset.feature_names), 'feature')}, {n_classes} classes, "
        f"loss {settings.loss}"
    )
    status = {"converged": "converged", "max_iter": "stopped at --epochs", "diverged": "DIVERGED"}
    epochs, seconds = metrics["epochs"], metrics["seconds"]
    step, grad_norm = metrics["learning_rate"], metrics["final_grad_norm"]
    click.echo(
        f"{status[metrics['status']]} after {epochs} epochs in {seconds:.2f} s "
        f"(step {step:.3g}, final gradient norm {grad_norm:.1e})"
    )
    click.echo(f"{'':8}{'accuracy':>10}{'log loss':>10}")
    for split in ("train", "test"):
        if metrics[split] is not None:
            row = metrics[split]
            click.echo(f"{split:8}{row['accuracy']:>10.4f}{row['log_loss']:>10.4f}")
    click.echo(f"Run folder: {folder}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def main() -> None:
    """Entry point of the `cetrain` console script."""
    cli(prog_name="cetrain")
