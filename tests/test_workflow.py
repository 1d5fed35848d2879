"""The analyst's everyday moves, through the Pilot: find, jump to a date, remove one part of the filter."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from textual.widgets import Input, OptionList, Static, TabbedContent

from explorer.app import ExplorerApp
from explorer.db import queries
from explorer.db.filters import EVENT_TEXT, Filters
from explorer.widgets.chart import MonthlyChart
from explorer.widgets.choice import ListChoiceScreen
from explorer.widgets.record_table import RecordTable
from explorer.widgets.value_picker import ValuePicker
from conftest import settle

KHAN_TUMAN_EVENTS = ["E046", "E067", "E077"]
"""Events holding both words, by date (titles and descriptions of the built-in data)."""


@pytest.fixture
def app(catalog):
    return ExplorerApp(catalog)


def summary(app) -> str:
    return str(app.query_one("#filter-summary", Static).render())


def selected_event(app) -> str:
    return app.query_one("#timeline").selected_event["event_id"]


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if char == " " else char for char in text))


async def find(pilot, text: str) -> None:
    await pilot.press("slash")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_typing_a_search_types_it_and_fires_no_action(app):
    """`/khan` puts the letters in the prompt: h, a and n do not move the chart, add an actor or open a picker."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart_cursor = app.query_one(MonthlyChart).cursor
        await pilot.press("slash")
        await type_text(pilot, "Khan")
        prompt = app.query_one("#prompt", Input)
        assert prompt.has_focus and prompt.value == "Khan"
        assert not app.screen.query(ValuePicker) and app.filters == Filters()
        assert app.query_one(MonthlyChart).cursor == chart_cursor
        await pilot.press("escape")
        await settle(pilot)
        assert not app.query_one("#prompt-bar").display and isinstance(app.focused, RecordTable)


async def test_search_finds_events_by_their_text_and_n_N_walk_the_matches(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await find(pilot, "khan tuman")
        assert selected_event(app) == KHAN_TUMAN_EVENTS[0]
        events = app.query_one("#events", RecordTable)
        line = next(y for y in range(1, 30) if "Khan Tu" in events.render_line(y).text)
        marked = [segment for segment in events.render_line(line) if segment.text.lower() in ("khan", "tu")]
        assert marked and all(segment.style.underline for segment in marked)  # the words are marked where shown
        for expected in KHAN_TUMAN_EVENTS[1:]:
            await pilot.press("n")
            await settle(pilot)
            assert selected_event(app) == expected
        await pilot.press("n")  # past the last: round to the first, and said
        await settle(pilot)
        assert selected_event(app) == KHAN_TUMAN_EVENTS[0]
        assert any("past the last match, back to the first" in notice.message for notice in app._notifications)
        await pilot.press("N")
        await settle(pilot)
        assert selected_event(app) == KHAN_TUMAN_EVENTS[-1]


async def test_the_chart_follows_each_match_to_its_month_and_stays_while_moving_row_by_row(app, con):
    dates = dict(con.execute("SELECT event_id, date FROM events WHERE event_id IN (SELECT unnest(?))", [KHAN_TUMAN_EVENTS]).fetchall())
    assert len({dates[event].replace(day=1) for event in KHAN_TUMAN_EVENTS}) > 1  # the matches lie in different months
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        first_month = chart.current_month
        await find(pilot, "khan tuman")
        for expected in KHAN_TUMAN_EVENTS:
            assert selected_event(app) == expected
            assert chart.current_month == dates[expected].replace(day=1) != first_month
            await pilot.press("n")
            await settle(pilot)
        month = chart.current_month
        await pilot.press("down")
        await settle(pilot)
        assert selected_event(app) != KHAN_TUMAN_EVENTS[0] and chart.current_month == month


async def test_search_finds_events_by_their_actors_names(app, con):
    """An event holds its actors as ids; a search finds it by their names too ("Quds Force": actor quds_force)."""
    quds = [row[0] for row in con.execute("SELECT actor_id FROM actors WHERE name ILIKE '%quds%' OR short_name ILIKE '%quds%'").fetchall()]
    text = "coalesce(" + " OR ".join(f"{column} ILIKE '%quds%'" for column in EVENT_TEXT) + ", FALSE)"
    expected = con.execute(f"SELECT event_id FROM events WHERE list_has_any(actor_ids, ?) OR {text} ORDER BY date NULLS LAST, event_id",
                           [quds]).fetchall()
    by_actor_only = con.execute(f"SELECT count(*) FROM events WHERE list_has_any(actor_ids, ?) AND NOT ({text})", [quds]).fetchall()[0][0]
    assert quds and by_actor_only > 0  # some events are found through their actors alone
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await find(pilot, "quds")
        found = [selected_event(app)]
        for _ in range(len(expected) - 1):
            await pilot.press("n")
            await settle(pilot)
            found.append(selected_event(app))
        assert found == [row[0] for row in expected]


async def test_a_newcomer_lands_on_the_khan_tuman_incident_with_its_range(app):
    """The issue's walk: /khan tuman in the casualties lands on the May 2016 incident, 13 killed (13–20)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await find(pilot, "khan tuman")
        record = app.query_one("#casualty-table", RecordTable).current_record
        assert record["occurrence_id"] == "khan-tuman-2016-05-iranians"
        assert (record["killed"], record["killed_low"], record["killed_high"]) == (13, 13, 20)
        assert record["first_date"] == date(2016, 5, 7)
        assert "13 (13–20" in app.query_one("#casualties").detail_text()


async def test_a_search_with_no_match_says_so_and_stays(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        before = selected_event(app)
        await find(pilot, "zzqx nothing")
        assert selected_event(app) == before
        assert any("no row holds “zzqx nothing”" in notice.message for notice in app._notifications)


async def test_search_percent_and_underscore_are_plain_characters(app, con):
    """The words travel as parameters of ILIKE with `%` and `_` escaped: `_` finds no title without one."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j")
        before = selected_event(app)
        await find(pilot, "%_%")
        assert selected_event(app) == before


