"""Tests for teach.losstable: one prediction under every training loss, against the losses'
formulas written out by hand with math.log and math.exp, and `cetrain loss`'s table of them."""

import math

import numpy as np
import pytest
from conftest import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from cetrain.core.links import log_softmax
from cetrain.core.losses import LOSS_NAMES
from cetrain.errors import ConfigError
from cetrain.teach.losstable import loss_values, smooth

SCORES = (2.0, 1.0, 0.1)
LOG_ZERO = -4.0  # symmetric cross-entropy's log 0 (Wang et al.'s A)


def softmax(scores):
    exps = [math.exp(s) for s in scores]
    return [e / sum(exps) for e in exps]


def sigmoid(s):
    return 1.0 / (1.0 + math.exp(-s))


def by_name(values):
    return {item.name: item for item in values}


def test_every_training_loss_is_listed_in_order():
    values = loss_values([1.0, 0.0, 0.0], log_softmax(SCORES), scores=SCORES)
    assert [item.name for item in values] == list(LOSS_NAMES)


@pytest.mark.parametrize("target", [0, 1, 2])
def test_softmax_losses_of_a_class_by_hand(target):
    q = softmax(SCORES)
    p = [1.0 if k == target else 0.0 for k in range(3)]
    values = by_name(loss_values(p, log_softmax(SCORES), scores=SCORES))
    ce = -math.log(q[target])
    expected = {
        "cross-entropy": ce,
        "mse": sum((q[k] - p[k]) ** 2 for k in range(3)),
        "focal": (1 - q[target]) ** 2 * ce,
        "hinge": max(0.0, 1 + max(SCORES[k] for k in range(3) if k != target) - SCORES[target]),
        "symmetric-cross-entropy": 0.1 * ce + 1.0 * -LOG_ZERO * (1 - q[target]),
    }
    for name, value in expected.items():
        assert values[name].value == pytest.approx(value, rel=1e-12, abs=1e-15), name


def test_softmax_losses_of_a_distribution_by_hand():
    p, q = [0.1, 0.6, 0.3], [0.228, 0.619, 0.153]
    values = by_name(loss_values(p, np.log(q)))
    ce = -sum(pk * math.log(qk) for pk, qk in zip(p, q, strict=True))
    reverse = -sum(qk * math.log(pk) for pk, qk in zip(p, q, strict=True))
    assert values["cross-entropy"].value == pytest.approx(ce, rel=1e-12)
    assert values["mse"].value == pytest.approx(
        sum((a - b) ** 2 for a, b in zip(q, p, strict=True)), rel=1e-12
    )
    assert values["symmetric-cross-entropy"].value == pytest.approx(0.1 * ce + reverse, rel=1e-12)
    # the focal and hinge losses take classes; hinge also needs scores
    assert values["focal"].value is None and values["hinge"].value is None
    assert values["focal"].reason.startswith("needs a class")
    assert values["hinge"].reason.startswith("needs a class")


def test_hinge_needs_scores():
    values = by_name(loss_values([0.0, 1.0], np.log([0.3, 0.7])))
    assert values["hinge"].value is None
    assert values["hinge"].reason == "needs --scores: it depends on their scale, not only on q"
    assert values["cross-entropy"].value == pytest.approx(-math.log(0.7), rel=1e-12)


@pytest.mark.parametrize(("y", "s"), [(1, 1.5), (0, 1.5), (1, -0.3), (0, -2.0)])
def test_binary_losses_by_hand(y, s):
    scores = (0.0, s)  # softmax(0, s) = (1 - sigmoid(s), sigmoid(s))
    p = [1.0 - y, float(y)]
    values = by_name(loss_values(p, log_softmax(scores), scores=scores, binary=True))
    q1 = sigmoid(s)
    p_t = q1 if y else 1 - q1
    ce = -math.log(p_t)
    alpha_t = 0.25 if y else 0.75  # torchvision: alpha weighs the positives
    expected = {
        "cross-entropy": ce,
        "mse": (q1 - y) ** 2,
        "focal": alpha_t * (1 - p_t) ** 2 * ce,
        "hinge": max(0.0, 1 - (2 * y - 1) * s),
        "symmetric-cross-entropy": 0.1 * ce + -LOG_ZERO * (1 - p_t),
    }
    for name, value in expected.items():
        assert values[name].value == pytest.approx(value, rel=1e-12, abs=1e-15), name


