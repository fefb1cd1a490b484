"""A loop in a thread of its own that works while there is work and otherwise waits to be woken: the shape of
the delivery loop (`delivery.py`) and the follow-up worker (`followups.py`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Self

logger = logging.getLogger(__name__)


class WorkLoop:
    """Subclasses say what one step is (`step(now)`, returning how long to wait before the next: 0 for at once);
    this runs the steps in a daemon thread until `stop()`. `wake()` ends a wait early (work was queued). A step
    that raises is logged and tried again after `idle_seconds`: the loop outlives a database or Slack outage."""

    thread_name = "work-loop"

    def __init__(self, *, idle_seconds: float, clock: Callable[[], datetime]) -> None:
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, now: datetime) -> float:
        raise NotImplementedError

    def wake(self) -> None:
        """Something was queued: look now rather than after the current wait."""
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """The loop's body, until `stop()`."""
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self.step(self.clock())
            except Exception:  # the database or Slack away: log it, keep the loop alive, try again soon
                logger.exception("%s: a step failed; trying again", self.thread_name)
                wait = self.idle_seconds
            if wait > 0:
                self._wake.wait(wait)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Let the current step finish, then end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
