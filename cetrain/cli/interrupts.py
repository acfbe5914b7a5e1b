"""Ctrl-C (SIGINT) and SIGTERM: one line and exit 130 or 143, never a traceback.

From the start of `cetrain` either signal raises Interrupted, which click lets through (it
turns KeyboardInterrupt into "Aborted!"): staged folders are removed on the way out and the
entry point prints one line. While a run trains and writes its folder (`Deferred`), the first
signal only asks training to stop at the end of the current epoch, so the epochs trained so
far are written; a second one aborts at once.

Only the standard library here: this is installed before click and NumPy are imported.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A SIGINT or SIGTERM that ends the command; its exit code is 128 + the signal number.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` swallows it."""

    def __init__(self, signum: int, message: str = "Interrupted.") -> None:
        super().__init__(message)
        self.signum, self.message = signum, message

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def install() -> None:
    """From now on SIGINT and SIGTERM raise Interrupted (in the main thread only, where Python
    runs signal handlers). A signal ignored by whoever started cetrain (`nohup`, a shell's
    background job) stays ignored."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, _raise)


class Deferred:
    """While a run trains and writes its folder: the first SIGINT or SIGTERM is remembered
    (`signum`) and training stops at the end of its epoch; a second one raises Interrupted.

    Before training starts (`start()`: the data is loading) a signal raises at once, since
    there is nothing yet to keep. Use as a context manager; the handlers before it are
    restored at its end.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.started = False
        self.written: object | None = None  # the folder, once written
        self._held: list[int] | None = None  # signals come while a folder is put in place
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Deferred:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info) -> bool:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False

    def _handle(self, signum: int, frame: Any) -> None:
        if self._held is not None:
            self._held.append(signum)
            return
        if self.started and self.signum is None:
            self.signum = signum
            return
        if self.written is not None:
            raise Interrupted(signum, f"Interrupted: wrote {self.written}; nothing after it.")
        raise Interrupted(signum, "Interrupted: nothing written.")

    @contextmanager
    def holding(self, written: object) -> Iterator[None]:
        """Put a written folder in place (rename it, remove the one it replaces) with the
        signals held: the block is not cut short, `written` is set once it ends normally, and
        a signal that came meanwhile is handled then (so the line says the folder was written)."""
        self._held = held = []
        try:
            yield
            self.written = written
        finally:
            self._held = None
            for signum in held:
                self._handle(signum, None)

    def start(self) -> None:
        """Training starts: from now on the first signal stops it after an epoch."""
        self.started = True

    def epoch_callback(
        self, callback: Callable[[int, float, float], None] | None
    ) -> Callable[[int, float, float], None]:
        """`callback` (e.g. a progress bar's, or None) that also raises StopIteration, which
        ends training after this epoch, once a signal has come."""

        def on_epoch(epoch: int, loss: float, grad_norm: float) -> None:
            if callback is not None:
                callback(epoch, loss, grad_norm)
            if self.signum is not None:
                raise StopIteration

        return on_epoch

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 for SIGINT, 143 for SIGTERM); 0 without a signal."""
        return 0 if self.signum is None else 128 + self.signum
