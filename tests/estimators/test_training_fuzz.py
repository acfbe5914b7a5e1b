"""Training on random small valid data never raises (hypothesis).

Small datasets with the awkward shapes real ones have (a class of one row, constant features,
duplicate rows, separable classes, identical rows with different labels, features of huge or
tiny scale), fit by each estimator with random valid settings: every loss that has a form for
the model kind and its options drawn from their declared ranges, l1/l2, the step size, momentum,
standardisation, class and sample weights. A fit ends with finite coefficients, or with status
"diverged" and a ConvergenceWarning; predict_proba lies in [0, 1] (rows summing to 1 where they
are a distribution). The only errors are the project's own, for the combinations listed in
REFUSED. A few random tiny CSV files also go through the library's train(), as `cetrain train`.
"""

import re
import warnings

import numpy as np
import pytest
from conftest import domain_values, non_negative_floats
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cetrain.core.losses import LOSSES
from cetrain.core.params import MAX_CLASS_WEIGHT
from cetrain.errors import CetrainError, ConvergenceWarning
from cetrain.estimators import MultiLabelRegression, SoftmaxRegression
from cetrain.estimators.linear import ESTIMATORS
from cetrain.estimators.params import L1, L2, LEARNING_RATE, MOMENTUM
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train

# The errors a valid-looking combination may give, each for a reason the message names.
REFUSED = re.compile(
    "|".join(
        [
            r"alpha and beta must not both be below 1e-12 .*",
            # a spread float64 cannot work with (cetrain.data.preprocess.check_spread)
            r"features? .* (varies|vary|spreads?) .* beyond what float64 arithmetic can "
            r"work with.*",
            r"\w+ must be None or .* not (all|both) zero.*",
            r"class_weight must be > 0 for every class when label_smoothing > 0.*",
            r"class_weight .* with label_smoothing .* weighs a target beyond float64.*",
            r"class_weight must give at least one class a weight above 0",
            # a loss that needs_labels, given probability rows
            r"\w+ takes integer labels 0\.\.\d+, not probability rows",
            r"sample_weight times class_weight (of each label )?must not be all zero",
            # loss options whose curvature overflows (sce alpha, beta near 1e308)
            r"the [\w-]+ loss with .* is too large for float64 arithmetic .*",
            # a hand-set step whose first move overflows
            r"learning_rate=\S+ is too large: the first step overflows float64; .*",
            # features whose squares overflow without standardisation: no safe step exists
            r"the loss is not finite at the initial weights: .*",
        ]
    )
)


def finite_draw(draw, param):
    """A value of an estimator parameter (a Number domain) from its whole declared range."""
    return draw(domain_values(param.domain, [], per_class_form=False))


