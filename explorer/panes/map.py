"""Map: the events under the filter on country outlines, counted per cell by DuckDB, with a cell's events beside."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from explorer.db import geo
from explorer.geo import area_text
from explorer.db.filters import Filters
from explorer.format import counted_noun
from explorer.panes.base import Pane
from explorer.widgets.detail import Detail, DetailScroll
from explorer.widgets.map_canvas import MARKS, MapCanvas
from explorer.workers import engine_work
from explorer.engine import Cursor

EVENTS_IN_DETAIL = 40


@dataclass
class MapData:
    filters: Filters
    view: geo.View
    counts: geo.MapCounts
    total: int
    fitted: bool


class MapPane(Pane):
    """Arrows move over the cells; the detail lists the cell's events; + - zoom, shift+arrows pan, 0 resets."""

    title = "Map"
    summary = "The events on a map, counted per cell"
    main_widget = "#map-canvas"
    counted_table = "events"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters = Filters()
        self.cell_events: list[dict] = []
        self.cell_total = 0
        self._fit_next = True
        """The next load fits the view to the events (first opening, `0`)."""
        self._fitted = False
        """The view shown was fitted to the events, not zoomed or panned since."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-body"):
            with Vertical(id="map-column"):
                yield MapCanvas(id="map-canvas")
                yield Static("", id="map-cell")
                yield Static("", id="map-legend")
            with DetailScroll(classes="detail-scroll"):
                yield Detail(classes="detail", id="map-detail")

    @property
    def canvas(self) -> MapCanvas:
        return self.query_one(MapCanvas)

    def load(self, con: Cursor, filters: Filters) -> MapData:
        canvas = self.canvas
        columns, rows = canvas.grid
        view, fitted = canvas.view, False
        if view is None or self._fit_next or self._fitted:
            view, fitted = geo.fitting_view(geo.events_bounds(con, filters), columns, rows), True
        counts = geo.map_counts(con, filters, view, columns, rows)
        drawn = sum(events for events, _ in counts.cells.values())
        return MapData(filters, view, counts, drawn + counts.outside + counts.country_wide, fitted)

    def row_count(self, data: MapData) -> int:
        return data.total

    def show(self, data: MapData) -> None:
        self.filters = data.filters
        self._fit_next, self._fitted = False, data.fitted
        self.canvas.show(data.view, data.counts, keep_cursor=self.canvas.view == data.view)
        self._show_legend(data.counts)

    def _show_legend(self, counts: geo.MapCounts) -> None:
        drawn = sum(events for events, _ in counts.cells.values())
        by_front = sum(front for _, front in counts.cells.values())
        parts = [f"{' '.join(MARKS)} fewer → more", f"{counted_noun(drawn, 'event')} drawn"]
        if by_front:
            parts[-1] += f" ({by_front:,} at their front's main place)"
        if counts.outside:
            parts.append(f"{counts.outside:,} outside the view")
        if counts.country_wide:
            parts.append(f"{counts.country_wide:,} country-wide or unplaced, not drawn")
        self.query_one("#map-legend", Static).update(" · ".join(parts))

    # --- the view and the cursor --------------------------------------------------------------

    @on(MapCanvas.ViewChanged)
    def _view_changed(self, event: MapCanvas.ViewChanged) -> None:
        event.stop()
        refit = event.resized and self._fitted  # a view fitted to the events is fitted again to the new size
        self._count(self.filters, None if refit else event.canvas.view)

    @on(MapCanvas.ResetAsked)
    def _reset(self, event: MapCanvas.ResetAsked) -> None:
        event.stop()
        self._fit_next = True
        self._count(self.filters, None)

    @engine_work("counting the events per cell", group="map-count")
    def _count(self, filters: Filters, view: geo.View | None) -> None:
        con = self.app.catalog.cursor()
        columns, rows = self.canvas.grid
        fitted = view is None
        if fitted:
            view = geo.fitting_view(geo.events_bounds(con, filters), columns, rows)
        counts = geo.map_counts(con, filters, view, columns, rows)
        self.app.call_from_thread(self._counted, filters, view, counts, fitted)

    def _counted(self, filters: Filters, view: geo.View, counts: geo.MapCounts, fitted: bool) -> None:
        if filters != self.filters:
            return
        self._fit_next, self._fitted = False, fitted
        self.canvas.show(view, counts, keep_cursor=not fitted)  # a view fitted anew: the cursor on its busiest cell
        self._show_legend(counts)

    @on(MapCanvas.CursorMoved)
    def _cursor_moved(self, event: MapCanvas.CursorMoved) -> None:
        event.stop()
        self.cell_events, self.cell_total = [], 0
        area = event.canvas.cell_area()
        if area is not None and event.canvas.cursor in event.canvas.counts.cells:
            self._load_cell(self.filters, area)
        self.show_detail()

    @engine_work("listing the cell's events", group="map-cell")
    def _load_cell(self, filters: Filters, area: tuple[float, float, float, float]) -> None:
        rows, total = geo.events_in_area(self.app.catalog.cursor(), filters, area, limit=EVENTS_IN_DETAIL)
        self.app.call_from_thread(self._cell_loaded, filters, area, rows, total)

    def _cell_loaded(self, filters: Filters, area: tuple, rows: list[dict], total: int) -> None:
        if filters != self.filters or area != self.canvas.cell_area():
            return
        self.cell_events, self.cell_total = rows, total
        self.show_detail()

    def detail_text(self) -> str:
        area = self.canvas.cell_area()
        if area is None:
            return ""
        found = self.canvas.counts.cells.get(self.canvas.cursor)
        lines = [f"[b]{area_text(area)}[/b]"]
        if found is None:
            return "\n".join([*lines, "", "No event drawn here. Arrows move to a mark."])
        lines.append(counted_noun(found[0], "event"))
        fronts = {}
        for event in self.cell_events:
            if event["placed_by"] == "front":
                fronts[event["front"]] = True
        for front in fronts:
            place = next((place for place in geo.front_places() if place.front == front), None)
            if place is not None:
                lines.append(f"[dim]{escape(front)}: placed at {escape(place.place)} (GeoNames {place.geonameid}), "
                             "the front's main place: the source gives no closer place[/dim]")
        lines.append("")
        for event in self.cell_events:
            when = event["date"].isoformat() if event["date"] else "undated"
            where = f" · {escape(event['location'])}" if event["location"] else ""
            lines.append(f"{when}  {escape(event['title'] or event['event_id'])}{where}")
        if self.cell_total > len(self.cell_events):
            lines.append(f"… and {self.cell_total - len(self.cell_events):,} more")
        return "\n".join(lines)

    def show_detail(self) -> None:
        self.query_one("#map-detail", Static).update(self.detail_text())
        self.query_one("#map-cell", Static).update(self.cell_line())

    def cell_line(self) -> str:
        """One line on the cell under the cursor, under the map (a narrow screen has no detail beside it)."""
        area = self.canvas.cell_area()
        if area is None:
            return ""
        found = self.canvas.counts.cells.get(self.canvas.cursor)
        if found is None:
            return f"{area_text(area)} · no event here (arrows move, + - zoom, shift+arrows pan, 0 every event)"
        first = self.cell_events[0] if self.cell_events else None
        title = f" · {escape(first['title'] or first['event_id'])}{' …' if found[0] > 1 else ''}" if first else ""
        return f"[b]{area_text(area)}[/b] · {counted_noun(found[0], 'event')}{title} · enter keeps the area"
