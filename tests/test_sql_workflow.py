"""The SQL pane never loses work, and every row of a result can be found: history, ctrl+t, esc, wide values,
DuckDB's hints, select-all and `/` search, driven through the Pilot as an analyst would."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from conftest import screen_lines, settle, shown_text
from textual.widgets import Input, OptionList, Static, TextArea, Tree

from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog
from explorer.db.filters import Filters
from explorer.db.sql_session import FILTERED_TABLES, ResultSet, SqlSession
from explorer.db.state import EditorState, QueryHistory
from explorer.panes.sql import HistoryScreen, SqlPane
from explorer.widgets.result_grid import (
    MAX_CACHED_PAGES,
    PAGE_ROWS,
    PLACEHOLDER,
    ResultGrid,
)

SEVEN_LINES = """-- counts I keep
select kind, count(*) as n
from casualties
group by kind;

-- and the events
select count(*) from events;"""


def status(app) -> str:
    return str(app.query_one("#sql-status", Static).render())


async def open_sql(app, pilot) -> None:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    assert isinstance(app.focused, TextArea)


async def run_sql(app, pilot, sql: str) -> None:
    editor = app.query_one(TextArea)
    editor.text = sql
    editor.focus()
    editor.move_cursor(editor.document.end)
    await pilot.press("ctrl+j")
    await settle(pilot)


@pytest.fixture
def catalog(data_copy):
    with open_catalog(data_copy) as opened:
        yield opened


# --- history -----------------------------------------------------------------------------


async def test_recalling_a_query_keeps_the_editor_and_ctrl_z_takes_it_out(catalog, private_state):
    QueryHistory(private_state).add("select 'recalled' as note", 1, None, 0.01)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        editor.text = SEVEN_LINES
        editor.move_cursor((2, 2))  # inside the first statement
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen) and isinstance(app.focused, Input)
        await pilot.press("down")
        assert isinstance(app.focused, OptionList) and app.focused.highlighted == 0
        await pilot.press("enter")
        await pilot.pause()
        lines = SEVEN_LINES.splitlines()
        assert editor.text.splitlines() == lines[:4] + ["select 'recalled' as note;"] + lines[4:]
        assert editor.cursor_location == (4, 0), "the cursor is on the recalled query"
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.query_one(ResultGrid).row(0) == ("recalled",)
        await pilot.press("ctrl+z")
        assert editor.text == SEVEN_LINES
    assert EditorState(private_state).load() == SEVEN_LINES, "what is saved is what the editor held"


async def test_enter_in_the_search_field_takes_the_newest_match(catalog, private_state):
    history = QueryHistory(private_state)
    for sql in ("select 1 as older", "select 2 as newer", "select 3 as other"):
        history.add(sql, 1, None, 0.01)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        editor.text = "select 'mine'"  # not terminated: the recalled query goes before it, never into it
        editor.move_cursor(editor.document.end)
        await pilot.press("ctrl+r", *"as o", "enter")  # older and other match
        await pilot.pause()
        assert editor.text == "select 3 as other;\nselect 'mine'"
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.query_one(ResultGrid).row(0) == (3,)


# --- ctrl+t ------------------------------------------------------------------------------

FILTERS = {
    "nationality": Filters(nationalities=frozenset({"Iranian"})),
    "dates": Filters(date_from=date(2016, 3, 1), date_to=date(2016, 5, 31)),
    "actor": Filters(actor_ids=frozenset({"irgc"})),
    "everything narrowed": Filters(date_from=date(2015, 10, 1), date_to=date(2016, 12, 31), include_imprecise=False,
                                   nationalities=frozenset({"Iranian", "Afghan", None}), fronts=frozenset({"Aleppo"})),
}


@pytest.mark.parametrize("filters", FILTERS.values(), ids=FILTERS.keys())
async def test_ctrl_t_writes_the_slice_that_fits_each_table(catalog, filters):
    """For each table, the statement ctrl+t writes counts what the filtered_* view counts, and the statement
    typed after it runs on its own."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        app.filters = filters
        await settle(pilot)
        editor, grid = app.query_one(TextArea), app.query_one(ResultGrid)
        for table in FILTERED_TABLES:
            await run_sql(app, pilot, f"select count(*) as n from filtered_{table}")
            expected = grid.row(0)
            editor.text = f"SELECT count(*) AS n FROM {table}"
            editor.move_cursor(editor.document.end)
            await pilot.press("ctrl+t")
            if filters.actors().sql == "TRUE" and table == "actors":
                assert "does not narrow actors" in status(app) and editor.text == f"SELECT count(*) AS n FROM {table}"
                continue
            written = editor.text
            assert written.endswith(";") and ("\n" in written or f"FROM filtered_{table};" in written), "terminated, readable"
            assert max(len(line) for line in written.splitlines()) <= 200
            await pilot.press("enter", *"select 'next' as after")
            await pilot.press("ctrl+j")
            await settle(pilot)
            assert grid.row(0) == ("next",), "the next statement did not merge into the filtered one"
            editor.move_cursor((0, 0))
            await pilot.press("ctrl+j")
            await settle(pilot)
            assert status(app).startswith("✓"), f"{table}: {status(app)}\n{written}"
            assert grid.row(0) == expected, f"{table}:\n{written}"


