"""An ad-hoc SQL session: user statements on the read-only engine, results paged from DuckDB.

The session has its own cursor, so scratch temporary tables live as long as it does. Views
`filtered_events`, `filtered_actors`, `filtered_casualties` and `filtered_forces` follow the
filter bar: the app sets them from the filter, with its values written in, before a statement
runs. A result is never loaded whole: `ResultSet.fetch` asks DuckDB for one window of rows at a time.

The engine cannot write (see catalog); what a session can still change is its own `temp`
catalog. Every statement that is not a plain SELECT therefore runs in a transaction, and the
catalog is read afterwards: a temporary table, view or macro that takes the name of one of
the data's tables and views or of a DuckDB function (so that `count(*)` or `events` would mean
something else), or a change to a filtered_* view, rolls the statement back and refuses it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import ClassVar
from datetime import date

import duckdb

from explorer.db.cache import is_damage
from explorer.db.catalog import DATABASE_ALIAS, INTERNAL_VIEWS, Catalog
from explorer.db.errors import QueryError, RefusedStatement
from explorer.db.filters import Filters
from explorer.db.guard import (
    T,
    one_line_error,
    parse_statements,
    statement_type,
    tokens,
)
from explorer.engine import Cancelled

FILTERED_TABLES = ("events", "actors", "casualties", "forces")
FILTERED_VIEWS = tuple(f"filtered_{table}" for table in FILTERED_TABLES)


def sql_literal(value: object) -> str:
    """A SQL literal for a filter value, for a condition written out in SQL."""
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


def predicate_text(filters: Filters, table: str) -> str:
    """The filter's slice of `table` as a condition with literal values (for the filtered_* views and the editor)."""
    predicate = getattr(filters, table)()
    parts = predicate.sql.split("?")
    if len(parts) - 1 != len(predicate.params):
        raise ValueError("predicate placeholders and parameters disagree")
    text = parts[0]
    for value, part in zip(predicate.params, parts[1:]):
        text += sql_literal(value) + part
    return text


def statement_code(query: str) -> str:
    """The statement up to its last token, without the `;` and comments after it: DuckDB keeps them in the
    text of the last statement it reads, and a query wrapped in a subquery must not hold them."""
    found = tokens(query)
    while found and found[-1].text == ";":
        found.pop()
    if not found:
        return ""
    return query.encode("utf-8")[: found[-1].offset + len(found[-1].text.encode("utf-8"))].decode("utf-8")


