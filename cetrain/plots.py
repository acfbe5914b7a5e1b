"""Pure figure builders: arrays and callables in, a `matplotlib.figure.Figure` out.

Nothing here shows, saves or touches pyplot: every figure is a standalone `Figure`, so many runs in
one process leak no global state. The caller decides where a figure goes (see `runs.py`).

Figures are meant for a teacher's slides: each has a title, labelled axes and a legend, large fonts,
and colours from the Okabe–Ito palette, which stays distinguishable under the common forms of colour
blindness. Class k is drawn in `class_colors(C)[k]` in every figure of a run.
"""

import textwrap
from collections.abc import Callable, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import LinearSegmentedColormap, hsv_to_rgb, to_hex, to_rgb
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)

# Black is left out of the class colours: boundaries, marker edges and the misclassified crosses
# are drawn in near-black and a black class would vanish behind them.
_CLASS_BASE = OKABE_ITO[:7]

# Beyond seven classes no palette is colour-blind safe; tab20 is the next most familiar one.
# Its colours are reordered so that those least like the Okabe–Ito seven (brown, grey, olive,
# purple, cyan, red) come first, then the light halves of the pairs.
_TAB20_ORDER = (10, 14, 16, 8, 18, 6, 0, 4, 12, 2, 11, 15, 17, 9, 19, 7, 1, 5, 13, 3)

# Class names that are colour words, mapped to the nearest Okabe–Ito colour.
_COLOR_NAMES = {
    "orange": OKABE_ITO[0],
    "blue": OKABE_ITO[4],
    "light blue": OKABE_ITO[1],
    "sky blue": OKABE_ITO[1],
    "green": OKABE_ITO[2],
    "yellow": OKABE_ITO[3],
    "red": OKABE_ITO[5],
    "vermillion": OKABE_ITO[5],
    "purple": OKABE_ITO[6],
    "pink": OKABE_ITO[6],
}

# A loss keeps its colour in every figure (comparison, landscape, saturation); losses beyond
# these take the class colours.
LOSS_COLORS = {"cross-entropy": OKABE_ITO[4], "mse": OKABE_ITO[5]}

_DARK = "#222222"
# Loss curves are not classes; blue against vermillion is the palette's clearest contrast.
_TRAIN_COLOR, _TEST_COLOR = OKABE_ITO[4], OKABE_ITO[5]
_TITLE_SIZE = 16
_LABEL_SIZE = 14
_TICK_SIZE = 12
_LEGEND_SIZE = 12
_NOTE_SIZE = 11
_TITLE_WIDTH = 48  # characters per title line at _TITLE_SIZE on an 8-inch-wide axes


def class_colors(n_classes: int, class_names: Sequence[str] | None = None) -> list[str]:
    """The colour of each class, as hex strings.

    Class k is drawn in ``class_colors(C)[k]``. The list is a prefix of one fixed sequence, so class
    k has the same colour whatever the number of classes: the first seven Okabe–Ito colours (black
    excluded), then the 20 tab20 colours, then hues spaced by the golden angle.

    When every class is named after a different colour ("red", "green", ...), each class gets the
    Okabe–Ito version of its own colour instead, so a "green" class is not drawn orange.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 1.
    class_names : sequence of str, optional
        The classes' names, to recognise colour names.

    Returns
    -------
    list of str, length n_classes
        Distinct ``#rrggbb`` colours.
    """
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    if class_names is not None:
        named = [_COLOR_NAMES.get(str(name).strip().lower()) for name in class_names]
        if None not in named and len(set(named)) == len(named) == n_classes:
            return named
    tab20 = matplotlib.colormaps["tab20"]
    colors = list(_CLASS_BASE) + [to_hex(tab20(i)).upper() for i in _TAB20_ORDER]
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    for i in range(n_classes - len(colors)):
        # Successive golden-ratio hues never repeat and stay far apart for small counts.
        hue = (0.05 + i * golden) % 1.0
        value = 0.85 if i % 2 == 0 else 0.6
        colors.append(to_hex(hsv_to_rgb((hue, 0.75, value))).upper())
    return colors[:n_classes]


