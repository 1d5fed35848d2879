"""build-data: the Parquet files match data/src, and a bad source never replaces good files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from explorer.builtin.build import build_data, build_tables
from explorer.db.errors import DataDirectoryError
from explorer.db.schema import TABLES, arrow_schema
from conftest import DATA_DIR, TABLE_FILES, fingerprint


def test_parquet_files_are_not_stale_against_the_csv_sources():
    built, _ = build_tables(DATA_DIR / "src")
    for name, table in built.items():
        committed = pq.read_table(DATA_DIR / f"{name}.parquet")
        assert committed.equals(table), f"data/{name}.parquet is stale: run `conflict-explorer build-data` and commit"


def test_parquet_files_follow_the_schema():
    for name, table in TABLES.items():
        assert pq.read_schema(DATA_DIR / f"{name}.parquet").remove_metadata() == arrow_schema(table)


def test_build_writes_a_valid_directory(tmp_path):
    shutil.copytree(DATA_DIR / "src", tmp_path / "src")
    cleaning, summary = build_data(tmp_path / "src", tmp_path)
    assert sorted(path.name for path in tmp_path.glob("*.parquet")) == sorted(TABLE_FILES)
    assert cleaning.kept_rows == 547
    assert any(line.split()[:2] == ["casualties", "634"] for line in summary)
    assert not list(tmp_path.glob(".build-*")), "the staging folder is removed"


def _broken_source(tmp_path: Path, file_name: str, old: str, new: str) -> Path:
    shutil.copytree(DATA_DIR / "src", tmp_path / "src")
    for name in TABLE_FILES:
        shutil.copy2(DATA_DIR / name, tmp_path / name)
    path = tmp_path / "src" / file_name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("file_name", "old", "new", "message"),
    [
        ("events.csv", "E001,1979-01-01", "E001,1979-13-01", r"events.csv line 2, column date: '1979-13-01' is not a valid date"),
        ("casualties.csv", "CR001,tally", "CR001,rumour", r"casualties.kind: value\(s\) outside the vocabulary: 'rumour'"),
        ("casualties.csv", "CR004,incident,khan-tuman-2016-05-iranians,E078", "CR004,incident,khan-tuman-2016-05-iranians,E999",
         r"casualties: 1 id\(s\) not found in events.event_id: 'E999'"),
        ("actors.csv", "quds_force,IRGC Quds Force,Quds Force,intelligence/special forces,Iran,irgc",
         "quds_force,IRGC Quds Force,Quds Force,intelligence/special forces,Iran,irgc_typo", r"actors: 1 id\(s\) not found in actors.actor_id: 'irgc_typo'"),
        ("forces.csv", "F01,2015-09-01,month,irgc,estimate,700", "F01,2015-09-01,month,irgc,estimate,seven hundred", r"'seven hundred' is not a valid integer"),
    ],
)
def test_bad_source_is_refused_and_leaves_the_parquet_untouched(tmp_path, file_name, old, new, message):
    folder = _broken_source(tmp_path, file_name, old, new)
    before = {name: hash for name, hash in fingerprint(folder).items() if name.endswith(".parquet")}
    with pytest.raises(DataDirectoryError, match=message):
        build_data(folder / "src", folder)
    after = {name: hash for name, hash in fingerprint(folder).items() if name.endswith(".parquet")}
    assert after == before
