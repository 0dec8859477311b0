"""Holding Ctrl-C back while a checkpoint is written.

Python-level handlers, not a signal mask: TensorFlow's threads would take a signal the main thread
masks, and Python then runs the default handler in the main thread all the same.
"""

from __future__ import annotations

import signal
import threading


class SigintLatch:
    """Holds Ctrl-C back between :meth:`hold` and :meth:`release`; ``release`` says whether one came."""

    def __init__(self):
        self._previous = None
        self._pending = False

    def _handler(self, signum, frame):
        self._pending = True

    def hold(self) -> None:
        if self._previous is None and threading.current_thread() is threading.main_thread():
            self._pending = False
            self._previous = signal.signal(signal.SIGINT, self._handler)

    def release(self) -> bool:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        came, self._pending = self._pending, False
        return came
