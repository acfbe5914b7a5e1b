"""One training run as a library call: data -> split -> pipeline -> fit -> metrics (and, with
the setting `reference`, scikit-learn's solution of the same problem beside ours).

`train(settings)` is what `cetrain train` does before it writes the run folder; a notebook can
call it too and look at the result.
"""

import dataclasses
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cetrain import errors, estimators
from cetrain.core.heads import MODEL_KINDS, TargetKind, describe
from cetrain.core.losses import LOSSES
from cetrain.core.params import Advice
from cetrain.data import Dataset, load_dataset, target_kind
from cetrain.data.rows import Rows
from cetrain.data.split import split_indices
from cetrain.errors import ConfigError, DataError
from cetrain.estimators.history import EpochCallback, History
from cetrain.runs import hints
from cetrain.runs.metrics import RunMetrics, evaluate
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.reference import NoReference, Reference, sklearn_reference
from cetrain.runs.settings import TrainSettings, estimator_params
from cetrain.runs.view import PlotView, model_view, named_view, recorded_names

# A label column with more distinct values than this is a number to predict, not classes.
MAX_CLASSES = 100
# Epochs whose weights --animate keeps (log-spaced), among which the GIF's frames are chosen.
ANIMATION_SNAPSHOTS = 400


@dataclasses.dataclass(frozen=True)
class Split:
    """The rows a run trains and tests on (w_train: their sample weights, None without).

    With memory-mapped features, X_train is `Rows` of them (not copied) and `fit_on` the whole
    X, y and weights that are zero on the test rows; otherwise fit_on is None and the fit takes
    X_train, y_train and w_train."""

    X_train: np.ndarray | Rows
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    w_train: np.ndarray | None = None
    fit_on: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None

    def fit_data(self) -> tuple[np.ndarray | Rows, np.ndarray, np.ndarray | None]:
        """(X, y, sample_weight) for fit: the training rows, or X in place with zero weights."""
        return self.fit_on or (self.X_train, self.y_train, self.w_train)


@dataclasses.dataclass
class TrainResult:
    """What a run produced. `settings` is resolved: model, target, data path and plot features
    hold what was actually used, so writing them out reproduces the run."""

    settings: TrainSettings
    dataset: Dataset
    pipeline: ClassifierPipeline
    X_train: np.ndarray | Rows  # Rows of memory-mapped features (see Split)
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    metrics: RunMetrics
    plot_features: tuple[int, int]
    warnings: list[Advice | str]  # str(advice) is its Python spelling
    notes: list[str] = dataclasses.field(default_factory=list)  # cetrain.runs.hints
    # why the plot shows plot_features (None when they were named, or there are at most two)
    plot_why: str | None = None

    @property
    def history(self) -> History:
        return self.pipeline.estimator.history_


def train(
    settings: TrainSettings,
    *,
    callback: EpochCallback | None = None,
    dataset: Dataset | None = None,
    on_start: Callable[[str, str], None] | None = None,
) -> TrainResult:
    """Load the data, split it, fit the model and measure it.

    Parameters
    ----------
    settings : TrainSettings
        Validated settings (see cetrain.runs.settings).
    callback : callable, optional
        callback(epoch, train_loss, grad_norm) after every epoch, e.g. for a progress bar.
        Raising StopIteration ends training after that epoch, with status "interrupted": the
        result holds the epochs trained so far.
    dataset : Dataset, optional
        The data the settings name, already loaded (load_settings_data): compare trains on the
        same data several times and loads it once.
    on_start : callable, optional
        on_start(dataset_name, model_kind) once the data is loaded and checked, just before
        training: the CLI reserves the run folder then.

    Returns
    -------
    TrainResult
        ConvergenceWarnings raised while fitting are returned in `warnings`, not raised; what
        the run's numbers teach (cetrain.runs.hints) in `notes` and metrics.notes.
    """
    if dataset is None:
        dataset = load_settings_data(settings)
    kind, view, split, pipeline = prepare(settings, dataset)
    if on_start is not None:
        on_start(dataset.name, kind)
    seconds, caught = _fit(pipeline, split, settings, dataset, callback)
    metrics = _measure(pipeline, split, dataset, seconds)
    if settings.reference:
        metrics = dataclasses.replace(metrics, reference=_reference(pipeline, split))
    if view is None:  # more than two features, none named: those that matter most to the model
        view = model_view(pipeline, split.X_train, dataset.feature_names, dataset.columns)
    result = TrainResult(
        settings=_resolved_settings(settings, dataset, kind, view),
        dataset=dataset,
        pipeline=pipeline,
        X_train=split.X_train,
        X_test=split.X_test,
        y_train=split.y_train,
        y_test=split.y_test,
        metrics=metrics,
        plot_features=view.features,
        warnings=caught,
        plot_why=view.why,
    )
    result.notes = hints.notes(result)
    result.metrics = dataclasses.replace(metrics, notes=tuple(result.notes))
    return result


