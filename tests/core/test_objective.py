"""Tests for core.objective.LinearObjective: value, gradient, blocks, penalty, Lipschitz bound.

The expected value is the docstring's formula evaluated with plain NumPy (X @ W + b, the loss
formulas of conftest.py, the weighted mean and the penalty); the gradient is checked against
central finite differences of the objective on the whole parameter vector, W and b.
"""

import math
import threading
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import peak_bytes

import cetrain.core.objective
from cetrain.core.losses import Loss, binary_cross_entropy, loss_for
from cetrain.core.objective import LinearObjective

N_FEATURES = 3
N_CLASSES = 3


@dataclass(frozen=True)
class Case:
    loss: Loss
    n_outputs: int
    target: str  # "labels" or "soft" (probabilities for binary, probability rows for softmax)
    formula: str  # a key of the loss_formulas fixture


CASES = [
    pytest.param(
        Case(loss_for("cross-entropy", "logistic"), 1, "labels", "binary_cross_entropy"),
        id="binary_cross_entropy-labels",
    ),
    pytest.param(
        Case(loss_for("cross-entropy", "logistic"), 1, "soft", "binary_cross_entropy"),
        id="binary_cross_entropy-soft",
    ),
    pytest.param(
        Case(loss_for("mse", "logistic"), 1, "labels", "binary_mse"), id="binary_mse-labels"
    ),
    pytest.param(
        Case(loss_for("cross-entropy", "softmax"), N_CLASSES, "labels", "cross_entropy"),
        id="cross_entropy-labels",
    ),
    pytest.param(
        Case(loss_for("cross-entropy", "softmax"), N_CLASSES, "soft", "cross_entropy"),
        id="cross_entropy-rows",
    ),
    pytest.param(
        Case(loss_for("mse", "softmax"), N_CLASSES, "labels", "multiclass_mse"),
        id="multiclass_mse-labels",
    ),
    pytest.param(
        Case(loss_for("mse", "softmax"), N_CLASSES, "soft", "multiclass_mse"),
        id="multiclass_mse-rows",
    ),
]

# How the rows are cut into blocks: one block; block_rows = 7 set after construction (the
# score buffer was sized for more, so it is big enough), i.e. 4 blocks of 7 and a ragged one
# of 2 rows for n = 30; and BLOCK_BYTES patched to 1 before construction, which gives the
# minimum of 64 rows per block, i.e. 64 + 64 + 22 for n = 150 (this also blocks the Gram
# matrix of lipschitz_bound).
BLOCKS = {"one-block": 30, "block_rows=7": 30, "BLOCK_BYTES=1": 150}


