"""What one playground frame costs: POST /api/step {"epochs": 10} on 1,000 points with
degree-3 polynomial features and the 100 x 100 probability grid, over HTTP to a server on a
free port (issue 13 asks for under 50 ms). Also the same step called on the session directly,
and the JSON encoding alone, to show where the time goes.

Run by hand, never in the tests:

    python benchmarks/playground_step.py [--repeat 30]

It prints the median and the fastest of the timed steps (the first steps, which import
scikit-learn's metrics and warm the caches, are not timed).
"""

import argparse
import json
import statistics
import time
import urllib.request

from cetrain.playground.server import make_server, serve_in_thread
from cetrain.playground.session import Session


def post(url: str, body: dict) -> bytes:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request) as answer:
        return answer.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="Steps timed.")
    args = parser.parse_args()
    session = Session()
    server = make_server(session, port=0)
    serve_in_thread(server)
    url = server.url + "api/"
    post(url + "points", {"dataset": "moons", "n": 1000, "noise": 0.2, "seed": 0})
    # a hand-set step and no momentum: plain gradient descent that never converges early
    post(url + "config", {"poly": 3, "lr": 0.1, "momentum": 0.0, "tol": 0.0})
    for _ in range(3):
        post(url + "step", {"epochs": 10})
    http, direct, encode, size = [], [], [], 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        size = len(post(url + "step", {"epochs": 10}))
        http.append(time.perf_counter() - start)
        start = time.perf_counter()
        frame = session.step({"epochs": 10})
        direct.append(time.perf_counter() - start)
        start = time.perf_counter()
        json.dumps(frame, allow_nan=False, separators=(",", ":"))
        encode.append(time.perf_counter() - start)
    server.shutdown()
    print("POST /api/step {epochs: 10}, 1000 points, poly 3, 100 x 100 grid")
    for name, times in (("over HTTP", http), ("session.step", direct), ("JSON encoding", encode)):
        median, best = statistics.median(times) * 1e3, min(times) * 1e3
        print(f"  {name:<14} median {median:6.1f} ms   fastest {best:6.1f} ms")
    print(f"  answer: {size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
