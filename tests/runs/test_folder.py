"""Tests for runs: the run folder's name, its files, and that it is written atomically."""

import csv
import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import run_files

from cetrain import plots
from cetrain.errors import CetrainError, RunFolderError
from cetrain.runs import folder
from cetrain.runs.folder import check_run_dir, default_run_dir
from cetrain.runs.modelfile import load_model
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train
from cetrain.runs.write import write_run


@pytest.fixture(scope="module")
def result():
    """A small finished run without a test set."""
    return train(resolve_settings({"data": "line", "test_size": 0}))


@pytest.fixture
def fixed_clock(monkeypatch):
    """Make folder.datetime.now() return 2024-05-06 07:08:09."""

    class FixedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 5, 6, 7, 8, 9)

    monkeypatch.setattr(folder, "datetime", FixedDatetime)


def entries(folder: Path) -> list[str]:
    """Every name in folder, hidden ones included, sorted."""
    return sorted(path.name for path in folder.iterdir())


def raises_exactly(message: str):
    return pytest.raises(RunFolderError, match=f"^{re.escape(message)}$")


# --------------------------------------------------------------------------- default_run_dir


def test_default_run_dir_is_timestamp_dataset_model(fixed_clock):
    assert default_run_dir("iris", "softmax") == Path("runs/20240506-070809-iris-softmax")


def test_default_run_dir_under_another_root(tmp_path, fixed_clock):
    assert default_run_dir("moons", "logistic", root=tmp_path) == (
        tmp_path / "20240506-070809-moons-logistic"
    )


def test_default_run_dir_does_not_reuse_an_existing_folder(tmp_path, fixed_clock):
    first = default_run_dir("iris", "softmax", root=tmp_path)
    first.mkdir()
    second = default_run_dir("iris", "softmax", root=tmp_path)
    assert second == tmp_path / "20240506-070809-iris-softmax-2"
    second.mkdir()
    assert default_run_dir("iris", "softmax", root=tmp_path) == (
        tmp_path / "20240506-070809-iris-softmax-3"
    )
    assert entries(tmp_path) == [
        "20240506-070809-iris-softmax",
        "20240506-070809-iris-softmax-2",
    ]


def test_default_run_dir_skips_an_existing_file_too(tmp_path, fixed_clock):
    (tmp_path / "20240506-070809-exam-logistic").write_text("", encoding="utf-8")
    assert default_run_dir("exam", "logistic", root=tmp_path).name == (
        "20240506-070809-exam-logistic-2"
    )


def test_default_run_dir_makes_the_dataset_name_safe(fixed_clock):
    assert default_run_dir("my data/set:1", "softmax") == Path(
        "runs/20240506-070809-my_data_set_1-softmax"
    )
    assert default_run_dir("a-b_c.d", "logistic").name == "20240506-070809-a-b_c.d-logistic"


def test_default_run_dir_cuts_a_long_dataset_name_to_fit(tmp_path, fixed_clock):
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    first = default_run_dir("é" * 300, "logistic", root=tmp_path)
    kept = (name_max - len("20240506-070809--logistic")) // 2  # "é" is two bytes
    assert first.name == f"20240506-070809-{'é' * kept}-logistic"
    first.mkdir()
    second = default_run_dir("é" * 300, "logistic", root=tmp_path)
    assert second.name == f"20240506-070809-{'é' * (kept - 1)}-logistic-2"
    assert max(len(os.fsencode(p.name)) for p in (first, second)) <= name_max


def test_a_run_on_a_csv_with_a_long_name_writes_its_default_folder(tmp_path, monkeypatch):
    from conftest import invoke

    monkeypatch.chdir(tmp_path)
    rows = "\n".join(f"{x},{(x * 7) % 5},{int(x % 2)}" for x in range(30))
    csv_file = tmp_path / ("d" * 240 + ".csv")
    csv_file.write_text(f"a,b,y\n{rows}\n", encoding="utf-8")
    result = invoke("train", "--data", csv_file.name, "--target", "y", "--epochs", "5", "--quiet")
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    assert result.stdout == f"runs/{run.name}\n"
    assert len(os.fsencode(run.name)) == os.pathconf(tmp_path, "PC_NAME_MAX")
    assert re.fullmatch(r"\d{8}-\d{6}-d+-logistic", run.name)
    assert entries(run) == sorted(run_files(run))


