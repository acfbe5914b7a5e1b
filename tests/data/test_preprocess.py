"""Tests for data.preprocess: weighted standardisation and its inverse, polynomial features.

References: hand arithmetic, sklearn.preprocessing.StandardScaler and PolynomialFeatures.
"""

import json
import math
import re
from math import comb

import numpy as np
import pytest
import sklearn.preprocessing

import cetrain.core.blocks
from cetrain import LogisticRegression
from cetrain.core.losses import binary_cross_entropy
from cetrain.core.objective import GRAM_MAX_FEATURES, LinearObjective
from cetrain.data import preprocess
from cetrain.data.preprocess import MAX_POLY_FEATURES, PolynomialFeatures, Standardizer
from cetrain.errors import ConfigError, DataError, ModelFileError

RNG = np.random.default_rng(0)
X_RAW = RNG.normal(size=(40, 3)) * [1.0, 1e3, 1e-3] + [5.0, -2e4, 0.0]


# --- Standardizer ------------------------------------------------------------------------------


def test_weighted_mean_and_std_by_hand():
    # column 0: values 1, 2, 4 with weights 1, 1, 2
    #   mean = (1 + 2 + 2*4) / 4 = 2.75
    #   var  = (1.75^2 + 0.75^2 + 2 * 1.25^2) / 4 = (3.0625 + 0.5625 + 3.125) / 4 = 1.6875
    # column 1: values 0, 10, 10: mean = 30 / 4 = 7.5, var = (7.5^2 + 2.5^2 + 2 * 2.5^2) / 4
    X = np.array([[1.0, 0.0], [2.0, 10.0], [4.0, 10.0]])
    std = Standardizer().fit(X, sample_weight=np.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(std.mean_, [2.75, 7.5], rtol=1e-15)
    np.testing.assert_allclose(
        std.scale_, [math.sqrt(1.6875), math.sqrt((56.25 + 6.25 + 12.5) / 4)], rtol=1e-15
    )


def test_integer_weights_equal_repeated_rows():
    weight = RNG.integers(1, 4, size=X_RAW.shape[0])
    weighted = Standardizer().fit(X_RAW, sample_weight=weight.astype(float))
    repeated = np.repeat(X_RAW, weight, axis=0)
    np.testing.assert_allclose(weighted.mean_, repeated.mean(axis=0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(weighted.scale_, repeated.std(axis=0), rtol=1e-12)


def test_unweighted_equals_sklearn_standard_scaler():
    X = np.column_stack([X_RAW, np.full(40, 7.0)])  # with a constant column
    ours = Standardizer().fit(X)
    theirs = sklearn.preprocessing.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-14)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-14)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-12, atol=1e-12)
    # and standardised columns have mean 0 and std 1
    Z = ours.transform(X)
    np.testing.assert_allclose(Z[:, :3].mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(Z[:, :3].std(axis=0), 1.0, rtol=1e-14)


@pytest.mark.parametrize("value", [0.0, 0.1, -3.7, 1e6 + 0.1])
def test_constant_column_gets_scale_one(value):
    # 0.1 repeated has a computed std of about 1e-17, rounding noise in the mean: not a spread
    X = np.column_stack([np.full(7, value), np.arange(7.0)])
    std = Standardizer().fit(X)
    assert std.scale_[0] == 1.0
    assert std.scale_[1] == pytest.approx(2.0, rel=1e-15)  # std of 0..6 = sqrt(28 / 7)
    Z = std.transform(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_allclose(Z[:, 0], 0.0, atol=1e-9 * max(abs(value), 1.0))


def test_constant_column_with_weights():
    X = np.column_stack([np.full(5, 0.1), [1.0, 2.0, 3.0, 4.0, 5.0]])
    std = Standardizer().fit(X, sample_weight=np.array([0.3, 1.0, 0.0, 2.0, 5.0]))
    assert std.scale_[0] == 1.0


@pytest.mark.parametrize("scale", [1e-250, 1e-20, 1e250, 1e290])
def test_tiny_and_huge_spreads_that_float64_can_hold_are_standardised(scale):
    X = X_RAW[:, :1] * scale
    std = Standardizer().fit(X)
    assert std.scale_[0] == pytest.approx(X_RAW[:, 0].std() * scale, rel=1e-12)
    Z = std.transform(X)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)


def test_a_mean_that_overflows_as_a_sum_is_taken_on_the_scaled_values():
    # with a column of zeros beside it, whose scaling by its largest value would be 0 / 0
    X = np.array([[1.7e308, 0.0], [1.7e308, 0.0], [1.7e308, 0.0]])
    std = Standardizer().fit(X)
    np.testing.assert_array_equal(std.mean_, [1.7e308, 0.0])
    np.testing.assert_array_equal(std.scale_, [1.0, 1.0])
    np.testing.assert_array_equal(std.transform(X), 0.0)


def test_a_mean_that_does_not_overflow_takes_no_second_pass(monkeypatch):
    def second_pass(*args, **kwargs):
        raise AssertionError("a second pass over X")

    monkeypatch.setattr(preprocess, "_weighted_sum", second_pass)
    std = Standardizer().fit(X_RAW)
    np.testing.assert_allclose(std.mean_, X_RAW.mean(axis=0), rtol=1e-14)


def test_features_whose_squares_overflow_beside_a_constant_one():
    # squares of 1e200 leave float64, so the std takes the scaled second pass; the constant
    # column's deviations are all 0 and are scaled by 1, not divided by their largest (0 / 0)
    X = np.array([[1e200, 5.0], [2e200, 5.0], [3e200, 5.0]])
    std = Standardizer().fit(X)
    np.testing.assert_array_equal(std.mean_, [2e200, 5.0])
    assert std.scale_[0] == pytest.approx(math.sqrt(2.0 / 3.0) * 1e200, rel=1e-15)
    assert std.scale_[1] == 1.0
    np.testing.assert_array_equal(std.constant_, [False, True])
    assert std.covariance_ is None


@pytest.mark.parametrize("enabled", [True, False])
def test_a_spread_too_wide_for_float64_is_an_error_naming_the_feature(enabled):
    X = np.column_stack([[-1.7e308, 1.7e308, 0.0], [1.0, 2.0, 3.0]])
    with pytest.raises(DataError) as caught:
        Standardizer(enabled).fit(X, feature_names=["income", "age"])
    assert str(caught.value) == (
        "feature 'income' spreads over more than 4e+292 (from -1.7e+308 to 1.7e+308), beyond "
        "what float64 arithmetic can work with; rescale it (divide by a power of ten) or "
        "leave it out with --features"
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_spreads_too_narrow_for_float64_are_an_error_not_a_constant(enabled):
    X = np.column_stack([[1e-308, -2e-308, 0.0], [3e-309, 0.0, 1e-310], [1.0, 2.0, 3.0]])
    with pytest.raises(DataError) as caught:
        Standardizer(enabled).fit(X)
    assert str(caught.value) == (
        "features 'feature 0', 'feature 1' vary by less than 1e-292 ('feature 0' from -2e-308 "
        "to 1e-308), beyond what float64 arithmetic can work with; rescale them (multiply "
        "by a power of ten) or leave them out with --features"
    )


def test_a_spread_of_ten_rounding_units_is_constant_and_one_of_eleven_is_not():
    # two values 2k units of rounding (eps) apart: std k eps about a largest value of 1 + 2k eps;
    # a feature is constant when its std or range is at most 10 eps times its largest value
    eps = np.finfo(np.float64).eps
    for k, constant in ((10, True), (11, False)):
        std = Standardizer().fit(np.array([[1.0], [1.0 + 2 * k * eps]]))
        assert std.constant_[0] == constant
        assert std.scale_[0] == (1.0 if constant else k * eps)


def test_a_feature_that_varies_only_on_rows_of_weight_zero_is_constant():
    # weighted std 0, though the range is 1: standardising by it would divide by zero
    X = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [2.0, 4.0]])
    std = Standardizer().fit(X, sample_weight=np.array([1.0, 1.0, 1.0, 0.0]))
    np.testing.assert_array_equal(std.constant_, [True, False])
    np.testing.assert_array_equal(std.mean_, [1.0, 2.0])
    np.testing.assert_array_equal(std.scale_, [1.0, math.sqrt(2.0 / 3.0)])
    np.testing.assert_array_equal(std.transform(X)[:, 0], [0.0, 0.0, 0.0, 1.0])


