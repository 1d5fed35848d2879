"""Importers over fixture files we wrote in each known layout: what lands in the directory, what is skipped and why."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from explorer.db import queries
from explorer.db.catalog import open_catalog
from explorer.db.check import check_data_dir
from explorer.db.errors import ImportFailed
from explorer.db.filters import Filters
from explorer.importers import output as output_module
from explorer.importers.progress import Progress
from explorer.importers.run import ImportRequest, run_import
from conftest import fingerprint, shown_text

FIXTURES = Path(__file__).parent / "fixtures" / "importers"


def imported(importer: str, name: str, out: Path, **options) -> tuple[list[str], Path]:
    report, written = run_import(ImportRequest(importer, FIXTURES / name, out, **options))
    assert not check_data_dir(written).problems
    return report.lines(), written


def rows(directory: Path, sql: str, params=()) -> list[tuple]:
    with open_catalog(directory) as catalog:
        return catalog.cursor().execute(sql, list(params)).fetchall()


@pytest.fixture(autouse=True)
def inputs_unchanged():
    """No importer ever writes to its input."""
    before = fingerprint(FIXTURES)
    yield
    assert fingerprint(FIXTURES) == before


# --- ACLED ----------------------------------------------------------------------------

def test_acled_website_export(tmp_path):
    lines, out = imported("acled", "acled_website.csv", tmp_path / "out")
    assert lines[0] == "read 5 rows; imported 5, skipped 0"
    assert rows(out, "SELECT event_id, date::VARCHAR, date_precision, front, location_precision FROM events ORDER BY event_id") == [
        ("acled:SYR90001", "2016-02-22", "day", "Aleppo", "place"),
        ("acled:SYR90002", "2016-02-23", "day", "Idlib", "district"),
        ("acled:SYR90003", "2016-03-03", "week", "Hama", "place"),
        ("acled:SYR90004", "2016-03-10", "day", "Damascus/Ghouta", "place"),
        ("acled:SYR90005", "2016-03-15", "month", "Deir ez-Zor", "governorate"),
    ]
    # one incident row per event with fatalities: no actor, no nationality, linked to its event
    assert rows(out, "SELECT casualty_id, kind, event_id, killed, killed_qualifier, actor_id, nationality FROM casualties ORDER BY 1") == [
        ("acled:SYR90001", "incident", "acled:SYR90001", 7, "at least", None, None),
        ("acled:SYR90002", "incident", "acled:SYR90002", 3, "at least", None, None),
        ("acled:SYR90005", "incident", "acled:SYR90005", 2, "at least", None, None),
    ]
    assert rows(out, "SELECT description FROM events WHERE event_id = 'acled:SYR90005'") == [("Synthetic test row,\nspanning two lines.",)]
    actors = {row[0]: row[1:] for row in rows(out, "SELECT name, short_name, kind, country, parent_id FROM actors")}
    assert actors["Military Forces of Iran (1989-) Islamic Revolutionary Guard Corps"] == (
        "Islamic Revolutionary Guard Corps", "state armed force", "Iran", "acled:Military Forces of Iran (1989-)")
    assert actors["Military Forces of Iran (1989-)"][2] == "Iran"  # the parent, added so the hierarchy holds
    assert actors["Military Forces of Russia (2000-)"][1:3] == ("external/other force", "Russia")
    assert actors["Civilians (Syria)"][1:3] == ("civilians", "Syria")
    assert actors["Unidentified Armed Group (Syria)"][2] is None  # a place of operation, not a nationality
    assert actors["Hezbollah"][1] is None  # only ever an associated actor: ACLED gives it no type
    assert rows(out, "SELECT list_sort(actor_ids) FROM events WHERE event_id = 'acled:SYR90001'") == [(sorted([
        "acled:Military Forces of Iran (1989-) Islamic Revolutionary Guard Corps", "acled:Military Forces of Syria (2000-)",
        "acled:Hezbollah", "acled:Jabhat Fateh al-Sham"]),)]
    assert any(line.startswith("note: column(s) not used: data_id, iso") for line in lines)


def test_acled_api_export_with_text_inter_codes(tmp_path):
    _, out = imported("acled", "acled_api.csv", tmp_path / "out")
    kinds = dict(rows(out, "SELECT name, kind FROM actors"))
    assert kinds["Military Forces of Russia (2000-)"] == "external/other force"
    assert kinds["Jaish al-Fatah"] == "rebel group"
    assert kinds["Civilians (Syria)"] == "civilians"
    assert rows(out, "SELECT front FROM events WHERE event_id = 'acled:SYR90007'") == [("Homs/Palmyra",)]


def test_acled_legacy_upper_case_layout(tmp_path):
    lines, out = imported("acled", "acled_legacy.csv", tmp_path / "out")
    assert rows(out, "SELECT event_id, date::VARCHAR, front, title FROM events ORDER BY 1") == [
        ("acled:SYR80001", "2016-02-22", "Latakia", "Battle-No change of territory in Kabani (test)"),
        ("acled:SYR80002", "2016-03-01", "Hawran/Daraa/Quneitra", "Remote violence in Dar'a (test)"),
    ]
    # ALLY_ACTOR_1 is read as assoc_actor_1
    assert "acled:Military Forces of Russia (2000-)" in rows(out, "SELECT actor_ids FROM events WHERE event_id = 'acled:SYR80001'")[0][0]
    assert "note: optional column(s) not in the file: sub_event_type, timestamp" in lines


@pytest.mark.parametrize("kind", ["gzip", "parquet"])
def test_compressed_and_parquet_inputs_import_like_the_csv(tmp_path, kind):
    source = FIXTURES / "acled_website.csv"
    if kind == "gzip":
        converted = tmp_path / "export.csv.gz"
        duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true)) TO '{converted}' (HEADER, COMPRESSION gzip)")
    else:
        converted = tmp_path / "export.parquet"
        duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{source}')) TO '{converted}' (FORMAT parquet)")
    _, from_csv = imported("acled", "acled_website.csv", tmp_path / "from-csv")
    report, other = run_import(ImportRequest("acled", converted, tmp_path / "other"))
    query = "SELECT * EXCLUDE (dataset) FROM events ORDER BY event_id"
    assert rows(other, query) == rows(from_csv, query)
    assert rows(other, "SELECT * FROM casualties ORDER BY 1") == rows(from_csv, "SELECT * FROM casualties ORDER BY 1")
    if kind == "parquet":
        assert report.unit == "row"


def test_acled_bad_rows_are_counted_by_reason_with_line_numbers(tmp_path):
    lines, out = imported("acled", "acled_bad.csv", tmp_path / "out")
    assert lines[0] == "read 8 rows; imported 2, skipped 6"
    skipped = sorted(line for line in lines if line.startswith("skipped"))
    assert skipped == sorted([
        "skipped 1 row(s): malformed CSV record (too many columns) (line 7: 'SYR70006,2016-05-06,2016,1,Political violence,Battles,Armed…')",
        "skipped 1 row(s): event date not recognised (use 2020-02-22, 22-Feb-20 or 22 February 2020) (line 3: '2016-02-31')",
        "skipped 1 row(s): fatalities not a whole number (0 to 2,147,483,647) (line 4: 'three')",
        "skipped 1 row(s): repeats an event id (event_id_cnty) already read (line 5: same as line 2)",
        "skipped 1 row(s): no actor1 (line 6: (empty))",
        "skipped 1 row(s): latitude / longitude not a coordinate (line 8: '999, 37.1')",
    ])
    # the row after the malformed one keeps its own line number, and the first of a repeated id is kept
    assert rows(out, "SELECT event_id, killed FROM events JOIN casualties USING (event_id) ORDER BY 1") == [
        ("acled:SYR70001", 2), ("acled:SYR70008", 1)]


def test_unknown_layout_lists_the_expected_columns_and_writes_nothing(tmp_path):
    with pytest.raises(ImportFailed) as failure:
        run_import(ImportRequest("acled", FIXTURES / "not_a_known_layout.csv", tmp_path / "out"))
    message = str(failure.value)
    assert "\n" not in message
    assert "not a recognisable ACLED export" in message
    assert "lacks the required column(s) event_date, event_type, actor1, fatalities" in message
    assert "found: when, where, what" in message
    assert list(tmp_path.iterdir()) == []


def test_a_ucdp_file_is_not_taken_for_acled(tmp_path):
    with pytest.raises(ImportFailed, match="lacks the required column"):
        run_import(ImportRequest("acled", FIXTURES / "ucdp_ged.csv", tmp_path / "out"))


# --- UCDP GED ---------------------------------------------------------------------------

def test_ucdp_ged_deaths_split_by_side(tmp_path):
    _, out = imported("ucdp", "ucdp_ged.csv", tmp_path / "out")
    shares = rows(out, """
        SELECT casualty_id, actor_id, nationality, killed, killed_low, killed_high FROM casualties ORDER BY 1""")
    assert shares == [
        ("ucdp:990001:a", "ucdp:Government of Syria", "Syrian", 3, None, None),
        ("ucdp:990001:b", "ucdp:IS", None, 5, None, None),
        ("ucdp:990001:civilians", "ucdp:Civilians", None, 1, None, None),
        ("ucdp:990002:civilians", "ucdp:Civilians", None, 4, 4, 6),
        ("ucdp:990003:a", "ucdp:Government of Iran", "Iranian", 20, 15, 30),
        ("ucdp:990004:unknown", None, None, 2, 2, 2),
    ]
    # the shares of an event add up to its best estimate, and every share says so
    assert rows(out, "SELECT sum(killed) FROM casualties WHERE event_id = 'ucdp:990001'") == [(9,)]
    assert rows(out, "SELECT note FROM casualties WHERE casualty_id = 'ucdp:990001:b'")[0][0] == (
        "UCDP deaths of side_b; the event: best 9 (low 8, high 12); UCDP date_prec 1, where_prec 1")
    assert rows(out, "SELECT event_id, event_type, date_precision, location_precision, end_date::VARCHAR, front FROM events ORDER BY 1") == [
        ("ucdp:990001", "state-based conflict", "day", "place", None, "Aleppo"),
        ("ucdp:990002", "one-sided violence", "day", "place", None, "Idlib"),
        ("ucdp:990003", "state-based conflict", "year", "country", "2016-12-31", None),
        ("ucdp:990004", "non-state conflict", "month", "governorate", "2016-03-31", "Hama"),
    ]
    assert dict(rows(out, "SELECT name, country FROM actors WHERE kind = 'government'")) == {
        "Government of Syria": "Syria", "Government of Russia (Soviet Union)": "Russia", "Government of Iran": "Iran"}


def test_ucdp_imprecise_rows_can_be_left_out(tmp_path):
    """A year-long, country-wide tally must not pile into one month when the analyst leaves out imprecise rows."""
    _, out = imported("ucdp", "ucdp_ged.csv", tmp_path / "out")
    with open_catalog(out) as catalog:
        con = catalog.cursor()
        shown = {row["occurrence_id"] for row in queries.casualty_occurrences(con, Filters()).to_pylist()}
        precise = {row["occurrence_id"] for row in queries.casualty_occurrences(con, Filters(include_imprecise=False)).to_pylist()}
    assert "ucdp:990003:a" in shown
    assert precise == shown - {"ucdp:990003:a"}


def test_ucdp_candidate_without_header(tmp_path):
    lines, out = imported("ucdp", "ucdp_candidate_no_header.csv", tmp_path / "out")
    assert "note: the file has no header row: read with the known column order" in lines
    assert rows(out, "SELECT event_id, front, date_precision FROM events ORDER BY 1") == [
        ("ucdp:995001", "Homs/Palmyra", "day"), ("ucdp:995002", "Homs/Palmyra", "week")]
    assert rows(out, "SELECT casualty_id, killed FROM casualties ORDER BY 1") == [
        ("ucdp:995001:a", 2), ("ucdp:995001:b", 6), ("ucdp:995002:civilians", 3)]


def test_ucdp_trimmed_download_without_the_split(tmp_path):
    lines, out = imported("ucdp", "ucdp_trimmed.csv", tmp_path / "out")
    assert any(line.startswith("note: optional column(s) not in the file: date_prec, where_prec") for line in lines)
    assert "skipped 1 row(s): date_end before date_start (line 3: '2016-04-03 → 2016-04-01')" in lines
    # best_est / low_est / high_est are read as best / low / high; with no split the whole event is one row.
    # A best outside its own range is UCDP's figure all the same: imported as published, and said so.
    assert rows(out, "SELECT casualty_id, actor_id, killed, killed_low, killed_high FROM casualties ORDER BY 1") == [
        ("ucdp:996001:event", None, 5, 4, 9), ("ucdp:996003:event", None, 5, 7, 9)]
    assert "best lies outside low–high" in rows(out, "SELECT note FROM casualties WHERE casualty_id = 'ucdp:996003:event'")[0][0]


# --- casualty lists ------------------------------------------------------------------------

def test_casualty_list_from_a_spreadsheet(tmp_path):
    lines, out = imported("casualty-list", "casualty_list.csv", tmp_path / "out")
    assert lines[0] == "read 8 rows; imported 5, skipped 3"
    assert "skipped 1 row(s): exact repeat of an earlier row (every column of the file the same) (line 8: same as line 2)" in lines
    assert "skipped 1 row(s): no name (line 7: (empty))" in lines
    assert any(line.startswith("skipped 1 row(s): date not recognised") and "(line 6: 'sometime in autumn')" in line for line in lines)
    people = {row[0]: row[1:] for row in rows(out, """
        SELECT person_name, kind, nationality, ranks, actor_id, front, period_start::VARCHAR, period_end::VARCHAR, date_precision, source
        FROM casualties""")}
    assert people["Test Person One"] == ("individual", "Iranian", "Brigadier General (test)", "list:IRGC Quds Force", "Aleppo",
                                         "2015-10-13", "2015-10-13", "day", "Test Source 1")
    assert people["Test Person Two"][5:8] == ("2015-10-01", "2015-10-31", "month")
    assert people["Test Person Three"][1] == "Pakistani"
    assert people["Test Person Three"][4:] == ("Hawran/Daraa/Quneitra", "2016-01-01", "2016-12-31", "year", "casualty list casualty_list.csv")
    assert people["Test Person Four"][1] == "Iranian"  # a demonym stays as it is
    assert people["Test Person Six"][5:8] == (None, None, None)  # no date: kept, undated
    assert rows(out, "SELECT note FROM casualties WHERE person_name = 'Test Person One'") == [("cause: killed in action",)]
    assert dict(rows(out, "SELECT name, description FROM actors"))["IRGC Quds Force"] == (
        "named as the affiliation of 2 people in casualty_list.csv")
    assert rows(out, "SELECT DISTINCT dataset FROM casualties") == [("casualty list casualty_list",)]


def test_casualty_list_columns_mapped_by_hand(tmp_path):
    lines, out = imported("casualty-list", "casualty_list_semicolons.csv", tmp_path / "out",
                          mapping={"Killed": "date", "Nation": "nationality", "Where": "location"})
    assert rows(out, "SELECT person_name, nationality, period_start::VARCHAR, location FROM casualties ORDER BY 1") == [
        ("Test Person Eight", "Russian", "2016-02-03", "Latakia (test)"),
        ("Test Person Seven", "Russian", "2016-02-01", "Latakia (test)"),
    ]
    assert not any("not used" in line for line in lines)


@pytest.mark.parametrize("mapping, message", [
    ({"Died": "date"}, "has no column 'Died'"),
    ({"Killed": "birthday"}, "'birthday' is not a field"),
])
def test_bad_column_mapping_is_one_line(tmp_path, mapping, message):
    with pytest.raises(ImportFailed, match=message):
        run_import(ImportRequest("casualty-list", FIXTURES / "casualty_list_semicolons.csv", tmp_path / "out", mapping=mapping))


# --- fronts -----------------------------------------------------------------------------

def test_fronts_file_overrides_and_unmapped_admin1_are_reported(tmp_path):
    lines, out = imported("acled", "acled_website.csv", tmp_path / "out", fronts_file=FIXTURES / "fronts_override.csv")
    fronts = dict(rows(out, "SELECT admin1, front FROM events"))
    assert fronts["Aleppo"] == "Northern front"
    assert fronts["Hama"] == "Hama/central"
    assert fronts["Idleb"] == "Idlib"  # ours, where the file says nothing
    assert not any("front table" in line for line in lines)


def test_admin1_outside_the_front_table_becomes_its_own_front(tmp_path):
    source = tmp_path / "elsewhere.csv"
    source.write_text((FIXTURES / "acled_api.csv").read_text().replace("Aleppo,", "Kharkiv Oblast,"))
    report, out = run_import(ImportRequest("acled", source, tmp_path / "out"))
    assert "note: 1 admin1 value(s) are not in the front table and became fronts of their own: Kharkiv Oblast (1) " \
           "(map them with --fronts FILE)" in report.lines()
    assert rows(out, "SELECT front FROM events WHERE admin1 = 'Kharkiv Oblast'") == [("Kharkiv Oblast",)]


@pytest.mark.parametrize("content, message", [
    ("where,front\nAleppo,North\n", "expected a CSV with a header row admin1,front"),
    (None, "cannot read it"),
])
def test_bad_fronts_file(tmp_path, content, message):
    fronts = tmp_path / "fronts.csv"
    if content is not None:
        fronts.write_text(content)
    with pytest.raises(ImportFailed, match=message):
        run_import(ImportRequest("acled", FIXTURES / "acled_api.csv", tmp_path / "out", fronts_file=fronts))


# --- the output directory -------------------------------------------------------------

def test_append_keeps_datasets_apart_and_skips_what_is_already_there(tmp_path):
    out = tmp_path / "out"
    imported("acled", "acled_website.csv", out)
    lines, _ = imported("acled", "acled_api.csv", out, append=True)
    # a second export of the same dataset updates the event both hold; it covers less than the first, so removes nothing
    assert any(line.startswith("note: updated earlier imports of this dataset: 2 new event(s), 1 changed, 0 unchanged, 0 removed")
               for line in lines)
    imported("ucdp", "ucdp_ged.csv", out, append=True)
    assert sorted(path.name for path in (out / "events").iterdir()) == ["001-acled.parquet", "002-acled.parquet", "003-ucdp.parquet"]
    assert rows(out, "SELECT count(*), count(DISTINCT actor_id) FROM actors") == [(18, 18)]
    assert rows(out, "SELECT dataset, count(*), count(DISTINCT event_id) FROM events GROUP BY 1 ORDER BY 1") == [
        ("ACLED", 7, 7), ("UCDP GED", 4, 4)]
    # the same occurrence is never summed across datasets: every aggregate keeps them apart
    with open_catalog(out) as catalog:
        by_dataset = {row["dataset"] for row in queries.casualty_pivot(catalog.cursor(), Filters(), "incident").to_pylist()}
    assert by_dataset == {"ACLED", "UCDP GED"}

    before = fingerprint(out)
    with pytest.raises(ImportFailed, match=r"acled_api.csv was already imported into .* \(as 002-acled\)"):
        run_import(ImportRequest("acled", FIXTURES / "acled_api.csv", out, append=True))
    assert fingerprint(out) == before


def test_append_to_a_directory_of_single_table_files(tmp_path, data_copy):
    imported("casualty-list", "casualty_list.csv", data_copy, append=True)
    assert sorted(path.name for path in (data_copy / "casualties").iterdir()) == ["001-casualty-list.parquet", "casualties.parquet"]
    assert rows(data_copy, "SELECT count(*) FROM casualties WHERE dataset = 'casualty list casualty_list'") == [(5,)]


def test_existing_directory_is_never_changed_without_append_or_force(tmp_path):
    out = tmp_path / "out"
    imported("acled", "acled_website.csv", out)
    before = fingerprint(out)
    with pytest.raises(ImportFailed, match="already exists; add --append .* or --force"):
        run_import(ImportRequest("acled", FIXTURES / "acled_api.csv", out))
    assert fingerprint(out) == before
    imported("acled", "acled_api.csv", out, force=True)
    assert rows(out, "SELECT count(*) FROM events") == [(3,)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]  # no temporary directory left beside it


def test_force_refuses_a_folder_that_is_not_a_data_directory(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "thesis.txt").write_text("my work")
    with pytest.raises(ImportFailed, match="is not a data directory; refusing to replace it"):
        run_import(ImportRequest("acled", FIXTURES / "acled_api.csv", folder, force=True))
    assert (folder / "thesis.txt").read_text() == "my work"


def test_input_inside_the_output_directory_is_refused(tmp_path):
    out = tmp_path / "out"
    imported("acled", "acled_website.csv", out)
    inside = out / "export.csv"
    shutil.copy(FIXTURES / "acled_api.csv", inside)
    with pytest.raises(ImportFailed, match="is inside the output directory"):
        run_import(ImportRequest("acled", inside, out, force=True))
    assert inside.is_file()


def test_an_interrupted_import_leaves_the_previous_contents_intact(tmp_path, monkeypatch):
    out = tmp_path / "out"
    imported("acled", "acled_website.csv", out)
    before = fingerprint(out)
    written = []
    real_write = output_module.OutputDirectory.write

    def write_then_interrupt(self, con, table, sql):
        if written:
            raise KeyboardInterrupt
        written.append(table)
        return real_write(self, con, table, sql)

    monkeypatch.setattr(output_module.OutputDirectory, "write", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_import(ImportRequest("acled", FIXTURES / "acled_api.csv", out, append=True))
    assert written == ["events"]
    assert fingerprint(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


def test_progress_bar_on_a_terminal(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    run_import(ImportRequest("acled", FIXTURES / "acled_website.csv", tmp_path / "out"), Progress(screen))
    drawn = screen.getvalue()
    assert "reading acled_website.csv" in drawn and "writing casualties" in drawn
    assert "100%" in drawn


async def test_the_explorer_opens_an_imported_directory(tmp_path):
    """ACLED and UCDP side by side in the real app: the timeline, the actors and the casualties with their datasets."""
    from textual.widgets import Tree

    from explorer.app import ExplorerApp
    from explorer.widgets.chart import MonthlyChart
    from explorer.widgets.record_table import RecordTable
    from conftest import settle, tab_label

    out = tmp_path / "out"
    imported("acled", "acled_website.csv", out)
    imported("ucdp", "ucdp_ged.csv", out, append=True)
    with open_catalog(out) as catalog:
        app = ExplorerApp(catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert tab_label(app, "timeline") == "1 Timeline 9"
            assert tab_label(app, "casualties") == "3 Casualties 9 reports"
            events = app.query_one("#events", RecordTable)
            assert {record["event_id"] for record in events.records} >= {"acled:SYR90001", "ucdp:990001"}
            # the chart draws one dataset at a time: b steps from ACLED's incidents to UCDP's, never stacking them
            chart = app.query_one(MonthlyChart)
            february = date(2016, 2, 1)
            while chart.basis != "incident":
                await pilot.press("b")
            assert chart.shown_dataset == "ACLED"
            assert chart.data.value_at("incident", february, "ACLED") == {"unknown": 10}
            assert shown_text(chart).startswith("Incidents · ACLED: killed/month")
            await pilot.press("b")
            assert (chart.basis, chart.shown_dataset) == ("incident", "UCDP GED")
            assert chart.data.value_at("incident", february, "UCDP GED") == {"Syrian": 3, "unknown": 10}
            assert shown_text(chart).startswith("Incidents · UCDP GED: killed/month")
            await pilot.press("b")
            assert chart.basis == "individual"
            await pilot.press("3")
            await settle(pilot)
            table = app.query_one("#casualty-table", RecordTable)
            assert [column.label for column in table.record_columns][-1] == "Dataset"
            assert {record["dataset"] for record in table.records} == {"ACLED", "UCDP GED"}
            assert len(table.records) == 9
            await pilot.press("2")
            await settle(pilot)
            labels = [str(node.label) for node in app.query_one("#actor-tree", Tree).root.children[0].children]
            assert any(label.startswith("Government of Iran ") and label.endswith("government · Iran") for label in labels)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"event_id_cnty,event_date,event_type,actor1,fatalities\n", "acled.csv has no rows to import (only a header)"),
    (b"event_id_cnty,event_date,event_type,actor1,fatalities\nX1,someday,Battles,Army,1\nX2,never,Battles,Army,2\n",
     "none of the 2 rows of acled.csv could be imported: 2 event date not recognised"),
    (bytes(range(256)) * 40, "not a CSV, gzip-compressed CSV or Parquet file"),
])
def test_a_file_with_nothing_to_import_is_refused_and_writes_nothing(tmp_path, content, message):
    source = tmp_path / "acled.csv"
    source.write_bytes(content)
    with pytest.raises(ImportFailed, match=re.escape(message)) as failure:
        run_import(ImportRequest("acled", source, tmp_path / "out"))
    assert "\n" not in str(failure.value)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["acled.csv"]
