"""The loss registry describes each loss truly: what it declares is checked against what the
loss does, so a wrong declaration fails here, not in a module that trusts it."""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from cetrain.core.heads import MODEL_KINDS
from cetrain.core.links import log_softmax
from cetrain.core.losses import LOSS_NAMES, LOSSES, LossSpec, binary_mse, loss_for, loss_spec
from cetrain.errors import ConfigError, DataError

SCORES = np.array([[2.0, -1.0, 0.5], [0.1, 0.3, -2.0], [-1.5, 2.5, 0.0]])
LABELS = np.array([0, 1, 1])


def test_the_registry_is_the_list_of_losses():
    assert tuple(LOSSES) == LOSS_NAMES
    assert all(spec.name == name for name, spec in LOSSES.items())
    labels = [spec.label for spec in LOSSES.values()]
    assert len(set(labels)) == len(labels)  # one loss axis label each


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_every_loss_trains_logistic_and_softmax_models(name):
    spec = LOSSES[name]
    assert {"logistic", "softmax"} <= set(spec.forms)
    assert set(spec.forms) <= set(MODEL_KINDS)
    for model, loss in spec.forms.items():
        assert loss_for(name, model) is loss


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_needs_labels_is_whether_the_softmax_form_refuses_probability_rows(name):
    rows = np.exp(log_softmax(SCORES[:, ::-1]))  # rows of probabilities, summing to 1
    loss = LOSSES[name].forms["softmax"]
    if LOSSES[name].needs_labels:
        with pytest.raises(DataError, match="not probability rows"):
            loss(SCORES, rows)
    else:
        assert np.isfinite(loss(SCORES, rows))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_margin_based_is_whether_a_confident_right_prediction_costs_nothing(name):
    # a margin loss is exactly 0 beyond its margin; a loss on probabilities is > 0 at every
    # finite score, since no probability is exactly 1
    confident = np.array([[3.0, 0.0, 0.0], [0.0, 4.0, 1.0]])
    for model, scores in (("softmax", confident), ("logistic", confident[:, 1] - confident[:, 0])):
        per_row = LOSSES[name].forms[model](scores, [0, 1], reduction="none")
        assert np.all(per_row == 0) == LOSSES[name].margin_based, model


@pytest.mark.parametrize(
    ("name", "setting", "option"),
    [
        (name, setting, option)
        for name, spec in LOSSES.items()
        for setting, option in spec.settings.items()
    ],
)
def test_every_declared_option_is_one_the_loss_takes_and_checks(name, setting, option):
    spec = LOSSES[name]
    for model, loss in spec.forms.items():
        assert option.param.name in loss.option_names, (model, loss)
    # a value outside the declared domain is refused by the loss itself, with the same message
    domain = option.param.domain
    bad = domain.low - 1.0 if np.isfinite(getattr(domain, "low", -np.inf)) else -1.0
    message = f"{option.param.name} must be {option.param.domain.expected}; got {bad!r}"
    with pytest.raises(ConfigError) as refused:
        spec.forms["logistic"].configured(**{option.param.name: bad})
    if option.per_class_in:  # a sigmoid's alpha is one of the values the option accepts
        assert option.param.domain.check(0.5) == 0.5
        assert str(refused.value) == f"alpha must be a finite number in [0, 1]; got {bad!r}"
    else:
        assert str(refused.value) == message


def test_an_option_of_another_loss_names_the_loss_that_takes_it():
    message = "gamma applies to the loss focal of a softmax model, not to 'mse'"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("mse", "softmax", gamma=2.0)
    message = (
        "loss 'hinge' is not available for multilabel models; it supports logistic and softmax "
        "models"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("hinge", "multilabel")
    with pytest.raises(ConfigError, match=r"^unknown loss 'huber'; use one of: "):
        loss_spec("huber")


def test_resolve_turns_class_pairs_into_one_weight_per_class_in_class_order():
    focal = LOSSES["focal"]
    resolved = focal.resolve({"alpha": {"c": 0.5, "a": 2.0}, "gamma": 1.0}, "softmax", "abc")
    assert resolved == {"alpha": (2.0, 1.0, 0.5), "gamma": 1.0}
    assert focal.resolve({"alpha": "none"}, "softmax", "abc") == {"alpha": None}
    assert focal.resolve({"alpha": 0.3}, "logistic", "ab") == {"alpha": 0.3}
    message = (
        'focal alpha of a softmax model is one weight per class, like "a=0.5,b=0.25", or none; '
        "got 0.3"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        focal.resolve({"alpha": 0.3}, "softmax", "abc")
    message = "focal alpha of a multilabel model is one number, not class=weight pairs; got a=1"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        focal.resolve({"alpha": {"a": 1}}, "multilabel", "ab")


def test_an_option_that_several_losses_take_names_them_all():
    message = (
        "alpha applies to the losses focal and symmetric-cross-entropy of a softmax model, "
        "not to 'cross-entropy'"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("cross-entropy", "softmax", alpha=0.5)


def test_loss_for_checks_every_option_past_one_that_no_loss_takes():
    # an option no loss has is left for configured() to name; the options after it are still
    # checked, so one that another loss takes is named with that loss
    message = "gamma applies to the loss focal of a softmax model, not to 'mse'"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("mse", "softmax", bogus=1, gamma=2.0)
    message = "mse has no option 'bogus'; it takes no options"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        loss_for("mse", "softmax", bogus=1)


def test_a_loss_spec_with_a_form_for_an_unknown_model_kind_is_refused():
    assert LossSpec("x", "x", "x", {"logistic": binary_mse}).forms == {"logistic": binary_mse}
    message = "loss 'x' has forms for unknown model kinds {'binary'}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        LossSpec("x", "x", "x", {"logistic": binary_mse, "binary": binary_mse})


def test_resolve_passes_options_that_are_not_run_settings_through_unchanged():
    # class_weight is not a run setting of cross-entropy (runs set it apart): the loss checks it
    options = {"class_weight": (1.0, 2.0, 3.0), "label_smoothing": 0.1}
    assert LOSSES["cross-entropy"].resolve(options, "softmax", "abc") == options


def test_resolve_errors_name_the_loss_option_and_every_pair():
    focal = LOSSES["focal"]
    message = (
        "focal alpha of a multilabel model is one number, not class=weight pairs; got a=1,b=0.5"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        focal.resolve({"alpha": {"a": 1, "b": 0.5}}, "multilabel", "ab")
    message = "focal alpha names the unknown class 'd'; the classes are a, b, c"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        focal.resolve({"alpha": {"d": 1.0}}, "softmax", "abc")


def test_the_estimators_hold_no_branch_on_the_kind_of_output():
    """What differs between a sigmoid, a softmax and independent sigmoids is the heads' job:
    the estimator compares no value with a model kind or a target kind."""
    source = Path(__file__).resolve().parents[2] / "cetrain" / "estimators" / "linear.py"
    kinds = set(MODEL_KINDS) | {"labels", "probabilities", "indicator", "binary"}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            constants = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant)]
            assert not kinds & set(constants), ast.unparse(node)
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("_binary", "_multilabel"), ast.unparse(node)


def test_a_loss_shows_its_class_and_options():
    assert (
        repr(loss_for("focal", "softmax", gamma=3.0)) == "SoftmaxFocalLoss(alpha=None, gamma=3.0)"
    )
    assert repr(loss_for("hinge", "logistic")) == "BinaryHinge()"
    assert repr(loss_for("cross-entropy", "multilabel")) == (
        "MultilabelLoss(BinaryCrossEntropy(class_weight=None, label_smoothing=0.0))"
    )
