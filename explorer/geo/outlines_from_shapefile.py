"""Make `countries_110m.json` from Natural Earth's 1:110m Admin 0 countries shapefile (public domain).

Not run by the app. The shapefile is the one geopandas 0.14 shipped as `naturalearth_lowres`
(Natural Earth 1:110m Cultural Vectors, Admin 0 – Countries); reading it needs pyshp:

    pip install pyshp && python -m explorer.geo.outlines_from_shapefile PATH/naturalearth_lowres.shp

Each country keeps its name, ISO 3166-1 alpha-3 code and rings, with coordinates to 0.01°
(about a kilometre, far finer than a terminal cell).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).with_name("countries_110m.json")


def convert(shapefile_path: str) -> dict:
    import shapefile  # pyshp: only to make the file

    reader = shapefile.Reader(shapefile_path)
    fields = [field[0] for field in reader.fields[1:]]
    countries = []
    for record, shape in zip(reader.records(), reader.shapes(), strict=True):
        values = dict(zip(fields, record, strict=True))
        bounds = [*shape.parts, len(shape.points)]
        rings = [[[round(x, 2), round(y, 2)] for x, y in shape.points[start:end]] for start, end in zip(bounds, bounds[1:])]
        countries.append({"name": values["name"], "iso_a3": values["iso_a3"], "rings": rings})
    return {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain), "
                  "https://www.naturalearthdata.com/downloads/110m-cultural-vectors/",
        "countries": countries,
    }


if __name__ == "__main__":
    OUTPUT.write_text(json.dumps(convert(sys.argv[1]), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUTPUT}")