def make_data(case: Case, n: int, seed: int = 0):
    """X (n, d), y as the user gives it, and the dense targets (n,) or (n, C)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    if case.n_outputs == 1:
        y = rng.integers(0, 2, size=n).astype(float)
        if case.target == "soft":
            y = rng.uniform(size=n)
        return X, y, y
    labels = rng.integers(0, N_CLASSES, size=n)
    if case.target == "labels":
        return X, labels, np.eye(N_CLASSES)[labels]
    rows = rng.dirichlet([0.5, 1.0, 2.0], size=n)
    return X, rows, rows


def make_objective(case, blocks, monkeypatch, *, weighted=False, l2=0.0, seed=0):
    """(objective, X, dense targets, sample weights or None) for the given block layout."""
    n = BLOCKS[blocks]
    X, y, dense = make_data(case, n, seed)
    shape = (n,) if case.n_outputs == 1 else (n, case.n_outputs)
    target = case.loss.prepare_target(y, shape)
    weight = np.random.default_rng(seed + 1).uniform(0.0, 3.0, size=n) if weighted else None
    if blocks == "BLOCK_BYTES=1":
        monkeypatch.setattr(cetrain.core.objective, "BLOCK_BYTES", 1)
    objective = LinearObjective(
        X, target, case.loss, n_outputs=case.n_outputs, sample_weight=weight, l2=l2
    )
    if blocks == "block_rows=7":
        objective.block_rows = 7
    rows_per_block = {"one-block": n, "block_rows=7": 7, "BLOCK_BYTES=1": 64}[blocks]
    assert min(objective.block_rows, n) == rows_per_block
    return objective, X, dense, weight


def expected_objective(formula, X, dense, theta, n_outputs, weight, l2):
    """(f, weighted mean loss) from S = X W + b, evaluated directly."""
    params = theta.reshape(-1, n_outputs)
    W, b = params[:-1], params[-1]
    S = X @ W + b
    per_sample = formula(S[:, 0], dense) if n_outputs == 1 else formula(S, dense)
    w = np.ones(X.shape[0]) if weight is None else weight
    mean_loss = np.sum(w * per_sample) / np.sum(w)
    return mean_loss + l2 / 2 * np.sum(W**2), mean_loss


def random_theta(objective, seed=0, scale=0.5):
    return np.random.default_rng(seed).normal(scale=scale, size=objective.n_params)


def evaluate(objective, theta):
    """(f, grad) with a gradient buffer full of NaN, so stale entries would show."""
    grad = np.full_like(theta, np.nan)
    value = objective.value_and_grad(theta, grad)
    return value, grad


@pytest.mark.parametrize("blocks", list(BLOCKS))
@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_value_and_gradient(
    case, weighted, l2, blocks, monkeypatch, loss_formulas, numerical_jacobian
):
    objective, X, dense, weight = make_objective(
        case, blocks, monkeypatch, weighted=weighted, l2=l2
    )
    theta = random_theta(objective)
    assert objective.n_params == (N_FEATURES + 1) * case.n_outputs
    value, grad = evaluate(objective, theta)
    expected, expected_loss = expected_objective(
        loss_formulas[case.formula], X, dense, theta, case.n_outputs, weight, l2
    )
    assert value == pytest.approx(expected, rel=1e-12)
    # the value minus penalty(theta) is the weighted mean loss
    assert value - objective.penalty(theta) == pytest.approx(expected_loss, rel=1e-12)

    def f(t):
        return objective.value_and_grad(t, np.empty_like(t))

    # the intercept is the last n_outputs entries of theta: all of theta is checked
    np.testing.assert_allclose(grad, numerical_jacobian(f, theta), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_small_blocks_give_the_one_block_result(case, weighted, monkeypatch):
    whole, *_ = make_objective(case, "one-block", monkeypatch, weighted=weighted, l2=0.1)
    blocked, *_ = make_objective(case, "block_rows=7", monkeypatch, weighted=weighted, l2=0.1)
    theta = random_theta(whole, seed=3)
    value, grad = evaluate(whole, theta)
    blocked_value, blocked_grad = evaluate(blocked, theta)
    assert blocked_value == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(blocked_grad, grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", CASES)
def test_intercept_is_not_penalised(case, monkeypatch):
    l2 = 2.5
    plain, *_ = make_objective(case, "block_rows=7", monkeypatch, l2=0.0)
    penalised, *_ = make_objective(case, "block_rows=7", monkeypatch, l2=l2)
    theta = random_theta(plain, seed=4)
    W = theta.reshape(-1, case.n_outputs)[:-1]
    value, grad = evaluate(plain, theta)
    p_value, p_grad = evaluate(penalised, theta)
    assert p_value - value == pytest.approx(l2 / 2 * np.sum(W**2), rel=1e-12)
    assert penalised.penalty(theta) == pytest.approx(l2 / 2 * np.sum(W**2), rel=1e-15)
    assert plain.penalty(theta) == 0.0
    grad, p_grad = grad.reshape(-1, case.n_outputs), p_grad.reshape(-1, case.n_outputs)
    np.testing.assert_allclose(p_grad[:-1] - grad[:-1], l2 * W, rtol=1e-12)
    np.testing.assert_array_equal(p_grad[-1], grad[-1])
    # a huge intercept costs no penalty
    theta.reshape(-1, case.n_outputs)[-1] = 1e3
    big_b_value, _ = evaluate(plain, theta)
    big_b_p_value, _ = evaluate(penalised, theta)
    assert big_b_p_value - big_b_value == pytest.approx(l2 / 2 * np.sum(W**2), rel=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_zero_parameters_give_log_of_the_number_of_classes(case, monkeypatch):
    # All scores 0: sigmoid(0) = 1/2 and softmax(0) = 1/C. Cross-entropy costs log 2 or log C
    # per sample (a probability row t costs sum_k t_k log C = log C); binary MSE (1/2 - y)^2.
    objective, _, dense, _ = make_objective(case, "block_rows=7", monkeypatch, l2=1.0)
    value, _ = evaluate(objective, np.zeros(objective.n_params))
    if case.formula == "binary_cross_entropy":
        assert value == pytest.approx(np.log(2), rel=1e-15)
    elif case.formula == "cross_entropy":
        assert value == pytest.approx(np.log(N_CLASSES), rel=1e-15)
    elif case.formula == "binary_mse":
        assert value == pytest.approx(np.mean((0.5 - dense) ** 2), rel=1e-15)
    else:
        assert value == pytest.approx(np.mean(np.sum((1 / 3 - dense) ** 2, axis=1)), rel=1e-14)


@pytest.mark.parametrize("blocks", ["one-block", "BLOCK_BYTES=1"])
@pytest.mark.parametrize("l2", [0.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_lipschitz_bound_bounds_the_hessian(
    case, weighted, l2, blocks, monkeypatch, numerical_jacobian
):
    objective, *_ = make_objective(case, blocks, monkeypatch, weighted=weighted, l2=l2)
    bound = objective.lipschitz_bound()

    def grad(t):
        g = np.empty_like(t)
        objective.value_and_grad(t, g)
        return g

    points = [np.zeros(objective.n_params)] + [
        random_theta(objective, seed=seed, scale=scale)
        for seed, scale in [(10, 0.1), (11, 0.5), (12, 2.0)]
    ]
    for theta in points:
        hessian = numerical_jacobian(grad, theta, h=1e-5)
        hessian = (hessian + hessian.T) / 2
        largest = np.max(np.abs(np.linalg.eigvalsh(hessian)))
        assert largest <= bound * (1 + 1e-6)


@pytest.mark.parametrize("blocks", ["one-block", "BLOCK_BYTES=1"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_lipschitz_bound_is_attained_by_binary_cross_entropy_at_zero(
    weighted, blocks, monkeypatch, numerical_jacobian
):
    # At theta = 0 every sigma'(s) is 1/4, so the Hessian is exactly (1/4) A^T D A with
    # A = [X, 1] and D = diag(w) / sum(w): the bound is its largest eigenvalue.
    case = CASES[0].values[0]
    objective, X, _, weight = make_objective(case, blocks, monkeypatch, weighted=weighted)
    w = np.ones(X.shape[0]) if weight is None else weight
    A = np.column_stack([X, np.ones(X.shape[0])])
    gram = A.T @ (A * (w / w.sum())[:, None])
    assert objective.lipschitz_bound() == pytest.approx(
        0.25 * np.linalg.eigvalsh(gram)[-1], rel=1e-12
    )

    def grad(t):
        g = np.empty_like(t)
        objective.value_and_grad(t, g)
        return g

    hessian = numerical_jacobian(grad, np.zeros(objective.n_params), h=1e-5)
    largest = np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1]
    assert largest == pytest.approx(objective.lipschitz_bound(), rel=1e-6)


def exact_top_eigenvalue(X, weight):
    """lambda_max(A^T D A), A = [X, 1], D = diag(w) / sum(w), from the full matrix."""
    w = np.ones(X.shape[0]) if weight is None else weight
    A = np.column_stack([X, np.ones(X.shape[0])])
    return np.linalg.eigvalsh(A.T @ (A * (w / w.sum())[:, None]))[-1]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_power_iteration_bound_bounds_the_hessian(case, weighted, monkeypatch, numerical_jacobian):
    # GRAM_MAX_FEATURES = 0 sends these 3 features down the wide-data path
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", 0)
    objective, X, _, weight = make_objective(
        case, "block_rows=7", monkeypatch, weighted=weighted, l2=0.2
    )
    bound = objective.lipschitz_bound()
    # the estimate converges from below and carries a 5% margin
    exact = case.loss.curvature * exact_top_eigenvalue(X, weight)
    assert exact + 0.2 <= bound <= 1.05 * exact * (1 + 1e-5) + 0.2

    def grad(t):
        g = np.empty_like(t)
        objective.value_and_grad(t, g)
        return g

    for seed in (20, 21):
        hessian = numerical_jacobian(grad, random_theta(objective, seed=seed), h=1e-5)
        largest = np.max(np.abs(np.linalg.eigvalsh((hessian + hessian.T) / 2)))
        assert largest <= bound


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_wide_data_uses_a_safe_power_iteration_bound(weighted):
    # just above GRAM_MAX_FEATURES = 1024 features, without patching anything
    rng = np.random.default_rng(30)
    n, d = 40, cetrain.core.objective.GRAM_MAX_FEATURES + 6
    X = rng.normal(size=(n, d)) + rng.normal(size=d)
    weight = rng.uniform(0.1, 2.0, size=n) if weighted else None
    loss = loss_for("cross-entropy", "logistic")
    target = loss.prepare_target(rng.integers(0, 2, size=n), (n,))
    objective = LinearObjective(X, target, loss, n_outputs=1, sample_weight=weight)
    exact = 0.25 * exact_top_eigenvalue(X, weight)
    assert exact <= objective.lipschitz_bound() <= 1.05 * exact * (1 + 1e-5)


def test_lipschitz_bound_adds_l2(monkeypatch):
    case = CASES[3].values[0]
    plain, *_ = make_objective(case, "one-block", monkeypatch)
    penalised, *_ = make_objective(case, "one-block", monkeypatch, l2=0.7)
    assert penalised.lipschitz_bound() == pytest.approx(plain.lipschitz_bound() + 0.7, rel=1e-14)


@pytest.mark.parametrize("blocks", list(BLOCKS))
@pytest.mark.parametrize("case", CASES)
def test_inputs_are_not_modified(case, blocks, monkeypatch):
    objective, X, _, _ = make_objective(case, blocks, monkeypatch, weighted=True, l2=0.2)
    X_before, target_before = X.copy(), objective.target.copy()
    theta = random_theta(objective, seed=5)
    theta_before = theta.copy()
    evaluate(objective, theta)
    objective.lipschitz_bound()
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(objective.target, target_before)
    np.testing.assert_array_equal(theta, theta_before)
    assert objective.X is X  # used as given, not copied


def test_unpack_views_theta():
    X = np.zeros((4, 2))
    objective = LinearObjective(
        X, np.zeros(4, dtype=np.intp), loss_for("cross-entropy", "softmax"), n_outputs=3
    )
    theta = np.arange(9.0)
    W, b = objective.unpack(theta)
    # theta viewed as (d + 1, K): the first d rows are W, the last one b
    np.testing.assert_array_equal(W, [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(b, [6.0, 7.0, 8.0])
    W[0, 0] = 42.0
    assert theta[0] == 42.0
    np.testing.assert_array_equal(objective.pack(W, b), theta)  # pack undoes unpack


def test_value_is_the_whole_objective_with_the_l1_term():
    # one row, x = (1, 2), label 1, W = (0.5, -1), b = 0.25: s = 0.5 - 2 + 0.25 = -1.25
    objective = LinearObjective(
        np.array([[1.0, 2.0]]),
        np.array([1.0]),
        loss_for("cross-entropy", "logistic"),
        n_outputs=1,
        l2=0.2,
        l1=0.3,
    )
    theta = objective.pack(np.array([[0.5], [-1.0]]), np.array([0.25]))
    expected = np.log1p(np.exp(1.25)) + 0.1 * (0.25 + 1.0) + 0.3 * (0.5 + 1.0)
    assert objective.value(theta) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("case", CASES)
def test_scores_on_other_data_give_the_unweighted_mean_loss(case, monkeypatch, loss_formulas):
    objective, *_ = make_objective(case, "one-block", monkeypatch, weighted=True, l2=0.4)
    X_val, y_val, dense_val = make_data(case, 11, seed=7)
    shape = (11,) if case.n_outputs == 1 else (11, case.n_outputs)
    target_val = case.loss.prepare_target(y_val, shape)
    theta = random_theta(objective, seed=8)
    _, expected = expected_objective(
        loss_formulas[case.formula], X_val, dense_val, theta, case.n_outputs, None, 0.0
    )
    scores = objective.scores(theta, X_val)  # the kernel's layout: (m,) or class-major (K, m)
    W, b = theta.reshape(-1, case.n_outputs)[:-1], theta.reshape(-1, case.n_outputs)[-1]
    np.testing.assert_allclose(scores, np.squeeze((X_val @ W + b).T), rtol=1e-13, atol=1e-13)
    value = case.loss.accumulate(scores, target_val, None) / len(X_val)
    assert value == pytest.approx(expected, rel=1e-12)


def test_prox_soft_thresholds_the_weights_but_not_the_intercept():
    X = np.ones((3, 2))
    objective = LinearObjective(
        X, np.array([0, 1, 2]), loss_for("cross-entropy", "softmax"), n_outputs=3, l1=0.5
    )
    theta = np.array([[1.0, -0.2, 0.4], [-3.0, 0.5, 0.0], [0.3, -0.3, 9.0]]).ravel()
    objective.prox(theta, step=0.8)  # threshold 0.4 on W, the first two rows
    np.testing.assert_allclose(
        theta.reshape(3, 3), [[0.6, 0.0, 0.0], [-2.6, 0.1, 0.0], [0.3, -0.3, 9.0]], atol=1e-15
    )
    assert objective.l1_penalty(theta) == pytest.approx(0.5 * (0.6 + 2.6 + 0.1), rel=1e-15)
    assert objective.penalty(theta) == objective.l1_penalty(theta)  # l2 = 0


# --- blocks, threads and float32 ---------------------------------------------------------------

ALL_LOSSES = [
    pytest.param(loss_for(name, kind), 1 if kind == "logistic" else N_CLASSES, id=f"{name}-{kind}")
    for name in ("cross-entropy", "mse", "focal", "hinge", "symmetric-cross-entropy")
    for kind in ("logistic", "softmax")
] + [
    pytest.param(loss_for("cross-entropy", "multilabel"), N_CLASSES, id="cross-entropy-multilabel")
]


def labelled_objective(loss, n_outputs, n, *, dtype=np.float64, weighted=False, seed=0):
    """An objective on n rows of N_FEATURES features with integer (0/1 or 0..C-1) labels, or
    0/1 columns for a multi-label loss, in X's `dtype`."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    if n_outputs == 1:
        y, shape = rng.integers(0, 2, size=n).astype(float), (n,)
    elif loss.name.startswith("multilabel"):
        y, shape = rng.integers(0, 2, size=(n, n_outputs)).astype(float), (n, n_outputs)
    else:
        y, shape = rng.integers(0, n_outputs, size=n), (n, n_outputs)
    weight = rng.uniform(0.0, 3.0, size=n) if weighted else None
    return LinearObjective(
        X.astype(dtype),
        loss.prepare_target(y, shape),
        loss,
        n_outputs=n_outputs,
        sample_weight=weight,
        l2=0.1,
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("loss", "n_outputs"), ALL_LOSSES)
def test_blockwise_threaded_and_whole_array_evaluations_agree(
    loss, n_outputs, weighted, monkeypatch
):
    # 5 blocks of 7 and a ragged one of 3 rows: pairs of blocks, the first of each pair's
    # kernel on the worker thread, and a last block alone
    monkeypatch.setattr(cetrain.core.objective, "MIN_THREAD_ROWS", 1)
    n = 38
    whole = labelled_objective(loss, n_outputs, n, weighted=weighted)
    whole.threads, whole.block_rows = 1, n
    theta = np.random.default_rng(4).normal(scale=0.7, size=whole.n_params)
    value, grad = evaluate(whole, theta)
    handed = []
    real_worker = cetrain.core.objective._worker

    def counting_worker():
        worker = real_worker()
        handed.append(worker)
        return worker

    monkeypatch.setattr(cetrain.core.objective, "_worker", counting_worker)
    results = {}
    for threads in (1, 2):
        blocked = labelled_objective(loss, n_outputs, n, weighted=weighted)
        blocked.threads, blocked.block_rows = threads, 7
        results[threads] = evaluate(blocked, theta)
        # the same bits on every run
        again = evaluate(blocked, theta)
        assert again[0] == results[threads][0]
        np.testing.assert_array_equal(again[1], results[threads][1])
    assert len(handed) == 2  # the threaded evaluations used the worker, the others did not
    # sums in block order whoever ran the kernels: threads change no bit
    assert results[2][0] == results[1][0]
    np.testing.assert_array_equal(results[2][1], results[1][1])
    assert results[1][0] == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(results[1][1], grad, rtol=1e-12, atol=1e-15)


