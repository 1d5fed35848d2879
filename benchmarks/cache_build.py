"""Time the cache build alone (no app) for two commits, alternating: `python benchmarks/cache_build.py
BEFORE AFTER --data benchmarks/.data/10m --rounds 3`.

Each commit's `explorer/` is exported with `git archive` into a temporary folder outside the
repository; each run builds the cache database from an empty folder in a child process, in the order
before, after, after, before, ... so that a machine's drift falls on both sides. Prints each run and
the medians. `.` as a commit means this working tree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = """
import sys, time, tempfile
from pathlib import Path
from explorer.db.catalog import EngineLimits, build_cache_database, find_tables
_, tables = find_tables(sys.argv[1])
with tempfile.TemporaryDirectory() as folder:
    started = time.perf_counter()
    build_cache_database(Path(folder) / "data.duckdb", tables, EngineLimits())
    print(time.perf_counter() - started)
"""


def export(commit: str, into: Path) -> Path:
    """The folder whose `explorer/` is `commit`'s (this tree's for `.`)."""
    if commit == ".":
        return ROOT
    folder = into / commit
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "explorer"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def build_seconds(code: Path, data: str) -> float:
    run = subprocess.run([sys.executable, "-c", BUILD, str(Path(data).resolve())], cwd=code,
                         env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"the build at {code} failed:\n{run.stderr.strip()}")
    return float(run.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--data", required=True, help="a data directory (e.g. benchmarks/.data/10m)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {args.before: [], args.after: []}
    with tempfile.TemporaryDirectory() as folder:
        code = {commit: export(commit, Path(folder)) for commit in times}
        for round_ in range(args.rounds):
            order = (args.before, args.after) if round_ % 2 == 0 else (args.after, args.before)
            for commit in order:
                seconds = build_seconds(code[commit], args.data)
                times[commit].append(seconds)
                print(f"round {round_ + 1}  {commit:>12}  {seconds:7.1f} s", flush=True)
    before, after = (statistics.median(times[commit]) for commit in (args.before, args.after))
    print(f"median  before {before:.1f} s  after {after:.1f} s  after ÷ before {after / before:.2f}×")


if __name__ == "__main__":
    main()
