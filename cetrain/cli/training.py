"""The commands that train: `train`, `compare`, and `datasets` (what they can train on).

The training code, scikit-learn and matplotlib are imported when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cetrain.cli.base import (
    CheckedPath,
    ProgressBar,
    cli,
    count,
    echo_dropped,
    echo_table,
    fixed,
    interrupted,
    scientific,
    setting_options,
    spelled,
    training_run,
    user_errors,
    write_folder,
)
from cetrain.core.losses import LOSS_NAMES
from cetrain.errors import ConfigError
from cetrain.runs.compare import ACCURACY_SHARE, DEFAULT_LOSSES, LIST_KEYS, MODEL_CHOICES
from cetrain.runs.folder import check_run_dir
from cetrain.runs.settings import (
    SETTINGS,
    TRAIN_ONLY,
    TrainSettings,
    read_config,
    resolve_settings,
)

if TYPE_CHECKING:
    from cetrain.runs.compare import Comparison
    from cetrain.runs.reference import NoReference, Reference
    from cetrain.runs.train import TrainResult

THIRD_COLUMNS = {"label_accuracy": "label acc", "balanced_accuracy": "bal. acc"}
# how the summary says a status of cetrain.core.optim.STATUSES, when not by its own name
STATUS_WORDS = {"max_iter": "stopped at --epochs", "diverged": "DIVERGED"}
MAX_RECALL_CLASSES = 10  # more classes than this and the recall line would not fit
_CONFIG = click.argument("config", required=False, type=CheckedPath(dir_okay=False, path_type=Path))


def _settings(
    config: Path | None,
    options: dict[str, Any],
    file_values: dict[str, Any] | None = None,
    refused: dict[str, str] | None = None,
) -> TrainSettings:
    """Settings from defaults <- the config file <- the command line. `file_values` are the
    config file's, already read (its other keys removed); a config key in `refused` is an error
    with that reason. The run folder is checked now, not after training."""
    if file_values is None:
        file_values = read_config(config) if config is not None else {}
    for key, reason in (refused or {}).items():
        if key in file_values:
            raise ConfigError(f"{config}: key '{key}' is not used here: {reason}")
    cli_values = {key: value for key, value in options.items() if value is not None}
    settings = resolve_settings(file_values, cli_values, config_name=str(config))
    if settings.out is not None:
        check_run_dir(settings.out, replace=settings.force)
    return settings


def _echo_notes(result: TrainResult, warnings: bool = True) -> None:
    """Dropped rows, (unless warnings=False) convergence warnings, and what the run's numbers
    teach (cetrain.runs.hints), on stderr."""
    echo_dropped(result.dataset.rows_dropped)
    for message in result.warnings if warnings else ():
        click.echo(f"Warning: {spelled(message)}", err=True)
    if warnings:
        for note in result.notes:
            click.echo(f"Note: {note}", err=True)


def _echo_comparison_notes(comparison: Comparison) -> None:
    """Each run's warnings, named; a note every run earned once, the others named."""
    runs = comparison.runs
    for name, run in runs.items():
        for message in run.warnings:
            click.echo(f"Warning: {name}: {spelled(message)}", err=True)
    shared = [
        note
        for note in next(iter(runs.values())).notes
        if all(note in run.notes for run in runs.values())
    ]
    for note in shared:
        click.echo(f"Note: {note}", err=True)
    for name, run in runs.items():
        for note in run.notes:
            if note not in shared:
                click.echo(f"Note: {name}: {note}", err=True)


