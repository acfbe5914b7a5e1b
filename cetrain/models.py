"""Logistic and softmax regression in scikit-learn's style, trained by our own gradient descent.

Both minimise, over W and b,

    f(W, b) = sum_i w_i l(z_i W + b, y_i) / sum_i w_i + (l2 / 2) ||W||_F^2

where z_i is x_i standardised (when standardize=True) and l is the chosen loss on the scores.
The learned coef_ and intercept_ are mapped back to the ORIGINAL feature units, as glmnet does:

    coef_ = W^T / scale,    intercept_ = b - coef_ @ mean

so `X @ coef_.T + intercept_` gives the same scores as the standardised model, and an
unpenalised fit on raw data gives the maximum-likelihood coefficients a statistics text prints.
"""

import warnings
from collections.abc import Callable, Collection
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import check_is_fitted

from cetrain.errors import ConfigError, ConvergenceWarning, DataError
from cetrain.links import sigmoid, softmax
from cetrain.losses import check_sample_weight, loss_for
from cetrain.objective import LinearObjective
from cetrain.optim import gradient_descent
from cetrain.preprocess import Standardizer

EpochCallback = Callable[[int, float, float], None]

# Defaults shared with the command line (cetrain.config builds its defaults from these).
DEFAULT_MAX_ITER = 5000
DEFAULT_TOL = 1e-6
DEFAULT_L2 = 1e-3  # small, so that separable classes still have a finite optimum
DEFAULT_MOMENTUM = 0.99  # with restarts: 2-10x fewer epochs than 0.9 on ill-conditioned data

