"""Pick and count mutmut's mutants of the core maths, per module (README: Development).

    python tests/mutation/mutants.py sample N [--seed S]   names of N mutants of each module
    python tests/mutation/mutants.py summary [--show]      killed / survived / ... per module

`sample` prints mutant names for `mutmut run`, the same N of each module for the same seed (all
of a module's when it has fewer; a larger N adds to a smaller one's), so that a sweep that would
take too long can be cut down evenly, repeated and extended. `summary` counts the checked
mutants by mutmut's verdict; the kill rate is killed / (killed + survived + timeout), and --show
prints each survivor's change. A survivor whose function and change are in equivalent.txt (next
to this file: mutants that cannot change a result, each with why) is counted as known; the
others are new, each to get a test or a line in equivalent.txt. Mutant numbers shift when the
code changes, so equivalent.txt is matched by function and change, not by number.

Both read `mutmut results --all true`: run them from the repository's root after `mutmut run`
has generated the mutants. Not a test module (no test_ prefix): pytest never collects it, and
CI never installs mutmut.
"""

import argparse
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

# a mutant's name: the module, then x_function or xǁClassǁmethod, then __mutmut_<k>
NAME = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x[_ǁ]\S+__mutmut_\d+): (?P<status>.+)$")
VERDICTS = ("killed", "survived", "timeout")
EQUIVALENT = Path(__file__).with_name("equivalent.txt")


def mutants() -> dict[str, dict[str, str]]:
    """{module: {mutant name: mutmut's status}} from `mutmut results --all true`."""
    output = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for line in output.splitlines():
        match = NAME.match(line)
        if match:
            found[match["module"]][match["name"]] = match["status"].strip()
    return found


def sample(per_module: int, seed: int) -> list[str]:
    """The first `per_module` mutant names of each module, shuffled with `seed`: a larger N
    takes the same names and more, so a sweep can be extended without repeating itself."""
    chosen = []
    for module, statuses in sorted(mutants().items()):
        names = sorted(statuses)
        random.Random(f"{seed} {module}").shuffle(names)
        chosen += names[:per_module]
    return chosen


def summary(show: bool) -> None:
    """Print each module's counts and kill rate, then the survivors not known to be
    equivalent (with their change when `show`), and how many are known."""
    survivors = []
    for module, statuses in sorted(mutants().items()):
        counts = Counter(statuses.values())
        judged = sum(counts[verdict] for verdict in VERDICTS)
        rate = f"{counts['killed'] / judged:.1%}" if judged else "-"
        others = ", ".join(
            f"{status} {n}" for status, n in sorted(counts.items()) if status not in VERDICTS
        )
        print(
            f"{module}: killed {counts['killed']}, survived {counts['survived']}, "
            f"timeout {counts['timeout']}: kill rate {rate}" + (f" ({others})" if others else "")
        )
        survivors += [name for name, status in sorted(statuses.items()) if status == "survived"]
    known = equivalent_changes()
    new = [name for name in survivors if change_key(name, change(name)) not in known]
    print(
        f"{len(survivors) - len(new)} survivors known to be equivalent ({EQUIVALENT.name}), "
        f"{len(new)} new:"
    )
    for name in new:
        print(name)
        if show:
            for line in change(name):
                print("   ", line)


def change(name: str) -> list[str]:
    """The mutant's changed lines, '-' (the original) then '+', from `mutmut show`."""
    diff = subprocess.run(["mutmut", "show", name], capture_output=True, text=True).stdout
    return [
        line for line in diff.splitlines() if line[:1] in "-+" and line[:3] not in ("---", "+++")
    ]


def change_key(name: str, lines: list[str]) -> tuple[str, tuple[str, ...]]:
    """(function, changed lines without their indentation): what identifies a mutant across
    sweeps, whose numbers shift when the code changes."""
    function = re.sub(r"__mutmut_\d+$", "", name.strip())
    return function, tuple(line[0] + line[1:].strip() for line in lines)


def equivalent_entries() -> list[tuple[str, list[str], str]]:
    """(name, changed lines, why) of each entry of equivalent.txt: a mutant's name, its '-'/'+'
    lines indented, then `why: ...` (required, so that every entry says why)."""
    entries, name, lines = [], None, []
    for line in EQUIVALENT.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[:1].isspace():
            name, lines = stripped, []
        elif stripped.startswith("why:"):
            entries.append((name, lines, stripped.removeprefix("why:").strip()))
        else:
            lines.append(stripped)
    return entries


def equivalent_changes() -> set[tuple[str, tuple[str, ...]]]:
    """The keys (change_key) of equivalent.txt's entries."""
    return {change_key(name, lines) for name, lines, _ in equivalent_entries()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pick = commands.add_parser("sample", help="names of N mutants of each module")
    pick.add_argument("n", type=int)
    pick.add_argument("--seed", type=int, default=0)
    count = commands.add_parser("summary", help="killed / survived / timeout per module")
    count.add_argument("--show", action="store_true", help="print each survivor's change")
    args = parser.parse_args()
    if args.command == "sample":
        sys.stdout.write("".join(f"{name}\n" for name in sample(args.n, args.seed)))
    else:
        summary(args.show)


if __name__ == "__main__":
    main()
