"""Opening a data directory: find each table's files, validate them, register DuckDB views.

A table is `DIR/<table>.parquet`, or a folder `DIR/<table>/` of Parquet files (hive
partitions such as `casualties/year=2015/part-0.parquet` included). The connection is
locked down before any view exists: no file access outside the data directory, a private
spill directory and our cache, no extensions, configuration locked.

Beside the four tables, the view `occurrences` holds one row per casualty occurrence (the
counting model, computed once): it is cached as Parquet in the user's cache folder, keyed by
the data files' paths, sizes and times, so the next start reads it instead of aggregating
every report again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from explorer.builtin import builtin_data_dir
from explorer.db.errors import DataDirectoryError
from explorer.db.queries import (REPORT_FACETS_TYPE, events_by_date_sql, occurrence_events_sql, occurrence_months_sql,
                                  occurrences_sql)
from explorer.db.schema import TABLES, Table, type_is_compatible


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


def _sql_string(text: str) -> str:
    """A SQL string literal for a path we found on disk (DuckDB views take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _read_parquet_sql(files: TableFiles) -> str:
    paths = ", ".join(_sql_string(str(path)) for path in files.paths)
    return f"read_parquet([{paths}], hive_partitioning = {str(files.hive).lower()}, union_by_name = true)"


def find_table_files(data_dir: Path, table: Table) -> TableFiles:
    """The Parquet files of one table, or a DataDirectoryError saying what is missing."""
    single = data_dir / f"{table.name}.parquet"
    folder = data_dir / table.name
    if single.is_file():
        return TableFiles(table, (single,), hive=False)
    if folder.is_dir():
        paths = tuple(sorted(folder.rglob("*.parquet")))
        if not paths:
            raise DataDirectoryError(f"{folder}: folder of table '{table.name}' holds no .parquet files")
        hive = any("=" in part for path in paths for part in path.relative_to(folder).parts[:-1])
        return TableFiles(table, paths, hive=hive)
    raise DataDirectoryError(
        f"{data_dir}: table '{table.name}' is missing (expected {table.name}.parquet or a folder {table.name}/ of Parquet files)"
    )


def _check_tables(tables: dict[str, TableFiles]) -> None:
    """Every table's columns and types, read before the catalog's connection exists."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
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
    where = files.paths[0] if len(files.paths) == 1 else files.paths[0].parent
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
    """An open, validated data directory with its views on one locked-down DuckDB connection."""

    data_dir: Path
    connection: duckdb.DuckDBPyConnection
    tables: dict[str, TableFiles]
    spill_dir: Path
    protected_names: frozenset[str]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the shared connection, for one thread's queries."""
        with self._lock:
            return self.connection.cursor()

    def interrupt(self) -> None:
        """Stop the statements running on this catalog's connection."""
        self.connection.interrupt()

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self.spill_dir, ignore_errors=True)

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


CACHES_KEPT = 16
OCCURRENCES_VERSION = 8
"""Bump when the counting model's SQL changes, so older caches are not read."""


def cache_root() -> Path:
    """`$CONFLICT_EXPLORER_CACHE_DIR`, else `$XDG_CACHE_HOME/conflict-explorer` (default ~/.cache)."""
    override = os.environ.get("CONFLICT_EXPLORER_CACHE_DIR")
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "conflict-explorer"


