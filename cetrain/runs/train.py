"""One training run as a library call: data -> split -> pipeline -> fit -> metrics.

`train(settings)` is what `cetrain train` does before it writes the run folder; a notebook can
call it too and look at the result.
"""

import dataclasses
import time
import warnings

import numpy as np

from cetrain.data import Dataset, load_dataset, target_kind, train_test_split
from cetrain.errors import ConfigError, ConvergenceWarning, DataError
from cetrain.estimators import (
    EpochCallback,
    LogisticRegression,
    MultiLabelRegression,
    SoftmaxRegression,
    describe,
)
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.settings import TrainSettings, parse_class_values, parse_class_weight

ESTIMATORS = {
    "logistic": LogisticRegression,
    "softmax": SoftmaxRegression,
    "multilabel": MultiLabelRegression,
}

# A label column with more distinct values than this is a number to predict, not classes.
MAX_CLASSES = 100
# Epochs whose weights --animate keeps (log-spaced), among which the GIF's frames are chosen.
ANIMATION_SNAPSHOTS = 400


@dataclasses.dataclass
class TrainResult:
    """What a run produced. `settings` is resolved: model, target, data path and plot features
    hold what was actually used, so writing them out reproduces the run."""

    settings: TrainSettings
    dataset: Dataset
    pipeline: ClassifierPipeline
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    metrics: dict
    plot_features: tuple[int, int]
    warnings: list[str]

    @property
    def history(self) -> dict[str, list[float]]:
        return self.pipeline.estimator.history_


def train(
    settings: TrainSettings,
    *,
    callback: EpochCallback | None = None,
    dataset: Dataset | None = None,
) -> TrainResult:
    """Load the data, split it, fit the model and measure it.

    Parameters
    ----------
    settings : TrainSettings
        Validated settings (see cetrain.runs.settings).
    callback : callable, optional
        callback(epoch, train_loss, grad_norm) after every epoch, e.g. for a progress bar.
    dataset : Dataset, optional
        The data the settings name, already loaded (load_settings_data): compare trains on the
        same data several times and loads it once.

    Returns
    -------
    TrainResult
        ConvergenceWarnings raised while fitting are returned in `warnings`, not raised.
    """
    if settings.data is None:
        raise ConfigError(
            "no data given; name a dataset or a CSV file with --data (see `cetrain datasets`) "
            "or `data = ...` in the config file"
        )
    if dataset is None:
        dataset = load_settings_data(settings)
    kind_of_target = target_kind(dataset.y)
    if kind_of_target == "labels":
        classes = np.unique(dataset.y)
        _check_labels_are_classes(classes, dataset)
    else:
        classes = np.asarray(dataset.target_names)
    kind = choose_model(settings.model, classes, dataset.name, kind_of_target)
    if kind_of_target == "probabilities" and settings.loss in LABEL_ONLY_LOSSES:
        raise ConfigError(
            f"the loss '{settings.loss}' takes class labels, but the target columns of "
            f"'{dataset.name}' hold probabilities: use cross-entropy, mse or "
            "symmetric-cross-entropy"
        )
    if settings.animate and kind == "multilabel" and kind_of_target != "labels":
        raise ConfigError(
            "animate draws one decision boundary; a multi-label model has one per label: "
            "leave animate off"
        )
    plot_features = _plot_feature_indices(settings.plot_features, dataset.feature_names)
    split = train_test_split(
        dataset.X,
        dataset.y,
        test_size=settings.test_size,
        seed=settings.seed,
        sample_weight=dataset.sample_weight,
    )
    X_train, X_test, y_train, y_test = split[:4]
    w_train = split[4] if len(split) > 4 else None  # the weights split with the rows, if any
    if kind_of_target == "labels" and len(np.unique(y_train)) < len(classes):
        missing = ", ".join(str(c) for c in np.setdiff1d(classes, y_train))
        raise DataError(
            f"the training split has no rows of class {missing}; use a smaller test_size"
        )

    estimator = ESTIMATORS[kind](
        loss=settings.loss,
        learning_rate=settings.lr,
        max_iter=settings.epochs,
        tol=settings.tol,
        l2=settings.l2,
        l1=settings.l1,
        momentum=settings.momentum,
        standardize=settings.standardize,
        class_weight=(parse_class_weight(settings.class_weight) if settings.class_weight else None),
        label_smoothing=settings.label_smoothing,
        loss_options=loss_options(settings),
    )
    pipeline = ClassifierPipeline(estimator, dataset.feature_names, poly=settings.poly)
    has_test = len(y_test) > 0
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        pipeline.fit(
            X_train,
            y_train,
            sample_weight=w_train,
            classes=None if kind_of_target == "labels" else dataset.target_names,
            validation_data=(X_test, y_test) if has_test else None,
            callback=callback,
            record_params=snapshot_epochs(settings.epochs) if settings.animate else False,
        )
    seconds = time.perf_counter() - started
    for caught_warning in caught:  # hand on what is not ours to report
        if not issubclass(caught_warning.category, ConvergenceWarning):
            warnings.warn_explicit(
                caught_warning.message,
                caught_warning.category,
                caught_warning.filename,
                caught_warning.lineno,
            )

    metrics = {
        "train": evaluate(pipeline, X_train, y_train),
        "test": evaluate(pipeline, X_test, y_test) if has_test else None,
        "epochs": estimator.n_iter_,
        "converged": estimator.status_ == "converged",
        "status": estimator.status_,
        "seconds": round(seconds, 4),
        "rows_dropped": dataset.rows_dropped,
        "n_train": len(y_train),
        "n_test": len(y_test),
        "learning_rate": estimator.learning_rate_,
        "final_grad_norm": estimator.history_["grad_norm"][-1],
        "zero_coefficients": int(np.count_nonzero(estimator.coef_ == 0)),
        "coefficients": int(estimator.coef_.size),
    }
    return TrainResult(
        settings=_resolved_settings(settings, dataset, kind, plot_features),
        dataset=dataset,
        pipeline=pipeline,
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        metrics=metrics,
        plot_features=plot_features,
        warnings=[str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)],
    )


