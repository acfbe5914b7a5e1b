"""Decision boundaries: where a model predicts each class, with the data on top."""

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cetrain.core.plane import checked_proba, padded_range, probability_grid
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
    wrap_evenly,
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
    categorical: Mapping[str, Sequence[str]] | None = None,
    why: str | None = None,
    point_loss: np.ndarray | None = None,
    loss_name: str = "loss",
) -> Figure | SubFigure:
    """Where the model predicts each class, with the data on top.

    With two or more features, the plane of ``plot_features`` is shaded on a grid (the other
    features held fixed: a numeric one at its training mean, a text column's one-hot columns at
    its most frequent level): binary by P(class 1) with the 0.5 boundary and a colorbar,
    multiclass by the predicted class with opacity growing with its probability and the
    boundaries drawn as dark lines. With one feature, the predicted probabilities are curves over
    x, the boundaries dashed vertical lines and the points sit at their target probability.
    When one plotted feature is a level of a text column (see ``categorical``), the probabilities
    are curves over the other, numeric, feature: one line style per level, the points in one
    band per class and level.

    Points are coloured by their true class: train as circles, test as triangles. A thick dark
    ring around a point, which keeps its colour, marks each point whose predicted class (argmax
    of ``predict_proba`` on all its features) differs from its label. A class that the model
    predicts for some test row (training row, without a test set) but that wins nowhere in the
    drawn slice is named in a note under the title.

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
        Defaults to "Decision boundary". When d > 2 the lines below name the plotted features,
        say why (``why``) and where the others are held, and name any class that the model
        predicts but that wins nowhere in the slice.
    resolution : int, default 200
        Grid points per axis (d >= 2); the 1-D plot uses ``resolution**2`` points along x.
    fig : Figure or SubFigure, optional
        Draw into this (empty) figure or sub-figure, e.g. one panel of a comparison or one frame
        of an animation, instead of a new Figure.
    categorical : mapping str -> sequence of str, optional
        The text columns among the features: each column's levels, the first of which has no
        column of its own; the others are the one-hot features named "column=level".
    why : str, optional
        Why these two features are plotted, said in the subtitle after their names (e.g.
        "chosen as ...").
    point_loss : ndarray of shape (n_train + n_test,), optional
        Each point's own loss (train rows, then test rows): the points' areas grow with it
        (``loss_marker_area``) and the legend gives the scale.
    loss_name : str
        What point_loss is, for the legend (e.g. "cross-entropy (nats)").

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
    predicted = checked_proba(predict_proba, X_points, n_classes).argmax(axis=1)
    wrong = predicted != y_points
    is_test = np.arange(len(y_points)) >= len(y_train)
    sizes = _point_sizes(point_loss, len(y_points), is_test)

    if fig is None:
        fig = Figure(figsize=(9, 6) if n_features >= 2 else (9, 5), layout="constrained")
    ax = fig.add_subplot()
    if title is None:
        title = "Decision boundary"
    groups = _text_columns(feature_names, categorical)
    level_styles: list[tuple[str, str]] = []

    if n_features == 1:
        heights, winners = _draw_probability_curves(
            ax, predict_proba, X_points[:, 0], y_points, colors, class_names, resolution
        )
        xy = np.column_stack([X_points[:, 0], heights])
        notes = []
        xlabel = feature_names[0]
        ylabel = f"P({class_names[1]})" if n_classes == 2 else "predicted probability"
    else:
        i, j = plot_features
        held, held_text = _slice(X_train, feature_names, groups, (i, j))
        plotted_text = [k for k in (i, j) if k in groups]
        if len(plotted_text) == 1:
            text_col = plotted_text[0]
            numeric = j if text_col == i else i
            heights, winners, level_styles = _draw_level_curves(
                ax,
                predict_proba,
                X_points,
                held,
                numeric,
                groups[text_col],
                y_points,
                colors,
                class_names,
                resolution,
            )
            xy = np.column_stack([X_points[:, numeric], heights])
            name = groups[text_col][0]
            target = f"P({class_names[1]})" if n_classes == 2 else "P"
            shown = f"{target} against {feature_names[numeric]}, one curve per level of {name}"
            xlabel = feature_names[numeric]
            ylabel = f"P({class_names[1]})" if n_classes == 2 else "predicted probability"
        else:
            winners = _draw_regions(
                fig, ax, predict_proba, X_points, held, (i, j), colors, class_names, resolution
            )
            xy = X_points[:, [i, j]]
            shown = (
                f"{_axis_name(feature_names, groups, i)} vs {_axis_name(feature_names, groups, j)}"
            )
            xlabel, ylabel = feature_names[i], feature_names[j]
        notes = [_slice_note(shown, why, held_text)] if n_features > 2 or plotted_text else []
    rows = is_test if is_test.any() else ~is_test
    notes += _nowhere_note(predicted[rows], winners, class_names, bool(is_test.any()))

    _draw_points(ax, xy, y_points, is_test, wrong, colors, sizes)
    handles = [
        Patch(facecolor=c, edgecolor=DARK, label=name)
        for c, name in zip(colors, class_names, strict=True)
    ]
    handles += _marker_handles(has_test=bool(is_test.any()), n_wrong=int(wrong.sum()))
    if level_styles:
        handles += [
            Line2D([], [], color=DARK, lw=2.5, ls=ls, label=lab) for ls, lab in level_styles
        ]
        if n_classes == 2:
            handles.append(Line2D([], [], color="#888888", lw=1, ls=":", label="P = 0.5"))
    else:
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
    if point_loss is not None:
        handles += _loss_handles(np.asarray(point_loss, dtype=float), loss_name)
    # a tuple is drawn as its handles on top of each other, under the last one's label
    labels = [(h[-1] if isinstance(h, tuple) else h).get_label() for h in handles]
    # Long class or feature names would make a legend on the right so wide that the axes, and
    # the title over them, run under it: then the legend goes below the axes, in two columns.
    below = max(len(label) for label in labels) > LONG_LEGEND_LABEL
    if below:
        fig.legend(
            handles, labels, loc="outside lower center", ncols=2, fontsize=LEGEND_SIZE,
            frameon=False,
        )  # fmt: skip
    else:
        fig.legend(handles, labels, loc="outside right upper", fontsize=LEGEND_SIZE, frameon=False)
    # the title and its notes are wrapped to the width the axes will have
    size = TITLE_SIZE if not notes else LABEL_SIZE
    width = _chars_across_axes(fig, labels, below, colorbar=len(fig.axes) > 1, fontsize=size)
    title = "\n".join(wrap_evenly(line, width) for line in title.split("\n"))
    note = "\n".join(wrap_evenly(text, width) for text in notes) if notes else None
    decorate(ax, title=title, xlabel=xlabel, ylabel=ylabel, note=note)
    return fig


# A legend label longer than this many characters moves the legend below the axes.
LONG_LEGEND_LABEL = 24
# Inches the layout takes beside the axes, for the wrapping estimate: the y axis's label and
# ticks, a colour bar with its label, and a legend's handles and padding. A character is taken
# as 0.55 em wide, DejaVu Sans's average over lowercase text and spaces.
Y_AXIS_INCHES, COLORBAR_INCHES, LEGEND_PAD_INCHES, EM_PER_CHAR = 1.0, 1.1, 0.8, 0.55


def _chars_across_axes(fig, labels, legend_below: bool, colorbar: bool, fontsize: float) -> int:
    """How many characters at `fontsize` fit on a line as wide as the axes will be, once the
    legend of `labels` (unless it is below) and a colour bar have taken their share."""
    axes_inches = fig.bbox.width / fig.dpi - Y_AXIS_INCHES
    if not legend_below:
        longest = max(len(label) for label in labels)
        axes_inches -= LEGEND_PAD_INCHES + EM_PER_CHAR * LEGEND_SIZE / 72 * longest
    if colorbar:
        # the title, centred over the axes, may reach over the colour bar on its right as far
        # as over the y axis on its left
        axes_inches += 2 * min(Y_AXIS_INCHES, COLORBAR_INCHES) - COLORBAR_INCHES
    return max(20, int(axes_inches * 72 / (EM_PER_CHAR * fontsize)))


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
    categorical: Mapping[str, Sequence[str]] | None = None,
    why: str | None = None,
    point_loss: np.ndarray | None = None,
    loss_name: str = "loss",
) -> Figure:
    """A multi-label model's decision boundaries: one panel per label, where P(label) > 1/2.

    Parameters
    ----------
    predict_proba : callable
        Maps (m, d) original features to (m, C) label probabilities (rows need not sum to 1).
    X_train, X_test : ndarray of shape (n, d)
    Y_train, Y_test : ndarray of shape (n, C)
        0/1 label columns (Y_test may have 0 rows).
    label_names, feature_names, plot_features, categorical, why, point_loss, loss_name
        As for decision_boundary, with one name per label; point_loss is each row's loss
        over all its labels, the same in every panel.
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
            categorical=categorical,
            why=why,
            point_loss=point_loss,
            loss_name=loss_name,
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


