"""ACLED exports (website, API and older releases) → events, actors and one incident casualty row per deadly event.

ACLED fatalities cannot be attributed to a side, so each event with fatalities gets one `incident`
row with no actor and no nationality. ACLED records the most conservative report, hence 'at least'.
"""

from __future__ import annotations

from explorer.db.schema import ACTORS, CASUALTIES, EVENTS
from explorer.importers.fronts import front_join
from explorer.importers.mapping import Importer
from explorer.importers.output import select_list
from explorer.importers.report import Check
from explorer.importers.source import Layout

LAYOUT = Layout(
    name="ACLED export",
    required=("event_date", "event_type", "actor1", "fatalities"),
    optional=(
        "event_id_cnty", "time_precision", "sub_event_type", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
        "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "source", "notes", "timestamp",
    ),
    aliases={
        "ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2", "geo_precis": "geo_precision",
        "event_id": "event_id_cnty", "eventid": "event_id_cnty", "date": "event_date", "eventdate": "event_date",
        "sub_event": "sub_event_type", "subeventtype": "sub_event_type", "note": "notes",
    },
)

ACTOR_KINDS = (
    ("1", "state", "state armed force"),
    ("2", "rebel", "rebel group"),
    ("3", "political militia", "political militia"),
    ("4", "identity militia", "identity militia"),
    ("5", "rioter", "rioters"),
    ("6", "protester", "protesters"),
    ("7", "civilian", "civilians"),
    ("8", "external", "external/other force"),
)
"""ACLED's inter codes, as numbers (older files) or text (newer): (code, text prefix, our kind)."""

GROUPS_WITH_NATIONALITY = (
    "Civilians", "Protesters", "Rioters", "Refugees/IDPs", "Migrants", "Prisoners", "Journalists",
    "Health Workers", "Labor Group", "Labour Group", "Students", "Teachers", "Women", "Farmers",
)
"""ACLED's generic actors whose parenthesis names the people's country: "Civilians (Syria)"."""

YEARS = r"\(\s*\d{4}\s*-\s*\d{0,4}\s*\)"
"""ACLED's years of a government or force, as written: "(2000-)", "(2000- )", "(1989-2014)"."""
FORCES = rf"^(?:Military|Police) Forces of (?:the )?(.+?)(?:\s*{YEARS}.*)?$"
PARENT = rf"^((?:Military|Police) Forces of .+? {YEARS}) .+$"
GOVERNMENT = rf"^Government of (?:the )?(.+?)(?:\s*{YEARS}.*)?$"
GROUP = r"^(?:" + "|".join(g.replace("/", "/") for g in GROUPS_WITH_NATIONALITY) + r") \((?:the )?([^()]+)\)$"

DATE = "day_date(event_date)"
PRECISION = ("CASE WHEN blank(time_precision) THEN 'day' ELSE "
             "CASE whole_number(time_precision) WHEN 1 THEN 'day' WHEN 2 THEN 'week' WHEN 3 THEN 'month' END END")
LOCATION_PRECISION = "CASE whole_number(geo_precision) WHEN 1 THEN 'place' WHEN 2 THEN 'district' WHEN 3 THEN 'governorate' END"
"""ACLED's codes are numbers, which its API writes as decimals ("2.0"): read as numbers, not as text."""
DERIVED_FROM = ("event_date", "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2",
                "assoc_actor_2", "inter2", "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision",
                "fatalities", "notes", "source")
EVENT_ID = ("CASE WHEN blank(event_id_cnty) THEN 'acled:derived-' || md5(concat_ws(chr(31), "
            + ", ".join(f"coalesce(trim({column}), '')" for column in DERIVED_FROM) + "))[1:12] "
            "ELSE 'acled:' || trim(event_id_cnty) END")
"""ACLED's id; a row without one gets a stable id derived from its contents (the same row, the same id)."""
SOURCE = "coalesce(text_or_null(source), 'ACLED')"


def _split(column: str) -> str:
    return f"list_filter(list_transform(string_split(coalesce({column}, ''), ';'), lambda a: trim(a)), lambda a: a <> '')"


ACTOR_NAMES = (
    f"list_distinct(list_concat([trim(actor1)], {_split('assoc_actor_1')}, "
    f"CASE WHEN blank(actor2) THEN [] ELSE [trim(actor2)] END, {_split('assoc_actor_2')}))"
)


def _kind(inter: str) -> str:
    whens = " ".join(
        f"WHEN whole_number({inter}) = {code} OR lower(trim({inter})) LIKE '{prefix}%' THEN '{kind}'"
        for code, prefix, kind in ACTOR_KINDS
    )
    return f"CASE {whens} END"


