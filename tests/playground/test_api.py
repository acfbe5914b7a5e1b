"""The JSON API driven with urllib against a server on port 0: every number the page gets is
the one `cetrain train`, the estimator, scikit-learn or the formula gives for the same points
and settings; every refused request gets its message, and the server goes on."""

import dataclasses
import json
import urllib.error
import urllib.request

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from cetrain.data.registry import load_dataset
from cetrain.playground.frames import GRID_DECIMALS
from cetrain.playground.server import make_server, serve_in_thread
from cetrain.playground.session import Session
from cetrain.runs.modelfile import load_model
from cetrain.runs.settings import DEFAULTS, read_config, resolve_settings
from cetrain.runs.train import train


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


@pytest.fixture(scope="module")
def server():
    server = make_server(Session(), port=0)
    thread = serve_in_thread(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def client(server):
    server.session = Session()  # each test from a fresh session
    return Client(server.url)


# Two overlapping classes with one confidently wrong point (the classroom exercise).
RNG = np.random.default_rng(3)
ROWS = [[float(x), float(y), int(x + 0.3 * y > 0)] for x, y in RNG.normal(size=(60, 2))]
ROWS.append([2.5, 2.0, 0])
CONFIG = {"l2": 0.01, "momentum": 0.0, "poly": 2}


def _reference(points, epochs, **changes):
    """`cetrain train`'s run (runs.train.train) on the same rows and settings."""
    X = np.array([row[:2] for row in points])
    y = np.array([row[2] for row in points])
    from cetrain.data import Dataset

    dataset = Dataset("points", X, y, ["x1", "x2"], "label")
    settings = dataclasses.replace(DEFAULTS, data="points", epochs=epochs, **CONFIG, **changes)
    return train(settings, dataset=dataset)


def _drive(client, compare=None):
    client.ok("POST", "/api/points", {"points": ROWS})
    client.ok("POST", "/api/config", {**CONFIG, "compare": compare})
    client.ok("POST", "/api/step", {"epochs": 7})
    return client.ok("POST", "/api/step", {"epochs": 13})


def test_steps_give_the_numbers_of_cetrain_train(client):
    frame = _drive(client, compare={"loss": "mse"})
    for answer, loss in ((frame, "cross-entropy"), (frame["compare"], "mse")):
        result = _reference(ROWS, 20, loss=loss)
        history, estimator = result.history, result.pipeline.estimator
        assert answer["epoch"] == 20
        assert answer["train_loss"] == pytest.approx(history.train_loss[-1], abs=1e-12)
        assert answer["test_loss"] == pytest.approx(history.val_loss[-1], abs=1e-12)
        assert answer["grad_norm"] == pytest.approx(history.grad_norm[-1], abs=1e-12)
        np.testing.assert_allclose(answer["weights"]["coef"], estimator.coef_, atol=1e-12)
        np.testing.assert_allclose(answer["weights"]["intercept"], estimator.intercept_, atol=1e-12)
        assert answer["accuracy"] == result.metrics.test.accuracy
        assert answer["log_loss"] == pytest.approx(result.metrics.test.log_loss, abs=1e-12)
        # the second step answered the epochs it added
        assert answer["history"]["epoch"] == list(range(8, 21))
        np.testing.assert_allclose(
            answer["history"]["train_loss"], history.train_loss[8:], atol=1e-12
        )


def test_grid_points_and_calibration_are_the_models(client):
    frame = _drive(client)
    state = client.ok("GET", "/api/state")
    pipeline = _reference(ROWS, 20).pipeline
    X = np.array([row[:2] for row in ROWS])
    y = np.array([row[2] for row in ROWS])
    # the grid: predict_proba on a 100 x 100 grid over the data's range padded by 8%
    (x_lo, x_hi), (y_lo, y_hi) = state["bounds"]
    pad = 0.08 * (X.max(axis=0) - X.min(axis=0))
    np.testing.assert_allclose([x_lo, y_lo], X.min(axis=0) - pad, rtol=1e-15)
    np.testing.assert_allclose([x_hi, y_hi], X.max(axis=0) + pad, rtol=1e-15)
    gx, gy = np.linspace(x_lo, x_hi, 100), np.linspace(y_lo, y_hi, 100)
    GX, GY = np.meshgrid(gx, gy)
    expected = pipeline.predict_proba(np.column_stack([GX.ravel(), GY.ravel()]))
    np.testing.assert_allclose(
        # sent to GRID_DECIMALS decimals: within half their last place
        np.array(frame["grid"]["proba"]).reshape(-1, 2),
        expected,
        rtol=0,
        atol=0.5 * 10.0**-GRID_DECIMALS + 1e-12,
    )
    np.testing.assert_allclose(frame["grid"]["x"], gx, rtol=1e-15)
    # each point's loss: cross-entropy log(1 + e^s) - y s on its score s
    scores = pipeline.decision_function(X)
    np.testing.assert_allclose(
        frame["points"]["loss"], np.logaddexp(0, scores) - y * scores, atol=1e-12
    )
    np.testing.assert_allclose(frame["points"]["proba"], pipeline.predict_proba(X), atol=1e-12)
    # the reliability bins of the test rows, as scikit-learn's calibration_curve bins them
    test = np.array([row[3] for row in state["points"]]) == 1
    assert test.sum() == 16  # 25% of 61, rounded up
    observed, predicted = calibration_curve(
        y[test], pipeline.predict_proba(X[test])[:, 1], n_bins=10
    )
    np.testing.assert_allclose(frame["calibration"]["fraction_positive"], observed, atol=1e-12)
    np.testing.assert_allclose(frame["calibration"]["mean_predicted"], predicted, atol=1e-12)
    assert sum(frame["calibration"]["count"]) == 16


def test_exports_rerun_to_the_same_numbers(client, tmp_path):
    frame = _drive(client)
    for what, name in (
        ("points", "points.csv"),
        ("config", "config.toml"),
        ("model", "model.json"),
    ):
        status, text = client.get(f"/api/export?what={what}")
        assert status == 200
        (tmp_path / name).write_text(text if isinstance(text, str) else json.dumps(text))
    # model.json loads and predicts the page's probabilities
    model = load_model(tmp_path / "model.json")
    np.testing.assert_allclose(
        model.predict_proba(str(tmp_path / "points.csv")), frame["points"]["proba"], atol=1e-12
    )
    # config.toml, with the points beside it, re-runs `cetrain train` to the same loss
    path = tmp_path / "config.toml"
    result = train(resolve_settings(read_config(path), config_name=str(path)))
    assert result.metrics.epochs == 20
    assert result.history.train_loss[-1] == pytest.approx(frame["train_loss"], abs=1e-12)


def test_a_generated_dataset_is_the_registrys(client):
    state = client.ok(
        "POST", "/api/points", {"dataset": "spiral", "n": 150, "noise": 0.1, "seed": 4}
    )
    expected = load_dataset("spiral", n_samples=150, noise=0.1, seed=4)
    np.testing.assert_array_equal([p[:2] for p in state["points"]], expected.X)
    assert [p[2] for p in state["points"]] == expected.y.tolist()
    assert state["classes"] == ["0", "1", "2"]


def test_a_csv_with_more_features_shows_the_two_train_would_plot(client):
    lines = ["a,b,c,kind"] + [
        f"{a:.3f},{b:.3f},{c:.3f},{'yes' if 3 * b + 0.2 * a > 0 else 'no'}"
        for a, b, c in np.random.default_rng(0).normal(size=(80, 3))
    ]
    state = client.ok("POST", "/api/points", {"csv": "\n".join(lines)})
    assert state["feature_names"] == ["b", "a"]  # the largest standardised coefficients first
    assert state["classes"] == ["no", "yes"]


BAD = [
    ("/api/config", {"l2": -1}, 400, "l2 must be a finite number in [0, 1e6]; got -1"),
    ("/api/config", {"loss": "cubic"}, 400, None),
    (
        "/api/config",
        {"speed": 3},
        400,
        "unknown setting 'speed'; the playground's settings: model, loss, class_weight, "
        "label_smoothing, focal_gamma, focal_alpha, sce_alpha, sce_beta, lr, tol, l2, l1, "
        "momentum, standardize, dtype, poly, test_size, seed, compare",
    ),
    ("/api/step", {"epochs": 0}, 400, "epochs must be an integer in [1, 1000]; got 0"),
    (
        "/api/points",
        {"points": [[0.0, 0.0, 0]] * 20001},
        400,
        "too many points: 20001; the playground takes at most 20000",
    ),
    ("/api/nowhere", {}, 404, None),
]


@pytest.mark.parametrize(
    "path, body, status, message", BAD, ids=[b[0] + str(i) for i, b in enumerate(BAD)]
)
def test_a_refused_request_says_why_and_the_server_goes_on(client, path, body, status, message):
    client.ok("POST", "/api/points", {"points": ROWS})
    got, answer = client.post(path, body)
    assert got == status
    if message is not None:
        assert answer == {"error": message}
    else:
        assert answer["error"]
    assert client.ok("GET", "/api/state")["config"]["l2"] == 0.001  # nothing changed


RAW = [
    (b'{"l2": NaN}', 400, "l2 must be a finite number in [0, 1e6]; got nan"),
    (b"l2=0.1", 400, "the request body is not JSON (send a JSON object)"),
    (b"[1, 2]", 400, "the request body must be a JSON object"),
]


@pytest.mark.parametrize("raw, status, message", RAW)
def test_a_body_that_is_not_a_json_object_of_finite_numbers_is_refused(
    client, raw, status, message
):
    got, answer = client.post("/api/config", raw=raw, headers={"Content-Type": "application/json"})
    assert (got, answer) == (status, {"error": message})
    assert client.ok("GET", "/api/state")["config"]["l2"] == 0.001


def test_a_point_that_is_not_finite_is_refused(client):
    raw = b'{"points": [[0, 0, 0], [1, Infinity, 1]]}'
    got, answer = client.post("/api/points", raw=raw)
    assert (got, answer["error"]) == (
        400,
        "points row 1: coordinates must be finite numbers within +-1e12; got [1, inf, 1]",
    )


def test_a_body_over_10_mb_is_refused(client):
    got, answer = client.post("/api/points", raw=b" " * (10 * 1024 * 1024 + 1))
    assert got == 413
    assert answer == {
        "error": "the request body has 10485761 bytes; at most 10485760 (10 MB) are taken"
    }
    assert client.ok("GET", "/api/state")["status"] == "ready"


def test_a_divergence_stops_the_run_and_says_so(client):
    client.ok("POST", "/api/points", {"points": ROWS})
    client.ok("POST", "/api/config", {"lr": 1e6, "momentum": 0.0})
    frame = client.ok("POST", "/api/step", {"epochs": 5})
    assert (frame["status"], frame["epoch"]) == ("diverged", 1)
    assert frame["message"] == (
        "training diverged with the step lr = 1e+06: the loss grew instead of falling; use a "
        "smaller lr (e.g. lr = 100000) or lr = auto"
    )
    # a finished run takes no more steps; reset starts it again from zero
    assert client.ok("POST", "/api/step", {"epochs": 5})["epoch"] == 1
    state = client.ok("POST", "/api/reset", {})
    assert (state["epoch"], state["status"], state["frame"]) == (0, "ready", None)


def test_settings_the_points_cannot_take_change_nothing(client):
    three = [[float(i), float(i % 3), i % 3] for i in range(30)]
    client.ok("POST", "/api/points", {"points": three})
    client.ok("POST", "/api/step", {"epochs": 5})
    got, answer = client.post("/api/config", {"model": "logistic", "l2": 0.5})
    assert (got, answer) == (
        400,
        {
            "error": "model 'logistic' needs exactly 2 classes, but 'points' has 3 (0, 1, 2); "
            "use model 'softmax' or 'auto'"
        },
    )
    state = client.ok("GET", "/api/state")
    assert (state["epoch"], state["config"]["model"], state["config"]["l2"]) == (5, "auto", 0.001)


def test_points_of_one_class_wait_for_another(client):
    state = client.ok("POST", "/api/points", {"points": [[0.0, 0.0, 1], [1.0, 1.0, 1]]})
    assert state["message"] == "'points' has only one class (1); a classifier needs two"
    assert client.ok("POST", "/api/config", {"loss": "mse"})["config"]["loss"] == "mse"
    assert client.post("/api/step", {"epochs": 1}) == (400, {"error": state["message"]})


@pytest.mark.parametrize(
    "headers, message",
    [
        ({"Origin": "http://example.com"}, "requests from another site's page are not taken"),
        ({"Host": "evil.example:80"}, "the page is served as 127.0.0.1, not as 'evil.example:80'"),
    ],
    ids=["origin", "rebinding"],
)
def test_another_sites_page_cannot_drive_it(client, headers, message):
    got = client.request("POST", "/api/config", {"l2": 0.5}, headers=headers)
    assert got == (403, {"error": message})
    assert client.ok("GET", "/api/state")["config"]["l2"] == 0.001


def test_a_finished_model_sends_no_epochs_again_in_compare_mode(client):
    # cross-entropy with momentum converges to tol 0.01 long before plain MSE descent to 1e-9
    client.ok("POST", "/api/points", {"points": ROWS})
    compared = {"loss": "mse", "momentum": 0.0, "tol": 1e-9}
    client.ok("POST", "/api/config", {"tol": 0.01, "compare": compared})
    epochs = []
    for _ in range(6):
        frame = client.ok("POST", "/api/step", {"epochs": 50})
        epochs.append((frame["history"]["epoch"], frame["compare"]["history"]["epoch"]))
    first_done = next(i for i, (first, _) in enumerate(epochs) if not first)
    assert first_done > 0 and all(not first for first, _ in epochs[first_done:])
    # the compared model's steps: each epoch once, from epoch 0 (the start) on
    seen = [epoch for _, added in epochs for epoch in added]
    assert seen == list(range(len(seen))) and len(seen) > 200


def test_a_class_with_no_point_left_keeps_the_others_numbers(client):
    # classes 0, 1 and "x" from a CSV; the points then keep only 0 and 1: the model's classes
    # are the numbers 0 and 1 (as their CSV reads back), at the positions 0 and 1
    lines = ["x1,x2,label", "0,0,0", "1,1,1", "0.2,0.1,0", "0.9,1.2,1", "5,5,x"]
    client.ok("POST", "/api/points", {"csv": "\n".join(lines)})
    rows = [[0.0, 0.0, 0], [1.0, 1.0, 1], [0.2, 0.1, 0], [0.9, 1.2, 1], [0.1, 0.3, 0]]
    client.ok("POST", "/api/points", {"points": rows})
    frame = client.ok("POST", "/api/step", {"epochs": 5})
    assert frame["model_classes"] == [0, 1]
    assert client.ok("GET", "/api/state")["classes"] == ["0", "1", "x"]
