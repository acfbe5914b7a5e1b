"""The configs in configs/ run, converge, earn no warning and no note, and do what their
comments say: every config's comment makes a claim, quoted below next to the check that tests
it from the run's own numbers."""

import json
import math
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer, load_iris

from cetrain.cli import cli
from cetrain.data import load_dataset
from cetrain.runs.modelfile import load_model

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
NAMES = sorted(path.stem for path in CONFIGS.glob("*.toml"))


def read_config(name: str) -> dict:
    return tomllib.loads((CONFIGS / f"{name}.toml").read_text(encoding="utf-8"))


def comment(name: str) -> str:
    """The config's comment lines as one text, its lines joined by spaces."""
    lines = (CONFIGS / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    return " ".join(line.lstrip("#").strip() for line in lines if line.startswith("#"))


def is_comparison(name: str) -> bool:
    """A config with `losses` or `models` is for `cetrain compare`, the others for train."""
    return bool({"losses", "models"} & set(read_config(name)))


class Run:
    """One run of a config: its folder, what it printed on stderr, and its numbers (metrics.json,
    or a comparison's summary)."""

    def __init__(self, folder: Path, stderr: str) -> None:
        self.folder, self.stderr = folder, stderr
        name = "comparison.json" if (folder / "comparison.json").exists() else "metrics.json"
        numbers = json.loads((folder / name).read_text(encoding="utf-8"))
        self.numbers = numbers["summary"] if name == "comparison.json" else numbers

    def history(self) -> dict[str, np.ndarray]:
        """history.csv as columns."""
        text = (self.folder / "history.csv").read_text(encoding="utf-8").splitlines()
        header, rows = text[0].split(","), [line.split(",") for line in text[1:]]
        return {key: np.array([float(row[i]) for row in rows]) for i, key in enumerate(header)}

    def model(self, file: str = "model.json"):
        return load_model(self.folder / file)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Callable[..., Run]:
    """runs(name, *options): configs/NAME.toml run (once per module) with train or compare and
    the extra options, into a temporary folder; it must exit 0. The diagnostic figures are
    left out: what is checked here is what is trained."""
    import cetrain.runs.write

    done: dict[tuple[str, ...], Run] = {}

    def run(name: str, *options: str) -> Run:
        key = (name, *options)
        if key not in done:
            out = tmp_path_factory.mktemp(name) / "run"
            command = "compare" if is_comparison(name) else "train"
            args = [command, str(CONFIGS / f"{name}.toml"), *options, "--out", str(out)]
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(cetrain.runs.write, "_save_diagnostics", lambda *args: None)
                result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
            done[key] = Run(out, result.stderr)
        return done[key]

    return run


def test_the_readme_names_every_config():
    readme = (CONFIGS.parent / "README.md").read_text(encoding="utf-8")
    assert {"quickstart", "iris-softmax", "moons-poly", "breast-cancer"} <= set(NAMES)
    assert [name for name in NAMES if f"`{name}.toml`" not in readme] == []


@pytest.mark.parametrize("name", NAMES)
def test_every_config_converges_without_a_warning_or_a_note(runs, name):
    run = runs(name)
    # the hinge's subgradient steps end 'stalled', never 'converged', and say so in a warning
    expected = {"hinge": "stalled"}
    if is_comparison(name):
        statuses = {loss: row["status"] for loss, row in run.numbers.items()}
        assert statuses == {loss: expected.get(loss, "converged") for loss in statuses}
        stalls = [
            f"Warning: {loss}: training stalled after" for loss in statuses if loss in expected
        ]
    else:
        assert run.numbers["status"] == "converged"
        assert run.numbers["notes"] == []
        stalls = []
    # no hint of cetrain.runs.hints fits a shipped config: each is a lesson as it stands
    warned = [line for line in run.stderr.splitlines() if "Warning" in line]
    assert [line[: len(stall)] for line, stall in zip(warned, stalls, strict=True)] == stalls
    assert "Note" not in run.stderr
    # what the run used is what the config asked for
    used = tomllib.loads((run.folder / "config.toml").read_text(encoding="utf-8"))
    asked = read_config(name)
    assert {key: used[key] for key in asked} == asked


def test_comparison_configs_say_how_to_run_them():
    for path in CONFIGS.glob("*.toml"):
        if is_comparison(path.stem):
            assert path.read_text(encoding="utf-8").startswith(
                f"# cetrain compare configs/{path.name}\n"
            )


# --------------------------------------------------------------------------- the claims

# config name -> (the claims its comment makes, the check of them)
CLAIMS: dict[str, tuple[tuple[str, ...], Callable]] = {}


def claim(name: str, *quotes: str):
    """Register `check(runs)` as the test of what configs/NAME.toml's comment says (`quotes`,
    each found in the comment word for word)."""

    def register(check: Callable) -> Callable:
        CLAIMS[name] = (quotes, check)
        return check

    return register


def test_every_config_makes_a_claim_that_is_checked():
    assert sorted(CLAIMS) == NAMES
    for name, (quotes, _) in CLAIMS.items():
        assert quotes
        for quote in quotes:
            assert quote in comment(name), (name, quote)


@pytest.mark.parametrize("name", NAMES)
def test_config_keeps_the_promise_of_its_comment(runs, name):
    _, check = CLAIMS[name]
    check(runs)


@claim(
    "breast-cancer",
    "l2 = 1/(C n) with C = 1 and n = 426 training rows is the objective of scikit-learn's "
    "default LogisticRegression(C=1.0), on standardised features",
)
def check_breast_cancer(runs):
    asked = read_config("breast-cancer")
    n_rows = load_breast_cancer().target.shape[0]
    n_train = n_rows - math.ceil(asked["test_size"] * n_rows)
    assert n_train == 426 and asked["l2"] == pytest.approx(1 / n_train, rel=1e-15)
    run = runs("breast-cancer", "--reference")
    assert run.numbers["n_train"] == n_train
    reference = run.numbers["reference"]
    assert reference["scikit-learn"]["C"] == pytest.approx(1.0, rel=1e-12)
    assert abs(reference["relative_gap"]) < 1e-6


@claim(
    "circles-hinge-compare",
    "Both separate the circles",
    "a higher test log loss for the same accuracy",
    "which take many more epochs",
)
def check_circles_hinge(runs):
    rows = runs("circles-hinge-compare").numbers
    ce, hinge = rows["cross-entropy"], rows["hinge"]
    assert min(ce["test_accuracy"], hinge["test_accuracy"]) >= 0.95
    assert hinge["test_accuracy"] == pytest.approx(ce["test_accuracy"], abs=0.02)
    assert hinge["test_log_loss"] > 2 * ce["test_log_loss"]
    assert hinge["epochs"] > 5 * ce["epochs"]


def default_class_counts() -> dict[str, int]:
    labels, counts = np.unique(load_dataset("default", target="default").y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist(), strict=True))


