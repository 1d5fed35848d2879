"""The SQL editor's text as statements: the one under the cursor, where a recalled query goes, and
the filter bar's slice written into a statement (ctrl+t).

The filter is written in the way that fits the statement: as a WHERE clause when the statement
reads one of the data's tables straight from its FROM clause, else by reading the `filtered_*`
views instead of the tables. Statements are read with DuckDB's own tokenizer and binder (see
guard), and a rewrite is kept only if DuckDB reads it as the same statement over the filtered rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import duckdb

from explorer.db.errors import ExplorerError
from explorer.db.filters import Filters
from explorer.db.guard import Token, one_line_error, tokens
from explorer.db.sql_session import FILTERED_TABLES, predicate_text, statement_code

CLAUSES_AFTER_WHERE = frozenset(
    {"GROUP", "HAVING", "WINDOW", "QUALIFY", "ORDER", "LIMIT", "OFFSET", "USING", "UNION", "INTERSECT", "EXCEPT"}
)
"""Keywords that end a FROM or WHERE clause at the top level of a SELECT."""
FROM_LIST_ENDS = CLAUSES_AFTER_WHERE | {"WHERE", "SELECT", "ON", "RETURNING", "SET", "VALUES"}
"""Keywords after which a comma no longer separates tables."""
CONDITION_INDENT = 6
"""Where a WHERE clause's conditions start: after `WHERE ` (and `  AND `)."""
LINE_WIDTH = 100
"""A list of values longer than this is wrapped over lines."""
MOST_LISTED = 40
"""A condition that lists more values than this (an unknown nationality is 'none of every country') is
not written out: the statement reads the filtered_* view instead."""


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each `;`-separated statement, ignoring `;` in strings, identifiers and comments."""
    spans, start, index, length = [], 0, 0, len(text)
    while index < length:
        char = text[index]
        if char in "'\"":
            closing = text.find(char, index + 1)
            while closing != -1 and closing + 1 < length and text[closing + 1] == char:
                closing = text.find(char, closing + 2)
            index = length if closing == -1 else closing + 1
            continue
        if text.startswith("--", index):
            newline = text.find("\n", index)
            index = length if newline == -1 else newline + 1
            continue
        if text.startswith("/*", index):
            closing = text.find("*/", index + 2)
            index = length if closing == -1 else closing + 2
            continue
        if char == ";":
            spans.append((start, index + 1))
            start = index + 1
        index += 1
    spans.append((start, length))
    return [(a, b) for a, b in spans if text[a:b].strip(" \t\r\n;")]


def span_at(text: str, offset: int) -> tuple[int, int] | None:
    """The span of the statement the cursor at `offset` is in (or just after); None when there is none."""
    spans = statement_spans(text)
    return next((span for span in spans if offset <= span[1]), spans[-1] if spans else None)


def statement_at(text: str, offset: int) -> str:
    """The statement the cursor at `offset` is in (or just after), without surrounding blank lines."""
    span = span_at(text, offset)
    return text[span[0] : span[1]].strip() if span else ""


# --- a recalled query ------------------------------------------------------------------


def insertion_point(text: str, offset: int) -> int:
    """Where a whole statement can go near the cursor without splitting one: after the statement the
    cursor is in when that ends with `;`, else before it (on its line); at the cursor between statements."""
    for start, end in statement_spans(text):
        content_start = start + len(text[start:end]) - len(text[start:end].lstrip())
        if text[end - 1] == ";":
            if content_start <= offset <= end:
                return end
        elif offset >= content_start:  # the last statement, not terminated: it runs to the end of the text
            line_start = text.rfind("\n", 0, content_start) + 1
            return content_start if text[line_start:content_start].strip() else line_start
    return offset


def as_new_statement(text: str, point: int, sql: str) -> str:
    """`sql` as the text to insert at `point`: on lines of its own and ending with `;`."""
    before = "\n" if point > 0 and text[point - 1] != "\n" else ""
    after = "" if text[point : point + 1] == "\n" else "\n"
    return f"{before}{sql.strip().rstrip(';').rstrip()};{after}"


# --- the filter bar's slice as SQL -------------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """Replace text[start:end] with `text`; `note` says what was done."""

    start: int
    end: int
    text: str
    note: str


def with_filter(text: str, offset: int, filters: Filters) -> Rewrite:
    """The statement under the cursor, rewritten to read only the rows the filter bar selects, and terminated.

    Raises ExplorerError, saying what to do instead, when there is nothing to rewrite."""
    span = span_at(text, offset)
    body = text[span[0] : span[1]] if span else ""
    lead, rest = body[: len(body) - len(body.lstrip())], body.lstrip()
    code = statement_code(rest)
    if not code:
        raise ExplorerError("no statement here: put the cursor in one that reads events, actors, casualties or forces")
    comment = _without_semicolons(rest[len(code) :]).rstrip()  # a comment after the statement stays, behind the `;`
    tail = "" if body.rstrip().endswith(";") else body[len(body.rstrip()) :]
    read = _tables_read(code)
    tables = [table for table in FILTERED_TABLES if table in read]
    if not tables:
        views = sorted(name for name in read if name.removeprefix("filtered_") in FILTERED_TABLES)
        if views:
            raise ExplorerError(f"this statement reads {', '.join(views)}, which already follow the filter bar")
        raise ExplorerError("this statement reads none of events, actors, casualties, forces: nothing to filter")
    predicates = {table: predicate_text(filters, table) for table in tables}
    if all(predicate == "TRUE" for predicate in predicates.values()):
        raise ExplorerError(f"the filter bar does not narrow {' or '.join(tables)}: nothing to add")
    if read == {tables[0]} and (rewritten := _with_where(code, tables[0], predicates[tables[0]])):
        note = f"the filter bar's slice of {tables[0]}, as a WHERE clause"
    elif rewritten := _with_filtered_views(code, read, tables):
        note = ", ".join(f"{table} → filtered_{table}" for table in tables) + ", which follow the filter bar"
    else:
        views = " and ".join(f"filtered_{table}" for table in tables)
        raise ExplorerError(f"no WHERE clause fits this statement: read {views} instead, which follow the filter bar")
    return Rewrite(span[0], span[1], f"{lead}{rewritten};{comment}{tail}", note)


def _without_semicolons(text: str) -> str:
    """Comments and spaces after a statement, without its `;` (a `;` in a comment is kept)."""
    raw = text.encode("utf-8")
    cuts = [edge for token in tokens(text) if token.text == ";" for edge in (token.offset, _end(token))]
    bounds = [0, *cuts, len(raw)]
    return b"".join(raw[a:b] for a, b in zip(bounds[::2], bounds[1::2])).decode("utf-8")


def _tables_read(statement: str) -> set[str]:
    """The tables and views the statement reads, as DuckDB's parser finds them."""
    try:
        return {name.lower() for name in duckdb.get_table_names(statement)}
    except duckdb.Error as error:
        raise ExplorerError(f"this statement cannot be read: {one_line_error(error)}") from None


