"""The playground page (cetrain/playground/static) in real headless Chromium, driven by
Playwright against the playground's server on 127.0.0.1, port 0: the page loads without an
error, asks nothing of any other host, and each click, drag, setting, upload and export goes
through the JSON API (checked by the requests the page sends and the state the server then
reports, never by network idleness).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cetrain
from cetrain.playground.server import make_server, serve_in_thread
from cetrain.playground.session import Session

STATIC = Path(cetrain.__file__).parent / "playground" / "static"
SCREENSHOT_SIZE = {"width": 1280, "height": 800}
# The README's screenshot of the page, taken by the end-to-end lesson below in compare mode;
# `CETRAIN_UPDATE_SCREENSHOT=1 pytest tests/playground/test_page_browser.py` rewrites it
README_SCREENSHOT = Path(cetrain.__file__).parents[1] / "docs" / "screenshots" / "playground.png"


@pytest.fixture
def server():
    """The base URL of a playground server on 127.0.0.1, port 0, with no points."""
    httpd = make_server(Session())
    serve_in_thread(httpd)
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _get(url: str, path: str) -> Any:
    with urllib.request.urlopen(url + path, timeout=10) as answer:
        return json.loads(answer.read())


def _post(url: str, path: str, body: dict) -> Any:
    request = urllib.request.Request(
        url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _refusal(url: str, path: str, body: dict) -> str:
    """The server's error message for a request it refuses (and so does not apply)."""
    with pytest.raises(urllib.error.HTTPError) as error:
        _post(url, path, body)
    assert 400 <= error.value.code < 500
    return json.loads(error.value.read())["error"]


# --- the page in Chromium ------------------------------------------------------------------


class Browser:
    """What one open page did: console errors and warnings with page errors (`problems`),
    every URL requested, the JSON bodies POSTed to the API, and the most API requests ever
    waiting for their answer at once."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.posts: list[tuple[str, Any]] = []
        self.waiting = self.most_waiting = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("request", self._request)
        page.on("requestfinished", self._answered)
        page.on("requestfailed", self._answered)

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"{message.type}: {message.text}")

    def _request(self, request) -> None:
        self.urls.append(request.url)
        if "/api/" in request.url:
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
            if request.method == "POST":
                path = "/api/" + request.url.split("/api/", 1)[1]
                self.posts.append((path, request.post_data_json))

    def _answered(self, request) -> None:
        if "/api/" in request.url:
            self.waiting -= 1

    def bodies(self, path: str) -> list[Any]:
        return [body for sent, body in self.posts if sent == path]


@pytest.fixture
def open_page(server, chromium):
    """A function opening the page (with a query string) at 1280x800, once it has its state;
    it returns a Browser. The page is closed after the test."""
    pages = []

    def open_(query: str = "") -> Browser:
        page = chromium.new_page(viewport=SCREENSHOT_SIZE, accept_downloads=True)
        pages.append(page)
        seen = Browser(page)
        page.goto(f"{server}/{query}", wait_until="load")
        page.wait_for_selector("body[data-ready='yes'][data-busy='no']", timeout=5000)
        return seen

    yield open_
    for page in pages:
        page.close()


# Chromium logs every 4xx answer to fetch as a console error; the tests expect it exactly where
# they send a bad value
REFUSED = "error: Failed to load resource: the server responded with a status of 400 (Bad Request)"


def _play_until(page, speed: str, condition: str, timeout: int) -> None:
    """Play at `speed` epochs a frame until the JS `condition` holds (or play stops by
    itself), then pause and wait until the last frame is in."""
    page.select_option("#speed", speed)
    page.click("#play")
    page.wait_for_function(
        f"() => ({condition}) || document.body.dataset.playing === 'no'", timeout=timeout
    )
    if page.is_enabled("#pause"):
        page.click("#pause")
    page.wait_for_selector("body[data-playing='no'][data-busy='no']")


def _plane_size(page) -> tuple[float, float]:
    """The plane canvas's inside box in CSS pixels (click positions are relative to it)."""
    width, height = page.evaluate("() => [plane.clientWidth, plane.clientHeight]")
    return width, height


