"""Writing an import's data directory atomically: a temporary directory renamed into place.

An existing directory is changed only with `--append` (its files are kept, the import's files
added) or `--force` (replaced), and then only once the new one is complete. `imports.json` in the
directory records each import: its file, checksum, dataset and counts, so the same file is never
imported twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from explorer.db.catalog import find_table_files
from explorer.db.errors import DataDirectoryError, ImportFailed
from explorer.db.schema import TABLES, Table

MANIFEST = "imports.json"
WRITE_ORDER = {
    "events": '"date", event_id',
    "actors": "actor_id",
    "casualties": "coalesce(period_start, period_end), casualty_id",
    "forces": '"date", force_id',
}


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def select_list(table: Table, expressions: dict[str, str]) -> str:
    """Every column of `table` in schema order, cast to its type; columns not in `expressions` are empty."""
    unknown = set(expressions) - set(table.column_names)
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    return ", ".join(f'CAST({expressions.get(column.name, "NULL")} AS {column.type}) AS "{column.name}"' for column in table.columns)


def read_manifest(directory: Path) -> list[dict]:
    path = directory / MANIFEST
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ImportFailed(f"{path}: not a readable import record; move it away to append to this directory") from None


def _is_data_directory(directory: Path) -> bool:
    try:
        for table in TABLES.values():
            find_table_files(directory, table)
    except DataDirectoryError:
        return False
    return True


def _link_tree(source: Path, target: Path) -> None:
    """Copy a directory tree by hard links where the filesystem allows, else by copies."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link, dirs_exist_ok=True)


@dataclass
class OutputDirectory:
    """The directory an import writes, built in a temporary sibling until `commit()`."""

    target: Path
    mode: str  # "new", "append" or "force"
    work: Path
    tag: str
    previous: list[dict]

    @classmethod
    def prepare(cls, target: Path, input_file: Path, checksum: str, importer: str, *, append: bool, force: bool) -> OutputDirectory:
        """Check what may be done to `target`, then start a temporary copy of what it must keep."""
        if append and force:
            raise ImportFailed("give --append or --force, not both")
        target = target.absolute()
        if input_file.resolve().is_relative_to(target.resolve()):
            raise ImportFailed(f"{input_file} is inside the output directory {target}: choose another --out")
        previous: list[dict] = []
        if target.exists() and not target.is_dir():
            raise ImportFailed(f"--out {target}: exists and is not a directory")
        if target.exists() and any(target.iterdir()):
            if not (append or force):
                raise ImportFailed(f"--out {target}: already exists; add --append to add this import to it, or --force to replace it")
            if not _is_data_directory(target) and not (target / MANIFEST).is_file():
                raise ImportFailed(f"--out {target}: exists but is not a data directory; refusing to {'add to' if append else 'replace'} it")
            if append:
                previous = read_manifest(target)
                for entry in previous:
                    if entry.get("sha256") == checksum:
                        raise ImportFailed(
                            f"{input_file.name} was already imported into {target} on {entry.get('imported_at', '?')[:10]} "
                            f"(as {entry.get('tag')}); nothing to do"
                        )
                for table in TABLES.values():
                    if _is_data_directory(target) and find_table_files(target, table).hive:
                        raise ImportFailed(f"--out {target}: table '{table.name}' is hive-partitioned; import into a new directory instead")
            mode = "append" if append else "force"
        else:
            mode = "new"
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.import-", dir=target.parent))
        try:
            if mode == "append":
                _link_tree(target, work)
                for table in TABLES:
                    single = work / f"{table}.parquet"
                    if single.is_file():
                        (work / table).mkdir(exist_ok=True)
                        single.rename(work / table / f"{table}.parquet")
            for table in TABLES:
                (work / table).mkdir(exist_ok=True)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        tag = f"{len(previous) + 1:03d}-{importer}"
        return cls(target, mode, work, tag, previous)

    def table_file(self, table: str) -> Path:
        return self.work / table / f"{self.tag}.parquet"

    def existing_files(self, table: str) -> list[Path]:
        """The Parquet files of `table` the directory already holds (empty unless appending)."""
        if self.mode != "append":
            return []
        return sorted(path for path in (self.work / table).rglob("*.parquet") if path.name != f"{self.tag}.parquet")

    def write(self, con: duckdb.DuckDBPyConnection, table: str, select_sql: str) -> int:
        """Write one table of the import with COPY, in date order (DuckDB then skips row groups by date)."""
        path = self.table_file(table)
        con.execute(
            f"COPY (SELECT * FROM ({select_sql}) ORDER BY {WRITE_ORDER[table]}) TO '{_sql_path(path)}' (FORMAT parquet, COMPRESSION zstd)"
        )
        return con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchall()[0][0]

    def record(self, entry: dict) -> None:
        manifest = self.previous + [{"tag": self.tag, **entry}]
        (self.work / MANIFEST).unlink(missing_ok=True)  # a hard link to the target's: never write through it
        (self.work / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    def commit(self) -> None:
        """Put the finished directory in place of the target."""
        if self.mode == "new":
            if self.target.exists():
                self.target.rmdir()
            self.work.rename(self.target)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
        self.target.rename(old / self.target.name)
        self.work.rename(self.target)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def replace_file(con: duckdb.DuckDBPyConnection, path: Path, select_sql: str) -> None:
    """Replace a file of the work directory with what `select_sql` gives. It may be a hard link to the target's
    own file: a new file is renamed over the name, never written through the link."""
    temporary = path.with_name(f".{path.name}.new")
    con.execute(f"COPY ({select_sql}) TO '{_sql_path(temporary)}' (FORMAT parquet, COMPRESSION zstd)")
    temporary.replace(path)


def _sql_path(path: Path) -> str:
    """A path we created, as a SQL string literal (COPY takes no parameter for its target)."""
    return str(path).replace("'", "''")


def manifest_entry(input_file: Path, checksum: str, importer: str, dataset: str, report_dict: dict) -> dict:
    return {
        "importer": importer,
        "file": str(input_file.absolute()),
        "sha256": checksum,
        "dataset": dataset,
        "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **report_dict,
    }
