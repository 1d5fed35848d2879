"""One named query per thing a pane shows, each returning an Arrow table.

The counting model lives here. Reports of the same occurrence (same dataset and
occurrence_id) are counted once, at the lowest reported figure, with the range and the
number of reports beside it. An occurrence is shown when any of its reports matches the
filter, and its figures come from all its reports. Bases (individual, incident, tally,
cumulative) and datasets are never added together: every aggregate keeps them apart, and
tallies and cumulative totals, which overlap each other, are never summed at all.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date, timedelta

import pyarrow as pa

from explorer.db.dimensions import DIMENSION_BY_NAME, DIMENSIONS, casualty_columns, event_list_columns
from explorer.db.filters import EVENT_TEXT, SEARCH_COLUMN, Filters
from explorer.db.search_index import dates_holding
from explorer.db.paging import Order, RowQuery
from explorer.db.predicate import Predicate, any_of
from explorer.db.schema import CASUALTY_KINDS, UNKNOWN
from explorer.engine import Cursor

SUMMED_KINDS = ("individual", "incident")
"""Bases whose occurrences are distinct deaths, so their counts add up within a basis and dataset."""

DIMENSION_COLUMNS = casualty_columns()
"""The casualty columns the filter dimensions read (nationality, front): every occurrence carries them."""
REPORT_FACETS = {"first_date": "DATE", "last_date": "DATE", "precise": "BOOLEAN", **dict.fromkeys(DIMENSION_COLUMNS, "VARCHAR"),
                 "actor_id": "VARCHAR", "event_id": "VARCHAR"}
"""What a filter reads of a report (see `Filters.casualty_rows`): kept per report for occurrences reported more than once."""
DIMENSION_BY_COLUMN = {dimension.casualty_column: dimension for dimension in reversed(DIMENSIONS) if dimension.casualty_column}
REPORT_FACETS_TYPE = "STRUCT(" + ", ".join(f"{name} {type_}" for name, type_ in REPORT_FACETS.items()) + ")[]"

FACETS = tuple(dimension.name for dimension in DIMENSIONS)


def _columns() -> str:
    """The dimensions' casualty columns, as a select list."""
    return ", ".join(DIMENSION_COLUMNS)


def _events(con: Cursor, filters: Filters) -> Predicate:
    """Rows of `events_by_date` under the filter (its columns answer the text and dimension tests)."""
    return filters.events(cached=True)


events_predicate = _events


# Results here are pages and aggregates, so the copy DuckDB warns of costs little; `con.sql(...)` would
# bind every statement twice, partly in Python, and a worker holding the GIL slows down while the UI draws.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning)


def _arrow(con: Cursor, sql: str, params: tuple | list = ()) -> pa.Table:
    return con.execute(sql, list(params)).to_arrow_table()


def _kind_predicate(kind: str | None) -> Predicate:
    if kind is None:
        return Predicate()
    if kind not in CASUALTY_KINDS:
        raise ValueError(f"unknown casualty kind {kind!r}")
    return Predicate("kind = ?", (kind,))


OCCURRENCE_PARTS = {
    "single": "SELECT * FROM single",
    "repeated": "SELECT * FROM grouped",
    "all": "SELECT * FROM single UNION ALL SELECT * EXCLUDE (summarised) FROM grouped",
}

SUMMARISED = f"""kind IN ('individual', 'incident') AND len(list_distinct(list_transform(report_facets, lambda r: struct_pack(
    {"".join(f"{column} := r.{column}, " for column in DIMENSION_COLUMNS)}precise := r.precise,
    first_month := date_trunc('month', r.first_date), last_month := date_trunc('month', r.last_date))))) = 1
    AND date_trunc('month', report_facets[1].first_date) = date_trunc('month', report_facets[1].last_date)"""
"""An occurrence reported several times that `occurrence_months` counts: an individual or incident whose
reports agree on the dimensions' columns (nationality, front) and precision and are all dated within one month. Any date range
then takes all its reports or none, except in the range's first and last month."""


def _reported_range(figure: str) -> str:
    """A report's range: its low and high, each its figure when only the other is given; none when it gives
    neither (a share of an event's deaths has no range of its own: inventing one would move the sums)."""
    given = f"({figure}_low IS NOT NULL OR {figure}_high IS NOT NULL)"
    return (f"CASE WHEN {given} THEN coalesce({figure}_low, {figure}) END AS {figure}_low, "
            f"CASE WHEN {given} THEN coalesce({figure}_high, {figure}) END AS {figure}_high")


