"""A progress bar on the terminal while DuckDB works: each step runs in a thread, the bar polls its progress."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

import duckdb

BAR_WIDTH = 30


class Progress:
    """Shows `label [#####     ] 52%` on a terminal; silent when the output is not one."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()

    def step(self, label: str, con: duckdb.DuckDBPyConnection | None, work: Callable[[], object]) -> object:
        """Run `work` (DuckDB statements on `con`), showing the progress DuckDB reports (none without `con`)."""
        if not self.enabled:
            return work()
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as error:  # handed to the caller's thread below
                outcome["error"] = error

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                self._draw(label, con.query_progress() if con is not None else -1.0)
                thread.join(0.1)
        except KeyboardInterrupt:
            if con is not None:
                con.interrupt()
            thread.join()
            self._clear()
            raise
        self._draw(label, 100.0)
        self._clear()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome.get("value")

    def _draw(self, label: str, percent: float) -> None:
        elapsed = time.monotonic() - self.started
        if percent < 0:
            bar, shown = "·" * BAR_WIDTH, "    "
        else:
            filled = int(BAR_WIDTH * min(percent, 100) / 100)
            bar, shown = "#" * filled + " " * (BAR_WIDTH - filled), f"{percent:3.0f}%"
        self.stream.write(f"\r{label[:40]:<40} [{bar}] {shown} {elapsed:5.1f}s")
        self.stream.flush()

    def _clear(self) -> None:
        self.stream.write("\r" + " " * (40 + BAR_WIDTH + 16) + "\r")
        self.stream.flush()
