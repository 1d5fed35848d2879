"""The map pane: events counted per cell by DuckDB where they belong, the cell's events, the area filter."""

from __future__ import annotations

import pytest
from conftest import settle, tab_label
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Static

from explorer.app import ExplorerApp
from explorer.db import geo, queries
from explorer.db.filters import Filters
from explorer.geo import area_text, front_places
from explorer.widgets.map_canvas import MARKS, MapCanvas, level_of

COUNTRY_WIDE = 46
"""Built-in events without a place finer than the country (front `national/diplomatic`)."""


def place(front: str) -> geo.FrontPlace:
    return next(found for found in front_places() if found.front == front)


def cell_of(view: geo.View, columns: int, rows: int, longitude: float, latitude: float) -> tuple[int, int]:
    west, _, _, north = view.bounds(columns, rows)
    return int((longitude - west) // view.degrees_per_column), int((north - latitude) // view.degrees_per_row)


@pytest.fixture
def app(catalog):
    return ExplorerApp(catalog)


views = st.builds(geo.View, longitude=st.floats(30, 45), latitude=st.floats(28, 40),
                  degrees_per_column=st.floats(0.01, 2))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(view=views, columns=st.integers(10, 160), rows=st.integers(5, 50), imprecise=st.booleans())
def test_every_event_is_drawn_once_outside_or_counted_apart(con, view, columns, rows, imprecise):
    """Drawn, outside the view and country-wide add up to the events under the filter, at any view."""
    filters = Filters(include_imprecise=imprecise)
    counts = geo.map_counts(con, filters, view, columns, rows)
    drawn = sum(events for events, _ in counts.cells.values())
    assert drawn + counts.outside + counts.country_wide == queries.row_count(con, filters, "events")
    assert all(0 <= column < columns and 0 <= row < rows for column, row in counts.cells)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(view=views, columns=st.integers(10, 120), rows=st.integers(5, 40))
def test_a_cell_s_events_and_its_area_filter_agree_with_its_count(con, view, columns, rows):
    """For every cell with a mark: the events listed in it, and the events an area filter of it keeps, are its count."""
    counts = geo.map_counts(con, Filters(), view, columns, rows)
    for (column, row), (events, _) in counts.cells.items():
        area = view.cell_bounds(columns, rows, column, row)
        assert geo.events_in_area(con, Filters(), area)[1] == events
        assert queries.row_count(con, Filters(area=area), "events") == events


def test_the_built_in_events_are_drawn_at_their_fronts_and_country_wide_ones_apart(con):
    columns, rows = 80, 20
    view = geo.fitting_view(geo.events_bounds(con, Filters()), columns, rows)
    counts = geo.map_counts(con, Filters(), view, columns, rows)
    assert counts.country_wide == COUNTRY_WIDE and counts.outside == 0
    fronts = dict(con.execute("SELECT front, count(*) FROM events GROUP BY 1").fetchall())
    for front in ("Aleppo", "Damascus/Ghouta", "Homs/Palmyra", "Idlib", "Latakia", "Hawran/Daraa/Quneitra"):
        where = place(front)
        assert counts.cells[cell_of(view, columns, rows, where.longitude, where.latitude)] == (fronts[front], fronts[front])
    aleppo, damascus = place("Aleppo"), place("Damascus/Ghouta")
    assert cell_of(view, columns, rows, aleppo.longitude, aleppo.latitude)[1] < cell_of(
        view, columns, rows, damascus.longitude, damascus.latitude)[1]  # Aleppo is north of Damascus


def test_the_marks_tell_the_counts_apart_without_colour():
    assert [level_of(events, 12) for events in (1, 3, 12)] == sorted({level_of(events, 12) for events in (1, 3, 12)})
    assert len({MARKS[level_of(events, 12)] for events in (1, 3, 12)}) == 3


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_map_shows_aleppo_where_it_belongs_and_enter_keeps_its_area(app, con, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        canvas = app.query_one(MapCanvas)
        assert canvas.has_focus
        columns, rows = canvas.grid
        aleppo = place("Aleppo")
        at = cell_of(canvas.view, columns, rows, aleppo.longitude, aleppo.latitude)
        assert canvas.cursor == at  # the busiest cell: Aleppo's 12 events
        assert canvas.render_line(at[1]).text[at[0]] == MARKS[-1]
        legend = str(app.query_one("#map-legend", Static).render())
        assert f"{COUNTRY_WIDE} country-wide" in legend
        cell_line = str(app.query_one("#map-cell", Static).render())
        assert "12 events" in cell_line
        expected = canvas.cell_area()
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters.area == expected
        summary = str(app.query_one("#filter-summary", Static).render())
        assert f"area {area_text(app.filters.area)}" in summary
        assert queries.row_count(con, app.filters, "events") == 12
        assert tab_label(app, "timeline") == "1 Timeline 12"
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")  # the only part: the area
        await settle(pilot)
        assert app.filters.area is None


async def test_zoom_keeps_the_cell_under_the_cursor_and_0_fits_again(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        canvas = app.query_one(MapCanvas)
        fitted, cursor = canvas.view, canvas.cursor
        west, south, east, north = canvas.cell_area()
        await pilot.press("plus", "plus")
        await settle(pilot)
        assert canvas.view.degrees_per_column < fitted.degrees_per_column
        zoomed = canvas.cell_area()
        assert canvas.cursor == cursor and zoomed[0] >= west - 1e-9 and zoomed[2] <= east + 1e-9
        await pilot.press("shift+right")
        await settle(pilot)
        assert canvas.view.longitude > fitted.longitude
        await pilot.press("0")
        await settle(pilot)
        assert canvas.view == fitted


@pytest.mark.parametrize("view, columns, rows", [
    (geo.View(65.17086340191322, 36.20124, 4.668282233652204), 22, 34),
    (geo.View(36.273898597434076, 36.20124, 0.05545446266037047), 134, 35),
])
def test_a_place_on_a_cell_s_border_is_counted_in_the_cell_its_area_holds(con, view, columns, rows):
    """Aleppo's main place lies exactly on a column's western border: the floor of a division put it one column
    off from the cell whose area (its list, enter's filter) holds it, so a mark of 12 events kept none."""
    counts = geo.map_counts(con, Filters(), view, columns, rows)
    for (column, row), (events, _) in counts.cells.items():
        area = view.cell_bounds(columns, rows, column, row)
        assert geo.events_in_area(con, Filters(), area)[1] == events
        assert queries.row_count(con, Filters(area=area), "events") == events


async def test_enter_on_a_cell_past_the_pole_keeps_an_area_the_view_spec_reads_back(tmp_path, monkeypatch):
    """Panned up to the pole, the cell of an event at 89.9°N reaches past 90°N: its area went into the view spec
    as it was, and `--view` refused the spec that V copied."""
    import csv

    from explorer.cli import main
    from explorer.db.catalog import open_catalog
    from explorer.view_spec import ViewSpec, decode, encode
    from pathlib import Path

    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    with (Path(__file__).parent / "fixtures" / "importers" / "acled_api.csv").open(newline="") as handle:
        header, first, *_ = csv.reader(handle)
    first[header.index("latitude")], first[header.index("longitude")] = "89.9", "179.9"
    with (tmp_path / "polar.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([header, first])
    assert main(["import", "acled", str(tmp_path / "polar.csv"), "--out", str(tmp_path / "data")]) == 0
    with open_catalog(tmp_path / "data") as catalog:
        app = ExplorerApp(catalog)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("5")
            await settle(pilot)
            for key in ["minus"] * 8 + ["shift+up"] * 4:
                await pilot.press(key)
                await settle(pilot)
            canvas = app.query_one(MapCanvas)
            assert canvas.view.bounds(*canvas.grid)[3] > 90 and len(canvas.counts.cells) == 1
            canvas.cursor = next(iter(canvas.counts.cells))
            await pilot.press("enter")
            await settle(pilot)
            area = app.filters.area
            assert area is not None and -180 <= area[0] < area[2] <= 180 and -90 <= area[1] < area[3] <= 90
            assert decode(encode(ViewSpec(app.filters, pane="map"))).filters.area == area
            assert queries.row_count(catalog.cursor(), app.filters, "events") == 1


async def test_zooming_in_to_the_limit_keeps_the_cursor_s_events_in_sight(catalog):
    """`+` as far as it goes on Aleppo's mark: its events stay drawn under the cursor (the zoom follows them)."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        canvas = app.query_one(MapCanvas)
        events = canvas.counts.cells[canvas.cursor][0]
        for _ in range(25):
            await pilot.press("plus")
            await settle(pilot)
        assert canvas.view.degrees_per_column == geo.MIN_DEGREES_PER_COLUMN
        assert canvas.counts.cells.get(canvas.cursor, (0, 0))[0] == events


async def test_after_a_resize_the_fitted_map_puts_the_cursor_on_its_busiest_cell_again(catalog):
    """A resize fits the map again: the cursor goes to the busiest cell of the new view, not to where it stood."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        canvas = app.query_one(MapCanvas)
        columns, rows = canvas.grid
        aleppo = place("Aleppo")
        assert canvas.cursor == cell_of(canvas.view, columns, rows, aleppo.longitude, aleppo.latitude)
        expected = canvas.cell_area()
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters.area == expected and queries.row_count(catalog.cursor(), app.filters, "events") == 12
