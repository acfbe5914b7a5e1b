"""No text of a figure sits on another: titles, suptitles, axis labels, legends, annotations and
the texts inside the axes are measured by matplotlib's renderer, on data whose class and feature
names are long, and no two of their boxes may intersect."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox

from cetrain import plots
from cetrain.estimators import MultiLabelRegression, SoftmaxRegression
from cetrain.estimators.history import History
from cetrain.runs.evaluation import assess
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.teach import landscape, saturation
from cetrain.teach.landscape_figure import landscape_figure
from cetrain.teach.saturation_figure import saturation_figure

FEATURES = [
    "sepal length of the flower in centimetres",
    "sepal width of the flower in centimetres",
    "petal length measured at the widest point",
    "petal width measured at the widest point",
]
CLASSES = [
    "Iris setosa (the bristle-pointed iris)",
    "Iris versicolor (the harlequin blue flag)",
    "Iris virginica (the Virginia blue flag)",
]
pytestmark = pytest.mark.filterwarnings("ignore:training reached the epoch limit")
TITLE = "Softmax regression on a dataset with a rather long name (degree-2 features)"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=2.0, size=(3, 4))
    y = np.repeat(np.arange(3), 30)
    X = centres[y] + rng.normal(size=(90, 4))
    test = np.arange(90) % 4 == 0
    return X[~test], y[~test], X[test], y[test]


@pytest.fixture(scope="module")
def pipeline(data):
    X_train, y_train, X_test, y_test = data
    names = np.array(CLASSES)
    model = ClassifierPipeline(SoftmaxRegression(max_iter=60), FEATURES)
    return model.fit(X_train, names[y_train], validation_data=(X_test, names[y_test]))


@pytest.fixture(scope="module")
def binary_pipeline(data):
    X_train, y_train, X_test, y_test = data
    names = np.array(CLASSES)[[0, 1, 1]]
    model = ClassifierPipeline(SoftmaxRegression(max_iter=60), FEATURES)
    return model.fit(X_train, names[y_train], validation_data=(X_test, names[y_test]))


def oscillating_history(epochs: int = 400) -> History:
    """A run with too large a step: the loss jumps between decades up to its last epoch."""
    rng = np.random.default_rng(1)
    loss = 10.0 ** rng.uniform(-3, 1.5, size=epochs + 1)
    return History(train_loss=loss, val_loss=loss * 0.8, grad_norm=loss)


def histories(short: int = 80, long: int = 1200) -> dict[str, History]:
    out = {}
    for name, n in (("cross-entropy", short), ("hinge", long)):
        epochs = np.arange(n + 1)
        out[name] = History(
            train_loss=0.7 / (1 + epochs),
            grad_norm=0.5 / (1 + epochs),
            val_log_loss=0.1 + 0.6 / (1 + epochs),
            val_accuracy=np.minimum(0.4 + 0.1 * epochs, 1.0),
        )
    return out


def figure(kind: str, data, pipeline, binary_pipeline):
    X_train, y_train, X_test, y_test = data
    boundary = {
        "class_names": CLASSES,
        "feature_names": FEATURES,
        "plot_features": (2, 3),
        "resolution": 20,
    }
    if kind == "loss_curve":
        history = pipeline.estimator.history_
        return plots.loss_curve(
            history.train_loss, history.val_loss, loss_name="cross-entropy (nats)", title=TITLE
        )
    if kind == "loss_curve_oscillating":  # the final values end where the legend used to be
        history = oscillating_history()
        return plots.loss_curve(
            history.train_loss, history.val_loss, loss_name="cross-entropy (nats)", title=TITLE
        )
    if kind == "decision_boundary":
        return plots.decision_boundary(
            pipeline.predict_proba, X_train, y_train, X_test, y_test, title=TITLE, **boundary
        )
    if kind == "label_boundaries":
        Y_train, Y_test = np.eye(3)[y_train], np.eye(3)[y_test]
        model = MultiLabelRegression(max_iter=30).fit(X_train, Y_train)
        return plots.label_boundaries(
            model.predict_proba,
            X_train,
            Y_train,
            X_test,
            Y_test,
            label_names=CLASSES,
            feature_names=FEATURES,
            plot_features=(2, 3),
            title=TITLE,
            resolution=15,
        )
    if kind == "comparison":
        runs = histories()
        return plots.comparison_figure(
            runs,
            {name: pipeline.predict_proba for name in runs},
            X_train,
            y_train,
            X_test,
            y_test,
            title=f"{TITLE}: cross-entropy vs hinge",
            class_names=CLASSES,
            feature_names=FEATURES,
            plot_features=(2, 3),
            resolution=20,
        )
    if kind == "comparison_iris":  # the three-line titles of configs/iris-ovr-compare.toml
        runs = {
            "softmax model": histories()["cross-entropy"],
            "one-vs-rest sigmoids": histories()["hinge"],
        }
        return plots.comparison_figure(
            runs,
            {name: pipeline.predict_proba for name in runs},
            X_train,
            y_train,
            X_test,
            y_test,
            title="iris, loss cross-entropy: softmax model vs one-vs-rest sigmoids",
            class_names=["setosa", "versicolor", "virginica"],
            feature_names=[
                "sepal length (cm)",
                "sepal width (cm)",
                "petal length (cm)",
                "petal width (cm)",
            ],
            plot_features=(2, 3),
            compared="model",
            resolution=20,
        )
    if kind in ("confusion_matrix", "calibration", "roc"):
        model = binary_pipeline if kind == "roc" else pipeline
        labels = np.array(CLASSES)[[0, 1, 1]] if kind == "roc" else np.array(CLASSES)
        evaluation = assess(model, X_test, labels[y_test])
        return plots.diagnostic_figures(evaluation, title=TITLE)[kind]
    if kind == "calibration_comparison":
        calibration = assess(pipeline, X_test, np.array(CLASSES)[y_test]).calibration
        return plots.reliability_comparison(
            {"cross-entropy": calibration, "mean squared error, for comparison": calibration},
            CLASSES,
            title=f"{TITLE}: calibration on the test rows",
        )
    if kind == "landscape":
        line = landscape.one_feature_data("line")
        return landscape_figure(landscape.compute_landscape(line, epochs=40, points=21))
    if kind == "saturation":
        return saturation_figure(saturation.saturation_demo(epochs=60))
    raise AssertionError(kind)


def text_boxes(fig, renderer) -> list[tuple[str, Bbox]]:
    """(description, window extent) of every visible, non-empty text artist of fig and its
    subfigures: suptitles, figure legends and texts, and per axes the titles, axis labels,
    legend and the texts and annotations drawn inside."""
    boxes = []

    def add(name, artist):
        if artist is None or not artist.get_visible():
            return
        if hasattr(artist, "get_text") and not artist.get_text().strip():
            return
        boxes.append((name, artist.get_window_extent(renderer)))

    def visit(container, where):
        for legend in container.legends:
            add(f"{where} legend", legend)
        for text in container.texts:  # the suptitle among them
            add(f"{where} text {text.get_text()!r}", text)
        for ax in container.axes:
            if not ax.get_visible() or ax.get_figure(root=False) is not container:
                continue  # a subfigure's axes are visited with the subfigure
            name = f"{where} axes {ax.get_title()!r}"[:80]
            for title in (ax.title, ax._left_title, ax._right_title):
                add(f"{name} title", title)
            add(f"{name} xlabel", ax.xaxis.label)
            add(f"{name} ylabel", ax.yaxis.label)
            add(f"{name} legend", ax.get_legend())
            for text in ax.texts:
                add(f"{name} text {text.get_text()!r}", text)
        for index, sub in enumerate(container.subfigs):
            if sub.get_visible():
                visit(sub, f"{where}/subfigure {index}")

    visit(fig, "figure")
    return boxes


def drawn(fig):
    """fig on an Agg canvas, drawn once (constrained layout done), and its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def collisions(fig) -> list[str]:
    return overlaps(text_boxes(fig, drawn(fig)))


