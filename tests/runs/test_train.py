"""Tests for runs.train: one run as a library call, from settings to a fitted pipeline."""

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

from cetrain.data import DATASETS_DIR
from cetrain.errors import ConfigError, DataError
from cetrain.estimators import LogisticRegression, SoftmaxRegression
from cetrain.runs import train as train_module
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import choose_model, evaluate, train

IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def run(**values):
    return train(resolve_settings(values))


def raises_exactly(error, message: str):
    return pytest.raises(error, match=f"^{re.escape(message)}$")


@pytest.fixture(scope="module")
def iris_result():
    return run(data="iris")


@pytest.fixture(scope="module")
def moons_result():
    return run(data="moons", n_samples=60, test_size=0.25)


# --------------------------------------------------------------------------- model choice


def test_auto_is_logistic_for_two_classes(moons_result):
    assert moons_result.settings.model == "logistic"
    assert isinstance(moons_result.pipeline.estimator, LogisticRegression)


def test_auto_is_softmax_for_three_classes(iris_result):
    assert iris_result.settings.model == "softmax"
    assert isinstance(iris_result.pipeline.estimator, SoftmaxRegression)


def test_softmax_can_be_asked_for_on_two_classes():
    result = run(data="line", model="softmax", test_size=0)
    assert result.settings.model == "softmax"
    assert isinstance(result.pipeline.estimator, SoftmaxRegression)
    assert result.pipeline.estimator.coef_.shape == (2, 1)


def test_logistic_on_three_classes_is_a_data_error():
    with raises_exactly(
        DataError,
        "model 'logistic' needs exactly 2 classes, but 'iris' has 3 "
        "(setosa, versicolor, virginica); use model 'softmax' or 'auto'",
    ):
        run(data="iris", model="logistic")


@pytest.mark.parametrize(
    ("model", "classes", "expected"),
    [
        ("auto", np.array([0, 1]), "logistic"),
        ("auto", np.array(["a", "b", "c"]), "softmax"),
        ("logistic", np.array([0, 1]), "logistic"),
        ("softmax", np.array([0, 1]), "softmax"),
        ("softmax", np.arange(5), "softmax"),
    ],
)
def test_choose_model(model, classes, expected):
    assert choose_model(model, classes, "data") == expected


def test_choose_model_shows_at_most_ten_classes():
    with raises_exactly(
        DataError,
        "model 'logistic' needs exactly 2 classes, but 'digits' has 12 "
        "(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...); use model 'softmax' or 'auto'",
    ):
        choose_model("logistic", np.arange(12), "digits")


def test_choose_model_one_class():
    with raises_exactly(DataError, "'mono' has only one class (yes); a classifier needs two"):
        choose_model("auto", np.array(["yes"]), "mono")


# --------------------------------------------------------------------------- settings


def test_no_data_is_a_config_error():
    with raises_exactly(
        ConfigError,
        "no data given; name a dataset or a CSV file with --data (see `cetrain datasets`) "
        "or `data = ...` in the config file",
    ):
        train(resolve_settings({}))


def test_plot_features_default_to_the_largest_standardised_coefficients(iris_result):
    # coefficients in original units times the features' spread: the standardised ones
    estimator = iris_result.pipeline.estimator
    weight = np.linalg.norm(estimator.coef_ * iris_result.X_train.std(axis=0), axis=0)
    largest = tuple(np.argsort(-weight)[:2].tolist())
    assert largest == (3, 2)  # petal width, then petal length
    assert iris_result.plot_features == largest
    assert iris_result.settings.plot_features == ("petal width (cm)", "petal length (cm)")
    assert iris_result.plot_why == (
        f"chosen for the largest standardised coefficients of 4 features "
        f"({weight[3]:.2g} and {weight[2]:.2g}; next sepal width (cm), {weight[1]:.2g})"
    )


def test_named_plot_features_become_their_indices():
    result = run(data="iris", plot_features="petal width (cm),sepal length (cm)", epochs=5)
    assert result.plot_features == (3, 0)
    assert result.settings.plot_features == ("petal width (cm)", "sepal length (cm)")


def test_one_feature_plots_against_itself_and_writes_no_plot_features():
    result = run(data="line", test_size=0)
    assert result.plot_features == (0, 0)
    assert result.settings.plot_features is None


def test_unknown_plot_feature():
    with raises_exactly(
        ConfigError,
        "unknown plot feature 'petal'; the features are: " + ", ".join(IRIS_FEATURES),
    ):
        run(data="iris", plot_features="sepal width (cm),petal")


