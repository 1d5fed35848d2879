"""The filter bar's value, and the parameterised SQL predicate it becomes for each table.

No user text is ever pasted into SQL: values travel as parameters, column names come from here.
How each filter applies:
- date range: events whose [date, end_date] overlaps it; casualty figures whose period overlaps
  it (a cumulative total: its as-of date falls in it); force estimates dated in it.
- nationality: casualties by their nationality, actors by their country, events through the
  countries of their actors, forces through their actor.
- front: events and casualties by their front.
- actors: events that involve one of them, casualties and forces of one of them, the actors themselves.
- text (a search made a filter): events holding every word in their text or their actors' names.
- imprecise rows (no date or no end date, year precision, a period longer than a year, a
  country-wide place) are shown or left out by `include_imprecise`.
`None` in a set of nationalities or fronts selects the rows where that value is unknown.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from explorer.db.errors import InvalidFilter
from explorer.db.schema import COUNTRIES_BY_NATIONALITY, NATIONALITY_BY_COUNTRY, UNKNOWN
from explorer.geo import Area, area_text, fronts_inside

_DATE_BOUND = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
MAX_PERIOD_DAYS = 366
"""A figure over a longer period than this is 'imprecise' (year-long)."""


def parse_date_bound(text: str, *, end: bool = False) -> date | None:
    """`2015-10-01`, `2015-10` or `2015` → the first day of that period, or its last day when `end`."""
    text = text.strip()
    if not text:
        return None
    match = _DATE_BOUND.match(text)
    if not match:
        raise InvalidFilter(f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = int(match[1]), match[2], match[3]
    try:
        if day is not None:
            return date(year, int(month), int(day))
        if month is not None:
            month_number = int(month)
            last = calendar.monthrange(year, month_number)[1] if 1 <= month_number <= 12 else 0
            return date(year, month_number, last if end else 1)
        return date(year, 12, 31) if end else date(year, 1, 1)
    except ValueError:
        raise InvalidFilter(f"{text!r} is not a valid date") from None


@dataclass(frozen=True)
class Predicate:
    """A SQL boolean expression with its positional parameters."""

    sql: str = "TRUE"
    params: tuple = ()

    def __and__(self, other: Predicate) -> Predicate:
        if self.sql == "TRUE":
            return other
        if other.sql == "TRUE":
            return self
        return Predicate(f"({self.sql}) AND ({other.sql})", self.params + other.params)


def any_of(predicates: list[Predicate]) -> Predicate:
    """True where one of `predicates` is (FALSE when there are none)."""
    return Predicate(" OR ".join(f"({predicate.sql})" for predicate in predicates) or "FALSE",
                     sum((predicate.params for predicate in predicates), ()))


def _value_set(column: str, values: frozenset[str | None]) -> Predicate:
    """`column` is one of `values`; None in `values` also selects empty values."""
    known = sorted(value for value in values if value is not None)
    parts, params = [], []
    if known:
        parts.append(f"list_contains(?, {column})")
        params.append(known)
    if None in values:
        parts.append(f"{column} IS NULL")
    return Predicate(" OR ".join(parts) or "FALSE", tuple(params))


def _list_holds(list_column: str, values: frozenset[str | None]) -> Predicate:
    """The list `list_column` holds one of `values`; None in `values` also selects an empty list."""
    known = sorted(value for value in values if value is not None)
    parts, params = [], []
    if known:
        parts.append(_has_any_of(list_column))
        params.append(known)
    if None in values:
        parts.append(f"len({list_column}) = 0")
    return Predicate(" OR ".join(parts) or "FALSE", tuple(params))


@dataclass(frozen=True)
class Facet:
    """A filter dimension chosen from a list of values with their counts (the picker)."""

    name: str
    field: str
    """The `Filters` field holding the chosen values."""
    title: str
    """The picker's title and the summary's plural."""


FACETS = {
    "nationality": Facet("nationality", "nationalities", "Nationalities"),
    "front": Facet("front", "fronts", "Fronts"),
    "side": Facet("side", "sides", "Sides"),
}


EVENT_TEXT = ("title", "description", "front", "location", "admin1", "admin2", "event_type", "source")
"""The event columns a search (and a text filter) looks into, besides the event's actors' names."""


def holds_word(columns: Sequence[str], word: str, lowered: frozenset[str] = frozenset()) -> Predicate:
    """One of `columns` holds `word`, in any case; `lowered` columns are in DuckDB's lower case already.

    DuckDB folds the case of both sides (Python's lower() differs on İ or a final Σ). ILIKE '%word%'
    where the word has no pattern character (the fastest test), else a plain substring test of the
    lower-cased text: either way no character the analyst types acts as a pattern."""
    parts, params = [], []
    plain = not any(char in word for char in "%_\\")
    for column in columns:
        if column in lowered:
            parts.append(f"contains({column}, lower(?))")
            params.append(word)
        elif plain:
            parts.append(f"CAST({column} AS VARCHAR) ILIKE ?")
            params.append(f"%{word}%")
        else:
            parts.append(f"contains(lower(CAST({column} AS VARCHAR)), lower(?))")
            params.append(word)
    return Predicate(" OR ".join(parts), tuple(params))


def text_words(text: str) -> list[str]:
    """The words of a search, as typed: each must occur, in any case."""
    return text.split()


def _has_any_of(list_column: str) -> str:
    """`list_column` holds one of the values of a list parameter (faster than list_has_any, which hashes per row)."""
    return f"len(list_filter({list_column}, lambda item: list_contains(?, item))) > 0"


@dataclass(frozen=True)
class Filters:
    """What the analyst has sliced the data to; the empty value selects everything."""

    date_from: date | None = None
    date_to: date | None = None
    nationalities: frozenset[str | None] = field(default_factory=frozenset)
    fronts: frozenset[str | None] = field(default_factory=frozenset)
    actor_ids: frozenset[str] = field(default_factory=frozenset)
    sides: frozenset[str | None] = field(default_factory=frozenset)
    """Actors' sides (`explorer.db.schema.SIDES`): events with an actor of one, casualties of such an actor,
    those actors; None: no side known."""
    area: Area | None = None
    """A part of the map (the map pane's cell): events drawn there, and casualties on the fronts whose main place is there."""
    include_imprecise: bool = True
    text: str = ""
    """Events holding every word of it (a search made a filter)."""

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidFilter(f"the range starts ({self.date_from}) after it ends ({self.date_to})")

    # --- per-table predicates ---------------------------------------------

    def events(self, country_actors: dict[str, list[str]] | None = None,
               actors_named: Mapping[str, Sequence[str]] | None = None, search_column: str | None = None,
               sides_column: str | None = None) -> Predicate:
        """Events under the filter; `country_actors` (each country's actor ids, read from the
        actors table beforehand) makes the nationality test a cheap per-row lookup, and
        `actors_named` (each word of the text filter → ids of the actors whose names hold it) lets
        the text filter find events by their actors' names. Over `events_by_date`, `search_column`
        (its text and its actors' names in lower case, in one column) makes the text filter one test per word,
        and `sides_column` (its actors' sides) the side filter one test."""
        start, end = "date", "coalesce(end_date, date)"
        predicate = self._date_range(start, end)
        if not self.include_imprecise:
            predicate &= Predicate(
                f"date IS NOT NULL AND date_precision <> 'year' AND datediff('day', {start}, {end}) <= {MAX_PERIOD_DAYS}"
                " AND coalesce(location_precision, '') <> 'country'"
            )
        if self.nationalities:
            predicate &= self._events_by_nationality(country_actors)
        if self.fronts:
            predicate &= _value_set("front", self.fronts)
        if self.actor_ids:
            predicate &= Predicate(_has_any_of("actor_ids"), (sorted(self.actor_ids),))
        if self.sides:
            predicate &= _list_holds(sides_column, self.sides) if sides_column else self._events_by_side()
        if self.area is not None:
            predicate &= self._events_in_area()
        for word in sorted(text_words(self.text), key=len, reverse=True):  # the longest first: it rules out the most rows
            if search_column is not None:
                predicate &= holds_word((search_column,), word, frozenset({search_column}))
                continue
            holds = holds_word(EVENT_TEXT, word)
            if actors_named is None:  # looked up here (slower per row, but the same rows)
                named = ("list_has_any(actor_ids, (SELECT coalesce(list(actor_id), []) FROM actors"
                         " WHERE contains(lower(concat_ws(' ', actor_id, name, short_name)), lower(?))))")
                holds = Predicate(f"({holds.sql}) OR {named}", holds.params + (word,))
            elif actors_named.get(word):
                holds = Predicate(f"({holds.sql}) OR {_has_any_of('actor_ids')}", holds.params + (sorted(actors_named[word]),))
            predicate &= holds
        return predicate

    def casualties(self, row: str = "") -> Predicate:
        """Casualty reports under the filter; `row` qualifies the columns (`r.` for a report struct in a lambda)."""
        kind, period_start, period_end = f"{row}kind", f"{row}period_start", f"{row}period_end"
        start = f"CASE WHEN {kind} = 'cumulative' THEN {period_end} ELSE coalesce({period_start}, {period_end}) END"
        end = f"coalesce({period_end}, {period_start})"
        predicate = self._date_range(start, end)
        if not self.include_imprecise:
            predicate &= Predicate(
                f"({start}) IS NOT NULL AND {period_end} IS NOT NULL AND coalesce({row}date_precision, '') <> 'year'"
                f" AND datediff('day', {start}, {end}) <= {MAX_PERIOD_DAYS}"
                f" AND coalesce({row}location_precision, '') <> 'country'"
            )
        if self.nationalities:
            predicate &= _value_set(f"{row}nationality", self.nationalities)
        if self.fronts:
            predicate &= _value_set(f"{row}front", self.fronts)
        if self.area is not None:
            predicate &= Predicate(f"list_contains(?, {row}front)", (fronts_inside(self.area),))
        if self.actor_ids:
            predicate &= Predicate(f"list_contains(?, {row}actor_id)", (sorted(self.actor_ids),))
        if self.sides and not row:  # in a report struct (`r.`) no subquery can run: see `occurrence_sides`
            predicate &= self.occurrence_sides()
        return predicate

    def casualty_rows(self, row: str = "") -> Predicate:
        """Casualty figures under the filter, on columns that hold what `casualties()` works out from a
        report: `first_date` and `last_date` (the start and end it is matched on) and `precise` (not
        imprecise), with `nationality`, `front` and `actor_id`. `row` qualifies them, as there."""
        predicate = self._date_range(f"{row}first_date", f"{row}last_date") & self.summary_facets(row)
        if self.actor_ids:
            predicate &= Predicate(f"list_contains(?, {row}actor_id)", (sorted(self.actor_ids),))
        if self.sides and not row:
            predicate &= self.occurrence_sides()
        return predicate

    def occurrence_sides(self, column: str = "actor_id") -> Predicate:
        """Rows whose actor (`column`) is of a chosen side; None: no actor, or one of no known side. An
        occurrence reported several times is tested on its own actor, not on each report's."""
        known = sorted(value for value in self.sides if value is not None)
        parts, params = [], []
        if known:
            parts.append(f"list_contains((SELECT coalesce(list(actor_id), []) FROM actors WHERE list_contains(?, side)), {column})")
            params.append(known)
        if None in self.sides:
            parts.append(f"{column} IS NULL OR NOT list_contains("
                         f"(SELECT coalesce(list(actor_id), []) FROM actors WHERE side IS NOT NULL), {column})")
        return Predicate(" OR ".join(f"({part})" for part in parts), tuple(params))

    def _events_by_side(self) -> Predicate:
        """Events with an actor of a chosen side (None: with no actor of a known side), looked up in the predicate."""
        known = sorted(value for value in self.sides if value is not None)
        parts, params = [], []
        if known:
            parts.append("list_has_any(actor_ids, (SELECT coalesce(list(actor_id), []) FROM actors WHERE list_contains(?, side)))")
            params.append(known)
        if None in self.sides:
            parts.append("NOT list_has_any(actor_ids, (SELECT coalesce(list(actor_id), []) FROM actors WHERE side IS NOT NULL))")
        return Predicate(" OR ".join(f"({part})" for part in parts), tuple(params))

    def summary_facets(self, row: str = "") -> Predicate:
        """Nationality, front and precision, on the columns `nationality`, `front` and `precise`."""
        predicate = Predicate() if self.include_imprecise else Predicate(f"{row}precise")
        if self.nationalities:
            predicate &= _value_set(f"{row}nationality", self.nationalities)
        if self.fronts:
            predicate &= _value_set(f"{row}front", self.fronts)
        if self.area is not None:
            predicate &= Predicate(f"list_contains(?, {row}front)", (fronts_inside(self.area),))
        return predicate

    def _events_in_area(self) -> Predicate:
        """Events the map draws in the area: by their coordinates, or by their front's main place when
        they have none; never a country-wide one (see `explorer.db.geo`)."""
        west, south, east, north = self.area
        precise = "latitude IS NOT NULL AND longitude IS NOT NULL AND coalesce(location_precision, '') <> 'country'"
        return Predicate(
            f"CASE WHEN {precise} THEN longitude >= ? AND longitude < ? AND latitude > ? AND latitude <= ? "
            "ELSE coalesce(location_precision, '') <> 'country' AND list_contains(?, front) END",
            (west, east, south, north, fronts_inside(self.area)))

    def actors(self) -> Predicate:
        predicate = Predicate()
        if self.sides:
            predicate &= _value_set("side", self.sides)
        if self.nationalities:
            predicate &= self._actor_countries("country")
        if self.actor_ids:
            predicate &= Predicate("list_contains(?, actor_id)", (sorted(self.actor_ids),))
        return predicate

    def forces(self) -> Predicate:
        predicate = self._date_range("date", "date")
        if not self.include_imprecise:
            predicate &= Predicate("date_precision <> 'year'")
        if self.sides:
            predicate &= self.occurrence_sides()
        if self.nationalities:
            predicate &= self._actor_countries("(SELECT a.country FROM actors a WHERE a.actor_id = forces.actor_id)")
        if self.actor_ids:
            predicate &= Predicate("list_contains(?, actor_id)", (sorted(self.actor_ids),))
        return predicate

    # --- helpers ---------------------------------------------------------

    def _date_range(self, start: str, end: str) -> Predicate:
        if not self.date_from and not self.date_to:
            return Predicate()
        parts, params = [f"({start}) IS NOT NULL"], []
        if self.date_from:
            parts.append(f"coalesce({end}, {start}) >= ?")
            params.append(self.date_from)
        if self.date_to:
            parts.append(f"({start}) <= ?")
            params.append(self.date_to)
        dated = " AND ".join(parts)
        if self.include_imprecise:
            return Predicate(f"({start}) IS NULL OR ({dated})", tuple(params))
        return Predicate(dated, tuple(params))

    def _countries(self) -> list[str]:
        """Every spelling of the selected nationalities' countries (an actor's country may be any of them)."""
        return sorted({spelling for n in self.nationalities if n is not None for spelling in COUNTRIES_BY_NATIONALITY.get(n, (n,))})

    def _actor_countries(self, country: str) -> Predicate:
        """The actor's country is one of the selected nationalities' (unknown: none of ours)."""
        parts, params = [], []
        if self._countries():
            parts.append(f"list_contains(?, {country})")
            params.append(self._countries())
        if None in self.nationalities:
            parts.append(f"{country} IS NULL OR NOT list_contains(?, {country})")
            params.append(sorted(NATIONALITY_BY_COUNTRY))
        return Predicate(" OR ".join(f"({part})" for part in parts), tuple(params))

    def _events_by_nationality(self, country_actors: dict[str, list[str]] | None) -> Predicate:
        """Events with an actor of a selected country (unknown: with no actor of a known country)."""
        def actors_of(countries: list[str]) -> tuple[str, tuple]:
            if country_actors is None:
                return ("list_has_any(actor_ids, (SELECT coalesce(list(actor_id), []) FROM actors WHERE list_contains(?, country)))",
                        (countries,))
            return _has_any_of("actor_ids"), (sorted(a for country in countries for a in country_actors.get(country, ())),)

        parts, params = [], []
        if self._countries():
            sql, values = actors_of(self._countries())
            parts.append(sql)
            params.extend(values)
        if None in self.nationalities:
            sql, values = actors_of(sorted(NATIONALITY_BY_COUNTRY))
            parts.append(f"NOT {sql}")
            params.extend(values)
        return Predicate(" OR ".join(f"({part})" for part in parts), tuple(params))

    # --- presentation ----------------------------------------------------

    def summary(self, actor_names: Mapping[str, str] | None = None, compact: int = 0) -> str:
        """One line, e.g. `2015-10 → 2016-02 · Iranian · Aleppo`; actors by their names where `actor_names` has them.
        Shorter for a narrow screen (`x` lists every part): at `compact` 1 a list of more than two values
        names two and counts the rest (`Afghan, Iranian +3`); at 2 lists are counted (`5 nationalities`)
        and the default "imprecise rows shown" goes unsaid."""

        def listed(values: list[str], noun: str) -> str:
            if compact >= 2 and len(values) > 1:
                return f"{len(values)} {noun}"
            if compact and len(values) > 2:
                return f"{', '.join(values[:2])} +{len(values) - 2}"
            return ", ".join(values)

        parts = []
        if self.date_from or self.date_to:
            parts.append(self._dates_text())
        for values, noun in ((self.nationalities, "nationalities"), (self.fronts, "fronts")):
            if values:
                parts.append(listed(sorted(v if v is not None else UNKNOWN for v in values), noun))
        if self.sides:
            sides = sorted(v if v is not None else UNKNOWN for v in self.sides)
            parts.append(listed(sides, "sides") if compact >= 2 and len(sides) > 1 else "side: " + listed(sides, "sides"))
        if self.actor_ids:
            names = sorted((actor_names or {}).get(actor_id, actor_id) for actor_id in self.actor_ids)
            parts.append(listed(names, "actors") if compact >= 2 and len(names) > 1 else "actors: " + listed(names, "actors"))
        if self.area is not None:
            parts.append(f"area {area_text(self.area)}")
        if self.text.strip():
            parts.append(f"events matching “{' '.join(text_words(self.text))}”")
        if not parts and self.include_imprecise:
            parts.append("everything")
        if not self.include_imprecise:
            parts.append("imprecise left out" if compact else "imprecise rows left out")
        elif compact < 2 or parts == ["everything"]:
            parts.append("imprecise shown" if compact else "imprecise rows shown")
        return " · ".join(parts)

    def _dates_text(self) -> str:
        start, end = show_bound(self.date_from, end=False), show_bound(self.date_to, end=True)
        if self.date_from and self.date_to and (len(start) == 4) != (len(end) == 4):  # a year beside a month or day
            start = f"{self.date_from.year}-01" if len(start) == 4 else start
            end = f"{self.date_to.year}-12" if len(end) == 4 else end
        return f"{start} → {end}"

    def parts(self, actor_names: Mapping[str, str] | None = None) -> list[tuple[str, Filters]]:
        """Each part of the filter that can be removed on its own, as (what it says, the filter without it)."""
        names = actor_names or {}
        found: list[tuple[str, Filters]] = []
        if self.date_from or self.date_to:
            found.append((f"dates {self._dates_text()}", replace(self, date_from=None, date_to=None)))
        for value in sorted(self.nationalities, key=lambda v: (v is None, v or "")):
            found.append((f"nationality {value or UNKNOWN}", replace(self, nationalities=self.nationalities - {value})))
        for value in sorted(self.fronts, key=lambda v: (v is None, v or "")):
            found.append((f"front {value or UNKNOWN}", replace(self, fronts=self.fronts - {value})))
        for value in sorted(self.sides, key=lambda v: (v is None, v or "")):
            found.append((f"side {value or UNKNOWN}", replace(self, sides=self.sides - {value})))
        for actor_id in sorted(self.actor_ids, key=lambda a: names.get(a, a)):
            found.append((f"actor {names.get(actor_id, actor_id)}", replace(self, actor_ids=self.actor_ids - {actor_id})))
        if self.area is not None:
            found.append((f"area {area_text(self.area)}", replace(self, area=None)))
        if self.text.strip():
            found.append((f"events matching “{' '.join(text_words(self.text))}”", replace(self, text="")))
        if not self.include_imprecise:
            found.append(("imprecise rows left out", replace(self, include_imprecise=True)))
        return found


def show_bound(bound: date | None, *, end: bool) -> str:
    if bound is None:
        return "…"
    if end and bound.month == 12 and bound.day == 31 or not end and bound.month == 1 and bound.day == 1:
        return f"{bound.year}"
    last_day = calendar.monthrange(bound.year, bound.month)[1]
    if end and bound.day == last_day or not end and bound.day == 1:
        return f"{bound.year}-{bound.month:02d}"
    return bound.isoformat()
