"""`cetrain report RUN_DIR` through CliRunner: it writes report.html and prints its path, and
each mistake ends in one exact `Error:` line with exit code 1."""

import shutil

import pytest
from conftest import assert_error, invoke

from cetrain.runs.report import REPORT_NAME, render_report

EXPECTED = "a folder written by cetrain train, compare or evaluate"


def test_report_writes_the_page_and_prints_its_path(moons_run, tmp_path):
    folder = shutil.copytree(moons_run, tmp_path / "run")
    result = invoke("report", folder)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{folder / REPORT_NAME}\n"
    assert result.stderr == ""
    page = (folder / REPORT_NAME).read_text(encoding="utf-8")
    assert page == render_report(folder)
    # the command as config.toml records it, with the path the run was written to
    assert f"cetrain train {moons_run / 'config.toml'} --out NEW_FOLDER" in page


def test_report_again_replaces_its_own_page(moons_comparison, tmp_path):
    folder = shutil.copytree(moons_comparison, tmp_path / "compare")
    (folder / REPORT_NAME).write_text("an old report", encoding="utf-8")
    result = invoke("report", folder)
    assert result.exit_code == 0, result.output
    assert (folder / REPORT_NAME).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_missing_folder_is_an_error(tmp_path):
    missing = tmp_path / "no-such-run"
    assert_error(
        invoke("report", missing), f"the folder '{missing}' does not exist; give {EXPECTED}"
    )


def test_a_file_is_not_a_folder(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("{}", encoding="utf-8")
    assert_error(invoke("report", path), f"'{path}' is a file, not a folder; give {EXPECTED}")


def test_a_folder_without_run_files_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a run", encoding="utf-8")
    assert_error(
        invoke("report", tmp_path),
        f"the folder '{tmp_path}' holds none of config.toml, metrics.json or comparison.json; "
        f"give {EXPECTED}",
    )
    assert not (tmp_path / REPORT_NAME).exists()


def test_a_broken_metrics_file_is_an_error(tmp_path):
    (tmp_path / "metrics.json").write_text('{"accuracy": ', encoding="utf-8")
    assert_error(
        invoke("report", tmp_path),
        f"cannot read '{tmp_path / 'metrics.json'}': Expecting value: line 1 column 14 (char 13)",
    )


def test_a_report_that_cannot_be_written_is_an_error(tmp_path):
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.5}', encoding="utf-8")
    (tmp_path / REPORT_NAME).mkdir()  # a folder stands where the page would go
    assert_error(
        invoke("report", tmp_path), f"cannot write '{tmp_path / REPORT_NAME}': Is a directory"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["metrics.json", REPORT_NAME]


def test_no_folder_is_a_usage_error():
    assert_error(invoke("report"), "Missing argument 'RUN_DIR'.", exit_code=2)


@pytest.mark.parametrize("words", ["report.html", "Examples:", "cetrain report runs/"])
def test_the_help_says_what_it_writes_with_examples(words):
    result = invoke("report", "--help")
    assert result.exit_code == 0
    assert words in result.stdout
