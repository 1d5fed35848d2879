"""The statement checker every user statement passes first (CLI `query`, the SQL pane).

It is not what keeps the data safe: the engine cannot write anywhere (see catalog), and a
session's scratch objects are checked after each statement (see sql_session). It is there to
refuse early, before anything runs, and to say why in words an analyst understands.

It reads the text the way DuckDB does, with DuckDB's own parser (`extract_statements`, each
statement's type) and tokenizer (`tokenize`: comments, strings, quoted names, keywords), never
with patterns of its own, so comments, line endings and unusual spaces cannot hide a statement.
Allowed:
- reading statements: SELECT, FROM-first, DESCRIBE, SHOW, SUMMARIZE, VALUES, and EXPLAIN
  (or EXPLAIN ANALYZE, which runs its statement) of an allowed statement;
- scratch work in memory: CREATE TEMP TABLE / VIEW / MACRO / FUNCTION / SEQUENCE, DROP of
  such an object, INSERT / UPDATE / DELETE / TRUNCATE (the engine lets them touch only
  temporary tables);
- SET VARIABLE and RESET VARIABLE (a session's own variables: nothing of the data reads them).
Everything else is refused, named by its own leading words (IMPORT DATABASE, ANALYZE, USE,
UPDATE EXTENSIONS, ...), including statement types the Python client has no name for.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from explorer.db.errors import QueryError, RefusedStatement

T = duckdb.StatementType

SCRATCH_OBJECTS = ("TABLE", "VIEW", "MACRO", "FUNCTION", "SEQUENCE")
TEMPORARY = ("TEMP", "TEMPORARY")

NAMED_HEADS = (
    ("COPY", "FROM", "DATABASE"), ("IMPORT", "DATABASE"), ("EXPORT", "DATABASE"), ("UPDATE", "EXTENSIONS"),
    ("FORCE", "INSTALL"), ("FORCE", "CHECKPOINT"), ("COMMENT", "ON"), ("SET", "VARIABLE"), ("RESET", "VARIABLE"),
    ("CREATE", "OR", "REPLACE"), ("START", "TRANSACTION"),
)
"""Statements whose name is more than their first word."""

REFUSAL_REASONS = {
    "COPY": "it writes or reads files; export a result from the SQL pane (ctrl+o) instead",
    "COPY FROM DATABASE": "it copies a database",
    "EXPORT DATABASE": "it writes files; export a result from the SQL pane (ctrl+o) instead",
    "IMPORT DATABASE": "it reads files into the database; the data is the data directory's",
    "ATTACH": "only the data directory's tables are available",
    "DETACH": "only the data directory's tables are available",
    "USE": "the data is the only database here",
    "INSTALL": "extensions cannot be installed or loaded",
    "FORCE INSTALL": "extensions cannot be installed or loaded",
    "LOAD": "extensions cannot be installed or loaded",
    "UPDATE EXTENSIONS": "extensions cannot be installed, loaded or updated",
    "SET": "engine settings are locked (set memory and threads with the CLI flags); SET VARIABLE is allowed",
    "RESET": "engine settings are locked (set memory and threads with the CLI flags); RESET VARIABLE is allowed",
    "PRAGMA": "it can change settings or write files; use DESCRIBE or SHOW TABLES to inspect",
    "CALL": "it can run maintenance procedures; use SELECT * FROM function(...) for table functions",
    "CHECKPOINT": "the data is read-only",
    "FORCE CHECKPOINT": "the data is read-only",
    "VACUUM": "the data is read-only",
    "ANALYZE": "the data is read-only",
    "ALTER": "it changes existing objects; create a new temporary table or view instead",
    "COMMENT ON": "it changes existing objects",
    "BEGIN": "transactions are managed by the app",
    "START TRANSACTION": "transactions are managed by the app",
    "COMMIT": "transactions are managed by the app",
    "END": "transactions are managed by the app",
    "ROLLBACK": "transactions are managed by the app",
    "ABORT": "transactions are managed by the app",
    "PREPARE": "prepared statements are not available here; run the statement itself",
    "EXECUTE": "prepared statements are not available here; run the statement itself",
    "DEALLOCATE": "prepared statements are not available here; run the statement itself",
    "PIVOT": "without IN lists it expands into several statements; list the pivot values with ON col IN (...)",
    "MERGE": "use INSERT, UPDATE or DELETE on a temporary table instead",
}
ONLY_SCRATCH = "only CREATE TEMP TABLE, VIEW, MACRO or SEQUENCE is allowed (scratch work in memory)"


@dataclass(frozen=True)
class Token:
    kind: str
    """DuckDB's token type: keyword, identifier, string_const, numeric_const, operator (comments are left out)."""
    text: str
    offset: int
    """Where the token starts, in bytes of the statement's UTF-8 text (as DuckDB counts)."""

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "keyword" else ""


def tokens(text: str) -> list[Token]:
    """The statement's tokens as DuckDB's tokenizer reads them, comments left out."""
    raw = text.encode("utf-8")
    try:
        found = duckdb.tokenize(text)
    except (duckdb.Error, RuntimeError, ValueError):
        raise RefusedStatement("this statement cannot be read: check its quotes and comments") from None
    result = []
    for index, (offset, kind) in enumerate(found):
        end = found[index + 1][0] if index + 1 < len(found) else len(raw)
        kind_name = getattr(kind, "name", str(kind)).lower()
        if kind_name != "comment":
            result.append(Token(kind_name, raw[offset:end].decode("utf-8", errors="replace").strip(), offset))
    return result


