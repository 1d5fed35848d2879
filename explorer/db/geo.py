"""Where events happened: the map's view, its cells, and the events counted per cell by DuckDB.

An event is drawn where its coordinates say, unless its location is country-wide (a point at the
capital would look precise): those are counted apart. An event without coordinates whose front has a
main place (`explorer/geo/front_places.csv`, coordinates from GeoNames) is drawn there, as placed by
its front. Knows nothing of the UI: the map pane asks for a view's cells and a cell's events.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files


from explorer.db.filters import Filters, Predicate
from explorer.db.queries import events_predicate
from explorer.geo import FrontPlace, front_places  # noqa: F401  (FrontPlace: for callers)
from explorer.engine import Cursor

ROW_SHAPE = 2.0
"""A terminal cell is about twice as tall as it is wide."""
MIN_DEGREES_PER_COLUMN = 0.002
MAX_DEGREES_PER_COLUMN = 5.0


@cache
def country_outlines() -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Every country's name and rings of (longitude, latitude), from Natural Earth 1:110m (public domain)."""
    data = json.loads(files("explorer.geo").joinpath("countries_110m.json").read_text(encoding="utf-8"))
    return tuple((country["name"], tuple(tuple((x, y) for x, y in ring) for ring in country["rings"]))
                 for country in data["countries"])


@dataclass(frozen=True)
class View:
    """What the map shows: its centre and how many degrees of longitude a column spans."""

    longitude: float
    latitude: float
    degrees_per_column: float

    @property
    def degrees_per_row(self) -> float:
        """Degrees of latitude a row spans: a cell is twice as tall as wide, and a degree of longitude
        shrinks with the cosine of the latitude."""
        return self.degrees_per_column * ROW_SHAPE * max(0.1, math.cos(math.radians(self.latitude)))

    def bounds(self, columns: int, rows: int) -> tuple[float, float, float, float]:
        """(west, south, east, north) of a map `columns` wide and `rows` high."""
        half_width, half_height = columns * self.degrees_per_column / 2, rows * self.degrees_per_row / 2
        return (self.longitude - half_width, self.latitude - half_height,
                self.longitude + half_width, self.latitude + half_height)

    def cell_bounds(self, columns: int, rows: int, column: int, row: int) -> tuple[float, float, float, float]:
        """(west, south, east, north) of one cell."""
        west, _, _, north = self.bounds(columns, rows)
        return (west + column * self.degrees_per_column, north - (row + 1) * self.degrees_per_row,
                west + (column + 1) * self.degrees_per_column, north - row * self.degrees_per_row)

    def zoomed(self, factor: float) -> View:
        degrees = min(MAX_DEGREES_PER_COLUMN, max(MIN_DEGREES_PER_COLUMN, self.degrees_per_column * factor))
        return View(self.longitude, self.latitude, degrees)

    def panned(self, columns: float, rows: float) -> View:
        latitude = min(85.0, max(-85.0, self.latitude - rows * self.degrees_per_row))
        longitude = (self.longitude + columns * self.degrees_per_column + 180) % 360 - 180
        return View(longitude, latitude, self.degrees_per_column)

    def centred_on(self, longitude: float, latitude: float) -> View:
        return View(longitude, latitude, self.degrees_per_column)


def fitting_view(bounds: tuple[float, float, float, float] | None, columns: int, rows: int) -> View:
    """The view that shows `bounds` (west, south, east, north) whole, with a margin; the whole world if None."""
    if bounds is None:
        return View(0.0, 20.0, min(MAX_DEGREES_PER_COLUMN, 360 / max(1, columns)))
    west, south, east, north = bounds
    longitude, latitude = (west + east) / 2, (south + north) / 2
    width, height = max(0.5, (east - west) * 1.3), max(0.5, (north - south) * 1.3)
    shape = ROW_SHAPE * max(0.1, math.cos(math.radians(latitude)))
    degrees = max(width / max(1, columns), height / max(1, rows) / shape)
    return View(longitude, latitude, min(MAX_DEGREES_PER_COLUMN, max(MIN_DEGREES_PER_COLUMN, degrees)))