def prepare(
    settings: TrainSettings, dataset: Dataset
) -> tuple[str, PlotView | None, Split, ClassifierPipeline]:
    """What a run fits before it fits: (model kind, the named plot view (None: not named),
    the train/test split, the unfitted pipeline), the settings checked against the data.
    train() fits the pipeline on split.fit_data(); the playground steps the same fit."""
    kind_of_target = target_kind(dataset.y)
    classes = _classes(dataset, kind_of_target)
    kind = choose_model(settings.model, classes, dataset.name, kind_of_target)
    _check_run(settings, dataset, kind, kind_of_target)
    view = named_view(settings.plot_features, dataset.feature_names, dataset.columns)
    split = _split(settings, dataset, classes, kind_of_target)
    estimator = estimators.ESTIMATORS[kind](**estimator_params(settings))
    pipeline = ClassifierPipeline(estimator, dataset.feature_names, poly=settings.poly)
    return kind, view, split, pipeline


def load_settings_data(settings: TrainSettings) -> Dataset:
    """The dataset the settings name, with their target, features, generator and weights."""
    if settings.data is None:
        raise ConfigError(
            "no data given; name a dataset or a CSV file with --data (see `cetrain datasets`) "
            "or `data = ...` in the config file"
        )
    return load_dataset(
        settings.data,
        target=settings.target,
        features=settings.features,
        n_samples=settings.n_samples,
        noise=settings.noise,
        seed=settings.seed,
        weight_col=settings.weight_col,
        decimal=settings.decimal,
        thousands=settings.thousands,
        target_file=settings.target_file,
    )


def _classes(dataset: Dataset, kind_of_target: TargetKind) -> np.ndarray:
    """The classes of the target: the distinct labels, or the names of the target columns."""
    if kind_of_target is not TargetKind.LABELS:
        return np.asarray(dataset.target_names)
    classes = np.unique(dataset.y)
    _check_labels_are_classes(classes, dataset)
    return classes


def _check_run(
    settings: TrainSettings, dataset: Dataset, kind: str, kind_of_target: TargetKind
) -> None:
    """Refuse settings that cannot go with this target: a labels-only loss on probability
    rows, an animation of a model with one boundary per label."""
    if kind_of_target is TargetKind.PROBABILITIES and LOSSES[settings.loss].needs_labels:
        takers = ", ".join(name for name, spec in LOSSES.items() if not spec.needs_labels)
        raise ConfigError(
            f"the loss '{settings.loss}' takes class labels, but the target columns of "
            f"'{dataset.name}' hold probabilities: use {_or_list(takers)}"
        )
    head = MODEL_KINDS[kind].head(kind_of_target)
    if settings.animate and head.predicts_label_sets:
        raise ConfigError(
            "animate draws one decision boundary; a multi-label model has one per label: "
            "leave animate off"
        )


def _or_list(names: str) -> str:
    """ "a, b, c" as "a, b or c"."""
    first, _, last = names.rpartition(", ")
    return f"{first} or {last}" if first else last


