"""scikit-learn's LogisticRegression on the problem a fitted estimator solved: the reference.

Our objective, on the standardised features z_i (the estimator's standardizer_), is

    f(W, b) = sum_i w_i l_i / sum_i w_i + (l2 / 2) ||W||_F^2 + l1 ||W||_1,

with w_i the sample weight times the class weight of row i (cross-entropy's weighted mean
divides by sum_i s_i cw_{y_i}, which is the same thing) and l_i the cross-entropy of row i.
scikit-learn's LogisticRegression(C, l1_ratio=r) minimises, with sample_weight s_i,

    C sum_i s_i l_i + r ||W||_1 + (1 - r) / 2 ||W||_F^2.

With s_i = w_i, a = l1 + l2, r = l1 / a and C = 1 / (a sum_i w_i) this is f / a: the same
minimiser. The weights are passed scaled to mean 1 (sum_i w_i = n), which changes
neither problem but keeps saga's step size, which assumes weights near 1, safe. a = 0 (no
penalty) is C = inf. An L1 term (r > 0) needs the solver saga; lbfgs solves the others.

Two classes on a softmax model are scored by two rows of weights, W_0 and W_1, both penalised;
scikit-learn fits one row, beta. Only beta = W_1 - W_0 (and c = b_1 - b_0) changes the
probabilities, and over the W_0 with W_1 - W_0 = beta the penalty is least at W_0 = -beta/2:

    (l2 / 2)(||W_0||^2 + ||W_1||^2) = (l2 / 4) ||beta||^2,    l1 (|W_0| + |W_1|) = l1 |beta|

(|W_0| + |W_0 + beta| >= |beta|, with equality at W_0 = -beta/2). So the softmax problem is the
binary one with l2 / 2 and l1, and its solution is W_1 = -W_0 = beta / 2, b_1 = -b_0 = c / 2.

scikit-learn has no counterpart for the other losses, label smoothing, probability targets or
one sigmoid per label: `no_reference_reason` says so.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from cetrain.core.heads import SoftmaxHead, TargetKind
from cetrain.errors import ConfigError

if TYPE_CHECKING:
    from cetrain.estimators.linear import _LinearClassifier

# scikit-learn is fitted far more tightly than its defaults (tol 1e-4, 100 iterations), so that
# what is left of a difference is our optimiser's.
TOL = 1e-10
MAX_ITER = {"lbfgs": 10_000, "saga": 100_000}


@dataclasses.dataclass(frozen=True)
class SklearnFit:
    """scikit-learn's solution, in the layout of the estimator's standardised model.

    model : the fitted sklearn.linear_model.LogisticRegression (on the standardised features)
    coef : ndarray (K, d), the weights W^T on the standardised features (K = 1 for logistic)
    intercept : ndarray (K,)
    params : the LogisticRegression parameters used (solver, C, l1_ratio, tol, max_iter)
    n_iter : the iterations (epochs, for saga) scikit-learn ran
    warning : scikit-learn's ConvergenceWarning, if it raised one
    """

    model: Any
    coef: np.ndarray
    intercept: np.ndarray
    params: dict[str, Any]
    n_iter: int
    warning: str | None = None


def no_reference_reason(estimator: _LinearClassifier) -> str | None:
    """Why scikit-learn's LogisticRegression cannot solve the fitted estimator's problem, or
    None when it can."""
    head = estimator.head_
    if head.form == "multilabel":
        return (
            "scikit-learn's LogisticRegression fits one logistic or softmax model, not a "
            f"{estimator.kind} model ({head.description})"
        )
    if estimator.loss != "cross-entropy":
        return (
            f"scikit-learn's LogisticRegression minimises cross-entropy; it has no "
            f"'{estimator.loss}' loss"
        )
    if estimator.label_smoothing or (estimator.loss_options or {}).get("label_smoothing"):
        return "scikit-learn's LogisticRegression has no label smoothing"
    if estimator.target_kind_ == TargetKind.PROBABILITIES:
        return (
            "scikit-learn's LogisticRegression takes class labels, not probability targets "
            "(soft targets)"
        )
    return None


def sklearn_params(l2: float, l1: float, weight_sum: float) -> dict[str, Any]:
    """LogisticRegression's C, l1_ratio and solver for the penalty (l2 / 2)||W||^2 + l1 ||W||_1
    on a weighted mean loss whose weights sum to weight_sum (see the module docstring)."""
    strength = l1 + l2
    return {
        "solver": "saga" if l1 > 0 else "lbfgs",
        "C": math.inf if strength == 0 else 1.0 / (strength * weight_sum),
        "l1_ratio": l1 / strength if strength > 0 else 0.0,
    }


def fit_sklearn(
    estimator: _LinearClassifier,
    X: ArrayLike,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
) -> SklearnFit:
    """Fit scikit-learn's LogisticRegression to the problem `estimator` was fitted to.

    Parameters
    ----------
    estimator : LogisticRegression or SoftmaxRegression
        Fitted on (X, y, sample_weight), with cross-entropy.
    X : array-like of shape (n, d)
        The features the estimator was fitted on (it standardises them with its standardizer_).
    y : array-like of shape (n,)
        The class labels it was fitted on.
    sample_weight : array-like of shape (n,), optional
        Its sample weights; the class weights are taken from the estimator.

    Returns
    -------
    SklearnFit
        scikit-learn's ConvergenceWarning, if any, is in `warning`, not raised.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    reason = no_reference_reason(estimator)
    if reason is not None:
        raise ConfigError(reason)
    objective = estimator.training_objective(X, y, sample_weight)
    n = objective.X.shape[0]
    # the objective's weights w_i / sum_j w_j, scaled to mean 1 (None: all 1)
    weight = None if objective.weight is None else objective.weight * n
    two_rows = isinstance(estimator.head_, SoftmaxHead) and len(estimator.classes_) == 2
    # the two-row softmax is the binary problem with half the L2 strength (module docstring)
    params = sklearn_params(estimator.l2 / 2 if two_rows else estimator.l2, estimator.l1, n)
    params.update(tol=TOL, max_iter=MAX_ITER[params["solver"]])
    model = LogisticRegression(**params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        # the standardised features, as a copy: a check, not a fit of ours
        model.fit(
            estimator.standardizer_.transform(objective.X), np.asarray(y), sample_weight=weight
        )
    messages = []
    for caught_warning in caught:  # hand on what is not about convergence
        if issubclass(caught_warning.category, ConvergenceWarning):
            messages.append(" ".join(str(caught_warning.message).split()))
        else:
            warnings.warn_explicit(
                caught_warning.message,
                caught_warning.category,
                caught_warning.filename,
                caught_warning.lineno,
            )
    coef, intercept = model.coef_, model.intercept_
    if two_rows:  # W_1 = -W_0 = beta / 2
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.r_[-intercept / 2, intercept / 2]
    return SklearnFit(
        model=model,
        coef=coef,
        intercept=intercept,
        params=params,
        n_iter=int(np.max(model.n_iter_)),
        warning="; ".join(messages) or None,
    )
