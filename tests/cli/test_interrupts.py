"""Ctrl-C and SIGTERM (issue 11): a run interrupted while it trains keeps the epochs trained so
far, one line says where, the exit code is 128 + the signal; an interrupt before training, or a
second one while writing, ends with one line and leaves nothing behind.

The first tests run `python -m cetrain` in real processes: the run folder is reserved (created
empty) when training starts, so a test waits for it to appear and signals then, which works
however slowly the machine runs. The SIGINT and the SIGTERM process run side by side to keep
the wall time down.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cetrain
from cetrain.cli.interrupts import Deferred, Interrupted
from cetrain.runs.folder import staged_folder

ROOT = Path(cetrain.__file__).resolve().parents[1]
EPOCHS = 100_000  # far more than a second's worth: the signal always comes mid-training
TRAIN = ["train", "--data", "moons", "--epochs", str(EPOCHS), "--lr", "0.01", "--momentum", "0"]
TRAIN += ["--tol", "0"]  # never converges early


def start(args: list[str], tmp_path: Path, pythonpath: str = str(ROOT)) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": pythonpath}
    return subprocess.Popen(
        [sys.executable, "-m", "cetrain", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def signal_when_started(process: subprocess.Popen, folder: Path, signum: int) -> None:
    """Send `signum` once `folder` (the run folder, reserved as training starts) exists."""
    deadline = time.monotonic() + 120
    while not folder.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.02)
    process.send_signal(signum)


@pytest.fixture(scope="module")
def interrupted_runs(tmp_path_factory):
    """Two training processes at once, one stopped by SIGINT, the other by SIGTERM:
    {signal: (returncode, stdout, stderr, folder)}."""
    base = tmp_path_factory.mktemp("interrupted")
    folders = {signal.SIGINT: base / "by-sigint", signal.SIGTERM: base / "by-sigterm"}
    processes = {sig: start([*TRAIN, "--out", out.name], base) for sig, out in folders.items()}
    for sig, process in processes.items():
        signal_when_started(process, folders[sig], sig)
    results = {}
    for sig, process in processes.items():
        out, err = process.communicate(timeout=300)
        results[sig] = (process.returncode, out, err, folders[sig])
    return results


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_writes_what_it_trained(interrupted_runs, signum, code):
    returncode, out, err, folder = interrupted_runs[signum]
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    epochs = metrics["epochs"]
    assert (returncode, out) == (code, "")
    assert err == f"Interrupted at epoch {epochs} of {EPOCHS}: wrote {folder.name}\n"
    assert (metrics["status"], metrics["converged"]) == ("interrupted", False)
    assert 0 <= epochs < EPOCHS
    history = (folder / "history.csv").read_text(encoding="utf-8").splitlines()
    assert len(history) == 1 + epochs + 1  # the header, then epochs 0..epochs
    model = cetrain.load_model(folder / "model.json")
    assert (model.estimator.status_, model.estimator.n_iter_) == ("interrupted", epochs)
    assert model.predict(np.array([[0.0, 1.0], [1.0, -0.5]])).shape == (2,)
    assert "epochs = 100000" in (folder / "config.toml").read_text(encoding="utf-8")
    assert (folder / "loss_curve.png").stat().st_size > 0
    assert sorted(p.name for p in folder.parent.iterdir()) == ["by-sigint", "by-sigterm"]


def test_an_interrupt_while_importing_prints_one_line(tmp_path):
    """Ctrl-C before click is even imported: a stand-in `click` package, found first on the
    path, sends SIGINT to its own process while it is being imported."""
    fake = tmp_path / "fake" / "click"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(30)\n",
        encoding="utf-8",
    )
    process = start(["train", "--data", "moons"], tmp_path, f"{fake.parent}{os.pathsep}{ROOT}")
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (130, "", "Interrupted.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake"]


def test_a_second_interrupt_while_writing_leaves_nothing(tmp_path):
    """The first signal is kept for the end of the epoch; the second, while the folder is
    being written, aborts at once and the staging folder is removed."""
    with Deferred() as stop:
        stop.start()
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.signum == signal.SIGINT
        with pytest.raises(Interrupted) as raised, staged_folder(tmp_path / "run") as staging:
            (staging / "metrics.json").write_text("{}", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted at once: never slept through
    assert raised.value.exit_code == 143
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is not stop._handle  # the handlers are restored


def test_an_interrupt_after_the_folder_is_written_says_so():
    with Deferred() as stop, pytest.raises(Interrupted) as raised:
        stop.start()
        stop.written = Path("runs/x")
        os.kill(os.getpid(), signal.SIGTERM)  # kept: stops training, if it still runs
        os.kill(os.getpid(), signal.SIGINT)  # the second aborts
        time.sleep(5)
    assert (raised.value.exit_code, raised.value.message) == (
        130,
        "Interrupted: wrote runs/x; nothing after it.",
    )
    assert stop.exit_code == 143


def test_an_interrupt_before_training_raises_at_once():
    with Deferred(), pytest.raises(Interrupted) as raised:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    assert (raised.value.exit_code, raised.value.message) == (130, "Interrupted: nothing written.")


def interrupt_at(monkeypatch, at_epoch: int, run: int = 1) -> None:
    """The progress callback of the `run`-th training sends SIGINT at `at_epoch`."""
    from cetrain.cli.base import ProgressBar

    started = []

    def progress(bar):
        started.append(bar)

        def on_epoch(epoch, loss, grad_norm):
            if len(started) == run and epoch == at_epoch:
                os.kill(os.getpid(), signal.SIGINT)

        return on_epoch

    monkeypatch.setattr(ProgressBar, "__enter__", progress)


def test_an_interrupted_comparison_keeps_the_runs_trained(tmp_path, monkeypatch):
    from conftest import invoke

    interrupt_at(monkeypatch, 3, run=2)
    out = tmp_path / "cmp"
    result = invoke("compare", "--data", "line", "--epochs", "500", "--tol", "0", "--out", out)
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == f"Interrupted in run 2 of 2 (mse) at epoch 3 of 500: wrote {out}\n"
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert data["status"] == "interrupted"
    summary = {loss: (row["status"], row["epochs"]) for loss, row in data["summary"].items()}
    assert summary == {"cross-entropy": ("max_iter", 500), "mse": ("interrupted", 3)}


def test_force_replaces_a_folder_but_an_interrupted_run_goes_beside_it(tmp_path, monkeypatch):
    from conftest import invoke

    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("old", encoding="utf-8")
    args = ["train", "--data", "line", "--epochs", "50", "--quiet", "--out", out]
    refused = invoke(*args)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: the run folder '{out}' already exists and is not empty; "
        "choose a new --out or remove it\n"
    )
    interrupt_at(monkeypatch, 2)
    stopped = invoke(*args, "--force")
    beside = tmp_path / "run-interrupted"
    assert (stopped.exit_code, stopped.stderr) == (
        130,
        f"Interrupted at epoch 2 of 50: wrote {beside}\n",
    )
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    monkeypatch.undo()
    replaced = invoke(*args, "--force")
    assert (replaced.exit_code, replaced.stdout) == (0, f"{out}\n")
    assert "mine.txt" not in {p.name for p in out.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run-interrupted"]


def test_an_interrupted_forced_run_with_a_long_out_goes_beside_it_under_a_cut_name(
    tmp_path, monkeypatch
):
    from conftest import invoke

    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    out = tmp_path / ("r" * (name_max - 5))
    out.mkdir()
    (out / "mine.txt").write_text("old", encoding="utf-8")
    interrupt_at(monkeypatch, 2)
    args = ["train", "--data", "line", "--epochs", "50", "--quiet", "--force", "--out", out]
    stopped = invoke(*args)
    beside = tmp_path / ("r" * (name_max - len("-interrupted")) + "-interrupted")
    assert (stopped.exit_code, stopped.stderr) == (
        130,
        f"Interrupted at epoch 2 of 50: wrote {beside}\n",
    )
    interrupt_at(monkeypatch, 2)  # the next run is again the first to train
    again = invoke(*args)
    beside_2 = tmp_path / ("r" * (name_max - len("-interrupted-2")) + "-interrupted-2")
    assert (again.exit_code, again.stderr) == (
        130,
        f"Interrupted at epoch 2 of 50: wrote {beside_2}\n",
    )
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert json.loads((beside / "metrics.json").read_text(encoding="utf-8"))["epochs"] == 2


def test_a_signal_after_training_ended_writes_the_complete_run_to_out(tmp_path, monkeypatch):
    """Trained to the end, then signalled before writing: the run is complete, so --force
    replaces the folder at --out with it (not <out>-interrupted), and the line says so."""
    from conftest import invoke

    from cetrain.runs import train

    trained = train.train

    def train_then_signal(*args, **kwargs):
        result = trained(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(train, "train", train_then_signal)
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("old", encoding="utf-8")
    result = invoke("train", "--data", "line", "--epochs", "30", "--quiet", "--force", "--out", out)
    assert (result.exit_code, result.stderr) == (130, f"Interrupted after training: wrote {out}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert "mine.txt" not in {p.name for p in out.iterdir()}
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["status"] != "interrupted"


def test_a_signal_while_the_old_folder_is_removed_waits_and_says_written(tmp_path, monkeypatch):
    """--force: a second signal while the replaced folder is removed (the new one already in
    place) is held until the removal ends; then the line says the folder was written."""
    from cetrain.runs import folder

    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    removed = folder.shutil.rmtree

    def rmtree_signalled(path, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # lands mid-removal
        removed(path, *args, **kwargs)

    monkeypatch.setattr(folder.shutil, "rmtree", rmtree_signalled)
    with Deferred() as stop:
        stop.start()
        stop.signum = signal.SIGINT  # the first signal stopped training already
        with pytest.raises(Interrupted) as caught:
            with staged_folder(out, replace=True, commit=lambda: stop.holding(out)) as staging:
                (staging / "new.txt").write_text("new", encoding="utf-8")
    assert caught.value.message == f"Interrupted: wrote {out}; nothing after it."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the old one all gone
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
