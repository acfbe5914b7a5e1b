"""Tests for core.heads: the target kinds, the model kinds and their heads, and each head's
probabilities, predictions, targets and checks against formulas written out with np.exp."""

import json
import re

import numpy as np
import pytest

from cetrain.core.heads import (
    MODEL_KINDS,
    BinaryHead,
    Head,
    ModelKind,
    MultiLabelHead,
    OneVsRestHead,
    SoftmaxHead,
    TargetKind,
    describe,
)
from cetrain.errors import DataError

# linear scores S = X W + b of 4 rows: (n, 1) for the binary head, (n, 3) for the others
S_BINARY = np.array([[-2.0], [0.0], [1.5], [3.0]])
S = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 0.0], [-0.5, -3.0, -1.0]])
CLASSES = np.array(["a", "b", "c"])


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def sigmoid_formula(s):
    return 1.0 / (1.0 + np.exp(-s))


# --- TargetKind --------------------------------------------------------------------------------


def test_target_kind_values():
    assert [kind.value for kind in TargetKind] == ["labels", "probabilities", "indicator"]
    assert TargetKind("indicator") is TargetKind.INDICATOR


@pytest.mark.parametrize("kind", list(TargetKind))
def test_target_kind_is_a_plain_string(kind):
    assert isinstance(kind, str)
    assert kind == kind.value
    assert json.dumps(kind) == f'"{kind.value}"'
    assert f"{kind}" == kind.value


def test_target_kinds_in_json():
    assert json.dumps({"target": TargetKind.PROBABILITIES}) == '{"target": "probabilities"}'


# --- MODEL_KINDS -------------------------------------------------------------------------------


def test_model_kind_names():
    assert list(MODEL_KINDS) == ["logistic", "softmax", "multilabel"]
    assert [kind.name for kind in MODEL_KINDS.values()] == ["logistic", "softmax", "multilabel"]


@pytest.mark.parametrize(
    "name, heads, columns",
    [
        ("logistic", {TargetKind.LABELS: BinaryHead}, None),
        (
            "softmax",
            {TargetKind.LABELS: SoftmaxHead, TargetKind.PROBABILITIES: SoftmaxHead},
            TargetKind.PROBABILITIES,
        ),
        (
            "multilabel",
            {TargetKind.INDICATOR: MultiLabelHead, TargetKind.LABELS: OneVsRestHead},
            TargetKind.INDICATOR,
        ),
    ],
)
def test_model_kind_heads_and_columns(name, heads, columns):
    kind = MODEL_KINDS[name]
    assert {target: type(head) for target, head in kind.heads.items()} == heads
    assert kind.columns is columns
    for target, head_type in heads.items():
        assert type(kind.head(target)) is head_type


def test_softmax_labels_and_probabilities_share_one_head():
    kind = MODEL_KINDS["softmax"]
    assert kind.head(TargetKind.LABELS) is kind.head(TargetKind.PROBABILITIES)


@pytest.mark.parametrize(
    "name, target, message",
    [
        (
            "logistic",
            TargetKind.PROBABILITIES,
            "a logistic model is fit on labels, not probabilities",
        ),
        ("logistic", TargetKind.INDICATOR, "a logistic model is fit on labels, not indicator"),
        (
            "softmax",
            TargetKind.INDICATOR,
            "a softmax model is fit on labels or probabilities, not indicator",
        ),
        (
            "multilabel",
            TargetKind.PROBABILITIES,
            "a multilabel model is fit on indicator or labels, not probabilities",
        ),
    ],
)
def test_model_kind_refuses_a_target_it_cannot_fit(name, target, message):
    with pytest.raises(DataError, match=exactly(message)):
        MODEL_KINDS[name].head(target)


def test_a_model_kind_of_ones_own():
    kind = ModelKind("mine", {TargetKind.LABELS: SoftmaxHead()}, TargetKind.LABELS, None)
    with pytest.raises(DataError, match=exactly("a mine model is fit on labels, not indicator")):
        kind.head(TargetKind.INDICATOR)


# --- the attributes of each head ---------------------------------------------------------------


