"""Schema v1: every table, column, type and controlled vocabulary, in one place.

The built-in dataset, imported ACLED / UCDP data and any user data directory all
follow this schema. Identifiers spliced into SQL come from here, never from user text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from explorer.countries import countries_by_nationality, nationality_by_country

SCHEMA_VERSION = 1

UNKNOWN = "unknown"
"""How a missing value (no front, no nationality, no date) is shown and selected."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type name: VARCHAR, DATE, INTEGER, DOUBLE, VARCHAR[]
    nullable: bool
    meaning: str


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    key: str

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _figure(name: str, what: str) -> tuple[Column, ...]:
    """A reported count with how the source phrased it and an optional range."""
    return (
        Column(name, "INTEGER", True, f"{what} as counted: the point figure or lower bound; empty means not reported, never zero"),
        Column(f"{name}_qualifier", "VARCHAR", True, "how the source phrased it: exact / about / at least / at most"),
        Column(f"{name}_low", "INTEGER", True, f"lower end of a reported range of {what}"),
        Column(f"{name}_high", "INTEGER", True, f"upper end of a reported range (or the bound of 'at most') of {what}"),
    )


_PROVENANCE = (
    Column("dataset", "VARCHAR", False, "which dataset or import the row came from (figures of different datasets are never added)"),
    Column("source", "VARCHAR", False, "the published source of the row; two sources are separated by ' | '"),
    Column("source_url", "VARCHAR", True, "address of the source, when known"),
)

EVENTS = Table(
    "events",
    "Timeline events: what happened, when, where and who took part.",
    (
        Column("event_id", "VARCHAR", False, "stable identifier"),
        Column("date", "DATE", True, "start date; first day of the period when the precision is coarser than a day; empty when unknown"),
        Column("date_precision", "VARCHAR", False, "day / week / month / year"),
        Column("end_date", "DATE", True, "last day, for events that span a period"),
        Column("title", "VARCHAR", False, "one-line title"),
        Column("description", "VARCHAR", True, "what happened, in our own words"),
        Column("event_type", "VARCHAR", True, "type of event (ACLED event type, UCDP type of violence); empty when not classified"),
        Column("front", "VARCHAR", True, "front (see FRONTS); empty when unknown"),
        Column("location", "VARCHAR", True, "named place"),
        Column("admin1", "VARCHAR", True, "first-level administrative division (governorate)"),
        Column("admin2", "VARCHAR", True, "second-level administrative division (district)"),
        Column("latitude", "DOUBLE", True, "WGS84 latitude"),
        Column("longitude", "DOUBLE", True, "WGS84 longitude"),
        Column("location_precision", "VARCHAR", True, "place / district / governorate / country"),
        Column("actor_ids", "VARCHAR[]", False, "ids of the actors involved (actors.actor_id), not names"),
        *_PROVENANCE,
    ),
    key="event_id",
)

ACTORS = Table(
    "actors",
    "Militaries, militias, intelligence branches, governments and international bodies.",
    (
        Column("actor_id", "VARCHAR", False, "stable identifier"),
        Column("name", "VARCHAR", False, "full name"),
        Column("short_name", "VARCHAR", False, "name used in tables"),
        Column("kind", "VARCHAR", True, "see ACTOR_KINDS"),
        Column("country", "VARCHAR", True, "country name (see NATIONALITY_BY_COUNTRY); 'multinational' for international bodies"),
        Column("parent_id", "VARCHAR", True, "the actor this one belongs to (the Quds Force belongs to the IRGC)"),
        Column("side", "VARCHAR", True, "see SIDES; empty when none fits"),
        Column("description", "VARCHAR", True, "who they are, in our own words"),
        *_PROVENANCE,
    ),
    key="actor_id",
)

CASUALTIES = Table(
    "casualties",
    "Reported casualty figures. One row per report; reports of the same occurrence share an occurrence_id.",
    (
        Column("casualty_id", "VARCHAR", False, "stable identifier of the report"),
        Column("kind", "VARCHAR", False, "basis of the figure: individual / incident / tally / cumulative (see CASUALTY_KINDS)"),
        Column("occurrence_id", "VARCHAR", False, "reports of the same occurrence share it; an occurrence is counted once"),
        Column("event_id", "VARCHAR", True, "link to the timeline (events.event_id)"),
        Column("period_start", "DATE", True, "first day the figure covers; empty for cumulative totals and unknown dates"),
        Column("period_end", "DATE", True, "last day the figure covers; the as-of date of a cumulative total"),
        Column("date_precision", "VARCHAR", True, "day / week / month / year, when the source gives a coarser date"),
        Column("nationality", "VARCHAR", True, "demonym (see NATIONALITIES); empty when unknown"),
        Column("actor_id", "VARCHAR", True, "the actor the dead belonged to (actors.actor_id)"),
        Column("front", "VARCHAR", True, "front (see FRONTS); empty when unknown"),
        Column("location", "VARCHAR", True, "named place"),
        Column("location_precision", "VARCHAR", True, "place / district / governorate / country"),
        Column("person_name", "VARCHAR", True, "the person's name, for individuals"),
        Column("ranks", "VARCHAR", True, "ranks or affiliations as published"),
        *_figure("killed", "killed"),
        *_figure("wounded", "wounded"),
        *_PROVENANCE,
        Column("note", "VARCHAR", True, "the source's wording and any caveat"),
    ),
    key="casualty_id",
)

