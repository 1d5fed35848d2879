"""Paging a table's rows from DuckDB (explorer/db/paging.py) against Python's own sort, for generated tables:
duplicates, empty values, letter case and every order, page by offset, after a row, before a row, from the end."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.db.paging import ROW_KEY, Anchor, Order, RowQuery, anchor_of_record

WORDS = st.sampled_from(["alpha", "Alpha", "beta", "ÉTÉ", "été", "gamma delta", "50%", "a_b", None])
DAYS = st.one_of(st.none(), st.integers(0, 12).map(lambda step: date(2011, 1, 1) + timedelta(days=step * step * 20)))
"""Dates from days to nine years apart, so a search crosses every span it reads at a time."""
ROWS = st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 3)), WORDS, DAYS), min_size=0, max_size=40)


def _table(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    records = pa.table({"id": [f"r{index:03d}" for index in range(len(rows))],
                        "number": pa.array([number for number, _, _ in rows], pa.int64()),
                        "word": pa.array([word for _, word, _ in rows], pa.string()),
                        "day": pa.array([day for _, _, day in rows], pa.date32())})
    con.register("source_rows", records)
    con.execute("CREATE TABLE shown AS SELECT * FROM source_rows")
    return con


def _query() -> RowQuery:
    return RowQuery("SELECT * FROM shown", (), key="id", default=Order("number"), text_columns=("word", "id"),
                    case_blind=frozenset({"word"}))


def _python_order(rows: list[tuple], order: Order) -> list[str]:
    """The ids in `order`: empty values last, ties by id."""
    records = [{"id": f"r{index:03d}", "number": number, "word": word, "day": day} for index, (number, word, day) in enumerate(rows)]
    records.sort(key=lambda record: record["id"])

    def value(record: dict):
        found = record[order.column]
        return found.lower() if isinstance(found, str) else found

    present = [record for record in records if value(record) is not None]
    present.sort(key=value, reverse=order.reverse)  # stable: ties keep the id order
    return [record["id"] for record in present] + [record["id"] for record in records if value(record) is None]


ORDERS = st.builds(Order, st.sampled_from(["number", "word", "id", "day"]), st.booleans())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, order=ORDERS, page=st.integers(1, 7))
def test_every_way_of_reading_a_page_gives_the_same_rows_as_python(rows, order, page):
    con, query = _table(rows), _query()
    expected, total = _python_order(rows, order), len(rows)
    by_offset, by_keyset, backwards = [], [], []
    start, previous = 0, None
    while start < total:
        by_offset += [row[ROW_KEY] for row in query.page(con, order, start, page, total)]
        following = query.page(con, order, start, page, total, after=anchor_of_record(previous) if previous else None)
        by_keyset += [row[ROW_KEY] for row in following]
        previous = following[-1]
        start += page
    end = total
    following = None
    while end > 0:
        first = max(0, end - page)
        rows_read = query.page(con, order, first, end - first, total,
                               before=anchor_of_record(following[0]) if following else None)
        backwards = [row[ROW_KEY] for row in rows_read] + backwards
        following = rows_read
        end = first
    assert by_offset == by_keyset == backwards == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS.filter(bool), order=ORDERS, data=st.data())
def test_a_row_s_position_and_the_next_match_agree_with_python(rows, order, data):
    con, query = _table(rows), _query()
    expected = _python_order(rows, order)
    read = query.page(con, order, 0, len(rows), len(rows))
    index = data.draw(st.integers(0, len(rows) - 1))
    assert query.position(con, order, anchor_of_record(read[index])) == index
    assert query.anchor_of(con, order, expected[index]) == anchor_of_record(read[index])
    word = data.draw(st.sampled_from(["alpha", "été", "delta", "%", "_", "r0"]))
    words_of = {f"r{i:03d}": f"{w or ''} r{i:03d}".lower() for i, (_, w, _) in enumerate(rows)}
    holding = [position for position, key in enumerate(expected) if word in words_of[key]]
    forward = data.draw(st.booleans())
    found = query.find(con, order, [word], anchor_of_record(read[index]), forward)
    later = [p for p in holding if p > index] if forward else [p for p in reversed(holding) if p < index]
    assert (found[0] if found else None) == (later[0] if later else None)
    here = query.find(con, order, [word], anchor_of_record(read[index]), forward, inclusive=True)
    from_here = [p for p in holding if p >= index] if forward else [p for p in reversed(holding) if p <= index]
    assert (here[0] if here else None) == (from_here[0] if from_here else None)
    from_top = query.find(con, order, [word], None, True)
    assert (from_top[0] if from_top else None) == (holding[0] if holding else None)


def test_an_anchor_of_an_empty_value_pages_among_the_empty_values():
    con, query = _table([(None, None, None), (1, "a", None), (None, "b", None), (None, None, None)]), _query()
    order = Order("number")
    assert [row[ROW_KEY] for row in query.page(con, order, 2, 2, 4, after=Anchor(None, "r000"))] == ["r002", "r003"]
    assert query.position(con, order, Anchor(None, "r002")) == 2


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS.filter(bool), order=ORDERS, page=st.integers(1, 7), data=st.data())
def test_pages_read_from_a_known_row_give_the_same_rows_as_python(rows, order, page, data):
    """A search's match (its position and anchor) is where the pages around it are read from: each page,
    wherever it lies against that row (after, before, holding it), holds the rows Python's sort puts there."""
    con, query = _table(rows), _query()
    expected, total = _python_order(rows, order), len(rows)
    read = query.page(con, order, 0, total, total)
    known = data.draw(st.integers(0, total - 1))
    near = (known, anchor_of_record(read[known]))
    for start in range(0, total, page):
        shown = [row[ROW_KEY] for row in query.page(con, order, start, page, total, near=near)]
        assert shown == expected[start:start + page]


def test_a_page_near_a_known_row_is_read_from_it_not_by_offset_from_an_end():
    query, order = _query(), Order("day")
    anchor = Anchor(date(2014, 12, 29), "r500")
    holding = query._key_reads(order, 1_249_900, 100, 2_500_000, None, None, (1_249_987, anchor))
    assert [(limit, offset, backwards) for _, limit, offset, backwards in holding] == [(13, 0, False), (87, 0, True)]
    following = query._key_reads(order, 1_250_000, 100, 2_500_000, None, None, (1_249_987, anchor))
    assert [(limit, offset, backwards) for _, limit, offset, backwards in following] == [(100, 12, False)]
    preceding = query._key_reads(order, 1_249_800, 100, 2_500_000, None, None, (1_249_987, anchor))
    assert [(limit, offset, backwards) for _, limit, offset, backwards in preceding] == [(100, 87, True)]
    far = query._key_reads(order, 10, 100, 2_500_000, None, None, (1_249_987, anchor))
    assert [(limit, offset, backwards) for _, limit, offset, backwards in far] == [(100, 10, False)]
