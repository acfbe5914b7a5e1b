"""The HTML report of a folder (cetrain.runs.report): what the page shows of a train, compare
and evaluate folder, read back with an HTML parser; how values are written and escaped; that
it is self-contained; that writing it replaces report.html and nothing else; and, in real
headless Chromium, that every figure loads, nothing else is requested and it prints."""

import base64
import json
import os
import re
import shutil
import time
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pytest
from PIL import Image

from cetrain.errors import RunFolderError
from cetrain.runs import report
from cetrain.runs.folder import FIGURE_FORMATS
from cetrain.runs.report import REPORT_NAME, render_report, write_report

matplotlib.use("Agg")
import matplotlib.pyplot as plt

EXPECTED = "a folder written by cetrain train, compare or evaluate"
EVALUATE_COMMAND = "cetrain evaluate model.json test.csv --out eval"
ODD_CLASS = '<b>cat</b> & "dog"'


class Page(HTMLParser):
    """What a report page holds: its tables (caption, class and rows of (tag, text) cells),
    images, every src and href, and the text of its headings, paragraphs and <pre> blocks."""

    BLOCKS = ("title", "h1", "h2", "h3", "h4", "p", "pre", "figcaption")

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.images: list[dict] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.blocks: dict[str, list[str]] = {tag: [] for tag in self.BLOCKS}
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._open: list[tuple[str, list[str]]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.urls.extend(attrs[name] for name in ("src", "href") if name in attrs)
        if tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            section = self.blocks["h2"][-1].split()[0] if self.blocks["h2"] else None
            self.tables.append(
                {"class": attrs.get("class"), "caption": "", "rows": [], "section": section}
            )
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self._cell = []
        elif tag == "caption":
            self._caption = []
        elif tag in self.BLOCKS:
            self._open.append((tag, []))

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.tables[-1]["rows"][-1].append((tag, "".join(self._cell)))
            self._cell = None
        elif tag == "caption":
            self.tables[-1]["caption"] = "".join(self._caption)
            self._caption = None
        elif tag in self.BLOCKS:
            name, parts = self._open.pop()
            assert name == tag
            self.blocks[tag].append("".join(parts))

    def handle_data(self, data):
        for parts in (self._cell, self._caption, *(parts for _, parts in self._open)):
            if parts is not None:
                parts.append(data)

    def pairs(self, section: str = "Metrics") -> dict[str, str]:
        """The pairs of every key/value table in a section (Settings, Metrics, Comparison); a
        row may hold two."""
        found = {}
        for table in self.tables:
            if table["class"] == "pairs" and table["section"] == section:
                for row in table["rows"]:
                    assert [tag for tag, _ in row] == ["th", "td"] * (len(row) // 2)
                    found.update({row[i][1]: row[i + 1][1] for i in range(0, len(row), 2)})
        return found

    def grid(self, caption: str) -> dict[str, dict[str, str]]:
        """The table with this caption as {row: {column: text}}."""
        (table,) = [t for t in self.tables if t["caption"] == caption and t["class"] == "grid"]
        header, *rows = table["rows"]
        columns = [text for _, text in header[1:]]
        return {row[0][1]: dict(zip(columns, [t for _, t in row[1:]], strict=True)) for row in rows}


def read(folder: Path) -> Page:
    return Page(render_report(folder))


def assert_shows(text: str, value) -> None:
    """A cell shows the value: ints as ints, floats to 5 significant digits, lists joined (an
    empty one as —)."""
    if value is None:
        assert text == "—"
    elif isinstance(value, bool):
        assert text == ("true" if value else "false")
    elif isinstance(value, int):
        assert text == str(value)
    elif isinstance(value, float):
        assert float(text) == pytest.approx(value, rel=5e-5, abs=1e-300)
        assert len(text.lstrip("-0.").partition("e")[0].replace(".", "")) <= 6, text
    elif isinstance(value, list):
        assert text == (", ".join(map(str, value)) or "—")
    else:
        assert text == value


def save_figure(path: Path, dpi: int = 40) -> Path:
    """A small line plot saved as `path` (png, svg or pdf by its suffix)."""
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_title(path.stem)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def save_gif(path: Path) -> Path:
    frames = [Image.new("RGB", (24, 16), colour) for colour in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    return path


EVALUATE_METRICS = {
    "command": EVALUATE_COMMAND,
    "model": "model.json",
    "data": "test.csv",
    "rows": 40,
    "rows_dropped": 1,
    "accuracy": 0.9,
    "balanced_accuracy": 0.88333333,
    "log_loss": 0.25134567,
    "brier": 0.0812345,
    "per_class": {
        ODD_CLASS: {"precision": 0.9, "recall": 0.95, "f1": 0.924324, "support": 20},
        "mouse": {"precision": 0.888888, "recall": 0.85, "f1": 0.869018, "support": 20},
    },
}


@pytest.fixture(scope="module")
def evaluate_folder(tmp_path_factory) -> Path:
    """A folder as `cetrain evaluate` writes it: metrics.json and its three figures."""
    folder = tmp_path_factory.mktemp("evaluate") / "eval"
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps(EVALUATE_METRICS), encoding="utf-8")
    for name in ("confusion_matrix", "calibration", "roc"):
        save_figure(folder / f"{name}.png")
    return folder


@pytest.fixture(scope="module")
def every_format(tmp_path_factory) -> Path:
    """A folder with one figure of each format: png, gif and svg are shown, pdf is named."""
    folder = tmp_path_factory.mktemp("formats") / "formats"
    folder.mkdir()
    (folder / "metrics.json").write_text('{"accuracy": 0.5}', encoding="utf-8")
    save_figure(folder / "curve.png")
    save_figure(folder / "boundary.svg")
    save_figure(folder / "boundary.pdf")
    save_gif(folder / "training.gif")
    return folder


# --- a train folder ------------------------------------------------------------------------


def test_a_train_page_shows_every_setting(moons_run):
    page = read(moons_run)
    config = tomllib.loads((moons_run / "config.toml").read_text(encoding="utf-8"))
    pairs = page.pairs("Settings")
    assert len(config) > 10
    assert len(pairs) == len(config)
    for key, value in config.items():
        assert_shows(pairs[key], value)
    assert page.blocks["h1"] == ["moons"]
    assert page.blocks["title"] == ["moons: cetrain train report"]


def test_a_train_page_shows_the_metrics(moons_run):
    page = read(moons_run)
    metrics = json.loads((moons_run / "metrics.json").read_text(encoding="utf-8"))
    splits = page.grid("train and test")
    recall = page.grid("train and test: recall")
    assert list(splits) == list(recall) == ["train", "test"]
    for split in ("train", "test"):
        for key, value in metrics[split].items():
            if key == "recall":
                assert list(recall[split]) == list(value) == ["0", "1"]
                for label, share in value.items():
                    assert_shows(recall[split][label], share)
            else:
                assert_shows(splits[split][key], value)
    pairs = page.pairs()
    for key, value in metrics.items():
        if not isinstance(value, dict):
            assert_shows(pairs[key], value)


def test_a_train_page_shows_every_figure_inline(moons_run):
    page = read(moons_run)
    figures = sorted(path for path in moons_run.iterdir() if path.suffix == ".png")
    assert [path.name for path in figures] == [
        "calibration.png",
        "confusion_matrix.png",
        "decision_boundary.png",
        "loss_curve.png",
        "roc.png",
    ]
    assert len(page.images) == len(figures)
    for image, path in zip(page.images, figures, strict=True):
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        assert base64.b64decode(image["src"][len(prefix) :]) == path.read_bytes()
    assert page.blocks["figcaption"] == [path.name for path in figures]


def test_a_train_page_shows_the_command_that_reruns_it(moons_run):
    page = read(moons_run)
    command = f"cetrain train {moons_run / 'config.toml'} --out NEW_FOLDER"
    assert page.blocks["pre"] == [command]
    assert page.blocks["p"][0] == (
        f"What cetrain train wrote in {moons_run}: settings, metrics, 5 figures and the command "
        "that re-runs it."
    )


def test_the_page_needs_nothing_from_outside(moons_run):
    text = render_report(moons_run)
    page = Page(text)
    files = {path.name for path in moons_run.iterdir()}
    for url in page.urls:  # figures and the icon are data:, links are the folder's own files
        assert url.startswith("data:") or url in files, url
    assert {"script", "iframe", "object", "embed", "base"}.isdisjoint(page.tags)
    assert page.tags.count("link") == 1  # the empty icon, so that no favicon is fetched
    outside_figures = re.sub(r'"data:[^"]*"', '""', text)
    assert re.search(r"\b(https?:|//[a-z]|@import|url\()", outside_figures) is None
    assert "default-src 'none'; img-src data:" in text


# --- compare and evaluate folders ----------------------------------------------------------


def test_a_compare_page_shows_the_summary_of_every_loss(moons_comparison):
    page = read(moons_comparison)
    data = json.loads((moons_comparison / "comparison.json").read_text(encoding="utf-8"))
    summary = page.grid("summary")
    assert list(summary) == ["cross-entropy", "mse"]
    for loss, row in data["summary"].items():
        assert list(summary[loss]) == list(row)
        for key, value in row.items():
            assert_shows(summary[loss][key], value)
    assert page.pairs("Settings")["losses"] == "cross-entropy, mse"
    assert page.pairs("Comparison")["losses"] == "cross-entropy, mse"
    assert page.blocks["pre"] == [
        f"cetrain compare {moons_comparison / 'config.toml'} --out NEW_FOLDER"
    ]
    assert [image["alt"] for image in page.images] == ["calibration", "comparison"]
    # the per-epoch lists are left to the file, and the page says so
    assert (
        "Not shown here (too long or too deeply nested for a table): history; "
        "see comparison.json." in page.blocks["p"]
    )
    assert page.blocks["title"] == ["compare: cetrain compare report"]


def test_an_evaluate_page_shows_its_metrics_figures_and_command(evaluate_folder):
    page = read(evaluate_folder)
    assert page.blocks["pre"] == [EVALUATE_COMMAND]
    pairs = page.pairs()
    assert "command" not in pairs  # shown once, above
    for key, value in EVALUATE_METRICS.items():
        if key not in ("command", "per_class"):
            assert_shows(pairs[key], value)
    per_class = page.grid("per_class")
    assert list(per_class) == [ODD_CLASS, "mouse"]
    for name, row in EVALUATE_METRICS["per_class"].items():
        for key, value in row.items():
            assert_shows(per_class[name][key], value)
    assert [image["alt"] for image in page.images] == ["calibration", "confusion matrix", "roc"]
    assert page.blocks["title"] == ["eval: cetrain evaluate report"]
    assert [h2.strip() for h2 in page.blocks["h2"]] == [
        "Re-run",
        "Metrics metrics.json",
        "Figures",
        "Files",
    ]


def test_class_names_and_every_value_are_escaped(evaluate_folder):
    text = render_report(evaluate_folder)
    assert "<b>cat</b>" not in text
    assert "&lt;b&gt;cat&lt;/b&gt; &amp; &quot;dog&quot;" in text
    assert Page(text).grid("per_class")[ODD_CLASS]["support"] == "20"


# --- values and tables ---------------------------------------------------------------------


def write_metrics(folder: Path, data: dict) -> Path:
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_values_are_written_for_reading(tmp_path):
    folder = write_metrics(
        tmp_path / "values",
        {
            "rows": 1000000,
            "share": 0.123456789,
            "tiny": 1.23456789e-9,
            "whole": 2.0,
            "negative_zero": -0.0,
            "converged": True,
            "missing": None,
            "name": "a<b",
            "features": ["x1", "x<2"],
        },
    )
    assert read(folder).pairs() == {
        "rows": "1000000",
        "share": "0.12346",
        "tiny": "1.2346e-09",
        "whole": "2",
        "negative_zero": "0",
        "converged": "true",
        "missing": "—",
        "name": "a<b",
        "features": "x1, x<2",
    }


def test_a_column_of_numbers_lines_up_its_decimal_points(tmp_path):
    rows = {"a": {"share": 0.9, "big": 12.5, "count": 3}, "b": {"share": 0.83333333, "big": 1e-7}}
    page = read(write_metrics(tmp_path / "columns", {"table": rows}))
    assert page.grid("table") == {
        "a": {"share": "0.90000", "big": "12.5", "count": "3"},
        "b": {"share": "0.83333", "big": "1e-07", "count": "—"},
    }


def test_a_wide_table_is_turned_on_its_side(tmp_path):
    recall = {f"class {k}": k / 10 for k in range(12)}
    data = {
        "train": {"accuracy": 0.5, "recall": recall},
        "test": {"accuracy": 0.25, "recall": recall},
    }
    page = read(write_metrics(tmp_path / "wide", data))
    assert page.grid("train and test") == {
        "train": {"accuracy": "0.50"},
        "test": {"accuracy": "0.25"},
    }
    turned = page.grid("train and test: recall")
    assert list(turned) == list(recall)  # a row per class, a column per split
    assert turned["class 3"] == {"train": "0.3", "test": "0.3"}


def test_mappings_nest_and_long_lists_are_left_to_the_file(tmp_path):
    data = {
        "reference": {
            "note": "fit by scikit-learn",
            "objective": {"cetrain": 0.31, "sklearn": 0.30999},
            "test_accuracy": {"cetrain": 0.9, "sklearn": 0.9},
            "deeper": {"a": {"b": {"c": {"d": {"e": 1}}}}},
        },
        "baseline": {"why": "no reference for the focal loss"},
        "curve": list(range(100)),
    }
    page = read(write_metrics(tmp_path / "nested", data))
    assert page.blocks["h3"] == ["reference"]
    assert page.blocks["h4"] == ["deeper"]
    assert page.grid("objective and test_accuracy") == {
        "objective": {"cetrain": "0.31", "sklearn": "0.30999"},
        "test_accuracy": {"cetrain": "0.90", "sklearn": "0.90000"},
    }
    assert page.pairs()["note"] == "fit by scikit-learn"
    (baseline,) = [table for table in page.tables if table["caption"] == "baseline"]
    assert baseline["rows"] == [[("th", "why"), ("td", "no reference for the focal loss")]]
    notes = [p for p in page.blocks["p"] if p.startswith("Not shown here")]
    assert notes == [
        "Not shown here (too long or too deeply nested for a table): a; see metrics.json.",
        "Not shown here (too long or too deeply nested for a table): curve; see metrics.json.",
    ]


def test_every_figure_format_is_shown_or_named(every_format):
    assert set(FIGURE_FORMATS) <= set(report.FIGURE_TYPES)
    page = read(every_format)
    sources = {image["alt"]: image["src"].partition(";")[0] for image in page.images}
    assert sources == {
        "boundary": "data:image/svg+xml",
        "curve": "data:image/png",
        "training": "data:image/gif",
    }
    assert "Not shown (open them beside this page): boundary.pdf." in page.blocks["p"]
    assert "training.gif (an animation)" in page.blocks["figcaption"]


# --- writing and errors --------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_write_report_adds_report_html_and_touches_nothing_else(moons_run, tmp_path):
    folder = shutil.copytree(moons_run, tmp_path / "run")
    before = snapshot(folder)
    path = write_report(folder)
    assert path == folder / REPORT_NAME
    assert path.read_text(encoding="utf-8") == render_report(folder)
    after = snapshot(folder)
    assert after.pop(REPORT_NAME)
    assert after == before
    # again: report.html is replaced (it does not show itself) and nothing is left behind
    time.sleep(0.01)
    first = path.stat().st_mtime_ns
    write_report(folder)
    assert path.stat().st_mtime_ns > first
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, REPORT_NAME])


