"""The SQL pane's session on Spark: read-only statements only, checked on the parsed statement, paged from Spark.

The analyst writes Spark SQL. A statement runs only if sqlglot reads the text as exactly one SELECT
(WITH and set operations included), VALUES, DESCRIBE, SHOW or EXPLAIN, holding nothing that writes or
calls into the JVM (`reflect`, `java_method`). Spark runs the check's own reading of the text, so
no comment, case or whitespace trick can make the engine read something else. A result is read a
window at a time (LIMIT/OFFSET on the engine), never collected whole. The filtered_* views follow the
filter bar, as on DuckDB.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import ClassVar

from explorer.db.errors import QueryError, RefusedStatement
from explorer.db.filters import Filters
from explorer.db.sql_session import FILTERED_TABLES, ResultSet, predicate_text
from explorer.engine import neutral_error
from explorer.engine.spark import SparkEngine, spark_dialect

READ_ONLY_HINT = "on Spark the SQL pane runs one read-only statement: SELECT, WITH, VALUES, DESCRIBE, SHOW or EXPLAIN"
EXPLAIN_MODES = frozenset({"EXTENDED", "CODEGEN", "COST", "FORMATTED"})
JVM_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})
"""Spark functions that call any static Java method: a way round a read-only check."""


def read_only_statement(sql: str) -> str:
    """The one read-only statement of `sql`, as Spark will run it (sqlglot's reading), or RefusedStatement."""
    import logging

    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its notes would print over the screen
    try:
        statements = [statement for statement in sqlglot.parse(sql, read="spark")
                      if statement is not None and not isinstance(statement, exp.Semicolon)]
    except sqlglot.errors.SqlglotError as error:  # what cannot be read is not run
        raise RefusedStatement(f"the statement cannot be read ({str(error).strip().splitlines()[0]}): {READ_ONLY_HINT}") from None
    if len(statements) != 1:
        raise RefusedStatement(f"{READ_ONLY_HINT} ({len(statements)} statements given)")
    statement = statements[0]
    if isinstance(statement, exp.Command):
        word = str(statement.this).upper()
        if word not in ("SHOW", "EXPLAIN"):
            raise RefusedStatement(f"{READ_ONLY_HINT} ({word} is not one)")
        if word == "EXPLAIN":  # what it explains must pass too
            explained = (statement.expression.name if statement.expression is not None else "").strip()
            first = explained.split(None, 1)
            mode = ""
            if first and first[0].upper() in EXPLAIN_MODES:
                mode, explained = f"{first[0].upper()} ", first[1] if len(first) > 1 else ""
            if not explained.strip():
                raise RefusedStatement("EXPLAIN needs the statement to explain")
            return f"EXPLAIN {mode}{read_only_statement(explained)}"
        return statement.sql(dialect="spark")
    if not isinstance(statement, (exp.Query, exp.Values, exp.Describe, exp.Show)):
        raise RefusedStatement(f"{READ_ONLY_HINT} ({statement.key.upper()} is not one)")
    writes = (exp.Insert, exp.Create, exp.Drop, exp.Delete, exp.Update, exp.Merge, exp.Alter, exp.Set, exp.Command)
    for node in statement.walk():
        if isinstance(node, writes):
            raise RefusedStatement(f"{READ_ONLY_HINT} ({node.key.upper()} is not allowed in it)")
        name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
        if name in JVM_FUNCTIONS:
            raise RefusedStatement(f"{name}() calls into Java: it is not allowed in the SQL pane")
    return statement.sql(dialect="spark")


@dataclass
class SparkResultSet(ResultSet):
    """A SELECT's rows, read from Spark a window at a time."""

    derivable: ClassVar[bool] = False

    @property
    def row_count(self) -> int:
        if self._count is None:
            self._count = (len(self.materialised) if self.materialised is not None
                           else self.session.scalar(f"SELECT count(*) FROM ({self.sql})"))
        return self._count

    def fetch(self, offset: int, limit: int) -> list[tuple]:
        if self.materialised is not None:
            return self.materialised[offset : offset + limit]
        return self.session.rows(f"SELECT * FROM ({self.sql}) LIMIT {int(limit)} OFFSET {int(offset)}")

    def derived(self, sql_around: str, params: list | None = None) -> ResultSet:
        raise QueryError("sorting, filtering and counting a result are not available on Spark: write them into the query")

    def find(self, text: str, start: int, backward: bool = False) -> tuple[int, bool] | None:
        raise QueryError("searching a result is not available on Spark: filter in the query")

    def batches(self, batch_rows: int = 100_000):
        if self.materialised is not None:
            yield from super().batches(batch_rows)
            return
        for offset in range(0, self.row_count, batch_rows):
            yield from self.session.arrow(f"SELECT * FROM ({self.sql}) LIMIT {int(batch_rows)} OFFSET {int(offset)}").to_batches()


class SparkSqlSession:
    """One analyst's SQL session on a Spark engine (see the module docstring)."""

    def __init__(self, engine: SparkEngine) -> None:
        self.engine = engine
        self.catalog = engine
        self.cursor = engine.cursor()
        self.lock = threading.RLock()
        self._wanted_filters: Filters = Filters()
        self._applied_filters: Filters | None = None

    def error(self, error: BaseException) -> QueryError:
        translated = neutral_error(error)
        return translated if isinstance(translated, QueryError) else QueryError(str(error).strip().splitlines()[0])

    def set_filters(self, filters: Filters) -> None:
        self._wanted_filters = filters

    def _follow_filters(self) -> None:
        if self._wanted_filters != self._applied_filters:
            for table in FILTERED_TABLES:
                condition = spark_dialect(f"SELECT * FROM {table} WHERE {predicate_text(self._wanted_filters, table)}")
                self.frame(condition).createOrReplaceTempView(f"filtered_{table}")
            self._applied_filters = self._wanted_filters

    def frame(self, sql: str):
        try:
            return self.engine.spark.sql(sql)
        except Exception as error:
            raise self.error(error) from None

    def arrow(self, sql: str):
        with self.lock:
            frame = self.frame(sql)
            try:
                return self.cursor._run(frame.toArrow)
            except QueryError:
                raise
            except Exception as error:
                raise self.error(error) from None

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        table = self.arrow(sql)
        return list(zip(*(column.to_pylist() for column in table.columns))) if table.num_columns else []

    def scalar(self, sql: str, params: list | None = None):
        return self.rows(sql)[0][0]

    def schema(self) -> list[tuple[str, str, str]]:
        return self.engine.schema()

    def interrupt(self) -> None:
        self.cursor.interrupt()

    def run(self, sql: str) -> ResultSet | None:
        """Run one read-only statement; its result is paged from Spark."""
        statement = read_only_statement(sql)
        started = time.perf_counter()
        with self.lock:
            self._follow_filters()
            frame = self.frame(statement)
            columns = [field.name for field in frame.schema.fields]
            types = [field.dataType.simpleString() for field in frame.schema.fields]
            import sqlglot
            from sqlglot import exp

            pageable = isinstance(sqlglot.parse_one(statement, read="spark"), (exp.Query, exp.Values))
            result = SparkResultSet(self, statement, columns, types, 0.0, None if pageable else self.rows(statement))
            result.fetch(0, 1)
        result.elapsed = time.perf_counter() - started
        return result
