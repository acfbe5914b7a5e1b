"""The run folder: what a training run writes, all at once or not at all.

Files are written into a hidden temporary folder beside the destination, which is then renamed
into place: a run folder is either complete or absent, and an existing one is never replaced.

    config.toml             resolved settings (re-run with `cetrain train config.toml --out NEW`)
    metrics.json            train/test accuracy, log loss and loss, epochs, status, timing
    history.csv             epoch, train_loss, test_loss, grad_norm
    model.json              the trained pipeline (see cetrain.modelfile)
    loss_curve.png          train and test loss by epoch
    decision_boundary.png   regions, boundary, train/test points, misclassified points
    training.gif            with --animate: the boundary moving over the epochs

Figures are PNG unless another format (svg, pdf) is asked for.
"""

import csv
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.figure import Figure

from cetrain import plots
from cetrain.compare import ACCURACY_SHARE, PLURAL, Comparison
from cetrain.config import FIGURE_FORMATS, to_toml
from cetrain.errors import ConfigError, RunFolderError
from cetrain.modelfile import to_dict
from cetrain.train import TrainResult

RUN_FILES = (
    "config.toml",
    "metrics.json",
    "history.csv",
    "model.json",
    "loss_curve.png",
    "decision_boundary.png",
)
FIGURE_DPI = 150
MAX_GIF_BYTES = 5_000_000
# (frames, dpi) to try in turn until the GIF fits in MAX_GIF_BYTES
GIF_SETTINGS = ((40, 72), (25, 60), (12, 48))
GIF_SECONDS = 6.0
LOSS_LABELS = {
    "cross-entropy": "cross-entropy (nats)",
    "mse": "MSE (Brier score)",
    "focal": "focal loss (nats)",
    "hinge": "hinge loss",
    "symmetric-cross-entropy": "symmetric cross-entropy",
}