def statement_name(words: list[str]) -> str:
    """The statement's name from its leading keywords: 'IMPORT DATABASE', 'USE', 'CREATE TEMP MACRO'."""
    if not words:
        return "this statement"
    for head in NAMED_HEADS:
        if tuple(words[: len(head)]) == head:
            return " ".join(head)
    return words[0]


def _leading_words(found: list[Token]) -> list[str]:
    words = []
    for token in found:
        if token.kind != "keyword":
            break
        words.append(token.word)
    return words


def statement_type(statement: duckdb.Statement) -> T | None:
    """The statement's type, or None for one the Python client has no name for (UPDATE EXTENSIONS)."""
    try:
        return statement.type
    except ValueError:
        return None


def _refuse(name: str, reason: str | None = None) -> RefusedStatement:
    return RefusedStatement(f"{name} refused: {reason or REFUSAL_REASONS.get(name, 'this kind of statement is not allowed here')}")


def _explained(found: list[Token], query: str) -> str:
    """The statement an EXPLAIN reads: after EXPLAIN, ANALYZE and a parenthesised list of options."""
    index = 1
    if index < len(found) and found[index].word in ("ANALYZE", "ANALYSE"):
        index += 1
    if index < len(found) and found[index].kind == "operator" and found[index].text.startswith("("):
        depth = 0
        while index < len(found):
            if found[index].kind == "operator":  # a parenthesis in a string or a name is not one
                depth += found[index].text.count("(") - found[index].text.count(")")
            index += 1
            if depth <= 0:
                break
    if index >= len(found):
        raise RefusedStatement("EXPLAIN needs a statement to explain")
    return query.encode("utf-8")[found[index].offset:].decode("utf-8")


OBJECT_KINDS = (*SCRATCH_OBJECTS, "SECRET", "SCHEMA", "INDEX", "TYPE")


def _check_create(words: list[str]) -> None:
    rest = words[1:]
    if rest[:2] == ["OR", "REPLACE"]:
        rest = rest[2:]
    if rest[:1] in (["LOCAL"], ["GLOBAL"]):
        rest = rest[1:]
    temporary = rest[:1] in (["TEMP"], ["TEMPORARY"])
    what = next((word for word in rest[:3] if word in OBJECT_KINDS), None)
    if temporary and what in SCRATCH_OBJECTS:
        return
    if what in SCRATCH_OBJECTS:
        raise RefusedStatement(f"CREATE {what} without TEMP is not allowed: {ONLY_SCRATCH}")
    shown = " ".join(rest[: rest.index(what) + 1] if what else rest[:1]) or "this"
    raise RefusedStatement(f"CREATE {shown} is not allowed: {ONLY_SCRATCH}")


def _check_drop(words: list[str]) -> None:
    what = words[1] if len(words) > 1 else "this"
    if what not in SCRATCH_OBJECTS:
        raise RefusedStatement(f"DROP {what} is not allowed: only DROP TABLE, VIEW, MACRO or SEQUENCE of your own temporary objects")


def check_statement(statement: duckdb.Statement) -> None:
    """Raise RefusedStatement, with the reason, unless the statement may run."""
    found = tokens(statement.query)
    words = _leading_words(found)
    name = statement_name(words)
    kind = statement_type(statement)
    if kind == T.SELECT or kind in (T.INSERT, T.UPDATE, T.DELETE):
        return
    if kind == T.EXPLAIN and name == "EXPLAIN":
        inner = _explained(found, statement.query)
        try:
            explained = duckdb.extract_statements(inner)
        except duckdb.Error as error:
            raise QueryError(one_line_error(error)) from None
        if len(explained) != 1:
            raise RefusedStatement("EXPLAIN explains one statement at a time")
        check_statement(explained[0])
        return
    if kind == T.CREATE and name in ("CREATE", "CREATE OR REPLACE"):
        _check_create(words)
        return
    if kind == T.DROP and name == "DROP":
        _check_drop(words)
        return
    if kind == T.SET and name in ("SET VARIABLE", "RESET VARIABLE"):
        return
    raise _refuse("PIVOT" if kind == T.MULTI else name)


def parse_statements(sql: str) -> list[duckdb.Statement]:
    """Split `sql` into statements and check every one before any runs."""
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("the statement holds a character that is not valid text (a lone surrogate): type it again") from None
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(one_line_error(error)) from None
    statements = [statement for statement in statements if tokens(statement.query)]
    if not statements:
        raise QueryError("no SQL statement to run")
    for statement in statements:
        check_statement(statement)
    return statements


HINT_STARTS = ("Did you mean", "Candidate bindings", "Candidate functions", "HINT")
FILES_HINT = "files cannot be read or written from SQL here: query the views events, actors, casualties, forces, occurrences"


def one_line_error(error: BaseException) -> str:
    """DuckDB's message on one line: the error, its hints (Did you mean, candidates), then where it points."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    message = lines[0]
    if isinstance(error, duckdb.PermissionException) and "disabled by configuration" in message:
        return f"{message.split(' - ')[0]}: {FILES_HINT}"
    if "attached in read-only mode" in message:
        kind = message.split('"')[1] if message.count('"') >= 2 else ""
        doing = f"{kind} works" if kind in ("INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER") else "changes work"
        return f"the data is read-only: {doing} only on your own temporary tables, views and macros"
    hints = [line for line in lines[1:] if line.startswith(HINT_STARTS)]
    where = next((line for line in lines[1:] if line.startswith("LINE ")), None)
    return " ".join([message, *hints]) + (f" ({where})" if where else "")