def _cache_key(tables: dict[str, TableFiles]) -> str:
    files = []
    for files_of_table in tables.values():
        for path in files_of_table.paths:
            stat = path.stat()
            files.append([str(path), stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps([OCCURRENCES_VERSION, duckdb.__version__, files]).encode()).hexdigest()[:24]


def _view_sql(files: TableFiles) -> str:
    select_list = ", ".join(f'CAST("{column.name}" AS {column.type}) AS "{column.name}"' for column in files.table.columns)
    return f'CREATE VIEW "{files.table.name}" AS SELECT {select_list} FROM {_read_parquet_sql(files)}'


CACHED_FILES = {
    "single_occurrences": "occurrences.parquet",
    "repeated_occurrences": "repeated_occurrences.parquet",
    "occurrence_events": "occurrence_events.parquet",
    "occurrence_months": "occurrence_months.parquet",
    "events_by_date": "events_by_date.parquet",
}
"""The cached views, each in a file of its own: the occurrences reported once (most of them, with no
per-report list) and more than once, which occurrences each event has (sorted by event, to find them
fast), the summed killed per month of the individuals and incidents reported once (for the chart),
and the events in date order in small row groups (to read a page of them without the whole file),
each with the nationalities of its actors (to count events by nationality)."""

CACHED_ORDER = {
    "single_occurrences": "kind, first_date, occurrence_id",
    "repeated_occurrences": "kind, first_date, occurrence_id",
    "occurrence_events": "event_id",
    "occurrence_months": "kind, first_month, nationality, front",
    "events_by_date": "date NULLS LAST, event_id",
}
"""How each cached file is sorted: by basis, then date, lets a scan of one basis or one date range
skip the row groups that cannot hold it."""

ROW_GROUP_ROWS = 32_768
"""Rows per row group of the cached files: small enough that a scan skips most of a file."""

CACHED_VIEWS = frozenset(CACHED_FILES) | {"occurrences"}
INTERNAL_VIEWS = frozenset(CACHED_FILES)
"""Views the panes read and the schema browser leaves out: `occurrences` and `events` show the same rows."""


def _occurrence_views(sources: dict[str, str]) -> list[str]:
    """CREATE VIEW statements of the cached views (from `sources`, their SELECTs) and of `occurrences`."""
    return [f"CREATE VIEW {name} AS {sources[name]}" for name in CACHED_FILES] + [
        f"CREATE VIEW occurrences AS SELECT *, NULL::{REPORT_FACETS_TYPE} AS report_facets FROM single_occurrences "
        "UNION ALL SELECT * EXCLUDE (summarised) FROM repeated_occurrences"
    ]


def _computed_sources() -> dict[str, str]:
    return {
        "single_occurrences": f"SELECT * EXCLUDE (report_facets) FROM ({occurrences_sql('single')})",
        "repeated_occurrences": occurrences_sql("repeated"),
        "occurrence_events": occurrence_events_sql(),
        "occurrence_months": occurrence_months_sql(),
        "events_by_date": events_by_date_sql(),
    }


def _file_sources(folder: Path, names: dict[str, str]) -> dict[str, str]:
    return {view: f"SELECT * FROM read_parquet({_sql_string(str(folder / name))})" for view, name in names.items()}


BUILD_PARTS = (4, 16)
"""Under a small memory limit, the occurrences are grouped a part at a time: in 4 parts, else in 16."""


def _copy_in_parts(con: duckdb.DuckDBPyConnection, select: str, order: str, target: str) -> None:
    """Write `select` as `COPY` would, grouping a part of the occurrences at a time: their lists
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
    con.execute(f"COPY (SELECT * FROM built ORDER BY {order}) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
    con.execute("DROP TABLE built")


BUILD_STEPS = {
    "single_occurrences": "the occurrences reported once",
    "repeated_occurrences": "the occurrences reported several times",
    "occurrence_events": "each event's occurrences",
    "occurrence_months": "the monthly summary",
    "events_by_date": "the events in date order",
}
"""What each cached file holds, as a first opening says while it writes them."""


def cached_occurrences(
    tables: dict[str, TableFiles], limits: EngineLimits, on_build: Callable[[str], None] | None = None
) -> Path | None:
    """The folder in our cache holding this data directory's occurrences, built if missing (calling
    `on_build` before each file, with what it holds and its number, which can say so); None if it cannot be."""
    folder = cache_root() / _cache_key(tables)
    if all((folder / name).is_file() for name in CACHED_FILES.values()):
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partials = {view: f".{name}-{os.getpid()}" for view, name in CACHED_FILES.items()}
        con = duckdb.connect(":memory:", config={"threads": limits.threads, "memory_limit": limits.memory_limit,
                                                 "autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            con.execute("SET temp_directory = ?", [str(folder / ".spill")])
            for files in tables.values():
                con.execute(_view_sql(files))
            computed, written = _computed_sources(), _file_sources(folder, partials)
            for number, (view, order) in enumerate(CACHED_ORDER.items(), start=1):
                if on_build is not None:
                    on_build(f"{BUILD_STEPS[view]} ({number} of {len(CACHED_ORDER)})")
                target = _sql_path(folder / partials[view])
                try:
                    con.execute(f"COPY ({computed[view]} ORDER BY {order}) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
                except duckdb.OutOfMemoryException:
                    _copy_in_parts(con, computed[view], order, target)
                con.execute(f"CREATE VIEW {view} AS {written[view]}")  # the next file reads this one
        finally:
            con.close()
        for view, partial in partials.items():
            (folder / partial).replace(folder / CACHED_FILES[view])
        shutil.rmtree(folder / ".spill", ignore_errors=True)
        _forget_old_caches(keep=folder)
    except (OSError, duckdb.Error):
        return None  # a read-only home or a full disk: the views compute occurrences instead
    return folder


def occurrences_views_sql(cache: Path | None) -> list[str]:
    """The views over the cached files, or computing them when there is no cache, and `occurrences`."""
    return _occurrence_views(_file_sources(cache, CACHED_FILES) if cache is not None else _computed_sources())


def _forget_old_caches(keep: Path) -> None:
    """Keep the most recently built caches only (a changed directory leaves its old one behind)."""
    folders = sorted((path for path in cache_root().iterdir() if path.is_dir() and path != keep),
                     key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in folders[CACHES_KEPT - 1:]:
        shutil.rmtree(stale, ignore_errors=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _locked_connection(
    data_dir: Path, spill_dir: Path, limits: EngineLimits, cache_dir: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection that can read the data directory (and our cache) and spill to its private folder, nothing more."""
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": limits.threads,
            "memory_limit": limits.memory_limit,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("SET temp_directory = ?", [str(spill_dir)])
    con.execute("SET GLOBAL parquet_metadata_cache = true")  # every refresh reads the same files' footers again
    allowed = [f"{data_dir}/", f"{spill_dir}/"] + ([f"{cache_dir}/"] if cache_dir is not None else [])
    con.execute("SET allowed_directories = ?", [allowed])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def open_catalog(
    data_dir: Path | str | None = None, limits: EngineLimits = EngineLimits(), on_build: Callable[[str], None] | None = None
) -> Catalog:
    """Open and validate a data directory (default: the built-in dataset) and register its views;
    `on_build` is called before each file a first opening writes to the occurrences cache."""
    data_dir = Path(data_dir) if data_dir is not None else builtin_data_dir()
    if not data_dir.exists():
        raise DataDirectoryError(f"{data_dir}: no such data directory")
    if not data_dir.is_dir():
        raise DataDirectoryError(f"{data_dir}: not a directory (give a folder holding events, actors, casualties and forces Parquet files)")
    data_dir = data_dir.resolve()
    tables = {name: find_table_files(data_dir, table) for name, table in TABLES.items()}
    _check_tables(tables)
    occurrences = cached_occurrences(tables, limits, on_build)
    spill_dir = Path(tempfile.mkdtemp(prefix="conflict-explorer-spill-"))
    try:
        con = _locked_connection(data_dir, spill_dir, limits, occurrences)
    except duckdb.Error as error:
        shutil.rmtree(spill_dir, ignore_errors=True)
        raise DataDirectoryError(f"cannot start the engine: {_first_line(error)}") from None
    try:
        for files in tables.values():
            con.execute(_view_sql(files))
        for view in occurrences_views_sql(occurrences):
            con.execute(view)
    except BaseException:
        con.close()
        shutil.rmtree(spill_dir, ignore_errors=True)
        raise
    return Catalog(data_dir, con, tables, spill_dir, protected_names=frozenset(tables) | CACHED_VIEWS)