def _reads(rewritten: str, expected: set[str]) -> bool:
    """Whether DuckDB reads the rewritten statement, and finds in it exactly the `expected` tables."""
    try:
        return _tables_read(rewritten) == expected
    except ExplorerError:
        return False


def _name(token: Token) -> str:
    """An identifier as DuckDB binds it: unquoted, and without case unless quoted."""
    if token.text.startswith('"') and token.text.endswith('"') and len(token.text) > 1:
        return token.text[1:-1].replace('""', '"')
    return token.text.lower()


def _depths(found: list[Token]) -> list[int]:
    """Each token's depth in parentheses, brackets and braces: 0 at the top level, and a bracket
    has the depth of what encloses it."""
    depth, result = 0, []
    for token in found:
        is_operator = token.kind == "operator"
        depth -= sum(token.text.count(c) for c in ")]}") if is_operator else 0
        result.append(depth)
        depth += sum(token.text.count(c) for c in "([{") if is_operator else 0
    return result


def _end(token: Token) -> int:
    """Where the token ends, in bytes of the UTF-8 text (as its offset counts)."""
    return token.offset + len(token.text.encode("utf-8"))


def _with_where(statement: str, table: str, predicate: str) -> str | None:
    """The statement with the predicate in its top-level WHERE clause, if it reads `table` alone in its
    top-level FROM (no join); None for any other shape."""
    raw = statement.encode("utf-8")
    found = tokens(statement)
    depths = _depths(found)
    top = [index for index, depth in enumerate(depths) if depth == 0]
    froms = [index for index in top if found[index].word == "FROM"]
    if len(froms) != 1 or any(found[index].word in ("UNION", "INTERSECT", "EXCEPT") for index in top):
        return None
    index = froms[0] + 1
    if index + 2 < len(found) and found[index + 1].text == "." and found[index + 2].kind == "identifier":
        index += 2  # main.events
    if index >= len(found) or found[index].kind != "identifier" or _name(found[index]) != table:
        return None
    index += 1
    alias = None
    if index < len(found) and found[index].word == "AS":
        index += 1
    if index < len(found) and found[index].kind == "identifier":
        alias = found[index].text
        index += 1
    if index < len(found) and found[index].word not in CLAUSES_AFTER_WHERE | {"WHERE"}:
        return None  # a join, a sample, a FROM-first SELECT ...
    if any(len(values) > MOST_LISTED for _, _, values in _value_lists(predicate)):
        return None
    lines = [_layout(condition, CONDITION_INDENT) for condition in _conjuncts(_qualified(predicate, table, alias))]
    head = raw[: found[index].offset if index < len(found) else len(raw)]
    rest, comment = index, b""  # the clauses after WHERE start at found[rest]; a comment may end the statement's own condition
    if index < len(found) and found[index].word == "WHERE":
        rest = next((i for i in top if i > index and found[i].word in CLAUSES_AFTER_WHERE), len(found))
        condition_end = _end(found[rest - 1])
        existing = raw[_end(found[index]) : condition_end].decode("utf-8").strip()
        lines.insert(0, f"({existing})" if _split(existing, "OR")[1:] else existing)
        comment = raw[condition_end : found[rest].offset if rest < len(found) else len(raw)]
    tail = raw[found[rest].offset :] if rest < len(found) else b""
    where = "WHERE " + "\n  AND ".join(lines) + comment.decode("utf-8").rstrip()
    rewritten = "\n".join(part for part in (head.decode("utf-8").rstrip(), where, tail.decode("utf-8")) if part)
    return rewritten if _reads(rewritten, _tables_read(statement) | _tables_read(f"SELECT {predicate}")) else None


