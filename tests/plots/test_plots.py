"""Tests for plots: figures are rendered to PNG and checked pixel-, text- and geometry-wise.

The models are tiny hand-written softmax-of-a-linear-map functions, so these tests do not depend on
the rest of the package.
"""

import io
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest
from conftest import assert_not_blank
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.contour import ContourSet
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Patch

from cetrain import plots
from cetrain.plots import OKABE_ITO, class_colors, decision_boundary, loss_curve
from cetrain.plots.style import DARK

# --- helpers ---------------------------------------------------------------------------------


def softmax_model(W, b):
    """predict_proba of softmax(X @ W + b), W of shape (d, C)."""
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)

    def predict_proba(X):
        S = X @ W + b
        S = S - S.max(axis=1, keepdims=True)
        E = np.exp(S)
        return E / E.sum(axis=1, keepdims=True)

    return predict_proba


def render(fig):
    """The figure as an (H, W, 4) float RGBA array, decoded from an in-memory PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    buf.seek(0)
    return matplotlib.image.imread(buf, format="png")


def legend_texts(fig):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def legend_handles(fig):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [h for legend in legends for h in legend.legend_handles]


def swatch_colors(fig):
    """Face colours of the legend's class swatches, in legend order."""
    return [h.get_facecolor() for h in legend_handles(fig) if isinstance(h, Patch)]


def scatters(ax):
    """The filled point markers (not the rings around misclassified points)."""
    return [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_facecolors())]


def rings(ax):
    """The dark rings around misclassified points (each on a white halo)."""
    hollow = [
        c for c in ax.collections if isinstance(c, PathCollection) and not len(c.get_facecolors())
    ]
    return [c for c in hollow if np.allclose(c.get_edgecolors()[0], to_rgba(DARK))]


def is_marker(collection, marker):
    style = MarkerStyle(marker)
    expected = style.get_path().transformed(style.get_transform()).vertices
    got = collection.get_paths()[0].vertices
    return got.shape == expected.shape and np.allclose(got, expected)


def pixel_at(image, ax, x, y):
    """RGB of the rendered image at data coordinates (x, y)."""
    px, py = ax.transData.transform((x, y))
    height = image.shape[0]
    return image[round(height - py), round(px), :3]


def contour_vertices(ax):
    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    return sets, np.vstack([p.vertices for cs in sets for p in cs.get_paths()])


# Binary model whose boundary is x1 = 0: P(class 1) = sigmoid(4 x1).
BINARY = softmax_model([[0.0, 4.0], [0.0, 0.0]], [0.0, 0.0])
# 1-D three-class model: scores -2x, 1, 2x tie at x = -0.5 (low/mid) and x = 0.5 (mid/high).
THREE_1D = softmax_model([[-2.0, 0.0, 2.0]], [0.0, 1.0, 0.0])


@pytest.fixture
def binary_data():
    """Points around the x1 = 0 boundary: 3 train and 1 test point are on the wrong side."""
    X_train = np.array(
        [
            [-2.0, -1.0],
            [-1.5, 1.0],
            [-1.0, 0.5],
            [1.0, -0.5],
            [2.0, 1.0],
            [1.5, -1.0],
            [0.5, 0.8],
            [0.7, -0.2],
            [-0.6, -0.9],
        ]
    )
    y_train = np.array([0, 0, 0, 1, 1, 1, 0, 0, 1])  # last three are misclassified
    X_test = np.array([[-1.8, 0.0], [1.8, 0.2], [-0.4, 1.2]])
    y_test = np.array([0, 1, 1])  # the last one is misclassified
    return X_train, y_train, X_test, y_test


def binary_figure(data):
    return decision_boundary(
        BINARY, *data, class_names=["cat", "dog"], feature_names=["x1", "x2"], resolution=80
    )


