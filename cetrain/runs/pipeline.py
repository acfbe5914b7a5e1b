"""A trained classifier on input features: optional polynomial features, then the estimator.

The estimator standardises internally and reports coef_ in the units of its own inputs (the
polynomial features, when there are any), so the whole prediction is

    scores = poly(x) @ coef_.T + intercept_.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from cetrain.data.preprocess import PolynomialFeatures, check_spread
from cetrain.data.rows import Rows
from cetrain.errors import DataError

if TYPE_CHECKING:  # the estimators import scikit-learn: only what fits or loads one needs it
    from cetrain.estimators import LogisticRegression, MultiLabelRegression, SoftmaxRegression
    from cetrain.estimators.linear import StepwiseFit

    Estimator = LogisticRegression | SoftmaxRegression | MultiLabelRegression


class ClassifierPipeline:
    """Polynomial features of degree `poly` (1: none) followed by `estimator`.

    Parameters
    ----------
    estimator : LogisticRegression, SoftmaxRegression or MultiLabelRegression
    feature_names : sequence of str
        Names of the input features (the columns of X given to fit and predict).
    poly : int
        Degree of the polynomial features; 1 uses the inputs as they are.
    """

    def __init__(self, estimator: Estimator, feature_names: Sequence[str], poly: int = 1) -> None:
        self.estimator = estimator
        self.feature_names = list(feature_names)
        self.poly = PolynomialFeatures(poly).fit(self.feature_names)

    @property
    def model_feature_names(self) -> list[str]:
        """Names of the features the estimator sees (the polynomial terms)."""
        return self.poly.feature_names_out

    @property
    def classes_(self) -> np.ndarray:
        """The estimator's classes: sorted labels, or a 2-D target's columns in their order."""
        return self.estimator.classes_

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Input features (n, d) -> the estimator's features (n, d_poly). `Rows` of a
        memory-mapped X stay rows, transformed block by block as they are read."""
        if isinstance(X, Rows):
            return X if self.poly.degree == 1 else X.mapped(self.transform)
        X = np.asarray(X, dtype=np.float64)
        features = self.poly.transform(X)
        if self.poly.degree > 1 and np.all(np.isfinite(X)) and not np.all(np.isfinite(features)):
            raise DataError(
                f"degree-{self.poly.degree} polynomial features of these inputs overflow float64 "
                f"(the largest input is {np.max(np.abs(X)):.3g}); use a lower --poly or rescale"
            )
        return features

    def fit(self, X: ArrayLike, y: ArrayLike, **fit_params) -> ClassifierPipeline:
        """Fit the estimator on the polynomial features; fit_params go to estimator.fit."""
        features = self._fit_features(X, fit_params)
        self.estimator.fit(features, y, **fit_params)
        return self

    def fit_stepwise(self, X: ArrayLike, y: ArrayLike, **fit_params) -> StepwiseFit:
        """The estimator's fit_stepwise on the polynomial features: fit, a few epochs at a
        time (see cetrain.estimators.linear.StepwiseFit)."""
        features = self._fit_features(X, fit_params)
        return self.estimator.fit_stepwise(features, y, **fit_params)

    def _fit_features(self, X: ArrayLike, fit_params: dict) -> np.ndarray:
        """The training features (and validation_data's, in fit_params) transformed, checked."""
        validation = fit_params.pop("validation_data", None)
        # train and test rows are expanded together: refuse before either is built
        rows = len(X) + (0 if validation is None else len(validation[0]))
        self.poly.check_memory(rows)
        if validation is not None:
            fit_params["validation_data"] = (self.transform(validation[0]), validation[1])
        features = self.transform(X)
        check_spread(features, self.model_feature_names)  # named here, as the estimator cannot
        return features

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The estimator's decision_function of poly(X): (n,) for two classes (the logit of
        P(classes_[1])), (n, C) for more classes or label columns."""
        return self.estimator.decision_function(self.transform(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (n, C), columns in the order of classes_."""
        return self.estimator.predict_proba(self.transform(X))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row, (n,)."""
        return self.estimator.predict(self.transform(X))

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy on (X, y), as the estimator's score."""
        return self.estimator.score(self.transform(X), y, sample_weight)

    def proba_at_epoch(self, epoch: int) -> Callable[[ArrayLike], np.ndarray]:
        """predict_proba with the weights the model had at `epoch`, one of the epochs whose
        weights were recorded (fit with record_params; see history_.param_epochs)."""
        history = self.estimator.history_
        index = history.param_epochs.index(epoch)
        predict_proba = self.estimator.proba_with(history.coef[index], history.intercept[index])
        return lambda X: predict_proba(self.transform(X))
