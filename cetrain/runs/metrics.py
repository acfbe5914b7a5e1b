"""How well a trained model does: the numbers of metrics.json, as typed records.

`evaluate(pipeline, X, y)` measures one split (`SplitMetrics`); `RunMetrics` holds both splits,
how the training went and, when asked for, the scikit-learn reference (cetrain.runs.reference).
`to_dict()` gives exactly the JSON content of metrics.json.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.reference import NoReference, Reference


@dataclasses.dataclass(frozen=True)
class SplitMetrics:
    """One split's numbers.

    accuracy : the share of rows predicted right (for 0/1 label columns, every label of a row)
    log_loss : the mean cross-entropy of the predicted probabilities (exact, from the scores)
    loss : the mean training loss with its options, without the penalty
    label_accuracy : for 0/1 label columns, the share of single labels predicted right
    balanced_accuracy, recall : for class labels, {class: the share of its rows predicted as
        it} (None for a class with no rows) and the mean recall of the classes present
        (scikit-learn's balanced_accuracy_score)
    """

    accuracy: float
    log_loss: float
    loss: float
    label_accuracy: float | None = None
    balanced_accuracy: float | None = None
    recall: dict[str, float | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The split's entry of metrics.json (the measures that apply, in this order)."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not None
        }


@dataclasses.dataclass(frozen=True)
class RunMetrics:
    """metrics.json: both splits, how the training went, and what it teaches (`notes`, the
    sentences of cetrain.runs.hints)."""

    train: SplitMetrics
    test: SplitMetrics | None
    epochs: int
    converged: bool
    status: str
    seconds: float
    rows_dropped: int
    n_train: int
    n_test: int
    learning_rate: float
    final_grad_norm: float
    zero_coefficients: int
    coefficients: int
    notes: tuple[str, ...] = ()
    reference: Reference | NoReference | None = None

    def to_dict(self) -> dict[str, Any]:
        """The content of metrics.json (`reference` only when it was asked for)."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        values["train"] = self.train.to_dict()
        values["test"] = None if self.test is None else self.test.to_dict()
        values["notes"] = list(self.notes)
        if self.reference is None:
            del values["reference"]
        else:
            values["reference"] = self.reference.to_dict()
        return values


def evaluate(pipeline: ClassifierPipeline, X: np.ndarray, y: np.ndarray) -> SplitMetrics:
    """How well the pipeline does on (X, y).

    Parameters
    ----------
    pipeline : ClassifierPipeline
        A fitted pipeline.
    X : ndarray of shape (n, d)
        Input features.
    y : ndarray of shape (n,) or (n, C)
        Targets as the model was fit on (labels, probability rows or 0/1 label columns).

    Returns
    -------
    SplitMetrics
        With label_accuracy for 0/1 label columns, balanced_accuracy and recall for class
        labels, neither for probability rows.
    """
    estimator, features = pipeline.estimator, pipeline.transform(X)
    common = {
        "accuracy": estimator.score(features, y),
        "log_loss": estimator.mean_loss(features, y, "cross-entropy"),
        "loss": estimator.mean_loss(features, y),
    }
    if estimator.head_.predicts_label_sets:
        label_accuracy = float(np.mean(estimator.predict(features) == (y >= 0.5)))
        return SplitMetrics(**common, label_accuracy=label_accuracy)
    if y.ndim != 1:
        return SplitMetrics(**common)
    predicted = estimator.predict(features)
    recall = {
        str(label): (float(np.mean(predicted[y == label] == label)) if np.any(y == label) else None)
        for label in estimator.classes_
    }
    present = [value for value in recall.values() if value is not None]
    return SplitMetrics(**common, balanced_accuracy=float(np.mean(present)), recall=recall)


def row_losses(pipeline: ClassifierPipeline, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row's own loss under the training loss, its class weight included (the estimator's
    row_losses, of the class weights of these rows), shape (n,); what the boundary figure and
    the playground size points by. The mean of a split's is its loss in the history when the
    rows have no sample weights."""
    if len(y) == 0:
        return np.empty(0)
    return pipeline.estimator.row_losses(pipeline.transform(X), y)
