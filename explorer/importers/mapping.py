"""What an importer is: a layout, row checks, and the SQL that builds our tables from the kept rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from explorer.db.schema import NATIONALITY_BY_COUNTRY
from explorer.importers.report import Check
from explorer.importers.source import Layout


@dataclass(frozen=True)
class Importer:
    name: str
    layout: Layout
    checks: tuple[Check, ...]
    tables: Callable[[], dict[str, str]]
    """table name → SELECT over the view `kept` (and tables `existing_actors`, `front_map`).

    The SQL reads this import's names with getvariable(): `dataset`, `import_tag`, `file_name`."""
    default_dataset: Callable[[str], str]
    key: str | None = None
    """SQL over `raw` of a row's identity in the file: a second row with the same key is skipped."""
    repeat_reason: str = "repeats an id already read"
    event_id: str | None = None
    """SQL over `raw` of the event id a row becomes, to skip events an earlier import wrote."""
    admin1: str | None = None
    """The column whose values are mapped to fronts, to report the ones the table lacks."""
    notes: Callable[[duckdb.DuckDBPyConnection], list[str]] = field(default=lambda con: [])


def load_demonyms(con: duckdb.DuckDBPyConnection) -> None:
    """Macro `nationality_of(country)`: our demonym for a country name, else the name itself."""
    con.execute("CREATE TABLE demonyms (country VARCHAR PRIMARY KEY, nationality VARCHAR)")
    con.executemany("INSERT INTO demonyms VALUES (?, ?)", [(c.lower(), n) for c, n in NATIONALITY_BY_COUNTRY.items()])
    con.execute(
        "CREATE OR REPLACE TEMP MACRO nationality_of(c) AS CASE WHEN NOT blank(c) THEN coalesce("
        "(SELECT d.nationality FROM demonyms AS d WHERE d.country = lower(trim(c))), trim(c)) END"
    )

