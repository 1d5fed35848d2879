"""Every export, one way: the data (not its display) streamed from DuckDB, written atomically, with its provenance.

Used by the panes' tables (`e`), the SQL pane (ctrl+o), `conflict-explorer query` and `conflict-explorer export`.
A view exports its records' data: ids, numbers as numbers, dates as dates, source and URL columns. Each file
goes to a temporary file beside it, renamed when complete; beside it, `NAME.citation.txt` holds the view spec,
the datasets' versions, the app's version, the export's time and how each dataset's publisher asks to be cited
(a Parquet file holds the same as key/value metadata). Knows nothing of the UI.
"""

from __future__ import annotations

import csv
import json
import math
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from explorer import __version__
from explorer.builtin import builtin_data_dir
from explorer.db import geo, queries
from explorer.db.errors import ExplorerError
from explorer.db.paging import Order
from explorer.db.versions import (
    FILES_VERSION,
    DatasetImport,
    dataset_imports,
    dataset_versions,
    version_of,
)
from explorer.format import cell, counted_noun
from explorer.view_spec import CITATION_VIEW_LABEL, InvalidViewSpec, ViewSpec, encode
from explorer.engine import Cursor

FORMATS = ("csv", "parquet", "json")
BATCH_ROWS = 10_000
METADATA_PREFIX = "conflict_explorer."
CITATION_SUFFIX = ".citation.txt"

EVENT_COLUMNS = ("event_id", "date", "end_date", "date_precision", "title", "event_type", "front", "location", "admin1", "admin2",
                 "latitude", "longitude", "location_precision", "actor_ids", "actor_names", "description", "dataset", "source",
                 "source_url")
OCCURRENCE_COLUMNS = ("dataset", "occurrence_id", "kind", "first_date", "last_date", "person_name", "nationality", "front",
                      "actor_id", "actor_name", "ranks", "killed", "killed_qualifier", "killed_low", "killed_high", "killed_reports",
                      "wounded", "wounded_qualifier", "wounded_low", "wounded_high", "wounded_reports", "reports", "event_id",
                      "sources", "source_urls")
"""An occurrence as the casualty tables count it: the counted (lowest) figure, its range, how many reports, their sources."""
ACTOR_COLUMNS = ("actor_id", "name", "short_name", "kind", "country", "parent_id", "side", "events", "killed_individual",
                 "killed_incident", "wounded_incident", "killed_tally_max", "wounded_tally_max", "killed_cumulative_max",
                 "occurrences", "description", "dataset", "source", "source_url")


def format_of(path: Path) -> str:
    """The export format a file name asks for."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ExplorerError(f"{path.name}: give a file ending in .csv, .parquet or .json")
    return suffix


def check_target(path: Path, data_dir: Path) -> Path:
    """Where an export may go: never inside the data directory, never a folder, in a folder that exists."""
    resolved = path.expanduser().resolve()
    data = data_dir.resolve()
    if resolved == data or data in resolved.parents:
        raise ExplorerError(f"{path}: that is inside the data directory, which is read-only: choose another folder")
    if resolved.is_dir():
        raise ExplorerError(f"{path}: that is a folder: give a file name")
    if citation_path(resolved).is_dir():
        raise ExplorerError(f"{citation_path(resolved)}, where its citation goes, is a folder: choose another name")
    if not resolved.parent.is_dir():
        raise ExplorerError(f"{path}: no folder {resolved.parent}: choose an existing folder")
    return resolved


def existing(path: Path) -> Path | None:
    """The file an export to `path` would overwrite: the file itself, or the citation beside it."""
    return next((found for found in (path, citation_path(path)) if found.exists() or found.is_symlink()), None)


# --- text output: the CLI's stdout and the csv / json files ----------------------------------

TEXT_TYPES = ("DATE", "TIME", "INTERVAL", "DECIMAL", "BLOB", "UUID", "BIT", "ENUM", "UNION")
"""Types whose values DuckDB writes as text for the csv and table formats: exact decimals, `infinity` dates,
blobs as `\\x00`, which Python's conversions would round, reject or crash on."""
CELL_WIDTH = 48
"""Longest cell the `table` format prints before cutting it with an ellipsis."""
TABLE_BLOCK_ROWS = 1000
"""The `table` format sets its column widths from the first rows it prints, so it can stream the rest."""


