"""The errors a user can cause, and the warning a stalled fit raises.

Library code raises these with a message that names the bad value and what would be accepted;
the CLI prints the message as one line `Error: ...` and exits with code 1 (2 for a bad value
of a command-line option, which click reports with the usage).
"""


class CetrainError(Exception):
    """A mistake in what the user asked for (bad data, option, config or file)."""


class DataError(CetrainError, ValueError):
    """The data cannot be used: missing file, bad CSV, unknown column or dataset, bad labels."""


class DataTypeError(DataError, TypeError):
    """Data whose values are not of a usable type (not numbers where numbers are needed): a
    TypeError too, as Python's float() raises and scikit-learn's checks expect."""


class ConfigError(CetrainError, ValueError):
    """A setting is unknown or has a value of the wrong type or range."""


class RunFolderError(CetrainError):
    """The run folder cannot be written without losing something the user already has."""


class ModelFileError(CetrainError, ValueError):
    """A model file is missing, is not JSON, or does not describe a cetrain model."""


class CetrainWarning(UserWarning):
    """Something the user should know that is not a mistake (a label no font can draw, a
    number that overflowed); the CLI prints its message as one line `Warning: ...`."""


class UndrawableText(CetrainWarning):
    """Labels of a figure with characters that no installed font has: drawn as boxes."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = list(labels)
        super().__init__(undrawable_message(self.labels))


def undrawable_message(labels: list[str]) -> str:
    """The warning for figure labels no installed font can draw (all of them named, once)."""
    named = ", ".join(repr(label) for label in dict.fromkeys(labels))
    return (
        f"no installed font can draw some characters of {named}: the figures show them as "
        "boxes; installing a font that has them (such as Noto Sans CJK or Noto Color Emoji) "
        "draws them"
    )


def __getattr__(name: str) -> type:
    # ConvergenceWarning subclasses scikit-learn's, so that scikit-learn's tools catch it; it is
    # made on first use, so that importing this module does not import scikit-learn.
    if name != "ConvergenceWarning":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

    class ConvergenceWarning(SklearnConvergenceWarning):
        """Training stopped at max_iter before the gradient norm fell below tol (or diverged)."""

    ConvergenceWarning.__module__ = __name__
    ConvergenceWarning.__qualname__ = name  # found again by name: it pickles
    globals()[name] = ConvergenceWarning
    return ConvergenceWarning
