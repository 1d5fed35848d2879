"""The explorer through Textual's Pilot: keys pressed like a user, panes checked against the data layer."""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from textual._compositor import Compositor
from textual.widgets import Input, SelectionList, Static, TabbedContent, Tree
from textual.widgets._footer import FooterKey

import explorer.app
from explorer.app import ExplorerApp
from explorer.db import queries
from explorer.db.catalog import open_catalog
from explorer.db.filters import Filters
from explorer.panes import timeline
from explorer.panes.casualties import CasualtiesPane
from explorer.widgets.chart import MonthlyChart
from explorer.widgets.footer import KeyFooter
from explorer.widgets.record_table import RecordTable
from explorer.widgets.screens import ExportScreen, HelpScreen
from explorer.widgets.value_picker import ValuePicker
from conftest import layout_passes, screen_lines, settle, shown_text, tab_label

IRANIAN = frozenset({"Iranian"})


def table(app, selector) -> RecordTable:
    return app.query_one(selector, RecordTable)


def tab_labels(app) -> list[str]:
    return [tab_label(app, pane) for pane in ("timeline", "actors", "casualties")]


def summary(app) -> str:
    return str(app.query_one("#filter-summary", Static).render())


async def pick(app, pilot, key: str, wanted: set[str]) -> None:
    """Open a picker with `key`, tick the `wanted` values with space, apply with enter."""
    await pilot.press(key)
    await settle(pilot)
    picker = app.screen.query_one(ValuePicker)
    options = picker.query_one(SelectionList)
    for index in range(options.option_count):
        if options.get_option_at_index(index).value in wanted:
            options.highlighted = index
            await pilot.press("space")
    await pilot.press("enter")
    await settle(pilot)


@pytest.fixture
def app(catalog):
    return ExplorerApp(catalog)


