"""Every figure cetrain makes can go on a slide as it is: each plot has a title, labelled axes
and a legend (its own or its figure's), and the figure renders with real content."""

import io

import matplotlib.colors
import matplotlib.image
import pytest
from conftest import assert_not_blank

from cetrain import landscape, plots, saturation
from cetrain.compare import compare
from cetrain.config import resolve_settings
from cetrain.train import train


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
        history = {"train_loss": result.history["train_loss"]}
        history["test_loss"] = result.history["val_loss"]
        return plots.loss_curve(history, loss_name="cross-entropy (nats)")
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
        return plots.landscape_figure(landscape.compute_landscape(data, epochs=40, points=31))
    if kind == "saturation":
        return plots.saturation_figure(saturation.saturation_demo(epochs=60))
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
