"""Pick and count mutmut's mutants of the core maths, per module (README: Development).

    python tests/mutation/mutants.py sample N [--seed S]   names of N mutants of each module
    python tests/mutation/mutants.py summary [--show]      killed / survived / ... per module

`sample` prints mutant names for `mutmut run`, the same N of each module for the same seed (all
of a module's when it has fewer; a larger N adds to a smaller one's), so that a sweep that would
take too long can be cut down evenly, repeated and extended. `summary` counts the checked
mutants by mutmut's verdict; the kill rate is killed / (killed + survived + timeout), and --show
prints each survivor's change.

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

# a mutant's name: the module, then x_function or xǁClassǁmethod, then __mutmut_<k>
NAME = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x[_ǁ]\S+__mutmut_\d+): (?P<status>.+)$")
VERDICTS = ("killed", "survived", "timeout")


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
    """Print each module's counts and kill rate, and the survivors (with their change)."""
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
    for name in survivors:
        print(name)
        if show:
            diff = subprocess.run(["mutmut", "show", name], capture_output=True, text=True).stdout
            for line in diff.splitlines():
                if line[:1] in "-+" and line[:3] not in ("---", "+++"):
                    print("   ", line)


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