def _data_at(bounds, size, position: dict) -> tuple[float, float]:
    """The data coordinates of a position on the plane, for the bounds the server sent."""
    (x0, x1), (y0, y1) = bounds
    return (
        x0 + position["x"] / size[0] * (x1 - x0),
        y0 + (1 - position["y"] / size[1]) * (y1 - y0),
    )


def _position_of(bounds, size, x: float, y: float) -> dict:
    (x0, x1), (y0, y1) = bounds
    return {"x": (x - x0) / (x1 - x0) * size[0], "y": (1 - (y - y0) / (y1 - y0)) * size[1]}


def _plane_pixel(page, x: float, y: float) -> list[int]:
    """The RGBA of the plane canvas at CSS pixel (x, y)."""
    return page.evaluate(
        """([x, y]) => {
            const canvas = document.getElementById('plane');
            const ratio = canvas.width / canvas.clientWidth;
            const data = canvas.getContext('2d')
                .getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
            return Array.from(data);
        }""",
        [x, y],
    )


def _fmt(x: float) -> str:
    """A number as the page shows it (app.js fmt: 4 significant digits)."""
    if abs(x) >= 1e5 or (abs(x) < 1e-3 and x != 0):
        mantissa, exponent = f"{x:.3e}".split("e")
        return f"{mantissa}e{int(exponent):+d}"  # JS toExponential(3): 1.234e-4, 1.235e+5
    return f"{x:.4g}"


def _only_local(seen: Browser, url: str) -> None:
    assert seen.urls and all(u.startswith((url + "/", "data:", "blob:")) for u in seen.urls), (
        seen.urls
    )