def _split(
    settings: TrainSettings, dataset: Dataset, classes: np.ndarray, kind_of_target: TargetKind
) -> Split:
    """The seeded, stratified train/test split; every class must keep a training row.

    Memory-mapped features are not copied: the test rows (a minority) are, and the training
    rows stay in place, as `Rows` for measuring and, for the fit, as X itself with sample
    weights of zero on the test rows. A weighted fit with weight 0 on a row is the fit without
    it (the loss, the standardisation and the class counts all weigh rows by their weights),
    so the model is the one fit on the training rows alone."""
    train, test = split_indices(dataset.y, test_size=settings.test_size, seed=settings.seed)
    X, y, weight = dataset.X, dataset.y, dataset.sample_weight
    w_train = None if weight is None else weight[train]
    if isinstance(X, np.memmap):
        X_train = Rows(X, train)
        X_test = X[test].view(np.ndarray)  # a copy of these rows only, as a plain array
        if len(test) == 0:
            fit_on = (X, y, weight)
        else:
            in_place = np.zeros(len(y))
            in_place[train] = 1.0 if weight is None else w_train
            fit_on = (X, y, in_place)
    else:
        X_train, X_test, fit_on = X[train], X[test], None
    split = Split(X_train, X_test, y[train], y[test], w_train, fit_on)
    if kind_of_target is TargetKind.LABELS and len(np.unique(split.y_train)) < len(classes):
        missing = ", ".join(str(c) for c in np.setdiff1d(classes, split.y_train))
        raise DataError(
            f"the training split has no rows of class {missing}; use a smaller test_size"
        )
    return split


def _fit(
    pipeline: ClassifierPipeline,
    split: Split,
    settings: TrainSettings,
    dataset: Dataset,
    callback: EpochCallback | None,
) -> tuple[float, list[str]]:
    """Fit the pipeline on the training rows, measured on the test rows at every epoch.

    Returns the seconds it took and the convergence warnings it raised (others are passed on).
    """
    convergence = errors.ConvergenceWarning  # made when first asked for: it needs scikit-learn
    has_test = len(split.y_test) > 0
    X, y, weight = split.fit_data()
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", convergence)
        pipeline.fit(
            X,
            y,
            sample_weight=weight,
            classes=None if split.y_train.ndim == 1 else dataset.target_names,
            validation_data=(split.X_test, split.y_test) if has_test else None,
            callback=callback,
            record_params=snapshot_epochs(settings.epochs) if settings.animate else False,
        )
    seconds = time.perf_counter() - started
    for caught_warning in caught:  # hand on what is not ours to report
        if not issubclass(caught_warning.category, convergence):
            warnings.warn_explicit(
                caught_warning.message,
                caught_warning.category,
                caught_warning.filename,
                caught_warning.lineno,
            )
    # the estimator's Advice, which each surface spells its own way; text from elsewhere as it is
    ours = [
        w.message.args[0]
        if w.message.args and isinstance(w.message.args[0], Advice)
        else str(w.message)
        for w in caught
        if issubclass(w.category, convergence)
    ]
    return seconds, ours


def _measure(
    pipeline: ClassifierPipeline, split: Split, dataset: Dataset, seconds: float
) -> RunMetrics:
    """metrics.json: both splits measured, and how the training went."""
    estimator = pipeline.estimator
    has_test = len(split.y_test) > 0
    return RunMetrics(
        train=evaluate(pipeline, split.X_train, split.y_train),
        test=evaluate(pipeline, split.X_test, split.y_test) if has_test else None,
        epochs=estimator.n_iter_,
        converged=estimator.status_ == "converged",
        status=estimator.status_,
        seconds=round(seconds, 4),
        rows_dropped=dataset.rows_dropped,
        n_train=len(split.y_train),
        n_test=len(split.y_test),
        learning_rate=estimator.learning_rate_,
        final_grad_norm=estimator.history_.grad_norm[-1],
        zero_coefficients=int(np.count_nonzero(estimator.coef_ == 0)),
        coefficients=int(estimator.coef_.size),
    )


def _reference(pipeline: ClassifierPipeline, split: Split) -> Reference | NoReference:
    """scikit-learn's LogisticRegression on the problem the estimator solved, side by side
    (scikit-learn needs the training rows in memory: memory-mapped ones are copied)."""
    X_train = split.X_train.to_array() if isinstance(split.X_train, Rows) else split.X_train
    return sklearn_reference(
        pipeline.estimator,
        pipeline.transform(X_train),
        split.y_train,
        split.w_train,
        pipeline.transform(split.X_test),
        split.y_test,
    )


