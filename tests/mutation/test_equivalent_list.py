"""equivalent.txt, the surviving mutants that need no test (equivalent or accepted), stays
readable and in step with the code: each entry names a function that exists, whose original
lines are still there, and says why. (mutmut itself is never run in CI; mutants.py's parsing is
tested here.)"""

import ast
import functools
import re
from pathlib import Path

import mutants  # the script next to this file: pytest puts this folder on sys.path
import pytest

ROOT = Path(__file__).parents[2]


@functools.cache
def module_functions(module: str) -> dict[str, str]:
    """{"function" or "Class.method": its source lines} of a module, parsed once."""
    source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        methods = node.body if isinstance(node, ast.ClassDef) else [node]
        for function in methods:
            if isinstance(function, ast.FunctionDef):
                key = f"{node.name}.{function.name}" if function is not node else function.name
                # whole lines: a segment would end at the last statement, before its comment
                found[key] = "\n".join(lines[function.lineno - 1 : function.end_lineno])
    return found


def function_source(name: str) -> str:
    """The source of the function a mutant's name points at: module.x_function or
    module.xǁClassǁmethod."""
    module, rest = re.match(r"^(cetrain\.[\w.]+?)\.x([_ǁ].+?)__mutmut_\d+$", name).groups()
    key = ".".join(rest[1:].split("ǁ")) if rest.startswith("ǁ") else rest[1:]
    return module_functions(module)[key]


def test_every_entry_says_why_and_is_a_change():
    entries = mutants.equivalent_entries()
    assert len(entries) == len(re.findall(r"(?m)^cetrain\.", mutants.EQUIVALENT.read_text()))
    for name, lines, why in entries:
        assert why.removeprefix("accepted:").strip(), name
        assert {line[0] for line in lines} == {"-", "+"}, name


@pytest.mark.parametrize("entry", mutants.equivalent_entries(), ids=lambda entry: entry[0])
def test_each_entrys_original_lines_are_still_in_its_function(entry):
    # a change to the code makes the entry stale: drop it, or triage the new survivor
    name, lines, _ = entry
    body = {line.strip() for line in function_source(name).splitlines()}
    for line in lines:
        if line.startswith("-") and line[1:].strip():
            assert line[1:].strip() in body, f"{name}: {line}"


def test_a_survivor_is_matched_by_its_function_and_change_not_its_number():
    shown = ["-    t = t.astype(np.float64)", "+    t = t.astype(None)"]  # as mutmut show prints
    key = mutants.change_key("cetrain.core.losses.x__binary_target__mutmut_99", shown)
    assert key == (
        "cetrain.core.losses.x__binary_target",
        ("-t = t.astype(np.float64)", "+t = t.astype(None)"),
    )
    assert key in mutants.equivalent_changes()
    other = mutants.change_key("cetrain.core.losses.x__multilabel_target__mutmut_1", shown[:1])
    assert other not in mutants.equivalent_changes()
