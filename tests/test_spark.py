"""The Spark engine against a real local Spark Connect server: every named query gives DuckDB's numbers.

One server serves the whole session (started here from the pyspark package; Java is needed, and
CONFLICT_EXPLORER_TEST_SPARK_REMOTE=sc://HOST:PORT uses a running one instead).
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the Spark engine's tests need the test extra (pip install '.[test]')")

from explorer.db import geo, queries  # noqa: E402
from explorer.db.catalog import open_catalog  # noqa: E402
from explorer.db.errors import DataDirectoryError  # noqa: E402
from explorer.db.filters import Filters  # noqa: E402
from explorer.engine import open_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_ROWS = 20_000
"""Casualty reports of the synthetic directory (benchmarks/generate.py): enough for every basis, date and repeat."""

FILTERS = {
    "everything": Filters(),
    "Iranian": Filters(nationalities=frozenset({"Iranian"})),
    "Aleppo, precise": Filters(fronts=frozenset({"Aleppo"}), include_imprecise=False),
    "2016": Filters(date_from=datetime.date(2016, 1, 1), date_to=datetime.date(2016, 12, 31)),
    "pro-government, unknown nationality": Filters(sides=frozenset({"pro-government"}), nationalities=frozenset({None})),
}


@pytest.fixture(scope="session")
def spark_remote(tmp_path_factory):
    """The Spark Connect server of the session: started once, stopped at the end."""
    given = os.environ.get("CONFLICT_EXPLORER_TEST_SPARK_REMOTE")
    if given:
        yield given
        return
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed: the local Spark Connect server needs Java 17")
    from explorer.engine.spark import start_local_server

    server = start_local_server("local[2]", tmp_path_factory.mktemp("spark-server"))
    yield server.url
    server.stop()


def _open_both(data_dir, remote, cache_dir):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(cache_dir / "duckdb"))
        duck = open_catalog(data_dir)
    spark = open_engine("spark", data_dir, remote=remote, cache_dir=cache_dir / "spark")
    return duck, spark


@pytest.fixture(scope="session")
def builtin_pair(spark_remote, tmp_path_factory):
    """The built-in data on both engines."""
    duck, spark = _open_both(None, spark_remote, tmp_path_factory.mktemp("builtin-caches"))
    with duck, spark:
        yield duck, spark


@pytest.fixture(scope="session")
def synthetic_pair(spark_remote, tmp_path_factory):
    """A synthetic directory (benchmarks/generate.py) on both engines."""
    folder = tmp_path_factory.mktemp("synthetic") / "data"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(SYNTHETIC_ROWS), str(folder)],
                   check=True, capture_output=True)
    duck, spark = _open_both(folder, spark_remote, tmp_path_factory.mktemp("synthetic-caches"))
    with duck, spark:
        yield duck, spark


def plain(value):
    """A value as both engines must agree on it: whole decimals as ints, floats to 9 places, dates as dates."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def rows(result) -> list:
    """A named query's result, whatever its shape, as comparable rows (sorted: ties may come in any order)."""
    if hasattr(result, "to_pylist"):
        result = result.to_pylist()
    if isinstance(result, dict):
        result = sorted(result.items(), key=repr)
    if isinstance(result, list):
        return sorted((plain(row) for row in result), key=repr)
    return plain(result)


