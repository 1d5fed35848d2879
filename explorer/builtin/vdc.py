"""Cleaning of the Violations Documentation Center's list of foreign government-side fatalities.

The list is kept raw as published (data/src/vdc_foreign_fatalities_raw.csv); this module
turns it into `individual` casualty rows and counts every fix in a CleaningReport.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from explorer.db.errors import DataDirectoryError
from explorer.db.schema import NATIONALITY_BY_COUNTRY

RAW_FILE_NAME = "vdc_foreign_fatalities_raw.csv"
DATASET_SOURCE = (
    "Violations Documentation Center in Syria (VDC), list of government-side fatalities, "
    "via the Humanitarian Data Exchange (hdxscraper-violation-documentation-center-syria, regine_fatalities.csv)"
)
RAW_COLUMNS = ("Province", "Cause_of_Death", "Name", "Area", "Date_of_Death", "Sex", "Rank")

COUNTRY_SPELLINGS = {
    "afaghnstan": "Afghanistan",
    "afagnstan": "Afghanistan",
    "afghanstan": "Afghanistan",
    "bakstan": "Pakistan",
    "jourdan": "Jordan",
    "العراق": "Iraq",
    "lenanon": "Lebanon",
}
"""Misspelt or Arabic country names in the raw list, keyed in lower case."""

ACTOR_BY_AFFILIATION = (
    ("fatmyoun", "fatemiyoun"),
    ("fatmioun", "fatemiyoun"),
    ("league of the righteous", "asaib_ahl_al_haq"),
    ("abu fadil abbas", "liwa_abu_fadl_abbas"),
    ("hezbollah", "hezbollah"),
)
"""Rank text → actor, checked in order: 'Hezbollah Afaghani Militant- Fatmyoun Brigade' is Fatemiyoun."""

UNCLEAR_HEZBOLLAH = ("afghan", "afaghani")
"""A 'Hezbollah' rank naming an Afghan without the brigade is not clearly Hezbollah: no actor."""


@dataclass
class CleaningReport:
    """What cleaning fixed, dropped and left unknown, with counts."""

    raw_rows: int = 0
    kept_rows: int = 0
    exact_duplicates_dropped: int = 0
    country_spellings_fixed: Counter = field(default_factory=Counter)
    home_towns_split: int = 0
    whitespace_trimmed: int = 0
    country_missing: int = 0
    country_outside_list: Counter = field(default_factory=Counter)
    date_unknown: int = 0
    rank_unknown: int = 0
    unidentified_names: int = 0
    actor_derived: Counter = field(default_factory=Counter)
    by_nationality: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        fixed = ", ".join(f"{raw}→{clean} ×{n}" for (raw, clean), n in sorted(self.country_spellings_fixed.items()))
        outside = ", ".join(f"{country} ({n})" for country, n in sorted(self.country_outside_list.items()))
        actors = ", ".join(f"{actor} ({n})" for actor, n in sorted(self.actor_derived.items()))
        nationalities = ", ".join(f"{name} {n}" for name, n in self.by_nationality.most_common())
        return [
            f"VDC cleaning report: {self.raw_rows} raw rows → {self.kept_rows} individuals",
            f"  dropped: {self.exact_duplicates_dropped} exact duplicate rows",
            f"  fixed: {sum(self.country_spellings_fixed.values())} misspelt or Arabic country names ({fixed})",
            f"  fixed: {self.home_towns_split} 'Country: home town' values split (home town kept in the note)",
            f"  fixed: {self.whitespace_trimmed} rows with stray spaces in name, rank or country",
            f"  unknown: {self.country_missing} rows with no country (nationality unknown)",
            f"  unknown: {sum(self.country_outside_list.values())} rows with a country outside our list, nationality left unknown ({outside})",
            f"  unknown: {self.date_unknown} rows dated 0000-00-00 (date unknown, person kept)",
            f"  unknown: {self.rank_unknown} rows with rank 'Unknown'",
            f"  kept: {self.unidentified_names} people named 'Unidentified'",
            f"  derived actor from rank: {actors}",
            f"  individuals by nationality: {nationalities}",
        ]


def _clean_country(area: str, report: CleaningReport) -> tuple[str | None, str | None]:
    """(country, home town) from the raw Area; the place after a colon is the home town."""
    country, _, home_town = area.partition(":")
    country = country.strip()
    home_town = home_town.strip() or None
    if home_town:
        report.home_towns_split += 1
    if not country:
        report.country_missing += 1
        return None, None
    key = country.lower()
    fixed = COUNTRY_SPELLINGS.get(key) or next((known for known in NATIONALITY_BY_COUNTRY if known.lower() == key), None)
    if fixed and fixed != country:
        report.country_spellings_fixed[(country, fixed)] += 1
        country = fixed
    if country not in NATIONALITY_BY_COUNTRY:
        report.country_outside_list[country] += 1
    return country, home_town


def _actor_from_rank(rank: str | None) -> str | None:
    if not rank:
        return None
    lowered = rank.lower()
    for needle, actor_id in ACTOR_BY_AFFILIATION:
        if needle in lowered:
            if actor_id == "hezbollah" and any(word in lowered for word in UNCLEAR_HEZBOLLAH):
                return None
            return actor_id
    return None


def clean_vdc(raw_path: Path) -> tuple[list[dict], CleaningReport]:
    """Casualty rows (kind `individual`, one per person) and the report of what was cleaned."""
    report = CleaningReport()
    seen: set[tuple[str, ...]] = set()
    rows: list[dict] = []
    with raw_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in RAW_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise DataDirectoryError(f"{raw_path}: missing columns {', '.join(missing)}")
        for line_number, raw in enumerate(reader, start=2):
            report.raw_rows += 1
            values = tuple(raw[column] for column in RAW_COLUMNS)
            if values in seen:
                report.exact_duplicates_dropped += 1
                continue
            seen.add(values)
            if any(raw[c] != raw[c].strip() for c in ("Name", "Rank", "Area")):
                report.whitespace_trimmed += 1
            name = raw["Name"].strip()
            rank = raw["Rank"].strip()
            if rank.lower() == "unknown":
                report.rank_unknown += 1
                rank = ""
            if name.lower().startswith("unidentified"):
                report.unidentified_names += 1
            country, home_town = _clean_country(raw["Area"], report)
            nationality = NATIONALITY_BY_COUNTRY.get(country) if country else None
            date = raw["Date_of_Death"].strip()
            if date.startswith("0000"):
                report.date_unknown += 1
                date = ""
            actor_id = _actor_from_rank(rank)
            if actor_id:
                report.actor_derived[actor_id] += 1
            report.by_nationality[nationality or "unknown"] += 1
            note = [f"Cause of death: {raw['Cause_of_Death'].strip()}.", f"Sex: {raw['Sex'].strip()}."]
            if raw["Area"].strip() != (country or "") or not nationality:
                note.append(f"Country as published: {raw['Area'].strip() or '(empty)'}.")
            if home_town:
                note.append(f"Home town: {home_town}.")
            if not date:
                note.append("Date of death published as 0000-00-00 (unknown).")
            casualty_id = f"VDC{line_number:04d}"
            rows.append(
                {
                    "casualty_id": casualty_id,
                    "kind": "individual",
                    "occurrence_id": casualty_id,
                    "period_start": date,
                    "period_end": date,
                    "date_precision": "day" if date else "",
                    "nationality": nationality or "",
                    "actor_id": actor_id or "",
                    "person_name": name,
                    "ranks": rank,
                    "killed": "1",
                    "killed_qualifier": "exact",
                    "source": DATASET_SOURCE,
                    "note": " ".join(note),
                }
            )
    report.kept_rows = len(rows)
    return rows, report
