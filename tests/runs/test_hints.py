"""Tests for runs.hints: each note appears when the run's numbers call for it, and not when
they do not (tests/cli/test_configs.py checks that no shipped config earns one)."""

import warnings

import numpy as np
import pytest
from scipy.stats import binomtest

from cetrain.runs.hints import SEPARATING_POLY, wilson_interval
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train


def run(**values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the ConvergenceWarnings are returned, not raised
        return train(resolve_settings(values))


def only_note(result, start: str) -> str:
    """The run's one note, which starts with `start`."""
    assert len(result.notes) == 1, result.notes
    assert result.notes[0].startswith(start), result.notes[0]
    return result.notes[0]


# --------------------------------------------------------------------------- a straight boundary


@pytest.mark.parametrize("name", ["circles", "xor", "spiral"])
@pytest.mark.parametrize(("seed", "n_samples"), [(0, 200), (2, 100)])
def test_a_linear_model_on_curved_data_is_told_about_poly(name, seed, n_samples):
    result = run(data=name, seed=seed, n_samples=n_samples)
    train_accuracy = result.metrics.train.accuracy
    note = only_note(result, f"a straight boundary cannot separate '{name}': ")
    assert note.endswith(f"polynomial features bend it: try --poly {SEPARATING_POLY[name]}")
    assert (
        f"training accuracy {train_accuracy:.2f}, test {result.metrics.test.accuracy:.2f}" in note
    )
    _, counts = np.unique(result.y_train, return_counts=True)
    chance = counts.max() / counts.sum()
    assert f"closer to the {chance:.2f} of always guessing the largest class than to 1;" in note
    assert train_accuracy < 0.6  # 100 spiral rows of seed 2: 0.57, the most


@pytest.mark.parametrize("name", sorted(SEPARATING_POLY))
def test_the_suggested_degree_separates_the_data_and_earns_no_note(name):
    result = run(data=name, poly=SEPARATING_POLY[name])
    assert result.metrics.train.accuracy >= 0.9
    assert result.metrics.test.accuracy >= 0.9
    assert result.notes == []


def test_a_linear_model_well_above_chance_gets_no_poly_note():
    # a straight line already gets 83% of the moons right: far from the 50% of a guess
    result = run(data="moons")
    assert result.metrics.train.accuracy == pytest.approx(0.8333, abs=1e-4)
    assert result.notes == []


# --------------------------------------------------------------------------- a small test split


@pytest.mark.parametrize(("correct", "n"), [(3, 3), (5, 5), (0, 4), (17, 19), (40, 50)])
def test_wilson_interval_is_scipys(correct, n):
    expected = binomtest(correct, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(correct, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_a_small_test_split_gets_the_uncertainty_of_its_accuracy():
    # line.csv: 10 points, the default test_size 0.25 keeps 3, one of them red
    result = run(data="line")
    assert result.metrics.n_test == 3 and result.metrics.test.accuracy == 1.0
    assert result.notes == [
        "the test split is small (3 rows, 1 row of class red): test accuracy 1.00 is 3 of 3, "
        "and a 95% interval for it is 0.44 to 1.00 (Wilson); a larger --test-size or more data "
        "narrows it"
    ]


def test_a_rare_class_in_a_large_enough_test_split_gets_the_note():
    # 50 test rows, but only 4 of the rare defaults
    result = run(data="default", target="default", test_size=0.05)
    n, accuracy = result.metrics.n_test, result.metrics.test.accuracy
    correct = round(accuracy * n)
    low, high = wilson_interval(correct, n)
    assert n == 50 and correct == 48
    assert result.notes == [
        f"the test split is small (50 rows, 4 rows of class Yes): test accuracy {accuracy:.2f} "
        f"is 48 of 50, and a 95% interval for it is {low:.2f} to {high:.2f} (Wilson); a larger "
        "--test-size or more data narrows it"
    ]


def test_no_test_split_and_a_large_one_get_no_note():
    assert run(data="line", test_size=0).notes == []
    iris = run(data="iris")
    assert iris.metrics.n_test == 38
    assert iris.notes == []


# --------------------------------------------------------------------------- an ID column


@pytest.fixture(scope="module")
def id_csv(tmp_path_factory):
    """50 rows (the most levels a text column may have): a unique name per row, a numeric x
    and a 3-level text column."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "people.csv"
    lines = ["name,x,town,label"]
    for i in range(50):
        x = rng.normal()
        lines.append(f"p{i:03d},{x:.3f},{'abc'[i % 3]},{'yes' if x + rng.normal() > 0 else 'no'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_text_column_with_a_value_per_row_is_named_as_an_id(id_csv):
    result = run(data=str(id_csv), target="label", test_size=0.4)
    assert result.metrics.train.accuracy == 1.0  # one feature per training row to memorise
    assert result.notes == [
        "the text column 'name' has 50 distinct values in 50 rows, like an ID: one-hot encoded, "
        "it gives the model a feature per row to memorise the training rows with, and says "
        "nothing about new rows; leave it out with --features x,town"
    ]


def test_text_columns_without_an_id_get_no_note(id_csv):
    assert run(data=str(id_csv), target="label", features="x,town", test_size=0.4).notes == []


# --------------------------------------------------------------------------- a too-large step


def test_an_oscillating_step_is_told_to_shrink():
    result = run(data="iris", lr=100, momentum=0)
    rises = int(np.sum(np.diff(result.history.train_loss) > 0))
    assert result.metrics.status == "max_iter" and rises > 500
    assert [str(warning) for warning in result.warnings] == [
        f"training reached the epoch limit max_iter=5000 with the gradient norm "
        f"{result.metrics.final_grad_norm:.3g} still above tol=1e-06; the loss rose in {rises} "
        "of 5000 epochs: the step learning_rate=100 overshoots; use a smaller learning_rate "
        "(e.g. learning_rate=10) or learning_rate='auto'"
    ]
    assert result.notes == [
        f"the step --lr 100 is too large: the loss rose in {rises} of 5000 epochs instead of "
        "falling: each step overshoots the minimum; try a smaller --lr (e.g. 10) or --lr auto "
        "(1/L, the step the curvature of the loss allows)"
    ]


def test_a_diverging_step_is_told_to_shrink():
    result = run(data="iris", lr=1e6, momentum=0)
    assert result.metrics.status == "diverged"
    assert result.notes == [
        f"the step --lr 1e+06 is too large: the loss blew up and training stopped after "
        f"{result.metrics.epochs} epoch; try a smaller --lr (e.g. 100000) or --lr auto "
        "(1/L, the step the curvature of the loss allows)"
    ]


def test_a_run_stopped_at_epochs_with_a_safe_step_is_not_told_to_shrink_it():
    result = run(data="iris", epochs=10)
    assert result.metrics.status == "max_iter"
    assert str(result.warnings[0]).endswith(
        "raise max_iter, raise l2 if the classes are separable, or raise tol"
    )
    assert result.notes == []


# --------------------------------------------------------------------------- no penalty


def test_separable_classes_without_a_penalty_are_named_though_converged():
    result = run(data="linear", noise=0.3, l2=0)
    losses = result.history.train_loss
    assert result.metrics.status == "converged"  # the stopping rule was met: it stays honest
    assert result.metrics.train.accuracy == 1.0 and losses[-1] < 1e-5
    assert result.notes == [
        "every training row is classified right and there is no penalty (l2 = 0): the classes "
        f"are separable, and the loss ({losses[-1]:.2g} after {result.metrics.epochs} epochs) "
        "falls toward 0 only as the weights grow without bound; 'converged' only says the "
        "gradient fell below --tol; a penalty such as --l2 0.001 gives the weights a finite "
        "best value"
    ]


def test_the_weights_do_grow_without_the_penalty():
    # more epochs on the same separable data: a larger weight norm and a smaller loss
    norms = []
    for tol in (1e-4, 1e-8):
        result = run(data="linear", noise=0.3, l2=0, tol=tol)
        norms.append(np.linalg.norm(result.pipeline.estimator.coef_))
    assert norms[1] > norms[0] * 1.5


@pytest.mark.parametrize(
    "values",
    [{"l2": 0.001}, {"l2": 0, "loss": "hinge"}, {"l2": 0, "label_smoothing": 0.1}],
    ids=["penalty", "hinge", "smoothing"],
)
def test_separable_classes_with_a_finite_optimum_get_no_note(values):
    assert run(data="linear", noise=0.3, **values).notes == []


def test_a_notes_are_in_the_metrics():
    result = run(data="line")
    assert list(result.metrics.notes) == result.notes
    assert result.metrics.to_dict()["notes"] == result.notes
