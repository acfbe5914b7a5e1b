"""A playground session: the points, the settings, and one model (two in compare mode) trained
a few epochs at a time, by the fit `cetrain train` runs.

The server keeps ONE session, shared by every browser tab (what one tab changes, the others
see at their next request). Its operations are the JSON API's (see the README's Playground
section); each takes the request's parsed body and returns the answer's JSON-ready dict, or
raises a CetrainError whose message the page shows.

Each model is `cetrain.runs.train.prepare` on the points' Dataset (the model kind, the split,
the pipeline, from the settings table) and `ClassifierPipeline.fit_stepwise`: the same
objective, zero start and steps as `cetrain train` with `epochs` set to the epochs stepped.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from cetrain.core.optim import STATUSES
from cetrain.core.params import Advice, ClassValues, Integer, Number, OneOf, Spelling
from cetrain.core.plane import padded_range
from cetrain.data import Dataset
from cetrain.data.split import split_indices
from cetrain.errors import CetrainError, ConfigError, DataError
from cetrain.playground import points as points_module
from cetrain.playground.frames import frame
from cetrain.playground.points import Points
from cetrain.runs.folder import json_ready
from cetrain.runs.modelfile import to_dict
from cetrain.runs.settings import (
    BY_NAME,
    DEFAULTS,
    SETTINGS,
    TrainSettings,
    estimator_params,
    to_toml,
)
from cetrain.runs.train import prepare, train

# The settings the page sets: what the model is and how it trains, and the split. Not the
# data's (POST /api/points sets the data), not `epochs` (the page steps), not the run folder's.
PAGE_SETTINGS = tuple(
    s.name
    for s in SETTINGS
    if (s.estimator or s.loss or s.name in ("model", "poly", "test_size", "seed"))
    and s.name != "epochs"
)
MAX_STEP_EPOCHS = 1000
# Status words besides core.optim.STATUSES: no epoch yet, and paused between steps.
READY, RUNNING = "ready", "running"
POINTS_FILE = "points.csv"
POINTS_FORMS = {
    "points": {"points"},
    "dataset": {"dataset", "n", "noise", "seed"},
    "csv": {"csv", "target", "features"},
}


class _SettingNames(Spelling):
    """An Advice's parameters as the page and config.toml name them (max_iter -> epochs)."""

    def __init__(self) -> None:
        self.names = {s.estimator or s.name: s.name for s in SETTINGS}

    def name(self, param: str) -> str:
        return self.names.get(param, param)

    def value(self, param: str, value: Any) -> str:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{self.name(param)} = {shown}"


SETTING_NAMES = _SettingNames()


class Run:
    """One model on the points: prepare()'s split and pipeline, and its stepwise fit."""

    def __init__(self, settings: TrainSettings, points: Points) -> None:
        self.settings, self.points = settings, points
        dataset = points.dataset()
        _, _, self.split, self.pipeline = prepare(settings, dataset)
        self.train_rows, self.test_rows = split_indices(
            dataset.y, test_size=settings.test_size, seed=settings.seed
        )
        validation = (self.split.X_test, self.split.y_test) if len(self.test_rows) else None
        X, y, weight = self.split.fit_data()
        self.fitting = self.pipeline.fit_stepwise(
            X, y, sample_weight=weight, validation_data=validation
        )
        self.status, self.message = READY, None

    @property
    def epoch(self) -> int:
        return self.fitting.epoch

    def step(self, epochs: int) -> None:
        """Train `epochs` more epochs (the first step also evaluates epoch 0)."""
        target = epochs if self.epoch < 0 else self.epoch + epochs
        result = self.fitting.run(target)
        self.status = RUNNING if not self.fitting.descent.finished else result.status
        if self.fitting.descent.finished and result.status != "converged":
            advice = self.fitting.advice()
            self.message = (
                advice.render(SETTING_NAMES) if advice is not None else STATUSES[result.status]
            )


