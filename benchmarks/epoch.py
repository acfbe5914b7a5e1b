"""What one training epoch costs, as a multiple of its two matrix products, what a fit costs
before its first epoch, in epochs, and what a fit adds to each epoch.

For each problem size (rows, features, classes) and dtype this times, in the same run and on the
same data:

  floor      the epoch's two products, the faster of the two layouts: row-major X @ W then
             X.T @ G, or class-major W.T @ X.T then G.T @ X, into preallocated arrays. No
             epoch can cost less.
  epoch      LinearObjective.value_and_grad: one evaluation of the loss and its gradient, as
             a fit runs it: timed both ways of using the cores (cetrain.estimators.cores:
             "blas", products on BLAS's threads, and "blocks", row blocks over two threads
             with BLAS on one in each), of which a fit keeps the faster; the way is printed
  textbook   the usual NumPy epoch: a column of ones stacked onto X (a copy), a one-hot matrix,
             softmax in fresh arrays, and log(p + eps)
  fixed      the fixed cost of a fit that issue 12 names, in epochs: the standardisation's
             statistics and the weighted Gram matrix, from one pass over X (no standardised
             copy is made), and the step-size estimate (the Gram matrix's top eigenvalue and
             the preconditioner's eigendecomposition)
  fit(0)     the whole of a default fit before its first step (the estimator's fit with
             max_iter=0: checks, targets, standardisation, step size, one evaluation), in epochs
  in fit     what a real fit adds to each epoch beyond its evaluation: the optimiser's step,
             history, convergence checks and a progress callback, as a share of the
             evaluation: the time between one evaluation's end and the next one's start over
             the time inside the evaluations, in the same fit (so that a busy machine slows
             both alike); the smallest of a few fits

and prints epoch / floor, textbook / floor, fixed, fit(0) and in fit. float32 data is timed as
it is given, and fit with dtype="float32". Run by hand, never in the tests:

    python benchmarks/epoch.py            # the issue's four sizes, float64 and float32
    python benchmarks/epoch.py --quick    # the two smallest sizes, float64 only
"""

import argparse
import contextlib
import itertools
import os
import platform
import time
import warnings

import numpy as np

from cetrain import LogisticRegression, SoftmaxRegression
from cetrain.core.losses import binary_cross_entropy, cross_entropy
from cetrain.core.objective import LinearObjective
from cetrain.core.optim import MajoriserInverse
from cetrain.data.preprocess import Standardizer
from cetrain.estimators.cores import CoreUse

# (rows, features, classes): issue 12's table; 2 classes is a binary (sigmoid) model
SIZES = [
    (10_000, 20, 2),
    (200_000, 20, 2),
    (100_000, 100, 10),
    (1_000_000, 50, 10),
]
DTYPES = (np.float64, np.float32)
# epochs of the real fit whose per-epoch cost is compared with the bare evaluation's
FIT_EPOCHS = 10


def best_time(function, min_seconds: float = 0.5, repeats: int = 5) -> float:
    """The fastest of `repeats` averages, each over enough calls to last min_seconds/repeats:
    the minimum is the run least disturbed by the rest of the machine."""
    function()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds / repeats:
        function()
        calls += 1
    calls = max(calls, 1)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def best_times(timed, min_seconds: float = 2.0, rounds: int = 10) -> list[float]:
    """best_time of each (function, context) pair, their batches taken in turn, round after
    round: on a shared machine each then has the same chances at its quieter moments, so their
    ratios are fair. context() (None: none) is entered around each batch of calls."""
    calls = []
    for function, context in timed:
        with context() if context else contextlib.nullcontext():
            function()
            start, count = time.perf_counter(), 0
            while time.perf_counter() - start < min_seconds / rounds / len(timed):
                function()
                count += 1
        calls.append(max(count, 1))
    best = [np.inf] * len(timed)
    for _ in range(rounds):
        for i, ((function, context), count) in enumerate(zip(timed, calls, strict=True)):
            with context() if context else contextlib.nullcontext():
                start = time.perf_counter()
                for _ in range(count):
                    function()
                best[i] = min(best[i], (time.perf_counter() - start) / count)
    return best