def default_run_dir(dataset: str, model: str, root: str | Path = "runs") -> Path:
    """runs/<timestamp>-<dataset>-<model>, with -2, -3, ... appended if that already exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe_name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in dataset)
    base = Path(root) / f"{stamp}-{safe_name}-{model}"
    candidate, counter = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{counter}")
        counter += 1
    return candidate


def check_run_dir(path: str | Path) -> Path:
    """Refuse a destination that holds anything (a run never overwrites what is there), or one
    that cannot be created because a file stands where one of its parent folders would be."""
    path = Path(path)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunFolderError(
                    f"cannot create the run folder '{path}': '{parent}' is a file, not a folder"
                )
            break
    if path.exists() and not path.is_dir():
        raise RunFolderError(
            f"the run folder '{path}' already exists as a file; choose a new --out or remove it"
        )
    if path.is_dir() and any(path.iterdir()):
        raise RunFolderError(
            f"the run folder '{path}' already exists and is not empty; "
            "choose a new --out or remove it"
        )
    return path


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """Write a folder all at once: yield a hidden staging folder beside `out`, then rename it
    to `out` when the block ends normally, or remove it when it raises.

    `out` must not exist or be empty (check_run_dir), so nothing the user had is replaced.
    """
    out = check_run_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
        # POSIX rename replaces an empty folder atomically and refuses a non-empty one, so a
        # folder filled meanwhile by someone else is not lost either.
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def save_figure(fig: Figure, folder: Path, stem: str, fmt: str = "png") -> Path:
    """Save `fig` as folder/stem.fmt (png at FIGURE_DPI, or svg or pdf) and return the path."""
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"unknown figure format {fmt!r}; use one of: {', '.join(FIGURE_FORMATS)}")
    path = folder / f"{stem}.{fmt}"
    fig.savefig(path, format=fmt, dpi=FIGURE_DPI)
    return path


def write_json(path: Path, data: dict) -> None:
    """Strict JSON (non-finite floats become null), indented, with a final newline."""
    path.write_text(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def frame_epochs(n_iter: int, n_frames: int) -> list[int]:
    """Epochs to draw in an animation: the first, the last, and log-spaced ones between them,
    since the boundary moves most in the first epochs."""
    if n_iter + 1 <= n_frames:
        return list(range(n_iter + 1))
    spaced = np.round(np.geomspace(1, n_iter + 1, n_frames)).astype(int) - 1
    return sorted({0, n_iter, *spaced.tolist()})


def nearest_recorded(recorded: list[int], epoch: int) -> int:
    """The recorded epoch closest to `epoch` (the earlier one on a tie)."""
    return min(recorded, key=lambda kept: (abs(kept - epoch), kept))


def save_gif(build: Callable[[list[int]], FuncAnimation], n_iter: int, path: Path) -> Path:
    """Write the animation that build(epochs) makes as a GIF of at most MAX_GIF_BYTES, with
    fewer frames and pixels while it is too large."""
    for n_frames, dpi in GIF_SETTINGS:
        epochs = frame_epochs(n_iter, n_frames)
        fps = max(2.0, len(epochs) / GIF_SECONDS)
        build(epochs).save(path, writer=PillowWriter(fps=fps), dpi=dpi)
        if path.stat().st_size <= MAX_GIF_BYTES:
            return path
    path.unlink()
    raise RunFolderError(
        f"the animation does not fit in {MAX_GIF_BYTES / 1e6:g} MB even with "
        f"{GIF_SETTINGS[-1][0]} frames; run without --animate"
    )


def run_files(fmt: str = "png") -> tuple[str, ...]:
    """The files of a training run folder, with figures in format `fmt`."""
    return tuple(name.replace(".png", f".{fmt}") for name in RUN_FILES)


def write_run(result: TrainResult, out: str | Path, fmt: str = "png") -> Path:
    """Write every run file into `out`, atomically, figures in format `fmt`. Returns the folder."""
    with staged_folder(out) as staging:
        _write_files(result, staging, Path(out), fmt)
    return Path(out)


def _write_files(result: TrainResult, folder: Path, final: Path, fmt: str) -> None:
    estimator = result.pipeline.estimator
    header = (
        f"cetrain train settings of the run in {final}\n"
        f"re-run with: cetrain train {final / 'config.toml'} --out NEW_FOLDER"
    )
    (folder / "config.toml").write_text(to_toml(result.settings, header), encoding="utf-8")
    write_json(folder / "metrics.json", result.metrics)
    _write_history(result.history, folder / "history.csv")
    write_json(folder / "model.json", _model_json(result))

    loss_name = LOSS_LABELS[estimator.loss]
    curve = plots.loss_curve(
        {"train_loss": result.history["train_loss"], "test_loss": result.history.get("val_loss")},
        loss_name=loss_name,
        title=f"{_model_title(result)}: {loss_name} by epoch",
    )
    save_figure(curve, folder, "loss_curve", fmt)
    if estimator.kind == "multilabel" and estimator.target_kind_ == "indicator":
        data = _plot_data(result)
        boundary = plots.label_boundaries(
            result.pipeline.predict_proba,
            data["X_train"],
            result.y_train,
            data["X_test"],
            result.y_test,
            label_names=data["class_names"],
            feature_names=data["feature_names"],
            plot_features=data["plot_features"],
            title=f"{_model_title(result)}: decision boundary of each label",
        )
    else:
        boundary = plots.decision_boundary(
            result.pipeline.predict_proba,
            title=f"{_model_title(result)}: decision boundary",
            **_plot_data(result),
        )
    save_figure(boundary, folder, "decision_boundary", fmt)
    if result.settings.animate:
        _write_animation({_model_title(result): result}, folder / "training.gif")


def write_demo(out: str | Path, stem: str, figure: Figure, data: dict, fmt: str = "png") -> Path:
    """A demonstration's folder, written atomically: its figure, stem.<fmt>, and stem.json."""
    with staged_folder(out) as folder:
        save_figure(figure, folder, stem, fmt)
        write_json(folder / f"{stem}.json", data)
    return Path(out)


