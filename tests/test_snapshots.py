"""Whole-screen snapshots of each pane at 80x24 and 120x40 (pytest-textual-snapshot).

After an intended change of the screens: `pytest tests/test_snapshots.py --snapshot-update`,
look at the SVGs in tests/__snapshots__/, and commit them."""

from __future__ import annotations

import pytest

from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog
from conftest import settle

SIZES = [(80, 24), (120, 40)]
PANE_KEYS = {"timeline": [], "actors": ["2"], "casualties": ["3"]}


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("pane", PANE_KEYS)
def test_pane(snap_compare, pane, size):
    async def open_pane(pilot):
        await settle(pilot)
        for key in PANE_KEYS[pane]:
            await pilot.press(key)
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=size, run_before=open_pane)


def test_filtered_to_iranian_in_2016(snap_compare):
    async def filter_to(pilot):
        await settle(pilot)
        app = pilot.app
        await pilot.press("d", *"2016-03", "tab", *"2016-05", "enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        from textual.widgets import SelectionList

        options = app.screen.query_one(SelectionList)
        options.highlighted = [options.get_option_at_index(i).value for i in range(options.option_count)].index("Iranian")
        await pilot.press("space", "enter")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=(120, 40), run_before=filter_to)


def test_light_theme(snap_compare):
    async def light(pilot):
        pilot.app.theme = "textual-light"
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=(120, 40), run_before=light)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_sql_pane(snap_compare, size):
    """The pane as a newcomer first sees it (a run's status carries its elapsed time, so none is run here)."""

    async def open_sql(pilot):
        from textual.widgets import TextArea

        await settle(pilot)
        await pilot.press("4")
        pilot.app.query_one(TextArea).cursor_blink = False
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=size, run_before=open_sql)
