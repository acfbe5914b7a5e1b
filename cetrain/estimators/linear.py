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
from collections.abc import Callable, Collection, Mapping, Sequence
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import check_is_fitted

from cetrain.core.links import log_sigmoid, sigmoid, softmax
from cetrain.core.losses import Loss, check_sample_weight, loss_for
from cetrain.core.objective import LinearObjective
from cetrain.core.optim import gradient_descent
from cetrain.data.preprocess import Standardizer
from cetrain.errors import ConfigError, ConvergenceWarning, DataError

EpochCallback = Callable[[int, float, float], None]

# Defaults shared with the command line (cetrain.runs.settings builds its defaults from these).
DEFAULT_MAX_ITER = 5000
DEFAULT_TOL = 1e-6
DEFAULT_L2 = 1e-3  # small, so that separable classes still have a finite optimum
DEFAULT_MOMENTUM = 0.99  # with restarts: 2-10x fewer epochs than 0.9 on ill-conditioned data

_TOO_LARGE = (
    "the loss is not finite at the initial weights: the features are too large for float64 "
    "arithmetic; standardize them (standardize=True) or rescale them"
)


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    """Shared fitting and prediction for the three linear classifiers.

    A target is one of: class labels (n,); probability rows (n, C) for a softmax model (soft
    targets); 0/1 (or probability) columns (n, C) for a multi-label model. `target_kind_`
    records which: "labels", "probabilities" or "indicator".
    """

    kind: str  # "logistic", "softmax" or "multilabel"

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
        class_weight: str | Mapping | None = None,
        label_smoothing: float = 0.0,
        loss_options: Mapping[str, object] | None = None,
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
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.loss_options = loss_options

    @property
    def _binary(self) -> bool:
        return self.kind == "logistic"

    @property
    def _multilabel(self) -> bool:
        return self.kind == "multilabel"

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        classes: Sequence | None = None,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        callback: EpochCallback | None = None,
        record_params: bool | Collection[int] = False,
    ) -> "_LinearClassifier":
        """Fit the model by full-batch gradient descent.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Numeric features.
        y : array-like of shape (n,) or (n, C)
            Class labels (numbers or strings); or, for SoftmaxRegression, rows of class
            probabilities (soft targets); or, for MultiLabelRegression, 0/1 columns, one per
            label (labels of shape (n,) train it one-vs-rest).
        sample_weight : array-like of shape (n,), optional
            Non-negative weights; the loss is their weighted mean.
        classes : sequence, optional
            Names of the columns of a 2-D y (default 0..C-1).
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
        X = _check_X(X)
        y = self._check_target(y, X.shape[0])
        self._learn_classes(y, classes)
        self.n_features_in_ = X.shape[1]
        weight = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
        loss = self._training_loss(y)
        target, weight = self._loss_inputs(loss, y, weight)

        self.standardizer_ = Standardizer(enabled=self.standardize).fit(X, sample_weight=weight)
        objective = LinearObjective(
            self.standardizer_.transform(X),
            target,
            loss,
            n_outputs=self._n_outputs,
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

        history: dict[str, list] = {"train_loss": [], "grad_norm": []}
        if validation_data is not None:
            X_val, y_val = validation_data
            X_val = _check_X(X_val, self.n_features_in_, "X_val", type(self).__name__)
            Z_val = self.standardizer_.transform(X_val)
            y_val = self._check_target(y_val, Z_val.shape[0], "y_val")
            target_val, weight_val = self._loss_inputs(loss, y_val, None, what="y_val")
            weight_val = weight_val / weight_val.sum() if weight_val is not None else None
            truth_val = self._truth(y_val, what="y_val")
            log_loss = self._log_loss()
            log_target_val, _ = self._loss_inputs(
                log_loss, y_val, None, what="y_val", with_class_weight=False
            )
            history.update(val_loss=[], val_log_loss=[], val_accuracy=[])
        if record_params is not False:
            history.update(param_epochs=[], coef=[], intercept=[])
            keep = None if record_params is True else frozenset(record_params)

        def record(epoch: int, theta: np.ndarray, value: float, grad_norm: float) -> None:
            train_loss = value - objective.penalty(theta)
            history["train_loss"].append(train_loss)
            history["grad_norm"].append(grad_norm)
            if validation_data is not None:
                scores = objective.scores(theta, Z_val)  # the kernel's layout: (m,) or (K, m)
                correct = self._correct(scores.T, truth_val)
                history["val_accuracy"].append(float(np.mean(correct)))
                # accumulate overwrites its scores: the last loss may use them, not the first
                m = len(truth_val)
                scores_for_log = self._log_loss_scores(scores.T).T.copy()
                history["val_log_loss"].append(
                    log_loss.accumulate(scores_for_log, log_target_val, None) / m
                )
                total = loss.accumulate(scores, target_val, weight_val)
                history["val_loss"].append(total if weight_val is not None else total / m)
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
            smooth=loss.smooth,
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
        """Scores X @ coef_.T + intercept_: shape (n,) for binary models, (n, C) otherwise."""
        check_is_fitted(self, "coef_")
        X = _check_X(X, self.n_features_in_, model=type(self).__name__)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if self._binary else scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, C), columns in the order of classes_ (for a multi-label
        model: each label's own probability; the rows need not sum to 1)."""
        return self.proba_from_scores(self.decision_function(X))

    def proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Scores as decision_function returns them -> probabilities (n, C).

        [sigmoid(-s), sigmoid(s)] for a binary model; softmax(s) for a softmax model; for a
        multi-label model sigmoid(s) per label, or, one-vs-rest, the sigmoids normalised to
        sum to 1: softmax(log sigmoid(s)).
        """
        if self._binary:
            # sigmoid(-s) rather than 1 - sigmoid(s): exact when sigmoid(s) is close to 1
            return np.column_stack([sigmoid(-scores), sigmoid(scores)])
        if self._multilabel and self.target_kind_ == "indicator":
            return sigmoid(scores)
        return softmax(self._log_loss_scores(scores))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row, shape (n,); for a multi-label model trained on
        0/1 columns, the 0/1 prediction of every label, shape (n, C)."""
        scores = self.decision_function(X)
        if self._binary:
            return self.classes_[(scores > 0).astype(np.intp)]
        if self._multilabel and self.target_kind_ == "indicator":
            return (scores > 0).astype(np.int64)
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy: the (weighted) share of rows predicted right; for 0/1 label columns every
        label of the row must be right (subset accuracy), for probability rows the most
        probable class."""
        scores = self.decision_function(X)
        truth = self._truth(self._check_target(y, scores.shape[0]))
        return float(np.average(self._correct(scores, truth), weights=sample_weight))

    def class_index(self, y: ArrayLike, what: str = "y") -> np.ndarray:
        """The position in classes_ of each label, shape (n,) (of each row's most probable
        class, for probability rows); unknown labels are a DataError."""
        check_is_fitted(self, "classes_")
        labels = np.asarray(y)
        if labels.ndim == 2:
            return np.argmax(labels, axis=1)
        # classes_ is sorted for labels, but in column order for a 2-D target's named classes
        order = np.argsort(self.classes_, kind="stable")
        ordered = self.classes_[order]
        position = np.minimum(np.searchsorted(ordered, labels), len(ordered) - 1)
        index = order[position]
        unknown = ordered[position] != labels
        if np.any(unknown):
            raise DataError(
                f"{what} has classes not seen in training: "
                f"{', '.join(map(str, np.unique(labels[unknown])[:5]))}; the classes are "
                f"{', '.join(map(str, self.classes_))}"
            )
        return index

    def mean_loss(self, X: ArrayLike, y: ArrayLike, loss: str | None = None) -> float:
        """The mean loss of the model's scores on (X, y).

        Parameters
        ----------
        X : array-like of shape (n, d)
        y : array-like of shape (n,) or (n, C)
            Targets as fit takes them, all among the classes seen in training.
        loss : str, optional
            None: the training loss, with its options (class weights, smoothing, ...).
            "cross-entropy": the log loss of predict_proba, computed exactly from the scores
            (for 0/1 label columns, the mean binary cross-entropy over all labels).

        Returns
        -------
        float
        """
        scores = self.decision_function(X)
        y = self._check_target(y, scores.shape[0])
        if loss == "cross-entropy":
            chosen, scores, classes = self._log_loss(), self._log_loss_scores(scores), False
        elif loss is None:
            chosen, classes = self._training_loss(y), True
        else:
            chosen = loss_for(loss, binary=self._binary, multilabel=self._multilabel)
            classes = False
        # the training objective's own path: prepared targets, class weights, the kernel
        target, weight = self._loss_inputs(chosen, y, None, with_class_weight=classes)
        kernel_scores = chosen.to_kernel_layout(chosen.check_scores(scores))
        if weight is None:
            return float(chosen.accumulate(kernel_scores, target, None) / len(y))
        return float(chosen.accumulate(kernel_scores, target, weight / weight.sum()))

    # --- targets --------------------------------------------------------------------------

    @property
    def _n_outputs(self) -> int:
        return 1 if self._binary else len(self.classes_)

    def _check_target(self, y: ArrayLike, n: int, name: str = "y") -> np.ndarray:
        """Labels (n,), or for softmax and multi-label models numeric columns (n, C) in [0, 1]."""
        target = _check_y(y, n, name, two_d=not self._binary)
        if target.ndim == 2:
            if target.shape[1] < 2:
                raise DataError(f"{name} needs at least 2 columns; got shape {target.shape}")
            if not (np.issubdtype(target.dtype, np.number) or target.dtype == bool):
                raise DataError(f"{name} columns must be numbers in [0, 1]; got {target.dtype}")
            target = target.astype(np.float64)
            if not np.all((target >= 0) & (target <= 1)):
                raise DataError(f"{name} columns must hold numbers in [0, 1]")
        return target

    def _learn_classes(self, y: np.ndarray, classes: Sequence | None) -> None:
        """classes_ and target_kind_ from the training target."""
        if y.ndim == 1:
            if classes is not None:
                raise DataError("classes names the columns of a 2-D y; labels name themselves")
            self.classes_ = np.unique(y)
            self.target_kind_ = "labels"
            self._check_n_classes()
            return
        names = np.arange(y.shape[1]) if classes is None else np.asarray(list(classes))
        if names.shape != (y.shape[1],) or len(set(names.tolist())) != y.shape[1]:
            raise DataError(f"classes must name each of the {y.shape[1]} columns of y once")
        self.classes_ = names
        self.target_kind_ = "indicator" if self._multilabel else "probabilities"

    def _raw_targets(self, y: np.ndarray, what: str = "y") -> np.ndarray:
        """y as the loss's prepare_target takes it: 0/1 floats for a binary model; class
        indices or probability rows for softmax; label columns for a multi-label model (one-hot
        rows when it is trained one-vs-rest on labels)."""
        if y.ndim == 2:
            if y.shape[1] != len(self.classes_):
                raise DataError(
                    f"{what} has {y.shape[1]} columns, but the model was fit on "
                    f"{len(self.classes_)}"
                )
            return y
        index = self.class_index(y, what)
        if self._binary:
            return index.astype(np.float64)
        if self._multilabel:
            return np.eye(len(self.classes_))[index]
        return index

    def _loss_inputs(
        self,
        loss: Loss,
        y: np.ndarray,
        weight: np.ndarray | None,
        what: str = "y",
        with_class_weight: bool = True,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The prepared targets and the sample weights times the loss's multipliers (class
        weights) for training on (., y); weights None mean uniform."""
        raw = self._raw_targets(y, what)
        shape = (len(y),) if self._binary else (len(y), len(self.classes_))
        target = loss.prepare_target(raw, shape)
        multiplier = loss.sample_multiplier(raw, shape)
        class_factor = self._class_weight_factor(loss, y) if with_class_weight else None
        for factor in (multiplier, class_factor):
            if factor is not None:
                weight = factor if weight is None else weight * factor
        if weight is not None and not weight.sum() > 0:
            raise DataError("sample_weight times class_weight must not be all zero")
        return target, weight

    def _truth(self, y: np.ndarray, what: str = "y") -> np.ndarray:
        """What a prediction is compared with: class indices, or 0/1 label columns."""
        if self._multilabel and self.target_kind_ == "indicator":
            return self._raw_targets(y, what) >= 0.5
        return self.class_index(y, what)

    def _correct(self, scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
        """Per row: is the prediction from `scores` ((n,) or (n, C)) right?"""
        if self._binary:
            return (scores > 0) == truth
        if truth.ndim == 2:
            return np.all((scores > 0) == truth, axis=1)
        return np.argmax(scores, axis=1) == truth

    # --- losses -----------------------------------------------------------------------------

    def _training_loss(self, y: np.ndarray) -> Loss:
        """The configured loss: loss_options, label_smoothing, and the class weights when the
        loss takes them itself (cross-entropy; the others get them as sample weights)."""
        options = dict(self.loss_options or {})
        if self.loss == "focal" and options.get("alpha") is not None:
            options["alpha"] = self._focal_alpha(options["alpha"])
        if self.label_smoothing:
            options["label_smoothing"] = self.label_smoothing
        loss = loss_for(self.loss, binary=self._binary, multilabel=self._multilabel, **options)
        weights = self._class_weight_vector(y)
        if weights is not None and "class_weight" in loss.option_names:
            loss = loss.configured(class_weight=tuple(weights.tolist()))
        return loss

    def _focal_alpha(self, alpha: object) -> object:
        """The focal loss's alpha as its kernel takes it: one number (the positive class's
        weight) for sigmoid outputs, one weight per class for softmax ({class: weight} here)."""
        per_class = not self._binary and not self._multilabel
        if isinstance(alpha, Mapping):
            if not per_class:
                pairs = ",".join(f"{name}={weight}" for name, weight in alpha.items())
                raise ConfigError(
                    "focal alpha of a sigmoid output is the positive class's weight, a number in "
                    f"[0, 1]; got class=weight pairs {pairs}"
                )
            return tuple(self._per_class(alpha, "focal alpha").tolist())
        if per_class and not isinstance(alpha, list | tuple | np.ndarray):
            names = [str(c) for c in self.classes_]
            raise ConfigError(
                "focal alpha of a softmax model is one weight per class, like "
                f'"{names[0]}=0.5,{names[1]}=0.25", or none; got {alpha!r}'
            )
        return alpha

    def _log_loss(self) -> Loss:
        """Cross-entropy of the model's probabilities, without any option."""
        multilabel = self._multilabel and self.target_kind_ == "indicator"
        return loss_for("cross-entropy", binary=self._binary, multilabel=multilabel)

    def _log_loss_scores(self, scores: np.ndarray) -> np.ndarray:
        """The scores whose softmax (or sigmoid) is predict_proba: log sigmoid(s) for a
        one-vs-rest model, whose probabilities are its normalised sigmoids."""
        if self._multilabel and self.target_kind_ == "labels":
            return log_sigmoid(scores)
        return scores

    def _class_weight_vector(self, y: np.ndarray) -> np.ndarray | None:
        """class_weight as one weight per class in classes_ order (None without)."""
        if self.class_weight is None:
            return None
        if self._multilabel:
            raise ConfigError(
                "class_weight applies to logistic and softmax models, not multi-label ones"
            )
        if self.class_weight == "balanced":
            # scikit-learn's rule: n / (C * n_k), with n_k the rows (or probability mass) of k
            counts = (
                np.bincount(self.class_index(y), minlength=len(self.classes_))
                if y.ndim == 1
                else y.sum(axis=0)
            )
            return len(y) / (len(self.classes_) * np.maximum(counts, np.finfo(float).tiny))
        if not isinstance(self.class_weight, Mapping):
            raise ConfigError(
                f"class_weight must be 'balanced' or a mapping of class to weight; "
                f"got {self.class_weight!r}"
            )
        weights = self._per_class(self.class_weight, "class_weight")
        if not np.any(weights > 0):
            raise ConfigError("class_weight must give at least one class a weight above 0")
        return weights

    def _per_class(self, mapping: Mapping, option: str) -> np.ndarray:
        """{class: weight} as one weight per class in classes_ order; 1 for a class not named."""
        names = [str(c) for c in self.classes_]
        weights = np.ones(len(names))
        for label, value in mapping.items():
            if str(label) not in names:
                raise ConfigError(
                    f"{option} names the unknown class {label!r}; the classes are "
                    f"{', '.join(names)}"
                )
            if not (_positive_number(value) or value == 0):
                raise ConfigError(f"{option} of {label!r} must be a number >= 0; got {value!r}")
            weights[names.index(str(label))] = float(value)
        return weights

    def _class_weight_factor(self, loss: Loss, y: np.ndarray) -> np.ndarray | None:
        """Class weights as per-sample weights, for losses that do not take them: the weight of
        each row's class (the rows' expected class weight, for probability rows)."""
        if "class_weight" in loss.option_names:
            return None
        weights = self._class_weight_vector(y)
        if weights is None:
            return None
        return y @ weights if y.ndim == 2 else weights[self.class_index(y)]

    # --- helpers ----------------------------------------------------------------------------

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
        if self.loss_options is not None and not isinstance(self.loss_options, Mapping):
            raise ConfigError(f"loss_options must be a mapping; got {self.loss_options!r}")

    def _check_n_classes(self) -> None:
        """LogisticRegression needs exactly two classes; the others at least two."""
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
            if self.kind == "softmax":
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


class MultiLabelRegression(_LinearClassifier):
    """C independent logistic regressions sharing the features: P(label k | x) = sigmoid(s_k),
    s = x W + b, each label trained on its own sigmoid cross-entropy (or another loss that has a
    multi-label form).

    Fit on an (n, C) array of 0/1 columns, a row may have any number of labels: predict gives
    the (n, C) 0/1 predictions, predict_proba each label's probability, score the subset
    accuracy (every label of a row right). Fit on labels of shape (n,), it trains the
    one-vs-rest sigmoids of a single-label problem (target: the one-hot rows): predict gives the
    class with the highest score and predict_proba the sigmoids normalised to sum to 1, so it
    can be compared with SoftmaxRegression on one scale.

    Parameters and attributes are those of LogisticRegression, with coef_ of shape (C, d),
    intercept_ of shape (C,) and classes_ the label columns' names (fit's `classes`, default
    0..C-1) or, one-vs-rest, the labels.
    """

    kind = "multilabel"


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


def _check_y(y: ArrayLike, n: int, name: str = "y", two_d: bool = False) -> np.ndarray:
    """Class labels as a 1-D array with one entry per row of the features; with two_d, an
    (n, C) array of columns passes as it is."""
    if y is None:
        raise DataError(f"a classifier requires {name} to be passed, but the target {name} is None")
    labels = np.asarray(y)
    if two_d and labels.ndim == 2 and labels.shape[0] == n and labels.shape[1] > 1:
        return labels
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
