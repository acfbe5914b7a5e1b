"""How long cetrain's default fit takes to reach scikit-learn lbfgs's optimum, as a ratio.

For each case (feature correlation, penalty, rows) this fits, on the same data in one process:

  lbfgs    sklearn.linear_model.LogisticRegression(solver="lbfgs", C=C, tol=1e-4,
           max_iter=10_000): scikit-learn's default tolerance (so the time a user of lbfgs
           waits), its time to its own optimum and that optimum's objective f*; --lbfgs-tol
           sets another (a tight one, 1e-10, times lbfgs to a more exact f*, which flatters
           cetrain: lbfgs then pays for digits cetrain is not asked for)
  cetrain  SoftmaxRegression (or LogisticRegression with --model logistic) with its DEFAULT
           settings (standardize=True, learning_rate="auto", momentum, tol, max_iter) except
           l2, mapped to the same objective: the time from calling fit to the first epoch whose
           objective is within 1e-6 relative of f*, i.e. f_k <= f* + 1e-6 |f*|

and prints both times and their ratio cetrain / lbfgs (below 1: cetrain is faster).

The data. Labels come from a random linear model plus noise (Gumbel noise on the scores for
softmax, so the labels follow a true multinomial logit model; logistic noise for two classes),
so the optimum is finite even without a penalty. Features are isotropic (X = Z, Z standard
normal) or correlated: X = Z @ A with A^T A a random correlation matrix whose eigenvalues are
log-spaced so that its condition number is 1e2 or 1e4 (scipy.stats.random_correlation, seeded).

The objective mapping. scikit-learn minimises C sum_i l_i + 1/2 ||W||^2 over the features as
given; divided by C n this is (1/n) sum_i l_i + (1/(2 C n)) ||W||^2, so l2 = 1/(C n), and
C = inf is l2 = 0 (intercepts are unpenalised in both). cetrain's l2 penalises the weights of
the STANDARDISED features, so the two objectives are the same only where standardising changes
nothing. This benchmark therefore standardises X once (mean 0, population scale 1) before both
fits: cetrain's default standardize=True then divides by scales that are 1 and subtracts means
that are 0 (to rounding), and the default fit is timed as a user gets it. Every objective is
computed by one function (mean cross-entropy plus (l2/2) ||W||^2) on the models' coefficients.

cetrain's time to f* is read from its history, not from fits with growing max_iter: the timed
fit's callback stamps each epoch with time.perf_counter(), and a second, identical fit with
record_params=True gives each epoch's weights, whose penalty is added to the recorded training
loss (keeping the weights is left out of the timed fit, as it costs time). The time before
epoch 0 (standardisation, the step size) is included. Each fit is run REPEATS times and the
fastest kept, for both libraries, and both are warmed up by one fit first (see warm_up). Run by
hand, never in the tests:

    python benchmarks/time_to_optimum.py            # 50_000 and 200_000 rows
    python benchmarks/time_to_optimum.py --quick    # 20_000 rows only

PyTorch's column (issue 12) is printed only when `import torch` works.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
from scipy.special import logsumexp
from scipy.stats import random_correlation
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from cetrain import LogisticRegression, SoftmaxRegression

CONDITIONS = {"isotropic": 1.0, "cond 1e2": 1e2, "cond 1e4": 1e4}
# Each fit (lbfgs's and cetrain's) is run this many times and its fastest kept: a single run on
# a shared machine moves by 10% and more
REPEATS = 3
PENALTIES = {"C=1": 1.0, "C=inf": np.inf}
RELATIVE_GAP = 1e-6


def correlated_features(n: int, d: int, cond: float, rng: np.random.Generator) -> np.ndarray:
    """n rows of N(0, R), R a random correlation matrix with condition number cond."""
    Z = rng.standard_normal((n, d))
    if cond == 1.0:
        return Z
    eigenvalues = np.geomspace(1.0, 1.0 / cond, d)
    # random_correlation needs eigenvalues summing to d (the trace of a correlation matrix)
    R = random_correlation.rvs(eigenvalues * d / eigenvalues.sum(), random_state=rng)
    return Z @ np.linalg.cholesky(R).T  # cov = L L^T = R


def make_problem(n: int, d: int, k: int, cond: float, seed: int):
    """Standardised features and labels from a random linear model plus noise."""
    rng = np.random.default_rng(seed)
    X = correlated_features(n, d, cond, rng)
    # weights of size ~2/sqrt(d): scores of a few units, confident but not separable
    B = rng.standard_normal((d, k)) * 2.0 / np.sqrt(d)
    if k == 2:
        y = (X @ (B[:, 0] - B[:, 1]) + rng.logistic(size=n) > 0).astype(np.int64)
    else:
        y = np.argmax(X @ B + rng.gumbel(size=(n, k)), axis=1)
    # standardise once, so that cetrain's standardize=True is the identity (see the docstring)
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    return np.ascontiguousarray(X), y


def objective(X, y, coef, intercept, l2: float) -> float:
    """Mean cross-entropy plus (l2/2) ||W||^2: the objective both estimators minimise."""
    scores = X @ coef.T + intercept
    if scores.shape[1] == 1:  # binary: one score per row, the positive class's log-odds
        scores = np.hstack([np.zeros_like(scores), scores])
    loss = np.mean(logsumexp(scores, axis=1) - scores[np.arange(len(y)), y])
    return float(loss + 0.5 * l2 * np.sum(coef**2))


def time_lbfgs(X, y, C: float, l2: float, tol: float = 1e-4):
    """(seconds, objective, iterations) of scikit-learn's lbfgs fit to `tol` (its default)."""
    seconds = np.inf
    for _ in range(REPEATS):
        model = SkLogisticRegression(solver="lbfgs", C=C, tol=tol, max_iter=10_000)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = min(seconds, time.perf_counter() - start)
    return seconds, objective(X, y, model.coef_, model.intercept_, l2), int(model.n_iter_[0])