def three_class_figure(resolution, class_names=("setosa", "versicolor", "virginica")):
    """Three well-separated blobs, a nearest-centre softmax model and its figure."""
    centers = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    rng = np.random.default_rng(1)
    X = np.vstack([c + 0.7 * rng.standard_normal((15, 2)) for c in centers])
    y = np.repeat(np.arange(3), 15)
    model = softmax_model(centers.T, -0.5 * (centers**2).sum(axis=1))
    fig = decision_boundary(
        model,
        X[::2],
        y[::2],
        X[1::2],
        y[1::2],
        class_names=class_names,
        feature_names=["a", "b"],
        resolution=resolution,
    )
    return model, fig


# --- palette ---------------------------------------------------------------------------------


def test_okabe_ito_is_the_eight_colours_with_black_last():
    assert OKABE_ITO == (
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
        "#000000",
    )


def test_class_colors_use_okabe_ito_first_and_never_black():
    assert class_colors(2) == ["#E69F00", "#56B4E9"]
    assert class_colors(7) == list(OKABE_ITO[:7])
    assert "#000000" not in class_colors(40)


@pytest.mark.parametrize("n", [8, 10, 27, 60])
def test_class_colors_are_distinct_and_a_prefix_of_one_sequence(n):
    colors = class_colors(n)
    assert len(colors) == n
    assert len(set(colors)) == n
    # Class k keeps its colour whatever the number of classes.
    assert class_colors(n + 5)[:n] == colors
    assert all(len(c) == 7 and c.startswith("#") for c in colors)


def test_classes_named_after_colours_get_their_own_colour():
    # green is Okabe–Ito's bluish green and red its vermillion, whatever the class order
    assert class_colors(2, ["green", "red"]) == [OKABE_ITO[2], OKABE_ITO[5]]
    assert class_colors(2, ["Red", " green"]) == [OKABE_ITO[5], OKABE_ITO[2]]
    # one name that is not a colour, or two names for one colour: the usual sequence
    assert class_colors(2, ["green", "cat"]) == class_colors(2)
    assert class_colors(2, ["red", "vermillion"]) == class_colors(2)


def test_class_colors_rejects_no_classes():
    with pytest.raises(ValueError, match="at least 1"):
        class_colors(0)


# --- loss_curve ------------------------------------------------------------------------------


def test_loss_curve_draws_train_solid_test_dashed_with_final_values():
    epochs = np.arange(30)
    history = {
        "train_loss": list(0.7 * np.exp(-epochs / 5) + 0.05),
        "test_loss": list(0.8 * np.exp(-epochs / 6) + 0.1),
    }
    fig = loss_curve(history["train_loss"], history["test_loss"], loss_name="cross-entropy (nats)")
    assert_not_blank(render(fig))
    (ax,) = fig.axes
    assert ax.get_title() == "Training and test loss"
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "cross-entropy (nats)"
    assert legend_texts(fig) == ["train", "test"]
    assert ax.get_yscale() == "linear"

    curves = {
        line.get_label(): line for line in ax.get_lines() if line.get_label() in {"train", "test"}
    }
    assert curves["train"].get_linestyle() == "-"
    assert curves["test"].get_linestyle() == "--"
    np.testing.assert_array_equal(curves["train"].get_xdata(), epochs)
    np.testing.assert_allclose(curves["test"].get_ydata(), history["test_loss"])

    notes = {t.get_text() for t in ax.texts}
    assert notes == {
        f"train {history['train_loss'][-1]:#.3g}",
        f"test {history['test_loss'][-1]:#.3g}",
    }


@pytest.mark.parametrize(
    ("train", "scale"),
    [
        ([10.0, 1.0, 0.1, 0.001], "log"),  # four decades
        ([1.0, 0.5, 0.2, 0.05], "linear"),  # under two decades
        ([100.0, 10.0, 0.0, 0.0], "linear"),  # wide but reaches zero: log impossible
    ],
)
def test_loss_curve_uses_log_scale_only_for_wide_positive_ranges(train, scale):
    fig = loss_curve(train, loss_name="MSE")
    assert fig.axes[0].get_yscale() == scale