def test_default_run_dir_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = default_run_dir("iris", "softmax")
    assert re.fullmatch(r"runs/\d{8}-\d{6}-iris-softmax", path.as_posix())
    assert entries(tmp_path) == []


# --------------------------------------------------------------------------- check_run_dir


def test_check_run_dir_accepts_a_new_or_empty_folder(tmp_path):
    assert check_run_dir(tmp_path / "new") == tmp_path / "new"
    assert check_run_dir(str(tmp_path)) == tmp_path
    assert not (tmp_path / "new").exists()


def test_check_run_dir_refuses_a_folder_with_something_in_it(tmp_path):
    (tmp_path / ".hidden").write_text("", encoding="utf-8")
    with raises_exactly(
        f"the run folder '{tmp_path}' already exists and is not empty; "
        "choose a new --out or remove it"
    ):
        check_run_dir(tmp_path)


def test_check_run_dir_refuses_a_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("mine", encoding="utf-8")
    with raises_exactly(
        f"the run folder '{path}' already exists as a file; choose a new --out or remove it"
    ):
        check_run_dir(path)


def test_run_folder_error_is_a_cetrain_error():
    assert issubclass(RunFolderError, CetrainError)


# --------------------------------------------------------------------------- write_run


def test_write_run_writes_the_six_files(tmp_path, result):
    out = write_run(result, tmp_path / "run")
    assert out == tmp_path / "run"
    assert entries(out) == run_files(out)
    assert entries(tmp_path) == ["run"]  # no staging folder is left


def test_write_run_into_an_existing_empty_folder(tmp_path, result):
    out = tmp_path / "run"
    out.mkdir()
    assert write_run(result, str(out)) == out
    assert entries(out) == run_files(out)


def test_write_run_creates_missing_parents(tmp_path, result):
    out = write_run(result, tmp_path / "a" / "b" / "run")
    assert entries(out) == run_files(out)


def test_write_run_refuses_a_non_empty_folder_and_leaves_it_alone(tmp_path, result):
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(RunFolderError):
        write_run(result, out)
    assert entries(out) == ["mine.txt"]
    assert (out / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert entries(tmp_path) == ["run"]


def test_files_describe_the_result(tmp_path, result):
    out = write_run(result, tmp_path / "run")
    config = tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))
    # the settings, with the epoch axis drawn in place of "auto"
    axis = plots.choose_epoch_axis([result.history["train_loss"]])
    assert result.settings.epoch_axis == "auto" and axis in ("log", "linear")
    assert resolve_settings(config) == dataclasses.replace(result.settings, epoch_axis=axis)
    header = (out / "config.toml").read_text(encoding="utf-8").splitlines()[:2]
    assert header == [
        f"# cetrain train settings of the run in {out}",
        f"# re-run with: cetrain train {out / 'config.toml'} --out NEW_FOLDER",
    ]
    assert (
        json.loads((out / "metrics.json").read_text(encoding="utf-8")) == result.metrics.to_dict()
    )
    with (out / "history.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", "train_loss", "test_loss", "grad_norm"]
    assert [int(row[0]) for row in rows[1:]] == list(range(result.metrics.epochs + 1))
    assert [float(row[1]) for row in rows[1:]] == result.history["train_loss"]
    assert {row[2] for row in rows[1:]} == {""}  # no test set
    assert [float(row[3]) for row in rows[1:]] == result.history["grad_norm"]
    loaded = load_model(out / "model.json")
    np.testing.assert_array_equal(
        loaded.predict_proba(result.dataset.X), result.pipeline.predict_proba(result.dataset.X)
    )