@cli.command("train")
@_CONFIG
@setting_options(SETTINGS)
@user_errors
def train_command(config: Path | None, **options):
    """Train a model and write a run folder with plots, metrics and the model.

    CONFIG is an optional TOML file whose keys are the option names
    (test_size or test-size); options given here override it. Notes on
    stderr say what the run's numbers teach: a straight boundary on
    curved data, a test split too small to trust, an ID column, a step
    too large, separable classes without a penalty.

    \b
    Examples:
      cetrain train --data iris
      cetrain train --data moons --poly 3 --test-size 0.3 --out runs/moons
      cetrain train --data datasets/default.csv --target default --features student,balance
      cetrain train configs/quickstart.toml --loss mse --epochs 2000
      cetrain train --data moons --poly 3 --animate --format svg
      cetrain train --data default --class-weight balanced
      cetrain train --data moons --show-loss
      cetrain train --data species --plot-features mass_g,site
      cetrain train --data genres --target electronic,rock,pop
      cetrain train --data sparse --l1 0.05 --l2 0
      cetrain train --data iris --loss focal --focal-alpha setosa=0.5,virginica=2
      cetrain train configs/quickstart.toml --reference --report
      cetrain train --data docs/examples/moons_X.npy --target-file docs/examples/moons_y.npy
    """
    from cetrain.runs import train, write

    settings = _settings(config, options)
    with training_run(settings.out, settings.force) as (run_folder, stop):
        with ProgressBar(settings.epochs, enabled=not settings.quiet, stop=stop) as on_epoch:
            result = train.train(
                settings, callback=stop.epoch_callback(on_epoch), on_start=run_folder.reserve
            )
        folder = run_folder.write(
            lambda path, replace, commit: write.write_run(
                result, path, settings.format, replace=replace, commit=commit
            ),
            # a run that trained to the end before a signal came is complete: written to out
            interrupted=result.metrics.status == "interrupted",
        )
        if stop.signum is not None:
            interrupted(stop, _stopped_at(result.metrics, settings.epochs), folder)
        _echo_notes(result)
        if settings.quiet:
            click.echo(str(folder))
        else:
            _echo_summary(result, folder)
        if result.metrics.reference is not None:
            _echo_reference(result.metrics.reference, quiet=settings.quiet)
        if settings.report:
            from cetrain.runs.report import write_report

            page = write_folder(lambda path: write_report(path), folder)
            if not settings.quiet:
                click.echo(f"Report: {page}")
        if stop.signum is not None:  # a signal while the summary or the report was written
            interrupted(stop, "after training", folder)