def overlaps(boxes: list[tuple[str, Bbox]]) -> list[str]:
    found = []
    for i, (first, a) in enumerate(boxes):
        for second, b in boxes[i + 1 :]:
            width = min(a.x1, b.x1) - max(a.x0, b.x0)
            height = min(a.y1, b.y1) - max(a.y0, b.y0)
            if width > 1 and height > 1:  # more than a pixel each way
                found.append(f"{first} <-> {second}")
    return found


KINDS = [
    "loss_curve",
    "loss_curve_oscillating",
    "decision_boundary",
    "label_boundaries",
    "comparison",
    "comparison_iris",
    "confusion_matrix",
    "calibration",
    "roc",
    "calibration_comparison",
    "landscape",
    "saturation",
]


@pytest.mark.parametrize("kind", KINDS)
def test_no_two_texts_of_a_figure_overlap(kind, data, pipeline, binary_pipeline):
    fig = figure(kind, data, pipeline, binary_pipeline)
    boxes = text_boxes(fig, drawn(fig))
    assert len(boxes) >= 4  # titles, labels, legends
    assert overlaps(boxes) == []


def test_the_check_finds_a_legend_on_top_of_a_final_value():
    """The check itself: the old loss curve's legend (upper right, inside the axes) over the
    final value written at the end of the curve is found."""
    fig = plots.loss_curve([1.0, 0.5, 0.25], loss_name="loss", epoch_axis="linear")
    ax = fig.axes[0]
    ax.legend(loc="upper right", fontsize=40)
    ax.annotate("train 0.250", xy=(2, 0.25), xytext=(2, 1.0), fontsize=40, ha="right")
    assert any("legend" in pair and "train 0.250" in pair for pair in collisions(fig))
