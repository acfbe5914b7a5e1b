"""The loss curve of a run: train and test loss per epoch."""

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cetrain.plots.style import (
    LEGEND_SIZE,
    NOTE_SIZE,
    TEST_COLOR,
    TRAIN_COLOR,
    decorate,
)


def loss_curve(
    train_loss: Sequence[float],
    test_loss: Sequence[float] | None = None,
    *,
    loss_name: str,
    title: str | None = None,
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

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the y axis is logarithmic when the finite values are all positive and span more
        than two decades.
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
        )

    finite = np.concatenate([v[np.isfinite(v)] for _, v, _, _ in curves])
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")
    # Room below the lowest curve for its final-value label.
    ax.margins(y=0.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if train.size == 1:
        ax.set_xlim(-0.5, 0.5)
    if title is None:
        title = "Training and test loss" if test is not None else "Training loss"
    decorate(ax, title=title, xlabel="epoch", ylabel=loss_name)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", fontsize=LEGEND_SIZE)
    return fig
