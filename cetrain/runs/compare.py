"""The same run trained once per loss (or per model), on the same data and split, measured on
one scale.

`compare(settings, losses)` runs `cetrain.runs.train.train` once per loss with only the loss
changed, so every model sees the same data, the same seeded split, the same initial weights (zero)
and the same step-size rule (1/L of its own objective, or the same fixed step). With vary="model" it
is the model that changes instead, e.g. softmax against one-vs-rest sigmoids ("multilabel") on a
single-label problem. Each model is then measured on the test set by the quantities that do not
depend on what it was trained on: accuracy and log loss.
"""

import dataclasses
from collections.abc import Callable, Sequence

from cetrain.core.heads import MODEL_KINDS, TargetKind
from cetrain.core.losses import LOSS_NAMES
from cetrain.data import target_kind
from cetrain.errors import ConfigError
from cetrain.estimators.history import EpochCallback
from cetrain.runs.settings import SETTINGS, TrainSettings, loss_settings_given
from cetrain.runs.train import TrainResult, load_settings_data, train

# The share of the best accuracy whose first epoch the comparison reports.
ACCURACY_SHARE = 0.9
# What compare trains on unless told: the comparison the teaching material is about.
DEFAULT_LOSSES = ("cross-entropy", "mse")
# The models compare can set against each other (vary="model").
MODEL_CHOICES = tuple(MODEL_KINDS)
# The setting that may vary -> the config key (and option) that lists its values.
LIST_KEYS = {"loss": "losses", "model": "models"}


@dataclasses.dataclass(frozen=True)
class SummaryRow:
    """One row of the comparison table (and of comparison.json's "summary").

    epochs_to_90pct is the first epoch at which the model's test accuracy reached
    ACCURACY_SHARE of the best test accuracy any model had at any epoch (None if it never did).
    """

    epochs: int
    status: str
    learning_rate: float
    epochs_to_90pct: int | None
    test_accuracy: float
    test_log_loss: float
    final_grad_norm: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Comparison:
    """The runs of a comparison, by the value of the setting that varies (`vary`: "loss" or
    "model"), and a summary row for each."""

    settings: TrainSettings
    runs: dict[str, TrainResult]
    best_accuracy: float
    summary: dict[str, SummaryRow]
    vary: str = "loss"

    @property
    def values(self) -> list[str]:
        """The values compared: loss names, or model names when vary is "model"."""
        return list(self.runs)

    @property
    def status(self) -> str:
        """ "interrupted" when a run was stopped by the user (the runs after it were not
        trained), else "complete"."""
        stopped = any(run.metrics.status == "interrupted" for run in self.runs.values())
        return "interrupted" if stopped else "complete"


