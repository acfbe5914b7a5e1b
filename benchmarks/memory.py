"""How much memory a default fit needs beyond its X, as a fraction of X's size.

For each case this fits SoftmaxRegression with its default settings for 3 epochs (max_iter=3;
standardize=True unless the case says otherwise) on seeded random data (Gaussian features,
labels drawn from a random linear softmax model), and prints the peak resident memory of the
fit beyond X, in MB and as a fraction of X.nbytes:

  in-memory           X read whole into an ndarray (np.load)
  in-memory, no std   the same, standardize=False
  memmap              X memory-mapped from a .npy on disk (np.load(mmap_mode="r")), not read
                      before the fit: the pages of X the fit keeps count as its memory
  memmap, no std      the same, standardize=False

What is measured, and why. Each case runs in a fresh interpreter, so that one case's peak (and
the memory its allocator kept) cannot mix with another's. The parent writes X and y once, as
.npy files in a temporary folder, so the child loads them without the temporaries of making
them. The child then

  1. imports cetrain and fits a tiny problem once, so that lazily imported modules and BLAS's
     per-thread buffers are in place before the baseline (they are not the fit's memory);
  2. loads X and y. An in-memory X is wholly resident (anonymous memory) before the fit, so
     the fit reading it adds nothing to the resident set (RSS), and what it adds is its own.
     A memmap's pages are file-backed: they count toward RSS when touched, and stay until
     given back. It is left untouched, so its figure is the fit's own memory plus whatever
     pages of X the fit holds at its peak: reading X whole shows as 1.0 x X more. (The
     figures of issue 12 touched a memmap's every page first, which made it count as the
     in-memory X; a fit that gives the pages back would then end below its baseline.);
  3. resets the kernel's high-water mark of RSS (`echo 5 > /proc/self/clear_refs`), reads the
     current RSS (VmRSS in /proc/self/status) as the baseline, fits, and reads the new
     high-water mark (VmHWM). The peak beyond X is VmHWM - baseline.

Where clear_refs is not permitted, the baseline is the peak before the fit (VmHWM, which is
ru_maxrss of getrusage(RUSAGE_SELF)); as loading makes no temporaries of X's size, that is close
to the current RSS, and the table marks the row with "*". A copy of X (or of X as float64)
shows as 1.0 x X; the epoch's own buffers (scores and gradients of n x C) as C / d x X.

With --large, one more case streams from disk: X is written, a block at a time, to a .npy file
larger than a quarter of this machine's memory (0.3 of it, d = 50 columns) in a temporary folder
that is deleted afterwards, and the child fits it memory-mapped, untouched as above: the
baseline is the RSS after np.load(mmap_mode="r"), and the table gives the fit's peak RSS beyond
it next to X's size. Reading X whole would show as 1.0 x X; a fit that reads it block by block
holds a block of X and the arrays of n entries (labels, targets, the scores of one column).

The issue's figures (issue 12, 1M x 50 x 10, before the copy-free standardisation):
2.04 x X with standardize=True, 0.13 x X with standardize=False; the target is < 0.25 x X.
Run by hand, never in the tests (the full size needs about 1.5 GB of memory and a minute; the
large case, 0.3 x this machine's memory of disk and a few minutes):

    python benchmarks/memory.py            # 1,000,000 x 50, 10 classes
    python benchmarks/memory.py --quick    # 100,000 x 50, 10 classes, in seconds
    python benchmarks/memory.py --large    # and an X on disk of 0.3 x this machine's memory

The script measures the cetrain of the checkout it is in (its parent folder comes first on
sys.path), not another installed copy.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

# the cetrain of this checkout, whatever copy is installed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (label, memory-mapped, standardize); a memmap is not touched before the fit
CASES = [
    ("in-memory", False, True),
    ("in-memory, no std", False, False),
    ("memmap", True, True),
    ("memmap, no std", True, False),
]
FULL = (1_000_000, 50, 10)
QUICK = (100_000, 50, 10)
EPOCHS = 3
MB = 1e6
# --large: X's size as a share of this machine's memory (more than a quarter), its columns and
# classes, and the rows written per block
LARGE_SHARE = 0.3
LARGE_D, LARGE_K = 50, 10
WRITE_ROWS = 262_144


def status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS: current resident set, VmHWM: its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS; False when the kernel does not let us."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def make_data(folder: Path, n: int, d: int, k: int, seed: int = 0) -> tuple[Path, Path]:
    """Seeded Gaussian X (n, d) and labels from a random softmax model, saved as .npy files."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    scores = X @ rng.standard_normal((d, k))
    # argmax of scores + Gumbel noise samples a label from softmax(scores)
    y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
    x_path, y_path = folder / "X.npy", folder / "y.npy"
    np.save(x_path, X)
    np.save(y_path, y)
    return x_path, y_path