def test_check_spread_accepts_the_limits_themselves():
    # spreads of exactly SMALLEST_SPREAD and LARGEST_SPREAD can be worked with; one unit of
    # rounding beyond either cannot
    for spread in (preprocess.SMALLEST_SPREAD, preprocess.LARGEST_SPREAD):
        preprocess.check_spread(np.array([[0.0], [spread]]))
    for spread, how in (
        (np.nextafter(preprocess.SMALLEST_SPREAD, 0.0), "varies by less than 1e-292"),
        (np.nextafter(preprocess.LARGEST_SPREAD, np.inf), "spreads over more than 4e+292"),
    ):
        with pytest.raises(DataError, match=re.escape(f"feature 'x' {how} (from 0 to")):
            preprocess.check_spread(np.array([[0.0], [spread]]), ["x"])
    preprocess.check_spread(np.empty((0, 2)))  # no rows: nothing to check


def test_values_equal_to_the_last_bit_are_constant_even_near_the_limits():
    X = np.column_stack([np.full(4, 1e-308), np.full(4, -1.7e308), np.full(4, 5e-324)])
    np.testing.assert_array_equal(Standardizer().fit(X).scale_, [1.0, 1.0, 1.0])


def whole_array_standardizer(X, weight=None):
    """(mean, scale) by Standardizer.fit's formula before it read X in blocks: np.average over
    the whole array, with its temporaries of X's size."""
    largest_value = np.max(np.abs(X), axis=0)
    with np.errstate(over="ignore"):
        mean = np.average(X, axis=0, weights=weight)
    if not np.all(np.isfinite(mean)):
        top = np.where(largest_value > 0, largest_value, 1.0)
        mean = top * np.average(X / top, axis=0, weights=weight)
    centred = X - mean
    largest = np.max(np.abs(centred), axis=0)
    unit = np.where(largest > 0, largest, 1.0)
    std = largest * np.sqrt(np.average((centred / unit) ** 2, axis=0, weights=weight))
    return mean, np.where(std <= 10 * np.finfo(float).eps * largest_value, 1.0, std)


