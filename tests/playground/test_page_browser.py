"""The playground page (cetrain/playground/static) in real headless Chromium, driven by
Playwright against a server on 127.0.0.1: it loads without an error, asks nothing of any
other host, adds a clicked point, advances the epoch while playing, shows the server's error
for a bad setting, and draws the plane.

STUB: until the backend branch's server (cetrain.playground) is merged, the `server` fixture
runs `StubPlayground` below, a tiny stand-in that follows /work/briefs/playground_api.md (its
numbers are a plain softmax regression, not cetrain's core). Replace the fixture's body with
the real server on port 0 and delete the stub.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cetrain
from cetrain.core.params import Choice, Flag, Integer, Number, OneOf
from cetrain.errors import CetrainError
from cetrain.runs.settings import BY_NAME

CHROMIUM = Path("/usr/bin/chromium")
STATIC = Path(cetrain.__file__).parent / "playground" / "static"
SCREENSHOT_SIZE = {"width": 1280, "height": 800}


# --- STUB server (to be replaced by cetrain.playground's) ----------------------------------

STUB_SETTINGS = ("model", "loss", "lr", "momentum", "l2", "poly", "label_smoothing", "focal_gamma")


def _setting_row(name: str) -> dict[str, Any]:
    setting = BY_NAME[name]
    domain = setting.param.domain
    numbers = [d for d in getattr(domain, "domains", (domain,)) if isinstance(d, Number | Integer)]
    kind = {Flag: "flag", Choice: "choice", Integer: "integer", Number: "number"}.get(
        type(domain), "text"
    )
    if isinstance(domain, OneOf) and numbers:
        kind = "number"
    low = numbers[0].low if numbers else None
    high = numbers[0].high if numbers else None
    return {
        "name": name,
        "kind": kind,
        "default": setting.default,
        "low": low,
        "high": None if high is None or math.isinf(high) else high,
        "choices": list(domain.choices or getattr(domain, "words", ()) or []) or None,
        "help": setting.param.help,
        "loss": setting.loss,
    }


class StubPlayground:
    """One shared session: points, config, and a softmax regression stepped by plain gradient
    descent on the two raw features (enough for the page to draw real-looking frames)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counting = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.points: list[list[float]] = []
        self.config = {name: BY_NAME[name].default for name in STUB_SETTINGS}
        self.compare: dict[str, Any] | None = None
        self.requests: list[tuple[str, str, Any]] = []
        self.reset()

    def reset(self) -> None:
        self.epoch = 0
        self.weights = np.zeros((3, 6))
        self.history: dict[str, list] = {"epoch": [], "train_loss": [], "test_loss": []}
        self.history["grad_norm"] = []
        self.frame: dict[str, Any] | None = None

    def classes(self) -> int:
        return max([2, *(int(p[2]) + 1 for p in self.points)])

    def bounds(self) -> list[list[float]]:
        if not self.points:
            return [[-3.0, 3.0], [-3.0, 3.0]]
        xy = np.array([p[:2] for p in self.points])
        low, high = xy.min(axis=0), xy.max(axis=0)
        pad = np.maximum((high - low) * 0.1, 0.5)
        return [[low[0] - pad[0], high[0] + pad[0]], [low[1] - pad[1], high[1] + pad[1]]]

    def state(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "settings": [_setting_row(name) for name in STUB_SETTINGS],
            "compare": self.compare,
            "points": [[*point, int(i % 4 == 3)] for i, point in enumerate(self.points)],
            "classes": [str(k) for k in range(self.classes())],
            "feature_names": ["x1", "x2"],
            "bounds": self.bounds(),
            "epoch": self.epoch,
            "status": "ready",
            "frame": self.frame,
        }

    def proba(self, xy: np.ndarray) -> np.ndarray:
        k = self.classes()
        scores = np.c_[xy, np.ones(len(xy))] @ self.weights[:, :k]
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def step(self, epochs: int) -> dict[str, Any]:
        data = np.array(self.points, dtype=float).reshape(-1, 3)
        xy, labels = data[:, :2], data[:, 2].astype(int)
        test = np.arange(len(data)) % 4 == 3
        k = self.classes()
        onehot = np.eye(k)[labels]
        lr = 0.5 if self.config["lr"] == "auto" else float(self.config["lr"])
        grad = np.zeros((3, k))
        for _ in range(epochs):
            if (~test).any():
                residual = self.proba(xy[~test]) - onehot[~test]
                grad = np.c_[xy[~test], np.ones((~test).sum())].T @ residual / (~test).sum()
                self.weights[:, :k] -= lr * grad
            self.epoch += 1
        proba = self.proba(xy)
        loss = -np.log(np.maximum(proba[np.arange(len(xy)), labels], 1e-300))
        train = float(loss[~test].mean()) if (~test).any() else None
        test_loss = float(loss[test].mean()) if test.any() else None
        # the stub's stand-in for a divergence: a step size over 100
        finite = (
            train is not None
            and math.isfinite(train)
            and self.config["lr"] in ("auto", *range(101))
        )
        for key, value in zip(
            self.history, (self.epoch, train, test_loss, float(np.linalg.norm(grad))), strict=True
        ):
            self.history[key].append(value)
        (x0, x1), (y0, y1) = self.bounds()
        gx, gy = np.linspace(x0, x1, 40), np.linspace(y0, y1, 30)
        grid = self.proba(np.c_[np.tile(gx, 30), np.repeat(gy, 40)]).reshape(30, 40, k)
        p1 = proba[test, 1] if test.any() else np.array([])
        edges = np.linspace(0, 1, 6)
        which = np.clip(np.digitize(p1, edges) - 1, 0, 4)
        count = [int((which == b).sum()) for b in range(5)]
        accuracy = float((proba.argmax(axis=1) == labels)[test].mean()) if test.any() else None
        self.frame = {
            "epoch": self.epoch,
            "status": "running" if finite else "diverged",
            "message": None if finite else "the objective grew past 1e6 times its start",
            "train_loss": train,
            "test_loss": test_loss,
            "accuracy": accuracy,
            "log_loss": test_loss,
            "grad_norm": float(np.linalg.norm(grad)),
            "weights": {"coef": self.weights[:2, :k].T.tolist(), "intercept": []},
            "grid": {"x": gx.tolist(), "y": gy.tolist(), "proba": grid.tolist()},
            "points": {"proba": proba.tolist(), "loss": loss.tolist()},
            "calibration": {
                "bin_edges": edges.tolist(),
                "mean_predicted": [
                    float(p1[which == b].mean()) if count[b] else None for b in range(5)
                ],
                "fraction_positive": [
                    float((labels[test][which == b] == 1).mean()) if count[b] else None
                    for b in range(5)
                ],
                "count": count,
            },
            "history": {key: list(values) for key, values in self.history.items()},
            "compare": None,
        }
        if self.compare is not None:
            self.frame["compare"] = {**self.frame, "compare": None}
        return self.frame

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.requests.append((method, path, body))
        if method == "GET" and path == "/api/state":
            return 200, self.state()
        if method == "POST" and path == "/api/points":
            if "points" in body:
                self.points = [[float(x), float(y), int(label)] for x, y, label in body["points"]]
            elif "dataset" in body:
                rng = np.random.default_rng(body.get("seed", 0))
                n = int(body.get("n", 200))
                labels = np.arange(n) % 2
                xy = rng.normal(size=(n, 2)) * 0.7 + np.c_[labels * 2 - 1, labels * 2 - 1]
                self.points = np.c_[xy, labels].tolist()
            else:  # "x1,x2,label" rows after a header
                rows = [line.split(",") for line in body["csv"].splitlines()[1:] if line]
                self.points = [[float(x), float(y), int(label)] for x, y, label in rows]
            self.reset()
            return 200, self.state()
        if method == "POST" and path == "/api/config":
            for name, value in body.items():
                if name == "compare":
                    self.compare = value
                    continue
                if name not in STUB_SETTINGS:
                    return 400, {"error": f"unknown setting '{name}'"}
                try:
                    self.config[name] = BY_NAME[name].param.check(value)
                except CetrainError as exc:
                    return 400, {"error": str(exc)}
            self.reset()
            return 200, self.state()
        if method == "GET" and path == "/api/export":
            lines = ["x1,x2,label", *(f"{x!r},{y!r},{label}" for x, y, label in self.points)]
            return 200, "\n".join(lines) + "\n"
        if method == "POST" and path == "/api/step":
            return 200, self.step(int(body.get("epochs", 1)))
        if method == "POST" and path == "/api/reset":
            self.reset()
            return 200, self.state()
        return 404, {"error": f"no such address: {method} {path}"}