def placed_events_sql(con: Cursor, filters: Filters) -> tuple[str, list]:
    """SQL of the events under the filter with where the map draws them: `lat`, `lon` and `placed_by`
    ('coordinates', or 'front' for a front's main place; NULL when the map cannot draw the event)."""
    predicate = events_predicate(con, filters)
    places = front_places()
    values = ", ".join("(?, ?, ?)" for _ in places) or "(NULL, NULL, NULL)"
    params: list = [value for place in places for value in (place.front, place.latitude, place.longitude)]
    precise = ("e.latitude IS NOT NULL AND e.longitude IS NOT NULL "
               "AND coalesce(e.location_precision, '') <> 'country'")
    sql = f"""
        WITH places(front, latitude, longitude) AS (VALUES {values}),
        events_under AS (SELECT * FROM events_by_date WHERE {predicate.sql})
        SELECT e.event_id, e.date, e.title, e.front, e.location, e.location_precision,
            CASE WHEN {precise} THEN e.latitude WHEN coalesce(e.location_precision, '') <> 'country' THEN p.latitude END AS lat,
            CASE WHEN {precise} THEN e.longitude WHEN coalesce(e.location_precision, '') <> 'country' THEN p.longitude END AS lon,
            CASE WHEN {precise} THEN 'coordinates'
                 WHEN coalesce(e.location_precision, '') <> 'country' AND p.front IS NOT NULL THEN 'front' END AS placed_by
        FROM events_under AS e LEFT JOIN places AS p ON p.front = e.front
    """
    return sql, params + list(predicate.params)


@dataclass(frozen=True)
class MapCounts:
    """A view's cells and what the map cannot draw."""

    cells: dict[tuple[int, int], tuple[int, int]]
    """(column, row) → (events, of which placed by their front)."""
    outside: int
    """Drawable events outside the view."""
    country_wide: int
    """Events whose place is a whole country, or unknown: counted apart, never drawn."""
    centres: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)
    """(column, row) → the mean (longitude, latitude) of the cell's events: a zoom keeps them in sight."""


def map_counts(con: Cursor, filters: Filters, view: View, columns: int, rows: int) -> MapCounts:
    """The events under the filter counted per cell of the view, in one scan."""
    placed, params = placed_events_sql(con, filters)
    west, _, _, north = view.bounds(columns, rows)
    # A place on a cell's border belongs where `View.cell_bounds` (the area filter, the cell's list) puts it: the
    # division's column and row are corrected by the very comparisons the area makes, in the same arithmetic.
    found = con.execute(
        f"""
        SELECT CASE WHEN undrawable THEN -1 ELSE c - (lon < w + c * dx)::BIGINT + (lon >= w + (c + 1) * dx)::BIGINT END AS col,
            CASE WHEN undrawable THEN -1 ELSE r - (lat > n - r * dy)::BIGINT + (lat <= n - (r + 1) * dy)::BIGINT END AS row,
            undrawable, count(*) AS events, count(*) FILTER (WHERE placed_by = 'front') AS by_front,
            avg(lon) AS mean_lon, avg(lat) AS mean_lat
        FROM (SELECT *, CASE WHEN undrawable THEN -1 ELSE floor((lon - w) / dx)::BIGINT END AS c,
                  CASE WHEN undrawable THEN -1 ELSE floor((n - lat) / dy)::BIGINT END AS r
              FROM (SELECT p.lon, p.lat, p.placed_by, p.placed_by IS NULL AS undrawable, k.*
                    FROM ({placed}) AS p CROSS JOIN (SELECT CAST(? AS DOUBLE) AS w, CAST(? AS DOUBLE) AS dx, CAST(? AS DOUBLE) AS n, CAST(? AS DOUBLE) AS dy) AS k))
        GROUP BY ALL
        """,
        [*params, west, view.degrees_per_column, north, view.degrees_per_row],
    ).fetchall()
    cells, centres, outside, country_wide = {}, {}, 0, 0
    for column, row, undrawable, events, by_front, mean_lon, mean_lat in found:
        if undrawable:
            country_wide += events
        elif 0 <= column < columns and 0 <= row < rows:
            cells[(column, row)] = (events, by_front)
            centres[(column, row)] = (mean_lon, mean_lat)
        else:
            outside += events
    return MapCounts(cells, outside, country_wide, centres)


def events_bounds(con: Cursor, filters: Filters) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the events the map draws under the filter, or None when it draws none."""
    placed, params = placed_events_sql(con, filters)
    found = con.execute(f"SELECT min(lon), min(lat), max(lon), max(lat) FROM ({placed}) WHERE placed_by IS NOT NULL",
                        params).fetchall()[0]
    return None if found[0] is None else tuple(found)


def events_in_area(con: Cursor, filters: Filters, area: tuple[float, float, float, float],
                   limit: int = 50) -> tuple[list[dict], int]:
    """The first `limit` events the map draws inside `area` (west, south, east, north), by date, and how many there are."""
    placed, params = placed_events_sql(con, filters)
    inside = Predicate("placed_by IS NOT NULL AND lon >= ? AND lon < ? AND lat > ? AND lat <= ?",
                       (area[0], area[2], area[1], area[3]))
    rows = con.execute(
        f"SELECT event_id, date, title, front, location, placed_by, lat, lon, count(*) OVER () AS total "
        f"FROM ({placed}) WHERE {inside.sql} ORDER BY date NULLS LAST, event_id LIMIT {int(limit)}",
        params + list(inside.params),
    ).to_arrow_table().to_pylist()
    return rows, rows[0]["total"] if rows else 0
