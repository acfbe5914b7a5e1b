"""Where a model is wrong and how well its probabilities are calibrated: the confusion matrix,
the reliability diagram and the ROC curve, from a model's predictions on labelled rows.

The counting is scikit-learn's (`confusion_matrix`, `multilabel_confusion_matrix`,
`calibration_curve`, `roc_curve`, `roc_auc_score`); these functions only draw. Each takes arrays
(see cetrain.runs.evaluation.Evaluation) and returns a standalone Figure.
"""

from collections.abc import Sequence

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
    decorate,
)

N_BINS = 10  # bins of the reliability diagram, each 0.1 wide
CMAP = "Blues"


def confusion_matrices(
    truth: np.ndarray, predicted: np.ndarray, class_names: Sequence[str], *, title: str
) -> Figure:
    """Counts and row-normalised shares side by side, true class by row, predicted by column.

    Parameters
    ----------
    truth, predicted : ndarray of shape (n,)
        Class indices into class_names.
    class_names : sequence of str, length C
    title : str

    Returns
    -------
    Figure
        Two (C, C) heat maps; each cell says its number. A row's shares are the recall of its
        class on the diagonal; a class with no row has a blank row.
    """
    from sklearn.metrics import confusion_matrix

    n_classes = len(class_names)
    counts = confusion_matrix(truth, predicted, labels=np.arange(n_classes))
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
                light = value > 0.6 * top
                ax.text(
                    j,
                    i,
                    text(value),
                    ha="center",
                    va="center",
                    fontsize=cell_size,
                    color="white" if light else DARK,
                )
        ticks = np.arange(n_classes)
        ax.set_xticks(ticks, class_names, rotation=45 if n_classes > 4 else 0, ha="right")
        ax.set_yticks(ticks, class_names)
        decorate(ax, title=what, xlabel="predicted class", ylabel="true class")
        ax.tick_params(labelsize=TICK_SIZE if n_classes <= 10 else 8)
    fig.suptitle(title, fontsize=TITLE_SIZE)
    return fig


