"""`conflict-explorer import`: stage the file, check every row, write the directory, validate it, put it in place."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from explorer.db.catalog import EngineLimits
from explorer.db.check import check_data_dir
from explorer.db.errors import ImportFailed
from explorer.db.schema import TABLES
from explorer.importers import acled, casualty_list, ucdp
from explorer.importers.fronts import FrontTable, map_fronts
from explorer.importers.mapping import Importer, load_countries
from explorer.importers.output import OutputDirectory, file_checksum, manifest_entry, select_list
from explorer.importers.progress import Progress
from explorer.importers.report import Check, ImportReport, classify
from explorer.importers.source import ROW_KEY, create_macros, first_line, recognise, stage
from explorer.importers.update import supersede

IMPORTERS: dict[str, Importer] = {importer.name: importer for importer in (acled.IMPORTER, ucdp.IMPORTER, casualty_list.IMPORTER)}
UNMAPPED_SHOWN = 8


@dataclass
class ImportRequest:
    importer: str
    input_file: Path
    out: Path
    append: bool = False
    force: bool = False
    fronts_file: Path | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    dataset: str | None = None
    limits: EngineLimits = EngineLimits()
    encoding: str | None = None
    """The input's text encoding, when not UTF-8 and not to be detected."""


def _staging_connection(folder: Path, limits: EngineLimits) -> duckdb.DuckDBPyConnection:
    """A private on-disk database, so a file bigger than memory stages by spilling, not failing."""
    con = duckdb.connect(
        str(folder / "staging.duckdb"),
        config={"threads": limits.threads, "memory_limit": limits.memory_limit,
                "autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    con.execute("SET temp_directory = ?", [str(folder / "spill")])
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")
    create_macros(con)
    return con


def _existing_ids(con: duckdb.DuckDBPyConnection, output: OutputDirectory) -> None:
    for table, key in (("events", "event_id"), ("actors", "actor_id")):
        files = [str(path) for path in output.existing_files(table)]
        source = (f"SELECT {key} AS id, dataset FROM read_parquet(?, union_by_name = true)" if files
                  else "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS dataset WHERE false")
        con.execute(f"CREATE TABLE existing_{table} AS {source}", [files] if files else [])
        con.execute(f"ALTER TABLE existing_{table} RENAME COLUMN id TO {key}")


def _coverage(con: duckdb.DuckDBPyConnection, importer: Importer, path: Path) -> dict:
    """What this import's export covers, recorded in imports.json: its countries, its span of dates and its version."""
    coverage: dict = {"version": importer.version(con, path.name)}
    for name, columns in importer.coverage.items():
        values = " UNION ALL ".join(f"SELECT trim({column}) AS value FROM kept WHERE NOT blank({column})" for column in columns)
        coverage[name] = sorted(value for (value,) in con.execute(f"SELECT DISTINCT value FROM ({values})").fetchall())
    if importer.event_date:
        first, last = con.execute(f"SELECT min({importer.event_date}), max({importer.event_date}) FROM kept").fetchall()[0]
        coverage.update(first_date=first.isoformat() if first else None, last_date=last.isoformat() if last else None)
    return coverage


def run_import(request: ImportRequest, progress: Progress | None = None) -> tuple[ImportReport, Path]:
    """Import one file; returns what was read, written and skipped, and the directory written."""
    importer = IMPORTERS[request.importer]
    progress = progress or Progress()
    path = request.input_file
    staging = Path(tempfile.mkdtemp(prefix="conflict-explorer-import-"))
    report = ImportReport()
    dataset = request.dataset or importer.default_dataset(path.name)
    output = None
    try:
        con = _staging_connection(staging, request.limits)
        try:
            recognised = progress.step(f"recognising {path.name}", None, lambda: recognise(
                con, path, importer.layout, request.mapping, request.encoding, staging))
            checksum = file_checksum(path)
            output = OutputDirectory.prepare(request.out, path, checksum, importer.name, append=request.append, force=request.force)
            for name, value in (("dataset", dataset), ("import_tag", output.tag), ("file_name", path.name)):
                con.execute(f"SET VARIABLE {name} = ?", [value])
            fronts = FrontTable(request.fronts_file)
            load_countries(con)
            _existing_ids(con, output)
            staged = progress.step(f"reading {path.name}", con, lambda: stage(con, recognised, importer.layout))
            report.notes += recognised.notes
            content = _refuse_same_rows(con, path, output)
            checks = list(importer.checks)
            if importer.event_id:
                checks.append(Check(f"already in {output.target.name} from an earlier import of another dataset (same event id)",
                                    f"{importer.event_id} IN (SELECT event_id FROM existing_events WHERE dataset <> getvariable('dataset'))",
                                    importer.event_id))
            progress.step("checking rows", con, lambda: classify(con, staged, checks, importer.key, report, importer.repeat_reason))
            _refuse_empty(path, report)
            unknown_places = map_fronts(con, fronts, importer.admin1, importer.country)
            mapped = importer.tables()
            for name, table in TABLES.items():
                sql = mapped.get(name, f"SELECT {select_list(table, {})} WHERE false")
                written = progress.step(f"writing {name}", con, lambda sql=sql, name=name: output.write(con, name, sql))
                if name in mapped:
                    report.written[name] = written
            report.notes += _front_notes(unknown_places) + importer.notes(con)
            coverage = _coverage(con, importer, path)
            if importer.event_id:
                changes = progress.step("updating earlier imports", con,
                                        lambda: supersede(con, output, dataset, coverage, importer.event_id))
                report.notes += changes.lines()
                coverage["events"] = changes.as_dict()
        finally:
            con.close()
        output.record(manifest_entry(path, checksum, importer.name, dataset, report.as_dict()) | coverage | {"content": content})
        checked = progress.step("validating the directory", None, lambda: check_data_dir(output.work, limits=request.limits))
        if checked.problems:
            raise ImportFailed(f"the imported directory does not validate ({checked.problems[0]}); nothing was written")
        output.commit()
    except duckdb.Error as error:
        if output is not None:
            output.discard()
        raise ImportFailed(f"the import stopped: {first_line(error)}; {request.out} is unchanged") from None
    except BaseException:
        if output is not None:
            output.discard()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report, output.target


def _refuse_same_rows(con: duckdb.DuckDBPyConnection, path: Path, output: OutputDirectory) -> str:
    """A digest of the file's rows, whatever its line endings or compression; the same rows already imported
    (the file saved again, or gzipped) are refused, as the same file is."""
    content = con.execute(f"SELECT md5(coalesce(string_agg({ROW_KEY}, '' ORDER BY {ROW_KEY}), '')) FROM raw").fetchall()[0][0]
    for entry in output.previous:
        if entry.get("content") == content:
            raise ImportFailed(f"{path.name} holds the same rows as {Path(entry.get('file', '?')).name}, already imported into "
                               f"{output.target} (as {entry.get('tag')}); nothing to do")
    return content


def _refuse_empty(path: Path, report: ImportReport) -> None:
    """An import with no row to write is an error, not an empty directory."""
    if report.file_rows == 0:
        raise ImportFailed(f"{path.name} has no rows to import (only a header)")
    if report.skipped_rows == report.file_rows:
        reasons = "; ".join(f"{group.count:,} {group.reason}" for group in report.skipped[:3])
        first = report.skipped[0].examples[0][0]
        raise ImportFailed(f"none of the {report.file_rows:,} rows of {path.name} could be imported: {reasons} "
                           f"(first at {report.unit} {first}); nothing was written")


def _front_notes(unknown_places: list[tuple[str, int]]) -> list[str]:
    if not unknown_places:
        return []
    shown = ", ".join(f"{name} ({count:,})" for name, count in unknown_places[:UNMAPPED_SHOWN])
    more = f" and {len(unknown_places) - UNMAPPED_SHOWN} more" if len(unknown_places) > UNMAPPED_SHOWN else ""
    return [f"{len(unknown_places)} admin1 value(s) are not in the front table and became fronts of their own: {shown}{more} "
            "(map them with --fronts FILE)"]
