"""Where a model is wrong and how well its probabilities are calibrated: the confusion matrix,
the reliability diagram and the ROC curve.

These functions only draw. The counts, curves and areas are computed with scikit-learn's metrics
in cetrain.runs.evaluation (an `Evaluation` holds them); each function takes them as arrays and
returns a standalone Figure.
"""

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from cetrain.plots.style import (
    DARK,
    LEGEND_SIZE,
    NOTE_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    TITLE_SIZE,
    class_colors,
    curve_styles,
    decorate,
)

CMAP = "Blues"
LIGHT_TEXT_ABOVE = 0.6  # cells darker than this share of the colour scale get white text


def confusion_matrices(counts: np.ndarray, class_names: Sequence[str], *, title: str) -> Figure:
    """Counts and row-normalised shares side by side, true class by row, predicted by column.

    Parameters
    ----------
    counts : ndarray of shape (C, C)
        counts[i, j]: rows of class i predicted as class j.
    class_names : sequence of str, length C
    title : str

    Returns
    -------
    Figure
        Two (C, C) heat maps; each cell says its number. A row's shares are the recall of its
        class on the diagonal; a class with no row has a blank row of shares.
    """
    n_classes = len(class_names)
    row_totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(row_totals > 0, counts / row_totals, np.nan)

    size = min(5.5 + 0.35 * n_classes, 14)
    fig = Figure(figsize=(2 * size, size * 0.9), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = (
        (axes[0], counts, "counts", lambda v: f"{int(v)}", counts.max() or 1),
        (axes[1], shares, "share of each true class (row)", lambda v: f"{v:.2f}", 1.0),
    )
    cell_size = NOTE_SIZE if n_classes <= 10 else 7
    for ax, values, what, text, top in panels:
        ax.imshow(values, cmap=CMAP, vmin=0, vmax=top)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(
                    j,
                    i,
                    text(value),
                    ha="center",
                    va="center",
                    fontsize=cell_size,
                    color="white" if value > LIGHT_TEXT_ABOVE * top else DARK,
                )
        ticks = np.arange(n_classes)
        ax.set_xticks(ticks, class_names, rotation=45 if n_classes > 4 else 0, ha="right")
        ax.set_yticks(ticks, class_names)
        decorate(ax, title=what, xlabel="predicted class", ylabel="true class")
        ax.tick_params(labelsize=TICK_SIZE if n_classes <= 10 else 8)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def label_confusion_matrices(
    counts: np.ndarray, label_names: Sequence[str], *, title: str
) -> Figure:
    """One 2 x 2 confusion matrix per label of a multi-label model: counts, with each true row's
    share below them.

    Parameters
    ----------
    counts : ndarray of shape (C, 2, 2)
        counts[k, i, j]: rows whose label k is i, predicted j.
    """
    n_labels = len(label_names)
    columns = min(n_labels, 4)
    rows = -(-n_labels // columns)
    fig = Figure(figsize=(3.6 * columns + 0.5, 3.4 * rows + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, name, matrix in zip(axes, label_names, counts, strict=False):
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap=CMAP, vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                f"{count}\n{shares[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=NOTE_SIZE,
                color="white" if shares[i, j] > LIGHT_TEXT_ABOVE else DARK,
            )
        ax.set_xticks([0, 1], ["0", "1"])
        ax.set_yticks([0, 1], ["0", "1"])
        decorate(ax, title=str(name), xlabel="predicted", ylabel="true")
    for ax in axes[n_labels:]:
        ax.set_visible(False)
    fig.suptitle(f"{title}\n(count, and share of the true row)", fontsize=TITLE_SIZE)
    return fig


def reliability_diagram(calibration, class_names: Sequence[str], *, title: str) -> Figure:
    """Predicted probability against the observed frequency (top), and the rows in each bin
    (bottom). A calibrated model's points lie on the diagonal; empty bins have no point.

    Parameters
    ----------
    calibration : cetrain.runs.evaluation.Calibration
        Its `event` says what is calibrated: "positive" (P(class_names[1])), "confidence" (the
        probability of the predicted class, against how often it is right) or "labels" (each
        label's probability, one curve per label).
    class_names : sequence of str
    """
    xlabel, ylabel = _calibration_labels(calibration.event, class_names)
    if calibration.event == "labels":
        colors = class_colors(len(class_names), class_names)
    else:
        colors = [OKABE_ITO[4]]

    fig = Figure(figsize=(7.5, 8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))
    top.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="perfectly calibrated")
    for curve, color in zip(calibration.curves, colors, strict=True):
        top.plot(
            curve.mean_predicted, curve.observed, "o-", color=color, label=curve.name, linewidth=2
        )
    top.set_xlim(0, 1)
    top.set_ylim(-0.02, 1.02)
    decorate(top, title=title, xlabel="", ylabel=ylabel)
    top.legend(fontsize=LEGEND_SIZE, loc="upper left")

    edges = calibration.bin_edges
    bars = bottom.bar(
        (edges[:-1] + edges[1:]) / 2,
        calibration.bin_counts,
        width=np.diff(edges) * 0.9,
        color="#BBBBBB",
        edgecolor=DARK,
    )
    bottom.bar_label(bars, fontsize=NOTE_SIZE - 1)
    bottom.set_ylim(0, max(calibration.bin_counts.max(), 1) * 1.3)
    what = "predictions" if calibration.event == "labels" else "rows"
    decorate(bottom, title="", xlabel=xlabel, ylabel=f"{what} per bin")
    return fig


def _calibration_labels(event: str, class_names: Sequence[str]) -> tuple[str, str]:
    """The x and y labels of a reliability diagram of `event` (see Calibration)."""
    return {
        "positive": (f"predicted P({class_names[-1]})", f"share that is {class_names[-1]}"),
        "confidence": ("confidence (probability of the predicted class)", "share right"),
        "labels": ("predicted probability of the label", "share of rows with the label"),
    }[event]


def reliability_comparison(
    calibrations: Mapping, class_names: Sequence[str], *, title: str, compared: str = "loss"
) -> Figure:
    """The reliability diagrams of several models on the same rows, on one panel (top), and
    each model's rows per bin side by side (bottom): log loss and squared error differ in the
    probabilities more than in the accuracy.

    Parameters
    ----------
    calibrations : mapping name -> cetrain.runs.evaluation.Calibration
        One per model, all of the same event ("positive" or "confidence"); each drawn in its
        `curve_styles` colour, as in the comparison figure.
    class_names : sequence of str
    compared : {"loss", "model"}
        The legend's title says "trained on" a loss, or "model".
    """
    names = list(calibrations)
    events = {calibrations[name].event for name in names}
    if len(events) != 1 or "labels" in events:
        raise ValueError(f"the calibrations must share one event, positive or confidence: {events}")
    xlabel, ylabel = _calibration_labels(events.pop(), class_names)
    styles = curve_styles(names, class_colors(len(class_names), class_names))

    fig = Figure(figsize=(9, 8.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.4))
    top.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="perfectly calibrated")
    width = 0.9 / len(names)
    for index, name in enumerate(names):
        calibration, (color, dashes) = calibrations[name], styles[name]
        (curve,) = calibration.curves
        top.plot(
            curve.mean_predicted,
            curve.observed,
            marker="o",
            linestyle=dashes,
            color=color,
            linewidth=2,
            label=name,
        )
        edges = calibration.bin_edges
        left = edges[:-1] + np.diff(edges) * (0.05 + index * width)
        bottom.bar(
            left,
            calibration.bin_counts,
            width=np.diff(edges) * width,
            align="edge",
            color=color,
            edgecolor=DARK,
            linewidth=0.5,
        )
    top.set_xlim(0, 1)
    top.set_ylim(-0.02, 1.02)
    decorate(top, title=title, xlabel="", ylabel=ylabel)
    fig.legend(
        *top.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=min(len(names) + 1, 3),
        fontsize=LEGEND_SIZE,
        title="trained on" if compared == "loss" else "model",
    )
    decorate(bottom, title="", xlabel=xlabel, ylabel="rows per bin")
    return fig


def roc_curve_figure(roc, class_names: Sequence[str], *, title: str) -> Figure:
    """The ROC curve of a binary model with its area (AUC), against chance.

    Parameters
    ----------
    roc : cetrain.runs.evaluation.RocCurve or None
        False and true positive rates for class_names[1] as the positive class, and the AUC;
        None when the rows hold one class only, which the figure then says.
    """
    fig = Figure(figsize=(7, 6.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="chance (AUC 0.5)")
    if roc is None:
        ax.text(
            0.5,
            0.55,
            "these rows hold one class only:\nno ROC curve",
            ha="center",
            va="center",
            fontsize=LEGEND_SIZE,
        )
    else:
        fpr, tpr = roc.false_positive_rate, roc.true_positive_rate
        ax.plot(fpr, tpr, color=OKABE_ITO[4], linewidth=2.5, label=f"model (AUC {roc.auc:.3f})")
        ax.fill_between(fpr, tpr, alpha=0.12, color=OKABE_ITO[4])
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    negative, positive = class_names
    decorate(
        ax,
        title=title,
        xlabel=f"false positive rate (share of {negative} called {positive})",
        ylabel=f"true positive rate (recall of {positive})",
    )
    ax.legend(fontsize=LEGEND_SIZE, loc="lower right")
    return fig


def confusion_figure(evaluation, *, title: str) -> Figure:
    """The confusion matrices of an evaluation: one (C, C) pair, or one 2 x 2 per label."""
    draw = label_confusion_matrices if evaluation.label_sets else confusion_matrices
    return draw(evaluation.confusion, evaluation.class_names, title=title)


def diagnostic_figures(evaluation, *, title: str) -> dict[str, Figure]:
    """Every diagnostic figure of an evaluation (cetrain.runs.evaluation.Evaluation), by file
    stem: confusion_matrix, calibration, and for a binary model roc."""
    ev = evaluation
    names = ev.class_names
    figures = {
        "confusion_matrix": confusion_figure(ev, title=f"{title}: confusion matrix"),
        "calibration": reliability_diagram(ev.calibration, names, title=f"{title}: calibration"),
    }
    if ev.is_binary:
        figures["roc"] = roc_curve_figure(ev.roc, names, title=f"{title}: ROC curve")
    return figures
