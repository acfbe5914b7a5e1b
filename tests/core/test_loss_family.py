"""Tests for the cross-entropy family in core.losses: options, class weights, label smoothing,
focal loss, hinge loss, symmetric cross-entropy and the multilabel losses.

Expected values come from references nobody here wrote: fixtures/loss_vectors.json, and PyTorch's
cross-entropy (as ATen's LossNLL.cpp computes it), torchvision's sigmoid_focal_loss, the symmetric
cross-entropy authors' code and Keras's label smoothing, each transcribed line by line as plain
NumPy in conftest.py; sklearn.metrics.hinge_loss is called. Gradients are checked by central
finite differences.
"""

import json
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    bce_formula,
    binary_hinge_formula,
    binary_sce_formula,
    central_jacobian,
    crammer_singer_formula,
    cross_entropy_formula,
    focal_formula,
    multiclass_mse_formula,
    pytorch_cross_entropy,
    sce_formula,
    smoothed_bce_formula,
    softmax_focal_formula,
    softmax_formula,
)
from sklearn.metrics import hinge_loss
from test_losses import binary_second_derivatives, multiclass_hessian_norms

from cetrain.core.losses import (
    FOCAL_GAMMA,
    LABEL_SMOOTHING,
    LOSS_NAMES,
    SCE_ALPHA,
    SCE_BETA,
    SCE_LOG_ZERO,
    CrossEntropy,
    Loss,
    SoftmaxFocalLoss,
    SymmetricCrossEntropy,
    binary_cross_entropy,
    binary_hinge,
    binary_mse,
    binary_symmetric_cross_entropy,
    cross_entropy,
    focal_loss,
    loss_for,
    mse,
    multiclass_hinge,
    multiclass_mse,
    multilabel_cross_entropy,
    multilabel_focal_loss,
    softmax_focal_loss,
    symmetric_cross_entropy,
)
from cetrain.errors import ConfigError, DataError

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "loss_vectors.json"
VECTORS = {v["name"]: v for v in json.loads(REFERENCE.read_text(encoding="utf-8"))["vectors"]}
LOG_1E_4 = math.log(1e-4)  # the authors' code's A: it clips the one-hot target at 1e-4


def smoothed_ce_formula(S, T, label_smoothing):
    """cross-entropy against (1 - eps) T + eps/C (PyTorch's label_smoothing)."""
    return cross_entropy_formula(S, T * (1 - label_smoothing) + label_smoothing / S.shape[1])


@dataclass(frozen=True)
class Case:
    loss: Loss
    kind: str  # "binary", "softmax" or "multilabel"
    formula: Callable | None  # per sample (per element for multilabel), or None
    options: dict = field(default_factory=dict)
    targets: tuple[str, ...] = ("labels", "soft")


def make_case(loss, kind, formula, targets=("labels", "soft"), **options):
    configured = loss.configured(**options) if options else loss
    label = ",".join(f"{key}={value}" for key, value in options.items())
    return pytest.param(
        Case(configured, kind, formula, options, targets), id=f"{loss.name}[{label}]"
    )


VALUE_CASES = [
    make_case(binary_cross_entropy, "binary", smoothed_bce_formula, label_smoothing=0.2),
    make_case(focal_loss, "binary", focal_formula),
    make_case(focal_loss, "binary", focal_formula, alpha=None, gamma=0.0),
    make_case(focal_loss, "binary", focal_formula, alpha=0.7, gamma=0.5),
    make_case(focal_loss, "binary", focal_formula, alpha=None, gamma=1.0),
    make_case(focal_loss, "binary", focal_formula, alpha=0.25, gamma=5.0),
    make_case(binary_hinge, "binary", binary_hinge_formula, targets=("labels",)),
    make_case(binary_symmetric_cross_entropy, "binary", binary_sce_formula),
    make_case(
        binary_symmetric_cross_entropy,
        "binary",
        binary_sce_formula,
        alpha=1.0,
        beta=0.5,
        log_zero=LOG_1E_4,
    ),
    make_case(cross_entropy, "softmax", smoothed_ce_formula, label_smoothing=0.1),
    make_case(softmax_focal_loss, "softmax", softmax_focal_formula, targets=("labels",)),
    make_case(softmax_focal_loss, "softmax", softmax_focal_formula, ("labels",), gamma=0.0),
    make_case(softmax_focal_loss, "softmax", softmax_focal_formula, ("labels",), gamma=0.5),
    make_case(
        softmax_focal_loss,
        "softmax",
        softmax_focal_formula,
        ("labels",),
        alpha=(0.2, 1.0, 2.5),
        gamma=1.0,
    ),
    make_case(softmax_focal_loss, "softmax", softmax_focal_formula, ("labels",), gamma=5.0),
    make_case(multiclass_hinge, "softmax", crammer_singer_formula, targets=("labels",)),
    make_case(symmetric_cross_entropy, "softmax", sce_formula),
    make_case(
        symmetric_cross_entropy, "softmax", sce_formula, alpha=1.0, beta=0.5, log_zero=LOG_1E_4
    ),
    make_case(multilabel_cross_entropy, "multilabel", bce_formula),
    make_case(multilabel_cross_entropy, "multilabel", smoothed_bce_formula, label_smoothing=0.1),
    make_case(multilabel_focal_loss, "multilabel", focal_formula),
    make_case(multilabel_focal_loss, "multilabel", focal_formula, alpha=None, gamma=0.5),
]
# Class weights change the reductions' denominators: their values are checked against PyTorch
# below; their gradients with everything else here.
CLASS_WEIGHT_CASES = [
    make_case(binary_cross_entropy, "binary", None, ("labels",), class_weight=(0.5, 2.0)),
    make_case(
        binary_cross_entropy,
        "binary",
        None,
        ("labels",),
        class_weight=(0.5, 2.0),
        label_smoothing=0.2,
    ),
    make_case(cross_entropy, "softmax", None, class_weight=(0.5, 2.0, 1.5)),
    make_case(cross_entropy, "softmax", None, class_weight=(0.5, 2.0, 1.5), label_smoothing=0.3),
]
GRADIENT_CASES = VALUE_CASES + CLASS_WEIGHT_CASES

WEIGHTS = {
    "binary": [0.5, 2.0, 1.0, 0.0, 3.0, 1.5, 0.25],
    "softmax": [1.0, 0.5, 3.0, 2.0, 0.0],
    "multilabel": [1.0, 0.5, 3.0, 2.0, 0.0],
}


def problem(kind: str, target: str, seed: int = 0):
    """(scores, y, dense targets) with moderate scores; target "labels" or "soft"."""
    rng = np.random.default_rng(seed)
    if kind == "binary":
        scores = rng.normal(scale=2.0, size=7)
        if target == "labels":
            y = np.array([0, 1, 1, 0, 1, 0, 0])
            return scores, y, y.astype(float)
        y = np.array([0.0, 1.0, 0.3, 0.75, 0.5, 0.1, 1.0])
        return scores, y, y
    scores = rng.normal(scale=2.0, size=(5, 3))
    if kind == "softmax":
        if target == "labels":
            y = np.array([0, 2, 1, 2, 0])
            return scores, y, np.eye(3)[y]
        rows = rng.dirichlet([1.0, 0.5, 2.0], size=5)
        return scores, rows, rows
    if target == "labels":
        y = rng.integers(0, 2, size=(5, 3))
        return scores, y, y.astype(float)
    y = rng.uniform(size=(5, 3))
    return scores, y, y