def test_options_reach_the_losses():
    options = {
        "focal": {"gamma": 1.0, "alpha": (0.5, 2.0, 1.0)},
        "symmetric-cross-entropy": {"alpha": 0.5, "beta": 0.25},
    }
    values = by_name(loss_values([0, 1, 0], log_softmax(SCORES), scores=SCORES, options=options))
    q = softmax(SCORES)
    ce = -math.log(q[1])
    assert values["focal"].value == pytest.approx(2.0 * (1 - q[1]) * ce, rel=1e-12)
    assert values["focal"].options == {"alpha": (0.5, 2.0, 1.0), "gamma": 1.0}
    assert values["symmetric-cross-entropy"].value == pytest.approx(
        0.5 * ce + 0.25 * 4.0 * (1 - q[1]), rel=1e-12
    )


def test_focal_with_gamma_zero_and_no_alpha_is_cross_entropy():
    options = {"focal": {"gamma": 0.0, "alpha": None}}
    for binary, scores in ((False, SCORES), (True, (0.0, 1.5))):
        p = [0.0, 1.0, 0.0][: len(scores)]
        values = by_name(
            loss_values(p, log_softmax(scores), scores=scores, binary=binary, options=options)
        )
        assert values["focal"].value == pytest.approx(values["cross-entropy"].value, rel=1e-15)


def test_smoothing_is_pytorchs_target():
    # (1 - e) onehot + e / C; cross-entropy of it is PyTorch's label_smoothing=e loss
    e, target = 0.1, 0
    p = smooth([1.0, 0.0, 0.0], e)
    np.testing.assert_allclose(p, [1 - e + e / 3, e / 3, e / 3], rtol=0, atol=1e-15)
    q = softmax(SCORES)
    pytorch = (1 - e) * -math.log(q[target]) + e / 3 * -sum(math.log(qk) for qk in q)
    values = by_name(loss_values(p, log_softmax(SCORES), scores=SCORES))
    assert values["cross-entropy"].value == pytest.approx(pytorch, rel=1e-12)


def test_binary_smoothing_is_keras_rule():
    assert smooth([0.0, 1.0], 0.2)[1] == pytest.approx(1 * (1 - 0.2) + 0.2 / 2, abs=1e-15)
    with pytest.raises(
        ConfigError, match=r"^label_smoothing must be a finite number in \[0, 1\); got 1.0$"
    ):
        smooth([0.0, 1.0], 1.0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-20, 20), min_size=2, max_size=6),
    st.floats(-50, 50),
    st.data(),
)
def test_losses_of_q_alone_agree_from_probabilities_and_shifted_scores(scores, shift, data):
    # cross-entropy, MSE, focal and symmetric CE depend on q = softmax(s) alone
    target = data.draw(st.integers(0, len(scores) - 1))
    p = [1.0 if k == target else 0.0 for k in range(len(scores))]
    shifted = [s + shift for s in scores]
    from_scores = by_name(loss_values(p, log_softmax(scores), scores=scores))
    from_shifted = by_name(loss_values(p, log_softmax(shifted), scores=shifted))
    from_log_q = by_name(loss_values(p, log_softmax(scores)))
    for name in ("cross-entropy", "mse", "focal", "symmetric-cross-entropy"):
        for other in (from_shifted, from_log_q):
            assert other[name].value == pytest.approx(
                from_scores[name].value, rel=1e-9, abs=1e-12
            ), name


# ------------------------------------------------------------------ the table in `cetrain loss`


