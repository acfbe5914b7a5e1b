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

What each field may hold, and how the fields agree, is declared once in cetrain.runs.modelschema;
load_model and from_dict check a file against it before building anything.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cetrain.core.heads import TargetKind
from cetrain.data.columns import InputColumns
from cetrain.data.preprocess import Standardizer
from cetrain.errors import ModelFileError
from cetrain.estimators import ESTIMATORS, params
from cetrain.runs.modelschema import FORMAT, MAX_FILE_BYTES, VERSION, parse, validate
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.trained import TrainedModel

__all__ = ["FORMAT", "VERSION", "from_dict", "load_model", "to_dict"]
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


def from_dict(data: Mapping[str, Any], source: str = "model") -> ClassifierPipeline:
    """Rebuild a pipeline that predicts exactly as the saved one did.

    Parameters
    ----------
    data : dict
        What to_dict returned (or the parsed JSON of a model.json).
    source : str
        How to name the data in errors, e.g. the file's path.

    Returns
    -------
    ClassifierPipeline
        Fitted: predict, predict_proba and decision_function work; history_ is not restored.

    Raises
    ------
    ModelFileError
        For any field that breaks the schema (cetrain.runs.modelschema), naming the field.
    """
    return _pipeline(validate(data, source))


def load_model(path: str | Path) -> TrainedModel:
    """Read a model.json written by `cetrain train`: a model that scores new raw data (CSV path,
    DataFrame, mapping of columns) with the preprocessing it was trained with, or encoded
    features. Only JSON is read: loading cannot run code. The file is checked against the
    schema (cetrain.runs.modelschema) before anything is built.

    Raises
    ------
    ModelFileError
        If the file is missing, too large, not JSON, or not a valid cetrain model file; the
        message names the field at fault.
    """
    path = Path(path)
    source = f"'{path}'"
    model = validate(parse(_read_text(path), source), source)
    columns = (
        InputColumns.from_dicts(model["input_columns"], source)
        if model["input_columns"]
        else InputColumns.numeric(model["feature_names"])  # files that record no columns
    )
    return TrainedModel(_pipeline(model), columns, _targets(model))


def _read_text(path: Path) -> str:
    """The file's text, read only up to MAX_FILE_BYTES (a device or a huge file is refused)."""
    try:
        with path.open("rb") as file:
            # a regular file is measured first; a device or a pipe is read only so far
            size = os.fstat(file.fileno()).st_size
            raw = file.read(MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
            size = max(size, len(raw))
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: '{path}'") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model file '{path}': {exc}") from None
    if size > MAX_FILE_BYTES:
        raise ModelFileError(
            f"'{path}' is more than {MAX_FILE_BYTES:,} bytes, larger than a model file can be"
        )
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark, as some editors write, is dropped
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"cannot read model file '{path}': {exc}") from None


def _pipeline(model: dict[str, Any]) -> ClassifierPipeline:
    """The fitted pipeline of a model file checked by validate."""
    kind = model["model"]
    estimator = ESTIMATORS[kind](**model["hyperparameters"])
    classes = model["classes"]
    is_int = all(isinstance(c, int) for c in classes)
    estimator.classes_ = np.array(classes, dtype=np.int64 if is_int else str)
    estimator.target_kind_ = TargetKind(model["target_kind"])
    estimator.coef_ = np.array(model["coef"], dtype=np.float64)
    estimator.intercept_ = np.array(model["intercept"], dtype=np.float64)
    prep = model["preprocessing"]
    standardizer = Standardizer(enabled=prep["standardize"]["enabled"])
    standardizer.mean_ = np.array(prep["standardize"]["mean"], dtype=np.float64)
    standardizer.scale_ = np.array(prep["standardize"]["scale"], dtype=np.float64)
    estimator.standardizer_ = standardizer
    training = model["training"]
    estimator.n_iter_ = training["epochs"]
    estimator.status_ = training["status"]
    estimator.learning_rate_ = training["learning_rate"]
    estimator.n_features_in_ = estimator.coef_.shape[1]
    degree = prep["poly"]["degree"]
    return ClassifierPipeline(estimator, model["feature_names"], poly=degree)


def _targets(model: dict[str, Any]) -> list[str]:
    """The target column(s): for labels, model.json's "target"; for a 2-D target, its columns,
    which are the classes."""
    if model["target_kind"] != TargetKind.LABELS:
        return [str(c) for c in model["classes"]]
    return [model["target"] or "label"]