class Session:
    """The playground's state and the API's operations; thread-safe (one lock)."""

    def __init__(self, settings: TrainSettings = DEFAULTS, points: Points | None = None) -> None:
        self.lock = threading.Lock()
        self.settings = settings
        self.compare: dict[str, Any] | None = None
        self.points = points_module.empty() if points is None else points
        self.runs: list[Run] = []
        self.message: str | None = None
        self._rebuild()

    # --- the API ----------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """GET /api/state."""
        with self.lock:
            return self._state()

    def set_points(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /api/points: {"points": rows} | {"dataset": ...} | {"csv": ...}."""
        keys = set(body)
        # each form is named by its first key, and takes only its own keys
        form = next(
            (name for name, allowed in POINTS_FORMS.items() if name in keys and keys <= allowed),
            None,
        )
        if form is None:
            raise DataError(
                'points takes {"points": [[x1, x2, label], ...]}, {"dataset": name, "n": rows, '
                '"noise": noise, "seed": seed} or {"csv": text, "target": column, "features": '
                f"[a, b]}}; got the keys {', '.join(sorted(map(str, keys))) or 'none'}"
            )
        with self.lock:
            if form == "points":
                self.points = points_module.from_rows(body["points"], self.points)
            elif form == "dataset":
                self.points = points_module.generated(body)
            else:
                self.points = points_module.from_csv_text(
                    body["csv"], body.get("target"), body.get("features"), self._choose_features
                )
            self._rebuild()
            return self._state()

    def set_config(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /api/config: any of PAGE_SETTINGS by name, and "compare": {name: value} | null.
        Changing `loss` drops the options of other losses (unless given with it). When the
        points could train, they must suit the new settings (e.g. a logistic model needs two
        classes): if not, nothing changes and the error says why."""
        values = dict(body)
        with self.lock:  # (the compared settings too: another tab may be changing them)
            compare = values.pop("compare", self.compare)
            settings = self._checked(self.settings, values)
            if compare is not None:
                if not isinstance(compare, Mapping):
                    raise ConfigError(
                        "compare must be an object of settings for the second model, or null"
                    )
                self._checked(settings, compare, "compare: ")
                compare = dict(compare)
            runs = None
            if self.runs:  # the points trained: settings they cannot take are refused
                runs = self._new_runs(settings, compare)
            self.settings, self.compare = settings, compare
            self._rebuild(runs)
            return self._state()

    def step(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /api/step {"epochs": n}: every model trains n more epochs, stepping together."""
        if set(body) - {"epochs"}:
            raise ConfigError(f"step takes only epochs; got {', '.join(sorted(map(str, body)))}")
        epochs = Integer(1, MAX_STEP_EPOCHS)
        n = body.get("epochs", 1)
        try:
            n = epochs.check(n)
        except ValueError as exc:
            raise ConfigError(f"epochs {exc}; got {n!r}") from None
        with self.lock:
            if not self.runs:
                raise DataError(self.message or "no model to train: add points first")
            # each model's first epoch this step records: a finished model records none
            since = [run.epoch + 1 for run in self.runs]
            for run in self.runs:
                if not run.fitting.descent.finished:
                    run.step(n)
            return self._frame(since)

    def reset(self, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST /api/reset: the models back to their zero start, epoch 0 not yet evaluated."""
        if body:
            raise ConfigError("reset takes no settings; send {}")
        with self.lock:
            self._rebuild()
            return self._state()

    def export(self, what: str) -> tuple[str, str, str]:
        """GET /api/export?what=points|model|config: (file name, content type, text)."""
        with self.lock:
            if what == "points":
                return POINTS_FILE, "text/csv; charset=utf-8", self.points.to_csv()
            if what == "config":
                return "config.toml", "application/toml; charset=utf-8", self._config_toml()
            if what == "model":
                return "model.json", "application/json", self._model_json()
        raise ConfigError(f"export takes what=points, model or config; got {what!r}")

    # --- inside -------------------------------------------------------------------------------

    def _checked(
        self, settings: TrainSettings, values: Mapping[str, Any], where: str = ""
    ) -> TrainSettings:
        """settings with `values` (page settings by name) checked and applied."""
        changes = {}
        for name, value in values.items():
            if name not in PAGE_SETTINGS:
                raise ConfigError(
                    f"{where}unknown setting {name!r}; the playground's settings: "
                    f"{', '.join(PAGE_SETTINGS)}, compare"
                )
            try:
                changes[name] = BY_NAME[name].param.check(value)
            except ConfigError as exc:
                raise ConfigError(f"{where}{exc}") from None
        if "loss" in changes and changes["loss"] != settings.loss:
            for setting in SETTINGS:
                if setting.loss not in (None, changes["loss"]) and setting.name not in changes:
                    changes[setting.name] = setting.default
        settings = dataclasses.replace(settings, **changes)
        try:
            estimator_params(settings)
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc}") from None
        return settings

    def _new_runs(self, settings: TrainSettings, compare: Mapping[str, Any] | None) -> list[Run]:
        """The models of these settings on the points, at their zero start (CetrainError if
        the points cannot take them)."""
        runs = [Run(settings, self.points)]
        if compare is not None:
            runs.append(Run(self._checked(settings, compare), self.points))
        return runs

    def _rebuild(self, runs: list[Run] | None = None) -> None:
        """The models (`runs`, else new ones) from their zero start; when the points cannot
        take the settings, none, and `message` says why (the page shows it; steps refuse)."""
        self.runs, self.message = [], None
        if len(self.points.labels) == 0:
            self.message = "no points yet: add points of at least two classes"
            return
        if runs is None:
            try:
                runs = self._new_runs(self.settings, self.compare)
            except CetrainError as exc:
                self.message = message(exc)
                return
        self.runs = runs

    def _bounds(self) -> list[tuple[float, float]]:
        if len(self.points.labels) == 0:
            return [(-1.0, 1.0), (-1.0, 1.0)]
        return [padded_range(self.points.X[:, 0]), padded_range(self.points.X[:, 1])]

    def _frame(self, since: list[int] | None = None) -> dict[str, Any]:
        """The frame of the models, each with its history from its epoch in `since` on (None:
        all of it)."""
        bounds = self._bounds()
        since = since or [0] * len(self.runs)
        first = frame(self.runs[0], bounds, since[0])
        first["compare"] = frame(self.runs[1], bounds, since[1]) if len(self.runs) > 1 else None
        return json_ready(first)

    def _state(self) -> dict[str, Any]:
        run = self.runs[0] if self.runs else None
        is_test = np.zeros(len(self.points.labels), dtype=np.int64)
        if run is not None:
            is_test[run.test_rows] = 1
        points = [
            [x1, x2, int(k), int(t)]
            for (x1, x2), k, t in zip(
                self.points.X.tolist(), self.points.labels, is_test, strict=True
            )
        ]
        return json_ready(
            {
                "config": {name: _jsonable(getattr(self.settings, name)) for name in PAGE_SETTINGS},
                "settings": [_describe(name) for name in PAGE_SETTINGS],
                "compare": self.compare,
                "points": points,
                "classes": list(self.points.classes),
                "feature_names": list(self.points.feature_names),
                "bounds": self._bounds(),
                "epoch": max(run.epoch, 0) if run else 0,
                "status": run.status if run else READY,
                "message": self.message,
                "frame": self._frame() if run is not None and run.epoch >= 0 else None,
                "session": "shared",
            }
        )

    def _choose_features(self, dataset: Dataset) -> tuple[int, int]:
        return plotted_pair(self.settings, dataset)

    def _config_toml(self) -> str:
        epochs = max(self.runs[0].epoch, 1) if self.runs else BY_NAME["epochs"].default
        settings = dataclasses.replace(
            self.settings,
            data=POINTS_FILE,
            target=self.points.target,
            epochs=epochs,
            model=self.runs[0].pipeline.estimator.kind if self.runs else self.settings.model,
        )
        header = (
            f"A cetrain playground model's settings, {epochs} epochs.\nSave the points export "
            f"as {POINTS_FILE} beside this file: `cetrain train config.toml` re-runs the "
            "same training."
        )
        return to_toml(settings, header)

    def _model_json(self) -> str:
        if not self.runs or self.runs[0].epoch < 0:
            raise ConfigError("no model to export yet: step at least once")
        estimator = self.runs[0].pipeline.estimator
        if not (np.all(np.isfinite(estimator.coef_)) and np.all(np.isfinite(estimator.intercept_))):
            raise ConfigError("the model's weights are not finite (training diverged): reset first")
        columns = [{"name": name, "kind": "numeric"} for name in self.points.feature_names]
        model = to_dict(self.runs[0].pipeline, target=self.points.target, input_columns=columns)
        return json.dumps(model, indent=2, allow_nan=False) + "\n"


def plotted_pair(settings: TrainSettings, dataset: Dataset) -> tuple[int, int]:
    """The two of a dataset's several features that the page shows: those `cetrain train`
    draws with these settings (plot_features if named, else the two with the largest
    standardised coefficients of the model it trains on all of them)."""
    settings = dataclasses.replace(settings, data=settings.data or dataset.name)
    return train(settings, dataset=dataset).plot_features


def message(error: CetrainError) -> str:
    """An error's one line as the page shows it: an Advice names settings as config.toml
    does (lr, epochs)."""
    advice = error.args[0] if len(error.args) == 1 else None
    return advice.render(SETTING_NAMES) if isinstance(advice, Advice) else str(error)


def _jsonable(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _describe(name: str) -> dict[str, Any]:
    """A page setting as the settings table declares it, for the page's controls."""
    param = BY_NAME[name].param
    domain = param.domain
    numbers = [d for d in getattr(domain, "domains", ()) if isinstance(d, Number | Integer)]
    if isinstance(domain, Number | Integer):
        numbers = [domain]
    number = numbers[0] if numbers else None
    return {
        "name": name,
        "kind": type(domain).__name__.lower(),
        "default": _jsonable(param.default),
        "expected": domain.expected,
        "low": getattr(number, "low", None),
        "high": getattr(number, "high", None),
        "integer": isinstance(number, Integer),
        "choices": list(domain.choices or ()),
        "words": list(getattr(domain, "words", ())) if isinstance(domain, OneOf) else [],
        "per_class": isinstance(domain, ClassValues)
        or any(isinstance(d, ClassValues) for d in getattr(domain, "domains", ())),
        "loss": BY_NAME[name].loss,
        "help": param.help,
    }