NAMED_QUERIES = {
    "row_counts": lambda con, f: queries.row_counts(con, f),
    "occurrence_counts": lambda con, f: queries.occurrence_counts(con, f),
    "casualty_occurrences": lambda con, f: queries.casualty_occurrences(con, f),
    "casualty_occurrences incident": lambda con, f: queries.casualty_occurrences(con, f, "incident", limit=50),
    "events_in_range": lambda con, f: queries.events_in_range(con, f),
    "actors_with_casualties": lambda con, f: queries.actors_with_casualties(con, f),
    "casualty_pivot individual": lambda con, f: queries.casualty_pivot(con, f, "individual"),
    "casualty_pivot tally": lambda con, f: queries.casualty_pivot(con, f, "tally"),
    "monthly_killed": lambda con, f: queries.monthly_killed(con, f),
    "monthly_tally_rates": lambda con, f: queries.monthly_tally_rates(con, f),
    "monthly_cumulative": lambda con, f: queries.monthly_cumulative(con, f),
    "events_per_month": lambda con, f: queries.events_per_month(con, f),
    "forces_estimates": lambda con, f: queries.forces_estimates(con, f),
    "facet_counts nationality": lambda con, f: queries.facet_counts(con, f, "nationality"),
    "facet_counts front": lambda con, f: queries.facet_counts(con, f, "front"),
    "facet_counts side": lambda con, f: queries.facet_counts(con, f, "side"),
    "casualty_reports": lambda con, f: queries.casualty_reports(con, f),
    "tally_spans": lambda con, f: queries.tally_spans(con, f),
    "events_bounds": lambda con, f: geo.events_bounds(con, f),
    "map_counts": lambda con, f: _map_cells(geo.map_counts(con, f, geo.View(38.0, 35.0, 0.1), 60, 20)),
    "events_in_area": lambda con, f: geo.events_in_area(con, f, (35.0, 32.0, 40.0, 37.5)),
}


def _map_cells(counts: geo.MapCounts) -> list:
    """The map pane's cells (events, placed by front), centres rounded (a mean's last digits differ by engine)."""
    return [(cell, counts.cells[cell], tuple(round(value, 9) for value in counts.centres[cell])) for cell in counts.cells] \
        + [("outside", counts.outside), ("country-wide", counts.country_wide)]
UNFILTERED = {
    "data_span": queries.data_span,
    "actor_hierarchy": queries.actor_hierarchy,
}


@pytest.mark.parametrize("name", NAMED_QUERIES)
def test_every_named_query_gives_duckdbs_numbers_on_the_builtin_data(builtin_pair, name):
    duck, spark = builtin_pair
    query = NAMED_QUERIES[name]
    shown = []
    for label, filters in FILTERS.items():
        expected = rows(query(duck.cursor(), filters))
        assert rows(query(spark.cursor(), filters)) == expected, f"{name} under {label}"
        shown.append(expected)
    assert any(shown) and any(found != shown[0] for found in shown), "the filters must tell the rows apart"


@pytest.mark.parametrize("name", NAMED_QUERIES)
def test_every_named_query_gives_duckdbs_numbers_on_synthetic_data(synthetic_pair, name):
    duck, spark = synthetic_pair
    query = NAMED_QUERIES[name]
    shown = []
    for label in ("everything", "Iranian", "2016"):
        expected = rows(query(duck.cursor(), FILTERS[label]))
        assert rows(query(spark.cursor(), FILTERS[label])) == expected, f"{name} under {label}"
        shown.append(expected)
    assert any(shown), "the synthetic data must give rows"


@pytest.mark.parametrize("name", UNFILTERED)
def test_the_unfiltered_queries_agree(builtin_pair, name):
    duck, spark = builtin_pair
    assert rows(UNFILTERED[name](spark.cursor())) == rows(UNFILTERED[name](duck.cursor()))


def test_an_unreachable_server_is_one_line_that_says_what_to_fix(tmp_path):
    with pytest.raises(DataDirectoryError, match=r"cannot reach the Spark Connect server at sc://127.0.0.1:9 .*--spark-remote") as caught:
        open_engine("spark", None, remote="sc://127.0.0.1:9", cache_dir=tmp_path)
    assert "\n" not in str(caught.value)


# --- the app on Spark -------------------------------------------------------------------------

PANES = {"1": "timeline", "2": "actors", "3": "casualties"}


async def what_the_panes_show(engine, filters: Filters) -> dict:
    """Each pane's tab label, its tables' rows and its tree's lines, and the chart's text, as drawn."""
    from textual.widgets import Tree

    from conftest import settle, shown_text, tab_label
    from explorer.app import ExplorerApp
    from explorer.widgets.chart import MonthlyChart
    from explorer.widgets.map_canvas import MapCanvas
    from explorer.widgets.record_table import RecordTable

    app = ExplorerApp(engine)
    shown: dict = {}
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        app.filters = filters
        await settle(pilot)
        for key, pane in PANES.items():
            await pilot.press(key)
            await settle(pilot)
            shown[f"{pane} tab"] = tab_label(app, pane)
            for table in app.query_one(f"#{pane}").query(RecordTable):
                shown[f"{pane} {table.id}"] = rows(table.records)
            for tree in app.query_one(f"#{pane}").query(Tree):
                shown[f"{pane} tree"] = sorted(str(node.label) for node in tree._tree_nodes.values())
        shown["chart"] = shown_text(app.query_one(MonthlyChart))
        await pilot.press("5")  # the map: its cells' counts, as drawn
        await settle(pilot)
        canvas = app.query_one(MapCanvas)
        shown["map cells"] = sorted(canvas.counts.cells.items())
        shown["map"] = shown_text(canvas)
        shown["notices"] = [str(notice.message) for notice in app._notifications]
    return shown