def _with_filtered_views(statement: str, read: set[str], tables: list[str]) -> str | None:
    """The statement reading filtered_<table> wherever its FROM and JOIN clauses read one of `tables`;
    None unless DuckDB then reads exactly those views in place of the tables."""
    raw = statement.encode("utf-8")
    found = tokens(statement)
    depths = _depths(found)
    qualifiers = {_name(token) for token, following in pairwise(found) if token.kind == "identifier" and following.text == "."}
    in_from: dict[int, bool] = {}
    pieces, copied = [], 0
    for index, token in enumerate(found):
        depth = depths[index]
        if token.word in ("FROM", "JOIN"):
            in_from[depth] = True
            continue
        if token.word in FROM_LIST_ENDS:
            in_from[depth] = False
        previous = found[index - 1] if index else None
        starts_table = previous is not None and depths[index - 1] == depth and (
            previous.word in ("FROM", "JOIN") or (previous.text == "," and in_from.get(depth, False)))
        if not starts_table or token.kind != "identifier":
            continue
        last = index + 2 if index + 2 < len(found) and found[index + 1].text == "." else index
        following = found[last + 1] if last + 1 < len(found) else None
        if _name(found[last]) not in tables or (following is not None and following.text.startswith("(")):
            continue
        named = following is not None and (following.word == "AS" or following.kind == "identifier")
        table = _name(found[last])
        view = f"filtered_{table}" if named or table not in qualifiers else f"filtered_{table} AS {table}"  # events.title still binds
        pieces += [raw[copied : token.offset], view.encode("utf-8")]
        copied = _end(found[last])
    rewritten = (b"".join(pieces) + raw[copied:]).decode("utf-8")
    expected = (read - set(tables)) | {f"filtered_{table}" for table in tables}
    return rewritten if pieces and _reads(rewritten, expected) else None


