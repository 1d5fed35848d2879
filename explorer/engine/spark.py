"""The Spark engine: the data layer's named queries on Apache Spark, through Spark Connect.

The named queries are written once, in DuckDB's SQL (`explorer.db.queries`); `spark_dialect` turns
each into Spark's with sqlglot, and `SparkCursor` runs it with the same positional parameters. The
four tables are views over the data directory's Parquet files (read by Spark itself); the counting
model (`occurrences` and the tables under it) is computed by Spark from the same SQL and written as
Parquet under `--spark-cache`, once per data directory, never computed in Python.

`--spark-remote local[N]` starts a Spark Connect server on this machine (Java 17, from the pyspark
package: nothing is downloaded), with its log in a file, and stops it on close; `sc://HOST:PORT`
connects to a running one.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import warnings

import pyarrow as pa

from explorer.db.errors import DataDirectoryError, QueryError
from explorer.engine import Cancelled, register_error_translator

SERVER_START_SECONDS = 120
"""How long a local server may take to answer (a first start on a busy 2-core machine takes 10-20 s)."""
CONNECT_SECONDS = 30
"""How long a remote server may take to answer its first statement."""
warnings.filterwarnings("ignore", message=r"\[RETRIES_EXCEEDED\]")  # the seam says it on one line
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")  # we use no pandas

COMPLETE = "_COMPLETE"
"""Written last in a Spark cache folder: a folder without it is an unfinished build."""


def _portable(node):
    """Where DuckDB and Spark read the same words differently, the named queries' meaning in Spark's words:
    `len` of a list is `size` (the named queries take `len` of lists only), a month's `date_trunc` of
    a date stays a date (Spark's is a timestamp), and `map(list(k), list(v))` keeps the keys whose value
    is NULL (Spark's `collect_list` drops NULLs, which would pair keys with the wrong values), and
    `datediff('month', a, b)` counts the month boundaries crossed (Spark's counts whole months), and
    lists that share an item (`&&`) are `arrays_overlap`."""
    from sqlglot import exp

    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[node.this, node.expression])
    if isinstance(node, exp.DateDiff) and str(node.args.get("unit") or "").upper() in ("MONTH", "'MONTH'"):
        def month_number(value):
            return exp.Paren(this=exp.Add(this=exp.Mul(this=exp.Year(this=value.copy()), expression=exp.Literal.number(12)),
                                          expression=exp.Month(this=value.copy())))
        return exp.Paren(this=exp.Sub(this=month_number(node.this), expression=month_number(node.expression)))
    if isinstance(node, exp.Map) and isinstance(node.args.get("keys"), exp.ArrayAgg) and isinstance(node.args.get("values"), exp.ArrayAgg):
        entry = exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("k"), expression=node.args["keys"].this),
                                        exp.PropertyEQ(this=exp.to_identifier("v"), expression=node.args["values"].this)])
        return exp.Anonymous(this="MAP_FROM_ENTRIES", expressions=[exp.ArrayAgg(this=entry)])
    if isinstance(node, exp.Length):
        return exp.ArraySize(this=node.this)
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)) and not isinstance(node.parent, exp.Cast):
        return exp.Cast(this=node, to=exp.DataType.build("DATE"))
    return node


@functools.lru_cache(maxsize=4096)
def spark_dialect(sql: str) -> str:
    """`sql`, written for DuckDB, in Spark's dialect (sqlglot); the same text always gives the same result."""
    import sqlglot

    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise QueryError(f"the statement cannot be read: {str(error).splitlines()[0]}") from None
    if len(statements) != 1:
        raise QueryError("one statement at a time on Spark")
    return statements[0].transform(_portable).sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


def _spark_value(value: Any) -> Any:
    """A parameter as Spark Connect takes it: lists and sets become array literals."""
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    if isinstance(value, (list, tuple)):
        from pyspark.sql.functions import array, lit

        return array(*[lit(item) for item in value]) if value else array().cast("array<string>")
    return value


def _rows(table: pa.Table) -> list[tuple]:
    return list(zip(*(column.to_pylist() for column in table.columns))) if table.num_columns else []


class SparkCursor:
    """A DB-API-like cursor over one Spark Connect session: what the named queries use of DuckDB's.

    Each cursor tags its operations, so that `interrupt` stops this cursor's statements only."""

    def __init__(self, engine: SparkEngine) -> None:
        self.engine = engine
        self.tag = f"conflict-explorer-{uuid.uuid4().hex}"
        self._frame = None
        self._table: pa.Table | None = None
        self.description: list[tuple] | None = None

    def _run(self, work: Callable[[], Any]) -> Any:
        spark = self.engine.spark
        spark.addTag(self.tag)  # tags belong to the calling thread
        try:
            return work()
        except Exception as error:
            translated = _neutral_error(error)
            if translated is error:
                raise
            raise translated from error
        finally:
            spark.removeTag(self.tag)

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> SparkCursor:
        text = spark_dialect(sql)
        args = [_spark_value(value) for value in parameters or []]
        self._frame = self._run(lambda: self.engine.spark.sql(text, args=args or None))
        self._table = None
        self.description = [(f.name, f.dataType.simpleString(), None, None, None, None, None) for f in self._frame.schema.fields]
        return self

    def to_arrow_table(self) -> pa.Table:
        if self._table is None:
            self._table = self._run(self._frame.toArrow)
        return self._table

    def to_arrow_reader(self, batch_size: int) -> pa.RecordBatchReader:
        table = self.to_arrow_table()
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(batch_size))

    def fetchall(self) -> list[tuple]:
        return _rows(self.to_arrow_table())

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def cursor(self) -> SparkCursor:
        return SparkCursor(self.engine)

    def interrupt(self) -> None:
        try:
            self.engine.spark.interruptTag(self.tag)
        except Exception:  # a server gone away has nothing left to stop
            pass

    def close(self) -> None:
        self._frame = self._table = None


def _neutral_error(error: BaseException) -> BaseException:
    """Spark's errors as the seam's: an interrupted operation is `Cancelled`, an analysis or run error a `QueryError`."""
    try:
        from pyspark.errors import PySparkException
        from pyspark.errors.exceptions.connect import SparkConnectException
    except ImportError:
        return error
    if not isinstance(error, (PySparkException, SparkConnectException)):
        return error
    text = str(error)
    if "OPERATION_CANCELED" in text or ("interrupted" in text.lower() and "operation" in text.lower()):
        return Cancelled()
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return QueryError(lines[0] if lines else type(error).__name__)


register_error_translator(_neutral_error)


@dataclass
class SparkCache:
    """The counting model's Parquet folder on Spark's side; the seam's `cache` (no whole-file check: Parquet's own)."""

    path: Path
    note: str | None = None
    check: None = None

    def damaged(self, problem: str) -> None:
        (self.path / COMPLETE).unlink(missing_ok=True)


@dataclass
class LocalServer:
    """A Spark Connect server this process started (local[N]), with its log."""

    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own process group: the JVM and anything it started
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_local_server(master: str = "local[2]", log_dir: Path | None = None) -> LocalServer:
    """Start a Spark Connect server here from the pyspark package's jars, its output in a log file."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise DataDirectoryError("Spark needs Java 17 or newer: install it (e.g. apt install openjdk-17-jre-headless) "
                                 "or set JAVA_HOME, or give --spark-remote sc://HOST:15002")
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="conflict-explorer-spark-"))
    log = log_dir / "spark-connect.log"
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_CONNECT_MODE": "0"}
    env.pop("SPARK_REMOTE", None)
    command = [str(home / "bin" / "spark-submit"), "--master", master, "--name", "conflict-explorer",
               "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.session.timeZone=UTC",
               "--conf", "spark.sql.shuffle.partitions=4", "--conf", f"spark.local.dir={log_dir}"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   env=env, start_new_session=True)
    server = LocalServer(process, f"sc://127.0.0.1:{port}", log)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last = [line for line in log.read_text(errors="replace").splitlines() if line.strip()][-1:] or ["no output"]
            raise DataDirectoryError(f"the local Spark server did not start ({last[0].strip()}; see {log})")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    server.stop()
    raise DataDirectoryError(f"the local Spark server did not answer in {SERVER_START_SECONDS} s (see {log})")


def _quiet_client() -> None:
    """The Spark Connect client logs every failed statement to stderr as JSON: over the app's screen. The
    seam reports each failure on one line instead."""
    import logging

    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "pyspark", "py4j", "grpc"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _reason(error: BaseException) -> str:
    """The one line of a failed call that says why: gRPC's details where it has them."""
    text = str(error)
    if 'details = "' in text:
        return text.split('details = "', 1)[1].split('"', 1)[0][:200]
    return (text.strip().splitlines() or [type(error).__name__])[0][:200]


def connect(url: str):
    """A Spark Connect session at `url` that has answered a statement, or a one-line error saying what to fix."""
    from pyspark.sql import SparkSession

    _quiet_client()
    if not url.startswith("sc://"):
        raise DataDirectoryError(f"--spark-remote {url}: give sc://HOST:PORT (Spark Connect's default port is 15002) or local[N]")
    from pyspark.sql.connect.client.retries import DefaultPolicy

    session = SparkSession.builder.remote(url).create()
    session.client.set_retry_policies([DefaultPolicy(max_retries=3, max_backoff=2000)])  # fail fast while connecting
    answered: list = []

    def first_statement() -> None:
        try:
            session.sql("SELECT 1").collect()
            answered.append(session)
        except Exception as error:  # reported below, on one line
            answered.append(error)

    thread = threading.Thread(target=first_statement, daemon=True)
    thread.start()
    thread.join(CONNECT_SECONDS)
    found = answered[0] if answered else None
    if found is None or isinstance(found, Exception):
        session.client.close()  # else Python's exit would retry the server for minutes
        why = "no answer" if found is None else _reason(found)
        raise DataDirectoryError(f"cannot reach the Spark Connect server at {url} ({why}): start it "
                                 "(sbin/start-connect-server.sh) or check --spark-remote")
    session.client.set_retry_policies([DefaultPolicy()])
    return session


def default_cache_dir() -> Path:
    from explorer.db.cache import cache_root

    return cache_root() / "spark"


@dataclass
class SparkEngine:
    """An open data directory on Spark: the seam's Spark engine."""

    data_dir: Path
    spark: Any
    cache: SparkCache
    server: LocalServer | None = None
    name: str = field(default="spark", init=False)
    search_index: bool = field(default=False, init=False)
    """A search reads the events themselves: the words' index is DuckDB's cache only."""

    def cursor(self) -> SparkCursor:
        return SparkCursor(self)

    def interrupt(self) -> None:
        try:
            self.spark.interruptAll()
        except Exception:
            pass

    def schema(self) -> list[tuple[str, str, str]]:
        """(table or view, column, type) of the tables and `occurrences`."""
        from explorer.db.schema import TABLES

        found = []
        for name in sorted([*TABLES, "occurrences"]):
            for column in self.spark.table(name).schema.fields:
                found.append((name, column.name, column.dataType.simpleString()))
        return found

    def sql_session(self):
        from explorer.engine.spark_session import SparkSqlSession

        return SparkSqlSession(self)

    def close(self) -> None:
        try:
            self.spark.stop()
        except Exception:
            pass
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def has_s3a() -> bool:
    """Whether the Spark of the pyspark package (what `local[N]` starts) can read s3a://: only with hadoop-aws
    among its jars, which the wheel does not hold."""
    import pyspark

    return any((Path(pyspark.__file__).parent / "jars").glob("hadoop-aws-*.jar"))


def _s3a(url: str) -> str:
    """An s3:// URL as Hadoop's S3 filesystem names it."""
    return "s3a://" + url.split("://", 1)[1]


def _table_files(data_dir, name: str, files) -> tuple[list[str], str]:
    """Where Spark reads a table: its files, and the folder its hive partitions are under (s3a:// in object storage)."""
    if files.remote is not None:
        return [_s3a(f"s3://{stored.path}") for stored in files.remote.objects], _s3a(f"{data_dir}/{name}")
    return [str(path) for path in files.paths], str(data_dir / name)


def _register_tables(spark, data_dir: Path, tables: dict) -> None:
    """Each table as a view over its Parquet files, its columns cast to the schema's types."""
    for name, files in tables.items():
        paths, base = _table_files(data_dir, name, files)
        reader = spark.read.option("mergeSchema", "true")
        if files.hive:
            reader = reader.option("basePath", base)
        reader.parquet(*paths).createOrReplaceTempView(f"{name}__files")
        select = ", ".join(f'CAST("{column.name}" AS {column.type}) AS "{column.name}"' for column in files.table.columns)
        spark.sql(spark_dialect(f'SELECT {select} FROM "{name}__files"')).createOrReplaceTempView(name)


def _build_cache(spark, folder: Path, on_build: Callable[[str], None] | None) -> None:
    """The counting model computed by Spark from the same SQL as DuckDB's, written as Parquet, each table sorted."""
    from explorer.db.catalog import CACHED_ORDER, CACHED_TABLES, _computed_sources

    computed = _computed_sources()
    building = folder.with_name(folder.name + f".building-{uuid.uuid4().hex[:8]}")
    for number, (name, order) in enumerate(CACHED_ORDER.items(), start=1):
        if on_build is not None:
            on_build(f"{CACHED_TABLES[name]} ({number} of {len(CACHED_ORDER)})")
        spark.sql(spark_dialect(f"SELECT * FROM ({computed[name]}) ORDER BY {order}")).write.parquet(str(building / name))
        spark.read.parquet(str(building / name)).createOrReplaceTempView(name)
    (building / COMPLETE).write_text("")
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)


def _register_cache(spark, folder: Path) -> None:
    from explorer.db.catalog import CACHED_ORDER, OCCURRENCES_VIEW

    for name in CACHED_ORDER:
        spark.read.parquet(str(folder / name)).createOrReplaceTempView(name)
    spark.sql(spark_dialect(OCCURRENCES_VIEW.split(" AS ", 1)[1])).createOrReplaceTempView("occurrences")


def open_spark(data_dir: Path | str | None = None, on_build: Callable[[str], None] | None = None,
               remote: str = "local[2]", cache_dir: Path | str | None = None) -> SparkEngine:
    """Open `data_dir` on Spark: a local server started here (`local[N]`) or one at `sc://HOST:PORT`."""
    from explorer.db.cache import cache_key
    from explorer.db.catalog import find_tables
    from explorer.db.remote import is_remote

    if is_remote(data_dir) and remote.startswith("local") and not has_s3a():
        raise DataDirectoryError(f"{data_dir}: the Spark started here ({remote}, from the pyspark package) cannot read s3:// "
                                 "(it has no hadoop-aws): give --spark-remote sc://HOST:15002 of a Spark with s3a configured, "
                                 "or use --engine duckdb")
    data_dir, tables = find_tables(data_dir)
    server = start_local_server(remote) if remote.startswith("local") else None
    try:
        spark = connect(server.url if server is not None else remote)
        try:
            _register_tables(spark, data_dir, tables)
        except Exception as error:
            translated = _neutral_error(error)
            if translated is error:
                raise
            if is_remote(data_dir) and "s3a" in str(translated):
                raise DataDirectoryError(f"{data_dir}: the Spark at {remote} cannot read it as {_s3a(str(data_dir))} "
                                         f"({translated}): configure s3a (hadoop-aws and credentials) on it, "
                                         "or use --engine duckdb") from None
            raise DataDirectoryError(f"Spark cannot read {data_dir}: {translated}") from None
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        key = data_dir.cache_key() if is_remote(data_dir) else cache_key([path for files in tables.values() for path in files.paths])
        folder = root / key
        try:
            root.mkdir(parents=True, exist_ok=True)
            if not (folder / COMPLETE).exists():
                _build_cache(spark, folder, on_build)
        except OSError as error:
            raise DataDirectoryError(f"{root}: the Spark cache cannot be written ({error.strerror}): give --spark-cache DIR") from None
        except Exception as error:
            translated = _neutral_error(error)
            if translated is error:
                raise
            raise DataDirectoryError(f"Spark could not build the counting model: {translated}") from None
        _register_cache(spark, folder)
    except BaseException:
        if server is not None:
            server.stop()
        raise
    return SparkEngine(data_dir, spark, SparkCache(folder), server)