def occurrences_sql(part: str = "all") -> str:
    """SQL of one row per occurrence (dataset, occurrence_id) over every report: the counting model.

    The counted report is the one with the lowest figure (then the shortest period, then the
    first id); the occurrence's dates are that report's, and the range spans all reports. Most
    occurrences have one report: they are projected, and only the others aggregated.
    An occurrence's figures come from all its reports, whatever the filter, so this is computed
    once per data directory (the catalog's `occurrences` view) and filters only choose rows of it:
    an occurrence of one report keeps that report's period and precisions, one of several keeps
    each report's filtered columns in `report_facets` (see `_occurrences`). `part` gives
    the occurrences of one report ("single"), of several ("repeated") or "all"."""
    counted_key = (
        "struct_pack(no_figure := killed IS NULL, killed := coalesce(killed, 0), "
        "days := coalesce(datediff('day', coalesce(period_start, period_end), coalesce(period_end, period_start)), 2147483647), "
        "id := casualty_id)"
    )
    counted = (
        "struct_pack(id := casualty_id, first_date := first_date, last_date := last_date, "
        "killed_qualifier := killed_qualifier, wounded_qualifier := wounded_qualifier)"
    )
    facets = ", ".join(f"{column} := {column}" for column in REPORT_FACETS)
    precise = Filters(include_imprecise=False).casualties()
    return f"""
        WITH repeated AS (
            SELECT dataset, occurrence_id FROM casualties GROUP BY dataset, occurrence_id HAVING count(*) > 1
        ),
        reports AS (
            SELECT *, CASE WHEN kind = 'cumulative' THEN period_end ELSE coalesce(period_start, period_end) END AS first_date,
                coalesce(period_end, period_start) AS last_date, coalesce({precise.sql}, FALSE) AS precise
            FROM casualties
        ),
        single AS (
            SELECT dataset, occurrence_id, kind, casualty_id AS counted_report, first_date, last_date,
                coalesce(period_start, period_end) AS earliest_reported_date,
                coalesce(period_end, period_start) AS latest_reported_date,
                {_columns()}, actor_id, event_id, person_name, ranks,
                killed, killed_qualifier, {_reported_range("killed")},
                wounded, wounded_qualifier, {_reported_range("wounded")},
                1::BIGINT AS reports,
                (killed IS NOT NULL OR killed_high IS NOT NULL)::BIGINT AS killed_reports,
                (wounded IS NOT NULL OR wounded_high IS NOT NULL)::BIGINT AS wounded_reports,
                list_sort(list_distinct([source])) AS sources,
                period_start, period_end, date_precision, location_precision, precise,
                NULL::{REPORT_FACETS_TYPE} AS report_facets
            FROM reports ANTI JOIN repeated USING (dataset, occurrence_id)
        ),
        aggregated AS (
            SELECT
                dataset,
                occurrence_id,
                any_value(kind) AS kind,
                arg_min({counted}, {counted_key}) AS counted,
                min(coalesce(period_start, period_end)) AS earliest_reported_date,
                max(coalesce(period_end, period_start)) AS latest_reported_date,
                {", ".join(f"{DIMENSION_BY_COLUMN[column].combine}({column}) AS {column}" for column in DIMENSION_COLUMNS)},
                min(actor_id) AS actor_id,
                min(event_id) AS event_id,
                min(person_name) AS person_name,
                min(ranks) AS ranks,
                min(killed) AS killed,
                min(coalesce(killed_low, killed)) AS killed_low,
                max(coalesce(killed_high, killed)) AS killed_high,
                min(wounded) AS wounded,
                min(coalesce(wounded_low, wounded)) AS wounded_low,
                max(coalesce(wounded_high, wounded)) AS wounded_high,
                count(*) AS reports,
                count(*) FILTER (WHERE killed IS NOT NULL OR killed_high IS NOT NULL) AS killed_reports,
                count(*) FILTER (WHERE wounded IS NOT NULL OR wounded_high IS NOT NULL) AS wounded_reports,
                list_sort(list_distinct(list(source))) AS sources,
                list(struct_pack({facets})) AS report_facets
            FROM reports SEMI JOIN repeated USING (dataset, occurrence_id)
            GROUP BY dataset, occurrence_id
        ),
        grouped AS (
            SELECT dataset, occurrence_id, kind, counted.id AS counted_report, counted.first_date AS first_date,
                counted.last_date AS last_date, earliest_reported_date, latest_reported_date, {_columns()}, actor_id,
                event_id, person_name, ranks, killed, counted.killed_qualifier AS killed_qualifier, killed_low, killed_high,
                wounded, counted.wounded_qualifier AS wounded_qualifier, wounded_low, wounded_high,
                reports, killed_reports, wounded_reports, sources,
                NULL::DATE AS period_start, NULL::DATE AS period_end, NULL::VARCHAR AS date_precision,
                NULL::VARCHAR AS location_precision, NULL::BOOLEAN AS precise, report_facets,
                coalesce({SUMMARISED}, FALSE) AS summarised
            FROM aggregated
        )
        {OCCURRENCE_PARTS[part]}
    """


LONG_PERIOD_DAYS = 31
"""An individual or incident dated over a longer period is not drawn in its first month's bar (a year-long,
country-wide UCDP row would stack a year's deaths into January): the chart counts it apart."""


def long_period(first: str = "first_date", last: str = "last_date") -> str:
    """SQL: whether an occurrence's dates span more than LONG_PERIOD_DAYS."""
    return f"coalesce(datediff('day', {first}, {last}) > {LONG_PERIOD_DAYS}, FALSE)"


def occurrence_months_sql() -> str:
    """SQL of the summed killed and the number of occurrences of the individuals and incidents reported
    once (the view `single_occurrences`), per dataset, basis, nationality, front, precision, first
    and last month and whether the period is long: enough to answer most of the chart's bars without
    reading every occurrence."""
    return f"""
        SELECT dataset, kind, {_columns()}, precise,
            date_trunc('month', first_date)::DATE AS first_month, date_trunc('month', last_date)::DATE AS last_month,
            {long_period()} AS long_period, sum(killed)::BIGINT AS killed, count(*) AS occurrences
        FROM (
            SELECT dataset, kind, {_columns()}, precise, first_date, last_date, killed
            FROM single_occurrences WHERE kind IN ('individual', 'incident') AND first_date IS NOT NULL
            UNION ALL
            SELECT dataset, kind, {_columns()}, report_facets[1].precise, first_date, last_date, killed
            FROM repeated_occurrences WHERE summarised
        )
        GROUP BY ALL
    """


