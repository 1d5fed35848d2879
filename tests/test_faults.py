"""Faults: a damaged or stale cache, leftovers of killed processes, failing workers, unreadable state
files, Ctrl-C. Each ends in a transparent rebuild or a one-line message, never a traceback or a wrong number."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import duckdb
import pytest
from textual.widgets import TextArea

from explorer.app import ExplorerApp
from explorer.db import queries
from explorer.db.cache import (BUILDING_PREFIX, CACHES_KEPT, FOREIGN_LEFTOVER_SECONDS, PRIVATE_CACHE_PREFIX, PROCESS_TAG,
                                SPILL_PREFIX, check_cache)
from explorer.db.catalog import open_catalog
from explorer.db.errors import DataDirectoryError
from explorer.db.state import EDITOR_BYTES, HISTORY_BYTES, EditorState, QueryHistory
from explorer.panes.sql import STARTER
from conftest import settle

TOTALS = "SELECT kind, count(*), sum(killed) FROM occurrences GROUP BY ALL ORDER BY kind"


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(root))
    return root


def built_cache(data_dir):
    with open_catalog(data_dir) as catalog:
        return catalog.cache.path, catalog.cursor().execute(TOTALS).fetchall()


def _truncate(path):
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _empty(path):
    path.write_bytes(b"")


def _flip(offset_share):
    def flip(path):
        with path.open("r+b") as handle:
            handle.seek(int(path.stat().st_size * offset_share))
            byte = handle.read(1)
            handle.seek(-1, 1)
            handle.write(bytes([byte[0] ^ 0x01]))
    return flip


def _garble_manifest(path):
    (path.parent / "manifest.json").write_text("{not json")


def _remove_manifest(path):
    (path.parent / "manifest.json").unlink()


AT_OPENING = [_truncate, _empty, _flip(0.00001), _garble_manifest, _remove_manifest]
WHILE_IN_USE = [_flip(0.5), _flip(0.999)]


@pytest.mark.parametrize("damage", AT_OPENING, ids=["truncated", "zero bytes", "bit flipped in the headers", "manifest garbled",
                                                    "manifest missing"])
def test_a_damaged_cache_is_rebuilt_at_opening_with_one_line_saying_so(data_copy, cache_root, damage):
    path, totals = built_cache(data_copy)
    damage(path)
    with open_catalog(data_copy) as reopened:
        assert reopened.cache.note and "\n" not in reopened.cache.note
        assert reopened.cache.note.startswith("the cache of this data directory was rebuilt: ")
        assert reopened.cursor().execute(TOTALS).fetchall() == totals
    assert check_cache(path.parent, path.parent.name, threads=2) is None, "the rebuilt cache passes its own check"


@pytest.mark.parametrize("damage", WHILE_IN_USE, ids=["bit flipped mid-file", "bit flipped at the end"])
def test_damage_deeper_in_the_cache_is_found_while_in_use_never_read_and_rebuilt_next_time(data_copy, cache_root, damage):
    path, totals = built_cache(data_copy)
    damage(path)
    told = []
    with open_catalog(data_copy) as opened:
        assert opened.cache.note is None, "the opening checks the headers only: the rest is checked in a thread"
        opened.cache.check.when_damaged(told.append)
        assert opened.cache.check.done.wait(30)
        assert told and told[0].startswith("its contents changed after byte")
        try:
            assert opened.cursor().execute(TOTALS).fetchall() == totals, "never a wrong number"
        except duckdb.Error as error:
            assert "Corrupt database file" in str(error)
    with open_catalog(data_copy) as reopened:
        assert reopened.cache.note.endswith("(found while it was in use)")
        assert reopened.cursor().execute(TOTALS).fetchall() == totals
        assert reopened.cache.check is None, "a new build is checked as it is built"


async def test_the_app_says_when_its_cache_is_found_damaged(data_copy, cache_root):
    path, _ = built_cache(data_copy)
    _flip(0.5)(path)
    with open_catalog(data_copy) as opened:
        app = ExplorerApp(opened)
        async with app.run_test(size=(120, 40)) as pilot:
            assert opened.cache.check.done.wait(30)
            await settle(pilot)
            notices = [notification.message for notification in app._notifications]
            assert any(notice.startswith("The cache of this data directory is damaged (its contents changed after byte")
                       and "quit and start again to rebuild it" in notice for notice in notices)
            assert app.is_running


def test_damage_duckdb_meets_in_a_query_marks_the_cache_for_rebuilding(data_copy, cache_root):
    from explorer.db.sql_session import SqlSession
    from explorer.db.errors import QueryError

    path, totals = built_cache(data_copy)
    with open_catalog(data_copy) as opened:
        with path.open("r+b") as handle:  # damaged after the opening's checks, under the running engine
            handle.seek(path.stat().st_size // 4)
            handle.write(bytes(path.stat().st_size // 2))
        session = SqlSession(opened)
        scans = ["SELECT * FROM single_occurrences", "SELECT * FROM repeated_occurrences", "SELECT * FROM casualties",
                 "SELECT * FROM events_by_date", "SELECT * FROM occurrence_events", "SELECT * FROM events"]
        errors = []
        for sql in scans:
            try:
                session.rows(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM ({sql})")
            except QueryError as error:
                errors.append(str(error))
        assert errors and all("the cache is damaged, and is rebuilt the next time" in error for error in errors)
    with open_catalog(data_copy) as reopened:
        assert reopened.cache.note and reopened.cursor().execute(TOTALS).fetchall() == totals


def test_a_damaged_cache_never_reaches_the_cli(data_copy, cache_root):
    from test_cli import cli

    path, _ = built_cache(data_copy)
    _truncate(path)
    result = cli("query", "SELECT sum(killed) AS k FROM occurrences WHERE kind = 'individual'", "--data", str(data_copy),
                 "--format", "csv")
    assert result.returncode == 0 and result.stdout.splitlines() == ["k", "547"]
    assert result.stderr.count("\n") == 1 and "the cache of this data directory was rebuilt" in result.stderr
    path, _ = built_cache(data_copy)
    _flip(0.5)(path)
    result = cli("query", "SELECT count(*) AS n FROM events", "--data", str(data_copy), "--format", "csv")
    assert result.returncode == 0 and result.stdout.splitlines() == ["n", "80"]
    assert result.stderr.count("\n") == 1 and "the cache of this data directory is damaged" in result.stderr


@pytest.mark.parametrize("how", ["in place", "replaced by a copy"])
def test_a_data_file_rewritten_with_its_size_and_time_put_back_rebuilds_the_cache(data_copy, cache_root, how):
    """Size and modification time can be put back after a rewrite; the change time and the inode cannot."""
    built_cache(data_copy)
    casualties = data_copy / "casualties.parquet"
    stat, content = casualties.stat(), casualties.read_bytes()
    if how == "in place":
        with casualties.open("r+b") as handle:
            handle.write(content)
    else:
        copy = data_copy / "copy.tmp"
        copy.write_bytes(content)
        copy.replace(casualties)
    os.utime(casualties, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (casualties.stat().st_size, casualties.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    steps = []
    with open_catalog(data_copy, on_build=steps.append):
        pass
    assert steps, "the cache is built again"


def test_a_cache_deleted_while_the_app_runs_is_not_missed(data_copy, cache_root):
    with open_catalog(data_copy) as catalog:
        before = catalog.cursor().execute(TOTALS).fetchall()
        shutil.rmtree(catalog.cache.path.parent)  # another process may do this, or rebuild it
        assert catalog.cursor().execute(TOTALS).fetchall() == before, "the open engine still reads its file"
        with open_catalog(data_copy) as other:
            assert other.cursor().execute(TOTALS).fetchall() == before
            assert other.cache.path.is_file()
        assert catalog.cursor().execute(TOTALS).fetchall() == before


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_killed_processes_are_removed_at_the_next_start(data_copy, cache_root, tmp_path, monkeypatch):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    dead, alive, key = _dead_pid(), os.getpid(), "0123456789abcdef01234567"
    cache_root.mkdir()
    leftovers = [cache_root / f"{BUILDING_PREFIX}{key}-{PROCESS_TAG}-{dead}", cache_root / f"{BUILDING_PREFIX}stale-{key}-{PROCESS_TAG}-{dead}",
                 temporary / f"{SPILL_PREFIX}{PROCESS_TAG}-{dead}-abc", temporary / f"{PRIVATE_CACHE_PREFIX}{PROCESS_TAG}-{dead}-def",
                 temporary / f"{SPILL_PREFIX}0a1b2c3d-{dead}-old"]
    in_use = [cache_root / f"{BUILDING_PREFIX}{key}-{PROCESS_TAG}-{alive}", temporary / f"{SPILL_PREFIX}{PROCESS_TAG}-{alive}-ghi",
              temporary / f"{SPILL_PREFIX}0a1b2c3d-{dead}-recent", temporary / "someone-elses-folder"]
    for folder in leftovers + in_use:
        folder.mkdir()
        (folder / "part.tmp").write_bytes(b"x" * 1000)
    day_and_more = time.time() - FOREIGN_LEFTOVER_SECONDS - 60
    for path in (temporary / f"{SPILL_PREFIX}0a1b2c3d-{dead}-old", temporary / f"{SPILL_PREFIX}0a1b2c3d-{dead}-old" / "part.tmp"):
        os.utime(path, (day_and_more, day_and_more))  # another machine's or container's, untouched for a day
    with open_catalog(data_copy) as catalog:
        assert catalog.spill_dir.parent == temporary and catalog.spill_dir.name.startswith(f"{SPILL_PREFIX}{PROCESS_TAG}-{alive}-")
        assert not [folder for folder in leftovers if folder.exists()]
        assert all(folder.exists() for folder in in_use), "a process we cannot see may still be using its folder"
    assert not catalog.spill_dir.exists()


def test_only_our_own_caches_are_ever_forgotten(data_copy, cache_root):
    """The cache folder may be one the user also keeps other things in: only folders named and made like ours go."""
    cache_root.mkdir()
    theirs = []
    for number in range(20):
        folder = cache_root / f"project{number:02}"
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")
        theirs.append(folder)
    lookalike = cache_root / "0123456789abcdef01234567"
    lookalike.mkdir()
    (lookalike / "thesis.tex").write_text("not a cache")
    for number in range(CACHES_KEPT + 3):
        (data_copy / "forces.parquet").write_bytes((data_copy / "forces.parquet").read_bytes())  # a new key each time
        built_cache(data_copy)
    ours = [path for path in cache_root.iterdir() if (path / "manifest.json").exists()]
    assert len(ours) == CACHES_KEPT
    assert all((folder / "notes.txt").read_text() == "mine" for folder in theirs)
    assert (lookalike / "thesis.tex").exists()


def test_a_write_ahead_log_beside_the_cache_is_never_replayed(data_copy, cache_root):
    """DuckDB replays a .wal beside a database even read-only: one that appears makes the cache fail its check."""
    path, totals = built_cache(data_copy)
    forged = path.parent / "forged.duckdb"
    shutil.copy(path, forged)
    con = duckdb.connect(str(forged))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute("UPDATE single_occurrences SET killed = killed * 100 WHERE kind = 'individual'")
    con.close()
    assert (path.parent / "forged.duckdb.wal").exists()
    (path.parent / "forged.duckdb.wal").rename(path.parent / "data.duckdb.wal")
    forged.unlink()
    with open_catalog(data_copy) as reopened:
        assert "write-ahead log" in reopened.cache.note
        assert reopened.cursor().execute(TOTALS).fetchall() == totals


def test_a_full_cache_disk_falls_back_to_a_private_cache(data_copy, cache_root, monkeypatch):
    """DuckDB reports a full disk while checkpointing as a fatal error: the session still gets a cache."""
    from explorer.db import catalog as catalog_module

    real_build = catalog_module.build_cache_database

    def build(path, *args, **kwargs):
        if str(path).startswith(str(cache_root)):
            raise duckdb.FatalException("FATAL Error: Failed to create checkpoint: No space left on device")
        return real_build(path, *args, **kwargs)

    monkeypatch.setattr(catalog_module, "build_cache_database", build)
    with open_catalog(data_copy) as opened:
        assert opened.cache.private and "cannot be written (FATAL Error: Failed to create checkpoint" in opened.cache.note
        assert opened.cursor().execute("SELECT count(*) FROM events").fetchall() == [(80,)]
    assert not list(cache_root.glob(f"{BUILDING_PREFIX}*")), "the failed build left nothing behind"


@pytest.mark.parametrize("make", ["fifo", "dangling link", "folder"])
def test_a_table_file_that_is_not_a_regular_file_is_one_line_and_never_hangs(data_copy, make):
    table = data_copy / "casualties"
    table.mkdir()
    (data_copy / "casualties.parquet").rename(table / "part-0.parquet")
    odd = table / "part-1.parquet"
    if make == "fifo":
        os.mkfifo(odd)
    elif make == "dangling link":
        odd.symlink_to(data_copy / "nowhere.parquet")
    else:
        odd.mkdir()
    with pytest.raises(DataDirectoryError, match=r"part-1.parquet: (not a regular file|a link to nothing|a folder)") as caught:
        open_catalog(data_copy)
    assert "\n" not in str(caught.value)


def test_a_cache_folder_that_cannot_be_written_and_no_temporary_folder_is_one_line(data_copy, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where folders would go")
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(blocked))
    monkeypatch.setattr(tempfile, "tempdir", str(blocked))
    with pytest.raises(DataDirectoryError, match="set CONFLICT_EXPLORER_CACHE_DIR") as caught:
        open_catalog(data_copy)
    assert "\n" not in str(caught.value)


# --- workers -------------------------------------------------------------------------------


async def test_an_engine_error_in_any_worker_is_a_notice_and_the_app_goes_on(catalog, monkeypatch):
    def broken(*args, **kwargs):
        raise duckdb.IOException("IO Error: the disk went away\nmore detail")

    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(queries, "casualty_reports", broken)
        monkeypatch.setattr(queries, "event_rows", broken)
        await pilot.press("3")  # the casualties pane looks up the highlighted occurrence's reports
        await settle(pilot)
        await pilot.press("1", "i")  # a refresh of the timeline: the events table's query fails
        await settle(pilot)
        notices = [notification.message for notification in app._notifications]
        assert any(notice.startswith("Could not finish looking up the reports of the occurrence: IO Error: the disk went away")
                   for notice in notices)
        assert any(notice.startswith("Could not finish the refresh after the filter changed: IO Error") for notice in notices)
        assert all("\n" not in notice for notice in notices)
        assert app.is_running
        monkeypatch.undo()
        await pilot.press("i")
        await settle(pilot)
        assert app.filters.include_imprecise and app.query_one("#events").row_count == 80


# --- state files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{{{ garbage", b"[" * 200_000 + b"]" * 200_000, b'[{"sql": 5, "ran_at": "x", "rows": [], "error": {}, "elapsed": null}]',
     b'{"sql": "select 1"}', b"\xff\xfe not utf-8", b"[" + b'"x",' * 10 + b"1]", b"null", b"x" * (HISTORY_BYTES * 2 + 1)],
    ids=["garbage", "deeply nested", "wrong types", "not a list", "not UTF-8", "wrong items", "null", "huge"],
)
def test_an_unreadable_history_is_moved_aside_and_said_once(private_state, content):
    private_state.mkdir()
    (private_state / "history.json").write_bytes(content)
    history = QueryHistory(private_state)
    assert history.entries == [] and history.problem and "it was kept as history.json.unreadable-1" in history.problem
    assert (private_state / "history.json.unreadable-1").read_bytes() == content
    history.add("select 1", 1, None, 0.01)
    assert QueryHistory(private_state).entries[-1].sql == "select 1" and QueryHistory(private_state).problem is None
    (private_state / "history.json").write_bytes(content)
    QueryHistory(private_state)
    assert (private_state / "history.json.unreadable-2").read_bytes() == content, "an earlier set-aside file is never overwritten"


def test_good_entries_of_a_partly_damaged_history_are_kept(private_state):
    private_state.mkdir()
    good = {"sql": "select 2", "ran_at": 1.0, "rows": 1, "error": None, "elapsed": 0.1}
    (private_state / "history.json").write_text(json.dumps([good, {"sql": None}]))
    history = QueryHistory(private_state)
    assert [entry.sql for entry in history.entries] == ["select 2"] and history.problem


def test_the_history_keeps_within_its_size(private_state):
    history = QueryHistory(private_state)
    for number in range(120):
        history.add(f"select {number} -- " + "x" * 40_000, 1, None, 0.0)
    history.add("select 'too long to keep' -- " + "y" * 300_000, 1, None, 0.0)
    size = (private_state / "history.json").stat().st_size
    assert size <= HISTORY_BYTES
    kept = QueryHistory(private_state).entries
    assert kept[-1].sql.startswith("select 119") and len(kept) < 120


@pytest.mark.parametrize("content", [b"select '\xff\xfe' -- not UTF-8", b"-- " + b"x" * (EDITOR_BYTES + 1)], ids=["not UTF-8", "huge"])
async def test_an_unreadable_editor_file_never_stops_the_app(catalog, private_state, content):
    private_state.mkdir()
    (private_state / "editor.sql").write_bytes(content)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert app.query_one(TextArea).text == STARTER
        notices = [notification.message for notification in app._notifications]
        assert any("editor.sql could not be used" in notice and "editor.sql.unreadable-1" in notice for notice in notices)
    assert (private_state / "editor.sql.unreadable-1").read_bytes() == content
    assert EditorState(private_state).load() == STARTER or not (private_state / "editor.sql").exists()


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "link to nothing"])
def test_a_state_file_that_is_not_a_regular_file_is_never_read_endlessly(private_state, special):
    private_state.mkdir()
    for name in ("history.json", "editor.sql"):
        path = private_state / name
        if special == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to(special if special.startswith("/") else private_state / "nowhere")
    history, editor = QueryHistory(private_state), EditorState(private_state)
    assert history.entries == [] and editor.load() == ""
    assert "history.json.unreadable-1" in history.problem and "editor.sql.unreadable-1" in editor.problem
    history.add("select 1", 1, None, 0.0)
    assert QueryHistory(private_state).entries[-1].sql == "select 1"


def test_a_history_entry_that_cannot_be_written_as_text_is_left_out(private_state):
    private_state.mkdir()
    good = {"sql": "select 2", "ran_at": 1.0, "rows": 1, "error": None, "elapsed": 0.1}
    (private_state / "history.json").write_text(json.dumps([good, {**good, "sql": "SELECT \udcff"}]))
    history = QueryHistory(private_state)
    assert [entry.sql for entry in history.entries] == ["select 2"] and history.problem
    history.add("select 3", 1, None, 0.0)
    history.add("select '\udcff'", 1, None, 0.0)  # typed through a terminal that sent a lone surrogate
    assert [entry.sql for entry in QueryHistory(private_state).entries] == ["select 2", "select 3"]


def test_two_apps_open_at_once_both_keep_their_queries(private_state):
    first, second = QueryHistory(private_state), QueryHistory(private_state)
    first.add("select 'from the first'", 1, None, 0.0)
    second.add("select 'from the second'", 1, None, 0.0)
    first.add("select 'first again'", 1, None, 0.0)
    assert [entry.sql for entry in QueryHistory(private_state).entries] == [
        "select 'from the first'", "select 'from the second'", "select 'first again'"]


def test_a_linked_state_file_stays_a_link_and_keeps_its_permissions(private_state, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "editor.sql").write_text("-- kept in my dotfiles")
    (dotfiles / "editor.sql").chmod(0o640)
    private_state.mkdir()
    (private_state / "editor.sql").symlink_to(dotfiles / "editor.sql")
    editor = EditorState(private_state)
    assert editor.load() == "-- kept in my dotfiles"
    assert editor.save("select 42") is None
    assert (private_state / "editor.sql").is_symlink() and (dotfiles / "editor.sql").read_text() == "select 42"
    assert (dotfiles / "editor.sql").stat().st_mode & 0o777 == 0o640


def test_an_editor_text_that_cannot_be_saved_is_said(private_state):
    private_state.mkdir()
    (private_state / "editor.sql").mkdir()  # a folder where the file would go: never written over
    editor = EditorState(private_state)
    assert editor.load() == "" and "is a folder" in editor.problem
    assert "cannot be saved" in editor.save("select 1") and (private_state / "editor.sql").is_dir(), "left as it is"
    blocked = EditorState(private_state / "not-a-folder" / "deeper")
    (private_state / "not-a-folder").write_text("a file where the state folder would go")
    assert "cannot be saved" in blocked.save("select 1")


# --- Ctrl-C and time limits ----------------------------------------------------------------


def test_ctrl_c_interrupts_a_long_engine_call_at_once():
    """Ctrl-C reaches only the main thread; the engine call it waits for is interrupted, not waited out."""
    import _thread
    import threading
    import time

    from explorer.db.interruptible import run_interruptibly

    con = duckdb.connect()
    threading.Timer(0.5, _thread.interrupt_main).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_interruptibly(lambda: con.execute("SELECT count(*) FROM range(100000) a, range(100000) b WHERE (a.range * b.range) % 7 = 3").fetchall(),
                          con.interrupt)
    assert time.monotonic() - started < 10
    assert con.execute("SELECT 42").fetchall() == [(42,)], "the connection is free again"


def test_a_time_limit_interrupts_the_call():
    from explorer.db.interruptible import TimedOut, run_interruptibly

    con = duckdb.connect()
    with pytest.raises(TimedOut):
        run_interruptibly(lambda: con.execute("SELECT count(*) FROM range(100000) a, range(100000) b WHERE (a.range * b.range) % 7 = 3").fetchall(),
                          con.interrupt, timeout=0.3)
    assert run_interruptibly(lambda: con.execute("SELECT 7").fetchall(), con.interrupt, timeout=5) == [(7,)]


def test_a_build_that_needs_more_than_the_build_s_memory_is_made_again_with_the_engine_s(tmp_path, monkeypatch):
    """At the default settings the cache is built within BUILD_MEMORY_LIMIT; a build that runs out of it is
    made again, from nothing, with the engine's limit: the same tables, no error."""
    from explorer.db import catalog as catalog_module

    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(catalog_module, "BUILD_MEMORY_LIMIT", "1MB")
    tried = []
    original = catalog_module._build_cache_database

    def build(path, tables, limits, on_build, on_progress=None):
        tried.append(limits.memory_limit)
        original(path, tables, limits, on_build, on_progress)

    monkeypatch.setattr(catalog_module, "_build_cache_database", build)
    with catalog_module.open_catalog(None) as opened:
        counts = opened.cursor().execute("SELECT count(*) FROM occurrences").fetchall()[0][0]
    assert tried == ["1MB", catalog_module.EngineLimits.memory_limit]
    assert counts == 624
