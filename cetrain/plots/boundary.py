"""Decision boundaries: where a model predicts each class, with the data on top."""

import textwrap
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cetrain.plots.style import (
    DARK,
    LABEL_SIZE,
    LEGEND_SIZE,
    NOTE_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    class_colors,
    decorate,
    lighten,
)


def decision_boundary(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    class_names: Sequence[str],
    feature_names: Sequence[str],
    plot_features: tuple[int, int] = (0, 1),
    title: str | None = None,
    resolution: int = 200,
    fig: Figure | SubFigure | None = None,
) -> Figure | SubFigure:
    """Where the model predicts each class, with the data on top.

    With two or more features, the plane of ``plot_features`` is shaded on a grid (the other
    features held at their training mean): binary by P(class 1) with the 0.5 boundary and a
    colorbar, multiclass by the predicted class with opacity growing with its probability and the
    boundaries drawn as dark lines. With one feature, the predicted probabilities are curves over
    x, the boundaries dashed vertical lines and the points sit at their target probability.

    Points are coloured by their true class: train as circles, test as triangles. A black cross
    marks each point whose predicted class (argmax of ``predict_proba`` on all its features)
    differs from its label.

    Parameters
    ----------
    predict_proba : callable
        Maps an (m, d) matrix of the original features to (m, C) probabilities, columns in class
        order. It is called once on the points and once on the whole grid.
    X_train : ndarray, shape (n_train, d)
    y_train : ndarray of int, shape (n_train,)
        Class indices in 0..C-1.
    X_test : ndarray, shape (n_test, d)
        May have 0 rows: then no test markers and no "test" legend entry.
    y_test : ndarray of int, shape (n_test,)
    class_names : sequence of str, length C
    feature_names : sequence of str, length d
    plot_features : (int, int), default (0, 1)
        Columns on the x and y axes when d >= 2; ignored when d == 1.
    title : str, optional
        Defaults to "Decision boundary". When d > 2 a second line names the plotted features and
        says the others are held at their mean.
    resolution : int, default 200
        Grid points per axis (d >= 2); the 1-D plot uses ``resolution**2`` points along x.
    fig : Figure or SubFigure, optional
        Draw into this (empty) figure or sub-figure, e.g. one panel of a comparison or one frame
        of an animation, instead of a new Figure.

    Returns
    -------
    matplotlib.figure.Figure or SubFigure
        One axes (plus a colorbar axes in the binary case), the legend outside on the right.
    """
    X_train, y_train, X_test, y_test = _check_data(
        X_train, y_train, X_test, y_test, len(class_names), len(feature_names)
    )
    n_classes = len(class_names)
    if n_classes < 2:
        raise ValueError(f"class_names needs at least 2 classes, got {list(class_names)}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    n_features = X_train.shape[1]
    if n_features >= 2:
        i, j = plot_features
        if not (0 <= i < n_features and 0 <= j < n_features and i != j):
            raise ValueError(
                f"plot_features must be two different columns in 0..{n_features - 1}, "
                f"got {plot_features}"
            )

    colors = class_colors(n_classes, class_names)
    X_points = np.vstack([X_train, X_test])
    y_points = np.concatenate([y_train, y_test])
    predicted = _predict(predict_proba, X_points, n_classes).argmax(axis=1)
    wrong = predicted != y_points
    is_test = np.arange(len(y_points)) >= len(y_train)

    if fig is None:
        fig = Figure(figsize=(9, 6) if n_features >= 2 else (9, 5), layout="constrained")
    ax = fig.add_subplot()
    if title is None:
        title = "Decision boundary"

    if n_features == 1:
        heights = _draw_probability_curves(
            ax, predict_proba, X_points[:, 0], y_points, colors, class_names, resolution
        )
        xy = np.column_stack([X_points[:, 0], heights])
        decorate(
            ax,
            title=title,
            xlabel=feature_names[0],
            ylabel=f"P({class_names[1]})" if n_classes == 2 else "predicted probability",
        )
    else:
        i, j = plot_features
        _draw_regions(
            fig,
            ax,
            predict_proba,
            X_points,
            X_train.mean(axis=0),
            (i, j),
            colors,
            class_names,
            resolution,
        )
        xy = X_points[:, [i, j]]
        note = _held_at_mean_note(feature_names, i, j) if n_features > 2 else None
        decorate(ax, title=title, xlabel=feature_names[i], ylabel=feature_names[j], note=note)

    _draw_points(ax, xy, y_points, is_test, wrong, colors)
    handles = [
        Patch(facecolor=c, edgecolor=DARK, label=name)
        for c, name in zip(colors, class_names, strict=True)
    ]
    handles += _marker_handles(has_test=bool(is_test.any()), n_wrong=int(wrong.sum()))
    handles.append(
        Line2D(
            [],
            [],
            color=DARK,
            lw=2,
            ls="-" if n_features >= 2 else "--",
            label="decision boundary",
        )
    )
    fig.legend(handles=handles, loc="outside right upper", fontsize=LEGEND_SIZE, frameon=False)
    return fig


def label_boundaries(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray,
    Y_test: np.ndarray,
    *,
    label_names: Sequence[str],
    feature_names: Sequence[str],
    plot_features: tuple[int, int] = (0, 1),
    title: str | None = None,
    resolution: int = 120,
) -> Figure:
    """A multi-label model's decision boundaries: one panel per label, where P(label) > 1/2.

    Parameters
    ----------
    predict_proba : callable
        Maps (m, d) original features to (m, C) label probabilities (rows need not sum to 1).
    X_train, X_test : ndarray of shape (n, d)
    Y_train, Y_test : ndarray of shape (n, C)
        0/1 label columns (Y_test may have 0 rows).
    label_names, feature_names, plot_features
        As for decision_boundary, with one name per label.
    title : str, optional
        A title over all the panels.
    resolution : int
        Grid points per axis of each panel.

    Returns
    -------
    matplotlib.figure.Figure
        One sub-figure per label, two per row, each a binary decision_boundary of "not label"
        vs "label".
    """
    n_labels = len(label_names)
    if n_labels == 0:
        raise ValueError("label_boundaries needs at least one label name")
    Y_train = np.asarray(Y_train)
    Y_test = np.asarray(Y_test).reshape(-1, n_labels)  # an empty test set may come as shape (0,)
    if Y_train.ndim != 2 or Y_train.shape[1] != n_labels:
        raise ValueError(
            f"Y_train must be 0/1 label columns of shape (n, {n_labels}); got {Y_train.shape}"
        )
    columns = min(n_labels, 2)  # two per row: each panel as wide as a decision_boundary figure
    rows = -(-n_labels // columns)
    fig = Figure(figsize=(9 * columns, 6 * rows), layout="constrained")
    panels = np.atleast_1d(fig.subfigures(rows, columns)).ravel()
    for panel in panels[n_labels:]:
        panel.set_visible(False)
    for k, (panel, name) in enumerate(zip(panels[:n_labels], label_names, strict=True)):

        def label_proba(X, k=k):
            p = predict_proba(X)[:, k]
            return np.column_stack([1.0 - p, p])

        decision_boundary(
            label_proba,
            X_train,
            (Y_train[:, k] >= 0.5).astype(int),
            X_test,
            (Y_test[:, k] >= 0.5).astype(int),
            class_names=[f"not {name}", str(name)],
            feature_names=feature_names,
            plot_features=plot_features,
            title=f"label {name}",
            resolution=resolution,
            fig=panel,
        )
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE + 2)
    return fig


def _check_data(X_train, y_train, X_test, y_test, n_classes, n_features):
    """Arrays as float (n, d) and int (n,), with shapes and labels checked."""
    X_train = np.asarray(X_train, dtype=float)
    if X_train.ndim != 2 or X_train.shape[0] == 0:
        raise ValueError(f"X_train must be a non-empty (n, d) matrix, got shape {X_train.shape}")
    d = X_train.shape[1]
    if d != n_features:
        raise ValueError(f"X_train has {d} columns but feature_names has {n_features} names")
    X_test = np.asarray(X_test, dtype=float)
    # A missing test set often arrives as np.empty(0) rather than np.empty((0, d)).
    if X_test.size == 0:
        X_test = X_test.reshape(0, d)
    if X_test.ndim != 2 or X_test.shape[1] != d:
        raise ValueError(f"X_test must have shape (n, {d}) like X_train, got {X_test.shape}")
    labels = []
    for name, X, y in (("y_train", X_train, y_train), ("y_test", X_test, y_test)):
        y = np.asarray(y).ravel()
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"{name} has {y.shape[0]} labels for {X.shape[0]} rows")
        y_int = y.astype(int) if y.size else np.zeros(0, dtype=int)
        if y.size and (not np.array_equal(y_int, y) or y_int.min() < 0 or y_int.max() >= n_classes):
            raise ValueError(
                f"{name} must hold class indices in 0..{n_classes - 1} (one per class name), "
                f"got values {np.unique(y)[:10]}"
            )
        labels.append(y_int)
    return X_train, labels[0], X_test, labels[1]


