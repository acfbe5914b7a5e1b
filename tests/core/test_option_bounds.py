"""The ranges declared for the losses' options are ones float64 can compute (issue 11, item 3):
at every end of every range, each loss form gives a finite value, a finite gradient and a
finite, positive curvature bound (1 / it is the automatic step) for scores far beyond any a
trained model reaches."""

import itertools
import math

import numpy as np
import pytest

from cetrain.core.losses import LOSSES, loss_for
from cetrain.core.params import MAX_CLASS_WEIGHT, Number, OneOf

C = 3
_EDGES = np.array([-1e4, -745.0, -40.0, -1.0, 0.0, 1.0, 40.0, 745.0, 1e4])


def _scores_and_targets(model: str) -> tuple[np.ndarray, np.ndarray]:
    n = _EDGES.size
    if model == "logistic":
        return np.concatenate([_EDGES, _EDGES]), np.repeat([0, 1], n)
    rows = np.stack([_EDGES, np.zeros(n), -_EDGES], axis=1)
    if model == "softmax":
        return np.concatenate([rows] * C), np.repeat(np.arange(C), n)
    labels = np.array(list(itertools.product([0, 1], repeat=C)))
    return np.repeat(rows, len(labels), axis=0), np.tile(labels, (n, 1))


def _ends(domain) -> list[float]:
    """The two ends of a number range, inside it when an end is open."""
    numbers = [domain] if isinstance(domain, Number) else []
    if isinstance(domain, OneOf):
        numbers = [d for d in domain.domains if isinstance(d, Number)]
    ends = []
    for number in numbers:
        low = math.nextafter(number.low, math.inf) if number.low_open else number.low
        high = math.nextafter(number.high, -math.inf) if number.high_open else number.high
        ends += [low, high]
    return ends


def _cases() -> list[tuple[str, str, dict]]:
    cases = []
    for name, spec in LOSSES.items():
        for model, form in spec.forms.items():
            choices = []
            for option in spec.options:
                if option.param.name not in form.option_names:
                    continue
                if model in option.per_class_in:
                    values = [(MAX_CLASS_WEIGHT,) * C, (MAX_CLASS_WEIGHT, 0.0, 1.0)]
                else:
                    values = _ends(option.param.domain)
                choices.append([(option.param.name, value) for value in values])
            if "class_weight" in form.option_names:
                n_classes = 2 if model == "logistic" else C
                heavy = (MAX_CLASS_WEIGHT,) * n_classes
                choices.append([("class_weight", heavy), ("class_weight", (1.0, *heavy[1:]))])
            for combo in itertools.product(*choices):
                options = dict(combo)
                if {"alpha", "beta"} <= options.keys() and max(
                    options["alpha"], options["beta"]
                ) < 1e-12:
                    continue  # refused together (see test_loss_family)
                cases.append((name, model, options))
    return cases


CASES = _cases()


def test_every_loss_with_options_is_covered():
    covered = {(name, model) for name, model, options in CASES if options}
    assert ("focal", "softmax") in covered and ("symmetric-cross-entropy", "logistic") in covered


@pytest.mark.parametrize(
    ("name", "model", "options"), CASES, ids=[f"{n}-{m}-{o}" for n, m, o in CASES]
)
def test_losses_stay_finite_at_the_ends_of_their_option_ranges(name, model, options):
    loss = loss_for(name, model, **options)
    scores, target = _scores_and_targets(model)
    with np.errstate(over="raise", invalid="raise"):
        value, grad = loss.value_and_grad(scores, target)
    assert math.isfinite(value) and value >= 0
    assert np.all(np.isfinite(grad))
    assert 0 < loss.curvature < math.inf
    assert math.isfinite(1.0 / loss.curvature)
