"""Output folders, written all at once or not at all: staging, JSON, figures and GIFs.

Files are written into a hidden temporary folder beside the destination, which is then renamed
into place: a folder is either complete or absent, and an existing one is never replaced.
Figures are PNG unless another format (svg, pdf) is asked for.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import shutil
import stat
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
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
# Staging names keep at most this much of the destination's name (see _staging_path), and the
# run folder's path leaves room for the longest name written inside it.
STAGING_NAME_KEPT = 64
STAGING_NAME = re.compile(r"\..*\.tmp-(\d+)-[0-9a-f]{8}", re.DOTALL)
INNER_NAME_ROOM = 64
# The file a run holds in its run folder from the start of training until the folder is
# written ("<pid> <token>"): a second run with the same --out finds the folder taken. It is
# removed before the folder is written, so it is never part of a finished run folder.
RUN_MARKER = ".cetrain-run"
_HELD: dict[str, str] = {}  # run folder (absolute) -> the marker's text, for those held here


def default_run_dir(dataset: str, model: str, root: str | Path = "runs") -> Path:
    """runs/<timestamp>-<dataset>-<model>, with -2, -3, ... appended if that already exists;
    the dataset's name is cut short so that the whole fits in the file system's NAME_MAX."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe_name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in dataset)
    names = _numbered(Path(root), f"{stamp}-{safe_name}", f"-{model}")
    return next(candidate for candidate in names if not os.path.lexists(candidate))


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


def check_run_dir(path: str | Path, *, replace: bool = False) -> Path:
    """Refuse a destination that cannot be written, before anything is computed: one that
    holds anything (a run never overwrites what is there, unless `replace`: --force), a file,
    a symbolic link, a folder that is not writable, a name with a NUL byte or longer than the
    file system allows, or one that cannot be created because a file stands where one of its
    parent folders would be."""
    path = Path(_check_path_text(path))
    if path.name in ("", ".."):  # ".", "..", "/": a folder cannot be renamed onto these
        raise RunFolderError(
            f"the run folder '{path}' names the current folder, a parent or the root; "
            "give a new folder's name as --out (e.g. runs/moons)"
        )
    _check_length(path, INNER_NAME_ROOM)
    ancestor = _existing_ancestor(path.parent)
    if ancestor is not None:
        if not ancestor.is_dir():
            raise RunFolderError(
                f"cannot create the run folder '{path}': '{ancestor}' is a file, not a folder"
            )
        if not _writable(ancestor):
            raise RunFolderError(
                f"cannot create the run folder '{path}': the folder '{ancestor}' is not writable"
            )
    if path.is_symlink():
        target = os.readlink(path)
        missing = "" if path.exists() else ", which does not exist"
        raise RunFolderError(
            f"the run folder '{path}' is a symbolic link to '{target}'{missing}; "
            "give a folder that is not a link as --out"
        )
    if path.exists() and not path.is_dir():
        raise RunFolderError(
            f"the run folder '{path}' already exists as a file; choose a new --out or remove it"
        )
    if path.is_dir() and not _writable(path):
        raise RunFolderError(
            f"the run folder '{path}' is not writable; make it writable (chmod u+w) "
            "or choose a new --out"
        )
    owner = _owner(path) if path.is_dir() else None
    if owner is not None:
        raise RunFolderError(_in_use(path, owner))
    if path.is_dir() and not replace and any(e.name != RUN_MARKER for e in path.iterdir()):
        raise RunFolderError(
            f"the run folder '{path}' already exists and is not empty; "
            "choose a new --out or remove it"
        )
    return path


def reserve_beside(path: Path, suffix: str) -> Path:
    """A new empty folder <path>-<suffix> beside `path` (-2, -3, ... appended when taken),
    created at once with os.mkdir. `path`'s name is cut short when the whole would not fit in
    the file system's NAME_MAX."""
    for candidate in _numbered(path.parent, path.name, f"-{suffix}"):  # never runs out
        with suppress(FileExistsError):
            os.mkdir(candidate)
            return candidate


def _numbered(folder: Path, name: str, tail: str) -> Iterator[Path]:
    """folder/<name><tail>, then <name><tail>-2, -3, ...: `name` cut short (from its end) so
    that each fits in the file system's NAME_MAX."""
    ancestor = _existing_ancestor(folder) or Path(".")
    name_max = _pathconf(ancestor if ancestor.is_dir() else ancestor.parent, "PC_NAME_MAX", 255)
    for counter in itertools.count(1):
        end = tail + (f"-{counter}" if counter > 1 else "")
        yield folder / (_cut(name, name_max - len(os.fsencode(end))) + end)