async def test_a_search_becomes_a_filter_shown_and_removable_on_its_own(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await type_text(pilot, "2015")
        await pilot.press("tab")
        await type_text(pilot, "2016")
        await pilot.press("enter")
        await settle(pilot)
        await find(pilot, "khan tuman")
        await pilot.press("equals_sign")
        await settle(pilot)
        assert app.filters.text == "khan tuman"
        assert "events matching “khan tuman”" in summary(app)
        events = app.query_one("#events", RecordTable)
        assert [record["event_id"] for record in events.records] == KHAN_TUMAN_EVENTS
        assert events.row_count == queries.row_count(con, app.filters, "events") == 3
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ListChoiceScreen)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(index).prompt) for index in range(options.option_count)]
        assert labels == ["dates 2015 → 2016", "events matching “khan tuman”"]
        options.highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters == Filters(date_from=date(2015, 1, 1), date_to=date(2016, 12, 31))
        assert "matching" not in summary(app) and "2015 → 2016" in summary(app)


async def test_the_actor_filter_reads_names_and_each_part_goes_on_its_own(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await find(pilot, "irgc")
        actor_id = app.query_one("#actors").selected_actor_id
        short_name = con.execute("SELECT short_name FROM actors WHERE actor_id = ?", [actor_id]).fetchall()[0][0]
        await pilot.press("a")
        await settle(pilot)
        app.filters = Filters(nationalities=frozenset({"Iranian", "Russian"}), actor_ids=app.filters.actor_ids)
        await settle(pilot)
        assert f"actors: {short_name}" in summary(app)
        assert f"actors: {actor_id}" not in summary(app) or actor_id == short_name
        await pilot.press("x")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(index).prompt) for index in range(options.option_count)]
        assert labels == ["nationality Iranian", "nationality Russian", f"actor {short_name}"]
        options.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters == Filters(nationalities=frozenset({"Russian"}), actor_ids=frozenset({actor_id}))


