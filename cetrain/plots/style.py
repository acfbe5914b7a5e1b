"""The house style of every figure: palette, class and loss colours, font sizes, titles.

Figures are meant for a teacher's slides: each has a title, labelled axes and a legend, large fonts,
and colours from the Okabe–Ito palette, which stays distinguishable under the common forms of colour
blindness. Class k is drawn in `class_colors(C)[k]` in every figure of a run, and a loss keeps one
colour in every figure where no class has it (`curve_styles`).

Nothing in cetrain.plots shows, saves or touches pyplot: every figure is a standalone `Figure`, so
many runs in one process leak no global state. The caller decides where a figure goes.
"""

import functools
import textwrap
from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.colors import hsv_to_rgb, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

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
LABEL_WIDTH = 45  # characters per axis-label line at LABEL_SIZE along a 5-inch side


# The fonts a label falls back on, in order, for a character the first lacks (matplotlib draws
# each character from the first font of the list that has it); those installed are used.
# DejaVu Sans, matplotlib's own, covers Latin, Greek, Cyrillic, Arabic and Hebrew; not CJK or
# emoji.
FONT_FALLBACKS = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans Arabic",
    "Noto Sans Devanagari",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Arial Unicode MS",
    "Noto Color Emoji",
    "Noto Emoji",
    "Symbola",
    "STIXGeneral",
)


@functools.cache
def _installed_fonts() -> tuple[tuple[str, frozenset[int]], ...]:
    """The installed fonts of FONT_FALLBACKS, each with the characters it has."""
    names = {font.name for font in fontManager.ttflist}
    fonts = []
    for name in FONT_FALLBACKS:
        if name in names:
            path = fontManager.findfont(FontProperties(family=name), fallback_to_default=False)
            fonts.append((name, frozenset(FT2Font(path).get_charmap())))
    return tuple(fonts)


def fit_fonts(fig: Figure) -> list[str]:
    """Give each text of `fig` that is not plain ASCII the fonts of FONT_FALLBACKS, so that a
    character DejaVu Sans lacks is drawn from an installed font that has it; return the texts
    with characters no installed font has (drawn as boxes)."""
    fonts = _installed_fonts()
    family = [name for name, _ in fonts]
    undrawable = []
    for text in fig.findobj(Text):
        label = text.get_text()
        if label.isascii():
            continue
        text.set_fontfamily(family)
        if any(
            ord(char) >= 32 and not any(ord(char) in charmap for _, charmap in fonts)
            for char in label
            if not char.isspace()
        ):
            undrawable.append(label)
    return undrawable


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


# Colours for the curves of losses (or models) without their own LOSS_COLORS colour, in the
# order they are taken. Yellow is left out: a thin yellow line is lost on white.
_SPARE_CURVE_COLORS = (OKABE_ITO[6], OKABE_ITO[7], OKABE_ITO[2], OKABE_ITO[0], OKABE_ITO[1])
# Okabe–Ito's two blues are one hue in two lightnesses: a spare curve colour never sits next to
# the other blue (a dark and a light blue curve, or a light blue curve beside a blue class).
_SAME_HUE = {OKABE_ITO[1]: OKABE_ITO[4], OKABE_ITO[4]: OKABE_ITO[1]}
CURVE_DASHES = ("-", "--", ":", "-.")


def curve_styles(
    names: Sequence[str], class_colors_shown: Sequence[str] = ()
) -> dict[str, tuple[str, str]]:
    """The colour and line style of each compared curve (a loss or a model) in a figure that
    also shows classes in `class_colors_shown`.

    A loss keeps its LOSS_COLORS colour (cross-entropy blue, MSE vermillion) unless a class of
    the figure has that colour. The others take, in turn, a spare colour that is no class's
    colour, no other curve's, and not the other blue of one already shown; when none is left
    (seven or more classes) the curves are black and told apart by their dashes. So a curve's
    colour is never a class colour of the same figure.

    Returns
    -------
    dict name -> (colour "#rrggbb", matplotlib line style)
    """
    taken = {color.upper() for color in class_colors_shown}
    styles: dict[str, tuple[str, str]] = {}
    for name in names:
        own = LOSS_COLORS.get(name)
        if own is not None and own not in taken:
            styles[name] = (own, "-")
            taken.add(own)
    for name in names:
        if name in styles:
            continue
        free = [
            color
            for color in _SPARE_CURVE_COLORS
            if color not in taken
            and _SAME_HUE.get(color) not in taken
            and color not in LOSS_COLORS.values()
        ]
        if free:
            styles[name] = (free[0], "-")
            taken.add(free[0])
        else:
            # black may already be a spare's colour, solid
            black = sum(color == OKABE_ITO[7] for color, _ in styles.values())
            styles[name] = (OKABE_ITO[7], CURVE_DASHES[black % len(CURVE_DASHES)])
    return {name: styles[name] for name in names}


def decorate(ax, *, title: str, xlabel: str, ylabel: str, note: str | None = None) -> None:
    """Title (with an optional note on the lines below it), axis labels and tick sizes.

    Long title lines and axis labels are wrapped, evenly (`wrap_evenly`), so that they stay
    inside the figure and do not run into each other.
    """
    title = "\n".join(wrap_evenly(line, TITLE_WIDTH) for line in title.split("\n"))
    if note is None:
        ax.set_title(title, fontsize=TITLE_SIZE)
    else:
        # One text object keeps the note with the title for anyone reading get_title().
        ax.set_title(f"{title}\n{note}", fontsize=LABEL_SIZE)
    ax.set_xlabel(wrap_evenly(xlabel, LABEL_WIDTH), fontsize=LABEL_SIZE)
    ax.set_ylabel(wrap_evenly(ylabel, LABEL_WIDTH), fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)


def wrap_evenly(text: str, width: int) -> str:
    """`text` on as few lines of at most `width` characters as textwrap needs, the lines made as
    even as possible, so that no line is left with a lone word."""
    lines = textwrap.wrap(text, width)
    if len(lines) <= 1:
        return text
    # the narrowest width that still needs no more lines
    narrow = max(len(word) for word in text.split())
    for even in range(max(narrow, -(-len(text) // len(lines))), width + 1):
        if len(textwrap.wrap(text, even)) == len(lines):
            return "\n".join(textwrap.wrap(text, even))
    return "\n".join(lines)


def lighten(color: str, amount: float) -> np.ndarray:
    """The colour blended towards white: amount 0 is the colour, 1 is white."""
    return 1.0 - (1.0 - amount) * (1.0 - np.asarray(to_rgb(color)))


def epochs_text(n: int) -> str:
    """'1 epoch', '10 epochs'."""
    return f"{n} epoch" if n == 1 else f"{n} epochs"
