"""Remake the pictures of README.md and docs/teaching.md: python docs/make_images.py

Every picture is a file that a cetrain command writes, from the configs in configs/ or the
commands' defaults, so it is exactly what a user of those commands sees.
"""

import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner

from cetrain.cli import cli

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"

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


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for index, (image, (arguments, written)) in enumerate(PICTURES.items()):
            out = Path(tmp) / str(index)
            result = CliRunner().invoke(cli, [*arguments, "--out", str(out)])
            if result.exit_code != 0:
                raise SystemExit(f"cetrain {' '.join(arguments)} failed:\n{result.output}")
            shutil.copyfile(out / written, IMAGES / image)
            print(f"docs/images/{image}")


if __name__ == "__main__":
    main()