def _predict(predict_proba, X: np.ndarray, n_classes: int) -> np.ndarray:
    """predict_proba(X) as a float (m, C) array, or a ValueError naming the wrong shape."""
    P = np.asarray(predict_proba(X), dtype=float)
    if P.shape != (X.shape[0], n_classes):
        raise ValueError(
            f"predict_proba returned shape {P.shape} for {X.shape[0]} rows; expected "
            f"({X.shape[0]}, {n_classes}), one column per class name"
        )
    return P


def _padded_range(values: np.ndarray, pad: float = 0.08) -> tuple[float, float]:
    """The range of values widened by pad on each side (by 1 if all values are equal)."""
    lo, hi = float(values.min()), float(values.max())
    margin = pad * (hi - lo) if hi > lo else 1.0
    return lo - margin, hi + margin


def _held_at_mean_note(feature_names: Sequence[str], i: int, j: int) -> str:
    """Subtitle for d > 2: which features are plotted, and that the others are fixed."""
    others = [n for k, n in enumerate(feature_names) if k not in (i, j)]
    shown = f"{feature_names[i]} vs {feature_names[j]}"
    if len(others) == 1:
        return textwrap.fill(f"{shown}; the other feature ({others[0]}) is held at its mean", 60)
    # Listing dozens of pixel names would swamp the slide; the count is what matters then.
    names = f" ({', '.join(others)})" if len(others) <= 4 else ""
    note = f"{shown}; the other {len(others)} features{names} are held at their mean"
    return textwrap.fill(note, width=60)


