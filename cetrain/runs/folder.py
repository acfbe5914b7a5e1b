"""Output folders, written all at once or not at all: staging, JSON, figures and GIFs.

Files are written into a hidden temporary folder beside the destination, which is then renamed
into place: a folder is either complete or absent, and an existing one is never replaced.
Figures are PNG unless another format (svg, pdf) is asked for.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from cetrain.errors import ConfigError, RunFolderError, UndrawableText

if TYPE_CHECKING:  # matplotlib is imported by whoever draws the figure, not here
    from matplotlib.animation import FuncAnimation
    from matplotlib.figure import Figure

FIGURE_FORMATS = ("png", "svg", "pdf")
FIGURE_DPI = 150
MAX_GIF_BYTES = 5_000_000
# (frames, dpi) to try in turn until the GIF fits in MAX_GIF_BYTES
GIF_SETTINGS = ((40, 72), (25, 60), (12, 48))
GIF_SECONDS = 6.0


def default_run_dir(dataset: str, model: str, root: str | Path = "runs") -> Path:
    """runs/<timestamp>-<dataset>-<model>, with -2, -3, ... appended if that already exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe_name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in dataset)
    base = Path(root) / f"{stamp}-{safe_name}-{model}"
    candidate, counter = base, 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-{counter}")
        counter += 1
    return candidate


def reserve_run_dir(dataset: str, model: str, root: str | Path = "runs") -> Path:
    """default_run_dir's folder, created empty at once. os.mkdir is atomic, so runs that end in
    the same second, started together, each get a folder of their own (-2, -3, ...)."""
    Path(root).mkdir(parents=True, exist_ok=True)
    while True:
        candidate = default_run_dir(dataset, model, root)
        try:
            os.mkdir(candidate)
        except FileExistsError:
            continue  # another run took the name between the look and the mkdir
        return candidate


def check_run_dir(path: str | Path) -> Path:
    """Refuse a destination that holds anything (a run never overwrites what is there), or one
    that cannot be created because a file stands where one of its parent folders would be."""
    path = Path(path)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunFolderError(
                    f"cannot create the run folder '{path}': '{parent}' is a file, not a folder"
                )
            break
    if path.exists() and not path.is_dir():
        raise RunFolderError(
            f"the run folder '{path}' already exists as a file; choose a new --out or remove it"
        )
    if path.is_dir() and any(path.iterdir()):
        raise RunFolderError(
            f"the run folder '{path}' already exists and is not empty; "
            "choose a new --out or remove it"
        )
    return path


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """Write a folder all at once: yield a hidden staging folder beside `out`, then rename it
    to `out` when the block ends normally, or remove it when it raises.

    `out` must not exist or be empty (check_run_dir), so nothing the user had is replaced.
    """
    out = check_run_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_path(out)
    staging.mkdir()
    try:
        yield staging
        # POSIX rename replaces an empty folder atomically and refuses a non-empty one, so a
        # folder filled meanwhile by someone else is not lost either.
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_new_file(path: str | Path) -> Path:
    """Refuse a file that exists (nothing the user had is replaced) or whose folder does not."""
    path = Path(path)
    if path.exists():
        raise RunFolderError(f"'{path}' already exists; choose a new --out or remove it")
    if not path.parent.is_dir():
        raise RunFolderError(f"cannot write '{path}': the folder '{path.parent}' does not exist")
    return path


def write_new_file(path: str | Path, write: Callable[[TextIO], None]) -> Path:
    """Write a file all at once with write(handle): into a hidden file beside it, then linked
    into place, which fails if `path` exists meanwhile, so nothing the user had is replaced."""
    path = check_new_file(path)
    with _staged_file(path, write) as staging:
        try:
            os.link(staging, path)  # unlike rename, refuses to replace a file that appeared
        except FileExistsError:
            raise RunFolderError(
                f"'{path}' already exists; choose a new --out or remove it"
            ) from None
    return path


