"""cetrain compare, --animate and --format: what they write, measured against the runs' data."""

import json
import math
import re
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_not_blank, invoke
from PIL import Image
from sklearn.metrics import log_loss

from cetrain import plots
from cetrain.core.losses import LOSS_NAMES
from cetrain.data import load_dataset, train_test_split
from cetrain.errors import ConvergenceWarning, RunFolderError
from cetrain.estimators import LogisticRegression
from cetrain.runs import folder, write
from cetrain.runs.compare import compare
from cetrain.runs.folder import frame_epochs, nearest_recorded, save_gif
from cetrain.runs.modelfile import from_dict
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import snapshot_epochs, train

SMALL = ["--data", "moons", "--n-samples", "80", "--seed", "3"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "run"
    result = invoke("compare", *SMALL, "--losses", "cross-entropy,mse", "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_compare_writes_its_files(compared):
    out, _ = compared
    assert sorted(path.name for path in out.iterdir()) == [
        "calibration.png",
        "comparison.json",
        "comparison.png",
        "config.toml",
        "model-cross-entropy.json",
        "model-mse.json",
    ]
    assert_not_blank(out / "comparison.png")


def test_every_model_saw_the_same_split_and_start(compared):
    out, _ = compared
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert data["losses"] == ["cross-entropy", "mse"]
    for loss in data["losses"]:
        history = data["history"][loss]
        # zero initial weights: P = 1/2 for every test row, whatever the loss
        assert history["val_log_loss"][0] == pytest.approx(math.log(2), rel=1e-15)
        assert len(history["val_accuracy"]) == data["summary"][loss]["epochs"] + 1
    # the split is the seeded one: rebuild it and check each saved model's test numbers
    dataset = load_dataset("moons", n_samples=80, seed=3)
    _, X_test, _, y_test = train_test_split(dataset.X, dataset.y, test_size=0.25, seed=3)
    for loss in data["losses"]:
        model = from_dict(json.loads((out / f"model-{loss}.json").read_text(encoding="utf-8")))
        row = data["summary"][loss]
        assert row["test_accuracy"] == np.mean(model.predict(X_test) == y_test)
        assert row["test_log_loss"] == pytest.approx(
            log_loss(y_test, model.predict_proba(X_test), labels=model.classes_), rel=1e-9
        )
        assert row["final_grad_norm"] == data["history"][loss]["grad_norm"][-1]


def test_epochs_to_90_percent_is_measured_from_the_histories(compared):
    out, _ = compared
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    histories = data["history"]
    best = max(max(history["val_accuracy"]) for history in histories.values())
    assert data["best_test_accuracy"] == best
    for loss, history in histories.items():
        first = next(e for e, a in enumerate(history["val_accuracy"]) if a >= 0.9 * best)
        assert data["summary"][loss]["epochs_to_90pct"] == first


def test_compare_prints_one_row_per_loss(compared):
    out, result = compared
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    lines = result.stdout.splitlines()
    for loss, row in data["summary"].items():
        line = next(line for line in lines if line.startswith(loss + " "))
        assert line.split()[1:4] == [
            str(row["epochs"]),
            str(row["epochs_to_90pct"]),
            f"{row['test_accuracy']:.4f}",
        ]
    assert lines[-1] == f"Run folder: {out}"


def test_compare_config_records_the_losses_and_reruns(compared, tmp_path):
    out, _ = compared
    config = tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))
    assert config["losses"] == ["cross-entropy", "mse"]
    assert "loss" not in config
    again = invoke("compare", out / "config.toml", "--out", tmp_path / "again", "--quiet")
    assert again.exit_code == 0, again.output
    first = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "again" / "comparison.json").read_text(encoding="utf-8"))
    assert second["summary"] == first["summary"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--losses", "cross-entropy,huber"],
            "unknown loss 'huber' in losses; use a comma-separated list of: "
            + ", ".join(LOSS_NAMES),
        ),
        (["--losses", "mse,mse"], "losses names a loss twice: mse, mse"),
        (
            ["--test-size", "0"],
            "compare measures every model on a test set; use a test_size above 0 (e.g. 0.25)",
        ),
    ],
)
def test_compare_errors(tmp_path, args, message):
    result = invoke("compare", *SMALL, *args, "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert not (tmp_path / "run").exists()


def test_compare_losses_of_the_wrong_type_in_a_config(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('data = "moons"\nlosses = 3\n', encoding="utf-8")
    result = invoke("compare", config, "--out", tmp_path / "run")
    assert result.stderr == (
        "Error: losses must be a comma-separated string or a list of strings; got 3\n"
    )


def test_train_does_not_take_losses(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('data = "moons"\nlosses = ["mse"]\n', encoding="utf-8")
    result = invoke("train", config, "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}: unknown key 'losses'; valid keys: data,")


# --- --format and --animate ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_format_chooses_the_figure_files(tmp_path, fmt):
    out = tmp_path / "run"
    result = invoke("train", *SMALL, "--epochs", "30", "--format", fmt, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    # SMALL is binary: its folder also has the ROC curve
    assert sorted(path.name for path in out.iterdir()) == sorted(write.run_files(fmt, binary=True))
    head = (out / f"loss_curve.{fmt}").read_bytes()[:200]
    assert (b"<svg" in head) if fmt == "svg" else head.startswith(b"%PDF")


def test_compare_format_svg(tmp_path):
    out = tmp_path / "run"
    result = invoke("compare", *SMALL, "--epochs", "20", "--format", "svg", "--out", out)
    assert result.exit_code == 0, result.output
    assert b"<svg" in (out / "comparison.svg").read_bytes()[:400]


def gif_frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append(np.asarray(gif.convert("RGB"), dtype=float))
    return frames


def test_animate_writes_a_moving_boundary(tmp_path):
    out = tmp_path / "run"
    result = invoke("train", *SMALL, "--animate", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    frames = gif_frames(out / "training.gif")
    assert len(frames) == len(frame_epochs(metrics["epochs"], folder.GIF_SETTINGS[0][0]))
    assert (out / "training.gif").stat().st_size <= folder.MAX_GIF_BYTES
    # the boundary moves: the first and last frames differ, and no frame is blank
    assert np.abs(frames[0] - frames[-1]).mean() > 1.0
    assert all(frame.std() > 10 for frame in frames)


def test_compare_animate_draws_every_model(tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "GIF_SETTINGS", ((5, 40),))  # a few small frames are enough here
    out = tmp_path / "run"
    result = invoke("compare", *SMALL, "--animate", "--epochs", "40", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    frames = gif_frames(out / "training.gif")
    assert len(frames) == 5
    # two panels side by side: the frame is about twice as wide as it is tall
    height, width, _ = frames[0].shape
    assert width > 2.5 * height


@pytest.mark.parametrize(
    ("n_iter", "n_frames", "expected"),
    [(0, 40, [0]), (5, 40, [0, 1, 2, 3, 4, 5]), (39, 40, list(range(40)))],
)
def test_frame_epochs_keeps_every_epoch_when_few(n_iter, n_frames, expected):
    assert frame_epochs(n_iter, n_frames) == expected


@pytest.mark.parametrize("n_iter", [100, 5000, 123_457])
def test_frame_epochs_spans_the_run_densely_at_first(n_iter):
    epochs = frame_epochs(n_iter, 40)
    assert epochs[0] == 0 and epochs[-1] == n_iter
    assert epochs == sorted(set(epochs))
    assert 20 <= len(epochs) <= 42
    # log spacing: more frames in the first tenth of the run than in the last tenth
    first = sum(e <= n_iter / 10 for e in epochs)
    last = sum(e >= 0.9 * n_iter for e in epochs)
    assert first > last


def small_animation_builder(tried: list[int]):
    """build(epochs) for save_gif on a tiny moons run; `tried` gets each request's frame count."""
    result = train(resolve_settings({"data": "moons", "n_samples": 60, "animate": True}))
    pipeline = result.pipeline
    recorded = pipeline.estimator.history_["param_epochs"]

    def build(epochs):
        tried.append(len(epochs))
        return plots.boundary_animation(
            [{"model": pipeline.proba_at_epoch(nearest_recorded(recorded, e))} for e in epochs],
            result.X_train,
            pipeline.estimator.class_index(result.y_train),
            result.X_test,
            pipeline.estimator.class_index(result.y_test),
            class_names=["0", "1"],
            feature_names=["x1", "x2"],
            resolution=10,
        )

    return build, pipeline.estimator.n_iter_


def test_save_gif_shrinks_a_file_that_is_too_large(tmp_path, monkeypatch):
    tried = []
    build, n_iter = small_animation_builder(tried)
    monkeypatch.setattr(folder, "GIF_SETTINGS", ((6, 40), (4, 30), (3, 20)))
    first = save_gif(build, n_iter, tmp_path / "a.gif")
    size_of_six = first.stat().st_size
    # a limit between the 4-frame and the 6-frame file: the second setting is kept
    tried.clear()
    monkeypatch.setattr(folder, "MAX_GIF_BYTES", size_of_six - 1)
    path = save_gif(build, n_iter, tmp_path / "b.gif")
    assert tried == [len(frame_epochs(n_iter, n)) for n in (6, 4)]
    assert len(gif_frames(path)) == tried[-1]
    assert path.stat().st_size <= folder.MAX_GIF_BYTES


def test_save_gif_refuses_when_even_the_smallest_file_is_too_large(tmp_path, monkeypatch):
    tried = []
    build, n_iter = small_animation_builder(tried)
    monkeypatch.setattr(folder, "GIF_SETTINGS", ((4, 30), (3, 20)))
    monkeypatch.setattr(folder, "MAX_GIF_BYTES", 1)
    with pytest.raises(
        RunFolderError, match=r"^the animation does not fit in 1e-06 MB even with 3 frames"
    ):
        save_gif(build, n_iter, tmp_path / "a.gif")
    assert tried == [len(frame_epochs(n_iter, n)) for n in (4, 3)]
    assert not (tmp_path / "a.gif").exists()


def test_animation_snapshots_do_not_grow_with_the_epochs():
    epochs = snapshot_epochs(20_000)
    assert epochs[0] == 0 and epochs[-1] == 20_000 and len(epochs) <= 400
    X, y = (
        load_dataset("moons", n_samples=40, seed=1).X,
        load_dataset("moons", n_samples=40, seed=1).y,
    )
    model = LogisticRegression(l2=0.0, tol=0.0, momentum=0.0, learning_rate=0.05, max_iter=20_000)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y, record_params=epochs)
    kept = model.history_["param_epochs"]
    assert kept == sorted(set(epochs) | {model.n_iter_})  # tol 0: all 20000 epochs run
    assert len(model.history_["coef"]) == len(kept) <= 401
    np.testing.assert_array_equal(model.history_["coef"][-1], model.coef_)


def test_compare_animation_titles_name_the_epoch_each_panel_draws(monkeypatch):
    titles = []
    original = plots.boundary_animation

    def spy(frames, *args, **kwargs):
        titles.extend(list(frame) for frame in frames)
        return original(frames[:1], *args, **kwargs)

    monkeypatch.setattr(plots, "boundary_animation", spy)
    monkeypatch.setattr(folder, "GIF_SETTINGS", ((12, 30),))
    settings = resolve_settings({"data": "moons", "n_samples": 80, "seed": 3, "animate": True})
    comparison = compare(settings, ["cross-entropy", "mse"])
    with tempfile.TemporaryDirectory() as tmp:
        write.write_comparison(comparison, Path(tmp) / "run")
    for index, loss in enumerate(comparison.values):
        model = comparison.runs[loss].pipeline.estimator
        drawn = [int(re.search(r"epoch (\d+)", frame[index]).group(1)) for frame in titles]
        assert set(drawn) <= set(model.history_["param_epochs"])
        assert drawn[-1] == model.n_iter_
        stopped = [frame[index].endswith("(stopped)") for frame in titles]
        # a run that ended before the longest one says so in the last frames, and only there
        longest = max(run.pipeline.estimator.n_iter_ for run in comparison.runs.values())
        assert stopped[-1] == (model.n_iter_ < longest)
        assert stopped == sorted(stopped)


def test_a_loss_key_in_a_compare_config_is_refused(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('data = "moons"\nloss = "mse"\n', encoding="utf-8")
    result = invoke("compare", config, "--out", tmp_path / "run")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {config}: key 'loss' is not used here: compare trains on each of `losses`; "
        "list them there\n"
    )


def test_compare_warnings_name_their_loss(tmp_path):
    result = invoke("compare", *SMALL, "--epochs", "3", "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert [line.split(":")[1].strip() for line in warnings] == ["cross-entropy", "mse"]
    assert all("reached the epoch limit --epochs 3 " in line for line in warnings)


@pytest.mark.parametrize(
    ("data", "event"),
    [({"data": "moons", "n_samples": 80}, "positive"), ({"data": "iris"}, "confidence")],
)
def test_the_calibration_panel_bins_agree_with_sklearn(data, event):
    """calibration.png: each model's points are sklearn's calibration_curve of its test
    probabilities (10 uniform bins), and its bars the test rows in each bin."""
    from sklearn.calibration import calibration_curve

    comparison = compare(resolve_settings({**data, "epochs": 300}), ["cross-entropy", "mse"])
    fig = write.calibration_figure(comparison, {"cross-entropy": "CE", "mse": "MSE"}, "t")
    top, bottom = fig.axes
    curves = {line.get_label(): line for line in top.get_lines()}
    assert list(curves) == ["perfectly calibrated", "CE", "MSE"]
    bars = bottom.patches
    assert len(bars) == 20  # ten bins a model, side by side
    for index, (value, name) in enumerate([("cross-entropy", "CE"), ("mse", "MSE")]):
        run = comparison.runs[value]
        proba = run.pipeline.predict_proba(run.X_test)
        truth = run.pipeline.estimator.class_index(run.y_test)
        if event == "positive":
            happened, probability = truth == 1, proba[:, 1]
        else:
            happened, probability = proba.argmax(axis=1) == truth, proba.max(axis=1)
        observed, predicted = calibration_curve(happened, probability, n_bins=10)
        np.testing.assert_allclose(curves[name].get_xdata(), predicted)
        np.testing.assert_allclose(curves[name].get_ydata(), observed)
        # the bars: rows per bin, a value on an inner edge in the bin below, as sklearn bins
        counts = np.bincount(
            np.searchsorted(np.linspace(0, 1, 11)[1:-1], probability), minlength=10
        )
        heights = [bar.get_height() for bar in bars[10 * index : 10 * index + 10]]
        assert heights == counts.tolist() and sum(heights) == len(run.y_test)
    # and the colours are those of the comparison figure
    styles = plots.curve_styles(["CE", "MSE"], plots.class_colors(2 if event == "positive" else 3))
    assert [curves[n].get_color() for n in ("CE", "MSE")] == [styles[n][0] for n in ("CE", "MSE")]


def test_animate_a_one_vs_rest_model_draws_every_label_column(tmp_path, monkeypatch):
    # `cetrain train --data iris --model multilabel --animate`, as train and its run folder's
    # writer take it (the folder's other figures, which cost seconds, are left out): one
    # sigmoid per class, trained on the labels, normalised to sum to 1
    frames = []
    original = plots.boundary_animation

    def spy(drawn, *args, **kwargs):
        frames.extend(drawn)
        return original(drawn, *args, **kwargs)

    monkeypatch.setattr(plots, "boundary_animation", spy)
    monkeypatch.setattr(folder, "GIF_SETTINGS", ((3, 20),))  # a few small frames are enough
    settings = {"data": "iris", "model": "multilabel", "epochs": 20, "animate": True}
    result = train(resolve_settings(settings))
    write._write_animation({"iris": result}, tmp_path / "training.gif")
    assert len(gif_frames(tmp_path / "training.gif")) == len(frames) == 3
    X = result.X_test
    first, last = (next(iter(frame.values())) for frame in (frames[0], frames[-1]))
    # epoch 0: zero weights, every sigmoid 1/2, so every class 1/3
    np.testing.assert_allclose(first(X), np.full((len(X), 3), 1 / 3), rtol=1e-15)
    # the last epoch, the fitted weights: P_k = sigma(s_k) / sum_j sigma(s_j)
    model = result.pipeline.estimator
    S = X @ model.coef_.T + model.intercept_
    sigmoids = 1.0 / (1.0 + np.exp(-S))
    np.testing.assert_allclose(last(X), sigmoids / sigmoids.sum(axis=1, keepdims=True), rtol=1e-12)
