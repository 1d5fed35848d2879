"""`conflict-explorer check`: validate a data directory row by row and summarise what is in it.

It reads the Parquet files on an internal connection that runs only the checks below, so it builds no cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from explorer.db.catalog import EngineLimits, find_tables, raw_connection
from explorer.db.dimensions import vocabularies as dimension_vocabularies
from explorer.db.schema import TABLES, VOCABULARIES

EXAMPLES = 3
"""How many offending values a problem line quotes."""

REFERENCES = (
    ("events", "unnest(actor_ids)", "actors", "actor_id"),
    ("casualties", "actor_id", "actors", "actor_id"),
    ("casualties", "event_id", "events", "event_id"),
    ("forces", "actor_id", "actors", "actor_id"),
    ("actors", "parent_id", "actors", "actor_id"),
)
"""(table, expression, referenced table, referenced key): every id must exist."""

DATE_SPANS = {
    "events": ("date", "coalesce(end_date, date)"),
    "casualties": ("coalesce(period_start, period_end)", "coalesce(period_end, period_start)"),
    "forces": ("date", "date"),
}


@dataclass
class CheckResult:
    summary: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _quote(values: list) -> str:
    shown = ", ".join(repr(value) for value in values[:EXAMPLES])
    return shown + (", ..." if len(values) > EXAMPLES else "")


def check_data_dir(
    data_dir: Path | str | None = None,
    vocabularies: dict[tuple[str, str], tuple[str, ...]] | None = None,
    limits: EngineLimits = EngineLimits(),
) -> CheckResult:
    """What the directory holds, and every problem found; structural errors raise DataDirectoryError."""
    result = CheckResult()
    if vocabularies is None:
        vocabularies = {**VOCABULARIES, **dimension_vocabularies(builtin=False)}
    _, tables = find_tables(data_dir)
    with raw_connection(tables, limits) as con:
        for name, table in TABLES.items():
            count = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
            line = f"  {name:<11} {count:>9,} rows"
            if name in DATE_SPANS:
                first, last = DATE_SPANS[name]
                low, high, undated = con.execute(
                    f'SELECT min({first}), max({last}), count(*) FILTER (WHERE {first} IS NULL) FROM "{name}"'
                ).fetchall()[0]
                line += f"  {low or '—'} → {high or '—'}" + (f"  ({undated:,} undated)" if undated else "")
            files = tables[name]
            count = len(files.remote.objects) if files.remote is not None else len(files.paths)
            line += f"  [{count} file{'s' if count != 1 else ''}{', hive-partitioned' if files.hive else ''}]"
            result.summary.append(line)

            for column in table.columns:
                if not column.nullable:
                    nulls = con.execute(f'SELECT count(*) FROM "{name}" WHERE "{column.name}" IS NULL').fetchall()[0][0]
                    if nulls:
                        result.problems.append(f"{name}.{column.name}: {nulls} empty value(s) in a required column")
            duplicates = con.execute(
                f'SELECT "{table.key}" FROM "{name}" GROUP BY 1 HAVING count(*) > 1 ORDER BY 1'
            ).fetchall()
            if duplicates:
                result.problems.append(f"{name}.{table.key}: {len(duplicates)} duplicate id(s): {_quote([d[0] for d in duplicates])}")

        for (name, column), allowed in vocabularies.items():
            outside = con.execute(
                f'SELECT DISTINCT "{column}" FROM "{name}" WHERE "{column}" IS NOT NULL AND NOT list_contains(?, "{column}") ORDER BY 1',
                [list(allowed)],
            ).fetchall()
            if outside:
                result.problems.append(f"{name}.{column}: value(s) outside the vocabulary: {_quote([o[0] for o in outside])}")

        for name, expression, target, key in REFERENCES:
            dangling = con.execute(
                f'SELECT DISTINCT ref FROM (SELECT {expression} AS ref FROM "{name}") '
                f'WHERE ref IS NOT NULL AND ref NOT IN (SELECT "{key}" FROM "{target}") ORDER BY 1'
            ).fetchall()
            if dangling:
                result.problems.append(f"{name}: {len(dangling)} id(s) not found in {target}.{key}: {_quote([d[0] for d in dangling])}")

        mixed = con.execute(
            "SELECT occurrence_id FROM casualties GROUP BY dataset, occurrence_id "
            "HAVING count(DISTINCT kind) > 1 OR count(DISTINCT nationality) > 1 ORDER BY 1"
        ).fetchall()
        if mixed:
            result.problems.append(f"casualties.occurrence_id: {len(mixed)} occurrence(s) mix kinds or nationalities: {_quote([m[0] for m in mixed])}")
        reversed_periods = con.execute(
            "SELECT casualty_id FROM casualties WHERE period_start > period_end ORDER BY 1"
        ).fetchall()
        if reversed_periods:
            result.problems.append(f"casualties: {len(reversed_periods)} period(s) end before they start: {_quote([r[0] for r in reversed_periods])}")
        cumulative_with_start = con.execute(
            "SELECT casualty_id FROM casualties WHERE kind = 'cumulative' AND (period_start IS NOT NULL OR period_end IS NULL) ORDER BY 1"
        ).fetchall()
        if cumulative_with_start:
            result.problems.append(
                f"casualties: {len(cumulative_with_start)} cumulative total(s) need an empty period_start and an as-of period_end: "
                f"{_quote([r[0] for r in cumulative_with_start])}"
            )
        for name in TABLES:
            blank = con.execute(f"SELECT count(*) FROM \"{name}\" WHERE trim(source) = ''").fetchall()[0][0]
            if blank:
                result.problems.append(f"{name}.source: {blank} row(s) without a source")
    return result