@claim(
    "default-balanced",
    "only 71 of the 990 complete rows of default.csv defaulted",
    "a missed default costs about 13 times a false alarm",
    "the model finds many more of the defaults (recall of Yes) at the price of more false alarms",
)
def check_default_balanced(runs):
    counts = default_class_counts()
    assert counts == {"No": 919, "Yes": 71}
    # balanced weights n / (C n_k): a Yes row weighs n_No / n_Yes times a No row
    assert round(counts["No"] / counts["Yes"]) == 13
    plain, balanced = runs("default").numbers, runs("default-balanced").numbers
    assert balanced["test"]["recall"]["Yes"] > 2 * plain["test"]["recall"]["Yes"]
    assert balanced["test"]["recall"]["No"] < plain["test"]["recall"]["No"]
    assert balanced["test"]["balanced_accuracy"] > plain["test"]["balanced_accuracy"]


@claim(
    "default-focal",
    "(1 - p_t)^gamma scales down the rows the model already gets right",
    'gamma = 0 with focal_alpha = "none" is plain cross-entropy',
)
def check_default_focal(runs):
    plain, focal = runs("default").numbers, runs("default-focal").numbers
    # down-weighting the easy (mostly No) rows finds more of the rare Yes rows
    assert focal["test"]["recall"]["Yes"] > plain["test"]["recall"]["Yes"]
    as_ce = runs("default-focal", "--focal-gamma", "0", "--focal-alpha", "none").numbers
    assert as_ce["train"]["loss"] == pytest.approx(plain["train"]["log_loss"], rel=1e-6)
    assert as_ce["epochs"] == plain["epochs"]


