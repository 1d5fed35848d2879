"""The terminal the app runs in: whether it is still there, and its echo while the app starts."""

from __future__ import annotations

import os
import select
import sys

CHECK_SECONDS = 1.0
"""How often the app looks: a poll of its input, which reads nothing and paints nothing."""

_held: tuple[int, list] | None = None
"""The terminal's input and its settings before `hold_echo`, until `release_echo`."""


def hold_echo() -> None:
    """Stop the terminal writing the keys typed while the explorer starts (imports, a first cache build):
    a key typed then was shown at the top of the screen until the first paint. The key still reaches the
    app, which reads it once it has started; only the echo is held."""
    global _held
    fd = terminal_fd()
    if fd is None or _held is not None:
        return
    try:
        import termios

        settings = termios.tcgetattr(fd)
        quiet = [*settings[:3], settings[3] & ~termios.ECHO, *settings[4:]]
        termios.tcsetattr(fd, termios.TCSANOW, quiet)  # TCSANOW: the keys already typed are kept
    except (ImportError, OSError):  # no termios here, or not a terminal it can set
        return
    _held = (fd, settings)


def release_echo() -> None:
    """The terminal's settings as they were before `hold_echo`: just before Textual takes the terminal over
    (it puts back what it found when it ends, and when it is suspended), and whatever else ends the start."""
    global _held
    if _held is None:
        return
    fd, settings = _held
    _held = None
    try:
        import termios

        termios.tcsetattr(fd, termios.TCSANOW, settings)
    except (ImportError, OSError):
        pass


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
