"""cetrain: logistic and softmax regression from scratch, trained on cross-entropy.

The estimators are loaded when first used, so that `cetrain --help` and the teaching commands
need neither scikit-learn nor matplotlib.
"""

__version__ = "0.1.0"

__all__ = ["LogisticRegression", "MultiLabelRegression", "SoftmaxRegression", "__version__"]

_ESTIMATORS = frozenset(("LogisticRegression", "MultiLabelRegression", "SoftmaxRegression"))


def __getattr__(name: str):
    if name in _ESTIMATORS:
        from cetrain import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