@claim(
    "default",
    "the text column `student` is one-hot encoded as `student=Yes`, and rows with a missing "
    "income are dropped with a note",
)
def check_default(runs):
    run = runs("default")
    assert "student=Yes" in run.model().feature_names
    # datasets/README.md: ten rows have income NA
    assert run.numbers["rows_dropped"] == 10
    assert "Dropped 10 rows with missing values." in run.stderr.splitlines()


@claim("exam", "model.json reports intercept -4.0777 and slope 1.5046 (per hour)")
def check_exam(runs):
    model = runs("exam").model().estimator
    # Wikipedia, "Logistic regression": intercept -4.0777, 1.5046 per hour of study
    assert model.intercept_[0] == pytest.approx(-4.0777, abs=1e-4)
    assert model.coef_[0, 0] == pytest.approx(1.5046, abs=1e-4)


@claim(
    "genres-multilabel",
    "Accuracy is subset accuracy (all three tags right)",
    '"label acc" is the share of single tags that are right',
)
def check_genres(runs):
    metrics = runs("genres-multilabel").numbers
    # every tag right in 49 of the 75 test songs; 196 of the 225 single tags
    assert metrics["n_test"] == 75
    assert metrics["test"]["accuracy"] == pytest.approx(49 / 75, abs=1e-15)
    assert metrics["test"]["label_accuracy"] == pytest.approx(196 / 225, abs=1e-15)


@claim(
    "iris-ovr-compare",
    "whose probabilities are the sigmoids divided by their sum",
    "a lower test log loss than the three sigmoids, each fit to its own class",
)
def check_iris_ovr(runs):
    run = runs("iris-ovr-compare")
    rows = run.numbers
    assert rows["softmax"]["test_log_loss"] < rows["multilabel"]["test_log_loss"]
    assert rows["softmax"]["test_accuracy"] >= rows["multilabel"]["test_accuracy"]
    pipeline = run.model("model-multilabel.json").pipeline
    features = pipeline.transform(load_iris().data)
    sigmoids = 1 / (1 + np.exp(-pipeline.estimator.decision_function(features)))
    probabilities = pipeline.estimator.predict_proba(features)
    assert probabilities == pytest.approx(sigmoids / sigmoids.sum(axis=1, keepdims=True))


@claim(
    "iris-smoothing",
    "here with e = 0.1 and C = 3 classes (0.9333, 0.0333, 0.0333)",
    "so it stays less confident than configs/iris-softmax.toml",
)
def check_iris_smoothing(runs):
    assert (0.9 + 0.1 / 3, 0.1 / 3) == pytest.approx((0.9333, 0.0333), abs=1e-4)
    plain, smoothed = runs("iris-softmax").numbers, runs("iris-smoothing").numbers
    # smoothing keeps probabilities away from 0 and 1: the log loss on the hard labels rises
    assert smoothed["train"]["log_loss"] > plain["train"]["log_loss"]
    assert smoothed["train"]["loss"] > smoothed["train"]["log_loss"]