_TOO_LARGE = (
    "the loss is not finite at the initial weights: the features are too large for float64 "
    "arithmetic; standardize them (standardize=True) or rescale them"
)


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    """Shared fitting and prediction for LogisticRegression and SoftmaxRegression."""

    kind: str  # "logistic" or "softmax"

    def __init__(
        self,
        loss: str = "cross-entropy",
        learning_rate: float | str = "auto",
        max_iter: int = DEFAULT_MAX_ITER,
        tol: float = DEFAULT_TOL,
        l2: float = DEFAULT_L2,
        l1: float = 0.0,
        momentum: float = DEFAULT_MOMENTUM,
        standardize: bool = True,
        random_state: int | None = None,
    ) -> None:
        self.loss = loss
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.l2 = l2
        self.l1 = l1
        self.momentum = momentum
        self.standardize = standardize
        self.random_state = random_state

    @property
    def _binary(self) -> bool:
        return self.kind == "logistic"

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        callback: EpochCallback | None = None,
        record_params: bool | Collection[int] = False,
    ) -> "_LinearClassifier":
        """Fit the model by full-batch gradient descent.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Numeric features.
        y : array-like of shape (n,)
            Class labels (numbers or strings).
        sample_weight : array-like of shape (n,), optional
            Non-negative weights; the loss is their weighted mean.
        validation_data : (X_val, y_val), optional
            Data measured each epoch: history_["val_loss"] (the training loss),
            history_["val_log_loss"] (cross-entropy, whatever the training loss) and
            history_["val_accuracy"].
        callback : callable, optional
            callback(epoch, train_loss, grad_norm) after every epoch, e.g. for a progress bar.
        record_params : bool or collection of int
            Keep the coefficients and intercepts, in original units, of every epoch (True) or of
            the listed epochs and the last one, in history_["coef"] and history_["intercept"],
            with their epochs in history_["param_epochs"] (e.g. to animate the boundary).

        Returns
        -------
        self
        """
        self._check_params()
        loss = loss_for(self.loss, binary=self._binary)
        X = _check_X(X)
        labels = _check_y(y, X.shape[0])
        self.classes_ = np.unique(labels)
        self._check_n_classes()
        self.n_features_in_ = X.shape[1]
        weight = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])

        self.standardizer_ = Standardizer(enabled=self.standardize).fit(X, sample_weight=weight)
        objective = LinearObjective(
            self.standardizer_.transform(X),
            self._targets(self.class_index(labels)),
            loss,
            n_outputs=1 if self._binary else len(self.classes_),
            sample_weight=weight,
            l2=self.l2,
            l1=self.l1,
        )
        if self.learning_rate == "auto":
            lipschitz = objective.lipschitz_bound()
            if not np.isfinite(lipschitz):
                raise DataError(_TOO_LARGE)
            self.learning_rate_ = 1.0 / lipschitz
        else:
            self.learning_rate_ = float(self.learning_rate)

        history: dict[str, list[float]] = {"train_loss": [], "grad_norm": []}
        if validation_data is not None:
            X_val, y_val = validation_data
            X_val = _check_X(X_val, self.n_features_in_, "X_val", type(self).__name__)
            Z_val = self.standardizer_.transform(X_val)
            y_val = _check_y(y_val, Z_val.shape[0], "y_val")
            index_val = self.class_index(y_val, what="y_val")
            target_val = self._targets(index_val)
            history.update(val_loss=[], val_log_loss=[], val_accuracy=[])
            log_loss = loss_for("cross-entropy", binary=self._binary)
        if record_params is not False:
            history.update(param_epochs=[], coef=[], intercept=[])
            keep = None if record_params is True else frozenset(record_params)

        def record(epoch: int, theta: np.ndarray, value: float, grad_norm: float) -> None:
            train_loss = value - objective.penalty(theta)
            history["train_loss"].append(train_loss)
            history["grad_norm"].append(grad_norm)
            if validation_data is not None:
                scores = objective.scores(theta, Z_val)
                predicted = scores > 0 if self._binary else np.argmax(scores, axis=0)
                history["val_accuracy"].append(float(np.mean(predicted == index_val)))
                # accumulate overwrites its scores: the last loss may use them, not the first
                val_log_loss = log_loss.accumulate(scores.copy(), target_val, None) / len(y_val)
                history["val_log_loss"].append(val_log_loss)
                history["val_loss"].append(
                    val_log_loss
                    if loss is log_loss
                    else loss.accumulate(scores, target_val, None) / len(y_val)
                )
            if record_params is not False and (keep is None or epoch in keep):
                W, b = objective.unpack(theta)
                coef, intercept = self.standardizer_.to_original_units(W.T, b)
                history["param_epochs"].append(epoch)
                history["coef"].append(coef)
                history["intercept"].append(intercept)
            if callback is not None:
                callback(epoch, train_loss, grad_norm)

        result = gradient_descent(
            objective.value_and_grad,
            self._initial_theta(objective),
            learning_rate=self.learning_rate_,
            max_iter=self.max_iter,
            tol=self.tol,
            momentum=self.momentum,
            callback=record,
            prox=objective.prox if self.l1 else None,
            penalty=objective.l1_penalty if self.l1 else None,
        )
        if not result.objective:
            raise DataError(_TOO_LARGE)
        W, b = objective.unpack(result.theta)
        self.coef_, self.intercept_ = self.standardizer_.to_original_units(W.T, b)
        self.n_iter_ = result.n_iter
        self.status_ = result.status
        kept = history.get("param_epochs")
        if kept is not None and (not kept or kept[-1] != result.n_iter):
            history["param_epochs"].append(result.n_iter)
            history["coef"].append(self.coef_)
            history["intercept"].append(self.intercept_)
        self.history_ = history
        self._warn_if_not_converged(result.grad_norm[-1])
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Scores X @ coef_.T + intercept_: shape (n,) for binary models, (n, C) for softmax."""
        check_is_fitted(self, "coef_")
        X = _check_X(X, self.n_features_in_, model=type(self).__name__)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if self._binary else scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, C), columns in the order of classes_."""
        return self.proba_from_scores(self.decision_function(X))

    def proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Scores as decision_function returns them -> class probabilities (n, C):
        [sigmoid(-s), sigmoid(s)] for a binary model, softmax(s) otherwise."""
        if self._binary:
            # sigmoid(-s) rather than 1 - sigmoid(s): exact when sigmoid(s) is close to 1
            return np.column_stack([sigmoid(-scores), sigmoid(scores)])
        return softmax(scores)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row, shape (n,)."""
        scores = self.decision_function(X)
        if self._binary:
            return self.classes_[(scores > 0).astype(np.intp)]
        return self.classes_[np.argmax(scores, axis=1)]

    def class_index(self, y: ArrayLike, what: str = "y") -> np.ndarray:
        """The position of each label in classes_, shape (n,); unknown labels are a DataError."""
        check_is_fitted(self, "classes_")
        labels = np.asarray(y)
        index = np.minimum(np.searchsorted(self.classes_, labels), len(self.classes_) - 1)
        unknown = self.classes_[index] != labels
        if np.any(unknown):
            raise DataError(
                f"{what} has classes not seen in training: "
                f"{', '.join(map(str, np.unique(labels[unknown])[:5]))}; the classes are "
                f"{', '.join(map(str, self.classes_))}"
            )
        return index

    def mean_loss(self, X: ArrayLike, y: ArrayLike, loss: str | None = None) -> float:
        """The unweighted mean loss of the model's scores on (X, y).

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,)
            Labels, all among classes_.
        loss : {"cross-entropy", "mse"}, optional
            Default: the training loss. "cross-entropy" is the log loss of predict_proba,
            computed exactly from the scores.

        Returns
        -------
        float
        """
        scores = self.decision_function(X)
        target = self._targets(self.class_index(y))
        return float(loss_for(loss or self.loss, binary=self._binary)(scores, target))

    # --- helpers ----------------------------------------------------------------------------

    def _targets(self, index: np.ndarray) -> np.ndarray:
        """Class indices as the loss's targets: 0/1 floats (binary) or the indices (softmax)."""
        return index.astype(np.float64) if self._binary else index

    def _check_params(self) -> None:
        """Reject hyperparameters outside their range, naming the accepted values."""
        if not (self.learning_rate == "auto" or _positive_number(self.learning_rate)):
            raise ConfigError(
                f"learning_rate must be a number > 0 or 'auto'; got {self.learning_rate!r}"
            )
        if (
            not isinstance(self.max_iter, Integral)
            or isinstance(self.max_iter, bool)
            or self.max_iter < 0
        ):
            raise ConfigError(f"max_iter must be an integer >= 0; got {self.max_iter!r}")
        if not (_positive_number(self.tol) or self.tol == 0):
            raise ConfigError(f"tol must be a finite number >= 0; got {self.tol!r}")
        for name in ("l2", "l1"):
            value = getattr(self, name)
            if not (_positive_number(value) or value == 0):
                raise ConfigError(f"{name} must be a finite number >= 0; got {value!r}")
        if not (isinstance(self.momentum, Real) and 0 <= self.momentum < 1):
            raise ConfigError(f"momentum must be a number in [0, 1); got {self.momentum!r}")

    def _check_n_classes(self) -> None:
        """LogisticRegression needs exactly two classes; SoftmaxRegression at least two."""
        n = len(self.classes_)
        if n < 2:
            raise DataError(
                f"a classifier needs at least 2 classes; got 1 class ({describe(self.classes_)})"
            )
        if self._binary and n != 2:
            raise DataError(
                f"logistic regression needs exactly 2 classes; the labels have {n} "
                f"({describe(self.classes_)}); use softmax regression for more"
            )

    def _initial_theta(self, objective: LinearObjective) -> np.ndarray:
        """Zeros, or with random_state set, small N(0, 0.01^2) weights (intercepts zero).

        Softmax weights are centred across classes, since adding a vector to every class's
        weights changes nothing but the penalty.
        """
        theta = np.zeros(objective.n_params)
        if self.random_state is not None:
            W, _ = objective.unpack(theta)
            W[:] = np.random.default_rng(self.random_state).normal(0.0, 0.01, size=W.shape)
            if not self._binary:
                W -= W.mean(axis=1, keepdims=True)
        return theta

    def _warn_if_not_converged(self, grad_norm: float) -> None:
        if self.status_ == "max_iter":
            warnings.warn(
                f"training stopped after max_iter={self.max_iter} epochs with gradient norm "
                f"{grad_norm:.3g} > tol={self.tol:g}; raise max_iter (--epochs), raise the l2 "
                "penalty (--l2) if the classes are separable, or raise tol",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif self.status_ == "diverged":
            warnings.warn(
                f"training diverged with learning_rate={self.learning_rate_:g}: the loss grew "
                "instead of falling; use a smaller learning rate or learning_rate='auto' "
                "(--lr auto), and standardize the features",
                ConvergenceWarning,
                stacklevel=3,
            )


def describe(classes: np.ndarray, limit: int = 10) -> str:
    """The first `limit` class names, comma-separated, with ", ..." when there are more."""
    shown = ", ".join(str(c) for c in classes[:limit])
    return shown + (", ..." if len(classes) > limit else "")


class LogisticRegression(_LinearClassifier):
    """Binary logistic regression: P(y = classes_[1] | x) = sigmoid(x . w + b).

    Parameters
    ----------
    loss : {"cross-entropy", "mse"}
        The training loss on the score s: cross-entropy log(1 + e^s) - y s, or the squared
        error (sigmoid(s) - y)^2 that the teaching material warns about.
    learning_rate : float or "auto"
        Step size; "auto" is 1/L for the objective's Lipschitz constant L (a safe step).
    max_iter : int
        Maximum number of epochs (full passes over the data).
    tol : float
        Stop when the gradient norm of the objective is at most tol.
    l2 : float
        Penalty (l2 / 2) ||w||^2 on the standardised weights; the intercept is not penalised.
        l2 = 1 / (C n) reproduces scikit-learn's LogisticRegression(C=C) on n samples.
    momentum : float
        0 is plain gradient descent; in (0, 1) Nesterov momentum with adaptive restart.
    standardize : bool
        Fit on standardised features; coef_ and intercept_ are reported in original units.
    random_state : int or None
        None starts from zero weights; an int seeds small random initial weights.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    coef_ : ndarray of shape (1, d), in original feature units
    intercept_ : ndarray of shape (1,)
    n_iter_ : int, epochs run
    status_ : str, "converged", "max_iter" or "diverged"
    history_ : dict with lists "train_loss" and "grad_norm" (and "val_loss"), one per epoch
        starting at epoch 0 (the initial weights)
    learning_rate_ : float, the step size used
    standardizer_ : Standardizer, the feature means and scales used in training
    """

    kind = "logistic"


class SoftmaxRegression(_LinearClassifier):
    """Multinomial (softmax) regression: P(y = k | x) = softmax(x W + b)_k over C >= 2 classes.

    Parameters and attributes are those of LogisticRegression, except that coef_ has shape
    (C, d) and intercept_ shape (C,): one row of weights per class. The loss is softmax
    cross-entropy logsumexp(s) - s_y, or the squared error sum_k (softmax(s)_k - [y = k])^2.
    l2 = 1 / (C n) reproduces scikit-learn's multinomial LogisticRegression(C=C).
    """

    kind = "softmax"


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value) and value > 0
    )