def _next_month(month: date) -> date:
    return (month + timedelta(days=31)).replace(day=1)


def _date_bounds(filters: Filters) -> Predicate:
    """The date range on a single occurrence's first and last date: implied by the filter (they are
    its report's), and simple enough to reach the Parquet scan, which skips row groups outside it."""
    predicate = Predicate()
    if filters.date_to:
        predicate &= Predicate("first_date IS NULL OR first_date <= ?", (filters.date_to,))
    if filters.date_from:
        predicate &= Predicate("last_date IS NULL OR last_date >= ?", (filters.date_from,))
    return predicate


def _occurrences(filters: Filters, kind: str | None, event_id: str | None = None) -> tuple[str, tuple]:
    """SQL of the occurrences (rows of `occurrences`) with at least one report under the filter
    (and of the event), of one basis or all.

    An occurrence of one report carries that report's columns; one of several carries each
    report's in `report_facets`, tested in a lambda. Either way no join with the reports is
    needed, and the plain predicate reaches the Parquet scan of the single occurrences."""
    report, each = filters.casualty_rows(), filters.casualty_rows("r.")
    if event_id is not None:
        report &= Predicate("event_id = ?", (event_id,))
        each &= Predicate("r.event_id = ?", (event_id,))
    basis = _kind_predicate(kind)
    if report.sql == "TRUE":
        return f"SELECT * FROM occurrences WHERE {basis.sql}", basis.params
    single = _date_bounds(filters) & report & basis
    repeated = Predicate(f"len(list_filter(report_facets, lambda r: {each.sql})) > 0", each.params) & basis
    repeated &= filters.by_occurrence_actor()
    return (
        f"SELECT *, NULL::{REPORT_FACETS_TYPE} AS report_facets FROM single_occurrences WHERE {single.sql} "
        f"UNION ALL SELECT * EXCLUDE (summarised) FROM repeated_occurrences WHERE {repeated.sql}",
        single.params + repeated.params,
    )


def casualty_occurrences(
    con: Cursor, filters: Filters, kind: str | None = None, limit: int | None = None
) -> pa.Table:
    """One row per occurrence: the counted figure (lowest reported), its range and number of reports.

    In date order; `limit` keeps the first rows only (a table shows what fits, not millions)."""
    occurrences, params = _occurrences(filters, kind)
    return _arrow(
        con,
        f"""
        SELECT o.*, a.short_name AS actor_name
        FROM ({occurrences}) AS o LEFT JOIN actors AS a ON a.actor_id = o.actor_id
        ORDER BY o.first_date NULLS LAST, o.occurrence_id
        {_limit(limit)}
        """,
        params,
    )


OCCURRENCE_TEXT = ("person_name", "nationality", "front", "ranks", "sources", "occurrence_id")
"""The occurrence columns a search looks into (besides its actor's names)."""


def occurrence_rows(con: Cursor, filters: Filters, kind: str) -> RowQuery:
    """The occurrences of one basis under the filter as a table's rows (see `explorer.db.paging`), by date,
    each with its actor's short name; searched in their text and their actor's names."""
    occurrences, params = _occurrences(filters, kind)
    columns = set(con.execute(f"SELECT * FROM ({occurrences}) LIMIT 0", list(params)).to_arrow_table().column_names)
    text = tuple(column for column in OCCURRENCE_TEXT if column in columns)

    def actor_named(con: Cursor, word: str) -> Predicate:
        return Predicate("list_contains(?, actor_id)", (actors_named(con, word),))

    return RowQuery(
        occurrences, params, key="concat_ws(chr(31), occurrence_id, dataset)", default=Order("first_date"),
        decorate="SELECT o.*, a.short_name AS actor_name FROM ({rows}) AS o LEFT JOIN actors AS a ON a.actor_id = o.actor_id",
        sort_by={"actor_name": "actor_id", "killed_per_month": "killed / (datediff('month', first_date, last_date) + 1)"},
        text_columns=text, text_extra=actor_named,
        case_blind=frozenset({"person_name", "nationality", "front", "ranks"}),
    )


def add_tally_context(con: Cursor, filters: Filters, rows: list[dict]) -> None:
    """Add to a page of tallies their span, monthly rate and what was reported beside them (see `tally_spans`)."""
    context = {(row["dataset"], row["occurrence_id"]): row
               for row in tally_spans(con, filters, occurrence_ids=sorted({row["occurrence_id"] for row in rows})).to_pylist()}
    for row in rows:
        row.update({key: value for key, value in context.get((row["dataset"], row["occurrence_id"]), {}).items() if key not in row})


def occurrence_counts(con: Cursor, filters: Filters) -> dict[str, int]:
    """How many occurrences of each basis the filter shows."""
    occurrences, params = _occurrences(filters, None)
    counts = dict(con.execute(f"SELECT kind, count(*) FROM ({occurrences}) GROUP BY kind", list(params)).fetchall())
    return {kind: counts.get(kind, 0) for kind in CASUALTY_KINDS}