def test_rows_that_fit_one_block_are_split_in_two_for_two_threads(monkeypatch):
    monkeypatch.setattr(cetrain.core.objective, "MIN_THREAD_ROWS", 10)
    loss = loss_for("cross-entropy", "softmax")
    objective = labelled_objective(loss, N_CLASSES, 41)
    assert objective._rows_per_block() == 21  # 21 + 20 rows
    small = labelled_objective(loss, N_CLASSES, 19)
    assert small._rows_per_block() == small.block_rows  # one block: too few rows for two


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(("loss", "n_outputs"), ALL_LOSSES)
def test_float32_evaluation_agrees_with_float64(loss, n_outputs, weighted):
    theta = np.random.default_rng(2).normal(scale=0.5, size=(N_FEATURES + 1) * n_outputs)
    values, grads = [], []
    for dtype in (np.float64, np.float32):
        objective = labelled_objective(loss, n_outputs, 3000, dtype=dtype, weighted=weighted)
        objective.block_rows = 700  # ragged blocks, and pairs of them on two threads
        value, grad = evaluate(objective, theta)
        assert isinstance(value, float) and grad.dtype == np.float64
        values.append(value)
        grads.append(grad)
    assert values[1] == pytest.approx(values[0], rel=1e-5)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-5 * np.abs(grads[0]).max())


