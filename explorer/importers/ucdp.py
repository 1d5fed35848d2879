"""UCDP GED (and candidate) events → events, the two sides as actors, and casualty rows per side.

UCDP's `best` is the figure: the rows of an event always add up to it, so the total killed of
an import equals the file's total `best`. The deaths are split as UCDP splits them: deaths_a to
side_a, deaths_b to side_b, deaths_civilians to civilians and deaths_unknown to no one, one
`incident` row each (its own occurrence). The low and high estimates belong to the whole event:
they go on a row only when that row holds all of the event's deaths, never invented for a share,
and into every row's note and the event's description. An event whose split does not add up to
`best` is counted whole; one with `best` 0 but a range keeps a row of 0 with its range; a `best`
outside its own low–high range is imported as published and said so in the note. UCDP's
precision codes are kept in the notes and mapped to our precisions, so the filter bar can leave
out year-long or country-wide rows.
"""

from __future__ import annotations

import re

from explorer.db.schema import ACTORS, CASUALTIES, EVENTS
from explorer.importers.fronts import front_join
from explorer.importers.mapping import Importer
from explorer.importers.output import select_list
from explorer.importers.report import Check
from explorer.importers.source import Layout

GED_COLUMNS = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id", "conflict_new_id",
    "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a",
    "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates", "where_description",
    "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
    "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)
"""The 49 columns of GED releases, in order: candidate releases published without a header use it."""

LAYOUT = Layout(
    name="UCDP GED file",
    required=("id", "type_of_violence", "side_a", "side_b", "date_start", "best"),
    optional=(
        "date_end", "date_prec", "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
        "latitude", "longitude", "country", "conflict_name", "dyad_name", "deaths_a", "deaths_b",
        "deaths_civilians", "deaths_unknown", "low", "high", "source_article", "source_headline",
    ),
    aliases={"best_est": "best", "low_est": "low", "high_est": "high", "adm1": "adm_1", "adm2": "adm_2",
             "event_id": "id", "ged_id": "id"},
    headerless=GED_COLUMNS,
)

VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
WHERE_PRECISION = {"1": "place", "2": "place", "3": "district", "4": "governorate", "5": "country", "6": "country", "7": "country"}
"""UCDP's codes → ours. where_prec 5 (a region larger than a governorate) to 7 (waters, airspace) count as country-wide."""

SIDES = (
    ("a", "deaths_a", "side_a", "side_a"),
    ("b", "deaths_b", "side_b", "side_b"),
    ("civilians", "deaths_civilians", "'Civilians'", "civilians"),
    ("unknown", "deaths_unknown", "NULL", "no known side (UCDP: unknown)"),
)
"""(id suffix, deaths column, actor name SQL, who) of each share of an event's deaths."""

START = "day_date(date_start)"
END = "coalesce(day_date(date_end), day_date(date_start))"
EVENT_ID = "'ucdp:' || trim(id)"
SOURCE = "coalesce(text_or_null(source_article), 'UCDP GED')"
GOVERNMENT = r"^Government of (.+?)(?: \(.*\))?$"


def _code(column: str, codes: dict[str, str], otherwise: str = "NULL") -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{value}'" for code, value in codes.items())
    return f"CASE trim({column}) {whens} ELSE {otherwise} END"


