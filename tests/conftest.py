"""Shared helpers for the numerical tests: central finite differences."""

import numpy as np
import pytest


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


@pytest.fixture
def numerical_jacobian():
    """central_jacobian(fun, x, h=1e-6), as a fixture so every test module can use it."""
    return central_jacobian