@pytest.mark.parametrize("label", ["everything", "Iranian"])
async def test_every_pane_shows_duckdbs_numbers_on_spark(builtin_pair, label):
    duck, spark = builtin_pair
    on_duckdb = await what_the_panes_show(duck, FILTERS[label])
    on_spark = await what_the_panes_show(spark, FILTERS[label])
    assert not on_spark["notices"], on_spark["notices"]
    assert on_duckdb["timeline events"] and on_duckdb["actors tree"] and on_duckdb["casualties casualty-table"]
    assert on_duckdb["map cells"]
    assert on_spark == on_duckdb


# --- the SQL pane's session on Spark ------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from explorer.db.errors import RefusedStatement  # noqa: E402
from explorer.engine.spark_session import read_only_statement  # noqa: E402

WRITES = ["INSERT INTO events SELECT * FROM events", "DROP TABLE events", "CREATE TABLE t AS SELECT 1",
          "CREATE OR REPLACE TEMP VIEW events AS SELECT 1", "INSERT OVERWRITE DIRECTORY '/tmp/x' SELECT 1",
          "SET spark.sql.ansi.enabled = false", "ADD JAR /tmp/x.jar", "CACHE TABLE events", "DELETE FROM events",
          "EXPLAIN INSERT INTO events SELECT * FROM events", "SELECT reflect('java.lang.System', 'exit', 0)",
          "SELECT 1; DROP TABLE events", "MSCK REPAIR TABLE events", "USE other", "REFRESH TABLE events"]
READS = ["SELECT count(*) FROM events", "WITH e AS (SELECT * FROM events) SELECT event_id FROM e",
         "SELECT 1 UNION ALL SELECT 2", "VALUES (1, 'a')", "DESCRIBE events", "SHOW TABLES", "EXPLAIN SELECT 1"]
comments = st.sampled_from(["", " ", "\n", "\t", "/* SELECT */ ", "-- SELECT\n", "/* ; */", "  /*\nDROP TABLE x;\n*/ "])


def disguised(statement: str, draw) -> str:
    words = statement.split(" ")
    cased = [word.upper() if draw(st.booleans()) else word.lower() if not word.startswith("'") else word for word in words]
    return draw(comments) + (" " + draw(comments)).join(cased) + draw(st.sampled_from(["", ";", " ; ", ";\n-- end"]))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_comment_case_or_whitespace_trick_gets_a_write_past_the_spark_check(data):
    statement = disguised(data.draw(st.sampled_from(WRITES)), data.draw)
    with pytest.raises(RefusedStatement):
        read_only_statement(statement)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_read_only_statements_pass_the_spark_check_however_written(data):
    statement = disguised(data.draw(st.sampled_from(READS)), data.draw)
    assert read_only_statement(statement)


def test_the_sql_pane_pages_a_spark_result_from_the_engine_and_refuses_a_write_in_one_line(builtin_pair):
    duck, spark = builtin_pair
    session = spark.sql_session()
    result = session.run("SELECT event_id FROM events ORDER BY event_id")
    expected = duck.cursor().execute("SELECT event_id FROM events ORDER BY event_id").fetchall()
    assert result.row_count == len(expected) == 80
    assert result.fetch(30, 10) == expected[30:40]
    session.set_filters(FILTERS["Iranian"])
    filtered = session.run("SELECT count(*) FROM filtered_casualties").fetch(0, 1)[0][0]
    duck_session = duck.sql_session()
    duck_session.set_filters(FILTERS["Iranian"])
    assert filtered == duck_session.run("SELECT count(*) FROM filtered_casualties").fetch(0, 1)[0][0] > 0
    with pytest.raises(RefusedStatement, match="read-only") as caught:
        session.run("insert into events select * from events")
    assert "\n" not in str(caught.value)
    assert spark.cursor().execute("SELECT count(*) FROM events").fetchall() == [(80,)]