@cli.command("compare")
@_CONFIG
@click.option(
    "--losses",
    help=f"Comma-separated losses to train on, from: {', '.join(LOSS_NAMES)}.  "
    f"[default: {','.join(DEFAULT_LOSSES)}]",
)
@click.option(
    "--models",
    help="Comma-separated models to train instead, from: "
    f"{', '.join(MODEL_CHOICES)} (multilabel on one label per row: one-vs-rest sigmoids).",
)
@setting_options(setting for setting in SETTINGS if setting.name not in ("loss", *TRAIN_ONLY))
@user_errors
def compare_command(config: Path | None, losses: str | None, models: str | None, **options):
    """Train the same model once per loss (or per model) and compare them on one scale.

    Every model gets the same data, split, initial weights (zero) and
    step-size rule. comparison.png shows each loss's own training curve,
    the test log loss and accuracy of every model (one scale for all,
    whatever it was trained on), the gradient norms and the decision
    boundaries side by side; calibration.png every model's reliability
    diagram on the test rows, on one panel; comparison.json and the printed
    table hold the numbers. With --models it is the model that varies, on
    one loss.
    CONFIG takes the train options' keys and `losses` (or `models`).

    \b
    Examples:
      cetrain compare --data moons --losses cross-entropy,mse
      cetrain compare --data iris --epochs 3000 --animate
      cetrain compare --data iris --models softmax,multilabel
      cetrain compare configs/quickstart.toml --out runs/moons-compare
    """
    from cetrain.runs import compare, write

    file_values = read_config(config, tuple(LIST_KEYS.values())) if config is not None else {}
    listed = {vary: file_values.pop(key, None) for vary, key in LIST_KEYS.items()}
    losses = losses if losses is not None else listed["loss"]
    models = models if models is not None else listed["model"]
    if losses is not None and models is not None:
        raise ConfigError("compare varies one setting: give losses or models, not both")
    vary = "model" if models is not None else "loss"
    if vary == "model" and options.get("model") is not None:
        raise ConfigError("--model and --models both given: compare trains each of --models")
    key = LIST_KEYS[vary]
    settings = _settings(
        config,
        options,
        file_values,
        refused={
            vary: f"compare trains on each of `{key}`; list them there",
            **dict.fromkeys(TRAIN_ONLY, "only `cetrain train` takes it"),
        },
    )
    chosen = models if vary == "model" else losses if losses is not None else DEFAULT_LOSSES
    names = _names_of(key, chosen)
    bars: list[ProgressBar] = []
    with training_run(settings.out, settings.force) as (run_folder, stop):

        def callback_for(name: str):
            if bars:
                bars[-1].close()  # the previous run has finished
            bars.append(ProgressBar(settings.epochs, enabled=not settings.quiet, label=name))
            return stop.epoch_callback(bars[-1].__enter__())

        try:
            comparison = compare.compare(
                settings, names, vary=vary, callback_for=callback_for, on_start=run_folder.reserve
            )
        except BaseException:
            if bars:
                bars[-1].close(finished=False)
            raise
        if bars:
            bars[-1].close(finished=stop.signum is None)
        folder = run_folder.write(
            lambda path, replace, commit: write.write_comparison(
                comparison, path, settings.format, replace=replace, commit=commit
            ),
            interrupted=comparison.status == "interrupted",
        )
        if stop.signum is not None:
            last = comparison.values[-1]
            where = _stopped_at(comparison.runs[last].metrics, settings.epochs)
            if comparison.status == "interrupted":
                where = f"in run {len(comparison.runs)} of {len(names)} ({last}) {where}"
            interrupted(stop, where, folder)
        _echo_notes(comparison.runs[names[0]], warnings=False)
        _echo_comparison_notes(comparison)
        if settings.quiet:
            click.echo(str(folder))
        else:
            _echo_comparison(comparison, folder)
        if stop.signum is not None:  # a signal while the table was printed
            interrupted(stop, "after training", folder)


def _stopped_at(metrics, epochs: int) -> str:
    """Where a signal stopped training: 'at epoch 123 of 5000', or 'after training' when it
    came once training had ended."""
    if metrics.status == "interrupted":
        return f"at epoch {metrics.epochs} of {epochs}"
    return "after training"