def weights_for(kind: str, weighted: bool):
    return np.array(WEIGHTS[kind]) if weighted else None


def each_target(cases):
    return [
        pytest.param(param.values[0], target, id=f"{param.id}-{target}")
        for param in cases
        for target in param.values[0].targets
    ]


# --- values and reductions against the formulas -----------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("case", "target"), each_target(VALUE_CASES))
def test_value_and_reductions_match_the_formula(case, target, weighted):
    scores, y, dense = problem(case.kind, target)
    w = weights_for(case.kind, weighted)
    w_all = np.ones(len(scores)) if w is None else w
    elementwise = case.formula(scores, dense, **case.options)
    if case.kind == "multilabel":
        # PyTorch BCEWithLogitsLoss: "mean" over all n*C elements; Keras: mean over the labels,
        # then the (weighted) mean over the batch. With per-sample weights both are this.
        weighted_losses = w_all[:, None] * elementwise
        mean = weighted_losses.sum() / (scores.shape[1] * w_all.sum())
    else:
        weighted_losses = w_all * elementwise
        mean = weighted_losses.sum() / w_all.sum()
    loss = case.loss
    np.testing.assert_allclose(
        loss(scores, y, sample_weight=w, reduction="none"), weighted_losses, rtol=1e-12
    )
    assert loss(scores, y, sample_weight=w, reduction="sum") == pytest.approx(
        weighted_losses.sum(), rel=1e-12
    )
    assert loss(scores, y, sample_weight=w) == pytest.approx(mean, rel=1e-12)


# --- gradients against central finite differences ---------------------------------------------


def distance_to_kinks(case: Case, scores: np.ndarray, y: np.ndarray) -> float:
    """How far the scores are from the hinge losses' kinks (inf for smooth losses)."""
    if case.loss.smooth:
        return np.inf
    if case.kind == "binary":
        return float(np.min(np.abs(1 - (2 * y - 1) * scores)))
    n = len(y)
    rivals = np.sort(np.where(np.eye(scores.shape[1])[y] == 1, -np.inf, scores), axis=1)
    margin = np.abs(1 + rivals[:, -1] - scores[np.arange(n), y])
    return float(min(np.min(margin), np.min(rivals[:, -1] - rivals[:, -2])))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("case", "target"), each_target(GRADIENT_CASES))
def test_gradient_matches_finite_differences(case, target, reduction, weighted):
    scores, y, _ = problem(case.kind, target, seed=1)
    # Hinge losses are checked only at points at least 1e-3 away from their kinks, where the
    # subgradient is the gradient (central differences of step 1e-6 never straddle a kink).
    assert distance_to_kinks(case, scores, y) > 1e-3
    w = weights_for(case.kind, weighted)

    def value(s):
        return case.loss(s, y, sample_weight=w, reduction=reduction)

    numeric = central_jacobian(value, scores)
    if reduction == "none":  # each sample's (element's) own derivative: the Jacobian's diagonal
        n = scores.shape[0]
        if case.kind == "multilabel":
            numeric = np.einsum("ikik->ik", numeric)
        else:
            numeric = numeric[np.arange(n), np.arange(n)]
    grad = case.loss.grad(scores, y, sample_weight=w, reduction=reduction)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
def test_focal_gradients_over_gamma_at_confident_scores(gamma):
    # scores up to +-12 (p_t within 1e-5 of 0 or 1), where (1 - p_t)^gamma varies fastest
    s = np.array([-12.0, -6.0, -2.0, -0.3, 0.4, 3.0, 7.0, 12.0, 9.0])
    y = np.array([0.0, 0.0, 1.0, 0.5, 1.0, 0.0, 0.9, 1.0, 0.0])
    numeric = central_jacobian(lambda v: focal_loss(v, y, gamma=gamma, reduction="sum"), s)
    analytic = focal_loss.grad(s, y, gamma=gamma, reduction="sum")
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    S = np.array([[6.0, -6.0, 0.0], [0.0, 9.0, 1.0], [-3.0, 2.0, 2.5], [10.0, 0.0, -10.0]])
    labels = np.array([0, 0, 2, 0])
    numeric = central_jacobian(
        lambda v: softmax_focal_loss(v, labels, gamma=gamma, reduction="sum"), S
    )
    analytic = softmax_focal_loss.grad(S, labels, gamma=gamma, reduction="sum")
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


# --- class weights and label smoothing: PyTorch and the reference vectors ---------------------


def test_reference_vector_class_weights():
    vector = VECTORS["softmax-ce-class-weights"]
    scores, y, w = vector["scores"], vector["y"], vector["class_weight"]
    # the transcription of PyTorch reproduces the vector, and so does the loss
    assert pytorch_cross_entropy(np.array(scores), y, w) == pytest.approx(
        vector["expected_mean_weighted"], rel=1e-12
    )
    np.testing.assert_allclose(
        cross_entropy(scores, y, class_weight=w), vector["expected_mean_weighted"], rtol=1e-12
    )
    np.testing.assert_allclose(
        cross_entropy(scores, y, class_weight=w, reduction="sum"),
        vector["expected_sum_weighted"],
        rtol=1e-12,
    )


