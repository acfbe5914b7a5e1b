"""Every figure cetrain makes can go on a slide as it is: each plot has a title, labelled axes
and a legend (its own or its figure's), and the figure renders with real content."""

import io

import matplotlib.colors
import matplotlib.image
import numpy as np
import pytest
from conftest import assert_not_blank
from matplotlib.contour import ContourSet

from cetrain import plots
from cetrain.data import load_dataset
from cetrain.estimators import MultiLabelRegression
from cetrain.estimators.history import History
from cetrain.runs.compare import compare
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train
from cetrain.teach import landscape, saturation
from cetrain.teach.landscape_figure import landscape_figure
from cetrain.teach.saturation_figure import saturation_figure


def boundary_arguments(result):
    estimator = result.pipeline.estimator
    return (
        result.pipeline.predict_proba,
        result.X_train,
        estimator.class_index(result.y_train),
        result.X_test,
        estimator.class_index(result.y_test),
    ), {
        "class_names": [str(c) for c in estimator.classes_],
        "feature_names": result.dataset.feature_names,
        "plot_features": result.plot_features,
    }


def figure_of(kind: str):
    if kind == "loss_curve":
        result = train(resolve_settings({"data": "moons", "n_samples": 60}))
        history = result.history
        return plots.loss_curve(
            history.train_loss, history.val_loss, loss_name="cross-entropy (nats)"
        )
    if kind in ("boundary-binary", "boundary-softmax", "boundary-1d"):
        data = {"boundary-binary": "moons", "boundary-softmax": "iris", "boundary-1d": "line"}
        args, kwargs = boundary_arguments(train(resolve_settings({"data": data[kind]})))
        return plots.decision_boundary(*args, resolution=40, **kwargs)
    if kind == "comparison":
        comparison = compare(
            resolve_settings({"data": "moons", "n_samples": 60}), ["cross-entropy", "mse"]
        )
        runs = comparison.runs
        args, kwargs = boundary_arguments(runs["mse"])
        return plots.comparison_figure(
            {loss: run.history for loss, run in runs.items()},
            {loss: run.pipeline.predict_proba for loss, run in runs.items()},
            *args[1:],
            **kwargs,
        )
    if kind == "landscape":
        data = landscape.one_feature_data("line")
        return landscape_figure(landscape.compute_landscape(data, epochs=40, points=31))
    if kind == "saturation":
        return saturation_figure(saturation.saturation_demo(epochs=60))
    raise AssertionError(kind)


KINDS = [
    "loss_curve",
    "boundary-binary",
    "boundary-softmax",
    "boundary-1d",
    "comparison",
    "landscape",
    "saturation",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_plot_has_a_title_labelled_axes_and_a_legend(kind):
    fig = figure_of(kind)
    plots_drawn = [ax for ax in fig.get_axes() if ax.get_label() != "<colorbar>"]
    assert plots_drawn
    for ax in plots_drawn:
        assert ax.get_title().strip(), f"{kind}: a plot without a title"
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), f"{kind}: unlabelled axes"
        legends = [ax.get_legend(), *getattr(ax.figure, "legends", [])]
        assert any(legend is not None and legend.get_texts() for legend in legends), (
            f"{kind}: '{ax.get_title()}' has no legend"
        )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    buffer.seek(0)
    assert_not_blank(matplotlib.image.imread(buffer, format="png"))


@pytest.mark.parametrize("kind", ["comparison", "landscape", "saturation"])
def test_a_loss_has_the_same_colour_in_every_figure(kind):
    fig = figure_of(kind)
    colours = {}
    for ax in fig.get_axes():
        for line in ax.get_lines():
            label = line.get_label().lower()
            for loss in ("cross-entropy", "mse"):
                if label.startswith(loss):
                    colours.setdefault(loss, set()).add(matplotlib.colors.to_hex(line.get_color()))
    assert colours, f"{kind}: no line is labelled with a loss"
    for loss, seen in colours.items():
        assert seen == {plots.LOSS_COLORS[loss].lower()}, (kind, loss, seen)
    # and the two colours are Okabe–Ito's, told apart by colour-blind viewers
    assert set(plots.LOSS_COLORS.values()) <= set(plots.OKABE_ITO)
    assert len(set(plots.LOSS_COLORS.values())) == len(plots.LOSS_COLORS)


# --------------------------------------------------------------------------- label_boundaries


def independent_sigmoids(W, b):
    """predict_proba of a multi-label model: sigmoid(X @ W + b) per label, W of shape (d, C)."""
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    return lambda X: 1.0 / (1.0 + np.exp(-(np.asarray(X, dtype=float) @ W + b)))


def png_of(fig, dpi: int = 30) -> np.ndarray:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    buffer.seek(0)
    return matplotlib.image.imread(buffer, format="png")


def panel_axes(panel):
    """The boundary axes and the colorbar axes of one decision_boundary panel."""
    (ax,) = [ax for ax in panel.axes if ax.get_label() != "<colorbar>"]
    (bar,) = [ax for ax in panel.axes if ax.get_label() == "<colorbar>"]
    return ax, bar


