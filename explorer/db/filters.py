"""The filter bar's value, and the parameterised SQL predicate it becomes for each table.

No user text is ever pasted into SQL: values travel as parameters, column names come from here.
How each filter applies:
- date range: events whose [date, end_date] overlaps it; casualty figures whose period overlaps
  it (a cumulative total: its as-of date falls in it); force estimates dated in it.
- a dimension (nationality, front, side: see `explorer.db.dimensions`): each table by its own column,
  or through its actors, as the dimension's declaration says.
- area: events drawn in a part of the map, casualties on the fronts whose main place is there.
- actors: events that involve one of them, casualties and forces of one of them, the actors themselves.
- text (a search made a filter): events holding every word in their text or their actors' names.
- imprecise rows (no date or no end date, year precision, a period longer than a year, a
  country-wide place) are shown or left out by `include_imprecise`.
`None` among a dimension's chosen values selects the rows where its value is unknown.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from explorer.db.dimensions import DIMENSION_BY_FIELD, DIMENSION_BY_NAME, DIMENSIONS, Dimension
from explorer.db.errors import InvalidFilter
from explorer.db.predicate import Predicate, has_any_of
from explorer.db.schema import UNKNOWN
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
        raise InvalidFilter(f"{text!r} is not a date (YYYY-MM-DD, YYYY-MM, YYYY)")
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


SEARCH_COLUMN = "search_text"
"""The column of `events_by_date` a search reads: the event's text and its actors' names in lower case."""

Choice = frozenset[str | None]
"""A dimension's chosen values; None stands for the unknown value."""