def test_reference_vector_label_smoothing():
    vector = VECTORS["softmax-ce-label-smoothing"]
    eps = vector["label_smoothing"]
    value = cross_entropy(vector["scores"], vector["y"], label_smoothing=eps)
    np.testing.assert_allclose(value, vector["expected_mean"], rtol=1e-12)
    assert pytorch_cross_entropy(
        np.array(vector["scores"]), vector["y"], label_smoothing=eps
    ) == pytest.approx(vector["expected_mean"], rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("weight", [None, (0.5, 2.0, 1.5, 4.0)], ids=["no-weight", "weight"])
@pytest.mark.parametrize("target", ["labels", "rows"])
def test_cross_entropy_options_equal_pytorch(target, weight, eps, reduction):
    rng = np.random.default_rng(11)
    scores = rng.normal(scale=2.0, size=(9, 4))
    y = rng.integers(0, 4, size=9) if target == "labels" else rng.dirichlet(np.ones(4), size=9)
    expected = pytorch_cross_entropy(scores, y, weight, eps, reduction)
    value = cross_entropy(scores, y, class_weight=weight, label_smoothing=eps, reduction=reduction)
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_class_weights_with_smoothing_and_sample_weights_follow_the_documented_mean():
    # mean = sum_i s_i [(1 - eps) w_y (-log p_y) + (eps/C) sum_k w_k (-log p_k)] / sum_i s_i w_y
    rng = np.random.default_rng(12)
    scores = rng.normal(scale=2.0, size=(8, 3))
    y = rng.integers(0, 3, size=8)
    s = rng.uniform(0.1, 3.0, size=8)
    w, eps = np.array([0.5, 2.0, 1.5]), 0.2
    neg_log_p = -np.log(softmax_formula(scores))
    numerator = s * ((1 - eps) * w[y] * neg_log_p[np.arange(8), y] + eps / 3 * neg_log_p @ w)
    value = cross_entropy(scores, y, class_weight=w, label_smoothing=eps, sample_weight=s)
    assert value == pytest.approx(numerator.sum() / np.sum(s * w[y]), rel=1e-12)
    # probability rows: l_i = -sum_k w_k t'_ik log p_ik, and "mean" divides by sum_i s_i
    rows = rng.dirichlet(np.ones(3), size=8)
    smoothed = rows * (1 - eps) + eps / 3
    per_row = np.sum(smoothed * w * neg_log_p, axis=1)
    value = cross_entropy(scores, rows, class_weight=w, label_smoothing=eps, sample_weight=s)
    assert value == pytest.approx(np.sum(s * per_row) / s.sum(), rel=1e-12)
    # "none" gives each sample's numerator, PyTorch's per-sample loss times s_i
    none = cross_entropy(
        scores, y, class_weight=w, label_smoothing=eps, sample_weight=s, reduction="none"
    )
    np.testing.assert_allclose(none, numerator, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "options",
    [{"class_weight": (0.5, 2.0)}, {"label_smoothing": 0.2}],
    ids=["class_weight", "label_smoothing"],
)
def test_binary_options_equal_the_two_class_softmax(options, reduction):
    # binary class weights are PyTorch's F.cross_entropy(weight=(w0, w1)) on the scores (0, s),
    # and Keras's binary smoothing y (1 - eps) + eps/2 is PyTorch's (1 - eps) onehot + eps/C
    rng = np.random.default_rng(13)
    s = rng.normal(scale=2.0, size=9)
    y = rng.integers(0, 2, size=9)
    sw = rng.uniform(0.5, 2.0, size=9)
    two_class = np.column_stack([np.zeros(9), s])
    binary = binary_cross_entropy.value_and_grad(
        s, y, sample_weight=sw, reduction=reduction, **options
    )
    softmax = cross_entropy.value_and_grad(
        two_class, y, sample_weight=sw, reduction=reduction, **options
    )
    np.testing.assert_allclose(binary[0], softmax[0], rtol=1e-12)
    np.testing.assert_allclose(binary[1], softmax[1][:, 1], rtol=1e-12, atol=1e-16)


def test_binary_class_weights_with_smoothing_weight_the_whole_smoothed_loss():
    # as Keras's class_weight does: w_{y_i} times the smoothed loss, mean over sum_i s_i w_{y_i}
    rng = np.random.default_rng(14)
    s = rng.normal(scale=2.0, size=9)
    y = rng.integers(0, 2, size=9)
    sw = rng.uniform(0.5, 2.0, size=9)
    factor = sw * np.array([0.5, 2.0])[y]
    expected = np.sum(factor * smoothed_bce_formula(s, y, 0.2)) / factor.sum()
    value = binary_cross_entropy(
        s, y, sample_weight=sw, class_weight=(0.5, 2.0), label_smoothing=0.2
    )
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("loss", "options", "kind", "target"),
    [
        (
            cross_entropy,
            {"class_weight": (0.5, 2.0, 1.5), "label_smoothing": 0.2},
            "softmax",
            "labels",
        ),
        (
            cross_entropy,
            {"class_weight": (0.5, 2.0, 1.5), "label_smoothing": 0.2},
            "softmax",
            "soft",
        ),
        (cross_entropy, {"class_weight": (0.5, 2.0, 1.5)}, "softmax", "labels"),
        (binary_cross_entropy, {"class_weight": (3.0, 1.0)}, "binary", "labels"),
        (focal_loss, {"gamma": 1.0}, "binary", "soft"),
        (multilabel_cross_entropy, {"label_smoothing": 0.1}, "multilabel", "soft"),
        (multilabel_focal_loss, {}, "multilabel", "labels"),
    ],
    ids=["ce-weight-smoothing", "ce-rows", "ce-weight", "bce-weight", "focal", "ml-ce", "ml-focal"],
)
def test_the_training_contract_reproduces_the_weighted_mean(loss, options, kind, target):
    # what the training loop does: prepare_target, weight = sample_weight * sample_multiplier
    # normalised, then accumulate on class-major scores
    configured = loss.configured(**options)
    scores, y, _ = problem(kind, target, seed=2)
    sample_weight = np.array(WEIGHTS[kind])
    target_ = configured.prepare_target(y, scores.shape)
    multiplier = configured.sample_multiplier(y, scores.shape)
    weight = sample_weight * (1.0 if multiplier is None else multiplier)
    kernel = np.ascontiguousarray(scores.T) if scores.ndim == 2 else scores.copy()
    total = configured.accumulate(kernel, target_, weight / weight.sum())
    value, grad = configured.value_and_grad(scores, y, sample_weight=sample_weight)
    assert total == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(kernel.T if scores.ndim == 2 else kernel, grad, rtol=1e-12)