BLOCKWISE_DATA = {
    "offsets": np.random.default_rng(1).normal(size=(1000, 4)) * [1.0, 1e3, 1e-3, 0.1]
    + [5.0, -2e4, 0.0, 1e4],
    "huge and tiny": np.random.default_rng(3).normal(size=(1000, 2)) * [1e290, 1e-250],
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("data", list(BLOCKWISE_DATA))
def test_blockwise_standardizer_keeps_the_whole_array_numbers(data, weighted, monkeypatch):
    # BLOCK_BYTES = 1: blocks of 64 rows, a ragged last one of 40
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    X = BLOCKWISE_DATA[data]
    weight = np.random.default_rng(4).uniform(0.0, 3.0, len(X)) if weighted else None
    std = Standardizer().fit(X, sample_weight=weight)
    mean, scale = whole_array_standardizer(X, weight)
    # a mean is known to the rounding of the values it sums, a part in 1e16 of the largest
    np.testing.assert_allclose(std.mean_, mean, rtol=1e-12, atol=1e-12 * np.max(np.abs(X)))
    np.testing.assert_allclose(std.scale_, scale, rtol=1e-12)
    assert not std.constant_.any()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_constant_column_of_many_rows_is_constant(weighted):
    # the mean of 800 x 0.1 is off by more than 10 eps x 0.1: its std alone would count as a
    # spread of 3.5e-16 and standardise the column to +-1
    X = np.column_stack([np.full(800, 0.1), np.full(800, 1e6 + 0.1), np.arange(800.0)])
    weight = np.random.default_rng(5).uniform(0.0, 3.0, 800) if weighted else None
    std = Standardizer().fit(X, sample_weight=weight)
    np.testing.assert_array_equal(std.scale_[:2], [1.0, 1.0])
    np.testing.assert_array_equal(std.constant_, [True, True, False])
    mean, scale = std.objective_terms()
    assert mean is std.mean_
    np.testing.assert_array_equal(scale, [np.inf, np.inf, std.scale_[2]])


GRAM_DATA = {
    "offsets": BLOCKWISE_DATA["offsets"],
    "a mean far from zero": np.random.default_rng(6).normal(size=(700, 3)) * [1.0, 2.0, 0.5]
    + [1e12, -3e8, 0.0],
    "a constant column": np.column_stack(
        [np.full(500, 1e300), np.random.default_rng(7).normal(size=(500, 2))]
    ),
}


def exact_moments(X, weight=None):
    """(mean, std) of each column from math.fsum's exactly rounded sums: the mean, then the
    weighted squares around it."""
    w = np.ones(len(X)) if weight is None else weight
    total = math.fsum(w)
    mean = np.array([math.fsum(w * column) / total for column in X.T])
    squares = [
        math.fsum(w * (column - m) ** 2) / total for column, m in zip(X.T, mean, strict=True)
    ]
    return mean, np.sqrt(squares)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("data", list(GRAM_DATA))
def test_the_fits_gram_matrix_is_the_objectives_own(data, weighted, dtype, monkeypatch):
    # one pass (blocks of 64 rows, merged) gives the Gram matrix the objective would make in a
    # pass of its own over the standardised blocks, and the mean and std of exact sums
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    X = GRAM_DATA[data].copy()
    if dtype == np.float32 and data == "a constant column":
        X[:, 0] = 3.0  # 1e300 is beyond float32
    X = X.astype(dtype)
    weight = np.random.default_rng(8).uniform(0.0, 3.0, len(X)) if weighted else None
    std = Standardizer().fit(X, sample_weight=weight)
    mean, scale = std.objective_terms()
    # float64 targets and weights: the objective would round float32 weights to float32
    objective = LinearObjective(
        X.astype(np.float64),
        np.zeros(len(X)),
        binary_cross_entropy,
        n_outputs=1,
        sample_weight=weight,
        mean=mean,
        scale=scale,
    )
    np.testing.assert_allclose(std.weighted_gram(), objective.weighted_gram(), rtol=0, atol=1e-12)
    varies = ~std.constant_  # (the squares of a constant 1e300 overflow)
    exact_mean, exact_std = exact_moments(X[:, varies].astype(np.float64), weight)
    # to the rounding of the mean's own value, and of the values' spread
    np.testing.assert_allclose(
        std.mean_[varies], exact_mean, rtol=0, atol=1e-15 * np.max(np.abs(X[:, varies]))
    )
    # a mean is known to a rounding u = eps |mean|, which moves the std by (u / std)^2 relative:
    # 3e-9 for a mean 1e12 times the std
    rounding = (np.finfo(float).eps * np.abs(exact_mean) / exact_std) ** 2
    assert np.all(np.abs(std.scale_[varies] / exact_std - 1.0) <= 1e-12 + 2.0 * rounding)


def test_a_fit_makes_no_second_pass_for_its_gram_matrix(monkeypatch):
    def second_pass(self):
        raise AssertionError("the objective's own pass over X")

    monkeypatch.setattr(LinearObjective, "_weighted_gram", second_pass)
    X = BLOCKWISE_DATA["offsets"]
    model = LogisticRegression(l2=0.0, max_iter=3, tol=0.1).fit(X, X[:, 0] > 5.0)
    monkeypatch.undo()
    # the step size of the objective's own pass, to rounding
    mean, scale = model.standardizer_.objective_terms()
    objective = LinearObjective(
        X, X[:, 0] > 5.0, binary_cross_entropy, n_outputs=1, mean=mean, scale=scale
    )
    assert model.learning_rate_ == pytest.approx(1.0 / objective.lipschitz_bound(), rel=1e-13)


@pytest.mark.parametrize(("spread", "weight"), [(1e60, 1e200), (1e-100, 1e-200)])
def test_weights_far_from_one_do_not_overflow_or_vanish_the_std(spread, weight):
    # weighted squares of 1e60 deviations times weights 1e200 overflow float64 unless the
    # weights are scaled first; 1e-100 deviations times 1e-200 vanish
    rng = np.random.default_rng(12)
    X = rng.normal(size=(300, 2)) * [spread, 1.0]
    w = rng.uniform(0.5, 2.0, 300)
    std = Standardizer().fit(X, sample_weight=w * weight)
    reference = Standardizer().fit(X / [spread, 1.0], sample_weight=w)  # in units of spread
    np.testing.assert_allclose(std.scale_, reference.scale_ * [spread, 1.0], rtol=1e-13)
    assert not std.constant_.any()


def test_many_features_keep_no_covariance_and_the_same_numbers():
    # above GRAM_MAX_FEATURES no d x d scatter is made (n d^2 of work for nothing)
    X = np.random.default_rng(13).normal(size=(50, GRAM_MAX_FEATURES + 1)) + 3.0
    std = Standardizer().fit(X)
    assert std.covariance_ is None and std.weighted_gram() is None
    reference = sklearn.preprocessing.StandardScaler().fit(X)
    np.testing.assert_allclose(std.mean_, reference.mean_, rtol=1e-14)
    np.testing.assert_allclose(std.scale_, reference.scale_, rtol=1e-12)


def test_as_many_features_as_the_objective_takes_a_gram_for_keep_the_covariance():
    X = np.random.default_rng(14).normal(size=(3, GRAM_MAX_FEATURES))
    assert Standardizer().fit(X).weighted_gram().shape == (GRAM_MAX_FEATURES + 1,) * 2


def test_no_gram_matrix_without_the_standardiser_pass_that_makes_it():
    assert Standardizer(enabled=False).fit(X_RAW).weighted_gram() is None
    loaded = Standardizer.from_dict(Standardizer().fit(X_RAW).to_dict())
    assert loaded.weighted_gram() is None  # a model file keeps no covariance
    huge = np.random.default_rng(9).normal(size=(100, 2)) * [1e200, 1.0]
    assert Standardizer().fit(huge).weighted_gram() is None  # squares beyond float64


def test_objective_terms():
    std = Standardizer().fit(X_RAW)
    mean, scale = std.objective_terms()
    assert mean is std.mean_ and scale is std.scale_  # no constant feature
    assert Standardizer(enabled=False).fit(X_RAW).objective_terms() == (None, None)
    loaded = Standardizer.from_dict(std.to_dict())  # a model file keeps no constant_
    np.testing.assert_array_equal(loaded.objective_terms()[1], std.scale_)


def test_fit_reads_a_memmap_without_copying_it(tmp_path):
    np.save(tmp_path / "X.npy", X_RAW)
    mapped = Standardizer().fit(np.load(tmp_path / "X.npy", mmap_mode="r"))
    in_memory = Standardizer().fit(X_RAW)
    np.testing.assert_array_equal(mapped.mean_, in_memory.mean_)
    np.testing.assert_array_equal(mapped.scale_, in_memory.scale_)


def test_disabled_standardizer_is_the_identity():
    std = Standardizer(enabled=False).fit(X_RAW, sample_weight=np.ones(40))
    np.testing.assert_array_equal(std.mean_, np.zeros(3))
    np.testing.assert_array_equal(std.scale_, np.ones(3))
    assert std.transform(X_RAW) is X_RAW
    assert std.constant_.dtype == bool and not std.constant_.any()
    W_T, b = np.array([[1.0, 2.0, 3.0]]), np.array([0.5])
    coef, intercept = std.to_original_units(W_T, b)
    np.testing.assert_array_equal(coef, W_T)
    np.testing.assert_array_equal(intercept, b)


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_float32_features_are_standardised_in_float32_rounded_once(offset):
    # at 1e6 +- 1 the float32 step of the mean is 0.0625: rounding the mean to float32 before
    # subtracting it would move every standardised value by up to 0.03 / 0.6 (its scale)
    X = (X_RAW[:, :1] / 1.7 + offset).astype(np.float32)
    std = Standardizer().fit(X)
    Z = std.transform(X)
    assert Z.dtype == np.float32 and Z.flags.c_contiguous
    exact = (X.astype(np.float64) - std.mean_) / std.scale_
    np.testing.assert_array_equal(Z, exact.astype(np.float32))


def test_integer_features_are_standardised_in_float64():
    # by hand: mean 1/3, population std sqrt(14/9), so z = (x - 1/3) / sqrt(14/9)
    X = np.array([[-1], [0], [2]], dtype=np.int64)
    Z = Standardizer().fit(X).transform(X)
    assert Z.dtype == np.float64
    np.testing.assert_allclose(Z[:, 0], (np.array([-1, 0, 2]) - 1 / 3) / math.sqrt(14 / 9))


def test_transform_makes_a_new_c_contiguous_array():
    X = np.asfortranarray(X_RAW.copy())
    before = X.copy()
    std = Standardizer().fit(X)
    Z = std.transform(X)
    assert Z.flags.c_contiguous
    np.testing.assert_array_equal(X, before)
    # the mean is a BLAS sum, NumPy's a running one: they differ in the last bits, which show
    # as 1e-15 in standardised values of about 1 (relative to an entry near 0, more)
    expected = (X_RAW - X_RAW.mean(axis=0)) / X_RAW.std(axis=0)
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_to_original_units_gives_the_same_scores(n_outputs, weighted):
    weight = RNG.uniform(0.1, 2.0, size=40) if weighted else None
    X = np.column_stack([X_RAW, np.full(40, 3.0)])  # a constant column too
    std = Standardizer().fit(X, sample_weight=weight)
    W_T = RNG.normal(size=(n_outputs, 4))
    b = RNG.normal(size=n_outputs)
    coef, intercept = std.to_original_units(W_T, b)
    assert coef.shape == (n_outputs, 4)
    assert intercept.shape == (n_outputs,)
    np.testing.assert_allclose(
        X @ coef.T + intercept, std.transform(X) @ W_T.T + b, rtol=1e-9, atol=1e-9
    )


def test_to_original_units_by_hand():
    # mean 2, scale 4: z = (x - 2) / 4, so 3 z + 1 = (3/4) x + (1 - 3/2)
    std = Standardizer().fit(np.array([[-2.0], [6.0]]))
    assert (std.mean_[0], std.scale_[0]) == (2.0, 4.0)
    coef, intercept = std.to_original_units(np.array([[3.0]]), np.array([1.0]))
    assert coef.tolist() == [[0.75]]
    assert intercept.tolist() == [-0.5]
    W_T, b = std.to_standardised_units(coef, intercept)  # and back
    assert W_T.tolist() == [[3.0]]
    assert b.tolist() == [1.0]


@pytest.mark.parametrize("enabled", [True, False])
def test_standardizer_dict_round_trip(enabled):
    std = Standardizer(enabled=enabled).fit(X_RAW)
    data = json.loads(json.dumps(std.to_dict()))
    assert data == {"enabled": enabled, "mean": list(std.mean_), "scale": list(std.scale_)}
    copy = Standardizer.from_dict(data)
    assert copy.enabled is enabled
    np.testing.assert_array_equal(copy.mean_, std.mean_)
    np.testing.assert_array_equal(copy.scale_, std.scale_)
    np.testing.assert_array_equal(copy.transform(X_RAW), std.transform(X_RAW))


def test_standardizer_from_a_bad_dict_is_a_model_file_error():
    with pytest.raises(ModelFileError) as caught:
        Standardizer.from_dict({"enabled": True, "mean": [0.0]})
    assert str(caught.value) == (
        "bad standardisation settings in the model file: KeyError('scale')"
    )


# --- PolynomialFeatures ------------------------------------------------------------------------


def test_polynomial_by_hand():
    # (a, b) = (2, 3): a, b, a^2, a b, b^2 = 2, 3, 4, 6, 9
    poly = PolynomialFeatures(2).fit(["a", "b"])
    assert poly.feature_names_out == ["a", "b", "a^2", "a b", "b^2"]
    np.testing.assert_array_equal(poly.transform(np.array([[2.0, 3.0]])), [[2, 3, 4, 6, 9]])


@pytest.mark.parametrize("degree", [1, 2, 3, 4])
@pytest.mark.parametrize("n_features", [1, 2, 3])
def test_polynomial_equals_sklearn(degree, n_features):
    names = ["a", "b", "c"][:n_features]
    X = RNG.normal(size=(6, n_features)) * 3
    ours = PolynomialFeatures(degree).fit(names)
    theirs = sklearn.preprocessing.PolynomialFeatures(degree, include_bias=False).fit(X)
    assert ours.feature_names_out == list(theirs.get_feature_names_out(names))
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-14)
    assert len(ours.terms_) == comb(n_features + degree, degree) - 1


