"""The loss curve of a run: train and test loss per epoch, and the epoch axis they share.

Most runs do their learning early: iris makes 90% of its loss decrease in 11 of 405 epochs. On a
linear epoch axis that is a cliff at the left edge and a flat line, so the axis is logarithmic
when the decrease is front-loaded (`choose_epoch_axis`). Epoch 0 (the initial weights) is on
the axis: a "symlog" scale, linear from epoch 0 to 1 and logarithmic from epoch 1 on, keeps the
true epoch numbers on the ticks.
"""

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from cetrain.plots.style import (
    LEGEND_SIZE,
    NOTE_SIZE,
    TEST_COLOR,
    TRAIN_COLOR,
    decorate,
)

# "Most of the decrease early": the loss has made FRONT_DECREASE of its decrease (from epoch 0 to
# the last epoch) by FRONT_EPOCHS of the epochs on the axis.
FRONT_DECREASE = 0.9
FRONT_EPOCHS = 0.1
# Below this many epochs a linear axis shows every epoch well enough.
MIN_LOG_EPOCHS = 20


def choose_epoch_axis(curves: Sequence[Sequence[float]], epoch_axis: str = "auto") -> str:
    """The epoch axis, "log" or "linear", for training-loss curves drawn on one axis.

    "auto" is "log" when some curve has made 90% of its decrease by 10% of the axis's epochs:
    the first epoch e with L_0 - L_e >= 0.9 (L_0 - L_last) is at most 0.1 N, where N is the
    last epoch of the longest curve (at least MIN_LOG_EPOCHS). A curve that does not decrease
    (L_last >= L_0, or a non-finite start or end) never asks for a log axis. On a shared axis a
    short run that ends early counts as front-loaded: on a linear axis it would be a sliver.

    Parameters
    ----------
    curves : sequence of sequences of float
        Each a training loss per epoch from epoch 0.
    epoch_axis : {"auto", "log", "linear"}
    """
    if epoch_axis in ("log", "linear"):
        return epoch_axis
    if epoch_axis != "auto":
        raise ValueError(f"epoch_axis must be auto, log or linear, not {epoch_axis!r}")
    last = max((len(curve) for curve in curves), default=1) - 1
    if last < MIN_LOG_EPOCHS:
        return "linear"
    for curve in curves:
        values = np.asarray(curve, dtype=float)
        finite = np.flatnonzero(np.isfinite(values))
        if finite.size < 2 or finite[0] != 0 or finite[-1] != values.size - 1:
            continue  # a run that diverged ends in no finite loss
        start, end = values[0], values[finite[-1]]
        if not end < start:
            continue
        reached = np.flatnonzero(start - values >= FRONT_DECREASE * (start - end))[0]
        if reached <= FRONT_EPOCHS * last:
            return "log"
    return "linear"


def set_epoch_axis(ax: Axes, epoch_axis: str, last_epoch: int) -> str:
    """Put the epochs 0..last_epoch on ax's x axis, "log" (symlog: linear from 0 to 1) or
    "linear"; returns the axis label, which says which."""
    if epoch_axis == "log":
        ax.set_xscale("symlog", linthresh=1, linscale=0.3)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.0f}"))
        ax.set_xlim(0, max(last_epoch, 1) * 1.15)
        return "epoch (log scale)"
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return "epoch"


def loss_curve(
    train_loss: Sequence[float],
    test_loss: Sequence[float] | None = None,
    *,
    loss_name: str,
    title: str | None = None,
    epoch_axis: str = "auto",
) -> Figure:
    """The loss per epoch: train solid, test dashed, final values written next to the curves.

    Parameters
    ----------
    train_loss : sequence of float, shape (n_epochs,)
        One value per epoch starting at epoch 0.
    test_loss : sequence of float, shape (n_epochs,), optional
        None, empty or all NaN means there is no test set. Non-finite values are left out of
        the curves.
    loss_name : str
        Label of the y axis, e.g. ``"cross-entropy (nats)"`` or ``"MSE"``.
    title : str, optional
        Defaults to "Training loss" (or "Training and test loss").
    epoch_axis : {"auto", "log", "linear"}
        "auto" is `choose_epoch_axis` of the training loss; the axis label says "log scale".

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the y axis is logarithmic when the finite values are all positive and span more
        than two decades. The legend is outside the axes, so that it never covers the final
        values written at the ends of the curves.
    """
    train = np.asarray(train_loss, dtype=float).ravel()
    if train.size == 0:
        raise ValueError("train_loss is empty: there is no epoch to plot")
    test = None if test_loss is None else np.asarray(test_loss, dtype=float).ravel()
    if test is not None and (test.size == 0 or not np.isfinite(test).any()):
        test = None
    if test is not None and test.size != train.size:
        raise ValueError(
            f"test_loss has {test.size} values but train_loss has "
            f"{train.size}; they need one value per epoch each"
        )

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    epochs = np.arange(train.size)
    curves = [("train", train, TRAIN_COLOR, "-")]
    if test is not None:
        curves.append(("test", test, TEST_COLOR, "--"))

    finals = []
    for name, values, color, style in curves:
        ok = np.isfinite(values)
        # A lone epoch would be an invisible zero-length line, so give it a marker.
        marker = "o" if ok.sum() == 1 else None
        ax.plot(epochs[ok], values[ok], style, color=color, lw=2.5, marker=marker, label=name)
        if ok.any():
            last = np.flatnonzero(ok)[-1]
            finals.append((name, epochs[last], values[last], color))

    # The higher final value is labelled above its curve and the lower one below, so the two
    # labels do not overlap when the curves end close together.
    finals.sort(key=lambda f: f[2], reverse=True)
    for rank, (name, epoch, value, color) in enumerate(finals):
        ax.plot([epoch], [value], "o", color=color, ms=6)
        above = rank == 0
        ax.annotate(
            f"{name} {value:#.3g}",
            xy=(epoch, value),
            xytext=(-6, 8 if above else -8),
            textcoords="offset points",
            ha="right",
            va="bottom" if above else "top",
            fontsize=NOTE_SIZE + 1,
            color=color,
            fontweight="bold",
            # readable over a curve that oscillates up to its end
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )

    finite = np.concatenate([v[np.isfinite(v)] for _, v, _, _ in curves])
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")
    # Room below the lowest curve for its final-value label.
    ax.margins(y=0.12)
    xlabel = set_epoch_axis(ax, choose_epoch_axis([train], epoch_axis), train.size - 1)
    if train.size == 1:
        ax.set_xlim(-0.5, 0.5)
    if title is None:
        title = "Training and test loss" if test is not None else "Training loss"
    decorate(ax, title=title, xlabel=xlabel, ylabel=loss_name)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=LEGEND_SIZE)
    return fig