def write_comparison(comparison: Comparison, out: str | Path, fmt: str = "png") -> Path:
    """Write a comparison's folder atomically; returns it.

    config.toml           the shared settings, with `losses`
    comparison.<fmt>      training curves, test log loss and accuracy, gradient norms,
                          decision boundaries side by side
    comparison.json       the summary table and every model's per-epoch history
    model-<loss>.json     each trained model (see cetrain.modelfile)
    training.gif          with animate: the boundaries moving side by side
    """
    first = comparison.runs[comparison.losses[0]]
    with staged_folder(out) as folder:
        header = (
            f"cetrain compare settings of the run in {out}\n"
            f"re-run with: cetrain compare {Path(out) / 'config.toml'} --out NEW_FOLDER"
        )
        vary = comparison.vary  # "loss" or "model": its plural lists the values compared
        text = to_toml(
            comparison.settings,
            header,
            exclude=(vary,),
            extra={PLURAL[vary]: tuple(comparison.losses)},
        )
        (folder / "config.toml").write_text(text, encoding="utf-8")
        write_json(folder / "comparison.json", _comparison_json(comparison))
        for loss, run in comparison.runs.items():
            write_json(folder / f"model-{loss}.json", _model_json(run))
        # loss names stay as they are (each has its colour); models get a descriptive name
        names = {
            name: name if comparison.vary == "loss" else _variant_title(comparison, name)
            for name in comparison.losses
        }
        figure = plots.comparison_figure(
            {names[name]: run.history for name, run in comparison.runs.items()},
            {names[name]: run.pipeline.predict_proba for name, run in comparison.runs.items()},
            title=(
                f"{_model_title(first)}: " + " vs ".join(names.values())
                if comparison.vary == "loss"
                else f"{first.dataset.name}, loss {first.settings.loss}: "
                + " vs ".join(names.values())
            ),
            compared=comparison.vary,
            **_plot_data(first),
        )
        save_figure(figure, folder, "comparison", fmt)
        if comparison.settings.animate:
            _write_animation(
                {_variant_title(comparison, name): run for name, run in comparison.runs.items()},
                folder / "training.gif",
            )
    return Path(out)


def _plot_data(result: TrainResult) -> dict:
    """The data that every boundary figure of a run shows: points with their class indices
    (the most probable class, for probability rows)."""
    estimator = result.pipeline.estimator
    return {
        "X_train": result.X_train,
        "y_train": estimator.class_index(result.y_train),
        "X_test": result.X_test,
        "y_test": estimator.class_index(result.y_test),
        "class_names": [str(c) for c in estimator.classes_],
        "feature_names": result.dataset.feature_names,
        "plot_features": result.plot_features,
    }


def _variant_title(comparison: Comparison, name: str) -> str:
    """ "trained on mse", or for a comparison of models "softmax" / "one-vs-rest sigmoids"."""
    if comparison.vary == "loss":
        return f"trained on {name}"
    estimator = comparison.runs[name].pipeline.estimator
    if estimator.kind == "multilabel" and estimator.target_kind_ == "labels":
        return "one-vs-rest sigmoids"
    return f"{name} model"


def _model_json(result: TrainResult) -> dict:
    """model.json's content: the pipeline and how its inputs were made (cetrain.modelfile)."""
    dataset = result.dataset
    return to_dict(result.pipeline, target=dataset.target_name, input_columns=dataset.columns)


def _comparison_json(comparison: Comparison) -> dict:
    keys = ("train_loss", "val_log_loss", "val_accuracy", "grad_norm")
    fixed = "model" if comparison.vary == "loss" else "loss"  # the setting all runs share
    return {
        "data": comparison.settings.data,
        "compared": comparison.vary,
        fixed: getattr(comparison.settings, fixed),
        PLURAL[comparison.vary]: comparison.losses,
        "best_test_accuracy": comparison.best_accuracy,
        "accuracy_share": ACCURACY_SHARE,
        "summary": comparison.summary,
        "history": {
            loss: {key: run.history[key] for key in keys} for loss, run in comparison.runs.items()
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
        drawn = nearest_recorded(model.history_["param_epochs"], min(epoch, model.n_iter_))
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


def _write_history(history: dict[str, list[float]], path: Path) -> None:
    """One row per epoch; test_loss is empty when there is no test set."""
    test = history.get("val_loss") or [None] * len(history["train_loss"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["epoch", "train_loss", "test_loss", "grad_norm"])
        for epoch, (train_loss, test_loss, grad_norm) in enumerate(
            zip(history["train_loss"], test, history["grad_norm"], strict=True)
        ):
            writer.writerow(
                [
                    epoch,
                    repr(train_loss),
                    "" if test_loss is None else repr(test_loss),
                    repr(grad_norm),
                ]
            )


def _finite(value):
    """`value` with every non-finite float, however deeply nested in dicts, lists and tuples,
    replaced by None, so the file stays strict JSON."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
