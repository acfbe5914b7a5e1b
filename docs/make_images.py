"""Remake the pictures of README.md and docs/teaching.md: python docs/make_images.py

Every picture is a file that a cetrain command writes, from the configs in configs/ or the
commands' defaults, so it is exactly what a user of those commands sees. Beside each picture
NAME.png it writes NAME.json: the command, the picture's SHA-256, and what the figure shows
(`figure_data`: its texts, axis scales, and the data of its lines, points, bars, images and
contours, rounded to 4 significant digits), so that tests/test_docs.py can tell a stale picture
from a current one by the figure's data, whatever the machine renders.
"""

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from matplotlib.figure import Figure

from cetrain.cli import cli

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SAMPLES = 40  # points kept of each line or point cloud: enough to tell one from another

# image name -> (cetrain arguments, the file the command writes)
PICTURES = {
    "quickstart-decision-boundary.png": (
        ["train", "configs/quickstart.toml"],
        "decision_boundary.png",
    ),
    "quickstart-loss-curve.png": (["train", "configs/quickstart.toml"], "loss_curve.png"),
    "line-decision-boundary.png": (["train", "configs/line.toml"], "decision_boundary.png"),
    "iris-decision-boundary.png": (
        ["train", "configs/iris-softmax.toml"],
        "decision_boundary.png",
    ),
    "saturation.png": (["saturation"], "saturation.png"),
    "landscape.png": (["landscape"], "landscape.png"),
    "moons-comparison.png": (
        ["compare", "configs/quickstart.toml", "--losses", "cross-entropy,mse"],
        "comparison.png",
    ),
    "moons-calibration.png": (
        ["compare", "configs/quickstart.toml", "--losses", "cross-entropy,mse"],
        "calibration.png",
    ),
}


def figure_data(fig: Figure) -> dict:
    """What a figure shows, without how it looks: its texts, and per axes the scales, texts and
    the data of each line, point cloud, bar, image and contour set (sampled, rounded)."""
    return {
        "texts": _texts(fig),
        "axes": [_axes_data(ax) for ax in fig.axes],
    }


def _axes_data(ax) -> dict:
    from matplotlib.collections import PathCollection, QuadMesh
    from matplotlib.contour import ContourSet
    from matplotlib.patches import Rectangle

    legend = ax.get_legend()
    data = {
        "title": [ax.get_title(loc) for loc in ("left", "center", "right") if ax.get_title(loc)],
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "scale": [ax.get_xscale(), ax.get_yscale()],
        "texts": _texts(ax),
        "legend": [text.get_text() for text in legend.get_texts()] if legend else [],
        "lines": [_sample(line.get_xydata()) for line in ax.get_lines()],
        "points": [],
        "contours": [],
        "meshes": [],
    }
    for collection in ax.collections:
        if isinstance(collection, ContourSet):
            data["contours"].append(_rounded(collection.levels))
        elif isinstance(collection, QuadMesh):
            data["meshes"].append(_summary(collection.get_array()))
        elif isinstance(collection, PathCollection):
            points = {"xy": _sample(collection.get_offsets())}
            sizes = np.asarray(collection.get_sizes())
            if sizes.size > 1 and np.ptp(sizes) > 0:  # sizes that carry data (--show-loss)
                points["sizes"] = _sample(sizes)
            data["points"].append(points)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    if bars:
        data["bars"] = _sample(
            [[p.get_x(), p.get_y(), p.get_width(), p.get_height()] for p in bars]
        )
    if ax.images:
        data["images"] = [_summary(image.get_array()) for image in ax.images]
    return data


def _texts(artist) -> list[str]:
    """The visible texts drawn directly on a figure (its suptitle too) or axes (not tick
    labels)."""
    return [text.get_text() for text in artist.texts if text.get_visible() and text.get_text()]


def _sample(values) -> dict:
    """The number of values and SAMPLES of them, evenly spaced, rounded."""
    array = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)
    keep = np.unique(np.linspace(0, len(array) - 1, min(len(array), SAMPLES)).round().astype(int))
    return {"n": len(array), "values": _rounded(array[keep]) if len(array) else []}


def _summary(array) -> dict:
    """An image's or mesh's shape and the mean, minimum and maximum of its values."""
    array = np.ma.asarray(array, dtype=float)
    return {
        "shape": list(array.shape),
        "mean": _rounded(array.mean()),
        "min": _rounded(array.min()),
        "max": _rounded(array.max()),
    }


def _rounded(values):
    """Floats rounded to 4 significant digits (NaN as None), nested lists kept."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        value = float(array)
        return None if not np.isfinite(value) else float(f"{value:.4g}")
    return [_rounded(item) for item in array]


@contextmanager
def recorded_figures(render: bool) -> Iterator[dict[str, dict]]:
    """While inside, every figure a command saves is recorded, by file name, as its
    `figure_data`; with render=False it is not drawn or written (fast, for the tests)."""
    recorded: dict[str, dict] = {}
    original = Figure.savefig

    def savefig(fig, target, *args, **kwargs):
        if isinstance(target, str | os.PathLike):
            recorded[Path(target).name] = figure_data(fig)
            if not render:
                return None
        return original(fig, target, *args, **kwargs)

    Figure.savefig = savefig
    try:
        yield recorded
    finally:
        Figure.savefig = original


def make(folder: Path, render: bool = True) -> dict[str, dict]:
    """Run each command of PICTURES once, with its run folder under `folder`, and return each
    picture's figure data (the pictures are in the run folders when render is true)."""
    commands = {tuple(arguments) for arguments, _ in PICTURES.values()}
    written = {}
    here = Path.cwd()
    os.chdir(ROOT)  # the commands name configs/ files
    try:
        for index, arguments in enumerate(sorted(commands)):
            out = folder / str(index)
            with recorded_figures(render) as recorded:
                result = CliRunner().invoke(cli, [*arguments, "--out", str(out)])
            if result.exit_code != 0:
                raise SystemExit(f"cetrain {' '.join(arguments)} failed:\n{result.output}")
            written[arguments] = (out, recorded)
    finally:
        os.chdir(here)
    data = {}
    for image, (arguments, file) in PICTURES.items():
        out, recorded = written[tuple(arguments)]
        data[image] = {
            "command": " ".join(["cetrain", *arguments]),
            "file": file,
            "figure": recorded[file],
        }
        if render:
            data[image]["path"] = out / file
    return data


def _numbers_on_one_line(text: str) -> str:
    """JSON with each list of numbers on one line, so that a picture's file stays short."""
    return re.sub(
        r"\[\s+([-+\d.eE,\snul]+?)\s+\]",
        lambda found: "[" + ", ".join(item.strip() for item in found.group(1).split(",")) + "]",
        text,
    )


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for image, data in make(Path(tmp)).items():
            shutil.copyfile(data.pop("path"), IMAGES / image)
            digest = hashlib.sha256((IMAGES / image).read_bytes()).hexdigest()
            record = {"command": data["command"], "file": data["file"], "sha256": digest}
            record["figure"] = data["figure"]
            text = _numbers_on_one_line(json.dumps(record, indent=1, allow_nan=False)) + "\n"
            (IMAGES / image).with_suffix(".json").write_text(text, encoding="utf-8")
            print(f"docs/images/{image}", file=sys.stdout)


if __name__ == "__main__":
    main()
