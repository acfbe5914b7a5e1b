"""Every option of the cross-entropy family trains from the command line and from a config file,
and both give exactly the model the library gives with the same option on the same split."""

import json
import tomllib
import warnings

import numpy as np
import pytest
from conftest import assert_error, invoke

from cetrain import LogisticRegression, MultiLabelRegression, SoftmaxRegression
from cetrain.data import load_dataset, train_test_split
from cetrain.errors import ConvergenceWarning
from cetrain.runs.modelfile import load_model

# these tests check what is trained; the diagnostic figures are checked elsewhere
pytestmark = pytest.mark.usefixtures("no_diagnostic_figures")

# name -> (data and options on the command line, the same as config keys, the estimator the
# library would build for them)
CASES = {
    "class weights balanced": (
        ["--data", "default", "--class-weight", "balanced"],
        {"data": "default", "class_weight": "balanced"},
        lambda: LogisticRegression(class_weight="balanced"),
    ),
    "class weights by name": (
        ["--data", "default", "--class-weight", "Yes=5,No=1"],
        {"data": "default", "class_weight": {"Yes": 5, "No": 1}},
        lambda: LogisticRegression(class_weight={"Yes": 5.0, "No": 1.0}),
    ),
    "label smoothing, softmax": (
        ["--data", "iris", "--label-smoothing", "0.1"],
        {"data": "iris", "label_smoothing": 0.1},
        lambda: SoftmaxRegression(label_smoothing=0.1),
    ),
    "label smoothing, binary": (
        ["--data", "moons", "--label-smoothing", "0.2"],
        {"data": "moons", "label_smoothing": 0.2},
        lambda: LogisticRegression(label_smoothing=0.2),
    ),
    "focal, binary": (
        ["--data", "moons", "--loss", "focal", "--focal-gamma", "1", "--focal-alpha", "0.4"],
        {"data": "moons", "loss": "focal", "focal_gamma": 1.0, "focal_alpha": 0.4},
        lambda: LogisticRegression(loss="focal", loss_options={"gamma": 1.0, "alpha": 0.4}),
    ),
    "focal, binary, no alpha": (
        ["--data", "moons", "--loss", "focal", "--focal-alpha", "none"],
        {"data": "moons", "loss": "focal", "focal_alpha": "none"},
        lambda: LogisticRegression(loss="focal", loss_options={"alpha": None}),
    ),
    "focal, softmax, alpha per class": (
        ["--data", "iris", "--loss", "focal", "--focal-alpha", "setosa=0.5,virginica=2"],
        {"data": "iris", "loss": "focal", "focal_alpha": {"setosa": 0.5, "virginica": 2}},
        lambda: SoftmaxRegression(loss="focal", loss_options={"alpha": (0.5, 1.0, 2.0)}),
    ),
    "symmetric cross-entropy": (
        [
            "--data",
            "noisy_labels",
            "--loss",
            "symmetric-cross-entropy",
            "--sce-alpha",
            "0.5",
            "--sce-beta",
            "0.5",
        ],
        {
            "data": "noisy_labels",
            "loss": "symmetric-cross-entropy",
            "sce_alpha": 0.5,
            "sce_beta": 0.5,
        },
        lambda: SoftmaxRegression(
            loss="symmetric-cross-entropy", loss_options={"alpha": 0.5, "beta": 0.5}
        ),
    ),
    "hinge, binary": (
        ["--data", "linear", "--loss", "hinge"],
        {"data": "linear", "loss": "hinge"},
        lambda: LogisticRegression(loss="hinge"),
    ),
    "hinge, Crammer-Singer": (
        ["--data", "blobs", "--loss", "hinge", "--tol", "1e-3"],
        {"data": "blobs", "loss": "hinge", "tol": 1e-3},
        lambda: SoftmaxRegression(loss="hinge", tol=1e-3),
    ),
    "l1": (
        ["--data", "sparse", "--l1", "0.05", "--l2", "0"],
        {"data": "sparse", "l1": 0.05, "l2": 0.0},
        lambda: LogisticRegression(l1=0.05, l2=0.0),
    ),
    "elastic net": (
        ["--data", "sparse", "--l1", "0.02", "--l2", "0.05"],
        {"data": "sparse", "l1": 0.02, "l2": 0.05},
        lambda: LogisticRegression(l1=0.02, l2=0.05),
    ),
    "multi-label": (
        ["--data", "genres", "--target", "electronic,rock,pop"],
        {"data": "genres", "target": ["electronic", "rock", "pop"]},
        lambda: MultiLabelRegression(),
    ),
    "multi-label focal": (
        ["--data", "genres", "--loss", "focal", "--focal-gamma", "0.5"],
        {"data": "genres", "loss": "focal", "focal_gamma": 0.5},
        lambda: MultiLabelRegression(loss="focal", loss_options={"gamma": 0.5}),
    ),
    "one-vs-rest": (
        ["--data", "iris", "--model", "multilabel"],
        {"data": "iris", "model": "multilabel"},
        lambda: MultiLabelRegression(),
    ),
}


