"""The decision boundary moving over the epochs, as a matplotlib animation."""

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

from cetrain.plots.boundary import decision_boundary


def boundary_animation(
    frames: Sequence[Mapping[str, Callable[[np.ndarray], np.ndarray]]],
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
    resolution: int = 70,
) -> FuncAnimation:
    """The decision boundary as it moves during training: one frame per chosen epoch.

    Parameters
    ----------
    frames : sequence of mappings title -> predict_proba
        For each frame, the model (or several, drawn side by side) as it was at some epoch,
        under the panel's title (e.g. "trained on mse: epoch 12").
    X_train, y_train, X_test, y_test, class_names, feature_names, plot_features,
    categorical, why
        As for decision_boundary.
    resolution : int
        Grid points per axis: lower than the still figure's, to keep the file small.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Not saved: the caller picks the writer (runs uses Pillow's GIF writer).
    """
    if not frames:
        raise ValueError("an animation needs at least one frame")
    n_panels = len(frames[0])
    fig = Figure(figsize=(9 * n_panels, 6), layout="constrained")
    # Every frame has the same layout: the first is laid out by the layout engine, the others
    # reuse its axes positions, which makes them several times faster to draw.
    positions: list = []

    def draw(index: int) -> list:
        if index > 0 and not positions:
            positions.extend(ax.get_position() for ax in fig.get_axes())
            fig.set_layout_engine("none")
        fig.clear()
        panels = [fig] if n_panels == 1 else list(fig.subfigures(1, n_panels))
        for panel, (title, predict_proba) in zip(panels, frames[index].items(), strict=True):
            decision_boundary(
                predict_proba,
                X_train,
                y_train,
                X_test,
                y_test,
                class_names=class_names,
                feature_names=feature_names,
                plot_features=plot_features,
                categorical=categorical,
                why=why,
                title=title,
                resolution=resolution,
                fig=panel,
            )
        for ax, position in zip(fig.get_axes(), positions, strict=False):
            ax.set_position(position)
        return []

    return FuncAnimation(fig, draw, frames=len(frames), repeat=False, blit=False)