def test_plot_features_on_one_feature_data():
    with raises_exactly(ConfigError, "plot_features needs data with at least two features"):
        run(data="line", plot_features="x,y")


def test_resolved_settings_keep_a_registered_name(moons_result):
    assert moons_result.settings.data == "moons"
    assert moons_result.settings.target is None
    assert moons_result.settings.n_samples == 60
    result = run(data="Line", test_size=0)
    assert result.settings.data == "line"
    assert result.settings.target == "color"  # a CSV's target, written out for the re-run


def test_resolved_settings_make_a_csv_path_absolute(tmp_path, monkeypatch):
    (tmp_path / "pts.csv").write_text("x,label\n1,a\n2,a\n3,b\n4,b\n2.5,a\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run(data="pts.csv", test_size=0)
    assert result.settings.data == str(tmp_path.resolve() / "pts.csv")
    assert result.settings.target == "label"
    assert result.dataset.name == "pts"


def test_split_sizes_follow_test_size(iris_result):
    # scikit-learn's rule: ceil(0.25 * 150) = 38 test rows
    assert iris_result.X_train.shape == (112, 4)
    assert iris_result.X_test.shape == (38, 4)
    assert iris_result.metrics.n_train == 112
    assert iris_result.metrics.n_test == 38
    assert sorted(np.unique(iris_result.y_test, return_counts=True)[1].tolist()) == [12, 13, 13]


def test_test_size_zero_has_no_test_metrics():
    result = run(data="exam", test_size=0)
    assert result.metrics.test is None
    assert result.metrics.n_test == 0
    assert len(result.y_test) == 0
    assert "val_loss" not in result.history


# --------------------------------------------------------------------------- metrics


def test_metrics_agree_with_scikit_learn(iris_result):
    r = iris_result
    for split, X, y in (("train", r.X_train, r.y_train), ("test", r.X_test, r.y_test)):
        proba = r.pipeline.predict_proba(X)
        classes = r.pipeline.classes_
        assert getattr(r.metrics, split).log_loss == pytest.approx(
            log_loss(y, proba, labels=classes), rel=1e-10, abs=1e-12
        )
        assert getattr(r.metrics, split).accuracy == accuracy_score(
            y, classes[proba.argmax(axis=1)]
        )
        # with the cross-entropy loss the training loss is the log loss
        assert getattr(r.metrics, split).loss == pytest.approx(
            getattr(r.metrics, split).log_loss, rel=1e-12
        )


def test_binary_mse_loss_is_the_brier_score():
    result = run(data="moons", n_samples=60, loss="mse", epochs=50)
    positive = result.pipeline.classes_[1]
    for split, X, y in (
        ("train", result.X_train, result.y_train),
        ("test", result.X_test, result.y_test),
    ):
        p1 = result.pipeline.predict_proba(X)[:, 1]
        assert getattr(result.metrics, split).loss == pytest.approx(
            brier_score_loss(y == positive, p1), rel=1e-10
        )
        assert getattr(result.metrics, split).log_loss == pytest.approx(
            log_loss(y, result.pipeline.predict_proba(X)), rel=1e-10
        )


def test_softmax_mse_loss_is_the_squared_distance_to_the_one_hot_row():
    result = run(data="iris", loss="mse", epochs=50)
    proba = result.pipeline.predict_proba(result.X_train)
    one_hot = result.y_train[:, None] == result.pipeline.classes_[None, :]
    expected = np.mean(np.sum((proba - one_hot) ** 2, axis=1))
    assert result.metrics.train.loss == pytest.approx(expected, rel=1e-10)


def test_evaluate_counts_the_correct_rows():
    estimator = LogisticRegression(l2=0.0)
    # y = 1 exactly when x > 0 except for the two points nearest zero, which are swapped
    X = np.array([[-3.0], [-2.0], [-1.0], [-0.1], [0.1], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    pipeline = ClassifierPipeline(estimator, ["x"]).fit(X, y)
    metrics = evaluate(pipeline, X, y)
    assert metrics.accuracy == 6 / 8
    assert metrics.log_loss == pytest.approx(log_loss(y, pipeline.predict_proba(X)), rel=1e-10)


def test_metrics_record_the_fit(iris_result):
    m, est = iris_result.metrics, iris_result.pipeline.estimator
    assert m.epochs == est.n_iter_ == len(iris_result.history["train_loss"]) - 1
    assert m.status == "converged"
    assert m.converged is True
    assert m.rows_dropped == 0
    assert m.learning_rate == est.learning_rate_
    assert m.final_grad_norm == iris_result.history["grad_norm"][-1]
    assert m.final_grad_norm <= 1e-6
    assert isinstance(m.seconds, float) and m.seconds >= 0


def test_rows_dropped_comes_from_the_csv():
    # datasets/README.md: species.csv has six blanked cells, so six rows are dropped
    result = run(data=str(DATASETS_DIR / "species.csv"), epochs=5)
    assert result.metrics.rows_dropped == 6
    assert result.metrics.n_train + result.metrics.n_test == 204


def test_history_starts_at_zero_weights(iris_result, moons_result):
    assert iris_result.history["train_loss"][0] == pytest.approx(math.log(3), rel=1e-12)
    assert iris_result.history["val_loss"][0] == pytest.approx(math.log(3), rel=1e-12)
    assert moons_result.history["train_loss"][0] == pytest.approx(math.log(2), rel=1e-12)


def test_last_history_loss_is_the_metrics_training_loss(iris_result, moons_result):
    for result in (iris_result, moons_result):
        assert result.history["train_loss"][-1] == pytest.approx(
            result.metrics.train.loss, abs=1e-9
        )
        assert result.history["val_loss"][-1] == pytest.approx(result.metrics.test.loss, abs=1e-9)


def test_unpenalised_exam_fit_is_wikipedias_maximum_likelihood_one():
    """Wikipedia, "Logistic regression": intercept -4.0777, slope 1.5046 per hour of study."""
    result = run(data="exam", l2=0.0, test_size=0)
    est = result.pipeline.estimator
    assert est.coef_[0, 0] == pytest.approx(1.5046, abs=5e-5)
    assert est.intercept_[0] == pytest.approx(-4.0777, abs=5e-5)
    reference = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)
    reference.fit(result.X_train, result.y_train)
    np.testing.assert_allclose(est.coef_, reference.coef_, rtol=1e-5)
    np.testing.assert_allclose(est.intercept_, reference.intercept_, rtol=1e-5)


# --------------------------------------------------------------------------- callback, warnings


def test_callback_sees_every_epoch():
    calls = []
    result = train(
        resolve_settings({"data": "exam", "test_size": 0}),
        callback=lambda epoch, loss, norm: calls.append((epoch, loss, norm)),
    )
    assert [c[0] for c in calls] == list(range(result.metrics.epochs + 1))
    assert [c[1] for c in calls] == result.history["train_loss"]
    assert [c[2] for c in calls] == result.history["grad_norm"]


def test_convergence_warning_is_returned_not_raised():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(data="moons", n_samples=60, epochs=3)
    assert len(result.warnings) == 1
    warning = str(result.warnings[0])  # an Advice: its Python spelling
    assert warning.startswith("training reached the epoch limit max_iter=3 with the gradient norm ")
    assert warning.endswith(
        " still above tol=1e-06; raise max_iter, raise l2 if the classes are separable, or "
        "raise tol"
    )
    assert result.metrics.status == "max_iter"
    assert result.metrics.converged is False
    assert result.metrics.epochs == 3
    assert len(result.history["train_loss"]) == 4


def test_converged_run_has_no_warnings(iris_result):
    assert iris_result.warnings == []


def test_other_warnings_while_fitting_reach_the_caller(monkeypatch):
    original_fit = ClassifierPipeline.fit

    def fit_with_a_warning(self, *args, **kwargs):
        warnings.warn("something the user should see", UserWarning, stacklevel=2)
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(train_module.ClassifierPipeline, "fit", fit_with_a_warning)
    with pytest.warns(UserWarning, match="something the user should see"):
        run(data="exam", test_size=0)


def test_data_errors_come_from_load_dataset():
    with raises_exactly(
        DataError,
        "n_samples applies only to the generated datasets "
        "(moons, circles, blobs, xor, spiral, linear), not to 'iris'",
    ):
        run(data="iris", n_samples=10)


def test_missing_csv(tmp_path):
    path = tmp_path / "missing.csv"
    with raises_exactly(DataError, f"no such file: '{path}'"):
        run(data=str(path))


def test_train_does_not_touch_the_file_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(data="exam", test_size=0)
    assert list(Path(tmp_path).iterdir()) == []


def test_a_text_column_is_named_by_its_name():
    result = run(data="default", plot_features="balance,student", epochs=5)
    assert result.plot_features == (1, 0)  # student's one-hot column student=Yes is column 0
    assert result.settings.plot_features == ("balance", "student")
    assert result.plot_why is None


def test_two_levels_of_one_text_column_are_one_plot_feature():
    with raises_exactly(
        ConfigError,
        "plot features 'site=meadow' and 'site=woodland' are levels of one text column; "
        "name two different features",
    ):
        run(data="species", plot_features="site=meadow,site=woodland")
