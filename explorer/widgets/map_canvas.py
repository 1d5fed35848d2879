"""A map in the terminal: country outlines in braille dots, and the events counted per cell over them.

Each cell holding events shows a mark whose size says how many (in any colour setting, NO_COLOR too)
and whose colour says it again where there is colour. Arrows move a cursor over the cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from explorer.db.geo import MapCounts, View, country_outlines

MARKS = ("∙", "•", "●", "◉")
"""Marks of one to four levels of events per cell, the smallest first: their size tells them apart without colour."""
BRAILLE_BASE = 0x2800
BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""The bit of each dot of a braille cell, by (row of four, column of two)."""
PAN_SHARE = 0.25
ZOOM_STEP = 1.6


def level_of(events: int, highest: int) -> int:
    """0 to 3: where a cell's count stands between one event and the view's highest, on a log scale."""
    if highest <= 1 or events <= 1:
        return 0
    return min(len(MARKS) - 1, int(len(MARKS) * math.log(events) / math.log(highest + 1)))


def outline_dots(view: View, columns: int, rows: int) -> dict[tuple[int, int], int]:
    """The braille bits of the country outlines in each cell of the view."""
    west, south, east, north = view.bounds(columns, rows)
    per_dot_x, per_dot_y = view.degrees_per_column / 2, view.degrees_per_row / 4
    width, height = columns * 2, rows * 4
    cells: dict[tuple[int, int], int] = {}
    for _name, rings in country_outlines():
        for ring in rings:
            xs, ys = [point[0] for point in ring], [point[1] for point in ring]
            if max(xs) < west or min(xs) > east or max(ys) < south or min(ys) > north:
                continue
            previous = None
            for longitude, latitude in ring:
                point = ((longitude - west) / per_dot_x, (north - latitude) / per_dot_y)
                if previous is not None:
                    _draw_segment(cells, previous, point, width, height)
                previous = point
    return cells


