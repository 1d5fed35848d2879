"""Fronts from first-level administrative divisions: a mapping table the user can extend or override.

The default table (fronts.csv) maps Syria's governorates, in ACLED's and UCDP's spellings, onto the
built-in fronts where one exists and onto one spelling of the governorate otherwise. `--fronts FILE`
(a CSV with columns admin1,front) adds rows and replaces ours for the same admin1; an empty front
means "no front". An admin1 found in neither keeps its own name as the front.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from explorer.db.errors import ImportFailed

DEFAULT_FRONTS = Path(__file__).with_name("fronts.csv")
SUFFIXES = (" governorate", " province", " muhafazah")


def admin1_key(name: str) -> str:
    """How an admin1 is matched: case, spacing and a trailing 'governorate' / 'province' do not count."""
    key = " ".join(name.lower().split())
    for suffix in SUFFIXES:
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return key


def read_fronts(path: Path) -> dict[str, str | None]:
    """admin1 key → front (None: no front) from a CSV with columns admin1,front."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ImportFailed(f"--fronts {path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ImportFailed(f"--fronts {path}: not UTF-8 text; save it as a UTF-8 CSV with columns admin1,front") from None
    if not rows or not {"admin1", "front"} <= set(rows[0]):
        raise ImportFailed(f"--fronts {path}: expected a CSV with a header row admin1,front")
    return {admin1_key(row["admin1"] or ""): (row["front"] or "").strip() or None for row in rows if (row["admin1"] or "").strip()}


def load_fronts(con: duckdb.DuckDBPyConnection, user_file: Path | None) -> None:
    """Create table `front_map(admin1_key, front)` and macro `front_of(admin1)` on the staging connection."""
    fronts = read_fronts(DEFAULT_FRONTS)
    if user_file is not None:
        fronts |= read_fronts(user_file)
    con.execute("CREATE TABLE front_map (admin1_key VARCHAR PRIMARY KEY, front VARCHAR)")
    con.executemany("INSERT INTO front_map VALUES (?, ?)", list(fronts.items()))
    suffixes = "|".join(suffix.strip() for suffix in SUFFIXES)
    con.execute(
        "CREATE OR REPLACE TEMP MACRO admin1_key(s) AS "
        f"regexp_replace(lower(trim(regexp_replace(s, '\\s+', ' ', 'g'))), ' ({suffixes})$', '')"
    )


def unmapped_admin1(con: duckdb.DuckDBPyConnection, admin1: str, where: str = "TRUE") -> list[tuple[str, int]]:
    """admin1 values (with row counts) of table `kept` that the table does not map, most frequent first."""
    return con.execute(f"""
        SELECT trim({admin1}), count(*) FROM kept
        WHERE NOT blank({admin1}) AND ({where}) AND admin1_key({admin1}) NOT IN (SELECT admin1_key FROM front_map)
        GROUP BY 1 ORDER BY 2 DESC, 1
    """).fetchall()


def front_join(admin1: str) -> tuple[str, str]:
    """(join clause, front expression) for a query over `kept` whose admin1 is the SQL `admin1`."""
    return (
        f"LEFT JOIN front_map AS fm ON fm.admin1_key = admin1_key({admin1})",
        f"CASE WHEN fm.admin1_key IS NOT NULL THEN fm.front ELSE text_or_null({admin1}) END",
    )
