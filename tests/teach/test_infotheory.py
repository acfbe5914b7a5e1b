"""Tests for teach.infotheory: entropy, cross-entropy and KL against hand arithmetic (math.log),
the 0 log 0 and q_k = 0 conventions, bits, the binary form, input checks, and Gibbs' inequality.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cetrain.core.links import log_softmax
from cetrain.core.losses import binary_cross_entropy
from cetrain.errors import DataError
from cetrain.teach.infotheory import (
    binary_distribution,
    check_distribution,
    cross_entropy_of,
    entropy,
    in_bits,
    information_report,
    kl_divergence,
    log_probabilities,
)

ONE_HOT_B = [0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    ("q", "nats"),
    [
        ([0.228, 0.619, 0.153], -math.log(0.619)),  # 0.47965
        ([0.001, 0.998, 0.001], -math.log(0.998)),  # 0.0020020
        ([0.001, 0.001, 0.998], -math.log(0.001)),  # 6.907755
    ],
)
def test_cross_entropy_of_a_known_class_is_minus_log_q_of_that_class(q, nats):
    assert cross_entropy_of(ONE_HOT_B, log_probabilities(q)) == pytest.approx(nats, rel=1e-12)
    assert cross_entropy_of(ONE_HOT_B, log_probabilities(q), base=2) == pytest.approx(
        nats / math.log(2), rel=1e-12
    )


def test_textbook_values_to_four_decimals():
    report = information_report(ONE_HOT_B, log_probabilities([0.228, 0.619, 0.153]))
    assert f"{report.cross_entropy:.4f}" == "0.4797"
    assert f"{in_bits(report.cross_entropy):.4f}" == "0.6920"


def test_soft_truth_against_hand_formulas():
    p, q = [0.1, 0.6, 0.3], [0.228, 0.619, 0.153]
    h_p = -(0.1 * math.log(0.1) + 0.6 * math.log(0.6) + 0.3 * math.log(0.3))
    h_pq = -(0.1 * math.log(0.228) + 0.6 * math.log(0.619) + 0.3 * math.log(0.153))
    kl = 0.1 * math.log(0.1 / 0.228) + 0.6 * math.log(0.6 / 0.619) + 0.3 * math.log(0.3 / 0.153)
    report = information_report(p, log_probabilities(q))
    assert report.entropy == pytest.approx(h_p, rel=1e-12)
    assert report.cross_entropy == pytest.approx(h_pq, rel=1e-12)
    assert report.kl_divergence == pytest.approx(kl, rel=1e-12)
    assert report.kl_divergence == pytest.approx(h_pq - h_p, rel=1e-12)
    np.testing.assert_allclose(report.q, q, rtol=1e-12)


def test_scores_are_turned_into_q_by_softmax():
    scores = [2.0, 1.0, 0.1]
    lse = math.log(math.exp(2.0) + math.exp(1.0) + math.exp(0.1))
    report = information_report([1.0, 0.0, 0.0], log_softmax(scores))
    assert report.cross_entropy == pytest.approx(lse - 2.0, rel=1e-12)  # 0.41703
    np.testing.assert_allclose(report.q, [math.exp(s - lse) for s in scores], rtol=1e-12)


def test_extreme_scores_give_exact_finite_values():
    """log q from log_softmax, never log(q + eps): q_2 = e^-2000 underflows, log q_2 does not."""
    log_q = log_softmax([1000.0, 0.0, -1000.0])
    assert cross_entropy_of([0.0, 0.0, 1.0], log_q) == 2000.0
    assert kl_divergence([0.0, 0.0, 1.0], log_q) == 2000.0
    assert cross_entropy_of([1.0, 0.0, 0.0], log_q) == 0.0


@pytest.mark.parametrize("n_classes", [2, 3, 5, 10])
def test_entropy_of_the_uniform_distribution_is_log_c(n_classes):
    uniform = np.full(n_classes, 1.0 / n_classes)
    assert entropy(uniform) == pytest.approx(math.log(n_classes), rel=1e-12)
    assert entropy(uniform, base=2) == pytest.approx(math.log2(n_classes), rel=1e-12)


def test_entropy_of_a_one_hot_distribution_is_plus_zero():
    h = entropy(ONE_HOT_B)
    assert h == 0.0
    assert math.copysign(1.0, h) == 1.0  # not -0.0


@pytest.mark.parametrize("p", [[0.5, 0.5], [0.2, 0.3, 0.5], [0.0, 0.25, 0.75], ONE_HOT_B])
def test_kl_of_a_distribution_with_itself_is_zero(p):
    assert kl_divergence(p, log_probabilities(p)) == pytest.approx(0.0, abs=1e-15)
    assert cross_entropy_of(p, log_probabilities(p)) == pytest.approx(entropy(p), abs=1e-15)


def test_bits_are_nats_over_log_2():
    p, log_q = [0.1, 0.6, 0.3], log_probabilities([0.2, 0.5, 0.3])
    for function in (cross_entropy_of, kl_divergence):
        nats = function(p, log_q)
        assert function(p, log_q, base=2) == pytest.approx(nats / math.log(2), rel=1e-12)
        assert in_bits(nats) == pytest.approx(nats / math.log(2), rel=1e-12)
        assert function(p, log_q, base=10) == pytest.approx(nats / math.log(10), rel=1e-12)
    assert entropy(p, base=2) == pytest.approx(entropy(p) / math.log(2), rel=1e-12)


def test_zero_log_zero_is_zero():
    """A class with p_k = 0 contributes nothing, even where q_k = 0 too."""
    p, q = [0.0, 0.5, 0.5], [0.0, 0.5, 0.5]
    assert entropy(p) == pytest.approx(math.log(2), rel=1e-12)
    assert cross_entropy_of(p, log_probabilities(q)) == pytest.approx(math.log(2), rel=1e-12)
    assert kl_divergence(p, log_probabilities(q)) == 0.0


def test_a_possible_class_predicted_impossible_costs_infinitely_much():
    report = information_report([0.5, 0.5, 0.0], log_probabilities([0.0, 0.5, 0.5]))
    assert report.entropy == pytest.approx(math.log(2), rel=1e-12)
    assert report.cross_entropy == math.inf
    assert report.kl_divergence == math.inf
    assert report.q[0] == 0.0


@pytest.mark.parametrize(("p1", "s"), [(1.0, 1.5), (0.0, 1.5), (0.3, -2.0), (0.8, 0.0)])
def test_two_class_form_is_binary_cross_entropy_on_the_logit(p1, s):
    sigma = 1.0 / (1.0 + math.exp(-s))
    by_hand = -(p1 * math.log(sigma) + (1.0 - p1) * math.log(1.0 - sigma))
    two_class = cross_entropy_of(binary_distribution(p1), log_softmax([0.0, s]))
    assert two_class == pytest.approx(by_hand, rel=1e-12)
    assert two_class == pytest.approx(binary_cross_entropy([s], [p1]), rel=1e-12)


def test_binary_entropy_by_hand():
    p1 = 0.3
    by_hand = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    assert entropy(binary_distribution(p1)) == pytest.approx(by_hand, rel=1e-12)
    np.testing.assert_array_equal(binary_distribution(0.25), [0.75, 0.25])


def test_check_distribution_divides_by_the_sum():
    p = check_distribution([0.2, 0.3, 0.5000004])
    assert p.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(p, np.array([0.2, 0.3, 0.5000004]) / 1.0000004, rtol=1e-15)


def test_an_unnormalised_log_q_is_renormalised_for_all_three_quantities():
    """q sums to 1 + 9e-7 (within the tolerance): KL, H(p, q) and q agree on q / sum(q)."""
    q = np.array([0.5, 0.5000009])
    report = information_report([0.5, 0.5], np.log(q))
    assert report.kl_divergence == pytest.approx(
        report.cross_entropy - report.entropy, rel=0, abs=1e-15
    )
    np.testing.assert_allclose(report.q, q / q.sum(), rtol=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_distribution([0.5, 0.4]), "probabilities must sum to 1 (within 1e-6); "),
        (lambda: check_distribution([1.2, -0.2]), "probabilities must be in [0, 1]; got 1.2"),
        (lambda: check_distribution([0.5, math.nan]), "probabilities must be in [0, 1]; got nan"),
        (lambda: check_distribution([]), "a distribution is a vector of probabilities; got "),
        (lambda: binary_distribution(-0.5), "probabilities must be in [0, 1]; got -0.5"),
        (
            lambda: cross_entropy_of([0.5, 0.5], [0.0, 0.0, 0.0]),
            "p and log q must be vectors of the same length C >= 2; got shapes (2,) and (3,)",
        ),
        (
            lambda: kl_divergence([1.0], [0.0]),
            "p and log q must be vectors of the same length C >= 2; got shapes (1,) and (1,)",
        ),
        (
            lambda: kl_divergence([0.5, 0.5], [math.nan, 0.0]),
            "log q must be finite or -inf (for q_k = 0), and not all -inf",
        ),
        (
            lambda: cross_entropy_of([0.5, 0.5], [-math.inf, -math.inf]),
            "log q must be finite or -inf (for q_k = 0), and not all -inf",
        ),
    ],
)
def test_bad_input_is_a_data_error(call, message):
    with pytest.raises(DataError) as info:
        call()
    assert str(info.value).startswith(message)


def test_the_sum_in_the_message():
    with pytest.raises(DataError, match=r"these sum to 0\.9$"):
        check_distribution([0.1, 0.6, 0.2])


# ------------------------------------------------------------------ Gibbs' inequality

WEIGHTS = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6).filter(lambda w: sum(w) > 1e-3)


@settings(max_examples=200, deadline=None)
@given(WEIGHTS, st.data())
def test_kl_is_non_negative_and_cross_entropy_at_least_entropy(p_weights, data):
    q_weights = data.draw(
        st.lists(st.floats(0.0, 1.0), min_size=len(p_weights), max_size=len(p_weights)).filter(
            lambda w: sum(w) > 1e-3
        )
    )
    p = np.array(p_weights) / sum(p_weights)
    q = np.array(q_weights) / sum(q_weights)
    report = information_report(p, log_probabilities(q))
    # Rounding only: H(p) <= log 6 has an error of a few ulps. H(p, q) reaches about 745 when some
    # q_k is subnormal (hypothesis finds 5e-324), so KL is compared with the difference relatively.
    assert report.kl_divergence >= -1e-14
    assert report.cross_entropy >= report.entropy - 1e-14
    if math.isfinite(report.cross_entropy):
        assert report.kl_divergence == pytest.approx(
            report.cross_entropy - report.entropy, rel=1e-12, abs=1e-13
        )
    else:
        assert report.kl_divergence == math.inf
