"""Shared test helpers: finite differences, the loss formulas, documented defaults and files.

The formulas are the ones in cetrain.core.losses' docstrings, written out with plain NumPy for
moderate scores, so that tests compare the library with an independent evaluation.
"""

import json
import math
import os
import tracemalloc
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import settings
from hypothesis import strategies as st

from cetrain.cli import cli
from cetrain.core.params import MAX_CLASS_WEIGHT, ClassValues, Domain, Number, OneOf

# The property tests draw the same examples on every run, so that CI never fails on a new
# random draw; `pytest --hypothesis-profile=fuzz` draws new ones each run, for fuzzing by hand.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("fuzz", derandomize=False)
settings.load_profile("repeatable")

# The documented defaults of every experiment setting (README's option table), as config.toml
# writes them; out and quiet describe one invocation and are not written.
DEFAULT_SETTINGS_TOML = {
    "loss": "cross-entropy",
    "label_smoothing": 0.0,
    "lr": "auto",
    "epochs": 5000,
    "tol": 1e-6,
    "l2": 0.001,
    "l1": 0.0,
    "momentum": 0.99,
    "standardize": True,
    "dtype": "float64",
    "poly": 1,
    "test_size": 0.25,
    "seed": 0,
    "epoch_axis": "auto",
    "show_loss": False,
    "format": "png",
    "animate": False,
    "reference": False,
    "report": False,
}

# What a run folder holds (the table), sorted; a binary model's also holds roc.png.
RUN_FILES = [
    "calibration.png",
    "config.toml",
    "confusion_matrix.png",
    "decision_boundary.png",
    "history.csv",
    "loss_curve.png",
    "metrics.json",
    "model.json",
    "worst_points.csv",
]


def run_files(folder: Path) -> list[str]:
    """The files a run folder must hold: RUN_FILES, and roc.png when its model.json has two
    classes, one per row (labels, or rows of two probabilities)."""
    model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    binary = len(model["classes"]) == 2 and model.get("target_kind", "labels") != "indicator"
    return sorted([*RUN_FILES, "roc.png"]) if binary else RUN_FILES