class _Handler(BaseHTTPRequestHandler):
    stub: StubPlayground

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/api/export":
            self._api("GET", path, self.path.partition("?")[2])
            return
        files = {"/": "index.html", "/app.js": "app.js", "/style.css": "style.css"}
        if path in files:
            kinds = {"html": "text/html", "js": "text/javascript", "css": "text/css"}
            name = files[path]
            kind = kinds[name.rsplit(".", 1)[1]] + "; charset=utf-8"
            self._send(200, (STATIC / name).read_bytes(), kind)
            return
        self._api("GET", path, None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, b'{"error": "the body is not JSON"}', "application/json")
            return
        self._api("POST", self.path.split("?")[0], body)

    def _api(self, method: str, path: str, body: Any) -> None:
        stub = self.stub
        with stub.counting:
            stub.in_flight += 1
            stub.most_in_flight = max(stub.most_in_flight, stub.in_flight)
        if path == "/api/step":
            time.sleep(0.02)  # a slow step: a page stepping on a timer would pile requests up
        with stub.lock:
            status, answer = stub.answer(method, path, body)
        with stub.counting:
            stub.in_flight -= 1
        if isinstance(answer, str):  # an export
            self.send_response(status)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Disposition", 'attachment; filename="points.csv"')
            self.send_header("Content-Length", str(len(answer.encode())))
            self.end_headers()
            self.wfile.write(answer.encode())
            return
        self._send(status, json.dumps(answer).encode(), "application/json")


