"""Deterministic synthetic data directories in the explorer's schema, for the benchmark.

Every row is SYNTHETIC: dataset 'synthetic', sources 'synthetic benchmark data (not a real
report)', ids prefixed with S. Nothing here describes a real event or person. Distributions
are skewed like real data: most reports in the later years, a few nationalities and fronts
holding most rows, about one incident in ten reported twice with different figures.

    python benchmarks/generate.py 1000000 /tmp/synthetic-1m
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from explorer.db.schema import (
    ACTORS,
    CASUALTIES,
    EVENTS,
    FORCES,
    NATIONALITY_BY_COUNTRY,
    Table,
)

FRONTS = ("Aleppo", "Damascus/Ghouta", "Idlib", "Homs/Palmyra", "Hawran/Daraa/Quneitra", "Latakia", "Hama", "Deir ez-Zor")
COUNTRIES = ("Syria", "Iran", "Russia", "Lebanon", "Afghanistan", "Iraq", "Pakistan", "Turkey", "Jordan", "Saudi Arabia",
             "Egypt", "Palestine", "United States", "Germany", "Israel")
ACTOR_COUNT = 300
FORCE_COUNT = 2000
FIRST_DAY = "2011-03-15"
DAYS = 2100
SOURCE = "'synthetic benchmark data (not a real report)'"


MODULUS = 2147483647


def _uniform(seed: str, salt: int) -> str:
    """A deterministic pseudo-random number in [0, 1) from an integer SQL expression (no hash: stable across versions).

    Each salt gets its own multipliers and the bits are mixed twice (xor-shift), so the numbers of
    different salts are independent: nationality, front, basis and date do not follow one another."""
    mixed = f"((({seed}) * {48271 + 7919 * salt} + {salt * 40503 + 12345}) % {MODULUS})"
    mixed = f"xor({mixed}, {mixed} >> 13)"
    mixed = f"(({mixed}) * {69621 + 104729 * salt} % {MODULUS})"
    mixed = f"xor({mixed}, {mixed} >> 11)"
    return f"((({mixed}) % {MODULUS}) / {MODULUS}.0)"


def _skewed(seed: str, salt: int, count: int, power: float = 2.5) -> str:
    """An index in [0, count), low values far more frequent (like real nationalities and fronts)."""
    return f"least({count - 1}, floor({count} * pow({_uniform(seed, salt)}, {power})))::INTEGER"


def _pick(values: tuple[str, ...], index: str) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"[{quoted}][{index} + 1]"


def _day(seed: str, salt: int) -> str:
    """Dates skewed towards the later years, as reporting grows."""
    return f"(DATE '{FIRST_DAY}' + floor({DAYS} * pow({_uniform(seed, salt)}, 0.6))::INTEGER)"


def _copy(con: duckdb.DuckDBPyConnection, table: Table, select: str, order: str, path: Path) -> None:
    columns = ", ".join(f'CAST({column.name} AS {column.type}) AS "{column.name}"' for column in table.columns)
    con.execute(f"COPY (SELECT {columns} FROM ({select}) ORDER BY {order}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")


def generate(casualty_rows: int, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    events = max(1000, casualty_rows // 4)
    spill = tempfile.mkdtemp(prefix="conflict-explorer-generate-")  # not .tmp/ in the working directory
    con = duckdb.connect(config={"threads": 2, "memory_limit": "4GB", "temp_directory": spill})
    nationality = _pick(tuple(NATIONALITY_BY_COUNTRY.get(c, c) for c in COUNTRIES), _skewed("o", 1, len(COUNTRIES)))
    front = _pick(FRONTS, _skewed("o", 2, len(FRONTS), 1.8))
    kind = f"CASE WHEN {_uniform('o', 3)} < 0.70 THEN 'incident' WHEN {_uniform('o', 3)} < 0.96 THEN 'individual' " \
           f"WHEN {_uniform('o', 3)} < 0.995 THEN 'tally' ELSE 'cumulative' END"
    _copy(con, ACTORS, f"""
        SELECT 'SA' || lpad(i::VARCHAR, 3, '0') AS actor_id, 'Synthetic actor ' || i AS name, 'Actor ' || i AS short_name,
            ['state armed force', 'militia', 'paramilitary', 'non-state armed group', 'intelligence/special forces'][i % 5 + 1] AS kind,
            {_pick(COUNTRIES, _skewed("i", 4, len(COUNTRIES)))} AS country,
            CASE WHEN i > 20 AND i % 4 = 0 THEN 'SA' || lpad((i % 20)::VARCHAR, 3, '0') END AS parent_id,
            ['pro-government', 'opposition', 'jihadist'][i % 3 + 1] AS side,
            'synthetic actor for the benchmark' AS description,
            'synthetic' AS dataset, {SOURCE} AS source, NULL AS source_url
        FROM range({ACTOR_COUNT}) t(i)""", "actor_id", out / "actors.parquet")
    _copy(con, EVENTS, f"""
        SELECT 'SE' || o AS event_id, {_day("o", 5)} AS date, 'day' AS date_precision, NULL AS end_date,
            'Synthetic event ' || o AS title, 'synthetic event for the benchmark, not a real one' AS description,
            ['Battles', 'Explosions/Remote violence', 'Violence against civilians', 'Strategic developments'][o % 4 + 1] AS event_type,
            {front} AS front, 'Place ' || (o % 5000) AS location, NULL AS admin1, NULL AS admin2,
            33 + {_uniform("o", 6)} * 4 AS latitude, 35 + {_uniform("o", 7)} * 6 AS longitude, 'place' AS location_precision,
            ['SA' || lpad({_skewed("o", 8, ACTOR_COUNT, 2.0)}::VARCHAR, 3, '0'),
             'SA' || lpad({_skewed("o", 9, ACTOR_COUNT, 1.5)}::VARCHAR, 3, '0')] AS actor_ids,
            'synthetic' AS dataset, {SOURCE} AS source, NULL AS source_url
        FROM range({events}) t(o)""", "date, event_id", out / "events.parquet")
    _copy(con, CASUALTIES, f"""
        WITH reports AS (
            SELECT i, CASE WHEN i % 10 = 1 THEN i - 1 ELSE i END AS o FROM range({casualty_rows}) t(i)
        ), shaped AS (
            SELECT *, {kind} AS kind, {_day("o", 10)} AS day, floor(1 + 11 * {_uniform("o", 11)})::INTEGER AS months FROM reports
        )
        SELECT 'SC' || i AS casualty_id, kind, 'SO' || o AS occurrence_id,
            CASE WHEN kind = 'incident' THEN 'SE' || (o % {events}) END AS event_id,
            CASE WHEN kind <> 'cumulative' THEN day END AS period_start,
            CASE WHEN kind = 'tally' THEN (day + INTERVAL (months) MONTH - INTERVAL 1 DAY)::DATE ELSE day END AS period_end,
            'day' AS date_precision,
            {nationality} AS nationality,
            'SA' || lpad({_skewed("o", 12, ACTOR_COUNT, 2.0)}::VARCHAR, 3, '0') AS actor_id,
            {front} AS front, 'Place ' || (o % 5000) AS location, 'place' AS location_precision,
            CASE WHEN kind = 'individual' THEN 'Synthetic Person ' || o END AS person_name,
            CASE WHEN kind = 'individual' THEN ['private', 'sergeant', 'captain', 'colonel'][o % 4 + 1] END AS ranks,
            CASE kind WHEN 'individual' THEN 1 WHEN 'incident' THEN 1 + floor(20 * pow({_uniform("i", 13)}, 3))::INTEGER
                ELSE 50 + floor(2000 * {_uniform("i", 14)})::INTEGER END AS killed,
            CASE WHEN i % 7 = 0 THEN 'about' ELSE 'exact' END AS killed_qualifier, NULL AS killed_low, NULL AS killed_high,
            CASE WHEN i % 3 = 0 THEN floor(30 * {_uniform("i", 15)})::INTEGER END AS wounded,
            CASE WHEN i % 3 = 0 THEN 'exact' END AS wounded_qualifier, NULL AS wounded_low, NULL AS wounded_high,
            'synthetic' AS dataset, {SOURCE} || ' ' || (i % 50) AS source, NULL AS source_url, NULL AS note
        FROM shaped""", "coalesce(period_start, period_end), casualty_id", out / "casualties.parquet")
    _copy(con, FORCES, f"""
        SELECT 'SF' || i AS force_id, {_day("i", 16)} AS date, 'month' AS date_precision,
            'SA' || lpad((i % {ACTOR_COUNT})::VARCHAR, 3, '0') AS actor_id, 'estimate' AS estimate_kind,
            100 + floor(5000 * {_uniform("i", 17)})::INTEGER AS personnel, 'about' AS personnel_qualifier,
            NULL AS personnel_low, NULL AS personnel_high,
            'synthetic' AS dataset, {SOURCE} AS source, NULL AS source_url, NULL AS note
        FROM range({FORCE_COUNT}) t(i)""", "date, force_id", out / "forces.parquet")
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    (out / "SYNTHETIC.txt").write_text(marker(casualty_rows))


GENERATOR_VERSION = 2
"""Bump when the generated rows change, so that older benchmark data is generated again."""


def marker(casualty_rows: int) -> str:
    """The text of a generated directory's SYNTHETIC.txt, naming the generator's version."""
    return (f"Synthetic benchmark data made by benchmarks/generate.py version {GENERATOR_VERSION} "
            f"({casualty_rows:,} casualty reports). Not a real event, person or figure.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("casualty_rows", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    generate(args.casualty_rows, args.out)
    print(f"wrote {args.out} ({args.casualty_rows:,} casualty reports) in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
