"""Full-batch gradient descent with optional Nesterov momentum. No I/O.

With step size eta and momentum beta, each epoch evaluates the objective and its gradient once,
at the look-ahead point y_k, and moves:

    x_{k+1} = y_k - eta * grad f(y_k)
    y_{k+1} = x_{k+1} + beta * (x_{k+1} - x_k)

beta = 0 is plain gradient descent (y_k = x_k). Momentum is reset (y_{k+1} = x_{k+1}) whenever
grad f(y_k) . (x_{k+1} - x_k) > 0, i.e. when the last step went uphill (O'Donoghue and Candes,
"Adaptive restart for accelerated gradient schemes", 2015); this keeps the method monotone enough
to converge on badly conditioned problems without tuning beta.

A non-smooth part h (an L1 penalty) is handled by a proximal step (ISTA/FISTA), see
gradient_descent.

Given a preconditioner P = M^{-1}, where M majorises the Hessian of f everywhere (so that the
step -P grad f(x) always lowers f, by at least (1/2) grad^T P grad: Boehning's bound for the
logistic and softmax losses), the same Nesterov scheme runs in M's metric, still one
evaluation per epoch:

    x_{k+1} = y_k - P grad f(y_k),    y_{k+1} = x_{k+1} + beta (x_{k+1} - x_k)

M takes in the features' scales and correlations, which make a single step 1/L crawl along the
flat directions; the restart test is unchanged. A step scale alpha (x - alpha P grad) that
adapted to the curvature (grown after downhill epochs, shrunk at restarts; or Barzilai-Borwein
steps) needed fewer epochs on benchmarks/time_to_optimum.py's problems but up to ten times more
on breast_cancer, and Barzilai-Borwein steps amplified the last digits of the gradient (a fit
with sample weights of 2 and one with the rows twice parted ways): alpha stays 1. So does
beta: warmed up after each restart (Nesterov's k / (k + 3)) it saved epochs on iris and
breast_cancer, but took thousands instead of a dozen to reach tol on separable classes without
a penalty, where the weights must run off.

Training stops when ||grad f(y_k)||_2 <= tol ("converged"), when a
subgradient run stops making progress ("stalled"), after max_iter steps ("max_iter"), or when
the objective becomes non-finite or grows past DIVERGENCE_FACTOR times its start ("diverged"),
or when the callback raises StopIteration ("interrupted", as in scipy.optimize.minimize).
The result is always the last point whose objective was recorded, so the history's last entry
describes the returned parameters.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

DIVERGENCE_FACTOR = 1e3
# How a run ended, declared once: metrics.json's and model.json's `status`, the history and the
# report take these words, and the CLI's summary phrases them.
STATUSES = {
    "converged": "the gradient norm (of the gradient mapping, with an L1 penalty) fell to tol",
    "stalled": "a subgradient run (a loss with a kink, the hinge) stopped improving by more "
    "than tol (relative) with ever smaller steps: close to, but not proven at, the minimum",
    "max_iter": "max_iter epochs ran before either stopping rule was met",
    "diverged": "the objective became non-finite or grew past DIVERGENCE_FACTOR times its start",
    "interrupted": "the callback raised StopIteration (a user's Ctrl-C or SIGTERM), ending the "
    "run at the end of that epoch",
}
# A subgradient run (smooth=False) takes steps eta_j / sqrt(k + 1), k counting the epochs since
# its phase began. A phase ends when its best objective has improved by at most tol (relative)
# over its last half (at least SUBGRADIENT_WINDOW epochs); the next phase starts again from the
# best point with a step SUBGRADIENT_SHRINK times smaller. A phase that improved the best by at
# most tol in all ends the run, "stalled", at the best point. A smaller tol runs more phases,
# with smaller steps, and so ends closer to the minimum.
SUBGRADIENT_WINDOW = 100
SUBGRADIENT_SHRINK = 4.0
SUBGRADIENT_IDLE_PHASES = 2
# MajoriserInverse raises the eigenvalues of M below this share of its largest to it: a
# constant or duplicated feature leaves M singular, and a larger M still majorises.
METRIC_RCOND = 1e-10
# A run whose loss rose in at least this share of its epochs oscillated: its step overshoots
# the minimum again and again (gradient descent with a small enough step never goes uphill).
OSCILLATION_SHARE = 0.1

Objective = Callable[[np.ndarray, np.ndarray], float]
Callback = Callable[[int, np.ndarray, float, float], None]
Precondition = Callable[[np.ndarray, np.ndarray], None]


@dataclass
class OptimizeResult:
    """What gradient_descent returns.

    `theta` is the last point whose objective was recorded: objective[-1] and grad_norm[-1]
    belong to it. Each list has one value per evaluation, epoch 0 being the starting point, so
    n_iter + 1 entries; a non-finite evaluation that ends a diverged run is not recorded.
    """

    theta: np.ndarray
    n_iter: int
    status: str
    objective: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return self.status == "converged"


class MajoriserInverse:
    """P = M^{-1} as gradient_descent's `precondition`, for parameters theta that are a flat
    (rows, outputs) array whose Hessian is majorised by M (x) I_outputs, M of shape
    (rows, rows): e.g. the linear objective's M = c A^T D A + l2 I_W (Boehning's bound).

    Applying it costs O(rows^2 outputs), from M's eigendecomposition, computed once.
    Eigenvalues below METRIC_RCOND times the largest are raised to that (a larger M still
    majorises). M must be symmetric with finite entries and a positive largest eigenvalue.
    """

    def __init__(self, matrix: np.ndarray, n_outputs: int) -> None:
        eigenvalues, self._vectors = np.linalg.eigh(np.asarray(matrix, dtype=np.float64))
        self._inverse = 1.0 / np.maximum(eigenvalues, METRIC_RCOND * eigenvalues[-1])
        self.n_outputs = n_outputs

    def __call__(self, grad: np.ndarray, out: np.ndarray) -> None:
        """Write M^{-1} grad into out (which may be grad itself)."""
        shape = (-1, self.n_outputs)
        coordinates = self._vectors.T @ grad.reshape(shape)
        coordinates *= self._inverse[:, None]
        np.matmul(self._vectors, coordinates, out=out.reshape(shape))


def gradient_descent(
    fun: Objective,
    theta0: np.ndarray,
    *,
    learning_rate: float,
    max_iter: int,
    tol: float | None,
    momentum: float = 0.0,
    callback: Callback | None = None,
    prox: Callable[[np.ndarray, float], None] | None = None,
    penalty: Callable[[np.ndarray], float] | None = None,
    smooth: bool = True,
    precondition: Precondition | None = None,
) -> OptimizeResult:
    """Minimise `fun` (plus a non-smooth `penalty`) from `theta0` by full-batch gradient descent.

    Parameters
    ----------
    fun : callable
        fun(theta, grad_out) returns f(theta) and writes grad f(theta) into grad_out.
    theta0 : ndarray of shape (p,)
        Starting point (not modified).
    learning_rate : float
        Step size eta > 0.
    max_iter : int
        Maximum number of steps (epochs after the starting evaluation).
    tol : float or None
        Stop when the Euclidean norm of the gradient (of the gradient mapping, with `prox`) is at
        most tol. None never stops early: all max_iter steps are taken (unless training
        diverges), as a demonstration needs even where the gradient vanishes on a plateau.
    momentum : float
        Nesterov momentum beta in [0, 1); 0 is plain gradient descent.
    callback : callable, optional
        callback(epoch, theta, f, grad_norm) after each evaluation, epoch 0 first. `theta` is a
        view that the next step overwrites: copy it to keep it. Raising StopIteration ends the
        run there, with status "interrupted" (a user's Ctrl-C, checked once per epoch).
    prox, penalty : callables, optional
        A non-smooth part h of the objective (e.g. an L1 penalty): prox(theta, eta) replaces
        theta in place by argmin_u h(u) + ||u - theta||^2 / (2 eta), and penalty(theta) = h.
        Each step is then the proximal gradient step x_{k+1} = prox(y_k - eta grad f(y_k), eta)
        (ISTA; FISTA with momentum), the objective recorded is f + h, and the norm tested
        against tol is that of the gradient mapping G = (y_k - x_{k+1}) / eta, which is
        grad f(y_k) when there is no h.
    smooth : bool
        False when fun's gradient is only a subgradient (the hinge loss): its norm need not
        vanish at the minimum, so the subgradient method is used instead: steps
        eta / sqrt(k + 1), no momentum, restarted from the best point with a smaller eta when
        progress stops, and "stalled" (never "converged") once a whole phase improved the best
        objective by at most tol (relative); see SUBGRADIENT_WINDOW.
    precondition : callable, optional
        precondition(grad, out) writes P grad into out, P = M^{-1} for a matrix M that
        majorises the Hessian of fun everywhere (e.g. a MajoriserInverse). The steps are then
        those of the module docstring: Nesterov momentum (`momentum`) in M's metric;
        learning_rate is not used, and it takes neither prox nor smooth=False (a non-diagonal
        metric makes the proximal map of an L1 penalty non-separable; a subgradient need not
        shrink at the minimum). The loss can rise at an epoch, as with any momentum; tol keeps
        its meaning: the Euclidean norm of the true gradient.

    Returns
    -------
    OptimizeResult
    """
    return Descent(
        fun,
        theta0,
        learning_rate=learning_rate,
        tol=tol,
        momentum=momentum,
        callback=callback,
        prox=prox,
        penalty=penalty,
        smooth=smooth,
        precondition=precondition,
    ).run(max_iter)


class Descent:
    """gradient_descent's loop, resumable: `run(max_iter)` goes on from where the last run
    paused, so that runs to 10, then 20, then 30 epochs take exactly the steps (same bits) of
    one run to 30. gradient_descent is one such run.

    The arguments are gradient_descent's, less max_iter. A run that paused at its max_iter
    (status "max_iter") can be run further; one that stopped for any other status is over, and
    `run` then returns its result as it is. `epoch` is the last epoch evaluated (-1 before the
    first run).
    """

    def __init__(
        self,
        fun: Objective,
        theta0: np.ndarray,
        *,
        learning_rate: float,
        tol: float | None,
        momentum: float = 0.0,
        callback: Callback | None = None,
        prox: Callable[[np.ndarray, float], None] | None = None,
        penalty: Callable[[np.ndarray], float] | None = None,
        smooth: bool = True,
        precondition: Precondition | None = None,
    ) -> None:
        if precondition is not None:
            if prox is not None or not smooth:
                raise ValueError("precondition takes neither prox nor smooth=False")
            learning_rate = 1.0  # the step is -P grad
        self.fun, self.tol, self.callback = fun, tol, callback
        self.prox, self.penalty, self.smooth, self.direction = prox, penalty, smooth, precondition
        self.momentum = 0.0 if not smooth else momentum
        self.learning_rate = learning_rate
        self.x = np.array(theta0, dtype=np.float64)  # x_k
        self.y = self.x.copy()  # y_k, where the gradient is evaluated
        self.step = np.empty_like(self.x)
        self.grad = np.empty_like(self.x)
        self.x_next = np.empty_like(self.x)
        self.mapping = self.grad if prox is None else np.empty_like(self.x)
        # the last point whose objective is in the history
        self.result = OptimizeResult(theta=self.x.copy(), n_iter=0, status="max_iter")
        self.phases = None if smooth else _Phases(learning_rate, tol)
        self.epoch = -1
        self.finished = False
        self._paused = False  # the last evaluated epoch's step is still to be taken

    def run(self, max_iter: int) -> OptimizeResult:
        """Evaluate and step on up to epoch `max_iter` (counted from the first run's start)."""
        # a step that overflows makes the next objective non-finite: the run ends "diverged",
        # and says so; NumPy's own warnings about it would only repeat that in its words
        with np.errstate(over="ignore", invalid="ignore"):
            if not self.finished and max_iter > self.epoch:
                self._loop(max_iter)
        return self.result

    def _end(self, status: str) -> None:
        self.result.status = status
        self.finished = True

    def _loop(self, max_iter: int) -> None:
        """The loop of the module docstring, from epoch + 1 to max_iter."""
        fun, result, grad, y = self.fun, self.result, self.grad, self.y
        mapping, x_next, phases, prox = self.mapping, self.x_next, self.phases, self.prox
        if self._paused and self._advance():
            return
        eta = self.learning_rate
        for epoch in range(self.epoch + 1, max_iter + 1):
            self.epoch = epoch
            value = fun(y, grad)
            if phases is not None:
                eta = phases.step()
            # x_next = x_{k+1}, the next iterate: a gradient step, then the proximal map
            if self.direction is None:
                np.multiply(grad, -eta, out=x_next)
            else:  # a preconditioner: the step is -P grad
                self.direction(grad, x_next)
                x_next *= -1.0
            x_next += y
            if prox is not None:
                prox(x_next, eta)
                np.subtract(y, x_next, out=mapping)
                mapping /= eta
                value += self.penalty(y)
            norm = _norm(mapping)
            if not (np.isfinite(value) and np.isfinite(norm)):
                return self._end("diverged")
            result.theta[:] = y
            result.objective.append(value)
            result.grad_norm.append(norm)
            result.n_iter = epoch
            if self.callback is not None:
                try:
                    self.callback(epoch, y, value, norm)
                except StopIteration:
                    return self._end("interrupted")
            if self.smooth and self.tol is not None and norm <= self.tol:
                return self._end("converged")
            if epoch > 0 and value > DIVERGENCE_FACTOR * max(result.objective[0], 1.0):
                return self._end("diverged")
            if epoch == max_iter:
                self._paused = True
                return None
            if self._advance():
                return None
        return None

    def _advance(self) -> bool:
        """Take the step from the epoch just evaluated to the next point; True when the run
        ended instead (a stalled subgradient run)."""
        self._paused = False
        x, y, step, phases = self.x, self.y, self.step, self.phases
        if phases is not None:
            restart = phases.record(self.result.objective[-1], y)
            if restart is not None:
                if phases.stalled and restart is y:
                    self._end("stalled")  # y, just recorded, is the best point
                    return True
                # from the best point: the next evaluation records it (and ends a stalled run).
                # x too, though only a momentum step would read it (the subgradient method has
                # none): x_k and y_k stay the point the run is at
                x[:] = restart
                y[:] = restart
                return False
        np.subtract(self.x_next, x, out=step)  # x_{k+1} - x_k
        x[:] = self.x_next
        # restart when the step went uphill: G . (x_{k+1} - x_k) > 0
        if self.momentum and not _uphill(self.mapping, step):
            np.multiply(step, self.momentum, out=y)
            y += x
        else:
            y[:] = x
        return False


def _uphill(mapping: np.ndarray, step: np.ndarray) -> bool:
    """The step went uphill, G . step > 0 (or the product overflowed: restart to be safe)."""
    return not float(np.dot(mapping, step)) <= 0.0


def _norm(v: np.ndarray) -> float:
    """The Euclidean norm, finite wherever it fits in float64 (np.linalg.norm squares the
    entries, which overflows above 1e154)."""
    norm = float(np.linalg.norm(v))
    if np.isinf(norm) and np.all(np.isfinite(v)):
        top = float(np.max(np.abs(v)))
        norm = top * float(np.linalg.norm(v / top))
    return norm


class _Phases:
    """The subgradient method's step sizes and its stopping rule (see SUBGRADIENT_WINDOW)."""

    def __init__(self, learning_rate: float, tol: float | None) -> None:
        self.eta, self.tol = learning_rate, tol
        self.k = 0  # epochs evaluated in this phase
        self.best, self.best_theta = np.inf, None
        self.phase_start = np.inf  # the best objective when this phase began
        self.values: list[float] = []  # this phase's objective values
        self.idle_phases = 0  # phases in a row that improved the best by at most tol
        self.stalled = False

    def step(self) -> float:
        """The step of the epoch being evaluated."""
        self.k += 1
        return self.eta / np.sqrt(self.k)

    def record(self, value: float, theta: np.ndarray) -> np.ndarray | None:
        """Take an epoch's objective at theta; the point to restart from when the phase ends
        (`stalled` set when the run is over), else None."""
        if self.stalled:  # the extra evaluation of the best point that ends the run
            return theta
        if value < self.best:
            self.best, self.best_theta = value, theta.copy()
        self.values.append(value)
        if self.tol is None or not _no_progress(self.values, self.tol):
            return None
        gained = self.phase_start - self.best
        idle = gained <= self.tol * max(abs(self.best), 1.0)
        self.idle_phases = self.idle_phases + 1 if idle else 0
        self.stalled = self.idle_phases >= SUBGRADIENT_IDLE_PHASES
        self.phase_start = self.best
        self.eta /= SUBGRADIENT_SHRINK
        self.values = []
        if not self.stalled:
            return None  # on from where it is, with smaller steps
        return theta if value == self.best else self.best_theta


def uphill_epochs(values: list[float]) -> int:
    """How many epochs ended with a higher value than they started from."""
    return int(np.count_nonzero(np.diff(np.asarray(values, dtype=np.float64)) > 0))


def oscillated(values: list[float]) -> bool:
    """The values (a loss per epoch) rose in at least OSCILLATION_SHARE of the epochs."""
    return len(values) > 1 and uphill_epochs(values) >= OSCILLATION_SHARE * (len(values) - 1)


def _no_progress(objective: list[float], tol: float) -> bool:
    """The best objective of the last half of the values (at least SUBGRADIENT_WINDOW) is within
    tol (relative) of the best before them: the steps are too large to make progress."""
    window = max(SUBGRADIENT_WINDOW, len(objective) // 2)
    if len(objective) <= window:
        return False
    before = min(objective[:-window])
    recent = min(objective[-window:])
    return before - recent <= tol * max(abs(before), 1.0)


@dataclass
class Trajectory:
    """Every point of a gradient-descent run: theta (epochs + 1, p), one objective value each."""

    theta: np.ndarray
    objective: np.ndarray
    status: str


def trajectory(
    fun: Objective,
    theta0: np.ndarray,
    *,
    learning_rate: float,
    epochs: int,
    momentum: float = 0.0,
) -> Trajectory:
    """Run gradient_descent for `epochs` steps with no early stop and keep every point.

    For demonstrations, where the path matters more than the end: a plateau where the gradient
    vanishes is walked (or sat on) for all the epochs. A diverged run ends early; its status
    says so.
    """
    points: list[np.ndarray] = []
    result = gradient_descent(
        fun,
        theta0,
        learning_rate=learning_rate,
        max_iter=epochs,
        tol=None,
        momentum=momentum,
        callback=lambda epoch, theta, value, grad_norm: points.append(theta.copy()),
    )
    status = "diverged" if result.status == "diverged" else "finished"
    return Trajectory(np.array(points), np.array(result.objective), status)
