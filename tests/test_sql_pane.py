"""The SQL pane through the Pilot: type, run, page, cancel, export, recall — and nothing on disk changes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from textual.widgets import Input, OptionList, Static, TextArea

from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog
from explorer.db.filters import Filters
from explorer.db.state import QueryHistory
from explorer.panes.sql import SqlPane
from explorer.widgets.result_grid import ResultGrid
from explorer.widgets.screens import ExportScreen
from conftest import fingerprint, settle


def status(app) -> str:
    return str(app.query_one("#sql-status", Static).render())


async def run_sql(app, pilot, sql: str) -> None:
    """Replace the editor's text with `sql`, put the cursor at its end, and press ctrl+j."""
    editor = app.query_one(TextArea)
    editor.text = sql
    editor.focus()
    editor.move_cursor(editor.document.end)
    await pilot.press("ctrl+j")
    await settle(pilot)


@pytest.fixture
def sql_app(data_copy):
    catalog = open_catalog(data_copy)
    yield ExplorerApp(catalog), data_copy
    catalog.close()


async def open_sql(app, pilot) -> None:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    assert isinstance(app.focused, TextArea)


async def test_type_and_run_a_query(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        editor.text = ""
        await pilot.press(*"select kind, count(*) as n from casualties group by kind order by n desc")
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert status(app).startswith("✓ 4 rows · 2 columns")
        grid = app.query_one(ResultGrid)
        assert grid.row(0) == ("individual", 547)
        assert grid.result.columns == ["kind", "n"]


async def test_statement_under_the_cursor_and_a_selection_of_several(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        editor.text = "select 1 as a;\nselect 2 as b;\n"
        editor.move_cursor((0, 3))
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.query_one(ResultGrid).row(0) == (1,)
        editor.text = "create temp table scratch as select 42 as answer;\nselect answer from scratch;"
        editor.select_all()
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.query_one(ResultGrid).row(0) == (42,)


async def test_errors_are_one_line_and_the_pane_keeps_working(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select * frm events")
        assert status(app).startswith("✗ Parser Error") and "LINE 1" in status(app)
        await run_sql(app, pilot, "select nosuch from events")
        assert 'Referenced column "nosuch" not found' in status(app)
        await run_sql(app, pilot, "select count(*) as n from events")
        assert app.query_one(ResultGrid).row(0) == (80,)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("COPY events TO '{data}/events.parquet' (FORMAT parquet)", "COPY refused"),
        ("/* /* */ */ EXPLAIN ANALYZE COPY events TO '{data}/events.parquet' (FORMAT parquet)", "COPY refused"),
        ("DROP VIEW filtered_casualties", "follows the filter bar"),
        ("CREATE OR REPLACE TEMP VIEW filtered_events AS SELECT 1", "follows the filter bar"),
        ("DROP VIEW events", "the data is read-only"),
        ("CREATE TEMP VIEW events AS SELECT 1", "one of the data's tables"),
        ("CREATE TEMP MACRO count_star() AS 42", "is a DuckDB function"),
        ("ATTACH '{data}/x.db'", "ATTACH refused"),
        ("SET threads = 1", "SET refused"),
    ],
)
async def test_hostile_statements_are_refused_and_nothing_changes(sql_app, sql, reason):
    app, data = sql_app
    before = fingerprint(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, sql.format(data=data))
        assert status(app).startswith("✗") and reason in status(app)
        await run_sql(app, pilot, "select count(*) from filtered_events")
        assert app.query_one(ResultGrid).row(0) == (80,)
    assert fingerprint(data) == before


async def test_session_variables_are_the_analysts_own(sql_app):
    """SET VARIABLE is allowed (the guard's docstring says so): the filtered views do not read variables."""
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SET VARIABLE low = 13")
        assert status(app).startswith("✓ done")
        await run_sql(app, pilot, "select count(*) from filtered_casualties where killed >= getvariable('low')")
        assert status(app).startswith("✓ 1 row")
        assert app.query_one(ResultGrid).row(0)[0] > 0


async def test_ten_million_rows_open_at_once_and_scroll_to_the_end(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select range as n, range % 7 as weekday from range(10000000)")
        assert status(app).startswith("✓ 10,000,000 rows · 2 columns")
        grid = app.query_one(ResultGrid)
        grid.focus()
        await pilot.press("end")
        await settle(pilot)  # the last page arrives from its worker
        assert grid.cursor_row == 9_999_999 and grid.row(grid.cursor_row) == (9_999_999, 9_999_999 % 7)
        assert len(grid._pages) <= 3, "only the pages looked at are fetched"


async def test_a_slow_query_can_be_stopped_from_the_editor(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        editor = app.query_one(TextArea)
        editor.text = "select count(*) from range(200000) a, range(200000) b where a.range * b.range = 7"
        await pilot.press("ctrl+j")
        await pilot.pause(0.3)
        assert status(app).startswith("running")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert status(app) == "✗ query cancelled"
        await run_sql(app, pilot, "select 5 as five")
        assert app.query_one(ResultGrid).row(0) == (5,)


async def test_filtered_views_follow_the_filter_and_ctrl_t_inserts_it(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        app.filters = Filters(nationalities=frozenset({"Iranian"}))
        await settle(pilot)
        await run_sql(app, pilot, "select count(*) as n from filtered_casualties")
        assert app.query_one(ResultGrid).row(0) == (128,)
        app.filters = Filters(nationalities=frozenset({"Russian"}))
        await settle(pilot)
        await run_sql(app, pilot, "select count(*) as n from filtered_casualties")
        assert app.query_one(ResultGrid).row(0) == (5,), "the next statement follows the new filter"
        app.filters = Filters(nationalities=frozenset({"Iranian"}))
        await settle(pilot)
        editor = app.query_one(TextArea)
        editor.text = "select count(*) as n from casualties\n"
        editor.move_cursor(editor.document.end)
        await pilot.press("ctrl+t")
        assert "list_contains(['Iranian'], nationality)" in editor.text
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert app.query_one(ResultGrid).row(0) == (128,)


async def test_sort_filter_and_counts_run_in_duckdb(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select casualty_id, nationality, killed from casualties where kind = 'incident'")
        grid = app.query_one(ResultGrid)
        grid.focus()
        await pilot.press("right", "right", "s")
        await settle(pilot)
        assert "sorted by killed asc" in status(app)
        await pilot.press("s")
        await settle(pilot)
        assert grid.row(0)[2] == 23
        assert "ORDER BY" in grid.result.sql
        await pilot.press("u", "right", "left", "v")
        await settle(pilot)
        assert grid.result.columns == ["nationality", "count", "share_percent"]
        assert grid.row(0)[:2] == ("Iranian", 14)
        await pilot.press("equals_sign")  # from the counts back to the rows with that value
        await settle(pilot)
        assert "nationality = Iranian" in status(app) and grid.row_count == 14
        assert {grid.row(i)[1] for i in range(grid.row_count)} == {"Iranian"}


async def test_history_and_editor_text_survive_a_restart(data_copy, private_state):
    with open_catalog(data_copy) as catalog:
        app = ExplorerApp(catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_sql(app, pilot)
            await run_sql(app, pilot, "select 'remember me' as note")
            app.query_one(TextArea).text = "-- my unfinished query\nselect"
        assert QueryHistory(private_state).entries[-1].sql == "select 'remember me' as note"
        again = ExplorerApp(catalog)
        async with again.run_test(size=(120, 40)) as pilot:
            await open_sql(again, pilot)
            assert again.query_one(TextArea).text == "-- my unfinished query\nselect"
            await pilot.press("ctrl+r")
            await pilot.pause()
            await pilot.press(*"remember")
            await pilot.pause()
            options = again.screen.query_one(OptionList)
            assert options.option_count == 1
            await pilot.press("enter")
            await pilot.pause()
            assert again.query_one(TextArea).text == "select 'remember me' as note;\n-- my unfinished query\nselect"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
async def test_export_the_result(sql_app, tmp_path, suffix):
    app, data = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select casualty_id, killed, period_start from casualties where occurrence_id = 'khan-tuman-2016-05-iranians' order by 1")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        field = app.screen.query_one(Input)
        field.value = str(data / f"result{suffix}")
        await pilot.press("enter")
        assert "read-only" in str(app.screen.query_one("#export-message", Static).render())
        target = tmp_path / f"result{suffix}"
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert status(app) == f"✓ wrote 4 rows to {target}"
    if suffix == ".parquet":
        assert pq.read_table(target)["killed"].to_pylist() == [13, 20, 20, 17]
    elif suffix == ".json":
        assert [row["killed"] for row in json.loads(target.read_text())] == [13, 20, 20, 17]
    else:
        assert target.read_text().splitlines()[:2] == ["casualty_id,killed,period_start", "CR004,13,2016-05-07"]
    assert not (data / f"result{suffix}").exists()


async def test_copy_uses_the_terminal_clipboard(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "select 'a' as x, 1 as y union all select 'b', 2 order by 1")
        app.query_one(ResultGrid).focus()
        await pilot.press("y")
        assert app.clipboard == "a\t1"
        await pilot.press("Y")
        assert app.clipboard == "x\ty\na\t1\nb\t2"
        await pilot.press("down", "c")
        assert app.clipboard == "b"


async def test_schema_browser_and_name_completion(sql_app):
    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sql(app, pilot)
        pane = app.query_one(SqlPane)
        tables = {str(node.label) for node in app.query_one("#sql-schema").root.children}
        assert {"events", "actors", "casualties", "forces", "filtered_casualties"} <= tables
        editor = app.query_one(TextArea)
        editor.text = "select nationa"
        editor.move_cursor(editor.document.end)
        await pilot.press("ctrl+n")
        assert editor.text == "select nationality"
        editor.text = "select * from filtered_"
        editor.move_cursor(editor.document.end)
        await pilot.press("ctrl+n")
        assert editor.text == "select * from filtered_"
        assert "Matches: filtered_actors, filtered_casualties, filtered_events, filtered_forces" in status(app)
        await run_sql(app, pilot, "create temp table my_scratch as select 1 as my_column")
        await settle(pilot)
        assert "my_column" in pane.names


async def test_the_schema_browser_fills_when_the_pane_is_first_opened(sql_app):
    """Binding every view for the browser costs start-up time, so it waits until the SQL pane is seen."""
    from textual.widgets import Tree

    app, _ = sql_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        schema = app.query_one("#sql-schema", Tree)
        assert len(schema.root.children) == 0
        await open_sql(app, pilot)
        tables = {node.data for node in schema.root.children}
        assert {"events", "actors", "casualties", "forces", "occurrences", "filtered_casualties"} <= tables


async def test_a_result_shows_with_no_color(catalog, monkeypatch):
    """NO_COLOR: Textual's monochrome filter reads every segment's style; a row drawn without one crashed the app."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = ExplorerApp(catalog)
    async with app.run_test(size=(200, 60)) as pilot:
        await open_sql(app, pilot)
        await run_sql(app, pilot, "SELECT event_id, title FROM events ORDER BY event_id")
        assert app.no_color
        grid = app.query_one("#sql-results")
        await pilot.press("escape", "G")
        await settle(pilot)
        assert grid.cursor_row == grid.row_count - 1
        assert "E0" in app.screen._compositor.render_update(full=True).render_segments(app.console)
