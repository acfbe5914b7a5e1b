"""The diagnostic figures draw what the evaluation computed: counts, shares, curves, areas."""

import numpy as np

from cetrain.plots import confusion_matrices, reliability_diagram, roc_curve_figure
from cetrain.runs.evaluation import Calibration, ReliabilityCurve, RocCurve


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_confusion_matrices_write_the_counts_and_row_shares():
    counts = np.array([[2, 1, 0], [0, 2, 0], [1, 0, 3]])
    fig = confusion_matrices(counts, ["a", "b", "c"], title="t")
    left, right = fig.axes[:2]
    assert texts(left) == [str(v) for v in counts.ravel()]
    shares = counts / counts.sum(axis=1, keepdims=True)
    assert texts(right) == [f"{v:.2f}" for v in shares.ravel()]
    assert [t.get_text() for t in left.get_yticklabels()] == ["a", "b", "c"]


def test_a_class_without_rows_has_a_blank_row_of_shares():
    counts = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0]])
    fig = confusion_matrices(counts, ["a", "b", "c"], title="t")
    assert len(texts(fig.axes[1])) == 6  # rows a and b; class c has no true row


def test_reliability_diagram_draws_each_curve_and_the_bin_counts():
    edges = np.linspace(0, 1, 11)
    counts = np.array([2, 1, 0, 0, 1, 1, 0, 0, 0, 2])
    curve = ReliabilityCurve(
        "P(y)", np.array([0.07, 0.15, 0.5, 0.55, 0.97]), np.array([0, 1, 0, 1, 1])
    )
    fig = reliability_diagram(
        Calibration("positive", [curve], edges, counts), ["n", "y"], title="t"
    )
    assert [int(bar.get_height()) for bar in fig.axes[1].patches] == counts.tolist()
    line = fig.axes[0].lines[1]
    np.testing.assert_array_equal(line.get_xdata(), curve.mean_predicted)
    np.testing.assert_array_equal(line.get_ydata(), curve.observed)
    assert fig.axes[1].get_xlabel() == "predicted P(y)"


def test_roc_curve_names_its_area():
    roc = RocCurve(np.array([0, 0, 0.5, 1]), np.array([0, 0.5, 1, 1]), 0.875)
    fig = roc_curve_figure(roc, ["no", "yes"], title="t")
    assert [line.get_label() for line in fig.axes[0].lines] == [
        "chance (AUC 0.5)",
        "model (AUC 0.875)",
    ]
