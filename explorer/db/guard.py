"""The read-only guard every user statement passes through (CLI `query`, the SQL pane).

Engine settings alone are not enough: with `allowed_directories` DuckDB still lets
`COPY ... TO` overwrite the data's own Parquet, and `DROP VIEW events` succeeds. So each
statement is parsed (DuckDB's `extract_statements`) and only these run:
- reading statements: SELECT (with DESCRIBE, SHOW, SUMMARIZE, FROM-first) and EXPLAIN of one;
- scratch work in memory: CREATE TEMP TABLE / VIEW / MACRO / SEQUENCE, DROP of such an
  object, and INSERT / UPDATE / DELETE (only temporary tables can be their target, since
  every non-temporary object is one of the data's views) — never under a view's name;
- SET VARIABLE.
Everything else (COPY, EXPORT, ATTACH, INSTALL/LOAD, SET, PRAGMA, CALL, ALTER, ...) is
refused with the reason. The connection itself (see catalog) cannot reach files outside the
data directory, cannot load extensions, and has its configuration locked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from explorer.db.errors import QueryError, RefusedStatement

T = duckdb.StatementType

_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_NAME = r'(?P<name>(?:(?:"[^"]+"|[A-Za-z_][\w$]*)\s*\.\s*){0,2}(?:"[^"]+"|[A-Za-z_][\w$]*))'
_CREATE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?P<temp>TEMP|TEMPORARY)\s+"
    r"(?P<what>TABLE|VIEW|MACRO|FUNCTION|SEQUENCE)\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME,
    re.IGNORECASE,
)
_CREATE_ANY = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?P<what>\w+)", re.IGNORECASE)
_DROP = re.compile(
    r"DROP\s+(?P<what>TABLE|VIEW|MACRO\s+TABLE|MACRO|FUNCTION|SEQUENCE)\s+(?:IF\s+EXISTS\s+)?" + _NAME,
    re.IGNORECASE,
)
_EXPLAIN = re.compile(r"EXPLAIN\s+(?:ANALY[SZ]E\s+|\([^)]*\)\s*)?", re.IGNORECASE)

SCRATCH_SCHEMAS = ("temp",)

REFUSAL_REASONS = {
    T.COPY: "COPY writes or reads files; export results from the app instead",
    T.COPY_DATABASE: "COPY DATABASE writes files",
    T.EXPORT: "EXPORT DATABASE writes files; export results from the app instead",
    T.ATTACH: "ATTACH opens other databases; only the data directory's views are available",
    T.DETACH: "DETACH changes the attached databases",
    T.LOAD: "installing or loading extensions is not allowed",
    T.EXTENSION: "installing or loading extensions is not allowed",
    T.SET: "engine settings are locked (set memory and threads with the CLI flags)",
    T.PRAGMA: "PRAGMA can change settings or write files; use DESCRIBE or SHOW TABLES to inspect",
    T.CALL: "CALL can run maintenance procedures; use SELECT * FROM function(...) for table functions",
    T.ALTER: "ALTER changes existing objects; create a new temporary table or view instead",
    T.VACUUM: "VACUUM changes storage",
    T.ANALYZE: "ANALYZE changes storage statistics",
    T.TRANSACTION: "transactions are managed by the app",
    T.PREPARE: "PREPARE is not available here; run the statement itself",
    T.EXECUTE: "EXECUTE is not available here; run the statement itself",
    T.MULTI: "this statement expands into several (PIVOT without IN lists); list the pivot values with ON col IN (...)",
    T.MERGE_INTO: "MERGE INTO is not available here; use INSERT, UPDATE or DELETE on a temporary table",
    T.CREATE_FUNC: "only CREATE TEMP MACRO is allowed",
}


def _strip_comments(text: str) -> str:
    return text[_COMMENTS.match(text).end():]


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1] if part.startswith('"') else part.lower()


def _split_name(name: str) -> list[str]:
    return [_unquote(part) for part in re.findall(r'"[^"]+"|[^.\s]+', name)]


@dataclass(frozen=True)
class Guard:
    """Checks statements against the data's protected view names."""

    protected_names: frozenset[str]

    def _check_name(self, name: str, action: str) -> None:
        parts = _split_name(name)
        if len(parts) > 1 and parts[0].lower() not in SCRATCH_SCHEMAS:
            raise RefusedStatement(f"{action} is only allowed in the temporary schema, not in '{parts[0]}'")
        if parts[-1].lower() in {protected.lower() for protected in self.protected_names}:
            raise RefusedStatement(f"'{parts[-1]}' is one of the data's views: it cannot be replaced, shadowed or dropped")

    def check(self, statement: duckdb.Statement) -> None:
        """Raise RefusedStatement, with the reason, unless the statement may run."""
        text = _strip_comments(statement.query).rstrip().rstrip(";")
        kind = statement.type
        if kind == T.SELECT or kind == T.VARIABLE_SET:
            return
        if kind == T.EXPLAIN:
            inner = text[_EXPLAIN.match(text).end():] if _EXPLAIN.match(text) else ""
            try:
                statements = duckdb.extract_statements(inner)
            except duckdb.Error:
                raise RefusedStatement("EXPLAIN is only allowed on a statement that can be read") from None
            for inner_statement in statements:
                self.check(inner_statement)
            return
        if kind == T.CREATE:
            match = _CREATE.match(text)
            if not match:
                words = _CREATE_ANY.match(text)
                what = words["what"].upper() if words else "this"
                needs_temp = what in ("TABLE", "VIEW", "MACRO", "FUNCTION", "SEQUENCE")
                raise RefusedStatement(
                    f"CREATE {what} {'without TEMP ' if needs_temp else ''}is not allowed: "
                    "only CREATE TEMP TABLE, VIEW, MACRO or SEQUENCE (scratch work in memory)"
                )
            self._check_name(match["name"], "CREATE")
            return
        if kind == T.DROP:
            match = _DROP.match(text)
            if not match:
                raise RefusedStatement("only DROP TABLE, VIEW, MACRO or SEQUENCE of your own temporary objects is allowed")
            self._check_name(match["name"], "DROP")
            return
        if kind in (T.INSERT, T.UPDATE, T.DELETE):
            return
        reason = REFUSAL_REASONS.get(kind, "this kind of statement is not allowed here")
        raise RefusedStatement(f"{kind.name.replace('_', ' ')} refused: {reason}")

    def parse(self, sql: str) -> list[duckdb.Statement]:
        """Split `sql` into statements and check every one before any runs."""
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as error:
            raise QueryError(one_line_error(error)) from None
        if not statements:
            raise QueryError("no SQL statement to run")
        for statement in statements:
            self.check(statement)
        return statements


def one_line_error(error: BaseException) -> str:
    """DuckDB's message on one line: the error, then where it points (LINE n: ...)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    message = lines[0]
    where = next((line for line in lines[1:] if line.startswith("LINE ")), None)
    return f"{message} ({where})" if where else message


def run_guarded(con: duckdb.DuckDBPyConnection, guard: Guard, sql: str) -> pa.Table | None:
    """Run every statement of `sql` through the guard; the rows of the last one that returns rows.

    Nothing runs unless every statement passes the guard."""
    statements = guard.parse(sql)
    result = None
    try:
        for statement in statements:
            if statement.type in (T.SELECT, T.EXPLAIN):
                result = con.sql(statement.query).to_arrow_table()
            else:
                con.execute(statement.query).fetchall()
    except duckdb.InterruptException:
        raise QueryError("query cancelled") from None
    except duckdb.Error as error:
        raise QueryError(one_line_error(error)) from None
    return result
