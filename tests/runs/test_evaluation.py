"""The metrics of `cetrain evaluate` against scikit-learn's, for every kind of target."""

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_iris

from cetrain.estimators import MultiLabelRegression, SoftmaxRegression
from cetrain.runs.evaluation import assess
from cetrain.runs.pipeline import ClassifierPipeline


def fitted(estimator, X, y, **fit):
    return ClassifierPipeline(estimator, [f"x{j}" for j in range(X.shape[1])]).fit(X, y, **fit)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_multiclass_metrics_are_scikit_learns(iris):
    X, y = iris
    pipeline = fitted(SoftmaxRegression(max_iter=200, tol=1e-2), X[::2], y[::2])
    ev = assess(pipeline, X[1::2], y[1::2])
    proba = pipeline.predict_proba(X[1::2])
    predicted = pipeline.predict(X[1::2])
    m = ev.metrics
    assert m["rows"] == 75
    assert m["accuracy"] == skm.accuracy_score(y[1::2], predicted)
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y[1::2], predicted))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y[1::2], proba), rel=1e-10)
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y[1::2], proba, labels=[0, 1, 2]))
    report = skm.classification_report(y[1::2], predicted, output_dict=True, zero_division=0)
    for k in range(3):
        ours = m["per_class"][str(k)]
        assert ours["precision"] == pytest.approx(report[str(k)]["precision"])
        assert ours["recall"] == pytest.approx(report[str(k)]["recall"])
        assert ours["f1"] == pytest.approx(report[str(k)]["f1-score"])
        assert ours["support"] == report[str(k)]["support"]
    assert ev.roc is None and ev.calibration.event == "confidence"
    np.testing.assert_array_equal(ev.predicted, predicted)


def test_multilabel_metrics_are_per_label_and_subset(iris):
    X, y = iris
    Y = np.column_stack([y == 0, y == 2, X[:, 0] > 5.8]).astype(float)
    pipeline = fitted(MultiLabelRegression(max_iter=200, tol=1e-2), X, Y, classes=["a", "b", "c"])
    ev = assess(pipeline, X, Y)
    predicted = pipeline.predict(X)
    proba = pipeline.predict_proba(X)
    m = ev.metrics
    assert m["subset_accuracy"] == skm.accuracy_score(Y, predicted)  # subset accuracy
    assert m["label_accuracy"] == pytest.approx(1 - skm.hamming_loss(Y, predicted))
    assert m["log_loss"] == pytest.approx(
        np.mean([skm.log_loss(Y[:, k], proba[:, k]) for k in range(3)]), rel=1e-10
    )
    precision, recall, f1, support = skm.precision_recall_fscore_support(Y, predicted)
    for k, name in enumerate("abc"):
        ours = m["per_label"][name]
        assert ours["accuracy"] == skm.accuracy_score(Y[:, k], predicted[:, k])
        assert (ours["precision"], ours["recall"], ours["f1"]) == pytest.approx(
            (precision[k], recall[k], f1[k])
        )
        assert ours["support"] == support[k]
        assert ours["brier"] == pytest.approx(skm.brier_score_loss(Y[:, k], proba[:, k]))
    assert "accuracy" not in m and "per_class" not in m


def test_probability_rows_are_compared_as_probabilities(iris):
    X, y = iris
    rng = np.random.default_rng(0)
    Q = rng.dirichlet([1, 1, 1], size=len(y)) * 0.4 + np.eye(3)[y] * 0.6
    pipeline = fitted(SoftmaxRegression(max_iter=200, tol=1e-2), X, Q)
    ev = assess(pipeline, X, Q)
    proba = pipeline.predict_proba(X)
    assert ev.metrics["log_loss"] == pytest.approx(np.mean(-np.sum(Q * np.log(proba), axis=1)))
    assert ev.metrics["brier"] == pytest.approx(np.mean(np.sum((proba - Q) ** 2, axis=1)))
    np.testing.assert_array_equal(ev.truth, np.argmax(Q, axis=1))


def test_the_figures_numbers_are_scikit_learns():
    from sklearn.calibration import calibration_curve
    from sklearn.datasets import load_breast_cancer

    from cetrain.estimators import LogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    pipeline = fitted(LogisticRegression(max_iter=200, tol=1e-2), X[::2], y[::2])
    ev = assess(pipeline, X[1::2], y[1::2])
    p1 = pipeline.predict_proba(X[1::2])[:, 1]
    np.testing.assert_array_equal(
        ev.confusion, skm.confusion_matrix(y[1::2], pipeline.predict(X[1::2]))
    )
    observed, predicted = calibration_curve(y[1::2], p1, n_bins=10)
    (curve,) = ev.calibration.curves
    np.testing.assert_array_equal(curve.observed, observed)
    np.testing.assert_array_equal(curve.mean_predicted, predicted)
    # the bins hold every row, a value on an inner edge in the bin below it, as calibration_curve
    assert ev.calibration.bin_counts.sum() == len(p1)
    inner = np.linspace(0, 1, 11)[1:-1]
    assert ev.calibration.bin_counts[0] == np.sum(p1 <= inner[0])
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y[1::2], p1))
    fpr, tpr, _ = skm.roc_curve(y[1::2], p1)
    np.testing.assert_array_equal(ev.roc.true_positive_rate, tpr)
    np.testing.assert_array_equal(ev.roc.false_positive_rate, fpr)


def test_rows_of_one_class_have_no_roc_curve():
    from sklearn.datasets import load_breast_cancer

    from cetrain.estimators import LogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    pipeline = fitted(LogisticRegression(max_iter=200, tol=1e-2), X, y)
    ev = assess(pipeline, X[y == 1], y[y == 1])
    assert ev.roc is None and "roc_auc" not in ev.metrics
