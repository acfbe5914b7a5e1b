"""Figures of a run, as `matplotlib.figure.Figure` objects: the house style (`style`), the loss
curve, decision boundaries, the comparison figure, the diagnostics of an evaluation
(confusion matrix, reliability diagram, ROC curve) and the boundary animation (loaded when
first used: only --animate needs matplotlib's animation module)."""

from cetrain.plots.boundary import decision_boundary, label_boundaries
from cetrain.plots.comparison import comparison_figure
from cetrain.plots.curves import choose_epoch_axis, loss_curve
from cetrain.plots.diagnostics import (
    confusion_figure,
    confusion_matrices,
    diagnostic_figures,
    label_confusion_matrices,
    reliability_comparison,
    reliability_diagram,
    roc_curve_figure,
)
from cetrain.plots.style import LOSS_COLORS, OKABE_ITO, class_colors, curve_styles

__all__ = [
    "LOSS_COLORS",
    "OKABE_ITO",
    "boundary_animation",
    "choose_epoch_axis",
    "class_colors",
    "comparison_figure",
    "confusion_figure",
    "confusion_matrices",
    "curve_styles",
    "decision_boundary",
    "diagnostic_figures",
    "label_boundaries",
    "label_confusion_matrices",
    "loss_curve",
    "reliability_comparison",
    "reliability_diagram",
    "roc_curve_figure",
]


def __getattr__(name: str):
    if name == "boundary_animation":
        from cetrain.plots.animation import boundary_animation

        return boundary_animation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
