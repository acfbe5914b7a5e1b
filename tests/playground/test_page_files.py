"""The page's files (cetrain/playground/static) without a browser: shipped in the wheel, nothing
fetched from elsewhere, and every element the script looks up exists in the page."""

import fnmatch
import re
import tomllib
from pathlib import Path

import cetrain

ROOT = Path(cetrain.__file__).parents[1]
STATIC = ROOT / "cetrain" / "playground" / "static"


def test_every_page_file_is_package_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["cetrain.playground"]
    files = sorted(path.name for path in STATIC.iterdir())
    assert files == ["app.js", "index.html", "style.css"]
    for name in files:
        assert any(fnmatch.fnmatch(f"static/{name}", pattern) for pattern in patterns), name


def test_the_page_names_no_other_host():
    # no URL with a scheme (a CDN, a web font, analytics): the page loads /app.js, /style.css
    # and talks to /api/ on the server that sent it
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert re.findall(r"\b(?:https?|wss?|ftp):|//[a-z0-9.-]+\.[a-z]{2,}/", text) == [], path
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="([^"]*)"', page) == ["data:,", "/style.css", "/app.js"]
    assert "@import" not in (STATIC / "style.css").read_text(encoding="utf-8")


def test_every_element_the_script_looks_up_is_in_the_page():
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    looked_up = set(re.findall(r'\$\("([^"]+)"\)', script))
    looked_up |= {f"export-{what}" for what in re.findall(r'\["(\w+)", "\w+\.\w+"\]', script)}
    assert "plane" in looked_up and "export-model" in looked_up
    assert sorted(looked_up - ids) == []