def _names_of(key: str, value) -> list[str]:
    """--losses "a,b" (or --models) or a config's list -> names (checked by compare)."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",")]
    if isinstance(value, list | tuple) and all(isinstance(name, str) for name in value):
        return list(value)
    raise ConfigError(f"{key} must be a comma-separated string or a list of strings; got {value!r}")


@cli.command()
@user_errors
def datasets():
    """List the datasets --data can name: built-in, generated and in datasets/.

    Any CSV file with a header works too: pass its path to --data.

    \b
    Examples:
      cetrain datasets
      cetrain train --data breast_cancer
    """
    from cetrain.data import list_datasets

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


def _echo_comparison(comparison: Comparison, folder: Path) -> None:
    first = comparison.runs[comparison.values[0]]
    if comparison.vary == "loss":
        heading = f"{first.settings.model.capitalize()} regression on {first.dataset.name}"
    else:
        heading = f"Models trained on {first.settings.loss} on {first.dataset.name}"
    click.echo(
        f"{heading}: {first.metrics.n_train} train / {first.metrics.n_test} test rows; "
        f"best test accuracy {comparison.best_accuracy:.4f}"
    )
    rows = [
        [
            name,
            str(row.epochs),
            "-" if row.epochs_to_90pct is None else str(row.epochs_to_90pct),
            fixed(row.test_accuracy),
            fixed(row.test_log_loss),
            scientific(row.final_grad_norm),
            row.status,
        ]
        for name, row in comparison.summary.items()
    ]
    header = [comparison.vary, "epochs", "to 90%", "test acc", "test log loss", "grad norm"]
    echo_table([*header, "status"], rows, "<>>>>><")
    click.echo(
        f"'to 90%': the first epoch with test accuracy >= 90% of the best "
        f"({ACCURACY_SHARE * comparison.best_accuracy:.4f})"
    )
    click.echo(f"Run folder: {folder}")


def _echo_reference(reference: Reference | NoReference, quiet: bool) -> None:
    """--reference: our solution beside scikit-learn's (its warning on stderr), or why there is
    none (on stderr when quiet)."""
    from cetrain.runs.reference import NoReference

    if isinstance(reference, NoReference):
        click.echo(f"No scikit-learn reference: {reference.note}", err=quiet)
        return
    if reference.warning:
        click.echo(f"Warning: scikit-learn reference: {reference.warning}", err=True)
    if quiet:
        return
    params = reference.sklearn_params
    click.echo(
        f"Reference: scikit-learn's LogisticRegression ({params['solver']}, C={params['C']:.6g}, "
        f"l1_ratio={params['l1_ratio']:.6g}) on the same problem,"
    )
    click.echo("both solutions measured by our objective f(W, b)")
    ours, theirs = reference.cetrain, reference.sklearn
    rows = [
        ["objective", fixed(ours.objective, 8, 12), fixed(theirs.objective, 8, 12)],
        ["train acc", fixed(ours.train_accuracy), fixed(theirs.train_accuracy)],
    ]
    if ours.test_accuracy is not None:
        rows.append(["test acc", fixed(ours.test_accuracy), fixed(theirs.test_accuracy)])
    echo_table(["", "cetrain", "scikit-learn"], rows, "<>>")
    click.echo(
        f"relative gap (cetrain - scikit-learn) / |scikit-learn|: {reference.relative_gap:.2e}"
    )
    click.echo(
        f"largest coefficient difference: {reference.max_coef_difference:.2e} "
        f"({reference.coef_units} units; intercepts {reference.max_intercept_difference:.2e})"
    )


def _echo_summary(result: TrainResult, folder: Path) -> None:
    settings, metrics = result.settings, result.metrics
    dataset = result.dataset
    estimator = result.pipeline.estimator
    outputs = count(
        len(estimator.classes_), "label" if estimator.head_.predicts_label_sets else "class"
    )
    click.echo(
        f"{settings.model.capitalize()} regression on {dataset.name}: "
        f"{metrics.n_train} train / {metrics.n_test} test rows, "
        f"{count(len(dataset.feature_names), 'feature')}, {outputs}, loss {settings.loss}"
    )
    status = STATUS_WORDS.get(metrics.status, metrics.status)
    click.echo(
        f"{status} after {count(metrics.epochs, 'epoch')} in {metrics.seconds:.2f} s "
        f"(step {metrics.learning_rate:.3g}, final gradient norm {metrics.final_grad_norm:.1e})"
    )
    if metrics.zero_coefficients:
        click.echo(
            f"{metrics.zero_coefficients} of {metrics.coefficients} coefficients are exactly zero"
        )
    # the third column: per-label accuracy for 0/1 label columns, balanced accuracy (the mean
    # recall of the classes) for class labels; probability rows have neither
    third = next((key for key in THIRD_COLUMNS if getattr(metrics.train, key) is not None), None)
    header = ["", "accuracy", "log loss", *([THIRD_COLUMNS[third]] if third else [])]
    rows = [
        [name, fixed(split.accuracy), fixed(split.log_loss)]
        + ([fixed(getattr(split, third))] if third else [])
        for name, split in (("train", metrics.train), ("test", metrics.test))
        if split is not None
    ]
    echo_table(header, rows, "<" + ">" * (len(header) - 1))
    test_recall = metrics.test.recall if metrics.test is not None else None
    if test_recall and len(test_recall) <= MAX_RECALL_CLASSES:
        shown = ", ".join(
            f"{name} {'-' if value is None else f'{value:.4f}'}"
            for name, value in test_recall.items()
        )
        click.echo(f"test recall by class: {shown}")
    click.echo(f"Run folder: {folder}")
