"""Real files' quirks, reproduced in synthetic rows: every record imported, every total exact, nothing dropped unsaid.

Each fixture here is written by the test itself (invented ids, places marked "(test)"); the shapes
follow the publishers' codebooks and the quirks of real releases: UCDP estimates out of order, ACLED
codes written as decimals, duplicated headers, Windows-1252 text, truncated records.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.db.catalog import open_catalog
from explorer.db.errors import ImportFailed
from explorer.importers.run import ImportRequest, run_import
from explorer.importers.ucdp import GED_COLUMNS

SCRIPT = Path(sys.executable).with_name("conflict-explorer")


def rows(directory: Path, sql: str) -> list[tuple]:
    with open_catalog(directory) as catalog:
        return catalog.cursor().execute(sql).fetchall()


def write_csv(path: Path, header: list[str], records: list[dict | list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record in records:
            writer.writerow([record.get(column, "") for column in header] if isinstance(record, dict) else record)
    return path


def ged(event_id: int, best: int, low: int | None = None, high: int | None = None, deaths=(0, 0, 0, 0), **fields) -> dict:
    """One GED event in the release layout; deaths are (side_a, side_b, civilians, unknown)."""
    row = {
        "id": event_id, "relid": f"TEST-{event_id}", "year": 2016, "type_of_violence": 1, "conflict_name": "Syria: Government (test)",
        "dyad_name": "Government of Syria - IS", "side_a": "Government of Syria", "side_b": "IS", "where_prec": 1,
        "where_coordinates": "Test village (test)", "adm_1": "Aleppo governorate", "latitude": 36.1, "longitude": 37.1,
        "country": "Syria", "date_prec": 1, "date_start": "2016-02-22", "date_end": "2016-02-22",
        "deaths_a": deaths[0], "deaths_b": deaths[1], "deaths_civilians": deaths[2], "deaths_unknown": deaths[3],
        "best": best, "low": low if low is not None else best, "high": high if high is not None else best,
        "source_article": "Synthetic test row",
    }
    row.update(fields)
    return row


def import_ged(tmp_path: Path, events: list[dict], name: str = "ged.csv") -> Path:
    path = write_csv(tmp_path / name, list(GED_COLUMNS), events)
    _, out = run_import(ImportRequest("ucdp", path, tmp_path / "out", force=(tmp_path / "out").exists()))
    return out


# --- UCDP GED: best is the figure, the range belongs to the event ------------------------------------------

def test_a_best_outside_its_own_range_is_imported_as_published_and_marked(tmp_path):
    out = import_ged(tmp_path, [ged(1, 2, 3, 3), ged(2, 142, 177, 177), ged(3, 0, 1, 2)])
    assert rows(out, "SELECT event_id, killed, killed_low, killed_high FROM casualties ORDER BY event_id") == [
        ("ucdp:1", 2, 3, 3), ("ucdp:2", 142, 177, 177), ("ucdp:3", 0, 1, 2)]
    notes = [note for (note,) in rows(out, "SELECT note FROM casualties")]
    assert all("[as published: best lies outside low–high]" in note for note in notes)


def test_an_event_with_best_0_keeps_its_range(tmp_path):
    out = import_ged(tmp_path, [ged(1, 0, 0, 7961), ged(2, 0, 0, 0)])
    assert rows(out, "SELECT event_id, killed, killed_low, killed_high FROM casualties") == [("ucdp:1", 0, 0, 7961)]
    assert rows(out, "SELECT count(*) FROM events") == [(2,)]


def test_shares_of_a_split_event_carry_no_invented_range(tmp_path):
    out = import_ged(tmp_path, [ged(1, 17, 17, 57, deaths=(15, 2, 0, 0))])
    assert rows(out, "SELECT casualty_id, killed, killed_low, killed_high FROM casualties ORDER BY 1") == [
        ("ucdp:1:a", 15, None, None), ("ucdp:1:b", 2, None, None)]
    assert rows(out, "SELECT occurrence_id, killed, killed_low, killed_high FROM occurrences ORDER BY 1") == [
        ("ucdp:1:a", 15, None, None), ("ucdp:1:b", 2, None, None)], "the counting model does not invent one either"
    assert "Deaths: best 17 (low 17, high 57)" in rows(out, "SELECT description FROM events")[0][0]
    assert all("the event: best 17 (low 17, high 57)" in note for (note,) in rows(out, "SELECT note FROM casualties"))


def test_a_split_that_does_not_add_up_to_best_counts_the_event_whole(tmp_path):
    out = import_ged(tmp_path, [ged(1, 9, 8, 12, deaths=(5, 0, 0, 0))])
    assert rows(out, "SELECT casualty_id, killed, killed_low, killed_high FROM casualties") == [("ucdp:1:event", 9, 8, 12)]
    assert "the split by side adds up to 5, not best: counted whole" in rows(out, "SELECT note FROM casualties")[0][0]


deaths = st.integers(min_value=0, max_value=60)


@st.composite
def ged_events(draw):
    """GED events with any mix of quirks: estimates in or out of order, zeros, splits that add up or not."""
    events = []
    for event_id in range(1, draw(st.integers(min_value=1, max_value=12)) + 1):
        split = draw(st.tuples(deaths, deaths, deaths, deaths))
        best = draw(st.one_of(st.just(sum(split)), deaths))
        low, high = draw(deaths), draw(st.integers(min_value=0, max_value=200))
        events.append(ged(event_id, best, low, high, deaths=split, date_prec=draw(st.sampled_from([1, 4, 5])),
                          where_prec=draw(st.sampled_from([1, 4, 6]))))
    return events


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(events=ged_events())
def test_the_total_killed_equals_the_files_total_best_for_any_ged_file(tmp_path_factory, events):
    tmp_path = tmp_path_factory.mktemp("ged")
    out = import_ged(tmp_path, events)
    assert rows(out, "SELECT coalesce(sum(killed), 0) FROM casualties") == [(sum(event["best"] for event in events),)]
    kept_high = dict(rows(out, "SELECT event_id, max(killed_high) FROM casualties GROUP BY 1"))
    for event in events:
        shares = event["deaths_a"] + event["deaths_b"] + event["deaths_civilians"] + event["deaths_unknown"]
        split = shares > 0 and shares == event["best"]
        if not split and (event["best"] > 0 or event["high"] > 0 or event["low"] > 0):
            assert kept_high[f"ucdp:{event['id']}"] == event["high"], "an event counted whole keeps its published range"


# --- ACLED ----------------------------------------------------------------------------------------------------

ACLED_HEADER = ["event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1", "inter1",
                "actor2", "inter2", "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision",
                "source", "notes", "fatalities"]


def acled(event_id: str, fatalities="3", **fields) -> dict:
    row = {"event_id_cnty": event_id, "event_date": "2016-02-22", "year": "2016", "time_precision": "1", "event_type": "Battles",
           "sub_event_type": "Armed clash", "actor1": "Military Forces of Syria (2000-)", "inter1": "1",
           "actor2": "Islamic State (Syria)", "inter2": "2", "country": "Syria", "admin1": "Aleppo", "location": "Test place (test)",
           "latitude": "36.1", "longitude": "37.1", "geo_precision": "1", "source": "Test Source", "notes": "Synthetic test row",
           "fatalities": fatalities}
    row.update(fields)
    return row


def test_acled_codes_written_as_decimals_are_read_as_numbers(tmp_path):
    path = write_csv(tmp_path / "api.csv", ACLED_HEADER, [
        acled("SYR1", time_precision="2.0", geo_precision="1.0", inter1="6.0", actor1="Protesters (Syria)"),
        acled("SYR2", time_precision="3.0", geo_precision="3.0", inter1="1.0")])
    _, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    assert rows(out, "SELECT event_id, date_precision, location_precision FROM events ORDER BY 1") == [
        ("acled:SYR1", "week", "place"), ("acled:SYR2", "month", "governorate")]
    assert dict(rows(out, "SELECT name, kind FROM actors"))["Protesters (Syria)"] == "protesters"


def test_acled_rows_without_an_id_get_a_stable_derived_one(tmp_path):
    records = [acled("", fatalities="4", location="Place A (test)"), acled("", fatalities="5", location="Place B (test)"),
               acled("SYR3", fatalities="1")]
    path = write_csv(tmp_path / "noids.csv", ACLED_HEADER, records)
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    ids = [event_id for (event_id,) in rows(out, "SELECT event_id FROM events ORDER BY 1")]
    assert len(ids) == 3 and sum(event_id.startswith("acled:derived-") for event_id in ids) == 2
    assert rows(out, "SELECT sum(killed) FROM casualties") == [(10,)]
    assert any("2 row(s) had no event_id_cnty" in note for note in report.notes)
    again, _ = run_import(ImportRequest("acled", path, tmp_path / "again"))
    assert [event_id for (event_id,) in rows(tmp_path / "again", "SELECT event_id FROM events ORDER BY 1")] == ids


def test_a_truncated_last_record_is_refused_and_counted(tmp_path):
    path = write_csv(tmp_path / "cut.csv", ACLED_HEADER, [acled("SYR1"), acled("SYR2")])
    text = path.read_text().rstrip("\n")
    path.write_text(text[: text.rindex("Islamic State") + len("Islamic State (Sy")])  # cut inside the second record
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    assert rows(out, "SELECT event_id FROM events") == [("acled:SYR1",)]
    assert report.skipped_rows == 1 and "malformed CSV record" in report.skipped[0].reason
    assert not rows(out, "SELECT name FROM actors WHERE name LIKE '%(Sy'")


@pytest.mark.parametrize("header", [["fatalities", "Fatalities"], ["admin1", "ADMIN1 "], ["event_id_cnty", "Event_ID_Cnty"]])
def test_a_header_that_repeats_a_name_the_importer_reads_is_refused_in_one_line(tmp_path, header):
    first, second = header
    columns = [column for column in ACLED_HEADER if column != first] + [first, second]
    path = write_csv(tmp_path / "twice.csv", columns, [{**acled("SYR1"), second: "999"}])
    with pytest.raises(ImportFailed, match=rf"the header has 2 columns read as '{first}'") as failure:
        run_import(ImportRequest("acled", path, tmp_path / "out"))
    assert "\n" not in str(failure.value) and not (tmp_path / "out").exists()
    _, out = run_import(ImportRequest("acled", path, tmp_path / "out", mapping={first: first}))
    assert rows(out, "SELECT count(*) FROM events") == [(1,)], "--map chooses the column; the other is left unused"


# --- text that is not UTF-8 ----------------------------------------------------------------------------------

NAMES = ["Forces armées syriennes (test)", "Milice de Deïr ez-Zor (test)", "Brigade «Al-Quds» (test)", "Bataillon Ħ (test)"]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "latin-1"])
def test_text_that_is_not_utf8_is_read_in_its_encoding_and_no_row_is_lost(tmp_path, encoding):
    names = [name for name in NAMES if _encodable(name, encoding)]
    path = write_csv(tmp_path / f"{encoding}.csv", ACLED_HEADER,
                     [acled(f"SYR{i}", actor1=name, notes="Synthetic test row — «quoted»" if _encodable("—«", encoding) else "x")
                      for i, name in enumerate(names * 20)], encoding=encoding)
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    assert report.skipped_rows == 0
    assert sorted(name for (name,) in rows(out, "SELECT DISTINCT name FROM actors WHERE name LIKE '%(test)'")) == sorted(names)
    assert any("not UTF-8: read as" in note for note in report.notes)


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def test_a_named_encoding_is_used_and_a_wrong_one_refused(tmp_path):
    path = write_csv(tmp_path / "latin.csv", ACLED_HEADER, [acled("SYR1", actor1="Forces armées (test)")], encoding="cp1252")
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out", encoding="cp1252"))
    assert "read as cp1252 (as named with --encoding)" in " ".join(report.notes)
    assert ("Forces armées (test)",) in rows(out, "SELECT name FROM actors")
    with pytest.raises(ImportFailed, match="is not UTF-8"):
        run_import(ImportRequest("acled", path, tmp_path / "other", encoding="utf-8"))
    with pytest.raises(ImportFailed, match="not a text encoding Python knows"):
        run_import(ImportRequest("acled", path, tmp_path / "other", encoding="klingon"))


# --- casualty lists ------------------------------------------------------------------------------------------

def test_a_list_keeps_people_who_differ_only_in_columns_not_read_and_undated_ones(tmp_path):
    header = ["Name", "Sex", "Date of death", "Nationality", "Place"]
    path = write_csv(tmp_path / "list.csv", header, [
        ["Test Person A", "m", "2015-10-13", "Iranian", "Test village (test)"],
        ["Test Person A", "f", "2015-10-13", "Iranian", "Test village (test)"],  # another person: sex differs
        ["Test Person A", "m", "2015-10-13", "Iranian", "Test village (test)"],  # an exact repeat
        ["Test Person B", "m", "0000-00-00", "Afghan", ""],
        ["Test Person C", "m", "n/a", "Afghan", ""],
        ["Test Person D", "m", "00/00/0000", "Afghan", ""],
    ])
    report, out = run_import(ImportRequest("casualty-list", path, tmp_path / "out"))
    assert report.skipped_rows == 1 and report.skipped[0].reason.startswith("exact repeat of an earlier row")
    assert rows(out, "SELECT person_name, count(*) FROM casualties GROUP BY 1 ORDER BY 1") == [
        ("Test Person A", 2), ("Test Person B", 1), ("Test Person C", 1), ("Test Person D", 1)]
    assert rows(out, "SELECT count(*) FROM casualties WHERE period_start IS NULL") == [(3,)]


# --- the command: exit status and messages -------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    command = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "explorer"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120)


def test_skipped_rows_show_in_the_exit_status(tmp_path):
    path = write_csv(tmp_path / "bad.csv", ACLED_HEADER, [acled("SYR1"), acled("SYR2", fatalities="three")])
    result = _cli("import", "acled", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 3 and "1 row(s) of bad.csv were skipped" in result.stderr
    assert (tmp_path / "out" / "events").is_dir(), "written all the same"
    clean = write_csv(tmp_path / "good.csv", ACLED_HEADER, [acled("SYR1")])
    assert _cli("import", "acled", str(clean), "--out", str(tmp_path / "clean")).returncode == 0


def test_a_folder_given_as_the_file_is_named_as_one(tmp_path):
    (tmp_path / "export").mkdir()
    result = _cli("import", "acled", str(tmp_path / "export"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and result.stderr == f"error: {tmp_path / 'export'}: a folder, not a file: give the export file itself\n"


def test_the_wrong_importer_names_the_layout_even_for_a_file_already_imported(tmp_path):
    path = write_csv(tmp_path / "acled.csv", ACLED_HEADER, [acled("SYR1")])
    run_import(ImportRequest("acled", path, tmp_path / "out"))
    with pytest.raises(ImportFailed, match="acled.csv is not a recognisable UCDP GED file"):
        run_import(ImportRequest("ucdp", path, tmp_path / "out", append=True))


# --- the chart: a period figure is never stacked into its first month ---------------------------------------

async def test_year_long_rows_are_counted_apart_not_stacked_into_january(tmp_path):
    from datetime import date

    from explorer.app import ExplorerApp
    from explorer.widgets.chart import MonthlyChart
    from conftest import settle, shown_text

    out = import_ged(tmp_path, [
        ged(1, 16564, date_prec=5, where_prec=6, date_start="2016-01-01", date_end="2016-12-31", adm_1=""),
        ged(2, 7, date_start="2016-01-10", date_end="2016-01-10"),
        ged(3, 5, date_start="2016-02-03", date_end="2016-02-03"),
    ])
    with open_catalog(out) as catalog:
        app = ExplorerApp(catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            chart = app.query_one(MonthlyChart)
            while chart.basis != "incident":
                chart.cycle_basis()
            await settle(pilot)
            assert chart.data.value_at("incident", date(2016, 1, 1)) == {"unknown": 7}, "the year's deaths are not in January"
            assert chart.data.long_periods == {("incident", "UCDP GED"): (16564, 1)}
            assert "+16,564 over periods > 1 month, not drawn" in shown_text(chart).splitlines()[0]


# --- places and countries as real sources spell them --------------------------------------------------------

def test_real_spellings_of_governorates_find_their_front_and_no_place_means_no_front(tmp_path):
    spellings = {"Deir ez Zor Governorate": "Deir ez-Zor", "Al-Hasakeh": "Hasakah", "Damascus Suburbs": "Damascus/Ghouta",
                 "Hasakeh": "Hasakah", "Deir Ezzor": "Deir ez-Zor", "Dayr az Zawr": "Deir ez-Zor", "Ḥalab": "Aleppo",
                 "Unknown": None, "Other": None}
    records = [acled(f"SYR{i}", admin1=name) for i, name in enumerate(spellings)]
    records += [acled("TUN1", admin1="Kasserine", country="Tunisia"), acled("TUN2", admin1="Kasserine", country="Tunisia"),
                acled("TUN3", admin1="Kassérine", country="Tunisia"), acled("KEN1", admin1="Deir Ezzor", country="Kenya")]
    path = write_csv(tmp_path / "places.csv", ACLED_HEADER, records)
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    fronts = dict(rows(out, "SELECT event_id, front FROM events"))
    assert {name: fronts[f"acled:SYR{i}"] for i, name in enumerate(spellings)} == spellings
    assert fronts["acled:TUN1"] == fronts["acled:TUN3"] == "Kasserine", "one place, one front, as most rows spell it"
    assert fronts["acled:KEN1"] == "Deir Ezzor", "the loose rule is for Syria's places only"
    assert any("became fronts of their own: Kasserine (3), Deir Ezzor (1)" in note for note in report.notes)


def test_any_spelling_of_a_country_gives_one_name_and_one_demonym(tmp_path):
    actors = ["Government of Syria (2000- )", "Military Forces of United States", "Military Forces of Yemen (2017-) Houthi",
              "Government of Sudan (2019-)", "Military Forces of Myanmar (2021-)", "Police Forces of the Russian Federation (2000-)"]
    path = write_csv(tmp_path / "actors.csv", ACLED_HEADER, [acled(f"X{i}", actor1=name) for i, name in enumerate(actors)])
    _, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    countries = dict(rows(out, "SELECT name, country FROM actors"))
    assert [countries[name] for name in actors] == ["Syria", "United States", "Yemen", "Sudan", "Myanmar", "Russia"]

    ucdp = import_ged(tmp_path, [ged(1, 4, deaths=(4, 0, 0, 0), side_a="Government of Yemen (North Yemen)"),
                                 ged(2, 3, deaths=(3, 0, 0, 0), side_a="Government of Russia (Soviet Union)"),
                                 ged(3, 2, deaths=(2, 0, 0, 0), side_a="Government of Iran")], name="sides.csv")
    assert sorted(rows(ucdp, "SELECT DISTINCT nationality FROM casualties")) == [("Iranian",), ("Russian",), ("Yemeni",)]

    people = write_csv(tmp_path / "people.csv", ["Name", "Country"], [["Test Person A", "Saudi Arabia"], ["Test Person B", "IRAN"],
                                                                       ["Test Person C", "Yemeni"], ["Test Person D", "Côte d'Ivoire"]])
    _, listed = run_import(ImportRequest("casualty-list", people, tmp_path / "list"))
    assert dict(rows(listed, "SELECT person_name, nationality FROM casualties")) == {
        "Test Person A": "Saudi Arabian", "Test Person B": "Iranian", "Test Person C": "Yemeni", "Test Person D": "Ivorian"}


# --- parsers, as classes of input ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def macros():
    import duckdb

    from explorer.importers.mapping import load_countries
    from explorer.importers.source import create_macros

    con = duckdb.connect()
    create_macros(con)
    load_countries(con)
    return con


@settings(max_examples=200, deadline=None)
@given(code=st.integers(min_value=0, max_value=99), spelling=st.sampled_from(["{}", "{}.0", " {}.00 ", "{}.", "0{}"]))
def test_codes_read_as_numbers_whatever_their_spelling(macros, code, spelling):
    assert macros.execute("SELECT whole_number(?)", [spelling.format(code)]).fetchall() == [(code,)]


@settings(max_examples=150, deadline=None)
@given(day=st.dates(min_value=__import__("datetime").date(1990, 1, 1), max_value=__import__("datetime").date.today()),
       layout=st.sampled_from(["%Y-%m-%d", "%d-%b-%y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%d.%m.%Y", "%Y-%m-%dT00:00:00"]))
def test_day_dates_read_the_same_in_every_layout_real_exports_use(macros, day, layout):
    assert macros.execute("SELECT day_date(?)", [day.strftime(layout)]).fetchall() == [(day,)]


@pytest.mark.parametrize("text", ["13-10-15", "01-02-03", "13-Oct-65", "2099-01-01", "1066-10-14", "2020-02-31"])
def test_a_date_in_no_plausible_year_is_no_date_and_is_reported(macros, text):
    """`%Y` takes two digits and a two-digit year may land in the wrong century: such dates are refused, not misread."""
    assert macros.execute("SELECT day_date(?)", [text]).fetchall() == [(None,)]


@settings(max_examples=100, deadline=None)
@given(null=st.sampled_from(["", " ", "0000-00-00", "00/00/0000", "0", "00.00.0000", "n/a", "N/A", "unknown", "Unknown", "-", "?"]))
def test_null_dates_mean_undated(macros, null):
    assert macros.execute("SELECT no_date(?)", [null]).fetchall() == [(True,)]


spelled_country = st.sampled_from(["Syria", "Iran", "Russia", "Yemen", "United States", "Myanmar", "Sudan", "Afghanistan"])


@settings(max_examples=150, deadline=None)
@given(country=spelled_country, case=st.sampled_from([str.lower, str.upper, str.title, str]),
       dress=st.sampled_from(["{}", " {} ", "the {}", "{} (test)", "{}."]))
def test_a_country_is_found_whatever_its_case_spacing_or_parenthesis(macros, country, case, dress):
    from explorer.countries import country_name, nationality_by_country

    spelled = dress.format(case(country))
    assert macros.execute("SELECT country_of(?), nationality_of(?)", [spelled, spelled]).fetchall() == [
        (country_name(country), nationality_by_country()[country])]


@settings(max_examples=200, deadline=None)
@given(place=st.sampled_from(["Deir ez-Zor", "Hasakah", "Aleppo", "Idlib", "Raqqa", "Quneitra", "Tartus"]),
       article=st.sampled_from(["", "Al-", "al ", "Ar-", "As "]), suffix=st.sampled_from(["", " Governorate", " province", " Muhafazat"]),
       case=st.sampled_from([str.lower, str.upper, str.title, str]))
def test_a_governorate_is_found_whatever_its_article_suffix_or_case(place, article, suffix, case):
    from explorer.importers.fronts import FrontTable

    table = FrontTable()
    assert table.front(case(article + place + suffix), "Syria") == table.front(place, "Syria")
    assert table.front(place, "Syria")[1]


# --- a newer export updates the older one ----------------------------------------------------------------------

def test_a_newer_acled_export_updates_changed_events_removes_deleted_ones_and_says_so(tmp_path):
    import json

    header = ACLED_HEADER + ["timestamp"]
    first = write_csv(tmp_path / "acled-2016-03.csv", header, [
        acled("SYR1", fatalities="3", event_date="2016-01-10", timestamp="1457000000"),
        acled("SYR2", fatalities="5", event_date="2016-02-10", timestamp="1457000000"),
        acled("SYR3", fatalities="2", event_date="2016-03-10", timestamp="1457000000")])
    newer = write_csv(tmp_path / "acled-2016-06.csv", header, [
        acled("SYR1", fatalities="4", event_date="2016-01-10", timestamp="1465000000"),  # revised
        acled("SYR2", fatalities="5", event_date="2016-02-10", timestamp="1457000000"),  # the same
        acled("SYR4", fatalities="7", event_date="2016-03-20", timestamp="1465000000")])  # new; SYR3 deleted by ACLED
    out = tmp_path / "out"
    run_import(ImportRequest("acled", first, out))
    kept_first = (out / "events" / "001-acled.parquet").read_bytes()
    report, _ = run_import(ImportRequest("acled", newer, out, append=True))
    assert "updated earlier imports of this dataset: 1 new event(s), 1 changed, 1 unchanged, 1 removed as deleted by the source" in report.notes
    assert rows(out, "SELECT event_id, killed FROM casualties ORDER BY 1") == [("acled:SYR1", 4), ("acled:SYR2", 5), ("acled:SYR4", 7)]
    assert rows(out, "SELECT count(*), count(DISTINCT event_id) FROM events") == [(3, 3)]
    manifest = json.loads((out / "imports.json").read_text())
    assert manifest[1]["events"] == {"new": 1, "changed": 1, "unchanged": 1, "removed": 1}
    assert manifest[1]["countries"] == ["Syria"] and manifest[1]["first_date"] == "2016-01-10" and manifest[1]["last_date"] == "2016-03-20"
    assert manifest[0]["version"] == "rows changed up to 2016-03-03 10:13 UTC" and manifest[1]["version"].startswith("rows changed up to 2016-06")
    assert kept_first != (out / "events" / "001-acled.parquet").read_bytes(), "the earlier file was rewritten without what was superseded"

    iraq = write_csv(tmp_path / "acled-iraq.csv", header, [acled("IRQ1", country="Iraq", admin1="Nineveh", event_date="2016-02-01")])
    report, _ = run_import(ImportRequest("acled", iraq, out, append=True))
    assert rows(out, "SELECT count(*) FROM events") == [(4,)], "an export of another country removes nothing"


def test_a_newer_ucdp_release_updates_the_older_one(tmp_path):
    import json

    older = write_csv(tmp_path / "GEDEvent_v25_1.csv", list(GED_COLUMNS), [ged(1, 10), ged(2, 4, deaths=(4, 0, 0, 0))])
    newer = write_csv(tmp_path / "GEDEvent_v25_2.csv", list(GED_COLUMNS), [ged(1, 12, 10, 15), ged(2, 4, deaths=(4, 0, 0, 0))])
    out = tmp_path / "out"
    run_import(ImportRequest("ucdp", older, out))
    report, _ = run_import(ImportRequest("ucdp", newer, out, append=True))
    assert rows(out, "SELECT sum(killed) FROM casualties") == [(16,)]
    assert rows(out, "SELECT killed, killed_low, killed_high FROM casualties WHERE event_id = 'ucdp:1'") == [(12, 10, 15)]
    manifest = json.loads((out / "imports.json").read_text())
    assert [entry["version"] for entry in manifest] == ["GED 25.1", "GED 25.2"]
    assert manifest[1]["events"] == {"new": 0, "changed": 1, "unchanged": 1, "removed": 0}


def test_of_two_spellings_of_one_field_the_usual_one_is_read(tmp_path):
    columns = [column for column in ACLED_HEADER if column != "event_id_cnty"] + ["event_id", "event_id_cnty"]
    path = write_csv(tmp_path / "ids.csv", columns, [{**acled("SYR1"), "event_id": "999"}])
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    assert rows(out, "SELECT event_id FROM events") == [("acled:SYR1",)]
    assert any(note.startswith("column(s) not used: ") and "event_id" in note for note in report.notes)


# --- found by trying the importers on files nobody here wrote ---------------------------------------------

def test_names_in_other_scripts_or_of_punctuation_never_become_another_country(tmp_path):
    people = write_csv(tmp_path / "people.csv", ["Name", "Nationality"], [
        ["Test Person A", "ایرانی"], ["Test Person B", "-"], ["Test Person C", "?"], ["Test Person D", "Иран"], ["Test Person E", "Unknown"]])
    _, out = run_import(ImportRequest("casualty-list", people, tmp_path / "out"))
    assert dict(rows(out, "SELECT person_name, nationality FROM casualties")) == {
        "Test Person A": "ایرانی", "Test Person B": None, "Test Person C": None, "Test Person D": "Иран", "Test Person E": None}
    path = write_csv(tmp_path / "actors.csv", ACLED_HEADER, [acled("X1", actor1="Government of ایران"), acled("X2", actor1="Civilians (?)")])
    _, actors = run_import(ImportRequest("acled", path, tmp_path / "actors"))
    countries = dict(rows(actors, "SELECT name, country FROM actors"))
    assert countries["Government of ایران"] == "ایران" and countries["Civilians (?)"] is None


def test_governorates_in_arabic_script_find_their_front(tmp_path):
    path = write_csv(tmp_path / "ar.csv", ACLED_HEADER, [acled("X1", admin1="دير الزور"), acled("X2", admin1="حلب"),
                                                        acled("X3", admin1="Saada", country="Yemen")])
    _, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    assert dict(rows(out, "SELECT event_id, front FROM events")) == {"acled:X1": "Deir ez-Zor", "acled:X2": "Aleppo", "acled:X3": "Saada"}


def test_a_row_the_newer_export_could_not_read_keeps_its_earlier_copy(tmp_path):
    first = write_csv(tmp_path / "a.csv", ACLED_HEADER, [acled(f"SYR{i}", event_date=f"2016-01-{i:02}") for i in range(1, 5)])
    newer = write_csv(tmp_path / "b.csv", ACLED_HEADER, [acled("SYR1", event_date="2016-01-01"), acled("SYR2", event_date="2016-01-02"),
                                                        acled("SYR3", event_date="2016-02-31"), acled("SYR4", event_date="2016-01-04", fatalities="9")])
    out = tmp_path / "out"
    run_import(ImportRequest("acled", first, out))
    report, _ = run_import(ImportRequest("acled", newer, out, append=True))
    assert rows(out, "SELECT event_id, killed FROM casualties ORDER BY 1") == [
        ("acled:SYR1", 3), ("acled:SYR2", 3), ("acled:SYR3", 3), ("acled:SYR4", 9)]
    assert "1 event(s) whose row in this file was skipped keep their earlier copy" in report.notes


def test_an_export_filtered_by_actor_removes_nothing(tmp_path):
    first = write_csv(tmp_path / "a.csv", ACLED_HEADER, [acled("SYR1"), acled("SYR2", actor1="Hezbollah (test)", actor2="")])
    narrower = write_csv(tmp_path / "b.csv", ACLED_HEADER, [acled("SYR1", fatalities="4")])
    out = tmp_path / "out"
    run_import(ImportRequest("acled", first, out))
    report, _ = run_import(ImportRequest("acled", narrower, out, append=True))
    assert rows(out, "SELECT event_id, killed FROM casualties ORDER BY 1") == [("acled:SYR1", 4), ("acled:SYR2", 3)]
    assert any("1 earlier event(s) of ACLED that this file lacks were kept: this export does not cover" in note for note in report.notes)


def test_an_unclosed_quote_that_swallows_records_counts_every_one_lost(tmp_path):
    records = [acled(f"SYR{i}", notes="a note, with a comma" if i % 50 == 0 else "plain") for i in range(1, 30001)]
    path = write_csv(tmp_path / "big.csv", ACLED_HEADER, records)
    text = path.read_text().replace("SYR25001,2016", "SYR25001,2016", 1)
    line = next(row for row in text.splitlines() if row.startswith("SYR25001,"))
    path.write_text(text.replace(line, line.replace(",plain,", ',"plain, never closed,', 1)))
    report, out = run_import(ImportRequest("acled", path, tmp_path / "out"))
    imported = rows(out, "SELECT count(*) FROM events")[0][0]
    assert report.file_rows == 30000 and imported + report.skipped_rows == 30000 and report.skipped_rows > 1
    assert any("an unclosed quote joined" in group.reason for group in report.skipped)


def test_a_utf8_file_with_a_few_legacy_lines_and_an_arabic_code_page_file_are_both_read_whole(tmp_path):
    mixed = tmp_path / "mixed.csv"
    write_csv(mixed, ACLED_HEADER, [acled("X1", actor1="Forces armées (test)"), acled("X2", actor1="Milice «Al-Quds» (test)")])
    pasted = ",".join(acled("X3", actor1="Sécurité (test)").get(column, "") for column in ACLED_HEADER) + "\r\n"
    mixed.write_bytes(mixed.read_bytes() + pasted.encode("cp1252"))
    report, out = run_import(ImportRequest("acled", mixed, tmp_path / "out"))
    assert sorted(name for (name,) in rows(out, "SELECT name FROM actors WHERE name LIKE '%(test)'")) == [
        "Forces armées (test)", "Milice «Al-Quds» (test)", "Sécurité (test)"]
    assert any("1 line(s) of the file are not UTF-8: read as cp1252" in note for note in report.notes)
    arabic = write_csv(tmp_path / "ar.csv", ACLED_HEADER, [acled(f"A{i}", actor1="قوات الدفاع الوطني (test)", notes="اشتباكات في حلب")
                                                          for i in range(30)], encoding="cp1256")
    _, out = run_import(ImportRequest("acled", arabic, tmp_path / "ar"))
    assert ("قوات الدفاع الوطني (test)",) in rows(out, "SELECT name FROM actors")


def test_typed_parquet_reads_like_its_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datetime import datetime, timezone

    table = pa.table({"id": pa.array([1.0, 2.0]), "type_of_violence": pa.array([1.0, 3.0]), "side_a": ["Government of Syria", "IS"],
                      "side_b": ["IS", "Civilians"], "best": pa.array([5.0, 2.0]), "country": ["Syria", "Syria"],
                      "date_start": pa.array([datetime(2016, 2, 22, tzinfo=timezone.utc), datetime(2016, 2, 23, tzinfo=timezone.utc)])})
    pq.write_table(table, tmp_path / "ged.parquet")
    _, out = run_import(ImportRequest("ucdp", tmp_path / "ged.parquet", tmp_path / "out"))
    assert rows(out, "SELECT event_id, date::VARCHAR, event_type FROM events ORDER BY 1") == [
        ("ucdp:1", "2016-02-22", "state-based conflict"), ("ucdp:2", "2016-02-23", "one-sided violence")]


def test_the_same_rows_saved_again_are_refused_like_the_same_file(tmp_path):
    path = write_csv(tmp_path / "list.csv", ["Name", "Date"], [["Test Person A", "2015-10-13"], ["Test Person B", "2015-10-14"]])
    run_import(ImportRequest("casualty-list", path, tmp_path / "out"))
    resaved = tmp_path / "list-again.csv"
    resaved.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))  # saved again with other line ends
    import gzip

    for copy in (resaved, tmp_path / "list.csv.gz"):
        if copy.suffix == ".gz":
            copy.write_bytes(gzip.compress(path.read_bytes()))
        with pytest.raises(ImportFailed, match="holds the same rows as list.csv, already imported"):
            run_import(ImportRequest("casualty-list", copy, tmp_path / "out", append=True))


def test_of_two_aliases_of_one_field_the_first_listed_is_read(tmp_path):
    path = write_csv(tmp_path / "list.csv", ["Name", "Region", "Province"], [["Test Person A", "North (test)", "Aleppo"]])
    report, out = run_import(ImportRequest("casualty-list", path, tmp_path / "out"))
    assert rows(out, "SELECT front FROM casualties") == [("Aleppo",)]
    assert any(note.startswith("column(s) not used: Region") for note in report.notes)
