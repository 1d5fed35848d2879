"""Filter dimensions: values chosen from a list with their counts (nationality, front, side), one declaration each.

A `Dimension` says where its value lives in each table; everything else follows from it:
- the predicates on events, casualties (and the counting model's occurrences), actors and forces (`Filters`);
- the picker (its key, title and counts: `queries.facet_counts`), the summary line and the removable parts;
- its key in a view spec (`explorer.view_spec`);
- the cache columns that make it fast: a list column of `events_by_date` when events reach the value through
  their actors, and a column of the occurrences (and of their per-report facets and monthly summary) when
  casualties carry it. The cache's key covers the declarations, so a changed one rebuilds the cache.

A table reaches a dimension's value in one of three ways: its own column (`event_column`, `casualty_column`),
through its actors (events hold a list of actor ids, casualties and forces one actor id; the actor's
`actor_column`), or not at all (the dimension does not narrow that table). `None` among the chosen values
selects the rows where the value is unknown: an empty column, or no actor with a known value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from explorer.db.predicate import Predicate, any_of, has_any_of, known, value_set
from explorer.db.schema import COUNTRIES_BY_NATIONALITY, FRONTS, NATIONALITIES, SIDES, TABLES


@dataclass(frozen=True)
class Dimension:
    """One filter dimension, declared once (see the module's docstring)."""

    name: str
    """Singular: the picker's facet (`pick('<name>')`) and the word of a removable part (`side opposition`)."""
    field: str
    """Plural: the `Filters` keyword and attribute holding the chosen values (a frozenset, None for unknown),
    and the list column of `events_by_date` when events reach the value through their actors."""
    title: str
    """The picker's title, and the plural a compact summary counts (`3 sides`)."""
    key: str
    """The key that opens the picker."""
    spec_key: str
    """Its key in a view spec (`nat=Iranian`)."""
    description: str
    """What choosing values does, for the help and the command palette."""
    event_column: str | None = None
    """The events' own column holding the value; None: through their actors' `actor_column`, if any."""
    casualty_column: str | None = None
    """The casualty reports' own column holding the value; None: through their actor's `actor_column`, if any."""
    actor_column: str | None = None
    """The actors' column holding the value; None: actors (and forces) are not narrowed by it."""
    spellings: Mapping[str, tuple[str, ...]] | None = None
    """Each value → the `actor_column` values that mean it (a nationality → its country's spellings). An actor
    whose column is none of them has no known value. None: the actor's column holds the value itself."""
    combine: str = "min"
    """How an occurrence reported several times takes its `casualty_column` value: `min` or `mode`."""
    labelled: bool = False
    """The summary line names the dimension before its values (`side: opposition`): the values alone would not say."""
    vocabulary: tuple[str, ...] = ()
    """The codebook's values, checked in the built-in data (in any data directory if `closed`)."""
    closed: bool = False
    show_key: bool = True
    """The key is shown in the footer."""

    def __post_init__(self) -> None:
        for column in (self.event_column, self.casualty_column, self.actor_column, self.field):
            if column is not None and not column.isidentifier():
                raise ValueError(f"dimension {self.name!r}: {column!r} is not a column name")
        if self.combine not in ("min", "mode"):
            raise ValueError(f"dimension {self.name!r}: combine is min or mode, not {self.combine!r}")

    @property
    def label(self) -> str:
        """The name as read: `actor kind`."""
        return self.name.replace("_", " ")

    # --- where a table finds the value -------------------------------------------------

    @property
    def events_through_actors(self) -> bool:
        return self.event_column is None and self.actor_column is not None

    @property
    def casualties_through_actor(self) -> bool:
        return self.casualty_column is None and self.actor_column is not None

    def actor_values_sql(self) -> str:
        """SQL of (actor_id, value) rows: each actor with a value, and that value. With `spellings`, a listed
        spelling gives its value, and any other (an imported country not in the list) stands for itself, as
        choosing it does (`actors_with`), unless it is itself a listed value, which only its spellings mean."""
        column = f"a.{self.actor_column}"
        if self.spellings is None:
            return f"SELECT a.actor_id, {column} AS value FROM actors AS a WHERE {column} IS NOT NULL"
        pairs = ", ".join(f"({_literal(spelling)}, {_literal(value)})"
                          for value, spellings in sorted(self.spellings.items()) for spelling in spellings)
        listed = ", ".join(_literal(value) for value in sorted(self.spellings))
        return (f"SELECT actor_id, value FROM (SELECT a.actor_id, coalesce(v.value, CASE WHEN NOT list_contains([{listed}], {column}) "
                f"THEN {column} END) AS value FROM actors AS a LEFT JOIN (VALUES {pairs}) AS v(spelling, value) "
                f"ON v.spelling = {column}) WHERE value IS NOT NULL")

    def no_listed_value(self, list_column: str) -> Predicate:
        """The list of values (an `events_by_date` column) holds no known value: the unknown value. With
        `spellings`, only listed values count as known (an actor of an unlisted country has none, as in `actors_with`)."""
        if self.spellings is None:
            return Predicate(f"len({list_column}) = 0")
        return Predicate(f"NOT ({has_any_of(list_column)})", (sorted(self.spellings),))

    # --- predicates ------------------------------------------------------------------

    def actors_with(self, values: frozenset[str | None], column: str | None = None) -> Predicate:
        """Actors (rows of `actors`, its `column` standing for `actor_column`) whose value is one of `values`."""
        column = column or self.actor_column
        parts = []
        if known(values):
            parts.append(Predicate(f"list_contains(?, {column})", (self._actor_spellings(known(values)),)))
        if None in values:
            parts.append(Predicate(f"NOT coalesce({self._known_actor(column).sql}, FALSE)", self._known_actor(column).params))
        return any_of(parts)

    def _actor_spellings(self, values: list[str]) -> list[str]:
        if self.spellings is None:
            return values
        return sorted({spelling for value in values for spelling in self.spellings.get(value, (value,))})

    def _known_actor(self, column: str) -> Predicate:
        """The actor (its `column`) has a known value."""
        if self.spellings is None:
            return Predicate(f"{column} IS NOT NULL")
        every = sorted({spelling for spellings in self.spellings.values() for spelling in spellings})
        return Predicate(f"list_contains(?, {column})", (every,))

    def _ids(self, test: Predicate) -> Predicate:
        """SQL of the list of ids of the actors passing `test`."""
        return Predicate(f"(SELECT coalesce(list(actor_id), []) FROM actors WHERE {test.sql})", test.params)

    def by_actor(self, values: frozenset[str | None], column: str = "actor_id") -> Predicate:
        """Rows whose one actor (`column`) has one of `values`; None: no actor, or one of no known value."""
        parts = []
        if known(values):
            ids = self._ids(self.actors_with(frozenset(known(values))))
            parts.append(Predicate(f"list_contains({ids.sql}, {column})", ids.params))
        if None in values:
            ids = self._ids(self._known_actor(self.actor_column))
            parts.append(Predicate(f"{column} IS NULL OR NOT list_contains({ids.sql}, {column})", ids.params))
        return any_of(parts)

    def events(self, values: frozenset[str | None], *, cached: bool) -> Predicate:
        """Events with one of `values`: by their column, or through their actors — over `events_by_date`
        (`cached`) by its list column, else by a lookup in the actors table."""
        if self.event_column is not None:
            return value_set(self.event_column, values)
        if self.actor_column is None:
            return Predicate()
        if cached:
            parts = [Predicate(has_any_of(self.field), (known(values),))] if known(values) else []
            if None in values:
                parts.append(self.no_listed_value(self.field))
            return any_of(parts)
        parts = []
        if known(values):
            ids = self._ids(self.actors_with(frozenset(known(values))))
            parts.append(Predicate(f"list_has_any(actor_ids, {ids.sql})", ids.params))
        if None in values:
            ids = self._ids(self._known_actor(self.actor_column))
            parts.append(Predicate(f"NOT list_has_any(actor_ids, {ids.sql})", ids.params))
        return any_of(parts)

    def casualties(self, values: frozenset[str | None], row: str = "") -> Predicate:
        """Casualty reports (or occurrences) with one of `values`. Through their actor, the test needs a
        subquery, which cannot run inside a per-report lambda (`row` set): it is then left to the caller."""
        if self.casualty_column is not None:
            return value_set(f"{row}{self.casualty_column}", values)
        if self.actor_column is None or row:
            return Predicate()
        return self.by_actor(values)

    def forces(self, values: frozenset[str | None]) -> Predicate:
        return self.by_actor(values) if self.actor_column is not None else Predicate()

    def actors(self, values: frozenset[str | None]) -> Predicate:
        return self.actors_with(values) if self.actor_column is not None else Predicate()


def _literal(text: str) -> str:
    """A SQL string literal of one of our own declarations (never user input: that goes in as a parameter)."""
    return "'" + text.replace("'", "''") + "'"


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "nationality", "nationalities", "Nationalities", key="t", spec_key="nat",
        description="choose nationalities",
        casualty_column="nationality", actor_column="country", spellings=COUNTRIES_BY_NATIONALITY,
        vocabulary=NATIONALITIES),
    Dimension(
        "front", "fronts", "Fronts", key="f", spec_key="front",
        description="choose fronts",
        event_column="front", casualty_column="front", combine="mode", vocabulary=FRONTS),
    Dimension(
        "side", "sides", "Sides", key="v", spec_key="side", show_key=False, labelled=True,
        description="choose actors' sides: events with an actor of the side, its actors' casualties, its actors",
        actor_column="side", vocabulary=SIDES, closed=True),
)
"""Every filter dimension, in the order the summary line and a view spec list them. Adding one here is all it takes."""

