"""Long engine calls that Ctrl-C and a time limit can stop.

Python runs signal handlers only on the main thread, between bytecodes: while the main thread
waits inside DuckDB, Ctrl-C is not seen until DuckDB returns. So the call runs on a thread of
its own and the main thread waits where it can be interrupted, then interrupts DuckDB.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


class TimedOut(Exception):
    """The call ran past its time limit and was interrupted."""


def run_interruptibly(work: Callable[[], Result], interrupt: Callable[[], None], timeout: float | None = None) -> Result:
    """`work()`, stopped with `interrupt()` on Ctrl-C (KeyboardInterrupt is raised again) or after `timeout`
    seconds (TimedOut is raised). Off the main thread, nothing can deliver Ctrl-C: `work` runs in place."""
    if threading.current_thread() is not threading.main_thread() and timeout is None:
        return work()
    outcome: list = []
    done = threading.Event()  # not Thread.join, which Ctrl-C can leave believing the thread has ended

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome.append((False, error))
        finally:
            done.set()

    deadline = time.monotonic() + timeout if timeout is not None else None
    timed_out = False
    threading.Thread(target=run, name="engine-call", daemon=True).start()
    try:
        while not done.wait(0.05):
            if deadline is not None and not timed_out and time.monotonic() > deadline:
                timed_out = True
                interrupt()
    except KeyboardInterrupt:
        interrupt()
        done.wait(10)
        raise
    succeeded, value = outcome[0]
    if timed_out and not succeeded:
        raise TimedOut() from None
    if not succeeded:
        raise value
    return value