@pytest.mark.parametrize(
    "test_loss", ["absent", None, [], [float("nan")] * 4], ids=["absent", "None", "empty", "nan"]
)
def test_loss_curve_without_a_test_set_shows_train_only(test_loss):
    train = [0.9, 0.5, 0.3, 0.2]
    if test_loss == "absent":
        fig = loss_curve(train, loss_name="MSE", title="Run 7")
    else:
        fig = loss_curve(train, test_loss, loss_name="MSE", title="Run 7")
    assert_not_blank(render(fig))
    ax = fig.axes[0]
    assert ax.get_title() == "Run 7"
    assert legend_texts(fig) == ["train"]
    assert [t.get_text() for t in ax.texts] == ["train 0.200"]


def test_loss_curve_rejects_test_loss_of_another_length():
    with pytest.raises(ValueError, match=r"^test_loss has 2 values but train_loss has 3"):
        loss_curve([3, 2, 1], [3, 2], loss_name="MSE")


def test_loss_curve_rejects_empty_train_loss():
    with pytest.raises(ValueError, match="empty"):
        loss_curve([], loss_name="MSE")


# --- decision_boundary, two features ---------------------------------------------------------


def test_binary_boundary_is_the_half_contour_at_x1_zero(binary_data):
    fig = binary_figure(binary_data)
    image = render(fig)
    assert_not_blank(image)
    ax, cbar_ax = fig.axes
    assert ax.get_title() == "Decision boundary"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    assert cbar_ax.get_ylabel() == "P(dog)"

    sets, vertices = contour_vertices(ax)
    assert [list(cs.levels) for cs in sets] == [[0.5]]
    step = np.diff(ax.get_xlim())[0] / 80
    assert np.abs(vertices[:, 0]).max() < step
    # The line crosses the whole plot from bottom to top.
    y_lo, y_hi = ax.get_ylim()
    assert vertices[:, 1].min() == pytest.approx(y_lo) and vertices[:, 1].max() == pytest.approx(
        y_hi
    )

    # Shading runs from class 0's colour through white to class 1's colour.
    cmap = ax.get_images()[0].get_cmap()
    np.testing.assert_allclose(cmap(0.5)[:3], 1.0, atol=0.01)
    for end, color in ((0.0, class_colors(2)[0]), (1.0, class_colors(2)[1])):
        towards_white = 1.0 - np.array(cmap(end)[:3])
        ratio = towards_white / (1.0 - np.array(to_rgb(color)))
        assert ratio.min() > 0.2 and np.ptp(ratio) < 0.02  # the same hue, lightened
    np.testing.assert_allclose(pixel_at(image, ax, -2.2, 0.5), cmap(0.0)[:3], atol=0.02)
    np.testing.assert_allclose(pixel_at(image, ax, 2.2, 0.0), cmap(1.0)[:3], atol=0.02)


def test_legend_counts_misclassified_points_and_rings_them(binary_data):
    fig = binary_figure(binary_data)
    assert legend_texts(fig) == [
        "cat",
        "dog",
        "train",
        "test",
        "misclassified (4)",
        "decision boundary",
    ]
    (ring,) = rings(fig.axes[0])
    expected = [[0.5, 0.8], [0.7, -0.2], [-0.6, -0.9], [-0.4, 1.2]]
    assert sorted(map(tuple, ring.get_offsets())) == sorted(map(tuple, expected))
    # each ring is wider than its point, which keeps its class colour under it
    X_train, y_train, X_test, y_test = binary_data
    X, y = np.vstack([X_train, X_test]), np.concatenate([y_train, y_test])
    point_sizes = {
        tuple(xy): s
        for c in scatters(fig.axes[0])
        for xy, s in zip(
            c.get_offsets(), np.broadcast_to(c.get_sizes(), len(c.get_offsets())), strict=True
        )
    }
    for xy, size in zip(ring.get_offsets(), ring.get_sizes(), strict=True):
        assert size > 1.5 * point_sizes[tuple(xy)]
    colors = class_colors(2)
    for c in scatters(fig.axes[0]):
        for xy, face in zip(c.get_offsets(), c.get_facecolors(), strict=True):
            row = int(np.flatnonzero(np.all(X == xy, axis=1))[0])
            np.testing.assert_allclose(face, to_rgba(colors[y[row]]))