LB_X = np.random.default_rng(3).normal(size=(48, 2)) * [1.0, 2.0] + [0.5, -1.0]
LB_W = np.array([[2.0, 0.0, 1.0, -1.0, 0.5], [0.0, 1.0, 1.0, 0.5, -0.5]])
LB_B = np.array([0.0, 0.5, -0.5, 0.2, 0.0])


@pytest.mark.parametrize(
    ("n_labels", "rows", "columns"), [(1, 1, 1), (2, 1, 2), (3, 2, 2), (5, 3, 2)]
)
def test_label_boundaries_draws_one_binary_panel_per_label_two_per_row(n_labels, rows, columns):
    proba = independent_sigmoids(LB_W[:, :n_labels], LB_B[:n_labels])
    noise = np.random.default_rng(n_labels).uniform(size=(len(LB_X), n_labels))
    Y = (proba(LB_X) > noise).astype(int)
    names = ["rock", "pop", "jazz", "folk", "blues"][:n_labels]
    resolution = 12
    fig = plots.label_boundaries(
        proba,
        LB_X[:36],
        Y[:36],
        LB_X[36:],
        Y[36:],
        label_names=names,
        feature_names=["tempo", "energy"],
        title="Genres: one boundary per label",
        resolution=resolution,
    )
    assert fig.get_suptitle() == "Genres: one boundary per label"
    # each panel as large as a decision_boundary figure, two side by side
    np.testing.assert_array_equal(fig.get_size_inches(), [9 * columns, 6 * rows])
    assert len(fig.subfigs) == rows * columns
    assert [panel.get_visible() for panel in fig.subfigs] == [True] * n_labels + [False] * (
        rows * columns - n_labels
    )
    # one boundary axes (and its colorbar) per label, nothing else
    drawn = [ax for ax in fig.get_axes() if ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in drawn] == [f"label {name}" for name in names]

    # the image is P(label k) on the grid: panel k really shows column k of predict_proba
    lo, hi = LB_X.min(axis=0), LB_X.max(axis=0)
    pad = 0.08 * (hi - lo)
    for k, (panel, name) in enumerate(zip(fig.subfigs, names, strict=False)):
        ax, bar = panel_axes(panel)
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("tempo", "energy")
        assert bar.get_ylabel() == f"P({name})"
        (image,) = ax.images
        np.testing.assert_allclose(
            image.get_extent(), [lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]]
        )
        x_lo, x_hi, y_lo, y_hi = image.get_extent()
        GX, GY = np.meshgrid(
            np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution)
        )
        expected = proba(np.column_stack([GX.ravel(), GY.ravel()]))[:, k]
        np.testing.assert_allclose(
            np.asarray(image.get_array()), expected.reshape(resolution, resolution), atol=1e-12
        )
        # binary classes "not label" / "label"; the crosses count this label's mistakes
        wrong = int(np.sum((proba(LB_X)[:, k] > 0.5) != (Y[:, k] == 1)))
        (legend,) = panel.legends
        assert [t.get_text() for t in legend.get_texts()] == [
            f"not {name}",
            name,
            "train",
            "test",
            f"misclassified ({wrong})",
            "decision boundary",
        ]

    # the layout: panel k fills row k // 2, column k % 2 of a rows x columns grid
    for k, panel in enumerate(fig.subfigs):
        row, column = divmod(k, columns)
        box = panel.bbox.transformed(fig.transFigure.inverted())
        np.testing.assert_allclose(
            box.extents,
            [column / columns, 1 - (row + 1) / rows, (column + 1) / columns, 1 - row / rows],
            atol=1e-12,
        )
    # (rendering is slow: the genres test below renders its figure)


def test_label_boundaries_without_a_title_has_no_suptitle():
    proba = independent_sigmoids(LB_W[:, :2], LB_B[:2])
    Y = (proba(LB_X) > 0.5).astype(int)
    fig = plots.label_boundaries(
        proba,
        LB_X,
        Y,
        np.empty((0, 2)),
        np.empty((0, 2)),
        label_names=["a", "b"],
        feature_names=["x", "y"],
        resolution=8,
    )
    assert fig.get_suptitle() == ""
    for panel in fig.subfigs:
        # no test set: no "test" entry, and a perfect model crosses nothing out
        (legend,) = panel.legends
        texts = [t.get_text() for t in legend.get_texts()]
        assert "test" not in texts
        assert "misclassified (0)" in texts


def test_label_boundaries_takes_an_empty_test_set_of_any_shape_and_refuses_bad_labels():
    proba = independent_sigmoids(LB_W[:, :2], LB_B[:2])
    Y = (proba(LB_X) > 0.5).astype(int)
    common = {"feature_names": ["x", "y"], "resolution": 8}
    fig = plots.label_boundaries(
        proba, LB_X, Y, np.empty((0, 2)), np.empty(0), label_names=["a", "b"], **common
    )
    assert len([panel for panel in fig.subfigs if panel.get_visible()]) == 2
    with pytest.raises(ValueError, match=r"^Y_train must be 0/1 label columns of shape \(n, 2\); "):
        plots.label_boundaries(
            proba, LB_X, Y[:, 0], LB_X[:0], Y[:0], label_names=["a", "b"], **common
        )
    with pytest.raises(ValueError, match=r"^label_boundaries needs at least one label name$"):
        plots.label_boundaries(proba, LB_X, Y, LB_X[:0], Y[:0], label_names=[], **common)