def test_a_spark_query_from_the_cli_and_a_refused_write_exit_as_a_script_expects(spark_remote, tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "explorer", "query", *args, "--engine", "spark", "--spark-remote", spark_remote,
                               "--spark-cache", str(tmp_path)], capture_output=True, text=True, timeout=600)

    answered = cli("SELECT count(*) AS n FROM events", "--format", "csv")
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.splitlines() == ["n", "80"]
    listed = "SELECT casualty_id, killed, period_start, killed / 3 AS third FROM casualties ORDER BY casualty_id LIMIT 3"
    as_json = cli(listed, "--format", "json")
    on_duckdb = subprocess.run([sys.executable, "-m", "explorer", "query", listed, "--format", "json"],
                               capture_output=True, text=True, timeout=600)
    assert as_json.returncode == 0 == on_duckdb.returncode, as_json.stderr + on_duckdb.stderr
    assert plain(json.loads(as_json.stdout)) == plain(json.loads(on_duckdb.stdout)), "JSON, as DuckDB writes it"
    refused = cli("DROP TABLE events")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "error: on Spark the SQL pane runs one read-only statement: SELECT, WITH, VALUES, DESCRIBE, SHOW or EXPLAIN (DROP is not one)"]


def test_a_spark_result_pages_each_row_once_in_one_order_for_its_lifetime(synthetic_pair):
    """LIMIT/OFFSET over a statement is no page on Spark (partitions come in any order, rand() is drawn
    again): the result is computed once, and every page, export batch and count reads those rows."""
    from collections import Counter

    duck, spark = synthetic_pair
    statement = ("SELECT /*+ REPARTITION(7) */ casualty_id, killed, rand() AS draw FROM casualties "
                 "UNION ALL SELECT casualty_id, killed, rand() FROM casualties WHERE killed > 0")
    result = spark.sql_session().run(statement)
    expected = duck.cursor().execute(statement.replace("/*+ REPARTITION(7) */ ", "").replace("rand()", "0")).fetchall()
    assert len(result.partitions) > 1, "the rows come from several partitions"
    assert result.row_count == len(expected) > SYNTHETIC_ROWS
    pages = [row for offset in range(0, result.row_count, 4999) for row in result.fetch(offset, 4999)]
    again = [row for offset in range(0, result.row_count, 7001) for row in result.fetch(offset, 7001)]
    whole = [tuple(row.values()) for batch in result.batches(10_000) for row in batch.to_pylist()]
    assert pages == again == whole, "the pages, read twice and as export batches, are the same rows in the same order"
    assert Counter(row[:2] for row in pages) == Counter(row[:2] for row in expected), "each row exactly once"
    assert result.fetch(result.row_count - 3, 10) == pages[-3:] and result.fetch(result.row_count, 10) == []


# --- the SQL pane's result grid on Spark ---------------------------------------------------------


