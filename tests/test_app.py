"""The app through Textual's Pilot: it opens on the data and answers its keys."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from explorer.app import ExplorerApp
from explorer.db import queries
from explorer.db.filters import Filters
from explorer.db.schema import CASUALTY_KINDS


async def test_overview_shows_the_data_and_quits_on_q(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = str(app.query_one("#summary", Static).render())
        assert "events 80 · actors 34 · casualties 634 · forces 14" in summary
        table = app.query_one("#bases", DataTable)
        expected = sum(queries.casualty_pivot(catalog.cursor(), Filters(), kind).num_rows for kind in CASUALTY_KINDS)
        assert table.row_count == expected
        assert table.get_row_at(0)[:3] == ["individual", "vdc", "Afghan"]
        await pilot.press("down")
        assert table.cursor_row == 1
        await pilot.press("q")
    assert app.return_code == 0


async def test_help_key_lists_the_keys(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert any("q quit" in str(notification.message) for notification in app._notifications)
