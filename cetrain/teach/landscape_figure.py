"""The loss-landscape figure: cross-entropy beside MSE over the weights of one feature."""

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cetrain.core.losses import LOSSES
from cetrain.plots.style import (
    DARK,
    LABEL_SIZE,
    LEGEND_SIZE,
    LOSS_COLORS,
    TICK_SIZE,
    TITLE_SIZE,
    decorate,
    epochs_text,
)

# Loss surfaces go from white (low) to mid grey (high), so the coloured paths stand out on them.
_SURFACE_CMAP = LinearSegmentedColormap.from_list("low_white_high_grey", ["#FFFFFF", "#8C8C8C"])
_SURFACE_LEVELS = 21  # contour levels, evenly spaced: a plateau shows as a wide band, no lines


def landscape_figure(result) -> Figure:
    """Cross-entropy beside MSE on a sigmoid, over the weights (w, b) of a one-feature problem.

    One column per loss, cross-entropy (blue) left and MSE (vermillion) right. On top, the loss
    along w with b fixed at cross-entropy's optimal intercept, its lowest point and the start
    (when the start lies on that line) marked. Below, the loss over (w, b) as evenly spaced
    shaded contours, the slice as a dotted line, and the gradient-descent path from the common
    start: a dot every few epochs, the start a white square, the end a star, the lowest grid
    point a black cross. The title of each surface says whether it is convex on the grid, with
    the smallest Hessian eigenvalue found. A bottom panel across both columns shows each loss
    divided by its value at the start, per epoch, on a log scale.

    Parameters
    ----------
    result : cetrain.teach.landscape.LandscapeResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = result.data
    fig = Figure(figsize=(14, 15), layout="constrained")
    grid = fig.add_gridspec(3, 2, height_ratios=[1.0, 1.5, 0.9])
    fig.suptitle(
        f"Loss over the weights of P({data.classes[1]}) = σ(w·{data.feature} + b) "
        f"on {data.name} ({data.x.size} points)",
        fontsize=TITLE_SIZE + 2,
    )
    W, B = np.meshgrid(result.w, result.b)
    every = max(1, result.epochs // 30)
    w0, b0 = result.start
    for column, (name, surface) in enumerate(result.surfaces.items()):
        color, label = LOSS_COLORS[name], LOSSES[name].short_label
        _draw_loss_slice(fig.add_subplot(grid[0, column]), result, surface, color, label)

        ax = fig.add_subplot(grid[1, column])
        values = surface.values
        levels = np.linspace(values.min(), values.max(), _SURFACE_LEVELS)
        shading = ax.contourf(W, B, values, levels=levels, cmap=_SURFACE_CMAP, zorder=0)
        ax.contour(W, B, values, levels=levels, colors="#555555", linewidths=0.5, zorder=1)
        bar = fig.colorbar(shading, ax=ax, pad=0.01, ticks=MaxNLocator(6), format="%.3g")
        bar.set_label(f"mean {label}", fontsize=LABEL_SIZE)
        bar.ax.tick_params(labelsize=TICK_SIZE)
        ax.axhline(result.slice_b, color=DARK, lw=1, ls=":", zorder=2)
        path = surface.path
        ax.plot(path.w, path.b, "-", color=color, lw=2.5, zorder=3)
        ax.plot(
            path.w[::every],
            path.b[::every],
            "o",
            color=color,
            mec="white",
            ms=7,
            zorder=4,
            label=f"gradient descent, a dot every {epochs_text(every)}",
        )
        ax.plot([w0], [b0], "s", color="white", mec=DARK, mew=2, ms=12, zorder=5, label="start")
        ax.plot(
            [path.w[-1]],
            [path.b[-1]],
            "*",
            color=color,
            mec=DARK,
            ms=20,
            zorder=6,
            label=f"after {epochs_text(path.w.size - 1)}: {path.loss[-1]:.3g}",
        )
        low = surface.grid_minimum
        ax.plot(
            [low.w],
            [low.b],
            "X",
            color="black",
            mec="white",
            ms=13,
            zorder=7,
            clip_on=False,  # it may sit on the grid's edge
            label=f"lowest on the grid: {low.loss:.3g}" + (" (at its edge)" if low.on_edge else ""),
        )
        ax.set_xlim(result.w[0], result.w[-1])
        ax.set_ylim(result.b[0], result.b[-1])
        convex = "convex" if surface.convex_on_grid else "not convex"
        decorate(
            ax,
            title=f"{label[0].upper()}{label[1:]} over (w, b): {convex}",
            note=f"smallest Hessian eigenvalue on the grid: {surface.min_eigenvalue:.2g}",
            xlabel="weight w",
            ylabel="intercept b",
        )
        ax.legend(fontsize=LEGEND_SIZE - 1, loc="best", framealpha=0.9)

    ax = fig.add_subplot(grid[2, :])
    for name, surface in result.surfaces.items():
        loss = surface.path.loss
        ax.plot(
            np.arange(loss.size),
            loss / loss[0],
            color=LOSS_COLORS[name],
            lw=3,
            label=f"{LOSSES[name].short_label}: {loss[0]:.3g} → {loss[-1]:.3g}",
        )
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    decorate(
        ax,
        title=f"Loss per epoch, same start, step η = {result.learning_rate:.3g}",
        xlabel="epoch",
        ylabel="loss ÷ loss at the start",
    )
    ax.legend(fontsize=LEGEND_SIZE, loc="best")
    return fig


def _draw_loss_slice(ax, result, surface, color: str, label: str) -> None:
    """One loss along w at b = result.slice_b: the curve, its lowest point, the start if on it."""
    ax.plot(result.slice_w, surface.slice_values, color=color, lw=3, label=f"mean {label}")
    lowest = int(np.argmin(surface.slice_values))
    w_low, f_low = result.slice_w[lowest], surface.slice_values[lowest]
    ax.plot(
        [w_low],
        [f_low],
        "o",
        color=color,
        mec=DARK,
        ms=11,
        label=f"lowest: {f_low:.3g} at w = {w_low:.3g}",
    )
    w0, b0 = result.start
    if b0 == result.slice_b:
        f0 = float(np.interp(w0, result.slice_w, surface.slice_values))
        ax.plot([w0], [f0], "s", color="white", mec=DARK, mew=2, ms=11, label="start")
    ax.set_xlim(result.w[0], result.w[-1])
    ax.grid(True, alpha=0.3)
    decorate(
        ax,
        title=f"{label[0].upper()}{label[1:]} along w at b = {result.slice_b:.3g}",
        note="(cross-entropy's optimal intercept)",
        xlabel="weight w",
        ylabel=f"mean {label}",
    )
    ax.legend(fontsize=LEGEND_SIZE, loc="best")
