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


def test_decision_boundary_shows_what_the_model_uses_and_keeps_text_columns_whole():
    from cetrain.data import load_dataset

    birds = load_dataset("species")
    model = cetrain.SoftmaxRegression(max_iter=300, tol=1e-3).fit(birds.X, birds.y)
    fig = cetrain.plot_decision_boundary(
        model, birds.X, birds.y, feature_names=birds.feature_names, columns=birds.columns
    )
    ax = fig.axes[0]
    # the two largest standardised coefficients, over the classes
    weight = np.linalg.norm(model.coef_ * birds.X.std(axis=0), axis=0)
    first, second = np.argsort(-weight)[:2]
    assert (ax.get_xlabel(), ax.get_ylabel()) == (
        birds.feature_names[first],
        birds.feature_names[second],
    )
    title = " ".join(ax.get_title().split("\n"))
    assert "chosen for the largest standardised coefficients of 5 features" in title
    site = birds.X[:, [birds.feature_names.index(f"site={s}") for s in ("meadow", "woodland")]]
    counts = [np.sum(site.sum(axis=1) == 0), *site.sum(axis=0)]
    most = ["marsh", "meadow", "woodland"][int(np.argmax(counts))]
    assert f"site at {most}, the most frequent level" in title
