"""The hinge loss against scikit-learn's linear SVM with the same objective: a run ends
'stalled' above the optimum at the default tol, and a smaller tol takes it closer.

Our objective on standardised z, (1/n) sum_i hinge(y_i, z_i w + b) + (l2/2) ||w||^2, is SVC's
(1/2) ||w||^2 + C sum_i hinge, unpenalised intercept too, divided by C n with C = 1 / (n l2).
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.svm import SVC

from cetrain.errors import ConvergenceWarning
from cetrain.estimators import LogisticRegression

N, L2 = 60, 1e-2


def relative_gap(tol: float) -> tuple[str, float]:
    """Our hinge fit's status and its objective's relative gap to SVC's optimum."""
    X, y = make_classification(
        n_samples=N, n_features=2, n_redundant=0, n_informative=2, flip_y=0.05, random_state=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = LogisticRegression(loss="hinge", l2=L2, tol=tol, max_iter=20_000).fit(X, y)
    objective = ours.training_objective(X, y)
    Z = ours.standardizer_.transform(X)
    svc = SVC(kernel="linear", C=1 / (N * L2), tol=1e-10).fit(Z, y)

    def value(W, b):
        theta = np.concatenate([np.ravel(W), np.ravel(b)])
        return objective.value_and_grad(theta, np.empty_like(theta))

    optimum = value(svc.coef_, svc.intercept_)
    reached = value(*ours.standardizer_.to_standardised_units(ours.coef_, ours.intercept_))
    return ours.status_, (reached - optimum) / optimum


def test_hinge_stalls_above_the_optimum_and_a_smaller_tol_closes_the_gap():
    status, gap = relative_gap(1e-6)  # the default tol
    assert status == "stalled"
    assert 0 < gap < 1e-4  # above the optimum: not 'converged'
    tight_status, tight_gap = relative_gap(1e-8)
    assert tight_status == "stalled"
    assert tight_gap < gap
    assert tight_gap == pytest.approx(0, abs=1e-7)  # SVC's own tolerance is about this