def test_non_finite_metrics_are_written_as_null(tmp_path, result):
    metrics = dataclasses.replace(
        result.metrics, final_grad_norm=float("nan"), learning_rate=float("inf")
    )
    out = write_run(dataclasses.replace(result, metrics=metrics), tmp_path / "run")

    def refuse(constant):
        raise AssertionError(f"metrics.json holds {constant}, which is not JSON")

    written = json.loads((out / "metrics.json").read_text(encoding="utf-8"), parse_constant=refuse)
    assert written["final_grad_norm"] is None
    assert written["learning_rate"] is None
    assert written["train"] == result.metrics.train.to_dict()


# --------------------------------------------------------------------------- atomic writes


class Boom(RuntimeError):
    pass


def _fail(*args, **kwargs):
    raise Boom("the plot failed")


def test_a_failure_midway_leaves_no_folder_behind(tmp_path, result, monkeypatch):
    monkeypatch.setattr(plots, "decision_boundary", _fail)
    with pytest.raises(Boom, match=r"^the plot failed$"):
        write_run(result, tmp_path / "run")
    assert entries(tmp_path) == []  # neither the run folder nor a hidden staging folder


def test_a_failure_midway_keeps_an_existing_empty_folder(tmp_path, result, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    monkeypatch.setattr(plots, "decision_boundary", _fail)
    with pytest.raises(Boom):
        write_run(result, out)
    assert entries(tmp_path) == ["run"]
    assert entries(out) == []


def test_a_failing_savefig_leaves_no_folder_behind(tmp_path, result, monkeypatch):
    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", _fail)
    with pytest.raises(Boom):
        write_run(result, tmp_path / "run")
    assert entries(tmp_path) == []


def test_a_failing_rename_leaves_no_staging_folder(tmp_path, result, monkeypatch):
    def refuse(src, dst):
        raise OSError("rename refused")

    monkeypatch.setattr(folder.os, "rename", refuse)
    with pytest.raises(OSError, match=r"^rename refused$"):
        write_run(result, tmp_path / "run")
    assert entries(tmp_path) == []


def test_a_failing_rename_keeps_an_existing_empty_folder(tmp_path, result, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()

    def refuse(src, dst):
        raise OSError("rename refused")

    monkeypatch.setattr(folder.os, "rename", refuse)
    with pytest.raises(OSError):
        write_run(result, out)
    assert entries(tmp_path) == ["run"]


def test_a_keyboard_interrupt_midway_also_cleans_up(tmp_path, result, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "loss_curve", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_run(result, tmp_path / "run")
    assert entries(tmp_path) == []


def test_write_json_turns_every_non_finite_number_into_null(tmp_path):
    path = tmp_path / "data.json"
    folder.write_json(
        path, {"curve": [1.0, float("inf"), float("nan")], "nested": {"pair": (2.0, -math.inf)}}
    )
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "curve": [1.0, None, None],
        "nested": {"pair": [2.0, None]},
    }


def test_json_ready_turns_numpy_values_into_strict_json_ones():
    value = folder.json_ready(
        {
            "grid": np.array([[0.5, np.nan], [np.inf, 1.0]]),
            "labels": np.array([3, 4]),
            "scalars": (np.float32(np.nan), np.float64(2.5), np.int64(7)),
        }
    )
    assert value == {
        "grid": [[0.5, None], [None, 1.0]],
        "labels": [3, 4],
        "scalars": [None, 2.5, 7],
    }
    assert type(value["scalars"][2]) is int and type(value["scalars"][1]) is float
    assert json.loads(json.dumps(value, allow_nan=False)) == value


def test_reserved_folders_of_runs_ending_together_are_distinct(tmp_path, fixed_clock):
    """Runs ending in the same second each reserve their own folder: os.mkdir is atomic."""
    from cetrain.runs.folder import reserve_run_dir

    folders = [reserve_run_dir("moons", "logistic", root=tmp_path) for _ in range(4)]
    assert [f.name for f in folders] == [
        "20240506-070809-moons-logistic",
        "20240506-070809-moons-logistic-2",
        "20240506-070809-moons-logistic-3",
        "20240506-070809-moons-logistic-4",
    ]
    assert all(f.is_dir() and not any(f.iterdir()) for f in folders)


def test_four_runs_started_together_all_keep_their_folder(tmp_path):
    """The issue's case: four `cetrain train` processes at once, default --out, all succeed."""
    code = (
        "import sys; from cetrain.cli import cli; "
        "cli.main(['train', '--data', 'line', '--epochs', '20', '--quiet'], "
        "prog_name='cetrain', standalone_mode=False)"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], outputs
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 4
    assert sorted(out.strip().splitlines()[-1] for out, _ in outputs) == [
        str(Path("runs") / f.name) for f in folders
    ]
    assert all((f / "model.json").is_file() for f in folders)


def test_a_failed_write_gives_back_its_reserved_folder(tmp_path, monkeypatch):
    from conftest import invoke

    import cetrain.runs.write

    def fail(result, out, fmt="png", **options):
        raise OSError(28, "No space left on device")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cetrain.runs.write, "write_run", fail)
    result = invoke("train", "--data", "line", "--epochs", "5", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write the run folder 'runs/")
    assert entries(tmp_path) == []  # neither the reserved folder nor runs/ made for it


# --------------------------------------------------------------------------- paths refused early


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda tmp: os.symlink(tmp / "empty", tmp / "out"),
            "the run folder '{out}' is a symbolic link to '{tmp}/empty'; "
            "give a folder that is not a link as --out",
        ),
        (
            lambda tmp: os.symlink(tmp / "nowhere", tmp / "out"),
            "the run folder '{out}' is a symbolic link to '{tmp}/nowhere', which does not exist; "
            "give a folder that is not a link as --out",
        ),
        (
            lambda tmp: (tmp / "out").mkdir(mode=0o555),
            "the run folder '{out}' is not writable; make it writable (chmod u+w) "
            "or choose a new --out",
        ),
    ],
    ids=["link-to-empty-folder", "dangling-link", "read-only-folder"],
)
def test_check_run_dir_refuses_links_and_read_only_folders(tmp_path, make, message):
    (tmp_path / "empty").mkdir()
    make(tmp_path)
    out = tmp_path / "out"
    for replace in (False, True):  # --force does not make them writable either
        with raises_exactly(message.format(out=out, tmp=tmp_path)):
            check_run_dir(out, replace=replace)


