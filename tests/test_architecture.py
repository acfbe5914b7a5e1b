"""The package's shape: imports point one way between the layers, the core needs only NumPy,
and the commands that need neither scikit-learn nor matplotlib do not import them."""

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cetrain"

# The layer of each top-level name in the package, and the layers each may import. Data flows
# cli -> runs -> data / estimators -> core; plots and teach only read results.
ALLOWED = {
    "errors": set(),
    "core": {"errors"},
    "data": {"errors", "core"},
    "estimators": {"errors", "core", "data"},
    "plots": {"errors", "core", "estimators"},
    "runs": {"errors", "core", "data", "estimators", "plots"},
    "teach": {"errors", "core", "data", "plots"},
    # the live page: the runs' numbers, served (no figures: it draws in the browser)
    "playground": {"errors", "core", "data", "estimators", "runs"},
    "cli": {"errors", "core", "data", "estimators", "plots", "runs", "teach", "playground"},
    "losses": {"core"},  # the public alias of cetrain.core.losses
    "__init__": {"estimators", "runs"},  # the public names, loaded on first use
    "__main__": {"cli"},
}
# Third-party packages a layer may import (the standard library is always allowed).
THIRD_PARTY = {
    "errors": {"sklearn"},  # ConvergenceWarning, made on first use
    "core": {"numpy"},
    "data": {"numpy", "sklearn"},
    "estimators": {"numpy", "sklearn", "threadpoolctl"},  # scikit-learn's dependency
    "plots": {"numpy", "matplotlib"},
    "runs": {"numpy", "sklearn"},  # evaluation's metrics
    "teach": {"numpy"},
    "playground": {"numpy"},
    "cli": {"click"},
    "losses": set(),
    "__init__": set(),
    "__main__": set(),
}
FIGURE_MODULES = {"teach/landscape_figure.py", "teach/saturation_figure.py"}


def layer(path: Path) -> str:
    """The layer of a module file: its sub-package, or its own name at the top level."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported(path: Path) -> set[str]:
    """Every module a file imports when it runs, at its top or inside a function, as dotted
    names (imports for type checkers only, under `if TYPE_CHECKING:`, are left out)."""
    names = set()
    for node in ast.walk(_without_type_checking(ast.parse(path.read_text(encoding="utf-8")))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: a relative import, which this test cannot follow"
            names.add(node.module)
            if node.module == "cetrain":  # from cetrain import plots, estimators, ...
                names.update(f"cetrain.{alias.name}" for alias in node.names)
    return names


def _without_type_checking(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            node.body = [ast.Pass()]
    return tree


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "csvs" not in p.parts)


def test_every_module_belongs_to_a_layer():
    assert {layer(path) for path in MODULES} == set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path):
    own = layer(path)
    stdlib = sys.stdlib_module_names
    for name in imported(path):
        top = name.split(".")[0]
        if top == "cetrain":
            parts = name.split(".")
            if len(parts) == 1 or parts[1].startswith("__"):
                continue  # `from cetrain import __version__`
            target = parts[1]
            assert target == own or target in ALLOWED[own], f"{path.name} imports {name}"
        elif top not in stdlib:
            allowed = THIRD_PARTY[own]
            if str(path.relative_to(PACKAGE)) in FIGURE_MODULES:
                allowed = allowed | {"matplotlib"}  # the teaching figures
            assert top in allowed, f"{path.name} imports {name}"


def modules_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `code`, beyond
    those it imports on its own at start-up."""
    script = (
        "import sys, json\n"
        "before = {m.split('.')[0] for m in sys.modules}\n"
        f"{code}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} - before)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def cli_code(*args: str) -> str:
    """Run `cetrain ARGS` in this process, its output swallowed."""
    return (
        "import contextlib, io\n"
        "from cetrain.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli.main({list(args)!r}, prog_name='cetrain', standalone_mode=False)\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["train", "--help"],
        ["loss", "--target", "1", "--probs", "0.2,0.7,0.1", "--focal-gamma", "1"],
        ["gradcheck"],
        ["report", "--help"],
    ],
    ids=" ".join,
)
def test_commands_that_need_no_heavy_library_start_without_it(args):
    loaded = modules_after(cli_code(*args))
    assert "click" in loaded  # the command did run
    assert not loaded & {"sklearn", "matplotlib", "scipy", "pandas"}


def test_a_report_reads_its_folder_without_a_heavy_library(tmp_path):
    (tmp_path / "metrics.json").write_text('{"train": {"accuracy": 0.5}}', encoding="utf-8")
    shutil.copy(PACKAGE.parent / "docs" / "images" / "quickstart-loss-curve.png", tmp_path)
    loaded = modules_after(cli_code("report", str(tmp_path)))
    assert (tmp_path / "report.html").is_file()
    assert not loaded & {"sklearn", "matplotlib", "scipy", "pandas"}


def test_the_core_imports_only_numpy():
    loaded = modules_after(
        "import cetrain.core, cetrain.core.links, cetrain.core.losses, cetrain.core.heads, "
        "cetrain.core.objective, cetrain.core.optim, cetrain.core.params"
    )
    assert "numpy" in loaded
    outside = loaded - set(sys.stdlib_module_names) - {"cetrain", "numpy"}
    # an editable install's path finder is loaded for any package of it
    assert {name for name in outside if not name.startswith("__editable__")} == set()


def test_a_training_run_imports_only_what_it_needs(tmp_path):
    loaded = modules_after(
        cli_code("train", "--data", "line", "--out", str(tmp_path / "run"), "--quiet")
        + "import cetrain.teach, sys\n"
        "assert 'matplotlib.animation' not in sys.modules, 'animation without --animate'\n"
        "assert 'cetrain.teach.landscape_figure' not in sys.modules\n"
    )
    assert (tmp_path / "run" / "model.json").is_file()
    assert {"sklearn", "matplotlib"} <= loaded


def test_predict_imports_no_plotting_library(tmp_path):
    """Scoring rows needs the estimators (scikit-learn's base classes), never matplotlib."""
    model = Path(__file__).resolve().parent / "fixtures" / "models" / "species-categorical.json"
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "wing_mm,bill_mm,tail_mm,mass_g,site\n60.4,10.0,52.0,14.6,marsh\n", encoding="utf-8"
    )
    loaded = modules_after(cli_code("predict", str(model), str(rows)))
    assert "sklearn" in loaded  # the estimators were loaded: the command did run
    assert "matplotlib" not in loaded
