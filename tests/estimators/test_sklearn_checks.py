"""scikit-learn compatibility: its own estimator checks, its tags, decision_function's shape
for two classes, feature names, and the kinds of array it passes.

`parametrize_with_checks` yields every check that applies to an estimator, given its tags
(LogisticRegression is binary only; MultiLabelRegression takes multi-label targets). None is
declared an expected failure: all pass (README, "scikit-learn compatibility").
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import breast_cancer_rows
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from cetrain import LogisticRegression, MultiLabelRegression, SoftmaxRegression
from cetrain.errors import DataError, DataTypeError

ESTIMATORS = [LogisticRegression(), SoftmaxRegression(), MultiLabelRegression()]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_tags_say_what_each_estimator_fits():
    logistic, softmax, multilabel = (get_tags(estimator) for estimator in ESTIMATORS)
    assert logistic.classifier_tags.multi_class is False
    assert softmax.classifier_tags.multi_class is True
    assert multilabel.classifier_tags.multi_class is True
    assert [tags.classifier_tags.multi_label for tags in (logistic, softmax, multilabel)] == [
        False,
        False,
        True,
    ]
    assert [tags.target_tags.multi_output for tags in (logistic, softmax, multilabel)] == [
        False,
        False,
        True,
    ]


@pytest.fixture(scope="module")
def small_binary():
    return breast_cancer_rows(120, 6, seed=1)


# --- decision_function for two classes ------------------------------------------------------


def test_two_class_softmax_decision_function_is_the_logit_of_the_second_class(small_binary):
    X, y = small_binary
    model = SoftmaxRegression(l2=0.01).fit(X, y)
    assert model.coef_.shape == (2, 6)
    assert model.intercept_.shape == (2,)
    scores = X @ model.coef_.T + model.intercept_
    decision = model.decision_function(X)
    assert decision.shape == (120,)
    np.testing.assert_allclose(decision, scores[:, 1] - scores[:, 0], rtol=1e-12, atol=1e-12)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(decision, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-9, atol=1e-9)
    # predict_proba and predict are the softmax of both columns' scores, as before
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(scores, axis=1)])
    np.testing.assert_array_equal(model.predict(X), model.classes_[(decision > 0).astype(int)])
    np.testing.assert_allclose(model.proba_from_scores(decision), proba, rtol=1e-12, atol=1e-15)


def test_two_class_softmax_losses_and_scores_use_both_columns(small_binary):
    X, y = small_binary
    model = SoftmaxRegression(l2=0.01).fit(X[:90], y[:90], validation_data=(X[90:], y[90:]))
    proba = model.predict_proba(X[90:])
    assert model.mean_loss(X[90:], y[90:], "cross-entropy") == pytest.approx(
        log_loss(y[90:], proba), rel=1e-12
    )
    assert model.history_.val_log_loss[-1] == pytest.approx(log_loss(y[90:], proba), rel=1e-12)
    assert model.score(X[90:], y[90:]) == np.mean(model.predict(X[90:]) == y[90:])
    assert model.history_.val_accuracy[-1] == model.score(X[90:], y[90:])


def test_two_class_one_vs_rest_decision_function_is_the_logit_of_its_probability(small_binary):
    X, y = small_binary
    model = MultiLabelRegression(l2=0.01).fit(X, y)
    decision = model.decision_function(X)
    assert decision.shape == (120,)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(decision, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(model.predict(X), model.classes_[(decision > 0).astype(int)])


def test_roc_auc_cross_validation_of_a_two_class_softmax_is_sklearns():
    X, y = load_breast_cancer(return_X_y=True)
    l2 = 0.01
    ours = cross_val_score(SoftmaxRegression(l2=l2), X, y, scoring="roc_auc")
    # the two-class softmax's penalty (l2/2)(|w_0|^2 + |w_1|^2) is, at w_0 = -w_1,
    # (l2/4)|w_1 - w_0|^2: a binary model with l2/2, C = 2 / (l2 n); n is 455 or 456 here
    reference = cross_val_score(
        make_pipeline(StandardScaler(), SklearnLogisticRegression(C=2 / (l2 * 455))),
        X,
        y,
        scoring="roc_auc",
    )
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-3)


# --- feature names --------------------------------------------------------------------------


def test_a_dataframe_fit_keeps_its_feature_names(small_binary):
    X, y = small_binary
    names = ["radius", "texture", "perimeter", "area", "smoothness", "compactness"]
    frame = pd.DataFrame(X, columns=names)
    model = LogisticRegression(l2=0.01).fit(frame, y)
    assert model.feature_names_in_.tolist() == names
    assert model.n_features_in_ == 6
    np.testing.assert_array_equal(
        model.predict(frame), LogisticRegression(l2=0.01).fit(X, y).predict(X)
    )
    with pytest.raises(ValueError, match="The feature names should match those that were passed"):
        model.predict(frame.rename(columns={"area": "size"}))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.predict(X)
    # refit on an array: the names are forgotten
    assert not hasattr(model.fit(X, y), "feature_names_in_")


# --- the arrays scikit-learn passes ---------------------------------------------------------


def test_object_f_ordered_and_read_only_arrays_and_a_list_of_weights(small_binary, tmp_path):
    X, y = small_binary
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # so that standardize=False converges too
    weight = np.random.default_rng(3).uniform(0.5, 2.0, size=len(y))
    memmap = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=X.shape)
    memmap[:] = X
    memmap.flush()
    read_only = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="r", shape=X.shape)
    for standardize in (True, False):
        reference = LogisticRegression(l2=0.01, standardize=standardize)
        reference.fit(X, y, sample_weight=weight)
        for features in (X.astype(object), np.asfortranarray(X), read_only):
            model = LogisticRegression(l2=0.01, standardize=standardize)
            model.fit(features, y, sample_weight=weight.tolist())
            np.testing.assert_array_equal(model.coef_, reference.coef_)
            np.testing.assert_array_equal(model.intercept_, reference.intercept_)
            np.testing.assert_array_equal(model.predict_proba(features), reference.predict_proba(X))
    np.testing.assert_array_equal(read_only, X)


def test_values_that_are_not_numbers_are_a_type_error(small_binary):
    X, y = small_binary
    X = X.astype(object)
    X[0, 0] = {"a": 1}
    with pytest.raises(DataTypeError) as caught:
        LogisticRegression().fit(X, y)
    assert isinstance(caught.value, DataError) and isinstance(caught.value, TypeError)
    assert str(caught.value) == (
        "X must be numeric: float() argument must be a string or a real number, not 'dict'"
    )


def test_no_warning_for_a_fit_and_predict_on_arrays(small_binary):
    X, y = small_binary
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(l2=0.01).fit(X, y).predict(X)