def load_settings_data(settings: TrainSettings) -> Dataset:
    """The dataset the settings name, with their target, features, generator and weights."""
    return load_dataset(
        settings.data,
        target=settings.target,
        features=settings.features,
        n_samples=settings.n_samples,
        noise=settings.noise,
        seed=settings.seed,
        weight_col=settings.weight_col,
    )


def _resolved_settings(
    settings: TrainSettings, dataset: Dataset, kind: str, plot_features: tuple[int, int]
) -> TrainSettings:
    """The settings with what the run actually used filled in, so config.toml reproduces it."""
    from_csv = dataset.source not in ("sklearn", "generator")
    by_name = settings.data.lower().replace("-", "_") == dataset.name
    names = dataset.feature_names
    return dataclasses.replace(
        settings,
        # a registered name stays a name; a CSV path becomes absolute, to re-run from anywhere
        data=dataset.name if by_name else dataset.source,
        target=dataset.target_name if from_csv else None,
        model=kind,
        plot_features=tuple(names[i] for i in plot_features) if len(names) > 1 else None,
    )


def snapshot_epochs(max_iter: int, count: int = ANIMATION_SNAPSHOTS) -> list[int]:
    """About `count` log-spaced epochs in 0..max_iter whose weights an animation may draw: its
    frames are picked among them, so the memory kept does not grow with the epochs."""
    spaced = np.round(np.geomspace(1, max_iter + 1, count)).astype(int) - 1
    return sorted({0, *spaced.tolist()})


def choose_model(
    model: str, classes: np.ndarray, dataset_name: str, kind_of_target: str = "labels"
) -> str:
    """ "logistic", "softmax" or "multilabel" for `model` ("auto" or one of those) and the
    target: auto picks logistic for two labels, softmax for more or for probability rows, and
    multilabel for 0/1 columns that are not one class per row."""
    n = len(classes)
    if kind_of_target == "multilabel":
        if model in ("auto", "multilabel"):
            return "multilabel"
        raise DataError(
            f"model '{model}' needs one class per row, but the target columns of "
            f"'{dataset_name}' ({describe(classes)}) have rows with several labels or none; "
            "use model 'multilabel' or 'auto'"
        )
    if kind_of_target == "probabilities":
        if model in ("logistic", "multilabel"):
            takes = "one label column" if model == "logistic" else "0/1 label columns"
            raise DataError(
                f"model '{model}' takes {takes}; '{dataset_name}' has {n} target "
                "columns of probabilities: use model 'softmax' or 'auto'"
            )
        return "softmax" if model == "auto" else model
    if n < 2:
        raise DataError(
            f"'{dataset_name}' has only one class ({classes[0]}); a classifier needs two"
        )
    if model == "auto":
        return "logistic" if n == 2 else "softmax"
    if model == "logistic" and n != 2:
        raise DataError(
            f"model 'logistic' needs exactly 2 classes, but '{dataset_name}' has {n} "
            f"({describe(classes)}); use model 'softmax' or 'auto'"
        )
    return model


