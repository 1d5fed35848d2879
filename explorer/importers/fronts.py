"""Fronts from first-level administrative divisions: a rule for real spellings, and a table for the rest.

Real sources spell one governorate many ways: "Deir ez Zor Governorate", "Deir Ezzor", "Dayr az
Zawr", "Al-Hasakeh", "Hasakeh". Two rules match them without listing every spelling:
- a *key* that ignores case, accents, punctuation, articles (al-, ar-, ez-, ...) and words such as
  governorate, province or muhafazat;
- for the table's places only, a *skeleton* of the key that also ignores vowels, doubled letters,
  a final h and transliteration pairs (kh/k, q/k, dh/d, ...): "Deir Ezzor" and "Dayr az Zawr" share
  "drzr". It is used only for rows in Syria (or of no known country), whose governorates the table
  holds, and only when every table spelling it matches names one front.

The table (fronts.csv) maps Syria's governorates onto the built-in fronts where one exists and onto
one spelling otherwise, and holds what no rule can catch ("Damascus Suburbs" is Rural Damascus).
`--fronts FILE` (a CSV with columns admin1,front) adds rows and overrides ours; an empty front means
"no front". "Unknown", "Other" and the like mean no front. An admin1 found by neither rule keeps its
most frequent spelling among those sharing its key as the front, and the report names it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

import duckdb

from explorer.db.errors import ImportFailed

DEFAULT_FRONTS = Path(__file__).with_name("fronts.csv")
ARTICLES = frozenset({"al", "el", "ar", "as", "ad", "ash", "an", "az", "at", "ed", "es", "ez", "ul", "ud"})
DIVISION_WORDS = frozenset({"governorate", "governate", "province", "muhafazat", "muhafazah", "muhafaza", "mohafazat",
                            "mohafaza", "wilayah", "wilayat"})
NO_FRONT = frozenset({"", "unknown", "other", "others", "n a", "na", "none", "not specified", "unspecified", "various",
                      "multiple", "undetermined", "not known", "nationwide"})
"""Keys that name no place."""
TABLE_COUNTRIES = frozenset({"syria", "syrian arab republic"})
"""The countries whose divisions the table holds: where the skeleton rule may match."""
DIGRAPHS = (("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"), ("sh", "s"), ("ph", "f"), ("q", "k"), ("c", "k"))


def place_key(name: str) -> str:
    """A place name as matched: lower case, no accents or punctuation, no articles or division words."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"[\u2018\u2019\u02bc\u02bb\u02be\u02bf'`´]", "", text)
    words = [word for word in re.split(r"[\W_]+", text) if word]
    words = [word for word in words if word not in DIVISION_WORDS] or words
    kept = [word for word in words if word not in ARTICLES]
    return " ".join(kept or words)


def skeleton(key: str) -> str:
    """The key without what transliterations disagree on: vowels, doubled letters, a final h, kh/k, q/k ...
    Latin script only: another script's key has no skeleton (it is matched by the table alone)."""
    if not re.fullmatch(r"[a-z0-9 ]+", key):
        return ""
    text = key.replace(" ", "")
    for pair, single in DIGRAPHS:
        text = text.replace(pair, single)
    text = re.sub(r"[aeiouyw]", "", text)
    text = re.sub(r"(.)\1+", r"\1", text)
    return text[:-1] if len(text) > 2 and text.endswith("h") else text


def read_fronts(path: Path) -> dict[str, str | None]:
    """place key → front (None: no front) from a CSV with columns admin1,front."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ImportFailed(f"--fronts {path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ImportFailed(f"--fronts {path}: not UTF-8 text; save it as a UTF-8 CSV with columns admin1,front") from None
    if not rows or not {"admin1", "front"} <= set(rows[0]):
        raise ImportFailed(f"--fronts {path}: expected a CSV with a header row admin1,front")
    return {place_key(row["admin1"] or ""): (row["front"] or "").strip() or None for row in rows if (row["admin1"] or "").strip()}


class FrontTable:
    """Our table with the user's on top, and the two ways of looking a place up in it."""

    def __init__(self, user_file: Path | None = None) -> None:
        self.by_key = read_fronts(DEFAULT_FRONTS) | (read_fronts(user_file) if user_file is not None else {})
        by_skeleton: dict[str, set[str | None]] = {}
        for key, front in self.by_key.items():
            by_skeleton.setdefault(skeleton(key), set()).add(front)
        self.by_skeleton = {shape: fronts.pop() for shape, fronts in by_skeleton.items() if len(fronts) == 1}

    def front(self, admin1: str, country: str | None) -> tuple[str | None, bool]:
        """(front, whether the table or a rule knew the place); unknown places get (None, False)."""
        key = place_key(admin1)
        if key in NO_FRONT:
            return None, True
        if key in self.by_key:
            return self.by_key[key], True
        shape = skeleton(key)
        if (country is None or place_key(country) in TABLE_COUNTRIES) and len(shape) >= 3 and shape in self.by_skeleton:
            return self.by_skeleton[shape], True
        return None, False


def map_fronts(con: duckdb.DuckDBPyConnection, table: FrontTable, admin1: str | None, country: str | None) -> list[tuple[str, int]]:
    """Create table `admin1_fronts(place_country, place_admin1, place_front)` for the kept rows' places; return the places no rule
    or table knew (their most frequent spelling, with row counts), which became fronts of their own."""
    con.execute("CREATE OR REPLACE TABLE admin1_fronts (place_country VARCHAR, place_admin1 VARCHAR, place_front VARCHAR)")
    if admin1 is None:
        return []
    places = con.execute(
        f"SELECT {country or 'NULL'} AS country, {admin1} AS admin1, count(*) FROM kept "
        f"WHERE NOT blank({admin1}) GROUP BY ALL").fetchall()
    spellings: dict[str, Counter] = {}
    mapped = []
    for place_country, name, count in places:
        front, known = table.front(name, place_country)
        if not known:
            spellings.setdefault(place_key(name), Counter())[name.strip()] += count
        mapped.append((place_country, name, front, known))
    chosen = {key: min(counter.items(), key=lambda item: (-item[1], item[0]))[0] for key, counter in spellings.items()}
    rows = [(place_country, name, front if known else chosen[place_key(name)]) for place_country, name, front, known in mapped]
    if rows:
        con.executemany("INSERT INTO admin1_fronts VALUES (?, ?, ?)", rows)
    totals = {key: sum(counter.values()) for key, counter in spellings.items()}
    return sorted(((chosen[key], totals[key]) for key in spellings), key=lambda item: (-item[1], item[0]))


def front_join(admin1: str, country: str | None) -> tuple[str, str]:
    """(join clause, front expression) for a query over `kept` whose admin1 and country are these SQL expressions."""
    return (
        f"LEFT JOIN admin1_fronts AS af ON af.place_admin1 = {admin1} AND af.place_country IS NOT DISTINCT FROM {country or 'NULL'}",
        "af.place_front",
    )