def peak_bytes(call) -> int:
    """The most memory that call() held at once, as tracemalloc counts NumPy's arrays."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def central_jacobian(fun, x, h=1e-6):
    """d fun / d x by central differences: shape fun(x).shape + x.shape (a gradient if scalar)."""
    x = np.array(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        columns.append((np.asarray(fun(x + step)) - np.asarray(fun(x - step))) / (2 * h))
    out = np.stack(columns, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


def bce_formula(s, t):
    """log(1 + exp(s)) - t*s, per sample."""
    return np.log(1.0 + np.exp(s)) - t * s


def binary_mse_formula(s, t):
    """(sigma(s) - t)^2 with sigma(s) = 1 / (1 + exp(-s)), per sample."""
    return (1.0 / (1.0 + np.exp(-s)) - t) ** 2


def cross_entropy_formula(S, T):
    """sum_k t_k (log sum_j exp(s_j) - s_k), per row; T one-hot or probability rows."""
    lse = np.log(np.exp(S).sum(axis=1))
    return np.sum(T * (lse[:, None] - S), axis=1)


def multiclass_mse_formula(S, T):
    """sum_k (softmax(s)_k - t_k)^2, per row."""
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    return np.sum((P - T) ** 2, axis=1)


def softmax_formula(S):
    """exp(s_k) / sum_j exp(s_j), per row."""
    return np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)


def smoothed_bce_formula(s, t, label_smoothing):
    """Keras BinaryCrossentropy(label_smoothing=eps): bce with the target t (1 - eps) + eps/2."""
    return bce_formula(s, t * (1 - label_smoothing) + 0.5 * label_smoothing)


def focal_formula(s, t, alpha=0.25, gamma=2.0):
    """torchvision.ops.sigmoid_focal_loss(s, t, alpha, gamma, reduction="none"), line by line
    (alpha=None stands for torchvision's alpha < 0: no weighting)."""
    p = 1.0 / (1.0 + np.exp(-s))
    ce_loss = bce_formula(s, t)
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha is not None:
        alpha_t = alpha * t + (1 - alpha) * (1 - t)
        loss = alpha_t * loss
    return loss


def softmax_focal_formula(S, T, alpha=None, gamma=2.0):
    """-alpha_y (1 - p_y)^gamma log p_y per row, T one-hot; alpha per class or None."""
    p_y = np.sum(T * softmax_formula(S), axis=1)
    alpha_y = 1.0 if alpha is None else np.asarray(alpha)[np.argmax(T, axis=1)]
    return -alpha_y * (1 - p_y) ** gamma * np.log(p_y)


def binary_hinge_formula(s, t):
    """max(0, 1 - (2t - 1) s), per sample, t in {0, 1}."""
    return np.maximum(0.0, 1 - (2 * t - 1) * s)


def crammer_singer_formula(S, T):
    """max(0, 1 + max_{k != y} s_k - s_y) per row, T one-hot."""
    s_y = np.sum(T * S, axis=1)
    rival = np.max(np.where(T == 1, -np.inf, S), axis=1)
    return np.maximum(0.0, 1 + rival - s_y)


def sce_formula(S, T, alpha=0.1, beta=1.0, log_zero=-4.0):
    """alpha CE + beta RCE per row, RCE = -sum_k p_k log(clip(t_k, e^A, 1)): the clip is the
    authors' code's (which has 1e-4 = e^A); for one-hot rows it is the paper's log 0 = A."""
    P = softmax_formula(S)
    rce = -np.sum(P * np.log(np.clip(T, np.exp(log_zero), 1.0)), axis=1)
    return alpha * cross_entropy_formula(S, T) + beta * rce


def binary_sce_formula(s, t, alpha=0.1, beta=1.0, log_zero=-4.0):
    """sce_formula for the two-class scores (0, s) and rows (1 - t, t)."""
    S = np.column_stack([np.zeros_like(s), s])
    T = np.column_stack([1 - t, t])
    return sce_formula(S, T, alpha, beta, log_zero)


def pytorch_cross_entropy(S, target, weight=None, label_smoothing=0.0, reduction="mean"):
    """torch.nn.functional.cross_entropy(S, target, weight, reduction, label_smoothing) as
    ATen's LossNLL.cpp computes it, for class indices (n,) or probability rows (n, C)."""
    n, n_classes = S.shape
    log_p = np.log(softmax_formula(S))
    w = np.ones(n_classes) if weight is None else np.asarray(weight, dtype=float)
    eps = label_smoothing
    if np.ndim(target) == 2:  # probabilities: smooth the rows; "mean" divides by n
        T = np.asarray(target) * (1 - eps) + eps / n_classes
        per_row = -np.sum(log_p * T * w, axis=1)
        return {"none": per_row, "sum": per_row.sum(), "mean": per_row.sum() / n}[reduction]
    y = np.asarray(target)
    nll = -w[y] * log_p[np.arange(n), y]  # nll_loss with weight
    smooth = -np.sum(log_p * w, axis=1)
    if reduction == "none":
        return (1 - eps) * nll + eps / n_classes * smooth
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / n_classes * smooth.sum()
    return (1 - eps) * nll.sum() / w[y].sum() + eps / n_classes * smooth.sum() / w[y].sum()


def breast_cancer_rows(n_rows: int, n_features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n_rows rows of breast_cancer, drawn with the seed, and their first n_features raw
    features (of very different scales): quick fits that still need standardising."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    rows = np.random.default_rng(seed).choice(len(y), size=n_rows, replace=False)
    return X[rows, :n_features], y[rows]


@pytest.fixture
def numerical_jacobian():
    """central_jacobian(fun, x, h=1e-6)."""
    return central_jacobian


@pytest.fixture
def loss_formulas():
    """Per-sample loss formulas by name: binary ones take (s (n,), t (n,)), multiclass ones
    (S (n, C), T (n, C))."""
    return {
        "binary_cross_entropy": bce_formula,
        "binary_mse": binary_mse_formula,
        "cross_entropy": cross_entropy_formula,
        "multiclass_mse": multiclass_mse_formula,
    }


@pytest.fixture
def no_diagnostic_figures(monkeypatch):
    """Runs write no confusion matrix, calibration or ROC figure: for tests about the training
    numbers, to which those three figures (tests/cli/test_scoring.py and test_cli.py check
    them) add half a second per run."""
    import cetrain.runs.write

    monkeypatch.setattr(cetrain.runs.write, "_save_diagnostics", lambda *args: None)


def invoke(*args) -> Result:
    """Run `cetrain ARGS` in-process; stdout and stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def assert_error(result: Result, message: str, exit_code: int = 1) -> None:
    """The command failed with exactly `Error: message` as its last line, on stderr only."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if exit_code == 1:  # our own errors: one line and nothing else
        assert result.stderr == f"Error: {message}\n"
    else:  # click's usage errors: the usage, a hint, then the error
        assert result.stderr.splitlines()[-1] == f"Error: {message}"
        assert result.stderr.count("Error:") == 1


def assert_not_blank(image: np.ndarray | Path) -> None:
    """A decoded image (H, W, 3 or 4), or an image file, has real content: its pixels vary and
    it holds more than 50 distinct colours."""
    if isinstance(image, Path):
        image = matplotlib.image.imread(image)[::3, ::3]  # every 9th pixel is plenty, and fast
    rgb = image[:, :, :3]
    assert rgb.std() > 0.05
    # Pack each pixel into one integer: np.unique over rows (axis=0) is far slower.
    codes = ((rgb.reshape(-1, 3) * 255).round().astype(np.int64) * [65536, 256, 1]).sum(axis=1)
    assert len(np.unique(codes)) > 50


@pytest.fixture(scope="session")
def moons_run(tmp_path_factory) -> Path:
    """A real `cetrain train` run folder (moons, 50 epochs), made once for the whole session.
    Copy it before changing anything in it."""
    out = tmp_path_factory.mktemp("moons-run") / "moons"
    result = invoke("train", "--data", "moons", "--epochs", 50, "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def moons_comparison(tmp_path_factory) -> Path:
    """A real `cetrain compare` folder (cross-entropy and mse on moons), made once."""
    out = tmp_path_factory.mktemp("moons-compare") / "compare"
    result = invoke(
        "compare", "--data", "moons", "--n-samples", 80, "--epochs", 50, "--quiet", "--out", out
    )
    assert result.exit_code == 0, result.output
    return out


# --- hypothesis strategies from declarations ------------------------------------------------

FLOAT_MAX = float(np.finfo(np.float64).max)


def domain_values(domain: Domain, class_names: list[str], per_class_form: bool):
    """A strategy for the values `domain` accepts, as a run gives them; None when the domain
    offers nothing for this form (a number where one per class is wanted, or the reverse)."""
    if isinstance(domain, Number):
        if per_class_form:
            return None
        return st.floats(
            min_value=None if math.isinf(domain.low) else domain.low,
            max_value=None if math.isinf(domain.high) else domain.high,
            exclude_min=domain.low_open and not math.isinf(domain.low),
            exclude_max=domain.high_open and not math.isinf(domain.high),
            allow_nan=False,
            allow_infinity=False,
        )
    if isinstance(domain, ClassValues):
        if not per_class_form:
            return None
        weights = st.floats(0.0, MAX_CLASS_WEIGHT)  # the domain's own range
        return st.dictionaries(st.sampled_from(class_names), weights, min_size=1, max_size=4)
    if isinstance(domain, OneOf):
        parts = [st.sampled_from(domain.words)] if domain.words else []
        parts += [domain_values(d, class_names, per_class_form) for d in domain.domains]
        parts = [part for part in parts if part is not None]
        return st.one_of(parts) if parts else None
    raise NotImplementedError(f"no hypothesis strategy for {domain!r}: add one to domain_values")


def non_negative_floats():
    return st.floats(min_value=0.0, max_value=FLOAT_MAX, allow_nan=False, allow_infinity=False)


def stop_playground(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make `cetrain playground` testable in-process: it binds a free port on 127.0.0.1 whatever
    its options say, opens no browser, and its server stops as soon as it would serve, as after
    a shutdown() (so it prints its URL and exits 0; Ctrl-C's exit 130 is tested on a real
    process). Returns the URLs it would have opened in a browser."""
    from cetrain.playground import server

    make_server, opened = server.make_server, []

    def stop(self, poll_interval: float = 0.5) -> None:
        return None

    monkeypatch.setattr(server, "make_server", lambda session, host, port: make_server(session))
    monkeypatch.setattr(server.PlaygroundServer, "serve_forever", stop)
    monkeypatch.setattr("webbrowser.open", opened.append)
    return opened


# Debian's Chromium, which the browser tests drive through Playwright (never downloaded)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium, one per test module, or a skip saying what to install; under
    CETRAIN_REQUIRE_BROWSER (set by .ci/run, which installs both) the skip is a failure."""
    skip = pytest.fail if os.environ.get("CETRAIN_REQUIRE_BROWSER") else pytest.skip
    if not CHROMIUM.is_file():
        skip(f"{CHROMIUM} is not installed: apt-get install chromium libatomic1 fonts-liberation")
    try:
        from playwright import sync_api
    except ImportError:
        skip("playwright is not installed: pip install playwright==1.65.2")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        print(f"Chromium {browser.version}")
        try:
            yield browser
        finally:
            browser.close()
