"""The chart's series, as terminals show them: told apart in 16 colours, 256, truecolour and NO_COLOR,
and at least 3:1 against the chart's background in every theme the app offers."""

from __future__ import annotations

import pytest
import textual.constants
from conftest import settle
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from textual.color import Color

from explorer.app import ExplorerApp
from explorer.widgets.chart import AXIS_WIDTH, BASES, EIGHTHS, MonthlyChart
from explorer.widgets.series import (
    BAR_GLYPHS,
    LINE_GLYPHS,
    MIN_DISTANCE,
    contrast,
    difference,
    shown,
)

TERMINALS = {
    "TERM=linux": ({"TERM": "linux"}, "standard"),
    "256 colours": ({"TERM": "xterm-256color"}, "256"),
    "truecolour": ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
    "NO_COLOR": ({"TERM": "xterm-256color", "NO_COLOR": "1"}, None),
}
SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR}
SERIES_GLYPHS = set(BAR_GLYPHS) | set(EIGHTHS.strip()) | set(LINE_GLYPHS)
WIDE = (240, 40)
"""Wide enough for the legend to name all 14 nationalities of the built-in data."""


@pytest.fixture
def terminal(request, monkeypatch):
    """The environment of one kind of terminal; its colour system as Rich's Console names it."""
    environment, system = TERMINALS[request.param]
    for name in ("COLORTERM", "NO_COLOR", "FORCE_COLOR", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "auto")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return system


def as_shown(colour: RichColor | None, system: str | None) -> Color | None:
    """A colour as the terminal shows it; None where the terminal shows no colour."""
    if colour is None or system is None or colour.is_default:
        return None
    return shown(Color.from_rich_color(colour), SYSTEMS[system])


def rendered(chart: MonthlyChart, y: int) -> list[Segment]:
    """A line of the chart as the screen gets it: after the app's line filters (dim text blended into the
    background, NO_COLOR's greys, ...)."""
    segments = list(chart.render_line(y))
    for line_filter in chart.get_line_filters():
        segments = line_filter.apply(segments, chart.background_colors[1])
    return segments


def legend_entries(chart: MonthlyChart, system: str | None) -> dict[str, tuple[str, Color | None]]:
    """nationality → (glyph, colour as shown) of each legend entry (`█Lebanese `)."""
    cells = [(glyph, segment.style) for segment in rendered(chart, 0) for glyph in segment.text]
    text = "".join(glyph for glyph, _ in cells)
    entries = {}
    for nationality in chart.data.nationalities:
        found = text.find(f"{nationality} ", 1)
        if found > 0:
            glyph, style = cells[found - 1]
            entries[nationality] = (glyph, as_shown(style.color, system))
    return entries


def plotted_cells(chart: MonthlyChart) -> list[tuple[str, RichColor, RichColor | None]]:
    """(glyph, colour, background) of every series cell the plot draws (not the axis, not the cursor)."""
    cells = []
    for y in range(1, chart.size.height - 3):
        column = 0
        for segment in rendered(chart, y):
            for glyph in segment.text:
                if column >= AXIS_WIDTH and glyph in SERIES_GLYPHS:
                    cells.append((glyph, segment.style.color, segment.style.bgcolor))
                column += 1
    return cells


def on_every_basis(chart: MonthlyChart):
    for basis in BASES:
        chart.basis = basis
        yield basis


def test_linux_and_screen_are_16_colour_terminals():
    """Rich, as the app uses it, takes both for 16 colours: the runs with TERM=linux below stand for both."""
    for term in ("linux", "screen"):
        assert Console(force_terminal=True, _environ={"TERM": term}).color_system == "standard"


@pytest.mark.parametrize("terminal", ["TERM=linux", "256 colours", "truecolour"], indirect=True)
async def test_every_series_is_told_apart_and_stands_out_in_every_theme(catalog, terminal):
    """With TERM=linux Lebanese and Syrian were both bright red, and the light theme had Afghan gold on grey
    at 1.0:1. Now, on every basis in every theme, no two series share colour and glyph, two series of one
    glyph differ clearly in colour, and every series drawn stands at least 3:1 against the background,
    as the terminal shows them."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.console.color_system == terminal
        chart = app.query_one(MonthlyChart)
        assert len(chart.data.nationalities) == 14
        for theme in app.available_themes:
            app.theme = theme
            await pilot.pause()
            for basis in on_every_basis(chart):
                told_apart(chart, terminal, f"{theme}, {basis}")
                stands_out(app, chart, terminal, f"{theme}, {basis}")


@pytest.mark.parametrize("terminal", ["truecolour"], indirect=True)
async def test_the_focused_chart_too(catalog, terminal):
    """The focused chart's background is lighter: the series are fitted to it."""
    app = ExplorerApp(catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        chart.focus()
        for theme in ("textual-dark", "textual-light", "solarized-light", "nord"):
            app.theme = theme
            await pilot.pause()
            for basis in on_every_basis(chart):
                stands_out(app, chart, terminal, f"{theme}, {basis}")


@pytest.mark.parametrize("terminal", ["NO_COLOR"], indirect=True)
async def test_without_colour_every_series_has_a_glyph_of_its_own(catalog, terminal):
    app = ExplorerApp(catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.no_color
        chart = app.query_one(MonthlyChart)
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            for basis in on_every_basis(chart):
                entries = told_apart(chart, None, f"{theme}, {basis}")
                assert len({glyph for glyph, _ in entries.values()}) == 14


def told_apart(chart: MonthlyChart, terminal: str | None, where: str) -> dict[str, tuple[str, Color | None]]:
    entries = legend_entries(chart, terminal)
    assert set(entries) == set(chart.data.nationalities), where
    looks = list(entries.values())
    assert len(set(looks)) == len(looks), f"{where}: two series look alike: {entries}"
    assert entries["Lebanese"] != entries["Syrian"]
    for one, (glyph, colour) in entries.items():
        for other, (other_glyph, other_colour) in entries.items():
            if terminal is not None and one < other and glyph == other_glyph:
                assert difference(colour, other_colour) >= MIN_DISTANCE, f"{where}: {one} and {other}"
    return entries


def stands_out(app: ExplorerApp, chart: MonthlyChart, terminal: str, where: str) -> None:
    cells = plotted_cells(chart)
    assert cells, where
    for glyph, colour, background in cells:
        if background is None or background.is_default:  # the ANSI themes: the terminal's own background
            background = RichColor.from_rgb(*((0, 0, 0) if app.current_theme.dark else (255, 255, 255)))
        ratio = contrast(as_shown(colour, terminal), as_shown(background, terminal))
        assert ratio >= 3, f"{where}: {glyph} {colour} on {background} is {ratio:.2f}:1"
