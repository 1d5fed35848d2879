"""Whole-screen snapshots of each pane at 80x24 and 120x40 (pytest-textual-snapshot).

After an intended change of the screens: `pytest tests/test_snapshots.py --snapshot-update`,
look at the SVGs in tests/__snapshots__/, and commit them."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from conftest import settle
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

import explorer.app
from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog
from explorer.widgets.series import shown

SIZES = [(80, 24), (120, 40)]
PANE_KEYS = {"timeline": [], "actors": ["2"], "casualties": ["3"], "map": ["5"]}


@pytest.fixture(autouse=True)
def truecolour_terminal(monkeypatch):
    """The chart fits its colours to the terminal's: every snapshot is taken as in one kind of terminal."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


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
        await pilot.press("t")
        await settle(pilot)
        from textual.widgets import SelectionList

        options = app.screen.query_one(SelectionList)
        options.highlighted = [options.get_option_at_index(i).value for i in range(options.option_count)].index("Iranian")
        await pilot.press("space", "enter")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=(120, 40), run_before=filter_to)


def test_front_picker_open_over_the_timeline_80x24(snap_compare):
    """The picker opens over the panes in the same screen; the table behind it keeps its focused look."""
    async def open_picker(pilot):
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("down", "space")
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=(80, 24), run_before=open_picker)


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


class SixteenColours(LineFilter):
    """What a 16-colour terminal shows: each colour the nearest of the 16, as Rich picks it for TERM=linux."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, style and style + Style(color=self._nearest(style.color), bgcolor=self._nearest(style.bgcolor)),
                        control) for text, style, control in segments]

    @staticmethod
    def _nearest(colour: RichColor | None) -> RichColor | None:
        if colour is None or colour.is_default:
            return colour
        nearest = shown(Color.from_rich_color(colour), ColorSystem.STANDARD)
        return RichColor.from_rgb(nearest.r, nearest.g, nearest.b)


class SixteenColourApp(ExplorerApp):
    CSS_PATH: ClassVar = [Path(explorer.app.__file__).parent / path for path in ExplorerApp.CSS_PATH]
    """Textual reads a relative path beside the module of the class: this one's is in tests/."""

    def get_line_filters(self) -> list[LineFilter]:
        return [*super().get_line_filters(), SixteenColours()]


def test_sixteen_colours(snap_compare, monkeypatch):
    """TERM=linux: every nationality its own colour, or a pattern once the colours that show well run out."""
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("COLORTERM")

    async def individuals(pilot):
        await settle(pilot)
        assert pilot.app.console.color_system == "standard"
        await pilot.press("b", "b")
        await settle(pilot)

    assert snap_compare(SixteenColourApp(open_catalog()), terminal_size=(120, 40), run_before=individuals)


def test_light_theme_timeline_80x24(snap_compare):
    async def light(pilot):
        pilot.app.theme = "textual-light"
        await settle(pilot)

    assert snap_compare(ExplorerApp(open_catalog()), terminal_size=(80, 24), run_before=light)
