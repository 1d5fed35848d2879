"""What an importer is: a layout, row checks, and the SQL that builds our tables from the kept rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from explorer.countries import NO_VALUE, countries, country_name, nationality_by_country
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
    """The column whose values are mapped to fronts (see fronts)."""
    country: str | None = None
    """The column naming the country a row's place is in, if the layout has one (see fronts, update)."""
    coverage: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """What an export may be filtered by: name → the columns whose values it holds (see update)."""
    event_date: str | None = None
    """SQL over `kept` of an event's date, for the span an export covers (see update)."""
    version: Callable[[duckdb.DuckDBPyConnection, str], str | None] = field(default=lambda con, file_name: None)
    """The export's version, from its rows or its file name, recorded in imports.json."""
    notes: Callable[[duckdb.DuckDBPyConnection], list[str]] = field(default=lambda con: [])


COUNTRY_KEY = (r"regexp_replace(trim(regexp_replace(regexp_replace(strip_accents(lower(c)), '\([^)]*\)', ' ', 'g'), "
               r"'[^\pL\pN]+', ' ', 'g')), '^the ', '')")
"""SQL of explorer.countries.country_key: both sides of a match go through this one macro."""


def load_countries(con: duckdb.DuckDBPyConnection) -> None:
    """Macros `country_of(name)` (a country's common name, whatever its spelling) and `nationality_of(name)`
    (its demonym; a demonym stays itself), from the one country dataset (see explorer/countries.py). An
    unknown name stays as written, without a parenthesised part."""
    names, demonyms = countries()
    con.execute(f"CREATE OR REPLACE TEMP MACRO country_key(c) AS {COUNTRY_KEY}")
    con.execute("CREATE TABLE spelled (spelling VARCHAR, country VARCHAR, nationality VARCHAR, rank INTEGER)")
    spellings = [(spelling, country, demonyms[country], 0) for country, spellings in _spellings().items() for spelling in spellings]
    spellings += [(single, None, nationality, 1) for nationality in set(demonyms.values()) for single in nationality.split(", ")]
    con.executemany("INSERT INTO spelled VALUES (?, ?, ?, ?)", spellings)
    con.execute("CREATE TABLE country_spellings AS SELECT country_key(spelling) AS key, arg_min(country, rank) AS country, "
                "arg_min(nationality, rank) AS nationality FROM spelled WHERE NOT list_contains(?, country_key(spelling)) GROUP BY 1",
                [sorted(NO_VALUE)])
    no_value = ", ".join("'" + key + "'" for key in sorted(NO_VALUE))
    for macro, column in (("country_of", "country"), ("nationality_of", "nationality")):
        con.execute(
            f"CREATE OR REPLACE TEMP MACRO {macro}(c) AS CASE WHEN NOT blank(c) AND country_key(c) NOT IN ({no_value}) THEN coalesce("
            f"(SELECT s.{column} FROM country_spellings AS s WHERE s.key = country_key(c)), "
            r"nullif(trim(regexp_replace(c, '\([^)]*\)', '', 'g')), '')) END"
        )


def _spellings() -> dict[str, list[str]]:
    """Each country's spellings, as the dataset writes them."""
    by_country: dict[str, list[str]] = {}
    for spelling, nationality in nationality_by_country().items():
        by_country.setdefault(country_name(spelling) or spelling, []).append(spelling)
    return by_country
