"""A newer export of the same source updates what an earlier one imported, instead of being ignored.

ACLED revises fatalities and deletes events between exports; UCDP revises events between
releases. When an import is appended to a directory that holds earlier imports of the same
dataset, every event the new file holds supersedes the earlier copy (new, changed or
unchanged, by a fingerprint of the event and its casualty rows), and an earlier event the new
file lacks is removed as deleted by the source only when the new export covers all the earlier
one did: the same dataset, and its countries, admin1 divisions, event types and span of dates
(each import records them in imports.json). A narrower export (one governorate, one event
type) removes nothing. The earlier import
files are rewritten without what was superseded; the new import's file holds the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from explorer.importers.output import OutputDirectory, replace_file

FINGERPRINT = """
    SELECT e.event_id, md5(concat_ws('|', e.date, e.end_date, e.title, e.description, e.event_type, e.front, e.location,
        e.admin1, e.admin2, e.latitude, e.longitude, e.location_precision, e.actor_ids::VARCHAR, e.source,
        (SELECT string_agg(concat_ws(',', c.casualty_id, c.killed, c.killed_low, c.killed_high, c.nationality, c.actor_id, c.note),
                           ';' ORDER BY c.casualty_id)
         FROM read_parquet({casualties}, union_by_name = true) AS c WHERE c.event_id = e.event_id))) AS fingerprint
    FROM read_parquet({events}, union_by_name = true, filename = true) AS e WHERE e.dataset = ?
"""


@dataclass
class Changes:
    """What a newer export did to the earlier imports of its dataset."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    kept_skipped: int = 0
    """Events whose row in the new file was skipped: their earlier copy stays."""
    removal_note: str | None = None
    by_file: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged, "removed": self.removed}

    def lines(self) -> list[str]:
        if not (self.changed or self.unchanged or self.removed or self.kept_skipped):
            return []
        lines = [f"updated earlier imports of this dataset: {self.new:,} new event(s), {self.changed:,} changed, "
                 f"{self.unchanged:,} unchanged, {self.removed:,} removed as deleted by the source"]
        if self.kept_skipped:
            lines.append(f"{self.kept_skipped:,} event(s) whose row in this file was skipped keep their earlier copy")
        return lines + ([self.removal_note] if self.removal_note else [])


def _list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"


def supersede(con: duckdb.DuckDBPyConnection, output: OutputDirectory, dataset: str, coverage: dict, event_id: str) -> Changes:
    """Rewrite the earlier import files without the events this import supersedes or the source deleted.
    An event whose row in the new file was skipped is neither: its earlier copy stays. `event_id` is the
    SQL of a row's event id over table `raw` (every row read, kept or skipped)."""
    changes = Changes()
    old_events, old_casualties = output.existing_files("events"), output.existing_files("casualties")
    new_events, new_casualties = output.table_file("events"), output.table_file("casualties")
    if not old_events:
        return changes
    con.execute(f"CREATE OR REPLACE TABLE new_fingerprints AS {FINGERPRINT.format(events=_list([new_events]), casualties=_list([new_casualties]))}",
                [dataset])
    con.execute(
        "CREATE OR REPLACE TABLE old_fingerprints AS "
        + FINGERPRINT.format(events=_list(old_events), casualties=_list(old_casualties or [new_casualties])).replace(
            "AS fingerprint", "AS fingerprint, e.date, e.filename"),
        [dataset])
    ((changes.new,),) = con.execute("SELECT count(*) FROM new_fingerprints ANTI JOIN old_fingerprints USING (event_id)").fetchall()
    ((changes.changed, changes.unchanged),) = con.execute(
        "SELECT count(*) FILTER (WHERE n.fingerprint <> o.fingerprint), count(*) FILTER (WHERE n.fingerprint = o.fingerprint) "
        "FROM new_fingerprints AS n JOIN old_fingerprints AS o USING (event_id)").fetchall()
    covered = _covered_files(output, coverage)
    con.execute(f"CREATE OR REPLACE TABLE in_the_file AS SELECT DISTINCT {event_id} AS id FROM raw")
    ((changes.kept_skipped,),) = con.execute(
        "SELECT count(*) FROM old_fingerprints WHERE event_id IN (SELECT id FROM in_the_file) "
        "AND event_id NOT IN (SELECT event_id FROM new_fingerprints)").fetchall()
    lacking = ("SELECT event_id, filename FROM old_fingerprints WHERE event_id NOT IN (SELECT event_id FROM new_fingerprints) "
               "AND event_id NOT IN (SELECT id FROM in_the_file) AND date BETWEEN ? AND ?")
    span = [coverage.get("first_date"), coverage.get("last_date")]
    con.execute(f"CREATE OR REPLACE TABLE lacking AS {lacking}", span)
    con.execute("CREATE OR REPLACE TABLE dropped AS SELECT event_id FROM old_fingerprints "
                "WHERE event_id IN (SELECT event_id FROM new_fingerprints) "
                "UNION ALL SELECT event_id FROM lacking WHERE list_contains(?, filename)", [[str(path) for path in covered]])
    ((changes.removed, kept_lacking),) = con.execute(
        "SELECT count(*) FILTER (WHERE list_contains(?, filename)), count(*) FILTER (WHERE NOT list_contains(?, filename)) "
        "FROM lacking", [[str(path) for path in covered]] * 2).fetchall()
    if kept_lacking:
        changes.removal_note = (f"{kept_lacking:,} earlier event(s) of {dataset} that this file lacks were kept: this export "
                                "does not cover all their import did (countries, admin1, event types, actors, dates)")
    for path in [*old_events, *old_casualties]:
        kept_rows = "event_id IS NULL OR event_id NOT IN (SELECT event_id FROM dropped)"
        ((kept, total),) = con.execute(f"SELECT count(*) FILTER (WHERE {kept_rows}), count(*) FROM read_parquet(?)",
                                       [str(path)]).fetchall()
        if kept < total:
            replace_file(con, path, f"SELECT * FROM read_parquet({_list([path])}) WHERE {kept_rows}")
            changes.by_file[path.name] = total - kept
    return changes


def covers(newer: dict, earlier: dict) -> bool:
    """Whether an export covers all an earlier one did: every set it records (countries, divisions, event types,
    actors ...) and its span of dates. An export filtered more narrowly (one governorate, one actor) says nothing
    of what it left out."""
    if not newer.get("first_date") or not earlier.get("first_date"):
        return False
    if not (newer["first_date"] <= earlier["first_date"] and newer["last_date"] >= earlier["last_date"]):
        return False
    sets = [name for name, value in newer.items() if isinstance(value, list)]
    return bool(sets) and all(isinstance(earlier.get(name), list) and set(earlier[name]) <= set(newer[name]) for name in sets)


def _covered_files(output: OutputDirectory, coverage: dict) -> list[Path]:
    """The earlier events files whose export this one covers: only those can have had events deleted by the source."""
    tags = {entry["tag"] for entry in output.previous if covers(coverage, entry)}
    return [path for path in output.existing_files("events") if path.stem in tags]