PRECISION = _code("date_prec", DATE_PRECISION, otherwise=(
    f"CASE WHEN datediff('day', {START}, {END}) = 0 THEN 'day' WHEN datediff('day', {START}, {END}) <= 7 THEN 'week' "
    f"WHEN datediff('day', {START}, {END}) <= 31 THEN 'month' ELSE 'year' END"
))
LOCATION_PRECISION = _code("where_prec", WHERE_PRECISION)
CODES_NOTE = "'UCDP date_prec ' || coalesce(trim(date_prec), '?') || ', where_prec ' || coalesce(trim(where_prec), '?')"
BEST, LOW, HIGH = "whole_number(best)", "whole_number(low)", "whole_number(high)"
OUT_OF_ORDER = f"({LOW} > {BEST} OR {HIGH} < {BEST})"
SHARES = " + ".join(f"coalesce(whole_number({deaths}), 0)::BIGINT"
                    for deaths in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"))
SPLIT = f"({SHARES} > 0 AND {SHARES} = {BEST})"
"""Whether UCDP split the event's deaths by side, adding up to its best estimate."""
ESTIMATES = (
    "'best ' || trim(best) || coalesce(' (low ' || trim(low) || ', high ' || trim(high) || ')', '')"
    f" || CASE WHEN {OUT_OF_ORDER} THEN ' [as published: best lies outside low–high]' ELSE '' END"
    f" || CASE WHEN {SHARES} > 0 AND {SHARES} <> {BEST} THEN ' [the split by side adds up to ' || ({SHARES}) "
    "|| ', not best: counted whole]' ELSE '' END"
)


def tables() -> dict[str, str]:
    join, front = front_join("kept.adm_1", "kept.country")
    events = select_list(EVENTS, {
        "event_id": EVENT_ID,
        "date": START,
        "date_precision": PRECISION,
        "end_date": f"CASE WHEN {END} > {START} THEN {END} END",
        "title": "coalesce(text_or_null(dyad_name), trim(side_a) || ' - ' || trim(side_b))",
        "description": "concat_ws(' · ', 'Conflict: ' || text_or_null(conflict_name), 'Where: ' || text_or_null(where_description), "
                       f"'Headline: ' || text_or_null(source_headline), 'Deaths: ' || {ESTIMATES}, {CODES_NOTE})",
        "event_type": _code("type_of_violence", VIOLENCE, otherwise="text_or_null(type_of_violence)"),
        "front": front,
        "location": "coalesce(text_or_null(where_coordinates), text_or_null(adm_2), text_or_null(kept.adm_1))",
        "admin1": "text_or_null(kept.adm_1)",
        "admin2": "text_or_null(adm_2)",
        "latitude": "coordinate(latitude, 90)",
        "longitude": "coordinate(longitude, 180)",
        "location_precision": LOCATION_PRECISION,
        "actor_ids": "['ucdp:' || trim(side_a), 'ucdp:' || trim(side_b)]",
        "dataset": "getvariable('dataset')",
        "source": SOURCE,
    })
    shares = []
    for suffix, deaths, actor, who in SIDES:
        shares.append(_share(front, f"'{suffix}'", f"whole_number({deaths})", actor, f"'{who}'", f"{SPLIT} AND whole_number({deaths}) > 0"))
    shares.append(_share(front, "'event'", BEST, "NULL", "'the whole event (no split by side)'",
                         f"NOT {SPLIT} AND ({BEST} > 0 OR coalesce({HIGH}, 0) > 0 OR coalesce({LOW}, 0) > 0)"))
    actor_names = """
        SELECT trim(side_a) AS name, id FROM kept UNION ALL SELECT trim(side_b), id FROM kept
        UNION ALL SELECT 'Civilians', id FROM kept WHERE whole_number(deaths_civilians) > 0
    """
    actors = select_list(ACTORS, {
        "actor_id": "'ucdp:' || name",
        "name": "name",
        "short_name": "name",
        "kind": "CASE WHEN name LIKE 'Government of %' THEN 'government' WHEN name = 'Civilians' THEN 'civilians' "
                "ELSE 'non-state armed group' END",
        "country": f"country_of(nullif(regexp_extract(name, '{GOVERNMENT}', 1), ''))",
        "description": "'UCDP conflict side, in ' || events || ' event(s) of this import'",
        "dataset": "getvariable('dataset')",
        "source": "'UCDP GED'",
    })
    return {
        "events": f"SELECT {events} FROM kept {join}",
        "casualties": " UNION ALL ".join(f"SELECT {share} FROM kept {join} WHERE {where}" for share, where in shares),
        "actors": f"""
            SELECT {actors} FROM (SELECT name, count(DISTINCT id) AS events FROM ({actor_names}) WHERE name <> '' GROUP BY name)
            WHERE 'ucdp:' || name NOT IN (SELECT actor_id FROM existing_actors)
            ORDER BY name
        """,
    }


def _share(front: str, suffix: str, killed: str, actor: str, who: str, where: str) -> tuple[str, str]:
    """One casualty row per event for one share of its deaths, and the condition for the row to exist."""
    whole = f"{killed} = {BEST}"
    share = select_list(CASUALTIES, {
        "casualty_id": f"{EVENT_ID} || ':' || {suffix}",
        "kind": "'incident'",
        "occurrence_id": f"{EVENT_ID} || ':' || {suffix}",
        "event_id": EVENT_ID,
        "period_start": START,
        "period_end": END,
        "date_precision": PRECISION,
        "nationality": f"nationality_of(nullif(regexp_extract({actor}, '{GOVERNMENT}', 1), ''))",
        "actor_id": f"'ucdp:' || trim({actor})",
        "front": front,
        "location": "coalesce(text_or_null(where_coordinates), text_or_null(adm_2), text_or_null(kept.adm_1))",
        "location_precision": LOCATION_PRECISION,
        "killed": killed,
        "killed_qualifier": "'about'",
        "killed_low": f"CASE WHEN {whole} THEN {LOW} END",
        "killed_high": f"CASE WHEN {whole} THEN {HIGH} END",
        "dataset": "getvariable('dataset')",
        "source": SOURCE,
        "note": f"'UCDP deaths of ' || {who} || '; the event: ' || {ESTIMATES} || '; ' || {CODES_NOTE}",
    })
    return share, where


def _whole(column: str) -> str:
    return f"NOT is_whole_number({column})"


IMPORTER = Importer(
    name="ucdp",
    layout=LAYOUT,
    checks=(
        Check("no event id", "blank(id)", "id"),
        Check("date_start not recognised (use 2015-10-01)", f"{START} IS NULL", "date_start"),
        Check("date_end not recognised (use 2015-10-01)", "NOT blank(date_end) AND day_date(date_end) IS NULL", "date_end"),
        Check("date_end before date_start", f"{END} < {START}", "date_start || ' → ' || date_end"),
        Check("best estimate not a whole number (0 to 2,147,483,647)", "blank(best) OR " + _whole("best"), "best"),
        Check("low / high / deaths_* not a whole number",
              " OR ".join(_whole(c) for c in ("low", "high", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")),
              "concat_ws(', ', 'low ' || low, 'high ' || high, 'deaths_a ' || deaths_a, 'deaths_b ' || deaths_b, "
              "'deaths_civilians ' || deaths_civilians, 'deaths_unknown ' || deaths_unknown)"),
        Check("no side_a or side_b", "blank(side_a) OR blank(side_b)", "coalesce(side_a, '') || ' / ' || coalesce(side_b, '')"),
        Check("latitude / longitude not a coordinate", "NOT is_coordinate(latitude, 90) OR NOT is_coordinate(longitude, 180)",
              "coalesce(latitude, '') || ', ' || coalesce(longitude, '')"),
    ),
    tables=tables,
    default_dataset=lambda file_name: "UCDP GED",
    key="trim(id)",
    repeat_reason="repeats an event id already read",
    event_id=EVENT_ID,
    admin1="adm_1",
    country="country",
    coverage={"countries": ("country",), "admin1": ("adm_1",), "event_types": ("type_of_violence",), "actors": ("side_a", "side_b")},
    event_date=START,
    version=lambda con, file_name: (f"GED {match[1]}.{match[2]}" if (match := re.search(r"v(\d+)[._-](\d+)", file_name))
                                    else None),
)
