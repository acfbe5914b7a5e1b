"""How well a trained model does on labelled rows: the numbers of `cetrain evaluate`.

The metrics are scikit-learn's (`accuracy_score`, `balanced_accuracy_score`,
`precision_recall_fscore_support`, `brier_score_loss`), except the log loss, which is computed
exactly from the model's scores (log-sum-exp), not from clipped probabilities:

    log_loss = mean_i  -log p(y_i | x_i)        (the mean binary cross-entropy over all labels,
                                                 for a multi-label model)
    brier    = mean_i  sum_k (p_ik - [y_i = k])^2   (binary: mean_i (p_i1 - [y_i = 1])^2)

For probability rows (soft targets) the log loss and Brier score compare the predicted
probabilities with the target rows, and the per-class numbers take each row's most probable class
as its label.

The evaluation also holds what its figures draw (cetrain.plots.diagnostics): the confusion
matrix (`confusion_matrix`, or `multilabel_confusion_matrix` per label), the reliability curves
(`calibration_curve`, uniform bins) with the rows in each bin, and for a binary model the ROC
curve (`roc_curve`) and its area (`roc_auc_score`, also in the metrics as ``roc_auc``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from cetrain.runs.pipeline import ClassifierPipeline


N_BINS = 10  # bins of the reliability diagram, each 0.1 wide


@dataclasses.dataclass(frozen=True)
class ReliabilityCurve:
    """One curve of a reliability diagram: in each non-empty bin of predicted probability, the
    mean predicted probability and the share of rows where the event happened."""

    name: str
    mean_predicted: np.ndarray
    observed: np.ndarray


@dataclasses.dataclass(frozen=True)
class Calibration:
    """What a reliability diagram shows.

    Attributes
    ----------
    event : str
        What is calibrated: "positive" (P(classes[1]), binary), "confidence" (the probability of
        the predicted class against whether it is right) or "labels" (each label's probability).
    curves : list of ReliabilityCurve
        One, or one per label.
    bin_edges : ndarray of shape (n_bins + 1,)
    bin_counts : ndarray of shape (n_bins,)
        The probabilities in each bin (over all curves), binned as calibration_curve bins them:
        a value on an inner edge belongs to the bin below it.
    """

    event: str
    curves: list[ReliabilityCurve]
    bin_edges: np.ndarray
    bin_counts: np.ndarray


@dataclasses.dataclass(frozen=True)
class RocCurve:
    """A binary model's ROC curve: false and true positive rates as the threshold on
    P(classes[1]) falls, and the area under it."""

    false_positive_rate: np.ndarray
    true_positive_rate: np.ndarray
    auc: float


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A model's predictions on labelled rows and the metrics of them.

    Attributes
    ----------
    class_names : list of str
        The classes (or labels), in the order of the probability columns.
    label_sets : bool
        True for a multi-label model on 0/1 columns.
    truth : ndarray of shape (n,) or (n, C)
        The class index of each row; for label sets, the 0/1 columns.
    predicted : ndarray of shape (n,) or (n, C)
        The predicted class index of each row; for label sets, the 0/1 predictions.
    proba : ndarray of shape (n, C)
        predict_proba of the rows.
    metrics : dict
        What metrics.json holds (see `assess`).
    confusion : ndarray of shape (C, C), or (C, 2, 2) for label sets
        Counts: true class by row, predicted class by column (per label: 0/1 by 0/1).
    calibration : Calibration
    roc : RocCurve or None
        For a binary model whose rows hold both classes.
    """

    class_names: list[str]
    label_sets: bool
    truth: np.ndarray
    predicted: np.ndarray
    proba: np.ndarray
    metrics: dict
    confusion: np.ndarray
    calibration: Calibration
    roc: RocCurve | None

    @property
    def is_binary(self) -> bool:
        """Two classes, one per row: the case a ROC curve describes (roc is None all the same
        when the rows hold one class only)."""
        return not self.label_sets and len(self.class_names) == 2

    def to_dict(self) -> dict:
        return dict(self.metrics)


def assess(pipeline: ClassifierPipeline, X: np.ndarray, y: np.ndarray) -> Evaluation:
    """Score a fitted pipeline on features X (n, d) and targets y, as fit takes them.

    Returns
    -------
    Evaluation
        With metrics ``rows``, ``log_loss``, ``brier`` and, for one label per row, ``accuracy``,
        ``balanced_accuracy`` and ``per_class`` {class: {precision, recall, f1, support}}; for a
        multi-label model ``subset_accuracy`` (every label of a row right), ``label_accuracy``
        and ``per_label`` {label: {accuracy, precision, recall, f1, support, brier}}.
    """
    from sklearn import metrics as skm

    estimator = pipeline.estimator
    head = estimator.head_
    features = pipeline.transform(X)
    proba = estimator.predict_proba(features)
    names = [str(c) for c in estimator.classes_]
    n_classes = len(names)
    out: dict = {
        "rows": len(features),
        "log_loss": estimator.mean_loss(features, y, "cross-entropy"),
    }
    if head.predicts_label_sets:
        truth = (np.asarray(y, dtype=np.float64) >= 0.5).astype(np.int64)  # as train's metrics
        predicted = (proba > 0.5).astype(np.int64)
        precision, recall, f1, support = skm.precision_recall_fscore_support(
            truth, predicted, zero_division=0
        )
        brier = [skm.brier_score_loss(truth[:, k], proba[:, k]) for k in range(n_classes)]
        out |= {
            "subset_accuracy": float(np.mean(np.all(truth == predicted, axis=1))),
            "label_accuracy": float(np.mean(truth == predicted)),
            "brier": float(np.mean(brier)),
            "per_label": {
                name: {
                    "accuracy": float(np.mean(truth[:, k] == predicted[:, k])),
                    "precision": float(precision[k]),
                    "recall": float(recall[k]),
                    "f1": float(f1[k]),
                    "support": int(support[k]),
                    "brier": float(brier[k]),
                }
                for k, name in enumerate(names)
            },
        }
        confusion = skm.multilabel_confusion_matrix(truth, predicted)
        curves = [(name, truth[:, k], proba[:, k]) for k, name in enumerate(names)]
        calibration = _calibration("labels", curves)
        return Evaluation(names, True, truth, predicted, proba, out, confusion, calibration, None)

    y = np.asarray(y)
    truth = estimator.class_index(y)
    predicted = np.argmax(proba, axis=1)
    labels = np.arange(n_classes)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    if y.ndim == 2:  # probability rows: compare the probabilities with them
        brier = float(np.mean(np.sum((proba - y) ** 2, axis=1)))
        if n_classes == 2:
            brier /= 2  # the binary convention: (p_1 - q_1)^2 counts once
    elif n_classes == 2:
        brier = skm.brier_score_loss(truth, proba[:, 1], labels=labels)
    else:
        brier = skm.brier_score_loss(truth, proba, labels=labels)
    out |= {
        "accuracy": float(skm.accuracy_score(truth, predicted)),
        "balanced_accuracy": _balanced_accuracy(truth, predicted),
        "brier": float(brier),
        "per_class": {
            name: {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k, name in enumerate(names)
        },
    }
    confusion = skm.confusion_matrix(truth, predicted, labels=labels)
    roc = None
    calibration = label_calibration(truth, proba, names)
    if n_classes == 2:
        if len(np.unique(truth)) == 2:
            roc = RocCurve(
                *skm.roc_curve(truth, proba[:, 1])[:2], skm.roc_auc_score(truth, proba[:, 1])
            )
            out["roc_auc"] = float(roc.auc)
    return Evaluation(names, False, truth, predicted, proba, out, confusion, calibration, roc)


def label_calibration(truth: np.ndarray, proba: np.ndarray, names: list[str]) -> Calibration:
    """The reliability curve of one label per row: truth (n,) class indices, proba (n, C).
    Two classes: P(names[1]) against whether the row is of that class ("positive"); more: the
    probability of the predicted class (argmax) against whether it is right ("confidence")."""
    if len(names) == 2:
        return _calibration("positive", [(f"P({names[1]})", truth == 1, proba[:, 1])])
    hits = np.argmax(proba, axis=1) == truth
    return _calibration("confidence", [("predicted class", hits, proba.max(axis=1))])


def _calibration(event: str, curves: list[tuple[str, np.ndarray, np.ndarray]]) -> Calibration:
    """Reliability curves of (name, whether the event happened (n,), its probability (n,))."""
    from sklearn.calibration import calibration_curve

    edges = np.linspace(0.0, 1.0, N_BINS + 1)
    counts = np.zeros(N_BINS, dtype=np.int64)
    drawn = []
    for name, happened, probability in curves:
        observed, mean_predicted = calibration_curve(happened, probability, n_bins=N_BINS)
        drawn.append(ReliabilityCurve(name, mean_predicted, observed))
        # calibration_curve's own binning: searchsorted on the inner edges
        counts += np.bincount(np.searchsorted(edges[1:-1], probability), minlength=N_BINS)
    return Calibration(event, drawn, edges, counts)


def _balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """scikit-learn's balanced accuracy: the mean recall over the classes present in truth
    (scikit-learn warns when a predicted class is absent from truth; the mean is the same)."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(balanced_accuracy_score(truth, predicted))
