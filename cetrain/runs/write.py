"""What each command writes: the run folder of `train`, the folder of `compare`.

config.toml             resolved settings (re-run with `cetrain train config.toml --out NEW`)
metrics.json            train/test accuracy, log loss and loss, epochs, status, timing
history.csv             epoch, train_loss, test_loss, grad_norm
model.json              the trained pipeline (see cetrain.runs.modelfile)
loss_curve.png          train and test loss by epoch
decision_boundary.png   regions, boundary, train/test points, misclassified points ringed
                        (with --show-loss: each point's area by its own loss)
worst_points.csv        the rows with the largest loss: split, features, true and predicted
                        class, probabilities, loss
confusion_matrix.png    on the test rows (the training rows without a test split): counts and
                        row-normalised shares
calibration.png         the reliability diagram with the rows in each bin, on the same rows
roc.png                 for a binary model, the ROC curve on the same rows
training.gif            with --animate: the boundary moving over the epochs
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cetrain import plots
from cetrain.core.losses import LOSSES
from cetrain.data.rows import Rows, sample_positions
from cetrain.estimators.history import History
from cetrain.runs.compare import ACCURACY_SHARE, LIST_KEYS, Comparison
from cetrain.runs.evaluation import Evaluation, assess
from cetrain.runs.folder import (
    nearest_recorded,
    save_figure,
    save_gif,
    staged_folder,
    write_json,
)
from cetrain.runs.metrics import row_losses
from cetrain.runs.modelfile import to_dict
from cetrain.runs.settings import TRAIN_ONLY, to_toml
from cetrain.runs.train import TrainResult
from cetrain.runs.view import categorical_levels

if TYPE_CHECKING:
    from matplotlib.animation import FuncAnimation
    from matplotlib.figure import Figure

# worst_points.csv holds this many rows (fewer when the data has fewer)
WORST_POINTS = 20
# A boundary figure draws at most this many points of each split: beyond, a seeded sample of
# them (the same rows in every figure of the run), so that the figure of a million rows takes
# the time and memory of a small one and still shows where the points lie.
PLOT_POINTS = 5000

RUN_FILES = (
    "config.toml",
    "metrics.json",
    "history.csv",
    "model.json",
    "loss_curve.png",
    "decision_boundary.png",
    "confusion_matrix.png",
    "calibration.png",
    "worst_points.csv",
)
BINARY_FILES = ("roc.png",)  # a binary model's run folder also holds these


def run_files(fmt: str = "png", binary: bool = False) -> tuple[str, ...]:
    """The files of a training run folder, with figures in format `fmt`."""
    names = RUN_FILES + BINARY_FILES if binary else RUN_FILES
    return tuple(name.replace(".png", f".{fmt}") for name in names)


def write_run(
    result: TrainResult,
    out: str | Path,
    fmt: str = "png",
    *,
    replace: bool = False,
    commit: Callable[[], AbstractContextManager] | None = None,
) -> Path:
    """Write every run file into `out`, atomically, figures in format `fmt`; with `replace`
    (--force), in place of a folder already there (`commit`: see staged_folder). Returns the
    folder."""
    with staged_folder(out, replace=replace, commit=commit) as staging:
        _write_files(result, staging, Path(out), fmt)
    return Path(out)


def _write_files(result: TrainResult, folder: Path, final: Path, fmt: str) -> None:
    estimator = result.pipeline.estimator
    header = (
        f"cetrain train settings of the run in {final}\n"
        f"re-run with: cetrain train {final / 'config.toml'} --out NEW_FOLDER"
    )
    # config.toml records the epoch axis drawn ("auto" resolved), as it records the model
    axis = plots.choose_epoch_axis([result.history.train_loss], result.settings.epoch_axis)
    settings = dataclasses.replace(result.settings, epoch_axis=axis)
    (folder / "config.toml").write_text(to_toml(settings, header), encoding="utf-8")
    write_json(folder / "metrics.json", result.metrics.to_dict())
    _write_history(result.history, folder / "history.csv")
    write_json(folder / "model.json", _model_json(result))
    _write_worst_points(result, point_losses(result), folder / "worst_points.csv")

    loss_name = LOSSES[estimator.loss].label
    curve = plots.loss_curve(
        result.history.train_loss,
        result.history.val_loss,
        loss_name=loss_name,
        title=f"{_model_title(result)}: {loss_name} by epoch",
        epoch_axis=axis,
    )
    save_figure(curve, folder, "loss_curve", fmt)
    save_figure(boundary_figure(result), folder, "decision_boundary", fmt)
    has_test = len(result.y_test) > 0
    X, y = (result.X_test, result.y_test) if has_test else (result.X_train, result.y_train)
    rows = "test rows" if has_test else "training rows"
    _save_diagnostics(assess(result.pipeline, X, y), folder, f"{_model_title(result)}, {rows}", fmt)
    if result.settings.animate:
        _write_animation({_model_title(result): result}, folder / "training.gif")


def boundary_figure(result: TrainResult) -> Figure:
    """decision_boundary.png of a run (one panel per label for a multi-label model); with
    show_loss, each point's area by its own training loss."""
    drawn = drawn_rows(result)
    shown, total = sum(map(len, drawn)), len(result.y_train) + len(result.y_test)
    # a sample is said in the title: its points (and their misclassified count) are not all rows
    of_points = f" ({shown} of {total} points drawn)" if shown < total else ""
    if result.pipeline.estimator.head_.predicts_label_sets:
        data = _plot_data(result)
        return plots.label_boundaries(
            result.pipeline.predict_proba,
            data["X_train"],
            result.y_train[drawn[0]],
            data["X_test"],
            result.y_test[drawn[1]],
            label_names=data["class_names"],
            feature_names=data["feature_names"],
            plot_features=data["plot_features"],
            categorical=data["categorical"],
            why=data["why"],
            title=f"{_model_title(result)}: decision boundary of each label{of_points}",
            **(_loss_sizes(result) if result.settings.show_loss else {}),
        )
    return plots.decision_boundary(
        result.pipeline.predict_proba,
        title=f"{_model_title(result)}: decision boundary{of_points}",
        **(_loss_sizes(result) if result.settings.show_loss else {}),
        **_plot_data(result),
    )


