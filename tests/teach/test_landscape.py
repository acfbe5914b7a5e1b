"""Tests for teach.landscape and `cetrain landscape`: the surfaces are the loss formulas,
cross-entropy is convex on the grid and MSE is not, the descent paths start as the hand-computed
step says and cross-entropy's ends at scikit-learn's optimum, the figure and the JSON, and every
error a user can trigger (exact text and exit code).

The command runs through click's CliRunner with its folder under pytest's tmp_path.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_error, assert_not_blank, bce_formula, binary_mse_formula, invoke
from sklearn.linear_model import LogisticRegression

from cetrain.core.losses import loss_for
from cetrain.core.objective import LinearObjective
from cetrain.teach.landscape import compute_landscape, grid_values, one_feature_data
from cetrain.teach.landscape_figure import landscape_figure

ROOT = Path(__file__).resolve().parents[2]

# datasets/line.csv: class 1 is "red" (classes sorted: green, red)
LINE_X = np.array([-2.2, -1.4, -0.8, 0.2, 0.4, 0.8, 1.2, 2.2, 2.9, 4.6])
LINE_RED = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0], dtype=float)
BLUE, VERMILLION = "#0072B2", "#D55E00"


def sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


def mean_loss(formula, w, b, x=LINE_X, y=LINE_RED):
    return float(np.mean(formula(w * x + b, y)))


def hessian_by_hand(formula, w, b, h=1e-3):
    """Second differences of the mean loss at (w, b)."""

    def f(dw, db):
        return mean_loss(formula, w + dw, b + db)

    f_ww = (f(h, 0) - 2 * f(0, 0) + f(-h, 0)) / h**2
    f_bb = (f(0, h) - 2 * f(0, 0) + f(0, -h)) / h**2
    f_wb = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h**2)
    return np.array([[f_ww, f_wb], [f_wb, f_bb]])


@pytest.fixture(scope="module")
def sklearn_optimum():
    """The unpenalised logistic fit of red vs green on the raw x of line.csv."""
    fit = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(LINE_X[:, None], LINE_RED)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`cetrain landscape` with every default: its folder, CliRunner result and JSON."""
    out = tmp_path_factory.mktemp("landscape") / "run"
    result = invoke("landscape", "--out", out)
    assert result.exit_code == 0, result.output
    return out, result, json.loads((out / "landscape.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small():
    """A coarse, short landscape of line, for the library and figure tests."""
    return compute_landscape(one_feature_data("line"), epochs=30, points=21)


# --------------------------------------------------------------------------- the command


def test_landscape_writes_a_figure_and_its_json(default_run):
    out, result, _ = default_run
    assert sorted(p.name for p in out.iterdir()) == ["landscape.json", "landscape.png"]
    assert_not_blank(out / "landscape.png")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Loss landscape of line: P(red) = sigmoid(w*x + b), 10 rows")
    # independent references: the start w0 = -3 w*, b0 = b* from scikit-learn's optimum, the
    # losses from their formulas, the convexity from cross-entropy's Hessian written out
    x, y = line_data()
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x[:, None], y)
    w_star, b_star = sk.coef_[0, 0], sk.intercept_[0]
    start_loss = np.mean(bce_formula(-3 * w_star * x + b_star, y))
    optimum_loss = np.mean(bce_formula(w_star * x + b_star, y))
    assert lines[2].startswith(f"cross-entropy: {start_loss:.4g} -> {optimum_loss:.4g}")
    _, _, record = default_run
    grid = record["grid"]
    smallest = smallest_cross_entropy_eigenvalue(x, grid["w"], grid["b"], grid["points"])
    assert lines[2].endswith(f"convex on the grid (smallest Hessian eigenvalue {smallest:.2g})")
    mse_start = np.mean(binary_mse_formula(-3 * w_star * x + b_star, y))
    assert f"mse: {mse_start:.4g} -> " in lines[3] and "not convex on the grid" in lines[3]
    assert lines[-1] == f"Folder: {out}"


def line_data() -> tuple[np.ndarray, np.ndarray]:
    """datasets/line.csv as x and y = 1 for red (class 1 of green, red)."""
    rows = [line.split(",") for line in (ROOT / "datasets" / "line.csv").read_text().split()[1:]]
    return np.array([float(x) for x, _ in rows]), np.array([c == "red" for _, c in rows], float)


def smallest_cross_entropy_eigenvalue(x, w_range, b_range, points) -> float:
    """min over the grid of the smallest eigenvalue of mean_i sigma'(s_i) [[x^2, x], [x, 1]]."""
    w, b = np.meshgrid(np.linspace(*w_range, points[0]), np.linspace(*b_range, points[1]))
    s = w[..., None] * x + b[..., None]
    slope = 1 / (1 + np.exp(-s)) / (1 + np.exp(s))
    a, c, d = (slope * x**2).mean(-1), (slope * x).mean(-1), slope.mean(-1)
    return float(np.min((a + d) / 2 - np.sqrt(((a - d) / 2) ** 2 + c**2)))


def test_json_holds_the_data_the_settings_and_both_paths(default_run, sklearn_optimum):
    _, _, record = default_run
    assert record["data"] == "line"
    assert record["feature"] == "x"
    assert record["classes"] == ["green", "red"]
    assert record["positive_class"] == "red"
    assert record["n"] == 10
    assert record["epochs"] == 300
    # default start: the optimum's weight, sign flipped and tripled; the optimum's intercept
    w_star, b_star = sklearn_optimum
    assert record["start"]["w"] == pytest.approx(-3 * w_star, rel=1e-6)
    assert record["start"]["b"] == pytest.approx(b_star, rel=1e-6)
    assert record["slice_b"] == pytest.approx(b_star, rel=1e-6)
    # default step: 1/L, L = (1/4) lambda_max([x 1]^T [x 1] / n), computed here from scratch
    A = np.column_stack([LINE_X, np.ones(10)])
    assert record["learning_rate"] == pytest.approx(
        1 / (0.25 * np.linalg.eigvalsh(A.T @ A / 10)[-1]), rel=1e-12
    )
    for name in ("cross-entropy", "mse"):
        path = record["losses"][name]["path"]
        assert len(path["w"]) == len(path["b"]) == len(path["loss"]) == 301
        assert (path["w"][0], path["b"][0]) == (record["start"]["w"], record["start"]["b"])
        final = record["losses"][name]["final"]
        assert (final["w"], final["b"], final["loss"]) == (
            path["w"][-1],
            path["b"][-1],
            path["loss"][-1],
        )
        lo_w, hi_w = record["grid"]["w"]
        lo_b, hi_b = record["grid"]["b"]
        assert lo_w <= min(path["w"]) <= max(path["w"]) <= hi_w
        assert lo_b <= min(path["b"]) <= max(path["b"]) <= hi_b
    assert record["grid"]["points"] == [121, 121]


@pytest.mark.parametrize(
    ("name", "slope"),
    [
        ("cross-entropy", lambda s, y: sigmoid(s) - y),
        ("mse", lambda s, y: 2 * (sigmoid(s) - y) * sigmoid(s) * (1 - sigmoid(s))),
    ],
)
def test_first_step_is_the_hand_computed_gradient_step(default_run, name, slope):
    _, _, record = default_run
    path, eta = record["losses"][name]["path"], record["learning_rate"]
    w0, b0 = path["w"][0], path["b"][0]
    g = slope(w0 * LINE_X + b0, LINE_RED)
    assert path["w"][1] == pytest.approx(w0 - eta * np.mean(g * LINE_X), rel=1e-12)
    assert path["b"][1] == pytest.approx(b0 - eta * np.mean(g), rel=1e-12)
    formula = bce_formula if name == "cross-entropy" else binary_mse_formula
    assert path["loss"][0] == pytest.approx(mean_loss(formula, w0, b0), rel=1e-12)


def test_cross_entropy_path_ends_at_the_sklearn_optimum(default_run, sklearn_optimum):
    _, _, record = default_run
    final = record["losses"]["cross-entropy"]["final"]
    assert (final["w"], final["b"]) == pytest.approx(sklearn_optimum, abs=1e-6)
    optimum = record["cross_entropy_optimum"]
    assert (optimum["w"], optimum["b"]) == pytest.approx(sklearn_optimum, abs=1e-6)
    # the grid is centred on the optimum, so its lowest point is the optimum itself
    lowest = record["losses"]["cross-entropy"]["grid_minimum"]
    assert (lowest["w"], lowest["b"]) == pytest.approx(sklearn_optimum, abs=1e-6)
    assert lowest["on_edge"] is False


def test_cross_entropy_is_convex_on_the_grid_and_mse_is_not(default_run):
    _, _, record = default_run
    ce = record["losses"]["cross-entropy"]["hessian"]
    mse = record["losses"]["mse"]["hessian"]
    assert ce["convex_on_grid"] is True
    assert ce["min_eigenvalue"] >= 0
    assert mse["convex_on_grid"] is False
    assert mse["min_eigenvalue"] < -0.1
    # the reported eigenvalues, recomputed by second differences of the formulas
    for formula, hessian in ((bce_formula, ce), (binary_mse_formula, mse)):
        at = hessian["min_eigenvalue_at"]
        by_hand = np.linalg.eigvalsh(hessian_by_hand(formula, at["w"], at["b"]))
        assert hessian["min_eigenvalue"] == pytest.approx(by_hand[0], rel=1e-3, abs=1e-8)


def test_the_default_step_is_safe_for_both_and_only_mse_stalls(default_run):
    _, _, record = default_run
    ce = np.array(record["losses"]["cross-entropy"]["path"]["loss"])
    mse = np.array(record["losses"]["mse"]["path"]["loss"])
    # a step of 1/L for cross-entropy never increases either loss
    assert np.all(np.diff(ce) <= 1e-12)
    assert np.all(np.diff(mse) <= 1e-12)
    # measured, as the README says: cross-entropy is within 1% of its optimum after 17 epochs,
    # while MSE has lost less than 5% of its loss after 50
    optimum = record["cross_entropy_optimum"]["loss"]
    assert np.flatnonzero(ce < 1.01 * optimum)[0] == first_epoch_within(record, 0.01)
    assert mse[50] > 0.95 * mse[0]
    assert mse[-1] < 0.2 * mse[0]


def first_epoch_within(record: dict, share: float) -> int:
    """Plain gradient descent on mean cross-entropy over the raw line data, written out: the
    first epoch whose loss is within `share` of the optimum."""
    x, y = line_data()
    w, b = record["start"]["w"], record["start"]["b"]
    optimum, eta = record["cross_entropy_optimum"]["loss"], record["learning_rate"]
    for epoch in range(record["epochs"] + 1):
        s = w * x + b
        if np.mean(bce_formula(s, y)) < (1 + share) * optimum:
            return epoch
        residual = 1 / (1 + np.exp(-s)) - y
        w, b = w - eta * np.mean(residual * x), b - eta * np.mean(residual)
    raise AssertionError("never within reach")


def test_start_step_epochs_and_svg_format_are_used(tmp_path):
    out = tmp_path / "run"
    args = ["--start", "-2,1.5", "--lr", 0.25, "--epochs", 3, "--format", "svg", "--out", out]
    result = invoke("landscape", *args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["landscape.json", "landscape.svg"]
    assert "<svg" in (out / "landscape.svg").read_text(encoding="utf-8")
    record = json.loads((out / "landscape.json").read_text(encoding="utf-8"))
    assert record["start"] == {"w": -2.0, "b": 1.5}
    assert record["learning_rate"] == 0.25
    assert record["epochs"] == 3
    assert len(record["losses"]["mse"]["path"]["w"]) == 4


def test_feature_picks_one_column_of_a_csv(tmp_path):
    csv = tmp_path / "pets.csv"
    rows = ["weight,age,label"] + [
        f"{w},{a},{'yes' if i % 3 else 'no'}"
        for i, (w, a) in enumerate(zip(range(10, 22), range(1, 13), strict=True))
    ]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = one_feature_data(str(csv), "age")
    assert (data.name, data.feature, data.classes) == ("pets", "age", ("no", "yes"))
    assert np.array_equal(data.x, np.arange(1, 13))
    assert np.array_equal(data.target, [0, 1, 1] * 4)


def write_csv(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--data", "linear"],
            "'linear' has 2 features (x1, x2); the landscape needs one: choose it with --feature",
        ),
        (
            ["--data", "linear", "--feature", "x3"],
            "unknown feature 'x3' in 'linear'; use one of: x1, x2",
        ),
        (
            ["--data", "iris", "--feature", "petal width (cm)"],
            "the landscape needs exactly 2 classes; 'iris' has 3 (setosa, versicolor, virginica)",
        ),
        (
            ["--data", "CSV:x,y\n1,a\n2,a\n3,b\n4,b\n"],
            "a threshold on 'x' separates the classes of 'data', so cross-entropy has no finite "
            "minimum to draw; use data whose classes overlap",
        ),
        (
            ["--data", "CSV:x,y\n1,a\n1,b\n1,a\n"],
            "feature 'x' of 'data' has the same value in every row, which leaves nothing to learn "
            "from; choose another feature",
        ),
        (
            ["--data", "CSV:x,c,y\n1,u,a\n2,v,b\n3,w,a\n", "--feature", "c"],
            "feature 'c' is a text column with 3 levels; the landscape needs a number or a column "
            "with two levels",
        ),
        (
            ["--data", "CSV:x,y\n1,a\n2,b\n3,c\n"],
            "the landscape needs exactly 2 classes; 'data' has 3 (a, b, c)",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_1(tmp_path, args, message):
    args = [str(write_csv(tmp_path, a[4:])) if a.startswith("CSV:") else a for a in args]
    out = tmp_path / "run"
    assert_error(invoke("landscape", *args, "--out", out), message)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--start", "1"],
            "Invalid value for '--start': '1' is not two finite numbers W,B such as 2,2",
        ),
        (
            ["--start", "1,inf"],
            "Invalid value for '--start': '1,inf' is not two finite numbers W,B such as 2,2",
        ),
        (
            ["--lr", "0"],
            "Invalid value for '--lr': lr must be a finite number in (0, 1e6]; got 0.0",
        ),
        (
            ["--lr", "inf"],
            "Invalid value for '--lr': lr must be a finite number in (0, 1e6]; got inf",
        ),
        (
            ["--format", "gif"],
            "Invalid value for '--format': 'gif' is not one of 'png', 'svg', 'pdf'.",
        ),
    ],
)
def test_bad_option_values_are_usage_errors(tmp_path, args, message):
    assert_error(invoke("landscape", *args, "--out", tmp_path / "run"), message, exit_code=2)


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    assert_error(
        invoke("landscape", "--out", tmp_path),
        f"the run folder '{tmp_path}' already exists and is not empty; "
        "choose a new --out or remove it",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


# --------------------------------------------------------------------------- the library


@pytest.mark.parametrize(
    ("name", "formula"), [("cross-entropy", bce_formula), ("mse", binary_mse_formula)]
)
def test_grid_values_are_the_averaged_formula(small, name, formula):
    surface = small.surfaces[name]
    for i, j in [(0, 0), (3, 17), (10, 10), (20, 4), (20, 20)]:
        w, b = small.w[j], small.b[i]
        assert surface.values[i, j] == pytest.approx(mean_loss(formula, w, b), rel=1e-12)
    j = 123
    assert surface.slice_values[j] == pytest.approx(
        mean_loss(formula, small.slice_w[j], small.slice_b), rel=1e-12
    )


@pytest.mark.parametrize("name", ["cross-entropy", "mse"])
def test_grid_gradient_and_hessian_match_the_objective_and_the_formula(name):
    loss = loss_for(name, "logistic")
    objective = LinearObjective(LINE_X[:, None].copy(), LINE_RED, loss, n_outputs=1)
    formula = bce_formula if name == "cross-entropy" else binary_mse_formula
    w, b = np.array([[-3.0, 0.5], [2.0, 4.0]]), np.array([[1.0, -2.0], [0.0, 0.7]])
    values = grid_values(LINE_X, LINE_RED, loss, w, b)
    for index in np.ndindex(w.shape):
        grad = np.empty(2)
        value = objective.value_and_grad(np.array([w[index], b[index]]), grad)
        assert values.value[index] == pytest.approx(value, rel=1e-12)
        assert (values.grad_w[index], values.grad_b[index]) == pytest.approx(grad, rel=1e-12)
        hessian = [
            [values.hess_ww[index], values.hess_wb[index]],
            [values.hess_wb[index], values.hess_bb[index]],
        ]
        assert np.allclose(hessian, hessian_by_hand(formula, w[index], b[index]), rtol=1e-5)


def test_cross_entropy_hessian_is_the_textbook_one(small):
    # mean_i sigma'(s_i) [x_i, 1][x_i, 1]^T at every grid point
    W, B = np.meshgrid(small.w, small.b)
    values = grid_values(LINE_X, LINE_RED, loss_for("cross-entropy", "logistic"), W, B)
    slope = sigmoid(W[..., None] * LINE_X + B[..., None])
    weight = slope * (1 - slope)
    assert np.allclose(values.hess_ww, np.mean(weight * LINE_X**2, axis=-1), rtol=1e-6)
    assert np.allclose(values.hess_wb, np.mean(weight * LINE_X, axis=-1), rtol=1e-6)
    assert np.allclose(values.hess_bb, np.mean(weight, axis=-1), rtol=1e-6)


def test_landscape_figure_has_titles_labels_legends_and_the_loss_colours(small):
    fig = landscape_figure(small)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 5
    for ax in panels:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert ax.get_legend() is not None
    slice_ce, surface_ce, slice_mse, surface_mse, per_epoch = panels
    assert "convex" in surface_ce.get_title() and "not convex" not in surface_ce.get_title()
    assert "not convex" in surface_mse.get_title()
    for ax, color, other in (
        (slice_ce, BLUE, VERMILLION),
        (surface_ce, BLUE, VERMILLION),
        (slice_mse, VERMILLION, BLUE),
        (surface_mse, VERMILLION, BLUE),
    ):
        colours = [line.get_color() for line in ax.get_lines()]
        assert color in colours and other not in colours
    colours = [line.get_color() for line in per_epoch.get_lines()]
    assert colours == [BLUE, VERMILLION]


def test_a_diverging_step_is_refused(tmp_path):
    result = invoke("landscape", "--lr", "1e6", "--out", tmp_path / "run")
    default = 1 / (0.25 * np.linalg.eigvalsh(gram_of_line())[-1])
    assert_error(
        result,
        "gradient descent on cross-entropy diverged with learning rate 1e+06; use a smaller "
        f"--lr (the default, {default:.3g}, is safe for both losses)",
    )
    assert not (tmp_path / "run").exists()


def gram_of_line() -> np.ndarray:
    """[x 1]^T [x 1] / n for datasets/line.csv, from the file itself."""
    rows = (ROOT / "datasets" / "line.csv").read_text(encoding="utf-8").splitlines()[1:]
    x = np.array([float(row.split(",")[0]) for row in rows])
    design = np.column_stack([x, np.ones_like(x)])
    return design.T @ design / x.size


def test_target_picks_the_label_column_of_a_csv(tmp_path):
    csv = tmp_path / "flipped.csv"
    lines = (ROOT / "datasets" / "line.csv").read_text(encoding="utf-8").splitlines()
    # the label first, the feature last: without --target the last column would be the label
    csv.write_text(
        "\n".join(",".join(reversed(line.split(","))) for line in lines) + "\n", encoding="utf-8"
    )
    out = tmp_path / "run"
    result = invoke("landscape", "--data", csv, "--target", "color", "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "landscape.json").read_text(encoding="utf-8"))
    assert (data["feature"], data["classes"]) == ("x", ["green", "red"])


def test_one_feature_data_reads_decimal_commas_when_told(tmp_path):
    path = tmp_path / "heights.csv"
    path.write_text("height;label\n171,5;0\n168,25;1\n180;0\n175,75;1\n", encoding="utf-8")
    data = one_feature_data(str(path), decimal=",")
    np.testing.assert_array_equal(data.x, [171.5, 168.25, 180.0, 175.75])
