"""The loss functions, under the import path users have: `from cetrain.losses import
cross_entropy`. They live in `cetrain.core.losses`."""

from cetrain.core.losses import *  # noqa: F403
from cetrain.core.losses import __all__  # noqa: F401