def _cut(name: str, size: int) -> str:
    """`name` cut to at most `size` bytes (as the file system stores it), whole characters."""
    while len(os.fsencode(name)) > size:
        name = name[:-1]
    return name


def reserve_out(path: str | Path, *, replace: bool = False) -> bool:
    """Take the run folder `path` (checked by check_run_dir) when the run starts: create it
    empty with os.mkdir, which is atomic, and put the run's marker (RUN_MARKER) in it, which
    only one run can do, so that another run with the same --out is refused before it trains.
    Returns whether the folder was created here (and so is to be removed again if the run
    ends without writing it: give_back); an empty folder that was already there, or (with
    `replace`) any folder, is used as it is. Stale staging folders of killed runs beside it
    are removed first."""
    path = check_run_dir(path, replace=replace)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(path.parent)
    try:
        os.mkdir(path)
    except FileExistsError:
        _take(path)
        try:
            check_run_dir(path, replace=replace)  # someone else may have filled it meanwhile
        except BaseException:
            _drop(path)
            raise
        return False
    _take(path)
    return True


def give_back(path: Path, created: bool) -> None:
    """The run ends without writing `path`: remove its marker, and the folder itself if it
    was created here (reserve_out) and is empty."""
    _drop(path)
    if created and path.is_dir() and not any(path.iterdir()):
        path.rmdir()


def holds_files(path: Path) -> bool:
    """`path` holds anything besides a run's marker."""
    return any(entry.name != RUN_MARKER for entry in path.iterdir())


def _in_use(path: Path, pid: int) -> str:
    return (
        f"the run folder '{path}' is being written by another cetrain run (process {pid}); "
        "choose another --out"
    )


def _take(path: Path) -> None:
    """Put this run's marker in the folder `path`, or refuse (RunFolderError) if a running
    process holds it. A marker whose process is gone (a killed run) is stale and taken over.
    The marker is written beside and linked into place, so it is never seen half-written."""
    marker = path / RUN_MARKER
    text = f"{os.getpid()} {uuid.uuid4().hex}\n"
    staging = _staging_path(marker)
    staging.write_text(text, encoding="utf-8")
    try:
        for _ in range(3):
            try:
                os.link(staging, marker)  # refuses a marker already there
            except FileExistsError:
                old = _read(marker)
                pid = _pid(old)
                if pid is not None and _running(pid):
                    raise RunFolderError(_in_use(path, pid)) from None
                # Still the stale one: take it over. (Two runs taking over the same stale
                # marker at the same instant could both succeed; a killed run's folder is
                # rarely reused by two runs at once, and then only one rename succeeds.)
                if _read(marker) == old:
                    marker.unlink(missing_ok=True)
                continue
            _HELD[os.path.abspath(path)] = text
            return
        raise RunFolderError(_in_use(path, pid or 0))
    finally:
        staging.unlink(missing_ok=True)


def _drop(path: Path) -> None:
    """Remove this run's marker from `path` (if it holds one there)."""
    text = _HELD.pop(os.path.abspath(path), None)
    marker = path / RUN_MARKER
    if text is not None and _read(marker) == text:
        marker.unlink(missing_ok=True)


def _owner(path: Path) -> int | None:
    """The process id of another running cetrain run holding the folder `path`, if any."""
    text = _read(path / RUN_MARKER)
    if text is None or _HELD.get(os.path.abspath(path)) == text:
        return None
    pid = _pid(text)
    return pid if pid is not None and _running(pid) else None