@pytest.mark.parametrize(("loss", "n_outputs"), ALL_LOSSES)
def test_a_float32_epoch_works_in_float32_buffers(loss, n_outputs):
    objective = labelled_objective(loss, n_outputs, 500, dtype=np.float32, weighted=True)
    evaluate(objective, np.full(objective.n_params, 0.1))
    assert objective.target.dtype in (np.float32, np.intp)
    assert objective.weight.dtype == np.float32
    dtypes = {buffer.dtype for buffer in objective.buffers()}
    assert np.dtype(np.float32) in dtypes
    assert dtypes <= {np.dtype(np.float32), np.dtype(np.intp)}


@pytest.mark.parametrize(
    ("loss", "n_outputs"),
    [
        pytest.param(loss_for("cross-entropy", "logistic"), 1, id="binary_cross_entropy"),
        pytest.param(loss_for("cross-entropy", "softmax"), N_CLASSES, id="cross_entropy"),
    ],
)
def test_a_float32_epoch_allocates_no_float64_array_of_the_datas_size(loss, n_outputs, monkeypatch):
    # one block of all n rows; after a first evaluation has made the buffers, one more
    # allocates less than a float64 array of n entries would take (the weighted sum's float32
    # products are half of it)
    n = 20_000
    monkeypatch.setattr(cetrain.core.objective, "MIN_THREAD_ROWS", n)
    objective = labelled_objective(loss, n_outputs, n, dtype=np.float32, weighted=True)
    assert objective._rows_per_block() >= n
    objective.threads = 1
    theta = np.full(objective.n_params, 0.1)
    evaluate(objective, theta)
    peak = peak_bytes(lambda: evaluate(objective, theta))
    assert peak < 8 * n


# --- the standardised objective on the raw X ---------------------------------------------------
#
# LinearObjective(X, mean=, scale=) trains on Z = (X - mean) / scale without forming Z. Its
# reference is the objective on the standardised copy Z, made here with plain NumPy. The data
# have a column far from zero next to its spread (mean / scale = 500) and a constant column,
# which scale inf standardises to zeros (as the Standardizer's constant features).


