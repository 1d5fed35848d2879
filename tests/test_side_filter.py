"""The actors' side as a filter: the same rows as the actors of that side, in every pane's query, and through the picker."""

from __future__ import annotations

import pytest
from conftest import settle, tab_label
from textual.widgets import OptionList, Static

from explorer.app import ExplorerApp
from explorer.db import queries
from explorer.db.filters import Filters
from explorer.db.schema import SIDES
from explorer.widgets.value_picker import ValuePicker


def actors_of(con, side: str | None) -> frozenset[str]:
    test = "side IS NULL" if side is None else "side = ?"
    return frozenset(row[0] for row in con.execute(f"SELECT actor_id FROM actors WHERE {test}", [] if side is None else [side]).fetchall())


def every_figure(con, filters: Filters) -> dict:
    """What the panes show under a filter: counts, occurrences, the chart's monthly figures, the pivot."""
    figures = {table: queries.row_count(con, filters, table) for table in ("events", "casualties", "forces")}
    figures["occurrences"] = queries.occurrence_counts(con, filters)
    figures["killed by month"] = sorted(queries.monthly_killed(con, filters).to_pylist(), key=repr)
    figures["tallies"] = sorted(queries.monthly_tally_rates(con, filters).to_pylist(), key=repr)
    figures["events by month"] = queries.events_per_month(con, filters)
    for kind in ("individual", "incident", "tally"):
        figures[f"pivot {kind}"] = sorted(queries.casualty_pivot(con, filters, kind).to_pylist(), key=repr)
    return figures


@pytest.mark.parametrize("side", [side for side in SIDES])
def test_a_side_shows_what_its_actors_show(con, side):
    """A side filter selects exactly what an actor filter of every actor of that side selects, in every query."""
    ids = actors_of(con, side)
    assert ids
    by_side = every_figure(con, Filters(sides=frozenset({side})))
    assert by_side == every_figure(con, Filters(actor_ids=ids))
    assert queries.row_count(con, Filters(sides=frozenset({side})), "actors") == len(ids)


@pytest.mark.parametrize("sides", [{"pro-government"}, {None}, {"opposition", None}, set(SIDES)])
def test_the_events_side_column_and_the_sql_pane_s_lookup_agree(con, sides):
    filters = Filters(sides=frozenset(sides))
    inline = filters.events()
    in_sql = con.execute(f"SELECT count(*) FROM events WHERE {inline.sql}", list(inline.params)).fetchall()[0][0]
    assert queries.row_count(con, filters, "events") == in_sql


def test_no_side_is_the_reports_of_no_actor_or_an_actor_of_no_side(con):
    unknown = actors_of(con, None)
    expected = con.execute("SELECT count(*) FROM casualties WHERE actor_id IS NULL OR list_contains(?, actor_id)",
                           [sorted(unknown)]).fetchall()[0][0]
    assert queries.row_count(con, Filters(sides=frozenset({None})), "casualties") == expected > 0


def test_the_picker_counts_each_side_under_the_other_filters(con):
    counts = {row["value"]: row for row in queries.facet_counts(con, Filters(), "side").to_pylist()}
    assert set(counts) == {*SIDES, "unknown"}
    for side in SIDES:
        assert counts[side]["events"] == queries.row_count(con, Filters(sides=frozenset({side})), "events")
        assert counts[side]["casualty_reports"] == queries.row_count(con, Filters(sides=frozenset({side})), "casualties")


async def test_v_chooses_a_side_shown_in_the_summary_and_removed_with_x(catalog, con):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        picker = app.screen.query_one(ValuePicker)
        await pilot.press("o", "p", "p")  # narrows to "opposition"
        await settle(pilot)
        assert picker.query_one(OptionList).option_count == 1
        await pilot.press("space", "enter")
        await settle(pilot)
        assert app.filters.sides == frozenset({"opposition"})
        assert "side: opposition" in str(app.query_one("#filter-summary", Static).render())
        expected = queries.row_count(con, app.filters, "events")
        assert tab_label(app, "timeline") == f"1 Timeline {expected}"
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters.sides == frozenset()


@pytest.mark.parametrize("filters", [Filters(sides=frozenset({"opposition", None})),
                                     Filters(area=(36.0, 35.5, 37.5, 36.5), sides=frozenset({"pro-government"}))])
def test_the_sql_pane_s_filtered_views_follow_the_side_and_the_area(catalog, con, filters):
    from explorer.db.sql_session import SqlSession

    session = SqlSession(catalog)
    session.set_filters(filters)
    for table in ("events", "casualties", "actors", "forces"):
        result = session.run(f"select count(*) from filtered_{table}")
        assert result.fetch(0, 1)[0][0] == queries.row_count(con, filters, table), table
