"""A list of named casualties (one row per person, as kept in a spreadsheet) → individual casualty rows.

Columns are recognised by their usual names (name, date of death, nationality or country, rank,
affiliation, place, cause, source ...) or mapped with `--map COLUMN=FIELD`. Each person is one
`individual` report and one occurrence; an affiliation becomes an actor. A date may be a day, a month
(2015-10) or a year (2015), and empty or a null spelling (0000-00-00, n/a, unknown) for an undated
person, who is kept; a row without a source column takes the file's name as its source. A row is
skipped as a repeat only when every column of the file repeats an earlier row, not only the ones read.
"""

from __future__ import annotations

from pathlib import Path

from explorer.db.schema import ACTORS, CASUALTIES
from explorer.importers.fronts import front_join
from explorer.importers.mapping import Importer
from explorer.importers.output import select_list
from explorer.importers.report import Check
from explorer.importers.source import ROW_KEY, Layout

LAYOUT = Layout(
    name="casualty list",
    required=("person_name",),
    optional=("date", "nationality", "country", "ranks", "affiliation", "location", "admin1", "front", "cause",
              "source", "source_url", "note"),
    aliases={
        **dict.fromkeys(("name", "full_name", "person", "deceased", "martyr", "name_of_deceased"), "person_name"),
        **dict.fromkeys(("date_of_death", "death_date", "died", "died_on", "date_died", "date_killed", "killed_on", "dod"), "date"),
        "citizenship": "nationality",
        **dict.fromkeys(("country_of_origin", "origin", "home_country"), "country"),
        **dict.fromkeys(("rank", "title", "position"), "ranks"),
        **dict.fromkeys(("unit", "organisation", "organization", "group", "force", "militia", "actor"), "affiliation"),
        **dict.fromkeys(("place", "place_of_death", "city", "town", "village", "place_killed"), "location"),
        **dict.fromkeys(("province", "governorate", "region"), "admin1"),
        "cause_of_death": "cause",
        "sources": "source",
        **dict.fromkeys(("url", "link", "source_link"), "source_url"),
        **dict.fromkeys(("notes", "comment", "comments", "remarks"), "note"),
    },
)

MONTH = "try_strptime(trim(date), ['%Y-%m', '%B %Y', '%b %Y', '%m/%Y'])::DATE"
YEAR = "CASE WHEN regexp_full_match(trim(date), '\\d{4}') THEN make_date(trim(date)::INTEGER, 1, 1) END"
START = f"coalesce(day_date(date), {MONTH}, {YEAR})"
PRECISION = f"CASE WHEN day_date(date) IS NOT NULL THEN 'day' WHEN {MONTH} IS NOT NULL THEN 'month' WHEN {YEAR} IS NOT NULL THEN 'year' END"
END = (f"CASE WHEN day_date(date) IS NOT NULL THEN day_date(date) WHEN {MONTH} IS NOT NULL THEN last_day({MONTH}) "
       f"WHEN {YEAR} IS NOT NULL THEN ({YEAR} + INTERVAL 1 YEAR - INTERVAL 1 DAY)::DATE END")
SOURCE = "coalesce(text_or_null(source), 'casualty list ' || getvariable('file_name'))"
CASUALTY_ID = "'list:' || getvariable('import_tag') || ':' || record"


def tables() -> dict[str, str]:
    join, mapped_front = front_join("kept.admin1", None)
    casualties = select_list(CASUALTIES, {
        "casualty_id": CASUALTY_ID,
        "kind": "'individual'",
        "occurrence_id": CASUALTY_ID,
        "period_start": START,
        "period_end": END,
        "date_precision": PRECISION,
        "nationality": "coalesce(nationality_of(nationality), nationality_of(country))",
        "actor_id": "CASE WHEN NOT blank(affiliation) THEN 'list:' || trim(affiliation) END",
        "front": f"coalesce(text_or_null(kept.front), {mapped_front})",
        "location": "text_or_null(location)",
        "location_precision": "CASE WHEN NOT blank(location) THEN 'place' WHEN NOT blank(kept.admin1) THEN 'governorate' END",
        "person_name": "trim(person_name)",
        "ranks": "text_or_null(ranks)",
        "killed": "1",
        "killed_qualifier": "'exact'",
        "dataset": "getvariable('dataset')",
        "source": SOURCE,
        "source_url": "text_or_null(source_url)",
        "note": "nullif(concat_ws('; ', 'cause: ' || text_or_null(cause), text_or_null(note)), '')",
    })
    actors = select_list(ACTORS, {
        "actor_id": "'list:' || name",
        "name": "name",
        "short_name": "name",
        "description": "'named as the affiliation of ' || people || ' people in ' || getvariable('file_name')",
        "dataset": "getvariable('dataset')",
        "source": "'casualty list ' || getvariable('file_name')",
    })
    return {
        "casualties": f"SELECT {casualties} FROM kept {join}",
        "actors": f"""
            SELECT {actors} FROM (SELECT trim(affiliation) AS name, count(*) AS people FROM kept WHERE NOT blank(affiliation) GROUP BY 1)
            WHERE 'list:' || name NOT IN (SELECT actor_id FROM existing_actors)
            ORDER BY name
        """,
    }


IMPORTER = Importer(
    name="casualty-list",
    layout=LAYOUT,
    checks=(
        Check("no name", "blank(person_name)", "person_name"),
        Check("date not recognised (use 2015-10-13, 13 October 2015, 2015-10 or 2015)", f"NOT no_date(date) AND {START} IS NULL", "date"),
    ),
    tables=tables,
    default_dataset=lambda file_name: f"casualty list {Path(file_name).stem}",
    key=ROW_KEY,
    repeat_reason="exact repeat of an earlier row (every column of the file the same)",
    admin1="admin1",
)
