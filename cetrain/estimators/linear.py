"""Logistic, softmax and multi-label regression in scikit-learn's style, trained by our own
gradient descent.

All three minimise, over W and b,

    f(W, b) = sum_i w_i l(z_i W + b, y_i) / sum_i w_i + (l2 / 2) ||W||_F^2

where l is the chosen loss on the scores, w_i the sample weight times the class weight of the
row's label, and z_i is x_i standardised (when standardize=True) with the w-weighted mean and
population scale: scikit-learn's LogisticRegression(C = 1 / (l2 sum_i w_i)) on z with sample
weights w_i. A multi-label model's l is the mean over its K labels, and its penalty is
(l2 / (2K)) ||W||_F^2 (l1 / K likewise), so that each label is fit as by a LogisticRegression(l2)
of its own.
The learned coef_ and intercept_ are mapped back to the ORIGINAL feature units, as glmnet does:

    coef_ = W^T / scale,    intercept_ = b - coef_ @ mean

so `X @ coef_.T + intercept_` gives the same scores as the standardised model, and an
unpenalised fit on raw data gives the maximum-likelihood coefficients a statistics text prints.
What the scores mean (one sigmoid, a softmax, independent sigmoids) is the job of the model's
output head (cetrain.core.heads), chosen once in fit.
"""

import warnings
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, validate_data

from cetrain.core.heads import MODEL_KINDS, Head, TargetKind
from cetrain.core.losses import Loss, check_sample_weight, loss_for, loss_spec, unit_scaled
from cetrain.core.objective import GRAM_MAX_FEATURES, LinearObjective
from cetrain.core.optim import (
    Descent,
    MajoriserInverse,
    OptimizeResult,
    gradient_descent,
    oscillated,
    uphill_epochs,
)
from cetrain.core.params import Advice, per_class
from cetrain.data.preprocess import Standardizer
from cetrain.data.rows import Rows
from cetrain.errors import ConfigError, ConvergenceWarning, DataError
from cetrain.estimators import params
from cetrain.estimators.cores import CoreUse
from cetrain.estimators.history import EpochCallback, HistoryRecorder, ValidationMonitor
from cetrain.estimators.validation import check_X, check_y

_NOT_FINITE = "the loss is not finite at the initial weights: "
_TOO_LARGE = Advice(
    _NOT_FINITE + "the features are too large for float64 arithmetic; standardize them "
    "({standardize}) or rescale them",
    {"standardize": ("standardize", True)},
)
# with standardised features, what is left to overflow
_OPTIONS_TOO_LARGE = Advice(
    _NOT_FINITE + "values too large for float64 arithmetic in the features, the sample or class "
    "weights or the loss's options; rescale them"
)


