"""The read-only guard: hostile statements are refused with a reason, and no data file changes."""

from __future__ import annotations

import pytest

from explorer.db.catalog import open_catalog
from explorer.db.errors import QueryError, RefusedStatement
from explorer.db.guard import Guard, run_guarded
from conftest import fingerprint


@pytest.fixture
def sandbox(data_copy):
    """One session (cursor) over a private copy of the data, with its guard; checks the files after."""
    before = fingerprint(data_copy)
    with open_catalog(data_copy) as opened:
        yield opened.cursor(), Guard(opened.protected_names), data_copy
    assert fingerprint(data_copy) == before, "a data file changed"


def run(sandbox, sql):
    session, guard, _ = sandbox
    return run_guarded(session, guard, sql)


HOSTILE = {
    "copy over the data": ("COPY (SELECT 42 AS a) TO '{data}/events.parquet' (FORMAT parquet)", "COPY refused"),
    "copy a view over itself": ("COPY casualties TO '{data}/casualties.parquet' (FORMAT parquet)", "COPY refused"),
    "copy out": ("COPY events TO '/tmp/stolen.csv'", "COPY refused"),
    "explain analyze copy": ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{data}/events.parquet'", "COPY refused"),
    "export database": ("EXPORT DATABASE '{data}/dump'", "EXPORT refused"),
    "drop a view": ("DROP VIEW events", "one of the data's views"),
    "drop a view in main": ("DROP VIEW IF EXISTS main.casualties", "only allowed in the temporary schema"),
    "drop quoted view": ('DROP VIEW "Actors"', "one of the data's views"),
    "drop after comment": ("/* harmless */ DROP VIEW forces", "one of the data's views"),
    "replace a view": ("CREATE OR REPLACE VIEW events AS SELECT 1", "CREATE VIEW without TEMP"),
    "shadow with temp view": ("CREATE TEMP VIEW casualties AS SELECT 1 AS killed", "one of the data's views"),
    "shadow with temp table": ("CREATE TEMP TABLE temp.events AS SELECT 1", "one of the data's views"),
    "shadow with macro": ("CREATE TEMP MACRO actors() AS TABLE SELECT 1", "one of the data's views"),
    "table in main": ("CREATE TABLE kept AS SELECT * FROM events", "CREATE TABLE without TEMP"),
    "alter a view": ("ALTER VIEW events RENAME TO old_events", "ALTER refused"),
    "attach": ("ATTACH '{data}/new.duckdb' AS other", "ATTACH refused"),
    "detach": ("DETACH memory", "DETACH refused"),
    "install": ("INSTALL httpfs", "extensions is not allowed"),
    "load": ("LOAD httpfs", "extensions is not allowed"),
    "set": ("SET enable_external_access = true", "engine settings are locked"),
    "reset": ("RESET threads", "engine settings are locked"),
    "pragma": ("PRAGMA enable_profiling", "PRAGMA refused"),
    "checkpoint": ("CHECKPOINT", "CALL refused"),
    "call": ("CALL pragma_version()", "CALL refused"),
    "persistent secret": ("CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "CREATE PERSISTENT is not allowed"),
    "schema": ("CREATE SCHEMA mine", "CREATE SCHEMA is not allowed"),
    "transaction": ("BEGIN TRANSACTION", "TRANSACTION refused"),
    "prepare": ("PREPARE p AS SELECT 1", "PREPARE refused"),
    "vacuum": ("VACUUM", "refused"),
    "second statement": ("SELECT 1; DROP VIEW events", "one of the data's views"),
    "pivot expanding": ("PIVOT casualties ON kind USING count(*)", "MULTI refused"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_statement_is_refused_and_files_stay_the_same(sandbox, name):
    sql, reason = HOSTILE[name]
    with pytest.raises(RefusedStatement, match=reason) as caught:
        run(sandbox, sql.format(data=sandbox[2]))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        "CREATE TEMP TABLE t AS SELECT * FROM read_parquet('/tmp/*.parquet')",
        "INSERT INTO events SELECT * FROM events",
        "UPDATE casualties SET killed = 0",
        "DELETE FROM actors",
    ],
)
def test_engine_refuses_what_the_guard_lets_through(sandbox, sql):
    with pytest.raises(QueryError):
        run(sandbox, sql)


def test_views_survive_every_refusal(sandbox):
    for sql, _ in HOSTILE.values():
        with pytest.raises(RefusedStatement):
            run(sandbox, sql.format(data=sandbox[2]))
    assert run(sandbox, "SELECT count(*) AS n FROM casualties").to_pylist() == [{"n": 634}]


def test_nothing_runs_when_one_statement_is_refused(sandbox):
    with pytest.raises(RefusedStatement):
        run(sandbox, "CREATE TEMP TABLE first_one AS SELECT 1; DROP VIEW events")
    with pytest.raises(QueryError, match="first_one"):
        run(sandbox, "SELECT * FROM first_one")


def test_scratch_work_in_memory_is_allowed(sandbox):
    run(sandbox, "CREATE TEMP TABLE iranian AS SELECT * FROM casualties WHERE nationality = 'Iranian'")
    run(sandbox, "DELETE FROM iranian WHERE kind <> 'incident'")
    run(sandbox, "INSERT INTO iranian SELECT * FROM casualties WHERE casualty_id = 'CR001'")
    run(sandbox, "CREATE TEMP VIEW khan_tuman AS SELECT * FROM iranian WHERE occurrence_id LIKE 'khan-tuman%'")
    run(sandbox, "CREATE TEMP MACRO doubled(x) AS x * 2")
    assert run(sandbox, "SELECT count(*) AS n, min(doubled(killed)) AS low FROM khan_tuman").to_pylist() == [{"n": 4, "low": 26}]
    assert run(sandbox, "SELECT count(*) AS n FROM iranian").to_pylist() == [{"n": 15}]  # 14 Iranian incident reports + CR001
    run(sandbox, "DROP VIEW khan_tuman; DROP TABLE iranian")
    assert run(sandbox, "DROP MACRO doubled") is None


@pytest.mark.parametrize(
    "sql",
    ["DESCRIBE casualties", "SUMMARIZE events", "SHOW TABLES", "FROM actors LIMIT 3", "EXPLAIN SELECT * FROM events",
     "WITH x AS (SELECT 1 AS a) SELECT a FROM x", "SELECT * FROM read_parquet('{data}/forces.parquet')"],
)
def test_reading_statements_run(sandbox, sql):
    assert run(sandbox, sql.format(data=sandbox[2])).num_rows > 0


def test_errors_are_one_line_with_position(sandbox):
    with pytest.raises(QueryError) as caught:
        run(sandbox, "SELECT * FRM events")
    assert "\n" not in str(caught.value) and "LINE 1" in str(caught.value)
    with pytest.raises(QueryError, match='"nosuch" not found'):
        run(sandbox, "SELECT nosuch FROM events")