def test_points_are_coloured_by_true_class_train_circles_test_triangles(binary_data):
    X_train, y_train, X_test, y_test = binary_data
    fig = binary_figure(binary_data)
    colors = class_colors(2)
    for marker, X, y in (("o", X_train, y_train), ("^", X_test, y_test)):
        (points,) = [c for c in scatters(fig.axes[0]) if is_marker(c, marker)]
        np.testing.assert_array_equal(points.get_offsets(), X)
        np.testing.assert_allclose(points.get_facecolors(), [to_rgba(colors[k]) for k in y])


def test_multiclass_boundaries_lie_where_the_top_two_classes_tie():
    model, fig = three_class_figure(resolution=100)
    assert_not_blank(render(fig))
    (ax,) = fig.axes  # no colorbar for more than two classes
    _, vertices = contour_vertices(ax)
    assert len(vertices) > 100
    top_two = np.sort(model(vertices), axis=1)[:, -2:]
    assert np.abs(top_two[:, 1] - top_two[:, 0]).max() < 0.05
    # All three pairwise boundaries are drawn: the vertices reach every class pair's tie line.
    winners = {tuple(sorted(np.argsort(p)[-2:])) for p in model(vertices)}
    assert winners == {(0, 1), (0, 2), (1, 2)}

    # Each cell is its argmax class's colour, lightened less where the model is more confident.
    shading = ax.get_images()[0].get_array()
    res = shading.shape[0]
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()

    def strength(x, y, k):
        col = int((x - x_lo) / (x_hi - x_lo) * (res - 1))
        row = int((y - y_lo) / (y_hi - y_lo) * (res - 1))
        ratio = (1.0 - shading[row, col]) / (1.0 - np.array(to_rgb(class_colors(3)[k])))
        assert np.ptp(ratio) < 0.02  # the hue of class k
        return ratio.mean()

    assert strength(-1.0, -1.0, 0) > strength(1.9, 1.5, 0) + 0.2
    assert strength(x_hi, y_lo, 1) > 0.4
    assert strength(x_lo, y_hi, 2) > 0.4


def test_class_colours_are_the_same_in_every_figure_of_a_run():
    names = ["low", "mid", "high"]
    _, two_d = three_class_figure(resolution=30, class_names=names)
    x = np.linspace(-2, 2, 12)[:, None]
    one_d = decision_boundary(
        THREE_1D,
        x,
        THREE_1D(x).argmax(axis=1),
        x[:0],
        np.zeros(0, dtype=int),
        class_names=names,
        feature_names=["t"],
        resolution=30,
    )
    expected = [to_rgba(c) for c in class_colors(3)]
    assert swatch_colors(two_d) == expected
    assert swatch_colors(one_d) == expected
    curve_colors = [
        to_rgba(line.get_color()) for line in one_d.axes[0].get_lines() if len(line.get_xdata()) > 2
    ]
    assert curve_colors == expected
    # A binary run's two classes keep the first two colours.
    assert class_colors(2) == class_colors(3)[:2]


