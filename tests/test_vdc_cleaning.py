"""Cleaning of the raw VDC list: on the real file as published, and on small crafted rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.builtin.vdc import RAW_FILE_NAME, clean_vdc
from explorer.db.errors import DataDirectoryError
from conftest import DATA_DIR

HEADER = "Province,Cause_of_Death,Name,Area,Date_of_Death,Sex,Rank\n"


@pytest.fixture(scope="module")
def real():
    return clean_vdc(DATA_DIR / "src" / RAW_FILE_NAME)


def write_raw(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / RAW_FILE_NAME
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_real_list_counts(real):
    rows, report = real
    assert report.raw_rows == 550
    assert report.exact_duplicates_dropped == 3
    assert len(rows) == report.kept_rows == 547
    assert report.country_missing == 16
    assert report.date_unknown == 2
    assert report.unidentified_names == 10
    assert report.country_outside_list == {"England": 1}


def test_real_list_nationalities_after_cleaning(real):
    _, report = real
    assert report.by_nationality["Lebanese"] == 325
    assert report.by_nationality["Iranian"] == 84
    assert report.by_nationality["Iraqi"] == 58
    assert report.by_nationality["Afghan"] == 19  # 10 Afaghnstan + 5 Afagnstan + 4 Afghanstan
    assert report.by_nationality["Pakistani"] == 3  # Bakstan
    assert report.by_nationality["unknown"] == 17  # 16 empty + England


def test_real_list_dates_span_2012_to_august_2015(real):
    rows, _ = real
    dates = sorted(row["period_start"] for row in rows if row["period_start"])
    assert dates[0].startswith("2012") and dates[-1].startswith("2015-08")


def test_misspelt_arabic_and_home_town_countries_are_fixed(tmp_path):
    path = write_raw(tmp_path, [
        "Other,Shooting,Ali A ,Afaghnstan,2014-01-02,Adult - Male,Fatmioun Brigade",
        "Other,Shooting,Ali B,العراق,2014-01-03,Adult - Male,Unknown",
        "Other,Shooting,Ali C,Lebanon: Balbak,2014-01-04,Adult - Male,Hezbollah Militant ",
        "Other,Shooting,Ali D,lebanon,2014-01-05,Adult - Male,Soldier",
        "Other,Shooting,Ali E,Bakstan,2014-01-06,Adult - Male,Unknown",
    ])
    rows, report = clean_vdc(path)
    assert [row["nationality"] for row in rows] == ["Afghan", "Iraqi", "Lebanese", "Lebanese", "Pakistani"]
    assert rows[0]["person_name"] == "Ali A"
    assert "Home town: Balbak." in rows[2]["note"]
    assert rows[2]["ranks"] == "Hezbollah Militant"
    assert report.home_towns_split == 1
    assert sum(report.country_spellings_fixed.values()) == 4


def test_rank_derives_actor_only_where_clear(tmp_path):
    path = write_raw(tmp_path, [
        "Other,Shooting,A,Afghanstan,2014-01-02,Adult - Male,Hezbollah Afaghani Militant- Fatmyoun Brigade",
        "Other,Shooting,B,Lebanon,2014-01-02,Adult - Male,Hezbollah Militant",
        "Other,Shooting,C,Iraq,2014-01-02,Adult - Male,League of the Righteous",
        "Other,Shooting,D,Iran,2014-01-02,Adult - Male,Colonel",
        "Other,Shooting,E,Afghanstan,2014-01-02,Adult - Male,Hezbollah Afghan Militant",
        "Other,Shooting,F,Syria,2014-01-02,Adult - Male,FSA",
    ])
    rows, _ = clean_vdc(path)
    assert [row["actor_id"] for row in rows] == ["fatemiyoun", "hezbollah", "asaib_ahl_al_haq", "", "", ""]
    assert rows[3]["ranks"] == "Colonel"


def test_duplicates_unknown_dates_and_missing_countries_are_reported(tmp_path):
    path = write_raw(tmp_path, [
        "Other,Shooting,Unidentified ,Iran,0000-00-00,Adult - Male,Unknown",
        "Other,Shooting,Unidentified ,Iran,0000-00-00,Adult - Male,Unknown",
        "Other,Shooting,Someone,,2013-05-05,Adult - Male,Unknown",
        "Other,Shooting,Visitor,England,2013-05-06,Adult - Male,Civilian",
    ])
    rows, report = clean_vdc(path)
    assert len(rows) == 3
    assert report.exact_duplicates_dropped == 1
    assert rows[0]["period_start"] == "" and report.date_unknown == 1
    assert rows[0]["person_name"] == "Unidentified" and report.unidentified_names == 1
    assert rows[1]["nationality"] == "" and report.country_missing == 1
    assert rows[2]["nationality"] == "" and "Country as published: England." in rows[2]["note"]
    assert report.country_outside_list == {"England": 1}
    lines = "\n".join(report.lines())
    assert "1 exact duplicate rows" in lines and "England (1)" in lines


def test_every_individual_counts_one_death(real):
    rows, _ = real
    assert {(row["kind"], row["killed"], row["killed_qualifier"]) for row in rows} == {("individual", "1", "exact")}
    assert len({row["casualty_id"] for row in rows}) == len(rows)


def test_raw_file_without_expected_columns_is_refused(tmp_path):
    path = tmp_path / RAW_FILE_NAME
    path.write_text("Name,Country\nA,Iran\n", encoding="utf-8")
    with pytest.raises(DataDirectoryError, match="missing columns Province, Cause_of_Death, Area"):
        clean_vdc(path)
