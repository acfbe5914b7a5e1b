"""The same model trained once per loss, on the same data and split, measured on one scale.

`compare(settings, losses)` runs `cetrain.train.train` once per loss with only the loss changed,
so every model sees the same data, the same seeded split, the same initial weights (zero) and
the same step-size rule (1/L of its own objective, or the same fixed step). Each model is then
measured on the test set by the quantities that do not depend on what it was trained on:
accuracy and log loss.
"""

import dataclasses
from collections.abc import Callable, Sequence

from cetrain.config import TrainSettings
from cetrain.errors import ConfigError
from cetrain.losses import LOSS_NAMES
from cetrain.models import EpochCallback
from cetrain.train import TrainResult, train

# The share of the best accuracy whose first epoch the comparison reports.
ACCURACY_SHARE = 0.9
# What compare trains on unless told: the comparison the teaching material is about.
DEFAULT_LOSSES = ("cross-entropy", "mse")


@dataclasses.dataclass
class Comparison:
    """The runs of a comparison, by loss name, and a summary row for each."""

    settings: TrainSettings
    runs: dict[str, TrainResult]
    best_accuracy: float
    summary: dict[str, dict]

    @property
    def losses(self) -> list[str]:
        return list(self.runs)


def compare(
    settings: TrainSettings,
    losses: Sequence[str],
    *,
    callback_for: Callable[[str], EpochCallback | None] | None = None,
) -> Comparison:
    """Train the settings' model once per loss and summarise the runs.

    Parameters
    ----------
    settings : TrainSettings
        The run; its `loss` is replaced by each of `losses` in turn. It needs a test set.
    losses : sequence of str
        Loss names from cetrain.losses.LOSS_NAMES, at least one, no repeats.
    callback_for : callable, optional
        callback_for(loss) returns the per-epoch callback for that loss's run (or None).

    Returns
    -------
    Comparison
        summary[loss] holds "epochs", "status", "learning_rate", "test_accuracy",
        "test_log_loss", "final_grad_norm" and "epochs_to_90pct": the first epoch at which the
        model's test accuracy reached ACCURACY_SHARE of the best test accuracy any model had
        at any epoch (None if it never did).
    """
    losses = check_losses(losses)
    if settings.test_size == 0:
        raise ConfigError(
            "compare measures every model on a test set; use a test_size above 0 (e.g. 0.25)"
        )
    runs = {}
    for loss in losses:
        callback = callback_for(loss) if callback_for is not None else None
        runs[loss] = train(dataclasses.replace(settings, loss=loss), callback=callback)
    best = max(max(run.history["val_accuracy"]) for run in runs.values())
    summary = {loss: _summarise(run, ACCURACY_SHARE * best) for loss, run in runs.items()}
    return Comparison(
        settings=runs[losses[0]].settings, runs=runs, best_accuracy=best, summary=summary
    )


def check_losses(losses: Sequence[str]) -> list[str]:
    """Known loss names, each once; a ConfigError naming what is accepted otherwise."""
    names = [name.strip() for name in losses]
    unknown = [name for name in names if name not in LOSS_NAMES]
    if not names or unknown:
        raise ConfigError(
            f"unknown loss {unknown[0]!r} in losses; use a comma-separated list of: "
            f"{', '.join(LOSS_NAMES)}"
            if unknown
            else f"losses must name at least one of: {', '.join(LOSS_NAMES)}"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"losses names a loss twice: {', '.join(names)}")
    return names


def _summarise(run: TrainResult, target_accuracy: float) -> dict:
    """One row of the comparison table."""
    accuracy = run.history["val_accuracy"]
    reached = next((epoch for epoch, a in enumerate(accuracy) if a >= target_accuracy), None)
    return {
        "epochs": run.metrics["epochs"],
        "status": run.metrics["status"],
        "learning_rate": run.metrics["learning_rate"],
        "epochs_to_90pct": reached,
        "test_accuracy": run.metrics["test"]["accuracy"],
        "test_log_loss": run.metrics["test"]["log_loss"],
        "final_grad_norm": run.metrics["final_grad_norm"],
    }