def _limit(limit: int | None) -> str:
    return "" if limit is None else f"LIMIT {int(limit)}"


def casualty_reports(
    con: Cursor,
    filters: Filters,
    kind: str | None = None,
    occurrence_id: str | None = None,
    dataset: str | None = None,
) -> pa.Table:
    """The reports themselves (every source's figure), or all the reports of one occurrence."""
    predicate = filters.casualties() & _kind_predicate(kind)
    if occurrence_id is not None:
        predicate = Predicate("occurrence_id = ?", (occurrence_id,))
        if dataset is not None:
            predicate &= Predicate("dataset = ?", (dataset,))
    return _arrow(
        con,
        f"""
        SELECT c.*, a.short_name AS actor_name
        FROM (SELECT * FROM casualties WHERE {predicate.sql}) AS c
        LEFT JOIN actors AS a ON a.actor_id = c.actor_id
        ORDER BY coalesce(c.period_start, c.period_end) NULLS LAST, c.occurrence_id, c.casualty_id
        """,
        predicate.params,
    )


def events_in_range(con: Cursor, filters: Filters, limit: int | None = None) -> pa.Table:
    """Events in date order, with the short names of their actors; `limit` keeps the first rows only.

    With a limit, the first events' ids and dates are found first (two narrow columns), then
    their rows are read: their span of dates lets the scan of `events_by_date` skip the row groups outside it."""
    predicate = _events(con, filters)
    shown = f"SELECT * FROM events_by_date WHERE {predicate.sql}"
    params = list(predicate.params)
    if limit is not None:
        first = con.execute(
            f"SELECT event_id, date FROM events_by_date WHERE {predicate.sql} ORDER BY date NULLS LAST, event_id {_limit(limit)}",
            params,
        ).fetchall()
        dates = [day for _, day in first if day is not None]
        when = (["date BETWEEN ? AND ?"] if dates else []) + (["date IS NULL"] if len(dates) < len(first) else [])
        shown = f"SELECT * FROM events_by_date WHERE ({' OR '.join(when) or 'FALSE'}) AND list_contains(?, event_id) AND ({predicate.sql})"
        params = ([min(dates), max(dates)] if dates else []) + [[event_id for event_id, _ in first]] + params
    return _arrow(
        con,
        f"""
        WITH names AS (SELECT map(list(actor_id), list(short_name)) AS short_name_of FROM actors),
        shown AS ({shown})
        SELECT e.*, list_transform(e.actor_ids, lambda id: coalesce(names.short_name_of[id], id)) AS actor_names
        FROM shown AS e, names
        ORDER BY e.date NULLS LAST, e.event_id
        """,
        params,
    )


def actors_named(con: Cursor, word: str) -> list[str]:
    """Ids of the actors whose id, name or short name holds `word` (any case)."""
    return [row[0] for row in con.execute(
        "SELECT actor_id FROM actors WHERE contains(lower(concat_ws(chr(31), actor_id, name, short_name)), lower(?))", [word]
    ).fetchall()]


def event_rows(con: Cursor, filters: Filters, indexed: bool = False) -> RowQuery:
    """The events under the filter as a table's rows (see `explorer.db.paging`): by date, any column's order,
    searched in their text and their actors' names; `indexed`: first in the dates the cache's index of
    words says can hold the search (`explorer.db.search_index`)."""
    predicate = _events(con, filters)
    return RowQuery(
        f"SELECT * FROM events_by_date WHERE {predicate.sql}", predicate.params, key="event_id", default=Order("date"),
        decorate="""
            SELECT e.*, list_transform(e.actor_ids, lambda id: coalesce(names.short_name_of[id], id)) AS actor_names
            FROM ({rows}) AS e, (SELECT map(list(actor_id), list(short_name)) AS short_name_of FROM actors) AS names
        """,
        sort_by={"actor_names": "actor_sort"}, text_columns=(SEARCH_COLUMN,), lowered=frozenset({SEARCH_COLUMN}),
        case_blind=frozenset({"title", "front", "location"}), narrow=dates_holding if indexed else None,
    )


def actors_with_casualties(con: Cursor, filters: Filters) -> pa.Table:
    """Actors under the filter with their casualty figures under the filter, basis by basis.

    Individuals and incidents are summed over occurrences; for tallies and cumulative
    totals, which overlap, the highest single figure is given instead of a sum."""
    return _arrow(con, *actors_with_casualties_sql(con, filters))


