"""The errors a user can cause, and the warning a stalled fit raises.

Library code raises these with a message that names the bad value and what would be accepted;
the CLI prints the message as one line `Error: ...` and exits with code 1.
"""

from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning


class CetrainError(Exception):
    """A mistake in what the user asked for (bad data, option, config or file)."""


class DataError(CetrainError, ValueError):
    """The data cannot be used: missing file, bad CSV, unknown column or dataset, bad labels."""


class ConfigError(CetrainError, ValueError):
    """A setting is unknown or has a value of the wrong type or range."""


class RunFolderError(CetrainError):
    """The run folder cannot be written without losing something the user already has."""


class ModelFileError(CetrainError, ValueError):
    """A model file is missing, is not JSON, or does not describe a cetrain model."""


class ConvergenceWarning(_SklearnConvergenceWarning):
    """Training stopped at max_iter before the gradient norm fell below tol (or diverged)."""