async def test_opens_on_everything_with_counts_in_the_tabs(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert tab_labels(app) == ["1 Timeline 80", "2 Actors 34", "3 Casualties 634 reports"]
        assert summary(app) == "Filter: everything · imprecise rows shown"
        assert table(app, "#events").row_count == 80
        assert table(app, "#events").records[0]["title"] == "Iran–Syria alliance begins"
        assert app.refreshes == 1


async def test_typed_date_range_slices_every_pane(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.press(*"2015-10", "tab", *"2016-02", "enter")
        await settle(pilot)
        expected = Filters(date_from=date(2015, 10, 1), date_to=date(2016, 2, 29))
        assert app.filters == expected
        assert summary(app) == "Filter: 2015-10 → 2016-02 · imprecise rows shown"
        events = queries.events_in_range(con, expected)
        assert [r["event_id"] for r in table(app, "#events").records] == events["event_id"].to_pylist()
        counts = queries.row_counts(con, expected)
        assert tab_labels(app) == [f"1 Timeline {counts['events']}", f"2 Actors {counts['actors']}", f"3 Casualties {counts['casualties']:,} reports"]


async def test_typing_is_debounced_into_one_refresh(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = app.refreshes
        await pilot.press("d", *"2016")
        await pilot.pause(0.8)
        await settle(pilot)
        assert app.filters.date_from == date(2016, 1, 1)
        assert app.refreshes == before + 1


async def test_invalid_date_keeps_the_last_valid_filter(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d", *"2015-10", "enter")
        await settle(pilot)
        valid = app.filters
        await pilot.press("d", "ctrl+u", *"2015-13", "enter")
        await settle(pilot)
        assert app.filters == valid
        assert summary(app).startswith("✗ '2015-13' is not a valid date · kept: 2015-10 → …")
        await pilot.press("escape")
        assert isinstance(app.focused, RecordTable)


async def test_nationality_and_front_pickers_slice_every_pane(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pick(app, pilot, "t", {"Iranian"})
        await pick(app, pilot, "f", {"Aleppo"})
        expected = Filters(nationalities=IRANIAN, fronts=frozenset({"Aleppo"}))
        assert app.filters == expected
        assert summary(app) == "Filter: Iranian · Aleppo · imprecise rows shown"
        assert [r["event_id"] for r in table(app, "#events").records] == queries.events_in_range(con, expected)["event_id"].to_pylist()
        await pilot.press("3")
        await settle(pilot)
        incidents = table(app, "#casualty-table").records
        assert [r["occurrence_id"] for r in incidents] == queries.casualty_occurrences(con, expected, "incident")["occurrence_id"].to_pylist()
        assert {r["occurrence_id"] for r in incidents} == {"hamedani-2015-10", "artesh-brigade-65-2016-04", "khan-tuman-2016-05-iranians"}
        await pilot.press("2")  # a pane out of sight is drawn when its tab opens
        await settle(pilot)
        actors = app.query_one(Tree)
        shown = {node.data for node in _tree_nodes(actors.root) if node.data}
        assert shown == set(queries.actors_with_casualties(con, expected)["actor_id"].to_pylist())


def _tree_nodes(node):
    for child in node.children:
        yield child
        yield from _tree_nodes(child)


async def test_unknown_is_a_selectable_value(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pick(app, pilot, "t", {"\x00unknown"})
        assert app.filters.nationalities == frozenset({None})
        assert tab_labels(app)[2] == "3 Casualties 17 reports"


async def test_reset_key(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pick(app, pilot, "t", {"Russian"})
        assert app.filters != Filters()
        await pilot.press("r")
        await settle(pilot)
        assert app.filters == Filters()
        assert tab_labels(app)[0] == "1 Timeline 80"


async def test_imprecise_switch_is_in_the_summary(app, con):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert summary(app) == "Filter: imprecise rows left out"
        assert table(app, "#events").row_count == queries.events_in_range(con, Filters(include_imprecise=False)).num_rows == 72


async def test_actor_key_adds_the_highlighted_actor(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = app.query_one(Tree)
        assert app.focused is tree
        for _ in range(tree.last_line + 1):
            if tree.cursor_node is not None and tree.cursor_node.data == "quds_force":
                break
            await pilot.press("down")
        await pilot.press("a")
        await settle(pilot)
        assert app.filters.actor_ids == frozenset({"quds_force"})
        assert "actors: Quds Force" in summary(app)  # by name, not id
        assert tab_labels(app)[0] == "1 Timeline 5"
        detail = str(app.query_one("#actors .detail", Static).content)
        assert "Part of: IRGC" in detail and "Includes: Fatemiyoun, Zainabiyoun" in detail


async def test_sort_keys(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        casualties = table(app, "#casualty-table")
        assert app.focused is casualties
        await pilot.press("s", "s", "s")  # date → nationality → killed
        assert casualties.sort_column == "killed" and not casualties.sort_reverse
        killed = [r["killed"] for r in casualties.records]
        assert killed == sorted(killed)
        await pilot.press("S")
        killed = [r["killed"] for r in casualties.records]
        assert killed == sorted(killed, reverse=True) and killed[0] == 23
        assert casualties.column_label("killed") == "Killed ▼"


def shown_lines(table: RecordTable) -> list[str]:
    """The table's lines as drawn on screen (header first), above its horizontal scrollbar if it has one."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


async def test_tables_draw_the_rows_in_view_and_follow_the_cursor(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = table(app, "#events")
        first, last = events.records[0], events.records[-1]
        lines = shown_lines(events)
        assert lines[0].split()[:2] == ["Date", "Event"] and first["title"][:20] in lines[1]
        assert not any(last["title"][:20] in line for line in lines)
        await pilot.press("G")
        await settle(pilot)
        assert events.cursor_row == events.row_count - 1 and app.query_one("#timeline").selected_event is last
        lines = shown_lines(events)
        assert last["title"][:20] in lines[-1] and not any(first["title"][:20] in line for line in lines)
        cursor_style, other_style = (next(iter(events.render_line(y))).style for y in (len(lines) - 1, 1))
        assert cursor_style != other_style  # the highlighted row is drawn apart
        await pilot.press("g", "j", "j")
        await settle(pilot)
        assert events.current_record is events.records[2] and first["title"][:20] in shown_lines(events)[1]


async def test_a_filter_change_keeps_the_selected_event_and_shows_no_other_meanwhile(app, con, monkeypatch):
    """The selected event, on the new first page, is selected again at once: no round trip to find it, and
    neither the cursor nor the detail passes by the first row (whose detail may be of another height)."""
    shown = []
    show_detail = timeline.TimelinePane.show_detail

    def spied(pane) -> None:
        shown.append(pane.selected_event["event_id"])
        show_detail(pane)

    monkeypatch.setattr(timeline.TimelinePane, "show_detail", spied)
    precise = Filters(include_imprecise=False)
    kept_ids = queries.events_in_range(con, precise)["event_id"].to_pylist()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = table(app, "#events")
        row = next(index for index, record in enumerate(events.records) if record["event_id"] in kept_ids[1:])
        await pilot.press(*["j"] * row)
        await settle(pilot)
        kept = app.query_one("#timeline").selected_event["event_id"]
        del shown[:]
        app.filters = precise
        await settle(pilot)
        assert events.current_record["event_id"] == kept and events.cursor_row == kept_ids.index(kept) > 0
        assert shown and set(shown) == {kept}


@pytest.fixture(scope="module")
def synthetic_catalog(tmp_path_factory):
    """A generated directory (benchmarks/generate.py) with 5,000 events: more than a page of the events table."""
    folder = tmp_path_factory.mktemp("synthetic") / "data"
    generate = Path(__file__).parents[1] / "benchmarks" / "generate.py"
    subprocess.run([sys.executable, str(generate), "20000", str(folder)], check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(tmp_path_factory.mktemp("synthetic-cache")))
        opened = open_catalog(folder)
    with opened:
        yield opened


async def test_a_filter_change_finds_a_selected_event_far_down_with_its_own_queries(synthetic_catalog, monkeypatch):
    """The selected event, hundreds of rows down under the new filter, is placed by the refresh's own queries,
    with its page and its linked casualties: after the first paint the table asks for nothing more, and
    neither the cursor nor the detail passes by another event."""
    shown, asked = [], []
    show_detail = timeline.TimelinePane.show_detail

    def spied(pane) -> None:
        shown.append(pane.selected_event["event_id"] if pane.selected_event else None)
        show_detail(pane)

    app = ExplorerApp(synthetic_catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = table(app, "#events")
        pane = app.query_one("#timeline")
        events.move_cursor(250)
        await settle(pilot)
        monkeypatch.setattr(timeline.TimelinePane, "show_detail", spied)
        monkeypatch.setattr(RecordTable, "_locate", lambda table, *args: asked.append(("locate", args)))
        monkeypatch.setattr(RecordTable, "_request", lambda table, page: asked.append(("page", page)))
        monkeypatch.setattr(timeline.TimelinePane, "_load_event_casualties",
                            lambda pane, event_id: asked.append(("casualties", event_id)))
        record = pane.selected_event
        kept, first_day = record["event_id"], events.records[0]["date"]
        later = Filters(date_from=first_day + timedelta(days=1))
        in_order = sorted(queries.events_in_range(synthetic_catalog.cursor(), later).to_pylist(),
                          key=lambda event: (event["date"] is None, event["date"], event["event_id"]))
        position = [event["event_id"] for event in in_order].index(kept)
        assert position >= 200  # not on the first page
        del shown[:], asked[:]
        app.filters = later
        await settle(pilot)
        assert events.current_record["event_id"] == kept and events.cursor_row == position
        assert asked == [] and set(shown) == {kept}
        assert kept in pane.event_casualties
        assert record["title"] in shown_text(app.query_one("#timeline .detail", Static))


async def test_the_actor_detail_follows_a_filter_change_that_keeps_the_actor_highlighted(app, con):
    """The tree is rebuilt with the cursor on the same line, so it announces nothing: the detail kept the old
    filter's count and events (found by a red-team helper)."""
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("2", "down", "down")
        await settle(pilot)
        pane = app.query_one("#actors")
        actor = pane.selected_actor_id
        narrower = Filters(date_from=date(2016, 4, 5), date_to=date(2016, 12, 31))
        every = queries.events_in_range(con, Filters(actor_ids=frozenset({actor})))["title"].to_pylist()
        kept = queries.events_in_range(con, Filters(date_from=narrower.date_from, date_to=narrower.date_to,
                                                    actor_ids=frozenset({actor})))["title"].to_pylist()
        assert 0 < len(kept) < len(every)  # the filter leaves some of the actor's events, not all
        app.filters = narrower
        await settle(pilot)
        assert pane.selected_actor_id == actor
        detail = shown_text(app.query_one("#actors .detail", Static))
        assert f"Events ({len(kept)} under this filter)" in detail
        assert all(title[:30] in detail for title in kept)
        assert not any(title[:30] in detail for title in every if title not in kept)


async def test_khan_tuman_disagreement_is_visible(app):
    """The newcomer's task: find Khan Tuman, see 13 to 20 Iranians killed across 4 reports, and who took part."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d", *"2016-05", "tab", *"2016-05", "enter")
        await pick(app, pilot, "t", {"Iranian"})
        await pilot.press("3")
        await settle(pilot)
        casualties = table(app, "#casualty-table")
        row = casualties.get_row_at(casualties.cursor_row)
        assert row[2] == "13 (13–20 · 4 reports)"
        detail = str(app.query_one("#casualties .detail", Static).content)
        assert detail.count("• ") == 4 and "killed 13" in detail and "killed 20" in detail and "killed 17" in detail
        await pilot.press("1")
        await settle(pilot)
        events = table(app, "#events")
        titles = [r["title"] for r in events.records]
        events.move_cursor(row=titles.index("Jaish al-Fatah captures Khan Tuman"))
        await settle(pilot)
        detail = str(app.query_one("#timeline .detail", Static).content)
        assert "Actors: Jaish al-Fatah, Nusra, Ahrar al-Sham, Fatemiyoun, Nujaba, IRGC" in detail


async def test_chart_shows_the_iranian_tally_rate_and_enter_narrows_to_the_month(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pick(app, pilot, "t", {"Iranian"})
        chart = app.query_one(MonthlyChart)
        assert chart.basis == "tally"
        months = chart.data.months
        chart.focus()
        await pilot.press("home", *["right"] * months.index(date(2015, 11, 1)))
        assert chart.current_month == date(2015, 11, 1)
        autumn = chart.data.value_at("tally", date(2015, 11, 1))["Iranian"]
        before = chart.data.value_at("tally", date(2014, 6, 1))["Iranian"]
        assert autumn > 4 * before
        assert "2015-11" in shown_text(chart) and "Iranian" in shown_text(chart)
        await pilot.press("enter")
        await settle(pilot)
        assert (app.filters.date_from, app.filters.date_to) == (date(2015, 11, 1), date(2015, 11, 30))
        await pilot.press("b")
        assert chart.basis == "incident"


async def test_event_month_and_quarter_keys(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = table(app, "#events")
        events.move_cursor(row=[r["event_id"] for r in events.records].index("E078"))  # 7 May 2016
        await pilot.press("m")
        await settle(pilot)
        assert (app.filters.date_from, app.filters.date_to) == (date(2016, 5, 1), date(2016, 5, 31))
        await pilot.press("M")
        await settle(pilot)
        assert (app.filters.date_from, app.filters.date_to) == (date(2016, 4, 1), date(2016, 6, 30))
        await pilot.press("y")
        await settle(pilot)
        assert (app.filters.date_from, app.filters.date_to) == (date(2016, 1, 1), date(2016, 12, 31))
        await pilot.press("w")
        await settle(pilot)
        assert app.filters == Filters()


async def test_help_screen_lists_every_key(app):
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(shown_text(app.screen.query_one("#help-text", Static)).split())
        for binding in app.BINDINGS:
            assert " ".join((binding.tooltip or binding.description).split()) in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_enter_opens_the_detail_on_a_narrow_terminal(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.query_one("#timeline .detail-scroll").display
        await pilot.press("enter")
        await pilot.pause()
        assert "Iran–Syria alliance begins" in str(app.screen.query_one(Static).content)
        await pilot.press("escape")


async def test_export_writes_the_current_table_and_refuses_the_data_directory(app, tmp_path, catalog):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        field = app.screen.query_one(Input)
        field.value = str(catalog.data_dir / "events.csv")
        await pilot.press("enter")
        assert "read-only" in str(app.screen.query_one("#export-message", Static).render())
        target = tmp_path / "events.csv"
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)  # written off the UI thread, through a temporary file renamed at the end
        rows = list(csv.reader(target.open(encoding="utf-8")))
        assert rows[0][:3] == ["event_id", "date", "end_date"] and "source_url" in rows[0] and len(rows) == 81
        assert sorted(path.name for path in tmp_path.iterdir()) == ["events.csv", "events.csv.citation.txt"]
        assert any(notice.message == f"Wrote 80 rows to {target}, and its citation beside it" for notice in app._notifications)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        assert "exists" in str(app.screen.query_one("#export-message", Static).render())
        await pilot.press("escape")


async def test_command_palette_offers_every_action(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles)) and titles.count("Keys") == 0  # no two entries named alike
        for wanted in ("Go to Timeline  ‹1›", "Go to Actors  ‹2›", "Go to Casualties  ‹3›", "Reset filter  ‹r›",
                       "Preset: whole span  ‹w›", "Preset: the quarter around the selected event  ‹M›",
                       "Export the current table  ‹e›", "Copy the view spec  ‹V›", "Copy a citation of the selected record  ‹C›", "Search  ‹/›", "Choose nationalities  ‹t›", "Help: every key  ‹?›"):
            assert wanted in titles
        await pilot.press("4")
        await settle(pilot)
        sql_titles = [command.title for command in app.get_system_commands(app.screen) if command.title.startswith("SQL: ")]
        assert len(sql_titles) >= 5  # the SQL pane's actions, each with its key
        reset = next(command for command in app.get_system_commands(app.screen) if command.title.startswith("Choose fronts"))
        await reset.callback()
        await settle(pilot)
        from explorer.widgets.value_picker import ValuePicker as Picker
        assert app.screen.query_one(Picker).title_text == "Fronts"


async def test_no_color_still_tells_nationalities_apart(catalog, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.no_color
        legend = shown_text(app.query_one(MonthlyChart)).splitlines()[0]
        assert "█Lebanese" in legend and "▓Iranian" in legend


async def test_casualty_basis_and_pivot_keys(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        pane = app.query_one(CasualtiesPane)
        assert pane.kind == "incident"
        await pilot.press("c")
        assert pane.kind == "tally"
        tallies = table(app, "#casualty-table").records
        winep = next(r for r in tallies if r["occurrence_id"] == "iranian-dead-2015-10-to-2016-02-winep")
        assert winep["killed_per_month"] == 32
        await pilot.press("c", "c", "p")
        assert pane.kind == "individual" and pane.pivot
        records = table(app, "#casualty-table").records
        lebanese = next(r for r in records if r["nationality"] == "Lebanese")
        assert lebanese["total"] == 325
        assert "pivot of killed: sums of occurrences" in str(app.query_one("#kind-switch", Static).render())


async def test_the_pivot_aligns_its_figures_right_and_its_cut_subtitle_says_so(app):
    """The pivot's figures were left-aligned (hard to compare), and at 80 columns its subtitle was cut with no mark."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3", "p")
        await settle(pilot)
        switch = app.query_one("#kind-switch", Static)
        shown = [line.rstrip() for line in screen_lines(app, switch)]
        assert shown[1].strip().startswith("pivot of killed: sums of occurrences") and "…" not in shown[1], shown
        await pilot.press("c")  # tallies: the longer subtitle
        await settle(pilot)
        pivot = table(app, "#casualty-table")
        pivot.scroll_to(x=0, animate=False)
        await settle(pilot)
        lines = screen_lines(app, pivot)
        header = lines[0]
        total_end = header.index("Total") + len("Total")
        figures = [line[:total_end].split()[-1] for line in lines[1:] if line.strip() and line[total_end - 1] != " "]
        assert len(figures) >= 3 and all(figure.replace(",", "").isdigit() for figure in figures), lines
        assert any(len(figure) < len("Total") for figure in figures), "short figures end under the label's end"
        shown = [line.rstrip() for line in screen_lines(app, switch)]
        assert shown[1].strip().startswith("pivot of killed: highest single figure") and shown[1].endswith("…"), shown


async def test_a_newer_filter_wins_over_an_older_one(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.filters = Filters(nationalities=frozenset({"Russian"}))
        app.filters = Filters(nationalities=IRANIAN)
        await settle(pilot)
        counts = queries.row_counts(con, Filters(nationalities=IRANIAN))
        assert tab_labels(app) == [f"1 Timeline {counts['events']}", f"2 Actors {counts['actors']}", f"3 Casualties {counts['casualties']} reports"]
        await pilot.press("3")
        await settle(pilot)
        assert {r["nationality"] for r in table(app, "#casualty-table").records} == {"Iranian"}


async def test_actor_detail_lists_personnel_estimates_that_disagree(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = app.query_one(Tree)
        for _ in range(tree.last_line + 1):
            if tree.cursor_node is not None and tree.cursor_node.data == "irgc":
                break
            await pilot.press("down")
        await settle(pilot)
        detail = str(app.query_one("#actors .detail", Static).content)
        assert "Personnel estimates (10, each with its source)" in detail
        assert "~3,000" in detail and "≤2,000" in detail and "1,300" in detail
        assert "Events (26 under this filter):" in detail and "… and 14 more" in detail  # 12 shown, 12 read


@pytest.mark.parametrize(("actor_id", "title", "absent"), [
    ("hezbollah", "[b]Hezbollah[/b]\n", "Hezbollah (Hezbollah)"),
    ("artesh", "[b]Islamic Republic of Iran Army (Artesh)[/b]\n", "(Artesh) (Artesh)"),
    ("irgc", "[b]Islamic Revolutionary Guard Corps[/b] (IRGC)\n", None),
])
async def test_actor_detail_dates_as_precise_as_their_source_and_names_once(app, con, actor_id, title, absent):
    """An event dated to a year or a month reads as `2011` or `2013-03`, as in the timeline, never as the
    first day of its period; a short name the full name already holds is not said again."""
    from explorer.format import dated

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = app.query_one(Tree)
        for _ in range(tree.last_line + 1):
            if tree.cursor_node is not None and tree.cursor_node.data == actor_id:
                break
            await pilot.press("down")
        await settle(pilot)
        shown = str(app.query_one("#actors .detail", Static).content)
        assert tree.cursor_node.data == actor_id
        lines = "\n".join(app.query_one("#actors").detail_text().lines)
        assert lines.startswith(title)
        if absent:
            assert absent not in shown
        events = queries.events_in_range(con, Filters(actor_ids=frozenset({actor_id})), limit=12).to_pylist()
        for event in events:
            assert f"  {dated(event['date'], event['date_precision'])}  {event['title']}" in shown
        coarse = [event for event in events if event["date_precision"] in ("month", "year")]
        assert all(f"  {event['date']}  {event['title']}" not in shown for event in coarse)


async def test_every_row_is_reachable_a_page_at_a_time_and_sorted_over_all_rows(app, con, monkeypatch):
    """Tables read pages from DuckDB as they scroll (pages of 10 here): every row can be reached, in order,
    and a sort orders every row, not the ones read so far."""
    from explorer.panes import casualties, timeline
    from explorer.widgets import record_table

    for module in (record_table, timeline, casualties):
        monkeypatch.setattr(module, "PAGE_ROWS", 10)
    expected = queries.events_in_range(con, Filters())["event_id"].to_pylist()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = table(app, "#events")
        assert events.row_count == len(expected) == 80 and len(events.records) < 80  # the pages in view only
        seen = []
        for _ in range(len(expected)):
            seen.append(app.query_one("#timeline").selected_event["event_id"])
            await pilot.press("j")
            await settle(pilot)
        assert seen == expected  # every event, in date order, page after page
        await pilot.press("g", "G")
        await settle(pilot)
        assert app.query_one("#timeline").selected_event["event_id"] == expected[-1]
        await pilot.press("g", "s", "S")  # by date, then the reverse: over all 80, not a page
        await settle(pilot)
        assert events.sort_column == "date" and events.sort_reverse
        assert events.current_record["event_id"] == expected[0] and events.cursor_row == 79  # the same event, now last
        await pilot.press("g")
        await settle(pilot)
        latest = con.execute("SELECT max(date) FROM events").fetchall()[0][0]
        assert events.current_record["date"] == latest
        await pilot.press("3", "c", "c", "c")  # named individuals: 547, more than a page and than the old cap of 500
        await settle(pilot)
        individuals = table(app, "#casualty-table")
        named = queries.casualty_occurrences(con, Filters(), "individual").to_pylist()
        assert individuals.row_count == len(named) == 547
        await pilot.press("G")
        await settle(pilot)
        assert individuals.cursor_row == 546
        assert individuals.current_record["occurrence_id"] == named[-1]["occurrence_id"]
        assert named[-1]["person_name"][:20] in " ".join(shown_lines(individuals))


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (160, 50)], ids=lambda size: f"{size[0]}x{size[1]}")
async def test_the_last_row_is_on_screen_after_end_at_every_size(app, size):
    """End (G) shows the last row above the table's horizontal scrollbar, in the timeline and the individuals."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for pane_keys, selector in (((), "#events"), (("3", "c", "c", "c"), "#casualty-table")):
            await pilot.press(*pane_keys, "G")
            await settle(pilot)
            shown = table(app, selector)
            last = shown.get_row_at(shown.row_count - 1)[1].split()[0]  # the title's (or name's) first word
            lines = shown_lines(shown)
            assert last in lines[-1], (selector, lines[-2:])
            assert shown.scroll_y == shown.max_scroll_y
            screen = app.export_screenshot().replace("&#160;", " ")
            assert last in screen  # drawn, not under the scrollbar


async def test_only_the_open_pane_loads_on_a_filter_change_the_others_when_opened(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        casualty_table = table(app, "#casualty-table")
        assert casualty_table.records == []  # never opened: nothing loaded yet, though its tab counts its rows
        assert tab_labels(app)[2] == "3 Casualties 634 reports"
        await pick(app, pilot, "t", {"Russian"})
        russian = queries.row_counts(con, Filters(nationalities=frozenset({"Russian"})))
        assert tab_labels(app) == [f"1 Timeline {russian['events']}", f"2 Actors {russian['actors']}",
                                   f"3 Casualties {russian['casualties']} reports"]
        assert casualty_table.records == [] and app.pane_loads == 0
        await pilot.press("3")
        await settle(pilot)
        assert app.pane_loads == 1
        assert len(casualty_table.records) == 4
        assert [r["occurrence_id"] for r in casualty_table.records] == queries.casualty_occurrences(
            con, Filters(nationalities=frozenset({"Russian"})), "incident")["occurrence_id"].to_pylist()


async def test_a_narrower_count_keeps_the_width_of_its_tab(app, con):
    """A tab keeps the width of the widest count it has shown, in blanks after a narrower one: no tab moves."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tabs = app.query_one(TabbedContent)
        regions = [tab.region for tab in tabs.query("ContentTab")]
        russian = Filters(nationalities=frozenset({"Russian"}))
        app.filters = russian
        await settle(pilot)
        reports = queries.row_counts(con, russian)["casualties"]
        assert reports < 10 and str(tabs.get_tab("tab-casualties").label) == f"3 Casualties {reports} reports  "  # as wide as "634 reports"
        assert [tab.region for tab in tabs.query("ContentTab")] == regions
        app.filters = Filters()
        await settle(pilot)
        assert str(tabs.get_tab("tab-casualties").label) == "3 Casualties 634 reports"


FILTER_CHANGES = (
    Filters(nationalities=IRANIAN),
    Filters(nationalities=IRANIAN, fronts=frozenset({"Aleppo"})),
    Filters(date_from=date(2015, 10, 1), date_to=date(2016, 2, 29)),
    Filters(),
    Filters(nationalities=frozenset({"Russian"}), date_from=date(2015, 9, 1), date_to=date(2016, 3, 31)),
    Filters(include_imprecise=False),
    Filters(date_from=date(2013, 1, 1), date_to=date(2013, 12, 31)),
    Filters(nationalities=frozenset({"Syrian"}), fronts=frozenset({"Idlib"})),
    Filters(actor_ids=frozenset({"SA001"})),
    Filters(fronts=frozenset({"Damascus/Ghouta", "Homs/Palmyra"}), include_imprecise=False),
)
"""The filter changes of benchmarks/run.py, in its order: counts that narrow and widen, dates shown in the fields."""


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda size: f"{size[0]}x{size[1]}")
async def test_a_filter_change_lays_the_screen_out_at_most_once(app, size):
    """Tab counts keep their width, the date fields and the events table their size, the detail its height:
    a filter change lays the screen out at most once (when the events table's scroll bar appears or goes),
    where it took 2 to 4 passes, each of which places every widget again."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in "231":  # every pane shown once, as the benchmark does
            await pilot.press(key)
            await settle(pilot)
        passes = {}
        for filters in FILTER_CHANGES:
            with layout_passes() as counted:
                app.filters = filters
                await settle(pilot)
            passes[filters.summary({})] = counted
        too_many = {shown: asking for shown, asking in passes.items() if len(asking) > 1}
        assert not too_many, too_many  # for each filter, the widgets that asked for each layout pass


async def test_a_filter_change_repaints_what_changed_once_never_the_whole_screen(app, monkeypatch):
    """Setting the app's filter repainted the whole screen (a reactive's default) while the refresh's queries
    ran, 12-68 ms of the UI thread at 120x40 and 1 million rows; and the detail was painted a second time, a
    frame later, when the table announced the row that `show` had just shown."""
    frames: list[set[str]] = []
    update_widgets = Compositor.update_widgets

    def spied(compositor, widgets) -> None:
        frames.append({type(widget).__name__ for widget in widgets})
        update_widgets(compositor, widgets)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(Compositor, "update_widgets", spied)
        for filters in FILTER_CHANGES:
            del frames[:]
            app.filters = filters
            await settle(pilot)
            assert frames and not any("MainScreen" in frame for frame in frames), (filters, frames)
            assert sum("Detail" in frame for frame in frames) <= 1, (filters, frames)


def footer_keys(app) -> list[str]:
    return [key.description for key in app.query_one(KeyFooter).query(FooterKey)]


async def test_a_search_lays_the_screen_out_once_and_the_footer_keeps_up_with_the_focus(app):
    """The footer rebuilt its keys at every change of focus: a search laid the screen out five times. It is
    rebuilt only when its keys change, and it still shows the keys of the pane in front."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        timeline_keys = footer_keys(app)
        await pilot.press("slash")
        await settle(pilot)
        assert not app.query_one(KeyFooter).display and app.query_one("#prompt").has_focus
        for character in "khan":
            await pilot.press(character)
        with layout_passes() as counted:
            await pilot.press("enter")
            await settle(pilot)
        assert len(counted) == 1, counted  # the prompt gives the footer its line back: nothing else
        assert app.query_one(KeyFooter).display and footer_keys(app) == timeline_keys
        assert "Khan" in table(app, "#events").current_record["title"]
        await pilot.press("4")
        await settle(pilot)
        assert footer_keys(app) != timeline_keys  # the SQL pane's keys
        app.action_show_pane("timeline")  # (1 would be typed into the SQL editor)
        await settle(pilot)
        assert footer_keys(app) == timeline_keys


def footer_overlaps(app) -> list[str]:
    """Keys drawn past the screen's edge or under the command palette's key (cut, or a letter in its margin)."""
    footer = app.query_one(KeyFooter)
    palette = footer.query_one(".-command-palette", FooterKey).region
    return [f"{key.description} at {key.region}" for key in footer.query(FooterKey)
            if not key.has_class("-command-palette") and (key.region.right + 1 > palette.x or key.region.right > app.size.width)]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 50)])
async def test_the_footer_shows_whole_keys_only_at_every_size_in_every_pane(app, size):
    """At 80 columns the SQL pane's footer cut "esc Editor ⇄ re" and showed the "m" of "^n Complete" in the
    palette key's margin: a key that does not fit is left out (the help lists them all)."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for pane in ("timeline", "actors", "casualties", "sql", "map"):
            app.action_show_pane(pane)
            await settle(pilot)
            assert footer_keys(app) and not footer_overlaps(app), (pane, footer_overlaps(app))
            last_line = "".join(strip.text for strip in app.screen._compositor.render_update(full=True).strips[-1])
            assert last_line.endswith("palette "), (pane, last_line)  # nothing drawn in the palette key's margin


async def test_the_footer_gives_back_the_keys_it_left_out_when_the_terminal_widens(app):
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.action_show_pane("sql")
        await settle(pilot)
        wide = footer_keys(app)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow = footer_keys(app)
        assert set(narrow) < set(wide) and not footer_overlaps(app)
        assert [key for key in wide if key in narrow] == narrow  # the order of the bindings kept
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        assert footer_keys(app) == wide and not footer_overlaps(app)


@pytest.mark.parametrize("width", [40, 50, 60, 70])
async def test_a_narrow_footer_keeps_help_and_quit_and_leaves_out_keys_from_the_end(app, width):
    """At 60 columns or less `q Quit` was never shown, and keys were filled in greedily (a later, shorter one in
    the place of an earlier one), so the set looked arbitrary. Help and quit are kept; the others shown are the
    first ones of the wide footer, in its order, with a blank cell before the palette key."""
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        wide = [key for key in footer_keys(app) if key not in ("Help", "Quit", "palette")]
        await pilot.resize_terminal(width, 24)
        await settle(pilot)
        narrow = footer_keys(app)
        assert "Help" in narrow and "Quit" in narrow, narrow
        others = [key for key in narrow if key not in ("Help", "Quit", "palette")]
        assert others == wide[:len(others)] and len(others) < len(wide), (narrow, wide)
        assert not footer_overlaps(app)
        footer = app.query_one(KeyFooter)
        palette = footer.query_one(".-command-palette", FooterKey).region
        assert all(key.region.right < palette.x for key in footer.query(FooterKey) if not key.has_class("-command-palette"))


async def test_a_line_cut_by_the_right_edge_says_so_in_its_last_cell(app):
    """At 80 columns the casualties' front read "Hawran/Daraa/Quneit", cut with no mark (the scroll bar hid the
    last two cells of every line). A line whose text goes on past the edge ends in `›`; scrolled to the end, none does."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        casualties = table(app, "#casualty-table")
        lines = screen_lines(app, casualties)
        assert all(line.endswith("›") for line in lines if line.strip()), lines
        assert any("Hawran/Daraa/Qu" in line and "Quneitra" not in line for line in lines)
        assert not any(line.startswith("‹") for line in lines), lines
        casualties.scroll_to(x=casualties.max_scroll_x, animate=False)
        await settle(pilot)
        lines = screen_lines(app, casualties)
        assert not any(line.endswith("›") for line in lines)
        assert all(line.startswith("‹") for line in lines if line.strip()), "text cut on the left says so too"
    wide = ExplorerApp(app.catalog)
    async with wide.run_test(size=(400, 40)) as pilot:  # wide enough for every column
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        lines = screen_lines(wide, table(wide, "#casualty-table"))
        assert any("Hawran/Daraa/Quneitra" in line for line in lines) and not any("›" in line for line in lines), lines


@pytest.mark.parametrize("pane", ["casualties", "actors", "sql"])
async def test_a_pane_key_typed_while_the_app_starts_opens_the_pane_and_the_tabs_stay_there(app, pane):
    """A key typed before the first pane had its focus was undone by that focus's word arriving late, and the
    two undid each other: the tabs flipped between two panes twenty times a second until the app was closed."""
    async with app.run_test(size=(100, 30)) as pilot:
        tabs = app.query_one("#panes", TabbedContent)
        switches = []
        tabs.watch(tabs, "active", lambda active: switches.append(active), init=False)
        app.set_focus(None)
        app.query_one("#events").focus()  # as at start-up: the word of this focus is on its way
        app.action_show_pane(pane)  # and the key that chose a pane is acted on before it arrives
        await settle(pilot)
        await pilot.pause(0.5)
        await settle(pilot)
        assert tabs.active == f"tab-{pane}" and switches == [f"tab-{pane}"], switches[:6]
        assert app.focused is app.query_one(dict(explorer.app.TABS)[pane].main_widget)


async def test_large_counts_shorten_so_that_every_tab_fits_and_come_back_in_full_when_there_is_room(app):
    """At 80 columns, ten million events and casualty reports made the row of tabs wider than the screen: it
    scrolled, and the last tabs were out of sight. The counts then read `10M`; a wide terminal shows them whole."""
    large = {"timeline": 2_500_000, "actors": 1_234, "casualties": 10_000_000, "map": 2_499_999}
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for pane_id, count in large.items():
            app._label_tab(app.query_one(f"#{pane_id}"), count)
        await settle(pilot)
        tabs = [app.query_one(TabbedContent).get_tab(f"tab-{pane}") for pane in ("timeline", "actors", "casualties", "sql", "map")]
        labels = [str(tab.label).rstrip() for tab in tabs]
        assert labels == ["1 Timeline 2.5M", "2 Actors 1.2k", "3 Casualties 10M reports", "4 SQL", "5 Map 2.5M"], labels
        assert all(tab.region.right <= 80 for tab in tabs) and tabs[-1].region.width > 0
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        labels = [str(tab.label).rstrip() for tab in tabs]
        assert labels == ["1 Timeline 2,500,000", "2 Actors 1,234", "3 Casualties 10,000,000 reports", "4 SQL", "5 Map 2,499,999"]
        assert all(tab.region.right <= 160 for tab in tabs)
        await pilot.resize_terminal(50, 20)  # too narrow even for the short counts: the tabs' names alone
        await settle(pilot)
        labels = [str(tab.label).rstrip() for tab in tabs]
        assert labels == ["1 Timeline", "2 Actors", "3 Casualties", "4 SQL", "5 Map"], labels
        assert all(tab.region.right <= 50 for tab in tabs)


async def test_a_newer_filter_stops_the_chart_queries_of_the_older_one(app, monkeypatch):
    """The chart's queries run on a cursor of their own: a newer filter must interrupt them too."""
    stopped = threading.Event()
    chart_rows = timeline._chart_rows

    def slow_for_aleppo(con, filters):
        if filters.fronts == frozenset({"Aleppo"}):
            try:
                con.execute("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b").fetchall()
            except duckdb.InterruptException:
                stopped.set()
                raise
        return chart_rows(con, filters)

    monkeypatch.setattr(timeline, "_chart_rows", slow_for_aleppo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.filters = Filters(fronts=frozenset({"Aleppo"}))
        await pilot.pause(0.5)
        iranian = Filters(nationalities=frozenset({"Iranian"}))
        app.filters = iranian
        await settle(pilot)
        assert stopped.wait(5), "the older filter's chart query was not interrupted"
        assert summary(app) == "Filter: Iranian · imprecise rows shown"
        assert app.query_one(MonthlyChart).data.nationalities[0] == "Iranian"
        assert table(app, "#events").row_count == queries.events_in_range(app.catalog.cursor(), iranian).num_rows


async def test_the_nationality_picker_counts_reports_and_events_in_words(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        options = app.screen.query_one(SelectionList)
        labels = {options.get_option_at_index(index).value: str(options.get_option_at_index(index).prompt)
                  for index in range(options.option_count)}
        counts = {row["value"]: row for row in queries.facet_counts(con, Filters(), "nationality").to_pylist()}
        assert counts["Egyptian"]["casualty_reports"] == 1 and counts["Egyptian"]["events"] == 0
        assert labels["Egyptian"] == "Egyptian  (1 casualty report · 0 events)"
        assert labels["Iranian"] == f"Iranian  ({counts['Iranian']['casualty_reports']} casualty reports · {counts['Iranian']['events']} events)"


async def test_the_picker_keeps_the_focus_until_it_closes_and_gives_it_back(app):
    """The picker opens over the panes in the same screen: tab stays in it, the app's keys type into it,
    enter gives the focus back to the table, and a click elsewhere closes it without applying."""
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        events = app.query_one("#events", RecordTable)
        assert app.focused is events
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen.query_one(ValuePicker)
        assert events.has_class("-held-focus")  # it keeps its focused look behind the picker
        await pilot.press("tab", "shift+tab", "2")  # "2" is typed into the picker, not a pane switch
        await settle(pilot)
        assert picker.has_focus_within and picker.typed == "2" and app.query_one(TabbedContent).active == "tab-timeline"
        await pilot.press("escape", "down", "space", "enter")
        await settle(pilot)
        assert not app.screen.query(ValuePicker)
        assert app.focused is events and not events.has_class("-held-focus")
        assert len(app.filters.fronts) == 1
        chosen = app.filters
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("space")
        await pilot.click("#events")
        await settle(pilot)
        assert not app.screen.query(ValuePicker) and app.filters == chosen  # closed, not applied
        assert app.focused is events and not events.has_class("-held-focus")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_an_actor_line_too_long_for_the_pane_ends_in_an_ellipsis(app, size):
    """Cut at the pane's edge, `totals ≤2,000` read `totals ≤2,00`: another number; cut in the middle, with an
    ellipsis, `≤2,0…` read as 2.0. A line is cut after its last whole figure (or word) that fits."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        tree = app.query_one(Tree)
        cut = 0
        for y in range(min(tree.size.height, tree.last_line + 1)):
            line = tree._tree_lines[y + int(tree.scroll_y)]
            shown = tree.render_line(y).text.rstrip()
            label = line.node._label.plain
            if not shown.endswith(label):
                cut += 1
                start = shown.find(label[:4])
                assert shown.endswith("…") and start >= 0 and label.startswith(shown[start:-1]), (shown, label)
                kept = shown[start:-2]
                assert shown.endswith(" …") and label[len(kept)] == " ", ("cut inside a figure or word", shown, label)
        assert tree.virtual_size.width <= tree.size.width - tree.styles.scrollbar_size_vertical  # nothing to scroll to
        if size == (80, 24):
            assert cut > 0, "some lines are longer than the pane at 80 columns"