def test_more_than_two_features_are_held_at_their_training_mean():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(20, 4)) + np.array([0.0, 5.0, 0.0, -3.0])
    y_train = (X_train[:, 2] > 0).astype(int)
    calls = []
    inner = softmax_model(np.column_stack([np.zeros(4), [0.5, 0.1, 2.0, 0.3]]), [0.0, 0.0])

    def model(X):
        calls.append(X.copy())
        return inner(X)

    fig = decision_boundary(
        model,
        X_train,
        y_train,
        X_train[:0],
        y_train[:0],
        class_names=["no", "yes"],
        feature_names=["a", "b", "c", "d"],
        plot_features=(2, 0),
        resolution=25,
    )
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("c", "a")
    title = ax.get_title().replace("\n", " ")
    assert title.startswith("Decision boundary")
    assert "c vs a" in title
    assert "the other 2 features (b, d) are held at their mean" in title

    grid = max(calls, key=len)
    assert grid.shape == (25 * 25, 4)
    np.testing.assert_allclose(grid[:, [1, 3]], np.tile(X_train[:, [1, 3]].mean(axis=0), (625, 1)))
    assert np.ptp(grid[:, 2]) > np.ptp(X_train[:, 2])  # the padded range of the plotted columns
    assert np.ptp(grid[:, 0]) > np.ptp(X_train[:, 0])


def test_three_features_title_uses_the_singular_and_two_features_say_nothing():
    X = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 2.0], [2.0, 0.0, 3.0]])
    y = np.array([0, 1, 1])
    model = softmax_model(np.column_stack([np.zeros(3), [1.0, 0.0, 0.0]]), [0.0, -1.0])
    fig = decision_boundary(
        model,
        X,
        y,
        X[:0],
        y[:0],
        class_names=["n", "p"],
        feature_names=["u", "v", "w"],
        resolution=20,
    )
    assert "the other feature (w) is held at its mean" in fig.axes[0].get_title().replace("\n", " ")
    model2 = softmax_model([[0.0, 1.0], [0.0, 0.0]], [0.0, -1.0])
    fig2 = decision_boundary(
        model2,
        X[:, :2],
        y,
        X[:0, :2],
        y[:0],
        class_names=["n", "p"],
        feature_names=["u", "v"],
        resolution=20,
    )
    assert fig2.axes[0].get_title() == "Decision boundary"


def test_ten_classes_get_ten_colours_and_one_call_on_the_whole_grid():
    rng = np.random.default_rng(3)
    centers = rng.normal(scale=4.0, size=(10, 2))
    X = np.vstack([c + rng.standard_normal((8, 2)) for c in centers])
    y = np.repeat(np.arange(10), 8)
    inner = softmax_model(centers.T, -0.5 * (centers**2).sum(axis=1))
    sizes = []

    def model(Z):
        sizes.append(len(Z))
        return inner(Z)

    fig = decision_boundary(
        model,
        X,
        y,
        X[:0],
        y[:0],
        class_names=[f"digit {k}" for k in range(10)],
        feature_names=["pc1", "pc2"],
        resolution=200,
    )
    assert sorted(sizes) == [len(X), 200 * 200]
    assert_not_blank(render(fig))
    swatches = swatch_colors(fig)
    assert swatches == [to_rgba(c) for c in class_colors(10)]
    assert len(set(swatches)) == 10
    assert legend_texts(fig)[:10] == [f"digit {k}" for k in range(10)]


# --- decision_boundary, one feature ----------------------------------------------------------


def test_one_feature_binary_boundary_line_is_at_the_half_probability():
    model = softmax_model([[0.0, 2.0]], [0.0, -3.0])  # P(pass) = sigmoid(2 (x - 1.5))
    X_train = np.array([[-1.0], [0.0], [1.0], [2.0], [3.0], [4.0], [1.2]])
    y_train = np.array([0, 0, 0, 1, 1, 1, 1])
    X_test = np.array([[0.5], [2.5]])
    y_test = np.array([1, 1])
    fig = decision_boundary(
        model,
        X_train,
        y_train,
        X_test,
        y_test,
        class_names=["fail", "pass"],
        feature_names=["hours"],
        resolution=50,
    )
    assert_not_blank(render(fig))
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("hours", "P(pass)")
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    (boundary,) = dashed
    x_b = boundary.get_xdata()[0]
    assert x_b == pytest.approx(1.5, abs=1e-4)
    assert "x = 1.5" in [t.get_text() for t in ax.texts]

    # Points sit at their target probability: 1 for class 1, 0 for class 0.
    for marker, X, y in (("o", X_train, y_train), ("^", X_test, y_test)):
        (points,) = [c for c in scatters(ax) if is_marker(c, marker)]
        np.testing.assert_array_equal(points.get_offsets(), np.column_stack([X[:, 0], y]))
    assert "misclassified (2)" in legend_texts(fig)  # x = 1.2 (class 1) and x = 0.5 (class 1)