def save_figure(fig: Figure, folder: Path, stem: str, fmt: str = "png") -> Path:
    """Save `fig` as folder/stem.fmt (png at FIGURE_DPI, or svg or pdf) and return the path."""
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"unknown figure format {fmt!r}; use one of: {', '.join(FIGURE_FORMATS)}")
    path = folder / f"{stem}.{fmt}"
    from cetrain.plots.style import fit_fonts

    undrawable = fit_fonts(fig)
    with warnings.catch_warnings():  # said once, by the labels, below
        warnings.filterwarnings("ignore", r"Glyph \d+ .*missing from", UserWarning)
        fig.savefig(path, format=fmt, dpi=FIGURE_DPI)
    if undrawable:
        warnings.warn(UndrawableText(undrawable), stacklevel=2)
    return path


def write_json(path: Path, data: dict) -> None:
    """Strict JSON (non-finite floats become null), indented, with a final newline."""
    path.write_text(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_text_atomically(path: Path, text: str) -> Path:
    """Write `text` to `path` at once: into a new hidden file beside it, then renamed onto it.
    A reader sees the old file or the new one, never half of one; only `path` itself is
    replaced (a link at `path` is replaced, not what it points to)."""
    with _staged_file(path, lambda handle: handle.write(text)) as staging:
        os.replace(staging, path)
    return path


@contextmanager
def _staged_file(path: Path, write: Callable[[TextIO], object]) -> Iterator[Path]:
    """A new hidden file beside `path` holding what write(handle) wrote, for the caller to put
    in place (link or rename); whatever is left of it is removed when the block ends."""
    staging = _staging_path(path)
    try:
        with staging.open("x", encoding="utf-8", newline="") as handle:  # "x": a new file
            write(handle)
        yield staging
    finally:
        staging.unlink(missing_ok=True)


def _staging_path(path: Path) -> Path:
    """The hidden name beside `path` under which it is written before it is put in place."""
    return path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"


def frame_epochs(n_iter: int, n_frames: int) -> list[int]:
    """Epochs to draw in an animation: the first, the last, and log-spaced ones between them,
    since the boundary moves most in the first epochs."""
    if n_iter + 1 <= n_frames:
        return list(range(n_iter + 1))
    spaced = np.round(np.geomspace(1, n_iter + 1, n_frames)).astype(int) - 1
    return sorted({0, n_iter, *spaced.tolist()})


def nearest_recorded(recorded: list[int], epoch: int) -> int:
    """The recorded epoch closest to `epoch` (the earlier one on a tie)."""
    return min(recorded, key=lambda kept: (abs(kept - epoch), kept))


def save_gif(build: Callable[[list[int]], FuncAnimation], n_iter: int, path: Path) -> Path:
    """Write the animation that build(epochs) makes as a GIF of at most MAX_GIF_BYTES, with
    fewer frames and pixels while it is too large."""
    for n_frames, dpi in GIF_SETTINGS:
        epochs = frame_epochs(n_iter, n_frames)
        fps = max(2.0, len(epochs) / GIF_SECONDS)
        build(epochs).save(path, writer="pillow", fps=fps, dpi=dpi)
        if path.stat().st_size <= MAX_GIF_BYTES:
            return path
    path.unlink()
    raise RunFolderError(
        f"the animation does not fit in {MAX_GIF_BYTES / 1e6:g} MB even with "
        f"{GIF_SETTINGS[-1][0]} frames; run without --animate"
    )


def write_demo(out: str | Path, stem: str, figure: Figure, data: dict, fmt: str = "png") -> Path:
    """A demonstration's folder, written atomically: its figure, stem.<fmt>, and stem.json."""
    with staged_folder(out) as folder:
        save_figure(figure, folder, stem, fmt)
        write_json(folder / f"{stem}.json", data)
    return Path(out)


def _finite(value):
    """`value` with every non-finite float, however deeply nested in dicts, lists and tuples,
    replaced by None, so the file stays strict JSON."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