def test_polynomial_names_with_powers_and_products():
    poly = PolynomialFeatures(3).fit(["x1", "x2"])
    assert poly.feature_names_out == [
        "x1",
        "x2",
        "x1^2",
        "x1 x2",
        "x2^2",
        "x1^3",
        "x1^2 x2",
        "x1 x2^2",
        "x2^3",
    ]


def test_degree_one_is_the_identity():
    poly = PolynomialFeatures(1).fit(["a", "b", "c"])
    assert poly.feature_names_out == ["a", "b", "c"]
    np.testing.assert_array_equal(poly.transform(X_RAW), X_RAW)
    assert PolynomialFeatures().degree == 1


@pytest.mark.parametrize("degree", [1, 2])
def test_the_monomials_are_float64_at_every_degree(degree):
    X = np.array([[1, 2], [3, 4]], dtype=np.int32)
    features = PolynomialFeatures(degree).fit(["a", "b"]).transform(X)
    assert features.dtype == np.float64
    np.testing.assert_array_equal(features[:, :2], [[1.0, 2.0], [3.0, 4.0]])


def test_a_monomial_beyond_float64_is_inf_without_a_warning():
    # the pipeline reports the overflow itself, naming the degree (warnings are errors here)
    features = PolynomialFeatures(3).fit(["a"]).transform(np.array([[1e200], [2.0]]))
    np.testing.assert_array_equal(features, [[1e200, np.inf, np.inf], [2.0, 4.0, 8.0]])


