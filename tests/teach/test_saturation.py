"""Tests for teach.saturation and `cetrain saturation`: first step by hand, cross-entropy
learns in fewer epochs than MSE (measured from the run), the per-epoch values are the formulas,
the figure and the JSON, and every error a user can trigger (exact text and exit code).

The command runs through click's CliRunner with its folder under pytest's tmp_path.
"""

import json
import math

import numpy as np
import pytest
from conftest import assert_error, assert_not_blank, invoke

from cetrain.teach.saturation import saturation_demo, train_neuron
from cetrain.teach.saturation_figure import saturation_figure

SIGMA_4 = 1 / (1 + math.exp(-4))  # the output at w = b = 2, x = 1
ETA = 0.15
BLUE, VERMILLION = "#0072B2", "#D55E00"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`cetrain saturation` with every default: its folder, CliRunner result and JSON."""
    out = tmp_path_factory.mktemp("saturation") / "run"
    result = invoke("saturation", "--out", out)
    assert result.exit_code == 0, result.output
    return out, result, json.loads((out / "saturation.json").read_text(encoding="utf-8"))


def test_saturation_writes_a_figure_and_its_json(default_run):
    out, result, _ = default_run
    assert sorted(p.name for p in out.iterdir()) == ["saturation.json", "saturation.png"]
    assert_not_blank(out / "saturation.png")
    assert result.stdout.splitlines() == [
        "One sigmoid neuron, x = 1, target 0: start w = 2, b = 2 (output 0.982); "
        "step 0.15, 300 epochs",
        "cross-entropy: output 0.982 -> 0.012; within 0.1 of the target at epoch 50",
        "mse: output 0.982 -> 0.078; within 0.1 of the target at epoch 234",
        f"Folder: {out}",
    ]


def test_json_holds_the_settings_and_one_value_per_epoch(default_run):
    _, _, record = default_run
    assert record["input"] == 1.0
    assert record["target"] == 0
    assert record["start"] == {"w": 2.0, "b": 2.0}
    assert record["start_output"] == pytest.approx(SIGMA_4, rel=1e-15)
    assert record["learning_rate"] == ETA
    assert record["epochs"] == 300
    keys = ["output", "loss", "sigmoid_slope", "gradient_b", "w", "b"]
    for name in ("cross-entropy", "mse"):
        run = record["losses"][name]
        assert all(len(run[key]) == 301 for key in keys)
        output = np.array(run["output"])
        z = np.array(run["w"]) + np.array(run["b"])
        assert np.allclose(output, 1 / (1 + np.exp(-z)), rtol=1e-14)
        assert np.allclose(run["sigmoid_slope"], output * (1 - output), rtol=1e-12)
        # with y = 0: cross-entropy log(1 + e^z), MSE sigma(z)^2
        expected = np.log1p(np.exp(z)) if name == "cross-entropy" else output**2
        assert np.allclose(run["loss"], expected, rtol=1e-12)


def test_cross_entropy_learns_in_fewer_epochs_than_mse(default_run):
    _, _, record = default_run
    first = {}
    for name in ("cross-entropy", "mse"):
        run = record["losses"][name]
        output = np.array(run["output"])
        k = run["first_epoch_near_target"]
        # the recorded epoch is the first with output < 0.1, as measured from the outputs
        assert k == int(np.flatnonzero(output < 0.1)[0])
        first[name] = k
    assert first["cross-entropy"] < first["mse"]
    # an independent reference: the same descent written out with plain floats
    assert first == {name: first_epoch_below(name, 0.1) for name in first}


def first_epoch_below(loss: str, level: float, eta: float = ETA, epochs: int = 300) -> int | None:
    """Gradient descent on sigma(w + b) from w = b = 2 with target 0, in plain Python: the first
    epoch whose output is below `level`. d/dz is sigma (cross-entropy) or 2 sigma^2 (1 - sigma)
    (MSE), and dz/dw = dz/db = 1."""
    w = b = 2.0
    for epoch in range(epochs + 1):
        out = 1.0 / (1.0 + math.exp(-(w + b)))
        if out < level:
            return epoch
        slope = out if loss == "cross-entropy" else 2.0 * out * out * (1.0 - out)
        w, b = w - eta * slope, b - eta * slope
    return None


@pytest.mark.parametrize(
    ("name", "gradient"),
    [
        ("cross-entropy", SIGMA_4),  # sigma(z) - y
        ("mse", 2 * SIGMA_4 * SIGMA_4 * (1 - SIGMA_4)),  # 2 (sigma(z) - y) sigma'(z)
    ],
)
def test_first_step_by_hand(default_run, name, gradient):
    _, _, record = default_run
    run = record["losses"][name]
    assert run["gradient_b"][0] == pytest.approx(gradient, rel=1e-14)
    # x = 1, so w moves exactly as b does
    assert run["b"][1] - run["b"][0] == pytest.approx(-ETA * gradient, rel=1e-12)
    assert run["w"][1] - run["w"][0] == pytest.approx(-ETA * gradient, rel=1e-12)


def test_mse_starts_with_a_gradient_thirty_times_smaller(default_run):
    _, _, record = default_run
    ce = record["losses"]["cross-entropy"]["gradient_b"][0]
    mse = record["losses"]["mse"]["gradient_b"][0]
    # the ratio is 2 sigma'(4) = 0.035
    assert mse / ce == pytest.approx(2 * SIGMA_4 * (1 - SIGMA_4), rel=1e-12)
    assert mse < ce / 28


def test_target_one_from_the_mirrored_start_mirrors_the_run():
    # sigma(-z) = 1 - sigma(z): starting at -2,-2 with target 1 is the same run, mirrored
    up = saturation_demo(start=(-2.0, -2.0), target=1)
    down = saturation_demo()
    for name in ("cross-entropy", "mse"):
        assert np.allclose(up.runs[name].output, 1 - down.runs[name].output, atol=1e-12)
        assert up.runs[name].first_epoch_near == down.runs[name].first_epoch_near


def test_a_neuron_that_never_gets_near_records_none():
    run = train_neuron("mse", epochs=10)
    assert run.first_epoch_near is None
    assert run.to_dict()["first_epoch_near_target"] is None


def test_options_and_svg_format(tmp_path):
    out = tmp_path / "run"
    args = ["--lr", 0.5, "--epochs", 20, "--start", "1,-0.5", "--format", "svg", "--out", out]
    result = invoke("saturation", *args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["saturation.json", "saturation.svg"]
    assert "<svg" in (out / "saturation.svg").read_text(encoding="utf-8")
    record = json.loads((out / "saturation.json").read_text(encoding="utf-8"))
    assert (record["learning_rate"], record["epochs"]) == (0.5, 20)
    assert record["start"] == {"w": 1.0, "b": -0.5}
    assert len(record["losses"]["mse"]["output"]) == 21


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--start", "2"],
            "Invalid value for '--start': '2' is not two finite numbers W,B such as 2,2",
        ),
        (
            ["--start", "2,nan"],
            "Invalid value for '--start': '2,nan' is not two finite numbers W,B such as 2,2",
        ),
        (["--target", "0.5"], "Invalid value for '--target': '0.5' is not one of '0', '1'."),
        (
            ["--lr", "-1"],
            "Invalid value for '--lr': lr must be a finite number in (0, 1e6]; got -1.0",
        ),
        (
            ["--lr", "inf"],
            "Invalid value for '--lr': lr must be a finite number in (0, 1e6]; got inf",
        ),
        (["--epochs", "0"], "Invalid value for '--epochs': 0 is not in the range 1<=x<=20000."),
    ],
)
def test_bad_option_values_are_usage_errors(tmp_path, args, message):
    assert_error(invoke("saturation", *args, "--out", tmp_path / "run"), message, exit_code=2)


def test_errors_are_one_line_with_exit_code_1(tmp_path):
    assert_error(
        invoke("saturation", "--start", "1e308,1e308", "--out", tmp_path / "run"),
        "--start 1e+308,1e+308 is too far out: w and b must each be in [-1000, 1000] (the "
        "output sigma(w + b) is 0 or 1 to float64 beyond w + b = ±37)",
    )
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    assert_error(
        invoke("saturation", "--out", tmp_path),
        f"the run folder '{tmp_path}' already exists and is not empty; "
        "choose a new --out or remove it",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_saturation_figure_has_titles_labels_legends_and_the_loss_colours():
    fig = saturation_figure(saturation_demo(epochs=30))
    assert len(fig.axes) == 4
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is not None
    output, loss, gradient, slope = fig.axes
    for ax in (output, loss, gradient):
        assert [line.get_color() for line in ax.get_lines()][:2] == [BLUE, VERMILLION]
    # sigma' is drawn for the MSE run only, under its largest value 1/4
    curve = slope.get_lines()[0]
    assert curve.get_color() == VERMILLION
    assert curve.get_ydata()[0] == pytest.approx(SIGMA_4 * (1 - SIGMA_4))


def test_a_deeply_saturated_neuron_runs_every_epoch_and_keeps_a_tiny_slope(tmp_path):
    # at z = 80 the output rounds to 1.0, but sigma'(80) = e^-80 / (1 + e^-80)^2 is not 0
    out = tmp_path / "run"
    result = invoke("saturation", "--start", "40,40", "--epochs", "20", "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "saturation.json").read_text(encoding="utf-8"))
    for loss in ("cross-entropy", "mse"):
        run = data["losses"][loss]
        assert len(run["output"]) == 21
        assert run["first_epoch_near_target"] is None
    mse = data["losses"]["mse"]
    assert mse["sigmoid_slope"][0] == pytest.approx(math.exp(-80) / (1 + math.exp(-80)) ** 2)
    assert (
        "mse: output 1.000 -> 1.000; never within 0.1 of the target in 20 epochs"
        in result.stdout.splitlines()
    )
