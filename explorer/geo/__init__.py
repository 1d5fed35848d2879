"""Map data shipped with the package: country outlines (Natural Earth) and the fronts' main places (GeoNames)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

Area = tuple[float, float, float, float]
"""(west, south, east, north) in degrees: a place's longitude is in [west, east), its latitude in (south, north]."""


@dataclass(frozen=True)
class FrontPlace:
    front: str
    place: str
    geonameid: int
    latitude: float
    longitude: float


@cache
def front_places() -> tuple[FrontPlace, ...]:
    """Each front's main place, with its GeoNames id and coordinates (`front_places.csv`)."""
    with files("explorer.geo").joinpath("front_places.csv").open(encoding="utf-8") as handle:
        return tuple(FrontPlace(row["front"], row["place"], int(row["geonameid"]), float(row["latitude"]),
                                float(row["longitude"])) for row in csv.DictReader(handle))


def inside(area: Area, longitude: float, latitude: float) -> bool:
    west, south, east, north = area
    return west <= longitude < east and south < latitude <= north


def fronts_inside(area: Area) -> list[str]:
    """The fronts whose main place lies in `area`."""
    return sorted(place.front for place in front_places() if inside(area, place.longitude, place.latitude))


def area_text(area: Area) -> str:
    """`36.2–36.5°N 37.1–37.3°E`, with as many decimals (up to four) as it takes to tell the bounds apart."""
    west, south, east, north = area

    def span(low: float, high: float, positive: str, negative: str) -> str:
        def apart(digits: int) -> bool:
            if f"{low:.{digits}f}" == f"{high:.{digits}f}":
                return False
            return low >= 0 or high <= 0 or (round(low, digits) != 0 and round(high, digits) != 0)

        digits = next((digits for digits in range(1, 5) if apart(digits)), 4)
        if low >= 0:
            return f"{low:.{digits}f}–{high:.{digits}f}°{positive}"
        if high <= 0:
            return f"{-high:.{digits}f}–{-low:.{digits}f}°{negative}"
        return f"{-low:.{digits}f}°{negative}–{high:.{digits}f}°{positive}"

    return f"{span(south, north, 'N', 'S')} {span(west, east, 'E', 'W')}"
