"""Each setting is declared once: the command line, a config file and the Python estimator check
it with the same declaration and give the same message, a loss's options appear wherever a loss
can be chosen, and a mapping stays a mapping from a TOML table to the model."""

import json
import re
import tomllib

import numpy as np
import pytest
from conftest import assert_error, invoke

from cetrain import LogisticRegression, SoftmaxRegression
from cetrain.core.losses import LOSS_NAMES, LOSSES
from cetrain.data import read_csv, train_test_split
from cetrain.errors import ConfigError
from cetrain.runs.settings import SETTINGS

# these tests check what is trained; the diagnostic figures are checked elsewhere
pytestmark = pytest.mark.usefixtures("no_diagnostic_figures")

X = np.array([[0.0], [1.0], [2.0], [3.0]])
Y = np.array([0, 0, 1, 1])


@pytest.mark.parametrize(
    ("setting", "text", "toml", "param", "value", "message"),
    [
        (
            "momentum",
            "1.5",
            "1.5",
            "momentum",
            1.5,
            "momentum must be a finite number in [0, 1); got 1.5",
        ),
        (
            "label_smoothing",
            "1",
            "1.0",
            "label_smoothing",
            1.0,
            "label_smoothing must be a finite number in [0, 1); got 1.0",
        ),
        ("l2", "-0.5", "-0.5", "l2", -0.5, "l2 must be a finite number in [0, 1e6]; got -0.5"),
        ("tol", "nan", "nan", "tol", float("nan"), "tol must be a finite number >= 0; got nan"),
        (
            "class_weight",
            "balance",
            '"balance"',
            "class_weight",
            "balance",
            'class_weight must be "balanced" or class=weight pairs with weights in [0, 1e6], like '
            "\"a=2,b=1\"; got 'balance'",
        ),
        (
            "loss",
            "huber",
            '"huber"',
            "loss",
            "huber",
            f"loss must be one of: {', '.join(LOSS_NAMES)}; got 'huber'",
        ),
    ],
)
def test_an_out_of_range_value_gets_one_message_from_every_source(
    tmp_path, setting, text, toml, param, value, message
):
    option = "--" + setting.replace("_", "-")
    from_cli = invoke("train", "--data", "line", option, text, "--out", tmp_path / "a")
    assert_error(from_cli, f"Invalid value for '{option}': {message}", exit_code=2)

    config = tmp_path / "run.toml"
    config.write_text(f'data = "line"\n{setting} = {toml}\n', encoding="utf-8")
    from_toml = invoke("train", config, "--out", tmp_path / "b")
    assert_error(from_toml, f"{config}: {message}")

    with pytest.raises(ConfigError) as from_python:
        LogisticRegression(**{param: value}).fit(X, Y)
    assert str(from_python.value) == message
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_class_named_with_a_comma_gets_its_weight_from_a_toml_table(tmp_path):
    rows = [(x, "a,b" if x % 3 else "c") for x in range(30)]
    csv = tmp_path / "pairs.csv"
    csv.write_text("x,label\n" + "".join(f'{x},"{label}"\n' for x, label in rows), encoding="utf-8")
    config = tmp_path / "run.toml"
    config.write_text(
        f'data = "{csv}"\nclass_weight = {{"a,b" = 3.0}}\nepochs = 300\n', encoding="utf-8"
    )
    result = invoke("train", config, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    assert model["hyperparameters"]["class_weight"] == {"a,b": 3.0}
    # the resolved config.toml keeps the table, and re-runs to the same model
    written = (tmp_path / "run" / "config.toml").read_text(encoding="utf-8")
    assert 'class_weight = {"a,b" = 3.0}' in written.splitlines()
    again = invoke("train", tmp_path / "run" / "config.toml", "--out", tmp_path / "again")
    assert again.exit_code == 0, again.output
    rerun = json.loads((tmp_path / "again" / "model.json").read_text(encoding="utf-8"))
    assert rerun["coef"] == model["coef"]

    # the weight is the class's: the same fit as weighting each "a,b" row by 3 by hand
    data = read_csv(csv)
    X_train, _, y_train, _ = train_test_split(data.X, data.y, test_size=0.25, seed=0)
    by_hand = LogisticRegression(max_iter=300).fit(
        X_train, y_train, sample_weight=np.where(y_train == "a,b", 3.0, 1.0)
    )
    np.testing.assert_allclose(model["coef"], by_hand.coef_, rtol=1e-10)
    unweighted = LogisticRegression(max_iter=300).fit(X_train, y_train)
    assert not np.allclose(unweighted.coef_, by_hand.coef_, rtol=1e-3)


def test_focal_alpha_per_class_is_resolved_the_same_in_train_and_in_loss():
    message = "focal alpha names the unknown class 'dog'; the classes are A, B, C"
    model = SoftmaxRegression(loss="focal", loss_options={"alpha": {"dog": 0.5}})
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        model.fit(np.arange(6.0)[:, None], np.array(["A", "B", "C"] * 2))
    result = invoke(
        "loss", "--target", "A", "--classes", "A,B,C", "--probs", "0.5,0.3,0.2",
        "--focal-alpha", "dog=0.5",
    )  # fmt: skip
    assert_error(result, message)


def test_every_loss_option_is_a_setting_an_option_and_a_config_key():
    settings = {setting.name: setting for setting in SETTINGS}
    train_help = invoke("train", "--help").stdout
    loss_help = invoke("loss", "--help").stdout
    for spec in LOSSES.values():
        for name, option in spec.settings.items():
            assert settings[name].loss == spec.name
            assert f"--{name.replace('_', '-')} " in train_help
            if settings[name].estimator is None:  # label smoothing is `loss --smoothing`
                assert settings[name].option == option.param.name
                assert f"--{name.replace('_', '-')} " in loss_help


def test_target_columns_named_with_commas_survive_the_resolved_config(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    first, second = (x > 0).astype(int), (x > 0.5).astype(int) | (rng.random(40) < 0.2)
    csv = tmp_path / "tags.csv"
    csv.write_text(
        'x,"a,b",c\n'
        + "".join(f"{float(u)!r},{a},{b}\n" for u, a, b in zip(x, first, second, strict=True)),
        encoding="utf-8",
    )
    config = tmp_path / "run.toml"
    config.write_text(f'data = "{csv}"\ntarget = ["a,b", "c"]\nepochs = 50\n', encoding="utf-8")
    assert invoke("train", config, "--out", tmp_path / "run", "--quiet").exit_code == 0
    written = tomllib.loads((tmp_path / "run" / "config.toml").read_text(encoding="utf-8"))
    assert written["target"] == ["a,b", "c"]
    again = invoke("train", tmp_path / "run" / "config.toml", "--out", tmp_path / "again")
    assert again.exit_code == 0, again.output
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    rerun = json.loads((tmp_path / "again" / "model.json").read_text(encoding="utf-8"))
    assert model["classes"] == rerun["classes"] == ["a,b", "c"]
    assert rerun["coef"] == model["coef"]