def output_select(columns: list[str], types: list[str], output_format: str) -> str:
    """What the output reads around a result ({rows}), its columns renamed by position (names may repeat):
    DuckDB's own JSON for every cell for `json`, and DuckDB's text for the types above otherwise."""
    names = [f"c{index}" for index in range(len(columns))]
    cells = []
    for name, column_type in zip(names, types):
        if output_format == "json":
            plain = f"to_json({name})"
            if column_type in ("DOUBLE", "FLOAT"):  # NaN and Infinity are not JSON: they go as strings
                plain = f"CASE WHEN isfinite({name}) IS FALSE THEN to_json(CAST({name} AS VARCHAR)) ELSE {plain} END"
            cells.append(f"{plain} AS {name}")
        elif any(kind in column_type.upper() for kind in TEXT_TYPES):
            cells.append(f"CAST({name} AS VARCHAR) AS {name}")
        else:
            cells.append(name)
    return f"SELECT {', '.join(cells)} FROM {{rows}} AS output({', '.join(names)})"


def _json_keys(columns: list[str]) -> list[str]:
    """The columns as JSON keys, repeated names numbered (a, a_1), so no value overwrites another."""
    keys: list[str] = []
    for column in columns:
        key, number = column, 0
        while key in keys:
            number += 1
            key = f"{column}_{number}"
        keys.append(key)
    return keys


def _text(value: object) -> str:
    return cell(value.isoformat() if isinstance(value, (date, datetime)) else value, separator="; ")


def _table_cell(value: object) -> str:
    text = _text(value).replace("\n", " ")
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def _rows(batch: pa.RecordBatch) -> Iterable[list]:
    """A batch's rows as lists, by position: never through dicts, which would merge repeated column names."""
    return zip(*(column.to_pylist() for column in batch.columns)) if batch.num_columns else ([] for _ in range(batch.num_rows))


def _json_text(value: object) -> str:
    """A value as JSON text, for rows no engine formatted (see `write_batches`): dates as ISO text, decimals
    as numbers (whole ones exact), NaN and Infinity as strings, bytes as text."""
    def plain(item: object) -> object:
        if isinstance(item, (date, datetime)):
            return item.isoformat()
        if isinstance(item, Decimal):
            return (int(item) if item == item.to_integral_value() else float(item)) if item.is_finite() else str(item)
        if isinstance(item, float) and not math.isfinite(item):
            return str(item)
        if isinstance(item, bytes):
            return item.decode("utf-8", "backslashreplace")
        if isinstance(item, dict):
            return {str(key): plain(member) for key, member in item.items()}
        if isinstance(item, (list, tuple)):
            return [plain(member) for member in item]
        return item

    return json.dumps(plain(value), ensure_ascii=False)


def write_batches(columns: list[str], batches: Iterable[pa.RecordBatch], output_format: str, out: TextIO,
                  json_cells: bool = True) -> int:
    """Write a result as it streams from DuckDB, one batch at a time (memory stays flat); the row count.
    For `json`, each cell is already DuckDB's JSON text (see `output_select`), unless `json_cells` is False
    (a result no engine formatted: Spark's, EXPLAIN's), when it is written as JSON here."""
    rows = 0
    widths: list[int] | None = None
    block: list[list[str]] = []
    keys = [json.dumps(key, ensure_ascii=False) for key in _json_keys(columns)]

    def table_lines(cells: list[list[str]]) -> str:
        return "".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n" for row in cells)

    def start_table() -> None:
        nonlocal widths
        widths = [max([len(header)] + [len(row[index]) for row in block]) for index, header in enumerate(columns)]
        out.write("  ".join(header.ljust(width) for header, width in zip(columns, widths)).rstrip() + "\n")
        out.write("  ".join("─" * width for width in widths) + "\n" + table_lines(block))

    writer = csv.writer(out, lineterminator="\n") if output_format == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    elif output_format == "json":
        out.write("[")
    for batch in batches:
        for values in _rows(batch):
            if writer is not None:
                writer.writerow([_text(value) for value in values])
            elif output_format == "json":
                cells = values if json_cells else [_json_text(value) if value is not None else None for value in values]
                members = ", ".join(f"{key}: {value if value is not None else 'null'}" for key, value in zip(keys, cells))
                out.write(("\n" if rows == 0 else ",\n") + "{" + members + "}")
            elif widths is None:
                block.append([_table_cell(value) for value in values])
                if len(block) == TABLE_BLOCK_ROWS:
                    start_table()
            else:
                out.write(table_lines([[_table_cell(value) for value in values]]))
            rows += 1
    if output_format == "json":
        out.write("\n]\n")
    elif output_format == "table":
        if widths is None:
            start_table()
        out.write(f"({counted_noun(rows, 'row')})\n")
    return rows


