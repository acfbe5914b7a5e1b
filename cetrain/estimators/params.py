"""The estimators' parameters, declared once, as scikit-learn declares `_parameter_constraints`.

`fit` checks every parameter with its declaration, and `cetrain.runs.settings` makes the run
settings of the same declarations (some under a shorter name: `lr`, `epochs`), so a value out of
range gets one message from Python, a config file and the command line. A loss's own options
(label smoothing, focal gamma, ...) are declared with the loss, in `cetrain.core.losses`, and
`standardize` with the standardisation, in `cetrain.data.preprocess`.
Importing this module imports neither scikit-learn nor matplotlib.
"""

from collections.abc import Mapping
from typing import Any

from cetrain.core.losses import LABEL_SMOOTHING, LOSS_NAMES
from cetrain.core.params import (
    MAX_CLASS_WEIGHT,
    Choice,
    ClassValues,
    Domain,
    Integer,
    Number,
    OneOf,
    Param,
    number_text,
)
from cetrain.data.preprocess import STANDARDIZE

LOSS = Param("loss", Choice(LOSS_NAMES), "cross-entropy", "Training loss.")
# On standardised features 1/L is about 0.1 to 10: a step a million times that diverges in its
# first epoch, and beyond it step * gradient can overflow float64.
MAX_LEARNING_RATE = 1e6
LEARNING_RATE = Param(
    "learning_rate",
    OneOf(
        words=("auto",),
        domains=(Number(0.0, MAX_LEARNING_RATE, low_open=True),),
        expected=f'a number in (0, {number_text(MAX_LEARNING_RATE)}] or "auto"',
        metavar="NUMBER|auto",
    ),
    "auto",
    "Step size, or auto for 1/L (L: the Lipschitz constant).",
)
# A run keeps one history row per epoch (history.csv, the loss curve): a million epochs is a
# 40 MB history and minutes of training on small data; more is not a lesson but a stall.
MAX_EPOCHS = 1_000_000
MAX_ITER = Param(
    "max_iter", Integer(0, MAX_EPOCHS), 5000, "Maximum epochs (full passes over the data)."
)
TOL = Param("tol", Number(0.0), 1e-6, "Stop when the gradient norm falls below this.")
# Penalties on standardised weights: beyond 1e6 every weight is 0 to within 1e-6 of its scale,
# and l2 (added to the curvature bound) or l1 (a threshold) stays far from overflow.
MAX_PENALTY = 1e6
# small, so that separable classes still have a finite optimum
L2 = Param("l2", Number(0.0, MAX_PENALTY), 1e-3, "Penalty l2/2 * ||W||^2 on standardised weights.")
L1 = Param(
    "l1",
    Number(0.0, MAX_PENALTY),
    0.0,
    "Penalty l1 * ||W||_1 on standardised weights (sparse: zero coefficients; with --l2, "
    "elastic net).",
)
# with restarts: 2-10x fewer epochs than 0.9 on ill-conditioned data (with the fixed 1/L steps;
# the default optimiser takes it too, in its own metric: cetrain.core.optim)
MOMENTUM = Param(
    "momentum",
    Number(0.0, 1.0, high_open=True),
    0.99,
    "Nesterov momentum; 0 is plain gradient descent. Above 0 with lr auto (the default), in "
    "the metric of the curvature bound.",
)
CLASS_WEIGHT = Param(
    "class_weight",
    OneOf(
        words=("balanced",),
        domains=(ClassValues(),),
        expected='"balanced" or class=weight pairs with weights in '
        f'[0, {number_text(MAX_CLASS_WEIGHT)}], like "a=2,b=1"',
        metavar="TEXT",
    ),
    None,
    'Per-class weights: "balanced" (n / (C n_k)) or class=weight pairs, like "Yes=5,No=1".',
    default_text="none",
)

# float32 halves the memory an epoch reads and doubles the width of its vector arithmetic; the
# loss still agrees with float64's to about 1e-5 (sums are taken pairwise or in float64).
DTYPE = Param(
    "dtype",
    Choice(("float64", "float32")),
    "float64",
    "Precision of training: float32 trains in single precision end to end (faster, half the "
    "memory; the loss agrees with float64's to about 1e-5), e.g. --dtype float32.",
)


class _OptionsMapping(Domain):
    """A mapping of a loss's option names to values (the loss checks the values)."""

    expected = "a mapping"

    def check(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.fail()
        return value


LOSS_OPTIONS = Param(
    "loss_options",
    _OptionsMapping(),
    None,
    'The loss\'s own options, e.g. {"gamma": 2.0, "alpha": 0.25} for the focal loss.',
)

# Checked by fit, in this order; random_state is whatever numpy.random.default_rng takes.
PARAMETERS: tuple[Param, ...] = (
    LOSS,
    LEARNING_RATE,
    MAX_ITER,
    TOL,
    L2,
    L1,
    MOMENTUM,
    STANDARDIZE,
    CLASS_WEIGHT,
    LABEL_SMOOTHING,
    LOSS_OPTIONS,
    DTYPE,
)
