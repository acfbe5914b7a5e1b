"""Fits that make no copy of X: standardisation on the fly, a memmap X read block by block.

The reference for the copy-free standardisation is the objective on the standardised copy
(Standardizer.transform), built by hand; the reference for a memmap fit is the same fit on the
array in memory. Memory itself is measured by benchmarks/memory.py, not here.
"""

import warnings

import numpy as np
import pytest

import cetrain.core.blocks
import cetrain.core.objective
from cetrain import LogisticRegression, MultiLabelRegression, SoftmaxRegression
from cetrain.core.objective import LinearObjective
from cetrain.errors import DataError
from cetrain.estimators.validation import check_X


def data(n=400, seed=0, far=300.0):
    """Features with offsets, a column `far` from zero next to its spread 1 and a constant one,
    labels of three classes and sample weights."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.normal(size=(n, 3)) * [1.0, 30.0, 0.01] + [2.0, -500.0, 0.0],
            far + rng.normal(size=n),
            np.full(n, 0.1),
        ]
    )
    scores = (X[:, :4] - X[:, :4].mean(axis=0)) / X[:, :4].std(axis=0) @ rng.normal(size=(4, 3))
    y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
    return X, y, rng.uniform(0.2, 2.0, size=n)


def fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs: the weights, not the optimum, matter
        return model.fit(*args, **kwargs)


ESTIMATORS = [
    pytest.param(lambda: LogisticRegression(max_iter=30, l2=0.01), 2, id="logistic"),
    pytest.param(lambda: SoftmaxRegression(max_iter=30, class_weight="balanced"), 3, id="softmax"),
    pytest.param(lambda: SoftmaxRegression(max_iter=30, standardize=False), 3, id="softmax-raw"),
    pytest.param(lambda: MultiLabelRegression(max_iter=30, l1=0.01), 3, id="multilabel"),
]


@pytest.mark.parametrize(("make", "n_classes"), ESTIMATORS)
def test_a_memmap_fit_equals_the_in_memory_fit(make, n_classes, tmp_path, monkeypatch):
    # small blocks, so that the memmap is read (and given back) in several of them
    monkeypatch.setattr(cetrain.core.objective, "BLOCK_BYTES", 1)
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)
    X, y, weight = data()
    y = y % n_classes
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "X_val.npy", X[:50])
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    validation = (np.load(tmp_path / "X_val.npy", mmap_mode="r"), y[:50])
    on_disk = fit(make(), mapped, y, sample_weight=weight, validation_data=validation)
    in_memory = fit(make(), X, y, sample_weight=weight, validation_data=(X[:50], y[:50]))
    np.testing.assert_array_equal(on_disk.coef_, in_memory.coef_)
    np.testing.assert_array_equal(on_disk.intercept_, in_memory.intercept_)
    assert on_disk.learning_rate_ == in_memory.learning_rate_
    assert on_disk.history_.to_dict() == in_memory.history_.to_dict()
    np.testing.assert_array_equal(on_disk.predict_proba(mapped), in_memory.predict_proba(X))
    np.testing.assert_array_equal(mapped, X)  # read, never written


@pytest.mark.parametrize(("make", "n_classes"), ESTIMATORS)
def test_training_objective_equals_the_objective_on_the_standardised_copy(make, n_classes):
    X, y, weight = data()
    y = y % n_classes
    model = fit(make(), X, y, sample_weight=weight)
    objective = model.training_objective(X, y, weight)
    assert objective.X is X  # the raw features, not a standardised copy
    # by hand: the standardised copy (the constant column exactly 0), the same targets/weights
    Z = model.standardizer_.transform(X)
    Z[:, model.standardizer_.constant_] = 0.0
    copied = LinearObjective(
        Z,
        objective.target,
        objective.loss,
        n_outputs=objective.n_outputs,
        sample_weight=objective.weight,
        l2=objective.l2,
        l1=objective.l1,
    )
    # The gradient's scale is that at theta = 0, where no term has cancelled yet: near the
    # fitted weights the gradient is 1e-5 of it, and the rounding of X^T G through the raw X
    # (eps |mean| / scale of each term) is relative to that scale, not to what is left.
    at_zero = np.empty(objective.n_params)
    copied.value_and_grad(np.zeros(objective.n_params), at_zero)
    W_T, b = model.standardizer_.to_standardised_units(model.coef_, model.intercept_)
    for theta in [objective.pack(W_T.T, b), np.random.default_rng(1).normal(size=len(b) * 6)]:
        grad, expected = np.empty_like(theta), np.empty_like(theta)
        assert objective.value_and_grad(theta, grad) == pytest.approx(
            copied.value_and_grad(theta, expected), rel=1e-12
        )
        np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-12 * np.abs(at_zero).max())
    assert objective.lipschitz_bound() == pytest.approx(copied.lipschitz_bound(), rel=1e-12)


@pytest.mark.parametrize("far", [300.0, 1e12])
def test_the_standardised_fit_reports_what_the_copy_would(far):
    # the copy-free fit against a fit on the standardised copy without standardisation: the
    # same weights in standardised units, so the same coefficients in original ones (a column
    # 1e12 from zero, next to its spread 1, is centred block by block: see CENTRE_RATIO)
    X, y, weight = data(far=far)
    model = fit(SoftmaxRegression(max_iter=50), X, y, sample_weight=weight)
    std = model.standardizer_
    Z = std.transform(X)
    Z[:, std.constant_] = 0.0
    on_copy = fit(SoftmaxRegression(max_iter=50, standardize=False), Z, y, sample_weight=weight)
    # (compared in original units: the intercept far from zero, -coef_ . mean, would not come
    # back to standardised units to better than eps |mean|)
    coef, intercept = std.to_original_units(on_copy.coef_, on_copy.intercept_)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-10, atol=1e-12)
    assert model.learning_rate_ == pytest.approx(on_copy.learning_rate_, rel=1e-12)


def test_check_x_hands_a_float64_array_or_memmap_on_uncopied(tmp_path):
    X, _, _ = data()
    assert check_X(X) is X
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    checked = check_X(mapped)
    assert np.shares_memory(checked, mapped)
    assert not checked.flags.writeable


def test_check_x_finds_a_nan_in_any_block(monkeypatch):
    monkeypatch.setattr(cetrain.core.blocks, "BLOCK_BYTES", 1)  # 64-row blocks
    X, _, _ = data()
    for row in (0, 63, 64, 399):
        bad = X.copy()
        bad[row, 2] = np.nan
        with pytest.raises(DataError) as caught:
            check_X(bad)
        assert str(caught.value) == "X contains NaN or infinite values; drop or fill them first"
    # finite values whose sum overflows are not mistaken for an infinity
    huge = np.full((200, 2), 1.7e308)
    assert check_X(huge) is huge