OCCURRENCE_COLUMNS = frozenset({
    "dataset", "occurrence_id", "kind", "casualty_id", "event_id", "period_start", "period_end", "date_precision",
    "location_precision", "actor_id", "person_name", "ranks", "source", "killed", "killed_qualifier", "killed_low",
    "killed_high", "wounded", "wounded_qualifier", "wounded_low", "wounded_high"})
"""Casualty columns the occurrences carry of their own (see `queries.occurrences_sql`): no dimension's column."""
EVENTS_BY_DATE_COLUMNS = frozenset({column.name for column in TABLES["events"].columns} | {"actor_sort", "search_text"})
"""Columns `events_by_date` has besides the dimensions' lists."""


def check_declarations(dimensions: tuple[Dimension, ...]) -> None:
    """Refuse declarations that would collide with each other or with the tables: each error names the fix."""
    for attribute in ("name", "field", "spec_key", "key"):
        seen: dict[str, str] = {}
        for d in dimensions:
            value = getattr(d, attribute)
            if value in seen:
                raise ValueError(f"dimensions {seen[value]!r} and {d.name!r} share the {attribute} {value!r}: give each its own")
            seen[value] = d.name
    for d in dimensions:
        if not d.name.isidentifier() or not d.spec_key.replace("-", "_").isidentifier():
            raise ValueError(f"dimension {d.name!r}: its name and spec_key are letters, digits and _ (spec_key: also -)")
        if d.events_through_actors and d.field in EVENTS_BY_DATE_COLUMNS:
            raise ValueError(f"dimension {d.name!r}: its field {d.field!r} is an events column, and events reach it through "
                             "their actors (a list column of that name): choose another field")
        if d.casualty_column is not None and (d.casualty_column in OCCURRENCE_COLUMNS or
                                              d.casualty_column not in {c.name for c in TABLES["casualties"].columns}):
            raise ValueError(f"dimension {d.name!r}: casualty_column {d.casualty_column!r} is not a casualties column the "
                             "occurrences can carry for it")
        for table, column in (("events", d.event_column), ("actors", d.actor_column)):
            if column is not None and column not in {c.name for c in TABLES[table].columns}:
                raise ValueError(f"dimension {d.name!r}: {column!r} is not a column of {table}")