FORCES = Table(
    "forces",
    "Personnel estimates over time (the IRGC contingent from about 700 to about 3,000).",
    (
        Column("force_id", "VARCHAR", False, "stable identifier"),
        Column("date", "DATE", False, "date of the estimate (first day of the period for coarser precision)"),
        Column("date_precision", "VARCHAR", False, "day / week / month / year"),
        Column("actor_id", "VARCHAR", True, "the force estimated (actors.actor_id); empty when the figure spans several"),
        Column("estimate_kind", "VARCHAR", False, "who gives the figure and how: estimate / claim / official statement"),
        *_figure("personnel", "personnel"),
        *_PROVENANCE,
        Column("note", "VARCHAR", True, "the source's wording and any caveat"),
    ),
    key="force_id",
)

TABLES: dict[str, Table] = {table.name: table for table in (EVENTS, ACTORS, CASUALTIES, FORCES)}

# --- Controlled vocabularies -------------------------------------------------

DATE_PRECISIONS = ("day", "week", "month", "year")
LOCATION_PRECISIONS = ("place", "district", "governorate", "country")
QUALIFIERS = ("exact", "about", "at least", "at most")

CASUALTY_KINDS = ("individual", "incident", "tally", "cumulative")
"""Bases of a casualty figure. Figures of different bases are never added together."""

CASUALTY_KIND_MEANINGS = {
    "individual": "one named person",
    "incident": "one reported event",
    "tally": "an aggregate count over a period",
    "cumulative": "a running total as of a date, with no start",
}

FRONTS = (
    "Aleppo",
    "Damascus/Ghouta",
    "Hawran/Daraa/Quneitra",
    "Homs/Palmyra",
    "Idlib",
    "Latakia",
    "national/diplomatic",
)

SIDES = ("pro-government", "opposition", "jihadist", "international/mediator")

ACTOR_KINDS = (
    "government",
    "state armed force",
    "intelligence/special forces",
    "paramilitary",
    "militia",
    "non-state armed group",
    "foreign air force",
    "international",
)

FORCE_ESTIMATE_KINDS = ("estimate", "claim", "official statement")

NATIONALITY_BY_COUNTRY = nationality_by_country()
"""Casualties carry demonyms, actors carry country names: every spelling of every country → its demonym
(from a maintained dataset: see explorer/countries.py)."""

COUNTRIES_BY_NATIONALITY = countries_by_nationality()
"""A demonym → every spelling of its country, as an actor's country may be written."""
NATIONALITIES = tuple(sorted(COUNTRIES_BY_NATIONALITY))
NON_STATE_COUNTRIES = ("multinational",)
"""Values of actors.country that name no nation."""

VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("events", "date_precision"): DATE_PRECISIONS,
    ("events", "location_precision"): LOCATION_PRECISIONS,
    ("casualties", "kind"): CASUALTY_KINDS,
    ("casualties", "date_precision"): DATE_PRECISIONS,
    ("casualties", "location_precision"): LOCATION_PRECISIONS,
    ("casualties", "killed_qualifier"): QUALIFIERS,
    ("casualties", "wounded_qualifier"): QUALIFIERS,
    ("forces", "date_precision"): DATE_PRECISIONS,
    ("forces", "personnel_qualifier"): QUALIFIERS,
}
"""Columns whose values must come from a closed list in any data directory (with the filter dimensions'
closed vocabularies: `explorer.db.dimensions.vocabularies`).

Fronts, nationalities and actor kinds are closed for the built-in dataset only:
imported data brings its own (an ACLED admin1 mapped to a front of the user's)."""

BUILTIN_VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    **VOCABULARIES,
    ("actors", "kind"): ACTOR_KINDS,
    ("actors", "country"): tuple(NATIONALITY_BY_COUNTRY) + NON_STATE_COUNTRIES,
    ("forces", "estimate_kind"): FORCE_ESTIMATE_KINDS,
}

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "VARCHAR[]": pa.list_(pa.string()),
}

INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT")
FLOAT_TYPES = ("FLOAT", "DOUBLE", "DECIMAL")


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema the Parquet files of a table are written with."""
    return pa.schema(
        [pa.field(column.name, _ARROW_TYPES[column.type], nullable=column.nullable) for column in table.columns]
    )


def type_is_compatible(expected: str, found: str) -> bool:
    """Whether a column of DuckDB type `found` can stand for one of type `expected`."""
    found = found.upper()
    if expected == "INTEGER":
        return found in INTEGER_TYPES
    if expected == "DOUBLE":
        return found in INTEGER_TYPES or found.startswith(FLOAT_TYPES)
    if expected == "DATE":
        return found in ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE")
    if expected == "VARCHAR[]":
        return found == "VARCHAR[]"
    return found == expected
