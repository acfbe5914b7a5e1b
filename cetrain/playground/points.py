"""The playground's data: points in the plane of two features, each with a class.

A `Points` is what the page shows and edits; `dataset()` is the same rows as the Dataset that
`cetrain train` would load from the points' CSV export (labels parsed by the CSV reader's
own rule), so that a run on it and a run on the export are the same run.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cetrain.core.heads import TargetKind
from cetrain.data import Dataset, load_dataset, target_kind
from cetrain.data.csvfile import parse_labels, read_csv
from cetrain.data.registry import GENERATOR_NAMES, N_SAMPLES, NOISE
from cetrain.data.split import SEED
from cetrain.errors import DataError

MAX_POINTS = 20_000
MAX_CLASSES = 6
DEFAULT_FEATURES = ("x1", "x2")
DEFAULT_TARGET = "label"


@dataclasses.dataclass(frozen=True)
class Points:
    """Rows (n, 2) with a class index each into `classes` (their names, at most MAX_CLASSES).

    `target` names the label column of the CSV export; `feature_names` its two feature columns.
    """

    X: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...] = ("0", "1")
    feature_names: tuple[str, str] = DEFAULT_FEATURES
    target: str = DEFAULT_TARGET
    name: str = "points"

    @property
    def n_classes_present(self) -> int:
        return len(np.unique(self.labels))

    def dataset(self) -> Dataset:
        """The points as a Dataset, labels as read back from their CSV export."""
        y = parse_labels([self.classes[k] for k in self.labels.tolist()])  # see class_positions
        return Dataset(
            name=self.name,
            X=np.ascontiguousarray(self.X, dtype=np.float64),
            y=y,
            feature_names=list(self.feature_names),
            target_name=self.target,
            columns=[{"name": name, "kind": "numeric"} for name in self.feature_names],
            source="points",
        )

    def class_positions(self, model_classes: np.ndarray) -> list[int]:
        """The index in `classes` of each of a model's classes_ (its probability columns).

        The model's classes are the labels present, parsed as `dataset` parses them (as
        numbers only if every present name is one): a class with no point left, named "x",
        must not turn "0" and "1" back into strings."""
        present = sorted(set(self.labels.tolist()))
        parsed = parse_labels([self.classes[k] for k in present]).tolist()
        position = dict(zip(parsed, present, strict=True))
        return [position[c] for c in np.asarray(model_classes).tolist()]

    def to_csv(self) -> str:
        """The CSV export: a header of the two features and the target, then one row a point
        (numbers written to round-trip exactly)."""
        lines = [",".join(_csv_field(name) for name in (*self.feature_names, self.target))]
        for (x1, x2), k in zip(self.X.tolist(), self.labels.tolist(), strict=True):
            lines.append(f"{x1!r},{x2!r},{_csv_field(self.classes[k])}")
        return "\n".join(lines) + "\n"


def _csv_field(text: str) -> str:
    if any(ch in text for ch in ',;\t"\n\r') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def empty() -> Points:
    return Points(np.empty((0, 2)), np.empty(0, dtype=np.int64))


def from_rows(rows: Any, current: Points) -> Points:
    """POST /api/points {"points": [[x1, x2, label], ...]}: label a class index in
    0..MAX_CLASSES-1; the current class names are kept, and new indices named by their number."""
    if not isinstance(rows, list):
        raise DataError("points must be a list of [x1, x2, label] rows")
    if len(rows) > MAX_POINTS:
        raise DataError(f"too many points: {len(rows)}; the playground takes at most {MAX_POINTS}")
    X = np.empty((len(rows), 2))
    labels = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 3):
            raise DataError(f"points row {i} must be [x1, x2, label]; got {_shown(row)}")
        x1, x2, label = row
        for value in (x1, x2):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DataError(f"points row {i}: coordinates must be numbers; got {_shown(row)}")
            if not math.isfinite(value) or abs(value) > 1e12:
                raise DataError(
                    f"points row {i}: coordinates must be finite numbers within +-1e12; "
                    f"got {_shown(row)}"
                )
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < MAX_CLASSES:
            raise DataError(
                f"points row {i}: label must be a class index in 0..{MAX_CLASSES - 1}; "
                f"got {_shown(label)}"
            )
        X[i] = x1, x2
        labels[i] = label
    classes = list(current.classes)
    top = int(labels.max()) + 1 if len(labels) else 0
    for k in range(len(classes), top):
        name = str(k)
        while name in classes:
            name += "'"
        classes.append(name)
    return dataclasses.replace(current, X=X, labels=labels, classes=tuple(classes))


def generated(body: Mapping[str, Any]) -> Points:
    """POST /api/points {"dataset": name, "n": rows, "noise": noise, "seed": seed}: a
    built-in two-feature generator (cetrain.data.registry)."""
    name = body["dataset"]
    if name not in GENERATOR_NAMES:
        raise DataError(f"dataset must be one of: {', '.join(GENERATOR_NAMES)}; got {_shown(name)}")
    n = N_SAMPLES.check(body.get("n"), "n")
    if n is not None and n > MAX_POINTS:
        raise DataError(f"n must be at most {MAX_POINTS} in the playground; got {n}")
    noise = NOISE.check(body.get("noise"), "noise")
    seed = SEED.check(body.get("seed", SEED.default), "seed")
    return from_dataset(load_dataset(name, n_samples=n, noise=noise, seed=seed))


def from_csv_text(text: Any, target: Any = None, features: Any = None, choose=None) -> Points:
    """POST /api/points {"csv": text, "target": column, "features": [a, b]}: read by the CSV
    reader of `cetrain train` (cetrain.data.csvfile), from a private temporary file."""
    if not isinstance(text, str) or not text.strip():
        raise DataError("csv must be the text of a CSV file with a header row")
    if target is not None and not isinstance(target, str):
        raise DataError(f"target must be a column name; got {_shown(target)}")
    if features is not None and not (
        isinstance(features, list) and all(isinstance(f, str) for f in features)
    ):
        raise DataError(f"features must be a list of column names; got {_shown(features)}")
    with tempfile.TemporaryDirectory(prefix="cetrain-playground-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        dataset = read_csv(path, target=target, features=features, name="upload")
    return from_dataset(dataset, choose)


def from_dataset(dataset: Dataset, choose=None) -> Points:
    """A loaded dataset as points: one label column, 2..MAX_CLASSES classes, at most
    MAX_POINTS rows. With more than two features, `choose(dataset)` gives the two shown (as
    `cetrain train` picks the boundary plot's: cetrain.playground.session); one feature is
    refused."""
    if target_kind(dataset.y) is not TargetKind.LABELS:
        raise DataError("the playground takes one label column (class labels), not several")
    if len(dataset.y) > MAX_POINTS:
        raise DataError(
            f"too many points: {len(dataset.y)}; the playground takes at most {MAX_POINTS}"
        )
    names, labels = np.unique(dataset.y, return_inverse=True)
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"'{dataset.target_name}' has {len(names)} classes; the playground takes at most "
            f"{MAX_CLASSES}"
        )
    d = dataset.X.shape[1]
    if d < 2:
        raise DataError("the playground draws two features; this data has one")
    pair = (0, 1) if d == 2 else choose(dataset)
    X = np.asarray(dataset.X)[:, list(pair)]
    feature_names = tuple(dataset.feature_names[k] for k in pair)
    target = dataset.target_name
    if target in feature_names:
        target = DEFAULT_TARGET
    return Points(
        np.array(X, dtype=np.float64),
        labels.astype(np.int64),
        tuple(str(c) for c in names.tolist()),
        feature_names,  # type: ignore[arg-type]
        target,
        dataset.name,
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