def _check_X(
    X: ArrayLike, n_features: int | None = None, name: str = "X", model: str = "the model"
) -> np.ndarray:
    """Features as a C-contiguous float64 (n, d) array of finite numbers, d >= 1."""
    if hasattr(X, "toarray"):
        raise DataError(f"sparse {name} is not supported; pass a dense array ({name}.toarray())")
    if np.asarray(X).dtype.kind == "c":
        raise DataError(f"Complex data not supported: {name} holds complex values")
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 2:
        raise DataError(
            f"{name} must be a 2-D array (n_samples, n_features); got shape {arr.shape}. "
            "Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a "
            "single sample"
        )
    for axis, what in ((0, "sample"), (1, "feature")):
        if arr.shape[axis] == 0:
            raise DataError(
                f"Found {name} with 0 {what}(s) (shape={arr.shape}) while a minimum of 1 is "
                "required"
            )
    if n_features is not None and arr.shape[1] != n_features:
        raise DataError(
            f"{name} has {arr.shape[1]} features, but {model} is expecting {n_features} "
            "features as input"
        )
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN or infinite values; drop or fill them first")
    return np.ascontiguousarray(arr)


def _check_y(y: ArrayLike, n: int, name: str = "y") -> np.ndarray:
    """Class labels as a 1-D array with one entry per row of the features."""
    if y is None:
        raise DataError(f"a classifier requires {name} to be passed, but the target {name} is None")
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        warnings.warn(
            f"{name} of shape (n, 1) was passed where (n,) is expected; it was flattened",
            DataConversionWarning,
            stacklevel=3,
        )
        labels = labels[:, 0]
    if labels.shape != (n,):
        raise DataError(f"{name} must have one label per row ({n}); got shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            raise DataError(f"{name} contains NaN or infinite labels")
        if not np.all(labels == np.round(labels)):
            raise DataError(
                f"Unknown label type: continuous. {name} holds numbers with fractions; a "
                "classifier needs class labels (integers or strings)"
            )
    return labels
