"""What a fit records at every epoch: the training loss, the gradient norm, the validation
curves and (on request) the weights.

`History` is the record, `HistoryRecorder` the optimiser's callback that fills it, and
`ValidationMonitor` measures held-out data at each epoch's weights.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterator, Mapping

import numpy as np

from cetrain.core.heads import Head
from cetrain.core.losses import Loss
from cetrain.core.objective import LinearObjective
from cetrain.data.preprocess import Standardizer

EpochCallback = Callable[[int, float, float], None]


@dataclasses.dataclass
class History(Mapping):
    """Per-epoch values of a fit, one per epoch from epoch 0 (the initial weights).

    train_loss, grad_norm : the training loss (without the penalty) and the gradient norm
    val_loss, val_log_loss, val_accuracy : on the validation data (None without it): the
        training loss, the cross-entropy of the probabilities, and the accuracy
    param_epochs, coef, intercept : the epochs whose weights were kept, and those weights in
        original units (None unless fit was asked to record them)

    It also reads as a mapping of the recorded series, `history["train_loss"]`.
    """

    train_loss: list[float] = dataclasses.field(default_factory=list)
    grad_norm: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] | None = None
    val_log_loss: list[float] | None = None
    val_accuracy: list[float] | None = None
    param_epochs: list[int] | None = None
    coef: list[np.ndarray] | None = None
    intercept: list[np.ndarray] | None = None

    def to_dict(self) -> dict[str, list]:
        """The recorded series as a plain dict (coef and intercept arrays as they are)."""
        return {key: getattr(self, key) for key in self._recorded()}

    def _recorded(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None]

    def __getitem__(self, key: str) -> list:
        if key not in self._recorded():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._recorded())

    def __len__(self) -> int:
        return len(self._recorded())


class ValidationMonitor:
    """The validation loss, log loss and accuracy of one epoch's weights on held-out data.

    Parameters
    ----------
    X : ndarray of shape (m, d)
        The validation features, raw: the objective's `scores` standardises them as it does
        the training features.
    head : Head
        The model's output head.
    loss, target, weight : the training loss, the validation targets as it takes them, and
        their weights normalised to sum to 1 (None: uniform), class weights included
    log_loss, log_target : the cross-entropy of the model's probabilities and its targets
    truth : what head.correct compares a prediction with
    """

    def __init__(
        self,
        X: np.ndarray,
        head: Head,
        loss: Loss,
        target: np.ndarray,
        weight: np.ndarray | None,
        log_loss: Loss,
        log_target: np.ndarray,
        truth: np.ndarray,
    ) -> None:
        self.X, self.head, self.loss, self.target, self.weight = X, head, loss, target, weight
        self.log_loss, self.log_target, self.truth = log_loss, log_target, truth

    def measure(self, objective: LinearObjective, theta: np.ndarray) -> tuple[float, float, float]:
        """(val_loss, val_log_loss, val_accuracy) at the parameters theta."""
        scores = objective.scores(theta, self.X)  # the kernel's layout: (m,) or (K, m)
        accuracy = float(np.mean(self.head.correct(scores.T, self.truth)))
        m = len(self.truth)
        # accumulate overwrites its scores: the last loss may use them, not the first
        log_scores = self.head.log_loss_scores(scores.T).T.copy()
        log_loss = self.log_loss.accumulate(log_scores, self.log_target, None) / m
        total = self.loss.accumulate(scores, self.target, self.weight)
        return (total if self.weight is not None else total / m), log_loss, accuracy


class HistoryRecorder:
    """The optimiser's callback: records every epoch into a History.

    Parameters
    ----------
    objective : LinearObjective
        What is minimised; its penalty is taken off the recorded training loss.
    standardizer : Standardizer
        Maps weights back to original units, for the recorded coefficients.
    monitor : ValidationMonitor, optional
        Measures validation data at each epoch.
    record_params : bool or collection of int
        Keep the weights of every epoch (True), of the listed epochs and the last (a
        collection), or of none (False).
    callback : callable, optional
        callback(epoch, train_loss, grad_norm) after each epoch, e.g. for a progress bar.
    """

    def __init__(
        self,
        objective: LinearObjective,
        standardizer: Standardizer,
        monitor: ValidationMonitor | None = None,
        record_params: bool | Collection[int] = False,
        callback: EpochCallback | None = None,
    ) -> None:
        self.objective, self.standardizer = objective, standardizer
        self.monitor, self.callback = monitor, callback
        self.history = History()
        if monitor is not None:
            self.history.val_loss, self.history.val_log_loss, self.history.val_accuracy = [], [], []
        self.keep: frozenset[int] | None = None
        self.records_params = record_params is not False
        if self.records_params:
            self.history.param_epochs, self.history.coef, self.history.intercept = [], [], []
            self.keep = None if record_params is True else frozenset(record_params)

    def __call__(self, epoch: int, theta: np.ndarray, value: float, grad_norm: float) -> None:
        history = self.history
        train_loss = value - self.objective.penalty(theta)
        history.train_loss.append(train_loss)
        history.grad_norm.append(grad_norm)
        if self.monitor is not None:
            val_loss, val_log_loss, val_accuracy = self.monitor.measure(self.objective, theta)
            history.val_loss.append(val_loss)
            history.val_log_loss.append(val_log_loss)
            history.val_accuracy.append(val_accuracy)
        if self.records_params and (self.keep is None or epoch in self.keep):
            self._keep_params(epoch, *self.original_units(theta))
        if self.callback is not None:
            self.callback(epoch, train_loss, grad_norm)

    def original_units(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(coef, intercept) of the parameters theta, in the original feature units."""
        W, b = self.objective.unpack(theta)
        return self.standardizer.to_original_units(W.T, b)

    def finish(self, n_iter: int, coef: np.ndarray, intercept: np.ndarray) -> History:
        """The history, with the final weights kept if they were to be and are not yet."""
        kept = self.history.param_epochs
        if kept is not None and (not kept or kept[-1] != n_iter):
            self._keep_params(n_iter, coef, intercept)
        return self.history

    def _keep_params(self, epoch: int, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.history.param_epochs.append(epoch)
        self.history.coef.append(coef)
        self.history.intercept.append(intercept)