# Marker area (points^2) of a point whose own loss is 0, and the growth per unit of loss: a
# confidently wrong point under cross-entropy (loss 5) is about 20 times the area of a right one.
LOSS_AREA_FLOOR = 10.0
LOSS_AREA_PER_UNIT = 80.0
LOSS_AREA_CAP = 1200.0


def loss_marker_area(loss: np.ndarray) -> np.ndarray:
    """The marker area of points by their own loss, as decision_boundary draws them:
    LOSS_AREA_FLOOR + LOSS_AREA_PER_UNIT * loss, at most LOSS_AREA_CAP."""
    loss = np.asarray(loss, dtype=float)
    return np.minimum(LOSS_AREA_FLOOR + LOSS_AREA_PER_UNIT * np.maximum(loss, 0.0), LOSS_AREA_CAP)


def _point_sizes(point_loss, n_points: int, is_test: np.ndarray) -> np.ndarray:
    """Each point's marker area: by its loss when given, else one size (test triangles a bit
    larger, as a triangle looks smaller than a circle of the same area)."""
    if point_loss is None:
        size = float(np.clip(4000.0 / max(n_points, 1), 14.0, 60.0))
        return np.where(is_test, 1.4 * size, size)
    point_loss = np.asarray(point_loss, dtype=float).ravel()
    if point_loss.shape != (n_points,):
        raise ValueError(
            f"point_loss needs one loss per point ({n_points}: train, then test); "
            f"got shape {point_loss.shape}"
        )
    return loss_marker_area(point_loss)


