"""What the page draws after a step, computed by the functions the CLI and the figures use:
the probability grid (cetrain.core.plane, as the boundary figure shades it), each point's own
loss (the estimator's row_losses, as the figure sizes points by it), the reliability bins
(cetrain.runs.evaluation.label_calibration, as the reliability diagram), and the metrics
(cetrain.runs.metrics.evaluate, as metrics.json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cetrain.core.plane import probability_grid
from cetrain.runs.evaluation import label_calibration
from cetrain.runs.metrics import evaluate, row_losses

if TYPE_CHECKING:
    from cetrain.playground.session import Run

GRID_RESOLUTION = 100  # grid points per axis of the shading
# The shading's probabilities are sent to this many decimals: a colour has 256 levels, so 1e-4
# is finer than the page can show, and the frame's JSON is a third of its size at 17 digits
# (the points' own probabilities, which the page prints, are sent whole)
GRID_DECIMALS = 4


def frame(run: Run, bounds: list[tuple[float, float]], since: int) -> dict[str, Any]:
    """One model's frame (the shape of /api/step's answer, without "compare"): its history from
    epoch `since` on."""
    estimator = run.pipeline.estimator
    history = estimator.history_
    split = run.split
    has_test = len(split.y_test) > 0
    measured = evaluate(run.pipeline, split.X_test if has_test else split.X_train,
                        split.y_test if has_test else split.y_train)  # fmt: skip
    X_all = run.points.X
    n_classes = len(estimator.classes_)
    gx, gy, grid = probability_grid(
        run.pipeline.predict_proba, bounds[0], bounds[1], np.zeros(2), (0, 1), n_classes,
        GRID_RESOLUTION,
    )  # fmt: skip
    return {
        "epoch": estimator.n_iter_,
        "status": run.status,
        "message": run.message,
        "train_loss": history.train_loss[-1],
        "test_loss": history.val_loss[-1] if has_test else None,
        "accuracy": measured.accuracy,
        "log_loss": measured.log_loss,
        "measured_on": "test" if has_test else "train",
        "grad_norm": history.grad_norm[-1],
        "learning_rate": estimator.learning_rate_,
        "model_classes": run.points.class_positions(estimator.classes_),
        "weights": {
            "features": run.pipeline.model_feature_names,
            "coef": estimator.coef_,
            "intercept": estimator.intercept_,
        },
        "grid": {"x": gx, "y": gy, "proba": np.round(grid, GRID_DECIMALS)},
        "points": {"proba": run.pipeline.predict_proba(X_all), "loss": point_losses(run)},
        "calibration": calibration(run) if has_test else None,
        "history": {
            "epoch": list(range(since, len(history.train_loss))),
            "train_loss": history.train_loss[since:],
            "test_loss": history.val_loss[since:] if has_test else None,
            "log_loss": history.val_log_loss[since:] if has_test else None,
            "grad_norm": history.grad_norm[since:],
        },
    }


def point_losses(run: Run) -> np.ndarray:
    """Each point's own training loss (class weight included), in the order of the points:
    runs.metrics.row_losses of each split, as the figures' point sizes (runs.write)."""
    losses = np.empty(len(run.points.labels))
    losses[run.train_rows] = row_losses(run.pipeline, run.split.X_train, run.split.y_train)
    losses[run.test_rows] = row_losses(run.pipeline, run.split.X_test, run.split.y_test)
    return losses


def calibration(run: Run) -> dict[str, Any]:
    """The test rows' reliability bins, as the reliability diagram draws them."""
    estimator = run.pipeline.estimator
    proba = run.pipeline.predict_proba(run.split.X_test)
    names = [str(c) for c in estimator.classes_]
    found = label_calibration(estimator.class_index(run.split.y_test), proba, names)
    (curve,) = found.curves
    return {
        "event": found.event,
        "name": curve.name,
        "bin_edges": found.bin_edges,
        "count": found.bin_counts,
        "mean_predicted": curve.mean_predicted,
        "fraction_positive": curve.observed,
    }