# --- focal loss --------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("target", ["labels", "soft"])
def test_focal_with_gamma_0_and_no_alpha_is_binary_cross_entropy_exactly(target, reduction):
    scores, y, _ = problem("binary", target)
    w = np.array(WEIGHTS["binary"])
    focal = focal_loss.value_and_grad(
        scores, y, alpha=None, gamma=0.0, sample_weight=w, reduction=reduction
    )
    bce = binary_cross_entropy.value_and_grad(scores, y, sample_weight=w, reduction=reduction)
    np.testing.assert_array_equal(focal[0], bce[0])
    np.testing.assert_array_equal(focal[1], bce[1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_focal_with_gamma_0_and_no_alpha_is_cross_entropy(reduction):
    rng = np.random.default_rng(15)
    scores = rng.normal(scale=4.0, size=(30, 4))
    scores[0] = [40.0, 0.0, -3.0, 1.0]  # p_y within 1e-17 of 1
    y = rng.integers(0, 4, size=30)
    y[0] = 0
    focal = softmax_focal_loss.value_and_grad(scores, y, gamma=0.0, reduction=reduction)
    ce = cross_entropy.value_and_grad(scores, y, reduction=reduction)
    np.testing.assert_allclose(focal[0], ce[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(focal[1], ce[1], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_two_class_softmax_focal_is_binary_focal_with_alpha_mapped(alpha, gamma):
    # p_y and 1 - p_y of two classes are the sigmoid's p_t and 1 - p_t along s_1 - s_0;
    # binary alpha_t = alpha for y = 1 and 1 - alpha for y = 0, i.e. per-class (1 - alpha, alpha)
    rng = np.random.default_rng(16)
    scores = rng.normal(scale=3.0, size=(11, 2))
    y = rng.integers(0, 2, size=11)
    per_class = None if alpha is None else (1 - alpha, alpha)
    value, grad = softmax_focal_loss.value_and_grad(
        scores, y, alpha=per_class, gamma=gamma, reduction="none"
    )
    b_value, b_grad = focal_loss.value_and_grad(
        scores[:, 1] - scores[:, 0], y, alpha=alpha, gamma=gamma, reduction="none"
    )
    np.testing.assert_allclose(value, b_value, rtol=1e-12)
    np.testing.assert_allclose(grad, np.column_stack([-b_grad, b_grad]), rtol=1e-11, atol=1e-16)


def test_focal_down_weights_easy_samples():
    # p_t = 0.9: the focal factor (1 - p_t)^2 = 0.01 of the cross-entropy, times alpha_t = 0.25
    s = math.log(9)  # sigma(s) = 0.9
    expected = 0.01 * math.log(10 / 9)
    np.testing.assert_allclose(focal_loss([s], [1], reduction="sum"), 0.25 * expected, rtol=1e-13)
    np.testing.assert_allclose(
        softmax_focal_loss([[0.0, s]], [1], reduction="sum"), expected, rtol=1e-13
    )


# --- hinge -----------------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_binary_hinge_equals_sklearn(weighted):
    rng = np.random.default_rng(17)
    scores = rng.normal(scale=2.0, size=40)
    y = rng.integers(0, 2, size=40)
    w = rng.uniform(0.1, 3.0, size=40) if weighted else None
    expected = hinge_loss(y, scores, sample_weight=w)
    assert binary_hinge(scores, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)
    assert loss_for("hinge", "logistic")(scores, y, sample_weight=w) == pytest.approx(
        expected, rel=1e-12
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_crammer_singer_hinge_equals_sklearn(weighted):
    rng = np.random.default_rng(18)
    scores = rng.normal(scale=2.0, size=(40, 4))
    y = rng.integers(0, 4, size=40)
    w = rng.uniform(0.1, 3.0, size=40) if weighted else None
    expected = hinge_loss(y, scores, labels=[0, 1, 2, 3], sample_weight=w)
    assert multiclass_hinge(scores, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)


def test_two_class_crammer_singer_is_binary_hinge_of_the_difference():
    rng = np.random.default_rng(19)
    scores = rng.normal(scale=2.0, size=(12, 2))
    y = rng.integers(0, 2, size=12)
    value, grad = multiclass_hinge.value_and_grad(scores, y, reduction="none")
    b_value, b_grad = binary_hinge.value_and_grad(scores[:, 1] - scores[:, 0], y, reduction="none")
    np.testing.assert_allclose(value, b_value, rtol=1e-14)
    np.testing.assert_array_equal(grad, np.column_stack([-b_grad, b_grad]))


def test_hinge_subgradients_at_the_kinks():
    # margin exactly 1 takes the subgradient 0; a tie between rivals takes the first
    assert binary_hinge.grad([1.0, -1.0], [1, 0], reduction="none").tolist() == [0.0, 0.0]
    grad = multiclass_hinge.grad([[2.0, 2.0, 0.5]], [2], reduction="none")
    assert grad.tolist() == [[1.0, 0.0, -1.0]]
    assert not binary_hinge.smooth and not multiclass_hinge.smooth
    assert binary_hinge.curvature == multiclass_hinge.curvature == 0.25


# --- symmetric cross-entropy -----------------------------------------------------------------


def test_reverse_cross_entropy_of_labels_is_minus_a_times_one_minus_p_y():
    rng = np.random.default_rng(20)
    scores = rng.normal(scale=2.0, size=(6, 4))
    y = rng.integers(0, 4, size=6)
    p_y = softmax_formula(scores)[np.arange(6), y]
    rce = symmetric_cross_entropy(scores, y, alpha=0.0, beta=1.0, reduction="none")
    np.testing.assert_allclose(rce, 4.0 * (1 - p_y), rtol=1e-12)
    # the binary one with p_t as in focal loss: -A (1 - p_t)
    s = scores[:, 0]
    t = (y % 2).astype(float)
    p_t = np.where(t == 1, 1 / (1 + np.exp(-s)), 1 / (1 + np.exp(s)))
    rce = binary_symmetric_cross_entropy(s, t, alpha=0.0, beta=1.0, reduction="none")
    np.testing.assert_allclose(rce, 4.0 * (1 - p_t), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_symmetric_cross_entropy_labels_equal_one_hot_rows(reduction):
    scores, y, one_hot = problem("softmax", "labels", seed=3)
    w = np.array(WEIGHTS["softmax"])
    by_label = symmetric_cross_entropy.value_and_grad(
        scores, y, sample_weight=w, reduction=reduction
    )
    by_row = symmetric_cross_entropy.value_and_grad(
        scores, one_hot, sample_weight=w, reduction=reduction
    )
    np.testing.assert_allclose(by_row[0], by_label[0], rtol=1e-13)
    np.testing.assert_allclose(by_row[1], by_label[1], rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("target", ["labels", "soft"])
def test_binary_symmetric_cross_entropy_is_the_two_class_one(target):
    scores, y, dense = problem("binary", target, seed=4)
    two_class = np.column_stack([np.zeros_like(scores), scores])
    y2 = y if target == "labels" else np.column_stack([1 - dense, dense])
    options = {"alpha": 0.3, "beta": 2.0, "log_zero": -6.0}
    value, grad = binary_symmetric_cross_entropy.value_and_grad(
        scores, y, reduction="none", **options
    )
    value2, grad2 = symmetric_cross_entropy.value_and_grad(
        two_class, y2, reduction="none", **options
    )
    np.testing.assert_allclose(value, value2, rtol=1e-12)
    np.testing.assert_allclose(grad, grad2[:, 1], rtol=1e-11, atol=1e-16)


# --- multilabel ------------------------------------------------------------------------------


def logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


@pytest.mark.parametrize("name", ["keras-bce-probs", "keras-bce-logits"])
def test_multilabel_keras_reference_vectors(name):
    vector = VECTORS[name]
    y = np.array(vector["y_true"])
    scores = logit(vector["y_prob"]) if "y_prob" in vector else np.array(vector["scores"])
    rtol = vector["rtol"]
    np.testing.assert_allclose(
        multilabel_cross_entropy(scores, y, reduction="none"),
        vector["expected_elementwise"],
        rtol=rtol,
    )
    np.testing.assert_allclose(
        multilabel_cross_entropy(scores, y), vector["expected_mean"], rtol=rtol
    )
    if "expected_sum" in vector:
        np.testing.assert_allclose(
            multilabel_cross_entropy(scores, y, reduction="sum"), vector["expected_sum"], rtol=rtol
        )
    if name == "keras-bce-probs":
        # the vector's note: with sample_weight [1, 0] a weighted MEAN is row 0's mean, 0.916
        # (Keras itself reports 0.458: it divides the weighted sum by the batch size)
        np.testing.assert_allclose(
            multilabel_cross_entropy(scores, y, sample_weight=[1.0, 0.0]),
            np.mean(vector["expected_elementwise"][0]),
            rtol=rtol,
        )


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_one_label_multilabel_is_binary(reduction):
    scores, y, _ = problem("binary", "soft", seed=5)
    for multilabel, binary in (
        (multilabel_cross_entropy, binary_cross_entropy),
        (multilabel_focal_loss, focal_loss),
    ):
        value, grad = multilabel.value_and_grad(scores[:, None], y[:, None], reduction=reduction)
        b_value, b_grad = binary.value_and_grad(scores, y, reduction=reduction)
        assert value == pytest.approx(b_value, rel=1e-14)
        np.testing.assert_allclose(grad[:, 0], b_grad, rtol=1e-14)


def test_multilabel_accumulate_gives_the_mean_over_labels_per_sample():
    scores, y, dense = problem("multilabel", "soft", seed=6)
    target = multilabel_cross_entropy.prepare_target(y, scores.shape)
    per_sample = np.empty(5)
    total = multilabel_cross_entropy.accumulate(
        np.ascontiguousarray(scores.T), target, None, per_sample
    )
    np.testing.assert_allclose(per_sample, bce_formula(scores, dense).mean(axis=1), rtol=1e-12)
    assert total == pytest.approx(per_sample.sum(), rel=1e-14)


# --- extreme scores --------------------------------------------------------------------------

EXTREME = {
    "binary": (np.array([1e4, -1e4, 5e3, -5e3]), np.array([0, 1, 1, 0])),
    "softmax": (
        np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [5e3, 5e3, -1e4], [0.0, 0.0, 1e4]]),
        np.array([1, 0, 2, 0]),
    ),
    "multilabel": (
        np.array([[1e4, -1e4, 5e3], [-1e4, 0.0, 1e4]]),
        np.array([[0, 1, 1], [0, 1, 1]]),
    ),
}


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_extreme_scores_give_finite_values_and_gradients(case):
    scores, y = EXTREME[case.kind]
    for reduction in ("mean", "sum", "none"):
        value, grad = case.loss.value_and_grad(scores, y, reduction=reduction)
        assert np.all(np.isfinite(value))
        assert np.all(np.isfinite(grad))
    if "soft" in case.targets:
        soft = np.full(np.shape(y), 0.5) if case.kind != "softmax" else np.full(scores.shape, 1 / 3)
        value, grad = case.loss.value_and_grad(scores, soft, reduction="none")
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))


def test_extreme_scores_are_exact():
    # a confident mistake costs alpha_t |s| (1 - p_t = 1), a confident hit costs 0
    value, grad = focal_loss.value_and_grad([1e4, -1e4, 1e4, -1e4], [0, 1, 1, 0], reduction="none")
    np.testing.assert_array_equal(value, [0.75e4, 0.25e4, 0.0, 0.0])
    np.testing.assert_array_equal(grad, [0.75, -0.25, 0.0, 0.0])
    value = softmax_focal_loss([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]], [2, 0], reduction="none")
    np.testing.assert_array_equal(value, [2e4, 0.0])
    value = symmetric_cross_entropy([[1e4, 0.0, -1e4]], [2], reduction="none")
    np.testing.assert_array_equal(value, [0.1 * 2e4 + 4.0])
    value = multiclass_hinge([[1e4, 0.0, -1e4]], [2], reduction="none")
    np.testing.assert_array_equal(value, [1 + 2e4])


# --- curvature bounds ------------------------------------------------------------------------


def hessian_norms(loss, scores, y):
    """Norms of the Hessians of each sample's loss l_i, without its sample_multiplier m_i: the
    "none" gradient is that of m_i l_i, while the objective puts m_i into the weights."""
    multiplier = loss.sample_multiplier(y, scores.shape)
    norms = multiclass_hessian_norms(loss, scores, y)
    return norms if multiplier is None else norms / multiplier


BINARY_CURVATURE_CASES = [
    pytest.param(focal_loss.configured(alpha=alpha, gamma=gamma), id=f"focal-{alpha}-{gamma}")
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0)
    for alpha in (None, 0.25)
] + [
    pytest.param(binary_symmetric_cross_entropy, id="sce"),
    pytest.param(
        binary_symmetric_cross_entropy.configured(alpha=1.0, log_zero=LOG_1E_4), id="sce-1e-4"
    ),
    pytest.param(binary_cross_entropy.configured(label_smoothing=0.3), id="bce-smoothing"),
]


@pytest.mark.parametrize("loss", BINARY_CURVATURE_CASES)
def test_binary_curvature_bounds_the_second_derivative(loss):
    scores = np.linspace(-20.0, 20.0, 8001)
    largest = 0.0
    for target in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
        y = np.full(scores.shape, target)
        largest = max(largest, np.max(np.abs(binary_second_derivatives(loss, scores, y))))
    assert largest <= loss.curvature * (1 + 1e-6)
    assert largest >= 0.999 * loss.curvature  # attained at 0/1 targets: the maximum


# (loss, options): each loss is built in the test, so that its curvature is computed there and
# not once when the module is collected
MULTICLASS_CURVATURE_CASES = [
    pytest.param(softmax_focal_loss, {"gamma": gamma}, True, (2, 3, 5, 10), id=f"focal-{gamma}")
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0)
] + [
    pytest.param(
        softmax_focal_loss, {"alpha": (0.5, 2.0), "gamma": 1.0}, True, (2,), id="focal-alpha"
    ),
    pytest.param(symmetric_cross_entropy, {}, False, (2, 3, 5, 10), id="sce"),
    pytest.param(
        symmetric_cross_entropy,
        {"alpha": 1.0, "log_zero": LOG_1E_4},
        False,
        (2, 3, 5, 10),
        id="sce-1e-4",
    ),
    pytest.param(cross_entropy, {"label_smoothing": 0.2}, False, (2, 3), id="ce-smoothing"),
    pytest.param(
        cross_entropy,
        {"class_weight": (1.0, 3.0), "label_smoothing": 0.2},
        False,
        (2,),
        id="ce-weights",
    ),
]


@pytest.mark.parametrize(
    ("base", "options", "labels_only", "class_counts"), MULTICLASS_CURVATURE_CASES
)
def test_multiclass_curvature_bounds_the_hessian(base, options, labels_only, class_counts):
    loss = base.configured(**options)
    rng = np.random.default_rng(21)
    largest = 0.0
    for n_classes in class_counts:
        n = 1500
        scores = rng.normal(size=(n, n_classes)) * rng.choice([0.3, 1.0, 2.0, 5.0], size=(n, 1))
        targets = [rng.integers(0, n_classes, size=n)]
        if not labels_only:
            targets.append(rng.dirichlet(np.full(n_classes, 0.3), size=n))
        for y in targets:
            largest = max(largest, np.max(hessian_norms(loss, scores, y)))
    # two classes, scores (0, t) on a fine grid: where the bounds are attained
    t = np.linspace(-20.0, 20.0, 4001)
    grid = np.column_stack([np.zeros_like(t), t])
    targets = [np.full(t.size, 0), np.full(t.size, 1)]
    if not labels_only:
        targets.append(np.tile([0.0, 1.0], (t.size, 1)))
    for y in targets:
        largest = max(largest, np.max(hessian_norms(loss, grid, y)))
    assert largest <= loss.curvature * (1 + 1e-6)
    assert largest >= 0.999 * loss.curvature


@pytest.mark.parametrize(
    ("weights", "eps", "mass", "worst"),
    [
        # labels: mass 1 - eps + eps mean(w)/min(w), largest for the label of least weight
        ((0.1, 1.0, 1.0), 0.5, 0.5 + 0.5 * 0.7 / 0.1, 0),
        # rows: mass (1 - eps) max(w) + eps mean(w), largest for the smoothed one-hot row at max(w)
        ((0.5, 2.0, 1.0), 0.4, 0.6 * 2.0 + 0.4 * 3.5 / 3, np.array([0.0, 1.0, 0.0])),
        # no smoothing: a label's target is its one-hot row (mass 1), a row's mass max(w) = 1.5
        ((0.5, 1.5, 1.0), 0.0, 1.5, np.array([0.0, 1.0, 0.0])),
    ],
    ids=["labels-dominate", "rows-dominate", "no-smoothing"],
)
def test_cross_entropy_curvature_with_class_weights(weights, eps, mass, worst):
    loss = cross_entropy.configured(class_weight=weights, label_smoothing=eps)
    assert loss.curvature == pytest.approx(0.5 * mass, rel=1e-14)
    rng = np.random.default_rng(22)
    scores = rng.normal(size=(2000, 3)) * rng.choice([0.3, 1.0, 3.0], size=(2000, 1))
    for y in (rng.integers(0, 3, size=2000), rng.dirichlet(np.full(3, 0.3), size=2000)):
        assert np.max(hessian_norms(loss, scores, y)) <= loss.curvature * (1 + 1e-6)
    # the worst target at p = (1/2, 1/2, 0): norm (mass) * ||diag(p) - p p^T|| = mass / 2
    worst_y = np.array([worst]) if np.ndim(worst) == 0 else worst[None, :]
    attained = hessian_norms(loss, np.array([[0.0, 0.0, -40.0]]), worst_y)[0]
    assert attained == pytest.approx(loss.curvature, rel=1e-6)


def test_multilabel_curvature_bounds_the_hessian():
    rng = np.random.default_rng(23)
    for loss in (multilabel_cross_entropy, multilabel_focal_loss.configured(gamma=5.0)):
        scores = rng.normal(scale=2.0, size=(500, 3))
        y = rng.uniform(size=(500, 3))
        # "none" gives d l_ik / d s_ik, so these are the norms of the Hessians of sum_k l_ik;
        # the objective's per-sample loss is the mean over the 3 labels
        largest = np.max(multiclass_hessian_norms(loss, scores, y)) / 3
        assert largest <= loss.curvature * (1 + 1e-6)


# --- options: configured(), keyword arguments and errors -------------------------------------


@pytest.mark.parametrize(
    ("loss", "options", "kind", "target"),
    [
        (cross_entropy, {"label_smoothing": 0.1}, "softmax", "labels"),
        (cross_entropy, {"class_weight": [1.0, 2.0, 0.5]}, "softmax", "soft"),
        (
            binary_cross_entropy,
            {"class_weight": (1.0, 4.0), "label_smoothing": 0.1},
            "binary",
            "labels",
        ),
        (focal_loss, {"alpha": None, "gamma": 0.5}, "binary", "soft"),
        (softmax_focal_loss, {"alpha": (1.0, 2.0, 3.0)}, "softmax", "labels"),
        (symmetric_cross_entropy, {"beta": 0.5}, "softmax", "soft"),
        (multilabel_cross_entropy, {"label_smoothing": 0.1}, "multilabel", "soft"),
    ],
)
def test_keyword_options_equal_the_configured_loss(loss, options, kind, target):
    scores, y, _ = problem(kind, target, seed=7)
    configured = loss.configured(**options)
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_array_equal(
            loss(scores, y, reduction=reduction, **options),
            configured(scores, y, reduction=reduction),
        )
        np.testing.assert_array_equal(
            loss.grad(scores, y, reduction=reduction, **options),
            configured.grad(scores, y, reduction=reduction),
        )
    assert loss.options != configured.options  # the module-level loss keeps its defaults


def test_configured_changes_only_the_given_options():
    first = cross_entropy.configured(label_smoothing=0.1)
    second = first.configured(class_weight=[1, 2])
    assert second.options == {"class_weight": (1.0, 2.0), "label_smoothing": 0.1}
    assert first.options == {"class_weight": None, "label_smoothing": 0.1}
    assert cross_entropy.options == {"class_weight": None, "label_smoothing": 0.0}
    assert focal_loss.options == {"alpha": 0.25, "gamma": 2.0}
    assert softmax_focal_loss.options == {"alpha": None, "gamma": 2.0}
    assert symmetric_cross_entropy.options == {"alpha": 0.1, "beta": 1.0, "log_zero": -4.0}
    assert multilabel_focal_loss.configured(gamma=1.0).options == {"alpha": 0.25, "gamma": 1.0}


@pytest.mark.parametrize(
    ("loss", "option", "message"),
    [
        (
            cross_entropy,
            "gama",
            "cross_entropy has no option 'gama'; use one of: class_weight, label_smoothing",
        ),
        (
            focal_loss,
            "label_smoothing",
            "focal_loss has no option 'label_smoothing'; use one of: alpha, gamma",
        ),
        (binary_hinge, "alpha", "binary_hinge has no option 'alpha'; it takes no options"),
        (mse, "class_weight", "mse has no option 'class_weight'; it takes no options"),
        (
            multilabel_cross_entropy,
            "class_weight",
            "multilabel_cross_entropy has no option 'class_weight'; use one of: label_smoothing",
        ),
    ],
)
def test_unknown_options(loss, option, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss.configured(**{option: 1})
    scores = np.zeros((2, 3)) if loss is not binary_hinge else np.zeros(2)
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss(scores, [0, 1], **{option: 1})


@pytest.mark.parametrize(
    ("loss", "options", "message"),
    [
        (
            cross_entropy,
            {"label_smoothing": 1.0},
            "label_smoothing must be a finite number in [0, 1); got 1.0",
        ),
        (
            cross_entropy,
            {"label_smoothing": -0.1},
            "label_smoothing must be a finite number in [0, 1); got -0.1",
        ),
        (
            binary_cross_entropy,
            {"label_smoothing": "0.1"},
            "label_smoothing must be a finite number in [0, 1); got '0.1'",
        ),
        (
            cross_entropy,
            {"class_weight": [1.0, -1.0]},
            "class_weight must be None or a sequence of numbers in [0, 1e6], not all zero; "
            "got [1.0, -1.0]",
        ),
        (
            cross_entropy,
            {"class_weight": [0, 0]},
            "class_weight must be None or a sequence of numbers in [0, 1e6], not all zero; "
            "got [0, 0]",
        ),
        (
            cross_entropy,
            {"class_weight": 2.0},
            "class_weight must be None or a sequence of numbers in [0, 1e6], not all zero; got 2.0",
        ),
        (
            binary_cross_entropy,
            {"class_weight": (1.0, 2.0, 3.0)},
            "class_weight must be None or two numbers (w0, w1) in [0, 1e6], not both zero; "
            "got (1.0, 2.0, 3.0)",
        ),
        (
            binary_cross_entropy,
            {"class_weight": 2.0},
            "class_weight must be None or two numbers (w0, w1) in [0, 1e6], not both zero; got 2.0",
        ),
        (
            binary_cross_entropy,
            {"class_weight": "12"},
            "class_weight must be None or two numbers (w0, w1) in [0, 1e6], not both zero; "
            "got '12'",
        ),
        (
            cross_entropy,
            {"class_weight": [0.0, 1.0], "label_smoothing": 0.1},
            "class_weight must be > 0 for every class when label_smoothing > 0; got (0.0, 1.0)",
        ),
        (focal_loss, {"gamma": -1}, "gamma must be a finite number in [0, 100]; got -1"),
        (focal_loss, {"gamma": math.inf}, "gamma must be a finite number in [0, 100]; got inf"),
        (
            focal_loss,
            {"alpha": 1.5},
            "alpha must be a finite number in [0, 1]; got 1.5",
        ),
        (
            softmax_focal_loss,
            {"alpha": 0.25},
            "alpha must be None or a sequence of numbers in [0, 1e6], not all zero; got 0.25",
        ),
        (
            symmetric_cross_entropy,
            {"beta": -1.0},
            "beta must be a finite number in [0, 1000]; got -1.0",
        ),
        (
            binary_symmetric_cross_entropy,
            {"log_zero": 0.0},
            "log_zero must be a finite number in [-745, -0.01]; got 0.0",
        ),
        (
            symmetric_cross_entropy,
            {"alpha": 0.0, "beta": 0.0},
            "alpha and beta must not both be below 1e-12 (they scale the loss, and 1 / its "
            "curvature is the step); got alpha 0, beta 0",
        ),
        (
            symmetric_cross_entropy,
            {"alpha": 1e-320, "beta": 0.0},
            "alpha and beta must not both be below 1e-12 (they scale the loss, and 1 / its "
            "curvature is the step); got alpha 9.99989e-321, beta 0",
        ),
        (
            symmetric_cross_entropy,
            {"alpha": 1e300},
            "alpha must be a finite number in [0, 1000]; got 1e+300",
        ),
        (focal_loss, {"gamma": 1e300}, "gamma must be a finite number in [0, 100]; got 1e+300"),
        (
            binary_cross_entropy,
            {"class_weight": (1e308, 1e308)},
            "class_weight must be None or two numbers (w0, w1) in [0, 1e6], not both zero; "
            "got (1e+308, 1e+308)",
        ),
        (
            multilabel_focal_loss,
            {"gamma": True},
            "gamma must be a finite number in [0, 100]; got True",
        ),
    ],
)
def test_bad_option_values(loss, options, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss.configured(**options)


def raises(message: str):
    return pytest.raises(DataError, match=f"^{re.escape(message)}$")


def test_option_data_errors():
    with raises("cross_entropy has class_weight for 2 classes but the scores have 3"):
        cross_entropy(np.zeros((2, 3)), [0, 1], class_weight=[1.0, 2.0])
    with raises("softmax_focal_loss has alpha for 2 classes but the scores have 3"):
        softmax_focal_loss(np.zeros((2, 3)), [0, 1], alpha=[1.0, 2.0])
    with raises("binary_cross_entropy with class_weight takes 0/1 targets, not probabilities"):
        binary_cross_entropy([0.0, 1.0], [0.5, 1.0], class_weight=(1.0, 2.0))
    with raises("binary_hinge takes 0/1 targets, not probabilities"):
        binary_hinge([0.0, 1.0], [0.5, 1.0])
    with raises("sample_weight times class_weight of each label must not be all zero"):
        cross_entropy(np.zeros((2, 3)), [0, 0], class_weight=[0.0, 1.0, 1.0])
    for loss in (softmax_focal_loss, multiclass_hinge):
        with raises(f"{loss.name} takes integer labels 0..2, not probability rows"):
            loss(np.zeros((2, 3)), np.full((2, 3), 1 / 3))
    with raises(
        "multilabel_cross_entropy takes y of shape (2, 3), one target in [0, 1] per score; got (2,)"
    ):
        multilabel_cross_entropy(np.zeros((2, 3)), [0, 1])
    with raises("multilabel_focal_loss takes targets in [0, 1] (0/1 labels or probabilities)"):
        multilabel_focal_loss(np.zeros((1, 2)), [[0.0, 2.0]])
    with raises(
        "multilabel_cross_entropy takes scores of shape (n, C) with n >= 1 and C >= 1; "
        "got shape (2,)"
    ):
        multilabel_cross_entropy(np.zeros(2), [0, 1])


# --- loss_for ----------------------------------------------------------------------------------


def test_loss_names_and_models():
    expected = {
        "cross-entropy": (binary_cross_entropy, cross_entropy, multilabel_cross_entropy),
        "mse": (binary_mse, multiclass_mse, None),
        "focal": (focal_loss, softmax_focal_loss, multilabel_focal_loss),
        "hinge": (binary_hinge, multiclass_hinge, None),
        "symmetric-cross-entropy": (binary_symmetric_cross_entropy, symmetric_cross_entropy, None),
    }
    # these five in this order (a loss added later may stand anywhere among them)
    assert [name for name in LOSS_NAMES if name in expected] == list(expected)
    for name, (binary, softmax, multilabel) in expected.items():
        assert loss_for(name, "logistic") is binary
        assert loss_for(name, "softmax") is softmax
        if multilabel is not None:
            assert loss_for(name, "multilabel") is multilabel
        else:
            message = (
                f"loss {name!r} is not available for multilabel models; "
                "it supports logistic and softmax models"
            )
            with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
                loss_for(name, "multilabel")
    message = "unknown model 'binary'; use one of: logistic, softmax, multilabel"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("cross-entropy", "binary")


def test_loss_for_configures_the_loss():
    loss = loss_for("focal", "softmax", alpha=[1.0, 2.0], gamma=0.5)
    assert isinstance(loss, type(softmax_focal_loss))
    assert loss.options == {"alpha": (1.0, 2.0), "gamma": 0.5}
    assert loss_for("cross-entropy", "multilabel", label_smoothing=0.1).options == {
        "label_smoothing": 0.1
    }
    message = "label_smoothing applies to the loss cross-entropy of a logistic model, not to 'mse'"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("mse", "logistic", label_smoothing=0.1)
    message = "beta applies to the loss symmetric-cross-entropy of a softmax model, not to 'focal'"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("focal", "softmax", beta=0.5)
    message = (
        "label_smoothing applies to the loss cross-entropy of a multilabel model, not to 'focal'"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("focal", "multilabel", label_smoothing=0.1)


# --- relative accuracy of confident, correct predictions -------------------------------------


@pytest.mark.parametrize("z", [5.0, 30.0, 100.0])
def test_confident_correct_predictions_keep_their_relative_accuracy(z):
    # l = log1p(e^-z) for a margin z: the loss is tiny but must not lose its digits (a naive
    # log(1 + e^-z), or max(s, 0) + log1p(e) - y s, rounds it to a few digits or to zero)
    m = 1.0 / (1.0 + math.exp(z))  # 1 - p_t
    ce = math.log1p(math.exp(-z))
    # (assert_allclose: relative only; pytest.approx would also accept anything within 1e-12)
    np.testing.assert_allclose(binary_cross_entropy([z], [1], reduction="sum"), ce, rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy([-z], [0], reduction="sum"), ce, rtol=1e-14)
    focal = focal_loss([z], [1], alpha=None, reduction="sum")
    np.testing.assert_allclose(focal, m**2 * ce, rtol=1e-13)
    two_class = softmax_focal_loss([[0.0, z]], [1], reduction="sum")
    np.testing.assert_allclose(two_class, m**2 * ce, rtol=1e-13)
    rce = symmetric_cross_entropy([[0.0, z]], [1], alpha=0.0, reduction="sum")
    np.testing.assert_allclose(rce, 4.0 * m, rtol=1e-13)


# --- defaults, float64 scores and the edges of the multiclass kernels --------------------------


def test_losses_built_without_options_have_the_documented_defaults():
    # the docstrings' defaults, which the run settings declare too
    assert CrossEntropy().options == {"class_weight": None, "label_smoothing": 0.0}
    assert SoftmaxFocalLoss().options == {"alpha": None, "gamma": 2.0}
    assert SymmetricCrossEntropy().options == {"alpha": 0.1, "beta": 1.0, "log_zero": -4.0}
    declared = (LABEL_SMOOTHING, FOCAL_GAMMA, SCE_ALPHA, SCE_BETA, SCE_LOG_ZERO)
    assert [param.default for param in declared] == [0.0, 2.0, 0.1, 1.0, -4.0]
    # ||diag(p) - p p^T|| = 1/2, at p = (1/2, 1/2, 0, ...)
    assert CrossEntropy().curvature == 0.5


MULTICLASS_FORMULAS = [
    pytest.param(cross_entropy, cross_entropy_formula, id="cross_entropy"),
    pytest.param(multiclass_mse, multiclass_mse_formula, id="mse"),
    pytest.param(softmax_focal_loss, softmax_focal_formula, id="focal"),
    pytest.param(multiclass_hinge, crammer_singer_formula, id="hinge"),
    pytest.param(symmetric_cross_entropy, sce_formula, id="sce"),
]


@pytest.mark.parametrize(("loss", "formula"), MULTICLASS_FORMULAS)
def test_integer_and_float32_scores_are_computed_in_float64(loss, formula):
    labels = np.array([0, 2])
    single = np.array([[0.1, 0.7, -0.3], [1.3, -2.2, 0.4]], dtype=np.float32)
    for scores in (np.array([[2, 0, -1], [0, 1, 3]]), single):
        value, grad = loss.value_and_grad(scores, labels, reduction="none")
        # float32 arithmetic would be off by about 1e-7
        expected = formula(scores.astype(np.float64), np.eye(3)[labels])
        np.testing.assert_allclose(value, expected, rtol=1e-13)
        assert grad.dtype == np.float64


def test_cross_entropy_sample_multiplier_is_each_labels_class_weight_and_checks_y():
    # a method of Loss's API that a caller may use before prepare_target: it checks y itself
    loss = cross_entropy.configured(class_weight=(0.5, 2.0, 1.5))
    np.testing.assert_array_equal(loss.sample_multiplier([2, 0, 1, 1], (4, 3)), [1.5, 0.5, 2, 2])
    assert loss.sample_multiplier(np.full((2, 3), 1 / 3), (2, 3)) is None  # rows: no multiplier
    with raises("cross_entropy has class_weight for 3 classes but the scores have 4"):
        loss.sample_multiplier([0, 3], (2, 4))
    with raises("cross_entropy takes integer labels 0..2 for 3 classes"):
        loss.sample_multiplier([0, 3], (2, 3))


def test_labels_only_losses_name_themselves_when_a_label_is_out_of_range():
    for loss in (softmax_focal_loss, multiclass_hinge):
        with raises(f"{loss.name} takes integer labels 0..2 for 3 classes"):
            loss(np.zeros((2, 3)), [0, 3])


def test_symmetric_cross_entropy_takes_weights_down_to_1e_12():
    # MIN_SCE_WEIGHT itself is accepted: alpha = 1e-12, beta = 0 is 1e-12 cross-entropy
    loss = symmetric_cross_entropy.configured(alpha=1e-12, beta=0.0)
    scores, labels = np.array([[0.5, -1.0, 2.0]]), np.array([1])
    expected = 1e-12 * cross_entropy_formula(scores, np.eye(3)[labels])[0]
    np.testing.assert_allclose(loss(scores, labels, reduction="sum"), expected, rtol=1e-14)
    assert loss.curvature == pytest.approx(2 * 1e-12 / 4, rel=1e-14)  # 2 alpha max sigma'


def test_symmetric_cross_entropy_takes_a_probability_row_as_given():
    # rows that sum to 1 within 1e-6 are accepted, and the loss is the formula in the row as
    # given: alpha sum_k t_k (logsumexp(s) - s_k) + beta RCE, gradient
    # alpha (p sum_k t_k - t) - beta p (L(t) - sum_k p_k L(t_k))
    scores = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    rows = np.array([[0.3, 0.2, 0.5 + 9e-7], [0.6 - 9e-7, 0.4, 0.0]])
    loss = symmetric_cross_entropy.configured(alpha=1.0, beta=0.5)
    value, grad = loss.value_and_grad(scores, rows, reduction="none")
    np.testing.assert_allclose(value, sce_formula(scores, rows, 1.0, 0.5), rtol=1e-13)
    p = softmax_formula(scores)
    with np.errstate(divide="ignore"):
        clipped = np.maximum(np.log(rows), -4.0)
    rce_grad = p * (clipped - np.sum(p * clipped, axis=1, keepdims=True))
    expected = (p * rows.sum(axis=1, keepdims=True) - rows) - 0.5 * rce_grad
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_softmax_focal_of_a_certain_right_prediction_is_zero_with_no_warning(gamma):
    # p_y = 1 exactly (m = 1 - p_y = 0, where (-log p_y) / m is 0/0): loss and gradient 0
    scores = np.array([[0.0, 800.0, -5.0], [1.0, 0.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = softmax_focal_loss.value_and_grad(
            scores, [1, 2], gamma=gamma, reduction="none"
        )
    assert value[0] == 0.0 and np.all(grad[0] == 0.0)
    expected = softmax_focal_formula(scores[1:], np.eye(3)[[2]], gamma=gamma)[0]
    np.testing.assert_allclose(value[1], expected, rtol=1e-13)


def test_softmax_focal_where_p_y_underflows_is_minus_log_p_y_even_for_the_largest_gamma():
    # p_y = e^-800 / 20: (1 - p_y)^gamma is 1 to every digit even for gamma = 100, so the loss
    # is -log p_y = 800 + log 20 and the gradient p - onehot(y) = (-1, 1/20, ..., 1/20). The
    # twenty rounded 1/20 sum to 1 + 2^-52, which must not lift (1 - p_y)^100 above 1.
    scores = np.zeros((1, 21))
    scores[0, 0] = -800.0
    value, grad = softmax_focal_loss.value_and_grad(scores, [0], gamma=100.0, reduction="sum")
    np.testing.assert_allclose(value, 800.0 + math.log(20.0), rtol=1e-15)
    np.testing.assert_allclose(grad[0], [-1.0] + [1 / 20] * 20, rtol=1e-15)


def test_softmax_focal_with_gamma_0_keeps_the_gradient_where_the_score_difference_overflows():
    # s_1 - s_0 = 2e308 is beyond float64: the loss is inf, as cross-entropy's, and the gradient
    # p - onehot(y) = (-1, 1) is still exact
    with np.errstate(over="ignore"):
        value, grad = softmax_focal_loss.value_and_grad(
            [[-1e308, 1e308]], [0], gamma=0.0, reduction="sum"
        )
    assert value == math.inf
    np.testing.assert_array_equal(grad, [[-1.0, 1.0]])


def test_softmax_focal_alpha_multiplies_a_float32_loss_as_a_float32_number():
    # float32 scores are trained in float32 (the objective calls the kernel so): alpha_y is
    # rounded to float32 and multiplies the float32 loss once, one rounding, as l * alpha would
    rng = np.random.default_rng(3)
    scores = rng.normal(scale=2.0, size=(3, 50)).astype(np.float32)  # class-major (C, n)
    labels = rng.integers(0, 3, size=50)
    alpha = (0.1, 0.3, 0.7)
    plain, weighted = np.empty(50, np.float32), np.empty(50, np.float32)
    SoftmaxFocalLoss().accumulate(scores.copy(), labels, None, plain)
    SoftmaxFocalLoss(alpha=alpha).accumulate(scores.copy(), labels, None, weighted)
    np.testing.assert_array_equal(weighted, plain * np.asarray(alpha, np.float32)[labels])
