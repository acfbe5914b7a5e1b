"""The classroom proof: our trained model next to scikit-learn's on the same problem.

`sklearn_reference` fits scikit-learn's LogisticRegression to exactly the objective our
estimator minimised (cetrain.estimators.reference: the same standardised features, weights and
penalty) and measures both solutions with OUR objective function f, so the two numbers are
comparable:

    relative gap = (f(ours) - f(scikit-learn)) / |f(scikit-learn)|

With scikit-learn fitted to tol 1e-10, the gap is what our optimiser left when it stopped at its
own tol. Coefficients are compared on the standardised features (the model's own units: the
original ones can be far larger or smaller), a softmax model's centred across the classes, since
adding one vector to every class changes no probability.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cetrain.core.heads import SoftmaxHead
from cetrain.estimators.reference import fit_sklearn, no_reference_reason

if TYPE_CHECKING:
    from cetrain.runs.pipeline import Estimator


@dataclasses.dataclass(frozen=True)
class Solution:
    """One model's numbers: our objective f at its weights, and its accuracies (test: None
    without a test set)."""

    objective: float
    train_accuracy: float
    test_accuracy: float | None


@dataclasses.dataclass(frozen=True)
class Reference:
    """Ours and scikit-learn's solution side by side; `to_dict()` is metrics.json's `reference`.

    relative_gap : (cetrain.objective - sklearn.objective) / |sklearn.objective|
    max_coef_difference, max_intercept_difference : the largest absolute difference of the
        weights and of the intercepts, in `coef_units`
    sklearn_params : the LogisticRegression parameters used, and `n_iter`, its iterations
    warning : scikit-learn's ConvergenceWarning, if it raised one
    """

    cetrain: Solution
    sklearn: Solution
    relative_gap: float
    max_coef_difference: float
    max_intercept_difference: float
    coef_units: str
    sklearn_params: dict[str, Any]
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """metrics.json's `reference` (C = inf, no penalty, is written as null)."""
        return {
            "cetrain": dataclasses.asdict(self.cetrain),
            "scikit-learn": {**dataclasses.asdict(self.sklearn), **self.sklearn_params},
            "relative_gap": self.relative_gap,
            "max_coef_difference": self.max_coef_difference,
            "max_intercept_difference": self.max_intercept_difference,
            "coef_units": self.coef_units,
            "warning": self.warning,
        }


@dataclasses.dataclass(frozen=True)
class NoReference:
    """Why there is no scikit-learn reference for this run (a loss, smoothing, target or model
    that scikit-learn's LogisticRegression does not have)."""

    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"note": self.note}


def sklearn_reference(
    estimator: Estimator,
    X_train: np.ndarray,
    y_train: np.ndarray,
    sample_weight: np.ndarray | None = None,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
) -> Reference | NoReference:
    """Fit scikit-learn's LogisticRegression to the problem `estimator` solved and compare.

    Parameters
    ----------
    estimator : LogisticRegression, SoftmaxRegression or MultiLabelRegression
        Fitted on (X_train, y_train, sample_weight).
    X_train : ndarray of shape (n, d)
        The estimator's inputs (the polynomial features of a run), before its standardisation.
    y_train : ndarray of shape (n,) or (n, C)
        Its targets.
    sample_weight : ndarray of shape (n,), optional
        Its sample weights (the class weights are the estimator's).
    X_test : ndarray of shape (m, d), optional
    y_test : ndarray of shape (m,), optional
        The test split, for the test accuracies (none if omitted or empty).

    Returns
    -------
    Reference, or NoReference with the reason when scikit-learn has no such model.
    """
    reason = no_reference_reason(estimator)
    if reason is not None:
        return NoReference(reason)
    fit = fit_sklearn(estimator, X_train, y_train, sample_weight)
    objective = estimator.training_objective(X_train, y_train, sample_weight)
    standardizer = estimator.standardizer_
    ours = standardizer.to_standardised_units(estimator.coef_, estimator.intercept_)
    theirs = (fit.coef, fit.intercept)
    values = [objective.value(objective.pack(coef.T, b)) for coef, b in (ours, theirs)]
    if isinstance(estimator.head_, SoftmaxHead):
        ours, theirs = _centred(*ours), _centred(*theirs)
    Z_train = standardizer.transform(X_train)  # scikit-learn was fit on standardised inputs
    has_test = X_test is not None and y_test is not None and len(y_test) > 0
    Z_test = standardizer.transform(X_test) if has_test else None
    cetrain = Solution(
        objective=values[0],
        train_accuracy=estimator.score(X_train, y_train),
        test_accuracy=estimator.score(X_test, y_test) if has_test else None,
    )
    sklearn = Solution(
        objective=values[1],
        train_accuracy=float(fit.model.score(Z_train, y_train)),
        test_accuracy=float(fit.model.score(Z_test, y_test)) if has_test else None,
    )
    return Reference(
        cetrain=cetrain,
        sklearn=sklearn,
        relative_gap=_relative_gap(*values),
        max_coef_difference=float(np.max(np.abs(ours[0] - theirs[0]))),
        max_intercept_difference=float(np.max(np.abs(ours[1] - theirs[1]))),
        coef_units="standardised" if estimator.standardize else "original",
        sklearn_params={**fit.params, "n_iter": fit.n_iter},
        warning=fit.warning,
    )


def _centred(coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A softmax model's (K, d) weights and (K,) intercepts less their mean over the classes."""
    return coef - coef.mean(axis=0), intercept - intercept.mean()


def _relative_gap(ours: float, theirs: float) -> float:
    """(ours - theirs) / |theirs|; inf if theirs is 0 and ours is not."""
    if theirs == 0:
        return 0.0 if ours == 0 else math.inf
    return (ours - theirs) / abs(theirs)
