"""The estimators: scikit-learn's face of the core (fit, predict, predict_proba, score).

`LogisticRegression`, `SoftmaxRegression` and `MultiLabelRegression` (in `linear`), their
parameters declared once (`params`), what a fit records (`history`), the checks of X and y
(`validation`) and the same problem as scikit-learn's LogisticRegression (`reference`). The
classes are loaded on first use, so that `params` can be read without importing scikit-learn.
"""

from importlib import import_module

_HOMES = {
    "LogisticRegression": "linear",
    "MultiLabelRegression": "linear",
    "SoftmaxRegression": "linear",
    "History": "history",
    "EpochCallback": "history",
    "ESTIMATORS": "linear",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
