"""A pane table's rows read from DuckDB a page at a time, in any column's order, and found by text.

Every order is total: the sort column (empty values last), then a key unique to each row. A page
next to one already read starts from that page's edge row (keyset paging: the scan skips what lies
before it); a page nearer the end is read from the end in the reverse order. Finding a row by text
and placing a known row both answer a position: how many rows come before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta


from explorer.db.filters import Predicate, holds_word, text_words
from explorer.engine import Cursor

SORT_VALUE = "__sort_value"
SEARCH_SPANS = (31, 92, 183, 366, 731, 1461)
"""Days of the successive spans a search from a dated row reads before the rest (see `RowQuery.find`)."""
ROW_KEY = "__row_key"


@dataclass(frozen=True)
class Order:
    """Rows by `column` (ascending unless `reverse`), empty values last, then by the row key."""

    column: str
    reverse: bool = False


@dataclass(frozen=True)
class Anchor:
    """A row already read, by its sort value and key: a page can start right after (or end right before) it."""

    sort_value: object
    key: object


search_terms = text_words


@dataclass(frozen=True)
class Narrowing:
    """What an index says of a search's words: `predicate` keeps every row that can hold them all, and
    each such row has one of `values` in `column` (e.g. the dates whose events' words hold them)."""

    predicate: Predicate
    column: str
    values: frozenset


@dataclass(frozen=True)
class RowQuery:
    """The rows a table shows: `sql` selects them, `key` is unique per row, and `decorate` (a SELECT
    over `{rows}`, keeping their columns) adds what a page shows beside them, such as actors' names:
    the rows are ordered and cut to a page first, so the scan can stop early."""

    sql: str
    params: tuple
    key: str
    default: Order
    decorate: str = "{rows}"
    sort_by: dict[str, str] = field(default_factory=dict, compare=False)
    """The expression a shown column sorts by, where it is not a column of `sql` (e.g. names → ids)."""
    text_columns: tuple[str, ...] = ()
    """Columns (SQL expressions over the rows) that a search looks into."""
    text_extra: Callable[[Cursor, str], Predicate] | None = field(default=None, compare=False)
    """More ways one word can match, e.g. an actor whose full name holds it (given a connection and the word)."""
    case_blind: frozenset[str] = frozenset()
    """Text columns, sorted regardless of case."""
    lowered: frozenset[str] = frozenset()
    """Text columns held in lower case already (a search needs not lower them)."""
    narrow: Callable[[Cursor, Sequence[str]], Narrowing] | None = field(default=None, compare=False)
    """Given a connection and the words, a cheap test that keeps every row holding them all and skips many
    others, e.g. the dates an index says can hold them: a search tests it before the text."""

    def _sort_expression(self, order: Order) -> str:
        if order.column in self.sort_by:
            return self.sort_by[order.column]
        column = _quoted(order.column)
        return f"lower({column})" if order.column in self.case_blind else column

    def _ordered(self, order: Order, backwards: bool = False) -> str:
        """ORDER BY of `order`, or of its exact reverse."""
        descending = order.reverse != backwards
        nulls = "FIRST" if backwards else "LAST"
        return f"{SORT_VALUE} {'DESC' if descending else 'ASC'} NULLS {nulls}, {ROW_KEY} {'DESC' if backwards else 'ASC'}"

    def _rows(self, order: Order) -> str:
        return f"SELECT *, {self._sort_expression(order)} AS {SORT_VALUE}, {self.key} AS {ROW_KEY} FROM ({self.sql})"

    def _beyond(self, order: Order, anchor: Anchor, after: bool, inclusive: bool = False) -> Predicate:
        """Rows strictly after (or before) `anchor` in `order`; `inclusive`: the anchor's row too."""
        value, key = SORT_VALUE, ROW_KEY
        further = ">" if after != order.reverse else "<"
        key_side = (">" if after else "<") + ("=" if inclusive else "")
        if anchor.sort_value is None:  # empty values come last
            if after:
                return Predicate(f"{value} IS NULL AND {key} {key_side} ?", (anchor.key,))
            return Predicate(f"{value} IS NOT NULL OR {key} {key_side} ?", (anchor.key,))
        ordered = f"({value} {further} ? OR ({value} = ? AND {key} {key_side} ?))"
        params = (anchor.sort_value, anchor.sort_value, anchor.key)
        if after:
            return Predicate(f"{value} IS NULL OR {ordered}", params)
        return Predicate(f"{value} IS NOT NULL AND {ordered}", params)

    def all_rows(self, order: Order) -> str:
        """Every row, decorated, in `order` (with `params`): what an export of the table streams."""
        return f"SELECT * FROM ({self.decorate.format(rows=self._rows(order))}) ORDER BY {self._ordered(order)}"

    def sortable(self, con: Cursor) -> list[str]:
        """The columns the rows can be ordered by."""
        columns = con.execute(f"SELECT * FROM ({self.sql}) LIMIT 0", list(self.params)).to_arrow_table().column_names
        return [*columns, *(name for name in self.sort_by if name not in columns)]

    # --- reading ---------------------------------------------------------------------------

    def page(
        self, con: Cursor, order: Order, start: int, count: int, total: int,
        after: Anchor | None = None, before: Anchor | None = None, near: tuple[int, Anchor] | None = None,
    ) -> list[dict]:
        """Rows `start` to `start + count` in `order`. `after` (the row at `start - 1`) or `before` (the row
        at `start + count`) lets the scan start from a known row, and so does `near` (a row's position and
        anchor, e.g. a search's match) when it is nearer than either end; failing those, a page in the
        second half is read backwards from the end."""
        count = max(0, min(count, total - start))
        if count == 0:
            return []
        rows = self._rows(order)
        reads = self._key_reads(order, start, count, total, after, before, near)
        # First the page's sort values and keys (two narrow columns), then its rows: their span of sort values
        # lets the scan skip the row groups outside it (one query of every column took 4-10x as long at 10M).
        keys = []
        for beyond, limit, offset, backwards in reads:
            keys += con.execute(
                f"SELECT {SORT_VALUE}, {ROW_KEY} FROM ({rows}) WHERE {beyond.sql} "
                f"ORDER BY {self._ordered(order, backwards)} LIMIT {limit} OFFSET {offset}",
                list(self.params) + list(beyond.params),
            ).fetchall()
        if not keys:
            return []
        values = [value for value, _ in keys if value is not None]
        span = ([f"{SORT_VALUE} BETWEEN ? AND ?"] if values else []) + ([f"{SORT_VALUE} IS NULL"] if len(values) < len(keys) else [])
        chosen = Predicate(f"({' OR '.join(span)}) AND list_contains(?, {ROW_KEY})",
                           ((min(values), max(values)) if values else ()) + ([key for _, key in keys],))
        page = f"SELECT * FROM ({rows}) WHERE {chosen.sql}"
        sql = f"SELECT * FROM ({self.decorate.format(rows=page)}) ORDER BY {self._ordered(order)}"
        return con.execute(sql, list(self.params) + list(chosen.params)).to_arrow_table().to_pylist()

    def _key_reads(
        self, order: Order, start: int, count: int, total: int,
        after: Anchor | None, before: Anchor | None, near: tuple[int, Anchor] | None,
    ) -> list[tuple[Predicate, int, int, bool]]:
        """How to read the keys of rows `start` to `start + count`: (rows beyond, limit, offset, backwards)
        reads whose rows together are the page's. An OFFSET makes DuckDB keep that many rows in a heap;
        a known row's sort value lets it skip the row groups before it instead."""
        if after is not None:
            return [(self._beyond(order, after, after=True), count, 0, False)]
        if before is not None:
            return [(self._beyond(order, before, after=False), count, 0, True)]
        from_end = total - start - count
        if near is not None and abs(start - near[0]) < min(start, from_end):
            position, anchor = near
            if start > position:  # the page begins after the known row: read on from it
                return [(self._beyond(order, anchor, after=True), count, start - position - 1, False)]
            if start + count <= position:  # it ends before the known row: read back from it
                return [(self._beyond(order, anchor, after=False), count, position - start - count, True)]
            reads = [(self._beyond(order, anchor, after=True, inclusive=True), start + count - position, 0, False)]
            if position > start:  # the rows before the known row, read back from it
                reads.append((self._beyond(order, anchor, after=False), position - start, 0, True))
            return reads
        if from_end < start:  # nearer the end: read from there
            return [(Predicate(), count, from_end, True)]
        return [(Predicate(), count, start, False)]

    def position(self, con: Cursor, order: Order, anchor: Anchor) -> int:
        """How many rows come before `anchor` in `order`."""
        before = self._beyond(order, anchor, after=False)
        return con.execute(f"SELECT count(*) FROM ({self._rows(order)}) WHERE {before.sql}",
                           list(self.params) + list(before.params)).fetchall()[0][0]

    def anchor_of(self, con: Cursor, order: Order, key: object) -> Anchor | None:
        """The row with `key`, if the rows hold it."""
        found = con.execute(f"SELECT {SORT_VALUE}, {ROW_KEY} FROM ({self._rows(order)}) WHERE {ROW_KEY} = ? LIMIT 1",
                            list(self.params) + [key]).fetchall()
        return Anchor(*found[0]) if found else None

    def place(self, con: Cursor, order: Order, key: object, total: int, page_rows: int) -> tuple[int, Anchor, list[dict]] | None:
        """The row with `key`, if the rows hold it: its position, its anchor and its page (of `page_rows`
        rows, read from it), in one call off the UI thread instead of a round trip for each."""
        anchor = self.anchor_of(con, order, key)
        if anchor is None:
            return None
        position = self.position(con, order, anchor)
        start = position // page_rows * page_rows
        return position, anchor, self.page(con, order, start, page_rows, total, near=(position, anchor))

    def matches(self, con: Cursor, terms: Sequence[str]) -> Predicate:
        """Rows holding every word of `terms` in one of the text columns (or the extra ways)."""
        return self._matches(con, terms)[0]

    def _matches(self, con: Cursor, terms: Sequence[str]) -> tuple[Predicate, Narrowing | None]:
        if not terms:
            return Predicate(), None
        narrowing = None if self.narrow is None else self.narrow(con, terms)
        predicate = Predicate() if narrowing is None else narrowing.predicate
        for term in sorted(terms, key=len, reverse=True):  # the longest word first: it rules out most rows at once
            word = holds_word(self.text_columns, term, self.lowered)
            if self.text_extra is not None:
                extra = self.text_extra(con, term)
                word = Predicate(f"({word.sql}) OR ({extra.sql})", word.params + extra.params)
            predicate &= word
        return predicate, narrowing

    def find(
        self, con: Cursor, order: Order, terms: Sequence[str], start: Anchor | None, forward: bool = True,
        inclusive: bool = False,
    ) -> tuple[int, Anchor] | None:
        """The first row holding `terms` after `start` (or before it, backwards; `inclusive`: `start` itself
        too), from the top (or the bottom) when `start` is None. Returns its position and anchor, or None.

        From a dated row, the rows are searched a span of dates at a time (a month, a quarter, half a year,
        a year, two, four, then the rest): a match near the start is found without reading every row, as the
        scan skips the row groups outside the span (the rows are stored in date order). A span that holds none
        of the dates the narrowing allows (in date order) is passed over unread."""
        predicate, narrowing = self._matches(con, terms)
        if start is None:
            return self._first(con, order, predicate, forward)
        predicate &= self._beyond(order, start, after=forward, inclusive=inclusive)
        if not isinstance(start.sort_value, date):
            return self._first(con, order, predicate, forward)
        increasing = forward != order.reverse
        edge = start.sort_value
        allowed = None if narrowing is None or narrowing.column != order.column else \
            [value for value in narrowing.values if value is not None]
        for days in SEARCH_SPANS:
            try:
                reach = edge + timedelta(days=days) if increasing else edge - timedelta(days=days)
            except OverflowError:
                break
            low, high = (edge, reach) if increasing else (reach, edge)
            if allowed is None or any(low <= value <= high for value in allowed):
                window = Predicate(f"{SORT_VALUE} {'<=' if increasing else '>='} ?", (reach,))
                found = self._first(con, order, predicate & window, forward)
                if found is not None:
                    return found
            predicate &= Predicate(f"{SORT_VALUE} IS NULL OR {SORT_VALUE} {'>' if increasing else '<'} ?", (reach,))
        return self._first(con, order, predicate, forward)

    def _first(self, con: Cursor, order: Order, predicate: Predicate, forward: bool) -> tuple[int, Anchor] | None:
        found = con.execute(
            f"SELECT {SORT_VALUE}, {ROW_KEY} FROM ({self._rows(order)}) WHERE {predicate.sql} "
            f"ORDER BY {self._ordered(order, backwards=not forward)} LIMIT 1",
            list(self.params) + list(predicate.params),
        ).fetchall()
        if not found:
            return None
        anchor = Anchor(*found[0])
        return self.position(con, order, anchor), anchor

    def rows_before(self, con: Cursor, order: Order, value: object) -> int:
        """How many rows come before the first whose sort value is `value` or beyond it."""
        beyond = "<" if not order.reverse else ">"
        return con.execute(f"SELECT count(*) FROM ({self._rows(order)}) WHERE {SORT_VALUE} {beyond} ?",
                           list(self.params) + [value]).fetchall()[0][0]

    def count_matches(self, con: Cursor, terms: Sequence[str]) -> int:
        predicate = self.matches(con, terms)
        return con.execute(f"SELECT count(*) FROM ({self.sql}) WHERE {predicate.sql}",
                           list(self.params) + list(predicate.params)).fetchall()[0][0]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def anchor_of_record(record: dict) -> Anchor:
    """The anchor of a row read by `RowQuery.page`."""
    return Anchor(record[SORT_VALUE], record[ROW_KEY])


class QueryRows:
    """A table's rows under one filter, read through `connect` (a fresh cursor per call: calls come
    from worker threads). `total` is known beforehand (the pane counted the rows)."""

    immediate = False

    def __init__(self, query: RowQuery, total: int, connect: Callable[[], Cursor],
                 enrich: Callable[[Cursor, list[dict]], None] | None = None,
                 landmark: tuple[Order, int, Anchor] | None = None) -> None:
        self.query = query
        self.total = total
        self.connect = connect
        self.enrich = enrich
        """Adds columns a page needs that are not worth computing for every row (e.g. a tally's context)."""
        self._landmark = landmark
        """The last row found or located, with its order and position: the pages around it are read from it."""
        """The last row found or located, with its order and position: the pages around it are read from it."""

    def read(self, order: Order | None, start: int, count: int, after: dict | None = None, before: dict | None = None) -> list[dict]:
        con, order = self.connect(), order or self.query.default
        landmark = self._landmark
        near = landmark[1:] if landmark is not None and landmark[0] == order else None
        rows = self.query.page(con, order, start, count, self.total,
                               anchor_of_record(after) if after else None, anchor_of_record(before) if before else None, near)
        if self.enrich is not None and rows:
            self.enrich(con, rows)
        return rows

    def locate(self, order: Order | None, key: object) -> int | None:
        con, order = self.connect(), order or self.query.default
        anchor = self.query.anchor_of(con, order, key)
        if anchor is None:
            return None
        position = self.query.position(con, order, anchor)
        self._landmark = (order, position, anchor)
        return position

    def key_of(self, record: dict) -> object:
        return record[ROW_KEY]

    def find(self, order: Order | None, terms: Sequence[str], start: dict | None, forward: bool = True,
             inclusive: bool = False) -> int | None:
        con, order = self.connect(), order or self.query.default
        found = self.query.find(con, order, terms, anchor_of_record(start) if start else None, forward, inclusive)
        if found is None:
            return None
        self._landmark = (order, *found)
        return found[0]

    def count_matches(self, terms: Sequence[str]) -> int:
        return self.query.count_matches(self.connect(), terms)

    def rows_before(self, order: Order | None, value: object) -> int:
        return self.query.rows_before(self.connect(), order or self.query.default, value)