def _resolved_settings(
    settings: TrainSettings, dataset: Dataset, kind: str, view: PlotView
) -> TrainSettings:
    """The settings with what the run actually used filled in, so config.toml reproduces it."""
    from_npy = settings.target_file is not None  # loading refused it with anything but .npy
    from_csv = dataset.source not in ("sklearn", "generator") and not from_npy
    by_name = settings.data.lower().replace("-", "_") == dataset.name
    names = dataset.feature_names
    # several target columns as a list, so that a column whose name holds a comma stays one
    targets = dataset.target_names
    target = (targets[0] if len(targets) == 1 else tuple(targets)) if from_csv else None
    return dataclasses.replace(
        settings,
        # a registered name stays a name; a CSV path becomes absolute, to re-run from anywhere
        data=dataset.name if by_name else dataset.source,
        target=target,
        target_file=str(Path(settings.target_file).resolve()) if from_npy else None,
        model=kind,
        plot_features=recorded_names(view, names, dataset.columns) if len(names) > 1 else None,
    )


def snapshot_epochs(max_iter: int, count: int = ANIMATION_SNAPSHOTS) -> list[int]:
    """About `count` log-spaced epochs in 0..max_iter whose weights an animation may draw: its
    frames are picked among them, so the memory kept does not grow with the epochs."""
    spaced = np.round(np.geomspace(1, max_iter + 1, count)).astype(int) - 1
    return sorted({0, *spaced.tolist()})


def choose_model(
    model: str,
    classes: np.ndarray,
    dataset_name: str,
    kind_of_target: TargetKind = TargetKind.LABELS,
) -> str:
    """The model kind (a key of MODEL_KINDS) for `model` ("auto" or a kind) and the target.

    "auto" picks the kind made for the target: for labels the first whose head takes that
    many classes (logistic for two, softmax for more), for columns the kind whose columns they
    are (softmax for probability rows, multilabel for 0/1 columns that are not one class per
    row). A kind named by hand must be able to fit the target.
    """
    n = len(classes)
    if kind_of_target is not TargetKind.LABELS:
        made_for = next(k.name for k in MODEL_KINDS.values() if k.columns is kind_of_target)
        if model in ("auto", made_for):
            return made_for
        if kind_of_target is TargetKind.INDICATOR:
            raise DataError(
                f"model '{model}' needs one class per row, but the target columns of "
                f"'{dataset_name}' ({describe(classes)}) have rows with several labels or none; "
                f"use model '{made_for}' or 'auto'"
            )
        takes = _COLUMNS_TAKEN[MODEL_KINDS[model].columns]
        raise DataError(
            f"model '{model}' takes {takes}; '{dataset_name}' has {n} target "
            f"columns of probabilities: use model '{made_for}' or 'auto'"
        )
    if n < 2:
        raise DataError(
            f"'{dataset_name}' has only one class ({classes[0]}); a classifier needs two"
        )
    fits = [
        k.name
        for k in MODEL_KINDS.values()
        if k.target is TargetKind.LABELS and k.heads[TargetKind.LABELS].n_classes in (None, n)
    ]
    if model == "auto":
        return fits[0]
    needed = MODEL_KINDS[model].heads[TargetKind.LABELS].n_classes
    if needed not in (None, n):
        raise DataError(
            f"model '{model}' needs exactly {needed} classes, but '{dataset_name}' has {n} "
            f"({describe(classes)}); use model '{fits[0]}' or 'auto'"
        )
    return model


# what a model kind takes, by the kind of its 2-D target (None: labels only)
_COLUMNS_TAKEN = {None: "one label column", TargetKind.INDICATOR: "0/1 label columns"}


def _check_labels_are_classes(classes: np.ndarray, dataset: Dataset) -> None:
    """A label column with a distinct value in most rows is a number to predict, not a class."""
    n_classes, n_rows = len(classes), len(dataset.y)
    if n_classes > MAX_CLASSES or (n_classes > 10 and n_classes > n_rows / 2):
        raise DataError(
            f"the target '{dataset.target_name}' has {n_classes} distinct values in {n_rows} rows; "
            "cetrain trains classifiers, so pick a column of class labels with --target"
        )
