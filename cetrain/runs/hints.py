"""Notes that teach: what a finished run's own numbers say the user could learn or change.

`notes(result)` reads a TrainResult and returns one sentence per hint; `cetrain train` prints
each as a `Note: ...` line on stderr and metrics.json keeps them under "notes". A note is never
an error: the run and its folder are as asked. The hints, each with the numbers that trigger it:

- a linear model (poly 1) on a built-in curved dataset fits its training rows with an accuracy
  closer to chance (the largest class's share) than to 1: suggest the degree that separates
  that dataset (SEPARATING_POLY);
- the test split has fewer than SMALL_TEST_ROWS rows, or fewer than SMALL_TEST_CLASS of some
  class: give the 95% Wilson interval of the test accuracy;
- a text column has a distinct value in more than half of the rows (and at least ID_LEVELS):
  an ID, one-hot encoded into a feature per row; suggest --features without it;
- a step set by hand made the loss oscillate (it rose in at least 10% of the epochs;
  cetrain.core.optim.oscillated) or diverge: suggest a smaller --lr or --lr auto;
- no penalty (l2 = l1 = 0, no label smoothing, a loss that is not margin-based) and every
  training row right: the classes are separable and the loss falls toward 0 only as the
  weights grow without bound; suggest --l2.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from cetrain.core.losses import LOSSES
from cetrain.core.optim import oscillated, uphill_epochs

if TYPE_CHECKING:
    from cetrain.runs.train import TrainResult

# the built-in datasets no straight line separates, and a degree of --poly that does (checked
# by tests/runs/test_hints.py: training accuracy at least 0.9 with the default settings)
SEPARATING_POLY = {"circles": 2, "xor": 2, "moons": 3, "spiral": 3}
SMALL_TEST_ROWS = 20
SMALL_TEST_CLASS = 5
ID_LEVELS = 10
Z_95 = 1.959963984540054  # the standard normal's 97.5% quantile


def notes(result: TrainResult) -> list[str]:
    """The notes a run earns, in a fixed order (see the module docstring)."""
    hints = (_linear_on_curves, _small_test_split, _id_columns, _step_too_large, _unbounded)
    return [note for hint in hints for note in hint(result)]


def wilson_interval(correct: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion correct/n (95% for the default z)."""
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _labels(result: TrainResult) -> bool:
    """The target is one label per row (not probability rows or label columns)."""
    return result.y_train.ndim == 1


def _linear_on_curves(result: TrainResult) -> list[str]:
    settings, dataset = result.settings, result.dataset
    degree = SEPARATING_POLY.get(dataset.name)
    if degree is None or dataset.source != "generator" or settings.poly != 1:
        return []
    _, counts = np.unique(result.y_train, return_counts=True)
    chance = counts.max() / counts.sum()
    accuracy = result.metrics.train.accuracy
    if accuracy >= (chance + 1) / 2:
        return []
    test = result.metrics.test
    tested = f", test {test.accuracy:.2f}" if test is not None else ""
    return [
        f"a straight boundary cannot separate '{dataset.name}': training accuracy "
        f"{accuracy:.2f}{tested}, closer to the {chance:.2f} of always guessing the largest "
        f"class than to 1; polynomial features bend it: try --poly {degree}"
    ]


def _small_test_split(result: TrainResult) -> list[str]:
    test, n = result.metrics.test, result.metrics.n_test
    if test is None:
        return []
    fewest = ""
    if _labels(result):
        classes, counts = np.unique(result.y_test, return_counts=True)
        missing = len(np.unique(result.y_train)) - len(classes)
        if missing or counts.min() < SMALL_TEST_CLASS:
            rows = 0 if missing else counts.min()
            label = "a class" if missing else f"class {classes[np.argmin(counts)]}"
            fewest = f", {_rows(rows)} of {label}"
    if n >= SMALL_TEST_ROWS and not fewest:
        return []
    correct = round(test.accuracy * n)
    low, high = wilson_interval(correct, n)
    return [
        f"the test split is small ({_rows(n)}{fewest}): test accuracy {test.accuracy:.2f} "
        f"is {correct} of {n}, and a 95% interval for it is {low:.2f} to {high:.2f} (Wilson); "
        "a larger --test-size or more data narrows it"
    ]


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _id_columns(result: TrainResult) -> list[str]:
    dataset = result.dataset
    n_rows = len(dataset.y) + dataset.rows_dropped
    found = []
    for column in dataset.columns:
        levels = len(column.get("levels", ()))
        if column["kind"] == "categorical" and levels >= ID_LEVELS and levels > n_rows / 2:
            others = [c["name"] for c in dataset.columns if c["name"] != column["name"]]
            instead = (
                f"leave it out with --features {','.join(others)}"
                if others
                else "use other columns as --features"
            )
            found.append(
                f"the text column '{column['name']}' has {levels} distinct values in "
                f"{_rows(n_rows)}, like an ID: one-hot encoded, it gives the model a feature "
                f"per row to memorise the training rows with, and says nothing about new rows; "
                f"{instead}"
            )
    return found


def _step_too_large(result: TrainResult) -> list[str]:
    settings, metrics = result.settings, result.metrics
    if settings.lr == "auto" or metrics.status == "converged":
        return []
    losses = result.history.train_loss
    if metrics.status == "diverged":
        what = (
            f"the loss blew up and training stopped after {_epochs(metrics.epochs)}"
            if metrics.epochs
            else "the loss overflowed at the first step"
        )
    elif oscillated(losses):
        what = (
            f"the loss rose in {uphill_epochs(losses)} of {metrics.epochs} epochs instead of "
            "falling: each step overshoots the minimum"
        )
    else:
        return []
    return [
        f"the step --lr {metrics.learning_rate:g} is too large: {what}; try a smaller --lr "
        f"(e.g. {metrics.learning_rate / 10:g}) or --lr auto (1/L, the step the curvature of the "
        "loss allows)"
    ]


def _unbounded(result: TrainResult) -> list[str]:
    settings, metrics = result.settings, result.metrics
    if (
        settings.l2 != 0
        or settings.l1 != 0
        or settings.label_smoothing != 0
        or LOSSES[settings.loss].margin_based
        or result.pipeline.estimator.target_kind_ == "probabilities"
        or metrics.train.accuracy < 1.0
    ):
        return []
    losses = result.history.train_loss
    if len(losses) > 1 and losses[-1] >= losses[-2]:
        return []  # the loss has stopped falling: the weights have settled
    stopped = (
        "'converged' only says the gradient fell below --tol"
        if metrics.status == "converged"
        else "more epochs would only grow them further"
    )
    return [
        f"every training row is classified right and there is no penalty (l2 = 0): the classes "
        f"are separable, and the loss ({losses[-1]:.2g} after {_epochs(metrics.epochs)}) falls "
        f"toward 0 only as the weights grow without bound; {stopped}; a penalty such as "
        "--l2 0.001 gives the weights a finite best value"
    ]