def floor_layouts(X: np.ndarray, outputs: int, rng: np.random.Generator) -> list:
    """The epoch's two products, X (n, d) times W (d, k) and back, in the two layouts."""
    n, d = X.shape
    W = rng.standard_normal((d, outputs)).astype(X.dtype)
    scores, grad = np.empty((n, outputs), X.dtype), np.empty((d, outputs), X.dtype)
    scores_t, grad_t = np.empty((outputs, n), X.dtype), np.empty((outputs, d), X.dtype)
    W_t = np.ascontiguousarray(W.T)

    def row_major():
        np.matmul(X, W, out=scores)
        np.matmul(X.T, scores, out=grad)

    def class_major():
        np.matmul(W_t, X.T, out=scores_t)
        np.matmul(scores_t, X, out=grad_t)

    return [row_major, class_major]


def textbook_epoch(X, y, W_full, n_classes):
    """The epoch as it is usually first written: clear, and several times slower."""
    Xb = np.hstack([X, np.ones((X.shape[0], 1), X.dtype)])  # copies X
    scores = Xb @ W_full
    if n_classes == 2:
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        loss = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        G = ((p - y) / len(y))[:, None]
    else:
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        onehot = np.eye(n_classes)[y]
        loss = -np.mean(np.sum(onehot * np.log(p + 1e-12), axis=1))
        G = (p - onehot) / len(y)
    return loss, Xb.T @ G


def measure(n: int, d: int, k: int, dtype, rng: np.random.Generator) -> dict[str, float]:
    X = np.ascontiguousarray(rng.standard_normal((n, d)), dtype=dtype)
    outputs = 1 if k == 2 else k
    W = rng.standard_normal((d, outputs)) * 0.1
    # labels from a linear model, so that a fit has something to learn
    scores = X @ W.astype(dtype)
    if k == 2:
        y = (scores[:, 0] + rng.standard_normal(n) > 0).astype(np.float64)
        loss, estimator = binary_cross_entropy, LogisticRegression
    else:
        y = np.argmax(scores + rng.gumbel(size=(n, k)), axis=1)
        loss, estimator = cross_entropy, SoftmaxRegression
    objective = LinearObjective(X, y, loss, n_outputs=outputs)
    theta = np.concatenate([W.ravel(), np.zeros(outputs)])
    theta_grad = np.empty_like(theta)
    W_full = theta.reshape(d + 1, outputs).astype(dtype)
    row_major, class_major = floor_layouts(X, outputs, rng)
    row_major, class_major, on_blas, on_blocks, textbook = best_times(
        [
            (row_major, None),
            (class_major, None),
            # as a fit runs it, each way of using the cores (a fit keeps the faster)
            (lambda: objective.value_and_grad(theta, theta_grad), lambda: way(objective, "blas")),
            (
                lambda: objective.value_and_grad(theta, theta_grad),
                lambda: way(objective, "blocks"),
            ),
            (lambda: textbook_epoch(X, y, W_full, k), None),
        ]
    )
    floor = min(row_major, class_major)
    # data of one block has nothing to share: "blocks" runs as "blas" there
    epoch, cores = (on_blas, "blas") if on_blas <= on_blocks else (on_blocks, "blocks")
    labels = y.astype(int) if k == 2 else y

    def fixed_cost():
        # as a fit: the Standardizer's one pass also gives the Gram matrix
        standardizer = Standardizer().fit(X)
        mean, scale = standardizer.objective_terms()
        standardised = LinearObjective(
            X,
            y,
            loss,
            n_outputs=outputs,
            mean=mean,
            scale=scale,
            gram=standardizer.weighted_gram(),
        )
        standardised.lipschitz_bound()  # the weighted Gram matrix, kept for the preconditioner
        MajoriserInverse(loss.curvature * standardised.weighted_gram(), outputs)

    def fit(epochs: int):
        def run():
            with warnings.catch_warnings():  # a fit cut short never converges, and says so
                warnings.simplefilter("ignore")
                estimator(max_iter=epochs, tol=0.0, dtype=np.dtype(dtype).name).fit(
                    X, labels, callback=lambda epoch, loss, grad_norm: None
                )

        return run

    setup = best_time(fit(0), min_seconds=1.0, repeats=3)
    return {
        "floor_ms": floor * 1e3,
        "epoch_ms": epoch * 1e3,
        "epoch": epoch / floor,
        "cores": cores,
        "textbook": textbook / floor,
        "fixed": best_time(fixed_cost, min_seconds=1.0, repeats=3) / epoch,
        "fit0": setup / epoch,
        "in_fit": min(fit_overhead(fit(FIT_EPOCHS)) for _ in range(3)),
    }