def _read(marker: Path) -> str | None:
    try:
        return marker.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _pid(text: str | None) -> int | None:
    try:
        return int(text.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None


def _check_path_text(path: str | Path) -> str:
    """The path as text, refused if it holds a NUL byte (possible from a config file or from
    Python, not from a command line)."""
    text = os.fspath(path)
    if "\0" in text:
        raise RunFolderError(
            f"--out {text!r} contains a NUL byte, which no file name can hold; choose another "
            "--out (`out` in a config file)"
        )
    return text


def _check_length(path: Path, room: int = 0) -> None:
    """Each name in `path` within the file system's NAME_MAX, and the whole, with `room` for
    the names written inside it, within PATH_MAX."""
    ancestor = _existing_ancestor(path) or Path(".")
    folder = ancestor if ancestor.is_dir() else ancestor.parent
    name_max = _pathconf(folder, "PC_NAME_MAX", 255)
    path_max = _pathconf(folder, "PC_PATH_MAX", 4096)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            shown = part if len(part) <= 40 else part[:20] + "..." + part[-10:]
            raise RunFolderError(
                f"the name '{shown}' in --out is {size} bytes long; the file system allows at "
                f"most {name_max}: choose a shorter --out"
            )
    size = len(os.fsencode(os.path.abspath(path)))
    if size + room >= path_max:
        raise RunFolderError(
            f"--out is {size} bytes long as an absolute path; the file system allows at most "
            f"{path_max - 1 - room} here: choose a shorter --out"
        )


def _pathconf(folder: Path, name: str, fallback: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError):
        return fallback


def _existing_ancestor(path: Path) -> Path | None:
    """`path` itself if it exists (a link counts), else its nearest existing parent."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return None


def _writable(folder: Path) -> bool:
    """The folder can be written into: by this user, and its owner's write bit is set (root
    may write anywhere, but a folder made read-only is left alone for root too)."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK) and bool(mode & stat.S_IWUSR)


@contextmanager
def staged_folder(
    out: str | Path,
    *,
    replace: bool = False,
    commit: Callable[[], AbstractContextManager] | None = None,
) -> Iterator[Path]:
    """Write a folder all at once: yield a hidden staging folder beside `out`, then rename it
    to `out` when the block ends normally, or remove it when it raises.

    `out` must not exist or be empty (check_run_dir), so nothing the user had is replaced;
    with `replace` (--force), a folder already at `out` is replaced, but only once the new
    one is complete: it is moved aside, the new one renamed into place, then the old one
    removed. An empty folder that is replaced keeps its permissions.

    `commit()`, if given, is a context in which the folder is put in place (the rename, and
    the removal of the folder replaced): the CLI holds signals there, so that a folder in
    place is never reported as not written and an old one never left half removed.
    """
    out = check_run_dir(out, replace=replace)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out.parent)
    staging = _staging_path(out)
    staging.mkdir()
    try:
        yield staging
        with commit() if commit is not None else nullcontext():
            if out.is_dir():
                os.chmod(staging, stat.S_IMODE(out.stat().st_mode))
            _drop(out)  # this run's marker, if any: the folder must be empty to be renamed onto
            if replace and out.is_dir() and any(out.iterdir()):
                _swap_in(staging, out)
            else:
                # POSIX rename replaces an empty folder atomically and refuses a non-empty
                # one, so a folder filled meanwhile by someone else is not lost either.
                os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, out: Path) -> None:
    """Put the complete folder `staging` at `out` in place of the folder there: the old one
    is renamed aside (under a staging name, so that if this process is killed it is recognised
    and removed as debris), then removed once the new one is in place."""
    old = _staging_path(out)
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)  # put it back: the user's folder is not lost
        raise
    shutil.rmtree(old, ignore_errors=True)


def check_new_file(path: str | Path) -> Path:
    """Refuse a file that exists (nothing the user had is replaced), whose folder does not, or
    whose name the file system cannot hold."""
    path = Path(_check_path_text(path))
    _check_length(path)
    if os.path.lexists(path):
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
    path.write_text(
        json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )


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
    in place (link or rename); whatever is left of it is removed when the block ends (and
    what killed processes left beside it before)."""
    remove_stale_staging(path.parent)
    staging = _staging_path(path)
    try:
        with staging.open("x", encoding="utf-8", newline="") as handle:  # "x": a new file
            write(handle)
        yield staging
    finally:
        staging.unlink(missing_ok=True)


def _staging_path(path: Path) -> Path:
    """The hidden name beside `path` under which it is written before it is put in place:
    .<name>.tmp-<pid>-<random>, the name cut short so that it fits where `path` fits; the
    process id tells the debris of a killed run (remove_stale_staging)."""
    name = path.name if len(path.name) <= STAGING_NAME_KEPT else path.name[:STAGING_NAME_KEPT]
    return path.parent / f".{name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove the staging files and folders in `folder` (see _staging_path) left by processes
    that are no longer running (killed with SIGKILL, or by a power cut), and return them.
    Those of running processes are theirs, and are left alone."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = STAGING_NAME.fullmatch(entry.name)
        if match is None or _running(int(match.group(1))):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or not a pid): not ours to judge
    return True


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


def json_ready(value):
    """`value` as strict JSON takes it: NumPy arrays as lists, NumPy numbers as Python ones,
    and every non-finite float, however deeply nested in dicts, lists and tuples, as None."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            return json_ready(value.tolist())
        return value.tolist()
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
