"""How a fit's evaluations use the machine's cores: chosen by timing them, not by a rule.

An evaluation of a LinearObjective can run in two ways that give the same value and gradient to
the last bit (its blocks' sums are added up in one fixed order either way):

    "blas"    one thread walks the row blocks; the products run on BLAS's own threads.
    "blocks"  the blocks go in pairs to two threads (LinearObjective.threads), with BLAS held
              to one thread in each (threadpoolctl, scikit-learn's dependency: core imports
              only NumPy).

Which is faster depends on the shape and on the machine. On the 2-core machine of the README's
figures, "blocks" was 1.3x faster on 200k x 20 x 10 (the kernel's exp and log on both cores)
and "blas" 1.4x faster on 1M x 50 x 10 (the products dominate, and BLAS's threads share them
better); a busy machine slows BLAS's waiting threads most. So a fit times its first
evaluations both ways, TRIALS each, in turn, and keeps the faster for the rest (FFTW's planner,
for one choice). The result does not depend on the choice: a noisy timing can cost speed,
never reproducibility.
"""

import contextlib
import time
from types import TracebackType

import numpy as np

from cetrain.core.objective import THREADS, LinearObjective

# Evaluations timed each way before the choice; the fastest of each counts (the first of a
# way also pays for its buffers).
TRIALS = 2
WAYS = ("blas", "blocks")


class CoreUse:
    """A context in which `value_and_grad` evaluates `objective` the faster of WAYS, on
    `threads` threads for "blocks" (default THREADS).

    With one core, or data of one block of rows (nothing to share), it is always "blas".
    `chosen` is the way settled on (None while the trials run); `seconds` each way's fastest
    trial.
    """

    def __init__(self, objective: LinearObjective, threads: int | None = None) -> None:
        self.objective = objective
        self.threads = THREADS if threads is None else threads
        shareable = self.threads > 1 and objective.blocks_to_share
        self.chosen: str | None = None if shareable else "blas"
        self.seconds = {way: np.inf for way in WAYS}
        self._trials = 0
        self._settled = contextlib.ExitStack()

    def __enter__(self) -> "CoreUse":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._settled.close()  # BLAS's threads as they were
        self.objective.threads = 1

    def value_and_grad(self, theta: np.ndarray, grad_out: np.ndarray) -> float:
        """objective.value_and_grad, the chosen way (timing the trials until it is chosen)."""
        if self.chosen is not None:
            return self.objective.value_and_grad(theta, grad_out)
        way = WAYS[self._trials % len(WAYS)]
        with self.way(way):
            start = time.perf_counter()
            value = self.objective.value_and_grad(theta, grad_out)
            self.seconds[way] = min(self.seconds[way], time.perf_counter() - start)
        self._trials += 1
        if self._trials == TRIALS * len(WAYS):
            self.chosen = min(WAYS, key=self.seconds.__getitem__)
            self._settled.enter_context(self.way(self.chosen))
        return value

    @contextlib.contextmanager
    def way(self, way: str):
        """A context within which the objective's evaluations run `way`, one of WAYS."""
        if way == "blas":
            self.objective.threads = 1
            yield
            return
        self.objective.threads = self.threads
        try:
            with _blas_controller().limit(limits=1, user_api="blas"):
                yield
        finally:
            self.objective.threads = 1


_CONTROLLER = None


def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS, made once (it inspects the process's
    libraries, about a millisecond; a limit through it then costs about 10 us)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER
