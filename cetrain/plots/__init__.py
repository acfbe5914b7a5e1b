"""Figures of a run, as `matplotlib.figure.Figure` objects: the house style (`style`), the loss
curve, decision boundaries, the comparison figure and the boundary animation (loaded when
first used: only --animate needs matplotlib's animation module)."""

from cetrain.plots.boundary import decision_boundary, label_boundaries
from cetrain.plots.comparison import comparison_figure
from cetrain.plots.curves import loss_curve
from cetrain.plots.style import LOSS_COLORS, OKABE_ITO, class_colors, loss_color

__all__ = [
    "LOSS_COLORS",
    "OKABE_ITO",
    "boundary_animation",
    "class_colors",
    "comparison_figure",
    "decision_boundary",
    "label_boundaries",
    "loss_color",
    "loss_curve",
]


def __getattr__(name: str):
    if name == "boundary_animation":
        from cetrain.plots.animation import boundary_animation

        return boundary_animation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