def test_polynomial_does_not_modify_its_input():
    X = X_RAW.copy()
    PolynomialFeatures(3).fit(["a", "b", "c"]).transform(X)
    np.testing.assert_array_equal(X, X_RAW)


@pytest.mark.parametrize("degree", [0, -1, 1.5, True, "2", None])
def test_bad_degree(degree):
    with pytest.raises(
        ConfigError,
        match=f"^{re.escape(f'poly must be an integer in [1, 20000]; got {degree!r}')}$",
    ):
        PolynomialFeatures(degree)


def test_numpy_integer_degree_is_accepted():
    assert PolynomialFeatures(np.int64(2)).fit(["a"]).feature_names_out == ["a", "a^2"]


def test_exactly_the_most_polynomial_features_are_allowed():
    names = [f"x{i}" for i in range(MAX_POLY_FEATURES + 1)]
    assert len(PolynomialFeatures(1).fit(names[:-1]).terms_) == MAX_POLY_FEATURES
    with pytest.raises(DataError, match="makes 20001 features, more than 20000;"):
        PolynomialFeatures(1).fit(names)


def test_too_many_polynomial_features():
    # degree 2 on d features makes comb(d + 2, 2) - 1: 19899 for d = 198, 20099 for d = 199
    assert MAX_POLY_FEATURES == 20_000
    names = [f"x{i}" for i in range(199)]
    assert len(PolynomialFeatures(2).fit(names[:198]).terms_) == 19_899
    message = (
        "poly degree 2 on 199 features makes 20099 features, more than 20000; "
        "use a lower --poly or fewer --features"
    )
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        PolynomialFeatures(2).fit(names)