def standardisation_data(n, weighted, seed=0):
    """X (n, 5): three columns as make_data's, one at 50 with spread 0.1 and a constant 7.3;
    the weights (or None), and mean and scale: weighted mean and std, inf for the constant."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0],
            50.0 + 0.1 * rng.normal(size=n),
            np.full(n, 7.3),
        ]
    )
    weight = rng.uniform(0.0, 3.0, size=n) if weighted else None
    w = np.ones(n) if weight is None else weight
    mean = w @ X / w.sum()
    scale = np.sqrt(w @ (X - mean) ** 2 / w.sum())
    scale[4] = np.inf
    return X, weight, mean, scale


def standardised_copy(X, mean, scale):
    """Z = (X - mean) / scale, the constant column exactly 0."""
    Z = (X - mean) / np.where(np.isinf(scale), 1.0, scale)
    Z[:, np.isinf(scale)] = 0.0
    return Z


def standardisation_pair(case, blocks, weighted, l2=0.0, l1=0.0, n=None):
    """(objective on the raw X with mean and scale, objective on the copy Z, X, mean, scale)."""
    n = BLOCKS[blocks] if n is None else n
    X, weight, mean, scale = standardisation_data(n, weighted)
    _, y, _ = make_data(case, n, seed=1)
    shape = (n,) if case.n_outputs == 1 else (n, case.n_outputs)
    target = case.loss.prepare_target(y, shape)
    options = dict(n_outputs=case.n_outputs, sample_weight=weight, l2=l2, l1=l1)
    mapped = LinearObjective(X, target, case.loss, mean=mean, scale=scale, **options)
    copied = LinearObjective(standardised_copy(X, mean, scale), target, case.loss, **options)
    if blocks == "block_rows=7":
        mapped.block_rows = copied.block_rows = 7
    return mapped, copied, X, mean, scale


def assert_close_to(actual, expected, rtol=1e-12):
    """Entries within rtol of the largest expected entry (a relative error of the vector)."""
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.max(np.abs(expected)))


@pytest.mark.parametrize("blocks", list(BLOCKS))
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_standardised_objective_on_the_raw_x_equals_the_one_on_the_standardised_copy(
    case, weighted, blocks, monkeypatch
):
    if blocks == "BLOCK_BYTES=1":
        monkeypatch.setattr(cetrain.core.objective, "BLOCK_BYTES", 1)
    mapped, copied, X, _, _ = standardisation_pair(case, blocks, weighted, l2=0.3, l1=0.1)
    X_before = X.copy()
    for seed in (0, 1):
        theta = random_theta(mapped, seed=seed, scale=2.0)
        value, grad = evaluate(mapped, theta)
        expected_value, expected_grad = evaluate(copied, theta)
        assert value == pytest.approx(expected_value, rel=1e-12)
        assert_close_to(grad, expected_grad)
        assert mapped.value(theta) == pytest.approx(copied.value(theta), rel=1e-12)
    # the constant feature's weights get no gradient but the penalty's
    W, _ = mapped.unpack(theta)
    np.testing.assert_array_equal(mapped.unpack(grad)[0][4], 0.3 * W[4])
    np.testing.assert_array_equal(X, X_before)
    assert mapped.X is X


@pytest.mark.parametrize("case", CASES)
def test_standardised_scores_of_other_data_are_those_of_their_standardised_copy(case):
    mapped, copied, _, mean, scale = standardisation_pair(case, "one-block", weighted=True)
    X_val, _, _, _ = standardisation_data(13, weighted=False, seed=5)
    theta = random_theta(mapped, seed=6)
    expected = copied.scores(theta, standardised_copy(X_val, mean, scale))
    assert_close_to(mapped.scores(theta, X_val), expected)


@pytest.mark.parametrize("blocks", ["one-block", "BLOCK_BYTES=1"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("standardised", [False, True], ids=["raw", "standardised"])
def test_weighted_gram_is_a_transpose_d_a(standardised, weighted, blocks, monkeypatch):
    # A = [Z, 1] and D = diag(w) / sum(w), computed in full; BLOCK_BYTES = 1 makes 64-row blocks
    if blocks == "BLOCK_BYTES=1":
        monkeypatch.setattr(cetrain.core.objective, "BLOCK_BYTES", 1)
    case = CASES[3].values[0]
    mapped, copied, X, mean, scale = standardisation_pair(case, blocks, weighted)
    objective = mapped if standardised else copied
    Z = standardised_copy(X, mean, scale)
    w = np.ones(len(X)) if objective.weight is None else objective.weight
    A = np.column_stack([Z, np.ones(len(X))])
    expected = A.T @ (A * (w / w.sum())[:, None])
    gram = objective.weighted_gram()
    assert gram.shape == (6, 6)
    assert_close_to(gram, expected)
    np.testing.assert_array_equal(gram, gram.T)
    np.testing.assert_array_equal(gram[4], 0.0)  # the constant feature's Z is 0
    bound = objective.lipschitz_bound()
    assert bound == pytest.approx(case.loss.curvature * np.linalg.eigvalsh(expected)[-1], rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_power_iteration_on_the_raw_x_bounds_the_standardised_curvature(weighted, monkeypatch):
    # GRAM_MAX_FEATURES = 0 sends these 5 features down the power iteration, through the raw X
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", 0)
    case = CASES[0].values[0]
    mapped, copied, X, mean, scale = standardisation_pair(case, "block_rows=7", weighted, l2=0.2)
    exact = case.loss.curvature * exact_top_eigenvalue(
        standardised_copy(X, mean, scale), None if mapped.weight is None else mapped.weight
    )
    bound = mapped.lipschitz_bound()
    assert exact + 0.2 <= bound <= 1.05 * exact * (1 + 1e-5) + 0.2
    assert bound == pytest.approx(copied.lipschitz_bound(), rel=1e-9)


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda X: X + np.array([0, 0, 0, 1e12, 0]), id="a column 1e12 from zero"),
        pytest.param(lambda X: X * 1e-280, id="values near 1e-280"),
        pytest.param(lambda X: X * 1e250, id="values near 1e250"),
    ],
)
def test_features_far_from_zero_tiny_or_huge_keep_the_standardised_numbers(transform):
    # the column 1e12 from zero next to its spread 0.1 is centred block by block (CENTRE_RATIO);
    # the Gram matrix of tiny or huge values is taken on the standardised block, which neither
    # underflows nor overflows
    case = CASES[3].values[0]
    X, weight, _, _ = standardisation_data(30, weighted=True)
    X = transform(X)
    w = weight / weight.sum()
    mean = w @ X
    unit = np.max(np.abs(X - mean), axis=0)  # so that no square underflows or overflows
    unit[4] = 1.0
    scale = unit * np.sqrt(w @ ((X - mean) / unit) ** 2)
    scale[4] = np.inf
    _, y, _ = make_data(case, 30, seed=1)
    target = case.loss.prepare_target(y, (30, case.n_outputs))
    options = dict(n_outputs=case.n_outputs, sample_weight=weight, l2=0.1)
    mapped = LinearObjective(X, target, case.loss, mean=mean, scale=scale, **options)
    copied = LinearObjective(standardised_copy(X, mean, scale), target, case.loss, **options)
    theta = random_theta(mapped, seed=2, scale=2.0)
    value, grad = evaluate(mapped, theta)
    expected_value, expected_grad = evaluate(copied, theta)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_close_to(grad, expected_grad)
    assert_close_to(mapped.weighted_gram(), copied.weighted_gram())
    assert mapped.lipschitz_bound() == pytest.approx(copied.lipschitz_bound(), rel=1e-12)
    X_val = X[:5]
    expected_scores = copied.scores(theta, standardised_copy(X_val, mean, scale))
    assert_close_to(mapped.scores(theta, X_val), expected_scores)


def test_a_memory_mapped_x_gives_the_in_memory_result(tmp_path):
    case = CASES[4].values[0]
    mapped, _, X, mean, scale = standardisation_pair(case, "BLOCK_BYTES=1", weighted=True)
    _, weight, _, _ = standardisation_data(len(X), weighted=True)
    np.save(tmp_path / "X.npy", X)
    on_disk = LinearObjective(
        np.load(tmp_path / "X.npy", mmap_mode="r"),
        mapped.target,
        case.loss,
        n_outputs=case.n_outputs,
        sample_weight=weight,
        mean=mean,
        scale=scale,
    )
    on_disk.block_rows = mapped.block_rows = 64  # three blocks, each given back after use
    theta = random_theta(mapped, seed=9)
    value, grad = evaluate(mapped, theta)
    disk_value, disk_grad = evaluate(on_disk, theta)
    assert disk_value == value
    np.testing.assert_array_equal(disk_grad, grad)
    np.testing.assert_array_equal(on_disk.weighted_gram(), mapped.weighted_gram())


def test_the_l2_penalty_of_weights_beyond_1e154_is_finite():
    # ||W||^2 = 2e400 overflows; (l2 / 2) ||W||^2 with l2 = 1e-300 is 1e100, computed by hand
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    objective = LinearObjective(
        X, np.array([0.0, 1.0]), loss_for("cross-entropy", "logistic"), n_outputs=1, l2=1e-300
    )
    theta = objective.pack(np.array([[1e200], [-1e200]]), np.zeros(1))
    assert objective.penalty(theta) == pytest.approx(1e100, rel=1e-14)


def test_a_loss_total_that_overflows_is_averaged_sample_by_sample_and_then_forgotten():
    # 150 rows with s = +1e307 and target 0 (loss 1e307 each, by hand: max(s, 0) + log1p(e^-s))
    # and 150 with s = -1e307 (loss 0): their sum, 1.5e309, overflows; their mean is 5e306. The
    # gradient (sigma(s) - y) x is 1 * 1 on the first half and 0 on the second: mean 0.5 for
    # the weight and the intercept alike
    X = np.where(np.arange(300)[:, None] % 2 == 0, 1.0, -1.0)
    objective = LinearObjective(X, np.zeros(300), binary_cross_entropy, n_outputs=1)
    grad = np.empty(2)
    assert objective.value_and_grad(np.array([1e307, 0.0]), grad) == pytest.approx(5e306, rel=1e-15)
    np.testing.assert_allclose(grad, [0.5, 0.5], rtol=1e-15)  # (150 x 1/300, rounded)
    # afterwards, evaluations are those of a fresh objective, to the bit
    theta = np.array([0.3, -0.2])
    fresh = LinearObjective(X, np.zeros(300), binary_cross_entropy, n_outputs=1)
    expected_grad, again = np.empty(2), np.empty(2)
    assert objective.value_and_grad(theta, again) == fresh.value_and_grad(theta, expected_grad)
    np.testing.assert_array_equal(again, expected_grad)


# --- what the mutation sweep of objective.py found untested -----------------------------------


def one_column_objective(X, **options):
    """A binary cross-entropy objective on X with all-zero targets."""
    n = X.shape[0]
    return LinearObjective(X, np.zeros(n), binary_cross_entropy, n_outputs=1, **options)


def test_the_lipschitz_bound_is_finite_when_the_grams_entries_are_but_their_sum_is_not():
    # Every row is (x, x) with x = 0.8e154: A^T D A = [[a, a, x], [a, a, x], [x, x, 1]] with
    # a = x^2 = 6.4e307. Its entries are finite but add up to 4a + ... = 2.56e308 > 1.8e308;
    # its top eigenvalue is 2a + 1 (to float64: 2a = 1.28e308), so L = a / 2 = 3.2e307
    x = 0.8e154
    objective = one_column_objective(np.full((4, 2), x))
    assert objective.lipschitz_bound() == pytest.approx(0.25 * 2 * x * x, rel=1e-12)


def test_a_mean_alone_centres_and_a_scale_alone_divides():
    # one of mean and scale None means zeros or ones: Z = X - mean, or Z = X / scale
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 4.0]])
    target = np.array([0.0, 1.0, 1.0])
    theta = np.array([0.3, -0.2, 0.1])
    mean, scale = np.array([1.5, 0.5]), np.array([2.0, 4.0])
    for options, Z in [({"mean": mean}, X - mean), ({"scale": scale}, X / scale)]:
        objective = LinearObjective(X, target, binary_cross_entropy, n_outputs=1, **options)
        copied = LinearObjective(Z, target, binary_cross_entropy, n_outputs=1)
        assert objective.value(theta) == pytest.approx(copied.value(theta), rel=1e-14)


def test_a_mean_or_a_scale_of_the_wrong_shape_is_refused_naming_both_shapes():
    X = np.zeros((2, 3))
    message = r"mean and scale need shape \(3,\); got \(3,\) and \(2,\)"
    with pytest.raises(ValueError, match=message):
        one_column_objective(X, mean=np.zeros(3), scale=np.ones(2))
    with pytest.raises(ValueError, match=r"got \(2,\) and \(3,\)"):
        one_column_objective(X, mean=np.zeros(2))


def blocks_and_threads(objective):
    """Make objective._block record (slot, first row, thread) of each block it evaluates."""
    ran = []
    block = objective._block

    def recorded(slot, start, stop, W_T, b_col):
        ran.append((slot, start, threading.current_thread()))
        return block(slot, start, stop, W_T, b_col)

    objective._block = recorded
    return ran


@pytest.fixture
def fresh_worker(monkeypatch):
    """The process's worker thread made anew in this test, not reused from an earlier one: so
    that a test of the worker sees its making (and mutmut, which maps each function to the
    tests that call it, maps the worker's to this test)."""
    monkeypatch.setattr(cetrain.core.objective, "_WORKER", None)


def test_threaded_evaluations_hand_the_first_block_of_each_pair_to_one_lasting_daemon_thread(
    fresh_worker,
):
    # 45 rows in blocks of 7: pairs (0, 7), (14, 21), (28, 35) and the lone block 42. By default
    # every block runs on the caller's thread; with threads = 2 the first of each pair runs on
    # the worker, a daemon thread named cetrain-blocks (so that it never holds the interpreter
    # open at exit), the same one for every evaluation
    objective = labelled_objective(loss_for("cross-entropy", "softmax"), N_CLASSES, 45)
    objective.block_rows = 7
    ran = blocks_and_threads(objective)
    theta = np.full(objective.n_params, 0.1)
    caller = threading.current_thread()
    evaluate(objective, theta)
    assert [(slot, start) for slot, start, _ in ran] == [
        (0, 0),
        (1, 7),
        (0, 14),
        (1, 21),
        (0, 28),
        (1, 35),
        (0, 42),
    ]
    assert {thread for _, _, thread in ran} == {caller}
    workers = set()
    for _ in range(2):
        ran.clear()
        objective.threads = 2
        evaluate(objective, theta)
        on_worker = sorted(start for _, start, thread in ran if thread is not caller)
        assert on_worker == [0, 14, 28]
        workers |= {thread for _, _, thread in ran if thread is not caller}
    (worker,) = workers
    assert worker.name == "cetrain-blocks"
    assert worker.daemon


def test_an_error_on_the_worker_thread_is_raised_to_the_caller(fresh_worker):
    objective = labelled_objective(loss_for("cross-entropy", "softmax"), N_CLASSES, 14)
    objective.block_rows, objective.threads = 7, 2
    block = objective._block

    def failing(slot, *args):
        if slot == 0:
            raise ArithmeticError("block 0 went wrong")
        return block(slot, *args)

    objective._block = failing
    with pytest.raises(ArithmeticError, match="block 0 went wrong"):
        evaluate(objective, np.zeros(objective.n_params))


@pytest.mark.parametrize("threads", [1, 2])
def test_scores_beyond_float64_give_a_nan_value_without_a_warning(threads, fresh_worker):
    # every row is (2, -2) and W = (1e308, 1e308): s = 2e308 - 2e308 = inf - inf, NaN, on the
    # worker thread too (its own errstate); RuntimeWarnings are errors in this suite
    objective = one_column_objective(np.tile([2.0, -2.0], (14, 1)))
    objective.block_rows, objective.threads = 7, threads
    value, _ = evaluate(objective, np.array([1e308, 1e308, 0.0]))
    assert math.isnan(value)


def test_a_constant_features_gradient_is_zero_even_where_its_raw_product_overflows():
    # one row x = 1.75e308, standardised with mean x and scale inf (a constant feature: Z = 0).
    # At theta = 0, y = 0, the symmetric cross-entropy's dl/ds is alpha sigma(0) + beta A
    # sigma'(0) = 0.1 / 2 + 4 / 4 = 1.05, so x G = 1.84e308 overflows (and so does mean *
    # sum G): the feature's gradient is still Z^T G = 0
    x = 1.75e308
    loss = loss_for("symmetric-cross-entropy", "logistic")
    objective = LinearObjective(
        np.array([[x]]), np.zeros(1), loss, n_outputs=1, mean=np.array([x]), scale=[np.inf]
    )
    _, grad = evaluate(objective, np.zeros(2))
    assert grad[0] == 0.0
    assert grad[1] == pytest.approx(1.05, rel=1e-15)


def standardised_binary_pair(X, mean, scale, **options):
    """(objective on X with mean and scale, objective on the copy (X - mean) / scale)."""
    n = X.shape[0]
    target = np.arange(n) % 2.0
    loss = binary_cross_entropy
    mapped = LinearObjective(X, target, loss, n_outputs=1, mean=mean, scale=scale, **options)
    Z = standardised_copy(X, mean, scale)
    return mapped, LinearObjective(Z, target, loss, n_outputs=1, **options)


@pytest.mark.parametrize(
    ("offset", "spread"),
    [
        pytest.param(1e3, 1e-3, id="1e3 from zero with spread 1e-3"),
        pytest.param(1e300, 0.0, id="1e300 from zero with scale 1e-10"),
    ],
)
def test_a_column_many_scales_from_zero_keeps_the_standardised_numbers(offset, spread, monkeypatch):
    # |mean| / scale far above CENTRE_RATIO (1e4): 1e6, and beyond float64 (inf, with no
    # warning) for a caller's scale of 1e-10 at 1e300. The blocks are centred, not mapped through
    # the raw X, whose rounding, eps |mean| / scale, would show in the gradient
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=20), offset + spread * rng.normal(size=20)])
    if spread:
        mean, scale = X.mean(axis=0), X.std(axis=0)
    else:  # the column is 1e300 exactly: its Z is 0
        mean, scale = np.array([X[:, 0].mean(), offset]), np.array([X[:, 0].std(), 1e-10])
    mapped, copied = standardised_binary_pair(X, mean, scale, l2=0.1)
    theta = np.array([0.5, -1.5, 0.25])
    value, grad = evaluate(mapped, theta)
    expected_value, expected_grad = evaluate(copied, theta)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_close_to(grad, expected_grad)
    # the power iteration reads the centred blocks too
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", 0)
    bound = mapped.lipschitz_bound()
    exact = 0.25 * exact_top_eigenvalue(standardised_copy(X, mean, scale), None) + 0.1
    assert exact <= bound <= 1.05 * exact * (1 + 1e-5)


