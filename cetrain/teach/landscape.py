"""The loss landscape of a one-feature binary problem: cross-entropy beside MSE on a sigmoid.

With one feature x and scores s = w*x + b (raw, unstandardised x), each loss is a surface over
the weight plane (w, b):

    cross-entropy  f(w, b) = mean_i [log(1 + exp(s_i)) - y_i s_i]     convex: a single bowl
    MSE            f(w, b) = mean_i (sigma(s_i) - y_i)^2                plateaus, not convex

Both surfaces are evaluated on one grid with the losses of cetrain.core.losses, and both are
descended by plain gradient descent (cetrain.core.optim, no momentum) from the same start with the
same step, through cetrain.core.objective.LinearObjective. Convexity is measured, not assumed:
at every grid point the Hessian is formed from central differences of each sample's exact
gradient, and its smallest eigenvalue is reported. Nothing here draws or writes (see
cetrain.teach.landscape_figure and the CLI).
"""

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike

from cetrain.core.losses import Loss, loss_for
from cetrain.core.objective import LinearObjective
from cetrain.core.optim import gradient_descent, trajectory
from cetrain.data import load_dataset
from cetrain.data.preprocess import Standardizer
from cetrain.errors import ConfigError, DataError

# the two losses the demonstration sets against each other
COMPARED_LOSSES = ("cross-entropy", "mse")
DEFAULT_EPOCHS = 300
# The largest score |w x + b| a start given by hand may put on the data. The sigmoid is 0 or 1 to
# float64 beyond 37 already; the grid spans the start and the optimum, so beyond 1000 the whole
# bowl around the optimum shrinks to a dot on the figure (and near 1e308 the scores overflow).
MAX_START_SCORE = 1000.0
GRID_POINTS = 121  # per axis of the 2-D grid
SLICE_POINTS = 601  # along w on the 1-D slice
# Scores per vectorised chunk of the grid: large enough for NumPy to pay off, small enough for
# the loss kernel's temporaries to stay in cache (1 << 18 was several times slower).
_CHUNK_SCORES = 1 << 13
# Cross-entropy's optimum is found to a gradient norm far below anything a figure can show.
_OPTIMUM_TOL = 1e-10
_OPTIMUM_MAX_ITER = 100_000
# A Hessian eigenvalue above -_CONVEX_RTOL * (largest eigenvalue on the grid) counts as >= 0:
# what is left is the rounding of the finite differences.
_CONVEX_RTOL = 1e-7
# The grid reaches this far beyond the farthest point of the paths (1.2: 20% more).
_GRID_MARGIN = 1.2


@dataclasses.dataclass(frozen=True)
class OneFeatureData:
    """A binary problem with one feature: x and 0/1 targets, class 1 being `classes[1]`."""

    name: str
    feature: str
    classes: tuple[str, str]
    x: np.ndarray
    target: np.ndarray
    rows_dropped: int = 0


@dataclasses.dataclass(frozen=True)
class Point:
    """A point of the weight plane and the loss there."""

    w: float
    b: float
    loss: float

    def to_dict(self) -> dict:
        return {"w": self.w, "b": self.b, "loss": self.loss}


@dataclasses.dataclass(frozen=True)
class GridMinimum(Point):
    """The lowest grid point; on the grid's edge the loss still falls beyond the grid."""

    on_edge: bool = False

    def to_dict(self) -> dict:
        return super().to_dict() | {"on_edge": self.on_edge}


@dataclasses.dataclass(frozen=True)
class DescentPath:
    """Plain gradient descent: w, b and the loss at every epoch, epoch 0 being the start."""

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    status: str

    @property
    def final(self) -> Point:
        return Point(float(self.w[-1]), float(self.b[-1]), float(self.loss[-1]))


@dataclasses.dataclass(frozen=True)
class LossSurface:
    """One loss over the grid: values, its slice at b = slice_b, its descent path, its curvature.

    `values` has shape (len(b), len(w)) like the grids of np.meshgrid(w, b). `min_eigenvalue`
    is the smallest eigenvalue of the (numerical) Hessian over the grid and `min_eigenvalue_at`
    where it is; `max_eigenvalue` is the largest, the scale that "close to zero" is judged by.
    """

    name: str
    values: np.ndarray
    slice_values: np.ndarray
    path: DescentPath
    grid_minimum: GridMinimum
    min_eigenvalue: float
    min_eigenvalue_at: tuple[float, float]
    max_eigenvalue: float

    @property
    def convex_on_grid(self) -> bool:
        return self.min_eigenvalue >= -_CONVEX_RTOL * max(self.max_eigenvalue, 0.0)


