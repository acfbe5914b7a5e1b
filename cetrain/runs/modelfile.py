"""Model files: a trained pipeline as plain JSON, never pickle, so loading one cannot run code.

Layout (format "cetrain-model", version 1)::

    {"format": "cetrain-model", "version": 1,
     "model": "logistic" | "softmax" | "multilabel", "loss": one of losses.LOSS_NAMES,
     "classes": [...], "target": "species",
     "target_kind": "labels" | "probabilities" | "indicator",   what fit was given
                                        (cetrain.core.heads.TargetKind; "labels" when absent)
     "feature_names": [...],            input features, after one-hot encoding
     "input_columns": [...],            how CSV columns became those features (may be empty)
     "preprocessing": {"poly": {"degree", "input_names"},
                       "standardize": {"enabled", "mean", "scale"},
                       "model_features": [...]},
     "coef": [[...]], "intercept": [...],   in original units of model_features
     "hyperparameters": {...}, "training": {"epochs", "status", "learning_rate"}}
"""

import json
from pathlib import Path
from typing import Any

import numpy as np

from cetrain.core.heads import MODEL_KINDS, TargetKind
from cetrain.data.columns import InputColumns
from cetrain.data.preprocess import PolynomialFeatures, Standardizer
from cetrain.errors import DataError, ModelFileError
from cetrain.estimators import ESTIMATORS, params
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.trained import TrainedModel

FORMAT = "cetrain-model"
VERSION = 1
# the estimator's declared parameters (random_state, which only seeds the start, is left out)
HYPERPARAMETERS = tuple(param.name for param in params.PARAMETERS)


def to_dict(
    pipeline: ClassifierPipeline,
    *,
    target: str = "",
    input_columns: list[dict] | None = None,
) -> dict[str, Any]:
    """The JSON-ready description of a fitted pipeline (the layout in the module docstring).

    Parameters
    ----------
    pipeline : ClassifierPipeline
        A fitted pipeline.
    target : str
        Name of the label the model predicts.
    input_columns : list of dict, optional
        How the raw input columns became the features (cetrain.data.Dataset.columns).

    Returns
    -------
    dict
        Only JSON types: lists, strings, numbers, booleans.
    """
    est = pipeline.estimator
    params = est.get_params()
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": est.kind,
        "loss": est.loss,
        "classes": est.classes_.tolist(),
        "target_kind": est.target_kind_,
        "target": target,
        "feature_names": pipeline.feature_names,
        "input_columns": input_columns or [],
        "preprocessing": {
            "poly": pipeline.poly.to_dict(),
            "standardize": est.standardizer_.to_dict(),
            "model_features": pipeline.model_feature_names,
        },
        "coef": est.coef_.tolist(),
        "intercept": est.intercept_.tolist(),
        "hyperparameters": {name: params[name] for name in HYPERPARAMETERS},
        "training": {
            "epochs": est.n_iter_,
            "status": est.status_,
            "learning_rate": est.learning_rate_,
        },
    }