async def test_the_sql_pane_sorts_filters_counts_and_searches_a_spark_result_as_on_duckdb(builtin_pair):
    """The grid's keys on Spark, as on DuckDB: s sorts (again: descending), v counts a column's values, = keeps
    the rows with a value, / n N search; each shows what DuckDB computes from the same query."""
    from conftest import settle
    from explorer.app import ExplorerApp
    from explorer.widgets.result_grid import ResultGrid
    from test_sql_pane import open_sql, run_sql, status

    duck, spark = builtin_pair
    query = "select casualty_id, nationality, killed from casualties where kind = 'incident'"
    on_duckdb = duck.sql_session()
    rows_as_run = on_duckdb.rows(query)
    counts = on_duckdb.rows(f"select nationality, count(*) from ({query}) group by 1 order by 2 desc, 1")
    events = "select event_id, date, title from events order by date, event_id"
    matches = [index for index, row in enumerate(on_duckdb.rows(events)) if any("aleppo" in str(value).lower() for value in row)]
    assert len(rows_as_run) > 1 and len(counts) > 1 and len(matches) >= 3
    app = ExplorerApp(spark)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, query)
        grid = app.query_one(ResultGrid)
        assert status(app).startswith(f"✓ {len(rows_as_run)} rows · 3 columns") and grid.row_count == len(rows_as_run)
        grid.focus()
        await pilot.press("right", "right", "s")
        await settle(pilot)
        assert "sorted by killed asc" in status(app)
        await pilot.press("s")
        await settle(pilot)
        assert "sorted by killed desc" in status(app)
        shown = [grid.row(index) for index in range(grid.row_count)]
        assert [row[2] for row in shown] == sorted((row[2] for row in rows_as_run), key=lambda killed: (killed is None, -(killed or 0)))
        assert sorted(shown, key=repr) == sorted(rows_as_run, key=repr)
        await pilot.press("u", "right", "left", "v")
        await settle(pilot)
        assert grid.result.columns == ["nationality", "count", "share_percent"]
        assert [grid.row(index)[:2] for index in range(grid.row_count)] == counts
        await pilot.press("equals_sign")
        await settle(pilot)
        top, many = counts[0]
        assert f"nationality = {top}" in status(app) and grid.row_count == many
        assert {grid.row(index)[1] for index in range(grid.row_count)} == {top}
        await run_sql(app, pilot, events)
        await pilot.press("escape", "slash", *"ALEPpo", "enter")
        await settle(pilot)
        assert grid.cursor_row == matches[0] and grid.current_column_name == "title"
        await pilot.press("n")
        await settle(pilot)
        assert grid.cursor_row == matches[1]
        await pilot.press("N")
        await settle(pilot)
        assert grid.cursor_row == matches[0]
        await pilot.press("G", "n")
        await settle(pilot)
        assert grid.cursor_row == matches[0], "past the last match the search goes round to the first"
        await pilot.press("up", "N")
        await settle(pilot)
        assert grid.cursor_row == matches[-1], "and back round to the last"
        await pilot.press("slash", *"no such text", "enter")
        await settle(pilot)
        assert "No row holds 'no such text'" in status(app)
        assert not [notice for notice in app._notifications if notice.severity == "error"]


# --- stopping statements on Spark -----------------------------------------------------------------

LONG_ON_SPARK = "SELECT count(*) AS n FROM range(200000) a, range(200000) b WHERE a.id * b.id = 7"
"""Spark SQL, for the SQL pane: 4e10 pairs, minutes on local[2]."""
LONG_FOR_A_CURSOR = ("SELECT count(*) AS n FROM (SELECT unnest(range(200000)) AS x) a, (SELECT unnest(range(200000)) AS y) b "
                     "WHERE x * y = 7")
"""The same in DuckDB's words, as a cursor takes them (the named queries' dialect)."""
SECONDS_FOR_A_CURSOR = ("SELECT count(*) AS n FROM (SELECT unnest(range(40000)) AS x) a, (SELECT unnest(range(40000)) AS y) b "
                        "WHERE (x + y) % 7 = 0")
"""1.6e9 pairs: about ten seconds on local[2] (4e8 took under the test's 3 s wait on a quiet machine)."""


def pairs_that_sum_to_sevens(size: int = 40_000) -> int:
    residues = [sum(1 for number in range(size) if number % 7 == residue) for residue in range(7)]
    return sum(residues[residue] * residues[(7 - residue) % 7] for residue in range(7))