def test_an_epoch_over_a_memory_mapped_x_gives_back_each_pair_of_blocks_pages(
    tmp_path, monkeypatch
):
    # 150 rows in blocks of 64: pairs (0..64, 64..128) and (128..150), each pair's rows given
    # back to the kernel once read, so that a file larger than memory is never all resident
    X = np.random.default_rng(0).normal(size=(150, 3))
    np.save(tmp_path / "X.npy", X)
    objective = one_column_objective(np.load(tmp_path / "X.npy", mmap_mode="r"))
    objective.block_rows = 64
    given_back = []
    release = cetrain.core.objective.FilePages.release

    def recorded(pages, start, stop):
        given_back.append((start, stop))
        release(pages, start, stop)

    monkeypatch.setattr(cetrain.core.objective.FilePages, "release", recorded)
    evaluate(objective, np.zeros(4))
    assert given_back == [(0, 128), (128, 150)]


def test_rows_that_fit_one_block_are_halved_for_two_threads_from_twice_min_thread_rows(
    monkeypatch,
):
    # split when n <= block_rows and n >= 2 MIN_THREAD_ROWS, in halves of ceil(n / 2)
    monkeypatch.setattr(cetrain.core.objective, "MIN_THREAD_ROWS", 10)
    loss = loss_for("cross-entropy", "softmax")
    for n, rows in [(20, 10), (19, None), (40, 20), (41, 21)]:
        objective = labelled_objective(loss, N_CLASSES, n)
        assert objective._rows_per_block() == (objective.block_rows if rows is None else rows)
    objective.block_rows = 41  # n = block_rows: still one block, so halved
    assert objective._rows_per_block() == 21
    objective.block_rows = 40
    assert objective._rows_per_block() == 40