# --- what is exported ----------------------------------------------------------------------------

class Source(Protocol):
    """Rows to export: their columns and DuckDB types, and their batches, read as they are or through a
    SELECT around them ({rows})."""

    columns: list[str]
    types: list[str]

    formats_output: bool
    """Whether `batches` reads the rows through `around` (DuckDB's SQL); if not, they come as they are."""

    def batches(self, around: str | None = None) -> Iterator[pa.RecordBatch]: ...


@dataclass
class QuerySource:
    """A parameterised query's rows on a cursor."""

    con: Cursor
    sql: str
    params: tuple | list = ()
    columns: list[str] = field(init=False)
    types: list[str] = field(init=False)
    formats_output = True

    def __post_init__(self) -> None:
        description = self.con.execute(f"SELECT * FROM ({self.sql}) LIMIT 0", list(self.params)).description
        self.columns = [column[0] for column in description]
        self.types = [str(column[1]) for column in description]

    def schema(self) -> pa.Schema:
        return self.con.execute(f"SELECT * FROM ({self.sql}) LIMIT 0", list(self.params)).to_arrow_table().schema

    def batches(self, around: str | None = None) -> Iterator[pa.RecordBatch]:
        sql = around.replace("{rows}", f"({self.sql})") if around else self.sql
        yield from self.con.execute(sql, list(self.params)).to_arrow_reader(BATCH_ROWS)


@dataclass
class ResultSource:
    """A SQL pane or `query` result (`explorer.db.sql_session.ResultSet`)."""

    result: object

    @property
    def columns(self) -> list[str]:
        return self.result.columns

    @property
    def types(self) -> list[str]:
        return self.result.types

    @property
    def formats_output(self) -> bool:
        return self.result.materialised is None and self.result.derivable

    def batches(self, around: str | None = None) -> Iterator[pa.RecordBatch]:
        shown = self.result.derived(around) if around and self.formats_output else self.result
        with closing(shown.batches(BATCH_ROWS)) as batches:  # closed on this thread, which holds the session's lock
            yield from batches


def _order(spec: ViewSpec, sortable: list[str], shown: tuple[str, ...]) -> Order | None:
    """The spec's sort, if the table can sort by it."""
    if spec.sort is None:
        return None
    sortable = [column for column in sortable if column in shown]
    if spec.sort not in sortable:
        raise InvalidViewSpec(f"view spec part sort={spec.sort!r}: the {spec.pane} table sorts by {', '.join(sortable)}")
    return Order(spec.sort, spec.sort_reverse)


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def view_source(con: Cursor, spec: ViewSpec) -> QuerySource:
    """The rows the view's table shows, as data, in its order: events, an actor list with their figures,
    a basis's occurrences or its pivot (nationality × front, long: one row per cell)."""
    filters = spec.filters
    if spec.pane == "timeline":
        rows = queries.event_rows(con, filters)
        order = _order(spec, rows.sortable(con), EVENT_COLUMNS) or rows.default
        return QuerySource(con, f"SELECT {_columns(EVENT_COLUMNS)} FROM ({rows.all_rows(order)})", rows.params)
    if spec.pane == "actors":
        sql, params = queries.actors_with_casualties_sql(con, replace(filters, actor_ids=frozenset()))
        return QuerySource(con, f"SELECT {_columns(ACTOR_COLUMNS)} FROM ({sql})", params)
    if spec.pane == "casualties":
        kind = spec.kind or "incident"
        if spec.pivot:
            return QuerySource(con, *queries.casualty_pivot_sql(filters, kind))
        rows = queries.occurrence_rows(con, filters, kind)
        order = _order(spec, rows.sortable(con), OCCURRENCE_COLUMNS + ("killed_per_month",)) or rows.default
        urls = ("(SELECT list(DISTINCT c.source_url ORDER BY c.source_url) FILTER (WHERE c.source_url IS NOT NULL) FROM casualties c "
                "WHERE c.dataset = o.dataset AND c.occurrence_id = o.occurrence_id) AS source_urls")
        sql = f"SELECT o.* EXCLUDE (source_urls), {urls} FROM (SELECT *, NULL AS source_urls FROM ({rows.all_rows(order)})) AS o"
        return QuerySource(con, f"SELECT {_columns(OCCURRENCE_COLUMNS)} FROM ({sql})", rows.params)
    if spec.pane == "map":  # the events under the filter with where the map draws them (none: country-wide)
        sql, params = geo.placed_events_sql(con, filters)
        return QuerySource(con, f"SELECT event_id, date, title, front, location, location_precision, placed_by, "
                                f"lat AS latitude, lon AS longitude FROM ({sql}) ORDER BY date NULLS LAST, event_id", params)
    raise InvalidViewSpec("the SQL pane's view exports its query's result: give the spec's sql= part")


