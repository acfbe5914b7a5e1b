"""The README and the lesson in docs/teaching.md say what the commands really do."""

import re
import shlex
from pathlib import Path

import pytest
from conftest import invoke

from cetrain import saturation

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "docs" / "teaching.md"


def command_outputs(markdown: str) -> list[tuple[str, str]]:
    """(command, printed text) for each ```sh block of one command followed by a ```text block."""
    pattern = re.compile(r"```sh\n(cetrain [^\n]+)\n```\n\n```text\n(.*?)```", re.S)
    return pattern.findall(markdown)


@pytest.mark.parametrize("document", ["README.md", "docs/teaching.md"])
def test_every_picture_exists(document):
    path = ROOT / document
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text(encoding="utf-8"))
    assert images
    missing = [image for image in images if not (path.parent / image).is_file()]
    assert missing == []


PAIRS = command_outputs(TEACHING.read_text(encoding="utf-8"))


def test_the_lesson_quotes_three_outputs():
    assert len(PAIRS) == 3


@pytest.mark.parametrize(("command", "printed"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_every_quoted_output_is_what_the_command_prints(command, printed):
    result = invoke(*shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout == printed


def test_the_saturation_numbers_in_the_lesson_are_measured():
    text = TEACHING.read_text(encoding="utf-8")
    found = re.search(r"below 0\.1 after (\d+) epochs, MSE after (\d+)", text)
    assert found is not None
    result = saturation.saturation_demo()
    runs = result.runs
    measured = (runs["cross-entropy"].first_epoch_near, runs["mse"].first_epoch_near)
    assert measured == (int(found.group(1)), int(found.group(2)))
