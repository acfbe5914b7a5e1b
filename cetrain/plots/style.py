"""The house style of every figure: palette, class and loss colours, font sizes, titles.

Figures are meant for a teacher's slides: each has a title, labelled axes and a legend, large fonts,
and colours from the Okabe–Ito palette, which stays distinguishable under the common forms of colour
blindness. Class k is drawn in `class_colors(C)[k]` in every figure of a run, and a loss keeps one
colour in every figure (`loss_color`).

Nothing in cetrain.plots shows, saves or touches pyplot: every figure is a standalone `Figure`, so
many runs in one process leak no global state. The caller decides where a figure goes.
"""

import textwrap
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.colors import hsv_to_rgb, to_hex, to_rgb

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

# A loss keeps its colour in every figure (comparison, landscape, saturation): cross-entropy
# blue and MSE vermillion, the palette's clearest pair; other losses take the spare colours.
LOSS_COLORS = {"cross-entropy": OKABE_ITO[4], "mse": OKABE_ITO[5]}

DARK = "#222222"
# Loss curves are not classes; blue against vermillion is the palette's clearest contrast.
TRAIN_COLOR, TEST_COLOR = OKABE_ITO[4], OKABE_ITO[5]
TITLE_SIZE = 16
LABEL_SIZE = 14
TICK_SIZE = 12
LEGEND_SIZE = 12
NOTE_SIZE = 11
TITLE_WIDTH = 48  # characters per title line at TITLE_SIZE on an 8-inch-wide axes


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


def loss_color(name: str, index: int) -> str:
    """The colour of loss `name`, the index-th loss of a comparison: its own in LOSS_COLORS,
    else an Okabe–Ito colour that no listed loss uses, taken in turn."""
    if name in LOSS_COLORS:
        return LOSS_COLORS[name]
    spare = [color for color in OKABE_ITO[:7] if color not in LOSS_COLORS.values()]
    return spare[index % len(spare)]


def decorate(ax, *, title: str, xlabel: str, ylabel: str, note: str | None = None) -> None:
    """Title (with an optional note on the lines below it), axis labels and tick sizes.

    Long title lines are wrapped so that they stay inside the figure.
    """
    title = "\n".join(textwrap.fill(line, TITLE_WIDTH) for line in title.split("\n"))
    if note is None:
        ax.set_title(title, fontsize=TITLE_SIZE)
    else:
        # One text object keeps the note with the title for anyone reading get_title().
        ax.set_title(f"{title}\n{note}", fontsize=LABEL_SIZE)
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)


def lighten(color: str, amount: float) -> np.ndarray:
    """The colour blended towards white: amount 0 is the colour, 1 is white."""
    return 1.0 - (1.0 - amount) * (1.0 - np.asarray(to_rgb(color)))


def epochs_text(n: int) -> str:
    """'1 epoch', '10 epochs'."""
    return f"{n} epoch" if n == 1 else f"{n} epochs"
