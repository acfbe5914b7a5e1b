"""The one-page HTML report of a folder that cetrain wrote (`cetrain report RUN_DIR`).

What the page shows is derived from the files present, whatever command wrote them:

config.toml       the settings; its header's `re-run with: ...` line is the command that re-runs it
metrics.json      the metrics; an evaluate folder's names its command under "command"
comparison.json   a comparison's summary (its per-epoch lists are left to the file)
*.png *.gif *.svg every figure, inlined as a data: URI (a PDF figure is listed, not shown)

JSON is shown generically: the scalars of a mapping as one key/value table, a mapping of
mappings (or sibling mappings with the same keys, such as train and test) as one table with a
row per mapping, a mapping nested in those rows (recall per class) as a table of its own.

The page is self-contained (the style is in the page, every figure inline, no script, and a
Content-Security-Policy that forbids loading anything else) and has a print stylesheet, so it
can be handed out. Only the standard library is used.
"""

from __future__ import annotations

import base64
import html
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cetrain.errors import RunFolderError
from cetrain.runs.folder import write_text_atomically

REPORT_NAME = "report.html"
# the files a report is made from, in the page's order, with the title of their section
RECORD_FILES = {
    "config.toml": "Settings",
    "metrics.json": "Metrics",
    "comparison.json": "Comparison",
}
# a figure's MIME type in a data: URI, or None for a format a page cannot show
FIGURE_TYPES = {"png": "image/png", "gif": "image/gif", "svg": "image/svg+xml", "pdf": None}
RERUN_PREFIX = "re-run with:"  # config.toml's header line that holds the command
COMMAND_KEY = "command"  # where an evaluate folder's metrics.json holds it
MAX_LIST = 20  # a longer list (a per-epoch history) is left to its file
MAX_COLUMNS = 8  # a table wider than this is turned on its side when that narrows it
MAX_DEPTH = 3  # mappings nested deeper than this are left to their file
SIGNIFICANT_DIGITS = 5
MAX_DECIMALS = 6  # decimals a column of numbers is padded to, at most
MAX_PAIRS = 10  # a key/value table longer than this is laid out in two columns of pairs

Scalar = str | int | float | bool | None


def render_report(folder: str | Path) -> str:
    """The HTML page of the cetrain folder `folder` (a train, compare or evaluate folder).

    Parameters
    ----------
    folder : str or Path
        A folder holding at least one of config.toml, metrics.json and comparison.json.

    Returns
    -------
    str
        A complete, self-contained HTML document.

    Raises
    ------
    RunFolderError
        When the folder does not exist, holds none of those files, or one of them cannot be
        read.
    """
    folder = _check_folder(Path(folder))
    records = {name: _read(folder / name) for name in RECORD_FILES if (folder / name).is_file()}
    command = _rerun_command(folder, records)
    verb = _verb(command)
    figures = _figures(folder)
    title = folder.resolve().name or str(folder)  # the name of "." too

    contents = [RECORD_FILES[name].lower() for name in records]
    shown = sum(FIGURE_TYPES[_suffix(path)] is not None for path in figures)
    if shown:
        contents.append(_count(shown, "figure"))
    if command:
        contents.append("the command that re-runs it")
    writer = f"<code>{_escape(verb)}</code>" if verb else "cetrain"
    body = [
        f"<h1>{_escape(title)}</h1>",
        f'<p class="intro">What {writer} wrote in <code>{_escape(str(folder))}</code>: '
        f"{_join(contents)}.</p>",
    ]
    if command:
        body.append(f'<h2>Re-run</h2>\n<pre class="command"><code>{_escape(command)}</code></pre>')
    body.extend(_record_section(name, data, command) for name, data in records.items())
    if figures:
        body.append(_figures_section(figures))
    body.append(_files_section(folder))
    return _page(f"{title}: {verb or 'cetrain'} report", "\n".join(body))


def write_report(folder: str | Path) -> Path:
    """Write render_report(folder) to folder/report.html, atomically, and return its path.

    Nothing in the folder but report.html is replaced. Raises RunFolderError as
    render_report does, and OSError when the file cannot be written.
    """
    text = render_report(folder)
    return write_text_atomically(Path(folder) / REPORT_NAME, text)


# --- reading the folder --------------------------------------------------------------------


def _check_folder(folder: Path) -> Path:
    expected = _join(RECORD_FILES, "or")
    what = "a folder written by cetrain train, compare or evaluate"
    if not folder.exists():
        raise RunFolderError(f"the folder '{folder}' does not exist; give {what}")
    if not folder.is_dir():
        raise RunFolderError(f"'{folder}' is a file, not a folder; give {what}")
    if not any((folder / name).is_file() for name in RECORD_FILES):
        raise RunFolderError(f"the folder '{folder}' holds none of {expected}; give {what}")
    return folder