@pytest.mark.parametrize(("dtype", "rows"), [(np.float64, 8192), (np.float32, 16384)])
def test_a_block_of_rows_is_about_block_bytes_whatever_the_width_and_dtype(dtype, rows):
    # BLOCK_BYTES = 4 MiB of 64 features: 2^22 / (64 * 8) rows of float64, twice as many of float32
    objective = one_column_objective(np.zeros((2, 64), dtype=dtype))
    assert cetrain.core.objective.BLOCK_BYTES == 1 << 22
    assert objective.block_rows == rows


def test_float64_targets_are_used_as_given_not_copied():
    target = np.array([0.25, 1.0, 0.0])
    objective = LinearObjective(np.zeros((3, 2)), target, binary_cross_entropy, n_outputs=1)
    assert objective.target is target


@pytest.mark.parametrize(("loss", "n_outputs"), ALL_LOSSES[:2])
def test_a_float32_epoch_centred_block_by_block_works_in_float32(loss, n_outputs):
    # a column 100 scales from zero is centred (CENTRE_RATIO of float32: 10), in a float32
    # buffer; the scores of other data are float32 too, and close to float64's
    objective = labelled_objective(loss, n_outputs, 50, dtype=np.float32, weighted=True)
    X64 = objective.X.astype(np.float64)
    mean, scale = np.array([100.0, 1.0, -1.0]), np.array([1.0, 2.0, 0.5])
    centred = LinearObjective(
        objective.X, objective.target, loss, n_outputs=n_outputs, mean=mean, scale=scale
    )
    theta = np.full(objective.n_params, 0.1)
    evaluate(centred, theta)
    dtypes = {buffer.dtype for buffer in centred.buffers()}
    assert dtypes <= {np.dtype(np.float32), np.dtype(np.intp)}
    scores = centred.scores(theta, objective.X[:5])
    assert scores.dtype == np.float32
    W, b = theta.reshape(-1, n_outputs)[:-1], theta.reshape(-1, n_outputs)[-1]
    expected = np.squeeze((((X64[:5] - mean) / scale) @ W + b).T)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)


def test_an_epoch_centred_block_by_block_centres_into_a_reused_buffer(monkeypatch):
    # one block of all n rows, centred (a column 1e5 scales from zero): after a first
    # evaluation has made the buffers, one more allocates less than the block's X - mean
    # would take (n x 3 float64)
    n = 20_000
    monkeypatch.setattr(cetrain.core.objective, "MIN_THREAD_ROWS", n)
    loss = loss_for("cross-entropy", "logistic")
    plain = labelled_objective(loss, 1, n)
    mean, scale = np.array([1e5, 1.0, -1.0]), np.array([1.0, 2.0, 0.5])
    objective = LinearObjective(plain.X, plain.target, loss, n_outputs=1, mean=mean, scale=scale)
    assert objective._rows_per_block() >= n
    theta = np.full(objective.n_params, 0.1)
    evaluate(objective, theta)
    peak = peak_bytes(lambda: evaluate(objective, theta))
    assert peak < 8 * n * 3 / 2


