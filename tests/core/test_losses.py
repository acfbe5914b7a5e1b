"""Tests for core.losses: values, reductions, gradients, references, extremes and input errors.

Expected values come from hand arithmetic, from each docstring's formula evaluated with plain
NumPy on moderate scores (the loss_formulas fixture in conftest.py), from scikit-learn's
metrics and from the reference vectors in tests/fixtures/loss_vectors.json.
"""

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import peak_bytes
from sklearn.metrics import brier_score_loss, log_loss

from cetrain.core.links import sigmoid, softmax
from cetrain.core.losses import (
    LOSS_NAMES,
    BinaryCrossEntropy,
    BinaryFocalLoss,
    BinarySymmetricCrossEntropy,
    Loss,
    MultilabelLoss,
    Workspace,
    binary_cross_entropy,
    binary_hinge,
    cross_entropy,
    loss_for,
    mse,
    multilabel_focal_loss,
)
from cetrain.errors import ConfigError, DataError

# tests/fixtures/loss_vectors.json is the committed copy of the shared reference/loss_vectors.json
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "loss_vectors.json"
VECTORS = json.loads(REFERENCE.read_text(encoding="utf-8"))["vectors"]


@dataclass(frozen=True)
class Case:
    loss: Loss
    multiclass: bool
    formula: str  # a key of the loss_formulas fixture


BCE = Case(binary_cross_entropy, False, "binary_cross_entropy")
MSE_1D = Case(mse, False, "binary_mse")
MSE_BINARY = Case(loss_for("mse", "logistic"), False, "binary_mse")
CE = Case(cross_entropy, True, "cross_entropy")
MSE_2D = Case(mse, True, "multiclass_mse")
MSE_MULTICLASS = Case(loss_for("mse", "softmax"), True, "multiclass_mse")

BINARY_MSE_CASES = [
    pytest.param(MSE_1D, id="mse-1d"),
    pytest.param(MSE_BINARY, id="loss_for-mse-binary"),
]
BINARY_CASES = [pytest.param(BCE, id="binary_cross_entropy"), *BINARY_MSE_CASES]
MULTICLASS_MSE_CASES = [
    pytest.param(MSE_2D, id="mse-2d"),
    pytest.param(MSE_MULTICLASS, id="loss_for-mse-multiclass"),
]
MULTICLASS_CASES = [pytest.param(CE, id="cross_entropy"), *MULTICLASS_MSE_CASES]
ALL_CASES = BINARY_CASES + MULTICLASS_CASES
MULTICLASS_CASES_FOR_ERRORS = MULTICLASS_CASES
ALL_CASES_FOR_ERRORS = ALL_CASES


def problem(case: Case, target: str, seed: int = 0):
    """(scores, y, dense targets) with moderate scores; target "labels" or "soft"."""
    rng = np.random.default_rng(seed)
    if not case.multiclass:
        scores = rng.normal(scale=2.0, size=7)
        if target == "labels":
            y = np.array([0, 1, 1, 0, 1, 0, 0])
        else:
            y = np.array([0.0, 1.0, 0.3, 0.75, 0.5, 0.1, 1.0])
        return scores, y, y.astype(float)
    scores = rng.normal(scale=2.0, size=(5, 3))
    if target == "labels":
        y = np.array([0, 2, 1, 2, 0])
        return scores, y, np.eye(3)[y]
    y = rng.dirichlet([1.0, 0.5, 2.0], size=5)
    return scores, y, y


WEIGHTS = {"binary": [0.5, 2.0, 1.0, 0.0, 3.0, 1.5, 0.25], "multiclass": [1.0, 0.5, 3.0, 2.0, 0.0]}


def weights_for(case: Case, weighted: bool):
    if not weighted:
        return None
    return np.array(WEIGHTS["multiclass" if case.multiclass else "binary"])


# --- values by hand ----------------------------------------------------------------------------


def test_binary_cross_entropy_by_hand():
    # l(0, 1) = log 2; l(ln 3, 1) = log(1 + 3) - ln 3 = log(4/3); l(2, 0) = log(1 + e^2)
    out = binary_cross_entropy([0.0, math.log(3), 2.0], [1, 1, 0], reduction="none")
    expected = [math.log(2), math.log(4 / 3), math.log(1 + math.e**2)]
    np.testing.assert_allclose(out, expected, rtol=1e-15)


@pytest.mark.parametrize("case", BINARY_MSE_CASES)
def test_binary_mse_by_hand(case):
    # sigma(0) = 1/2: (1/2 - 1)^2 = 1/4; sigma(ln 3) = 3/4: (3/4 - 0)^2 = 9/16
    out = case.loss([0.0, math.log(3)], [1, 0], reduction="none")
    np.testing.assert_allclose(out, [1 / 4, 9 / 16], rtol=1e-15)


def test_cross_entropy_by_hand():
    # equal scores: -log(1/3); scores log(1, 2, 3): softmax = (1, 2, 3)/6 and -log(3/6) = log 2
    scores = [[0.0, 0.0, 0.0], [0.0, math.log(2), math.log(3)]]
    out = cross_entropy(scores, [1, 2], reduction="none")
    np.testing.assert_allclose(out, [math.log(3), math.log(2)], rtol=1e-15)


@pytest.mark.parametrize("case", MULTICLASS_MSE_CASES)
def test_multiclass_mse_by_hand(case):
    # softmax = (1, 2, 3)/6, label 2: (1/6)^2 + (2/6)^2 + (3/6 - 1)^2 = (1 + 4 + 9)/36 = 14/36;
    # equal scores, label 0: (2/3)^2 + 2 (1/3)^2 = 6/9
    scores = [[0.0, math.log(2), math.log(3)], [0.0, 0.0, 0.0]]
    out = case.loss(scores, [2, 0], reduction="none")
    np.testing.assert_allclose(out, [14 / 36, 6 / 9], rtol=1e-15)