def _read(path: Path) -> dict[str, Any]:
    """A record file's content: TOML or a JSON object."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSON and TOML errors are
        raise RunFolderError(f"cannot read '{path}': {exc}") from None  # ValueErrors
    if not isinstance(data, dict):
        raise RunFolderError(
            f"cannot read '{path}': it holds a {type(data).__name__}, not an object"
        )
    return data


def _rerun_command(folder: Path, records: Mapping[str, dict]) -> str | None:
    """The command that re-runs the folder: config.toml's `re-run with:` header line, or the
    "command" metrics.json records."""
    config = folder / "config.toml"
    if "config.toml" in records:
        for line in config.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break  # the header is over
            text = line.lstrip("#").strip()
            if text.startswith(RERUN_PREFIX):
                return text[len(RERUN_PREFIX) :].strip()
    command = records.get("metrics.json", {}).get(COMMAND_KEY)
    return command if isinstance(command, str) else None


def _verb(command: str | None) -> str | None:
    """'cetrain train' from 'cetrain train config.toml --out NEW_FOLDER'."""
    words = (command or "").split()
    return " ".join(words[:2]) if len(words) >= 2 and words[0] == "cetrain" else None


def _suffix(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def _listed(folder: Path) -> list[Path]:
    """The folder's files, sorted, without hidden files and the report itself."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name != REPORT_NAME
    )


def _figures(folder: Path) -> list[Path]:
    return [path for path in _listed(folder) if _suffix(path) in FIGURE_TYPES]


# --- values --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _key(key: str) -> str:
    """A key as a heading: escaped, and free to break after its underscores."""
    return _escape(str(key)).replace("_", "_<wbr>")