@dataclasses.dataclass(frozen=True)
class LandscapeResult:
    """Everything the landscape figure and landscape.json show.

    `optimum` is cross-entropy's minimum (see `cross_entropy_optimum`); the 1-D slices are taken
    at its intercept, b = optimum.b, over `slice_w`.
    """

    data: OneFeatureData
    w: np.ndarray
    b: np.ndarray
    slice_w: np.ndarray
    start: tuple[float, float]
    learning_rate: float
    epochs: int
    optimum: Point
    surfaces: dict[str, LossSurface]

    @property
    def slice_b(self) -> float:
        return self.optimum.b

    def to_dict(self) -> dict:
        """The JSON-ready summary: settings, grid, both paths, minima and the convexity check."""
        losses = {}
        for name, surface in self.surfaces.items():
            path = surface.path
            losses[name] = {
                "path": {
                    "w": path.w.tolist(),
                    "b": path.b.tolist(),
                    "loss": path.loss.tolist(),
                },
                "status": path.status,
                "start_loss": float(path.loss[0]),
                "final": path.final.to_dict(),
                "grid_minimum": surface.grid_minimum.to_dict(),
                "hessian": {
                    "min_eigenvalue": surface.min_eigenvalue,
                    "min_eigenvalue_at": dict(zip("wb", surface.min_eigenvalue_at, strict=True)),
                    "max_eigenvalue": surface.max_eigenvalue,
                    "convex_on_grid": surface.convex_on_grid,
                },
            }
        return {
            "data": self.data.name,
            "feature": self.data.feature,
            "classes": list(self.data.classes),
            "positive_class": self.data.classes[1],
            "n": int(self.data.x.size),
            "rows_dropped": self.data.rows_dropped,
            "scores": "s = w * x + b, x unstandardised",
            "grid": {
                "w": [float(self.w[0]), float(self.w[-1])],
                "b": [float(self.b[0]), float(self.b[-1])],
                "points": [int(self.w.size), int(self.b.size)],
            },
            "slice_b": self.slice_b,
            "start": {"w": self.start[0], "b": self.start[1]},
            "learning_rate": self.learning_rate,
            "epochs": self.epochs,
            "cross_entropy_optimum": self.optimum.to_dict(),
            "losses": losses,
        }


# --------------------------------------------------------------------------- the data


def one_feature_data(
    spec: str,
    feature: str | None = None,
    target: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
) -> OneFeatureData:
    """Load a dataset with one feature (or one chosen feature) and exactly two classes.

    Parameters
    ----------
    spec : str
        A dataset name or CSV path, as `cetrain.data.load_dataset` takes it.
    feature : str, optional
        The feature to use; needed when the dataset has more than one.
    target : str, optional
        CSV only: the label column (default: the last one).
    decimal, thousands : str, optional
        CSV only: how its numbers are written (see `cetrain.data.read_csv`).

    Returns
    -------
    OneFeatureData
        x of shape (n,), targets of shape (n,): 1.0 for the second class in sorted order.

    Raises
    ------
    DataError
        Several features and no `feature`, an unknown `feature`, a text feature with more than
        two levels, not exactly two classes, or classes that a threshold on x separates.
    """
    numbers = {"decimal": decimal, "thousands": thousands}
    if feature is None:
        ds = load_dataset(spec, target=target, **numbers)
        if ds.X.shape[1] != 1:
            raise DataError(
                f"'{ds.name}' has {ds.X.shape[1]} features ({_listing(ds.feature_names)}); "
                "the landscape needs one: choose it with --feature"
            )
    else:
        try:
            ds = load_dataset(spec, target=target, features=[feature], **numbers)
        except DataError:
            # Say which features there are, in the option's own words, when that is the problem.
            names = load_dataset(spec, target=target, **numbers).feature_names
            if feature not in names:
                raise DataError(
                    f"unknown feature '{feature}' in '{spec}'; use one of: {_listing(names)}"
                ) from None
            raise
        if ds.X.shape[1] != 1:
            raise DataError(
                f"feature '{feature}' is a text column with {ds.X.shape[1] + 1} levels; "
                "the landscape needs a number or a column with two levels"
            )
    classes = np.unique(ds.y)
    if classes.size != 2:
        shown = _listing([str(c) for c in classes])
        raise DataError(
            f"the landscape needs exactly 2 classes; '{ds.name}' has {classes.size} ({shown})"
        )
    x = np.ascontiguousarray(ds.X[:, 0])
    target = (ds.y == classes[1]).astype(np.float64)
    if np.ptp(x) == 0:
        raise DataError(
            f"feature '{ds.feature_names[0]}' of '{ds.name}' has the same value in every row, "
            "which leaves nothing to learn from; choose another feature"
        )
    if x[target == 0].max() <= x[target == 1].min() or x[target == 1].max() <= x[target == 0].min():
        raise DataError(
            f"a threshold on '{ds.feature_names[0]}' separates the classes of '{ds.name}', so "
            "cross-entropy has no finite minimum to draw; use data whose classes overlap"
        )
    return OneFeatureData(
        name=ds.name,
        feature=ds.feature_names[0],
        classes=(str(classes[0]), str(classes[1])),
        x=x,
        target=target,
        rows_dropped=ds.rows_dropped,
    )