def test_polynomial_wrong_number_of_features():
    poly = PolynomialFeatures(2).fit(["a", "b"])
    with pytest.raises(DataError, match=r"^expected 2 features for the polynomial, got 3$"):
        poly.transform(np.zeros((4, 3)))


def test_polynomial_dict_round_trip():
    poly = PolynomialFeatures(3).fit(["a", "b"])
    data = json.loads(json.dumps(poly.to_dict()))
    assert data == {"degree": 3, "input_names": ["a", "b"]}
    copy = PolynomialFeatures.from_dict(data)
    assert copy.feature_names_out == poly.feature_names_out
    X = RNG.normal(size=(5, 2))
    np.testing.assert_array_equal(copy.transform(X), poly.transform(X))


@pytest.mark.parametrize(
    "data",
    [{}, {"degree": 2}, {"degree": "two", "input_names": ["a"]}, {"degree": 0, "input_names": []}],
)
def test_polynomial_from_a_bad_dict(data):
    with pytest.raises(ModelFileError, match=r"^bad polynomial settings in the model file: "):
        PolynomialFeatures.from_dict(data)


# --- what the mutation sweep of preprocess.py found untested (README: Mutation testing) -------


def test_the_errors_name_one_feature_in_the_singular_and_at_most_five():
    wide = np.array([[-1.7e308], [1.7e308]])
    narrow = np.array([[1e-300], [2e-300]])
    with pytest.raises(DataError, match=r"^feature 'a' spreads over more than 4e\+292 "):
        Standardizer().fit(wide, feature_names=["a"])
    with pytest.raises(DataError, match=r"^feature 'a' varies by less than 1e-292 "):
        Standardizer().fit(narrow, feature_names=["a"])
    names = ["a", "b", "c", "d", "e", "f"]
    for count, listed in ((5, "'a', 'b', 'c', 'd', 'e'"), (6, "'a', 'b', 'c', 'd', 'e', ...")):
        with pytest.raises(DataError) as caught:
            Standardizer().fit(np.tile(wide, count), feature_names=names[:count])
        assert str(caught.value).startswith(
            f"features {listed} spread over more than 4e+292 ('a' from -1.7e+308 to 1.7e+308)"
        )