def test_one_feature_multiclass_has_a_boundary_at_each_argmax_change():
    x = np.array([-2.0, -1.5, -1.0, -0.25, 0.0, 0.25, 1.0, 1.5, 2.0])[:, None]
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])  # x = 0.25 is "mid" to the model
    fig = decision_boundary(
        THREE_1D,
        x,
        y,
        x[:3] + 0.1,
        y[:3],
        class_names=["low", "mid", "high"],
        feature_names=["t"],
        resolution=40,
    )
    ax = fig.axes[0]
    boundaries = sorted(
        line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"
    )
    np.testing.assert_allclose(boundaries, [-0.5, 0.5], atol=1e-4)
    assert ax.get_ylabel() == "predicted probability"
    # Points are stacked in one row per class, below the probability curves.
    (train,) = [c for c in scatters(ax) if is_marker(c, "o")]
    heights = train.get_offsets()[:, 1]
    rows = [set(heights[y == k]) for k in range(3)]  # by true class
    assert all(len(r) == 1 for r in rows)
    assert len(set.union(*rows)) == 3 and max(heights) < 0
    assert "misclassified (1)" in legend_texts(fig)


# --- no test set, bad input, no pyplot -------------------------------------------------------


@pytest.mark.parametrize("n_features", [1, 2])
@pytest.mark.parametrize("empty_shape", ["rows", "flat"])
def test_an_empty_test_set_draws_no_test_markers_and_no_test_entry(n_features, empty_shape):
    X_train = np.array([[-1.0, 0.5], [-0.5, -1.0], [1.0, 0.0], [2.0, 1.0]])[:, :n_features]
    y_train = np.array([0, 0, 1, 1])
    X_test = np.empty((0, n_features)) if empty_shape == "rows" else np.empty(0)
    model = softmax_model(np.column_stack([np.zeros(n_features), np.eye(n_features)[0]]), [0, 0])
    fig = decision_boundary(
        model,
        X_train,
        y_train,
        X_test,
        np.empty(0, dtype=int),
        class_names=["a", "b"],
        feature_names=["f", "g"][:n_features],
        resolution=30,
    )
    assert_not_blank(render(fig))
    assert legend_texts(fig) == ["a", "b", "train", "misclassified (0)", "decision boundary"]
    assert not [c for c in scatters(fig.axes[0]) if is_marker(c, "^")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"predict_proba": lambda X: np.ones((len(X), 3)) / 3}, r"shape \(\d+, 3\).*\(\d+, 2\)"),
        ({"y_train": np.array([0, 2, 1])}, "class indices in 0..1"),
        ({"y_train": np.array([0, 1])}, "2 labels for 3 rows"),
        ({"plot_features": (1, 1)}, "two different columns"),
        ({"feature_names": ["only one"]}, "2 columns but feature_names has 1"),
        ({"X_test": np.zeros((1, 3)), "y_test": np.array([0])}, r"shape \(n, 2\)"),
        ({"resolution": 1}, "at least 2"),
    ],
)
def test_bad_inputs_raise_value_errors_that_say_what_is_wrong(change, message):
    args = {
        "predict_proba": BINARY,
        "X_train": np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]]),
        "y_train": np.array([0, 1, 0]),
        "X_test": np.empty((0, 2)),
        "y_test": np.empty(0, dtype=int),
        "class_names": ["a", "b"],
        "feature_names": ["f", "g"],
        "resolution": 10,
    } | change
    with pytest.raises(ValueError, match=message):
        decision_boundary(**args)