def toml_value(value) -> str:
    """A string, number, list or flat table as TOML (JSON's forms of the first three are TOML)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {json.dumps(v)}" for key, v in value.items()) + " }"
    return json.dumps(value)


def library_fit(config: dict, make_estimator):
    """The estimator fit by hand on the split a run with these settings trains on."""
    dataset = load_dataset(
        config["data"],
        target=config.get("target"),
        seed=config["seed"],
        weight_col=config.get("weight_col"),
    )
    extra = {} if dataset.sample_weight is None else {"sample_weight": dataset.sample_weight}
    split = train_test_split(
        dataset.X, dataset.y, test_size=config["test_size"], seed=config["seed"], **extra
    )
    X_train, y_train = split[0], split[2]
    estimator = make_estimator()
    classes = None if dataset.y.ndim == 1 else dataset.target_names
    weight = split[4] if dataset.sample_weight is not None else None
    return estimator.fit(X_train, y_train, sample_weight=weight, classes=classes)


@pytest.mark.parametrize("case", list(CASES))
def test_option_trains_from_cli_and_config_as_the_library_does(case, tmp_path):
    args, keys, make_estimator = CASES[case]
    from_cli = invoke("train", *args, "--out", tmp_path / "cli", "--quiet")
    assert from_cli.exit_code == 0, from_cli.output
    # a subgradient run (the hinge) ends 'stalled', and says so; every other run is silent
    stalled = ["Warning: training stalled after"] if keys.get("loss") == "hinge" else []
    warned = [line for line in from_cli.stderr.splitlines() if line.startswith("Warning")]
    assert [line[:31] for line in warned] == stalled
    config = tmp_path / "run.toml"
    config.write_text(
        "".join(f"{key} = {toml_value(value)}\n" for key, value in keys.items()), encoding="utf-8"
    )
    from_config = invoke("train", config, "--out", tmp_path / "config", "--quiet")
    assert from_config.exit_code == 0, from_config.output
    cli_model = json.loads((tmp_path / "cli" / "model.json").read_text(encoding="utf-8"))
    config_model = json.loads((tmp_path / "config" / "model.json").read_text(encoding="utf-8"))
    assert cli_model == config_model

    resolved = tomllib.loads((tmp_path / "cli" / "config.toml").read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the hinge's stall, seen above
        expected = library_fit(resolved, make_estimator)
    np.testing.assert_allclose(cli_model["coef"], expected.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cli_model["intercept"], expected.intercept_, rtol=1e-10, atol=1e-12)
    assert cli_model["model"] == expected.kind
    assert cli_model["training"]["epochs"] == expected.n_iter_
    assert cli_model["training"]["status"] == ("stalled" if stalled else "converged")
    loaded = load_model(tmp_path / "cli" / "model.json").estimator
    for name in ("loss", "class_weight", "label_smoothing", "l1", "l2"):
        assert loaded.get_params()[name] == expected.get_params()[name], name
    options = loaded.get_params()["loss_options"]
    if case == "focal, softmax, alpha per class":  # kept by class name, as given
        assert options == {"alpha": {"setosa": 0.5, "virginica": 2.0}}
    else:
        assert options == expected.get_params()["loss_options"]


def test_weight_column_is_a_sample_weight_not_a_feature(tmp_path):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    weight = rng.integers(1, 4, size=120)
    csv = tmp_path / "weighted.csv"
    rows = [f"{a:.4f},{b:.4f},{w},{label}" for (a, b), w, label in zip(X, weight, y, strict=True)]
    csv.write_text("a,b,w,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("train", "--data", csv, "--weight-col", "w", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    assert model["feature_names"] == ["a", "b"]
    resolved = tomllib.loads((tmp_path / "run" / "config.toml").read_text(encoding="utf-8"))
    assert resolved["weight_col"] == "w"
    expected = library_fit(resolved, LogisticRegression)
    np.testing.assert_allclose(model["coef"], expected.coef_, rtol=1e-10)
    # a weight of 3 is three copies of the row
    dataset = load_dataset(str(csv), weight_col="w", seed=0)
    X_train, _, y_train, _, w_train, _ = train_test_split(
        dataset.X, dataset.y, test_size=0.25, seed=0, sample_weight=dataset.sample_weight
    )
    repeats = w_train.astype(int)
    copies = LogisticRegression(tol=1e-10).fit(
        np.repeat(X_train, repeats, axis=0), np.repeat(y_train, repeats)
    )
    weighted = LogisticRegression(tol=1e-10).fit(X_train, y_train, sample_weight=w_train)
    np.testing.assert_allclose(weighted.coef_, copies.coef_, rtol=1e-7)


def test_probability_columns_train_a_softmax_on_soft_targets(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 2))
    scores = np.column_stack([X[:, 0], X[:, 1], -X[:, 0] - X[:, 1]])
    P = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    P = np.round(P, 4)
    P[:, 2] = np.round(1.0 - P[:, 0] - P[:, 1], 4)
    csv = tmp_path / "soft.csv"
    rows = [
        f"{a:.4f},{b:.4f},{p[0]:.4f},{p[1]:.4f},{p[2]:.4f}" for (a, b), p in zip(X, P, strict=True)
    ]
    csv.write_text("a,b,pa,pb,pc\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = invoke("train", "--data", csv, "--target", "pa,pb,pc", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    assert model["model"] == "softmax" and model["classes"] == ["pa", "pb", "pc"]
    assert model["target_kind"] == "probabilities"
    resolved = tomllib.loads((tmp_path / "run" / "config.toml").read_text(encoding="utf-8"))
    expected = library_fit(resolved, SoftmaxRegression)
    np.testing.assert_allclose(model["coef"], expected.coef_, rtol=1e-10)
    # the fitted softmax recovers the scores that made the probabilities (up to a shift per row)
    learned = np.asarray(model["coef"])
    centred = learned - learned.mean(axis=0)
    truth = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    np.testing.assert_allclose(centred, truth - truth.mean(axis=0), atol=0.05)


def test_compare_models_trains_softmax_and_one_vs_rest(tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", "--data", "iris", "--models", "softmax,multilabel", "--out", out)
    assert result.exit_code == 0, result.output
    comparison = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["compared"] == "model"
    assert comparison["models"] == ["softmax", "multilabel"]
    assert comparison["loss"] == "cross-entropy"
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.png", "comparison.json", "comparison.png", "config.toml",
        "model-multilabel.json",
        "model-softmax.json",
    ]  # fmt: skip
    for name in ("softmax", "multilabel"):
        separate = invoke("train", "--data", "iris", "--model", name, "--out", tmp_path / name)
        assert separate.exit_code == 0, separate.output
        trained = json.loads((tmp_path / name / "model.json").read_text(encoding="utf-8"))
        compared = json.loads((out / f"model-{name}.json").read_text(encoding="utf-8"))
        np.testing.assert_allclose(compared["coef"], trained["coef"], rtol=1e-12)
        metrics = json.loads((tmp_path / name / "metrics.json").read_text(encoding="utf-8"))
        assert comparison["summary"][name]["test_accuracy"] == metrics["test"]["accuracy"]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Models trained on cross-entropy on iris: 112 train / 38 test rows")
    assert lines[1].split()[0] == "model"
    assert [line.split()[0] for line in lines[2:4]] == ["softmax", "multilabel"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["compare", "--data", "iris", "--models", "softmax,tree"],
            "unknown model 'tree' in models; use a comma-separated list of: logistic, softmax, "
            "multilabel",
        ),
        (
            ["compare", "--data", "iris", "--models", "softmax", "--losses", "mse"],
            "compare varies one setting: give losses or models, not both",
        ),
        (
            ["train", "--data", "genres", "--class-weight", "balanced"],
            "class_weight applies to class labels, not to 0/1 label columns (a multi-label target)",
        ),
        (
            ["train", "--data", "iris", "--loss", "mse", "--label-smoothing", "0.1"],
            "label_smoothing applies to the loss 'cross-entropy', not 'mse'",
        ),
        (
            ["train", "--data", "iris", "--focal-gamma", "1"],
            "focal_gamma applies to the loss 'focal', not 'cross-entropy'",
        ),
        (
            ["train", "--data", "iris", "--loss", "focal", "--focal-alpha", "0.5"],
            "focal alpha of a softmax model is one weight per class, like "
            '"setosa=0.5,versicolor=0.25", or none; got 0.5',
        ),
        (
            ["train", "--data", "default", "--class-weight", "Maybe=2"],
            "class_weight names the unknown class 'Maybe'; the classes are No, Yes",
        ),
        (
            ["compare", "--data", "iris", "--losses", "cross-entropy,mse", "--focal-gamma", "1"],
            "focal_gamma applies to the loss 'focal', which losses does not include "
            "(cross-entropy, mse)",
        ),
        (
            ["compare", "--data", "genres", "--losses", "cross-entropy,focal"],
            "compare draws one decision boundary per model, and a multi-label target has one "
            "per label: train each loss with `cetrain train` instead",
        ),
        (
            ["train", "--data", "iris", "--class-weight", "setosa=0,versicolor=0,virginica=0"],
            "class_weight must give at least one class a weight above 0",
        ),
        (
            ["train", "--data", "genres", "--loss", "hinge"],
            "loss 'hinge' is not available for multilabel models; it supports logistic and "
            "softmax models",
        ),
        (
            ["train", "--data", "default", "--weight-col", "wage"],
            None,  # the message is checked to name the column below
        ),
    ],
)
def test_family_user_errors(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args, "--out", tmp_path / "out")
    if message is None:
        assert result.exit_code == 1
        assert "'wage'" in result.stderr.splitlines()[-1]
        assert "Traceback" not in result.output
        return
    assert_error(result, message, 1)
    assert not (tmp_path / "out").exists()


def soft_csv(path):
    """Three probability columns over two features."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    scores = np.column_stack([X[:, 0], X[:, 1], -X[:, 0] - X[:, 1]])
    P = np.round(np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True), 4)
    P[:, 2] = np.round(1.0 - P[:, 0] - P[:, 1], 4)
    rows = [
        f"{a:.4f},{b:.4f},{p[0]:.4f},{p[1]:.4f},{p[2]:.4f}" for (a, b), p in zip(X, P, strict=True)
    ]
    path.write_text("a,b,pa,pb,pc\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--model", "multilabel"],
            "model 'multilabel' takes 0/1 label columns; 'soft' has 3 target columns of "
            "probabilities: use model 'softmax' or 'auto'",
        ),
        (
            ["--loss", "focal"],
            "the loss 'focal' takes class labels, but the target columns of 'soft' hold "
            "probabilities: use cross-entropy, mse or symmetric-cross-entropy",
        ),
        (
            ["--loss", "hinge"],
            "the loss 'hinge' takes class labels, but the target columns of 'soft' hold "
            "probabilities: use cross-entropy, mse or symmetric-cross-entropy",
        ),
    ],
)
def test_probability_columns_refuse_what_needs_labels(options, message, tmp_path):
    csv = soft_csv(tmp_path / "soft.csv")
    result = invoke(
        "train", "--data", csv, "--target", "pa,pb,pc", *options, "--out", tmp_path / "o"
    )
    assert_error(result, message, 1)


