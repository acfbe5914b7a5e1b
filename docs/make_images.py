"""Remake the README's pictures from the quickstart run: python docs/make_images.py"""

import shutil
import tempfile
from pathlib import Path

from cetrain.config import read_config, resolve_settings
from cetrain.runs import write_run
from cetrain.train import train

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def main() -> None:
    settings = resolve_settings(read_config(ROOT / "configs" / "quickstart.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        run = write_run(train(settings), Path(tmp) / "run")
        IMAGES.mkdir(parents=True, exist_ok=True)
        for name in ("decision_boundary", "loss_curve"):
            target = IMAGES / f"quickstart-{name.replace('_', '-')}.png"
            shutil.copyfile(run / f"{name}.png", target)
            print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()
