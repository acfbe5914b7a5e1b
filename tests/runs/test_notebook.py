"""The notebook figures (cetrain.plot_*) draw what the run's figures draw, from a model."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.metrics import confusion_matrix

import cetrain
from cetrain.errors import DataError
from cetrain.runs.modelfile import from_dict, to_dict
from cetrain.runs.pipeline import ClassifierPipeline


@pytest.fixture(scope="module")
def iris_model():
    X, y = load_iris(return_X_y=True)
    return cetrain.SoftmaxRegression(max_iter=300, tol=1e-2).fit(X, y), X, y


def test_confusion_matrix_of_a_model_counts_its_predictions(iris_model):
    model, X, y = iris_model
    fig = cetrain.plot_confusion_matrix(model, X, y)
    expected = confusion_matrix(y, model.predict(X)).ravel()
    assert [t.get_text() for t in fig.axes[0].texts] == [str(v) for v in expected]


def test_evaluate_gives_the_metrics_of_cetrain_evaluate(iris_model):
    model, X, y = iris_model
    metrics = cetrain.evaluate(model, X, y).metrics
    assert metrics["accuracy"] == model.score(X, y)
    assert metrics["log_loss"] == pytest.approx(model.mean_loss(X, y, "cross-entropy"))


def test_roc_is_for_binary_models_only(iris_model):
    model, X, y = iris_model
    expected = (
        r"^a ROC curve is drawn for a binary model on rows of both classes; this one has 3 "
        r"classes$"
    )
    with pytest.raises(DataError, match=expected):
        cetrain.plot_roc_curve(model, X, y)
    Xb, yb = load_breast_cancer(return_X_y=True)
    binary = cetrain.LogisticRegression(max_iter=300, tol=1e-2).fit(Xb, yb)
    fig = cetrain.plot_roc_curve(binary, Xb, yb)
    assert fig.axes[0].lines[1].get_label().startswith("model (AUC 0.99")


def test_loss_curve_draws_the_history_and_needs_one(iris_model):
    model, X, _ = iris_model
    fig = cetrain.plot_loss_curve(model)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), model.history_.train_loss)
    names = [f"x{j}" for j in range(X.shape[1])]
    saved = from_dict(to_dict(ClassifierPipeline(model, names)))  # as model.json reads back
    with pytest.raises(DataError, match=r"^this model has no training history"):
        cetrain.plot_loss_curve(saved)