def test_a_weighted_mean_whose_sum_overflows_is_taken_on_the_scaled_values():
    # 10,000 rows alternating a = 1e305 and a + 1024u (u its float64 step; a spread float64 can
    # standardise), weights 1 and 3: the weighted sum overflows; by hand the mean is a + 768u
    # (unweighted: a + 512u) and the std 1024u sqrt(1 x 3) / 4. Each x / max|x| rounds by a
    # step, so the mean is known to a few u
    a = 1e305
    u = np.spacing(a)
    X = np.tile([[a], [a + 1024 * u]], (5000, 1))
    std = Standardizer().fit(X, sample_weight=np.tile([1.0, 3.0], 5000))
    assert std.mean_[0] == pytest.approx(a + 768 * u, rel=0, abs=16 * u)
    # the std around that mean: off by (16u / 1024u)^2 = 2e-4 at most
    assert std.scale_[0] == pytest.approx(1024 * u * math.sqrt(3) / 4, rel=2.5e-4)


def test_weights_that_sum_to_zero_are_refused_as_scikit_learn_does():
    with pytest.raises(ZeroDivisionError, match=r"^Weights sum to zero, can't be normalized$"):
        Standardizer().fit(X_RAW[:2], sample_weight=np.zeros(2))


def test_memory_limit_is_a_quarter_of_the_machine_or_a_fixed_one(monkeypatch):
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1000}
    monkeypatch.setattr(preprocess.os, "sysconf", sizes.__getitem__)
    assert preprocess.memory_limit() == (1_024_000, "a quarter of this machine's memory")
    sizes["SC_PHYS_PAGES"] = 0
    assert preprocess.memory_limit() == (
        preprocess.FALLBACK_MEMORY_LIMIT,
        "a fixed limit: this system does not tell its memory",
    )

    sizes.update(SC_PAGE_SIZE=4097, SC_PHYS_PAGES=1001)  # not a multiple of 4: whole bytes
    assert preprocess.memory_limit()[0] == 4_101_097 // 4 == 1_025_274

    def unknown(name):
        raise ValueError(name)

    monkeypatch.setattr(preprocess.os, "sysconf", unknown)
    assert preprocess.memory_limit()[0] == preprocess.FALLBACK_MEMORY_LIMIT