def _text_columns(feature_names, categorical) -> dict[int, tuple[str, list[str], list[int]]]:
    """{index of a one-hot column: (its text column, the levels, the one-hot indices of
    levels[1:])} for the text columns whose one-hot columns are all among the features."""
    groups = {}
    for name, levels in (categorical or {}).items():
        levels = [str(level) for level in levels]
        columns = [f"{name}={level}" for level in levels[1:]]
        if len(levels) < 2 or not all(c in feature_names for c in columns):
            continue
        indices = [list(feature_names).index(c) for c in columns]
        groups.update({k: (str(name), levels, indices) for k in indices})
    return groups


def _slice(X_train, feature_names, groups, plotted) -> tuple[np.ndarray, str]:
    """Where the features that are not plotted are held: numeric ones at their training mean,
    a text column's one-hot columns at its most frequent level. Returns the values and the
    words for the subtitle."""
    held = X_train.mean(axis=0)
    plotted_groups = {groups[k][0] for k in plotted if k in groups}
    levels_held = []
    for name, levels, indices in {g[0]: g for g in groups.values()}.values():
        columns = X_train[:, indices]
        counts = [int(np.sum(np.all(columns == 0, axis=1))), *np.sum(columns == 1, axis=0)]
        mode = int(np.argmax(counts))
        held[indices] = 0.0
        if mode > 0:
            held[indices[mode - 1]] = 1.0
        if name not in plotted_groups:
            levels_held.append(f"{name} at {levels[mode]}")
    numeric = [n for k, n in enumerate(feature_names) if k not in plotted and k not in groups]
    parts = []
    if len(numeric) == 1:
        parts.append(f"the other feature ({numeric[0]}) is held at its mean")
    elif numeric:
        # Listing dozens of pixel names would swamp the slide; the count is what matters then.
        names = f" ({', '.join(numeric)})" if len(numeric) <= 4 else ""
        parts.append(f"the other {len(numeric)} features{names} are held at their mean")
    if levels_held:
        which = "level" if len(levels_held) == 1 else "levels"
        parts.append(f"{', '.join(levels_held)}, the most frequent {which}")
    return held, "; ".join(parts)


def _axis_name(feature_names, groups, k: int) -> str:
    return groups[k][0] if k in groups else feature_names[k]


