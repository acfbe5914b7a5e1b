"""A playground server on a free port, in a thread, and a urllib client for its JSON API."""

import json
import urllib.error
import urllib.request

import pytest

from cetrain.playground.server import make_server, serve_in_thread
from cetrain.playground.session import Session


class Client:
    """Requests to the server at `url`: (HTTP status, parsed JSON or text)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method, path, body=None, raw: bytes | None = None, headers=None):
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"), data=data, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, kind, text = answer.status, answer.headers["Content-Type"], answer.read()
        except urllib.error.HTTPError as error:
            status, kind, text = error.code, error.headers["Content-Type"], error.read()
        text = text.decode("utf-8")
        return status, json.loads(text) if kind == "application/json" else text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, {} if body is None and not kwargs else body, **kwargs)

    def ok(self, method, path, body=None):
        """The answer of a request that must succeed."""
        status, answer = self.request(method, path, body)
        assert status == 200, answer
        return answer


@pytest.fixture
def client():
    server = make_server(Session(), port=0)
    thread = serve_in_thread(server)
    yield Client(server.url)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
