"""How long a command takes to start, against the floor of a Python that imports NumPy.

Each command runs in a fresh interpreter (`python -m cetrain ...`), several times; the median
wall time is printed with its ratio to the median of `python -c "import numpy"` measured in the
same run, and the heavy libraries the command imported. `cetrain --help`, `cetrain loss` and
`cetrain gradcheck` need neither scikit-learn nor matplotlib, so they should sit near the floor;
`cetrain datasets` loads scikit-learn's datasets, for comparison. Run by hand, never in the tests:

    python benchmarks/startup.py
"""

import json
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["train", "--help"],
    ["loss", "--target", "1", "--probs", "0.2,0.7,0.1"],
    ["gradcheck"],
    ["datasets"],
]
HEAVY = ("sklearn", "matplotlib")
RUNS = 7


def median_seconds(argv: list[str]) -> float:
    """The median wall time of running argv, a fresh process each time."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def heavy_imports(args: list[str]) -> list[str]:
    """The heavy libraries `cetrain ARGS` imports, run in one interpreter."""
    code = (
        "import contextlib, io, json, sys\n"
        "from cetrain.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli.main({args!r}, prog_name='cetrain', standalone_mode=False)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    floor = median_seconds([sys.executable, "-c", "import numpy"])
    print(f"{'command':<48}{'seconds':>8}{'/ floor':>9}  heavy imports")
    floor_name = 'python -c "import numpy" (the floor)'
    print(f"{floor_name:<48}{floor:>8.2f}{1.0:>9.2f}")
    for args in COMMANDS:
        seconds = median_seconds([sys.executable, "-m", "cetrain", *args])
        heavy = ", ".join(heavy_imports(args)) or "none"
        print(f"{'cetrain ' + ' '.join(args):<48}{seconds:>8.2f}{seconds / floor:>9.2f}  {heavy}")
    print(f"medians of {RUNS} runs, each in a fresh interpreter")


if __name__ == "__main__":
    main()
