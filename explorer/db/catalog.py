"""Opening a data directory: find each table's files, validate them, and open the read-only engine.

A table is `DIR/<table>.parquet`, or a folder `DIR/<table>/` of Parquet files (hive
partitions such as `casualties/year=2015/part-0.parquet` included).

Every query of the app, the SQL pane and `conflict-explorer query` runs on one DuckDB engine
that cannot write anywhere, by construction rather than by checking statements: it holds no
database but the cache (see cache), attached READ_ONLY, with the in-memory database detached,
external access off (no file, no extension, no other database: only its private spill folder)
and its configuration locked. The cache, built once per data directory by a connection of its
own that runs only our SQL, holds the four tables and the counting model: `occurrences` has
one row per casualty occurrence, and the tables under it serve the panes fast.

With `explorer.db` around it, this module is the DuckDB adapter of the engine seam (`explorer.engine`):
`Catalog` is the engine, a DuckDB cursor the cursor, and `_neutral_error` says which DuckDB errors are
a cancelled statement and which a failed one. Only this adapter and the importers import duckdb.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import duckdb

from explorer.builtin import builtin_data_dir
from explorer.db import remote
from explorer.db.cache import SPILL_PREFIX, CacheFile, cache_key, open_cache, private_folder
from explorer.db.errors import DataDirectoryError
from explorer.db.interruptible import run_interruptibly
from explorer.db.queries import (REPORT_FACETS_TYPE, events_by_date_sql, occurrence_events_sql, occurrence_months_sql,
                                  occurrences_sql)
from explorer.db.schema import TABLES, Table, type_is_compatible
from explorer.db.search_index import SEARCH_WORDS, search_words_sql
from explorer.engine import Cancelled, QueryError, register_error_translator


@dataclass(frozen=True)
class EngineLimits:
    """Resource limits of the engine; user-settable from the CLI."""

    memory_limit: str = "2GB"
    threads: int = 2


@dataclass(frozen=True)
class TableFiles:
    table: Table
    paths: tuple[Path, ...]
    hive: bool
    remote: remote.RemoteTable | None = None
    """In object storage: read through its Arrow dataset (see remote), and `paths` is empty."""


def _sql_string(text: str) -> str:
    """A SQL string literal for a path we found on disk (DuckDB views take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _read_parquet_sql(files: TableFiles) -> str:
    if files.remote is not None:
        return f'"{files.remote.scan_name}"'
    paths = ", ".join(_sql_string(str(path)) for path in files.paths)
    return f"read_parquet([{paths}], hive_partitioning = {str(files.hive).lower()}, union_by_name = true)"


def _regular_file(path: Path) -> Path:
    """`path` if it is a regular file (through links): a pipe or a device would hang or never end a read."""
    if not path.is_file():
        what = ("a folder" if path.is_dir() else "a link to nothing" if path.is_symlink() and not path.exists()
                else "not a regular file (a pipe or a device?)")
        raise DataDirectoryError(f"{path}: {what}, where a Parquet file was expected")
    return path


def find_table_files(data_dir: Path, table: Table) -> TableFiles:
    """The Parquet files of one table, or a DataDirectoryError saying what is missing."""
    single = data_dir / f"{table.name}.parquet"
    folder = data_dir / table.name
    if single.exists() or single.is_symlink():
        return TableFiles(table, (_regular_file(single),), hive=False)
    if folder.is_dir():
        paths = tuple(sorted(_regular_file(path) for path in folder.rglob("*.parquet")))
        if not paths:
            raise DataDirectoryError(f"{folder}: folder of table '{table.name}' holds no .parquet files")
        hive = any("=" in part for path in paths for part in path.relative_to(folder).parts[:-1])
        return TableFiles(table, paths, hive=hive)
    raise DataDirectoryError(
        f"{data_dir}: table '{table.name}' is missing (expected {table.name}.parquet or a folder {table.name}/ of Parquet files)"
    )


def internal_connection(limits: EngineLimits, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A connection for our own SQL only (validating, checking and building the cache): never user text.
    DuckDB's own progress bar is off: it would print over the app's screen and into the CLI's output."""
    con = duckdb.connect(database, config={"threads": limits.threads, "memory_limit": limits.memory_limit,
                                           "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET enable_progress_bar = false")
    return con


def _check_tables(tables: dict[str, TableFiles]) -> None:
    """Every table's columns and types, read before the engine exists."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        _register_remote(con, tables)
        for files in tables.values():
            _check_columns(files, _describe(con, files))
    finally:
        con.close()


def _describe(con: duckdb.DuckDBPyConnection, files: TableFiles) -> dict[str, str]:
    """Column name → DuckDB type of a table's files, naming the bad file when one cannot be read."""
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {_read_parquet_sql(files)}").fetchall()
    except duckdb.Error as error:
        for path in files.paths:
            try:
                con.execute("SELECT count(*) FROM parquet_metadata(?)", [str(path)]).fetchall()
            except duckdb.Error as file_error:
                raise DataDirectoryError(f"{path}: not a readable Parquet file ({_first_line(file_error)})") from None
        raise DataDirectoryError(f"table '{files.table.name}': cannot read its files ({_first_line(error)})") from None
    return {name: column_type for name, column_type, *_ in rows}


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _check_columns(files: TableFiles, found: dict[str, str]) -> None:
    where = (files.remote.where if files.remote is not None else files.paths[0] if len(files.paths) == 1
             else files.paths[0].parent)
    missing = [column.name for column in files.table.columns if column.name not in found]
    if missing:
        raise DataDirectoryError(f"{where}: table '{files.table.name}' lacks column(s) {', '.join(missing)}")
    for column in files.table.columns:
        if not type_is_compatible(column.type, found[column.name]):
            raise DataDirectoryError(
                f"{where}: column '{files.table.name}.{column.name}' has type {found[column.name]}, expected {column.type}"
            )


@dataclass
class Catalog:
    """An open, validated data directory on the read-only engine: the seam's DuckDB engine."""

    name: ClassVar[str] = "duckdb"
    data_dir: Path | remote.RemoteDirectory
    connection: duckdb.DuckDBPyConnection
    tables: dict[str, TableFiles]
    spill_dir: Path
    cache: CacheFile
    protected_names: frozenset[str]
    """The names of the data's tables and views: nothing a session creates may take one."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def search_index(self) -> bool:
        """The cache holds the events' words by date, which a search of the events reads first (see `search_index`)."""
        return SEARCH_WORDS in self.protected_names

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the shared connection, for one thread's queries."""
        with self._lock:
            return self.connection.cursor()

    def interrupt(self) -> None:
        """Stop the statements running on this catalog's connection."""
        self.connection.interrupt()

    def schema(self) -> list[tuple[str, str, str]]:
        """(table or view, column, type) of what a query can read (not the tables under `occurrences`)."""
        return self.cursor().execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE NOT internal AND database_name = ? AND NOT list_contains(?, table_name) ORDER BY table_name, column_index",
            [DATABASE_ALIAS, sorted(INTERNAL_VIEWS)]).fetchall()

    def sql_session(self):
        """A SQL pane's session: its own cursor, statements checked, results paged."""
        from explorer.db.sql_session import SqlSession
        return SqlSession(self)

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self.spill_dir, ignore_errors=True)
        self.cache.discard()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _neutral_error(error: BaseException) -> BaseException:
    """DuckDB's errors as the seam's: an interrupt is `Cancelled`, any other engine error a one-line `QueryError`."""
    if isinstance(error, duckdb.InterruptException):
        return Cancelled()
    if isinstance(error, duckdb.Error):
        from explorer.db.guard import one_line_error
        return QueryError(one_line_error(error))
    return error


register_error_translator(_neutral_error)


DATABASE_ALIAS = "data"
"""The name the cache database is attached under: the only database the engine has."""


def _table_select(files: TableFiles) -> str:
    """A table's rows from its Parquet files, each column cast to the schema's type."""
    select_list = ", ".join(f'CAST("{column.name}" AS {column.type}) AS "{column.name}"' for column in files.table.columns)
    return f"SELECT {select_list} FROM {_read_parquet_sql(files)}"


def raw_connection(tables: dict[str, TableFiles], limits: EngineLimits) -> duckdb.DuckDBPyConnection:
    """An internal connection with the four tables as views over their Parquet files (for `check`)."""
    con = internal_connection(limits)
    _register_remote(con, tables)
    for files in tables.values():
        con.execute(f'CREATE VIEW "{files.table.name}" AS {_table_select(files)}')
    return con


CACHED_TABLES = {
    "single_occurrences": "the occurrences reported once",
    "repeated_occurrences": "the occurrences reported several times",
    "occurrence_events": "each event's occurrences",
    "occurrence_months": "the monthly summary",
    "events_by_date": "the events in date order",
}
"""The tables of the counting model, with what a first opening says while it writes each: the
occurrences reported once (most of them, with no per-report list) and more than once, which
occurrences each event has (sorted by event, to find them fast), the summed killed per month of
the individuals and incidents reported once (for the chart), and the events in date order, each
with the nationalities of its actors (to count events by nationality)."""

CACHED_ORDER = {
    "single_occurrences": "kind, first_date, occurrence_id",
    "repeated_occurrences": "kind, first_date, occurrence_id",
    "occurrence_events": "event_id",
    "occurrence_months": "kind, first_month, nationality, front",
    "events_by_date": "date NULLS LAST, event_id",
}
"""How each cached table is sorted: by basis, then date, lets a scan of one basis or one date range
skip the row groups that cannot hold it (DuckDB keeps each row group's minimum and maximum)."""

ROW_GROUP_ROWS = 32_768
"""Rows per row group of the cache's tables (DuckDB's default is 122,880): a date range skips more of a table."""

SEARCH_WORDS_STEP = "the words a search looks up"
"""What a first opening says while it writes `search_words` (DuckDB's cache only: a Spark search reads the events)."""

CACHED_VIEWS = frozenset(CACHED_TABLES) | {"occurrences"}
INTERNAL_VIEWS = frozenset(CACHED_TABLES) | {SEARCH_WORDS}
"""Tables the panes read and the schema browser leaves out: `occurrences` and `events` show the same rows."""

OCCURRENCES_VIEW = (
    f"CREATE VIEW occurrences AS SELECT *, NULL::{REPORT_FACETS_TYPE} AS report_facets FROM single_occurrences "
    "UNION ALL SELECT * EXCLUDE (summarised) FROM repeated_occurrences"
)


def _computed_sources() -> dict[str, str]:
    return {
        "single_occurrences": f"SELECT * EXCLUDE (report_facets) FROM ({occurrences_sql('single')})",
        "repeated_occurrences": occurrences_sql("repeated"),
        "occurrence_events": occurrence_events_sql(),
        "occurrence_months": occurrence_months_sql(),
        "events_by_date": events_by_date_sql(),
    }


BUILD_PARTS = (4, 16)
"""Under a small memory limit, the occurrences are grouped a part at a time: in 4 parts, else in 16."""


def _create_in_parts(con: duckdb.DuckDBPyConnection, name: str, select: str, order: str) -> None:
    """Create table `name` from `select`, grouping a part of the occurrences at a time: their lists
    and per-report states cannot spill to disk, but a table of finished rows can."""
    for count in BUILD_PARTS:
        parts = f"SELECT * FROM ({select}) WHERE hash(dataset, occurrence_id) % {count} = ?"
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE built AS {parts}", [0])
            for part in range(1, count):
                con.execute(f"INSERT INTO built {parts}", [part])
            break
        except duckdb.OutOfMemoryException:
            if count == BUILD_PARTS[-1]:
                raise
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM built ORDER BY {order}")
    con.execute("DROP TABLE built")


BUILD_MEMORY_LIMIT = "700MB"
"""The cache build's memory at the default settings: a first opening of 10 million rows then peaks under
1 GB, not at the engine's 2 GB (DuckDB spills or builds in parts; measured no slower). A --memory-limit
the user gives is used as given, and a build that needs more than this one is made again with the engine's."""


BuildProgress = Callable[[float], None]
"""Told how far the running step of a build has gone: DuckDB's estimate, a percentage."""
PROGRESS_SECONDS = 0.5
"""How often a build asks DuckDB how far its statement has gone."""


def build_cache_database(
    path: Path, tables: dict[str, TableFiles], limits: EngineLimits, on_build: Callable[[str], None] | None = None,
    on_progress: BuildProgress | None = None,
) -> None:
    """Write the cache database: the four tables read from their Parquet files, then the counting
    model's tables (each reads the ones before it), then `occurrences` (calling `on_build` before each step,
    and `on_progress` every PROGRESS_SECONDS with how far it has gone)."""
    if limits.memory_limit != EngineLimits.memory_limit:
        _build_cache_database(path, tables, limits, on_build, on_progress)
        return
    try:
        _build_cache_database(path, tables, replace(limits, memory_limit=BUILD_MEMORY_LIMIT), on_build, on_progress)
    except duckdb.OutOfMemoryException:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        _build_cache_database(path, tables, limits, on_build, on_progress)


def _report_progress(con: duckdb.DuckDBPyConnection, on_progress: BuildProgress, stop: threading.Event) -> None:
    """Until `stop`, tell `on_progress` how far the connection's running statement has gone."""
    while not stop.wait(PROGRESS_SECONDS):
        try:
            percent = con.query_progress()
        except duckdb.Error:
            continue
        if percent >= 0:  # -1: no statement is running, or DuckDB cannot tell yet
            on_progress(percent)


def _build_cache_database(
    path: Path, tables: dict[str, TableFiles], limits: EngineLimits, on_build: Callable[[str], None] | None,
    on_progress: BuildProgress | None = None,
) -> None:
    steps = {"tables": "the data's tables", **CACHED_TABLES, SEARCH_WORDS: SEARCH_WORDS_STEP}
    numbered = {name: f"{what} ({number} of {len(steps)})" for number, (name, what) in enumerate(steps.items(), start=1)}
    con = internal_connection(limits)

    def build() -> None:
        con.execute("SET temp_directory = ?", [str(path.parent / ".spill")])
        con.execute(f"ATTACH {_sql_string(str(path))} AS cache (ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
        con.execute("USE cache")
        _register_remote(con, tables)
        if on_build is not None:
            on_build(numbered["tables"])
        for files in tables.values():
            con.execute(f'CREATE TABLE "{files.table.name}" AS {_table_select(files)}')
        computed = _computed_sources()
        for name, order in CACHED_ORDER.items():
            if on_build is not None:
                on_build(numbered[name])
            try:
                con.execute(f"CREATE TABLE {name} AS {computed[name]} ORDER BY {order}")
            except duckdb.OutOfMemoryException:
                con.execute(f"DROP TABLE IF EXISTS {name}")
                _create_in_parts(con, name, computed[name], order)
        if on_build is not None:
            on_build(numbered[SEARCH_WORDS])
        con.execute(f"CREATE TABLE {SEARCH_WORDS} AS {search_words_sql()} ORDER BY date NULLS LAST")
        con.execute(OCCURRENCES_VIEW)
        con.execute("CHECKPOINT")

    stop = threading.Event()
    if on_progress is not None:  # DuckDB tracks a statement's progress only with its bar on; it prints nothing
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        threading.Thread(target=_report_progress, args=(con, on_progress, stop), name="build-progress", daemon=True).start()
    try:
        run_interruptibly(build, con.interrupt)  # Ctrl-C stops a long first opening at once
    finally:
        stop.set()
        con.close()
        shutil.rmtree(path.parent / ".spill", ignore_errors=True)


SPILL_SHARE = 0.5
"""The share of the temporary folder's free space a session may spill into: a runaway query must leave room for others."""


def _spill_allowance(spill_dir: Path) -> int:
    return max(1 << 20, int(shutil.disk_usage(spill_dir).free * SPILL_SHARE))


def _read_only_engine(database: Path, spill_dir: Path, limits: EngineLimits) -> duckdb.DuckDBPyConnection:
    """The engine every query runs on: the cache attached READ_ONLY and nothing else it could write.

    The in-memory database is detached (a session's scratch objects live in its own `temp`), and
    with external access off no file, extension or other database can be reached: only the
    private spill folder. The configuration is then locked, so no statement can undo any of it."""
    con = duckdb.connect(":memory:", config={"threads": limits.threads, "memory_limit": limits.memory_limit,
                                             "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("SET temp_directory = ?", [str(spill_dir)])
        con.execute("SET max_temp_directory_size = ?", [f"{_spill_allowance(spill_dir)}B"])
        con.execute("SET enable_progress_bar = false")  # its cursors inherit it
        con.execute(f"ATTACH {_sql_string(str(database))} AS {DATABASE_ALIAS} (READ_ONLY)")
        con.execute(f"USE {DATABASE_ALIAS}")
        con.execute("DETACH memory")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _data_names(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
        "UNION SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [DATABASE_ALIAS, DATABASE_ALIAS]).fetchall())


def _register_remote(con: duckdb.DuckDBPyConnection, tables: dict[str, TableFiles]) -> None:
    remote.register(con, {name: files.remote for name, files in tables.items() if files.remote is not None})


def find_tables(data_dir: Path | str | None) -> tuple[Path | remote.RemoteDirectory, dict[str, TableFiles]]:
    """The data directory (default: the built-in dataset; `s3://…` is object storage) and its tables' files, validated."""
    if remote.is_remote(data_dir):
        directory = remote.open_directory(str(data_dir))
        tables = {name: TableFiles(TABLES[name], (), found.hive, found) for name, found in directory.tables.items()}
        _check_tables(tables)
        return directory, tables
    data_dir = Path(data_dir) if data_dir is not None else builtin_data_dir()
    try:
        if not data_dir.exists():
            raise DataDirectoryError(f"{data_dir}: no such data directory")
        if not data_dir.is_dir():
            raise DataDirectoryError(
                f"{data_dir}: not a directory (give a folder holding events, actors, casualties and forces Parquet files)")
        data_dir = data_dir.resolve()
        try:
            str(data_dir).encode("utf-8")
        except UnicodeError:
            raise DataDirectoryError(f"{data_dir!s}: DuckDB cannot open a path whose name is not UTF-8 text: rename it") from None
        tables = {name: find_table_files(data_dir, table) for name, table in TABLES.items()}
        for files in tables.values():
            for path in files.paths:
                str(path).encode("utf-8")
                with path.open("rb"):
                    pass
    except PermissionError as error:
        raise DataDirectoryError(f"{error.filename or data_dir}: permission denied (the data must be readable by you)") from None
    except OSError as error:
        raise DataDirectoryError(f"{error.filename or data_dir}: cannot be read ({error.strerror})") from None
    except UnicodeError:
        raise DataDirectoryError(f"{data_dir}: a file in it has a name that is not UTF-8 text, which DuckDB cannot open: rename it") from None
    _check_tables(tables)
    return data_dir, tables


def open_catalog(
    data_dir: Path | str | None = None, limits: EngineLimits = EngineLimits(), on_build: Callable[[str], None] | None = None,
    on_progress: BuildProgress | None = None,
) -> Catalog:
    """Open and validate a data directory (default: the built-in dataset) on the read-only engine;
    `on_build` is called before each step of a first opening, which builds the cache, and `on_progress`
    with how far the step has gone."""
    try:
        internal_connection(limits).close()
    except duckdb.Error as error:
        raise DataDirectoryError(f"cannot start the engine: {_first_line(error)}") from None
    data_dir, tables = find_tables(data_dir)
    key = (data_dir.cache_key() if isinstance(data_dir, remote.RemoteDirectory)
           else cache_key([path for files in tables.values() for path in files.paths]))
    try:
        cache = open_cache(key, lambda path: build_cache_database(path, tables, limits, on_build, on_progress),
                           limits.threads)
    except duckdb.OutOfMemoryException:
        raise DataDirectoryError(f"building the cache needs more memory than {limits.memory_limit}: "
                                 "give more with --memory-limit") from None
    except duckdb.Error as error:
        raise DataDirectoryError(f"cannot build the cache: {_first_line(error)}") from None
    try:
        spill_dir = private_folder(SPILL_PREFIX)
    except OSError as error:
        cache.discard()
        raise DataDirectoryError(f"cannot make a temporary folder ({error.strerror}): set TMPDIR to a writable folder") from None
    try:
        con = _read_only_engine(cache.path, spill_dir, limits)
    except duckdb.Error as error:
        shutil.rmtree(spill_dir, ignore_errors=True)
        cache.discard()
        raise DataDirectoryError(f"cannot start the engine: {_first_line(error)}") from None
    return Catalog(data_dir, con, tables, spill_dir, cache, protected_names=_data_names(con))
