"""The console script: when it opens the explorer, the terminal's echo is held from its first moment,
before the slow imports (see `explorer.terminal.hold_echo`); then the command line runs."""

from __future__ import annotations

import sys

from explorer.terminal import hold_echo, release_echo

COMMANDS = ("query", "check", "import", "build-data", "export")
"""The commands; with none, the explorer opens."""


def opens_the_explorer(args: list[str]) -> bool:
    return not (args and args[0] in COMMANDS) and not {"-h", "--help", "--version"} & set(args)


def main() -> int:
    if opens_the_explorer(sys.argv[1:]):
        hold_echo()
    try:
        from explorer.cli import main as run  # duckdb, pyarrow: a second or so

        return run()
    finally:
        release_echo()  # on every way out: an error, ctrl+c (the app itself gave it back as it started)