# --- provenance ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Provenance:
    """Where an export's rows came from: the view, the data and its versions, and how to cite each dataset."""

    spec: ViewSpec
    data_label: str
    citations: list[str]
    exported_at: datetime

    @property
    def spec_text(self) -> str:
        return encode(self.spec)

    def text(self, name: str, output_format: str, rows: int) -> str:
        versions = ", ".join(f"{dataset} {version}" for dataset, version in sorted(self.spec.versions.items())) or "unknown"
        lines = [
            f"Exported by conflict-explorer {__version__} on {self.exported_at.isoformat(timespec='seconds')}",
            f"File: {name} ({output_format}, {counted_noun(rows, 'row')})",
            f"Data: {self.data_label}",
            f"Dataset versions: {versions}",
            f"Pane: {self.spec.pane}" + (f" · basis {self.spec.kind or 'incident'}" if self.spec.pane == "casualties" else "")
            + (" · pivot" if self.spec.pivot and self.spec.pane == "casualties" else ""),
            f"Filter: {self.spec.filters.summary()}",
        ]
        if self.spec.pane == "sql" and self.spec.sql:
            lines.append(f"Query: {' '.join(self.spec.sql.split())}")
        lines += [f"{CITATION_VIEW_LABEL}{self.spec_text}", "", "Cite the data as:"]
        lines += [f"- {citation}" for citation in self.citations]
        return "\n".join(one_line(line) for line in lines) + "\n"

    def metadata(self, name: str, output_format: str, rows: int) -> dict[bytes, bytes]:
        values = {"view": self.spec_text, "versions": json.dumps(self.spec.versions, ensure_ascii=False, sort_keys=True),
                  "app_version": __version__, "exported_at": self.exported_at.isoformat(timespec="seconds"),
                  "citation": self.text(name, output_format, rows)}
        return {f"{METADATA_PREFIX}{key}".encode(): value.encode("utf-8") for key, value in values.items()}


BUILTIN_CITATIONS = {
    "builtin": "conflict-explorer built-in dataset, files {version}: events, actors and casualty figures compiled from "
               "published reporting; each row names its own source (cite that source too)",
    "vdc": "Violations Documentation Center in Syria (VDC), list of government-side fatalities, as republished on the "
           "Humanitarian Data Exchange; cleaned in the conflict-explorer built-in dataset, files {version}",
}


def dataset_citation(dataset: str, versions: dict[str, str], imported: DatasetImport | None, accessed: date,
                     filter_summary: str) -> str:
    """How a dataset is cited, as far as its publisher's request and what the data directory records allow."""
    version = version_of(versions, dataset) or "unknown"
    if imported is None:
        template = BUILTIN_CITATIONS.get(dataset, "{dataset}, version {version}")
        return template.format(dataset=dataset, version=version) + f"; accessed {accessed.isoformat()}"
    file_name = Path(imported.file).name or "unknown file"
    imported_on = imported.imported_at[:10] or "unknown"
    if imported.importer == "ucdp":
        release = (imported.version or "").removeprefix("GED ") or "unknown"
        return (f"UCDP Georeferenced Event Dataset (GED) version {release}, Uppsala Conflict Data Program "
                f"(file {file_name}, imported {imported_on}); accessed {accessed.isoformat()}")
    if imported.importer == "acled":
        return (f"Armed Conflict Location & Event Data Project (ACLED), export with {imported.version or 'no timestamp'} "
                f"(file {file_name}, imported {imported_on}); accessed {accessed.isoformat()}; filters used: {filter_summary}")
    return (f"{dataset}: imported from {file_name} (SHA-256 {imported.sha256[:12]}) on {imported_on}, version {version}; "
            f"accessed {accessed.isoformat()}; cite the publisher its source column names")


def is_builtin(data_dir: Path) -> bool:
    return data_dir.resolve() == builtin_data_dir().resolve()