def way(objective: LinearObjective, name: str):
    """The context in which objective's evaluations use the cores `name`'s way."""
    return CoreUse(objective).way(name)


def fit_overhead(run_fit) -> float:
    """The time a fit spends between its evaluations over the time inside them (evaluations
    after the first), timed by a wrapper around LinearObjective.value_and_grad."""
    stamps = []
    evaluate = LinearObjective.value_and_grad

    def timed(self, theta, grad_out):
        start = time.perf_counter()
        value = evaluate(self, theta, grad_out)
        stamps.append((start, time.perf_counter()))
        return value

    LinearObjective.value_and_grad = timed
    try:
        run_fit()
    finally:
        LinearObjective.value_and_grad = evaluate
    inside = sum(stop - start for start, stop in stamps[1:])
    between = sum(later[0] - earlier[1] for earlier, later in itertools.pairwise(stamps))
    return between / inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest sizes, float64")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    sizes, dtypes = (SIZES[:2], DTYPES[:1]) if args.quick else (SIZES, DTYPES)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}; "
        f"$ python benchmarks/epoch.py{' --quick' if args.quick else ''}"
    )
    header = ("rows", "feat", "cls", "dtype", "floor", "epoch", "textbook", "fixed", "fit(0)")
    print(f"{header[0]:>9} {header[1]:>5} {header[2]:>4} {header[3]:>8} {header[4]:>11}", end="")
    print(f" {header[5]:>7} {header[6]:>9} {header[7]:>12} {header[8]:>12} {'in fit':>7} cores")
    for n, d, k in sizes:
        epochs = {}
        for dtype in dtypes:
            r = measure(n, d, k, dtype, rng)
            epochs[np.dtype(dtype).name] = r["epoch_ms"]
            print(
                f"{n:>9} {d:>5} {k:>4} {np.dtype(dtype).name:>8} {r['floor_ms']:>9.2f}ms "
                f"{r['epoch']:>6.2f}x {r['textbook']:>8.2f}x {r['fixed']:>6.1f} epochs "
                f"{r['fit0']:>6.1f} epochs {r['in_fit']:>+6.1%} {r['cores']}",
                flush=True,
            )
        if len(epochs) == 2:
            print(f"{'':>29}float32's epoch {epochs['float64'] / epochs['float32']:.2f}x faster")
    print(
        "epoch, textbook: time / floor (the faster layout of X@W and X.T@G, this run); cores: "
        "the faster way of using the cores, which a fit keeps (cetrain.estimators.cores); "
        "fixed: standardisation and the step-size estimate, in epochs; fit(0): a default fit's "
        "cost before its first step, in epochs; in fit: what a fit adds to each epoch "
        "(optimiser, history, convergence check, callback), as a share of the bare epoch"
    )


if __name__ == "__main__":
    main()