def loss_table(stdout: str) -> dict[str, list[str]]:
    """The rows below `loss (train --loss)`: name -> [value, options...]."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("loss (train --loss)"))
    return {line.split()[0]: line.split()[1:] for line in lines[start + 1 :] if line.strip()}


def test_cli_prints_every_loss_of_the_prediction():
    result = invoke("loss", "--target", "0", "--scores", "2.0,1.0,0.1")
    assert result.exit_code == 0, result.output
    table = loss_table(result.stdout)
    assert list(table) == list(LOSS_NAMES)
    q = softmax(SCORES)
    assert table["cross-entropy"] == [f"{-math.log(q[0]):.4f}"]
    assert table["focal"] == [
        f"{(1 - q[0]) ** 2 * -math.log(q[0]):.4f}",
        "alpha",
        "none,",
        "gamma",
        "2",
    ]
    assert table["hinge"] == ["0.0000"]
    assert table["symmetric-cross-entropy"][0] == f"{0.1 * -math.log(q[0]) + 4 * (1 - q[0]):.4f}"


def test_cli_options_of_the_focal_and_symmetric_losses():
    result = invoke(
        "loss", "--target", "B", "--classes", "A,B,C", "--scores", "2.0,1.0,0.1",
        "--focal-gamma", "1", "--focal-alpha", "B=2", "--sce-alpha", "0.5", "--sce-beta", "0.25",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = loss_table(result.stdout)
    q = softmax(SCORES)
    ce = -math.log(q[1])
    assert table["focal"] == [f"{2 * (1 - q[1]) * ce:.4f}", "alpha", "1,2,1,", "gamma", "1"]
    assert table["symmetric-cross-entropy"] == [
        f"{0.5 * ce + 0.25 * 4 * (1 - q[1]):.4f}", "alpha", "0.5,", "beta", "0.25"
    ]  # fmt: skip


def test_cli_smoothing_changes_the_truth_and_drops_the_class_losses():
    result = invoke("loss", "--target", "0", "--scores", "2.0,1.0,0.1", "--smoothing", "0.1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:2] == ["0", f"{0.9 + 0.1 / 3:.4f}"]
    table = loss_table(result.stdout)
    q = softmax(SCORES)
    smoothed = 0.9 * -math.log(q[0]) + 0.1 / 3 * -sum(math.log(x) for x in q)
    assert table["cross-entropy"] == [f"{smoothed:.4f}"]
    assert table["focal"][0] == "-" and table["hinge"][0] == "-"


def test_cli_binary_focal_alpha_is_the_positive_weight():
    result = invoke("loss", "--binary", "--target", "1", "--scores", "1.5", "--focal-alpha", "0.4")
    assert result.exit_code == 0, result.output
    p_t = sigmoid(1.5)
    assert loss_table(result.stdout)["focal"][0] == f"{0.4 * (1 - p_t) ** 2 * -math.log(p_t):.4f}"


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        # the focal alpha of each model kind, resolved by the loss registry as `train` does
        (
            ["--target", "1", "--probs", "0.2,0.8", "--focal-alpha", "0.3"],
            'focal alpha of a softmax model is one weight per class, like "0=0.5,1=0.25", or '
            "none; got 0.3",
            1,
        ),
        (
            ["--binary", "--target", "1", "--probs", "0.8", "--focal-alpha", "a=3"],
            "focal alpha of a logistic model is one number, not class=weight pairs; got a=3.0",
            1,
        ),
        (
            ["--target", "1", "--probs", "0.2,0.8", "--focal-alpha", "7=0.5"],
            "focal alpha names the unknown class '7'; the classes are 0, 1",
            1,
        ),
        (
            ["--target", "1", "--probs", "0.2,0.8", "--smoothing", "1"],
            "Invalid value for '--smoothing': smoothing must be a finite number in [0, 1); got 1.0",
            2,
        ),
    ],
)
def test_cli_option_errors(args, message, exit_code):
    result = invoke("loss", *args)
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


@pytest.mark.parametrize(
    "args",
    [["--binary", "--target", "1", "--probs", "1"], ["--binary", "--target", "0", "--probs", "1"]],
)
def test_cli_probability_of_exactly_one_has_no_nan_and_no_warning(args):
    result = invoke("loss", *args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "nan" not in result.stdout
    table = loss_table(result.stdout)
    assert table["cross-entropy"][0] == "-"
    assert " ".join(table["cross-entropy"][1:]) == (
        "undefined at a probability of exactly 0 or 1: give --scores"
    )


def test_cli_focal_alpha_none_is_no_weighting_so_gamma_0_is_cross_entropy():
    # the README's example: focal loss with gamma 0 and no alpha is log(1 + e^-1.5) = 0.2014
    result = invoke(
        "loss", "--binary", "--target", "1", "--scores", "1.5",
        "--focal-gamma", "0", "--focal-alpha", "none",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = f"{math.log1p(math.exp(-1.5)):.4f}"
    assert loss_table(result.stdout)["focal"] == [expected, "alpha", "none,", "gamma", "0"]
    assert loss_table(result.stdout)["cross-entropy"] == [expected]


@pytest.mark.parametrize("word", ["none", "None", "NONE", " none "])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_cli_focal_alpha_none_in_any_spelling_is_no_weighting(word, gamma):
    # -(1 - p_t)^gamma log p_t with no alpha: the binary form on the score 1.5, the softmax
    # form on (2.0, 1.0, 0.1) with class 1 true; alpha 0.25 would make the binary one a quarter
    binary = invoke(
        "loss", "--binary", "--target", "1", "--scores", "1.5",
        "--focal-gamma", gamma, "--focal-alpha", word,
    )  # fmt: skip
    softmax_result = invoke(
        "loss", "--target", "1", "--scores", "2.0,1.0,0.1",
        "--focal-gamma", gamma, "--focal-alpha", word,
    )  # fmt: skip
    p_binary, p_softmax = sigmoid(1.5), softmax(SCORES)[1]
    for result, p in ((binary, p_binary), (softmax_result, p_softmax)):
        assert result.exit_code == 0, result.output
        expected = -((1 - p) ** gamma) * math.log(p)
        assert loss_table(result.stdout)["focal"] == [
            f"{expected:.4f}", "alpha", "none,", "gamma", f"{gamma:g}",
        ]  # fmt: skip