def test_building_figures_never_imports_pyplot():
    # A fresh interpreter, so that only what cetrain.plots itself imports is under test.
    code = (
        "import sys, numpy as np\n"
        "from cetrain import plots\n"
        "fig = plots.loss_curve([1.0, 0.5], loss_name='MSE')\n"
        "assert fig.canvas.manager is None\n"
        "X = np.array([[0.0, 0.0], [1.0, 1.0]])\n"
        "p = lambda Z: np.column_stack([1 - Z[:, 0] / 9, Z[:, 0] / 9]).clip(0, 1)\n"
        "plots.decision_boundary(p, X, np.array([0, 1]), X[:0], np.zeros(0, int),\n"
        "    class_names=['a', 'b'], feature_names=['f', 'g'], resolution=5)\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- the epoch axis


def front_loaded(n: int, reached: int) -> np.ndarray:
    """A loss from 1 to 0 over n + 1 epochs that has made 90% of its decrease at `reached`."""
    epochs = np.arange(n + 1)
    return np.where(
        epochs < reached, 1 - 0.9 * epochs / reached, 0.1 * (n - epochs) / max(n - reached, 1)
    )


@pytest.mark.parametrize(
    ("curves", "axis"),
    [
        ([front_loaded(400, 40)], "log"),  # 90% of the decrease by 10% of the epochs
        ([front_loaded(400, 41)], "linear"),  # just after
        ([front_loaded(19, 1)], "linear"),  # too few epochs for a log axis
        ([np.linspace(1, 2, 100)], "linear"),  # no decrease
        ([[1.0, 0.5, *[np.inf] * 98]], "linear"),  # diverged: no finite end below the start
        # a short run beside a long one: front-loaded on the shared axis
        ([front_loaded(80, 40), front_loaded(1200, 600)], "log"),
        ([front_loaded(1200, 600), front_loaded(1100, 600)], "linear"),
    ],
)
def test_auto_epoch_axis_is_log_when_the_decrease_is_front_loaded(curves, axis):
    assert plots.choose_epoch_axis(curves, "auto") == axis
    assert plots.choose_epoch_axis(curves, "linear") == "linear"
    assert plots.choose_epoch_axis(curves, "log") == "log"


def test_a_log_epoch_axis_keeps_epoch_zero_and_says_so():
    fig = plots.loss_curve(front_loaded(400, 20), loss_name="loss")
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlabel() == "epoch (log scale)"
    assert ax.get_xlim()[0] == 0 and ax.get_lines()[0].get_xdata()[0] == 0
    linear = plots.loss_curve(front_loaded(400, 20), loss_name="loss", epoch_axis="linear")
    assert (linear.axes[0].get_xscale(), linear.axes[0].get_xlabel()) == ("linear", "epoch")
    with pytest.raises(ValueError, match="epoch_axis must be auto, log or linear"):
        plots.choose_epoch_axis([[1.0]], "logarithmic")


@pytest.mark.parametrize(
    ("n_classes", "expected"),
    [
        # cross-entropy keeps its blue; hinge takes no class's colour and not the other blue
        (2, {"cross-entropy": ("#0072B2", "-"), "hinge": ("#CC79A7", "-")}),
        # with five classes blue is a class colour: both take spares
        (5, {"cross-entropy": ("#CC79A7", "-"), "hinge": ("#000000", "-")}),
    ],
)
def test_curve_colours_are_never_a_class_colour(n_classes, expected):
    classes = plots.class_colors(n_classes)
    styles = plots.curve_styles(["cross-entropy", "hinge"], classes)
    assert styles == expected
    assert not {color for color, _ in styles.values()} & set(classes)


def test_with_no_colour_left_the_curves_are_black_and_dashed():
    names = ["cross-entropy", "mse", "focal", "hinge"]
    styles = plots.curve_styles(names, plots.class_colors(10))
    assert list(styles.values()) == [
        ("#000000", "-"),
        ("#000000", "--"),
        ("#000000", ":"),
        ("#000000", "-."),
    ]