def _slice_note(shown: str, why: str | None, held_text: str) -> str:
    """Subtitle: what is plotted, why, and where the other features are held (one line; the
    figure wraps it to its axes)."""
    return shown + (f", {why}" if why else "") + (f"; {held_text}" if held_text else "")


def _nowhere_note(predicted, winners, class_names, test: bool) -> list[str]:
    """A note naming the classes the model predicts for some rows but that win nowhere in
    the drawn slice (empty when every predicted class has a region)."""
    missing = [k for k in np.unique(predicted) if k not in winners]
    if not missing:
        return []
    names = ", ".join(str(class_names[k]) for k in missing)
    rows = int(np.isin(predicted, missing).sum())
    one = len(missing) == 1
    note = (
        f"{names} {'wins' if one else 'win'} nowhere in this slice, though predicted for "
        f"{rows} {'test' if test else 'training'} rows: the held features tell "
        f"{'it' if one else 'them'} apart"
    )
    return [note]


def _draw_regions(fig, ax, predict_proba, X_points, held, pair, colors, class_names, resolution):
    """Shade the plane of the two plotted features by the model's prediction, boundaries on top.
    Returns the classes that win somewhere on the grid."""
    i, j = pair
    x_lo, x_hi = padded_range(X_points[:, i])
    y_lo, y_hi = padded_range(X_points[:, j])
    n_classes = len(class_names)
    gx, gy, P = probability_grid(
        predict_proba, (x_lo, x_hi), (y_lo, y_hi), held, pair, n_classes, resolution
    )
    GX, GY = np.meshgrid(gx, gy)
    extent = (x_lo, x_hi, y_lo, y_hi)
    winner = P.argmax(axis=2)
    winners = {int(k) for k in np.unique(winner)}

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
        return winners

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
    return winners


def _draw_probability_curves(
    ax, predict_proba, x_points, y_points, colors, class_names, resolution
):
    """1-D plot: P(class | x) curves and dashed boundaries; returns the height of each point
    and the classes that win somewhere."""
    n_classes = len(class_names)
    lo, hi = padded_range(x_points)
    gx = np.linspace(lo, hi, resolution**2)
    P = checked_proba(predict_proba, gx[:, None], n_classes)

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
    return heights, {int(k) for k in np.unique(winner)}


# Line styles of a text column's levels (beyond four they repeat, with thinner lines).
LEVEL_STYLES = ("-", "--", ":", "-.")


def _draw_level_curves(
    ax, predict_proba, X_points, held, numeric, group, y_points, colors, class_names, resolution
):
    """P(class | numeric feature) at each level of a text column, the other features held.

    Binary: one curve of P(class 1) per level; more classes: one curve per class (its colour)
    and level. The points sit in bands, one per class and level, jittered within their band.
    Returns the points' heights, the classes that win somewhere and the legend's
    (line style, label) for each level.
    """
    name, levels, indices = group
    n_classes, n_levels = len(class_names), len(levels)
    lo, hi = padded_range(X_points[:, numeric])
    gx = np.linspace(lo, hi, resolution * 4)
    styles = [LEVEL_STYLES[k % len(LEVEL_STYLES)] for k in range(n_levels)]
    widths = [3.0 if k < len(LEVEL_STYLES) else 1.6 for k in range(n_levels)]
    winners: set[int] = set()
    for level in range(n_levels):
        grid = np.tile(held, (gx.size, 1))
        grid[:, numeric] = gx
        grid[:, indices] = 0.0
        if level > 0:
            grid[:, indices[level - 1]] = 1.0
        P = checked_proba(predict_proba, grid, n_classes)
        winners |= {int(k) for k in np.unique(P.argmax(axis=1))}
        shown = [1] if n_classes == 2 else range(n_classes)
        for k in shown:
            color = DARK if n_classes == 2 else colors[k]
            ax.plot(gx, P[:, k], color=color, ls=styles[level], lw=widths[level], zorder=2)

    # each point's level: 0 when all the one-hot columns are 0, else 1 + the column that is 1
    columns = X_points[:, indices]
    point_level = np.where(columns.max(axis=1) > 0.5, 1 + columns.argmax(axis=1), 0)
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(y_points))
    if n_classes == 2:
        # class 1 in bands above P = 1, class 0 below P = 0, level 0 nearest the curves
        band = 0.05
        side = np.where(y_points == 1, 1.0, -1.0)
        centres = {
            (c, level): (1.0 if c == 1 else 0.0) + (1 if c == 1 else -1) * band * (level + 0.7)
            for c in (0, 1)
            for level in range(n_levels)
        }
        heights = y_points + side * band * (point_level + 0.7 + jitter)
        ax.axhline(0.5, color="#888888", lw=1, ls=":", zorder=1)
        ax.set_ylim(-band * (n_levels + 0.4), 1.0 + band * (n_levels + 0.4))
    else:
        # one band per class and level below zero
        band = min(0.05, 0.5 / (n_classes * n_levels))
        centres = {
            (c, level): -band * (c * n_levels + level + 1)
            for c in range(n_classes)
            for level in range(n_levels)
        }
        heights = -band * (y_points * n_levels + point_level + 1 + jitter)
        ax.axhline(0.0, color="#888888", lw=1, zorder=1)
        ax.set_ylim(-band * (n_classes * n_levels + 0.6), 1.05)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlim(lo, hi)
    # the bands' levels on the right-hand axis, so that no label covers a point
    if len(centres) <= 16:
        bands = ax.twinx()
        bands.set_ylim(ax.get_ylim())
        bands.set_yticks(list(centres.values()), [f"{name}={levels[lv]}" for _, lv in centres])
        bands.tick_params(labelsize=NOTE_SIZE, length=0)
    return heights, winners, [(styles[k], f"{name} = {levels[k]}") for k in range(n_levels)]