def _qualified(predicate: str, table: str, alias: str | None) -> str:
    """The predicate with `table.` written as `alias.` (the forces predicate names its table)."""
    if alias is None:
        return predicate
    raw = predicate.encode("utf-8")
    found = tokens(predicate)
    pieces, copied = [], 0
    for index, token in enumerate(found[:-1]):
        if token.kind == "identifier" and _name(token) == table and found[index + 1].text == ".":
            pieces += [raw[copied : token.offset], alias.encode("utf-8")]
            copied = _end(token)
    return (b"".join(pieces) + raw[copied:]).decode("utf-8")


def _split(condition: str, word: str) -> list[str]:
    """The condition's operands of its top-level `word` (AND or OR), as text."""
    raw = condition.encode("utf-8")
    found = tokens(condition)
    depths = _depths(found)
    cuts = [found[index] for index, depth in enumerate(depths) if depth == 0 and found[index].word == word]
    bounds = [0, *(edge for token in cuts for edge in (token.offset, _end(token))), len(raw)]
    return [raw[a:b].decode("utf-8").strip() for a, b in zip(bounds[::2], bounds[1::2])]


def _unwrapped(condition: str) -> str:
    """The condition without parentheses that enclose all of it."""
    while condition.startswith("(") and condition.endswith(")"):
        depths = _depths(tokens(condition))
        if len(depths) < 3 or min(depths[1:-1]) < 1:
            break
        condition = condition[1:-1].strip()
    return condition


def _conjuncts(condition: str) -> list[str]:
    """The conditions that must all hold, nested ANDs flattened."""
    operands = _split(_unwrapped(condition), "AND")
    if len(operands) == 1:
        return [condition.strip()]
    return [part for operand in operands
            for part in (_conjuncts(operand) if len(_split(_unwrapped(operand), "OR")) == 1 else [operand])]


def _layout(condition: str, column: int) -> str:
    """The condition written from `column` on, each operand of an AND or OR on a line of its own."""
    inner = _unwrapped(condition)
    alternatives = _split(inner, "OR")
    if len(alternatives) > 1:
        joiner = "\n" + " " * (column + 1) + "OR "
        return "(" + _layout(alternatives[0], column + 1) + "".join(joiner + _layout(a, column + 4) for a in alternatives[1:]) + ")"
    required = _conjuncts(inner)
    if len(required) > 1:
        joiner = "\n" + " " * column + "AND "
        return _layout(required[0], column) + "".join(joiner + _layout(part, column + 4) for part in required[1:])
    return _wrapped_lists(inner, column)


def _value_lists(condition: str) -> list[tuple[int, int, list[str]]]:
    """Each list of constants written in the condition: its start and end (bytes) and its values."""
    found = tokens(condition)
    lists = []
    for index, token in enumerate(found):
        if token.text != "[":
            continue
        values, position = [], index + 1
        while position < len(found) and found[position].kind in ("string_const", "numeric_const"):
            values.append(found[position].text)
            position += 2 if position + 1 < len(found) and found[position + 1].text == "," else 1
        if values and position < len(found) and found[position].text == "]" and found[position - 1].text != ",":
            lists.append((token.offset, _end(found[position]), values))
    return lists


def _wrapped_lists(condition: str, column: int) -> str:
    """The condition (on one line, from `column`) with its lists of values wrapped at LINE_WIDTH."""
    if column + len(condition) <= LINE_WIDTH:
        return condition
    raw = condition.encode("utf-8")
    pieces, copied = [], 0
    for start, end, values in _value_lists(condition):
        bracket = column + len(raw[:start].decode("utf-8"))
        opening = "["
        if bracket > LINE_WIDTH // 2:  # far to the right: the list starts on a line of its own
            bracket = column + 4
            opening = "\n" + " " * bracket + "["
        indent = " " * (bracket + 1)
        lines, line = [], ""
        for value in values:
            if line and len(indent) + len(line) + len(value) + 2 > LINE_WIDTH:
                lines.append(line.rstrip())
                line = ""
            line += value + ", "
        lines.append(line.removesuffix(", "))
        pieces += [raw[copied:start], (opening + f"\n{indent}".join(lines) + "]").encode("utf-8")]
        copied = end
    return (b"".join(pieces) + raw[copied:]).decode("utf-8")