@pytest.mark.parametrize(
    "head, form, log_loss_form, takes_class_weight, predicts_label_sets, n_classes",
    [
        (BinaryHead(), "logistic", "logistic", True, False, 2),
        (SoftmaxHead(), "softmax", "softmax", True, False, None),
        (MultiLabelHead(), "multilabel", "multilabel", False, True, None),
        (OneVsRestHead(), "multilabel", "softmax", True, False, None),
    ],
)
def test_head_attributes(
    head, form, log_loss_form, takes_class_weight, predicts_label_sets, n_classes
):
    assert head.form == form
    assert head.log_loss_form == log_loss_form
    assert head.takes_class_weight is takes_class_weight
    assert head.predicts_label_sets is predicts_label_sets
    assert head.n_classes == n_classes
    assert isinstance(head, Head)


@pytest.mark.parametrize(
    "head, description",
    [
        (BinaryHead(), "one sigmoid output"),
        (SoftmaxHead(), "softmax"),
        (MultiLabelHead(), "one sigmoid per label"),
        (OneVsRestHead(), "one-vs-rest sigmoids"),
    ],
)
def test_head_description(head, description):
    assert head.description == description


@pytest.mark.parametrize(
    "head, n_classes, n_outputs",
    [
        (BinaryHead(), 2, 1),
        (SoftmaxHead(), 2, 2),
        (SoftmaxHead(), 5, 5),
        (MultiLabelHead(), 3, 3),
        (OneVsRestHead(), 4, 4),
    ],
)
def test_n_outputs(head, n_classes, n_outputs):
    assert head.n_outputs(n_classes) == n_outputs


@pytest.mark.parametrize(
    "head, n, n_classes, shape",
    [
        (BinaryHead(), 4, 2, (4,)),
        (SoftmaxHead(), 4, 3, (4, 3)),
        (MultiLabelHead(), 7, 2, (7, 2)),
        (OneVsRestHead(), 1, 5, (1, 5)),
    ],
)
def test_loss_shape(head, n, n_classes, shape):
    assert head.loss_shape(n, n_classes) == shape


# --- BinaryHead --------------------------------------------------------------------------------


def test_binary_scores_are_the_one_column():
    scores = BinaryHead().scores(S_BINARY)
    assert scores.shape == (4,)
    np.testing.assert_array_equal(scores, [-2.0, 0.0, 1.5, 3.0])


def test_binary_probabilities_match_the_formula():
    s = S_BINARY[:, 0]
    expected = np.column_stack([1.0 / (1.0 + np.exp(s)), 1.0 / (1.0 + np.exp(-s))])
    probabilities = BinaryHead().probabilities(s)
    assert probabilities.shape == (4, 2)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-15)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-15)


def test_binary_probabilities_by_hand():
    # sigma(ln 3) = 3/4, sigma(-ln 3) = 1/4, sigma(0) = 1/2
    probabilities = BinaryHead().probabilities(np.array([np.log(3), 0.0]))
    np.testing.assert_allclose(probabilities, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-15)


def test_binary_predicts_by_the_sign_with_zero_the_first_class():
    predicted = BinaryHead().predict(S_BINARY[:, 0], np.array(["no", "yes"]))
    np.testing.assert_array_equal(predicted, ["no", "no", "yes", "yes"])
    # the threshold is 0, not 1: a small positive score is the second class
    predicted = BinaryHead().predict(np.array([0.5, -0.5, 1e-300]), np.array(["no", "yes"]))
    np.testing.assert_array_equal(predicted, ["yes", "no", "yes"])


def test_binary_loss_targets_are_float_zeros_and_ones():
    targets = BinaryHead().loss_targets(np.array([0, 1, 1, 0]), 2)
    assert targets.dtype == np.float64
    np.testing.assert_array_equal(targets, [0.0, 1.0, 1.0, 0.0])


def test_binary_truth_and_correct():
    truth = BinaryHead().truth(np.array([0, 0, 1, 0]))
    np.testing.assert_array_equal(truth, [0, 0, 1, 0])
    # scores -2, 0, 1.5, 3 predict 0, 0, 1, 1
    np.testing.assert_array_equal(
        BinaryHead().correct(S_BINARY[:, 0], truth), [True, True, True, False]
    )
    # 0.5 predicts class 1, -0.5 class 0
    np.testing.assert_array_equal(
        BinaryHead().correct(np.array([0.5, 0.5, -0.5]), np.array([1, 0, 1])),
        [True, False, False],
    )