# The losses whose targets are classes, never probability rows
LABEL_ONLY_LOSSES = ("focal", "hinge")
# The settings that are one loss's options, as {loss: {setting: the loss's option name}}
LOSS_OPTION_SETTINGS = {
    "focal": {"focal_gamma": "gamma", "focal_alpha": "alpha"},
    "symmetric-cross-entropy": {"sce_alpha": "alpha", "sce_beta": "beta"},
}
# The settings that belong to one loss: its options, and label smoothing for cross-entropy
# (the estimator's own parameter)
LOSS_SETTINGS = {
    "cross-entropy": ("label_smoothing",),
    **{loss: tuple(keys) for loss, keys in LOSS_OPTION_SETTINGS.items()},
}


def loss_options(settings: TrainSettings) -> dict | None:
    """The chosen loss's own options from the settings: focal_gamma/focal_alpha for the focal
    loss, sce_alpha/sce_beta for symmetric cross-entropy; an error for another loss's."""
    for loss, keys in LOSS_OPTION_SETTINGS.items():
        named = [key for key in keys if getattr(settings, key) is not None]
        if named and settings.loss != loss:
            verb = "applies" if len(named) == 1 else "apply"
            raise ConfigError(
                f"{' and '.join(named)} {verb} to the loss '{loss}', not '{settings.loss}'"
            )
    options = {}
    for key, option in LOSS_OPTION_SETTINGS.get(settings.loss, {}).items():
        value = getattr(settings, key)
        if value is None:
            continue  # not given: the loss's own default
        if value == "none":
            value = None
        elif isinstance(value, str):  # focal_alpha's class=weight pairs
            value = parse_class_values(value)
        options[option] = value
    return options or None


def _check_labels_are_classes(classes: np.ndarray, dataset: Dataset) -> None:
    """A label column with a distinct value in most rows is a number to predict, not a class."""
    n_classes, n_rows = len(classes), len(dataset.y)
    if n_classes > MAX_CLASSES or (n_classes > 10 and n_classes > n_rows / 2):
        raise DataError(
            f"the target '{dataset.target_name}' has {n_classes} distinct values in {n_rows} rows; "
            "cetrain trains classifiers, so pick a column of class labels with --target"
        )


def evaluate(pipeline: ClassifierPipeline, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """How well the pipeline does on (X, y).

    Parameters
    ----------
    pipeline : ClassifierPipeline
        A fitted pipeline.
    X : ndarray of shape (n, d)
        Input features.
    y : ndarray of shape (n,) or (n, C)
        Targets as the model was fit on (labels, probability rows or 0/1 label columns).

    Returns
    -------
    dict
        "accuracy" (estimator.score: for 0/1 label columns every label of a row must be right);
        "log_loss", the mean cross-entropy of the predicted probabilities (exact, from the
        scores); "loss", the mean training loss with its options, without the penalty. For
        0/1 label columns "label_accuracy", the share of single labels predicted right; for
        class labels "recall", {class: the share of its rows predicted as it} (None for a class
        with no rows), and "balanced_accuracy", the mean recall of the classes present
        (scikit-learn's balanced_accuracy_score).
    """
    estimator, features = pipeline.estimator, pipeline.transform(X)
    metrics = {
        "accuracy": estimator.score(features, y),
        "log_loss": estimator.mean_loss(features, y, "cross-entropy"),
        "loss": estimator.mean_loss(features, y),
    }
    if estimator.kind == "multilabel" and estimator.target_kind_ == "indicator":
        metrics["label_accuracy"] = float(np.mean(estimator.predict(features) == (y >= 0.5)))
    elif y.ndim == 1:
        predicted = estimator.predict(features)
        recall = {
            str(label): (
                float(np.mean(predicted[y == label] == label)) if np.any(y == label) else None
            )
            for label in estimator.classes_
        }
        present = [value for value in recall.values() if value is not None]
        metrics["balanced_accuracy"] = float(np.mean(present))
        metrics["recall"] = recall
    return metrics


def _plot_feature_indices(
    names: tuple[str, ...] | None, feature_names: list[str]
) -> tuple[int, int]:
    """Column indices of the two features to plot: the named ones, or the first two."""
    if names is None:
        return (0, 1) if len(feature_names) > 1 else (0, 0)
    if len(feature_names) < 2:
        raise ConfigError("plot_features needs data with at least two features")
    unknown = [name for name in names if name not in feature_names]
    if unknown:
        raise ConfigError(
            f"unknown plot feature '{unknown[0]}'; the features are: {', '.join(feature_names)}"
        )
    return feature_names.index(names[0]), feature_names.index(names[1])
