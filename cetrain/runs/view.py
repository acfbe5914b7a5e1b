"""Which two features the boundary plot of a run shows, and why.

With more than two features the plot is a slice: two features vary, the others are held fixed.
By default the slice is through the two features that matter most to the fitted model, the two
with the largest coefficients on the standardised scale (the coefficient in original units times
the feature's standard deviation on the training rows, its norm over the classes and over the
polynomial terms it appears in). A constant feature, or one whose coefficients are all zero,
is never chosen while another is left. The one-hot columns of one text column are one
candidate: the plot draws such a feature as its levels, not as a number.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cetrain.errors import ConfigError
from cetrain.runs.pipeline import ClassifierPipeline


@dataclasses.dataclass(frozen=True)
class PlotView:
    """The plotted columns (indices into the feature names; for a text column its first
    one-hot column) and why they were chosen (None when they were named by hand, or the
    data has at most two features)."""

    features: tuple[int, int]
    why: str | None = None


def categorical_levels(columns: list[dict]) -> dict[str, list[str]]:
    """Each text column's levels, {name: levels}, from a Dataset's `columns` (its one-hot
    columns are named "name=level" for every level but the first)."""
    return {c["name"]: list(c["levels"]) for c in columns if c.get("kind") == "categorical"}


def named_view(names: tuple[str, ...] | None, feature_names: list[str], columns: list[dict]):
    """The features named by hand (a feature, or a text column by its name), as a PlotView;
    None when none were named and the model decides."""
    if names is None:
        return None if len(feature_names) > 2 else PlotView((0, min(1, len(feature_names) - 1)))
    if len(feature_names) < 2:
        raise ConfigError("plot_features needs data with at least two features")
    # a text column of one level has no one-hot column, and so is no feature to plot
    firsts = {
        name: feature_names.index(f"{name}={levels[1]}")
        for name, levels in categorical_levels(columns).items()
        if len(levels) > 1 and f"{name}={levels[1]}" in feature_names
    }
    indices = []
    for name in names:
        if name in feature_names:
            indices.append(feature_names.index(name))
        elif name in firsts:
            indices.append(firsts[name])
        else:
            accepted = ", ".join([*feature_names, *firsts])
            raise ConfigError(f"unknown plot feature '{name}'; the features are: {accepted}")
    groups = _groups(feature_names, columns)
    if groups.get(indices[0], indices[0]) == groups.get(indices[1], indices[1]):
        raise ConfigError(
            f"plot features '{names[0]}' and '{names[1]}' are levels of one text column; "
            "name two different features"
        )
    if all(index in groups for index in indices):
        # the plot draws a text column as one curve per level over a numeric feature
        raise ConfigError(
            f"plot features '{names[0]}' and '{names[1]}' are both text columns; name at "
            "most one, with a numeric feature"
        )
    return PlotView((indices[0], indices[1]))


def model_view(
    pipeline: ClassifierPipeline, X_train: np.ndarray, feature_names: list[str], columns
) -> PlotView:
    """The two features with the largest standardised coefficients, with a line saying so."""
    importance = feature_importance(pipeline, X_train)
    groups = _groups(feature_names, columns)
    # one candidate per numeric feature and per text column (its largest one-hot column)
    candidates: dict[int, float] = {}
    for j, value in enumerate(importance):
        key = groups.get(j, j)
        candidates[key] = max(candidates.get(key, 0.0), float(value))
    spread = X_train.std(axis=0)
    varies = {
        key: bool(np.any(spread[[j for j in range(len(spread)) if groups.get(j, j) == key]]))
        for key in candidates
    }
    # largest first; a feature that varies before a constant one at equal (zero) importance
    order = sorted(candidates, key=lambda k: (-candidates[k], not varies[k], k))
    if len(order) < 2:
        return PlotView((0, 1))
    first, second = order[:2]
    label = {k: _candidate_name(k, feature_names, groups) for k in order}
    shown = f"{candidates[first]:.2g} and {candidates[second]:.2g}"
    rest = f"; next {label[order[2]]}, {candidates[order[2]]:.2g}" if len(order) > 2 else ""
    n = len(order)
    why = f"chosen for the largest standardised coefficients of {n} features ({shown}{rest})"
    if candidates[first] == 0:
        why = f"the first two that vary: all {n} features' coefficients are zero"
    return PlotView((first, second), why)


def feature_importance(pipeline: ClassifierPipeline, X_train: np.ndarray) -> np.ndarray:
    """Each input feature's weight in the model on the standardised scale, shape (d,): the
    norm of coef_ times the training standard deviation of each model feature, over the
    classes and the polynomial terms that contain the feature."""
    coef = np.atleast_2d(pipeline.estimator.coef_)
    standardised = coef * pipeline.transform(X_train).std(axis=0)
    term_norm = np.square(standardised).sum(axis=0)
    importance = np.zeros(X_train.shape[1])
    for t, term in enumerate(pipeline.poly.terms_):
        for j in set(term):
            importance[j] += term_norm[t]
    return np.sqrt(importance)


def _groups(feature_names: list[str], columns: list[dict]) -> dict[int, int]:
    """{index of a one-hot column: index of its text column's first one-hot column}."""
    groups = {}
    for name, levels in categorical_levels(columns).items():
        indices = [
            feature_names.index(f"{name}={level}")
            for level in levels[1:]
            if f"{name}={level}" in feature_names
        ]
        groups.update({j: indices[0] for j in indices})
    return groups


def _candidate_name(key: int, feature_names: list[str], groups: dict[int, int]) -> str:
    """A feature's name, or for a text column its name without the level."""
    name = feature_names[key]
    return name.rpartition("=")[0] if key in groups else name


def recorded_names(
    view: PlotView, feature_names: list[str], columns: list[dict]
) -> tuple[str, str]:
    """The plot features as config.toml records them: a text column by its name."""
    groups = _groups(feature_names, columns)
    i, j = view.features
    return _candidate_name(i, feature_names, groups), _candidate_name(j, feature_names, groups)
