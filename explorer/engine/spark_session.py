"""The SQL pane's session on Spark: read-only statements only, checked on the parsed statement, paged from Spark.

The analyst writes Spark SQL. A statement runs only if sqlglot reads the text as exactly one SELECT
(WITH and set operations included), VALUES, DESCRIBE, SHOW or EXPLAIN, holding nothing that writes or
calls into the JVM (`reflect`, `java_method`). Spark runs the check's own reading of the text, so
no comment, case or whitespace trick can make the engine read something else. A query's rows are
checkpointed on the server once (see `SparkResultSet`) and read from there a window at a time, never
collected whole; sorting, filtering, counting and searching them run on Spark too. The filtered_*
views follow the filter bar, as on DuckDB.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from explorer.db.errors import QueryError, RefusedStatement
from explorer.db.filters import Filters
from explorer.db.sql_session import FILTERED_TABLES, ResultSet, predicate_text
from explorer.engine import neutral_error
from explorer.engine.spark import SparkEngine, _rows, _spark_value, spark_dialect

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


POSITION = "__conflict_explorer_position"
"""The column a result's rows are checkpointed with: Spark's `monotonically_increasing_id()`, the row's
partition in the bits above PARTITION_SHIFT and its place in the partition below."""
PARTITION_SHIFT = 33
ROWS_MARK = "__conflict_explorer_rows"
"""Where a derived result's SQL reads the result it is derived from ({rows}) while sqlglot turns it into Spark's."""


@dataclass
class SparkResultSet(ResultSet):
    """A SELECT's rows, checkpointed on the Spark server when run, and read from there a window at a time.

    LIMIT/OFFSET over a statement is not a page on Spark: each run may put the rows of its partitions in
    another order (and compute `rand()` or `now()` again). So the statement runs once, into a local
    checkpoint (`localCheckpoint`, released when this object is) in which each row keeps the position it
    was computed at; a page is the rows between two positions. Sorting, filtering, counting and searching
    read the same checkpoint, so they see the rows shown."""

    frame: Any = field(default=None, repr=False)
    """The rows, checkpointed, with their POSITION."""
    partitions: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    """(partition, its first row's index, its row count) of each partition that holds rows, in order."""
    derivable: ClassVar[bool] = False
    """`derived` takes the pane's SQL (sort, filter, counts), not the CLI's DuckDB output formatting."""

    def _position(self, index: int) -> int:
        """The POSITION of row `index` (0 <= index < row_count)."""
        partition, first, _ = self.partitions[bisect.bisect_right([first for _, first, _ in self.partitions], index) - 1]
        return (partition << PARTITION_SHIFT) + index - first

    def _index(self, position: int) -> int:
        """The row index of the row at `position`."""
        partition = position >> PARTITION_SHIFT
        first = next(first for number, first, _ in self.partitions if number == partition)
        return first + position - (partition << PARTITION_SHIFT)

    def fetch(self, offset: int, limit: int) -> list[tuple]:
        if self.materialised is not None:
            return self.materialised[offset : offset + limit]
        return _rows(self._window(offset, limit))

    def _window(self, offset: int, limit: int) -> pa.Table:
        from pyspark.sql import functions as F

        last = min(self.row_count, offset + limit) - 1
        if offset < 0 or last < offset:
            return self.session.collect(self.frame.limit(0).drop(POSITION))
        between = F.col(POSITION).between(self._position(offset), self._position(last))
        return self.session.collect(self.frame.where(between).orderBy(POSITION).drop(POSITION))

    def derived(self, sql_around: str, params: list | None = None) -> ResultSet:
        """A result computed by Spark from this one's rows: `sql_around` (the pane's SQL, DuckDB's dialect,
        {rows} for this result) is turned into Spark's, and read over this result's checkpoint."""
        if self.materialised is not None:
            raise QueryError(f"this result cannot be sorted, filtered or counted ({self.sql.split()[0]} output)")
        around = spark_dialect(sql_around.replace("{rows}", ROWS_MARK))
        statement = read_only_statement(around.replace(ROWS_MARK, f"({self.sql}\n)"))  # what it reads is the checked statement
        text = around.replace("{", "{{").replace("}", "}}").replace(ROWS_MARK, "{rows}")
        args = [_spark_value(value) for value in params or []]
        with self.session.lock:
            return self.session.result(statement, lambda spark: spark.sql(text, args=args or None, rows=self.frame.drop(POSITION)))

    def find(self, text: str, start: int, backward: bool = False) -> tuple[int, bool] | None:
        """The first row from `start` on (back to it, when `backward`) with a value that contains `text`, in
        any case, found by Spark: (its position, whether the search went round the end); None if none has."""
        from pyspark.sql import functions as F

        if self.materialised is not None:
            raise QueryError(f"this result cannot be searched ({self.sql.split()[0]} output)")
        if not self.row_count:
            return None
        names = [f"c{index}" for index in range(len(self.columns))]  # a result's names may repeat
        rows = self.frame.toDF(*names, POSITION)
        line = F.concat_ws(chr(31), *[F.col(name).cast("string") for name in names])
        if backward:  # rows up to `start` (all of them from past the end), else round the end
            nearest = F.max
            edge = F.col(POSITION) <= self._position(min(start, self.row_count - 1)) if start >= 0 else F.lit(False)
        else:
            nearest = F.min
            edge = F.col(POSITION) >= self._position(max(start, 0)) if start < self.row_count else F.lit(False)
        matching = rows.where(F.lower(line).contains(F.lower(F.lit(text))))
        found = _rows(self.session.collect(matching.agg(nearest(F.when(edge, F.col(POSITION))), nearest(POSITION))))
        on_this_side, round_the_end = found[0]
        if on_this_side is not None:
            return self._index(on_this_side), False
        return (self._index(round_the_end), True) if round_the_end is not None else None

    def batches(self, batch_rows: int = 100_000):
        if self.materialised is not None:
            yield from super().batches(batch_rows)
            return
        for offset in range(0, self.row_count, batch_rows):
            yield from self._window(offset, batch_rows).to_batches()


def _bound(checkpointed, spark):
    """A checkpoint's frame on the session that made it: pyspark 4.x gives it `SparkSession.active()`, which in a
    process with several sessions (or on a thread other than the one that connected) may be another, which
    does not hold it and would release it."""
    from pyspark.sql.connect.dataframe import DataFrame

    relation = checkpointed._plan
    if relation._spark_session is spark:
        return checkpointed
    relation._spark_session = spark
    return DataFrame(relation, spark)


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
                self._on_engine(lambda: self.engine.spark.sql(condition).createOrReplaceTempView(f"filtered_{table}"))
            self._applied_filters = self._wanted_filters

    def _on_engine(self, work):
        """`work()` on the session's cursor (so that `interrupt` stops it), one statement at a time, its
        errors as `QueryError` or `Cancelled`."""
        with self.lock:
            try:
                return self.cursor._run(work)
            except QueryError:
                raise
            except Exception as error:
                raise self.error(error) from None

    def collect(self, frame) -> pa.Table:
        return self._on_engine(frame.toArrow)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return _rows(self.collect(self._on_engine(lambda: self.engine.spark.sql(sql))))

    def schema(self) -> list[tuple[str, str, str]]:
        return self.engine.schema()

    def interrupt(self) -> None:
        self.cursor.interrupt()

    def result(self, sql: str, statement) -> SparkResultSet:
        """The rows `statement(spark)` gives, checkpointed with their positions (see SparkResultSet); `sql` says
        what they are."""
        from pyspark.sql import functions as F

        def checkpoint():
            frame = statement(self.engine.spark)
            positioned = _bound(frame.withColumn(POSITION, F.monotonically_increasing_id()).localCheckpoint(eager=True), self.engine.spark)
            counts = positioned.groupBy(F.shiftright(POSITION, PARTITION_SHIFT).alias("partition")).count()
            return frame.schema, positioned, sorted(_rows(counts.toArrow()))

        schema, positioned, counts = self._on_engine(checkpoint)
        partitions, first = [], 0
        for partition, rows in counts:
            partitions.append((partition, first, rows))
            first += rows
        return SparkResultSet(self, sql, [column.name for column in schema.fields],
                              [column.dataType.simpleString() for column in schema.fields], 0.0,
                              _count=first, frame=positioned, partitions=partitions)

    def run(self, sql: str) -> ResultSet | None:
        """Run one read-only statement; a query's rows are checkpointed on Spark and paged from there."""
        import sqlglot
        from sqlglot import exp

        statement = read_only_statement(sql)
        started = time.perf_counter()
        with self.lock:
            self._follow_filters()
            if isinstance(sqlglot.parse_one(statement, read="spark"), (exp.Query, exp.Values)):
                result = self.result(statement, lambda spark: spark.sql(statement))
            else:  # SHOW, DESCRIBE, EXPLAIN: a few rows, which cannot be read as a subquery
                frame = self._on_engine(lambda: self.engine.spark.sql(statement))
                result = SparkResultSet(self, statement, [column.name for column in frame.schema.fields],
                                        [column.dataType.simpleString() for column in frame.schema.fields], 0.0,
                                        _rows(self.collect(frame)))
        result.elapsed = time.perf_counter() - started
        return result