def write_evaluation(
    evaluation: Evaluation, record: dict, out: str | Path, *, title: str, fmt: str = "png"
) -> Path:
    """The folder of `cetrain evaluate`, atomically: metrics.json (`record`, e.g. the command and
    the files, then the evaluation's metrics) and the diagnostic figures, titled `title`.
    Returns the folder."""
    with staged_folder(out) as folder:
        write_json(folder / "metrics.json", record | evaluation.to_dict())
        _save_diagnostics(evaluation, folder, title, fmt)
    return Path(out)


def _save_diagnostics(evaluation: Evaluation, folder: Path, title: str, fmt: str) -> None:
    for stem, figure in plots.diagnostic_figures(evaluation, title=title).items():
        save_figure(figure, folder, stem, fmt)


def write_comparison(
    comparison: Comparison,
    out: str | Path,
    fmt: str = "png",
    *,
    replace: bool = False,
    commit: Callable[[], AbstractContextManager] | None = None,
) -> Path:
    """Write a comparison's folder atomically (with `replace`, in place of a folder already
    there; `commit`: see staged_folder); returns it.

    config.toml           the shared settings, with `losses`
    comparison.<fmt>      training curves, test log loss and accuracy, gradient norms,
                          decision boundaries side by side
    calibration.<fmt>     every model's reliability diagram on the test rows on one panel,
                          with each model's rows per bin
    comparison.json       the summary table, "status" ("complete", or "interrupted": the
                          runs trained before a Ctrl-C) and every model's per-epoch history
    model-<loss>.json     each trained model (model-<model>.json when the models vary; see
                          cetrain.runs.modelfile)
    training.gif          with animate: the boundaries moving side by side
    """
    first = comparison.runs[comparison.values[0]]
    with staged_folder(out, replace=replace, commit=commit) as folder:
        header = (
            f"cetrain compare settings of the run in {out}\n"
            f"re-run with: cetrain compare {Path(out) / 'config.toml'} --out NEW_FOLDER"
        )
        vary = comparison.vary  # "loss" or "model": LIST_KEYS[vary] lists the values compared
        axis = plots.choose_epoch_axis(
            [run.history.train_loss for run in comparison.runs.values()],
            comparison.settings.epoch_axis,
        )
        text = to_toml(
            dataclasses.replace(comparison.settings, epoch_axis=axis),
            header,
            exclude=(vary, *TRAIN_ONLY),
            extra={LIST_KEYS[vary]: tuple(comparison.values)},
        )
        (folder / "config.toml").write_text(text, encoding="utf-8")
        write_json(folder / "comparison.json", _comparison_json(comparison))
        for loss, run in comparison.runs.items():
            write_json(folder / f"model-{loss}.json", _model_json(run))
        # loss names stay as they are (each has its colour); models get a descriptive name
        names = {
            name: name if comparison.vary == "loss" else _variant_title(comparison, name)
            for name in comparison.values
        }
        figure_title = (
            _model_title(first)
            if comparison.vary == "loss"
            else f"{first.dataset.name}, loss {first.settings.loss}"
        )
        figure = plots.comparison_figure(
            {names[name]: run.history for name, run in comparison.runs.items()},
            {names[name]: run.pipeline.predict_proba for name, run in comparison.runs.items()},
            title=f"{figure_title}: " + " vs ".join(names.values()),
            compared=comparison.vary,
            epoch_axis=axis,
            panel_options={names[name]: _loss_sizes(run) for name, run in comparison.runs.items()}
            if comparison.settings.show_loss
            else None,
            **_comparison_plot_data(comparison, names),
        )
        save_figure(figure, folder, "comparison", fmt)
        calibration = calibration_figure(comparison, names, f"{figure_title}: calibration")
        save_figure(calibration, folder, "calibration", fmt)
        if comparison.settings.animate:
            _write_animation(
                {_variant_title(comparison, name): run for name, run in comparison.runs.items()},
                folder / "training.gif",
            )
    return Path(out)