def _draw_segment(cells: dict, start: tuple[float, float], end: tuple[float, float], width: int, height: int) -> None:
    steps = int(max(abs(end[0] - start[0]), abs(end[1] - start[1]))) + 1
    if steps > 4 * (width + height):  # a segment far longer than the view: only its part inside matters
        steps = 4 * (width + height)
    for step in range(steps + 1):
        share = step / steps
        x, y = int(start[0] + (end[0] - start[0]) * share), int(start[1] + (end[1] - start[1]) * share)
        if 0 <= x < width and 0 <= y < height:
            key = (x // 2, y // 4)
            cells[key] = cells.get(key, 0) | BRAILLE_BITS[y % 4][x % 2]


class MapCanvas(Widget, can_focus=True):
    """Arrows move the cursor; shift+arrows pan; + and - zoom; 0 shows every event again; enter keeps the cell's area."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "map-canvas--outline", "map-canvas--cursor", "map-canvas--level-0", "map-canvas--level-1",
        "map-canvas--level-2", "map-canvas--level-3",
    }
    DEFAULT_CSS = """
    MapCanvas { height: 1fr; }
    MapCanvas > .map-canvas--outline { color: $text-muted; }
    MapCanvas > .map-canvas--cursor { text-style: reverse; }
    MapCanvas > .map-canvas--level-0 { color: $accent; }
    MapCanvas > .map-canvas--level-1 { color: $warning; }
    MapCanvas > .map-canvas--level-2 { color: $warning; text-style: bold; }
    MapCanvas > .map-canvas--level-3 { color: $error; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(0, -1)", "Up", show=False, tooltip="arrows: move the cursor over the cells"),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("shift+up", "pan(0, -1)", "Pan up", show=False, tooltip="shift+arrows: pan by a quarter of the map"),
        Binding("shift+down", "pan(0, 1)", "Pan down", show=False),
        Binding("shift+left", "pan(-1, 0)", "Pan left", show=False),
        Binding("shift+right", "pan(1, 0)", "Pan right", show=False),
        Binding("plus", "zoom(-1)", "Zoom in", key_display="+", tooltip="zoom in around the cursor"),
        Binding("minus", "zoom(1)", "Zoom out", key_display="-", tooltip="zoom out around the cursor"),
        Binding("0", "reset", "Every event", show=False, tooltip="fit the map to every event under the filter"),
        Binding("enter", "choose", "Keep area", show=False,
                tooltip="keep only the cell's area: a filter part like the others (x removes it)"),
    ]

    @dataclass
    class ViewChanged(Message):
        """The view was zoomed or panned, or the map resized: its cells must be counted again."""

        canvas: MapCanvas
        resized: bool = False

    @dataclass
    class CursorMoved(Message):
        canvas: MapCanvas

    @dataclass
    class AreaChosen(Message):
        """Enter on a cell: (west, south, east, north)."""

        area: tuple[float, float, float, float]

    @dataclass
    class ResetAsked(Message):
        canvas: MapCanvas

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view: View | None = None
        self.counts = MapCounts({}, 0, 0)
        self.cursor = (0, 0)
        self._outline_key: tuple | None = None
        self._outline: dict[tuple[int, int], int] = {}

    @property
    def grid(self) -> tuple[int, int]:
        """(columns, rows) the map is drawn on (a usual size before the first layout)."""
        return (self.size.width or 78, self.size.height or 14)

    def show(self, view: View, counts: MapCounts, keep_cursor: bool = True) -> None:
        self.view, self.counts = view, counts
        columns, rows = self.grid
        if not keep_cursor or not (0 <= self.cursor[0] < columns and 0 <= self.cursor[1] < rows):
            busiest = max(counts.cells, key=lambda cell: counts.cells[cell][0], default=(columns // 2, rows // 2))
            self.cursor = busiest
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def cell_area(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the cell under the cursor."""
        if self.view is None:
            return None
        return self.view.cell_bounds(*self.grid, *self.cursor)

    def on_resize(self) -> None:
        if self.view is not None:
            self.post_message(self.ViewChanged(self, resized=True))

    def _outline_cells(self) -> dict[tuple[int, int], int]:
        key = (self.view, self.grid)
        if key != self._outline_key:
            self._outline_key, self._outline = key, outline_dots(self.view, *self.grid) if self.view else {}
        return self._outline

    def render_line(self, y: int) -> Strip:
        columns, _ = self.grid
        outline = self._outline_cells()
        cells = self.counts.cells
        highest = max((events for events, _ in cells.values()), default=0)
        base = self.rich_style
        outline_style = base + self.get_component_rich_style("map-canvas--outline", partial=True)
        cursor_style = self.get_component_rich_style("map-canvas--cursor", partial=True)
        segments: list[Segment] = []
        for x in range(columns):
            found = cells.get((x, y))
            if found is not None:
                level = level_of(found[0], highest)
                text, style = MARKS[level], base + self.get_component_rich_style(f"map-canvas--level-{level}", partial=True)
            elif (x, y) in outline:
                text, style = chr(BRAILLE_BASE + outline[(x, y)]), outline_style
            else:
                text, style = " ", base
            if (x, y) == self.cursor and self.has_focus:
                style = style + cursor_style
            elif (x, y) == self.cursor:
                style = style + Style(underline=True)
            segments.append(Segment(text, style))
        return Strip(segments).simplify()

    def action_move(self, columns: int, rows: int) -> None:
        width, height = self.grid
        self.cursor = (max(0, min(width - 1, self.cursor[0] + columns)), max(0, min(height - 1, self.cursor[1] + rows)))
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def action_pan(self, columns: int, rows: int) -> None:
        if self.view is None:
            return
        width, height = self.grid
        self.view = self.view.panned(columns * max(1, int(width * PAN_SHARE)), rows * max(1, int(height * PAN_SHARE)))
        self.post_message(self.ViewChanged(self))

    def action_zoom(self, direction: int) -> None:
        """Zoom around the cursor: its cell's events (or its middle, on an empty cell) stay under the cursor."""
        if self.view is None:
            return
        width, height = self.grid
        west, south, east, north = self.cell_area()
        centre = self.counts.centres.get(self.cursor, ((west + east) / 2, (south + north) / 2))
        zoomed = self.view.zoomed(ZOOM_STEP if direction > 0 else 1 / ZOOM_STEP)
        offset_x, offset_y = self.cursor[0] + 0.5 - width / 2, self.cursor[1] + 0.5 - height / 2
        self.view = View(centre[0] - offset_x * zoomed.degrees_per_column, centre[1] + offset_y * zoomed.degrees_per_row,
                         zoomed.degrees_per_column)
        self.post_message(self.ViewChanged(self))

    def action_reset(self) -> None:
        self.post_message(self.ResetAsked(self))

    def action_choose(self) -> None:
        area = self.cell_area()
        if area is not None and self.cursor in self.counts.cells:
            # a cell past the poles or the antimeridian holds only what lies on this side of them: the area
            # says so, so that the view spec it goes into reads back (`area` lies within ±180 and ±90)
            west, south, east, north = area
            self.post_message(self.AreaChosen((max(-180.0, west), max(-90.0, south), min(180.0, east), min(90.0, north))))
        else:
            self.app.notify("No event is drawn in this cell: move to a mark first", severity="warning")
