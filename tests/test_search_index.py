"""The events' words by date never lose a match: a search narrowed by them finds exactly the rows a
plain scan of every text finds, whatever the texts, words, cases, separators and dates."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.db import search_index
from explorer.db.filters import Filters, holds_word, text_words
from explorer.db.paging import Order, anchor_of_record
from explorer.db.queries import event_rows
from explorer.db.search_index import date_ranges, dates_holding, search_words_sql

LETTERS = "abkhnmtuİıßΣσςé1%_\\-'"
"""Letters whose case folds differently in Python and DuckDB, pattern characters, digits."""
SEPARATORS = [" ", "  ", "\x1f", "\t", "\n", "\u00a0"]

words = st.text(alphabet=LETTERS, min_size=1, max_size=6)
texts = st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), max_size=8).map(
    lambda parts: "".join(word + separator for word, separator in parts))
days = st.one_of(st.none(), st.integers(0, 40).map(lambda offset: date(2015, 1, 1) + timedelta(days=offset)))


def _matching(con: duckdb.DuckDBPyConnection, terms: list[str], narrowed: bool) -> list[int]:
    predicate = dates_holding(con, terms).predicate if narrowed else None
    tests = [holds_word(("search_text",), term, frozenset({"search_text"})) for term in terms]
    if predicate is not None:
        tests.insert(0, predicate)
    sql = " AND ".join(f"({test.sql})" for test in tests) or "TRUE"
    params = [param for test in tests for param in test.params]
    return [row for (row,) in con.execute(f"SELECT row FROM events_by_date WHERE {sql} ORDER BY row", params).fetchall()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(days, texts), min_size=1, max_size=25), typed=st.lists(words, min_size=1, max_size=3),
       from_rows=st.lists(st.tuples(st.integers(0, 24), st.integers(0, 40), st.integers(1, 6)), max_size=2),
       per_row=st.sampled_from([1, 2, 128]))
def test_the_narrowed_search_finds_exactly_the_rows_a_scan_finds(monkeypatch, rows, typed, from_rows, per_row):
    monkeypatch.setattr(search_index, "WORDS_PER_ROW", per_row)  # a date's words in many rows, or in one
    con = duckdb.connect()
    con.execute("CREATE TABLE raw (row INTEGER, date DATE, text VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?, ?, ?)", [[index, day, text] for index, (day, text) in enumerate(rows)])
    con.execute("CREATE TABLE events_by_date AS SELECT row, date, lower(text) AS search_text FROM raw")
    con.execute(f"CREATE TABLE search_words AS {search_words_sql()}")
    # words as an analyst types them: pieces of the texts (in another case) and made-up ones
    pieces = [rows[index % len(rows)][1][start:start + length].upper() for index, start, length in from_rows]
    terms = text_words(" ".join(pieces + typed))
    if not terms:
        return
    assert _matching(con, terms, narrowed=True) == _matching(con, terms, narrowed=False)


def test_a_word_no_date_holds_rules_every_row_out_and_an_undated_one_keeps_the_undated():
    con = duckdb.connect()
    con.execute("CREATE TABLE events_by_date AS SELECT * FROM (VALUES (DATE '2016-05-06', 'khan tuman\x1fal-qaeda'), "
                "(NULL::DATE, 'aleppo'), (DATE '2016-05-07', 'tuman')) AS t(date, search_text)")
    con.execute(f"CREATE TABLE search_words AS {search_words_sql()}")
    assert dates_holding(con, ["zzz"]).predicate.sql == "FALSE" and dates_holding(con, ["zzz"]).values == frozenset()
    assert dates_holding(con, ["KHAN", "tuman"]).predicate.params == (date(2016, 5, 6), date(2016, 5, 6))
    assert dates_holding(con, ["lepp"]).predicate.sql == "date IS NULL" and dates_holding(con, ["lepp"]).values == {None}
    both = dates_holding(con, ["tuman"]).predicate
    assert con.execute(f"SELECT count(*) FROM events_by_date WHERE {both.sql}", list(both.params)).fetchall() == [(2,)]


@given(st.lists(st.integers(0, 3000).map(lambda offset: date(2011, 1, 1) + timedelta(days=offset)), max_size=200),
       st.integers(1, 40))
def test_date_ranges_cover_every_day_in_at_most_so_many_ordered_ranges(days, most):
    ranges = date_ranges(days, most)
    assert len(ranges) <= most and (ranges == []) == (days == [])
    assert all(first <= last for first, last in ranges)
    assert all(earlier[1] + timedelta(days=1) < later[0] for earlier, later in zip(ranges, ranges[1:]))
    assert all(any(first <= day <= last for first, last in ranges) for day in days)
    assert all(any(first == day for day in days) and any(last == day for day in days) for first, last in ranges)


@pytest.mark.parametrize("count", [5, 40])
def test_the_widest_gaps_are_the_ones_left_out(count):
    days = [date(2015, 1, 1) + timedelta(days=day * day) for day in range(count)]  # gaps widen along the list
    ranges = date_ranges(days, 4)
    if count <= 4:
        assert ranges == [(day, day) for day in days]
    else:
        assert [last for _, last in ranges[:-1]][-1] == days[-2] and ranges[-1] == (days[-1], days[-1])


ORDERS = [Order("date"), Order("date", reverse=True), Order("end_date"), Order("title", reverse=True)]


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_an_events_search_through_the_index_lands_where_a_scan_lands(catalog, data):
    con = catalog.cursor()
    assert catalog.search_index  # the built-in data's cache has its words by date
    rows = {key: text for key, text in con.execute("SELECT event_id, search_text FROM events_by_date").fetchall()}
    key = data.draw(st.sampled_from(sorted(rows)))
    text = rows[key]
    start = data.draw(st.integers(0, len(text)))
    piece = text[start:start + data.draw(st.integers(1, 8))]
    terms = text_words(data.draw(st.sampled_from([piece, piece.upper(), piece.title()])) + " " +
                       data.draw(st.sampled_from(["", "khan", "IRGC", "zzz", "2016", "al-"])))
    if not terms:
        return
    order, forward, inclusive = data.draw(st.sampled_from(ORDERS)), data.draw(st.booleans()), data.draw(st.booleans())
    indexed, scanned = event_rows(con, Filters(), indexed=True), event_rows(con, Filters())
    in_order = [anchor_of_record(row) for row in scanned.page(con, order, 0, len(rows), len(rows))]
    # from no row, from any row, or from the rows just before and at the one the words came from
    at = next(index for index, anchor in enumerate(in_order) if anchor.key == key)
    step = data.draw(st.sampled_from([None, "any", -1, 0, 1]))
    anchor = None if step is None else data.draw(st.sampled_from(in_order)) if step == "any" else \
        in_order[min(len(in_order) - 1, max(0, at + step))]
    assert indexed.find(con, order, terms, anchor, forward, inclusive) == scanned.find(con, order, terms, anchor, forward, inclusive)
    assert indexed.count_matches(con, terms) == scanned.count_matches(con, terms)