def _comparison_plot_data(comparison: Comparison, names: dict[str, str]) -> dict:
    """The first model's plot data for every panel: the slice chosen for the first model is
    drawn for all, and its reason says whose coefficients chose it."""
    first_name = comparison.values[0]
    data = _plot_data(comparison.runs[first_name])
    if data["why"]:
        data["why"] = f"{data['why']} in the {names[first_name]} model"
    return data


def calibration_figure(comparison: Comparison, names: dict[str, str], title: str) -> Figure:
    """calibration.png of a comparison: each model's reliability curve on the test rows (as
    `assess` computes it, with scikit-learn's calibration_curve) on one panel, named
    names[value], with each model's rows per bin."""
    first = comparison.runs[comparison.values[0]]
    return plots.reliability_comparison(
        {
            names[value]: assess(run.pipeline, run.X_test, run.y_test).calibration
            for value, run in comparison.runs.items()
        },
        _plot_data(first)["class_names"],
        title=f"{title} on the test rows",
        compared=comparison.vary,
    )


def _plot_data(result: TrainResult) -> dict:
    """The data that every boundary figure of a run shows: points with their class indices
    (the most probable class, for probability rows); of a split with more than PLOT_POINTS
    rows, the sample `drawn_rows` picks."""
    estimator = result.pipeline.estimator
    train, test = drawn_rows(result)
    return {
        "X_train": _take(result.X_train, train),
        "y_train": estimator.class_index(result.y_train[train]),
        "X_test": _take(result.X_test, test),
        "y_test": estimator.class_index(result.y_test[test]),
        "class_names": [str(c) for c in estimator.classes_],
        "feature_names": result.dataset.feature_names,
        "plot_features": result.plot_features,
        "categorical": categorical_levels(result.dataset.columns),
        "why": result.plot_why,
    }


