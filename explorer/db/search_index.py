"""The events' words by date: a search finds the few dates that can hold its words before it reads any event.

A search tests every event's text (`SEARCH_COLUMN`), and at 10 million rows that is 2.5 million texts,
0.2 s or more. The cache holds beside them `search_words`: for each date (and for the undated events),
the distinct words of that date's texts, split at spaces and at the unit separator between columns,
a part of at most `WORDS_PER_ROW` words to a row, joined by the unit separator. A date whose rows hold
none of the parts holding a search word has no event holding it, so the events' scan keeps only the
dates that hold every word and skips the row groups outside them (`events_by_date` is stored by date).

Nothing is lost: a search word holds no space and no unit separator (they split words; Python's
split() takes the unit separator for a space), so wherever it occurs in a text it lies inside one of
the text's words, and a word holding it holds it in the joined row too, never across two words. The
test per word is the same `contains` over the same DuckDB lower case as the events' own test.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from explorer.db.filters import SEARCH_COLUMN
from explorer.db.paging import Narrowing
from explorer.db.predicate import Predicate
from explorer.engine import Cursor

SEARCH_WORDS = "search_words"
WORDS_PER_ROW = 128
"""Words of one date per row: short rows stay inline in DuckDB's storage and spread over both threads
(one row per date at 10 million rows: 0.12-0.23 s a lookup; 128 words a row: 0.03-0.06 s)."""
MOST_RANGES = 32
"""The most date ranges a narrowed search tests: each costs a row group's read; closer dates are joined."""
UNIT_SEPARATOR = "chr(31)"


def search_words_sql() -> str:
    """SQL of `search_words` over `events_by_date`: (date, words) rows as the module docstring says."""
    return f"""
        SELECT date, string_agg(word, {UNIT_SEPARATOR}) AS words
        FROM (
            SELECT date, word, (row_number() OVER (PARTITION BY date) - 1) // {WORDS_PER_ROW} AS part
            FROM (SELECT DISTINCT date, unnest(string_split(replace({SEARCH_COLUMN}, {UNIT_SEPARATOR}, ' '), ' ')) AS word
                  FROM events_by_date)
            WHERE word <> ''
        )
        GROUP BY date, part
    """


def dates_holding(con: Cursor, words: Sequence[str]) -> Narrowing:
    """The dates whose events' texts hold every one of `words` (in any case; None for the undated events),
    with a test of an event's `date` that keeps them: the rows outside cannot hold all the words. The
    test is FALSE when no date holds them."""
    distinct = sorted(set(words))
    if not distinct:
        return Narrowing(Predicate(), "date", frozenset())
    holding = " AND ".join("bool_or(contains(words, lower(?)))" for _ in distinct)
    dates = [day for (day,) in con.execute(
        f"SELECT date FROM {SEARCH_WORDS} GROUP BY date HAVING {holding}", distinct).fetchall()]
    ranges = date_ranges([day for day in dates if day is not None], MOST_RANGES)
    parts = [Predicate("date BETWEEN ? AND ?", (first, last)) for first, last in ranges]
    if None in dates:
        parts.append(Predicate("date IS NULL"))
    test = Predicate(" OR ".join(part.sql for part in parts) or "FALSE", sum((part.params for part in parts), ()))
    return Narrowing(test, "date", frozenset(dates))


def date_ranges(days: Sequence[date], most: int) -> list[tuple[date, date]]:
    """At most `most` ranges (first, last) covering every one of `days`: next days join, and the widest
    gaps between the others are the ones left out."""
    ordered = sorted(set(days))
    if not ordered:
        return []
    apart = [index for index in range(1, len(ordered)) if ordered[index] - ordered[index - 1] > timedelta(days=1)]
    widest = sorted(apart, key=lambda index: ordered[index] - ordered[index - 1], reverse=True)[:max(0, most - 1)]
    ranges, start = [], 0
    for cut in sorted(widest):
        ranges.append((ordered[start], ordered[cut - 1]))
        start = cut
    ranges.append((ordered[start], ordered[-1]))
    return ranges