def from_dict(data: dict[str, Any], source: str = "model") -> ClassifierPipeline:
    """Rebuild a pipeline that predicts exactly as the saved one did.

    Parameters
    ----------
    data : dict
        What to_dict returned (or json.load of a model.json).
    source : str
        How to name the data in errors, e.g. the file's path.

    Returns
    -------
    ClassifierPipeline
        Fitted: predict, predict_proba and decision_function work; history_ is not restored.

    Raises
    ------
    ModelFileError
        For a missing key, a malformed value, or shapes that do not agree.
    """
    try:
        if data.get("format") != FORMAT:
            raise ModelFileError(f'{source} is not a cetrain model file (no "format": "{FORMAT}")')
        if data["version"] != VERSION:
            raise ModelFileError(
                f"{source} has model file version {data['version']!r}; this cetrain reads {VERSION}"
            )
        kind = data["model"]
        if kind not in ESTIMATORS:
            raise ModelFileError(
                f"{source}: unknown model {kind!r}; expected {', '.join(ESTIMATORS)}"
            )
        hyper = data["hyperparameters"]
        # a hyperparameter a file does not record (e.g. l1 in files from before it existed)
        # takes its default: they describe the training, not the predictions
        estimator = ESTIMATORS[kind](**{n: hyper[n] for n in HYPERPARAMETERS if n in hyper})
        classes = data["classes"]
        is_int = all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
        estimator.classes_ = np.array(classes, dtype=np.int64 if is_int else str)
        # files from before multi-label and soft targets were fit on labels
        target_kind = data.get("target_kind", TargetKind.LABELS.value)
        if target_kind not in list(TargetKind):
            raise ModelFileError(
                f"{source}: unknown target_kind {target_kind!r}; expected {', '.join(TargetKind)}"
            )
        try:
            MODEL_KINDS[kind].head(TargetKind(target_kind))
        except DataError as exc:
            raise ModelFileError(f"{source}: {exc}") from None
        estimator.target_kind_ = TargetKind(target_kind)
        estimator.coef_ = np.asarray(data["coef"], dtype=np.float64)
        estimator.intercept_ = np.asarray(data["intercept"], dtype=np.float64)
        prep = data["preprocessing"]
        try:
            estimator.standardizer_ = Standardizer.from_dict(prep["standardize"])
            poly = PolynomialFeatures.from_dict(prep["poly"])
        except ModelFileError as exc:
            raise ModelFileError(f"{source}: {exc}") from None
        estimator.n_iter_ = data["training"]["epochs"]
        estimator.status_ = data["training"]["status"]
        estimator.learning_rate_ = data["training"]["learning_rate"]
        pipeline = ClassifierPipeline(estimator, data["feature_names"], poly=poly.degree)
    except KeyError as exc:
        raise ModelFileError(f"{source} is missing the key {exc}") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{source} has a malformed value: {exc}") from None
    _check_shapes(pipeline, source)
    return pipeline


def load_model(path: str | Path) -> TrainedModel:
    """Read a model.json written by `cetrain train`: a model that scores new raw data (CSV path,
    DataFrame, mapping of columns) with the preprocessing it was trained with, or encoded
    features. Only JSON is read: loading cannot run code.

    Raises
    ------
    ModelFileError
        If the file is missing, not JSON, or not a valid cetrain model file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: '{path}'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"cannot read model file '{path}': {exc}") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"'{path}' is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"'{path}' is not a cetrain model file (expected a JSON object)")
    source = f"'{path}'"
    pipeline, columns = from_dict(data, source), _input_columns(data, source)
    try:
        return TrainedModel(pipeline, columns, _targets(data))
    except DataError as exc:  # the columns do not make the features
        raise ModelFileError(f"{source}: {exc}") from None


def _input_columns(data: dict[str, Any], source: str) -> InputColumns:
    """The raw input columns; files that record none take each feature as a numeric column."""
    recorded = data.get("input_columns") or []
    if not isinstance(recorded, list):
        raise ModelFileError(f"{source}: input_columns must be a list")
    if not recorded:
        return InputColumns.numeric(data["feature_names"])
    return InputColumns.from_dicts(recorded, source)


def _targets(data: dict[str, Any]) -> list[str]:
    """The target column(s): for labels, model.json's "target"; for a 2-D target, its columns,
    which are the classes."""
    if data.get("target_kind", TargetKind.LABELS) != TargetKind.LABELS:
        return [str(c) for c in data["classes"]]
    return [str(data.get("target") or "label")]


def _check_shapes(pipeline: ClassifierPipeline, source: str) -> None:
    """coef, intercept, classes and features must agree, or predictions would be nonsense."""
    est = pipeline.estimator
    head, n_classes = est.head_, len(est.classes_)
    if head.n_classes is not None and n_classes != head.n_classes:
        raise ModelFileError(
            f"{source}: a {est.kind} model needs {head.n_classes} classes, not {n_classes}"
        )
    n_features = len(pipeline.model_feature_names)
    n_outputs = head.n_outputs(n_classes)
    if est.coef_.shape != (n_outputs, n_features) or est.intercept_.shape != (n_outputs,):
        raise ModelFileError(
            f"{source}: coef has shape {est.coef_.shape} and intercept {est.intercept_.shape}; "
            f"expected ({n_outputs}, {n_features}) and ({n_outputs},)"
        )
    est.n_features_in_ = n_features