def drawn_rows(result: TrainResult) -> tuple[np.ndarray, np.ndarray]:
    """The rows of each split that the boundary figures draw: all of them, or PLOT_POINTS of
    them drawn with seed 0 (in row order) from a larger split."""
    return tuple(sample_positions(len(y), PLOT_POINTS) for y in (result.y_train, result.y_test))


def _take(X: np.ndarray | Rows, positions: np.ndarray) -> np.ndarray:
    """The rows at positions, as an array (X itself when that is all of them)."""
    if isinstance(X, Rows):
        return X.take(positions)
    every_row = len(positions) == len(X) and np.array_equal(positions, np.arange(len(X)))
    return X if every_row else X[positions]


def _loss_sizes(result: TrainResult) -> dict:
    """decision_boundary's options that size the points by their own training loss."""
    drawn = zip(point_losses(result), drawn_rows(result), strict=True)
    return {
        "point_loss": np.concatenate([loss[rows] for loss, rows in drawn]),
        "loss_name": LOSSES[result.pipeline.estimator.loss].label,
    }


def point_losses(result: TrainResult) -> tuple[np.ndarray, np.ndarray]:
    """Each training row's and each test row's own loss under the training loss (its class
    weight included; metrics.row_losses): the mean of a split's is its loss in history.csv
    when the data has no weight column."""
    return (
        row_losses(result.pipeline, result.X_train, result.y_train),
        row_losses(result.pipeline, result.X_test, result.y_test),
    )


def _write_worst_points(
    result: TrainResult, losses: tuple[np.ndarray, np.ndarray], path: Path
) -> None:
    """worst_points.csv: the WORST_POINTS rows (train and test) with the largest loss, largest
    first: their split and position in it, features, true and predicted class, the
    predicted probability of each class and the loss."""
    estimator = result.pipeline.estimator
    classes = [str(c) for c in estimator.classes_]
    splits = [("train", result.X_train, result.y_train), ("test", result.X_test, result.y_test)]
    rows = []
    for (split, X, y), loss in zip(splits, losses, strict=True):
        if len(loss) == 0:
            continue
        # each split's largest (ties in row order) is all the merge below can take from it
        worst = np.argsort(-loss, kind="stable")[:WORST_POINTS]
        X_worst = _take(X, worst)
        P = result.pipeline.predict_proba(X_worst)
        true, predicted = _class_words(estimator, np.asarray(y)[worst], P, classes)
        rows += [
            (float(loss[k]), split, int(k), X_worst[i], true[i], predicted[i], P[i])
            for i, k in enumerate(worst)
        ]
    # largest loss first; ties keep the train-then-test, row order
    rows = sorted(rows, key=lambda row: -row[0])[:WORST_POINTS]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "rank",
                "split",
                "row",
                *result.dataset.feature_names,
                "true",
                "predicted",
                *(f"P({c})" for c in classes),
                "loss",
            ]
        )
        for rank, (loss, split, k, x, true, predicted, p) in enumerate(rows, start=1):
            writer.writerow(
                [rank, split, k, *map(repr, x.tolist()), true, predicted]
                + [repr(v) for v in p.tolist()]
                + [repr(loss)]
            )