@pytest.fixture(scope="module")
def genres_model():
    data = load_dataset("genres")
    model = MultiLabelRegression(max_iter=200).fit(
        data.X[:240], data.y[:240], classes=data.target_names
    )
    return data, model


def test_label_boundaries_of_a_multilabel_model_on_genres(genres_model):
    data, model = genres_model
    assert data.y.shape == (300, 3)
    assert model.target_kind_ == "indicator"
    labels = [str(c) for c in model.classes_]
    assert labels == ["electronic", "rock", "pop"]
    fig = plots.label_boundaries(
        model.predict_proba,
        data.X[:240],
        data.y[:240],
        data.X[240:],
        data.y[240:],
        label_names=labels,
        feature_names=data.feature_names,
        plot_features=(1, 2),
        title="genres: decision boundary of each label",
        resolution=15,
    )
    assert fig.get_suptitle() == "genres: decision boundary of each label"
    np.testing.assert_array_equal(fig.get_size_inches(), [18, 12])  # 3 labels: 2 rows of 2
    assert [panel.get_visible() for panel in fig.subfigs] == [True, True, True, False]
    others = "tempo_bpm, acousticness, valence"
    for panel, label in zip(fig.subfigs, labels, strict=False):
        ax, bar = panel_axes(panel)
        title = ax.get_title()
        assert title.split("\n")[0] == f"label {label}"
        # five features: the other three are held at their mean, and the title says so
        assert " ".join(title.split("\n")[1:]) == (
            f"energy vs danceability; the other 3 features ({others}) are held at their mean"
        )
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("energy", "danceability")
        assert bar.get_ylabel() == f"P({label})"
        # a real boundary: the 0.5 contour of that label's probability is drawn
        assert any(isinstance(c, ContourSet) for c in ax.collections)
    image = png_of(fig, dpi=20)
    assert_not_blank(image)
    # the hidden fourth panel (bottom right) stays white
    height, width = image.shape[:2]
    np.testing.assert_array_equal(image[height // 2 + 2 :, width // 2 + 2 :, :3], 1.0)


# --------------------------------------------------------------------------- comparison_figure


@pytest.mark.parametrize(
    ("compared", "names", "prefix"),
    [
        ("model", ["softmax model", "one-vs-rest sigmoids"], ""),
        ("loss", ["cross-entropy", "mse"], "trained on "),
    ],
)
def test_comparison_figure_names_what_is_compared(compared, names, prefix):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(int)
    epochs = np.arange(6)
    histories = {
        name: History(
            train_loss=0.7 / (1 + epochs * (i + 1)),
            grad_norm=0.5 / (1 + epochs) ** (i + 1),
            val_log_loss=0.69 - 0.05 * (i + 1) * epochs,
            val_accuracy=0.5 + 0.0625 * epochs + 0.03125 * i,
        )
        for i, name in enumerate(names)
    }

    def predictor(scale):
        def predict_proba(X):
            p = 1.0 / (1.0 + np.exp(-scale * X[:, 0]))
            return np.column_stack([1 - p, p])

        return predict_proba

    fig = plots.comparison_figure(
        histories,
        {name: predictor(2.0 + i) for i, name in enumerate(names)},
        X[:30],
        y[:30],
        X[30:],
        y[30:],
        class_names=["no", "yes"],
        feature_names=["x1", "x2"],
        title="Which one?",
        compared=compared,
    )
    curves, boundaries = fig.subfigs
    assert curves.get_suptitle() == "Which one?"
    assert len(curves.axes) == 4
    # one legend for the four panels, with each run's epochs
    (legend,) = curves.legends
    assert legend.get_title().get_text() == ("model" if compared == "model" else "trained on")
    assert [t.get_text() for t in legend.get_texts()] == [f"{name} (5 epochs)" for name in names]
    styles = plots.curve_styles(names, plots.class_colors(2))
    for ax in curves.axes:
        # each curve, then a dot at its last epoch
        lines = ax.get_lines()
        colours = [matplotlib.colors.to_hex(line.get_color()) for line in lines]
        assert colours == [styles[name][0].lower() for name in names for _ in range(2)]
        assert [line.get_xdata()[-1] for line in lines] == [5] * 4
        assert len(lines[1].get_xdata()) == 1 and lines[1].get_marker() == "o"
    assert len(set(colours)) == len(names)
    titles = [panel_axes(panel)[0].get_title() for panel in boundaries.subfigs]
    assert titles == [
        f"{prefix}{name}\ntest accuracy {0.8125 + 0.03125 * i:.3f}, "
        f"log loss {0.69 - 0.25 * (i + 1):.3f}"
        for i, name in enumerate(names)
    ]
    if compared == "model":  # the loss comparison is rendered by the test above
        assert_not_blank(png_of(fig, dpi=20))
