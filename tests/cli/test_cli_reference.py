"""`cetrain train --reference`: the side-by-side table after the summary, the note when
scikit-learn has no such model, and scikit-learn's warning as a `Warning:` line."""

import json

import pytest
from conftest import assert_error, invoke

from cetrain.estimators import reference as estimator_reference

MOONS = ("--data", "moons", "--n-samples", "80", "--poly", "2")


def read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    """`cetrain train` on 80 moons with quadratic features and --reference: (result, folder)."""
    out = tmp_path_factory.mktemp("reference") / "run"
    result = invoke("train", *MOONS, "--reference", "--out", out)
    assert result.exit_code == 0, result.output
    return result, out


def test_the_table_follows_the_summary(moons_run):
    result, out = moons_run
    reference = read_json(out / "metrics.json")["reference"]
    ours, theirs = reference["cetrain"], reference["scikit-learn"]
    lines = result.stdout.splitlines()
    start = lines.index(f"Run folder: {out}") + 1
    assert lines[start:] == [
        "Reference: scikit-learn's LogisticRegression (lbfgs, C=16.6667, l1_ratio=0) on the "
        "same problem,",
        "both solutions measured by our objective f(W, b)",
        "              cetrain  scikit-learn",
        f"objective  {ours['objective']:.8f}    {theirs['objective']:.8f}",
        "train acc      0.9000        0.9000",
        "test acc       0.9000        0.9000",
        f"relative gap (cetrain - scikit-learn) / |scikit-learn|: {reference['relative_gap']:.2e}",
        f"largest coefficient difference: {reference['max_coef_difference']:.2e} "
        f"(standardised units; intercepts {reference['max_intercept_difference']:.2e})",
    ]
    # 60 training rows and l2 = 0.001: C = 1 / (0.001 * 60)
    assert theirs["C"] == pytest.approx(1 / 0.06)
    assert ours["objective"] == pytest.approx(theirs["objective"], rel=1e-6)
    assert 0 <= reference["relative_gap"] < 1e-6
    assert reference["max_coef_difference"] < 1e-3
    assert result.stderr.count("Warning") == 0


def test_the_setting_is_written_to_config_toml(moons_run):
    _, out = moons_run
    assert "reference = true\n" in (out / "config.toml").read_text(encoding="utf-8")


def test_a_loss_sklearn_has_not_gets_a_note_not_an_error(tmp_path):
    result = invoke(
        "train", "--data", "line", "--loss", "focal", "--reference", "--out", tmp_path / "run"
    )
    assert result.exit_code == 0, result.output
    note = "scikit-learn's LogisticRegression minimises cross-entropy; it has no 'focal' loss"
    assert result.stdout.splitlines()[-1] == f"No scikit-learn reference: {note}"
    assert read_json(tmp_path / "run" / "metrics.json")["reference"] == {"note": note}


def test_quiet_prints_the_note_on_stderr(tmp_path):
    result = invoke(
        "train",
        "--data",
        "genres",
        "--target",
        "electronic,rock,pop",
        "--reference",
        "--quiet",
        "--out",
        tmp_path / "run",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'run'}\n"
    assert result.stderr == (
        "No scikit-learn reference: scikit-learn's LogisticRegression fits one logistic or "
        "softmax model, not a multilabel model (one sigmoid per label)\n"
    )


def test_sklearn_not_converging_is_a_warning_line(tmp_path, monkeypatch):
    monkeypatch.setitem(estimator_reference.MAX_ITER, "lbfgs", 1)
    result = invoke("train", *MOONS, "--reference", "--quiet", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    warning = read_json(tmp_path / "run" / "metrics.json")["reference"]["warning"]
    assert warning.startswith("lbfgs failed to converge after 1 iteration(s)")
    assert result.stderr == f"Warning: scikit-learn reference: {warning}\n"


def test_compare_has_no_reference(tmp_path):
    result = invoke("compare", "--data", "moons", "--reference", "--out", tmp_path / "a")
    # click suggests the nearest option compare has (difflib's choice)
    assert_error(result, "No such option '--reference'. Did you mean '--force'?", exit_code=2)
    config = tmp_path / "compare.toml"
    config.write_text('data = "moons"\nreference = true\n', encoding="utf-8")
    result = invoke("compare", config, "--out", tmp_path / "b")
    message = f"{config}: key 'reference' is not used here: only `cetrain train` takes it"
    assert_error(result, message)


def test_a_compare_folder_config_has_no_reference_and_re_runs(tmp_path):
    result = invoke("compare", *MOONS, "--epochs", "20", "--quiet", "--out", tmp_path / "a")
    assert result.exit_code == 0, result.output
    written = (tmp_path / "a" / "config.toml").read_text(encoding="utf-8")
    assert "reference" not in written
    again = invoke("compare", tmp_path / "a" / "config.toml", "--quiet", "--out", tmp_path / "b")
    assert again.exit_code == 0, again.output
