"""What `cetrain gradcheck` checks, and how to break one loss's gradient on purpose: shared by
the library's tests (tests/teach) and the command's (tests/cli)."""

import itertools

from cetrain.core import losses
from cetrain.core.losses import LOSSES

# What gradcheck covered when it was written: every form of every loss then (a multi-label
# model has only the losses with an elementwise form)
KNOWN_PAIRS = {
    ("logistic", "binary_cross_entropy"),
    ("logistic", "mse"),
    ("logistic", "focal_loss"),
    ("logistic", "binary_hinge"),
    ("logistic", "binary_symmetric_cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
    ("softmax", "softmax_focal_loss"),
    ("softmax", "multiclass_hinge"),
    ("softmax", "symmetric_cross_entropy"),
    ("multilabel", "multilabel_cross_entropy"),
    ("multilabel", "multilabel_focal_loss"),
}
# What it must cover: every (model kind, loss kernel) pair of the loss registry, a loss added
# later included
PAIRS = {(model, loss.name) for spec in LOSSES.values() for model, loss in spec.forms.items()}
assert KNOWN_PAIRS <= PAIRS
ALL_CASES = {
    (model, loss, weighting, block)
    for (model, loss), weighting, block in itertools.product(
        sorted(PAIRS), ["uniform", "weighted"], ["W", "b"]
    )
}


# a broken kernel -> the (model, loss) pairs that use it (multi-label losses run the binary
# kernel on every label)
BROKEN = {
    losses.BinaryCrossEntropy: {
        ("logistic", "binary_cross_entropy"),
        ("multilabel", "multilabel_cross_entropy"),
    },
    losses.BinaryMSE: {("logistic", "mse")},
    losses.CrossEntropy: {("softmax", "cross_entropy")},
    losses.MulticlassMSE: {("softmax", "mse")},
    losses.BinaryFocalLoss: {("logistic", "focal_loss"), ("multilabel", "multilabel_focal_loss")},
    losses.SoftmaxFocalLoss: {("softmax", "softmax_focal_loss")},
    losses.BinaryHinge: {("logistic", "binary_hinge")},
    losses.CrammerSingerHinge: {("softmax", "multiclass_hinge")},
    losses.BinarySymmetricCrossEntropy: {("logistic", "binary_symmetric_cross_entropy")},
    losses.SymmetricCrossEntropy: {("softmax", "symmetric_cross_entropy")},
}


def break_gradient(monkeypatch, loss_class, factor=1.1):
    """Make loss_class.accumulate write factor times the true gradient (the value is unchanged)."""
    original = loss_class.accumulate

    def accumulate(self, scores, target, weight, per_sample=None, work=None):
        total = original(self, scores, target, weight, per_sample, work)
        scores *= factor
        return total

    monkeypatch.setattr(loss_class, "accumulate", accumulate)
