"""An ad-hoc SQL session: user statements through the guard, results paged from DuckDB.

The session has its own cursor, so scratch temporary tables live as long as it does. Views
`filtered_events`, `filtered_actors`, `filtered_casualties` and `filtered_forces` follow the
filter bar live: they read the filter's values from session variables that only the app
sets (the guard refuses SET). A result is never loaded whole: `ResultSet.fetch` asks
DuckDB for one window of rows at a time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date

import duckdb

from explorer.db.catalog import INTERNAL_VIEWS, Catalog
from explorer.db.errors import QueryError
from explorer.db.filters import Filters, Predicate
from explorer.db.guard import Guard, T, one_line_error

FILTERED_TABLES = ("events", "actors", "casualties", "forces")
FILTERED_VIEWS = tuple(f"filtered_{table}" for table in FILTERED_TABLES)
_VARIABLE = "conflict_explorer_filter_{table}_{index}"


def _with_variables(table: str, predicate: Predicate) -> str:
    """The predicate with its `?` placeholders read from session variables instead."""
    parts = predicate.sql.split("?")
    if len(parts) - 1 != len(predicate.params):
        raise ValueError("predicate placeholders and parameters disagree")
    text = parts[0]
    for index, part in enumerate(parts[1:]):
        text += f"getvariable('{_VARIABLE.format(table=table, index=index)}')" + part
    return text


def sql_literal(value: object) -> str:
    """A SQL literal for a filter value, for the WHERE clause put into the editor."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(item) for item in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def where_clause(filters: Filters, table: str = "casualties") -> str:
    """The filter's slice of `table` as a WHERE clause with literal values."""
    predicate = getattr(filters, table)()
    parts = predicate.sql.split("?")
    text = parts[0]
    for value, part in zip(predicate.params, parts[1:]):
        text += sql_literal(value) + part
    return f"WHERE {text}"


@dataclass
class ResultSet:
    """The rows of one statement, fetched from DuckDB a window at a time."""

    session: SqlSession
    sql: str
    columns: list[str]
    types: list[str]
    elapsed: float
    materialised: list[tuple] | None = None
    params: list = field(default_factory=list)
    """Rows of statements that cannot be wrapped in a subquery (EXPLAIN); always small."""
    _count: int | None = field(default=None, repr=False)

    @property
    def row_count(self) -> int:
        if self._count is None:
            if self.materialised is not None:
                self._count = len(self.materialised)
            else:
                self._count = self.session.scalar(f"SELECT count(*) FROM ({self.sql}\n)", self.params)
        return self._count

    def fetch(self, offset: int, limit: int) -> list[tuple]:
        if self.materialised is not None:
            return self.materialised[offset : offset + limit]
        return self.session.rows(f"SELECT * FROM ({self.sql}\n) LIMIT ? OFFSET ?", [*self.params, limit, offset])

    def derived(self, sql_around: str, params: list | None = None) -> ResultSet:
        """A result computed by DuckDB from this one: `sql_around` uses {rows} for this result's query."""
        if self.materialised is not None:
            raise QueryError("this result cannot be sorted, filtered or counted (EXPLAIN output)")
        sql = sql_around.replace("{rows}", f"({self.sql}\n)")
        all_params = [*self.params, *(params or [])]
        try:
            with self.session.lock:
                relation = self.session.cursor.sql(f"SELECT * FROM ({sql}\n) LIMIT 0", params=all_params)
                columns, types = relation.columns, [str(kind) for kind in relation.types]
        except duckdb.Error as error:
            raise QueryError(one_line_error(error)) from None
        return ResultSet(self.session, sql, columns, types, 0.0, params=all_params)

    def batches(self, batch_rows: int = 100_000):
        """The whole result as Arrow record batches, streamed (for export)."""
        if self.materialised is not None:
            import pyarrow as pa

            yield from pa.Table.from_pylist([dict(zip(self.columns, row)) for row in self.materialised]).to_batches()
            return
        with self.session.lock:
            reader = self.session.cursor.sql(f"SELECT * FROM ({self.sql}\n)", params=self.params).to_arrow_reader(batch_rows)
            yield from reader


class SqlSession:
    """One analyst's SQL session over a catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cursor = catalog.cursor()
        self.lock = threading.RLock()
        """One statement at a time on the cursor: a page fetch waits for a running export batch, never interleaves."""
        self.guard = Guard(catalog.protected_names | frozenset(FILTERED_VIEWS))
        self._wanted_filters = self._applied_filters = Filters()
        self._set_filters(Filters())

    def set_filters(self, filters: Filters) -> None:
        """The filter the filtered_* views follow from the next statement run here on.

        Nothing runs now: a filter change costs the panes' refresh nothing here, and a result
        already shown keeps the rows it was run on while it is paged through."""
        self._wanted_filters = filters

    def _follow_filters(self) -> None:
        if self._wanted_filters != self._applied_filters:
            self._set_filters(self._wanted_filters)
            self._applied_filters = self._wanted_filters

    def _set_filters(self, filters: Filters) -> None:
        for table in FILTERED_TABLES:
            predicate = getattr(filters, table)()
            for index, value in enumerate(predicate.params):
                self.cursor.execute(f"SET VARIABLE {_VARIABLE.format(table=table, index=index)} = ?", [value])
            self.cursor.execute(
                f'CREATE OR REPLACE TEMP VIEW "filtered_{table}" AS SELECT * FROM "{table}" WHERE {_with_variables(table, predicate)}'
            )

    def scalar(self, sql: str, params: list | None = None):
        return self.rows(sql, params)[0][0]

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        try:
            with self.lock:
                return self.cursor.execute(sql, params or []).fetchall()
        except duckdb.InterruptException:
            raise QueryError("query cancelled") from None
        except duckdb.Error as error:
            raise QueryError(one_line_error(error)) from None

    def schema(self) -> list[tuple[str, str, str]]:
        """(table or view, column, type) of everything a query can read, the user's temporary tables included
        (not the views under `occurrences`, which the panes read)."""
        return self.rows(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE NOT internal AND database_name IN ('memory', 'temp') AND NOT list_contains(?, table_name) "
            "ORDER BY table_name, column_index",
            [sorted(INTERNAL_VIEWS)],
        )

    def interrupt(self) -> None:
        self.cursor.interrupt()

    def run(self, sql: str) -> ResultSet | None:
        """Run every statement (all are checked first); the last one that returns rows becomes the result."""
        statements = self.guard.parse(sql)
        with self.lock:
            return self._run(statements)

    def _run(self, statements: list[duckdb.Statement]) -> ResultSet | None:
        started = time.perf_counter()
        result: ResultSet | None = None
        try:
            self._follow_filters()
            for statement in statements:
                if statement.type == T.SELECT:
                    relation = self.cursor.sql(statement.query)
                    result = ResultSet(self, statement.query.strip().rstrip(";"), relation.columns,
                                       [str(kind) for kind in relation.types], 0.0)
                elif statement.type == T.EXPLAIN:
                    relation = self.cursor.sql(statement.query)
                    rows = relation.fetchall()
                    result = ResultSet(self, statement.query, relation.columns, [str(k) for k in relation.types], 0.0, rows)
                else:
                    self.cursor.execute(statement.query).fetchall()
            if result is not None:
                result.fetch(0, 1)
        except duckdb.InterruptException:
            raise QueryError("query cancelled") from None
        except duckdb.Error as error:
            raise QueryError(one_line_error(error)) from None
        if result is not None:
            result.elapsed = time.perf_counter() - started
        return result


def quote_identifier(name: str) -> str:
    """A column name of a result as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
