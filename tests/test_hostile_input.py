"""Hostile input, one family per section (issue 11): each test asserts the exact `Error:` line or
the exact outcome a student gets when they feed cetrain a broken file, an impossible option or
an interrupt. The fuzzing that generalises these families lives beside each layer's tests.
"""

import json
import os
import signal
from datetime import datetime

import pytest
from conftest import assert_error, invoke

from cetrain.cli.base import ProgressBar
from cetrain.runs import folder as run_folder

# --- Interrupting: Ctrl-C and SIGTERM before, during and after training ----------------------


def test_ctrl_c_during_training_writes_the_epochs_trained(tmp_path, monkeypatch):
    """Ctrl-C at epoch 5 (sent by the progress callback): training stops at the end of that
    epoch and the run folder holds those 6 epochs (0..5), said honestly; exit code 130.
    (Real processes and SIGTERM: tests/cli/test_interrupts.py.)"""

    def progress(bar):
        def on_epoch(epoch, loss, grad_norm):
            if epoch == 5:
                os.kill(os.getpid(), signal.SIGINT)

        return on_epoch

    monkeypatch.setattr(ProgressBar, "__enter__", progress)
    out = tmp_path / "run"
    result = invoke("train", "--data", "line", "--epochs", "1000", "--tol", "0", "--out", out)
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == f"Interrupted at epoch 5 of 1000: wrote {out}\n"
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["status"], metrics["epochs"], metrics["converged"]) == ("interrupted", 5, False)
    model = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert model["training"]["status"] == "interrupted"
    assert len((out / "history.csv").read_text(encoding="utf-8").splitlines()) == 1 + 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging folder left


# --- Concurrent runs: runs started together never collide ------------------------------------


def test_a_run_reserves_its_folder_when_training_starts(tmp_path, monkeypatch):
    """Two runs starting in the same second: the first takes the default name before its
    first epoch, so the other (reserving while the first trains) gets -2, and neither loses
    its folder when they end."""

    class FixedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 5, 6, 7, 8, 9)

    monkeypatch.setattr(run_folder, "datetime", FixedDatetime)
    monkeypatch.chdir(tmp_path)
    other = []

    def progress(bar):
        def on_epoch(epoch, loss, grad_norm):
            if epoch == 0:  # another run starts now
                other.append(run_folder.reserve_run_dir("line", "logistic"))

        return on_epoch

    monkeypatch.setattr(ProgressBar, "__enter__", progress)
    result = invoke("train", "--data", "line", "--epochs", "20", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == "runs/20240506-070809-line-logistic\n"
    assert [str(path) for path in other] == ["runs/20240506-070809-line-logistic-2"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "20240506-070809-line-logistic",
        "20240506-070809-line-logistic-2",
    ]


# --- Values at the edges of float64: loss options, class weights, extreme CSV values ---------


# --- Numbers that are not plain numbers: thousands separators, decimal commas ----------------


# --- Sizes: epochs, generated rows, polynomial expansions, demo starts, long names -----------


# --- Config files: nesting, NUL bytes, wrong types -------------------------------------------


# --- Model files: nesting, non-finite numbers, wrong types, sizes, unknown names -------------


# --- Output: tables, advice, library warnings, symlinked and read-only folders ---------------


@pytest.mark.parametrize(
    ("prepare", "out", "message"),
    [
        (
            lambda tmp: os.symlink("empty", tmp / "link"),
            "link",
            "the run folder 'link' is a symbolic link to 'empty'; "
            "give a folder that is not a link as --out",
        ),
        (
            lambda tmp: os.symlink("nowhere", tmp / "dangling"),
            "dangling",
            "the run folder 'dangling' is a symbolic link to 'nowhere', which does not exist; "
            "give a folder that is not a link as --out",
        ),
        (
            lambda tmp: (tmp / "locked").mkdir(mode=0o555),
            "locked",
            "the run folder 'locked' is not writable; make it writable (chmod u+w) "
            "or choose a new --out",
        ),
        (
            lambda tmp: None,
            "n" * 300,
            f"the name '{'n' * 20}...{'n' * 10}' in --out is 300 bytes long; "
            "the file system allows at most 255: choose a shorter --out",
        ),
        (
            lambda tmp: (tmp / "nul.toml").write_text(
                'data = "line"\nout = "a\\u0000b"\n', encoding="utf-8"
            ),
            None,
            "--out 'a\\x00b' contains a NUL byte, which no file name can hold; "
            "choose another --out (`out` in a config file)",
        ),
    ],
    ids=["link-to-empty-folder", "dangling-link", "read-only-folder", "name-too-long", "nul"],
)
def test_an_unusable_out_is_refused_before_anything_runs(
    tmp_path, monkeypatch, prepare, out, message
):
    """A --out that would fail only after training (a link, a read-only folder, a name too
    long, a NUL byte from a config file) is refused first by train and by the demos, with one
    line, and left as it was."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    prepare(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if out is None:
        commands = [["train", "nul.toml"]]
    else:
        commands = [["train", "--data", "line", "--out", out], ["landscape", "--out", out]]
    for args in commands:
        assert_error(invoke(*args), message)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if out == "locked":
        assert (tmp_path / "locked").stat().st_mode & 0o777 == 0o555


# --- Optimiser honesty: a status never claims more than happened -----------------------------
