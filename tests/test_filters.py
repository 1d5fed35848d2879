"""The Filters value: date bounds, summaries, and predicates that never splice user text."""

from __future__ import annotations

from datetime import date

import pytest

from explorer.db.errors import InvalidFilter
from explorer.db.filters import Filters, parse_date_bound
from explorer.db.queries import casualty_reports, events_in_range


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2015-10-01", False, date(2015, 10, 1)),
        ("2015-10", False, date(2015, 10, 1)),
        ("2015-10", True, date(2015, 10, 31)),
        ("2016-02", True, date(2016, 2, 29)),
        ("2015", False, date(2015, 1, 1)),
        ("2015", True, date(2015, 12, 31)),
        (" 2015-9 ", False, date(2015, 9, 1)),
        ("", False, None),
    ],
)
def test_date_bounds(text, end, expected):
    assert parse_date_bound(text, end=end) == expected


@pytest.mark.parametrize("text", ["2015-13", "2015-02-30", "Oct 2015", "15-10-01", "2015/10/01", "2015-10-01'; DROP VIEW events; --"])
def test_invalid_dates_are_one_line_errors(text):
    with pytest.raises(InvalidFilter) as caught:
        parse_date_bound(text)
    assert "\n" not in str(caught.value)


def test_reversed_range_is_refused():
    with pytest.raises(InvalidFilter, match="starts"):
        Filters(date_from=date(2016, 1, 1), date_to=date(2015, 1, 1))


def test_summary_reads_as_one_line():
    filters = Filters(
        date_from=date(2015, 10, 1), date_to=date(2016, 2, 29),
        nationalities=frozenset({"Iranian"}), fronts=frozenset({"Aleppo"}),
    )
    assert filters.summary() == "2015-10 → 2016-02 · Iranian · Aleppo · imprecise rows shown"
    assert Filters().summary() == "everything · imprecise rows shown"
    assert Filters(fronts=frozenset({None}), include_imprecise=False).summary() == "unknown · imprecise rows left out"


def test_values_travel_as_parameters_never_as_sql(con):
    hostile = "Iranian') OR TRUE OR ('"
    predicate = Filters(nationalities=frozenset({hostile}), fronts=frozenset({"x'; DROP VIEW events; --"})).casualties()
    assert hostile not in predicate.sql and "DROP" not in predicate.sql
    assert casualty_reports(con, Filters(nationalities=frozenset({hostile}))).num_rows == 0
    assert events_in_range(con, Filters(fronts=frozenset({"x'; DROP VIEW events; --"}))).num_rows == 0
    assert events_in_range(con, Filters()).num_rows == 80


def test_unknown_is_selectable(con):
    reports = casualty_reports(con, Filters(nationalities=frozenset({None})))
    assert reports.num_rows == 17
    assert set(reports["nationality"].to_pylist()) == {None}
    mixed = casualty_reports(con, Filters(nationalities=frozenset({None, "Russian"})))
    assert set(mixed["nationality"].to_pylist()) == {None, "Russian"}
