"""The engine seam: what the app, the panes, the CLI and the exports ask of a query engine.

An engine opens a data directory, builds or finds the counting model's cache, hands out cursors
on which the data layer's named queries (`explorer.db.queries`, written once) run with their
parameters, interrupts them, and describes its schema. Two engines serve it:

- DuckDB, embedded (the default): `explorer.db` is its adapter. `explorer.db.catalog.Catalog` is
  the engine and a DuckDB cursor is the cursor, so the default path costs nothing.
- Apache Spark through Spark Connect (`explorer.engine.spark`): the same named queries, turned
  into Spark's dialect by sqlglot, over the same Parquet layout.

Nothing above the seam imports an engine: engine errors reach it as `QueryError` and `Cancelled`,
translated by the adapter that raised them (`neutral_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from explorer.db.errors import DataDirectoryError, ExplorerError, QueryError

__all__ = ["Cancelled", "Cursor", "Engine", "QueryError", "neutral_error", "neutral_errors", "open_engine",
           "register_error_translator", "ENGINES"]

ENGINES = ("duckdb", "spark")
"""The engines `--engine` names; the first is the default."""


class Cancelled(QueryError):
    """A statement stopped on purpose (a newer filter, esc in the SQL pane): nothing to report."""

    def __init__(self, message: str = "query cancelled") -> None:
        super().__init__(message)


class Cursor(Protocol):
    """What the named queries use of a cursor (DuckDB's DB-API subset): one thread's statements."""

    description: Sequence[tuple] | None

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor: ...
    def fetchall(self) -> list[tuple]: ...
    def fetchone(self) -> tuple | None: ...
    def to_arrow_table(self) -> pa.Table: ...
    def to_arrow_reader(self, batch_size: int) -> pa.RecordBatchReader: ...
    def cursor(self) -> Cursor: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...


class Engine(Protocol):
    """An open data directory on one engine (see the module docstring)."""

    name: str
    data_dir: Path
    cache: Any
    """The counting model's cache: `note` (what its opening says), `check` (a running check or None), `damaged(problem)`."""
    search_index: bool
    """The cache holds the events' words by date (`explorer.db.search_index`): a search of the events reads it first."""

    def cursor(self) -> Cursor: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...
    def schema(self) -> list[tuple[str, str, str]]: ...
    def sql_session(self) -> Any: ...
    def __enter__(self) -> Engine: ...
    def __exit__(self, *exc_info: object) -> None: ...


_TRANSLATORS: list[Callable[[BaseException], BaseException]] = []


def register_error_translator(translate: Callable[[BaseException], BaseException]) -> None:
    """An adapter's way to say which of its engine's errors are `Cancelled` and which `QueryError`s."""
    if translate not in _TRANSLATORS:
        _TRANSLATORS.append(translate)


def neutral_error(error: BaseException) -> BaseException:
    """`error` as the seam's own type where an adapter knows it; otherwise `error` itself."""
    for translate in _TRANSLATORS:
        translated = translate(error)
        if translated is not error:
            return translated
    return error


@contextmanager
def neutral_errors() -> Iterator[None]:
    """Engine errors raised inside become `Cancelled` or `QueryError` (the engine's own error as the cause)."""
    try:
        yield
    except ExplorerError:
        raise
    except Exception as error:
        translated = neutral_error(error)
        if translated is error:
            raise
        raise translated from error


def open_engine(kind: str = "duckdb", data_dir: Path | str | None = None, limits: Any = None,
                on_build: Callable[[str], None] | None = None, on_progress: Callable[[float], None] | None = None,
                **options: Any) -> Engine:
    """Open `data_dir` (default: the built-in dataset) on engine `kind`; `options` are the engine's own
    (Spark: `remote`, `cache_dir`). A first opening calls `on_build` before each step of the cache it builds,
    and on DuckDB `on_progress` with how far the step has gone (a percentage)."""
    if kind == "duckdb":
        from explorer.db.catalog import EngineLimits, open_catalog
        return open_catalog(data_dir, limits or EngineLimits(), on_build, on_progress)
    if kind == "spark":
        from explorer.engine.spark import open_spark
        return open_spark(data_dir, on_build=on_build, **options)
    raise DataDirectoryError(f"unknown engine '{kind}': choose one of {', '.join(ENGINES)}")
