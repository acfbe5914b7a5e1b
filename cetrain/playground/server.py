"""The playground's HTTP server: the standard library's ThreadingHTTPServer (daemon threads, a
short poll interval so that Ctrl-C stops it within a second), serving the page's static files
and the JSON API of one shared Session.

Nothing else is served: a path is answered only if it is one of the package's static files
(by name, from a fixed list) or an API route; no file of the machine is read or written. A
request body must be JSON (an object), at most MAX_BODY bytes; anything else is a 4xx answer
{"error": message}, and the server goes on.
"""

from __future__ import annotations

import json
import math
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cetrain.errors import CetrainError
from cetrain.playground.serving import DEFAULT_HOST, MAX_BODY, POLL_INTERVAL
from cetrain.playground.session import Session, message

LOCAL_NAMES = ("127.0.0.1", "localhost")  # the names of this machine a local page is asked by
DRAIN_LIMIT = 8 * MAX_BODY  # bytes of a refused body still read, to answer its sender
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
POST_ROUTES = {
    "/api/points": Session.set_points,
    "/api/config": Session.set_config,
    "/api/step": Session.step,
    "/api/reset": Session.reset,
}
GET_ROUTES = ("/api/state", "/api/export")


class RequestError(Exception):
    """A request the server refuses: its HTTP status and the message the page shows."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class PlaygroundServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer with the session its handlers share."""

    daemon_threads = True  # a hung request never keeps the process alive
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], session: Session) -> None:
        self.session = session
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class Handler(BaseHTTPRequestHandler):
    """One request: a static file, or an API call answered in JSON."""

    server: PlaygroundServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL, not every request."""

    def do_GET(self) -> None:
        if not self._trusted():
            return
        url = urlsplit(self.path)
        if url.path in STATIC:
            self._static(*STATIC[url.path])
            return
        self._api(lambda: self._get(url.path, parse_qs(url.query)))

    def do_POST(self) -> None:
        if not self._trusted():
            return
        path = urlsplit(self.path).path
        self._api(lambda: self._post(path))

    def _trusted(self) -> bool:
        """Refuse (403) a request that another site's page made: one whose Origin is not this
        server's, or, on 127.0.0.1, one addressed to another host name (DNS rebinding)."""
        host = self.headers.get("Host", "")
        origin = self.headers.get("Origin")
        local = self.server.server_address[0] == DEFAULT_HOST
        if local and urlsplit(f"//{host}").hostname not in LOCAL_NAMES:
            reason = f"the page is served as 127.0.0.1, not as {host[:100]!r}"
        elif origin is not None and urlsplit(origin).netloc != host:
            reason = "requests from another site's page are not taken"
        else:
            return True
        self.close_connection = True
        self._json(HTTPStatus.FORBIDDEN, {"error": reason})
        return False

    def _get(self, path: str, query: dict[str, list[str]]) -> Any:
        session = self.server.session
        if path == "/api/state":
            return session.state()
        if path == "/api/export":
            name, kind, text = session.export(query.get("what", [""])[0])
            self._send(HTTPStatus.OK, text.encode("utf-8"), kind, filename=name)
            return None
        raise RequestError(HTTPStatus.NOT_FOUND, _unknown(path))

    def _post(self, path: str) -> Any:
        operation = POST_ROUTES.get(path)
        if operation is None:
            self._read_body()  # read it all, so that the connection stays in step
            raise RequestError(HTTPStatus.NOT_FOUND, _unknown(path))
        return operation(self.server.session, self._read_body())

    def _read_body(self) -> dict[str, Any]:
        """The request's JSON object ({} for an empty body)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True  # the body's end is unknown
            raise RequestError(HTTPStatus.BAD_REQUEST, "Content-Length must be a number") from None
        if length > MAX_BODY:
            # read what was sent (up to a bound), so that the client gets the answer rather
            # than a broken pipe; beyond it the connection is simply closed
            if length <= DRAIN_LIMIT:
                for start in range(0, length, 1 << 20):
                    self.rfile.read(min(1 << 20, length - start))
            self.close_connection = True
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body has {length} bytes; at most {MAX_BODY} "
                f"({MAX_BODY / 2**20:g} MB) are taken",
            )
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_non_finite)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "the request body is not JSON (send a JSON object)"
            ) from None
        if not isinstance(body, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object")
        return body

    def _api(self, answer) -> None:
        """Run an API call and send its JSON (or its error as {"error": message})."""
        try:
            result = answer()
        except RequestError as exc:
            self._json(exc.status, {"error": str(exc)})
            return
        except CetrainError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": message(exc)})
            return
        except Exception as exc:  # a bug of ours: say so, and go on serving
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {exc!r}"})
            raise
        if result is not None:
            self._json(HTTPStatus.OK, result)

    def _json(self, status: HTTPStatus, data: Any) -> None:
        body = json.dumps(data, allow_nan=False, separators=(",", ":")).encode("utf-8")
        self._send(status, body, "application/json")

    def _static(self, name: str, kind: str) -> None:
        file = resources.files("cetrain.playground").joinpath("static", name)
        try:
            body = file.read_bytes()
        except FileNotFoundError:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"the page's {name} is not installed"})
            return
        self._send(HTTPStatus.OK, body, kind)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, filename: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # the page loads nothing from elsewhere, and nothing may frame it
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "frame-ancestors 'none'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        if filename:
            self.send_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.end_headers()
        self.wfile.write(body)


def _non_finite(word: str) -> float:
    """json's NaN, Infinity and -Infinity, read as the floats, so that the setting or point
    they were given for refuses them by name."""
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[word]


def _unknown(path: str) -> str:
    routes = ", ".join([*GET_ROUTES, *(f"POST {route}" for route in POST_ROUTES)])
    return f"no such route: {path[:100]}; the API has {routes}"


def make_server(session: Session, host: str = DEFAULT_HOST, port: int = 0) -> PlaygroundServer:
    """A server bound to (host, port) (port 0: a free one), not yet serving. OSError if the
    port is taken."""
    return PlaygroundServer((host, port), session)


def serve_in_thread(server: PlaygroundServer) -> threading.Thread:
    """Serve in a daemon thread (tests, notebooks); server.shutdown() stops it."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    )
    thread.start()
    return thread