def loss_curve(
    history: Mapping[str, Sequence[float]], *, loss_name: str, title: str | None = None
) -> Figure:
    """The loss per epoch: train solid, test dashed, final values written next to the curves.

    Parameters
    ----------
    history : mapping
        ``history["train_loss"]``, shape (n_epochs,), one value per epoch starting at epoch 0.
        ``history["test_loss"]``, shape (n_epochs,), is optional: absent, None, empty or all NaN
        means there is no test set. Non-finite values are left out of the curves.
    loss_name : str
        Label of the y axis, e.g. ``"cross-entropy (nats)"`` or ``"MSE"``.
    title : str, optional
        Defaults to "Training loss" (or "Training and test loss").

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the y axis is logarithmic when the finite values are all positive and span more
        than two decades.
    """
    train = np.asarray(history["train_loss"], dtype=float).ravel()
    if train.size == 0:
        raise ValueError("history['train_loss'] is empty: there is no epoch to plot")
    test = history.get("test_loss")
    test = None if test is None else np.asarray(test, dtype=float).ravel()
    if test is not None and (test.size == 0 or not np.isfinite(test).any()):
        test = None
    if test is not None and test.size != train.size:
        raise ValueError(
            f"history['test_loss'] has {test.size} values but history['train_loss'] has "
            f"{train.size}; they need one value per epoch each"
        )

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    epochs = np.arange(train.size)
    curves = [("train", train, _TRAIN_COLOR, "-")]
    if test is not None:
        curves.append(("test", test, _TEST_COLOR, "--"))

    finals = []
    for name, values, color, style in curves:
        ok = np.isfinite(values)
        # A lone epoch would be an invisible zero-length line, so give it a marker.
        marker = "o" if ok.sum() == 1 else None
        ax.plot(epochs[ok], values[ok], style, color=color, lw=2.5, marker=marker, label=name)
        if ok.any():
            last = np.flatnonzero(ok)[-1]
            finals.append((name, epochs[last], values[last], color))

    # The higher final value is labelled above its curve and the lower one below, so the two
    # labels do not overlap when the curves end close together.
    finals.sort(key=lambda f: f[2], reverse=True)
    for rank, (name, epoch, value, color) in enumerate(finals):
        ax.plot([epoch], [value], "o", color=color, ms=6)
        above = rank == 0
        ax.annotate(
            f"{name} {value:#.3g}",
            xy=(epoch, value),
            xytext=(-6, 8 if above else -8),
            textcoords="offset points",
            ha="right",
            va="bottom" if above else "top",
            fontsize=_NOTE_SIZE + 1,
            color=color,
            fontweight="bold",
        )

    finite = np.concatenate([v[np.isfinite(v)] for _, v, _, _ in curves])
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")
    # Room below the lowest curve for its final-value label.
    ax.margins(y=0.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if train.size == 1:
        ax.set_xlim(-0.5, 0.5)
    if title is None:
        title = "Training and test loss" if test is not None else "Training loss"
    _decorate(ax, title=title, xlabel="epoch", ylabel=loss_name)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", fontsize=_LEGEND_SIZE)
    return fig


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
        _decorate(
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
        _decorate(ax, title=title, xlabel=feature_names[i], ylabel=feature_names[j], note=note)

    _draw_points(ax, xy, y_points, is_test, wrong, colors)
    handles = [
        Patch(facecolor=c, edgecolor=_DARK, label=name)
        for c, name in zip(colors, class_names, strict=True)
    ]
    handles += _marker_handles(has_test=bool(is_test.any()), n_wrong=int(wrong.sum()))
    handles.append(
        Line2D(
            [],
            [],
            color=_DARK,
            lw=2,
            ls="-" if n_features >= 2 else "--",
            label="decision boundary",
        )
    )
    fig.legend(handles=handles, loc="outside right upper", fontsize=_LEGEND_SIZE, frameon=False)
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
        fig.suptitle(title, fontsize=_TITLE_SIZE + 2)
    return fig


# --- teaching figures: landscape, saturation ---------------------------------------------------

# Cross-entropy is blue and MSE vermillion in every teaching figure: the palette's clearest pair.
_TEACHING_LABELS = {"cross-entropy": "cross-entropy", "mse": "MSE"}
# Loss surfaces go from white (low) to mid grey (high), so the coloured paths stand out on them.
_SURFACE_CMAP = LinearSegmentedColormap.from_list("low_white_high_grey", ["#FFFFFF", "#8C8C8C"])
_SURFACE_LEVELS = 21  # contour levels, evenly spaced: a plateau shows as a wide band, no lines


def landscape_figure(result) -> Figure:
    """Cross-entropy beside MSE on a sigmoid, over the weights (w, b) of a one-feature problem.

    One column per loss, cross-entropy (blue) left and MSE (vermillion) right. On top, the loss
    along w with b fixed at cross-entropy's optimal intercept, its lowest point and the start
    (when the start lies on that line) marked. Below, the loss over (w, b) as evenly spaced
    shaded contours, the slice as a dotted line, and the gradient-descent path from the common
    start: a dot every few epochs, the start a white square, the end a star, the lowest grid
    point a black cross. The title of each surface says whether it is convex on the grid, with
    the smallest Hessian eigenvalue found. A bottom panel across both columns shows each loss
    divided by its value at the start, per epoch, on a log scale.

    Parameters
    ----------
    result : cetrain.landscape.LandscapeResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = result.data
    fig = Figure(figsize=(14, 15), layout="constrained")
    grid = fig.add_gridspec(3, 2, height_ratios=[1.0, 1.5, 0.9])
    fig.suptitle(
        f"Loss over the weights of P({data.classes[1]}) = σ(w·{data.feature} + b) "
        f"on {data.name} ({data.x.size} points)",
        fontsize=_TITLE_SIZE + 2,
    )
    W, B = np.meshgrid(result.w, result.b)
    every = max(1, result.epochs // 30)
    w0, b0 = result.start
    for column, (name, surface) in enumerate(result.surfaces.items()):
        color, label = LOSS_COLORS[name], _TEACHING_LABELS[name]
        _draw_loss_slice(fig.add_subplot(grid[0, column]), result, surface, color, label)

        ax = fig.add_subplot(grid[1, column])
        values = surface.values
        levels = np.linspace(values.min(), values.max(), _SURFACE_LEVELS)
        shading = ax.contourf(W, B, values, levels=levels, cmap=_SURFACE_CMAP, zorder=0)
        ax.contour(W, B, values, levels=levels, colors="#555555", linewidths=0.5, zorder=1)
        bar = fig.colorbar(shading, ax=ax, pad=0.01, ticks=MaxNLocator(6), format="%.3g")
        bar.set_label(f"mean {label}", fontsize=_LABEL_SIZE)
        bar.ax.tick_params(labelsize=_TICK_SIZE)
        ax.axhline(result.slice_b, color=_DARK, lw=1, ls=":", zorder=2)
        path = surface.path
        ax.plot(path.w, path.b, "-", color=color, lw=2.5, zorder=3)
        ax.plot(
            path.w[::every],
            path.b[::every],
            "o",
            color=color,
            mec="white",
            ms=7,
            zorder=4,
            label=f"gradient descent, a dot every {_epochs_text(every)}",
        )
        ax.plot([w0], [b0], "s", color="white", mec=_DARK, mew=2, ms=12, zorder=5, label="start")
        ax.plot(
            [path.w[-1]],
            [path.b[-1]],
            "*",
            color=color,
            mec=_DARK,
            ms=20,
            zorder=6,
            label=f"after {_epochs_text(path.w.size - 1)}: {path.loss[-1]:.3g}",
        )
        low = surface.grid_minimum
        ax.plot(
            [low.w],
            [low.b],
            "X",
            color="black",
            mec="white",
            ms=13,
            zorder=7,
            clip_on=False,  # it may sit on the grid's edge
            label=f"lowest on the grid: {low.loss:.3g}" + (" (at its edge)" if low.on_edge else ""),
        )
        ax.set_xlim(result.w[0], result.w[-1])
        ax.set_ylim(result.b[0], result.b[-1])
        convex = "convex" if surface.convex_on_grid else "not convex"
        _decorate(
            ax,
            title=f"{label[0].upper()}{label[1:]} over (w, b): {convex}",
            note=f"smallest Hessian eigenvalue on the grid: {surface.min_eigenvalue:.2g}",
            xlabel="weight w",
            ylabel="intercept b",
        )
        ax.legend(fontsize=_LEGEND_SIZE - 1, loc="best", framealpha=0.9)

    ax = fig.add_subplot(grid[2, :])
    for name, surface in result.surfaces.items():
        loss = surface.path.loss
        ax.plot(
            np.arange(loss.size),
            loss / loss[0],
            color=LOSS_COLORS[name],
            lw=3,
            label=f"{_TEACHING_LABELS[name]}: {loss[0]:.3g} → {loss[-1]:.3g}",
        )
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _decorate(
        ax,
        title=f"Loss per epoch, same start, step η = {result.learning_rate:.3g}",
        xlabel="epoch",
        ylabel="loss ÷ loss at the start",
    )
    ax.legend(fontsize=_LEGEND_SIZE, loc="best")
    return fig


def _draw_loss_slice(ax, result, surface, color: str, label: str) -> None:
    """One loss along w at b = result.slice_b: the curve, its lowest point, the start if on it."""
    ax.plot(result.slice_w, surface.slice_values, color=color, lw=3, label=f"mean {label}")
    lowest = int(np.argmin(surface.slice_values))
    w_low, f_low = result.slice_w[lowest], surface.slice_values[lowest]
    ax.plot(
        [w_low],
        [f_low],
        "o",
        color=color,
        mec=_DARK,
        ms=11,
        label=f"lowest: {f_low:.3g} at w = {w_low:.3g}",
    )
    w0, b0 = result.start
    if b0 == result.slice_b:
        f0 = float(np.interp(w0, result.slice_w, surface.slice_values))
        ax.plot([w0], [f0], "s", color="white", mec=_DARK, mew=2, ms=11, label="start")
    ax.set_xlim(result.w[0], result.w[-1])
    ax.grid(True, alpha=0.3)
    _decorate(
        ax,
        title=f"{label[0].upper()}{label[1:]} along w at b = {result.slice_b:.3g}",
        note="(cross-entropy's optimal intercept)",
        xlabel="weight w",
        ylabel=f"mean {label}",
    )
    ax.legend(fontsize=_LEGEND_SIZE, loc="best")


def saturation_figure(result) -> Figure:
    """One saturated sigmoid neuron trained on cross-entropy (blue) and on MSE (vermillion).

    Four panels, per epoch: the output σ(z), with the band near the target shaded and the first
    epoch in it marked for each loss; the loss; the size of the gradient with respect to b (log
    scale); and the factor σ'(z) = σ(z)(1 − σ(z)) that MSE's gradient carries, along the MSE
    run, under its largest possible value 1/4.

    Parameters
    ----------
    result : cetrain.saturation.SaturationResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    w0, b0 = result.start
    y, near = result.target, result.near
    mse = result.runs["mse"]
    fig = Figure(figsize=(14, 10), layout="constrained")
    axes = fig.subplots(2, 2)
    fig.suptitle(
        f"One sigmoid neuron: input x = 1, target y = {y:g}, start w = {w0:g}, b = {b0:g} "
        f"(output {mse.output[0]:.3f}), step η = {result.learning_rate:g}",
        fontsize=_TITLE_SIZE + 2,
    )

    ax = axes[0, 0]
    ax.axhspan(
        max(y - near, 0.0),
        min(y + near, 1.0),
        color="#DDDDDD",
        zorder=0,
        label=f"within {near:g} of the target",
    )
    for name, run in result.runs.items():
        color = LOSS_COLORS[name]
        ax.plot(run.output, color=color, lw=3, label=_TEACHING_LABELS[name])
        k = run.first_epoch_near
        if k is not None:
            ax.plot([k], [run.output[k]], "o", color=color, mec=_DARK, ms=10)
            ax.annotate(
                f"epoch {k}",
                xy=(k, run.output[k]),
                xytext=(6, 8 if y < 0.5 else -8),
                textcoords="offset points",
                va="bottom" if y < 0.5 else "top",
                color=color,
                fontsize=_NOTE_SIZE + 1,
                fontweight="bold",
            )
    ax.set_ylim(-0.03, 1.03)
    _decorate(ax, title="Output σ(z) per epoch", xlabel="epoch", ylabel="output σ(z)")

    ax = axes[0, 1]
    for name, run in result.runs.items():
        ax.plot(
            run.loss,
            color=LOSS_COLORS[name],
            lw=3,
            label=f"{_TEACHING_LABELS[name]}: {run.loss[0]:.3g} → {run.loss[-1]:.3g}",
        )
    _log_scale_if_positive(ax, [run.loss for run in result.runs.values()])
    _decorate(ax, title="Loss per epoch", xlabel="epoch", ylabel="loss")

    ax = axes[1, 0]
    formulas = {"cross-entropy": "σ(z) − y", "mse": "2 (σ(z) − y) σ'(z)"}
    for name, run in result.runs.items():
        ax.plot(
            np.abs(run.gradient),
            color=LOSS_COLORS[name],
            lw=3,
            label=f"{_TEACHING_LABELS[name]}: {formulas[name]}",
        )
    _log_scale_if_positive(ax, [np.abs(run.gradient) for run in result.runs.values()])
    _decorate(ax, title="Size of the gradient ∂loss/∂b", xlabel="epoch", ylabel="|∂loss/∂b|")

    ax = axes[1, 1]
    ax.plot(mse.slope, color=LOSS_COLORS["mse"], lw=3, label="σ'(z) along the MSE run")
    ax.axhline(0.25, color=_DARK, lw=1.5, ls="--", label="largest possible: 1/4")
    ax.set_ylim(0.0, 0.27)
    _decorate(
        ax,
        title="The factor σ'(z) in MSE's gradient",
        xlabel="epoch",
        ylabel="σ'(z) = σ(z)(1 − σ(z))",
    )
    for ax in axes.flat:
        ax.grid(True, which="major", alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=_LEGEND_SIZE, loc="best")
    return fig


def _log_scale_if_positive(ax, curves: Sequence[np.ndarray]) -> None:
    """A log y axis when every value is positive: small values are what these panels compare."""
    if all(np.all(c > 0) for c in curves):
        ax.set_yscale("log")


def _epochs_text(n: int) -> str:
    """'1 epoch', '10 epochs'."""
    return f"{n} epoch" if n == 1 else f"{n} epochs"


# --- comparison figures and the training animation ----------------------------------------------


def loss_color(name: str, index: int) -> str:
    """The colour of loss `name`, the index-th loss of a comparison: its own in LOSS_COLORS,
    else an Okabe–Ito colour that no listed loss uses, taken in turn."""
    if name in LOSS_COLORS:
        return LOSS_COLORS[name]
    spare = [color for color in OKABE_ITO[:7] if color not in LOSS_COLORS.values()]
    return spare[index % len(spare)]


def comparison_figure(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    predictors: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    class_names: Sequence[str],
    feature_names: Sequence[str],
    plot_features: tuple[int, int] = (0, 1),
    title: str = "Cross-entropy vs MSE",
    compared: str = "loss",
) -> Figure:
    """The same model trained on several losses (or several models), side by side.

    Top row, one curve per loss: its own training loss; the test log loss and the test
    accuracy, which measure every model on one shared scale whatever it was trained on; and
    the gradient norm (log scale). Bottom row: each model's decision boundary.

    Parameters
    ----------
    histories : mapping name -> history
        Each with per-epoch "train_loss", "grad_norm", "val_log_loss" and "val_accuracy"
        (a model's history_ when it was fitted with validation data); the names are loss names
        (each drawn in its LOSS_COLORS colour) or, with compared="model", model names.
    predictors : mapping name -> predict_proba
        Same keys as `histories`; see decision_boundary.
    X_train, y_train, X_test, y_test, class_names, feature_names, plot_features
        As for decision_boundary; y holds class indices.
    title : str
    compared : {"loss", "model"}
        What the names are: legends say "trained on" a loss, or name the model.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(histories)
    if list(predictors) != names:
        raise ValueError(f"predictors {list(predictors)} and histories {names} must match")
    fig = Figure(figsize=(max(16, 7 * len(names)), 11), layout="constrained")
    curves, boundaries = fig.subfigures(2, 1, height_ratios=[1, 1.45])
    panels = [
        ("train_loss", "its own training loss", "Training loss (each its own)", "linear"),
        ("val_log_loss", "test log loss (nats)", "Test log loss: one scale for all", "linear"),
        ("val_accuracy", "test accuracy", "Test accuracy", "linear"),
        ("grad_norm", "gradient norm", "Gradient norm", "log"),
    ]
    axes = curves.subplots(1, len(panels))
    for ax, (key, ylabel, panel_title, scale) in zip(axes, panels, strict=True):
        for index, name in enumerate(names):
            values = np.asarray(histories[name][key], dtype=float)
            ax.plot(
                np.arange(values.size), values, color=loss_color(name, index), lw=2.2, label=name
            )
        ax.set_yscale(scale)
        _decorate(ax, title=panel_title, xlabel="epoch", ylabel=ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=_LEGEND_SIZE - 1, title="trained on" if compared == "loss" else "model")
    curves.suptitle(title, fontsize=_TITLE_SIZE + 2)
    for sub, name in zip(np.atleast_1d(boundaries.subfigures(1, len(names))), names, strict=True):
        history = histories[name]
        decision_boundary(
            predictors[name],
            X_train,
            y_train,
            X_test,
            y_test,
            class_names=class_names,
            feature_names=feature_names,
            plot_features=plot_features,
            title=f"{'trained on ' if compared == 'loss' else ''}{name}\ntest accuracy "
            f"{history['val_accuracy'][-1]:.3f}, log loss {history['val_log_loss'][-1]:.3f}",
            resolution=150,
            fig=sub,
        )
    return fig


def boundary_animation(
    frames: Sequence[Mapping[str, Callable[[np.ndarray], np.ndarray]]],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    class_names: Sequence[str],
    feature_names: Sequence[str],
    plot_features: tuple[int, int] = (0, 1),
    resolution: int = 70,
) -> FuncAnimation:
    """The decision boundary as it moves during training: one frame per chosen epoch.

    Parameters
    ----------
    frames : sequence of mappings title -> predict_proba
        For each frame, the model (or several, drawn side by side) as it was at some epoch,
        under the panel's title (e.g. "trained on mse: epoch 12").
    X_train, y_train, X_test, y_test, class_names, feature_names, plot_features
        As for decision_boundary.
    resolution : int
        Grid points per axis: lower than the still figure's, to keep the file small.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Not saved: the caller picks the writer (runs uses Pillow's GIF writer).
    """
    if not frames:
        raise ValueError("an animation needs at least one frame")
    n_panels = len(frames[0])
    fig = Figure(figsize=(9 * n_panels, 6), layout="constrained")
    # Every frame has the same layout: the first is laid out by the layout engine, the others
    # reuse its axes positions, which makes them several times faster to draw.
    positions: list = []

    def draw(index: int) -> list:
        if index > 0 and not positions:
            positions.extend(ax.get_position() for ax in fig.get_axes())
            fig.set_layout_engine("none")
        fig.clear()
        panels = [fig] if n_panels == 1 else list(fig.subfigures(1, n_panels))
        for panel, (title, predict_proba) in zip(panels, frames[index].items(), strict=True):
            decision_boundary(
                predict_proba,
                X_train,
                y_train,
                X_test,
                y_test,
                class_names=class_names,
                feature_names=feature_names,
                plot_features=plot_features,
                title=title,
                resolution=resolution,
                fig=panel,
            )
        for ax, position in zip(fig.get_axes(), positions, strict=False):
            ax.set_position(position)
        return []

    return FuncAnimation(fig, draw, frames=len(frames), repeat=False, blit=False)


def _decorate(ax, *, title: str, xlabel: str, ylabel: str, note: str | None = None) -> None:
    """Title (with an optional note on the lines below it), axis labels and tick sizes.

    Long title lines are wrapped so that they stay inside the figure.
    """
    title = "\n".join(textwrap.fill(line, _TITLE_WIDTH) for line in title.split("\n"))
    if note is None:
        ax.set_title(title, fontsize=_TITLE_SIZE)
    else:
        # One text object keeps the note with the title for anyone reading get_title().
        ax.set_title(f"{title}\n{note}", fontsize=_LABEL_SIZE)
    ax.set_xlabel(xlabel, fontsize=_LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=_LABEL_SIZE)
    ax.tick_params(labelsize=_TICK_SIZE)


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


def _lighten(color: str, amount: float) -> np.ndarray:
    """The colour blended towards white: amount 0 is the colour, 1 is white."""
    return 1.0 - (1.0 - amount) * (1.0 - np.asarray(to_rgb(color)))


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
            [_lighten(colors[0], 0.5), (1.0, 1.0, 1.0), _lighten(colors[1], 0.5)],
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
        cbar.set_label(f"P({class_names[1]})", fontsize=_LABEL_SIZE)
        cbar.ax.tick_params(labelsize=_TICK_SIZE)
        # contour() warns when a level is never crossed, e.g. a model that predicts one class.
        if p1.min() < 0.5 < p1.max():
            ax.contour(GX, GY, p1, levels=[0.5], colors=_DARK, linewidths=2.0, zorder=2)
            cbar.ax.axhline(0.5, color=_DARK, lw=2.0)
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
            ax.contour(GX, GY, margin, levels=[0.0], colors=_DARK, linewidths=1.8, zorder=2)


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
        ax.axvline(x_b, color=_DARK, lw=1.8, ls="--", zorder=3)
        ax.annotate(
            f"x = {x_b:.3g}",
            xy=(x_b, 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=_NOTE_SIZE,
            color=_DARK,
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
                edgecolors=_DARK,
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

    grey = {"markerfacecolor": "#BBBBBB", "markeredgecolor": _DARK}
    handles = [marker("o", "train", **grey)]
    if has_test:
        handles.append(marker("^", "test", **grey))
    handles.append(marker("x", f"misclassified ({n_wrong})", color="black", mew=1.6))
    return handles