def actors_with_casualties_sql(con: Cursor, filters: Filters) -> tuple[str, tuple]:
    """The SQL of `actors_with_casualties` and its parameters (an export streams it)."""
    occurrences, occurrence_params = _occurrences(filters, None)
    actor_predicate = filters.actors()
    event_predicate = _events(con, filters)
    return (
        f"""
        WITH occ AS ({occurrences}),
        figures AS (
            SELECT actor_id,
                (sum(killed) FILTER (WHERE kind = 'individual'))::BIGINT AS killed_individual,
                (sum(killed) FILTER (WHERE kind = 'incident'))::BIGINT AS killed_incident,
                (sum(wounded) FILTER (WHERE kind = 'incident'))::BIGINT AS wounded_incident,
                max(killed) FILTER (WHERE kind = 'tally') AS killed_tally_max,
                max(wounded) FILTER (WHERE kind = 'tally') AS wounded_tally_max,
                max(killed) FILTER (WHERE kind = 'cumulative') AS killed_cumulative_max,
                count(*) AS occurrences
            FROM occ WHERE actor_id IS NOT NULL GROUP BY actor_id
        ),
        event_counts AS (
            SELECT id AS actor_id, count(*) AS events
            FROM (SELECT unnest(actor_ids) AS id FROM events_by_date WHERE {event_predicate.sql})
            GROUP BY id
        )
        SELECT a.*, coalesce(ec.events, 0) AS events,
            f.killed_individual, f.killed_incident, f.wounded_incident,
            f.killed_tally_max, f.wounded_tally_max, f.killed_cumulative_max,
            coalesce(f.occurrences, 0) AS occurrences
        FROM (SELECT * FROM actors WHERE {actor_predicate.sql}) AS a
        LEFT JOIN figures AS f ON f.actor_id = a.actor_id
        LEFT JOIN event_counts AS ec ON ec.actor_id = a.actor_id
        ORDER BY a.side NULLS LAST, a.country NULLS LAST, a.actor_id
        """,
        occurrence_params + event_predicate.params + actor_predicate.params,
    )


def casualty_pivot(con: Cursor, filters: Filters, kind: str) -> pa.Table:
    """Killed by nationality × front for one basis, per dataset, with an `aggregate` saying how.

    Individuals and incidents: the sum over occurrences. Tallies and cumulative totals: the
    highest single figure, since they overlap and summing them would count deaths twice."""
    return _arrow(con, *casualty_pivot_sql(filters, kind))


def casualty_pivot_sql(filters: Filters, kind: str) -> tuple[str, tuple]:
    """The SQL of `casualty_pivot` and its parameters (an export streams it)."""
    occurrences, params = _occurrences(filters, kind)
    summed = kind in SUMMED_KINDS
    aggregate = "sum" if summed else "max"
    return (
        f"""
        SELECT dataset,
            coalesce(nationality, '{UNKNOWN}') AS nationality,
            coalesce(front, '{UNKNOWN}') AS front,
            {aggregate}(killed)::BIGINT AS killed,
            count(*) AS occurrences,
            '{"sum of occurrences" if summed else "highest single figure"}' AS aggregate
        FROM ({occurrences})
        GROUP BY ALL
        ORDER BY dataset, nationality, front
        """,
        params,
    )


def monthly_killed(con: Cursor, filters: Filters) -> pa.Table:
    """Killed per month by nationality for individuals and incidents, each occurrence once.

    The month is that of the occurrence's earliest report; undated occurrences are left out. Those
    dated over a long period (see LONG_PERIOD_DAYS) come with `long_period`, for the chart to count apart."""
    occurrences, params = _summed_by_month(filters)
    return _arrow(
        con,
        f"""
        SELECT dataset, kind, month, coalesce(nationality, '{UNKNOWN}') AS nationality, long_period,
            sum(killed)::BIGINT AS killed, sum(occurrences)::BIGINT AS occurrences
        FROM ({occurrences})
        GROUP BY ALL
        ORDER BY month, dataset, kind, nationality
        """,
        params,
    )


def _summed_by_month(filters: Filters) -> tuple[str, tuple]:
    """SQL of (dataset, kind, month, nationality, killed, occurrences) rows of the individuals and
    incidents under the filter, to be summed: most from the `occurrence_months` summary.

    The summary answers for the occurrences whose months lie inside the filter's range or outside it:
    those reported once, and those reported several times whose reports agree (`summarised`). Those
    that start in the range's last month or end in its first are read one by one, since the range is
    exact to the day, and so are the other occurrences reported several times (any of their reports
    may match). The summary has no actor: under an actor filter, every occurrence is read."""
    dated = Predicate("kind IN ('individual', 'incident') AND first_date IS NOT NULL")
    rows = ("SELECT dataset, kind, date_trunc('month', first_date)::DATE AS month, nationality, "
            + long_period() + " AS long_period, killed, 1 AS occurrences FROM ({}) WHERE {}")
    if filters.reads_occurrences:
        occurrences, params = _occurrences(filters, None)
        return rows.format(occurrences, dated.sql), params
    facets, inside, edges = filters.summary_facets(), Predicate(), []
    if filters.date_to:
        last_month = filters.date_to.replace(day=1)
        inside &= Predicate("first_month < ?", (last_month,))
        edges.append(Predicate("first_date >= ?", (last_month,)))
    if filters.date_from:
        first_month = filters.date_from.replace(day=1)
        inside &= Predicate("last_month > ?", (first_month,))
        edges.append(Predicate("last_date >= ? AND last_date < ?", (first_month, _next_month(first_month))))
    summary = facets & inside
    parts = [(f"SELECT dataset, kind, first_month AS month, nationality, long_period, killed, occurrences FROM occurrence_months "
              f"WHERE {summary.sql}", summary.params)]
    if edges:
        single = _date_bounds(filters) & filters.casualty_rows() & dated & any_of(edges)
        parts.append((rows.format("SELECT * FROM single_occurrences", single.sql), single.params))
    each = filters.casualty_rows("r.")
    repeated = dated & (Predicate(f"len(list_filter(report_facets, lambda r: {each.sql})) > 0", each.params)
                        if each.sql != "TRUE" else Predicate())
    in_edge_month = any_of([Predicate("first_date >= ? AND first_date < ?", (month, _next_month(month)))
                            for month in sorted({bound.replace(day=1) for bound in (filters.date_from, filters.date_to) if bound})])
    repeated &= Predicate(f"NOT summarised OR ({in_edge_month.sql})", in_edge_month.params)
    parts.append((rows.format("SELECT * FROM repeated_occurrences", repeated.sql), repeated.params))
    return " UNION ALL ".join(sql for sql, _ in parts), sum((params for _, params in parts), ())


