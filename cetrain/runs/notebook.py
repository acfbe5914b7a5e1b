"""The run's figures from a fitted model and data, for a notebook, in the style of
scikit-learn's ``Display.from_estimator``: each function takes the model and the rows and
returns a matplotlib Figure (Jupyter shows it inline; ``fig.savefig`` writes it).

`model` is a fitted estimator (cetrain.LogisticRegression, SoftmaxRegression,
MultiLabelRegression), a ClassifierPipeline, or a model read by cetrain.load_model; X holds the
features the estimator takes (for a loaded model, what its predict_proba takes) and y the targets
as fit took them.

    fig = cetrain.plot_decision_boundary(model, X_train, y_train, X_test, y_test)
    fig = cetrain.plot_loss_curve(model)
    cetrain.evaluate(model, X_test, y_test).metrics
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cetrain import plots
from cetrain.core.losses import LOSSES
from cetrain.errors import DataError
from cetrain.runs.evaluation import Evaluation, assess
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.trained import TrainedModel
from cetrain.runs.view import PlotView, categorical_levels, model_view, named_view

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def evaluate(model: Any, X: Any, y: Any = None) -> Evaluation:
    """The metrics and predictions of `cetrain evaluate` (cetrain.runs.evaluation.assess) on
    (X, y); ``.metrics`` is the dict that metrics.json holds. A loaded model takes raw data,
    and without y reads the targets from the data's own target columns."""
    if isinstance(model, TrainedModel):
        return model.evaluate(X, y)[0]
    return assess(_pipeline(model), _features(model, X), np.asarray(y))


def plot_loss_curve(model: Any, title: str | None = None) -> Figure:
    """Training (and, when fit had validation_data, validation) loss by epoch."""
    estimator = _pipeline(model).estimator
    history = getattr(estimator, "history_", None)
    if history is None:
        raise DataError(
            "this model has no training history (a model read from model.json keeps none); "
            "plot the loss curve of a model fitted in this session"
        )
    return plots.loss_curve(
        history.train_loss,
        history.val_loss,
        loss_name=LOSSES[estimator.loss].label,
        title=title,
    )


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    X_test: Any = None,
    y_test: Any = None,
    *,
    feature_names: Sequence[str] | None = None,
    plot_features: tuple[int, int] | None = None,
    title: str | None = None,
    columns: Sequence[dict] | None = None,
) -> Figure:
    """Where the model predicts each class over two features (the others held at their mean,
    a text column at its most frequent level), the rows (X, y) as circles and
    (X_test, y_test), if given, as triangles (cetrain.plots.decision_boundary;
    label_boundaries for a multi-label model).

    plot_features None: with more than two features, the two with the largest standardised
    coefficients (as `cetrain train` chooses them), the subtitle says so. `columns` (a
    Dataset's columns) tells which features are the one-hot columns of a text column; a
    model from load_model knows its own."""
    pipeline = _pipeline(model)
    estimator = pipeline.estimator
    X = _features(model, X)
    X_test = np.empty((0, X.shape[1])) if X_test is None else _features(model, X_test)
    names = list(feature_names or pipeline.feature_names)
    class_names = [str(c) for c in estimator.classes_]
    if columns is None and isinstance(model, TrainedModel):
        columns = [column.to_dict() for column in model.columns.columns]
    columns = list(columns or [])
    if plot_features is not None:  # checked by the plot, which names the columns it takes
        view = PlotView(tuple(plot_features) if X.shape[1] > 1 else (0, 0))
    else:
        view = named_view(None, names, columns) or model_view(pipeline, X, names, columns)
    categorical = categorical_levels(columns)
    if estimator.head_.predicts_label_sets:
        y_test = np.empty((0, len(class_names))) if y_test is None else np.asarray(y_test)
        return plots.label_boundaries(
            pipeline.predict_proba,
            X,
            np.asarray(y),
            X_test,
            y_test,
            label_names=class_names,
            feature_names=names,
            plot_features=view.features,
            title=title,
            categorical=categorical,
            why=view.why,
        )
    y_test = np.empty(0, dtype=np.int64) if y_test is None else estimator.class_index(y_test)
    return plots.decision_boundary(
        pipeline.predict_proba,
        X,
        estimator.class_index(y),
        X_test,
        y_test,
        class_names=class_names,
        feature_names=names,
        plot_features=view.features,
        title=title,
        categorical=categorical,
        why=view.why,
    )


def plot_confusion_matrix(model: Any, X: Any, y: Any, title: str = "Confusion matrix") -> Figure:
    """Counts and row-normalised shares (one 2 x 2 matrix per label for multi-label)."""
    return plots.confusion_figure(evaluate(model, X, y), title=title)


def plot_calibration(model: Any, X: Any, y: Any, title: str = "Calibration") -> Figure:
    """The reliability diagram with the rows in each bin."""
    ev = evaluate(model, X, y)
    return plots.reliability_diagram(ev.calibration, ev.class_names, title=title)


def plot_roc_curve(model: Any, X: Any, y: Any, title: str = "ROC curve") -> Figure:
    """The ROC curve of a binary model, with its AUC."""
    ev = evaluate(model, X, y)
    if ev.roc is None:
        what = "labels" if ev.label_sets else "classes"
        raise DataError(
            "a ROC curve is drawn for a binary model on rows of both classes; this one has "
            f"{len(ev.class_names)} {what}"
            + (" (the rows hold one class)" if len(ev.class_names) == 2 else "")
        )
    return plots.roc_curve_figure(ev.roc, ev.class_names, title=title)


def _pipeline(model: Any) -> ClassifierPipeline:
    """The pipeline behind any model this module takes; an estimator on its own features."""
    if isinstance(model, TrainedModel):
        return model.pipeline
    if isinstance(model, ClassifierPipeline):
        return model
    if not hasattr(model, "coef_"):
        raise DataError(f"expected a fitted cetrain model; got {type(model).__name__}")
    if not hasattr(model, "feature_names_in_"):
        return ClassifierPipeline(model, [f"x{j}" for j in range(model.n_features_in_)])
    # fit on a DataFrame: _features checks the columns' names once; the pipeline then scores
    # arrays (a grid, rows), on a copy that does not ask each of them for names
    unnamed = copy.copy(model)
    del unnamed.feature_names_in_
    return ClassifierPipeline(unnamed, [str(name) for name in model.feature_names_in_])


def _features(model: Any, X: Any) -> np.ndarray:
    """X as the pipeline's input features: a loaded model encodes raw data itself; a DataFrame
    must have the columns the estimator was fit on, in order."""
    if isinstance(model, TrainedModel):
        return model.features(X).X
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None and hasattr(X, "columns"):
        given = [str(name) for name in X.columns]
        if given != [str(name) for name in expected]:
            raise DataError(
                f"X has the columns {', '.join(given)}; the model was fit on "
                f"{', '.join(map(str, expected))}"
            )
    return np.asarray(X, dtype=np.float64)