@dataclass(frozen=True, init=False)
class Filters:
    """What the analyst has sliced the data to; the empty value selects everything.

    Each dimension's chosen values are a keyword and an attribute named by its `field`
    (`Filters(nationalities={"Iranian"})`, `filters.sides`), kept together in `chosen`."""

    date_from: date | None = None
    date_to: date | None = None
    chosen: tuple[tuple[str, Choice], ...] = ()
    """(dimension name, chosen values) for each dimension with a choice, in `DIMENSIONS` order."""
    actor_ids: frozenset[str] = frozenset()
    area: Area | None = None
    """A part of the map (the map pane's cell): events drawn there, and casualties on the fronts whose main place is there."""
    include_imprecise: bool = True
    text: str = ""
    """Events holding every word of it (a search made a filter)."""

    def __init__(self, *, date_from: date | None = None, date_to: date | None = None,
                 chosen: Iterable[tuple[str, Iterable[str | None]]] = (), actor_ids: Iterable[str] = frozenset(),
                 area: Area | None = None, include_imprecise: bool = True, text: str = "",
                 **values: Iterable[str | None]) -> None:
        by_name: dict[str, frozenset] = {}
        given = [(name, choice, "chosen") for name, choice in chosen]
        for field_name, choice in values.items():
            if field_name not in DIMENSION_BY_FIELD:
                raise TypeError(f"Filters() got an unexpected keyword argument {field_name!r}")
            given.append((DIMENSION_BY_FIELD[field_name].name, choice, field_name))
        for name, choice, where in given:
            if name not in DIMENSION_BY_NAME:
                raise TypeError(f"Filters(): {name!r} is not a dimension (they are {', '.join(DIMENSION_BY_NAME)})")
            if isinstance(choice, (str, bytes)):
                raise TypeError(f"Filters(): {where} takes a set of values, not the text {choice!r}")
            if name in by_name and where == "chosen":  # a keyword may replace a value of `chosen` (as `replace` does)
                raise TypeError(f"Filters(): {name!r} is chosen twice")
            by_name[name] = frozenset(choice)
        if isinstance(actor_ids, (str, bytes)):
            raise TypeError(f"Filters(): actor_ids takes a set of ids, not the text {actor_ids!r}")
        set_field = object.__setattr__
        set_field(self, "date_from", date_from)
        set_field(self, "date_to", date_to)
        set_field(self, "chosen", tuple((d.name, by_name[d.name]) for d in DIMENSIONS if by_name.get(d.name)))
        set_field(self, "actor_ids", frozenset(actor_ids))
        set_field(self, "area", area)
        set_field(self, "include_imprecise", include_imprecise)
        set_field(self, "text", text)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidFilter(f"the range starts ({self.date_from}) after it ends ({self.date_to})")

    def __getattr__(self, name: str) -> Choice:
        """A dimension's chosen values by its field (`filters.nationalities`): empty when none is chosen."""
        dimension = DIMENSION_BY_FIELD.get(name)
        if dimension is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.values(dimension)

    def values(self, dimension: Dimension | str) -> Choice:
        """The values chosen of a dimension (or of the dimension of that name)."""
        name = dimension if isinstance(dimension, str) else dimension.name
        return dict(self.chosen).get(name, frozenset())

    def choosing(self, dimension: Dimension, values: Iterable[str | None]) -> Filters:
        """This filter with the values of `dimension` chosen instead."""
        return replace(self, **{dimension.field: frozenset(values)})

    def choices(self) -> list[tuple[Dimension, Choice]]:
        """(dimension, chosen values) for each dimension with a choice."""
        return [(DIMENSION_BY_NAME[name], values) for name, values in self.chosen if name in DIMENSION_BY_NAME]

    # --- per-table predicates ---------------------------------------------

    def events(self, actors_named: Mapping[str, Sequence[str]] | None = None, *, cached: bool = False) -> Predicate:
        """Events under the filter. Over `events_by_date` (`cached`), its columns make each test one per row:
        `SEARCH_COLUMN` (the text and the actors' names in lower case) for the text filter, and a list column
        per dimension that events reach through their actors. Over `events`, `actors_named` (each word of
        the text filter → ids of the actors whose names hold it) lets the text filter find events by their
        actors' names without a lookup per row."""
        start, end = "date", "coalesce(end_date, date)"
        predicate = self._date_range(start, end)
        if not self.include_imprecise:
            predicate &= Predicate(
                f"date IS NOT NULL AND date_precision <> 'year' AND datediff('day', {start}, {end}) <= {MAX_PERIOD_DAYS}"
                " AND coalesce(location_precision, '') <> 'country'"
            )
        for dimension, values in self.choices():
            predicate &= dimension.events(values, cached=cached)
        if self.actor_ids:
            predicate &= Predicate(has_any_of("actor_ids"), (sorted(self.actor_ids),))
        if self.area is not None:
            predicate &= self._events_in_area()
        for word in sorted(text_words(self.text), key=len, reverse=True):  # the longest first: it rules out the most rows
            if cached:
                predicate &= holds_word((SEARCH_COLUMN,), word, frozenset({SEARCH_COLUMN}))
                continue
            holds = holds_word(EVENT_TEXT, word)
            if actors_named is None:  # looked up here (slower per row, but the same rows)
                named = ("list_has_any(actor_ids, (SELECT coalesce(list(actor_id), []) FROM actors"
                         " WHERE contains(lower(concat_ws(' ', actor_id, name, short_name)), lower(?))))")
                holds = Predicate(f"({holds.sql}) OR {named}", holds.params + (word,))
            elif actors_named.get(word):
                holds = Predicate(f"({holds.sql}) OR {has_any_of('actor_ids')}", holds.params + (sorted(actors_named[word]),))
            predicate &= holds
        return predicate

    def casualties(self, row: str = "") -> Predicate:
        """Casualty reports under the filter; `row` qualifies the columns (`r.` for a report struct in a lambda),
        where the tests through a report's actor cannot run (see `by_occurrence_actor`)."""
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
        for dimension, values in self.choices():
            predicate &= dimension.casualties(values, row)
        if self.area is not None:
            predicate &= Predicate(f"list_contains(?, {row}front)", (fronts_inside(self.area),))
        if self.actor_ids:
            predicate &= Predicate(f"list_contains(?, {row}actor_id)", (sorted(self.actor_ids),))
        return predicate

    def casualty_rows(self, row: str = "") -> Predicate:
        """Casualty figures under the filter, on columns that hold what `casualties()` works out from a
        report: `first_date` and `last_date` (the start and end it is matched on) and `precise` (not
        imprecise), with the dimensions' casualty columns and `actor_id`. `row` qualifies them, as there."""
        predicate = self._date_range(f"{row}first_date", f"{row}last_date") & self.summary_facets(row)
        if self.actor_ids:
            predicate &= Predicate(f"list_contains(?, {row}actor_id)", (sorted(self.actor_ids),))
        if not row:
            predicate &= self.by_occurrence_actor()
        return predicate

    def by_occurrence_actor(self) -> Predicate:
        """The tests of the dimensions that casualties reach through their actor, on a row's `actor_id`. An
        occurrence reported several times is tested on its own actor, not on each report's."""
        predicate = Predicate()
        for dimension, values in self.choices():
            if dimension.casualties_through_actor:
                predicate &= dimension.by_actor(values)
        return predicate

    @property
    def reads_occurrences(self) -> bool:
        """Whether a casualty count must read the occurrences one by one: the monthly summary holds no actor."""
        return bool(self.actor_ids) or any(dimension.casualties_through_actor for dimension, _ in self.choices())

    def summary_facets(self, row: str = "") -> Predicate:
        """The dimensions with a casualty column, the area and precision, on the columns the dimensions name,
        `front` and `precise`."""
        predicate = Predicate() if self.include_imprecise else Predicate(f"{row}precise")
        for dimension, values in self.choices():
            if dimension.casualty_column is not None:
                predicate &= dimension.casualties(values, row)
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
        for dimension, values in self.choices():
            predicate &= dimension.actors(values)
        if self.actor_ids:
            predicate &= Predicate("list_contains(?, actor_id)", (sorted(self.actor_ids),))
        return predicate

    def forces(self) -> Predicate:
        predicate = self._date_range("date", "date")
        if not self.include_imprecise:
            predicate &= Predicate("date_precision <> 'year'")
        for dimension, values in self.choices():
            predicate &= dimension.forces(values)
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
        for dimension, chosen in self.choices():
            values, noun = sorted(v if v is not None else UNKNOWN for v in chosen), dimension.title.lower()
            labelled = dimension.labelled and not (compact >= 2 and len(values) > 1)
            parts.append(f"{dimension.label}: " * labelled + listed(values, noun))
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
        for dimension, chosen in self.choices():
            for value in sorted(chosen, key=lambda v: (v is None, v or "")):
                found.append((f"{dimension.label} {value or UNKNOWN}", self.choosing(dimension, chosen - {value})))
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


for _dimension in DIMENSIONS:  # a declaration may not shadow what a filter already holds
    if hasattr(Filters, _dimension.field):
        raise ValueError(f"dimension {_dimension.name!r}: its field {_dimension.field!r} is a Filters attribute: choose another")