def tally_spans(
    con: Cursor, filters: Filters, limit: int | None = None, occurrence_ids: list[str] | None = None
) -> pa.Table:
    """Each tally occurrence as a span over its months, with its monthly rate (160 over 5 months: 32).

    Beside each tally: the named individuals and the incident deaths reported for the same
    nationality in the same period, under the filter's other slices, so an analyst sees how
    much of the tally the named reports account for. They are shown beside it, never added.
    `limit` keeps the first tallies in date order; `occurrence_ids`, only these (a page of a table)."""
    occurrences, params = _occurrences(filters, "tally")
    if occurrence_ids is not None:
        occurrences, params = f"SELECT * FROM ({occurrences}) WHERE list_contains(?, occurrence_id)", params + (occurrence_ids,)
    undated = replace(filters, date_from=None, date_to=None)
    named, named_params = _occurrences(undated, None)
    return _arrow(
        con,
        f"""
        WITH tallies AS (
            SELECT * FROM ({occurrences}) WHERE first_date IS NOT NULL ORDER BY first_date, occurrence_id {_limit(limit)}
        ),
        named AS (
            SELECT kind, nationality, first_date AS day, sum(killed) AS killed
            FROM ({named}) WHERE kind IN ('individual', 'incident') AND first_date IS NOT NULL
            GROUP BY ALL
        ),
        in_period AS (
            SELECT t.dataset, t.occurrence_id,
                coalesce(sum(n.killed) FILTER (WHERE n.kind = 'individual'), 0)::BIGINT AS individuals_in_period,
                coalesce(sum(n.killed) FILTER (WHERE n.kind = 'incident'), 0)::BIGINT AS incident_killed_in_period
            FROM tallies AS t LEFT JOIN named AS n
                ON n.nationality IS NOT DISTINCT FROM t.nationality AND n.day BETWEEN t.first_date AND t.last_date
            GROUP BY t.dataset, t.occurrence_id
        )
        SELECT t.*,
            date_trunc('month', t.first_date)::DATE AS first_month,
            date_trunc('month', t.last_date)::DATE AS last_month,
            datediff('month', t.first_date, t.last_date) + 1 AS months,
            t.killed / (datediff('month', t.first_date, t.last_date) + 1) AS killed_per_month,
            p.individuals_in_period, p.incident_killed_in_period
        FROM tallies AS t JOIN in_period AS p ON p.dataset = t.dataset AND p.occurrence_id = t.occurrence_id
        ORDER BY t.first_date, t.occurrence_id
        """,
        params + named_params,
    )


def monthly_tally_rates(con: Cursor, filters: Filters) -> pa.Table:
    """For each month and nationality, the highest monthly rate of the tallies covering it (tallies overlap: never summed),
    with the nationality's tallies' killed (to order the chart's legend). A month covered only by tallies
    without a killed figure has an empty rate: it still belongs to the chart's span."""
    occurrences, params = _occurrences(filters, "tally")
    return _arrow(
        con,
        f"""
        WITH tallies AS (
            SELECT dataset, coalesce(nationality, '{UNKNOWN}') AS nationality, killed,
                date_trunc('month', first_date)::DATE AS first_month, date_trunc('month', last_date)::DATE AS last_month
            FROM ({occurrences}) WHERE first_date IS NOT NULL
        ),
        totals AS (SELECT nationality, sum(killed)::BIGINT AS nationality_killed FROM tallies GROUP BY nationality),
        spans AS (
            SELECT dataset, nationality, first_month, last_month,
                max(killed) / (datediff('month', first_month, last_month) + 1) AS rate
            FROM tallies GROUP BY dataset, nationality, first_month, last_month
        )
        SELECT s.dataset, month::DATE AS month, s.nationality, max(s.rate) AS killed_per_month,
            any_value(t.nationality_killed) AS nationality_killed
        FROM spans AS s JOIN totals AS t USING (nationality),
            unnest(generate_series(s.first_month, s.last_month, INTERVAL 1 MONTH)) AS months(month)
        GROUP BY ALL
        ORDER BY month, s.dataset, s.nationality
        """,
        params,
    )


def monthly_cumulative(con: Cursor, filters: Filters) -> pa.Table:
    """For each dataset, nationality and month with a cumulative total as of a day in it: the latest
    killed total that month (on one day, the lowest figure; empty when none gives one), and the sum of
    the month's totals (to order the chart's legend). The chart carries each total forward to the
    next one; totals are never added together on the chart."""
    occurrences, params = _occurrences(filters, "cumulative")
    return _arrow(
        con,
        f"""
        SELECT dataset, coalesce(nationality, '{UNKNOWN}') AS nationality, date_trunc('month', first_date)::DATE AS month,
            arg_max(killed, struct_pack(day := first_date, lowest := -killed)) FILTER (WHERE killed IS NOT NULL) AS latest_killed,
            coalesce(sum(killed), 0)::BIGINT AS killed_in_month
        FROM ({occurrences})
        WHERE first_date IS NOT NULL
        GROUP BY ALL
        ORDER BY dataset, nationality, month
        """,
        params,
    )