def _draw_regions(fig, ax, predict_proba, X_points, means, pair, colors, class_names, resolution):
    """Shade the plane of the two plotted features by the model's prediction, boundaries on top."""
    i, j = pair
    x_lo, x_hi = _padded_range(X_points[:, i])
    y_lo, y_hi = _padded_range(X_points[:, j])
    gx = np.linspace(x_lo, x_hi, resolution)
    gy = np.linspace(y_lo, y_hi, resolution)
    GX, GY = np.meshgrid(gx, gy)
    grid = np.tile(means, (GX.size, 1))
    grid[:, i] = GX.ravel()
    grid[:, j] = GY.ravel()
    n_classes = len(class_names)
    P = _predict(predict_proba, grid, n_classes).reshape(resolution, resolution, n_classes)
    extent = (x_lo, x_hi, y_lo, y_hi)

    if n_classes == 2:
        # Lightened ends keep the points (full class colours) visible on their own side.
        cmap = LinearSegmentedColormap.from_list(
            "class0_to_class1",
            [lighten(colors[0], 0.5), (1.0, 1.0, 1.0), lighten(colors[1], 0.5)],
        )
        p1 = P[:, :, 1]
        image = ax.imshow(
            p1,
            extent=extent,
            origin="lower",
            aspect="auto",
            cmap=cmap,
            vmin=0.0,
            vmax=1.0,
            interpolation="nearest",
            zorder=0,
        )
        cbar = fig.colorbar(image, ax=ax, pad=0.02)
        cbar.set_label(f"P({class_names[1]})", fontsize=LABEL_SIZE)
        cbar.ax.tick_params(labelsize=TICK_SIZE)
        # contour() warns when a level is never crossed, e.g. a model that predicts one class.
        if p1.min() < 0.5 < p1.max():
            ax.contour(GX, GY, p1, levels=[0.5], colors=DARK, linewidths=2.0, zorder=2)
            cbar.ax.axhline(0.5, color=DARK, lw=2.0)
        return

    winner = P.argmax(axis=2)
    top = P.max(axis=2)
    # Opacity runs from faint at a uniform guess (1/C) to fairly strong at certainty; the blend
    # towards white is done here so the image is opaque and the result does not depend on alpha.
    confidence = np.clip((top - 1.0 / n_classes) / (1.0 - 1.0 / n_classes), 0.0, 1.0)
    strength = (0.08 + 0.5 * confidence)[:, :, None]
    rgb = np.array([to_rgb(c) for c in colors])[winner]
    ax.imshow(
        1.0 - strength * (1.0 - rgb),
        extent=extent,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        zorder=0,
    )
    # Each boundary is where a class ties with its strongest rival: P_k - max_{j != k} P_j = 0.
    # Contouring that margin gives smooth lines between any pair of classes, adjacent labels or not.
    two = np.partition(P, n_classes - 2, axis=2)[:, :, -2:]
    first, second = two.max(axis=2), two.min(axis=2)
    for k in range(n_classes):
        margin = P[:, :, k] - np.where(winner == k, second, first)
        if margin.min() < 0.0 < margin.max():
            ax.contour(GX, GY, margin, levels=[0.0], colors=DARK, linewidths=1.8, zorder=2)