def test_check_run_dir_refuses_names_the_file_system_cannot_hold(tmp_path):
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    long = "a" * (name_max + 1)
    with raises_exactly(
        f"the name '{'a' * 20}...{'a' * 10}' in --out is {name_max + 1} bytes long; "
        f"the file system allows at most {name_max}: choose a shorter --out"
    ):
        check_run_dir(tmp_path / long / "run")
    assert check_run_dir(tmp_path / ("a" * name_max)) == tmp_path / ("a" * name_max)
    deep = Path(*["b" * 200] * 25)
    with pytest.raises(RunFolderError, match=r"^--out is \d+ bytes long as an absolute path"):
        check_run_dir(deep)
    with raises_exactly(
        "--out 'a\\x00b' contains a NUL byte, which no file name can hold; "
        "choose another --out (`out` in a config file)"
    ):
        check_run_dir("a\0b")


@pytest.mark.parametrize("out", [".", "..", "/", "runs/.."])
def test_check_run_dir_refuses_the_current_folder_its_parents_and_the_root(out):
    with raises_exactly(
        f"the run folder '{Path(out)}' names the current folder, a parent or the root; "
        "give a new folder's name as --out (e.g. runs/moons)"
    ):
        check_run_dir(out)


def test_a_folder_with_a_name_as_long_as_allowed_is_written(tmp_path, result):
    out = tmp_path / ("r" * os.pathconf(tmp_path, "PC_NAME_MAX"))
    assert write_run(result, out) == out
    assert entries(tmp_path) == [out.name]