@claim("iris-softmax", "the petal measurements, where the classes separate best")
def check_iris_softmax(runs):
    petals = runs("iris-softmax").numbers
    sepals = runs(
        "iris-softmax",
        "--features", "sepal length (cm),sepal width (cm)",
        "--plot-features", "sepal length (cm),sepal width (cm)",
    ).numbers  # fmt: skip
    only_petals = runs("iris-softmax", "--features", "petal length (cm),petal width (cm)").numbers
    # the two petal measurements alone: 0.95 / 0.98 (train / test), the sepals': 0.86 / 0.76
    assert only_petals["train"]["accuracy"] > sepals["train"]["accuracy"] + 0.05
    assert only_petals["test"]["accuracy"] > sepals["test"]["accuracy"] + 0.2
    assert only_petals["test"]["log_loss"] < sepals["test"]["log_loss"] / 2
    assert petals["test"]["accuracy"] >= only_petals["test"]["accuracy"]


@claim("line", "No test split: all ten points train the model")
def check_line(runs):
    metrics = runs("line").numbers
    assert (metrics["n_train"], metrics["n_test"], metrics["test"]) == (10, 0, None)


@claim(
    "moons-poly",
    "degree 6 with almost no penalty bends the boundary around individual training points",
    "the test loss bottoms out early and then rises while the training loss keeps falling, and "
    "ends several times the training loss",
    "raise l2 (try 0.01) and rerun: the gap closes",
)
def check_moons_poly(runs):
    run = runs("moons-poly")
    history = run.history()
    train, test = history["train_loss"], history["test_loss"]
    best = int(np.argmin(test))
    assert best < 0.1 * len(test)  # early
    assert test[-1] > 1.3 * test[best]  # then rises
    assert train[-1] < 0.7 * train[best]  # while the training loss keeps falling
    final = run.numbers
    assert final["test"]["log_loss"] > 4 * final["train"]["log_loss"]
    assert final["train"]["accuracy"] - final["test"]["accuracy"] >= 0.1
    penalised = runs("moons-poly", "--l2", "0.01").numbers
    assert penalised["test"]["log_loss"] < 1.5 * penalised["train"]["log_loss"]
    assert penalised["test"]["log_loss"] < final["test"]["log_loss"]


@claim(
    "noisy-labels-compare",
    "The test labels are noisy too, so the test log loss printed here punishes SCE's confidence",
)
def check_noisy_labels(runs):
    rows = runs("noisy-labels-compare").numbers
    assert rows["symmetric-cross-entropy"]["test_log_loss"] > rows["cross-entropy"]["test_log_loss"]


@claim(
    "quickstart",
    "degree-3 polynomial features, so that a linear model in (x1, x2, x1^2, ..., x2^3) draws a "
    "curved boundary",
)
def check_quickstart(runs):
    curved = runs("quickstart")
    names = curved.model().pipeline.model_feature_names
    assert (len(names), names[:3], names[-1]) == (9, ["x1", "x2", "x1^2"], "x2^3")
    straight = runs("quickstart", "--poly", "1").numbers
    assert curved.numbers["test"]["accuracy"] > straight["test"]["accuracy"] + 0.05


@claim(
    "sparse-l1",
    "its labels were drawn from only four of them (x3, x8, x13, x17; datasets/README.md)",
    "sets the other sixteen coefficients to exactly zero",
)
def check_sparse_l1(runs):
    run = runs("sparse-l1")
    model = json.loads((run.folder / "model.json").read_text(encoding="utf-8"))
    kept = [name for name, c in zip(model["feature_names"], model["coef"][0], strict=True) if c]
    assert kept == ["x3", "x8", "x13", "x17"]
    assert run.numbers["zero_coefficients"] == 16 and run.numbers["coefficients"] == 20


@pytest.mark.parametrize(
    "name", ["quickstart", "iris-softmax", "genres-multilabel", "default-focal"]
)
def test_float32_training_ends_at_float64s_loss(runs, name):
    single, double = runs(name, "--dtype", "float32"), runs(name)
    assert single.history()["train_loss"][-1] == pytest.approx(
        double.history()["train_loss"][-1], rel=1e-5
    )
    used = tomllib.loads((single.folder / "config.toml").read_text(encoding="utf-8"))
    assert used["dtype"] == "float32"
    model = single.model().pipeline.estimator
    assert model.dtype == "float32" and model.coef_.dtype == np.float64
