"""Tests for runs.pipeline: polynomial features in front of an estimator."""

import re

import numpy as np
import pytest
from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures

from cetrain.data.preprocess import PolynomialFeatures
from cetrain.errors import ConfigError, DataError
from cetrain.estimators import LogisticRegression, SoftmaxRegression
from cetrain.runs.pipeline import ClassifierPipeline

_RNG = np.random.default_rng(3)
X = _RNG.normal(size=(40, 2)) * [1.0, 3.0] + [0.5, -1.0]
Y_BINARY = (X[:, 0] ** 2 + 0.1 * X[:, 1] + _RNG.normal(0, 0.5, 40) > 0.8).astype(np.int64)
Y_THREE = np.digitize(X[:, 0] + 0.2 * X[:, 1] + _RNG.normal(0, 0.4, 40), [0.0, 1.0])


def logistic(**params):
    return LogisticRegression(l2=0.01, max_iter=200, **params)


def softmax(**params):
    return SoftmaxRegression(l2=0.01, max_iter=200, **params)


@pytest.mark.parametrize(("make", "y"), [(logistic, Y_BINARY), (softmax, Y_THREE)])
def test_poly_2_equals_fitting_the_estimator_on_polynomial_features(make, y):
    pipeline = ClassifierPipeline(make(), ["u", "v"], poly=2).fit(X, y)
    X_poly = PolynomialFeatures(2).fit(["u", "v"]).transform(X)
    direct = make().fit(X_poly, y)
    np.testing.assert_array_equal(pipeline.estimator.coef_, direct.coef_)
    np.testing.assert_array_equal(pipeline.estimator.intercept_, direct.intercept_)
    np.testing.assert_array_equal(pipeline.predict_proba(X), direct.predict_proba(X_poly))
    np.testing.assert_array_equal(pipeline.predict(X), direct.predict(X_poly))
    assert pipeline.estimator.n_iter_ == direct.n_iter_


@pytest.mark.parametrize("degree", [2, 3])
def test_transform_matches_scikit_learns_polynomial_features(degree):
    pipeline = ClassifierPipeline(logistic(), ["u", "v"], poly=degree)
    reference = SkPolynomialFeatures(degree=degree, include_bias=False).fit(X)
    np.testing.assert_allclose(pipeline.transform(X), reference.transform(X), rtol=1e-14)
    assert pipeline.model_feature_names == list(reference.get_feature_names_out(["u", "v"]))


def test_poly_1_is_the_identity():
    pipeline = ClassifierPipeline(logistic(), ["u", "v"])
    np.testing.assert_array_equal(pipeline.transform(X), X)
    assert pipeline.model_feature_names == ["u", "v"]
    assert pipeline.feature_names == ["u", "v"]


def test_poly_1_pipeline_equals_the_bare_estimator():
    pipeline = ClassifierPipeline(softmax(), ["u", "v"]).fit(X, Y_THREE)
    direct = softmax().fit(X, Y_THREE)
    np.testing.assert_array_equal(pipeline.estimator.coef_, direct.coef_)
    np.testing.assert_array_equal(pipeline.decision_function(X), direct.decision_function(X))


def test_scores_are_polynomial_features_times_coef_plus_intercept():
    pipeline = ClassifierPipeline(softmax(), ["u", "v"], poly=3).fit(X, Y_THREE)
    X_poly = SkPolynomialFeatures(degree=3, include_bias=False).fit_transform(X)
    est = pipeline.estimator
    expected = X_poly @ est.coef_.T + est.intercept_
    np.testing.assert_allclose(pipeline.decision_function(X), expected, rtol=1e-12, atol=1e-12)
    probabilities = pipeline.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(
        pipeline.predict(X), pipeline.classes_[np.argmax(probabilities, axis=1)]
    )


def test_classes_come_from_the_estimator():
    labels = np.array(["no", "yes"])[Y_BINARY]
    pipeline = ClassifierPipeline(logistic(), ["u", "v"], poly=2).fit(X, labels)
    assert pipeline.classes_.tolist() == ["no", "yes"]
    assert pipeline.classes_ is pipeline.estimator.classes_


def test_validation_data_goes_through_the_polynomial_features():
    """With the training set as validation set, the validation loss is the training loss."""
    pipeline = ClassifierPipeline(logistic(), ["u", "v"], poly=2)
    pipeline.fit(X, Y_BINARY, validation_data=(X, Y_BINARY))
    history = pipeline.estimator.history_
    assert len(history["val_loss"]) == len(history["train_loss"]) == pipeline.estimator.n_iter_ + 1
    np.testing.assert_allclose(history["val_loss"], history["train_loss"], rtol=1e-12)


def test_callback_is_passed_to_the_estimator():
    calls = []
    pipeline = ClassifierPipeline(logistic(), ["u", "v"], poly=2)
    pipeline.fit(X, Y_BINARY, callback=lambda epoch, loss, norm: calls.append((epoch, loss, norm)))
    history = pipeline.estimator.history_
    assert [epoch for epoch, _, _ in calls] == list(range(pipeline.estimator.n_iter_ + 1))
    assert [loss for _, loss, _ in calls] == history["train_loss"]
    assert [norm for _, _, norm in calls] == history["grad_norm"]


def test_fit_returns_the_pipeline():
    pipeline = ClassifierPipeline(logistic(), ["u", "v"])
    assert pipeline.fit(X, Y_BINARY) is pipeline


def test_wrong_number_of_input_columns():
    pipeline = ClassifierPipeline(logistic(), ["u", "v"], poly=2).fit(X, Y_BINARY)
    with pytest.raises(
        DataError, match=f"^{re.escape('expected 2 features for the polynomial, got 3')}$"
    ):
        pipeline.predict(np.ones((4, 3)))


@pytest.mark.parametrize("degree", [0, -1, 1.5, True])
def test_bad_degree(degree):
    with pytest.raises(
        ConfigError,
        match=f"^{re.escape(f'poly must be an integer in [1, 20000]; got {degree!r}')}$",
    ):
        ClassifierPipeline(logistic(), ["u", "v"], poly=degree)
