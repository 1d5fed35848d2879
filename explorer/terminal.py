"""Whether the terminal the app runs in is still there."""

from __future__ import annotations

import os
import select
import sys

CHECK_SECONDS = 1.0
"""How often the app looks: a poll of its input, which reads nothing and paints nothing."""


def terminal_fd() -> int | None:
    """The file descriptor of the app's terminal input, or None when the input is not a terminal."""
    stream = sys.__stdin__
    try:
        fd = stream.fileno() if stream is not None else None
    except (OSError, ValueError):
        return None
    return fd if fd is not None and os.isatty(fd) else None


def terminal_gone(fd: int) -> bool:
    """True once the terminal has hung up: a pseudo-terminal whose other end was closed, with no SIGHUP
    sent (its owner died, or the app is not in the terminal's session). Textual's input thread then reads
    an end of input over and over, a core at full load, for as long as the app runs."""
    if not hasattr(select, "poll"):  # not on every platform: no check there
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        events = poller.poll(0)
    except OSError:
        return True
    return any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in events)