async def test_ctrl_g_stops_a_long_spark_statement_in_the_sql_pane_and_the_server_answers_the_next(builtin_pair):
    import asyncio
    import time

    from textual.widgets import TextArea

    from conftest import settle, shown_text
    from explorer.app import ExplorerApp
    from explorer.widgets.result_grid import ResultGrid
    from test_sql_pane import open_sql, run_sql, status

    _, spark = builtin_pair
    app = ExplorerApp(spark)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await open_sql(app, pilot)
            editor = app.query_one(TextArea)
            editor.text = LONG_ON_SPARK
            editor.move_cursor(editor.document.end)
            await pilot.press("ctrl+j")
            await pilot.pause(6)  # the filtered views and the analysis take a second or two: it is running on the server now
            assert status(app).startswith("running")
            pressed = time.monotonic()
            await pilot.press("ctrl+g")
            await asyncio.wait_for(settle(pilot), 60)
            assert time.monotonic() - pressed < 20
            assert status(app) == "✗ query cancelled"
            assert shown_text(app.query_one(ResultGrid)).strip() == "query cancelled", "one line, no traceback"
            started = time.monotonic()
            await run_sql(app, pilot, "select 5 as five")
            assert app.query_one(ResultGrid).row(0) == (5,) and status(app).startswith("✓ 1 row")
            assert time.monotonic() - started < 20, "the server is free again"
    finally:
        spark.interrupt()  # whatever a failure left running would slow the tests after this one


def test_interrupting_a_spark_cursor_stops_its_statement_and_not_another_cursors(builtin_pair):
    """What a newer filter does to the older filter's queries (`SparkCursor.interrupt`, by its tag): its
    statement raises Cancelled, and a statement running on another cursor at the same time finishes."""
    import threading
    import time

    from explorer.engine import Cancelled

    _, spark = builtin_pair
    stopped, other = spark.cursor(), spark.cursor()
    outcome: dict = {}

    def run(name, cursor, sql):
        try:
            outcome[name] = cursor.execute(sql).fetchall()
        except Exception as error:
            outcome[name] = error
        outcome[f"{name} ended"] = time.monotonic()

    threads = [threading.Thread(target=run, args=("other", other, SECONDS_FOR_A_CURSOR)),
               threading.Thread(target=run, args=("stopped", stopped, LONG_FOR_A_CURSOR))]
    try:
        for thread in threads:
            thread.start()
        time.sleep(3)
        interrupted = time.monotonic()
        stopped.interrupt()
        for thread in threads:
            thread.join(180)
    finally:
        spark.interrupt()
    assert isinstance(outcome["stopped"], Cancelled), outcome["stopped"]
    assert outcome["stopped ended"] - interrupted < 15
    assert outcome["other"] == [(pairs_that_sum_to_sevens(),)]
    assert outcome["other ended"] > interrupted, "the other statement was running when the first was stopped"


# --- object storage on Spark -----------------------------------------------------------------------

from test_object_storage import KEYS, endpoint, new_bucket, s3_env, upload  # noqa: E402,F401 (endpoint, s3_env: fixtures)


@pytest.mark.parametrize("command", [["query", "SELECT 1", "--data"], []], ids=["query", "launch"])
def test_an_s3_directory_on_the_local_spark_is_one_line_that_says_what_to_do(command, tmp_path):
    """The pyspark wheel's Spark has no S3 filesystem (no hadoop-aws among its jars): said before anything starts."""
    from explorer.engine.spark import has_s3a

    assert not has_s3a(), "the wheel's jars hold hadoop-aws now: Spark started here could read s3a://"
    ran = subprocess.run([sys.executable, "-m", "explorer", *command, "s3://conflict-data/syria", "--engine", "spark",
                          "--spark-cache", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [
        "error: s3://conflict-data/syria: the Spark started here (local[2], from the pyspark package) cannot read s3:// "
        "(it has no hadoop-aws): give --spark-remote sc://HOST:15002 of a Spark with s3a configured, or use --engine duckdb"]


@pytest.mark.usefixtures("s3_env")
def test_an_s3_directory_goes_to_a_spark_server_as_s3a(spark_remote, tmp_path):
    """On a Spark Connect server the directory is listed here and read by Spark at its s3a:// address; a server
    without s3a (as the test server is) says so in one line."""
    import boto3

    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"], region_name=KEYS["AWS_REGION"])
    bucket = new_bucket(client)
    upload(client, bucket, "syria")
    with pytest.raises(DataDirectoryError) as caught:
        open_engine("spark", f"s3://{bucket}/syria", remote=spark_remote, cache_dir=tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"s3://{bucket}/syria: the Spark at {spark_remote} cannot read it as s3a://{bucket}/syria (")
    assert "S3AFileSystem not found" in message and message.endswith("configure s3a (hadoop-aws and credentials) on it, "
                                                                      "or use --engine duckdb")
