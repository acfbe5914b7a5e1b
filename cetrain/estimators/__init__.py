"""The estimators: scikit-learn's face of the core (fit, predict, predict_proba, score)."""

from cetrain.estimators.linear import (
    DEFAULT_L2,
    DEFAULT_MAX_ITER,
    DEFAULT_MOMENTUM,
    DEFAULT_TOL,
    EpochCallback,
    LogisticRegression,
    MultiLabelRegression,
    SoftmaxRegression,
    describe,
)

__all__ = [
    "DEFAULT_L2",
    "DEFAULT_MAX_ITER",
    "DEFAULT_MOMENTUM",
    "DEFAULT_TOL",
    "EpochCallback",
    "LogisticRegression",
    "MultiLabelRegression",
    "SoftmaxRegression",
    "describe",
]
