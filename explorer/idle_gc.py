"""Python's full garbage collections run while the analyst is not waiting, not in the middle of a key's work.

A full collection walks every object the process holds (Textual keeps each widget's rendered lines, each
with its caches): 30-110 ms of the UI thread at 1 million rows, measured at random moments in a filter
change or a picker's opening. Here the collector's automatic full collections are put off, and one runs
when the app has had no input and no worker for a while, or, failing that, when far more are due than
Python's default would let wait (a long burst of keys never goes without one for long).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_SECONDS = 1.0
"""No input for this long, and no worker running: a full collection may run."""
CHECK_SECONDS = 0.5
DUE = 10
"""Collections of the middle generation after which Python would consider a full one (its default threshold)."""
OVERDUE = 100
"""After this many, a full collection runs even while the app is busy."""
PUT_OFF = 1_000_000_000
"""The middle-to-full threshold while this holds the collector: in effect, never."""


class IdleCollector:
    """Holds Python's full collections for an app's lifetime (`start` / `stop`); `touch` at each input."""

    def __init__(self, busy: Callable[[], bool]) -> None:
        self._busy = busy
        self._last_input = time.monotonic()
        self._thresholds: tuple[int, int, int] | None = None
        self.collections = 0
        """Full collections run here (for tests)."""

    def start(self) -> None:
        if self._thresholds is None:
            young, middle, full = gc.get_threshold()
            self._thresholds = (young, middle, DUE if full == PUT_OFF else full)  # another app's, never stopped
            gc.set_threshold(young, middle, PUT_OFF)

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def touch(self) -> None:
        self._last_input = time.monotonic()

    def check(self) -> None:
        """Run a full collection if one is due and the app is idle, or if one is long overdue."""
        if self._thresholds is None:
            return
        pending = gc.get_count()[2]
        idle = time.monotonic() - self._last_input >= IDLE_SECONDS and not self._busy()
        if pending >= OVERDUE or (pending >= DUE and idle):
            gc.collect()
            self.collections += 1