def tables() -> dict[str, str]:
    join, front = front_join("kept.admin1", "kept.country")
    events = select_list(EVENTS, {
        "event_id": EVENT_ID,
        "date": DATE,
        "date_precision": PRECISION,
        "title": "coalesce(text_or_null(sub_event_type), trim(event_type)) || coalesce(' in ' || text_or_null(location), '')",
        "description": "text_or_null(notes)",
        "event_type": "text_or_null(event_type)",
        "front": front,
        "location": "text_or_null(location)",
        "admin1": "text_or_null(kept.admin1)",
        "admin2": "text_or_null(admin2)",
        "latitude": "coordinate(latitude, 90)",
        "longitude": "coordinate(longitude, 180)",
        "location_precision": LOCATION_PRECISION,
        "actor_ids": f"list_transform({ACTOR_NAMES}, lambda a: 'acled:' || a)",
        "dataset": "getvariable('dataset')",
        "source": SOURCE,
    })
    casualties = select_list(CASUALTIES, {
        "casualty_id": EVENT_ID,
        "kind": "'incident'",
        "occurrence_id": EVENT_ID,
        "event_id": EVENT_ID,
        "period_start": DATE,
        "period_end": DATE,
        "date_precision": PRECISION,
        "front": front,
        "location": "text_or_null(location)",
        "location_precision": LOCATION_PRECISION,
        "killed": "whole_number(fatalities)",
        "killed_qualifier": "'at least'",
        "dataset": "getvariable('dataset')",
        "source": SOURCE,
        "note": "'ACLED fatalities of the whole event, not attributed to a side'",
    })
    mentions = f"""
        SELECT trim(actor1) AS name, inter1 AS inter FROM kept
        UNION ALL SELECT trim(actor2), inter2 FROM kept WHERE NOT blank(actor2)
        UNION ALL SELECT unnest({_split('assoc_actor_1')}), NULL FROM kept
        UNION ALL SELECT unnest({_split('assoc_actor_2')}), NULL FROM kept
    """
    actors = select_list(ACTORS, {
        "actor_id": "'acled:' || name",
        "name": "name",
        "short_name": "CASE WHEN parent <> '' THEN trim(substr(name, length(parent) + 2)) "
                      f"ELSE trim(regexp_replace(name, '\\s*{YEARS}', '')) END",
        "kind": _kind("inter"),
        "country": f"country_of(coalesce(nullif(regexp_extract(name, '{FORCES}', 1), ''), nullif(regexp_extract(name, '{GOVERNMENT}', 1), ''), "
                   f"nullif(nullif(regexp_extract(name, '{GROUP}', 1), ''), 'International')))",
        "parent_id": "CASE WHEN parent <> '' THEN 'acled:' || parent END",
        "description": "'ACLED actor, in ' || events || ' event(s) of this import'",
        "dataset": "getvariable('dataset')",
        "source": "'ACLED'",
    })
    return {
        "events": f"SELECT {events} FROM kept {join}",
        "casualties": f"SELECT {casualties} FROM kept {join} WHERE whole_number(fatalities) > 0",
        "actors": f"""
            WITH mentions AS ({mentions}),
            named AS (
                SELECT name, mode(inter) AS inter, count(*) AS events FROM mentions GROUP BY name
            ),
            with_parents AS (
                SELECT name, inter, events, regexp_extract(name, '{PARENT}', 1) AS parent FROM named
                UNION ALL
                SELECT DISTINCT regexp_extract(name, '{PARENT}', 1), NULL, 0, '' FROM named
                WHERE regexp_extract(name, '{PARENT}', 1) <> ''
                  AND regexp_extract(name, '{PARENT}', 1) NOT IN (SELECT name FROM named)
            )
            SELECT {actors} FROM with_parents
            WHERE 'acled:' || name NOT IN (SELECT actor_id FROM existing_actors)
            ORDER BY name
        """,
    }


def _version(con, file_name: str) -> str | None:
    """ACLED stamps each row with when it last changed (`timestamp`, Unix seconds): the export is as of the latest."""
    latest = con.execute('SELECT max(try_cast(try_cast(trim("timestamp") AS DOUBLE) AS BIGINT)) FROM kept').fetchall()[0][0]
    return f"rows changed up to {_utc_text(latest)}" if latest else None


def _utc_text(seconds: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _notes(con) -> list[str]:
    derived, unknown_time, unknown_place = con.execute(
        "SELECT count(*) FILTER (WHERE blank(event_id_cnty)), "
        "count(*) FILTER (WHERE NOT blank(time_precision) AND whole_number(time_precision) NOT IN (1, 2, 3) "
        "OR NOT blank(time_precision) AND whole_number(time_precision) IS NULL), "
        "count(*) FILTER (WHERE NOT blank(geo_precision) AND coalesce(whole_number(geo_precision) NOT IN (1, 2, 3), TRUE)) "
        "FROM kept").fetchall()[0]
    notes = []
    if derived:
        notes.append(f"{derived:,} row(s) had no event_id_cnty: each got an id derived from its contents ('acled:derived-...'), "
                     "the same at every import of the same row")
    for count, column in ((unknown_time, "time_precision"), (unknown_place, "geo_precision")):
        if count:
            notes.append(f"{count:,} row(s) have a {column} that is not 1, 2 or 3: imported with the precision unknown")
    return notes


IMPORTER = Importer(
    name="acled",
    layout=LAYOUT,
    checks=(
        Check("event date not recognised (use 2020-02-22, 22-Feb-20 or 22 February 2020)", f"{DATE} IS NULL", "event_date"),
        Check("no event type", "blank(event_type)", "event_type"),
        Check("no actor1", "blank(actor1)", "actor1"),
        Check("fatalities not a whole number (0 to 2,147,483,647)", "NOT is_whole_number(fatalities)", "fatalities"),
        Check("latitude / longitude not a coordinate", "NOT is_coordinate(latitude, 90) OR NOT is_coordinate(longitude, 180)",
              "coalesce(latitude, '') || ', ' || coalesce(longitude, '')"),
    ),
    tables=tables,
    default_dataset=lambda file_name: "ACLED",
    key=EVENT_ID,
    repeat_reason="repeats an event id (event_id_cnty) already read",
    notes=_notes,
    event_id=EVENT_ID,
    admin1="admin1",
    country="country",
    coverage={"countries": ("country",), "admin1": ("admin1",), "event_types": ("event_type",),
              "sub_event_types": ("sub_event_type",), "actors": ("actor1", "actor2")},
    event_date=DATE,
    version=_version,
)