def _draw_probability_curves(
    ax, predict_proba, x_points, y_points, colors, class_names, resolution
):
    """1-D plot: P(class | x) curves and dashed boundaries; returns the height of each point."""
    n_classes = len(class_names)
    lo, hi = _padded_range(x_points)
    gx = np.linspace(lo, hi, resolution**2)
    P = _predict(predict_proba, gx[:, None], n_classes)

    if n_classes == 2:
        ax.plot(gx, P[:, 1], color=colors[1], lw=3, zorder=2)
        ax.axhline(0.5, color="#888888", lw=1, ls=":", zorder=1)
        heights = y_points.astype(float)
        ax.set_ylim(-0.1, 1.1)
    else:
        for k in range(n_classes):
            ax.plot(gx, P[:, k], color=colors[k], lw=3, zorder=2)
        # Points sit in one row per class below zero, so they do not hide the curves.
        step = min(0.06, 0.3 / n_classes)
        heights = -step * (y_points + 1.0)
        ax.set_ylim(-step * (n_classes + 1), 1.05)
        ax.axhline(0.0, color="#888888", lw=1, zorder=1)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlim(lo, hi)

    winner = P.argmax(axis=1)
    for s in np.flatnonzero(winner[1:] != winner[:-1]):
        a, b = winner[s], winner[s + 1]
        # The grid only brackets the tie; interpolate P_a - P_b linearly to place it.
        d0, d1 = P[s, a] - P[s, b], P[s + 1, a] - P[s + 1, b]
        t = d0 / (d0 - d1) if d0 != d1 else 0.5
        x_b = gx[s] + t * (gx[s + 1] - gx[s])
        ax.axvline(x_b, color=DARK, lw=1.8, ls="--", zorder=3)
        ax.annotate(
            f"x = {x_b:.3g}",
            xy=(x_b, 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=NOTE_SIZE,
            color=DARK,
        )
    return heights


def _draw_points(ax, xy, y, is_test, wrong, colors) -> None:
    """Scatter the points in their true class colour; cross out the misclassified ones."""
    size = float(np.clip(4000.0 / max(len(y), 1), 14.0, 60.0))
    point_colors = np.array(colors)[y]
    for test, marker, scale in ((False, "o", 1.0), (True, "^", 1.4)):
        rows = is_test == test
        if rows.any():
            ax.scatter(
                xy[rows, 0],
                xy[rows, 1],
                s=size * scale,
                c=point_colors[rows],
                marker=marker,
                edgecolors=DARK,
                linewidths=0.7,
                zorder=4,
            )
    if wrong.any():
        ax.scatter(
            xy[wrong, 0],
            xy[wrong, 1],
            s=size * 1.6,
            c="black",
            marker="x",
            linewidths=1.6,
            zorder=5,
        )


def _marker_handles(*, has_test: bool, n_wrong: int) -> list[Line2D]:
    """Legend entries for the marker shapes: train, test (if any) and misclassified."""

    def marker(shape, label, **style):
        return Line2D([], [], ls="none", marker=shape, ms=9, label=label, **style)

    grey = {"markerfacecolor": "#BBBBBB", "markeredgecolor": DARK}
    handles = [marker("o", "train", **grey)]
    if has_test:
        handles.append(marker("^", "test", **grey))
    handles.append(marker("x", f"misclassified ({n_wrong})", color="black", mew=1.6))
    return handles
