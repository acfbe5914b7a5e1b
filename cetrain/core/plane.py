"""The plane of two features that a decision-boundary view shades: its padded range and the
model's probabilities on a grid over it. NumPy only: the matplotlib figure
(cetrain.plots.boundary) and the live playground (cetrain.playground) draw the same numbers."""

from collections.abc import Callable

import numpy as np

# Share of the data's range added on each side of the plane (1 when all values are equal).
PAD = 0.08


def padded_range(values: np.ndarray, pad: float = PAD) -> tuple[float, float]:
    """The range of values widened by pad on each side (by 1 if all values are equal)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    margin = pad * (hi - lo) if hi > lo else 1.0
    return lo - margin, hi + margin


def probability_grid(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    held: np.ndarray,
    pair: tuple[int, int],
    n_classes: int,
    resolution: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """predict_proba on a resolution x resolution grid over the plane of features `pair`.

    Parameters
    ----------
    predict_proba : callable
        (m, d) inputs -> (m, n_classes) probabilities.
    x_range, y_range : (low, high)
        The plane's extent along pair[0] and pair[1].
    held : ndarray of shape (d,)
        The value of every feature off the plane (those of `pair` are overwritten).
    pair : (i, j)
    n_classes : int
    resolution : int
        Grid points per axis.

    Returns
    -------
    gx, gy : ndarray of shape (resolution,)
        The grid's coordinates along pair[0] and pair[1].
    proba : ndarray of shape (resolution, resolution, n_classes)
        proba[r, c] is predict_proba at (gx[c], gy[r]): rows run along y.
    """
    i, j = pair
    gx = np.linspace(*x_range, resolution)
    gy = np.linspace(*y_range, resolution)
    GX, GY = np.meshgrid(gx, gy)
    grid = np.tile(np.asarray(held, dtype=float), (GX.size, 1))
    grid[:, i] = GX.ravel()
    grid[:, j] = GY.ravel()
    P = checked_proba(predict_proba, grid, n_classes)
    return gx, gy, P.reshape(resolution, resolution, n_classes)


def checked_proba(
    predict_proba: Callable[[np.ndarray], np.ndarray], X: np.ndarray, n_classes: int
) -> np.ndarray:
    """predict_proba(X) as a float (m, C) array, or a ValueError naming the wrong shape."""
    P = np.asarray(predict_proba(X), dtype=float)
    if P.shape != (X.shape[0], n_classes):
        raise ValueError(
            f"predict_proba returned shape {P.shape} for {X.shape[0]} rows; expected "
            f"({X.shape[0]}, {n_classes}), one column per class name"
        )
    return P
