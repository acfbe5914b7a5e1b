"""Output heads: what the linear scores S = X W + b of each kind of model mean.

A model has one head, chosen once when it is fit from its kind and its target:

    head             model kind    fit on                     scores    probabilities
    BinaryHead       logistic      labels of 2 classes        (n,)      [sigma(-s), sigma(s)]
    SoftmaxHead      softmax       labels, probability rows   (n, C)    softmax(s)
    MultiLabelHead   multilabel    0/1 columns (indicator)    (n, C)    sigma(s) per label
    OneVsRestHead    multilabel    labels                     (n, C)    softmax(log sigma(s))

Each head owns the number of score columns, the targets its loss trains on, the probabilities
and predictions of scores, what counts as a correct prediction, which form of a loss it trains
(the model kind's), which cross-entropy measures its probabilities (its log loss), how its
penalty is scaled and what decision_function shows. The estimators hold no branch on the kind
of output: they ask their head.

The head's scores are what every computation takes; decision_function shows them as
scikit-learn's classifiers do, one column for two classes (`decision`): for the softmax and
one-vs-rest heads, whose two-class scores are (n, 2), that column is the logit of
P(classes_[1]).

The three kinds of target are named once, by `TargetKind`; model files store these names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum

import numpy as np

from cetrain.core.links import log_sigmoid, sigmoid, softmax
from cetrain.errors import DataError


class TargetKind(StrEnum):
    """What a model is fit on."""

    LABELS = "labels"  # one class label per row, shape (n,)
    PROBABILITIES = "probabilities"  # rows of class probabilities (soft targets), (n, C)
    INDICATOR = "indicator"  # 0/1 label columns, any number of 1s per row (multi-label), (n, C)


class Head:
    """The meaning of a model's scores. Shapes: S is (n, K) with K = n_outputs(C); `scores` are
    what decision_function returns; `encoded` targets are class indices (n,) or columns (n, C).
    """

    #: the model kind whose form of a loss the head trains (see cetrain.core.losses.loss_for)
    form: str
    #: the form of cross-entropy that is the log loss of the head's probabilities
    log_loss_form: str
    #: whether class weights apply (they weight a row by its one class label)
    takes_class_weight: bool = True
    #: whether predict gives 0/1 label columns rather than one class per row
    predicts_label_sets: bool = False
    #: how figures and tables name the head's outputs
    description: str
    #: the number of classes the head is made for (None: any number)
    n_classes: int | None = None

    def n_outputs(self, n_classes: int) -> int:
        """Score columns K for C classes."""
        return n_classes

    def check_classes(self, classes: np.ndarray) -> None:
        """Refuse a set of classes the head cannot predict (DataError)."""
        if len(classes) < 2:
            got = f"1 class ({describe(classes)})" if len(classes) else "no class"
            raise DataError(f"a classifier needs at least 2 classes; got {got}")

    def penalty_scale(self, n_classes: int) -> float:
        """The factor on l2 and l1 that gives each output the penalty of a model of its own."""
        return 1.0

    def scores(self, S: np.ndarray) -> np.ndarray:
        """The head's scores from the (n, K) linear scores: what probabilities, predict,
        correct and the losses take."""
        return S

    def decision(self, scores: np.ndarray) -> np.ndarray:
        """decision_function from the head's scores: (n,) for two classes, as scikit-learn's
        classifiers give, (n, C) otherwise."""
        return scores

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """predict_proba: (n, C), columns in class order."""
        raise NotImplementedError

    def decision_probabilities(self, decision: np.ndarray) -> np.ndarray:
        """predict_proba from decision_function's values: a column d (two classes) is the logit
        of P(classes_[1])."""
        return _sigmoid_pair(decision) if decision.ndim == 1 else self.probabilities(decision)

    def predict(self, scores: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """The most probable class of each row, (n,)."""
        return classes[np.argmax(scores, axis=1)]

    def loss_targets(self, encoded: np.ndarray, n_classes: int) -> np.ndarray:
        """What the loss's prepare_target takes, from class indices (n,) or columns (n, C)."""
        return encoded

    def loss_shape(self, n: int, n_classes: int) -> tuple[int, ...]:
        """The shape of the scores the loss sees."""
        return (n, n_classes)

    def truth(self, encoded: np.ndarray) -> np.ndarray:
        """What a prediction is compared with: the class of each row (the most probable one of
        a probability row)."""
        return encoded if encoded.ndim == 1 else np.argmax(encoded, axis=1)

    def correct(self, scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
        """Per row: is the prediction from `scores` right? (n,) booleans."""
        return np.argmax(scores, axis=1) == truth

    def log_loss_scores(self, scores: np.ndarray) -> np.ndarray:
        """The scores whose log_loss_form link gives predict_proba."""
        return scores

    def initial_weights(self, W: np.ndarray) -> np.ndarray:
        """Random starting weights W (d, K), adjusted where the head has a redundancy."""
        return W


class BinaryHead(Head):
    """One sigmoid output: P(classes_[1]) = sigma(s), for exactly two classes."""

    form = log_loss_form = "logistic"
    description = "one sigmoid output"
    n_classes = 2

    def n_outputs(self, n_classes: int) -> int:
        return 1

    def check_classes(self, classes: np.ndarray) -> None:
        super().check_classes(classes)
        if len(classes) != 2:
            # scikit-learn's first sentence, which its estimator checks look for
            raise DataError(
                "Only binary classification is supported. Logistic regression needs exactly 2 "
                f"classes; the labels have {len(classes)} ({describe(classes)}); use softmax "
                "regression for more"
            )

    def scores(self, S: np.ndarray) -> np.ndarray:
        return S[:, 0]

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        return _sigmoid_pair(scores)

    def predict(self, scores: np.ndarray, classes: np.ndarray) -> np.ndarray:
        return classes[(scores > 0).astype(np.intp)]

    def loss_targets(self, encoded: np.ndarray, n_classes: int) -> np.ndarray:
        return encoded.astype(np.float64)

    def loss_shape(self, n: int, n_classes: int) -> tuple[int, ...]:
        return (n,)

    def correct(self, scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
        return (scores > 0) == truth


class SoftmaxHead(Head):
    """C outputs through a softmax: one class per row, from labels or probability rows."""

    form = log_loss_form = "softmax"
    description = "softmax"

    def decision(self, scores: np.ndarray) -> np.ndarray:
        return _two_class_logit(scores) if scores.shape[1] == 2 else scores

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        return softmax(scores)

    def initial_weights(self, W: np.ndarray) -> np.ndarray:
        # adding one vector to every class's weights changes nothing but the penalty
        return W - W.mean(axis=1, keepdims=True)


class MultiLabelHead(Head):
    """C independent sigmoid outputs, one per 0/1 label column; a row has any number of labels."""

    form = log_loss_form = "multilabel"
    takes_class_weight = False
    predicts_label_sets = True
    description = "one sigmoid per label"

    def check_classes(self, classes: np.ndarray) -> None:
        """Any number of label columns (at least 2 is checked with the target)."""

    def penalty_scale(self, n_classes: int) -> float:
        return _per_label_penalty(n_classes)

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        return sigmoid(scores)

    def predict(self, scores: np.ndarray, classes: np.ndarray) -> np.ndarray:
        return (scores > 0).astype(np.int64)

    def truth(self, encoded: np.ndarray) -> np.ndarray:
        return encoded >= 0.5

    def correct(self, scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
        return np.all((scores > 0) == truth, axis=1)


class OneVsRestHead(Head):
    """C independent sigmoids trained one-vs-rest on single labels: the target of each is its
    class's one-hot column, and the probabilities are the sigmoids normalised to sum to 1, so
    they compare with a softmax model's on one scale."""

    form = "multilabel"
    log_loss_form = "softmax"
    description = "one-vs-rest sigmoids"

    def penalty_scale(self, n_classes: int) -> float:
        return _per_label_penalty(n_classes)

    def decision(self, scores: np.ndarray) -> np.ndarray:
        if scores.shape[1] != 2:
            return scores
        return _two_class_logit(self.log_loss_scores(scores))

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        return softmax(self.log_loss_scores(scores))

    def loss_targets(self, encoded: np.ndarray, n_classes: int) -> np.ndarray:
        return np.eye(n_classes)[encoded]

    def log_loss_scores(self, scores: np.ndarray) -> np.ndarray:
        # softmax(log sigma(s)) = sigma(s) / sum_k sigma(s_k), the normalised sigmoids
        return log_sigmoid(scores)


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """A kind of model: its name (`--model`, model files) and its head for each kind of target
    it can be fit on. `target` is the kind of target it is made for; `columns` the kind of a
    2-D target it takes (None: class labels only)."""

    name: str
    heads: Mapping[TargetKind, Head]
    target: TargetKind
    columns: TargetKind | None

    def head(self, target: TargetKind) -> Head:
        """The head for a target of this kind; a DataError if the model cannot fit it."""
        if target not in self.heads:
            accepted = " or ".join(kind.value for kind in self.heads)
            raise DataError(f"a {self.name} model is fit on {accepted}, not {target.value}")
        return self.heads[target]


_SOFTMAX = SoftmaxHead()
MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind("logistic", {TargetKind.LABELS: BinaryHead()}, TargetKind.LABELS, None),
        ModelKind(
            "softmax",
            {TargetKind.LABELS: _SOFTMAX, TargetKind.PROBABILITIES: _SOFTMAX},
            TargetKind.LABELS,
            TargetKind.PROBABILITIES,
        ),
        ModelKind(
            "multilabel",
            {TargetKind.INDICATOR: MultiLabelHead(), TargetKind.LABELS: OneVsRestHead()},
            TargetKind.INDICATOR,
            TargetKind.INDICATOR,
        ),
    )
}


def _sigmoid_pair(s: np.ndarray) -> np.ndarray:
    """[sigma(-s), sigma(s)], (n, 2), for scores s (n,) that are the logit of the second class."""
    # sigmoid(-s) rather than 1 - sigmoid(s): exact when sigmoid(s) is close to 1
    return np.column_stack([sigmoid(-s), sigmoid(s)])


def _two_class_logit(log_scores: np.ndarray) -> np.ndarray:
    """log_scores[:, 1] - log_scores[:, 0], (n,), for two classes whose probabilities are
    softmax(log_scores): the logit of P(classes_[1])."""
    return log_scores[:, 1] - log_scores[:, 0]


def _per_label_penalty(n_classes: int) -> float:
    # The loss is the mean over the C labels, so (l2 / C) ||W||^2 / 2 leaves each label's column
    # of W the objective of a LogisticRegression(l2=l2) of its own (the same for l1).
    return 1.0 / n_classes


def describe(classes: np.ndarray, limit: int = 10) -> str:
    """The first `limit` class names, comma-separated, with ", ..." when there are more."""
    shown = ", ".join(str(c) for c in classes[:limit])
    return shown + (", ..." if len(classes) > limit else "")