def _class_words(estimator, y: np.ndarray, P: np.ndarray, classes: list[str]):
    """The true and the predicted class of each row as text: a class name, or for 0/1 label
    columns the labels joined by "+" ("none" for no label)."""
    if estimator.head_.predicts_label_sets:

        def words(rows):
            return [
                "+".join(c for c, on in zip(classes, r, strict=True) if on) or "none" for r in rows
            ]

        return words(y >= 0.5), words(P >= 0.5)
    return (
        [classes[k] for k in estimator.class_index(y)],
        [classes[k] for k in P.argmax(axis=1)],
    )


def _variant_title(comparison: Comparison, name: str) -> str:
    """ "trained on mse", or for a comparison of models "softmax" / "one-vs-rest sigmoids"."""
    if comparison.vary == "loss":
        return f"trained on {name}"
    head = comparison.runs[name].pipeline.estimator.head_
    # a model kind that is not what its name says (multilabel sigmoids trained one-vs-rest)
    # is named by its head
    return f"{name} model" if head.form == head.log_loss_form else head.description


def _model_json(result: TrainResult) -> dict:
    """model.json's content: the pipeline and how its inputs were made (cetrain.runs.modelfile)."""
    dataset = result.dataset
    return to_dict(result.pipeline, target=dataset.target_name, input_columns=dataset.columns)


def _comparison_json(comparison: Comparison) -> dict:
    fixed = "model" if comparison.vary == "loss" else "loss"  # the setting all runs share
    return {
        "data": comparison.settings.data,
        "compared": comparison.vary,
        "status": comparison.status,
        fixed: getattr(comparison.settings, fixed),
        LIST_KEYS[comparison.vary]: comparison.values,
        "best_test_accuracy": comparison.best_accuracy,
        "accuracy_share": ACCURACY_SHARE,
        "summary": {value: row.to_dict() for value, row in comparison.summary.items()},
        "history": {
            value: {
                "train_loss": run.history.train_loss,
                "val_log_loss": run.history.val_log_loss,
                "val_accuracy": run.history.val_accuracy,
                "grad_norm": run.history.grad_norm,
            }
            for value, run in comparison.runs.items()
        },
    }


def _write_animation(panels: dict[str, TrainResult], path: Path) -> None:
    """training.gif: each run's decision boundary (side by side when there are several) at
    log-spaced epochs, each panel at the recorded epoch nearest the frame's; a run that has
    stopped keeps its last epoch, and says so."""
    first = next(iter(panels.values()))
    longest = max(run.pipeline.estimator.n_iter_ for run in panels.values())

    def panel(name: str, run: TrainResult, epoch: int) -> tuple[str, Callable]:
        model = run.pipeline.estimator
        drawn = nearest_recorded(model.history_.param_epochs, min(epoch, model.n_iter_))
        stopped = " (stopped)" if epoch > model.n_iter_ else ""
        return f"{name}: epoch {drawn}{stopped}", run.pipeline.proba_at_epoch(drawn)

    def build(epochs: list[int]) -> FuncAnimation:
        return plots.boundary_animation(
            [dict(panel(name, run, epoch) for name, run in panels.items()) for epoch in epochs],
            **_plot_data(first),
        )

    save_gif(build, longest, path)


def _model_title(result: TrainResult) -> str:
    """e.g. 'Softmax regression on iris' (with the polynomial degree when there is one)."""
    kind = result.settings.model.capitalize()
    poly = f" (degree-{result.settings.poly} features)" if result.settings.poly > 1 else ""
    return f"{kind} regression on {result.dataset.name}{poly}"


def _write_history(history: History, path: Path) -> None:
    """One row per epoch; test_loss is empty when there is no test set."""
    test = history.val_loss or [None] * len(history.train_loss)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", "train_loss", "test_loss", "grad_norm"])
        for epoch, (train_loss, test_loss, grad_norm) in enumerate(
            zip(history.train_loss, test, history.grad_norm, strict=True)
        ):
            writer.writerow(
                [
                    epoch,
                    repr(train_loss),
                    "" if test_loss is None else repr(test_loss),
                    repr(grad_norm),
                ]
            )