def _single_select(sql: str) -> str:
    """`sql` if DuckDB reads it as exactly one SELECT: what wraps a result's query for a page or a count
    must never let a second statement through."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(one_line_error(error)) from None
    if len(statements) != 1 or statement_type(statements[0]) != T.SELECT:
        raise RefusedStatement("a result can only be read with a single SELECT")
    return sql


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
    derivable: ClassVar[bool] = True
    """Whether `derived` takes DuckDB's SQL: the output formatting of `export.output_select` (the pane's sorting,
    filtering and counting are `derived` on every engine)."""

    @property
    def row_count(self) -> int:
        if self._count is None:
            if self.materialised is not None:
                self._count = len(self.materialised)
            else:
                self._count = self.session.scalar(_single_select(f"SELECT count(*) FROM ({self.sql}\n)"), self.params)
        return self._count

    def fetch(self, offset: int, limit: int) -> list[tuple]:
        if self.materialised is not None:
            return self.materialised[offset : offset + limit]
        return self.session.rows(_single_select(f"SELECT * FROM ({self.sql}\n) LIMIT ? OFFSET ?"), [*self.params, limit, offset])

    def derived(self, sql_around: str, params: list | None = None) -> ResultSet:
        """A result computed by DuckDB from this one: `sql_around` uses {rows} for this result's query."""
        if self.materialised is not None:
            raise QueryError("this result cannot be sorted, filtered or counted (EXPLAIN output)")
        sql = _single_select(sql_around.replace("{rows}", f"({self.sql}\n)"))
        all_params = [*self.params, *(params or [])]
        try:
            with self.session.lock:
                relation = self.session.cursor.sql(f"SELECT * FROM ({sql}\n) LIMIT 0", params=all_params)
                columns, types = relation.columns, [str(kind) for kind in relation.types]
        except duckdb.Error as error:
            raise self.session.error(error) from None
        return ResultSet(self.session, sql, columns, types, 0.0, params=all_params)

    def find(self, text: str, start: int, backward: bool = False) -> tuple[int, bool] | None:
        """The first row from `start` on (back to it, when `backward`) with a value that contains `text`,
        in any case, found by DuckDB: (its position, whether the search went round the end); None if none has."""
        if self.materialised is not None:
            raise QueryError("this result cannot be searched (EXPLAIN output)")
        order = "ORDER BY position DESC" if backward else ""
        for wrapped, test in ((False, "<=" if backward else ">="), (True, ">" if backward else "<")):
            sql = _single_select(
                "SELECT position FROM (SELECT row_number() OVER () - 1 AS position, concat_ws(chr(31), *COLUMNS(*)) AS line "
                f"FROM ({self.sql}\n)) WHERE contains(lower(line), lower(?)) AND position {test} ? {order} LIMIT 1")
            found = self.session.rows(sql, [*self.params, text, start])
            if found:
                return found[0][0], wrapped
        return None

    def batches(self, batch_rows: int = 100_000):
        """The whole result as Arrow record batches, streamed (for export)."""
        if self.materialised is not None:
            import pyarrow as pa

            yield from pa.Table.from_pylist([dict(zip(self.columns, row)) for row in self.materialised]).to_batches()
            return
        with self.session.lock:
            reader = self.session.cursor.sql(_single_select(f"SELECT * FROM ({self.sql}\n)"), params=self.params).to_arrow_reader(batch_rows)
            yield from reader