check_declarations(DIMENSIONS)

DIMENSION_BY_NAME = {dimension.name: dimension for dimension in DIMENSIONS}
DIMENSION_BY_FIELD = {dimension.field: dimension for dimension in DIMENSIONS}


def casualty_columns() -> tuple[str, ...]:
    """The casualty columns of the dimensions, which the occurrences carry (see `queries.occurrences_sql`)."""
    return tuple(dict.fromkeys(d.casualty_column for d in DIMENSIONS if d.casualty_column is not None))


def event_list_columns() -> tuple[Dimension, ...]:
    """The dimensions events reach through their actors: each is a list column of `events_by_date`."""
    return tuple(d for d in DIMENSIONS if d.events_through_actors)


def vocabularies(builtin: bool) -> dict[tuple[str, str], tuple[str, ...]]:
    """The columns whose values the dimensions' codebooks close: for the built-in data, or (`builtin` False) any."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for d in DIMENSIONS:
        if not d.vocabulary or not (builtin or d.closed):
            continue
        for table, column in (("events", d.event_column), ("casualties", d.casualty_column)):
            if column is not None:
                found[(table, column)] = d.vocabulary
        if d.actor_column is not None and d.spellings is None:
            found[("actors", d.actor_column)] = d.vocabulary
    return found


def fingerprint() -> str:
    """What of the declarations the cache depends on, hashed (part of the cache's key)."""
    declared = [[d.name, d.field, d.event_column, d.casualty_column, d.actor_column, d.combine,
                 sorted((value, list(spellings)) for value, spellings in (d.spellings or {}).items())]
                for d in DIMENSIONS]
    return hashlib.sha256(json.dumps(declared).encode()).hexdigest()[:16]


__all__ = ["DIMENSIONS", "DIMENSION_BY_FIELD", "DIMENSION_BY_NAME", "Dimension", "casualty_columns",
           "event_list_columns", "fingerprint", "vocabularies"]
