"""Citing what you found: a view copied and reopened, citations, source links, and exports that carry their provenance."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import DATA_DIR, fingerprint, settle, tab_label
from textual.widgets import Input, Static, TabbedContent

from explorer import export
from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog
from explorer.db.filters import Filters
from explorer.format import period
from explorer.panes.casualties import CasualtiesPane
from explorer.view_spec import ViewSpec, decode, encode
from explorer.widgets.chart import MonthlyChart
from explorer.widgets.record_table import RecordTable
from explorer.widgets.screens import ExportScreen

IRANIAN = frozenset({"Iranian"})


def state(app: ExplorerApp) -> dict:
    """What a person sees of the view: the filter's summary, the pane, its table's sort and selected row, the bases."""
    pane_id = app.query_one(TabbedContent).active.removeprefix("tab-")
    table = app.query_one(f"#{pane_id}").current_table() if pane_id != "sql" else None
    return {
        "summary": str(app.query_one("#filter-summary", Static).render()),
        "pane": pane_id,
        "basis": (app.query_one(MonthlyChart).basis, app.query_one(MonthlyChart).shown_dataset),
        "kind": app.query_one(CasualtiesPane).kind,
        "pivot": app.query_one(CasualtiesPane).pivot,
        "sort": (table.sort_column, table.sort_reverse) if table else None,
        "selected": app.query_one(f"#{pane_id}").selected_key() if pane_id != "sql" else None,
        "row": table.get_row_at(table.cursor_row) if table else None,
    }


async def copied_spec(app, pilot) -> str:
    await pilot.press("V")
    await settle(pilot)
    return app.clipboard


@pytest.mark.parametrize(("pane", "pivot"), [("timeline", False), ("casualties", False), ("casualties", True), ("actors", False)])
async def test_a_copied_view_reopens_the_same_in_a_new_app(catalog, pane, pivot):
    first = ExplorerApp(catalog)
    async with first.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        first.filters = Filters(date_from=date(2015, 10, 1), date_to=date(2016, 5, 31), nationalities=IRANIAN | {None},
                                include_imprecise=False)
        await settle(pilot)
        await pilot.press("b", "b", "b")  # a basis chosen by hand (individuals: each dataset in turn)
        await pilot.press({"timeline": "1", "casualties": "3", "actors": "2"}[pane])
        await settle(pilot)
        if pane == "casualties":
            await pilot.press("c", *(["p"] if pivot else []))  # tallies, or their pivot
            await settle(pilot)
        if pane != "actors":
            await pilot.press("s", "s", "S")  # the second column, reversed
            await settle(pilot)
        await pilot.press("down", "down", "down")
        await settle(pilot)
        before = state(first)
        spec = await copied_spec(first, pilot)
    assert spec.startswith("view=1&pane=" + pane) and "nat=Iranian,~" in spec and "imprecise=out" in spec
    assert before["selected"] is not None

    second = ExplorerApp(catalog, view=decode(spec))
    async with second.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert state(second) == before
        assert second.view_note == ""  # the same data: nothing to say
        assert await copied_spec(second, pilot) == spec


async def test_a_view_of_the_sql_pane_runs_its_query(catalog):
    spec = ViewSpec(Filters(nationalities=IRANIAN), pane="sql", sql="select count(*) as reports from filtered_casualties")
    app = ExplorerApp(catalog, view=spec)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "tab-sql"
        grid = app.query_one("#sql-results")
        expected = catalog.cursor().execute("select count(*) from casualties where nationality = 'Iranian'").fetchall()[0][0]
        assert grid.result is not None and grid.row(0) == (expected,)
        await app.run_action("copy_view")  # the palette's action: in the SQL editor, V is a letter typed
        await settle(pilot)
        assert decode(app.clipboard).sql == spec.sql


async def test_a_view_made_before_the_data_changed_opens_with_a_warning(data_copy):
    spec = ViewSpec(Filters(nationalities=IRANIAN), pane="timeline", selected="E078", data_dir=str(data_copy),
                    versions=export.current_spec(ViewSpec(), data_copy).versions)
    with (data_copy / "forces.parquet").open("ab"):
        pass
    shutil.copy2(DATA_DIR / "events.parquet", data_copy / "events.parquet")
    table = pq.read_table(data_copy / "events.parquet")
    pq.write_table(table.slice(0, table.num_rows - 1), data_copy / "events.parquet")  # one event fewer
    with open_catalog(data_copy) as changed:
        app = ExplorerApp(changed, view=spec)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await settle(pilot)
            assert app.view_note.startswith("The data changed since the view was made: files was ")
            assert any(notice.message == app.view_note and notice.severity == "warning" for notice in app._notifications)
            assert app.filters == spec.filters and app.query_one("#timeline").selected_key() == "E078"


async def test_the_citation_key_copies_source_url_dataset_version_date_and_view(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.filters = Filters(nationalities=IRANIAN, date_from=date(2016, 5, 1), date_to=date(2016, 5, 31))
        await settle(pilot)
        event = app.query_one("#timeline").selected_event
        await pilot.press("C")
        await settle(pilot)
        citation = app.clipboard.splitlines()
    version = export.current_spec(ViewSpec(), DATA_DIR).versions["files"]
    assert citation[0] == f"{event['title']}, {period(event['date'], event['end_date'])} ({event['event_id']})"
    assert citation[1] == f"Source: {event['source']}"
    assert (f"URL: {event['source_url']}" in citation) == bool(event["source_url"])
    assert f"Dataset: builtin, version {version}" in citation
    assert f"Accessed: {date.today().isoformat()} through conflict-explorer 0.1.0" in citation
    view = decode(citation[-1].removeprefix("View: "))
    assert view.selected == event["event_id"] and view.filters == app.filters and view.versions == {"files": version}


async def test_source_urls_are_hyperlinks_on_lines_of_their_own(catalog, monkeypatch):
    url = catalog.cursor().execute("select source_url from events where event_id = 'E079'").fetchall()[0][0]
    app = ExplorerApp(catalog, view=ViewSpec(Filters(date_from=date(2016, 5, 1), date_to=date(2016, 5, 31)), selected="E079"))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)
        detail = app.query_one("#timeline .detail", Static)
        strips = detail.render_lines(detail.region.reset_offset)
        linked = [strip for strip in strips if any(segment.style and segment.style.link == url for segment in strip)]
        assert len(linked) == 1, "the URL is one line: never wrapped"
        assert linked[0].text.strip() in (url, url[: len(linked[0].text.strip()) - 1] + "…")
        monkeypatch.delenv("SSH_CONNECTION", raising=False)
        monkeypatch.setenv("SSH_TTY", "/dev/pts/1")  # over SSH: o copies instead of opening
        await pilot.press("o")
        assert app.clipboard == url
        opened = []
        monkeypatch.delenv("SSH_TTY")
        monkeypatch.setenv("DISPLAY", ":0")
        monkeypatch.setattr(app, "open_url", lambda target, **_: opened.append(target))
        await pilot.press("o")
        assert opened == [url]
        app.copy_to_clipboard("")
        await pilot.press("O")
        assert app.clipboard == url


async def test_a_view_sorted_by_a_column_the_table_lacks_opens_in_its_own_order(catalog):
    app = ExplorerApp(catalog, view=decode("view=1&pane=timeline&sort=nope"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query_one("#events", RecordTable).sort_column is None
        assert any("sorts by 'nope', which this table does not have" in notice.message for notice in app._notifications)


async def test_the_export_prompt_asks_for_a_known_format(catalog, tmp_path):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "events.txt")
        await pilot.press("enter")
        assert "give a file ending in .csv, .parquet or .json" in str(app.screen.query_one("#export-message", Static).render())
        await pilot.press("escape")
    assert not list(tmp_path.iterdir())


def table_columns(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    if path.suffix == ".json":
        return list(json.loads(path.read_text(encoding="utf-8"))[0])
    return next(csv.reader(path.open(encoding="utf-8")))


@pytest.mark.parametrize(("pane", "keys", "suffix"), [("casualties", ["3", "c"], ".csv"), ("timeline", ["1"], ".parquet"),
                                                      ("actors", ["2"], ".json")])
async def test_every_export_path_writes_the_same_columns_for_the_same_view(catalog, tmp_path, pane, keys, suffix):
    before = fingerprint(DATA_DIR)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.filters = Filters(nationalities=IRANIAN)
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        spec = await copied_spec(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        from_app = tmp_path / f"app{suffix}"
        app.screen.query_one(Input).value = str(from_app)
        await pilot.press("enter")
        await settle(pilot)
    from_cli = tmp_path / f"cli{suffix}"
    done = await asyncio.to_thread(cli, "export", spec, "--out", str(from_cli))
    assert done.returncode == 0, done.stderr
    assert table_columns(from_app) == table_columns(from_cli)
    if suffix == ".parquet":
        assert pq.read_table(from_app).equals(pq.read_table(from_cli))
    else:
        assert from_app.read_text(encoding="utf-8") == from_cli.read_text(encoding="utf-8")
    for path in (from_app, from_cli):
        citation = export.citation_path(path).read_text(encoding="utf-8")
        assert f"View: {spec}" in citation and "Exported by conflict-explorer 0.1.0" in citation
        assert "Dataset versions: files " in citation and "Violations Documentation Center" in citation
    assert fingerprint(DATA_DIR) == before


async def test_the_sql_pane_export_matches_the_command_line(catalog, tmp_path):
    spec = ViewSpec(Filters(nationalities=IRANIAN), pane="sql",
                    sql="select casualty_id, killed, killed_high, period_start, [source] as sources from filtered_casualties order by all")
    app = ExplorerApp(catalog, view=spec)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        from explorer.widgets.screens import ExportScreen

        assert isinstance(app.screen, ExportScreen)  # on a busy machine a pause alone may come before it opens
        from_app = tmp_path / "pane.json"
        app.screen.query_one(Input).value = str(from_app)
        await pilot.press("enter")
        await settle(pilot)
    from_cli = tmp_path / "cli.json"
    done = await asyncio.to_thread(cli, "export", encode(spec), "--out", str(from_cli))
    assert done.returncode == 0, done.stderr
    assert from_app.read_text(encoding="utf-8") == from_cli.read_text(encoding="utf-8")
    rows = json.loads(from_app.read_text(encoding="utf-8"))
    assert any(isinstance(row["killed"], int) for row in rows) and all(isinstance(row["sources"], list) for row in rows)
    assert "Query: select casualty_id" in export.citation_path(from_app).read_text(encoding="utf-8")


def test_the_sql_paths_write_the_same_columns(tmp_path):
    sql = "select occurrence_id, killed, killed_low, killed_high, reports, first_date, sources from occurrences order by all limit 5"
    spec = encode(ViewSpec(pane="sql", sql=sql))
    out = tmp_path / "sql.csv"
    exported = subprocess.run([sys.executable, "-m", "explorer", "export", spec, "--out", str(out)], capture_output=True, text=True,
                              check=False)
    queried = subprocess.run([sys.executable, "-m", "explorer", "query", sql, "--format", "csv"], capture_output=True, text=True,
                             check=False)
    assert exported.returncode == 0 and queried.returncode == 0, exported.stderr + queried.stderr
    assert out.read_text(encoding="utf-8") == queried.stdout


def test_a_parquet_export_keeps_types_values_and_provenance(catalog, tmp_path):
    con = catalog.cursor()
    spec = ViewSpec(Filters(nationalities=IRANIAN), pane="casualties", kind="incident", sort="killed", sort_reverse=True)
    target = tmp_path / "khan-tuman.parquet"
    rows = export.write_export(export.view_source(con, spec), target, "parquet", export.provenance(con, catalog.data_dir, spec))
    table = pq.read_table(target)
    assert table.num_rows == rows > 0
    types = {field.name: str(field.type) for field in table.schema}
    assert types["killed"] == "int32" and types["killed_low"] == "int32" and types["reports"] == "int64"
    assert types["first_date"] == "date32[day]" and types["sources"] == "list<element: string>"
    khan_tuman = next(row for row in table.to_pylist() if row["occurrence_id"] == "khan-tuman-2016-05-iranians")
    assert (khan_tuman["killed"], khan_tuman["killed_low"], khan_tuman["killed_high"], khan_tuman["reports"]) == (13, 13, 20, 4)
    assert isinstance(khan_tuman["first_date"], date) and khan_tuman["first_date"].year == 2016
    assert len(khan_tuman["source_urls"]) >= 1 and all(url.startswith("http") for url in khan_tuman["source_urls"])
    killed = table["killed"].to_pylist()
    assert killed == sorted(killed, key=lambda value: (value is None, -(value or 0)))  # the view's order
    expected = con.execute(f"SELECT killed FROM ({export.view_source(con, spec).sql})", list(export.view_source(con, spec).params)).fetchall()
    assert killed == [value for (value,) in expected]
    metadata = pq.read_metadata(target).metadata  # the file's key/value metadata, as DuckDB's parquet_kv_metadata reads it
    assert decode(metadata[b"conflict_explorer.view"].decode()) == export.current_spec(spec, catalog.data_dir)
    assert json.loads(metadata[b"conflict_explorer.versions"]) == export.current_spec(spec, catalog.data_dir).versions
    assert b"conflict_explorer.exported_at" in metadata and metadata[b"conflict_explorer.app_version"] == b"0.1.0"
    again = duckdb.connect().execute("SELECT killed, first_date FROM read_parquet(?)", [str(target)]).fetchall()
    assert [value for value, _ in again] == killed


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, check=False)


def test_the_export_command_refuses_bad_input_in_one_line(tmp_path, data_copy):
    before = fingerprint(data_copy)
    for args, status, says in [
        (["export", "view=1&pane=chart", "--out", str(tmp_path / "x.csv")], 2, "pane='chart': choose one of"),
        (["export", "pane=timeline", "--out", str(tmp_path / "x.csv")], 2, "lacks view=1"),
        (["export", "view=1&sort=nope", "--out", str(tmp_path / "x.csv")], 2, "sort='nope': the timeline table sorts by"),
        (["export", "view=1", "--out", str(tmp_path / "x.txt")], 1, "x.txt: give a file ending in .csv, .parquet or .json"),
        (["export", "view=1", "--data", str(data_copy), "--out", str(data_copy / "x.csv")], 1, "inside the data directory"),
        (["export", str(tmp_path / "nothing.toml"), "--out", str(tmp_path / "x.csv")], 2, "neither a view spec"),
        (["--view", "view=1&from=2016-99-01"], 2, "from='2016-99-01' is not a date"),
    ]:
        done = cli(*args)
        assert done.returncode == status, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and says in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not list(tmp_path.glob("x.*"))
    (tmp_path / "old.csv").write_text("mine\n", encoding="utf-8")
    done = cli("export", "view=1", "--out", str(tmp_path / "old.csv"))
    assert done.returncode == 1 and "exists: pass --force" in done.stderr
    assert (tmp_path / "old.csv").read_text(encoding="utf-8") == "mine\n"
    assert fingerprint(data_copy) == before


def test_an_export_of_imported_data_cites_each_publisher(tmp_path):
    fixtures = Path(__file__).parent / "fixtures" / "importers"
    out = tmp_path / "data"
    ged = tmp_path / "GEDEvent_v25_1.csv"  # the release is read from the file's name
    shutil.copy2(fixtures / "ucdp_ged.csv", ged)
    assert cli("import", "ucdp", str(ged), "--out", str(out)).returncode == 0
    assert cli("import", "acled", str(fixtures / "acled_api.csv"), "--out", str(out), "--append").returncode == 0
    spec = f"view=1&pane=timeline&data={out}&nat=Iranian"
    target = tmp_path / "events.csv"
    done = cli("export", spec, "--out", str(target))
    assert done.returncode == 0, done.stderr
    citation = export.citation_path(target).read_text(encoding="utf-8")
    assert "UCDP Georeferenced Event Dataset (GED) version 25.1, Uppsala Conflict Data Program" in citation
    assert "Armed Conflict Location & Event Data Project (ACLED)" in citation and "filters used: Iranian" in citation
    assert f"accessed {date.today().isoformat()}" in citation
    assert "v=ACLED:" in citation and "UCDP+GED:GED+25.1" in citation


def test_the_map_s_view_exports_its_events_with_where_the_map_draws_them(tmp_path):
    """pane=map: every event under the filter, with its drawn coordinates and how it was placed (none: country-wide)."""
    out = tmp_path / "map.csv"
    done = cli("export", "view=1&pane=map&front=Aleppo,national/diplomatic", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    placed = [row for row in rows if row["placed_by"] == "front"]
    assert len(rows) == 12 + 46 and len(placed) == 12
    assert {(row["latitude"], row["longitude"]) for row in placed} == {("36.20124", "37.16117")}  # Aleppo, GeoNames 170063
    assert all(row["latitude"] == "" for row in rows if row["front"] == "national/diplomatic")
    assert "Pane: map" in (tmp_path / "map.csv.citation.txt").read_text(encoding="utf-8")


async def test_a_map_view_with_a_side_and_an_area_reopens_the_same(catalog):
    """The map pane, a side and the area kept with enter: copied with V, reopened in a new app."""
    first = ExplorerApp(catalog)
    async with first.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first.filters = Filters(sides=frozenset({"pro-government", None}))
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("enter")  # the busiest cell's area
        await settle(pilot)
        assert first.filters.area is not None
        spec = await copied_spec(first, pilot)
        filters = first.filters
        counts = {pane: tab_label(first, pane) for pane in ("timeline", "casualties", "map")}
    assert "pane=map" in spec and "side=pro-government,~" in spec and "&area=" in spec
    second = ExplorerApp(catalog, view=decode(spec))
    async with second.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert second.filters == filters and second._open_pane_id == "map"
        assert {pane: tab_label(second, pane)
                for pane in ("timeline", "casualties", "map")} == counts


def test_a_data_folder_whose_name_breaks_a_line_cannot_put_a_view_line_in_the_citation(data_copy, tmp_path):
    """A folder named `…\\nView: view=1&pane=actors` wrote that as a line of its own above the citation's own View
    line, and `--view CITATION` read the first one."""
    folder = data_copy.rename(data_copy.with_name("data\nView: view=1&pane=actors"))
    out = tmp_path / "out" / "rows.csv"
    out.parent.mkdir()
    ran = subprocess.run([sys.executable, "-m", "explorer", "export", "view=1&pane=casualties", "--data", str(folder),
                          "--out", str(out)], capture_output=True, text=True, timeout=120, check=False,
                         env={**__import__("os").environ, "CONFLICT_EXPLORER_CACHE_DIR": str(tmp_path / "cache")})
    assert ran.returncode == 0, ran.stderr
    citation = export.citation_path(out).read_text(encoding="utf-8")
    assert [line for line in citation.splitlines() if line.startswith("View: ")] == [
        "View: " + encode(ViewSpec(pane="casualties", data_dir=str(folder), versions=decode(
            citation.split("View: ")[-1].split("\n")[0]).versions))]
    from explorer.view_spec import read
    assert read(str(export.citation_path(out))).pane == "casualties"


def test_an_export_never_overwrites_a_citation_without_force_nor_leaves_a_file_without_one(tmp_path):
    notes = tmp_path / "rows.csv.citation.txt"
    notes.write_text("my own notes\n", encoding="utf-8")
    ran = cli("export", "view=1", "--out", str(tmp_path / "rows.csv"))
    assert ran.returncode == 1 and "exists: pass --force" in ran.stderr
    assert notes.read_text(encoding="utf-8") == "my own notes\n" and not (tmp_path / "rows.csv").exists()
    (tmp_path / "other.csv.citation.txt").mkdir()  # where the citation would go is a folder
    ran = cli("export", "view=1", "--out", str(tmp_path / "other.csv"))
    assert ran.returncode == 1 and "is a folder" in ran.stderr and ran.stderr.count("\n") == 1, ran.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other.csv.citation.txt", "rows.csv.citation.txt"]