def label_confusion_matrices(
    truth: np.ndarray, predicted: np.ndarray, label_names: Sequence[str], *, title: str
) -> Figure:
    """One 2 x 2 confusion matrix per label of a multi-label model: counts, with each true row's
    share below them.

    Parameters
    ----------
    truth, predicted : ndarray of shape (n, C)
        0/1 label columns.
    """
    from sklearn.metrics import multilabel_confusion_matrix

    matrices = multilabel_confusion_matrix(truth, predicted)
    n_labels = len(label_names)
    columns = min(n_labels, 4)
    rows = -(-n_labels // columns)
    fig = Figure(figsize=(3.6 * columns + 0.5, 3.4 * rows + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, name, counts in zip(axes, label_names, matrices, strict=False):
        totals = counts.sum(axis=1, keepdims=True)
        shares = counts / np.maximum(totals, 1)
        ax.imshow(shares, cmap=CMAP, vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(counts):
            ax.text(
                j,
                i,
                f"{count}\n{shares[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=NOTE_SIZE,
                color="white" if shares[i, j] > 0.6 else DARK,
            )
        ax.set_xticks([0, 1], ["0", "1"])
        ax.set_yticks([0, 1], ["0", "1"])
        decorate(ax, title=str(name), xlabel="predicted", ylabel="true")
    for ax in axes[n_labels:]:
        ax.set_visible(False)
    fig.suptitle(f"{title}\n(count, and share of the true row)", fontsize=TITLE_SIZE)
    return fig


def reliability_diagram(
    truth: np.ndarray,
    proba: np.ndarray,
    class_names: Sequence[str],
    *,
    label_sets: bool = False,
    title: str,
    n_bins: int = N_BINS,
) -> Figure:
    """Predicted probability against the observed frequency, with the rows in each bin.

    What is calibrated: for two classes, P(classes[1]); for several classes, the probability of
    the predicted class (its confidence) against how often it is right; for a multi-label model,
    each label's probability against how often the label is on. A calibrated model's points lie
    on the diagonal. Bins are `n_bins` equal widths on [0, 1], as calibration_curve's
    strategy="uniform"; empty bins have no point.

    Parameters
    ----------
    truth : ndarray of shape (n,) of class indices, or (n, C) 0/1 columns with label_sets
    proba : ndarray of shape (n, C)
    """
    from sklearn.calibration import calibration_curve

    if label_sets:
        curves = [
            (str(name), truth[:, k], proba[:, k], color)
            for k, (name, color) in enumerate(
                zip(class_names, class_colors(len(class_names), class_names), strict=True)
            )
        ]
        xlabel, ylabel = "predicted probability of the label", "share of rows with the label"
    elif len(class_names) == 2:
        curves = [(f"P({class_names[1]})", truth == 1, proba[:, 1], OKABE_ITO[4])]
        xlabel, ylabel = f"predicted P({class_names[1]})", f"share that is {class_names[1]}"
    else:
        confidence = proba.max(axis=1)
        curves = [("predicted class", np.argmax(proba, axis=1) == truth, confidence, OKABE_ITO[4])]
        xlabel, ylabel = "confidence (probability of the predicted class)", "share right"

    fig = Figure(figsize=(7.5, 8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))
    top.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="perfectly calibrated")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    counts = np.zeros(n_bins, dtype=np.int64)
    for name, hits, probability, color in curves:
        observed, predicted = calibration_curve(hits, probability, n_bins=n_bins)
        top.plot(predicted, observed, "o-", color=color, label=name, linewidth=2)
        # calibration_curve's binning: searchsorted on the inner edges (a value on an edge
        # belongs to the bin below it)
        counts += np.bincount(np.searchsorted(edges[1:-1], probability), minlength=n_bins)
    top.set_xlim(0, 1)
    top.set_ylim(-0.02, 1.02)
    decorate(top, title=title, xlabel="", ylabel=ylabel)
    top.legend(fontsize=LEGEND_SIZE, loc="upper left")
    centres = (edges[:-1] + edges[1:]) / 2
    bars = bottom.bar(centres, counts, width=1 / n_bins * 0.9, color="#BBBBBB", edgecolor=DARK)
    bottom.bar_label(bars, fontsize=NOTE_SIZE - 1)
    bottom.set_ylim(0, max(counts.max(), 1) * 1.3)
    what = "predictions" if label_sets else "rows"
    decorate(bottom, title="", xlabel=xlabel, ylabel=f"{what} per bin")
    return fig


def roc_curve_figure(
    truth: np.ndarray, score: np.ndarray, class_names: Sequence[str], *, title: str
) -> Figure:
    """The ROC curve of a binary model: true positive rate against false positive rate as the
    threshold on P(classes[1]) falls, with its area (AUC).

    Parameters
    ----------
    truth : ndarray of shape (n,)
        Class indices (1 is the positive class, class_names[1]).
    score : ndarray of shape (n,)
        P(class_names[1]) or any score that orders the rows the same way.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = Figure(figsize=(7, 6.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="chance (AUC 0.5)")
    if len(np.unique(truth)) < 2:
        ax.text(
            0.5,
            0.5,
            "only one class in these rows:\nno ROC curve",
            ha="center",
            va="center",
            fontsize=NOTE_SIZE,
        )
    else:
        fpr, tpr, _ = roc_curve(truth, score)
        auc = roc_auc_score(truth, score)
        ax.plot(fpr, tpr, color=OKABE_ITO[4], linewidth=2.5, label=f"model (AUC {auc:.3f})")
        ax.fill_between(fpr, tpr, step=None, alpha=0.12, color=OKABE_ITO[4])
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    positive = class_names[1]
    decorate(
        ax,
        title=title,
        xlabel=f"false positive rate (share of {class_names[0]} called {positive})",
        ylabel=f"true positive rate (recall of {positive})",
    )
    ax.legend(fontsize=LEGEND_SIZE, loc="lower right")
    return fig


def diagnostic_figures(evaluation, *, title: str) -> dict[str, Figure]:
    """Every diagnostic figure of an evaluation (cetrain.runs.evaluation.Evaluation), by file
    stem: confusion_matrix, calibration, and for a binary model roc."""
    ev = evaluation
    draw = label_confusion_matrices if ev.label_sets else confusion_matrices
    figures = {
        "confusion_matrix": draw(
            ev.truth, ev.predicted, ev.class_names, title=f"{title}: confusion matrix"
        ),
        "calibration": reliability_diagram(
            ev.truth,
            ev.proba,
            ev.class_names,
            label_sets=ev.label_sets,
            title=f"{title}: calibration",
        ),
    }
    if ev.is_binary:
        figures["roc"] = roc_curve_figure(
            ev.truth, ev.proba[:, 1], ev.class_names, title=f"{title}: ROC curve"
        )
    return figures
