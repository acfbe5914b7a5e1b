"""The saturation demo: one sigmoid neuron, confidently wrong, trained on MSE and on cross-entropy.

The neuron has one input x = 1, a weight w and an intercept b, so z = w + b and its output is
sigma(z). Started at w = b = 2 (output sigma(4) = 0.982) with target y = 0, it is trained by
plain gradient descent with the same step on each loss (Nielsen, "Neural Networks and Deep
Learning", chapter 3). The gradient with respect to b is dl/dz:

    cross-entropy   l = log(1 + e^z) - y z     dl/dz = sigma(z) - y
    MSE             l = (sigma(z) - y)^2       dl/dz = 2 (sigma(z) - y) sigma'(z)

and sigma'(z) = sigma(z)(1 - sigma(z)) is tiny while the neuron is saturated: under MSE it
hardly learns at first, under cross-entropy it learns fastest when it is most wrong.
Nothing here draws or writes (see cetrain.teach.saturation_figure and the CLI).
"""

import dataclasses
import math

import numpy as np

from cetrain.core.links import sigmoid
from cetrain.core.losses import loss_for
from cetrain.core.objective import LinearObjective
from cetrain.core.optim import trajectory
from cetrain.errors import ConfigError

# the two losses the demonstration sets against each other
COMPARED_LOSSES = ("cross-entropy", "mse")
DEFAULT_START = (2.0, 2.0)
DEFAULT_TARGET = 0
DEFAULT_LEARNING_RATE = 0.15
DEFAULT_EPOCHS = 300
# |w| and |b| of a start: the output sigma(w + b) is 0 or 1 to float64 beyond |w + b| = 37, and
# beyond 1000 a step changes neither w nor b in their last digit, so the runs show nothing more.
MAX_START = 1000.0
# "Learned": the output is within this distance of the target (below 0.1 for target 0).
NEAR = 0.1


@dataclasses.dataclass(frozen=True)
class NeuronRun:
    """One training run, one value per epoch (epoch 0 is the start).

    `slope` is sigma'(z) = sigma(z)(1 - sigma(z)) and `gradient` is d loss / d b, which is also
    d loss / d w since x = 1. `first_epoch_near` is the first epoch at which the output is within
    NEAR of the target, None if it never is.
    """

    loss_name: str
    w: np.ndarray
    b: np.ndarray
    output: np.ndarray
    loss: np.ndarray
    slope: np.ndarray
    gradient: np.ndarray
    first_epoch_near: int | None
    status: str

    def to_dict(self) -> dict:
        return {
            "first_epoch_near_target": self.first_epoch_near,
            "status": self.status,
            "output": self.output.tolist(),
            "loss": self.loss.tolist(),
            "sigmoid_slope": self.slope.tolist(),
            "gradient_b": self.gradient.tolist(),
            "w": self.w.tolist(),
            "b": self.b.tolist(),
        }


@dataclasses.dataclass(frozen=True)
class SaturationResult:
    """Both runs, from the same start with the same step."""

    start: tuple[float, float]
    target: float
    learning_rate: float
    epochs: int
    runs: dict[str, NeuronRun]
    near: float = NEAR

    def to_dict(self) -> dict:
        """The JSON-ready summary: settings, and per loss the per-epoch values."""
        w, b = self.start
        return {
            "input": 1.0,
            "target": self.target,
            "start": {"w": w, "b": b},
            "start_output": float(sigmoid(w + b)),
            "learning_rate": self.learning_rate,
            "epochs": self.epochs,
            "near_target": f"|output - target| < {self.near:g}",
            "losses": {name: run.to_dict() for name, run in self.runs.items()},
        }


def train_neuron(
    loss_name: str,
    *,
    start: tuple[float, float] = DEFAULT_START,
    target: float = DEFAULT_TARGET,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    epochs: int = DEFAULT_EPOCHS,
) -> NeuronRun:
    """Train the neuron x = 1 -> sigma(w + b) on `loss_name` by plain gradient descent.

    Parameters
    ----------
    loss_name : str
        "cross-entropy" or "mse".
    start : (float, float)
        (w, b) at epoch 0.
    target : float
        The desired output y, in [0, 1].
    learning_rate : float
        The step eta.
    epochs : int
        Steps taken; every run has epochs + 1 values (no early stop).

    Returns
    -------
    NeuronRun
    """
    loss = loss_for(loss_name, "logistic")
    goal = np.array([float(target)])
    neuron = LinearObjective(np.array([[1.0]]), goal, loss, n_outputs=1)
    path = trajectory(
        neuron.value_and_grad,
        np.array(start, dtype=np.float64),
        learning_rate=learning_rate,
        epochs=epochs,
    )
    theta = path.theta
    z = theta[:, 0] + theta[:, 1]
    values, gradient = loss.value_and_grad(z, np.full(z.size, goal[0]), reduction="none")
    output = sigmoid(z)
    near = np.flatnonzero(np.abs(output - goal[0]) < NEAR)
    return NeuronRun(
        loss_name=loss_name,
        w=theta[:, 0],
        b=theta[:, 1],
        output=output,
        loss=np.asarray(values),
        # sigma(z) sigma(-z), not output (1 - output), which rounds to 0 for z above ~37
        slope=sigmoid(z) * sigmoid(-z),
        gradient=gradient,
        first_epoch_near=int(near[0]) if near.size else None,
        status=path.status,
    )


def saturation_demo(
    *,
    start: tuple[float, float] = DEFAULT_START,
    target: float = DEFAULT_TARGET,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    epochs: int = DEFAULT_EPOCHS,
) -> SaturationResult:
    """Train the neuron on cross-entropy and on MSE from the same start with the same step.

    Parameters are those of `train_neuron`.

    Raises
    ------
    ConfigError
        For a non-finite start or one beyond MAX_START, a target outside [0, 1], a step that
        is not a finite number > 0, or epochs < 1.
    """
    if not all(math.isfinite(v) for v in start):
        raise ConfigError(f"the start must be two finite numbers w,b; got {start}")
    if not all(abs(v) <= MAX_START for v in start):
        w, b = start
        raise ConfigError(
            f"--start {w:g},{b:g} is too far out: w and b must each be in "
            f"[-{MAX_START:g}, {MAX_START:g}] (the output sigma(w + b) is 0 or 1 to float64 "
            f"beyond w + b = ±37)"
        )
    if not 0 <= target <= 1:
        raise ConfigError(f"the target must be in [0, 1]; got {target}")
    if not 0 < learning_rate < math.inf:
        raise ConfigError(f"the learning rate must be a finite number > 0; got {learning_rate}")
    if epochs < 1:
        raise ConfigError(f"epochs must be at least 1; got {epochs}")
    start = (float(start[0]), float(start[1]))
    runs = {
        name: train_neuron(
            name, start=start, target=target, learning_rate=learning_rate, epochs=epochs
        )
        for name in COMPARED_LOSSES
    }
    return SaturationResult(
        start=start,
        target=float(target),
        learning_rate=float(learning_rate),
        epochs=epochs,
        runs=runs,
    )