def make_large_data(folder: Path, n: int, d: int, k: int, seed: int = 0) -> tuple[Path, Path]:
    """As make_data, for an X too large to hold: written to the .npy file a block at a time."""
    rng = np.random.default_rng(seed)
    coef = rng.standard_normal((d, k))
    x_path, y_path = folder / "X.npy", folder / "y.npy"
    y = np.empty(n, dtype=np.int64)
    with open(x_path, "wb") as out:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float64))}
        header.update(fortran_order=False, shape=(n, d))
        np.lib.format.write_array_header_1_0(out, header)
        for start in range(0, n, WRITE_ROWS):
            X = rng.standard_normal((min(WRITE_ROWS, n - start), d))
            scores = X @ coef
            y[start : start + len(X)] = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
            X.tofile(out)
    np.save(y_path, y)
    return x_path, y_path


def total_memory() -> int:
    """This machine's memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def fit(X, y, standardize: bool) -> None:
    """A default fit, stopped after EPOCHS epochs (its not-converged warning is expected)."""
    from cetrain import SoftmaxRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SoftmaxRegression(max_iter=EPOCHS, standardize=standardize).fit(X, y)


def child(x_path: str, y_path: str, mmap: bool, standardize: bool) -> dict:
    """Run in a fresh interpreter: the fit's peak RSS beyond the RSS before it (see the
    docstring)."""
    rng = np.random.default_rng(1)
    fit(rng.standard_normal((1_000, 50)), rng.integers(0, 10, 1_000), standardize)

    X = np.load(x_path, mmap_mode="r" if mmap else None)
    y = np.load(y_path)
    exact = reset_peak()
    baseline = status_kib("VmRSS") if exact else status_kib("VmHWM")
    started = time.perf_counter()
    fit(X, y, standardize)
    seconds = time.perf_counter() - started
    peak = status_kib("VmHWM")
    return {
        "x_bytes": X.nbytes,
        "beyond_bytes": (peak - baseline) * 1024,
        "exact": exact,
        "seconds": seconds,
    }


def measure(x_path: Path, y_path: Path, mmap: bool, standardize: bool) -> dict:
    """One case, in a fresh interpreter, so that peaks of different cases never mix."""
    argv = [sys.executable, __file__, "--child", str(x_path), str(y_path)]
    argv += [str(int(mmap)), str(int(standardize))]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def machine() -> str:
    """The CPU, its count, the memory and NumPy's version, for the table's heading."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = total_memory() / 1e9
    return f"{cpu}, {os.cpu_count()} CPUs, {memory:.0f} GB, NumPy {np.__version__}"


def row(label: str, r: dict) -> str:
    """One line of the table."""
    mark = "" if r["exact"] else "*"
    return (
        f"{label:<20}{r['x_bytes'] / MB:>10.0f}{r['beyond_bytes'] / MB:>20.1f}{mark:1}"
        f"{r['beyond_bytes'] / r['x_bytes']:>13.2f} x{r['seconds']:>9.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} instead of {FULL}")
    parser.add_argument(
        "--large",
        action="store_true",
        help=f"also fit a memmap X on disk of {LARGE_SHARE} x this machine's memory",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        x_path, y_path, mmap, standardize = args.child
        print(json.dumps(child(x_path, y_path, mmap == "1", standardize == "1")))
        return

    n, d, k = QUICK if args.quick else FULL
    flags = "".join(f" --{name}" for name in ("quick", "large") if getattr(args, name))
    print(f"python benchmarks/memory.py{flags}")
    print(f"machine: {machine()}")
    print(f"SoftmaxRegression, default settings, max_iter={EPOCHS}; n={n:,}, d={d}, C={k}")
    print("target: < 0.25 x X (issue 12: 2.04 x X with standardize=True, 0.13 x X without)\n")
    header = f"{'case':<20}{'X (MB)':>10}{'peak beyond X (MB)':>21}{'fraction of X':>15}"
    print(header + f"{'fit (s)':>9}")
    with tempfile.TemporaryDirectory() as folder:
        x_path, y_path = make_data(Path(folder), n, d, k)
        for label, mmap, standardize in CASES:
            print(row(label, measure(x_path, y_path, mmap, standardize)))
    if args.large:
        large(d=LARGE_D, k=LARGE_K)


def large(d: int, k: int) -> None:
    """The --large case: a memmap X of LARGE_SHARE x this machine's memory, not touched before
    the fit, in a temporary folder deleted afterwards."""
    n = int(LARGE_SHARE * total_memory()) // (8 * d)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        x_path, y_path = make_large_data(Path(folder), n, d, k)
        written = time.perf_counter() - started
        print(
            f"\nlarge: X on disk {n:,} x {d} ({n * d * 8 / 2**30:.1f} GiB, "
            f"{LARGE_SHARE} x this machine's memory), C={k}, written in {written:.0f} s; "
            "memmap not touched before the fit"
        )
        print(row("memmap, on disk", measure(x_path, y_path, True, True)))


if __name__ == "__main__":
    main()