def events_per_month(con: Cursor, filters: Filters) -> dict:
    """Events under the filter per month (first day of the month → count; None: undated), for the
    chart's axis and the timeline's count in one scan."""
    predicate = _events(con, filters)
    rows = con.execute(
        f"SELECT date_trunc('month', date)::DATE, count(*) FROM events_by_date WHERE {predicate.sql} GROUP BY 1",
        list(predicate.params),
    ).fetchall()
    return dict(rows)


def occurrence_events_sql() -> str:
    """SQL of which occurrences each event has: one row per event and occurrence with a report of it,
    from the views `single_occurrences` and `repeated_occurrences` (sorted by event in the cache)."""
    return """
        SELECT event_id, dataset, occurrence_id, first_date, FALSE AS repeated
        FROM single_occurrences WHERE event_id IS NOT NULL
        UNION ALL
        SELECT DISTINCT report.event_id, dataset, occurrence_id, first_date, TRUE
        FROM (SELECT dataset, occurrence_id, first_date, unnest(report_facets) AS report FROM repeated_occurrences)
        WHERE report.event_id IS NOT NULL
    """


UNION_DATES = 24
"""Up to this many dates, an event's occurrences are read a date at a time: DuckDB skips the row groups
that cannot hold `first_date = ?`, but not those that cannot hold `first_date IN (...)`."""