def test_binary_keeps_the_initial_weights_and_log_loss_scores():
    W = np.array([[0.5], [-1.0]])
    np.testing.assert_array_equal(BinaryHead().initial_weights(W), [[0.5], [-1.0]])
    np.testing.assert_array_equal(BinaryHead().log_loss_scores(np.array([1.0, -2.0])), [1.0, -2.0])


# --- SoftmaxHead -------------------------------------------------------------------------------


def test_softmax_scores_are_unchanged():
    np.testing.assert_array_equal(SoftmaxHead().scores(S), S)


def test_softmax_probabilities_match_the_formula():
    expected = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    probabilities = SoftmaxHead().probabilities(S)
    assert probabilities.shape == (4, 3)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-14)


def test_softmax_probabilities_by_hand():
    # exp(log k) = k: (1, 2, 3) / 6
    probabilities = SoftmaxHead().probabilities(np.log([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(probabilities, [[1 / 6, 2 / 6, 3 / 6]], rtol=1e-15)


def test_softmax_predicts_the_argmax_first_on_a_tie():
    # row 3 ties a and b at 2.0: the first wins
    np.testing.assert_array_equal(SoftmaxHead().predict(S, CLASSES), ["b", "c", "a", "a"])


@pytest.mark.parametrize(
    "encoded",
    [np.array([0, 2, 1, 0]), np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])],
    ids=["labels", "probabilities"],
)
def test_softmax_loss_targets_are_unchanged(encoded):
    np.testing.assert_array_equal(SoftmaxHead().loss_targets(encoded, 3), encoded)


def test_softmax_truth_of_labels_and_of_probability_rows():
    np.testing.assert_array_equal(SoftmaxHead().truth(np.array([1, 2, 0])), [1, 2, 0])
    rows = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    np.testing.assert_array_equal(SoftmaxHead().truth(rows), [1, 0, 2])


def test_softmax_correct():
    # predictions 1, 2, 0, 0
    np.testing.assert_array_equal(
        SoftmaxHead().correct(S, np.array([1, 2, 1, 0])), [True, True, False, True]
    )


def test_softmax_centres_the_initial_weights_across_classes():
    W = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 9.0]])
    centred = SoftmaxHead().initial_weights(W)
    # each feature's row across the classes has its own mean: 2 and 3
    np.testing.assert_allclose(centred, [[-1.0, 0.0, 1.0], [-3.0, -3.0, 6.0]], rtol=1e-15)
    np.testing.assert_allclose(centred.sum(axis=1), [0.0, 0.0], atol=1e-15)


def test_softmax_log_loss_scores_are_unchanged():
    np.testing.assert_array_equal(SoftmaxHead().log_loss_scores(S), S)


# --- MultiLabelHead ----------------------------------------------------------------------------


def test_multilabel_probabilities_are_independent_sigmoids():
    probabilities = MultiLabelHead().probabilities(S)
    np.testing.assert_allclose(probabilities, 1.0 / (1.0 + np.exp(-S)), rtol=1e-15)
    # independent: the rows do not sum to 1 (row 0: about 0.73 + 0.88 + 0.62)
    assert probabilities[0].sum() > 2.0


def test_multilabel_predicts_zero_one_columns():
    predicted = MultiLabelHead().predict(S, CLASSES)
    assert predicted.dtype == np.int64
    np.testing.assert_array_equal(predicted, [[1, 1, 1], [0, 0, 1], [1, 1, 0], [0, 0, 0]])


def test_multilabel_loss_targets_are_unchanged():
    indicator = np.array([[1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(MultiLabelHead().loss_targets(indicator, 3), indicator)


def test_multilabel_truth_is_at_least_a_half():
    encoded = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.4999]])
    np.testing.assert_array_equal(
        MultiLabelHead().truth(encoded), [[True, False, True], [False, True, False]]
    )


def test_multilabel_correct_needs_every_column():
    truth = np.array(
        [[True, True, True], [False, False, True], [True, True, True], [False, False, False]]
    )
    # row 2 predicts (1, 1, 0): one column wrong
    np.testing.assert_array_equal(MultiLabelHead().correct(S, truth), [True, True, False, True])


def test_multilabel_keeps_the_initial_weights():
    W = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(MultiLabelHead().initial_weights(W), [[1.0, 2.0, 3.0]])


def test_multilabel_log_loss_scores_are_unchanged():
    np.testing.assert_array_equal(MultiLabelHead().log_loss_scores(S), S)