def test_clicks_play_errors_drag_remove_upload_and_export_in_chromium(server, open_page, tmp_path):
    """Clicks add points of the selected class where clicked; play advances the epoch, one
    request at a time; a bad setting shows the server's message; the plane is drawn; a drag
    moves a point, a right-click removes one; a CSV upload and the export go through the API."""
    seen = open_page()
    page = seen.page
    plane = page.locator("#plane")
    size = _plane_size(page)
    bounds = _get(server, "/api/state")["bounds"]
    pixel = (bounds[0][1] - bounds[0][0]) / size[0]  # one CSS pixel in data units
    assert page.get_attribute("body", "data-points") == "0"

    clicks = [(0.25, 0.5, 0), (0.7, 0.3, 1), (0.8, 0.4, 1)]
    for count, (fx, fy, label) in enumerate(clicks, 1):
        page.click(f"#classes [data-class='{label}']")
        plane.click(position={"x": size[0] * fx, "y": size[1] * fy})
        page.wait_for_selector(f"body[data-points='{count}'][data-busy='no']", timeout=3000)
    first = _data_at(bounds, size, {"x": size[0] * 0.25, "y": size[1] * 0.5})
    assert seen.bodies("/api/points")[0] == {
        "points": [[pytest.approx(first[0], abs=pixel), pytest.approx(first[1], abs=pixel), 0]]
    }
    assert [row[2] for row in _get(server, "/api/state")["points"]] == [0, 1, 1]

    # a dataset from the picker, then play: the epoch advances one frame at a time
    page.select_option("#dataset", "moons")
    page.fill("#n", "40")
    page.click("#load")
    page.wait_for_selector("body[data-points='40'][data-busy='no']", timeout=3000)
    assert seen.bodies("/api/points")[-1] == {"dataset": "moons", "seed": 0, "n": 40}
    _play_until(page, "1", "Number(document.body.dataset.frames) >= 3", timeout=4000)
    state = _get(server, "/api/state")
    steps = seen.bodies("/api/step")
    assert len(steps) >= 3 and all(body == {"epochs": 1} for body in steps)
    assert int(page.get_attribute("body", "data-frames")) == len(steps)
    assert int(page.text_content("#epoch")) == state["epoch"] >= 3
    assert seen.most_waiting == 1  # the next frame is asked for once the last is drawn

    # hover: the loss chart reads out the server's numbers at an epoch, a point its own loss
    history = state["frame"]["history"]
    chart = page.locator("#losses").bounding_box()
    page.mouse.move(chart["x"] + chart["width"] * 0.6, chart["y"] + chart["height"] / 2)
    shown = page.text_content("#loss-hover")
    at = history["epoch"].index(int(shown.split(" · ")[0].removeprefix("epoch ")))
    expected = [f"epoch {history['epoch'][at]}", f"train {_fmt(history['train_loss'][at])}"]
    if history.get("test_loss"):
        expected.append(f"test {_fmt(history['test_loss'][at])}")
    assert shown == " · ".join(expected)
    losses = state["frame"]["points"]["loss"]
    costly = losses.index(max(losses))
    x, y, label, is_test = state["points"][costly]
    box = plane.bounding_box()
    border = page.evaluate("() => plane.clientLeft")
    spot = _position_of(state["bounds"], size, x, y)
    page.mouse.move(box["x"] + border + spot["x"], box["y"] + border + spot["y"])
    shown = page.text_content("#point-hover")
    kind = "test" if is_test else "training"
    assert shown.startswith(f"{kind} point of class {state['classes'][label]} · ")
    assert shown.endswith(f", its loss {_fmt(losses[costly])}")

    # the plane is drawn: a corner far from the points is shaded, not the white background
    shaded = _plane_pixel(page, size[0] * 0.98, size[1] * 0.02)
    assert shaded[3] == 255 and shaded[:3] != [255, 255, 255], shaded
    assert seen.problems == []

    # a bad setting: the server's own message is on the page; the control shows the old value
    page.fill("#setting-momentum", "1.5")
    page.press("#setting-momentum", "Enter")
    page.wait_for_selector("#status[data-kind='error']", timeout=3000)
    assert page.text_content("#status") == _refusal(server, "/api/config", {"momentum": 1.5})
    assert seen.bodies("/api/config") == [{"momentum": 1.5}]
    assert page.input_value("#setting-momentum") == "0.99"
    assert seen.problems == [REFUSED]
    seen.problems.clear()

    # a good one reaches the server and the URL (a bookmark restores it)
    page.select_option("#setting-loss", "focal")
    page.wait_for_function("() => location.search === '?loss=focal'", timeout=3000)
    assert _get(server, "/api/state")["config"]["loss"] == "focal"
    assert page.is_visible("#setting-focal_gamma")
    assert not page.is_visible("#setting-label_smoothing")

    # drag the second point to 90% right, 90% down; right-click the first away
    before = _get(server, "/api/state")
    bounds = before["bounds"]
    start = _position_of(bounds, size, *before["points"][1][:2])
    end = {"x": size[0] * 0.9, "y": size[1] * 0.9}
    box = plane.bounding_box()
    border = page.evaluate("() => plane.clientLeft")
    page.mouse.move(box["x"] + border + start["x"], box["y"] + border + start["y"])
    page.mouse.down()
    page.mouse.move(box["x"] + border + end["x"], box["y"] + border + end["y"], steps=4)
    page.mouse.up()
    page.wait_for_selector("body[data-busy='no']", timeout=3000)
    after = _get(server, "/api/state")["points"]
    rows = [row[:3] for row in before["points"]]
    pixel = (bounds[0][1] - bounds[0][0]) / size[0]
    moved = _data_at(bounds, size, end)
    assert [row[:3] for row in after[:1] + after[2:]] == rows[:1] + rows[2:]
    assert after[1][:3] == [
        pytest.approx(moved[0], abs=2 * pixel),
        pytest.approx(moved[1], abs=2 * pixel),
        rows[1][2],
    ]
    bounds = _get(server, "/api/state")["bounds"]
    plane.click(position=_position_of(bounds, size, *rows[0][:2]), button="right")
    page.wait_for_selector("body[data-points='39'][data-busy='no']", timeout=3000)
    assert [row[:3] for row in _get(server, "/api/state")["points"]] == [after[1][:3], *rows[2:]]
    plane.click(position=_position_of(bounds, size, *rows[2][:2]), modifiers=["Shift"])
    page.wait_for_selector("body[data-points='38'][data-busy='no']", timeout=3000)
    assert [row[:3] for row in _get(server, "/api/state")["points"]] == [after[1][:3], *rows[3:]]

    # a CSV file chosen on the page is sent as its text
    text = "x1,x2,label\n0.5,1.5,0\n-1,2,1\n2,-2,2\n"
    page.set_input_files(
        "#csv", files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.wait_for_selector("body[data-points='3'][data-busy='no']", timeout=3000)
    assert seen.bodies("/api/points")[-1] == {"csv": text}
    state = _get(server, "/api/state")
    assert [row[:3] for row in state["points"]] == [[0.5, 1.5, 0], [-1.0, 2.0, 1], [2.0, -2.0, 2]]

    # export: the browser downloads the server's file; a refusal is shown on the page
    with page.expect_download() as download:
        page.click("#export-points")
    assert download.value.suggested_filename == "points.csv"
    with urllib.request.urlopen(server + "/api/export?what=points", timeout=10) as answer:
        assert Path(download.value.path()).read_bytes() == answer.read()
    page.wait_for_selector("body[data-busy='no']")
    assert page.text_content("#status") == "Exported points.csv."
    try:
        urllib.request.urlopen(server + "/api/export?what=model", timeout=10).close()
    except urllib.error.HTTPError as error:  # no model before the first step
        refusal = json.loads(error.read())["error"]
        page.click("#export-model")
        page.wait_for_selector("#status[data-kind='error']", timeout=3000)
        assert page.text_content("#status") == refusal
        assert seen.problems == [
            REFUSED.replace("400 (Bad Request)", f"{error.code} ({error.reason})")
        ]
        seen.problems.clear()

    page.screenshot(path=str(tmp_path / "playground.png"))
    assert seen.problems == []
    _only_local(seen, server)


def test_the_url_restores_settings_and_a_divergence_stops_play_in_chromium(server, open_page):
    """Settings in the query string are sent on load (the compared model's as compare.NAME);
    a divergence stops play and says so on the page."""
    _post(server, "/api/points", {"dataset": "moons", "n": 40})
    seen = open_page("?lr=1000000&momentum=0.5&compare.loss=mse")
    page = seen.page
    assert seen.bodies("/api/config") == [
        {"lr": 1000000, "momentum": 0.5, "compare": {"loss": "mse"}}
    ]
    assert page.is_visible("#plane2")
    assert page.is_checked("#compare")
    assert page.input_value("[data-setting='loss'][data-model='2']") == "mse"
    assert page.input_value("#setting-lr") == "1000000"

    page.click("#play")
    page.wait_for_selector("#status[data-kind='diverged']", timeout=3000)
    page.wait_for_selector("body[data-playing='no'][data-busy='no']")
    state = _get(server, "/api/state")
    frame = state["frame"]
    assert frame["status"] == "diverged"
    assert page.text_content("#status") == (
        f"Diverged ({state['config']['loss']}) at epoch {frame['epoch']}: {frame['message']}"
    )
    assert len(seen.bodies("/api/step")) == 1
    assert seen.problems == []
    _only_local(seen, server)


def test_a_lesson_end_to_end_clicks_train_switch_compare_export_and_upload_in_chromium(
    server, open_page, tmp_path
):
    """The issue's lesson through the page: click points of two classes, train with
    cross-entropy until the loss is small, switch to MSE, reset and step once, compare both,
    export the model and score it with `cetrain predict` (the page's own probabilities, to
    1e-12), then upload a CSV."""
    seen = open_page()
    page = seen.page
    plane = page.locator("#plane")
    width, height = _plane_size(page)
    # each class-0 click beyond the top-left of the points so far, each class-1 click beyond
    # the bottom-right: the two classes stay apart whatever the plane's padding
    for count in range(1, 9):
        label = (count - 1) % 2
        page.click(f"#classes [data-class='{label}']")
        corner = 0.02 if label == 0 else 0.98
        plane.click(position={"x": width * corner, "y": height * (1 - corner)})
        page.wait_for_selector(f"body[data-points='{count}'][data-busy='no']", timeout=3000)
    assert [row[2] for row in _get(server, "/api/state")["points"]] == [0, 1] * 4

    # cross-entropy until the training loss is below 0.05
    _play_until(page, "50", "ui.frame && ui.frame.train_loss < 0.05", timeout=5000)
    assert _get(server, "/api/state")["frame"]["train_loss"] < 0.05

    # MSE, reset, one step of 10 epochs
    page.select_option("#setting-loss", "mse")
    page.click("#reset")
    page.select_option("#speed", "10")
    page.click("#step")
    page.wait_for_selector("body[data-epoch='10'][data-busy='no']", timeout=3000)
    state = _get(server, "/api/state")
    assert (state["config"]["loss"], state["epoch"], page.text_content("#epoch")) == (
        "mse",
        10,
        "10",
    )
    assert seen.bodies("/api/reset") == [{}]

    # compare mode: cross-entropy beside MSE, stepping together
    page.check("#compare")
    page.wait_for_selector("body[data-compare='on'][data-busy='no']", timeout=3000)
    page.click("#step")
    page.wait_for_selector("body[data-epoch='10'][data-busy='no']", timeout=3000)
    state = _get(server, "/api/state")
    assert state["compare"] == {"loss": "cross-entropy"}
    assert state["frame"]["compare"]["epoch"] == 10
    assert page.is_visible("#plane2")
    assert page.text_content("#loss-legend") == "mse test log losscross-entropy test log loss"
    page.screenshot(path=str(tmp_path / "playground.png"))
    if os.environ.get("CETRAIN_UPDATE_SCREENSHOT"):  # the README's picture, made here
        README_SCREENSHOT.write_bytes((tmp_path / "playground.png").read_bytes())

    # the model and the points, downloaded from the page, scored by `cetrain predict`
    for what in ("model", "points"):
        with page.expect_download() as download:
            page.click(f"#export-{what}")
        download.value.save_as(tmp_path / download.value.suggested_filename)
    root = Path(cetrain.__file__).parents[1]
    scored = subprocess.run(
        [sys.executable, "-m", "cetrain", "predict", "model.json", "points.csv"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert scored.returncode == 0, scored.stderr
    header, *rows = scored.stdout.splitlines()
    assert header == "p(0),p(1),predicted"
    proba = [[float(v) for v in row.split(",")[:2]] for row in rows]
    assert np.allclose(proba, state["frame"]["points"]["proba"], rtol=0, atol=1e-12)

    # a CSV of the teacher's own: named classes
    text = "a,b,kind\n" + "".join(
        f"{i / 10},{(i % 3) / 5},{'cat' if i % 2 else 'dog'}\n" for i in range(12)
    )
    page.set_input_files(
        "#csv", files=[{"name": "pets.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.wait_for_selector("body[data-points='12'][data-busy='no']", timeout=3000)
    assert _get(server, "/api/state")["classes"] == ["cat", "dog"]
    assert page.text_content("#classes [data-class='0']") == "cat"
    assert seen.problems == []
    _only_local(seen, server)