def event_occurrences(con: Cursor, event_id: str) -> pa.Table:
    """The casualty occurrences linked to one event, whatever the filter.

    Found in `occurrence_events` first, then read by their keys and dates: the dates let the
    scan skip the row groups that cannot hold them."""
    keys = con.execute(
        "SELECT dataset, occurrence_id, first_date, repeated FROM occurrence_events WHERE event_id = ?", [event_id]
    ).fetchall()
    parts, params = [], []
    for repeated, view, columns in ((False, "single_occurrences", f"*, NULL::{REPORT_FACETS_TYPE} AS report_facets"),
                                    (True, "repeated_occurrences", "* EXCLUDE (summarised)")):
        found = [key for key in keys if key[3] is repeated]
        by_date: dict = {}
        for key in found:
            by_date.setdefault(key[2], []).append(key)
        dated = sorted(day for day in by_date if day is not None)
        if len(dated) > UNION_DATES:
            groups = [(f"first_date IN ({', '.join('?' * len(dated))})", tuple(dated),
                       [key for key in found if key[2] is not None])]
        else:
            groups = [("first_date = ?", (day,), by_date[day]) for day in dated]
        if None in by_date:
            groups.append(("first_date IS NULL", (), by_date[None]))
        for condition, values, group in groups:
            parts.append(f"SELECT {columns} FROM {view} WHERE {condition} "
                         "AND list_contains(?, occurrence_id) AND list_contains(?, [dataset, occurrence_id])")
            params += [*values, [key[1] for key in group], [[key[0], key[1]] for key in group]]
    if not parts:
        return _arrow(con, "SELECT * FROM occurrences WHERE FALSE")
    return _arrow(con, f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY kind, nationality", params)


def forces_estimates(con: Cursor, filters: Filters) -> pa.Table:
    """Personnel estimates in date order, with the actor's short name."""
    predicate = filters.forces()
    return _arrow(
        con,
        f"""
        SELECT f.*, a.short_name AS actor_name
        FROM (SELECT * FROM forces WHERE {predicate.sql}) AS f
        LEFT JOIN actors AS a ON a.actor_id = f.actor_id
        ORDER BY f.date, f.force_id
        """,
        predicate.params,
    )


def facet_counts(con: Cursor, filters: Filters, facet: str) -> pa.Table:
    """Every value of a filter dimension in the data ('unknown' included), with how many events and
    casualty reports have it under the *other* filters: what choosing it alone shows. A table the dimension
    does not reach (choosing a value does not narrow it) has no count (NULL)."""
    if facet not in DIMENSION_BY_NAME:
        raise ValueError(f"unknown facet {facet!r}")
    dimension = DIMENSION_BY_NAME[facet]
    others = filters.choosing(dimension, ())
    events, casualties = _events(con, others), others.casualties()
    event_params: tuple = ()
    if dimension.event_column is not None:
        event_value = dimension.event_column
    elif dimension.actor_column is not None:  # an event with no known value also counts as unknown (as choosing it shows)
        unknown = dimension.no_listed_value(dimension.field)
        event_value = f"unnest(CASE WHEN {unknown.sql} THEN list_append({dimension.field}, NULL) ELSE {dimension.field} END)"
        event_params = unknown.params
    else:
        event_value = None
    join = ""
    if dimension.casualty_column is not None:
        casualty_value = dimension.casualty_column
    elif dimension.actor_column is not None:
        casualty_value = "value_of.value"
        join = (f"LEFT JOIN (SELECT actor_id AS valued_actor, any_value(value) AS value FROM ({dimension.actor_values_sql()}) "
                "GROUP BY actor_id) AS value_of ON value_of.valued_actor = casualties.actor_id")
    else:
        casualty_value = None
    nothing = "SELECT NULL::VARCHAR AS value, NULL::BIGINT AS n WHERE FALSE"
    by_event = (f"SELECT value, count(*) FILTER (WHERE matches) AS n FROM (SELECT ({events.sql}) AS matches, {event_value} AS value "
                "FROM events_by_date) GROUP BY 1") if event_value else nothing
    by_report = (f"SELECT {casualty_value} AS value, count(*) FILTER (WHERE {casualties.sql}) AS n FROM casualties {join} GROUP BY 1"
                 if casualty_value else nothing)
    event_count = "coalesce(ev.n, 0)" if event_value else "NULL::BIGINT"
    report_count = "coalesce(cas.n, 0)" if casualty_value else "NULL::BIGINT"
    return _arrow(
        con,
        f"""
        WITH ev AS ({by_event}), cas AS ({by_report}),
        counted AS (
            SELECT coalesce(ev.value, cas.value) AS value, {event_count} AS events, {report_count} AS casualty_reports
            FROM ev FULL OUTER JOIN cas ON ev.value IS NOT DISTINCT FROM cas.value
        )
        SELECT coalesce(value, '{UNKNOWN}') AS value, value IS NULL AS is_unknown, events, casualty_reports
        FROM counted
        ORDER BY is_unknown, coalesce(casualty_reports, 0) + coalesce(events, 0) DESC, value
        """,
        (events.params + event_params if event_value else ()) + (casualties.params if casualty_value else ()),
    )


def events_by_date_sql() -> str:
    """SQL of the events with, for each dimension events reach through their actors (`event_list_columns`),
    a list column named by its field: the distinct known values of its actors (`nationalities`, `sides`;
    empty when none has one), so that a filter or a count by it needs no lookup per event;
    `actor_sort`: the actors' names as the table shows them, to sort by; and
    `search_text`: the columns a search looks into (`EVENT_TEXT`) and the event's actors' ids, names and
    short names, in lower case and in one column, apart by a character no search word holds (a unit
    separator, which Python's split() takes for a space). One test of one column per word is five times
    faster than an ILIKE per column, and a list of matching actor ids tested per row is slower still."""
    listed = event_list_columns()
    value_maps = "".join(f"""
        {d.field}_of AS (SELECT map(list(actor_id), list(value)) AS actor
            FROM (SELECT actor_id, any_value(value) AS value FROM ({d.actor_values_sql()}) GROUP BY actor_id)),""" for d in listed)
    value_lists = "".join(f"""
            list_sort(list_distinct(list_filter(list_transform(e.actor_ids, lambda id: {d.field}_of.actor[id]),
                lambda value: value IS NOT NULL))) AS {d.field},""" for d in listed)
    return f"""
        WITH {value_maps}
        text_of AS (SELECT map(list(actor_id), list(lower(concat_ws(' ', actor_id, name, short_name)))) AS actor FROM actors),
        short_of AS (SELECT map(list(actor_id), list(short_name)) AS actor FROM actors)
        SELECT e.*, lower(array_to_string(list_transform(e.actor_ids, lambda id: coalesce(short_of.actor[id], id)), ', ')) AS actor_sort,
            {value_lists}
            concat_ws(chr(31), {", ".join(f"lower(CAST(e.{column} AS VARCHAR))" for column in EVENT_TEXT)},
                array_to_string(list_transform(e.actor_ids, lambda id: coalesce(text_of.actor[id], lower(id))), chr(31))
            ) AS {SEARCH_COLUMN}
        FROM events AS e, {"".join(f"{d.field}_of, " for d in listed)}text_of, short_of
    """


def _literal(text: str) -> str:
    """A SQL string literal of one of our own constants (never user input: that goes in as a parameter)."""
    return "'" + text.replace("'", "''") + "'"


def data_span(con: Cursor) -> tuple:
    """(first, last) date over events and casualty reports, for the whole-span preset."""
    return con.execute(
        """
        SELECT min(d), max(d) FROM (
            SELECT date AS d FROM events UNION ALL SELECT coalesce(end_date, date) FROM events
            UNION ALL SELECT period_start FROM casualties UNION ALL SELECT period_end FROM casualties
        )
        """
    ).fetchall()[0]


def actor_hierarchy(con: Cursor) -> pa.Table:
    """Every actor's id, short name and parent, whatever the filter (to name parents and children)."""
    return _arrow(con, "SELECT actor_id, short_name, parent_id FROM actors ORDER BY actor_id")


def row_count(con: Cursor, filters: Filters, table: str) -> int:
    """Rows of one table under the filter (casualties: reports)."""
    predicate = {"events": lambda: _events(con, filters), "actors": filters.actors, "casualties": filters.casualties,
                 "forces": filters.forces}[table]()
    read = "events_by_date" if table == "events" else table
    return con.execute(f'SELECT count(*) FROM "{read}" WHERE {predicate.sql}', list(predicate.params)).fetchall()[0][0]


def row_counts(con: Cursor, filters: Filters) -> dict[str, int]:
    """Rows of each table under the filter (casualties: reports), for the panes' titles."""
    return {table: row_count(con, filters, table) for table in ("events", "actors", "casualties", "forces")}