class _LinearClassifier(ClassifierMixin, BaseEstimator):
    """Shared fitting and prediction for the three linear classifiers.

    A target is one of: class labels (n,); probability rows (n, C) for a softmax model (soft
    targets); 0/1 (or probability) columns (n, C) for a multi-label model. `target_kind_`
    records which (cetrain.core.heads.TargetKind), and with the model's `kind` it chooses the
    output head, `head_`.
    """

    kind: str  # a key of cetrain.core.heads.MODEL_KINDS

    def __init__(
        self,
        loss: str = params.LOSS.default,
        learning_rate: float | str = params.LEARNING_RATE.default,
        max_iter: int = params.MAX_ITER.default,
        tol: float = params.TOL.default,
        l2: float = params.L2.default,
        l1: float = params.L1.default,
        momentum: float = params.MOMENTUM.default,
        standardize: bool = params.STANDARDIZE.default,
        random_state: int | None = None,
        class_weight: str | Mapping | None = params.CLASS_WEIGHT.default,
        label_smoothing: float = params.LABEL_SMOOTHING.default,
        loss_options: Mapping[str, object] | None = params.LOSS_OPTIONS.default,
        dtype: str = params.DTYPE.default,
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
        self.dtype = dtype

    def __sklearn_tags__(self) -> Tags:
        """scikit-learn's tags, from the model kind: a kind whose head is made for a fixed
        number of classes (logistic: 2) is binary only; one fit on 0/1 label columns is
        multi-label (a 2-D y of several outputs)."""
        tags = super().__sklearn_tags__()
        kind = MODEL_KINDS[self.kind]
        tags.classifier_tags.multi_class = kind.heads[kind.target].n_classes is None
        tags.classifier_tags.multi_label = kind.target is TargetKind.INDICATOR
        tags.target_tags.multi_output = kind.target is TargetKind.INDICATOR
        return tags

    @property
    def head_(self) -> Head:
        """The output head the model was fit with (from its kind and target_kind_)."""
        check_is_fitted(self, "target_kind_")
        return MODEL_KINDS[self.kind].head(TargetKind(self.target_kind_))

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
            Numeric features; a DataFrame's column names become feature_names_in_.
        y : array-like of shape (n,) or (n, C)
            Class labels (numbers or strings); or, for SoftmaxRegression, rows of class
            probabilities (soft targets); or, for MultiLabelRegression, 0/1 columns, one per
            label (labels of shape (n,) train it one-vs-rest).
        sample_weight : array-like of shape (n,), optional
            Non-negative weights; the loss is their weighted mean (times the class weights),
            and class_weight="balanced" counts the classes with them.
        classes : sequence, optional
            Names of the columns of a 2-D y (default 0..C-1).
        validation_data : (X_val, y_val), optional
            Data measured each epoch: history_.val_loss (the training loss),
            history_.val_log_loss (cross-entropy, whatever the training loss) and
            history_.val_accuracy.
        callback : callable, optional
            callback(epoch, train_loss, grad_norm) after every epoch, e.g. for a progress bar.
        record_params : bool or collection of int
            Keep the coefficients and intercepts, in original units, of every epoch (True) or of
            the listed epochs and the last one, in history_.coef and history_.intercept, with
            their epochs in history_.param_epochs (e.g. to animate the boundary).

        Returns
        -------
        self
        """
        objective, loss, recorder = self._prepare_fit(
            X, y, sample_weight, classes, validation_data, callback, record_params
        )
        with CoreUse(objective) as cores:
            result = self._descend(objective, loss, recorder, cores.value_and_grad)
        self._keep_result(result, recorder)
        self._warn_if_not_converged(result, loss.smooth)
        return self

    def fit_stepwise(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        classes: Sequence | None = None,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        callback: EpochCallback | None = None,
    ) -> "StepwiseFit":
        """Set up fit's gradient descent on (X, y) without running it: the returned
        StepwiseFit's run(max_iter) takes it on to epoch max_iter, in as many calls as wanted,
        with exactly the steps of fit with that max_iter (e.g. a live page, a few epochs per
        frame). The arguments are fit's; max_iter is not used (run takes the limit)."""
        objective, loss, recorder = self._prepare_fit(
            X, y, sample_weight, classes, validation_data, callback, False
        )
        # one thread walks the row blocks (CoreUse's "blas" way; either way gives the same bits)
        descent = Descent(objective.value_and_grad, **self._descent_args(objective, loss, recorder))
        return StepwiseFit(self, objective, loss, recorder, descent)

    def _prepare_fit(self, X, y, sample_weight, classes, validation_data, callback, record_params):
        """fit's checks and set-up: (objective, loss, recorder), the learned targets,
        standardizer_ and learning_rate_."""
        self._check_params()
        X = self._features(X, reset=True, dtype=np.dtype(self.dtype))
        y = self._check_target(y, X.shape[0])
        weight = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
        self._learn_targets(y, classes)
        loss = self._training_loss(y, weight)
        target, weight = self._loss_inputs(loss, y, weight)

        # the weights of the loss (sample x class weight) standardise too, so that the fit is
        # scikit-learn's on features standardised with the same weighted mean and scale
        self.standardizer_ = Standardizer(enabled=self.standardize).fit(
            X, sample_weight=weight, feature_names=getattr(self, "feature_names_in_", None)
        )
        # the Standardizer's pass over X also gave the step size's Gram matrix
        objective = self._objective(X, loss, target, weight, self.standardizer_.weighted_gram())
        self.learning_rate_ = self._step_size(objective)
        recorder = HistoryRecorder(
            objective,
            self.standardizer_,
            monitor=self._validation_monitor(validation_data, loss),
            record_params=record_params,
            callback=callback,
        )
        return objective, loss, recorder

    def training_objective(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> LinearObjective:
        """The objective fit minimised, on (X, y) as fit took them: the features standardised by
        standardizer_ (without a copy of X), the training loss with its options, the class
        weights and the penalties.

        Its parameters theta are those of the standardised model (see LinearObjective): the
        fitted model's are objective.pack(W_T.T, b) with
        W_T, b = standardizer_.to_standardised_units(coef_, intercept_).
        """
        check_is_fitted(self, "coef_")
        X = check_X(X, self.n_features_in_, model=type(self).__name__, dtype=np.dtype(self.dtype))
        y = self._check_target(y, X.shape[0])
        weight = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
        loss = self._training_loss(y, weight)
        return self._objective(X, loss, *self._loss_inputs(loss, y, weight))

    # --- the steps of fit -------------------------------------------------------------------

    def _objective(
        self,
        X: np.ndarray,
        loss: Loss,
        target: np.ndarray,
        weight: np.ndarray | None,
        gram: np.ndarray | None = None,
    ) -> LinearObjective:
        """The penalised weighted mean loss on the standardised X (standardizer_ is fitted; the
        objective standardises on the fly, so X is not copied); the penalties are scaled as the
        head's loss is averaged (1/K over K sigmoid labels). `gram`: its weighted_gram, when
        known (fit's, from the Standardizer)."""
        penalty_scale = self.head_.penalty_scale(len(self.classes_))
        mean, scale = self.standardizer_.objective_terms()
        return LinearObjective(
            X,
            target,
            loss,
            n_outputs=self.head_.n_outputs(len(self.classes_)),
            sample_weight=weight,
            l2=self.l2 * penalty_scale,
            l1=self.l1 * penalty_scale,
            mean=mean,
            scale=scale,
            gram=gram,
        )

    def _features(
        self, X: ArrayLike, reset: bool = False, dtype: type[np.floating] | np.dtype = np.float64
    ) -> np.ndarray:
        """X checked by check_X, as float64 (n, d) (or `dtype`: fit's float32 training data).
        scikit-learn's validate_data then keeps n_features_in_ and feature_names_in_ (a
        DataFrame's columns) in fit (reset), and compares X's column names with them after,
        warning or raising as scikit-learn does."""
        features = check_X(
            X, None if reset else self.n_features_in_, model=type(self).__name__, dtype=dtype
        )
        validate_data(self, X, reset=reset, skip_check_array=True)
        return features

    def _check_params(self) -> None:
        """Reject hyperparameters outside their range, naming the accepted values."""
        for param in params.PARAMETERS:
            param.check(getattr(self, param.name))

    def _learn_targets(self, y: np.ndarray, classes: Sequence | None) -> None:
        """classes_ and target_kind_ (and so head_) from the training target."""
        kind = MODEL_KINDS[self.kind]
        if y.ndim == 1:
            if classes is not None:
                raise DataError("classes names the columns of a 2-D y; labels name themselves")
            self.classes_ = np.unique(y)
            self.target_kind_ = TargetKind.LABELS
        else:
            names = np.arange(y.shape[1]) if classes is None else np.asarray(list(classes))
            if names.shape != (y.shape[1],) or len(set(names.tolist())) != y.shape[1]:
                raise DataError(f"classes must name each of the {y.shape[1]} columns of y once")
            self.classes_ = names
            self.target_kind_ = kind.columns
        self.head_.check_classes(self.classes_)

    def _step_size(self, objective: LinearObjective) -> float:
        """learning_rate, or for "auto" (any case) 1/L with L the objective's Lipschitz bound."""
        learning_rate = params.LEARNING_RATE.check(self.learning_rate)
        if learning_rate != "auto":
            return learning_rate
        lipschitz = objective.lipschitz_bound()
        if not np.isfinite(objective.loss.curvature):
            # the loss's options, not the features: its curvature alone is beyond float64
            raise self._options_too_large(objective.loss, "its curvature overflows")
        if not np.isfinite(lipschitz):
            raise DataError(self._too_large())
        return 1.0 / lipschitz

    def _too_large(self) -> Advice:
        """Why the loss is not finite before training: standardisation helps only when off."""
        return _OPTIONS_TOO_LARGE if self.standardize else _TOO_LARGE

    def _validation_monitor(
        self, validation_data: tuple[ArrayLike, ArrayLike] | None, loss: Loss
    ) -> ValidationMonitor | None:
        """What measures (X_val, y_val) at every epoch: the training loss with its class
        weights, the log loss and the accuracy."""
        if validation_data is None:
            return None
        X_val, y_val = validation_data
        X_val = check_X(X_val, self.n_features_in_, "X_val", type(self).__name__)
        y_val = self._check_target(y_val, X_val.shape[0], "y_val")
        target, weight = self._loss_inputs(loss, y_val, None, what="y_val")
        log_loss = self._log_loss()
        log_target, _ = self._loss_inputs(log_loss, y_val, None, "y_val", with_class_weight=False)
        return ValidationMonitor(
            X_val,
            self.head_,
            loss,
            target,
            None if weight is None else weight / weight.sum(),
            log_loss,
            log_target,
            self.head_.truth(self._encode(y_val, "y_val")),
        )

    def _descend(
        self,
        objective: LinearObjective,
        loss: Loss,
        recorder: HistoryRecorder,
        value_and_grad: Callable[[np.ndarray, np.ndarray], float],
    ) -> OptimizeResult:
        """Gradient descent from the initial weights, with Nesterov momentum (none for
        momentum=0): preconditioned where that applies (see _preconditioner), else steps of
        learning_rate_ (proximal with an L1 penalty). `value_and_grad` evaluates `objective`
        (on the cores as cetrain.estimators.cores chose)."""
        result = gradient_descent(
            value_and_grad,
            max_iter=self.max_iter,
            **self._descent_args(objective, loss, recorder),
        )
        self._check_started(result, objective, loss)
        return result

    def _descent_args(
        self, objective: LinearObjective, loss: Loss, recorder: HistoryRecorder
    ) -> dict:
        """gradient_descent's (and Descent's) arguments but the function and max_iter."""
        return {
            "theta0": self._initial_theta(objective),
            "learning_rate": self.learning_rate_,
            "tol": self.tol,
            "momentum": self.momentum,
            "callback": recorder,
            "prox": objective.prox if self.l1 else None,
            "penalty": objective.l1_penalty if self.l1 else None,
            "smooth": loss.smooth,
            "precondition": self._preconditioner(objective, loss),
        }

    def _check_started(
        self, result: OptimizeResult, objective: LinearObjective, loss: Loss
    ) -> None:
        """Raise the error that says why a run recorded not even its start (nothing when it
        recorded it)."""
        if not result.objective:
            if not np.isfinite(objective.value(np.zeros(objective.n_params))):
                # at W = 0 and b = 0 the scores are 0 whatever the features: the options' doing
                raise self._options_too_large(loss, "its value at zero scores overflows")
            if np.isfinite(objective.value(self._initial_theta(objective))):
                # the start was fine: its first step left float64, a hand-set step's doing
                raise ConfigError(
                    Advice(
                        "{step} is too large: the first step overflows float64; use a smaller "
                        "{step:name} or {auto}",
                        {
                            "step": ("learning_rate", self.learning_rate_),
                            "auto": ("learning_rate", "auto"),
                        },
                    )
                )
            raise DataError(self._too_large())

    def _preconditioner(self, objective: LinearObjective, loss: Loss) -> MajoriserInverse | None:
        """The default optimiser's metric M^{-1}, M = c A^T D A + l2 I_W (Boehning's bound on
        the Hessian: c the loss's curvature bound, A = [Z, 1], the intercept unpenalised), when
        learning_rate is "auto" and momentum above 0, on a smooth loss without an L1 penalty
        and with at most GRAM_MAX_FEATURES features. None otherwise: plain gradient descent
        (momentum 0, the teaching path), a hand-set step, FISTA's proximal steps for L1 (a
        non-diagonal metric makes its soft threshold non-separable), the hinge's subgradient
        steps, or too many features for a (d+1) x (d+1) matrix."""
        n_rows = objective.n_params // objective.n_outputs  # d + 1
        if (
            params.LEARNING_RATE.check(self.learning_rate) != "auto"
            or not self.momentum
            or self.l1
            or not loss.smooth
            or n_rows - 1 > GRAM_MAX_FEATURES
        ):
            return None
        penalised = np.ones(n_rows)
        penalised[-1] = 0.0  # the intercept's row
        matrix = loss.curvature * objective.weighted_gram() + np.diag(objective.l2 * penalised)
        return MajoriserInverse(matrix, objective.n_outputs)

    def _options_too_large(self, loss: Loss, why: str) -> ConfigError:
        """The error for a loss whose options alone overflow float64 (not the features)."""
        options = ", ".join(f"{k}={v!r}" for k, v in loss.options.items())
        return ConfigError(
            f"the {self.loss} loss with {options} is too large for float64 arithmetic ({why}); "
            "use smaller values"
        )

    def _keep_result(self, result: OptimizeResult, recorder: HistoryRecorder) -> None:
        """The learned state: coefficients in original units, epochs, status and history."""
        self.coef_, self.intercept_ = recorder.original_units(result.theta)
        self.n_iter_ = result.n_iter
        self.status_ = result.status
        self.history_ = recorder.finish(result.n_iter, self.coef_, self.intercept_)

    def _initial_theta(self, objective: LinearObjective) -> np.ndarray:
        """Zeros, or with random_state set, small N(0, 0.01^2) weights (intercepts zero),
        adjusted by the head (a softmax's are centred across classes)."""
        theta = np.zeros(objective.n_params)
        if self.random_state is not None:
            W, _ = objective.unpack(theta)
            random = np.random.default_rng(self.random_state).normal(0.0, 0.01, size=W.shape)
            W[:] = self.head_.initial_weights(random)
        return theta

    def _warn_if_not_converged(self, result: OptimizeResult, smooth: bool) -> None:
        """A ConvergenceWarning that says what stopped the run and what to change; its message
        is an Advice, so the command line names its options in its own spelling."""
        advice = self._convergence_advice(result, smooth)
        if advice is not None:
            warnings.warn(ConvergenceWarning(advice), stacklevel=3)

    def _convergence_advice(self, result: OptimizeResult, smooth: bool) -> Advice | None:
        """What stopped a run that did not converge, and only the changes that would help: a
        smaller step when one set by hand overshot, standardisation when it is off, more
        epochs, penalty or tol otherwise; a stalled subgradient run, a smaller tol."""
        by_hand = params.LEARNING_RATE.check(self.learning_rate) != "auto"
        mentions = {
            "epochs": ("max_iter", self.max_iter),
            "tol": ("tol", self.tol),
            "lr": ("learning_rate", self.learning_rate_ if by_hand else "auto"),
            "smaller_lr": ("learning_rate", self.learning_rate_ / 10),
            "auto": ("learning_rate", "auto"),
            "l2": ("l2", self.l2),
            "standardize": ("standardize", True),
        }
        losses = self.history_.train_loss
        if self.status_ == "stalled":
            text = (
                f"training stalled after {result.n_iter} epochs: the {self.loss} loss has a kink, "
                "where the gradient need not vanish, and its subgradient steps no longer "
                "lowered the objective by more than {tol} (relative), so the weights are near "
                "the minimum but not proven at it; a smaller {tol:name} runs closer to it"
            )
        elif self.status_ == "max_iter":
            rule = (
                f"with the gradient norm {result.grad_norm[-1]:.3g} still above {{tol}}"
                if smooth
                else "before its subgradient steps stalled (see {tol:name})"
            )
            text = f"training reached the epoch limit {{epochs}} {rule}; "
            if by_hand and oscillated(losses):
                text += (
                    f"the loss rose in {uphill_epochs(losses)} of {result.n_iter} epochs: the "
                    "step {lr} overshoots; use a smaller {lr:name} (e.g. {smaller_lr}) or {auto}"
                )
            else:
                separable = " if the classes are separable" if self.l1 == 0 else ""
                text += "raise {epochs:name}, raise {l2:name}" + separable + ", or raise {tol:name}"
        elif self.status_ == "diverged":
            grew = np.isfinite(losses[-1]) and len(losses) > 1
            text = "training diverged with the step {lr}: the loss "
            text += "grew instead of falling" if grew else "overflowed float64"
            changes = []
            if by_hand:
                changes.append("use a smaller {lr:name} (e.g. {smaller_lr}) or {auto}")
            if not self.standardize:
                changes.append("standardize the features ({standardize})")
            if not changes:
                text += (
                    ", which a step of 1/L cannot do: values too large for float64 arithmetic "
                    "(in the features, the sample or class weights or the loss's options) "
                    "overflowed; rescale them"
                )
            text += "; " + ", and ".join(changes) if changes else ""
        else:
            return None
        return Advice(text, mentions)

    # --- prediction -------------------------------------------------------------------------

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Scores as scikit-learn's classifiers give them: shape (n,) for two classes, the logit
        of P(classes_[1]) (X @ coef_.T + intercept_ of a logistic model; the difference of the
        two classes' scores of a softmax model), (n, C) for more classes or label columns."""
        return self.head_.decision(self._scores(X))

    def _scores(self, X: ArrayLike) -> np.ndarray:
        """The head's scores of X, from X @ coef_.T + intercept_: (n,) for a logistic model,
        (n, C) otherwise; what predictions, probabilities and losses are computed from. X may be
        `Rows` of a memory-mapped array, which every method that predicts or scores takes."""
        check_is_fitted(self, "coef_")
        if isinstance(X, Rows):  # rows of a memory-mapped X: block by block, never copied whole
            return X.apply(self._scores)
        return self.head_.scores(self._features(X) @ self.coef_.T + self.intercept_)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, C), columns in the order of classes_ (for a multi-label
        model: each label's own probability; the rows need not sum to 1)."""
        return self.head_.probabilities(self._scores(X))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row, shape (n,); for a multi-label model trained on
        0/1 columns, the 0/1 prediction of every label, shape (n, C)."""
        return self.head_.predict(self._scores(X), self.classes_)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy: the (weighted) share of rows predicted right; for 0/1 label columns every
        label of the row must be right (subset accuracy), for probability rows the most
        probable class."""
        scores = self._scores(X)
        truth = self.head_.truth(self._encode(self._check_target(y, scores.shape[0])))
        return float(np.average(self.head_.correct(scores, truth), weights=sample_weight))

    def proba_from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Scores as decision_function returns them -> probabilities (n, C), by the head."""
        return self.head_.decision_probabilities(np.asarray(scores))

    def proba_with(
        self, coef: np.ndarray, intercept: np.ndarray
    ) -> Callable[[ArrayLike], np.ndarray]:
        """predict_proba with other coefficients in original units (e.g. those of an earlier
        epoch, history_.coef[k] and history_.intercept[k])."""
        head = self.head_

        def predict_proba(X: ArrayLike) -> np.ndarray:
            return head.probabilities(head.scores(np.asarray(X) @ coef.T + intercept))

        return predict_proba

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
        chosen, kernel_scores, target, weight = self._loss_terms(X, y, loss)
        if weight is None:
            return float(chosen.accumulate(kernel_scores, target, None) / kernel_scores.shape[-1])
        return float(chosen.accumulate(kernel_scores, target, weight / weight.sum()))

    def row_losses(self, X: ArrayLike, y: ArrayLike, loss: str | None = None) -> np.ndarray:
        """Each row's loss: its term l_i of the mean loss, times its weight w_i (class weight)
        over the mean weight, so that the rows' mean is mean_loss(X, y, loss).

        Parameters
        ----------
        X, y, loss
            As for mean_loss.

        Returns
        -------
        ndarray of shape (n,)
            w_i l_i / mean(w) (l_i when no weights apply); for 0/1 label columns l_i is the
            mean over the row's labels.
        """
        chosen, kernel_scores, target, weight = self._loss_terms(X, y, loss)
        per_row = np.empty(kernel_scores.shape[-1])
        chosen.accumulate(kernel_scores, target, None, per_row)
        return per_row if weight is None else per_row * (weight / weight.mean())

    def _loss_terms(
        self, X: ArrayLike, y: ArrayLike, loss: str | None
    ) -> tuple[Loss, np.ndarray, np.ndarray, np.ndarray | None]:
        """The chosen loss, the scores in its kernel layout, the prepared targets and the
        row weights: the training objective's own path (mean_loss and row_losses)."""
        scores = self._scores(X)
        y = self._check_target(y, scores.shape[0])
        if loss == "cross-entropy":
            chosen, scores = self._log_loss(), self.head_.log_loss_scores(scores)
            with_class_weight = False
        elif loss is None:
            chosen, with_class_weight = self._training_loss(y), True
        else:
            chosen, with_class_weight = loss_for(loss, self.head_.form), False
        target, weight = self._loss_inputs(chosen, y, None, with_class_weight=with_class_weight)
        return chosen, chosen.to_kernel_layout(chosen.check_scores(scores)), target, weight

    # --- targets --------------------------------------------------------------------------

    def _check_target(self, y: ArrayLike, n: int, name: str = "y") -> np.ndarray:
        """Labels (n,), or for a model that takes columns numeric columns (n, C) in [0, 1]."""
        takes_columns = MODEL_KINDS[self.kind].columns is not None
        target = check_y(y, n, name, two_d=takes_columns)
        if target.ndim == 2:
            if target.shape[1] < 2:
                raise DataError(f"{name} needs at least 2 columns; got shape {target.shape}")
            if not (np.issubdtype(target.dtype, np.number) or target.dtype == bool):
                raise DataError(f"{name} columns must be numbers in [0, 1]; got {target.dtype}")
            target = target.astype(np.float64)
            if not np.all((target >= 0) & (target <= 1)):
                raise DataError(f"{name} columns must hold numbers in [0, 1]")
        return target

    def _encode(self, y: np.ndarray, what: str = "y") -> np.ndarray:
        """Class indices of labels (n,), or a 2-D target's columns (checked against classes_)."""
        if y.ndim == 2:
            if y.shape[1] != len(self.classes_):
                raise DataError(
                    f"{what} has {y.shape[1]} columns, but the model was fit on "
                    f"{len(self.classes_)}"
                )
            return y
        return self.class_index(y, what)

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
        head, n_classes = self.head_, len(self.classes_)
        raw = head.loss_targets(self._encode(y, what), n_classes)
        shape = head.loss_shape(len(y), n_classes)
        target = loss.prepare_target(raw, shape)
        multiplier = loss.sample_multiplier(raw, shape)
        class_factor = self._class_weight_factor(loss, y, weight) if with_class_weight else None
        for factor in (multiplier, class_factor):
            if factor is not None:
                # only the ratios of the weights matter (every use is a weighted mean): scaled
                # by powers of two, products of weights near 1e308 do not overflow
                factor = unit_scaled(factor)
                weight = factor if weight is None else unit_scaled(weight) * factor
        if weight is not None:
            weight = unit_scaled(weight)
        if weight is not None and not np.any(weight > 0):
            raise DataError("sample_weight times class_weight must not be all zero")
        return target, weight

    # --- losses -----------------------------------------------------------------------------

    def _training_loss(self, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Loss:
        """The configured loss: loss_options (resolved for the head: per-class values in class
        order), label_smoothing, and the class weights of (y, sample_weight) when the loss
        takes them itself (cross-entropy; the others get them as sample weights)."""
        options = dict(self.loss_options or {})
        if self.label_smoothing:
            options["label_smoothing"] = self.label_smoothing
        form = self.head_.form
        options = loss_spec(self.loss).resolve(options, form, [str(c) for c in self.classes_])
        loss = loss_for(self.loss, form, **options)
        weights = self._class_weight_vector(y, sample_weight)
        if weights is not None and "class_weight" in loss.option_names:
            loss = loss.configured(class_weight=tuple(weights.tolist()))
        return loss

    def _log_loss(self) -> Loss:
        """Cross-entropy of the model's probabilities, without any option."""
        return loss_for("cross-entropy", self.head_.log_loss_form)

    def _class_weight_vector(
        self, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> np.ndarray | None:
        """class_weight as one weight per class in classes_ order (None without); "balanced"
        counts the classes of y with sample_weight (None: ones)."""
        class_weight = params.CLASS_WEIGHT.check(self.class_weight)
        if class_weight is None:
            return None
        if not self.head_.takes_class_weight:
            raise ConfigError(
                "class_weight applies to class labels, not to 0/1 label columns (a multi-label "
                "target)"
            )
        if class_weight == "balanced":
            # scikit-learn's rule (compute_class_weight with sample_weight): n / (C n_k), with
            # n_k the summed sample weight of class k (of its probability, for probability rows)
            # and n the total sample weight
            # (the ratio is the same for weights scaled by a power of two, whose sum cannot
            # overflow)
            weight = np.ones(len(y)) if sample_weight is None else unit_scaled(sample_weight)
            counts = (
                np.bincount(self.class_index(y), weights=weight, minlength=len(self.classes_))
                if y.ndim == 1
                else weight @ y
            )
            tiny = np.finfo(float).tiny
            return weight.sum() / (len(self.classes_) * np.maximum(counts, tiny))
        names = [str(c) for c in self.classes_]
        weights = np.array(per_class(class_weight, names, "class_weight"))
        if not np.any(weights > 0):
            raise ConfigError("class_weight must give at least one class a weight above 0")
        return weights

    def _class_weight_factor(
        self, loss: Loss, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> np.ndarray | None:
        """Class weights as per-sample weights, for losses that do not take them: the weight of
        each row's class (the rows' expected class weight, for probability rows)."""
        if "class_weight" in loss.option_names:
            return None
        weights = self._class_weight_vector(y, sample_weight)
        if weights is None:
            return None
        return y @ weights if y.ndim == 2 else weights[self.class_index(y)]


class StepwiseFit:
    """A fit run a few epochs at a time (_LinearClassifier.fit_stepwise): after each run, the
    estimator's coef_, intercept_, n_iter_, status_ and history_ are those of the epochs so far.

    `objective` and `loss` are those fit minimises; `descent` the gradient descent (its
    `finished` is True once a status other than "max_iter" ended it).
    """

    def __init__(self, estimator, objective, loss, recorder, descent) -> None:
        self.estimator, self.objective, self.loss = estimator, objective, loss
        self.recorder, self.descent = recorder, descent

    @property
    def epoch(self) -> int:
        """The last epoch trained (-1 before the first run)."""
        return self.descent.epoch

    def run(self, max_iter: int) -> OptimizeResult:
        """Train on to epoch max_iter (or until a stopping rule ends the fit) and keep the
        result in the estimator, as fit(max_iter=max_iter) would have it."""
        result = self.descent.run(max_iter)
        self.estimator._check_started(result, self.objective, self.loss)
        self.estimator._keep_result(result, self.recorder)
        return result

    def advice(self) -> Advice | None:
        """What stopped the fit, if it stopped without converging, and what to change: the
        message of fit's ConvergenceWarning (None while it runs on, or once it converged)."""
        if not self.descent.finished:
            return None
        return self.estimator._convergence_advice(self.descent.result, self.loss.smooth)


class LogisticRegression(_LinearClassifier):
    """Binary logistic regression: P(y = classes_[1] | x) = sigmoid(x . w + b).

    Parameters
    ----------
    loss : str
        The training loss on the score s (cetrain.core.losses.LOSS_NAMES): cross-entropy
        log(1 + e^s) - y s by default, or the squared error (sigmoid(s) - y)^2 that the teaching
        material warns about, the focal, hinge or symmetric cross-entropy loss.
    learning_rate : float or "auto"
        Step size; "auto" is 1/L for the objective's Lipschitz constant L (a safe step), and
        with momentum above 0 the default optimiser below.
    max_iter : int
        Maximum number of epochs (full passes over the data).
    tol : float
        Stop when the gradient norm of the objective is at most tol.
    l2 : float
        Penalty (l2 / 2) ||w||^2 on the standardised weights; the intercept is not penalised.
        l2 = 1 / (C n) reproduces scikit-learn's LogisticRegression(C=C) on n standardised
        samples; with weights w_i (sample weight x class weight), l2 = 1 / (C sum_i w_i) on
        features standardised with the same weights, as standardize=True does.
    l1 : float
        Penalty l1 ||w||_1 on the standardised weights (proximal steps: exact zeros).
    momentum : float
        0 is plain gradient descent; in (0, 1) Nesterov momentum with adaptive restart. With
        learning_rate="auto" on a smooth loss without l1 (the default), in the metric of
        M = c A^T D A + l2 I, the bound on the Hessian behind L (see cetrain.core.optim);
        l1 > 0 (FISTA), the hinge loss (subgradient steps) and more than GRAM_MAX_FEATURES
        features keep the 1/L steps.
    standardize : bool
        Fit on standardised features; coef_ and intercept_ are reported in original units.
    dtype : "float64" or "float32"
        The precision of training: "float32" converts X once and trains in single precision
        end to end (about twice as fast on large data; the loss agrees with float64's to about
        1e-5). coef_ and intercept_ are float64 either way, and prediction is in float64.
    random_state : int or None
        None starts from zero weights; an int seeds small random initial weights.
    class_weight : "balanced", mapping or None
        Weights of the classes, {class: weight}, or "balanced": n / (C n_k), with n_k the
        summed sample weight of class k and n the total (scikit-learn's rule).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    n_features_in_ : int; feature_names_in_ : ndarray of str, after a fit on a DataFrame
    coef_ : ndarray of shape (1, d), in original feature units
    intercept_ : ndarray of shape (1,)
    n_iter_ : int, epochs run
    status_ : str, how training ended: one of cetrain.core.optim.STATUSES ("converged",
        "stalled", "max_iter", "diverged")
    history_ : History, per-epoch "train_loss" and "grad_norm" (and the validation curves),
        starting at epoch 0 (the initial weights)
    learning_rate_ : float, the step size used (1/L for "auto"; the default optimiser's steps
        are M^{-1} grad instead, see momentum)
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

    The loss is the mean over rows and labels (PyTorch's BCEWithLogitsLoss) and the penalty is
    scaled to match, (l2 / (2C)) ||W||_F^2 (and (l1 / C) ||W||_1): each label's coefficients are
    those of LogisticRegression(l2=l2, l1=l1) fit on that label alone. class_weight applies to
    single labels (one-vs-rest), weighing each row by its label, not to 0/1 label columns.

    Parameters and attributes are those of LogisticRegression, with coef_ of shape (C, d),
    intercept_ of shape (C,) and classes_ the label columns' names (fit's `classes`, default
    0..C-1) or, one-vs-rest, the labels.
    """

    kind = "multilabel"


# Every estimator class, by its model kind: the one list of them.
ESTIMATORS: dict[str, type[_LinearClassifier]] = {
    cls.kind: cls for cls in (LogisticRegression, SoftmaxRegression, MultiLabelRegression)
}
assert set(ESTIMATORS) == set(MODEL_KINDS), "every model kind needs an estimator"