def compare(
    settings: TrainSettings,
    values: Sequence[str],
    *,
    vary: str = "loss",
    callback_for: Callable[[str], EpochCallback | None] | None = None,
    on_start: Callable[[str, str], None] | None = None,
) -> Comparison:
    """Train the settings' model once per loss (or per model) and summarise the runs.

    Parameters
    ----------
    settings : TrainSettings
        The run; its `loss` (or `model`) is replaced by each value in turn. It needs a test set.
    values : sequence of str
        The values: loss names from cetrain.core.losses.LOSS_NAMES (or model names from
        MODEL_CHOICES), at least one, no repeats.
    vary : {"loss", "model"}
        The setting that changes from run to run.
    callback_for : callable, optional
        callback_for(value) returns the per-epoch callback for that value's run (or None).
        A callback that raises StopIteration ends that run after its epoch (status
        "interrupted") and the comparison there: it holds the runs trained so far.
    on_start : callable, optional
        on_start(dataset_name, "compare") once, just before the first run trains.

    Returns
    -------
    Comparison
        With a SummaryRow for each value.
    """
    if vary not in LIST_KEYS:
        raise ConfigError(f"compare varies the loss or the model, not {vary!r}")
    values = check_losses(values) if vary == "loss" else check_models(values)
    if settings.test_size == 0:
        raise ConfigError(
            "compare measures every model on a test set; use a test_size above 0 (e.g. 0.25)"
        )
    if vary == "loss":
        _check_loss_settings(settings, values)
    # every run trains on the same data: load it once, and refuse a multi-label target before
    # any training (its figure would need a boundary per label for every model compared)
    dataset = load_settings_data(settings) if settings.data is not None else None
    if dataset is not None and target_kind(dataset.y) is TargetKind.INDICATOR:
        raise ConfigError(
            "compare draws one decision boundary per model, and a multi-label target has "
            "one per label: train each loss with `cetrain train` instead"
        )
    runs = {}
    for value in values:
        callback = callback_for(value) if callback_for is not None else None
        run_settings = dataclasses.replace(settings, **{vary: value})
        if vary == "loss":
            run_settings = _own_loss_settings(run_settings)
        runs[value] = train(
            run_settings,
            callback=callback,
            dataset=dataset,
            on_start=_started(on_start) if not runs else None,
        )
        if runs[value].metrics.status == "interrupted":
            break
    best = max(max(run.history.val_accuracy) for run in runs.values())
    summary = {value: _summarise(run, ACCURACY_SHARE * best) for value, run in runs.items()}
    # every loss's own settings are kept with the comparison, so its config.toml re-runs it
    shared = {s.name: getattr(settings, s.name) for s in SETTINGS if s.loss is not None}
    return Comparison(
        settings=dataclasses.replace(runs[values[0]].settings, **shared),
        runs=runs,
        best_accuracy=best,
        summary=summary,
        vary=vary,
    )


def _started(on_start: Callable[[str, str], None] | None) -> Callable[[str, str], None] | None:
    """train's on_start for the first run: on_start(dataset_name, "compare")."""
    if on_start is None:
        return None
    return lambda dataset_name, kind: on_start(dataset_name, "compare")


def _check_loss_settings(settings: TrainSettings, losses: Sequence[str]) -> None:
    """A loss's own setting (focal_gamma, ...) needs that loss among those compared."""
    for loss, given in loss_settings_given(settings).items():
        if loss not in losses:
            verb = "applies" if len(given) == 1 else "apply"
            raise ConfigError(
                f"{' and '.join(given)} {verb} to the loss '{loss}', which losses does not "
                f"include ({', '.join(losses)})"
            )


def _own_loss_settings(settings: TrainSettings) -> TrainSettings:
    """The settings with every other loss's own settings back at their defaults."""
    others = {s.name: s.default for s in SETTINGS if s.loss is not None and s.loss != settings.loss}
    return dataclasses.replace(settings, **others)


def check_losses(losses: Sequence[str]) -> list[str]:
    """Known loss names, each once; a ConfigError naming what is accepted otherwise."""
    return _check_names(losses, LOSS_NAMES, "loss")


def check_models(models: Sequence[str]) -> list[str]:
    """Known model names, each once; a ConfigError naming what is accepted otherwise."""
    return _check_names(models, MODEL_CHOICES, "model")


def _check_names(given: Sequence[str], allowed: Sequence[str], what: str) -> list[str]:
    names = [name.strip() for name in given]
    key = LIST_KEYS[what]
    unknown = [name for name in names if name not in allowed]
    if not names or unknown:
        raise ConfigError(
            f"unknown {what} {unknown[0]!r} in {key}; use a comma-separated list of: "
            f"{', '.join(allowed)}"
            if unknown
            else f"{key} must name at least one of: {', '.join(allowed)}"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"{key} names a {what} twice: {', '.join(names)}")
    return names


def _summarise(run: TrainResult, target_accuracy: float) -> SummaryRow:
    """One row of the comparison table."""
    accuracy = run.history.val_accuracy
    reached = next((epoch for epoch, a in enumerate(accuracy) if a >= target_accuracy), None)
    return SummaryRow(
        epochs=run.metrics.epochs,
        status=run.metrics.status,
        learning_rate=run.metrics.learning_rate,
        epochs_to_90pct=reached,
        test_accuracy=run.metrics.test.accuracy,
        test_log_loss=run.metrics.test.log_loss,
        final_grad_norm=run.metrics.final_grad_norm,
    )