def default_fit(X, y, l2: float, model: str, **fit_options):
    """cetrain's estimator with its default settings but l2, fit on (X, y)."""
    estimator = (SoftmaxRegression if model == "softmax" else LogisticRegression)(l2=l2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a max_iter warning is reported in the table instead
        return estimator.fit(X, y, **fit_options)


def epoch_objectives(X, y, l2: float, model: str) -> np.ndarray:
    """The objective at every epoch of the default fit, from a fit that keeps each epoch's
    weights: the recorded train_loss excludes the penalty, added back from those weights in
    the standardised units it is defined on."""
    estimator = default_fit(X, y, l2, model, record_params=True)
    h, std = estimator.history_, estimator.standardizer_
    return np.array(
        [
            loss + 0.5 * l2 * np.sum(std.to_standardised_units(coef, b)[0] ** 2)
            for loss, coef, b in zip(h.train_loss, h.coef, h.intercept, strict=True)
        ]
    )


def time_cetrain(X, y, l2: float, target: float, model: str):
    """(seconds to target or None, its epoch or None, epochs run, seconds of the whole fit,
    best objective) of cetrain's default fit.

    The timed fit is a user's fit plus a callback that stamps each epoch; keeping the weights
    (to know each epoch's objective) would slow it, so a second, identical fit does that (both
    start from zero weights and follow the same path)."""
    values = epoch_objectives(X, y, l2, model)
    reached = np.flatnonzero(values <= target)
    epoch = int(reached[0]) if len(reached) else None
    seconds = total = np.inf
    for _ in range(REPEATS):
        stamps: list[float] = []
        start = time.perf_counter()
        estimator = default_fit(
            X, y, l2, model, callback=lambda *_, stamps=stamps: stamps.append(time.perf_counter())
        )
        total = min(total, time.perf_counter() - start)
        if epoch is not None:
            seconds = min(seconds, stamps[epoch] - start)
    if epoch is None:
        return None, None, estimator.n_iter_, total, float(values.min())
    return seconds, epoch, estimator.n_iter_, total, float(values[epoch])


def run_case(n, d, k, cond, C, seed, model, lbfgs_tol):
    X, y = make_problem(n, d, k, cond, seed)
    l2 = 0.0 if np.isinf(C) else 1.0 / (C * n)  # see the docstring: l2 = 1/(C n)
    lbfgs_s, f_star, iters = time_lbfgs(X, y, C, l2, lbfgs_tol)
    target = f_star + RELATIVE_GAP * abs(f_star)
    seconds, epoch, epochs, total, best = time_cetrain(X, y, l2, target, model)
    return dict(
        lbfgs=lbfgs_s, iters=iters, f_star=f_star, seconds=seconds, epoch=epoch,
        epochs=epochs, total=total, best=best,
    )  # fmt: skip


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def print_header(args) -> None:
    print("command:", " ".join([os.path.basename(sys.executable), *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs; numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}; model {args.model}, d = {args.features}, "
        f"target: cetrain's objective within {RELATIVE_GAP:g} relative of lbfgs's"
    )
    if not torch_available():
        print("PyTorch: not installed, its column is skipped")
    print()
    print(
        f"{'features':<10} {'penalty':<7} {'rows':>7} {'lbfgs s':>8} {'iters':>6} "
        f"{'cetrain s':>10} {'epoch':>6} {'ratio':>6}  note"
    )


def print_row(name, penalty, n, r) -> None:
    if r["seconds"] is None:
        cetrain, epoch, ratio = "-", "-", "-"
        gap = (r["best"] - r["f_star"]) / abs(r["f_star"])
        note = f"not reached in {r['epochs']} epochs (best {gap:.1e} above)"
    else:
        cetrain, epoch = f"{r['seconds']:.3f}", str(r["epoch"])
        ratio = f"{r['seconds'] / r['lbfgs']:.2f}"
        note = f"fit ran {r['epochs']} epochs, {r['total']:.3f} s"
    print(
        f"{name:<10} {penalty:<7} {n:>7} {r['lbfgs']:>8.3f} {r['iters']:>6} "
        f"{cetrain:>10} {epoch:>6} {ratio:>6}  {note}",
        flush=True,
    )


def warm_up(d: int, k: int, model: str) -> None:
    """One small fit of each library before the timed ones: a process's first fit pays once
    for what later fits reuse (cetrain: threadpoolctl's look at the loaded libraries, its
    worker thread; scikit-learn: its own first calls), about 30 ms, which would otherwise be
    charged to the first case alone."""
    n = 50_000  # rows enough for the row blocks to be shared by two threads
    X, y = make_problem(n, d, k, 1.0, seed=99)
    time_lbfgs(X, y, C=1.0, l2=1.0 / n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default_fit(X, y, 1.0 / n, model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20_000 rows only")
    parser.add_argument("--model", choices=["softmax", "logistic"], default="softmax")
    parser.add_argument("--classes", type=int, default=10, help="softmax classes (default 10)")
    parser.add_argument("--features", type=int, default=20, help="columns of X (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--lbfgs-tol", type=float, default=1e-4, help="lbfgs's tol (default 1e-4, its own)"
    )
    args = parser.parse_args()
    k = 2 if args.model == "logistic" else args.classes
    sizes = [20_000] if args.quick else [50_000, 200_000]
    print_header(args)
    warm_up(args.features, k, args.model)
    for name, cond in CONDITIONS.items():
        for penalty, C in PENALTIES.items():
            for n in sizes:
                result = run_case(
                    n, args.features, k, cond, C, args.seed, args.model, args.lbfgs_tol
                )
                print_row(name, penalty, n, result)


if __name__ == "__main__":
    main()