def test_float32_data_far_from_zero_is_centred_by_its_float64_mean():
    # float32 data at 1e6 +- 1 (a resolution of 0.0625): the float64 mean, 1000000.015625,
    # rounds to 1e6 in float32, which would shift every Z of the column by 0.016. Centred by
    # the float64 mean and rounded once, the float32 objective is that of the float64 one on
    # the same values, to float32's precision; and so are the scores of other data
    rng = np.random.default_rng(0)
    n = 200
    X32 = np.column_stack([1e6 + rng.normal(size=n), rng.normal(size=n)]).astype(np.float32)
    X64 = X32.astype(np.float64)
    mean, scale = X64.mean(axis=0), X64.std(axis=0)
    assert mean[0] - np.float32(mean[0]) == 0.015625
    target = (rng.uniform(size=n) < 0.5).astype(float)
    theta = np.array([1.0, 0.5, 0.2])
    values, grads = [], []
    for X in (X64, X32):
        objective = LinearObjective(
            X, target, binary_cross_entropy, n_outputs=1, mean=mean, scale=scale
        )
        value, grad = evaluate(objective, theta)
        values.append(value)
        grads.append(grad)
    assert values[1] == pytest.approx(values[0], rel=1e-6)
    assert_close_to(grads[1], grads[0], rtol=1e-6)
    expected = ((X64[:5] - mean) / scale) @ theta[:2] + theta[2]
    np.testing.assert_allclose(objective.scores(theta, X32[:5]), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("trained_on", [np.float32, np.float64])
def test_the_scores_of_other_data_are_centred_in_the_wider_of_the_two_dtypes(trained_on):
    # W = 1, b = 0, scale 1: the scores are x - mean, exact in float64, which float32 cannot
    # hold (x - 1e6 - 1e-7 for x on float32's grid of 0.0625 there): in float64 unless both
    # the data and the training were float32
    x32 = np.array([[1000000.0625], [999999.9375], [1000000.125]], dtype=np.float32)
    mean = np.array([1e6 + 1e-7])
    objective = LinearObjective(
        x32.astype(trained_on),
        np.array([1.0, 0.0, 1.0]),
        binary_cross_entropy,
        n_outputs=1,
        mean=mean,
        scale=np.ones(1),
    )
    for other in (x32, x32.astype(np.float64)):
        scores = objective.scores(np.array([1.0, 0.0]), other)
        wider = np.result_type(other, trained_on)  # float32 only when both are
        assert scores.dtype == wider
        exact = other[:, 0].astype(np.float64) - mean[0]
        np.testing.assert_array_equal(scores, exact.astype(wider))  # rounded once


def test_power_iteration_stops_once_its_estimate_settles(monkeypatch):
    # every row is (3, 1): A^T D A = [[9, 3], [3, 1]] has rank one, so one product gives its
    # top eigenvector: the estimates are v0' G v0, then 10, then 10 again, and it stops there,
    # three passes over X (not max_iter = 300)
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", 0)
    objective = one_column_objective(np.full((5, 1), 3.0))
    passes = []
    feature_block = objective._feature_block
    monkeypatch.setattr(
        objective, "_feature_block", lambda *args: passes.append(args) or feature_block(*args)
    )
    assert objective.lipschitz_bound() == pytest.approx(0.25 * 1.05 * 10, rel=1e-12)
    assert len(passes) == 3


def test_power_iteration_does_not_stop_on_a_start_whose_estimate_happens_to_be_one(
    monkeypatch,
):
    # A^T D A = diag(l0, l1, 1) for the orthogonal, centred columns below; l0 = 2 and l1 chosen
    # so that the fixed start v0 (default_rng(0)) has v0' G v0 = 1 exactly: the first estimate
    # (1) is no reason to stop, the top eigenvalue is 2
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", 0)
    v = np.random.default_rng(0).standard_normal(3)
    v2 = v**2 / np.sum(v**2)
    top, other = (0, 1) if v2[1] > v2[0] else (1, 0)
    eigenvalues = np.ones(2)
    eigenvalues[top] = 2.0
    eigenvalues[other] = 1.0 - v2[top] / v2[other]  # l0 v0^2 + l1 v1^2 = v0^2 + v1^2
    assert eigenvalues[0] * v2[0] + eigenvalues[1] * v2[1] + v2[2] == pytest.approx(1.0)
    X = np.column_stack([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0]]) * np.sqrt(eigenvalues)
    objective = one_column_objective(X)
    assert 0.25 * 2.0 <= objective.lipschitz_bound() <= 0.25 * 2.0 * 1.05 * (1 + 1e-5)


@pytest.mark.parametrize("gram_max_features", [0, 1024], ids=["power iteration", "Gram"])
def test_features_beyond_float64_give_an_infinite_bound(gram_max_features, monkeypatch):
    # (1e300)^2 overflows: no finite bound, and no warning (RuntimeWarnings are errors here);
    # the Gram matrix, all inf, never reaches eigvalsh (which cannot take it: LinAlgError)
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", gram_max_features)
    objective = one_column_objective(np.array([[1e300, 2e300], [-1e300, 1e300]]))
    assert objective.lipschitz_bound() == np.inf


def test_up_to_gram_max_features_the_bound_is_the_grams_exact_eigenvalue(monkeypatch):
    # 3 features and GRAM_MAX_FEATURES = 3: the Gram matrix's eigenvalue, not power iteration's
    # estimate with its 5% margin
    monkeypatch.setattr(cetrain.core.objective, "GRAM_MAX_FEATURES", N_FEATURES)
    X = np.random.default_rng(5).normal(size=(12, N_FEATURES))
    objective = one_column_objective(X)
    assert objective.lipschitz_bound() == pytest.approx(
        0.25 * exact_top_eigenvalue(X, None), rel=1e-12
    )


def test_the_weighted_gram_of_features_beyond_float64_is_inf_or_nan_without_a_warning():
    # raw rows (1e200, 1) and (1e200, 2), D = 1/2: the first feature's square overflows to inf
    objective = one_column_objective(np.array([[1e200, 1.0], [1e200, 2.0]]))
    np.testing.assert_array_equal(
        objective.weighted_gram(),
        [[np.inf, 1.5e200, 1e200], [1.5e200, 2.5, 1.5], [1e200, 1.5, 1.0]],
    )
    # standardised by scale 0.5, 1e308 is inf; its weight 0 times inf is NaN (a caller's
    # choice of mean and scale, not the data's)
    objective = one_column_objective(
        np.array([[1e308], [1.0]]), sample_weight=np.array([0.0, 1.0]), mean=[0.0], scale=[0.5]
    )
    np.testing.assert_array_equal(objective.weighted_gram(), [[np.nan, np.nan], [np.nan, 1.0]])


def test_an_l1_penalty_beyond_float64_is_inf_without_a_warning():
    objective = one_column_objective(np.zeros((1, 2)), l1=0.5)
    assert objective.l1_penalty(np.array([1e308, -1e308, 0.0])) == np.inf


def test_a_float32_loss_total_that_overflows_is_averaged_in_float32(monkeypatch):
    # half the rows have s = 3e38 and target 0 (loss 3e38 each): their float32 sum overflows,
    # so the evaluation weighs each by 1/n, in float32: after a first evaluation has made the
    # buffers, another allocates those weights (4n bytes) and less than a float64 array of n
    # (8n) besides; float64 weights took about 20n
    n = 20_000
    monkeypatch.setattr(cetrain.core.objective, "MIN_THREAD_ROWS", n)
    X = np.where(np.arange(n)[:, None] % 2 == 0, 1.0, -1.0).astype(np.float32)
    objective = LinearObjective(X, np.zeros(n), binary_cross_entropy, n_outputs=1)
    theta, grad = np.array([3e38, 0.0]), np.empty(2)
    value = objective.value_and_grad(theta, grad)
    assert value == pytest.approx(0.5 * float(np.float32(3e38)), rel=1e-6)
    np.testing.assert_allclose(grad, [0.5, 0.5], rtol=1e-5)  # float32 sums of 1/n
    peak = peak_bytes(lambda: objective.value_and_grad(theta, grad))
    assert peak < 4 * n + 8 * n