# --- OneVsRestHead -----------------------------------------------------------------------------


def test_one_vs_rest_probabilities_are_normalised_sigmoids():
    sig = 1.0 / (1.0 + np.exp(-S))
    expected = sig / sig.sum(axis=1, keepdims=True)
    probabilities = OneVsRestHead().probabilities(S)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-14)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-15)


def test_one_vs_rest_probabilities_by_hand():
    # sigma(ln 3) = 3/4 and sigma(0) = 1/2: (3/4, 1/2) / (5/4) = (3/5, 2/5)
    probabilities = OneVsRestHead().probabilities(np.array([[np.log(3), 0.0]]))
    np.testing.assert_allclose(probabilities, [[0.6, 0.4]], rtol=1e-15)


def test_one_vs_rest_log_loss_scores_are_log_sigmoids():
    log_sig = np.log(1.0 / (1.0 + np.exp(-S)))
    scores = OneVsRestHead().log_loss_scores(S)
    np.testing.assert_allclose(scores, log_sig, rtol=1e-14)
    # their softmax is the normalised sigmoids
    softmax_of_them = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    sig = 1.0 / (1.0 + np.exp(-S))
    np.testing.assert_allclose(softmax_of_them, sig / sig.sum(axis=1, keepdims=True), rtol=1e-14)


def test_one_vs_rest_predicts_the_argmax():
    np.testing.assert_array_equal(OneVsRestHead().predict(S, CLASSES), ["b", "c", "a", "a"])


def test_one_vs_rest_loss_targets_are_one_hot_rows():
    targets = OneVsRestHead().loss_targets(np.array([2, 0, 1, 2]), 3)
    np.testing.assert_array_equal(
        targets, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    )
    assert targets.dtype == np.float64


def test_one_vs_rest_truth_and_correct():
    truth = OneVsRestHead().truth(np.array([1, 1, 0, 1]))
    np.testing.assert_array_equal(truth, [1, 1, 0, 1])
    np.testing.assert_array_equal(OneVsRestHead().correct(S, truth), [True, False, True, False])


def test_one_vs_rest_keeps_the_initial_weights():
    W = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(OneVsRestHead().initial_weights(W), [[1.0, 2.0, 3.0]])


# --- decision_function and the penalty --------------------------------------------------------

S2 = S[:, :2]  # two classes' scores


def test_decision_is_one_column_for_two_classes_the_logit_of_the_second():
    np.testing.assert_array_equal(BinaryHead().decision(S_BINARY[:, 0]), S_BINARY[:, 0])
    np.testing.assert_array_equal(SoftmaxHead().decision(S2), S2[:, 1] - S2[:, 0])
    log_sigmoid = np.log(sigmoid_formula(S2))
    np.testing.assert_allclose(
        OneVsRestHead().decision(S2), log_sigmoid[:, 1] - log_sigmoid[:, 0], rtol=1e-12
    )
    # label columns are independent: each keeps its own score
    np.testing.assert_array_equal(MultiLabelHead().decision(S2), S2)


@pytest.mark.parametrize("head", [SoftmaxHead(), MultiLabelHead(), OneVsRestHead()])
def test_decision_keeps_the_scores_of_more_classes(head):
    np.testing.assert_array_equal(head.decision(S), S)


@pytest.mark.parametrize(
    ("head", "scores"),
    [
        (BinaryHead(), S_BINARY[:, 0]),
        (SoftmaxHead(), S2),
        (SoftmaxHead(), S),
        (MultiLabelHead(), S2),
        (OneVsRestHead(), S2),
        (OneVsRestHead(), S),
    ],
)
def test_probabilities_from_the_decision_are_the_heads(head, scores):
    decision = head.decision(scores)
    proba = head.probabilities(scores)
    np.testing.assert_allclose(head.decision_probabilities(decision), proba, rtol=1e-12)
    if decision.ndim == 1:  # the logit of P(classes_[1])
        np.testing.assert_allclose(decision, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-12)


@pytest.mark.parametrize(
    ("head", "scale"),
    [(BinaryHead(), 1.0), (SoftmaxHead(), 1.0), (MultiLabelHead(), 0.25), (OneVsRestHead(), 0.25)],
)
def test_the_penalty_of_independent_sigmoids_is_per_label(head, scale):
    # their loss is the mean over the 4 labels, so the penalty is divided by 4 as well
    assert head.penalty_scale(4) == scale


