"""Opening data directories: the good ones in every layout, and a clear error for each bad one."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from explorer.db import queries
from explorer.db.catalog import EngineLimits, open_catalog
from explorer.db.check import check_data_dir
from explorer.db.errors import DataDirectoryError
from explorer.db.filters import Filters
from explorer.db.schema import TABLES
from conftest import DATA_DIR


def count(catalog, table):
    return catalog.cursor().execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_builtin_dataset_opens_with_every_view(catalog):
    assert {name: count(catalog, name) for name in TABLES} == {"events": 80, "actors": 34, "casualties": 634, "forces": 14}


def test_views_carry_the_schema_types(catalog):
    described = dict(catalog.cursor().execute("SELECT column_name, column_type FROM (DESCRIBE casualties)").fetchall())
    assert described == {column.name: column.type for column in TABLES["casualties"].columns}


def test_hive_partitioned_and_multi_file_tables(data_copy):
    casualties = pq.read_table(data_copy / "casualties.parquet")
    (data_copy / "casualties.parquet").unlink()
    years = pc.year(pc.coalesce(casualties["period_start"], casualties["period_end"], pa.scalar(None, pa.date32())))
    for year in sorted(set(years.to_pylist()) - {None}):
        part = data_copy / "casualties" / f"year={year}"
        part.mkdir(parents=True)
        pq.write_table(casualties.filter(pc.equal(years, year)), part / "part-0.parquet")
    undated = data_copy / "casualties" / "year=unknown"
    undated.mkdir()
    pq.write_table(casualties.filter(pc.is_null(years)), undated / "part-0.parquet")
    events = pq.read_table(data_copy / "events.parquet")
    (data_copy / "events.parquet").unlink()
    (data_copy / "events").mkdir()
    pq.write_table(events.slice(0, 40), data_copy / "events" / "a.parquet")
    pq.write_table(events.slice(40), data_copy / "events" / "b.parquet")
    with open_catalog(data_copy) as opened:
        assert count(opened, "casualties") == 634
        assert count(opened, "events") == 80
        assert opened.tables["casualties"].hive and not opened.tables["events"].hive
    result = check_data_dir(data_copy)
    assert result.problems == []
    assert any("hive-partitioned" in line for line in result.summary)


def test_integer_columns_of_another_width_are_accepted(data_copy):
    forces = pq.read_table(data_copy / "forces.parquet")
    index = forces.schema.get_field_index("personnel")
    pq.write_table(forces.set_column(index, "personnel", forces["personnel"].cast(pa.int64())), data_copy / "forces.parquet")
    with open_catalog(data_copy) as opened:
        assert opened.cursor().execute("SELECT typeof(personnel) FROM forces LIMIT 1").fetchall() == [("INTEGER",)]


def _drop_column(folder, table, column):
    data = pq.read_table(folder / f"{table}.parquet")
    pq.write_table(data.drop_columns([column]), folder / f"{table}.parquet")


def _retype_column(folder, table, column, values):
    data = pq.read_table(folder / f"{table}.parquet")
    index = data.schema.get_field_index(column)
    pq.write_table(data.set_column(index, column, pa.array(values(data.num_rows))), folder / f"{table}.parquet")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "forces.parquet").unlink(), r"table 'forces' is missing \(expected forces.parquet or a folder forces/"),
        (lambda d: _drop_column(d, "casualties", "occurrence_id"), r"casualties.parquet: table 'casualties' lacks column\(s\) occurrence_id"),
        (lambda d: _retype_column(d, "events", "date", lambda n: ["2015-01-01"] * n), r"column 'events.date' has type VARCHAR, expected DATE"),
        (lambda d: _retype_column(d, "casualties", "killed", lambda n: ["13"] * n), r"column 'casualties.killed' has type VARCHAR, expected INTEGER"),
        (lambda d: (d / "actors.parquet").write_bytes(b"PAR1 this is not parquet"), r"actors.parquet: not a readable Parquet file"),
        (lambda d: (d / "events.parquet").write_bytes((d / "events.parquet").read_bytes()[:500]), r"events.parquet: not a readable Parquet file"),
        (lambda d: ((d / "events.parquet").unlink(), (d / "events").mkdir()), r"folder of table 'events' holds no .parquet files"),
    ],
    ids=["missing table", "missing column", "date as text", "count as text", "not parquet", "truncated", "empty folder"],
)
def test_bad_data_directory_gives_one_line_naming_the_file(data_copy, damage, message):
    damage(data_copy)
    with pytest.raises(DataDirectoryError, match=message) as caught:
        open_catalog(data_copy)
    assert "\n" not in str(caught.value)


def test_missing_and_non_directory_paths(tmp_path):
    with pytest.raises(DataDirectoryError, match="no such data directory"):
        open_catalog(tmp_path / "nowhere")
    (tmp_path / "file.parquet").write_bytes(b"")
    with pytest.raises(DataDirectoryError, match="not a directory"):
        open_catalog(tmp_path / "file.parquet")


def test_check_finds_row_level_problems(data_copy):
    casualties = pq.read_table(data_copy / "casualties.parquet")
    rows = casualties.to_pylist()
    rows[0]["killed_qualifier"] = "roughly"
    rows[1]["casualty_id"] = rows[0]["casualty_id"]
    rows[2]["actor_id"] = "no_such_actor"
    rows[4]["period_start"], rows[4]["period_end"] = rows[4]["period_end"], rows[4]["period_start"]  # CR005: Sep 2015 – Feb 2016
    pq.write_table(pa.Table.from_pylist(rows, schema=casualties.schema), data_copy / "casualties.parquet")
    problems = check_data_dir(data_copy).problems
    assert "casualties.killed_qualifier: value(s) outside the vocabulary: 'roughly'" in problems
    assert "casualties.casualty_id: 1 duplicate id(s): 'CR001'" in problems
    assert "casualties: 1 id(s) not found in actors.actor_id: 'no_such_actor'" in problems
    assert any(problem.startswith("casualties: 1 period(s) end before they start") for problem in problems)


def test_engine_is_locked_to_the_data_directory(catalog):
    con = catalog.cursor()
    settings = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', 'threads', 'autoload_known_extensions')"
    ).fetchall())
    assert settings == {"enable_external_access": "false", "lock_configuration": "true", "threads": "2", "autoload_known_extensions": "false"}


def test_engine_limits_are_applied(data_copy):
    with open_catalog(data_copy, EngineLimits(memory_limit="300MB", threads=1)) as opened:
        values = dict(opened.cursor().execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit')").fetchall())
        assert values["threads"] == "1"
        assert values["memory_limit"] == "286.1 MiB"  # 300 MB


def test_bad_memory_limit_is_one_line(data_copy):
    with pytest.raises(DataDirectoryError, match="cannot start the engine"):
        open_catalog(data_copy, EngineLimits(memory_limit="lots"))


def test_occurrences_are_cached_per_data_directory_and_rebuilt_when_it_changes(data_copy, tmp_path, monkeypatch):
    cache = tmp_path / "occurrence-cache"
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(cache))
    query = "SELECT count(*), sum(killed) FILTER (WHERE kind = 'individual') FROM occurrences"
    with open_catalog(data_copy) as first:
        counted = first.cursor().execute(query).fetchall()
    built = list(cache.glob("*/data.duckdb"))
    assert len(built) == 1 and (built[0].parent / "manifest.json").is_file()
    stamp = built[0].stat().st_mtime_ns
    with open_catalog(data_copy) as second:
        assert second.cursor().execute(query).fetchall() == counted
    assert built[0].stat().st_mtime_ns == stamp, "the second start reads the cache, it does not rebuild it"

    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM '{data_copy}/casualties.parquet' WHERE kind <> 'individual') TO '{data_copy}/fewer.parquet'")
    (data_copy / "fewer.parquet").replace(data_copy / "casualties.parquet")
    with open_catalog(data_copy) as changed:
        assert changed.cursor().execute(query).fetchall()[0][1] is None
    assert len(list(cache.glob("*/data.duckdb"))) == 2


def test_only_a_first_opening_builds_the_cache_and_says_so_beforehand(data_copy, tmp_path, monkeypatch):
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(cache))
    calls = []

    def note(step: str) -> None:
        in_place = [path for path in cache.glob("*/data.duckdb") if not path.parent.name.startswith(".")]
        calls.append((step, in_place))  # nothing where it would be read before the build is complete

    with open_catalog(data_copy, on_build=note):
        pass
    assert calls == [("the data's tables (1 of 7)", []), ("the occurrences reported once (2 of 7)", []),
                     ("the occurrences reported several times (3 of 7)", []), ("each event's occurrences (4 of 7)", []),
                     ("the monthly summary (5 of 7)", []), ("the events in date order (6 of 7)", []),
                     ("the words a search looks up (7 of 7)", [])]
    with open_catalog(data_copy, on_build=lambda step: calls.append("again")):
        pass
    assert len(calls) == 7


def test_without_a_writable_cache_folder_a_private_cache_serves_the_session(data_copy, tmp_path, monkeypatch, catalog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(blocked))
    query = "SELECT kind, count(*), sum(killed) FROM occurrences GROUP BY 1 ORDER BY 1"
    with open_catalog(data_copy) as uncached:
        assert uncached.cache.private and uncached.cache.path.is_file()
        assert uncached.cursor().execute(query).fetchall() == catalog.cursor().execute(query).fetchall()
        linked = queries.event_occurrences(uncached.cursor(), "E078")["occurrence_id"].to_pylist()
        assert linked and sorted(linked) == sorted(queries.event_occurrences(catalog.cursor(), "E078")["occurrence_id"].to_pylist())
        autumn = Filters(date_from=date(2015, 10, 10), date_to=date(2016, 2, 20), nationalities=frozenset({"Iranian", None}))
        for ask in (lambda con: queries.monthly_killed(con, autumn), lambda con: queries.events_in_range(con, autumn, limit=20),
                    lambda con: queries.facet_counts(con, autumn, "nationality")):
            assert ask(uncached.cursor()).to_pylist() == ask(catalog.cursor()).to_pylist()
        private = uncached.cache.path.parent
    assert not private.exists(), "the private cache goes with the session"
    assert blocked.read_text() == "a file where the cache folder would go"


def test_the_cache_can_be_built_a_part_at_a_time():
    """Under a small memory limit the occurrences are grouped in parts: the same rows come out."""
    from explorer.db.catalog import _create_in_parts, _table_select, find_table_files
    from explorer.db.queries import occurrences_sql

    con = duckdb.connect()
    for table in TABLES.values():
        con.execute(f"CREATE TABLE {table.name} AS {_table_select(find_table_files(DATA_DIR, table))}")
    for part in ("single", "repeated"):
        select = occurrences_sql(part)
        con.execute(f"CREATE TABLE whole_{part} AS {select} ORDER BY first_date, occurrence_id")
        _create_in_parts(con, f"parts_{part}", select, "first_date, occurrence_id")
        whole = con.execute(f"SELECT * FROM whole_{part}").fetchall()
        assert con.execute(f"SELECT * FROM parts_{part}").fetchall() == whole and whole