def _listing(names: list[str], limit: int = 10) -> str:
    """Comma-separated names, the first `limit` of them and a count of the rest."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names) - limit} more)"


# --------------------------------------------------------------------------- values on a grid


@dataclasses.dataclass(frozen=True)
class GridValues:
    """A mean loss at many weight pairs: its value, gradient and Hessian, each of the pairs' shape.

    The Hessian [[hess_ww, hess_wb], [hess_wb, hess_bb]] is mean_i l''(s_i) [x_i, 1][x_i, 1]^T,
    with each sample's l'' a central difference of the loss's exact gradient (step 1e-4 in the
    scores): a numerical Hessian, measured rather than derived.
    """

    value: np.ndarray
    grad_w: np.ndarray
    grad_b: np.ndarray
    hess_ww: np.ndarray
    hess_wb: np.ndarray
    hess_bb: np.ndarray

    def eigenvalues(self) -> tuple[np.ndarray, np.ndarray]:
        """The two eigenvalues of the Hessian at every pair, the smaller first."""
        mean = 0.5 * (self.hess_ww + self.hess_bb)
        radius = np.hypot(0.5 * (self.hess_ww - self.hess_bb), self.hess_wb)
        return mean - radius, mean + radius


_HESSIAN_STEP = 1e-4


def grid_values(
    x: np.ndarray, target: np.ndarray, loss: Loss, w: ArrayLike, b: ArrayLike
) -> GridValues:
    """Mean loss, gradient and numerical Hessian at many weight pairs at once.

    This is the one evaluation outside cetrain.core.objective: the objective takes one parameter
    vector at a time, while a landscape needs thousands of (w, b) pairs, so here the same loss
    kernels are vectorised over the grid instead, with the chain rule of a single feature,
    d/dw = mean_i l'(s_i) x_i and d/db = mean_i l'(s_i).

    Parameters
    ----------
    x : ndarray of shape (n,)
        The feature.
    target : ndarray of shape (n,)
        0/1 targets.
    loss : Loss
        A binary loss of cetrain.core.losses (scores of shape (n,)).
    w, b : array_like, broadcastable to one shape
        The weight pairs, e.g. from np.meshgrid; a scalar b gives a slice along w.

    Returns
    -------
    GridValues
        f = mean_i l(s_i, y_i) with s_i = w*x_i + b, df/dw = mean_i l'(s_i) x_i,
        df/db = mean_i l'(s_i), and the Hessian, each of the broadcast shape of w and b.
    """
    w, b = np.broadcast_arrays(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
    w_flat, b_flat = w.ravel(), b.ravel()
    n = x.size
    out = np.empty((6, w_flat.size))
    rows = max(1, _CHUNK_SCORES // n)
    for start in range(0, w_flat.size, rows):
        part = slice(start, start + rows)
        scores = (w_flat[part, None] * x + b_flat[part, None]).ravel()  # (k * n,)
        k = scores.size // n
        targets = np.tile(target, k)
        per_sample, slope = loss.value_and_grad(scores, targets, reduction="none")
        up = loss.grad(scores + _HESSIAN_STEP, targets, reduction="none")
        down = loss.grad(scores - _HESSIAN_STEP, targets, reduction="none")
        curvature = ((up - down) / (2 * _HESSIAN_STEP)).reshape(k, n)
        slope = slope.reshape(k, n)
        out[0, part] = per_sample.reshape(k, n).mean(axis=1)
        out[1, part] = slope @ x / n
        out[2, part] = slope.mean(axis=1)
        out[3, part] = curvature @ (x * x) / n
        out[4, part] = curvature @ x / n
        out[5, part] = curvature.mean(axis=1)
    return GridValues(*(row.reshape(w.shape) for row in out))


# --------------------------------------------------------------------------- descent


def objective(data: OneFeatureData, loss_name: str) -> LinearObjective:
    """The unpenalised mean `loss_name` of s = w*x + b, theta = [w, b]."""
    X = np.ascontiguousarray(data.x[:, None])
    return LinearObjective(X, data.target, loss_for(loss_name, "logistic"), n_outputs=1)


def default_learning_rate(data: OneFeatureData) -> float:
    """1/L for cross-entropy. MSE's curvature bound (0.154) is below cross-entropy's (1/4), so
    the same step never increases either loss."""
    return 1.0 / objective(data, "cross-entropy").lipschitz_bound()


def descent_path(
    data: OneFeatureData,
    loss_name: str,
    start: tuple[float, float],
    *,
    learning_rate: float,
    epochs: int,
) -> DescentPath:
    """Plain gradient descent (no momentum, no early stop) on `loss_name` from `start`."""
    path = trajectory(
        objective(data, loss_name).value_and_grad,
        np.array(start, dtype=np.float64),
        learning_rate=learning_rate,
        epochs=epochs,
    )
    return DescentPath(path.theta[:, 0], path.theta[:, 1], path.objective, path.status)


def cross_entropy_optimum(data: OneFeatureData) -> Point:
    """The minimum of mean cross-entropy over (w, b).

    Found on the standardised feature, where gradient descent with Nesterov momentum 0.99 needs
    about a hundred steps whatever the units of x, and mapped back to the raw feature.
    """
    scaler = Standardizer().fit(data.x[:, None])
    z = scaler.transform(data.x[:, None])
    standardised = LinearObjective(
        z, data.target, loss_for("cross-entropy", "logistic"), n_outputs=1
    )
    result = gradient_descent(
        standardised.value_and_grad,
        np.zeros(2),
        learning_rate=1.0 / standardised.lipschitz_bound(),
        max_iter=_OPTIMUM_MAX_ITER,
        tol=_OPTIMUM_TOL,
        momentum=0.99,
    )
    coef, intercept = scaler.to_original_units(result.theta[:1], result.theta[1:])
    theta = np.array([coef[0], intercept[0]])
    value = objective(data, "cross-entropy").value_and_grad(theta, np.empty(2))
    return Point(float(theta[0]), float(theta[1]), value)


def check_start(
    data: OneFeatureData, start: tuple[float, float], default: tuple[float, float]
) -> None:
    """ConfigError unless `start` is two finite numbers whose scores |w x + b| on the data stay
    within MAX_START_SCORE; the message names --start and shows the default start."""
    if len(start) != 2 or not all(math.isfinite(v) for v in start):
        raise ConfigError(f"the start must be two finite numbers w,b; got {start}")
    w, b = float(start[0]), float(start[1])
    with np.errstate(over="ignore", invalid="ignore"):
        largest = float(np.max(np.abs(w * data.x + b)))
    if not largest <= MAX_START_SCORE:
        raise ConfigError(
            f"--start {w:g},{b:g} puts the scores w*x + b at up to {largest:.3g} on "
            f"{data.name}; the figure can show starts whose scores stay within "
            f"±{MAX_START_SCORE:g} (the default start is {default[0]:.3g},{default[1]:.3g})"
        )


def default_start(data: OneFeatureData, optimum: Point) -> tuple[float, float]:
    """A confidently wrong model: w = -3 w* (at least 3 / std(x) in size), b = b*.

    It predicts the wrong class with certainty at both ends of the data, where the sigmoid
    saturates: MSE's gradient vanishes there and cross-entropy's does not.
    """
    size = max(abs(optimum.w), 1.0 / max(float(np.std(data.x)), 1e-12))
    direction = 1.0 if optimum.w >= 0 else -1.0
    return -3.0 * direction * size, optimum.b


# --------------------------------------------------------------------------- the landscape


def compute_landscape(
    data: OneFeatureData,
    *,
    start: tuple[float, float] | None = None,
    learning_rate: float | None = None,
    epochs: int = DEFAULT_EPOCHS,
    points: int = GRID_POINTS,
) -> LandscapeResult:
    """Both losses over a grid of (w, b) that holds the start, the optimum and both paths.

    Parameters
    ----------
    data : OneFeatureData
    start : (float, float), optional
        (w, b) where both descents start. Default: `default_start`.
    learning_rate : float, optional
        The step of both descents. Default: `default_learning_rate`, safe for both losses.
    epochs : int
        Steps of each descent.
    points : int
        Grid points along each axis.

    Returns
    -------
    LandscapeResult

    Raises
    ------
    ConfigError
        For a non-finite start or one whose scores exceed MAX_START_SCORE, a step that is not
        a finite number > 0, or epochs < 1.
    """
    if epochs < 1:
        raise ConfigError(f"epochs must be at least 1; got {epochs}")
    if learning_rate is not None and not (0 < learning_rate < math.inf):
        raise ConfigError(f"the learning rate must be a finite number > 0; got {learning_rate}")
    optimum = cross_entropy_optimum(data)
    if start is None:
        start = default_start(data, optimum)
    else:
        check_start(data, start, default_start(data, optimum))
    start = (float(start[0]), float(start[1]))
    step = default_learning_rate(data) if learning_rate is None else float(learning_rate)
    paths = {
        name: descent_path(data, name, start, learning_rate=step, epochs=epochs)
        for name in COMPARED_LOSSES
    }
    diverged = [name for name, path in paths.items() if path.status == "diverged"]
    if diverged:
        # a path thrown far away would stretch the grid until every surface looks flat
        raise ConfigError(
            f"gradient descent on {' and '.join(diverged)} diverged with learning rate "
            f"{step:g}; use a smaller --lr (the default, {default_learning_rate(data):.3g}, "
            "is safe for both losses)"
        )
    w_grid, b_grid = _grid(data, start, optimum, paths.values(), points)
    slice_w = np.linspace(w_grid[0], w_grid[-1], SLICE_POINTS)
    W, B = np.meshgrid(w_grid, b_grid)
    surfaces = {}
    for name, path in paths.items():
        loss = loss_for(name, "logistic")
        on_grid = grid_values(data.x, data.target, loss, W, B)
        along = grid_values(data.x, data.target, loss, slice_w, optimum.b)
        values = on_grid.value
        low, high = on_grid.eigenvalues()
        at = np.unravel_index(np.argmin(values), values.shape)
        on_edge = any(i in (0, n - 1) for i, n in zip(at, values.shape, strict=True))
        worst = np.unravel_index(np.argmin(low), low.shape)
        surfaces[name] = LossSurface(
            name=name,
            values=values,
            slice_values=along.value,
            path=path,
            grid_minimum=GridMinimum(float(W[at]), float(B[at]), float(values[at]), on_edge),
            min_eigenvalue=float(low[worst]),
            min_eigenvalue_at=(float(W[worst]), float(B[worst])),
            max_eigenvalue=float(high.max()),
        )
    return LandscapeResult(
        data=data,
        w=w_grid,
        b=b_grid,
        slice_w=slice_w,
        start=start,
        learning_rate=step,
        epochs=epochs,
        optimum=optimum,
        surfaces=surfaces,
    )


def _grid(data, start, optimum, paths, points) -> tuple[np.ndarray, np.ndarray]:
    """Axes of the grid, centred on the optimum: the start and every path point, with a margin.

    Centring shows the bowl (or plateau) on both sides of the optimum. The intercept's range is
    at least half as wide, in scores, as the weight's (a change dw moves the scores by about
    dw * std(x)), so the plateaus in b show as well as those in w.
    """
    ws = np.concatenate([[start[0]], *(p.w for p in paths)])
    bs = np.concatenate([[start[1]], *(p.b for p in paths)])
    half_w = _GRID_MARGIN * max(float(np.max(np.abs(ws - optimum.w))), 1e-3)
    half_b = _GRID_MARGIN * max(float(np.max(np.abs(bs - optimum.b))), 1e-3)
    half_b = max(half_b, 0.5 * half_w * float(np.std(data.x)))
    return (
        np.linspace(optimum.w - half_w, optimum.w + half_w, points),
        np.linspace(optimum.b - half_b, optimum.b + half_b, points),
    )