class SqlSession:
    """One analyst's SQL session over a catalog."""

    def error(self, error: duckdb.Error) -> QueryError:
        """DuckDB's error as ours, on one line; a damaged cache is marked for rebuilding on the way."""
        if isinstance(error, duckdb.InterruptException):
            return Cancelled()
        if is_damage(error):
            self.catalog.cache.damaged(one_line_error(error))
            return QueryError(f"{one_line_error(error)}: the cache is damaged, and is rebuilt the next time")
        return QueryError(one_line_error(error))

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.cursor = catalog.cursor()
        self.lock = threading.RLock()
        """One statement at a time on the cursor: a page fetch waits for a running export batch, never interleaves."""
        self._wanted_filters = self._applied_filters = Filters()
        self._filtered_views: dict[str, str] = {}
        """Each filtered_* view's definition as DuckDB holds it: no statement may change one."""
        self._function_names: frozenset[str] | None = None
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
            self.cursor.execute(
                f'CREATE OR REPLACE TEMP VIEW "filtered_{table}" AS '
                f'SELECT * FROM {DATABASE_ALIAS}.main."{table}" WHERE {predicate_text(filters, table)}'
            )
        self._filtered_views = {name: sql for name, sql in self.cursor.execute(
            "SELECT view_name, sql FROM system.main.duckdb_views() WHERE database_name = 'temp'").fetchall() if name in FILTERED_VIEWS}

    def scalar(self, sql: str, params: list | None = None):
        return self.rows(sql, params)[0][0]

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        try:
            with self.lock:
                return self.cursor.execute(sql, params or []).fetchall()
        except duckdb.Error as error:
            raise self.error(error) from None

    def schema(self) -> list[tuple[str, str, str]]:
        """(table or view, column, type) of everything a query can read, the user's temporary tables included
        (not the tables under `occurrences`, which the panes read)."""
        return self.rows(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE NOT internal AND database_name IN (?, 'temp') AND NOT list_contains(?, table_name) "
            "ORDER BY table_name, column_index",
            [DATABASE_ALIAS, sorted(INTERNAL_VIEWS)],
        )

    def interrupt(self) -> None:
        self.cursor.interrupt()

    def run(self, sql: str) -> ResultSet | None:
        """Run every statement (all are checked first); the result is the last statement's, if it returns rows."""
        statements = parse_statements(sql)
        with self.lock:
            return self._run(statements)

    def _run(self, statements: list[duckdb.Statement]) -> ResultSet | None:
        started = time.perf_counter()
        result: ResultSet | None = None
        try:
            self._follow_filters()
            for statement in statements:
                if statement_type(statement) == T.SELECT:
                    relation = self.cursor.sql(statement.query)
                    result = ResultSet(self, statement_code(statement.query), relation.columns,
                                       [str(kind) for kind in relation.types], 0.0)
                else:  # a query before this is read when its rows are fetched, after this ran: it is not shown
                    result = self._run_checked(statement)
            if result is not None:
                result.fetch(0, 1)
        except duckdb.Error as error:
            raise self.error(error) from None
        if result is not None:
            result.elapsed = time.perf_counter() - started
        return result

    def _run_checked(self, statement: duckdb.Statement) -> ResultSet | None:
        """A statement that may change the session's catalog, in a transaction kept only if the catalog
        still passes `_check_catalog` afterwards; EXPLAIN's rows (small) come back as a result."""
        self.cursor.execute("BEGIN TRANSACTION")
        try:
            relation = self.cursor.execute(statement.query)
            rows = relation.fetchall() if statement_type(statement) == T.EXPLAIN else None
            columns = [column[0] for column in relation.description or []]
            types = [str(column[1]) for column in relation.description or []]
            self._check_catalog()
        except BaseException:
            try:
                self.cursor.execute("ROLLBACK")
            except duckdb.Error:
                pass  # DuckDB has already ended a transaction whose statement failed
            raise
        self.cursor.execute("COMMIT")
        return ResultSet(self, statement.query, columns, types, 0.0, rows) if rows is not None else None

    def _check_catalog(self) -> None:
        """Refuse what a statement left in the session's catalog that would change what a name means.

        The catalog is read through `system.main`'s functions, which no temporary object can shadow,
        and filtered in Python: the statement just run may have replaced any function a query would call."""
        functions = self.cursor.execute("SELECT database_name, function_name FROM system.main.duckdb_functions()").fetchall()
        relations = self.cursor.execute(
            "SELECT database_name, table_name, 'table' FROM system.main.duckdb_tables() "
            "UNION ALL SELECT database_name, view_name, 'view' FROM system.main.duckdb_views()").fetchall()
        if self._function_names is None:
            self._function_names = frozenset(name.lower() for database, name in functions if database != "temp")
        taken = {name.lower() for database, name, _ in relations if database != "temp"}
        for database, name in functions:
            if database == "temp" and name.lower() in self._function_names:
                raise RefusedStatement(f"'{name}' is a DuckDB function: a macro of that name would change what it does (choose another name)")
        for database, name, kind in relations:
            if database == "temp" and name.lower() in taken:
                where = "one of the data's tables" if name.lower() in {n.lower() for n in self.catalog.protected_names} else "a DuckDB catalog view"
                raise RefusedStatement(f"'{name}' is {where}: a temporary {kind} cannot take its name (choose another)")
        views = {name: sql for name, sql in self.cursor.execute(
            "SELECT view_name, sql FROM system.main.duckdb_views() WHERE database_name = 'temp'").fetchall()}
        changed = sorted(name for name in FILTERED_VIEWS if views.get(name) != self._filtered_views.get(name))
        if changed:
            raise RefusedStatement(f"'{changed[0]}' follows the filter bar: it cannot be replaced or dropped")


def quote_identifier(name: str) -> str:
    """A column name of a result as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