# --------------------------------------------------------------------------- staging debris


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_staging_names_carry_the_process_id(tmp_path):
    seen = []
    with folder.staged_folder(tmp_path / "run") as staging:
        seen.append(staging)
    assert re.fullmatch(rf"\.run\.tmp-{os.getpid()}-[0-9a-f]{{8}}", seen[0].name)
    staging = folder.STAGING_NAME.fullmatch
    assert staging(seen[0].name) is not None and staging("run") is None


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    """SIGKILL leaves the staging folder behind; the next run beside it removes it (its
    process is gone) and leaves a running process's staging and the user's files alone."""
    stale = tmp_path / f".run.tmp-{dead_pid()}-0123abcd"
    (stale / "deep").mkdir(parents=True)
    stale_file = tmp_path / f".notes.csv.tmp-{dead_pid()}-89abcdef"
    stale_file.write_text("half", encoding="utf-8")
    live = tmp_path / f".other.tmp-{os.getppid()}-00000000"
    live.mkdir()
    (tmp_path / ".tmp-12-nothex").mkdir()  # not a staging name
    with folder.staged_folder(tmp_path / "next") as staging:
        (staging / "metrics.json").write_text("{}", encoding="utf-8")
    assert entries(tmp_path) == [live.name, ".tmp-12-nothex", "next"]


def test_reserve_out_creates_the_folder_or_takes_an_empty_one(tmp_path):
    assert folder.reserve_out(tmp_path / "new" / "run") is True
    assert entries(tmp_path / "new") == ["run"]
    (tmp_path / "empty").mkdir()
    assert folder.reserve_out(tmp_path / "empty") is False
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep", encoding="utf-8")
    with raises_exactly(
        f"the run folder '{tmp_path / 'full'}' already exists and is not empty; "
        "choose a new --out or remove it"
    ):
        folder.reserve_out(tmp_path / "full")
    assert folder.reserve_out(tmp_path / "full", replace=True) is False


def test_replace_swaps_in_the_new_folder_only_when_it_is_complete(tmp_path, result):
    out = tmp_path / "run"
    out.mkdir()
    (out / "mine.txt").write_text("old", encoding="utf-8")
    with pytest.raises(OSError), folder.staged_folder(out, replace=True) as staging:
        (staging / "half.txt").write_text("new", encoding="utf-8")
        raise OSError(28, "No space left on device")
    assert entries(tmp_path) == ["run"] and entries(out) == ["mine.txt"]  # the old one kept
    write_run(result, out, replace=True)
    assert entries(tmp_path) == ["run"]
    assert entries(out) == sorted(run_files(out))


def test_a_second_run_on_the_same_empty_folder_is_refused(tmp_path):
    """Two reservations of the same folder that already exists empty: the first puts its
    marker in it, the second is refused; once the first gives it back, it is free again."""
    out = tmp_path / "same"
    out.mkdir()
    assert folder.reserve_out(out) is False
    marker = out / folder.RUN_MARKER
    assert marker.read_text(encoding="utf-8").split()[0] == str(os.getpid())
    with raises_exactly(
        f"the run folder '{out}' is being written by another cetrain run "
        f"(process {os.getpid()}); choose another --out"
    ):
        folder.reserve_out(out)
    folder.give_back(out, False)
    assert entries(tmp_path) == ["same"] and entries(out) == []


def test_a_marker_of_a_killed_run_is_taken_over(tmp_path, result):
    out = tmp_path / "same"
    out.mkdir()
    (out / folder.RUN_MARKER).write_text(f"{dead_pid()} 0123\n", encoding="utf-8")
    assert check_run_dir(out) == out  # stale: neither in use nor content
    assert folder.reserve_out(out) is False
    assert (out / folder.RUN_MARKER).read_text(encoding="utf-8").startswith(f"{os.getpid()} ")
    write_run(result, out)
    assert entries(out) == sorted(run_files(out))  # no marker in the finished folder


def test_check_run_dir_says_a_folder_held_by_a_running_run_is_in_use(tmp_path):
    out = tmp_path / "same"
    out.mkdir()
    (out / folder.RUN_MARKER).write_text(f"{os.getppid()} 0123\n", encoding="utf-8")
    message = (
        f"the run folder '{out}' is being written by another cetrain run "
        f"(process {os.getppid()}); choose another --out"
    )
    for replace in (False, True):
        with raises_exactly(message):
            check_run_dir(out, replace=replace)
