"""Training on memory-mapped .npy features (issue 12, streaming from disk): the run keeps X on
disk (the fit gets the memmap itself, the training rows stay `Rows` of it) and gives the model,
metrics, history and files that the same data in memory gives."""

import csv
import dataclasses
import json

import numpy as np
import pytest
from matplotlib.text import Text

from cetrain.data import load_dataset
from cetrain.data.rows import Rows
from cetrain.runs import train as train_module
from cetrain.runs import write
from cetrain.runs.pipeline import ClassifierPipeline
from cetrain.runs.settings import read_config, resolve_settings, to_toml


def _data(kind: str, n: int = 400):
    """Seeded features and targets: labels of 3 classes, 2 classes, or 3 0/1 label columns."""
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(n, 4))
    X = Z * [1.0, 3.0, 0.5, 10.0] + [0.0, 5.0, -1.0, 100.0]
    scores = Z @ rng.normal(size=(4, 3)) + rng.normal(size=(n, 3))
    if kind == "labels":
        return X, scores.argmax(axis=1)
    if kind == "binary":
        return X, (scores[:, 0] > np.median(scores[:, 0])).astype(np.int64)
    return X, (scores > 0).astype(np.float64)


def _runs(tmp_path, kind, **options):
    """The same settings trained on the .npy pair (memory-mapped) and on the arrays in memory."""
    X, y = _data(kind)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    settings = resolve_settings(
        cli_values={"data": str(tmp_path / "X.npy"), "target_file": str(tmp_path / "y.npy")}
        | options
    )
    on_disk = load_dataset(settings.data, target_file=settings.target_file)
    assert isinstance(on_disk.X, np.memmap)
    in_memory = dataclasses.replace(on_disk, X=np.array(on_disk.X), y=np.array(on_disk.y))
    assert not isinstance(in_memory.X, np.memmap)
    return (
        train_module.train(settings, dataset=on_disk),
        train_module.train(settings, dataset=in_memory),
    )


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _same_metrics(a: dict, b: dict) -> None:
    """Equal metrics.json content, numbers to 1e-12 (seconds apart)."""
    assert a.keys() == b.keys()
    for key in a:
        if key == "seconds":
            continue
        if isinstance(a[key], dict):
            _same_metrics(a[key], b[key])
        elif key == "final_grad_norm":
            # the norm of a gradient near zero: a difference of O(1) terms, whose rounding
            # (the zero-weighted rows sum in another order) is 1e-16 of them, not of the norm
            assert a[key] == pytest.approx(b[key], abs=1e-12), key
        elif isinstance(a[key], float):
            assert a[key] == pytest.approx(b[key], rel=1e-12, abs=1e-15), key
        else:
            assert a[key] == b[key], key


