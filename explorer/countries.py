"""Country names, their spellings and their demonyms, from one maintained dataset.

`countries.csv` is derived from mledoze/countries (https://github.com/mledoze/countries), a
maintained dataset of the world's countries under the Open Database License (ODbL 1.0; see
COUNTRIES_LICENSE.txt): each country's common name, its English demonym and the spellings the
dataset knows (official name, alternative spellings). `countries_extra.csv` adds, under the same
licence, spellings conflict data uses that the dataset lacks ("Soviet Union", "Zaire"). Run
`python -m explorer.countries path/to/countries.json` to derive the file again from a newer release.

A spelling is matched by its key: lower case, no accents or punctuation, no leading "the", and no
parenthesised part ("Russia (Soviet Union)" is Russia, "Government of Syria (2000- )" names Syria).
Casualties carry demonyms and actors carry country names: this is the one mapping between them.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path

COUNTRIES_FILE = Path(__file__).with_name("countries.csv")
EXTRA_FILE = Path(__file__).with_name("countries_extra.csv")


def country_key(name: str) -> str:
    """How a country's name is matched, in any script; the SQL macro `country_key` in the importers computes the
    same. A name of punctuation alone has the empty key, which matches nothing."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[\W_]+", " ", text).strip()
    return re.sub(r"^the ", "", text)


NO_VALUE = frozenset({"", "unknown", "n a", "na", "none", "null", "nil", "not known", "not specified", "unspecified",
                      "other", "various", "multiple", "stateless"})
"""Keys that name no country: the nationality is unknown, not a value of its own."""


@cache
def countries() -> tuple[dict[str, str], dict[str, str]]:
    """(key of every spelling → country's common name, country's common name → demonym)."""
    names: dict[str, str] = {}
    demonyms: dict[str, str] = {}
    with COUNTRIES_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            demonyms[row["country"]] = row["demonym"]
            for spelling in [row["country"], *filter(None, row["spellings"].split("|"))]:
                if country_key(spelling) not in NO_VALUE:
                    names.setdefault(country_key(spelling), row["country"])
    with EXTRA_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[country_key(row["spelling"])] = row["country"]
    return names, demonyms


def country_name(spelling: str | None) -> str | None:
    """The common name of the country a spelling names, or None when no country is known by it."""
    return countries()[0].get(country_key(spelling)) if spelling else None


@cache
def nationality_by_country() -> dict[str, str]:
    """Every spelling of every country, as written, and its common name → the country's demonym."""
    names, demonyms = countries()
    spelled: dict[str, str] = {}
    with COUNTRIES_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for spelling in [row["country"], *filter(None, row["spellings"].split("|"))]:
                spelled.setdefault(spelling, row["demonym"])
    with EXTRA_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            spelled.setdefault(row["spelling"], demonyms[row["country"]])
    return spelled


@cache
def countries_by_nationality() -> dict[str, tuple[str, ...]]:
    """A demonym → every spelling of its countries, as written (an actor's country may be any of them)."""
    spellings: dict[str, list[str]] = {}
    for spelling, nationality in nationality_by_country().items():
        spellings.setdefault(nationality, []).append(spelling)
    return {nationality: tuple(sorted(names)) for nationality, names in spellings.items()}


def vendor(source: Path, target: Path = COUNTRIES_FILE) -> int:
    """Derive countries.csv from mledoze/countries' countries.json; returns the number of countries."""
    records = json.loads(source.read_text(encoding="utf-8"))
    rows = []
    for record in records:
        demonym = (record.get("demonyms") or {}).get("eng", {}).get("m")
        if not demonym:
            continue
        name = record["name"]["common"]
        spellings = {record["name"]["official"], *record.get("altSpellings", [])} - {name}
        spellings = sorted(spelling for spelling in spellings if len(spelling) > 3 and "|" not in spelling)
        rows.append((name, demonym, record["cca3"], "|".join(spellings)))
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["country", "demonym", "cca3", "spellings"])
        writer.writerows(sorted(rows))
    return len(rows)


if __name__ == "__main__":
    print(f"wrote {vendor(Path(sys.argv[1]))} countries to {COUNTRIES_FILE}")