def test_a_link_named_report_html_is_replaced_not_followed(evaluate_folder, tmp_path):
    folder = shutil.copytree(evaluate_folder, tmp_path / "eval")
    elsewhere = tmp_path / "precious.html"
    elsewhere.write_text("keep me", encoding="utf-8")
    (folder / REPORT_NAME).symlink_to(elsewhere)
    write_report(folder)
    assert elsewhere.read_text(encoding="utf-8") == "keep me"
    assert not (folder / REPORT_NAME).is_symlink()


def test_a_failed_write_keeps_the_old_report_and_leaves_no_temporary_file(
    evaluate_folder, tmp_path, monkeypatch
):
    folder = shutil.copytree(evaluate_folder, tmp_path / "eval")
    (folder / REPORT_NAME).write_text("old", encoding="utf-8")
    before = snapshot(folder)

    def fail(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_report(folder)
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "nowhere", "the folder '{path}' does not exist; give " + EXPECTED),
        (
            lambda tmp: (tmp / "file.txt", (tmp / "file.txt").write_text("x"))[0],
            "'{path}' is a file, not a folder; give " + EXPECTED,
        ),
        (
            lambda tmp: (tmp / "empty", (tmp / "empty").mkdir())[0],
            "the folder '{path}' holds none of config.toml, metrics.json or comparison.json; "
            "give " + EXPECTED,
        ),
    ],
    ids=["missing", "file", "empty"],
)
def test_a_folder_that_is_not_a_run_is_refused(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(RunFolderError) as error:
        write_report(path)
    assert str(error.value) == message.format(path=path)
    assert not (tmp_path / REPORT_NAME).exists()


def test_a_record_file_that_cannot_be_read_is_refused(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "metrics.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(RunFolderError) as error:
        write_report(folder)
    assert str(error.value) == (
        f"cannot read '{folder / 'metrics.json'}': it holds a list, not an object"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["metrics.json"]


# --- in a real browser ---------------------------------------------------------------------


def test_the_page_loads_every_figure_and_prints_in_chromium(
    chromium, moons_run, moons_comparison, every_format, tmp_path
):
    """Headless Chromium (Debian's, driven by Playwright; nothing downloaded) opens each page:
    every image decodes, nothing is logged, nothing but file: and data: URLs is requested,
    and printing to PDF uses the print stylesheet."""
    folders = {"train": moons_run, "compare": moons_comparison, "formats": every_format}
    pages = {
        name: write_report(shutil.copytree(folder, tmp_path / name))
        for name, folder in folders.items()
    }
    for name, path in pages.items():
        page = chromium.new_page()
        problems: list[str] = []
        requests: list[str] = []
        page.on(
            "console",
            lambda m, problems=problems: (
                m.type in ("error", "warning") and problems.append(f"{m.type}: {m.text}")
            ),
        )
        page.on("pageerror", lambda e, problems=problems: problems.append(str(e)))
        page.on("request", lambda r, requests=requests: requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.alt, i.complete, i.naturalWidth])"
        )
        assert len(images) == len(Page(path.read_text(encoding="utf-8")).images)
        assert images and all(done and width > 0 for _, done, width in images), images
        page.emulate_media(media="print")
        printed = page.evaluate(
            """() => [getComputedStyle(document.querySelector('figure')).breakInside,
                      getComputedStyle(document.querySelector('thead th')).backgroundColor,
                      getComputedStyle(document.body).maxWidth]"""
        )
        assert printed == ["avoid", "rgba(0, 0, 0, 0)", "none"]
        pdf = page.pdf(path=tmp_path / f"{name}.pdf")
        assert pdf.startswith(b"%PDF")
        assert re.search(rb"/Type\s*/Page\b", pdf)
        assert problems == [], name
        assert requests and path.as_uri() in requests
        assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
        page.close()