def _is_scalar(value: Any) -> bool:
    """A value one cell can show: a number, text, true/false, null or a short list of them."""
    if isinstance(value, list):
        return len(value) <= MAX_LIST and all(_is_scalar(item) for item in value)
    return value is None or isinstance(value, str | int | float)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Scalar | list) -> str:
    """A cell's text: ints as ints, floats to 5 significant digits, true/false, — for null."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value + 0.0:.{SIGNIFICANT_DIGITS}g}"  # + 0.0: never -0
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value) or "—"
    if isinstance(value, str):
        return value
    return json.dumps(value)  # a mapping where the other rows have a number


def _cell(text: str, numeric: bool = False) -> str:
    return f"<td{_align(numeric)}>{_escape(text)}</td>"


def _align(numeric: bool) -> str:
    return ' class="num"' if numeric else ""


def _column(values: list) -> tuple[list[str], bool]:
    """One table column's texts, and whether it holds numbers (to be right-aligned). Its
    decimal numbers get the same number of decimals (0.90000 under 0.83333), so that their
    points line up."""
    texts = [_text(value) for value in values]
    present = [value for value in values if value is not None]
    if not present or not all(map(_is_number, present)):
        return texts, False
    fixed = [text for value, text in zip(values, texts, strict=True) if isinstance(value, float)]
    if all(text.lstrip("-").replace(".", "", 1).isdigit() for text in fixed):  # no 1e-06, inf
        decimals = max((len(text.partition(".")[2]) for text in fixed), default=0)
        if decimals <= MAX_DECIMALS:
            texts = [
                f"{value + 0.0:.{decimals}f}" if isinstance(value, float) else text
                for value, text in zip(values, texts, strict=True)
            ]
    return texts, True


def _join(items: Iterable[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- tables --------------------------------------------------------------------------------


def _is_record(value: Any) -> bool:
    """A mapping whose values are scalars or mappings of scalars (a split's metrics)."""
    return isinstance(value, dict) and all(
        _is_scalar(item) or (isinstance(item, dict) and all(map(_is_scalar, item.values())))
        for item in value.values()
    )


def _is_records(value: Any) -> bool:
    """A mapping of records (compare's summary, per_class): a table with a row per key."""
    return (
        isinstance(value, dict)
        and any(item is not None for item in value.values())
        and all(item is None or (_is_record(item) and item) for item in value.values())
    )


def _mapping_blocks(
    mapping: Mapping[str, Any], source: str, depth: int, skip: tuple[str, ...] = ()
) -> list[str]:
    """A mapping as HTML blocks, in the order of its keys: its scalars in one key/value table
    (where the first stands), sibling records with the same keys in one table, a mapping of
    records as a table, other mappings as sub-sections; what is too long or too deep is named
    in a note that points to the file."""
    blocks: list[str] = []
    scalars: dict[str, Any] = {}
    scalar_at = None
    omitted: list[str] = []
    siblings = _sibling_groups(mapping)
    done: set[str] = set()
    for key, value in mapping.items():
        if key in skip or key in done:
            continue
        if _is_scalar(value):
            if scalar_at is None:
                scalar_at = len(blocks)
                blocks.append("")
            scalars[key] = value
        elif key in siblings:
            names = siblings[key]
            done.update(names)
            blocks.extend(_records_tables({name: mapping[name] for name in names}, _join(names)))
        elif isinstance(value, dict) and all(map(_is_scalar, value.values())) and value:
            blocks.append(_key_value_table(value, caption=key))
        elif _is_records(value):
            blocks.extend(_records_tables(value, key))
        elif isinstance(value, dict) and value and depth < MAX_DEPTH and _fits(value):
            heading = min(depth + 2, 6)
            blocks.append(f"<h{heading}>{_key(key)}</h{heading}>")
            blocks.extend(_mapping_blocks(value, source, depth + 1))
        else:
            omitted.append(key)
    if scalars:
        blocks[scalar_at] = _key_value_table(scalars)
    if omitted:
        names = _join(f"<code>{_escape(key)}</code>" for key in omitted)
        blocks.append(
            f'<p class="note">Not shown here (too long or too deeply nested for a table): '
            f"{names}; see <code>{_escape(source)}</code>.</p>"
        )
    return blocks


def _fits(value: Any) -> bool:
    """Whether no list in `value`, however deep, is too long for a table cell."""
    if isinstance(value, dict):
        return all(map(_fits, value.values()))
    if isinstance(value, list):
        return len(value) <= MAX_LIST and all(map(_fits, value))
    return True


def _sibling_groups(mapping: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each key whose record has the same keys as another sibling's -> all those siblings."""
    groups: dict[frozenset, list[str]] = {}
    for key, value in mapping.items():
        if _is_record(value) and value:
            groups.setdefault(frozenset(value), []).append(key)
    return {key: names for names in groups.values() if len(names) > 1 for key in names}


def _key_value_table(values: Mapping[str, Any], caption: str | None = None) -> str:
    """Key and value per row; more than MAX_PAIRS pairs go in two columns of pairs, the first
    half down the left one."""
    pairs = [
        (f'<th scope="row">{_key(key)}</th>', _cell(_text(value))) for key, value in values.items()
    ]
    half = math.ceil(len(pairs) / 2) if len(pairs) > MAX_PAIRS else len(pairs)
    rows = "".join(
        "<tr>" + "".join(key + value for key, value in pairs[i::half]) + "</tr>"
        for i in range(half)
    )
    return f'<table class="pairs">{_caption(caption)}<tbody>{rows}</tbody></table>'


def _records_tables(records: Mapping[str, dict | None], caption: str) -> list[str]:
    """One table with a row per record and a column per scalar key, then one table per key
    whose values are mappings (a row per record, a column per inner key)."""
    present = [record for record in records.values() if record]
    scalar_keys = _union(key for r in present for key, v in r.items() if not isinstance(v, dict))
    nested_keys = _union(key for r in present for key, v in r.items() if isinstance(v, dict))
    tables = []
    if scalar_keys:
        cells = {name: [(r or {}).get(key) for key in scalar_keys] for name, r in records.items()}
        tables.append(_grid(cells, scalar_keys, caption))
    for nested in nested_keys:
        inner = {name: (r or {}).get(nested) or {} for name, r in records.items()}
        columns = _union(key for values in inner.values() for key in values)
        cells = {name: [values.get(key) for key in columns] for name, values in inner.items()}
        tables.append(_grid(cells, columns, f"{caption}: {nested}" if scalar_keys else nested))
    return tables


def _union(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _grid(cells: Mapping[str, list], columns: list[str], caption: str) -> str:
    """A table of cells[row][column]; one wider than MAX_COLUMNS, with fewer rows than
    columns, is drawn on its side (a row per column)."""
    rows = list(cells)
    if len(columns) > MAX_COLUMNS and len(rows) < len(columns):
        cells = {column: [cells[row][i] for row in rows] for i, column in enumerate(columns)}
        rows, columns = columns, rows
    by_column = [_column([cells[row][i] for row in rows]) for i in range(len(columns))]
    head = "<th></th>" + "".join(
        f'<th scope="col"{_align(numeric)}>{_key(column)}</th>'
        for column, (_, numeric) in zip(columns, by_column, strict=True)
    )
    body = "".join(
        f'<tr><th scope="row">{_key(row)}</th>'
        + "".join(_cell(texts[j], numeric) for texts, numeric in by_column)
        + "</tr>"
        for j, row in enumerate(rows)
    )
    return (
        f'<table class="grid">{_caption(caption)}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _caption(caption: str | None) -> str:
    return f"<caption>{_key(caption)}</caption>" if caption else ""


# --- the sections --------------------------------------------------------------------------


def _record_section(name: str, data: Mapping[str, Any], command: str | None) -> str:
    """The section of config.toml, metrics.json or comparison.json (less the command, when it
    is shown above)."""
    skip = (COMMAND_KEY,) if command and data.get(COMMAND_KEY) == command else ()
    blocks = _mapping_blocks(data, name, depth=1, skip=skip)
    heading = f'{RECORD_FILES[name]} <span class="source">{_escape(name)}</span>'
    return "\n".join([f"<section><h2>{heading}</h2>", *blocks, "</section>"])


def _figures_section(figures: list[Path]) -> str:
    """Every figure a page can show, inline; the others (PDF) named."""
    shown = [_figure_html(path) for path in figures if FIGURE_TYPES[_suffix(path)]]
    blocks = ["<section><h2>Figures</h2>"]
    if shown:
        blocks.extend(['<div class="figures">', *shown, "</div>"])
    unshown = [path.name for path in figures if not FIGURE_TYPES[_suffix(path)]]
    if unshown:
        names = _join(f"<code>{_escape(name)}</code>" for name in unshown)
        blocks.append(f'<p class="note">Not shown (open them beside this page): {names}.</p>')
    return "\n".join([*blocks, "</section>"])


def _figure_html(path: Path) -> str:
    """A figure inlined as a data: URI in its own format."""
    mime = FIGURE_TYPES[_suffix(path)]
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    alt = path.stem.replace("_", " ").replace("-", " ")
    caption = _escape(path.name) + (" (an animation)" if mime == "image/gif" else "")
    return (
        f'<figure><img src="data:{mime};base64,{data}" alt="{_escape(alt)}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _files_section(folder: Path) -> str:
    rows = "".join(
        f'<tr><td><a href="{_escape(path.name)}">{_escape(path.name)}</a></td>'
        f'<td class="num">{_size(path.stat().st_size)}</td></tr>'
        for path in _listed(folder)
    )
    return (
        '<section class="files"><h2>Files</h2>'
        '<table class="grid"><caption>Beside this page in the folder</caption>'
        '<thead><tr><th scope="col">file</th>'
        f'<th scope="col" class="num">size</th></tr></thead><tbody>{rows}</tbody></table></section>'
    )


def _size(n: int) -> str:
    """1023 B, 1.6 kB, 2.3 MB."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


# --- the page ------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light; }
body {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans",
    Arial, sans-serif;
  max-width: 1000px; margin: 0 auto; padding: 1.5rem; color: #1b1b1b; background: #fff;
  line-height: 1.45;
}
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
  border-bottom: 1px solid #ddd; }
h3, h4 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.source { font-size: .85rem; font-weight: normal; color: #666; font-family: ui-monospace,
  "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; }
.intro { color: #333; margin: 0 0 1rem; }
.note { color: #555; font-size: .9rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono",
  monospace; font-size: .9em; }
pre.command { background: #f5f5f5; border: 1px solid #ddd; border-radius: 4px; padding: .6rem .8rem;
  white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .4rem 0 1.2rem; font-size: .9rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 .3rem; }
th, td { border: 1px solid #d4d4d4; padding: .25rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; font-weight: 600; }
tbody th { font-weight: normal; background: #fafafa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
a { color: #1a5fb4; }
.figures { display: flex; flex-wrap: wrap; gap: 0 1.5rem; align-items: flex-start; }
figure { margin: 1rem 0 1.2rem; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .85rem; margin-top: .3rem; }
@media print {
  @page { margin: 1.5cm; }
  body { max-width: none; padding: 0; font-size: 10pt; color: #000; }
  thead th, tbody th, pre.command { background: none; }
  h2 { border-bottom-color: #999; }
  a { color: inherit; text-decoration: none; }
  table, figure, pre, caption { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3, h4, caption { break-after: avoid; page-break-after: avoid; }
  figure img { max-height: 22cm; width: auto; border: none; }
}
"""

# nothing but the page's own style and data: images may load; a stray URL would be refused
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="cetrain report">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{_escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