CASES = {
    "softmax": ("labels", {}),
    "balanced, smoothed": ("labels", {"class_weight": "balanced", "label_smoothing": 0.1}),
    "binary, poly 2, l1": ("binary", {"poly": 2, "l1": 0.01, "test_size": 0.3, "seed": 3}),
    "multilabel": ("columns", {}),
    "focal, no standardising": ("binary", {"loss": "focal", "standardize": False, "epochs": 300}),
    "no test set": ("labels", {"test_size": 0.0}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_memmap_run_is_the_in_memory_run(tmp_path, case):
    """Training rows in place with weight 0 on the test rows give the fit on the training rows
    alone: the same classes, coefficients (1e-12), epochs, history and metrics, whatever the
    loss, class weights, penalty, polynomial features or target."""
    kind, options = CASES[case]
    on_disk, in_memory = _runs(tmp_path, kind, **options)
    assert isinstance(on_disk.X_train, Rows) and not isinstance(in_memory.X_train, Rows)
    a, b = on_disk.pipeline.estimator, in_memory.pipeline.estimator
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert a.n_iter_ == b.n_iter_ and a.status_ == b.status_
    _close(a.coef_, b.coef_)
    _close(a.intercept_, b.intercept_)
    _close(a.history_.train_loss, b.history_.train_loss)
    if options.get("test_size") != 0.0:
        _close(a.history_.val_loss, b.history_.val_loss)
    _same_metrics(on_disk.metrics.to_dict(), in_memory.metrics.to_dict())
    np.testing.assert_array_equal(on_disk.y_train, in_memory.y_train)
    np.testing.assert_array_equal(on_disk.X_test, in_memory.X_test)
    assert on_disk.plot_features == in_memory.plot_features


def test_the_fit_reads_the_memmap_itself(tmp_path, monkeypatch):
    """The features reach the fit as the memory-mapped file, not a copy: the training rows are
    weighted 1 and the test rows 0, and only the test rows are copied."""
    seen = {}
    fit = ClassifierPipeline.fit

    def spy(self, X, y, **params):
        if not seen:  # the first run of _runs: the one on disk
            seen.update(X=X, y=y, weight=params["sample_weight"], val=params["validation_data"][0])
        return fit(self, X, y, **params)

    monkeypatch.setattr(ClassifierPipeline, "fit", spy)
    on_disk, _ = _runs(tmp_path, "labels")
    X = on_disk.dataset.X
    assert seen["X"] is X and isinstance(X, np.memmap) and len(seen["y"]) == len(X)
    train_rows = on_disk.X_train.index
    expected = np.zeros(len(X))
    expected[train_rows] = 1.0
    np.testing.assert_array_equal(seen["weight"], expected)
    assert len(seen["val"]) == len(X) - len(train_rows) == 100
    assert not isinstance(seen["val"], np.memmap)


def test_the_files_of_a_memmap_run_are_the_in_memory_run_s(tmp_path):
    """metrics.json, history.csv, model.json and worst_points.csv agree (numbers to 1e-12);
    the boundary plot with --show-loss is drawn from the same points."""
    on_disk, in_memory = _runs(tmp_path, "labels", show_loss=True, epochs=30)
    folders = []
    for name, result in (("disk", on_disk), ("memory", in_memory)):
        folders.append(write.write_run(result, tmp_path / name, "png"))
    disk = folders[0]
    _same_metrics(*(json.loads((f / "metrics.json").read_text()) for f in folders))
    coef = [np.array(json.loads((f / "model.json").read_text())["coef"]) for f in folders]
    _close(*coef)
    rows = [list(csv.reader((f / "worst_points.csv").open())) for f in folders]
    assert len(rows[0]) == len(rows[1]) == 1 + write.WORST_POINTS
    assert rows[0][0] == rows[1][0]
    for a, b in zip(rows[0][1:], rows[1][1:], strict=True):
        assert a[:3] == b[:3]  # rank, split, row
        _close(
            [float(v) for v in a[3:] if _is_number(v)], [float(v) for v in b[3:] if _is_number(v)]
        )
    assert (disk / "decision_boundary.png").is_file()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_boundary_figures_draw_a_bounded_sample_of_each_split(tmp_path, monkeypatch):
    """Beyond PLOT_POINTS rows a split is drawn by a seeded sample; the points' sizes
    (--show-loss) are those same rows' losses, for Rows and arrays alike."""
    monkeypatch.setattr(write, "PLOT_POINTS", 40)
    on_disk, in_memory = _runs(tmp_path, "labels", show_loss=True)
    for result in (on_disk, in_memory):
        data, sizes = write._plot_data(result), write._loss_sizes(result)
        train, test = write.drawn_rows(result)
        assert (len(train), len(test)) == (40, 40)
        assert np.all(np.diff(train) > 0)
        X_train = np.asarray(in_memory.X_train)
        np.testing.assert_array_equal(data["X_train"], X_train[train])
        np.testing.assert_array_equal(data["X_test"], in_memory.X_test[test])
        losses = write.point_losses(result)
        _close(sizes["point_loss"], np.concatenate([losses[0][train], losses[1][test]]))
        assert _has_text(write.boundary_figure(result), "(80 of 400 points drawn)")
    multilabel, _ = _runs(tmp_path, "columns", epochs=5)
    assert _has_text(write.boundary_figure(multilabel), "(80 of 400 points drawn)")


def _has_text(figure, text: str) -> bool:
    return any(text in artist.get_text() for artist in figure.findobj(Text))


def test_a_npy_run_re_runs_from_its_config(tmp_path, monkeypatch):
    """config.toml records both files as absolute paths (no CSV target), so the run re-runs
    from another folder with the same model."""
    X, y = _data("binary", 120)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    monkeypatch.chdir(tmp_path)
    first = train_module.train(
        resolve_settings(cli_values={"data": "X.npy", "target_file": "y.npy"})
    )
    config = to_toml(first.settings)
    assert f'data = "{tmp_path / "X.npy"}"\ntarget_file = "{tmp_path / "y.npy"}"\n' in config
    assert "\ntarget =" not in config
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.toml").write_text(config)
    monkeypatch.chdir(elsewhere)
    again = train_module.train(resolve_settings(read_config(elsewhere / "config.toml")))
    np.testing.assert_array_equal(again.pipeline.estimator.coef_, first.pipeline.estimator.coef_)


def test_the_shipped_npy_example_is_the_moons_dataset():
    """docs/examples/moons_{X,y}.npy (the README's example) hold `--data moons`."""
    root = write.Path(__file__).resolve().parents[2] / "docs" / "examples"
    moons = load_dataset("moons")
    shipped = load_dataset(str(root / "moons_X.npy"), target_file=str(root / "moons_y.npy"))
    np.testing.assert_array_equal(shipped.X, moons.X)
    np.testing.assert_array_equal(shipped.y, moons.y)