def current_spec(spec: ViewSpec, data_dir: Path) -> ViewSpec:
    """`spec` with `data_dir` and its dataset versions as they stand now."""
    return replace(spec, data_dir=None if is_builtin(data_dir) else str(data_dir), versions=dataset_versions(data_dir))


def provenance(con: Cursor, data_dir: Path, spec: ViewSpec, now: datetime | None = None) -> Provenance:
    """The provenance of an export of `spec` from `data_dir`, its versions as they stand now."""
    now = now or datetime.now(UTC)
    builtin = is_builtin(data_dir)
    spec = current_spec(spec, data_dir)
    versions = spec.versions
    imports = dataset_imports(data_dir)
    datasets = sorted({row[0] for row in con.execute(
        "SELECT DISTINCT dataset FROM events UNION SELECT DISTINCT dataset FROM casualties "
        "UNION SELECT DISTINCT dataset FROM actors").fetchall() if row[0] is not None})
    summary = spec.filters.summary()
    citations = [dataset_citation(name, versions, imports.get(name), now.date(), summary) for name in datasets]
    label = "the built-in dataset" if builtin else str(data_dir)
    if FILES_VERSION in versions and not builtin:
        label += f" (no imports.json: versioned by the checksum of its files, {versions[FILES_VERSION]})"
    return Provenance(spec, label, citations, now)


@dataclass(frozen=True)
class CitedRecord:
    """The record a citation is about: what it is, its key and dataset, and each of its sources with its URL."""

    what: str
    key: str
    dataset: str
    sources: tuple[tuple[str, str | None], ...]


def record_citation(record: CitedRecord, versions: dict[str, str], spec_text: str, accessed: date) -> str:
    """A citation of one record: its sources and URLs, its dataset and version, the access date and the view."""
    lines = [f"{record.what} ({record.key})"]
    for source, url in record.sources or (("unknown", None),):
        lines.append(f"Source: {source}")
        if url:
            lines.append(f"URL: {url}")
    lines += [f"Dataset: {record.dataset}, version {version_of(versions, record.dataset) or 'unknown'}",
              f"Accessed: {accessed.isoformat()} through conflict-explorer {__version__}",
              f"{CITATION_VIEW_LABEL}{spec_text}"]
    return "\n".join(one_line(line) for line in lines)


LINE_BREAKS = str.maketrans(dict.fromkeys("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))
"""Every character `str.splitlines` breaks a line at."""


def one_line(text: str) -> str:
    """`text` on one line: a value from the data (a folder's or a file's name, a source's title) that holds a line
    break must not start a line of its own, such as a second `View:` line that `--view` would read first."""
    return text.translate(LINE_BREAKS)


# --- writing ---------------------------------------------------------------------------------------

def _temporary(path: Path) -> Path:
    """A new file's name beside `path` (so that the rename stays on one file system)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def write_export(source: Source, path: Path, output_format: str, origin: Provenance | None) -> int:
    """Stream `source` to `path` as `output_format` through a temporary file renamed when complete, then its
    citation beside it; the row count."""
    temporary = _temporary(path)
    citation = _temporary(path) if origin is not None else None
    rows = 0
    try:
        if output_format == "parquet":
            writer = None
            for batch in source.batches():
                if writer is None:
                    writer = pq.ParquetWriter(temporary, batch.schema)
                writer.write_batch(batch)
                rows += batch.num_rows
            if writer is None:
                schema = source.schema() if isinstance(source, QuerySource) else None
                if schema is None:
                    raise ExplorerError("the result is empty: nothing to export")
                writer = pq.ParquetWriter(temporary, schema)
            if origin is not None:
                writer.add_key_value_metadata(origin.metadata(path.name, output_format, rows))
            writer.close()
        else:
            with temporary.open("w", newline="", encoding="utf-8") as handle:
                rows = write_batches(source.columns, source.batches(output_select(source.columns, source.types, output_format)),
                                     output_format, handle, source.formats_output)
        if citation is not None:  # written before either is renamed: a file is never left without its citation
            citation.write_text(origin.text(path.name, output_format, rows), encoding="utf-8")
        os.replace(temporary, path)
        if citation is not None:
            os.replace(citation, citation_path(path))
    finally:
        temporary.unlink(missing_ok=True)
        if citation is not None:
            citation.unlink(missing_ok=True)
    return rows


def citation_path(path: Path) -> Path:
    return path.with_name(path.name + CITATION_SUFFIX)
