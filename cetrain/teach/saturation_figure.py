"""The saturation figure: one confidently wrong sigmoid neuron trained on MSE and on
cross-entropy."""

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cetrain.core.losses import LOSSES
from cetrain.plots.style import (
    DARK,
    LEGEND_SIZE,
    LOSS_COLORS,
    NOTE_SIZE,
    TITLE_SIZE,
    decorate,
)


def saturation_figure(result) -> Figure:
    """One saturated sigmoid neuron trained on cross-entropy (blue) and on MSE (vermillion).

    Four panels, per epoch: the output σ(z), with the band near the target shaded and the first
    epoch in it marked for each loss; the loss; the size of the gradient with respect to b (log
    scale); and the factor σ'(z) = σ(z)(1 − σ(z)) that MSE's gradient carries, along the MSE
    run, under its largest possible value 1/4.

    Parameters
    ----------
    result : cetrain.teach.saturation.SaturationResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    w0, b0 = result.start
    y, near = result.target, result.near
    mse = result.runs["mse"]
    fig = Figure(figsize=(14, 10), layout="constrained")
    axes = fig.subplots(2, 2)
    fig.suptitle(
        f"One sigmoid neuron: input x = 1, target y = {y:g}, start w = {w0:g}, b = {b0:g} "
        f"(output {mse.output[0]:.3f}), step η = {result.learning_rate:g}",
        fontsize=TITLE_SIZE + 2,
    )

    ax = axes[0, 0]
    ax.axhspan(
        max(y - near, 0.0),
        min(y + near, 1.0),
        color="#DDDDDD",
        zorder=0,
        label=f"within {near:g} of the target",
    )
    for name, run in result.runs.items():
        color = LOSS_COLORS[name]
        ax.plot(run.output, color=color, lw=3, label=LOSSES[name].short_label)
        k = run.first_epoch_near
        if k is not None:
            ax.plot([k], [run.output[k]], "o", color=color, mec=DARK, ms=10)
            ax.annotate(
                f"epoch {k}",
                xy=(k, run.output[k]),
                xytext=(6, 8 if y < 0.5 else -8),
                textcoords="offset points",
                va="bottom" if y < 0.5 else "top",
                color=color,
                fontsize=NOTE_SIZE + 1,
                fontweight="bold",
            )
    ax.set_ylim(-0.03, 1.03)
    decorate(ax, title="Output σ(z) per epoch", xlabel="epoch", ylabel="output σ(z)")

    ax = axes[0, 1]
    for name, run in result.runs.items():
        ax.plot(
            run.loss,
            color=LOSS_COLORS[name],
            lw=3,
            label=f"{LOSSES[name].short_label}: {run.loss[0]:.3g} → {run.loss[-1]:.3g}",
        )
    _log_scale_if_positive(ax, [run.loss for run in result.runs.values()])
    decorate(ax, title="Loss per epoch", xlabel="epoch", ylabel="loss")

    ax = axes[1, 0]
    formulas = {"cross-entropy": "σ(z) − y", "mse": "2 (σ(z) − y) σ'(z)"}
    for name, run in result.runs.items():
        ax.plot(
            np.abs(run.gradient),
            color=LOSS_COLORS[name],
            lw=3,
            label=f"{LOSSES[name].short_label}: {formulas[name]}",
        )
    _log_scale_if_positive(ax, [np.abs(run.gradient) for run in result.runs.values()])
    decorate(ax, title="Size of the gradient ∂loss/∂b", xlabel="epoch", ylabel="|∂loss/∂b|")

    ax = axes[1, 1]
    ax.plot(mse.slope, color=LOSS_COLORS["mse"], lw=3, label="σ'(z) along the MSE run")
    ax.axhline(0.25, color=DARK, lw=1.5, ls="--", label="largest possible: 1/4")
    ax.set_ylim(0.0, 0.27)
    decorate(
        ax,
        title="The factor σ'(z) in MSE's gradient",
        xlabel="epoch",
        ylabel="σ'(z) = σ(z)(1 − σ(z))",
    )
    for ax in axes.flat:
        ax.grid(True, which="major", alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=LEGEND_SIZE, loc="best")
    return fig


def _log_scale_if_positive(ax, curves: Sequence[np.ndarray]) -> None:
    """A log y axis when every value is positive: small values are what these panels compare."""
    if all(np.all(c > 0) for c in curves):
        ax.set_yscale("log")
