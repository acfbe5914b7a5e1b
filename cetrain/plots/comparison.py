"""The comparison figure: the same model trained on several losses (or several models)."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cetrain.estimators.history import History
from cetrain.plots.boundary import decision_boundary
from cetrain.plots.curves import choose_epoch_axis, set_epoch_axis
from cetrain.plots.style import (
    LEGEND_SIZE,
    TITLE_SIZE,
    class_colors,
    curve_styles,
    decorate,
    epochs_text,
)


def comparison_figure(
    histories: Mapping[str, History],
    predictors: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    class_names: Sequence[str],
    feature_names: Sequence[str],
    plot_features: tuple[int, int] = (0, 1),
    categorical: Mapping[str, Sequence[str]] | None = None,
    why: str | None = None,
    title: str = "Cross-entropy vs MSE",
    compared: str = "loss",
    epoch_axis: str = "auto",
    resolution: int = 150,
    panel_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Figure:
    """The same model trained on several losses (or several models), side by side.

    Top row, one curve per loss: its own training loss; the test log loss and the test
    accuracy, which measure every model on one shared scale whatever it was trained on; and
    the gradient norm (log scale). Bottom row: each model's decision boundary.

    The four panels share one epoch axis, logarithmic when `choose_epoch_axis` of the training
    losses says so (a run much shorter than another is then not a sliver at the left edge), and
    every curve ends in a dot, so a run that stopped early is seen to stop. One legend, right of
    the curves, gives each run's epochs. Curve colours are `curve_styles`: never a class colour
    of the boundaries below.

    Parameters
    ----------
    histories : mapping name -> History
        Each with per-epoch train_loss, grad_norm, val_log_loss and val_accuracy (a model's
        history_ when it was fitted with validation data); the names are loss names
        (each drawn in its LOSS_COLORS colour) or, with compared="model", model names.
    predictors : mapping name -> predict_proba
        Same keys as `histories`; see decision_boundary.
    X_train, y_train, X_test, y_test, class_names, feature_names, plot_features,
    categorical, why
        As for decision_boundary; y holds class indices.
    title : str
    compared : {"loss", "model"}
        What the names are: legends say "trained on" a loss, or name the model.
    epoch_axis : {"auto", "log", "linear"}
    resolution : int
        Grid points per side of each decision boundary.
    panel_options : mapping name -> mapping, optional
        More keyword arguments of each model's decision_boundary (e.g. point_loss).

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(histories)
    if list(predictors) != names:
        raise ValueError(f"predictors {list(predictors)} and histories {names} must match")
    # 9 inches a model: its boundary's title (two features and those held) fits above the axes
    fig = Figure(figsize=(max(18, 9 * len(names)), 11), layout="constrained")
    curves, boundaries = fig.subfigures(2, 1, height_ratios=[1, 1.45])
    panels = [
        ("train_loss", "its own training loss", "Own training loss", "linear"),
        ("val_log_loss", "test log loss (nats)", "Test log loss (shared)", "linear"),
        ("val_accuracy", "test accuracy", "Test accuracy", "linear"),
        ("grad_norm", "gradient norm", "Gradient norm", "log"),
    ]
    axes = curves.subplots(1, len(panels))
    styles = curve_styles(names, class_colors(len(class_names), class_names))
    axis = choose_epoch_axis([histories[name].train_loss for name in names], epoch_axis)
    last = max(len(histories[name].train_loss) for name in names) - 1
    for ax, (key, ylabel, panel_title, scale) in zip(axes, panels, strict=True):
        for name in names:
            values = np.asarray(getattr(histories[name], key), dtype=float)
            color, dashes = styles[name]
            epochs = np.arange(values.size)
            label = f"{name} ({epochs_text(values.size - 1)})"
            ax.plot(epochs, values, dashes, color=color, lw=2.2, label=label)
            ax.plot(epochs[-1:], values[-1:], "o", color=color, ms=7, mec="white", mew=1)
        ax.set_yscale(scale)
        xlabel = set_epoch_axis(ax, axis, last)
        decorate(ax, title=panel_title, xlabel=xlabel, ylabel=ylabel)
        ax.grid(True, alpha=0.3)
    curves.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside right upper",
        fontsize=LEGEND_SIZE - 1,
        title="trained on" if compared == "loss" else "model",
    )
    curves.suptitle(title, fontsize=TITLE_SIZE + 2)
    for sub, name in zip(np.atleast_1d(boundaries.subfigures(1, len(names))), names, strict=True):
        history = histories[name]
        decision_boundary(
            predictors[name],
            X_train,
            y_train,
            X_test,
            y_test,
            class_names=class_names,
            feature_names=feature_names,
            plot_features=plot_features,
            categorical=categorical,
            why=why,
            title=f"{'trained on ' if compared == 'loss' else ''}{name}\ntest accuracy "
            f"{history.val_accuracy[-1]:.3f}, log loss {history.val_log_loss[-1]:.3f}",
            resolution=resolution,
            fig=sub,
            **(panel_options or {}).get(name, {}),
        )
    return fig