def test_compare_gives_each_loss_its_own_options(tmp_path):
    out = tmp_path / "cmp"
    args = ["--data", "iris", "--focal-gamma", "1", "--label-smoothing", "0.1", "--quiet"]
    result = invoke("compare", *args, "--losses", "cross-entropy,focal", "--out", out)
    assert result.exit_code == 0, result.output
    saved = {
        name: load_model(out / f"model-{name}.json").estimator.get_params()
        for name in ("cross-entropy", "focal")
    }
    assert saved["cross-entropy"]["label_smoothing"] == 0.1
    assert saved["cross-entropy"]["loss_options"] is None
    assert saved["focal"]["label_smoothing"] == 0.0
    assert saved["focal"]["loss_options"] == {"gamma": 1.0}
    # the comparison's config keeps both, so it re-runs the same comparison
    config = tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))
    assert config["focal_gamma"] == 1.0 and config["label_smoothing"] == 0.1
    again = invoke("compare", out / "config.toml", "--out", tmp_path / "again", "--quiet")
    assert again.exit_code == 0, again.output
    first = json.loads((out / "comparison.json").read_text(encoding="utf-8"))["summary"]
    second = json.loads((tmp_path / "again" / "comparison.json").read_text(encoding="utf-8"))
    assert second["summary"] == first
