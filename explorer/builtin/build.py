"""`conflict-explorer build-data`: data/src CSVs (the reviewable source of truth) → Parquet."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from explorer.builtin.vdc import RAW_FILE_NAME, CleaningReport, clean_vdc
from explorer.db.check import check_data_dir
from explorer.db.errors import DataDirectoryError
from explorer.db.dimensions import vocabularies as dimension_vocabularies
from explorer.db.schema import BUILTIN_VOCABULARIES, TABLES, Table, arrow_schema

BUILTIN_DATASET = "builtin"
"""`dataset` of the curated fact base; the VDC list keeps its own, `vdc`."""
VDC_DATASET = "vdc"
LIST_SEPARATOR = "; "


def _convert(value: str, column_type: str, where: str):
    value = value.strip()
    if column_type == "VARCHAR[]":
        return [item.strip() for item in value.split(";") if item.strip()]
    if value == "":
        return None
    try:
        if column_type == "DATE":
            return date.fromisoformat(value)
        if column_type == "INTEGER":
            return int(value)
        if column_type == "DOUBLE":
            return float(value)
    except ValueError:
        raise DataDirectoryError(f"{where}: {value!r} is not a valid {column_type.lower()}") from None
    return value


def rows_to_table(table: Table, rows: list[dict], origin: str, dataset: str | None = None) -> pa.Table:
    """Typed Arrow table of `rows` (CSV strings), filling `dataset` when the rows lack it."""
    columns: dict[str, list] = {column.name: [] for column in table.columns}
    for index, row in enumerate(rows, start=2):
        if dataset is not None:
            row = {**row, "dataset": row.get("dataset") or dataset}
        for column in table.columns:
            where = f"{origin} line {index}, column {column.name}"
            value = _convert(row.get(column.name) or "", column.type, where)
            if value is None and not column.nullable:
                raise DataDirectoryError(f"{where}: a value is required")
            columns[column.name].append(value)
    return pa.table(columns, schema=arrow_schema(table))


def _read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        raise DataDirectoryError(f"{path}: source file is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def build_tables(src_dir: Path) -> tuple[dict[str, pa.Table], CleaningReport]:
    """Every table of the built-in dataset, built from `src_dir`, and the VDC cleaning report."""
    tables: dict[str, pa.Table] = {}
    for name in ("events", "actors", "forces"):
        path = src_dir / f"{name}.csv"
        tables[name] = rows_to_table(TABLES[name], _read_csv(path), str(path), BUILTIN_DATASET)
    reports_path = src_dir / "casualties.csv"
    reports = rows_to_table(TABLES["casualties"], _read_csv(reports_path), str(reports_path), BUILTIN_DATASET)
    vdc_rows, cleaning = clean_vdc(src_dir / RAW_FILE_NAME)
    individuals = rows_to_table(TABLES["casualties"], vdc_rows, RAW_FILE_NAME, VDC_DATASET)
    tables["casualties"] = pa.concat_tables([reports, individuals])
    return tables, cleaning


def _write(tables: dict[str, pa.Table], out_dir: Path) -> None:
    for name, table in tables.items():
        pq.write_table(table, out_dir / f"{name}.parquet", compression="zstd")


def build_data(src_dir: Path, out_dir: Path) -> tuple[CleaningReport, list[str]]:
    """Build, validate against the schema and the built-in vocabularies, then replace the Parquet files.

    Returns the cleaning report and the check's summary. Nothing in `out_dir` changes unless
    the whole build validates."""
    tables, cleaning = build_tables(src_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        _write(tables, staging)
        result = check_data_dir(staging, {**BUILTIN_VOCABULARIES, **dimension_vocabularies(builtin=True)})
        if result.problems:
            raise DataDirectoryError(f"{src_dir}: the built data is invalid: {result.problems[0]} ({len(result.problems)} problem(s))")
        for name in tables:
            os.replace(staging / f"{name}.parquet", out_dir / f"{name}.parquet")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cleaning, result.summary
