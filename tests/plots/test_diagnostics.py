"""The diagnostic figures show scikit-learn's counts: confusion matrices, calibration bins."""

import numpy as np
from sklearn.metrics import confusion_matrix, roc_auc_score

from cetrain.plots import confusion_matrices, reliability_diagram, roc_curve_figure


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_confusion_matrices_write_sklearns_counts_and_row_shares():
    truth = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 1, 0, 1, 1, 2, 0, 2, 2])
    fig = confusion_matrices(truth, predicted, ["a", "b", "c"], title="t")
    counts, shares = fig.axes[:2]
    expected = confusion_matrix(truth, predicted)
    assert texts(counts) == [str(v) for v in expected.ravel()]
    rows = expected / expected.sum(axis=1, keepdims=True)
    assert texts(shares) == [f"{v:.2f}" for v in rows.ravel()]
    assert [t.get_text() for t in counts.get_yticklabels()] == ["a", "b", "c"]


def test_a_class_without_rows_has_a_blank_row_of_shares():
    fig = confusion_matrices(np.array([0, 0, 1]), np.array([0, 2, 1]), ["a", "b", "c"], title="t")
    assert len(texts(fig.axes[1])) == 6  # rows a and b; class c has no true row


def test_reliability_diagram_counts_the_rows_of_each_bin():
    proba1 = np.array([0.05, 0.1, 0.15, 0.5, 0.55, 0.95, 0.99])
    truth = np.array([0, 0, 1, 0, 1, 1, 1])
    fig = reliability_diagram(truth, np.column_stack([1 - proba1, proba1]), ["n", "y"], title="t")
    bars = fig.axes[1].patches
    # calibration_curve's bins: a value on an edge (0.1, 0.5) belongs to the bin below it
    assert [int(b.get_height()) for b in bars] == [2, 1, 0, 0, 1, 1, 0, 0, 0, 2]
    line = fig.axes[0].lines[1]
    np.testing.assert_allclose(line.get_ydata(), [0, 1, 0, 1, 1])


def test_roc_curve_names_its_area():
    truth = np.array([0, 0, 1, 1, 0, 1])
    score = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    fig = roc_curve_figure(truth, score, ["no", "yes"], title="t")
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[1] == f"model (AUC {roc_auc_score(truth, score):.3f})"