@pytest.fixture
def server():
    """(base URL, the stub) of a playground server on 127.0.0.1, port 0. STUB: see the module
    docstring."""
    stub = StubPlayground()
    handler = type("Handler", (_Handler,), {"stub": stub})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", stub
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- the page in Chromium ------------------------------------------------------------------


@pytest.fixture
def open_page(server):
    """A function opening the page (with a query string) in headless Chromium at 1280x800;
    it returns (page, problems, requests): console errors and warnings with page errors, and
    every URL requested."""
    # CI installs both (.ci/run) and sets CETRAIN_REQUIRE_BROWSER, so there a skip is a failure
    skip = pytest.fail if os.environ.get("CETRAIN_REQUIRE_BROWSER") else pytest.skip
    if not CHROMIUM.is_file():
        skip(f"{CHROMIUM} is not installed: apt-get install chromium libatomic1 fonts-liberation")
    try:
        from playwright import sync_api
    except ImportError:
        skip("playwright is not installed: pip install playwright==1.65.2")
    url, _ = server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        print(f"Chromium {browser.version}")

        def open_(query: str = ""):
            page = browser.new_page(viewport=SCREENSHOT_SIZE, accept_downloads=True)
            problems: list[str] = []
            requests: list[str] = []
            page.on(
                "console",
                lambda m: m.type in ("error", "warning") and problems.append(f"{m.type}: {m.text}"),
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{url}/{query}", wait_until="load")
            page.wait_for_selector("body[data-ready='yes']", timeout=5000)
            return page, problems, requests

        try:
            yield open_
        finally:
            browser.close()


# Chromium logs every 4xx answer to fetch as a console error; the tests expect it exactly where
# they send a bad value
REFUSED = "error: Failed to load resource: the server responded with a status of 400 (Bad Request)"


def _plane_size(page) -> tuple[float, float]:
    """The plane canvas's inside box in CSS pixels (click positions are relative to it)."""
    width, height = page.evaluate("() => [plane.clientWidth, plane.clientHeight]")
    return width, height


def _pixel_of(stub: StubPlayground, size: tuple[float, float], x: float, y: float) -> dict:
    """The position on the plane of the data point (x, y), for the bounds the server sent."""
    (x0, x1), (y0, y1) = stub.bounds()
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


def _only_local(requests: list[str], url: str) -> None:
    assert requests and all(r.startswith((url + "/", "data:", "blob:")) for r in requests), requests


def test_clicks_play_errors_drag_remove_upload_and_export_in_chromium(server, open_page, tmp_path):
    """Clicks add points of the selected class where clicked; play advances the epoch; a bad
    setting shows the server's message; the plane is drawn; a drag moves a point, a
    right-click removes one; a CSV upload and the export go through the API."""
    url, stub = server
    page, problems, requests = open_page()
    plane = page.locator("#plane")
    size = _plane_size(page)
    pixel = 6 / size[0]  # one CSS pixel in data units: the plane shows [-3, 3] at first
    assert page.get_attribute("body", "data-points") == "0"

    plane.click(position={"x": size[0] * 0.25, "y": size[1] * 0.5})
    page.wait_for_selector("body[data-points='1']", timeout=3000)
    assert stub.requests[-1][:2] == ("POST", "/api/points")
    assert stub.requests[-1][2] == {
        "points": [[pytest.approx(-1.5, abs=pixel), pytest.approx(0.0, abs=pixel), 0]]
    }
    for count, (fx, fy, label) in enumerate(((0.7, 0.3, 1), (0.8, 0.4, 1), (0.3, 0.6, 0)), 2):
        page.click(f"#classes [data-class='{label}']")
        plane.click(position={"x": size[0] * fx, "y": size[1] * fy})
        page.wait_for_selector(f"body[data-points='{count}']", timeout=3000)
    assert [p[2] for p in stub.points] == [0, 1, 1, 0]

    # play advances the epoch shown, 10 epochs a frame; pause stops asking for frames
    page.click("#play")
    page.wait_for_function("() => Number(document.body.dataset.epoch) >= 30", timeout=4000)
    page.click("#pause")
    page.wait_for_selector("body[data-playing='no'][data-busy='no']")
    epoch = int(page.text_content("#epoch"))
    assert epoch >= 30
    assert epoch == int(page.get_attribute("body", "data-epoch")) == stub.epoch
    steps = [r for r in stub.requests if r[1] == "/api/step"]
    assert steps and all(r[2] == {"epochs": 10} for r in steps)
    # one request at a time, and every frame answered is drawn
    assert stub.most_in_flight == 1
    assert int(page.get_attribute("body", "data-frames")) == len(steps)

    # the plane is drawn: a pixel far from the points is shaded, not the white background
    shaded = _plane_pixel(page, size[0] * 0.97, size[1] * 0.03)
    assert shaded[3] == 255 and shaded[:3] != [255, 255, 255], shaded
    assert problems == []

    # a bad setting: the server's own message is on the page; the control shows the old value
    page.fill("#setting-momentum", "1.5")
    page.press("#setting-momentum", "Enter")
    page.wait_for_selector("#status[data-kind='error']", timeout=3000)
    assert page.text_content("#status") == "momentum must be a finite number in [0, 1); got 1.5"
    assert page.input_value("#setting-momentum") == "0.99"
    assert problems == [REFUSED]
    problems.clear()

    # a good one reaches the server and the URL (a bookmark restores it)
    page.select_option("#setting-loss", "focal")
    page.wait_for_function("() => location.search === '?loss=focal'", timeout=3000)
    assert stub.config["loss"] == "focal"
    assert page.is_visible("#setting-focal_gamma")
    assert not page.is_visible("#setting-label_smoothing")

    # drag the second point to (1, -1); right-click the first away
    before = [list(p) for p in stub.points]
    start = _pixel_of(stub, size, *before[1][:2])
    end = _pixel_of(stub, size, 1.0, -1.0)
    box = plane.bounding_box()
    border = page.evaluate("() => plane.clientLeft")
    page.mouse.move(box["x"] + border + start["x"], box["y"] + border + start["y"])
    page.mouse.down()
    page.mouse.move(box["x"] + border + end["x"], box["y"] + border + end["y"], steps=4)
    page.mouse.up()
    page.wait_for_selector("body[data-busy='no']", timeout=3000)
    drawn_pixel = 3 * (stub.bounds()[0][1] - stub.bounds()[0][0]) / size[0]
    assert stub.points[0] == before[0] and stub.points[2:] == before[2:]
    assert stub.points[1] == [
        pytest.approx(1.0, abs=drawn_pixel),
        pytest.approx(-1.0, abs=drawn_pixel),
        1,
    ]
    plane.click(position=_pixel_of(stub, size, *before[0][:2]), button="right")
    page.wait_for_selector("body[data-points='3']", timeout=3000)
    assert [p[2] for p in stub.points] == [1, 1, 0]

    # a CSV file chosen on the page is sent as text
    text = "x1,x2,label\n0.5,1.5,0\n-1,2,1\n2,-2,2\n"
    page.set_input_files(
        "#csv", files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.wait_for_selector("body[data-points='3']")
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Loaded mine.csv')"
    )
    assert stub.requests[-1] == ("POST", "/api/points", {"csv": text})
    assert stub.points == [[0.5, 1.5, 0], [-1.0, 2.0, 1], [2.0, -2.0, 2]]

    # export: the browser downloads the server's file
    with page.expect_download() as download:
        page.click("#export-points")
    assert download.value.suggested_filename == "points.csv"
    assert (
        Path(download.value.path()).read_text()
        == "x1,x2,label\n0.5,1.5,0\n-1.0,2.0,1\n2.0,-2.0,2\n"
    )

    page.screenshot(path=str(tmp_path / "playground.png"))
    assert problems == []
    _only_local(requests, url)


def test_the_url_restores_settings_and_a_divergence_stops_play_in_chromium(server, open_page):
    """Settings in the query string are sent on load (the compared model's as compare.NAME);
    a divergence stops play and says so on the page."""
    url, stub = server
    stub.answer("POST", "/api/points", {"dataset": "moons", "n": 40})
    page, problems, requests = open_page("?lr=1000&momentum=0.5&compare.loss=mse")
    config = [r for r in stub.requests if r[:2] == ("POST", "/api/config")]
    assert config == [
        ("POST", "/api/config", {"lr": 1000, "momentum": 0.5, "compare": {"loss": "mse"}})
    ]
    assert page.is_visible("#plane2")
    assert page.is_checked("#compare")
    assert page.input_value("[data-setting='loss'][data-model='2']") == "mse"
    assert page.input_value("#setting-lr") == "1000"

    page.click("#play")
    page.wait_for_selector("#status[data-kind='diverged']", timeout=3000)
    assert page.text_content("#status") == (
        "Diverged at epoch 10: the objective grew past 1e6 times its start"
    )
    page.wait_for_selector("body[data-playing='no']")
    assert [r[1] for r in stub.requests].count("/api/step") == 1
    assert problems == []
    _only_local(requests, url)