def test_weighted_mean_by_hand():
    # l = (log 2, log 2 + ... ): scores 0 give log 2 for either target; with the target 1 at
    # score ln 3 the loss is log(4/3). Weights (1, 3): (log 2 + 3 log(4/3)) / 4
    value = binary_cross_entropy([0.0, math.log(3)], [0, 1], sample_weight=[1, 3])
    assert value == pytest.approx((math.log(2) + 3 * math.log(4 / 3)) / 4, rel=1e-15)


# --- values and reductions against the docstring formula -------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("target", ["labels", "soft"])
@pytest.mark.parametrize("case", ALL_CASES)
def test_value_and_reductions_match_the_formula(case, target, weighted, loss_formulas):
    scores, y, dense = problem(case, target)
    w = weights_for(case, weighted)
    per_sample = loss_formulas[case.formula](scores, dense)
    w_all = np.ones(len(per_sample)) if w is None else w
    kwargs = {"sample_weight": w}
    np.testing.assert_allclose(
        case.loss(scores, y, reduction="none", **kwargs), w_all * per_sample, rtol=1e-13
    )
    assert case.loss(scores, y, reduction="sum", **kwargs) == pytest.approx(
        np.sum(w_all * per_sample), rel=1e-13
    )
    assert case.loss(scores, y, reduction="mean", **kwargs) == pytest.approx(
        np.sum(w_all * per_sample) / np.sum(w_all), rel=1e-13
    )
    assert case.loss(scores, y, **kwargs) == case.loss(scores, y, reduction="mean", **kwargs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", ALL_CASES)
def test_value_and_grad_agrees_with_call_and_grad(case, reduction):
    scores, y, _ = problem(case, "labels")
    value, grad = case.loss.value_and_grad(scores, y, reduction=reduction)
    np.testing.assert_array_equal(value, case.loss(scores, y, reduction=reduction))
    np.testing.assert_array_equal(grad, case.loss.grad(scores, y, reduction=reduction))
    assert grad.shape == np.shape(scores)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("case", ALL_CASES)
def test_inputs_are_not_modified(case, order):
    # the kernels overwrite their scores in place: they must work on a copy, also when the
    # scores are Fortran-ordered and their transpose (the kernel layout) is already contiguous
    scores, y, _ = problem(case, "soft")
    scores = np.asarray(scores, order=order)
    w = weights_for(case, True)
    copies = scores.copy(), y.copy(), w.copy()
    case.loss.value_and_grad(scores, y, sample_weight=w)
    for before, after in zip(copies, (scores, y, w), strict=True):
        np.testing.assert_array_equal(before, after)


# --- gradients against central finite differences --------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("target", ["labels", "soft"])
@pytest.mark.parametrize("case", ALL_CASES)
def test_gradient_matches_finite_differences(case, target, reduction, weighted, numerical_jacobian):
    scores, y, _ = problem(case, target, seed=1)
    w = weights_for(case, weighted)

    def value(s):
        return case.loss(s, y, sample_weight=w, reduction=reduction)

    numeric = numerical_jacobian(value, scores)
    if reduction == "none":
        # each sample's own derivative d(w_i l_i)/ds_i: the diagonal of the Jacobian
        n = scores.shape[0]
        numeric = numeric[np.arange(n), np.arange(n)]
    grad = case.loss.grad(scores, y, sample_weight=w, reduction=reduction)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


# --- references nobody here wrote --------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_binary_cross_entropy_equals_sklearn_log_loss(weighted):
    rng = np.random.default_rng(2)
    scores = rng.normal(scale=3.0, size=40)
    y = rng.integers(0, 2, size=40)
    w = rng.uniform(0.1, 3.0, size=40) if weighted else None
    expected = log_loss(y, sigmoid(scores), sample_weight=w)
    assert binary_cross_entropy(scores, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_equals_sklearn_log_loss(weighted):
    rng = np.random.default_rng(3)
    scores = rng.normal(scale=3.0, size=(40, 4))
    y = rng.integers(0, 4, size=40)
    w = rng.uniform(0.1, 3.0, size=40) if weighted else None
    expected = log_loss(y, softmax(scores), sample_weight=w, labels=[0, 1, 2, 3])
    assert cross_entropy(scores, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", BINARY_MSE_CASES)
def test_binary_mse_equals_sklearn_brier_score(case, weighted):
    rng = np.random.default_rng(4)
    scores = rng.normal(scale=3.0, size=40)
    y = rng.integers(0, 2, size=40)
    w = rng.uniform(0.1, 3.0, size=40) if weighted else None
    expected = brier_score_loss(y, sigmoid(scores), sample_weight=w)
    assert case.loss(scores, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", MULTICLASS_MSE_CASES)
def test_multiclass_mse_equals_sklearn_brier_score(case, weighted):
    # sklearn's multiclass Brier score: mean over samples of sum_k (p_k - [y = k])^2. With two
    # classes sklearn halves it by default (scale_by_half="auto"), so this uses three.
    rng = np.random.default_rng(5)
    scores = rng.normal(scale=3.0, size=(40, 3))
    y = rng.integers(0, 3, size=40)
    w = rng.uniform(0.1, 3.0, size=40) if weighted else None
    expected = brier_score_loss(y, softmax(scores), sample_weight=w, labels=[0, 1, 2])
    assert case.loss(scores, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)


# The reference vectors that apply to the losses that exist now. Class weights and
# label smoothing are a later issue: their keys are skipped (the label-smoothing vector has no
# unweighted value, so it is left out entirely).
APPLICABLE_KINDS = {
    "cross_entropy_probs",
    "log_loss_labels",
    "binary_elementwise_probs",
    "binary_elementwise_logits",
    "categorical_probs",
    "softmax_ce_scores",
    "binary_scores",
}
REFERENCE_VECTORS = [
    pytest.param(v, id=v["name"])
    for v in VECTORS
    if v["kind"] in APPLICABLE_KINDS and "label_smoothing" not in v
]


def logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def log_probs(p):
    """log p, with log 0 = -inf (a class the prediction rules out)."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype=float))


def test_reference_vectors_cover_every_applicable_kind():
    kinds = {param.values[0]["kind"] for param in REFERENCE_VECTORS}
    assert kinds == APPLICABLE_KINDS
    names = {param.values[0]["name"] for param in REFERENCE_VECTORS}
    assert {"extreme-scores", "softmax-ce-class-weights", "bce-logit-1.5"} <= names


@pytest.mark.parametrize("vector", REFERENCE_VECTORS)
def test_reference_vector(vector):
    kind, rtol = vector["kind"], vector["rtol"]
    checked = 0

    def check(actual, expected):
        nonlocal checked
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0)
        checked += 1

    if kind == "cross_entropy_probs":
        # passing log q as the scores makes softmax(scores) = q
        scores = log_probs([vector["q_pred"]])
        p_true = np.array([vector["p_true"]], dtype=float)
        check(cross_entropy(scores, p_true), vector["expected_nats"])
        check(cross_entropy(scores, np.argmax(p_true, axis=1)), vector["expected_nats"])
        if "expected_bits" in vector:
            check(cross_entropy(scores, p_true) / math.log(2), vector["expected_bits"])
    elif kind == "log_loss_labels":
        order = vector["class_order"]
        labels = np.array([order.index(label) for label in vector["y_true"]])
        proba = np.array(vector["proba"], dtype=float)
        check(cross_entropy(log_probs(proba), labels), vector["expected"])
        if len(order) == 2:
            binary_scores = np.log(proba[:, 1]) - np.log(proba[:, 0])
            check(binary_cross_entropy(binary_scores, labels), vector["expected"])
    elif kind in ("binary_elementwise_probs", "binary_elementwise_logits"):
        y = np.ravel(vector["y_true"])
        if kind == "binary_elementwise_probs":
            scores = logit(np.ravel(vector["y_prob"]))
        else:
            scores = np.ravel(vector["scores"])
        check(
            binary_cross_entropy(scores, y, reduction="none"),
            np.ravel(vector["expected_elementwise"]),
        )
        check(binary_cross_entropy(scores, y), vector["expected_mean"])
        if "expected_sum" in vector:
            check(binary_cross_entropy(scores, y, reduction="sum"), vector["expected_sum"])
        if kind == "binary_elementwise_probs":
            # the vector's note: with row weights (1, 0) a weighted MEAN is row 0's mean loss
            row_weight = np.repeat([1.0, 0.0], np.shape(vector["y_true"])[1])
            check(
                binary_cross_entropy(scores, y, sample_weight=row_weight),
                np.mean(vector["expected_elementwise"][0]),
            )
    elif kind == "categorical_probs":
        scores = log_probs(vector["y_prob"])
        rows = np.array(vector["y_true"], dtype=float)
        check(cross_entropy(scores, rows, reduction="none"), vector["expected_per_row"])
        labels = np.argmax(rows, axis=1)
        check(cross_entropy(scores, labels, reduction="none"), vector["expected_per_row"])
    elif kind == "softmax_ce_scores":
        scores, y = vector["scores"], vector["y"]
        if "expected_none_unweighted" in vector:
            check(cross_entropy(scores, y, reduction="none"), vector["expected_none_unweighted"])
        if "expected_mean_unweighted" in vector:
            check(cross_entropy(scores, y), vector["expected_mean_unweighted"])
        if "class_weight" in vector:
            # PyTorch's class weights are sample weights w_i = class_weight[y_i]: its "mean"
            # divides by their sum, our weighted mean's rule
            w = np.asarray(vector["class_weight"], dtype=float)[y]
            check(cross_entropy(scores, y, sample_weight=w), vector["expected_mean_weighted"])
            check(
                cross_entropy(scores, y, sample_weight=w, reduction="sum"),
                vector["expected_sum_weighted"],
            )
    elif kind == "binary_scores":
        check(binary_cross_entropy(vector["scores"], vector["y"]), vector["expected_mean"])
    assert checked > 0


# --- extreme scores ----------------------------------------------------------------------------


def test_cross_entropy_at_1000_is_exact():
    # logsumexp(1000, 0, -1000) = 1000 (to rounding), minus s_2 = -1000
    assert cross_entropy([[1000.0, 0.0, -1000.0]], [2]) == 2000.0


def test_binary_cross_entropy_at_1e4_is_exact_and_finite():
    value, grad = binary_cross_entropy.value_and_grad(
        [1e4, -1e4, 1e4, -1e4], [0, 1, 1, 0], reduction="none"
    )
    # log(1 + e^s) - y s: confidently wrong costs |s|, confidently right costs e^-|s| -> 0
    np.testing.assert_array_equal(value, [1e4, 1e4, 0.0, 0.0])
    # sigma(s) - y
    np.testing.assert_array_equal(grad, [1.0, -1.0, 0.0, 0.0])


@pytest.mark.parametrize("case", BINARY_MSE_CASES)
def test_binary_mse_at_1e4_is_exact_and_finite(case):
    value, grad = case.loss.value_and_grad([1e4, -1e4, 1e4, -1e4], [0, 1, 1, 0], reduction="none")
    # sigma is exactly 0 or 1: squared errors 1, 1, 0, 0; sigma'(s) = 0 kills the gradient
    np.testing.assert_array_equal(value, [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0, 0.0])


def test_cross_entropy_at_1e4_is_exact_and_finite():
    scores = [[1e4, 0.0, -1e4], [1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]
    value, grad = cross_entropy.value_and_grad(scores, [2, 0, 1], reduction="none")
    # softmax is one-hot on the max: costs s_max - s_y = 2e4, 0, 0
    np.testing.assert_array_equal(value, [2e4, 0.0, 0.0])
    np.testing.assert_array_equal(grad, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("case", MULTICLASS_MSE_CASES)
def test_multiclass_mse_at_1e4_is_exact_and_finite(case):
    scores = [[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]]
    value, grad = case.loss.value_and_grad(scores, [2, 0], reduction="none")
    # p = (1, 0, 0): against label 2 the squared error is 1 + 0 + 1 = 2; against label 0 it is 0.
    # dl/ds_j = 2 p_j (e_j - e . p) is 0: p_j = 0, or e_0 - e . p = e_0 - e_0 = 0.
    np.testing.assert_array_equal(value, [2.0, 0.0])
    np.testing.assert_array_equal(grad, np.zeros((2, 3)))


@pytest.mark.parametrize("case", ALL_CASES)
def test_extreme_scores_give_finite_values_and_gradients(case):
    if case.multiclass:
        scores = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5e3, 5e3, -1e4], [0, 0, 1e4]])
        y = np.array([1, 0, 2, 0])
    else:
        scores = np.array([1e4, -1e4, 5e3, -5e3])
        y = np.array([0, 1, 0.5, 0.5])
    for reduction in ("mean", "sum", "none"):
        value, grad = case.loss.value_and_grad(scores, y, reduction=reduction)
        assert np.all(np.isfinite(value))
        assert np.all(np.isfinite(grad))


# --- invariances -------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_two_class_cross_entropy_is_binary_cross_entropy_of_the_difference(reduction):
    rng = np.random.default_rng(6)
    scores = rng.normal(scale=3.0, size=(9, 2))
    y = rng.integers(0, 2, size=9)
    w = rng.uniform(0.5, 2.0, size=9)
    difference = scores[:, 1] - scores[:, 0]
    value, grad = cross_entropy.value_and_grad(scores, y, sample_weight=w, reduction=reduction)
    b_value, b_grad = binary_cross_entropy.value_and_grad(
        difference, y, sample_weight=w, reduction=reduction
    )
    np.testing.assert_allclose(value, b_value, rtol=1e-13)
    # d/ds_1 = dl/d(difference), d/ds_0 = -dl/d(difference)
    np.testing.assert_allclose(grad, np.column_stack([-b_grad, b_grad]), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("case", MULTICLASS_MSE_CASES)
def test_two_class_mse_is_twice_binary_mse_of_the_difference(case):
    # (p_0 - t_0)^2 + (p_1 - t_1)^2 = 2 (p_1 - t_1)^2 since p_0 - t_0 = -(p_1 - t_1)
    rng = np.random.default_rng(7)
    scores = rng.normal(scale=3.0, size=(9, 2))
    y = rng.integers(0, 2, size=9)
    difference = scores[:, 1] - scores[:, 0]
    binary = loss_for("mse", "logistic")
    np.testing.assert_allclose(
        case.loss(scores, y, reduction="none"),
        2 * binary(difference, y, reduction="none"),
        rtol=1e-12,
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", MULTICLASS_CASES)
def test_one_hot_rows_equal_labels(case, reduction, weighted):
    scores, y, one_hot = problem(case, "labels", seed=8)
    w = weights_for(case, weighted)
    by_label = case.loss.value_and_grad(scores, y, sample_weight=w, reduction=reduction)
    by_row = case.loss.value_and_grad(scores, one_hot, sample_weight=w, reduction=reduction)
    np.testing.assert_allclose(by_row[0], by_label[0], rtol=1e-14)
    np.testing.assert_allclose(by_row[1], by_label[1], rtol=1e-14, atol=1e-17)


def test_rows_summing_to_one_within_tolerance_follow_the_formula(loss_formulas, numerical_jacobian):
    # rows are accepted when they sum to 1 within 1e-6; the docstring's formula, with its
    # sum_k t_k, then applies to the rows as given
    rng = np.random.default_rng(10)
    scores = rng.normal(scale=2.0, size=(4, 3))
    rows = rng.dirichlet([1.0, 1.0, 1.0], size=4) * (1 + 5e-7)
    expected = loss_formulas["cross_entropy"](scores, rows)
    np.testing.assert_allclose(cross_entropy(scores, rows, reduction="none"), expected, rtol=1e-13)
    numeric = numerical_jacobian(lambda s: cross_entropy(s, rows, reduction="sum"), scores)
    np.testing.assert_allclose(
        cross_entropy.grad(scores, rows, reduction="sum"), numeric, rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("case", MULTICLASS_CASES)
def test_integral_float_labels_equal_integer_labels(case):
    scores, y, _ = problem(case, "labels")
    assert case.loss(scores, y.astype(float)) == case.loss(scores, y)


@pytest.mark.parametrize("case", BINARY_CASES)
def test_boolean_binary_targets_equal_zero_one(case):
    scores, y, _ = problem(case, "labels")
    assert case.loss(scores, y.astype(bool)) == case.loss(scores, y)


def test_loss_for_names():
    assert loss_for("cross-entropy", "logistic") is binary_cross_entropy
    assert loss_for("cross-entropy", "softmax") is cross_entropy
    scores = np.array([0.3, -1.2])
    assert loss_for("mse", "logistic")(scores, [1, 0]) == mse(scores, [1, 0])
    message = f"unknown loss 'huber'; use one of: {', '.join(LOSS_NAMES)}"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("huber", "logistic")


# --- curvature bounds the second derivative ----------------------------------------------------
# The module-level `mse` object is left out: it does not define `curvature` (it inherits inf),
# so a bound check on it could not fail. Models use the loss_for objects, which are checked.


def binary_second_derivatives(loss, scores, y, h=1e-5):
    """d^2 l_i / ds_i^2 for every sample, by central differences of the exact gradient."""
    up = loss.grad(scores + h, y, reduction="none")
    down = loss.grad(scores - h, y, reduction="none")
    return (up - down) / (2 * h)


def multiclass_hessian_norms(loss, scores, y, h=1e-5):
    """Spectral norm of each sample's Hessian d^2 l_i / ds_i^2, by central differences."""
    n, n_classes = scores.shape
    hessian = np.empty((n, n_classes, n_classes))
    for j in range(n_classes):
        step = np.zeros(n_classes)
        step[j] = h
        up = loss.grad(scores + step, y, reduction="none")
        down = loss.grad(scores - step, y, reduction="none")
        hessian[:, :, j] = (up - down) / (2 * h)
    hessian = (hessian + hessian.transpose(0, 2, 1)) / 2
    return np.max(np.abs(np.linalg.eigvalsh(hessian)), axis=1)


@pytest.mark.parametrize(
    "loss",
    [binary_cross_entropy, loss_for("mse", "logistic")],
    ids=["binary_cross_entropy", "loss_for-mse-binary"],
)
def test_binary_curvature_bounds_the_second_derivative(loss):
    scores = np.linspace(-20.0, 20.0, 8001)
    largest = 0.0
    for target in (0.0, 0.25, 0.5, 1.0):
        y = np.full(scores.shape, target)
        largest = max(largest, np.max(np.abs(binary_second_derivatives(loss, scores, y))))
    assert largest <= loss.curvature * (1 + 1e-6)
    # and it is the maximum, not a loose bound: the grid comes within (0.005)^2 of its peak
    assert largest >= 0.999 * loss.curvature


@pytest.mark.parametrize(
    "loss",
    [cross_entropy, loss_for("mse", "softmax")],
    ids=["cross_entropy", "loss_for-mse-multiclass"],
)
def test_multiclass_curvature_bounds_the_hessian(loss):
    rng = np.random.default_rng(9)
    largest = 0.0
    for n_classes in (2, 3, 4, 6):
        n = 3000
        scores = rng.normal(size=(n, n_classes)) * rng.choice([0.3, 1.0, 2.0, 5.0], size=(n, 1))
        labels = rng.integers(0, n_classes, size=n)
        rows = rng.dirichlet(np.full(n_classes, 0.3), size=n)
        for y in (labels, rows):
            largest = max(largest, np.max(multiclass_hessian_norms(loss, scores, y)))
    # two classes, scores (0, t) on a fine grid: where both bounds are attained
    t = np.linspace(-20.0, 20.0, 8001)
    grid = np.column_stack([np.zeros_like(t), t])
    for label in (0, 1):
        largest = max(largest, np.max(multiclass_hessian_norms(loss, grid, np.full(t.size, label))))
    assert largest <= loss.curvature * (1 + 1e-6)
    assert largest >= 0.999 * loss.curvature


# --- input errors ------------------------------------------------------------------------------


def raises(message: str):
    """pytest.raises for a DataError whose message is exactly `message`."""
    return pytest.raises(DataError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize("case", ALL_CASES_FOR_ERRORS)
def test_unknown_reduction(case):
    scores, y, _ = problem(case, "labels")
    message = "^unknown reduction 'avg'; use one of: mean, sum, none$"
    with pytest.raises(ConfigError, match=message):
        case.loss(scores, y, reduction="avg")
    with pytest.raises(ConfigError, match=message):
        case.loss.grad(scores, y, reduction="avg")


@pytest.mark.parametrize("case", ALL_CASES_FOR_ERRORS)
@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, 2.0], "sample_weight must have shape ({n},), one weight per sample; got (2,)"),
        ("negative", "sample_weight must be finite and >= 0"),
        ("nan", "sample_weight must be finite and >= 0"),
        ("inf", "sample_weight must be finite and >= 0"),
        ("zeros", "sample_weight must not be all zero"),
    ],
)
def test_bad_sample_weight(case, weights, message):
    scores, y, _ = problem(case, "labels")
    n = scores.shape[0]
    named = {
        "negative": np.r_[-1.0, np.ones(n - 1)],
        "nan": np.r_[np.nan, np.ones(n - 1)],
        "inf": np.r_[np.inf, np.ones(n - 1)],
        "zeros": np.zeros(n),
    }
    w = named[weights] if isinstance(weights, str) else weights
    with raises(message.format(n=n)):
        case.loss(scores, y, sample_weight=w)


# The `mse` object picks its binary or multiclass form by the scores' ndim, so 2-D or 0-D scores
# are multiclass scores to it: see test_mse_picks_its_form_by_the_scores_ndim.
@pytest.mark.parametrize("case", [BINARY_CASES[0], BINARY_CASES[2]])
@pytest.mark.parametrize(("scores", "got"), [([[0.0, 1.0]], "(1, 2)"), ([], "(0,)"), (1.0, "()")])
def test_binary_bad_score_shapes(case, scores, got):
    with raises(f"{case.loss.name} takes scores of shape (n,) with n >= 1; got shape {got}"):
        case.loss(scores, [0, 1])


@pytest.mark.parametrize("case", MULTICLASS_CASES_FOR_ERRORS)
@pytest.mark.parametrize(
    ("scores", "got"),
    [([[0.0], [1.0]], "(2, 1)"), (np.zeros((0, 3)), "(0, 3)"), (np.zeros((2, 2, 2)), "(2, 2, 2)")],
)
def test_multiclass_bad_score_shapes(case, scores, got):
    with raises(
        f"{case.loss.name} takes scores of shape (n, C) with n >= 1 and C >= 2; got shape {got}"
    ):
        case.loss(scores, [0, 1])


def test_mse_picks_its_form_by_the_scores_ndim():
    with raises("mse takes scores of shape (n,) with n >= 1; got shape (0,)"):
        mse([], [])
    with raises("mse takes y of shape (2,), one 0/1 target per score; got (2, 2)"):
        mse([0.0, 1.0], np.eye(2))
    with raises("mse takes scores of shape (n, C) with n >= 1 and C >= 2; got shape (2, 1)"):
        mse([[0.0], [1.0]], [0, 1])


def test_one_dimensional_scores_are_not_multiclass():
    with raises(
        "cross_entropy takes scores of shape (n, C) with n >= 1 and C >= 2; got shape (2,)"
    ):
        cross_entropy([0.0, 1.0], [0, 1])


@pytest.mark.parametrize("case", BINARY_CASES)
def test_binary_bad_targets(case):
    name = case.loss.name
    scores = [0.5, -0.5, 2.0]
    with raises(f"{name} takes y of shape (3,), one 0/1 target per score; got (2,)"):
        case.loss(scores, [0, 1])
    with raises(f"{name} takes y of shape (3,), one 0/1 target per score; got (3, 1)"):
        case.loss(scores, [[0], [1], [1]])
    with raises(f"{name} takes numeric 0/1 targets; got values of type <U3"):
        case.loss(scores, ["yes", "no", "yes"])
    for bad in ([0, 1, 2], [0, -0.5, 1], [0, np.nan, 1]):
        with raises(f"{name} takes targets in [0, 1] (0/1 labels or probabilities)"):
            case.loss(scores, bad)


@pytest.mark.parametrize("case", MULTICLASS_CASES_FOR_ERRORS)
def test_multiclass_bad_labels(case):
    name = case.loss.name
    scores = np.zeros((3, 3))
    for bad in ([0, 1, 3], [0, -1, 2], [0, 1.5, 2]):
        with raises(f"{name} takes integer labels 0..2 for 3 classes"):
            case.loss(scores, bad)
    with raises(f"{name} takes integer labels 0..2; got <U1"):
        case.loss(scores, ["a", "b", "c"])
    with raises(
        f"{name} takes y as labels of shape (3,) or probabilities of shape (3, 3); got (2,)"
    ):
        case.loss(scores, [0, 1])
    with raises(
        f"{name} takes y as labels of shape (3,) or probabilities of shape (3, 3); got (3, 2)"
    ):
        case.loss(scores, np.full((3, 2), 0.5))


@pytest.mark.parametrize("case", MULTICLASS_CASES_FOR_ERRORS)
def test_multiclass_nan_label_is_a_data_error(case):
    with raises(f"{case.loss.name} takes integer labels 0..2 for 3 classes"):
        case.loss(np.zeros((3, 3)), [0, np.nan, 2])


@pytest.mark.parametrize("case", MULTICLASS_CASES_FOR_ERRORS)
def test_multiclass_bad_probability_rows(case):
    name = case.loss.name
    scores = np.zeros((2, 3))
    with raises(f"{name} takes probability rows that sum to 1"):
        case.loss(scores, [[0.5, 0.5, 0.0], [0.5, 0.6, 0.0]])
    with raises(f"{name} takes probability rows that sum to 1"):
        case.loss(scores, [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    # just outside the tolerance of 1e-6 (5e-7 inside is accepted: see
    # test_rows_summing_to_one_within_tolerance_follow_the_formula)
    with raises(f"{name} takes probability rows that sum to 1"):
        case.loss(scores, [[0.5, 0.5 + 2e-6, 0.0], [1.0, 0.0, 0.0]])
    with raises(f"{name} takes probability rows that sum to 1"):
        case.loss(scores, [[0.5, 0.5 - 2e-6, 0.0], [1.0, 0.0, 0.0]])
    with raises(f"{name} takes probability rows with entries >= 0"):
        case.loss(scores, [[-0.5, 1.5, 0.0], [1.0, 0.0, 0.0]])
    with raises(f"{name} takes probability rows with entries >= 0"):
        case.loss(scores, [[np.nan, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_a_sample_of_weight_zero_whose_loss_overflows_counts_for_nothing():
    # scores 3.4e308 apart: that row's cross-entropy is inf, and weight 0 leaves it out rather
    # than making the total inf x 0 = nan; the other row's is log 2
    scores = np.array([[1.7e308, -1.7e308], [0.0, 0.0]])
    with np.errstate(over="ignore"):  # the shift by the row's peak overflows in that row
        total = cross_entropy(scores, [1, 0], sample_weight=[0.0, 1.0], reduction="sum")
    assert total == pytest.approx(np.log(2), rel=1e-15)


# --- the binary and multi-label losses: defaults, options, dtypes ------------------------------
# Each loss object below is made inside its test: the module-level ones are made at import.


def test_binary_losses_made_without_options_have_the_documented_defaults():
    # at s = 0: sigma = 1/2, ce = log 2 for either target
    bce = BinaryCrossEntropy()  # label_smoothing 0: l(ln 3, 1) = log(4/3)
    np.testing.assert_allclose(
        bce([0.0, math.log(3)], [1, 1], reduction="none"), [math.log(2), math.log(4 / 3)]
    )
    # alpha 0.25, gamma 2: alpha_t (1/2)^2 log 2, alpha_t = 0.25 for y = 1 and 0.75 for y = 0
    focal = BinaryFocalLoss()
    np.testing.assert_allclose(
        focal([0.0, 0.0], [1, 0], reduction="none"),
        [0.25 * 0.25 * math.log(2), 0.75 * 0.25 * math.log(2)],
    )
    # alpha 0.1, beta 1, A = -4: 0.1 log 2 + 1 * (-A)(1 - p_t) = 0.1 log 2 + 4 * 1/2
    sce = BinarySymmetricCrossEntropy()
    assert sce([0.0], [1]) == pytest.approx(0.1 * math.log(2) + 2.0, rel=1e-15)


def test_grad_reduces_by_the_mean_unless_told_otherwise():
    # d/ds of the mean of l(0, 1) and l(ln 3, 1): (sigma(s_i) - 1) / 2 = (-1/2, -1/4) / 2
    grad = binary_cross_entropy.grad([0.0, math.log(3)], [1, 1])
    np.testing.assert_allclose(grad, [-0.25, -0.125], rtol=1e-15)


@pytest.mark.parametrize(("alpha", "worst"), [(None, 1.0), (0.25, 0.75), (0.5, 0.5), (0.9, 0.9)])
def test_focal_curvature_is_the_larger_class_factor_times_a_quarter_for_gamma_0(alpha, worst):
    # gamma 0: l = alpha_t ce, whose second derivative alpha_t sigma'(s) peaks at alpha_t / 4;
    # the bound keeps a margin of 1e-6
    loss = BinaryFocalLoss(alpha=alpha, gamma=0.0)
    assert loss.curvature == pytest.approx(worst / 4, rel=2e-6)
    assert loss.curvature >= worst / 4


def sce_peak(a: float, b: float) -> float:
    """max over s of |a sigma'(s) + b sigma''(s)| on a grid of step 1e-4 (sigma'' = sigma'
    (1 - 2 sigma)): the binary symmetric cross-entropy's largest second derivative."""
    s = np.linspace(-30.0, 30.0, 600_001)
    sig = 1.0 / (1.0 + np.exp(-s))
    slope = sig * (1.0 - sig)
    return float(np.max(np.abs(a * slope + b * slope * (1.0 - 2.0 * sig))))


@pytest.mark.parametrize(
    "options",
    [
        {},  # the defaults: alpha 0.1, beta |A| = 4
        {"alpha": 0.1, "beta": 0.25},  # beta |A| = 1
        {"alpha": 2.0, "beta": 0.0},  # alpha sigma' alone: alpha / 4
        {"alpha": 1.0, "beta": 0.1, "log_zero": -1.0},  # alpha > beta |A|
        {"alpha": 3.0, "beta": 1.0, "log_zero": -2.0},
        {"alpha": 0.0, "beta": 1.0, "log_zero": -2.0},  # beta sigma'' alone
    ],
    ids=["defaults", "beta-A-1", "beta-0", "alpha-larger", "alpha-3", "alpha-0"],
)
def test_symmetric_cross_entropy_curvature_is_its_largest_second_derivative(options):
    loss = BinarySymmetricCrossEntropy(**options)
    alpha, beta = options.get("alpha", 0.1), options.get("beta", 1.0)
    log_zero = options.get("log_zero", -4.0)
    # the bound's second derivative is alpha sigma' + beta sigma'' (L(1 - y) - L(y)), and
    # |L(1 - y) - L(y)| <= |A|, attained at 0/1 targets
    assert loss.curvature == pytest.approx(sce_peak(alpha, beta * -log_zero), rel=1e-7)


def test_sample_weights_in_single_precision_give_the_exact_weighted_mean():
    # weights (1, 1, 1) as float32: the mean divides by 3 in float64, not float32
    scores, y = [0.0, math.log(3), 2.0], [0, 1, 0]
    expected = (math.log(2) + math.log(4 / 3) + math.log(1 + math.e**2)) / 3
    value = binary_cross_entropy(scores, y, sample_weight=np.ones(3, dtype=np.float32))
    assert value == pytest.approx(expected, rel=1e-15)


def test_scores_of_any_numeric_dtype_are_computed_in_float64():
    # integers, and float32 scores (taken at their exact value, not rounded again in float32)
    s32 = np.array([0.3, -1.7], dtype=np.float32)
    a, b = float(s32[0]), float(s32[1])  # exact: float32 values are float64 values
    expected = [math.log1p(math.exp(a)) - a, math.log1p(math.exp(b))]  # targets 1 and 0
    np.testing.assert_allclose(
        binary_cross_entropy(s32, [1, 0], reduction="none"), expected, rtol=1e-15
    )
    np.testing.assert_allclose(
        binary_cross_entropy([0, 2], [1, 0], reduction="none"),
        [math.log(2), math.log(1 + math.e**2)],
        rtol=1e-15,
    )
    np.testing.assert_allclose(
        multilabel_focal_loss.configured(alpha=None, gamma=0.0)(
            [[0, 2]], [[1, 0]], reduction="none"
        ),
        [[math.log(2), math.log(1 + math.e**2)]],
        rtol=1e-15,
    )
    np.testing.assert_allclose(
        multilabel_focal_loss.configured(alpha=None, gamma=0.0)(
            s32[None, :], [[1, 0]], reduction="none"
        ),
        [expected],
        rtol=1e-15,
    )


def test_a_float32_weighted_total_keeps_its_precision_over_many_samples():
    # the training loop's kernel on float32 scores: 200,000 samples of loss log 2 (s = 0,
    # y = 1) and weight 0.7 total 200,000 * 0.7 log 2, to float32's own rounding of the terms,
    # not drifting with n as a running float32 sum does
    n = 200_000
    scores = np.zeros(n, dtype=np.float32)
    total = binary_cross_entropy.accumulate(
        scores, np.ones(n, dtype=np.float32), np.full(n, 0.7, dtype=np.float32)
    )
    assert total == pytest.approx(n * 0.7 * math.log(2), rel=1e-6)


def test_multilabel_input_errors_name_the_loss():
    loss = loss_for("cross-entropy", "multilabel", label_smoothing=0.1)
    name = "multilabel_cross_entropy"
    for shape in [(0, 2), (2, 0), (2,)]:
        with raises(
            f"{name} takes scores of shape (n, C) with n >= 1 and C >= 1; got shape {shape}"
        ):
            loss(np.zeros(shape), np.zeros(shape))
    with raises(f"{name} takes numeric targets in [0, 1]; got values of type <U1"):
        loss(np.zeros((2, 2)), [["a", "b"], ["c", "d"]])
    with raises(f"{name} takes y of shape (2, 2), one target in [0, 1] per score; got (2,)"):
        loss(np.zeros((2, 2)), [0, 1])
    with raises(f"{name} takes targets in [0, 1] (0/1 labels or probabilities)"):
        loss(np.zeros((1, 2)), [[0.0, 1.5]])


def test_multilabel_targets_may_be_booleans():
    scores = np.array([[0.5, -1.0], [2.0, 0.0]])
    y = np.array([[1, 0], [0, 1]])
    for loss in (loss_for("cross-entropy", "multilabel"), loss_for("focal", "multilabel")):
        assert loss(scores, y.astype(bool)) == loss(scores, y)


def test_multilabel_losses_are_smooth_as_their_element():
    assert loss_for("focal", "multilabel", gamma=1.0).smooth is True
    assert MultilabelLoss(binary_hinge, "multilabel_hinge").smooth is False


def test_a_workspace_keeps_zeros_of_each_dtype_apart():
    work = Workspace()
    single, double = work.zeros(3, np.dtype(np.float32)), work.zeros(3, np.dtype(np.float64))
    assert single.dtype == np.float32 and double.dtype == np.float64
    np.testing.assert_array_equal(single, 0.0)
    np.testing.assert_array_equal(double, 0.0)


def test_the_binary_kernel_allocates_nothing_of_the_datas_size_with_a_workspace():
    # the training loop's second call on a block reuses the workspace's scratch arrays, and the
    # float64 weighted total is a dot product (no array of products): under n bytes in all,
    # where one float64 array of the block would take 8 n
    n = 20_000
    rng = np.random.default_rng(11)
    scores, target = rng.normal(size=n), rng.integers(0, 2, size=n).astype(float)
    weight, work = rng.uniform(size=n), Workspace()
    binary_cross_entropy.accumulate(scores.copy(), target, weight, work=work)
    scores = scores.copy()
    peak = peak_bytes(lambda: binary_cross_entropy.accumulate(scores, target, weight, work=work))
    assert peak < n


def test_the_multilabel_kernel_works_in_float32_for_float32_scores():
    # float32 training halves the memory: every (C, n) array of the kernel is float32, so a
    # call on float32 scores holds half what the same call on float64 scores does (a float64
    # array of losses alone would take it to 0.9)
    loss = loss_for("cross-entropy", "multilabel")
    rng = np.random.default_rng(12)
    scores, target = rng.normal(size=(3, 5000)), rng.integers(0, 2, size=(3, 5000)).astype(float)
    weight = rng.uniform(size=5000)
    peaks = {
        dtype: peak_bytes(
            lambda dtype=dtype: loss.accumulate(
                scores.astype(dtype), target.astype(dtype), weight.astype(dtype)
            )
        )
        for dtype in (np.float64, np.float32)
    }
    assert peaks[np.float32] < 0.6 * peaks[np.float64]


def test_binary_sample_multiplier_is_each_labels_class_weight_and_checks_y():
    # a method of Loss's API that a caller may use before prepare_target: it checks y itself
    loss = binary_cross_entropy.configured(class_weight=(1.0, 2.0))
    np.testing.assert_array_equal(loss.sample_multiplier([1, 0, 1], (3,)), [2.0, 1.0, 2.0])
    assert binary_cross_entropy.sample_multiplier([1, 0], (2,)) is None  # no class weights
    with pytest.raises(DataError) as caught:
        loss.sample_multiplier([2.0], (1,))
    assert str(caught.value) == (
        "binary_cross_entropy takes targets in [0, 1] (0/1 labels or probabilities)"
    )
    with pytest.raises(DataError) as caught:
        loss.sample_multiplier([0.5], (1,))
    assert str(caught.value) == (
        "binary_cross_entropy with class_weight takes 0/1 targets, not probabilities"
    )