@st.composite
def datasets(draw, kind: str):
    """(X, y): n 2..30 rows, d 1..5 features, 2..4 classes (2 for logistic), every class
    present, in one of the awkward shapes; sometimes probability rows (softmax) or 0/1 or soft
    columns (multi-label) instead of labels."""
    n_classes = 2 if kind == "logistic" else draw(st.integers(2, 4))
    n = draw(st.integers(max(2, n_classes), 30))
    d = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, n - n_classes)])
    shape = draw(
        st.sampled_from(
            ["random", "one_row_class", "constant", "duplicates", "separable", "identical"]
        )
    )
    X = rng.normal(size=(n, d))
    if shape == "one_row_class":
        y = np.concatenate([[n_classes - 1], rng.integers(0, n_classes - 1, n - 1)])
        y[1:n_classes] = np.arange(n_classes - 1)
    elif shape == "constant":
        X[:, rng.integers(0, d)] = draw(st.floats(-1e6, 1e6))
    elif shape == "duplicates":
        X[n // 2 :] = X[: n - n // 2]
    elif shape == "separable":
        X[:, 0] = y * 10.0 + rng.uniform(0, 1, n)
    elif shape == "identical":
        X[:] = X[0]
    X *= 10.0 ** draw(st.sampled_from([0, 0, -300, -100, -8, 8, 100, 150]))
    if kind == "multilabel" and draw(st.booleans()):
        columns = rng.integers(0, 2, size=(n, n_classes)).astype(float)
        columns[0], columns[1] = 1, 0  # both values in every column
        if draw(st.booleans()):
            columns[2:] = rng.uniform(0, 1, size=(n - 2, n_classes))  # soft columns
        return X, columns
    if kind == "softmax" and draw(st.booleans()):
        rows = np.eye(n_classes)[y]  # probability rows: one-hot, or soft
        if draw(st.booleans()):
            rows = rng.dirichlet(np.full(n_classes, 0.5), size=n)
        return X, rows
    return X, y


@st.composite
def estimator_settings(draw, kind: str, n_classes: int, class_names: list[str]):
    """Keyword arguments of the estimator of `kind`: a loss with a form for it and its options
    from their declared ranges, and the other parameters from theirs."""
    name = draw(st.sampled_from([n for n, spec in LOSSES.items() if kind in spec.forms]))
    spec = LOSSES[name]
    options, label_smoothing = {}, 0.0
    for option in spec.options:
        if draw(st.booleans()):
            continue
        values = domain_values(option.param.domain, class_names, kind in option.per_class_in)
        if values is None:
            continue
        if option.param.name == "label_smoothing":  # an estimator parameter of its own
            label_smoothing = draw(values)
        else:
            options[option.param.name] = draw(values)
    class_weight = draw(
        st.none()
        | st.just("balanced")
        | st.dictionaries(
            st.sampled_from(class_names), st.floats(0.0, MAX_CLASS_WEIGHT), min_size=1
        )
    )
    return dict(
        loss=name,
        loss_options=options or None,
        label_smoothing=label_smoothing,
        learning_rate=draw(
            st.just("auto") | st.floats(1e-3, 10.0) | st.just(finite_draw(draw, LEARNING_RATE))
        ),
        max_iter=draw(st.integers(0, 30)),
        l2=draw(st.just(0.0) | st.floats(0.0, 10.0) | st.just(finite_draw(draw, L2))),
        l1=draw(st.just(0.0) | st.floats(0.0, 1.0) | st.just(finite_draw(draw, L1))),
        momentum=finite_draw(draw, MOMENTUM),
        standardize=draw(st.booleans()),
        class_weight=class_weight,
        random_state=draw(st.none() | st.integers(0, 3)),
    )


def check_fitted(model, X):
    """Finite coefficients unless the fit says it diverged; probabilities in [0, 1], rows
    summing to 1 where they are a distribution."""
    if model.status_ != "diverged":
        assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert model.status_ in ("converged", "max_iter", "diverged", "stalled"), model.status_
    if not (np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))):
        return  # a diverged fit's coefficients are not used
    with np.errstate(over="ignore", invalid="ignore"):
        scores = X @ model.coef_.T + model.intercept_
    if not np.all(np.isfinite(scores)):
        return  # features of 1e150 times large weights: scores beyond float64 (see the report)
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], len(model.classes_))
    assert np.all((proba >= 0) & (proba <= 1)), proba
    if not model.head_.predicts_label_sets:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("kind", list(ESTIMATORS))
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_fitting_random_small_data_never_raises(kind, data):
    X, y = data.draw(datasets(kind))
    n_classes = y.shape[1] if y.ndim == 2 else len(np.unique(y))
    class_names = [str(k) for k in range(n_classes)]
    params = data.draw(estimator_settings(kind, n_classes, class_names))
    if y.ndim == 2:
        params["class_weight"] = None  # refused for 0/1 columns (test_weights.py checks it)
    sample_weight = data.draw(
        st.none() | st.lists(non_negative_floats(), min_size=len(X), max_size=len(X)).filter(any)
    )
    model = ESTIMATORS[kind](**params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            model.fit(X, y, sample_weight=sample_weight)
        except CetrainError as exc:
            assert REFUSED.fullmatch(str(exc)), f"{type(exc).__name__}: {exc}"
            if str(exc).startswith("the loss is not finite"):
                # its advice (standardize, or rescale) is right: unstandardised features, or
                # features so large that standardising them overflows
                assert not params["standardize"] or np.max(np.abs(X)) >= 1e100, params
            event(f"refused: {str(exc)[:40]}")
            return
    event(f"status {model.status_}")
    diverged = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert (model.status_ == "diverged") <= bool(diverged)
    check_fitted(model, X)


# --- the train pipeline on a random tiny CSV ------------------------------------------------


@settings(max_examples=4, deadline=None)
@given(
    n=st.integers(12, 20),
    d=st.integers(1, 3),
    n_classes=st.integers(2, 3),
    poly=st.integers(1, 3),
    standardize=st.booleans(),
    model=st.sampled_from([None, "softmax", "multilabel"]),
    seed=st.integers(0, 100),
)
def test_train_on_a_random_tiny_csv_never_raises(
    tmp_path_factory, n, d, n_classes, poly, standardize, model, seed
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-3, 4, size=d)
    labels = np.array(["yes", "no", "maybe"])[
        # every class twice at least: a stratified test split needs two rows of each
        np.concatenate(
            [np.tile(np.arange(n_classes), 2), rng.integers(0, n_classes, n - 2 * n_classes)]
        )
    ]
    path = tmp_path_factory.mktemp("fuzz") / "tiny.csv"
    rows = [",".join([*(f"x{j}" for j in range(d)), "label"])]
    rows += [
        ",".join([*(repr(float(v)) for v in row), label])
        for row, label in zip(X, labels, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings_ = {"data": str(path), "epochs": 20, "poly": poly, "standardize": standardize}
    if model:
        settings_["model"] = model
    result = train(resolve_settings(settings_))
    estimator = result.pipeline.estimator
    assert estimator.n_iter_ <= 20
    check_fitted(estimator, result.pipeline.transform(result.X_train))
    assert isinstance(estimator, SoftmaxRegression | MultiLabelRegression) == (
        n_classes > 2 or model is not None
    )


# --- the cases the fuzzing found, pinned ---------------------------------------------------

X_PINNED, Y_PINNED = np.array([[0.1], [-0.2], [0.3], [-0.4]]), np.array([0, 1, 0, 1])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            dict(loss="symmetric-cross-entropy", loss_options={"alpha": 1e308, "beta": 1e308}),
            "alpha must be a finite number in [0, 1000]; got 1e+308",
        ),
        (
            dict(learning_rate=1e305, l2=1e10, l1=1.0, random_state=0, momentum=0.0),
            'learning_rate must be a number in (0, 1e6] or "auto"; got 1e+305',
        ),
        (
            dict(class_weight={"0": 1e308, "1": 1e308}),
            'class_weight must be "balanced" or class=weight pairs with weights in [0, 1e6], '
            "like \"a=2,b=1\"; got {'0': 1e+308, '1': 1e+308}",
        ),
    ],
    ids=["loss-options", "learning-rate", "class-weight"],
)
def test_values_beyond_float64_are_refused_by_their_range_not_blamed_on_the_features(
    params, message
):
    with pytest.raises(CetrainError) as caught:
        ESTIMATORS["logistic"](max_iter=5, **params).fit(X_PINNED, Y_PINNED)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "params",
    [
        # the tops of the declared ranges (the 1e300 and 1e308 are refused above)
        dict(l2=1e6, random_state=0, max_iter=1),
        dict(class_weight={"0": 1e6, "1": 1e-300}, max_iter=5),
        dict(loss="focal", loss_options={"gamma": 100.0}, max_iter=5),
        dict(learning_rate=1e6, l2=1e6, l1=1e6, momentum=0.0, max_iter=5),
    ],
    ids=["l2", "class-weight", "focal-gamma", "steps"],
)
def test_extreme_but_valid_settings_train(params):
    model = ESTIMATORS["logistic"](**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_PINNED, Y_PINNED)
    assert model.status_ in ("converged", "max_iter")
    assert np.all(np.isfinite(model.coef_))