# --- check_classes -----------------------------------------------------------------------------


@pytest.mark.parametrize("head", [BinaryHead(), SoftmaxHead(), OneVsRestHead()])
def test_a_classifier_needs_two_classes(head):
    message = "a classifier needs at least 2 classes; got 1 class (only)"
    with pytest.raises(DataError, match=exactly(message)):
        head.check_classes(np.array(["only"]))
    message = "a classifier needs at least 2 classes; got no class"
    with pytest.raises(DataError, match=exactly(message)):
        head.check_classes(np.array([], dtype=str))


@pytest.mark.parametrize(
    "classes, message",
    [
        (
            np.array(["a", "b", "c"]),
            "Only binary classification is supported. Logistic regression needs exactly 2 "
            "classes; the labels have 3 (a, b, c); use softmax regression for more",
        ),
        (
            np.arange(12),
            "Only binary classification is supported. Logistic regression needs exactly 2 "
            "classes; the labels have 12 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...); use softmax "
            "regression for more",
        ),
    ],
)
def test_binary_head_needs_exactly_two_classes(classes, message):
    with pytest.raises(DataError, match=exactly(message)):
        BinaryHead().check_classes(classes)


@pytest.mark.parametrize(
    "head, classes",
    [
        (BinaryHead(), np.array(["no", "yes"])),
        (SoftmaxHead(), np.array(["a", "b", "c"])),
        (SoftmaxHead(), np.array([0, 1])),
        (OneVsRestHead(), np.arange(4)),
        (MultiLabelHead(), np.array(["x", "y"])),
        (MultiLabelHead(), np.array(["x"])),  # at least 2 label columns is checked with the target
    ],
)
def test_check_classes_accepts(head, classes):
    assert head.check_classes(classes) is None


# --- extreme scores ----------------------------------------------------------------------------


def test_binary_extreme_scores():
    probabilities = BinaryHead().probabilities(np.array([1000.0, -1000.0]))
    np.testing.assert_array_equal(probabilities, [[0.0, 1.0], [1.0, 0.0]])


def test_softmax_extreme_scores():
    S_extreme = np.array(
        [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]]
    )
    probabilities = SoftmaxHead().probabilities(S_extreme)
    np.testing.assert_array_equal(probabilities[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(probabilities[1], [1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    np.testing.assert_array_equal(probabilities[2], [0.5, 0.5, 0.0])


def test_multilabel_extreme_scores():
    probabilities = MultiLabelHead().probabilities(np.array([[1000.0, -1000.0]]))
    np.testing.assert_array_equal(probabilities, [[1.0, 0.0]])


def test_one_vs_rest_extreme_scores():
    S_extreme = np.array([[1000.0, -1000.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    head = OneVsRestHead()
    # sigma(-1000) underflows to 0, so the sigmoids' own ratio would be 0/0 on row 1; the limit
    # of (e^-1000, e^-1000, e^-1000) normalised is a third each
    probabilities = head.probabilities(S_extreme)
    np.testing.assert_array_equal(probabilities[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(probabilities[1], [1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    # log sigma(1000) = 0 and log sigma(-1000) = -1000, to double precision
    np.testing.assert_array_equal(head.log_loss_scores(S_extreme[:1]), [[0.0, -1000.0, -1000.0]])


@pytest.mark.parametrize("head", [BinaryHead(), SoftmaxHead(), MultiLabelHead(), OneVsRestHead()])
def test_extreme_scores_stay_finite(head):
    S_extreme = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0]])
    scores = head.scores(S_extreme)
    assert np.all(np.isfinite(head.probabilities(scores)))
    assert np.all(np.isfinite(head.log_loss_scores(scores)))


# --- describe ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "classes, limit, text",
    [
        (np.array(["a", "b"]), 10, "a, b"),
        (np.arange(10), 10, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9"),
        (np.arange(11), 10, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ..."),
        (np.arange(100), 10, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ..."),
        (np.array(["a", "b", "c"]), 2, "a, b, ..."),
        (np.array([0.5, 1.0]), 10, "0.5, 1.0"),
        (np.array([]), 10, ""),
    ],
)
def test_describe(classes, limit, text):
    assert describe(classes, limit=limit) == text
