"""The benchmark: the real app, headless, on synthetic data of 100 thousand to 10 million casualty rows.

For each size it measures start-up (cold and warm), filter changes until every pane is refreshed,
the nationality picker's opening, the SQL pane's first rows and jump to the last row of a query
over every casualty row, and the peak memory of the process. Beside each figure, the floor: the very statements the app issued for
that step, run one after another by plain DuckDB in a fresh connection, in a process of its own (so that
its memory is reported on a row of its own, never as the app's). The SQL pane's floor is DuckDB's time to
the first page of the same statement. It also counts the bytes the app writes to a 120x40 terminal for
start-up and a few keys (the real app under a pseudo-terminal), and, with --peers, times VisiData.

    .venv/bin/python benchmarks/run.py                 # 100k, 1m, 10m (+ the built-in data's start-up)
    .venv/bin/python benchmarks/run.py --sizes 100k    # one size
    .venv/bin/python benchmarks/run.py --readme        # also rewrite the README's results table
    .venv/bin/python benchmarks/run.py --peers         # also time VisiData on the same files (pip install -e ".[peers]")
    .venv/bin/python benchmarks/run.py --bytes-only    # only the bytes the terminal receives per key (built-in data, 120x40)
    .venv/bin/python benchmarks/run.py --peers-only --sizes 1m   # only VisiData
    .venv/bin/python benchmarks/run.py --sizes 100k --engines duckdb,spark   # the app on each engine, one table
    .venv/bin/python benchmarks/run.py --sizes 100k,1m --compare-with 94d0395 --rounds 3   # DuckDB before/after
    .venv/bin/python benchmarks/run.py --data-root ../main/benchmarks/.data ...   # read synthetic data from elsewhere

Synthetic data directories are generated once into benchmarks/.data/ (see generate.py).
Each measurement runs in a child process of its own, so peak memory is that step's alone, read before its floor runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / "benchmarks" / ".data"
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
README_START, README_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


# --- recording the statements the app issues -------------------------------------------

class TracingCursor:
    """A DuckDB cursor that notes every statement (with its parameters) before running it."""

    def __init__(self, cursor, log: list) -> None:
        self._cursor, self._log = cursor, log

    def execute(self, query, parameters=None):
        self._log.append((query, parameters))
        return self._cursor.execute(query, parameters) if parameters is not None else self._cursor.execute(query)

    def sql(self, query, params=None, **options):
        self._log.append((query, params))
        return self._cursor.sql(query, params=params, **options)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def trace_catalog(catalog, log: list) -> None:
    cursor = catalog.cursor
    catalog.cursor = lambda: TracingCursor(cursor(), log)


def floor_seconds(data_dir: Path, statements: list, first_page: int | None = None) -> float:
    """Run `statements` one after another in a fresh DuckDB connection with the same views; seconds taken.

    The tables are the app's own: the cache database the app built, attached read-only as the app
    does, in a connection with none of the app's other settings. With `first_page`, each statement's
    first that many rows are fetched, not its whole result (the SQL pane shows a page, never loads it all)."""
    import duckdb

    from explorer.db.catalog import DATABASE_ALIAS, EngineLimits, open_catalog

    limits = EngineLimits()
    with open_catalog(data_dir if str(data_dir) != "builtin" else None, limits) as catalog:
        if catalog.cache.check is not None:
            catalog.cache.check.done.wait()  # its reading of the whole file must not slow the statements timed here
        database = catalog.cache.path
        con = duckdb.connect(config={"threads": limits.threads, "memory_limit": limits.memory_limit})
        con.execute(f"ATTACH '{database}' AS {DATABASE_ALIAS} (READ_ONLY)")
        con.execute(f"USE {DATABASE_ALIAS}")
    failures = []
    started = time.perf_counter()
    for query, params in statements:
        try:
            if first_page is not None:
                con.execute(query, params or []).fetchmany(first_page)
                continue
            relation = con.sql(query, params=params)
            if relation is not None:
                relation.to_arrow_table()
        except duckdb.Error as error:
            failures.append(str(error).splitlines()[0])  # an interrupted or probing query fails here too
    elapsed = time.perf_counter() - started
    con.close()
    unexpected = [failure for failure in failures if "INTERRUPT" not in failure.upper()]
    if unexpected:
        print(f"floor: {len(unexpected)} statement(s) failed, first: {unexpected[0]}", file=sys.stderr)
    return elapsed


def _floors(data_dir: Path, runs: list) -> tuple[list[float], float]:
    """Each run's floor (`runs`: (statements, first_page) pairs) and this process's peak memory."""
    return [floor_seconds(data_dir, statements, first_page) for statements, first_page in runs], peak_rss_mb()


def floors_apart(data_dir: Path, runs: list) -> tuple[list[float], float]:
    """`_floors` in a process of its own: the floor's memory must not count as the app's, nor the app's as its."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_floors, data_dir, runs).result()


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory (default: this one's). On Linux its own high-water mark (VmHWM):
    `ru_maxrss` keeps the peak of the process that started it across the exec, so a child would report its
    parent's peak."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the children: one process per measurement ---------------------------------------------

async def _until(pilot, condition, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not finish within the time allowed")
        await asyncio.sleep(0.005)  # polling, lightly: a busy loop would slow the worker it waits for


def send_key(app, key: str) -> None:
    """`key` as the terminal driver hands it to the app, for a timed step. Not `Pilot.press`: after each key it
    waits, twice, until the process has used no CPU for 20 ms, and the step's time then counted that wait
    (about 50 ms after a search's match was drawn). The step's own condition says when it is done."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def on_screen(pilot, app) -> None:
    """Wait until what the refresh set off is done and drawn: the messages it posted handled, the
    workers they started (the selected event's linked casualties) finished, and the screen painted.
    Not waiting for the CPU to idle, as `pilot.pause()` does: that also waits for the tab underline's
    0.3 s slide when a count changes the label's width, which runs while the data is already shown."""
    await pilot.pause(0)
    await _until(pilot, lambda: not any(worker.is_running for worker in app.workers))
    await pilot.pause(0)


SPARK_REMOTE = "local[2]"
"""The Spark the benchmark measures: a Spark Connect server started on this machine, as `--spark-remote local[2]` does."""


def open_data(engine: str, data_dir: Path, spark_cache: str | None, result: dict):
    """`data_dir` opened on `engine` as the CLI opens it. On Spark, `result` gets the local server's start
    (`server`, seconds until it answers on its port) and the rest of the opening (`open`: connecting,
    the views, the counting model, built by Spark on a first start), and the server's process id.

    DuckDB is opened with `open_catalog`, which is what `open_engine("duckdb", ...)` calls: the code before
    the engine seam (`--compare-with`) has no `open_engine`."""
    if engine == "duckdb":
        from explorer.config import engine_limits
        from explorer.db.catalog import open_catalog

        return open_catalog(data_dir if str(data_dir) != "builtin" else None, engine_limits())
    from explorer.engine import open_engine, spark

    start_local_server = spark.start_local_server

    def timed_start(*args, **options):
        began = time.perf_counter()
        server = start_local_server(*args, **options)
        result["server"], result["server_pid"] = time.perf_counter() - began, server.process.pid
        return server

    spark.start_local_server = timed_start  # the app's own opening, with its server's start timed apart
    began = time.perf_counter()
    opened = open_engine("spark", data_dir, remote=SPARK_REMOTE, cache_dir=spark_cache)
    result["open"] = time.perf_counter() - began - result["server"]
    return opened


def close_data(engine: str, opened, result: dict) -> None:
    """Close what `open_data` opened; on Spark, note first the server's peak memory (its own process: a JVM)."""
    if engine == "spark":
        result["server_rss"] = peak_rss_mb(result.pop("server_pid"))
    opened.close()


def child_startup(data_dir: Path, started_at: float, engine: str = "duckdb", spark_cache: str | None = None) -> dict:
    """Process start to the first screen with data (the parent noted `started_at` before starting us)."""
    import explorer
    from explorer.app import ExplorerApp

    log: list = []
    result: dict = {"explorer": explorer.__file__}
    catalog = open_data(engine, data_dir, spark_cache, result)
    trace_catalog(catalog, log)
    app = ExplorerApp(catalog)

    async def run() -> None:
        async with app.run_test(size=(120, 40), headless=True) as pilot:
            await _until(pilot, lambda: app.refreshes >= 1)
            await on_screen(pilot, app)
            result["app"] = time.time() - started_at

    try:
        asyncio.run(run())
    finally:  # a Spark server would outlive a failed step
        close_data(engine, catalog, result)
    result["rss"] = peak_rss_mb()  # the app's alone: the floor runs in a process of its own
    if engine == "duckdb":  # the floor is DuckDB's: on Spark the column is the DuckDB app's floor
        (result["floor"],), result["floor_rss"] = floors_apart(catalog.data_dir, [(log, None)])
    return result


FILTER_CHANGES = (
    {"nationalities": ["Iranian"]},
    {"nationalities": ["Iranian"], "fronts": ["Aleppo"]},
    {"date_from": "2015-10-01", "date_to": "2016-02-29"},
    {},
    {"nationalities": ["Russian"], "date_from": "2015-09-01", "date_to": "2016-03-31"},
    {"include_imprecise": False},
    {"date_from": "2013-01-01", "date_to": "2013-12-31"},
    {"nationalities": ["Syrian"], "fronts": ["Idlib"]},
    {"actor_ids": ["SA001"]},
    {"fronts": ["Damascus/Ghouta", "Homs/Palmyra"], "include_imprecise": False},
)
"""The fixed set of filter changes, applied in this order at every size."""


def _filters(spec: dict):
    from explorer.db.filters import Filters

    return Filters(
        date_from=date.fromisoformat(spec["date_from"]) if "date_from" in spec else None,
        date_to=date.fromisoformat(spec["date_to"]) if "date_to" in spec else None,
        nationalities=frozenset(spec.get("nationalities", ())),
        fronts=frozenset(spec.get("fronts", ())),
        actor_ids=frozenset(spec.get("actor_ids", ())),
        include_imprecise=spec.get("include_imprecise", True),
    )


NOT_MEASURED = {
    "spark": {"map": "the map pane fails on Spark: its cell count (`geo.map_counts`) casts its parameters as `?::DOUBLE`, "
                     "which sqlglot cannot read (\"Expecting )\"), so the pane shows that error and no map"},
}
"""Steps an engine cannot do yet, and why: not measured on it."""


def child_interactive(data_dir: Path, engine: str = "duckdb", spark_cache: str | None = None) -> dict:
    """Filter changes, the SQL pane's first rows and jump to the end, and every pane shown once."""
    from textual.widgets import SelectionList, TextArea

    import explorer
    from explorer.app import ExplorerApp
    from explorer.widgets.map_canvas import MapCanvas
    from explorer.widgets.result_grid import PAGE_ROWS, ResultGrid
    from explorer.widgets.value_picker import ValuePicker

    log: list = []
    result: dict = {"explorer": explorer.__file__}
    catalog = open_data(engine, data_dir, spark_cache, result)
    trace_catalog(catalog, log)
    app = ExplorerApp(catalog)
    steps: dict[str, list] = {"filter": [], "picker": [], "search": [], "events_end": [], "map": [], "sql_first": [],
                              "sql_end": []}

    async def measure(name: str, action, done) -> None:
        del log[:]
        started = time.perf_counter()
        await action()
        try:
            await done()
        except TimeoutError:
            shown = "; ".join(str(notice.message) for notice in app._notifications) or "no notice shown"
            raise TimeoutError(f"step {name} did not finish within the time allowed ({shown})") from None
        steps[name].append((time.perf_counter() - started, list(log)))

    async def run() -> None:
        async with app.run_test(size=(120, 40), headless=True) as pilot:
            await _until(pilot, lambda: app.refreshes >= 1)
            for key in "231":  # every pane shown once, for its memory
                await pilot.press(key)
                await pilot.pause()
            for spec in FILTER_CHANGES:
                before = app.refreshes

                async def change(spec=spec) -> None:
                    app.filters = _filters(spec)

                async def refreshed(before=before) -> None:
                    await _until(pilot, lambda: app.refreshes > before)
                    await on_screen(pilot, app)

                await measure("filter", change, refreshed)

            async def open_picker() -> None:
                send_key(app, "t")

            async def picker_shown() -> None:  # it opens over the panes, in the same screen, its list focused
                await _until(pilot, lambda: any(picker.is_mounted and picker.query(SelectionList)
                                                and picker.query_one(SelectionList).has_focus for picker in app.screen.query(ValuePicker)))
                await on_screen(pilot, app)

            await measure("picker", open_picker, picker_shown)
            await pilot.press("escape")
            await pilot.pause()
            before = app.refreshes
            app.filters = _filters({})
            await _until(pilot, lambda: app.refreshes > before)
            await pilot.press("1")
            await app.workers.wait_for_complete()
            events = app.query_one("#events")
            # a title near the middle of the date order: the search has half the events to pass
            cursor = catalog.cursor()
            half = cursor.execute("SELECT count(*) FROM events").fetchall()[0][0] // 2
            wanted = cursor.execute(
                f"SELECT title FROM events_by_date ORDER BY date NULLS LAST, event_id LIMIT 1 OFFSET {int(half)}").fetchall()[0][0]

            await pilot.press("slash")  # the prompt opens and holds the words: the search starts with enter
            app.query_one("#prompt").value = wanted
            await on_screen(pilot, app)

            async def search() -> None:
                send_key(app, "enter")

            async def found() -> None:
                await _until(pilot, lambda: events.current_record is not None and events.current_record["title"] == wanted)
                await on_screen(pilot, app)

            await measure("search", search, found)

            async def to_the_end() -> None:
                send_key(app, "G")

            async def last_event() -> None:
                await _until(pilot, lambda: events.cursor_row == events.row_count - 1 and events.current_record is not None)
                await on_screen(pilot, app)

            await measure("events_end", to_the_end, last_event)

            async def map_redraws() -> None:
                await pilot.press("5")  # the map, then a filter change redrawn on it
                await _until(pilot, lambda: app.query_one(MapCanvas).view is not None)
                await on_screen(pilot, app)
                canvas = app.query_one(MapCanvas)
                for spec in FILTER_CHANGES[1:4]:
                    shown_counts = canvas.counts

                    async def map_change(spec=spec) -> None:
                        app.filters = _filters(spec)

                    async def map_redrawn(shown_counts=shown_counts) -> None:
                        await _until(pilot, lambda: canvas.counts is not shown_counts)
                        await on_screen(pilot, app)

                    await measure("map", map_change, map_redrawn)

            if "map" not in NOT_MEASURED.get(engine, {}):
                await map_redraws()
            await pilot.press("4")
            await pilot.pause()
            editor = app.query_one(TextArea)
            editor.text = "SELECT * FROM casualties"
            editor.focus()
            grid = app.query_one(ResultGrid)

            async def run_query() -> None:
                send_key(app, "ctrl+j")

            async def first_rows() -> None:
                await _until(pilot, lambda: grid.result is not None and grid.row_count > 0)
                await on_screen(pilot, app)

            await measure("sql_first", run_query, first_rows)
            steps["sql_first"][-1] = (steps["sql_first"][-1][0], [(editor.text, None)])  # its floor: the statement's first page
            grid.focus()
            await pilot.pause()

            async def jump() -> None:
                send_key(app, "end")

            async def last_row() -> None:
                await _until(pilot, lambda: (grid.row_count - 1) // PAGE_ROWS in grid._pages)
                await on_screen(pilot, app)

            await measure("sql_end", jump, last_row)
            steps["rows"] = grid.row_count

    try:
        asyncio.run(run())
    finally:  # a Spark server would outlive a failed step
        close_data(engine, catalog, result)
    result.update(rss=peak_rss_mb(), rows=steps.pop("rows"))  # the app's alone, read before any floor runs
    if engine != "duckdb":
        result.update({name: [seconds for seconds, _ in runs] for name, runs in steps.items()})
        return result
    names = [name for name, runs in steps.items() for _ in runs]
    floors, result["floor_rss"] = floors_apart(
        catalog.data_dir, [(statements, PAGE_ROWS if name == "sql_first" else None) for name, runs in steps.items() for _, statements in runs])
    for name, runs in steps.items():
        result[name] = [seconds for seconds, _ in runs]
        result[f"{name}_floor"] = [floor for floor, floor_name in zip(floors, names) if floor_name == name]
    return result


# --- bytes the terminal receives: the real app under a pseudo-terminal --------------------------

TERMINAL_KEYS = (
    ("one row down (the timeline's events)", b"\x1b[B", "< 2 KB"),
    ("nationality picker opens (t)", b"t", "< 10 KB"),
    ("a value ticked in the picker (space)", b" ", ""),
    ("filter change (enter applies it)", b"\r", "< 20 KB"),
    ("pane switch (2)", b"2", "< 20 KB"),
)
"""What is pressed, in this order, after start-up, and the issue's target for each (what an SSH link carries)."""


def _read_until_quiet(fd: int, quiet: float, cap: float, first_output: bool = False) -> int:
    """Bytes read from `fd` until it has been silent for `quiet` seconds (or `cap` seconds have passed); with
    `first_output`, the silence counts only once something came (a first start may build its cache first)."""
    import select

    count, started = 0, time.monotonic()
    last = started
    while time.monotonic() - started < cap and (time.monotonic() - last < quiet or first_output and not count):
        ready, _, _ = select.select([fd], [], [], 0.02)
        if ready:
            try:
                count += len(os.read(fd, 65536))
            except OSError:  # the app has gone
                break
            last = time.monotonic()
    return count


def terminal_bytes(env: dict) -> list[tuple[str, int, str]]:
    """(step, bytes written to the terminal, target): the app on the built-in data in a 120x40 xterm-256color
    pseudo-terminal, each step counted until the output has been quiet for a second."""
    import fcntl
    import struct
    import termios

    main_fd, app_fd = os.openpty()
    fcntl.ioctl(app_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    app_env = {key: value for key, value in env.items() if key not in ("TEXTUAL_ANIMATIONS", "COLUMNS", "LINES")}
    app = subprocess.Popen([sys.executable, "-m", "explorer"], stdin=app_fd, stdout=app_fd, stderr=app_fd, cwd=ROOT,
                           env={**app_env, "TERM": "xterm-256color"}, start_new_session=True)
    os.close(app_fd)
    try:
        counts = [("start-up", _read_until_quiet(main_fd, 2.0, 120.0, first_output=True), "")]
        for step, key, target in TERMINAL_KEYS:
            os.write(main_fd, key)
            counts.append((step, _read_until_quiet(main_fd, 1.0, 30.0), target))
        os.write(main_fd, b"q")
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
        os.close(main_fd)
    return counts


def measure_terminal_bytes(repeats: int = 3) -> list[tuple[str, str, str, None, str]]:
    """The byte rows: each step's median over `repeats` runs (and their range: how many frames a step paints
    depends on how fast its queries return), in a fresh cache and state; the first run's start-up builds the cache."""
    cache = tempfile.mkdtemp(prefix="conflict-explorer-bench-cache-")
    env = {**os.environ, "XDG_CACHE_HOME": cache, "CONFLICT_EXPLORER_CONFIG": os.path.join(cache, "none.toml"),
           "CONFLICT_EXPLORER_STATE_DIR": os.path.join(cache, "state")}
    try:
        runs = [terminal_bytes(env) for _ in range(repeats)]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    rows = []
    for index, (step, _, target) in enumerate(runs[0]):
        counts = sorted(run[index][1] / 1024 for run in runs)
        spread = f" ({counts[0]:.1f}–{counts[-1]:.1f})" if len(counts) > 1 else ""
        rows.append(("built-in", f"bytes to the terminal, {step}", f"{counts[len(counts) // 2]:.1f} KB{spread}", None, target))
    return rows


# --- a peer: VisiData in batch mode on the same files (optional) -----------------------------

VISIDATA_JOBS = (
    ("start, open, its columns sheet (rows may still be loading)", [{"longname": "columns-sheet", "keystrokes": "C"}]),
    ("open + frequency table of nationality", [{"sheet": "casualties", "col": "nationality", "longname": "freq-col", "keystrokes": "F"}]),
    ("open + keep the Iranian rows", [
        {"sheet": "casualties", "col": "nationality", "longname": "select-col-regex", "input": "^Iranian$", "keystrokes": "|"},
        {"sheet": "casualties", "longname": "dup-selected", "keystrokes": '"'}]),
)
"""What VisiData is timed doing on casualties.parquet: each job opens the file, then runs its commands (a
command log replayed with `vd -b -p`), and saves the last sheet."""


def measure_visidata(label: str, data_root: Path = DATA_ROOT) -> list[tuple[str, str, float, float | None, str]]:
    """VisiData's seconds for each job, when `vd` is installed (`pip install visidata`; never a dependency of the
    app): the README's ratio to a peer is then measured on the same files, not quoted."""
    vd = shutil.which("vd") or (str(Path(sys.executable).with_name("vd")) if Path(sys.executable).with_name("vd").exists() else None)
    if vd is None:
        print("VisiData not installed (pip install visidata): no peer rows", file=sys.stderr)
        return []
    source = str(ensure_data(label, data_root) / "casualties.parquet")
    rows = []
    with tempfile.TemporaryDirectory(prefix="conflict-explorer-bench-vd-") as folder:
        for name, commands in VISIDATA_JOBS:
            log = Path(folder) / "job.vdj"
            lines = [{"longname": "open-file", "input": source, "keystrokes": "o"}, *commands]
            log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
            started = time.perf_counter()
            done = subprocess.run([vd, "-b", "-p", str(log), "-o", str(Path(folder) / "out.tsv")], check=False, capture_output=True,
                                  text=True, env={**os.environ, "HOME": folder}, cwd=folder, timeout=3600)
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                print(f"VisiData {name} failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
                continue
            rows.append((label, f"VisiData: {name}", seconds, None, ""))
    return rows


# --- the parent: orchestration and the report ------------------------------------------------

def _child(*args: str, env: dict, tree: Path = ROOT) -> dict:
    """One measurement in a process of its own, on the code of `tree` (this one, or `--compare-with`'s export)."""
    started = time.time()
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args, "--started-at", repr(started)],
        check=False, capture_output=True, text=True, env={**env, "PYTHONPATH": str(tree)}, cwd=tree,
    )
    if output.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{output.stderr[-3000:]}")
    result = json.loads(output.stdout.strip().splitlines()[-1])
    if not Path(result["explorer"]).resolve().is_relative_to(tree.resolve()):  # e.g. an editable install elsewhere
        raise SystemExit(f"benchmark child imported explorer from {result['explorer']}, not from {tree}")
    return result


def ensure_data(label: str, data_root: Path = DATA_ROOT) -> Path:
    """The synthetic directory of `label`, generated once into benchmarks/.data/ (never into a `--data-root`
    given: that is someone else's copy, only read)."""
    target = data_root / label
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate, marker

    made_by = target / "SYNTHETIC.txt"
    if not made_by.is_file() or made_by.read_text() != marker(SIZES[label]):
        if data_root != DATA_ROOT:
            raise SystemExit(f"{target}: no synthetic data of this generator's {label} (run without --data-root to generate it)")
        print(f"generating {label} synthetic casualty rows into {target} ...", flush=True)
        generate(SIZES[label], target)
    return target


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_size(label: str, engine: str = "duckdb", tree: Path = ROOT,
                 data_root: Path = DATA_ROOT) -> list[tuple[str, str, float, float | None, str]]:
    """(size, step, app seconds or MB, floor seconds, target) rows for one size, the app on `engine`, with
    the code of `tree`; each call starts from an empty cache."""
    data_dir = ensure_data(label, data_root) if label != "built-in" else Path("builtin")
    cache = tempfile.mkdtemp(prefix="conflict-explorer-bench-cache-")
    env = {**os.environ, "XDG_CACHE_HOME": cache, "CONFLICT_EXPLORER_CONFIG": os.path.join(cache, "none.toml"),
           "CONFLICT_EXPLORER_STATE_DIR": os.path.join(cache, "state")}
    env.pop("CONFLICT_EXPLORER_CACHE_DIR", None)  # it would take the cache out of the empty folder
    options: tuple[str, ...] = ()
    if engine == "spark":  # the server's log and spill folder go with the cache, and are removed with it
        env["TMPDIR"] = cache
        options = ("--child-engine", engine, "--spark-cache", os.path.join(cache, "spark"))
    try:
        return _measure(label, data_dir, env, options, tree)
    finally:
        shutil.rmtree(cache, ignore_errors=True)  # a cache of 10 million rows takes most of a gigabyte


def _floor(result: dict, name: str, share: float = 0.5) -> float | None:
    """A step's floor (DuckDB's alone: none on Spark)."""
    floors = result.get(f"{name}_floor")
    return _percentile(floors, share) if floors else None


def _measure(label: str, data_dir: Path, env: dict, options: tuple[str, ...] = (),
             tree: Path = ROOT) -> list[tuple[str, str, float, float | None, str]]:
    cold = _child("startup", str(data_dir), *options, env=env, tree=tree)
    warm = _child("startup", str(data_dir), *options, env=env, tree=tree)
    target = {"built-in": "< 1 s", "10m": "< 2 s"}.get(label, "")
    rows = []
    for name, run in (("cold", cold), ("warm", warm)):
        rows.append((label, f"start-up, {name}", run["app"], run.get("floor"), target))
        if "server" in run:
            rows.append((label, f"start-up, {name}: of which the local Spark server's start", run["server"], None, ""))
            rows.append((label, f"start-up, {name}: of which opening the data (connect, views, counting model)", run["open"], None, ""))
    peak = warm["rss"]
    if label != "built-in":
        interactive = _child("interactive", str(data_dir), *options, env=env, tree=tree)
        filter_target = {"1m": "p95 < 0.15 s, ≤ 1.5× floor", "10m": "< 1 s"}.get(label, "")
        for name, share in (("p50", 0.5), ("p95", 0.95)):
            rows.append((label, f"filter change, {name}", _percentile(interactive["filter"], share),
                         _floor(interactive, "filter", share), filter_target if name == "p95" else ""))
        rows.append((label, "nationality picker opens", interactive["picker"][0], _floor(interactive, "picker"), ""))
        rows.append((label, "search: enter to first match (half-way down)", interactive["search"][0], _floor(interactive, "search"),
                     "< 0.3 s" if label == "10m" else ""))
        rows.append((label, "timeline: jump to the last event", interactive["events_end"][0], _floor(interactive, "events_end"), ""))
        if interactive["map"]:
            rows.append((label, "map: redrawn after a filter change (median of 3)", _percentile(interactive["map"], 0.5),
                         _floor(interactive, "map"), "< 0.3 s" if label == "1m" else ""))
        sql_target = "< 0.5 s" if label == "10m" else ""
        rows.append((label, f"SQL: first rows of {interactive['rows']:,}", interactive["sql_first"][0], _floor(interactive, "sql_first"), sql_target))
        rows.append((label, "SQL: jump to last row", interactive["sql_end"][0], _floor(interactive, "sql_end"), sql_target))
        peak = max(peak, interactive["rss"])
    rows.append((label, "peak RSS, first start (builds the cache)", cold["rss"], None, "< 1 GB" if label == "10m" else ""))
    rows.append((label, "peak RSS, later starts and every pane", peak, None, "< 500 MB" if label == "10m" else ""))
    runs = [cold, warm] + ([interactive] if label != "built-in" else [])
    if "floor_rss" in cold:
        rows.append((label, "peak RSS of the DuckDB floor (a process of its own)", max(run["floor_rss"] for run in runs), None, ""))
    if "server_rss" in cold:
        rows.append((label, "peak RSS of the Spark server (a JVM of its own), first start", cold["server_rss"], None, ""))
        rows.append((label, "peak RSS of the Spark server, later starts and every pane",
                     max(run["server_rss"] for run in runs[1:]), None, ""))
    return rows


def _is_memory(step: str) -> bool:
    return step.startswith("peak RSS")


def _figure(step: str, value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f} MB" if _is_memory(step) else f"{value:.3f} s"


def format_table(rows: list) -> str:
    lines = ["| size | step | app | DuckDB floor | ratio | target |", "|---|---|---|---|---|---|"]
    for size, step, value, floor, target in rows:
        if isinstance(value, str):
            lines.append(f"| {size} | {step} | {value} | | | {target} |")
        elif floor is None:
            lines.append(f"| {size} | {step} | {_figure(step, value)} | | | {target} |")
        else:
            ratio = f"{value / floor:.1f}×" if floor > 0 else ""
            lines.append(f"| {size} | {step} | {value:.3f} s | {floor:.3f} s | {ratio} | {target} |")
    return "\n".join(lines)


ENGINE_TITLES = {"duckdb": "DuckDB", "spark": "Spark"}


def _merged_steps(columns: dict[str, list]) -> list[tuple[str, str]]:
    """The (size, step) keys of every column's rows, each column's own order kept (a step one column
    lacks stays where its neighbours are)."""
    order: list[tuple[str, str]] = []
    for rows in columns.values():
        at = -1
        for size, step, *_ in rows:
            if (size, step) in order:
                at = order.index((size, step))
            else:
                at += 1
                order.insert(at, (size, step))
    return order


def format_engines_table(measured: dict[str, list]) -> str:
    """The same steps with a column per engine (the app on it), the DuckDB floor, and each engine ÷ the first."""
    titles = [ENGINE_TITLES[engine] for engine in measured]
    lines = ["| size | step | " + " | ".join(f"app on {title}" for title in titles) + " | DuckDB floor | "
             + " | ".join(f"{title} ÷ {titles[0]}" for title in titles[1:]) + " |",
             "|---|---|" + "---|" * (2 * len(titles))]
    found = {engine: {(size, step): (value, floor) for size, step, value, floor, _ in rows} for engine, rows in measured.items()}
    for size, step in _merged_steps(measured):
        values = [found[engine].get((size, step), (None, None))[0] for engine in measured]
        floor = found.get("duckdb", {}).get((size, step), (None, None))[1]
        ratios = [f"{value / values[0]:.1f}×" if value is not None and values[0] else "" for value in values[1:]]
        lines.append(f"| {size} | {step} | " + " | ".join(_figure(step, value) for value in values)
                     + f" | {_figure(step, floor)} | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def spark_missing() -> str | None:
    """Why the Spark engine cannot run here, in one line, or None."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "--engines spark needs pyspark: pip install -e '.[spark]'"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "--engines spark needs Java 17 or newer for its local server: apt install openjdk-17-jre-headless, or set JAVA_HOME"
    return None


def measure_engines(labels: list[str], engines: list[str], data_root: Path) -> str:
    """The same steps with the app on each engine, one engine after the other at each size; the table."""
    measured: dict[str, list] = {engine: [] for engine in engines}
    for label in labels:
        for engine in engines:
            print(f"{label} on {ENGINE_TITLES[engine]} ...", file=sys.stderr, flush=True)
            measured[engine] += measure_size(label, engine, data_root=data_root)
    notes = [f"Not measured on {ENGINE_TITLES[engine]}: {step}: {why}."
             for engine in engines for step, why in NOT_MEASURED.get(engine, {}).items()]
    return "\n\n".join([format_engines_table(measured), *notes])


def export_tree(commit: str, folder: Path) -> Path:
    """The code at `commit`, exported with `git archive` into `folder` (outside the repository: no worktree,
    nothing added to .git)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def _short(commit: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", commit], check=True, capture_output=True,
                          text=True).stdout.strip()


def compare_with(commit: str, labels: list[str], rounds: int, data_root: Path) -> str:
    """DuckDB's steps on the code at `commit` ("before") and on this tree ("after"), alternating in one run:
    at each size, `rounds` rounds of before then after (the order swapped every other round, so that
    neither always runs first); the table of medians, each round's figure and after ÷ before."""
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "explorer"], check=True,
                           capture_output=True, text=True).stdout.strip()
    names = {"before": f"before ({_short(commit)})", "after": f"after ({_short('HEAD')}{', edited' if dirty else ''})"}
    measured: dict[str, dict[tuple[str, str], list]] = {"before": {}, "after": {}}
    with tempfile.TemporaryDirectory(prefix="conflict-explorer-before-") as folder:
        trees = {"before": export_tree(commit, Path(folder)), "after": ROOT}
        for label in labels:
            for number in range(rounds):
                for side in (("before", "after") if number % 2 == 0 else ("after", "before")):
                    print(f"{label}, round {number + 1} of {rounds}: {names[side]} ...", file=sys.stderr, flush=True)
                    for size, step, value, floor, _ in measure_size(label, tree=trees[side], data_root=data_root):
                        measured[side].setdefault((size, step), []).append((value, floor))
    lines = [f"| size | step | {names['before']} | {names['after']} | after ÷ before | DuckDB floor, before → after |",
             "|---|---|---|---|---|---|"]
    for size, step in _merged_steps({side: [key for key in found] for side, found in measured.items()}):
        cells, medians, floors = [], [], []
        for side in ("before", "after"):
            runs = measured[side].get((size, step), [])
            values = [value for value, _ in runs]
            medians.append(_percentile(values, 0.5) if values else None)
            floors.append(_percentile([floor for _, floor in runs if floor is not None], 0.5) if any(
                floor is not None for _, floor in runs) else None)
            spread = f" ({', '.join(_figure(step, value).split()[0] for value in values)})" if len(values) > 1 else ""
            cells.append(_figure(step, medians[-1]) + spread if values else "not in this code")
        ratio = f"{medians[1] / medians[0]:.2f}×" if None not in medians and medians[0] else ""
        floor = f"{_figure(step, floors[0])} → {_figure(step, floors[1])}" if None not in floors else ""
        lines.append(f"| {size} | {step} | {cells[0]} | {cells[1]} | {ratio} | {floor} |")
    note = (f"Medians of {rounds} rounds (each round's figure in brackets); each round starts from an empty cache."
            if rounds > 1 else "One round, from an empty cache.")
    return "\n".join(lines) + "\n\n" + note


def machine(with_spark: bool = False) -> str:
    from importlib.metadata import version

    import duckdb

    spark = ""
    if with_spark:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
        spark = f", PySpark {version('pyspark')} ({SPARK_REMOTE}, {java[0] if java else 'Java'})"
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}, Textual {version('textual')}{spark}, measured {date.today().isoformat()}")


def write_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text(encoding="utf-8")
    start, end = content.index(README_START) + len(README_START), content.index(README_END)
    readme.write_text(content[:start] + "\n" + text + "\n" + content[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the explorer against raw DuckDB on synthetic data.")
    parser.add_argument("--sizes", default="100k,1m,10m", help="comma-separated: 100k, 1m, 10m (default: all)")
    parser.add_argument("--readme", action="store_true", help="rewrite the results table in README.md")
    parser.add_argument("--bytes-only", action="store_true", help="only the bytes the terminal receives per step (built-in data)")
    parser.add_argument("--peers", action="store_true", help="also time VisiData (if installed) on the same files")
    parser.add_argument("--peers-only", action="store_true", help="only time VisiData (if installed) on the chosen sizes")
    parser.add_argument("--engines", default="duckdb",
                        help="comma-separated: duckdb, spark (default: duckdb). With spark, the chosen sizes' steps on each "
                             "engine in one table (Spark: a local server, local[2], started by each measurement)")
    parser.add_argument("--compare-with", metavar="COMMIT",
                        help="DuckDB's steps on the code at COMMIT and on this tree, alternating, in one table")
    parser.add_argument("--rounds", type=int, default=2, help="with --compare-with: rounds of before and after (default 2)")
    parser.add_argument("--data-root", type=Path, default=DATA_ROOT,
                        help="where the synthetic 100k/1m/10m folders are (default benchmarks/.data; only read when given)")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--started-at", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-engine", default="duckdb", help=argparse.SUPPRESS)
    parser.add_argument("--spark-cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, data_dir = args.child
        run = (child_startup(Path(data_dir), args.started_at, args.child_engine, args.spark_cache) if step == "startup"
               else child_interactive(Path(data_dir), args.child_engine, args.spark_cache))
        print(json.dumps(run))
        return
    labels = [label.strip().lower() for label in args.sizes.split(",")]
    unknown = [label for label in labels if label not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size(s) {', '.join(unknown)}: use {', '.join(SIZES)}")
    engines = [engine.strip().lower() for engine in args.engines.split(",")]
    if unknown := [engine for engine in engines if engine not in ENGINE_TITLES]:
        raise SystemExit(f"unknown engine(s) {', '.join(unknown)}: use {', '.join(ENGINE_TITLES)}")
    if args.readme and (engines != ["duckdb"] or args.compare_with):
        raise SystemExit("--readme rewrites DuckDB's results table: run it without --engines and --compare-with")
    data_root = args.data_root.resolve()
    if args.compare_with:
        print(compare_with(args.compare_with, labels, args.rounds, data_root) + "\n\n" + machine())
        return
    if "spark" in engines:
        if why := spark_missing():
            raise SystemExit(why)
    if engines != ["duckdb"]:
        print(measure_engines(labels, engines, data_root) + "\n\n" + machine(with_spark="spark" in engines))
        return
    if args.bytes_only:
        print(format_table(measure_terminal_bytes()))
        return
    if args.peers_only:
        print(format_table([row for label in labels for row in measure_visidata(label, data_root)]))
        return
    rows = measure_size("built-in") + measure_terminal_bytes()
    print(format_table(rows), flush=True)
    for label in labels:
        measured = measure_size(label, data_root=data_root) + (measure_visidata(label, data_root) if args.peers else [])
        print("\n".join(format_table(measured).splitlines()[2:]), flush=True)
        rows += measured
    text = f"{machine()}\n\n{format_table(rows)}"
    print("\n" + machine())
    if args.readme:
        write_readme(text)
        print("README.md updated")


if __name__ == "__main__":
    main()
