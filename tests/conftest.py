"""Shared test helpers: finite differences, the loss formulas, documented defaults and files.

The formulas are the ones in cetrain.losses' docstrings, written out with plain NumPy for
moderate scores, so that tests compare the library with an independent evaluation.
"""

from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from click.testing import CliRunner, Result

from cetrain.cli import cli

# The documented defaults of every experiment setting (README's option table), as config.toml
# writes them; out and quiet describe one invocation and are not written.
DEFAULT_SETTINGS_TOML = {
    "loss": "cross-entropy",
    "lr": "auto",
    "epochs": 5000,
    "tol": 1e-6,
    "l2": 0.001,
    "momentum": 0.99,
    "standardize": True,
    "poly": 1,
    "test_size": 0.25,
    "seed": 0,
    "format": "png",
    "animate": False,
}

# What a run folder holds (the table), sorted.
RUN_FILES = [
    "config.toml",
    "decision_boundary.png",
    "history.csv",
    "loss_curve.png",
    "metrics.json",
    "model.json",
]


def central_jacobian(fun, x, h=1e-6):
    """d fun / d x by central differences: shape fun(x).shape + x.shape (a gradient if scalar)."""
    x = np.array(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        columns.append((np.asarray(fun(x + step)) - np.asarray(fun(x - step))) / (2 * h))
    out = np.stack(columns, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


def bce_formula(s, t):
    """log(1 + exp(s)) - t*s, per sample."""
    return np.log(1.0 + np.exp(s)) - t * s


def binary_mse_formula(s, t):
    """(sigma(s) - t)^2 with sigma(s) = 1 / (1 + exp(-s)), per sample."""
    return (1.0 / (1.0 + np.exp(-s)) - t) ** 2


def cross_entropy_formula(S, T):
    """sum_k t_k (log sum_j exp(s_j) - s_k), per row; T one-hot or probability rows."""
    lse = np.log(np.exp(S).sum(axis=1))
    return np.sum(T * (lse[:, None] - S), axis=1)


def multiclass_mse_formula(S, T):
    """sum_k (softmax(s)_k - t_k)^2, per row."""
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    return np.sum((P - T) ** 2, axis=1)


@pytest.fixture
def numerical_jacobian():
    """central_jacobian(fun, x, h=1e-6)."""
    return central_jacobian


@pytest.fixture
def loss_formulas():
    """Per-sample loss formulas by name: binary ones take (s (n,), t (n,)), multiclass ones
    (S (n, C), T (n, C))."""
    return {
        "binary_cross_entropy": bce_formula,
        "binary_mse": binary_mse_formula,
        "cross_entropy": cross_entropy_formula,
        "multiclass_mse": multiclass_mse_formula,
    }


def invoke(*args) -> Result:
    """Run `cetrain ARGS` in-process; stdout and stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def assert_error(result: Result, message: str, exit_code: int = 1) -> None:
    """The command failed with exactly `Error: message` as its last line, on stderr only."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if exit_code == 1:  # our own errors: one line and nothing else
        assert result.stderr == f"Error: {message}\n"
    else:  # click's usage errors: the usage, a hint, then the error
        assert result.stderr.splitlines()[-1] == f"Error: {message}"
        assert result.stderr.count("Error:") == 1


def assert_not_blank(image: np.ndarray | Path) -> None:
    """A decoded image (H, W, 3 or 4), or an image file, has real content: its pixels vary and
    it holds more than 50 distinct colours."""
    if isinstance(image, Path):
        image = matplotlib.image.imread(image)[::3, ::3]  # every 9th pixel is plenty, and fast
    rgb = image[:, :, :3]
    assert rgb.std() > 0.05
    # Pack each pixel into one integer: np.unique over rows (axis=0) is far slower.
    codes = ((rgb.reshape(-1, 3) * 255).round().astype(np.int64) * [65536, 256, 1]).sum(axis=1)
    assert len(np.unique(codes)) > 50