async def test_ctrl_t_keeps_the_statements_own_condition_and_clauses(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        app.filters = FILTERS["dates"]
        await settle(pilot)
        editor = app.query_one(TextArea)
        editor.text = ("select kind, count(*) as n from casualties c where kind = 'individual' or kind = 'incident' "
                       "group by kind order by kind; -- mine\nselect 1;")
        editor.move_cursor((0, 10))
        await pilot.press("ctrl+t")
        lines = editor.text.splitlines()
        assert lines[0] == "select kind, count(*) as n from casualties c"
        assert lines[1] == "WHERE (kind = 'individual' or kind = 'incident')"
        assert lines[-2] == "group by kind order by kind; -- mine" and lines[-1] == "select 1;"
        await pilot.press("ctrl+j")
        await settle(pilot)
        got = [app.query_one(ResultGrid).row(i) for i in range(2)]
        session = SqlSession(catalog)
        session.set_filters(FILTERS["dates"])
        expected = session.run("select kind, count(*) from filtered_casualties where kind in ('incident', 'individual') "
                               "group by kind order by kind")
        assert got == expected.fetch(0, 2)
        await pilot.press("ctrl+z")
        assert editor.text.startswith("select kind, count(*) as n from casualties c where kind"), "one undo step"


async def test_ctrl_t_reads_the_filtered_views_where_no_where_clause_fits(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        app.filters = FILTERS["nationality"]
        await settle(pilot)
        editor = app.query_one(TextArea)
        editor.text = "select count(*) from events e join casualties c on c.event_id = e.event_id"
        await pilot.press("ctrl+t")
        assert editor.text == ("select count(*) from filtered_events e join filtered_casualties c "
                               "on c.event_id = e.event_id;")
        assert "events → filtered_events" in status(app)
        editor.text = "select 42"
        await pilot.press("ctrl+t")
        assert "reads none of events" in status(app) and editor.text == "select 42"


# --- focus -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), (160, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_one_esc_one_move_at_every_size(catalog, size):
    app = ExplorerApp(catalog)
    async with app.run_test(size=size) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select range as n from range(1000)")
        editor, grid = app.query_one(TextArea), app.query_one(ResultGrid)
        text = editor.text
        await pilot.press("escape")
        assert app.focused is grid
        await pilot.press("G")
        assert grid.cursor_row == 999 and editor.text == text
        await pilot.press("escape")
        assert app.focused is editor
        await pilot.press("escape")
        assert app.focused is grid
        schema = app.query_one("#sql-schema", Tree)
        if schema.display:
            schema.focus()
            await pilot.press("escape")
            assert app.focused is editor
        assert editor.text == text


# --- wide values and where the cursor is ----------------------------------------------------


async def test_wide_values_are_shown_whole_and_the_status_says_which_row(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(160, 50)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SELECT * FROM range(5000000)")
        grid = app.query_one(ResultGrid)
        assert status(app).endswith("· row 1 of 5,000,000")
        await pilot.press("escape", "G")
        await settle(pilot)  # the last page arrives from its worker
        assert status(app).endswith("· row 5,000,000 of 5,000,000")
        shown = shown_text(grid)
        assert "4999999" in shown and "…" not in shown
        await pilot.press(*["up"] * 128)
        await settle(pilot)
        assert status(app).endswith("· row 4,999,872 of 5,000,000") and grid.row(grid.cursor_row) == (4_999_871,)
        assert len(grid._pages) <= 3


async def test_a_wide_result_scrolls_sideways_to_every_column_and_marks_each_cut_edge(catalog):
    """At 80 columns `SELECT * FROM events` showed 5 of its 18 columns, cut with no mark, and l / → moved an
    unseen cursor. Each column the cursor reaches is scrolled into view whole; text beyond an edge is marked
    there (`‹`, `›`), and the marks go where nothing is cut."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SELECT * FROM events ORDER BY event_id")
        await pilot.press("escape")
        grid = app.query_one(ResultGrid)
        columns = grid.result.columns
        assert len(columns) > 10
        lines = [line for line in screen_lines(app, grid) if line.strip()]
        assert all(line.endswith("›") and not line.startswith("‹") for line in lines), lines
        for column in range(1, len(columns)):
            await pilot.press("l")
            await pilot.pause()
            header = screen_lines(app, grid)[0]
            assert grid.cursor_column == column
            assert columns[column][:grid.widths[column]] in header, (columns[column], header)
        lines = [line for line in screen_lines(app, grid) if line.strip()]
        assert all(line.startswith("‹") and not line.endswith("›") for line in lines), lines
        await pilot.press("h")
        await pilot.pause()
        assert grid.cursor_column == len(columns) - 2 and columns[-2][:grid.widths[-2]] in screen_lines(app, grid)[0]
        await pilot.press(*["left"] * len(columns))
        await pilot.pause()
        lines = [line for line in screen_lines(app, grid) if line.strip()]
        assert grid.cursor_column == 0 and grid.scroll_x == 0 and not any(line.startswith("‹") for line in lines)


async def test_the_cursor_s_column_stays_in_view_when_wider_values_come_into_view(catalog):
    """With the cursor on the last column of `casualties`, moving down widened the columns before it (wider values
    came into view) while the sideways scroll stayed, so the cursor's column slid past the right edge."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SELECT * FROM casualties")
        await pilot.press("escape")
        grid = app.query_one(ResultGrid)
        last = len(grid.result.columns) - 1
        await pilot.press(*["l"] * last)
        for keys in (["j"] * 10, ["pagedown"] * 2, ["G"], ["g"]):
            await pilot.press(*keys)
            await settle(pilot)
            right = 1 + sum(width + 2 for width in grid.widths[:last]) + grid.widths[last]  # where the column ends
            lines = screen_lines(app, grid)
            assert grid.cursor_column == last and right <= grid.scroll_x + grid.scrollable_content_region.width - 1, (keys, lines[:3])
            assert not any(line.rstrip().endswith("›") for line in lines), (keys, lines)


async def test_the_editor_opens_with_the_cursor_after_its_text(catalog, private_state):
    """The editor opened with the cursor at its first column, so a word typed at once went in front of the saved
    query (`ySELECT`) and was saved so. The cursor now starts after the text, and ctrl+j runs its last statement."""
    EditorState(private_state).save(SEVEN_LINES)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        assert editor.cursor_location == editor.document.end
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.query_one(ResultGrid).result.columns == ["count_star()"]
        await pilot.press("escape", "escape", "x")
        assert editor.text == SEVEN_LINES + "x"


async def test_columns_take_their_types_width_and_numbers_align_right(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select case when range >= 100 then DATE '2016-05-06' end as d, range as n from range(300)")
        grid = app.query_one(ResultGrid)
        assert grid.widths[0] == 10, "a date is 10 wide even while the rows in view are NULL"
        await pilot.press("escape", "G")
        await pilot.pause()
        last = shown_text(grid).splitlines()[grid.cursor_row - round(grid.scroll_y) + 1]
        assert last.startswith(" 2016-05-06  299"), "the number is right-aligned under its header"


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("sql", "hint"), [
    ("select * from casualtie", 'Did you mean "casualties"?'),
    ("select nationality from events", "Candidate bindings:"),
])
async def test_errors_keep_duckdbs_hints_in_the_pane(catalog, sql, hint):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, sql)
        assert status(app).startswith("✗")
        shown = shown_text(app.query_one(ResultGrid))
        assert any(line.strip().startswith(hint) for line in shown.splitlines()), shown
        await run_sql(app, pilot, "select 1 as one")
        assert hint not in shown_text(app.query_one(ResultGrid))


# --- select all ----------------------------------------------------------------------------


async def test_ctrl_a_selects_all_of_the_editor(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        editor.text = SEVEN_LINES
        editor.move_cursor((3, 3))
        await pilot.press("ctrl+a")
        assert editor.selected_text == SEVEN_LINES
        await pilot.press("x")
        assert editor.text == "x"
        await pilot.press("ctrl+z")
        assert editor.text == SEVEN_LINES
        assert any(binding.key == "ctrl+a" and "select all" in binding.tooltip for binding in SqlPane.BINDINGS), "in the help"


# --- search in the results -------------------------------------------------------------------


async def test_slash_finds_rows_n_and_shift_n_go_on_and_back(catalog):
    query = "select event_id, date, title from events order by date, event_id"
    rows = SqlSession(catalog).rows(query)
    matches = [i for i, row in enumerate(rows) if any("aleppo" in str(value).lower() for value in row)]
    assert len(matches) >= 3
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, query)
        grid = app.query_one(ResultGrid)
        await pilot.press("escape", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"ALEPpo", "enter")
        await settle(pilot)
        assert app.focused is grid and grid.cursor_row == matches[0]
        assert grid.current_column_name == "title"
        await pilot.press("n")
        await settle(pilot)
        assert grid.cursor_row == matches[1]
        await pilot.press("n", "N")
        await settle(pilot)
        assert grid.cursor_row == matches[1]
        line = grid.render_line(grid.cursor_row - round(grid.scroll_y) + 1)
        highlighted = [segment.text.strip() for segment in line if segment.style and segment.style.bgcolor]
        assert len(highlighted) == 1 and highlighted[0].startswith(rows[matches[1]][2][:20]), "the matching cell is highlighted"
        await pilot.press("G", "n")
        await settle(pilot)
        assert grid.cursor_row == matches[0], "past the last match the search goes round to the first"
        await pilot.press("up", "N")
        await settle(pilot)
        assert grid.cursor_row == matches[-1], "and back round to the last"
        await pilot.press("slash", *"no such text", "enter")
        await settle(pilot)
        assert "No row holds 'no such text'" in status(app) and grid.cursor_row == matches[-1]
        await pilot.press("slash", "enter")
        await settle(pilot)
        assert "No row holds 'no such text'" in status(app), "enter alone searches again for the last text"
        await pilot.press("slash", "escape")
        assert app.focused is grid and not app.query_one("#sql-search", Input).display


async def test_search_runs_in_duckdb_over_ten_million_rows(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select range as n, 'row ' || range as label from range(10000000)")
        grid = app.query_one(ResultGrid)
        await pilot.press("escape", "slash", *"w 7654321", "enter")
        await settle(pilot)
        assert grid.cursor_row == 7_654_321 and grid.current_column_name == "label"
        assert status(app).endswith("· row 7,654,322 of 10,000,000 · /w 7654321"), "the status says what n and N search for"
        assert len(grid._pages) <= 3, "only the pages looked at are fetched: the rows were searched by DuckDB"


# --- the command palette ---------------------------------------------------------------------


async def test_the_panes_actions_for_the_command_palette(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        commands = {name: (help_text, keys, callback) for name, help_text, keys, callback in app.query_one(SqlPane).palette_commands()}
        for name in ("Run", "Stop", "History", "Filter as SQL", "Export", "Schema", "Search", "Next match"):
            help_text, keys, callback = commands[name]
            assert help_text and keys and callable(callback)
        assert commands["History"][1] == "ctrl+r" and commands["Search"][1] == "/"
        commands["History"][2]()
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)


@pytest.fixture
def watched_fetches(monkeypatch):
    """Every page fetch a result makes, with the thread it ran on; fetches past the first page wait for `gate`."""
    calls: list[tuple[int, bool]] = []
    gate = threading.Event()
    gate.set()
    fetch = ResultSet.fetch

    def watched(result, offset, limit):
        calls.append((offset, threading.current_thread() is threading.main_thread()))
        if offset >= PAGE_ROWS:
            gate.wait(30)
        return fetch(result, offset, limit)

    monkeypatch.setattr(ResultSet, "fetch", watched)
    yield calls, gate
    gate.set()


async def test_scrolling_a_million_rows_fetches_every_page_off_the_ui_thread(catalog, watched_fetches):
    calls, _ = watched_fetches
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SELECT range AS n, range * 2 AS twice FROM range(1000000)")
        grid = app.query_one(ResultGrid)
        await pilot.press("escape", *["pagedown"] * 30)
        await settle(pilot)
        assert grid.cursor_row == 30 * (grid.size.height - 2), "the cursor went down a screen at a time"
        shown = shown_text(grid)
        assert shown.splitlines()[1].split()[0] == str(round(grid.scroll_offset.y)) and PLACEHOLDER not in shown
        await pilot.press("G")
        await settle(pilot)
        assert grid.cursor_row == 999_999 and grid.row(999_999) == (999_999, 1_999_998)
        assert "1999998" in shown_text(grid) and PLACEHOLDER not in shown_text(grid)
        await pilot.press(*["up"] * 250)
        await settle(pilot)
        assert grid.row(grid.cursor_row) == (999_749, 1_999_498)
        assert len(grid._pages) <= MAX_CACHED_PAGES
    assert calls and not [offset for offset, on_main in calls if on_main], "a page was fetched on the UI thread"
    assert {offset for offset, _ in calls} >= {0, 999_800, 999_600}, "the last page, and the one before it ahead of the cursor"


async def test_rows_not_fetched_yet_show_a_placeholder_and_keys_still_work(catalog, watched_fetches):
    _, gate = watched_fetches
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SELECT range AS n FROM range(100000)")
        grid = app.query_one(ResultGrid)
        gate.clear()  # DuckDB is slow from now on: the pages after the first wait
        await pilot.press("escape", "G")
        await pilot.pause()
        assert grid.cursor_row == 99_999 and status(app).endswith("· row 100,000 of 100,000")
        shown = shown_text(grid).splitlines()
        assert shown[1].strip() == PLACEHOLDER and "99999" not in "\n".join(shown), "the rows are on their way"
        await pilot.press("up", "up")
        await pilot.pause()
        assert grid.cursor_row == 99_997, "keys are handled while the page is fetched"
        await pilot.press("y")
        assert "still being read" in status(app), "a row that has not arrived cannot be copied yet"
        gate.set()
        await settle(pilot)
        assert "99999" in shown_text(grid) and PLACEHOLDER not in shown_text(grid), "the page arrived and was drawn"
        assert grid.row(99_997) == (99_997,)
