"""fit_stepwise: a fit run a few epochs at a time is fit with max_iter the epochs so far."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from cetrain.estimators import LogisticRegression, SoftmaxRegression


@pytest.mark.parametrize(
    "cls, options",
    [
        (LogisticRegression, {"loss": "cross-entropy", "momentum": 0.9}),  # preconditioned
        (LogisticRegression, {"loss": "mse", "learning_rate": 0.5, "l1": 0.01}),  # proximal
        (SoftmaxRegression, {"loss": "focal", "l2": 0.01}),
        (LogisticRegression, {"loss": "hinge"}),  # subgradient steps
    ],
    ids=["ce-momentum", "mse-l1", "softmax-focal", "hinge"],
)
@pytest.mark.filterwarnings("ignore::cetrain.errors.ConvergenceWarning")
def test_stepwise_epochs_are_fits_epochs(cls, options):
    n_classes = 3 if cls is SoftmaxRegression else 2
    X, y = make_classification(
        n_samples=120,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
    )
    X_val, y_val = X[:30], y[:30]
    whole = cls(max_iter=25, tol=1e-12, **options).fit(X, y, validation_data=(X_val, y_val))
    stepped = cls(tol=1e-12, **options)
    fitting = stepped.fit_stepwise(X, y, validation_data=(X_val, y_val))
    for limit in (3, 4, 25):
        fitting.run(limit)
    assert stepped.history_.train_loss == whole.history_.train_loss
    assert stepped.history_.val_log_loss == whole.history_.val_log_loss
    assert (stepped.n_iter_, stepped.status_, fitting.epoch) == (25, whole.status_, 25)
    np.testing.assert_array_equal(stepped.coef_, whole.coef_)
    np.testing.assert_array_equal(stepped.predict_proba(X), whole.predict_proba(X))