def test_a_feature_matrix_beyond_the_memory_limit_is_refused_with_its_size(monkeypatch):
    assert preprocess.feature_bytes(3, 5) == 120  # 3 x 5 float64 values, by hand
    monkeypatch.setattr(preprocess, "memory_limit", lambda: (2**30, "a test's limit"))
    preprocess.check_feature_memory(2**30 // 8, 1, "X", "use fewer rows")  # exactly the limit
    with pytest.raises(DataError) as caught:
        preprocess.check_feature_memory(2**27, 2, "X", "use fewer rows")
    assert str(caught.value) == (
        "X: 134217728 rows would need 2 GiB, more than the 1 GiB limit (a test's limit); "
        "use fewer rows"
    )


def test_polynomial_features_beyond_the_memory_limit_are_refused_before_they_are_made(
    monkeypatch,
):
    # degree 2 on 2 features: 5 columns, 100 rows x 5 x 8 bytes = 4000 bytes
    monkeypatch.setattr(preprocess, "memory_limit", lambda: (3999, "a test's limit"))
    X = np.ones((100, 2))
    with pytest.raises(DataError) as caught:
        PolynomialFeatures(2).fit(["a", "b"]).transform(X)
    assert str(caught.value) == (
        "poly degree 2 on 2 features makes 5 columns: 100 rows would need 3.73e-06 GiB, more "
        "than the 3.72e-06 GiB limit (a test's limit); use a lower --poly, fewer --features "
        "or fewer rows"
    )
    monkeypatch.setattr(preprocess, "memory_limit", lambda: (4000, "a test's limit"))
    assert PolynomialFeatures(2).fit(["a", "b"]).transform(X).shape == (100, 5)
    # degree 1 makes no new matrix: nothing to refuse
    monkeypatch.setattr(preprocess, "memory_limit", lambda: (0, "a test's limit"))
    PolynomialFeatures(1).fit(["a", "b"]).check_memory(100)


def test_a_model_files_standardisation_is_float64_and_its_shapes_are_checked():
    std = Standardizer.from_dict({"enabled": True, "mean": [1, 2], "scale": [3, 4]})
    assert std.mean_.dtype == std.scale_.dtype == np.float64
    for mean, scale in (([1.0, 2.0], [3.0]), ([[1.0]], [[1.0]])):
        with pytest.raises(ModelFileError) as caught:
            Standardizer.from_dict({"enabled": True, "mean": mean, "scale": scale})
        assert str(caught.value) == "bad standardisation settings in the model file: shapes differ"