async def test_the_actors_search_finds_by_name_short_name_and_id(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await find(pilot, "quds")
        actor_id = app.query_one("#actors").selected_actor_id
        name = con.execute("SELECT concat_ws(' ', actor_id, name, short_name) FROM actors WHERE actor_id = ?", [actor_id]).fetchall()[0][0]
        assert "quds" in name.lower()


async def test_jump_to_a_date_moves_the_events_and_the_chart(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "2016-05")
        await pilot.press("enter")
        await settle(pilot)
        first = con.execute("SELECT event_id FROM events WHERE date >= DATE '2016-05-01' ORDER BY date, event_id LIMIT 1").fetchall()[0][0]
        assert selected_event(app) == first
        chart = app.query_one(MonthlyChart)
        assert chart.data.months[chart.cursor] == date(2016, 5, 1)
        await pilot.press("colon")
        await type_text(pilot, "2016-13")  # not a month: said in one line, nothing moves
        await pilot.press("enter")
        await settle(pilot)
        assert selected_event(app) == first
        assert any("not a valid date" in notice.message or "not a date" in notice.message for notice in app._notifications)


async def test_the_chart_month_keys_work_with_the_table_focused(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        assert isinstance(app.focused, RecordTable)
        before = chart.cursor
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert chart.cursor == max(0, before - 1)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert chart.cursor == min(len(chart.data.months) - 1, max(0, before - 1) + 2)
        assert isinstance(app.focused, RecordTable)


async def test_the_casualties_say_what_they_count(app, con):
    """The tab counts reports, the basis line counts occurrences: both are named, and the pivot's last row says
    whether it is a sum or the highest single figure."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        reports = queries.row_count(con, Filters(), "casualties")
        occurrences = sum(queries.occurrence_counts(con, Filters()).values())
        switch = str(app.query_one("#kind-switch", Static).render())
        assert f"{occurrences:,} occurrences from {reports:,} reports" in switch and occurrences < reports
        await pilot.press("p")  # incidents: summed
        await settle(pilot)
        table = app.query_one("#casualty-table", RecordTable)
        assert {record["nationality"] for record in table.records} >= {"all (sum)"}
        await pilot.press("c")  # tallies: never summed
        await settle(pilot)
        assert {record["nationality"] for record in table.records} >= {"all (highest one)"}


async def test_typing_in_a_picker_narrows_it_and_ticks_survive_narrowing(app, con):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen.query_one(ValuePicker)
        options = picker.query_one("#picker-list")
        everything = options.option_count
        await type_text(pilot, "ale")
        shown = [str(options.get_option_at_index(index).prompt) for index in range(options.option_count)]
        assert 0 < len(shown) < everything and all("ale" in label.lower() for label in shown)
        assert "Aleppo" in shown[0] or any(label.startswith("Aleppo") for label in shown)
        await pilot.press("space")  # ticks the highlighted value, not a typed space
        ticked = set(picker.ticked)
        assert len(ticked) == 1
        await pilot.press("escape")  # forgets the text, keeps the tick
        assert options.option_count == everything and picker.ticked == ticked
        await type_text(pilot, "lat")
        await pilot.press("space", "backspace", "backspace", "backspace")
        assert options.option_count == everything and len(picker.ticked) == 2
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters.fronts == frozenset(picker.ticked) and "Latakia" in app.filters.fronts


@pytest.mark.parametrize("text", ["quds", "khan tuman", "IRGC aleppo", "%", "zzqx"])
def test_the_text_filter_finds_the_same_events_with_or_without_looking_up_actors_first(con, text):
    """The panes look the actors' names up first; the SQL pane's filtered_events view asks DuckDB in the predicate."""
    filters = Filters(text=text)
    looked_up = queries.row_count(con, filters, "events")
    inline = filters.events()
    in_sql = con.execute(f"SELECT count(*) FROM events WHERE {inline.sql}", list(inline.params)).fetchall()[0][0]
    rows = queries.event_rows(con, filters)
    paged = con.execute(f"SELECT count(*) FROM ({rows.sql})", list(rows.params)).fetchall()[0][0]
    assert looked_up == in_sql == paged
    if text == "quds":
        assert looked_up > 0


async def test_the_pivot_twice_brings_the_table_back(app):
    """p, p: the pivot's rows are never drawn with the basis table's columns (it ended the app)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3", "p", "p")
        await settle(pilot)
        table = app.query_one("#casualty-table", RecordTable)
        assert app.is_running and [column.key for column in table.record_columns][:3] == ["first_date", "nationality", "killed"]
        assert table.current_record["kind"] == "incident"
        await pilot.press("p", "c", "p")  # pivot, the next basis, back to its table
        await settle(pilot)
        assert table.current_record["kind"] == "tally"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda size: f"{size[0]}x{size[1]}")
async def test_the_selected_row_stays_in_sight_after_a_sort(app, size):
    """G then s: the columns widen as the rows arrive and a scrollbar appears; the last row stays above it."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for keys in (("G", "s"), ("G", "S"), ("g", "G", "c")):
            await pilot.press(*keys)
            await settle(pilot)
            events = app.query_one("#events", RecordTable)
            visible = events.scrollable_content_region.height - 1
            assert events.scroll_y <= events.cursor_row < events.scroll_y + visible, keys


async def test_n_pressed_while_a_search_runs_is_not_lost(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await find(pilot, "khan tuman")
        await pilot.press("n", "n")  # without waiting: the second waits for the first
        await settle(pilot)
        assert selected_event(app) == KHAN_TUMAN_EVENTS[2]


async def test_jump_to_a_date_from_another_pane_gives_the_timeline_the_keys(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "2014")
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#panes").active == "tab-timeline" and app.focused is app.query_one("#events")
        await pilot.press("colon")
        await type_text(pilot, "2015")
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#panes").active == "tab-timeline"
        assert app.query_one("#timeline").selected_event["date"].year >= 2015


async def test_the_actor_search_looks_into_folded_branches(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await find(pilot, "irgc")
        await pilot.press("space")  # folds the IRGC branch, Quds Force inside
        await settle(pilot)
        await find(pilot, "quds")
        await settle(pilot)
        assert app.query_one("#actors").selected_actor_id == "quds_force"


@pytest.mark.parametrize("shown, typed", [("Khan Tuman", "KHAN"), ("national/diplomatic", "diplomatic")])
async def test_search_finds_what_the_table_shows_whatever_the_case(app, con, shown, typed):
    """The words are folded by DuckDB, like the data; the front column is searched too."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await find(pilot, typed)
        event = app.query_one("#timeline").selected_event
        assert shown.lower() in " ".join(str(value) for value in (event["title"], event["description"], event["front"])).lower()


async def test_a_second_actor_can_be_added_and_a_ticked_one_taken_out(app, con):
    """The actors list is not narrowed by its own part of the filter: the chosen ones are ticked."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        for word in ("quds", "fatemiyoun"):
            await find(pilot, word)
            await pilot.press("a")
            await settle(pilot)
        assert app.filters.actor_ids == frozenset({"quds_force", "fatemiyoun"})
        tree = app.query_one("#actor-tree")
        labels = [str(tree.get_node_at_line(line).label) for line in range(tree.last_line + 1)]
        assert any(label.startswith("✓ Fatemiyoun") for label in labels) and any(label.startswith("✓ Quds Force") for label in labels)
        assert "actors: Fatemiyoun, Quds Force" in summary(app)
        await pilot.press("a")  # on Fatemiyoun again: out
        await settle(pilot)
        assert app.filters.actor_ids == frozenset({"quds_force"})


def test_a_month_at_the_end_of_a_year_reads_as_a_month():
    assert Filters(date_from=date(2016, 12, 1), date_to=date(2016, 12, 31)).summary().startswith("2016-12 → 2016-12")
    assert Filters(date_from=date(2016, 1, 1), date_to=date(2016, 3, 31)).summary().startswith("2016-01 → 2016-03")
    assert Filters(date_from=date(2015, 1, 1), date_to=date(2016, 12, 31)).summary().startswith("2015 → 2016")


def _event_texts(con) -> list[str]:
    columns = ", ".join(EVENT_TEXT)
    texts = [str(value) for row in con.execute(f"SELECT {columns} FROM events").fetchall() for value in row if value]
    texts += [value for row in con.execute("SELECT actor_id, name, short_name FROM actors").fetchall() for value in row if value]
    return texts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_search_column_finds_what_a_test_of_each_column_finds(con, data):
    """The panes test one lower-cased column per word (the event's text and its actors' names, apart by a
    unit separator); the SQL pane's view tests each column in turn. Words cut from the data at any place,
    in any case, across the edge of two columns, or with pattern characters find the same events both ways."""
    texts = _event_texts(con)
    words = []
    for _ in range(data.draw(st.integers(1, 3))):
        text = data.draw(st.sampled_from(texts))
        start = data.draw(st.integers(0, max(0, len(text) - 1)))
        word = text[start:start + data.draw(st.integers(1, 12))]
        if data.draw(st.booleans()):  # the end of one column's text and the start of another's
            word = text[-data.draw(st.integers(1, 6)):] + data.draw(st.sampled_from(texts))[:data.draw(st.integers(1, 6))]
        word = "".join(char.upper() if data.draw(st.booleans()) else char for char in word)
        words.append(word + data.draw(st.sampled_from(["", "", "%", "_", "\\", "x"])))
    text = " ".join(word for word in " ".join(words).split())
    assume(text)
    filters = Filters(text=text)
    inline = filters.events()
    in_sql = con.execute(f"SELECT count(*) FROM events WHERE {inline.sql}", list(inline.params)).fetchall()[0][0]
    assert queries.row_count(con, filters, "events") == in_sql


async def test_sorting_by_the_actors_column_orders_by_the_names_shown(app):
    """`s` until the Actors column: every row, in the order of the names the column shows (any case)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one("#events", RecordTable)
        table.focus()
        while table.sort_column != "actor_names":
            await pilot.press("s")
            await settle(pilot)
        assert table.row_count <= 100  # one page: every row read already
        shown = [", ".join(table.row(index)["actor_names"]).lower() for index in range(table.row_count)]
        assert shown == sorted(shown) and len(set(shown)) > 5


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_a_long_filter_summary_fits_its_line(app, con, size):
    """Many values at 80 columns: the summary names two of each list and counts the rest; wide, it names all."""
    nationalities = frozenset(row[0] for row in con.execute(
        "SELECT DISTINCT nationality FROM casualties WHERE nationality IS NOT NULL ORDER BY 1 LIMIT 6").fetchall())
    fronts = frozenset({"Aleppo", "Idlib", "Latakia"})
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.filters = Filters(date_from=date(2015, 10, 1), date_to=date(2016, 2, 29), nationalities=nationalities,
                              fronts=fronts, actor_ids=frozenset({"irgc", "hezbollah"}))
        await settle(pilot)
        text = summary(app)
        assert len(text) <= size[0] - 2, text
        if size[0] == 80:
            assert "6 nationalities · 3 fronts · 2 actors" in text
        else:
            assert all(value in text for value in nationalities | fronts)


def burst(app, *keys: str) -> None:
    """Keys as a terminal hands them over in one read (a paste, a lagging SSH link, keys typed during
    start-up): all queued before the app handles the first. `Pilot.press` waits after each key."""
    from textual import events

    names = {"/": "slash", ":": "colon", " ": "space", "-": "minus", "\r": "enter"}
    for text in keys:
        for character in text:
            key = names.get(character, character)
            event = events.Key(key, None if key == "enter" else character)
            event.set_sender(app)
            app.post_message(event)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_keys_in_one_burst_go_where_the_key_before_them_points(app, size):
    """Typed in one burst, `/khan tuman⏎` ran k, h, a, n, t, m as pane commands (the picker opened, the dates
    narrowed) because the prompt took the focus after the letters had been handed to the events table; so did
    `:2016-05⏎` and `4SELECT 9`. The keys that move the focus now act as soon as they are read."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        before = app.filters
        burst(app, "/khan tuman\r")
        await settle(pilot)
        assert app.filters == before and not app.screen.query(ValuePicker)
        event = app.query_one("#events", RecordTable).current_record
        assert "khan tum" in event["title"].lower(), event["title"]
        burst(app, ":2016-05\r")
        await settle(pilot)
        assert app.filters == before and app.query_one(MonthlyChart).current_month == date(2016, 5, 1)
        assert app.query_one("#events", RecordTable).current_record["date"] >= date(2016, 5, 1)
        burst(app, "4SELECT 9")
        await settle(pilot)
        from textual.widgets import TextArea

        editor = app.query_one(TextArea)
        assert editor.has_focus and editor.text.endswith("SELECT 9"), editor.text[-40:]
        burst(app, " / 2 ; 1:")  # in the editor these are text, not a search, a pane or a jump
        await settle(pilot)
        assert editor.has_focus and editor.text.endswith("SELECT 9 / 2 ; 1:") and not app.query_one("#prompt-bar").display
        app.action_show_pane("timeline")  # the editor types digits: its way out is the mouse, or esc to the results
        await settle(pilot)
        await pilot.press("d")
        burst(app, "2015")
        await settle(pilot)
        assert app.query_one("#date-from", Input).value == "2015" and app.query_one(TabbedContent).active == "tab-timeline"
        await pilot.press("escape", "f")
        await settle(pilot)
        burst(app, "/")  # in a picker, typing narrows its list (Hawran/Daraa/Quneitra)
        await settle(pilot)
        assert app.screen.query(ValuePicker) and app.query_one(TabbedContent).active == "tab-timeline"
        assert not app.query_one("#prompt-bar").display
