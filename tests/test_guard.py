"""The read-only promise: no statement changes a byte of the data, the cache or anything else.

Three layers are tested apart: the engine, which cannot write even when no check runs; the
statement checker, which reads the text as DuckDB does (comments, line endings, spaces, case);
and the session, which refuses scratch objects that would change what a name means.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.db.catalog import open_catalog
from explorer.db.errors import ExplorerError, QueryError, RefusedStatement
from explorer.db.guard import parse_statements
from explorer.db.sql_session import SqlSession
from conftest import fingerprint

BUILTIN_COUNTS = "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM casualties), (SELECT sum(killed) FROM occurrences)"


class Sandbox:
    """A session over a private copy of the data, its cache, and a canary folder nothing may touch."""

    def __init__(self, data, cache_root, canary) -> None:
        self.data, self.cache_root, self.canary = data, cache_root, canary
        self.catalog = open_catalog(data)
        self.cache = self.catalog.cache.path.parent
        self.session = SqlSession(self.catalog)
        self.counts = self.catalog.cursor().execute(BUILTIN_COUNTS).fetchall()
        self.files = self.fingerprints()

    def fingerprints(self) -> dict:
        return {"data": fingerprint(self.data), "cache": fingerprint(self.cache_root), "canary": fingerprint(self.canary)}

    def sql(self, template: str) -> str:
        return template.format(data=self.data, cache=self.cache, canary=self.canary)

    def run(self, sql: str):
        return self.session.run(sql)

    def assert_untouched(self) -> None:
        assert self.fingerprints() == self.files, "a file changed"
        assert self.catalog.cursor().execute(BUILTIN_COUNTS).fetchall() == self.counts
        assert self.session.rows(BUILTIN_COUNTS) == self.counts, "the session's own names changed meaning"
        assert self.session.rows("SELECT count(*) FROM filtered_events") == [(80,)]


def _sandbox(data, tmp, monkeypatch) -> Sandbox:
    cache_root, canary = tmp / "cache", tmp / "canary"
    canary.mkdir()
    (canary / "note.txt").write_text("nothing may change this")
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(cache_root))
    return Sandbox(data, cache_root, canary)


@pytest.fixture
def sandbox(data_copy, tmp_path, monkeypatch):
    opened = _sandbox(data_copy, tmp_path, monkeypatch)
    yield opened
    opened.assert_untouched()
    opened.catalog.close()


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory):
    """One sandbox for the generated examples (opening one per example would take minutes)."""
    import shutil

    from conftest import DATA_DIR, TABLE_FILES

    tmp = tmp_path_factory.mktemp("hostile")
    data = tmp / "data"
    data.mkdir()
    for name in TABLE_FILES:
        shutil.copy2(DATA_DIR / name, data / name)
    with pytest.MonkeyPatch.context() as patch:
        opened = _sandbox(data, tmp, patch)
    yield opened
    opened.assert_untouched()
    opened.catalog.close()


HOSTILE = {
    "copy over the data": ("COPY (SELECT 42 AS a) TO '{data}/events.parquet' (FORMAT parquet)", "COPY refused"),
    "copy a view over itself": ("COPY casualties TO '{data}/casualties.parquet' (FORMAT parquet)", "COPY refused"),
    "copy over the cache": ("COPY (SELECT 1) TO '{cache}/data.duckdb'", "COPY refused"),
    "copy out": ("COPY events TO '{canary}/stolen.csv'", "COPY refused"),
    "explain analyze copy": ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{data}/events.parquet'", "COPY refused"),
    "export database": ("EXPORT DATABASE '{canary}/dump'", "EXPORT DATABASE refused"),
    "import database": ("IMPORT DATABASE '{canary}'", "IMPORT DATABASE refused"),
    "copy from database": ("COPY FROM DATABASE data TO memory", "COPY FROM DATABASE refused"),
    "drop a table": ("DROP TABLE events", "the data is read-only: DROP"),
    "drop the counting model": ("DROP VIEW occurrences", "the data is read-only: DROP"),
    "drop quoted": ('DROP TABLE "Actors"', "the data is read-only: DROP"),
    "drop after comment": ("/* harmless */ DROP TABLE forces", "the data is read-only: DROP"),
    "drop a filtered view": ("DROP VIEW filtered_events", "follows the filter bar"),
    "replace a view": ("CREATE OR REPLACE VIEW events AS SELECT 1", "CREATE VIEW without TEMP"),
    "replace a filtered view": ("CREATE OR REPLACE TEMP VIEW filtered_casualties AS SELECT * FROM casualties", "follows the filter bar"),
    "shadow with temp view": ("CREATE TEMP VIEW casualties AS SELECT 1 AS killed", "one of the data's tables"),
    "shadow with temp table": ("CREATE TEMP TABLE events AS SELECT 1", "one of the data's tables"),
    "shadow the model's table": ("CREATE TEMP TABLE Single_Occurrences AS SELECT 1", "one of the data's tables"),
    "shadow count(*)": ("CREATE TEMP MACRO count_star() AS 42", "is a DuckDB function"),
    "shadow a table function": ("CREATE TEMP MACRO read_parquet(x) AS TABLE SELECT 1", "is a DuckDB function"),
    "shadow an operator": ('CREATE TEMP MACRO "+"(a, b) AS 42', "is a DuckDB function"),
    "shadow getvariable": ("CREATE OR REPLACE TEMP FUNCTION getvariable(x) AS 7", "is a DuckDB function"),
    "table in the data": ("CREATE TABLE kept AS SELECT * FROM events", "CREATE TABLE without TEMP"),
    "write the data": ("UPDATE casualties SET killed = killed * 1000", "the data is read-only: UPDATE"),
    "insert into the data": ("INSERT INTO events SELECT * FROM events", "the data is read-only: INSERT"),
    "delete the data": ("DELETE FROM actors", "the data is read-only: DELETE"),
    "truncate the data": ("TRUNCATE casualties", "the data is read-only: DELETE"),
    "alter": ("ALTER TABLE events RENAME TO old_events", "ALTER refused"),
    "comment": ("COMMENT ON TABLE events IS 'x'", "COMMENT ON refused"),
    "attach": ("ATTACH '{canary}/new.duckdb' AS other", "ATTACH refused"),
    "attach the cache": ("ATTACH '{cache}/data.duckdb' AS writable", "ATTACH refused"),
    "detach": ("DETACH data", "DETACH refused"),
    "use": ("USE temp", "USE refused"),
    "install": ("INSTALL httpfs", "INSTALL refused"),
    "force install": ("FORCE INSTALL httpfs", "FORCE INSTALL refused"),
    "load": ("LOAD httpfs", "LOAD refused"),
    "update extensions": ("UPDATE EXTENSIONS", "UPDATE EXTENSIONS refused"),
    "set": ("SET enable_external_access = true", "SET refused: engine settings are locked"),
    "set global": ("SET GLOBAL threads = 1", "SET refused"),
    "reset": ("RESET threads", "RESET refused"),
    "pragma": ("PRAGMA enable_profiling", "PRAGMA refused"),
    "checkpoint": ("CHECKPOINT", "CHECKPOINT refused"),
    "analyze": ("ANALYZE", "ANALYZE refused"),
    "vacuum": ("VACUUM", "VACUUM refused"),
    "call": ("CALL pragma_version()", "CALL refused"),
    "persistent secret": ("CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "CREATE PERSISTENT SECRET is not allowed"),
    "schema": ("CREATE SCHEMA mine", "CREATE SCHEMA is not allowed"),
    "transaction": ("BEGIN TRANSACTION", "BEGIN refused"),
    "prepare": ("PREPARE p AS SELECT 1", "PREPARE refused"),
    "deallocate": ("DEALLOCATE p", "DEALLOCATE refused"),
    "second statement": ("SELECT 1; DROP TABLE events", "the data is read-only: DROP"),
    "pivot expanding": ("PIVOT casualties ON kind USING count(*)", "PIVOT refused"),
    "read a file": ("SELECT * FROM read_csv('{canary}/note.txt')", "files cannot be read or written from SQL here"),
    "read a system file": ("SELECT * FROM read_text('/etc/hostname')", "files cannot be read or written from SQL here"),
    "glob": ("SELECT * FROM glob('/*')", "files cannot be read or written from SQL here"),
    "hide from the check": ("CREATE TEMP MACRO duckdb_functions() AS TABLE SELECT * FROM system.main.duckdb_functions() "
                            "WHERE database_name <> 'temp'", "is a DuckDB function"),
    "hide tables from the check": ("CREATE TEMP MACRO duckdb_tables() AS TABLE SELECT 1 AS x", "is a DuckDB function"),
    "shadow a catalog view": ("CREATE TEMP VIEW duckdb_tables AS SELECT 1 AS x", "a DuckDB catalog view"),
    "shadow sqlite_master": ("CREATE TEMP VIEW sqlite_master AS SELECT 1 AS x", "a DuckDB catalog view"),
    "explain options with a parenthesis in a string": ("EXPLAIN (ANALYZE '(') CREATE TABLE kept AS WITH x AS (SELECT ')') SELECT 1",
                                                       "CREATE TABLE without TEMP"),
    "explain a prepare": ("EXPLAIN (ANALYZE '(') PREPARE p AS WITH x AS (SELECT ')') SELECT 1", "PREPARE refused"),
    "lone surrogate": ("SELECT '\udcff'", "not valid text"),
    "write inside a query": ("WITH gone AS (DELETE FROM events RETURNING *) SELECT * FROM gone", "the data is read-only"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_statement_is_refused_with_its_reason_on_one_line(sandbox, name):
    sql, reason = HOSTILE[name]
    with pytest.raises(ExplorerError, match=reason) as caught:
        sandbox.run(sandbox.sql(sql))
    assert "\n" not in str(caught.value)


SEPARATORS = [" ", "\t", "\n", "\r", "\r\n", "\f", "\u00a0", "\u2003", "\u3000", "-- note\n", "-- note\r", "--\r\n",
              "/* c */", "/* /* nested */ */", "/* ' \" ; */", "/*\r\n*/", " -- ; DROP\n"]
separator = st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3).map("".join)


def _cased(word: str, flips: list[bool]) -> str:
    return "".join(letter.upper() if flip else letter.lower() for letter, flip in zip(word, flips + [False] * len(word)))


@st.composite
def disguised(draw):
    """A hostile statement in a generated disguise: comments and odd spaces before it and between its first
    two words, its first word in any case, maybe inside EXPLAIN ANALYZE, maybe after a harmless statement."""
    name = draw(st.sampled_from(sorted(HOSTILE)))
    sql = HOSTILE[name][0]
    first, _, rest = sql.partition(" ")
    flips = draw(st.lists(st.booleans(), min_size=len(first), max_size=len(first)))
    text = draw(separator) + _cased(first, flips) + (draw(separator) + rest if rest else "") + draw(st.sampled_from(["", ";", " ;", "\n", ";\r\n-- end"]))
    if draw(st.booleans()) and not first.upper().startswith(("EXPLAIN", "SELECT")):
        text = "EXPLAIN" + draw(separator) + "ANALYZE" + draw(separator) + text
    if draw(st.booleans()):
        text = "SELECT 1;" + draw(separator) + text
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(statement=disguised())
def test_disguised_hostile_statements_are_refused_and_change_nothing(shared_sandbox, statement):
    with pytest.raises(ExplorerError):
        shared_sandbox.run(shared_sandbox.sql(statement))
    shared_sandbox.assert_untouched()


def test_the_engine_cannot_write_even_when_nothing_checks_the_statement(sandbox):
    """Statements sent straight to the engine, past the checker and the session."""
    con = sandbox.catalog.cursor()
    for sql in ["COPY (SELECT 42 AS a) TO '{data}/events.parquet' (FORMAT parquet)", "COPY (SELECT 1) TO '{cache}/data.duckdb'",
                "COPY (SELECT 1) TO '{canary}/new.csv'", "EXPORT DATABASE '{canary}/dump'", "ATTACH '{canary}/x.duckdb' AS x",
                "ATTACH '{cache}/data.duckdb' AS again", "DROP TABLE events", "DROP VIEW occurrences", "CREATE TABLE x AS SELECT 1",
                "CREATE OR REPLACE VIEW events AS SELECT 1", "UPDATE casualties SET killed = 0", "CREATE TABLE memory.main.x AS SELECT 1",
                "SET enable_external_access = true", "SET allowed_directories = ['/']", "SET lock_configuration = false",
                "INSTALL httpfs", "SELECT * FROM read_csv('{canary}/note.txt')", "DETACH data"]:
        with pytest.raises(duckdb.Error):
            con.execute(sandbox.sql(sql)).fetchall()
    for maintenance in ("CHECKPOINT", "FORCE CHECKPOINT", "VACUUM", "ANALYZE"):  # allowed by the engine, and write nothing
        con.execute(maintenance).fetchall()
    sandbox.assert_untouched()


HARMLESS = {"checkpoint", "analyze", "vacuum", "call", "prepare", "explain a prepare", "deallocate", "pivot expanding"}
"""What the engine itself lets run: maintenance of a read-only database and statements that only read."""


def test_with_the_checker_switched_off_every_hostile_statement_still_fails_or_is_harmless(sandbox, monkeypatch):
    """The guarantee holds by construction: the session runs DuckDB's own split of the text, unchecked."""
    import explorer.db.sql_session as sql_session

    monkeypatch.setattr(sql_session, "parse_statements", duckdb.extract_statements)
    ran = set()
    for name, (sql, _) in HOSTILE.items():
        try:
            sandbox.run(sandbox.sql(sql))
            ran.add(name)
        except (ExplorerError, TypeError):  # TypeError: DuckDB's client takes no text that is not UTF-8
            pass
    assert ran <= HARMLESS
    sandbox.assert_untouched()


