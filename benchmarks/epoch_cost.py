"""What one training epoch costs, as a multiple of its two matrix products.

For each problem size this times, in the same run and on the same data:

  products   X @ W and X.T @ G into preallocated arrays: the floor any epoch must pay
  cetrain    LinearObjective.value_and_grad: row blocks, class-major scores, in-place softmax,
             no one-hot matrix, no copy of X
  textbook   the usual NumPy epoch: a column of ones stacked onto X (a copy), a one-hot matrix,
             softmax in fresh arrays, and log(p + eps)

and prints each epoch's time divided by the products' time. Run by hand, never in the tests:

    python benchmarks/epoch_cost.py            # all sizes
    python benchmarks/epoch_cost.py --quick    # the two smallest sizes
"""

import argparse
import time

import numpy as np

from cetrain.core.losses import binary_cross_entropy, cross_entropy
from cetrain.core.objective import LinearObjective

# (rows, features, classes); classes = 1 means a binary (sigmoid) model
SIZES = [
    (1_797, 64, 10),  # digits
    (20_000, 50, 3),
    (200_000, 20, 1),
    (100_000, 100, 10),
    (50_000, 784, 10),  # MNIST-sized
]


def best_time(function, min_seconds: float = 0.5, repeats: int = 5) -> float:
    """The fastest of `repeats` averages, each over enough calls to last min_seconds/repeats."""
    function()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds / repeats:
        function()
        calls += 1
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def textbook_epoch(X, y, W_full, n_classes):
    """The epoch as it is usually first written: clear, and several times slower."""
    Xb = np.hstack([X, np.ones((X.shape[0], 1))])  # copies X
    scores = Xb @ W_full
    if n_classes == 1:
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


def measure(n: int, d: int, k: int, rng: np.random.Generator) -> dict[str, float]:
    X = np.ascontiguousarray(rng.standard_normal((n, d)))
    outputs = max(k, 1)
    W = rng.standard_normal((d, outputs)) * 0.1
    if k == 1:
        y = rng.integers(0, 2, n).astype(np.float64)
        loss = binary_cross_entropy
    else:
        y = rng.integers(0, k, n)
        loss = cross_entropy
    scores, grad = np.empty((n, outputs)), np.empty((d, outputs))

    def products():
        np.matmul(X, W, out=scores)
        np.matmul(X.T, scores, out=grad)

    objective = LinearObjective(X, y, loss, n_outputs=outputs)
    theta = np.concatenate([W.ravel(), np.zeros(outputs)])
    theta_grad = np.empty_like(theta)
    W_full = theta.reshape(d + 1, outputs)
    base = best_time(products)
    return {
        "products_ms": base * 1e3,
        "cetrain": best_time(lambda: objective.value_and_grad(theta, theta_grad)) / base,
        "textbook": best_time(lambda: textbook_epoch(X, y, W_full, k)) / base,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the two smallest sizes")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'rows':>8} {'feat':>5} {'cls':>4} {'products':>11} {'cetrain':>9} {'textbook':>9}")
    for n, d, k in SIZES[:2] if args.quick else SIZES:
        r = measure(n, d, k, rng)
        print(
            f"{n:>8} {d:>5} {k if k > 1 else 2:>4} {r['products_ms']:>9.2f}ms "
            f"{r['cetrain']:>8.2f}x {r['textbook']:>8.2f}x"
        )
    print("ratios: epoch time / time of X@W and X.T@G, measured in this run")


if __name__ == "__main__":
    main()