def _draw_points(ax, xy, y, is_test, wrong, colors, sizes) -> None:
    """Scatter the points in their true class colour (largest first, so that no small point
    hides under a large one); ring the misclassified ones, which keep their colour."""
    point_colors = np.array(colors)[y]
    for test, marker in ((False, "o"), (True, "^")):
        rows = np.flatnonzero(is_test == test)
        if rows.size:
            rows = rows[np.argsort(-sizes[rows], kind="stable")]
            ax.scatter(
                xy[rows, 0],
                xy[rows, 1],
                s=sizes[rows],
                c=point_colors[rows],
                marker=marker,
                edgecolors=DARK,
                linewidths=0.7,
                zorder=4,
            )
    if wrong.any():
        # a ring a little wider than its point: dark on a white halo, seen on any background
        diameter = np.sqrt(sizes[wrong])
        ring = (diameter + np.clip(0.6 * diameter, 3.0, RING_GAP)) ** 2
        for color, width, z in (("white", 3.2, 5), (DARK, 1.7, 6)):
            ax.scatter(
                xy[wrong, 0],
                xy[wrong, 1],
                s=ring,
                marker="o",
                facecolors="none",
                edgecolors=color,
                linewidths=width,
                zorder=z,
            )


# At most this many points between a misclassified point's edge and its ring (in marker
# size, a diameter); 0.6 of the point's diameter, and at least 3, below that.
RING_GAP = 7.0


def _marker_handles(*, has_test: bool, n_wrong: int) -> list:
    """Legend entries for the marker shapes: train, test (if any) and misclassified (a grey
    point in its ring)."""

    def marker(shape, label, ms=9, **style):
        return Line2D([], [], ls="none", marker=shape, ms=ms, label=label, **style)

    grey = {"markerfacecolor": "#BBBBBB", "markeredgecolor": DARK}
    handles = [marker("o", "train", **grey)]
    if has_test:
        handles.append(marker("^", "test", **grey))
    ring = {"markerfacecolor": "none", "markeredgecolor": DARK, "mew": 2.0}
    handles.append(
        (
            marker("o", "", **grey),
            marker("o", f"misclassified ({n_wrong})", ms=9 + RING_GAP, **ring),
        )
    )
    return handles


def _loss_handles(point_loss: np.ndarray, loss_name: str) -> list[Line2D]:
    """Legend entries for the point sizes: a heading, then points of loss 0.1 and 1 (those not
    above the largest loss) and of the largest loss."""
    largest = float(np.max(point_loss)) if point_loss.size else 0.0
    values = [v for v in (0.1, 1.0) if v < 0.7 * largest] + [largest]
    heading = Line2D([], [], ls="none", label=f"area: each point's\n{loss_name}")
    return [heading] + [
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=float(np.sqrt(loss_marker_area(v))),
            markerfacecolor="#BBBBBB",
            markeredgecolor=DARK,
            label=f"{v:.3g}" + (" (largest)" if v == largest else ""),
        )
        for v in values
    ]