@pytest.mark.parametrize(
    ("sql", "name"),
    [("IMPORT DATABASE 'x'", "IMPORT DATABASE"), ("ANALYZE", "ANALYZE"), ("USE data", "USE"), ("UPDATE EXTENSIONS", "UPDATE EXTENSIONS"),
     ("UPDATE EXTENSIONS (httpfs)", "UPDATE EXTENSIONS"), ("CHECKPOINT", "CHECKPOINT"), ("FORCE CHECKPOINT", "FORCE CHECKPOINT"),
     ("COPY FROM DATABASE a TO b", "COPY FROM DATABASE"), ("RESET memory_limit", "RESET"), ("COMMENT ON TABLE t IS 'x'", "COMMENT ON"),
     ("DEALLOCATE p", "DEALLOCATE"), ("LOAD 'x'", "LOAD"), ("DETACH d", "DETACH"), ("START TRANSACTION", "START TRANSACTION")],
)
def test_refusals_name_the_statement_by_its_own_words(sql, name):
    with pytest.raises(RefusedStatement, match=f"^{name} refused: "):
        parse_statements(sql)


def test_every_statement_type_duckdb_can_return_is_allowed_or_refused_on_purpose():
    """Statement types the Python client has no name for (UPDATE EXTENSIONS is 29) are refused, not a crash."""
    import explorer.db.guard as guard

    for sql in ["UPDATE EXTENSIONS", "SELECT 1", "CREATE TEMP TABLE t (a INT)", "EXPLAIN SELECT 1", "SET VARIABLE v = 1", "INSERT INTO t VALUES (1)"]:
        try:
            parse_statements(sql)
        except RefusedStatement as refused:
            assert " refused: " in str(refused) and guard.statement_name(["UPDATE", "EXTENSIONS"]) == "UPDATE EXTENSIONS"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_macro_may_take_the_name_of_any_duckdb_function(shared_sandbox, data):
    names = sorted({name for (name,) in shared_sandbox.catalog.cursor().execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE database_name <> 'temp'").fetchall()})
    name = data.draw(st.sampled_from(names))
    quoted = '"' + data.draw(st.sampled_from([name, name.upper(), name.title()])).replace('"', '""') + '"'
    kind = data.draw(st.sampled_from(["MACRO", "FUNCTION"]))
    body = data.draw(st.sampled_from(["(a) AS 42", "() AS 42", "(a, b) AS a", "() AS TABLE SELECT 42 AS x"]))
    with pytest.raises(ExplorerError):
        shared_sandbox.run(f"CREATE OR REPLACE TEMP {kind} {quoted}{body}")
    assert not shared_sandbox.session.rows("SELECT function_name FROM duckdb_functions() WHERE database_name = 'temp'")
    shared_sandbox.assert_untouched()


def test_nothing_runs_when_one_statement_is_refused(sandbox):
    with pytest.raises(RefusedStatement):
        sandbox.run("CREATE TEMP TABLE first_one AS SELECT 1; LOAD httpfs")
    with pytest.raises(QueryError, match="first_one"):
        sandbox.run("SELECT * FROM first_one")


def test_a_query_before_a_change_in_the_same_run_is_not_shown_as_its_result(sandbox):
    """Rows are read when fetched, after the whole run: a query followed by a change would show the changed rows."""
    assert sandbox.run("CREATE TEMP TABLE t AS SELECT 1 AS a; SELECT * FROM t; INSERT INTO t VALUES (2)") is None
    assert sandbox.run("SELECT count(*) FROM t").fetch(0, 1) == [(2,)]
    assert sandbox.run("INSERT INTO t VALUES (3); SELECT count(*) FROM t").fetch(0, 1) == [(3,)]


def test_a_refused_scratch_object_leaves_the_session_as_it_was(sandbox):
    sandbox.run("CREATE TEMP MACRO doubled(x) AS x * 2")
    with pytest.raises(RefusedStatement):
        sandbox.run("CREATE OR REPLACE TEMP MACRO sum(x) AS 0")
    with pytest.raises(RefusedStatement):
        sandbox.run("EXPLAIN ANALYZE CREATE TEMP VIEW events AS SELECT 1")
    assert sandbox.session.rows("SELECT doubled(21), sum(killed) > 0 FROM casualties") == [(42, True)]


def test_scratch_work_in_memory_is_allowed(sandbox):
    def run(sql):
        result = sandbox.run(sql)
        return None if result is None else result.fetch(0, 10)

    run("CREATE TEMP TABLE iranian AS SELECT * FROM casualties WHERE nationality = 'Iranian'")
    run("DELETE FROM iranian WHERE kind <> 'incident'")
    run("INSERT INTO iranian SELECT * FROM casualties WHERE casualty_id = 'CR001'")
    run("CREATE TEMP VIEW khan_tuman AS SELECT * FROM iranian WHERE occurrence_id LIKE 'khan-tuman%'")
    run("CREATE TEMP MACRO doubled(x) AS x * 2")
    run("CREATE TEMP SEQUENCE numbers")
    assert run("SELECT count(*) AS n, min(doubled(killed)) AS low FROM khan_tuman") == [(4, 26)]
    assert run("SELECT count(*) AS n FROM iranian") == [(15,)]  # 14 Iranian incident reports + CR001
    run("SET VARIABLE threshold = 13")
    assert run("SELECT count(*) FROM iranian WHERE killed >= getvariable('threshold')") == [(run("SELECT count(*) FROM iranian WHERE killed >= 13")[0][0],)]
    run("DROP VIEW khan_tuman; DROP TABLE iranian; DROP SEQUENCE numbers; RESET VARIABLE threshold")
    assert run("DROP MACRO doubled") is None


@pytest.mark.parametrize(
    "sql",
    ["DESCRIBE casualties", "SUMMARIZE events", "SHOW TABLES", "FROM actors LIMIT 3", "EXPLAIN SELECT * FROM events",
     "EXPLAIN ANALYZE SELECT count(*) FROM occurrences", "WITH x AS (SELECT 1 AS a) SELECT a FROM x", "VALUES (1), (2)",
     "PIVOT casualties ON kind IN ('incident', 'tally') USING count(*) GROUP BY nationality",
     "SELECT 'Khān Ṭūmān' AS place /* ünïcode */", "SELECT 1\u00a0AS\u2003spaced"],
)
def test_reading_statements_run(sandbox, sql):
    result = sandbox.run(sql)
    assert result is not None and result.row_count > 0


def test_errors_are_one_line_with_position_and_duckdbs_hints(sandbox):
    with pytest.raises(QueryError) as caught:
        sandbox.run("SELECT * FRM events")
    assert "\n" not in str(caught.value) and "LINE 1" in str(caught.value)
    with pytest.raises(QueryError, match='"nam" not found.* Candidate bindings: "name"'):
        sandbox.run("SELECT nam FROM actors")
    with pytest.raises(QueryError, match="Did you mean"):
        sandbox.run("SELECT * FROM casualtie")
