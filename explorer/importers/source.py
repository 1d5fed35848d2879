"""Reading an input file into DuckDB: recognise its layout, stage it as text columns with record numbers.

The file is read by DuckDB alone (CSV, gzip-compressed CSV or Parquet) and never loaded into Python.
Every staged column is text under our canonical name, so one set of checks serves every variant of
a layout. Line numbers follow DuckDB's: the header is line 1, each record one line after it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from explorer.db.errors import ImportFailed

DATE_FORMATS = [
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
    "%d-%b-%y", "%d-%b-%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%d.%m.%Y",
]
"""Day dates as real exports write them: 2020-02-22, 22-Feb-20, 22 February 2020, ..."""

SQL_MACROS = (
    f"CREATE OR REPLACE TEMP MACRO day_date(s) AS try_strptime(trim(s), {DATE_FORMATS!r})::DATE",
    "CREATE OR REPLACE TEMP MACRO blank(s) AS s IS NULL OR trim(s) = ''",
    "CREATE OR REPLACE TEMP MACRO text_or_null(s) AS nullif(trim(s), '')",
    "CREATE OR REPLACE TEMP MACRO whole_number(s) AS try_cast(try_cast(trim(s) AS DOUBLE) AS INTEGER)",
    "CREATE OR REPLACE TEMP MACRO is_whole_number(s) AS blank(s) OR ("
    "try_cast(trim(s) AS DOUBLE) IS NOT NULL AND try_cast(trim(s) AS DOUBLE) >= 0 "
    "AND try_cast(trim(s) AS DOUBLE) = floor(try_cast(trim(s) AS DOUBLE)) AND try_cast(trim(s) AS DOUBLE) < 2147483648)",
    "CREATE OR REPLACE TEMP MACRO coordinate(s, bound) AS "
    "CASE WHEN abs(try_cast(trim(s) AS DOUBLE)) <= bound THEN try_cast(trim(s) AS DOUBLE) END",
    "CREATE OR REPLACE TEMP MACRO is_coordinate(s, bound) AS blank(s) OR coordinate(s, bound) IS NOT NULL",
)
"""SQL helpers the importers' checks and mappings share (temp macros of the staging connection)."""


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SQL_MACROS:
        con.execute(statement)


@dataclass(frozen=True)
class Layout:
    """The columns an importer knows, by canonical name, with the spellings real files use."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    """Other spellings (lower case) → canonical name."""
    headerless: tuple[str, ...] = ()
    """The known column order of files published without a header row."""

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional

    def canonical(self, column: str) -> str | None:
        name = column.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")
        if name in self.known:
            return name
        return self.aliases.get(name)

    def expected(self) -> str:
        return f"required: {', '.join(self.required)}; optional: {', '.join(self.optional)}"


@dataclass
class Staged:
    """The staged input: table `raw` (record, canonical text columns) and what reading it found."""

    path: Path
    file_format: str
    header_lines: int
    columns_found: list[str]
    missing_optional: list[str]
    ignored_columns: list[str]
    headerless: bool
    rejected: list[tuple[int, str, str]]
    """(record number, reason, the raw line) of records the CSV reader could not split."""
    rows: int = 0

    def line(self, record: int) -> int:
        """The line number of the `record`-th accepted record."""
        if self.file_format == "parquet":
            return record
        keys = [rejected - position for position, (rejected, *_) in enumerate(self.rejected, start=1)]
        return record + bisect.bisect_left(keys, record) + self.header_lines

    @property
    def unit(self) -> str:
        """What a line number counts: rows of a Parquet file, lines of a CSV."""
        return "row" if self.file_format == "parquet" else "line"


def file_format(path: Path) -> tuple[str, str]:
    """('csv' or 'parquet', compression) from the file's first bytes, whatever its name."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        return "parquet", "none"
    if magic[:2] == b"\x1f\x8b":
        return "csv", "gzip"
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        return "csv", "zstd"
    return "csv", "none"


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


def _header(con: duckdb.DuckDBPyConnection, path: Path, compression: str) -> tuple[list[str], str]:
    """The first row's values and the delimiter, sniffed past malformed rows."""
    try:
        delimiter = con.execute(
            "SELECT Delimiter FROM sniff_csv(?, ignore_errors = true, compression = ?)", [str(path), compression]
        ).fetchall()[0][0]
        rows = con.execute(
            "SELECT * FROM read_csv(?, header = false, all_varchar = true, compression = ?, delim = ?, ignore_errors = true) LIMIT 1",
            [str(path), compression, delimiter],
        ).fetchall()
    except duckdb.Error as error:
        raise ImportFailed(f"{path}: not a CSV, gzip-compressed CSV or Parquet file ({first_line(error)})") from None
    if not rows:
        raise ImportFailed(f"{path}: the file is empty")
    return [value or "" for value in rows[0]], delimiter


def _names(layout: Layout, columns: list[str], mapping: dict[str, str]) -> list[str | None]:
    """The canonical name of each column (None: not ours); `mapping` (file column → field) wins."""
    lowered = {key.strip().lower(): value for key, value in mapping.items()}
    names = [lowered.get(column.strip().lstrip("\ufeff").strip().lower()) or layout.canonical(column) for column in columns]
    seen: set[str] = set()
    unique = []
    for name in names:
        unique.append(name if name not in seen else None)
        seen.add(name)
    return unique


def _check_mapping(path: Path, layout: Layout, columns: list[str], mapping: dict[str, str]) -> None:
    present = {column.strip().lstrip("\ufeff").strip().lower() for column in columns}
    for column, target in mapping.items():
        if column.strip().lower() not in present:
            raise ImportFailed(f"--map {column}={target}: {path.name} has no column {column!r} (it has: {', '.join(columns)})")
        if target not in layout.known:
            raise ImportFailed(f"--map {column}={target}: {target!r} is not a field (fields: {', '.join(layout.known)})")


def stage(con: duckdb.DuckDBPyConnection, path: Path, layout: Layout, mapping: dict[str, str] | None = None) -> Staged:
    """Read `path` into table `raw`, or raise ImportFailed saying which columns were expected."""
    mapping = mapping or {}
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    try:
        kind, compression = file_format(path)
    except OSError as error:
        raise ImportFailed(f"{path}: cannot read it ({error.strerror})") from None
    headerless, delimiter = False, ","
    if kind == "parquet":
        try:
            columns = [row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        except duckdb.Error as error:
            raise ImportFailed(f"{path}: not a readable Parquet file ({first_line(error)})") from None
    else:
        columns, delimiter = _header(con, path, compression)
    _check_mapping(path, layout, columns, mapping)
    names = _names(layout, columns, mapping)
    missing = [column for column in layout.required if column not in names]
    if missing and kind == "csv" and layout.headerless and len(columns) == len(layout.headerless) and not any(names):
        names, headerless = list(layout.headerless), True
        missing = [column for column in layout.required if column not in names]
    if missing:
        raise ImportFailed(
            f"{path.name} is not a recognisable {layout.name}: it lacks the required column(s) {', '.join(missing)} "
            f"(found: {', '.join(c.strip() for c in columns[:20]) or 'none'}{', ...' if len(columns) > 20 else ''}; "
            f"expected {layout.expected()})"
        )

    present = [name for name in names if name is not None]
    absent = [column for column in layout.optional if column not in present]
    staged_columns = ", ".join([f'"{name}"' for name in present] + [f'NULL::VARCHAR AS "{name}"' for name in absent])
    staged = Staged(
        path, kind, header_lines=0 if kind == "parquet" or headerless else 1,
        columns_found=[c.strip() for c in columns], missing_optional=absent,
        ignored_columns=[column.strip() for column, name in zip(columns, names) if name is None] if not headerless else [],
        headerless=headerless, rejected=[],
    )
    try:
        if kind == "parquet":
            select = ", ".join(
                f'CAST("{column.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS "{name}"'
                for column, name in zip(columns, names) if name is not None
            )
            con.execute(
                f"CREATE TABLE raw AS SELECT file_row_number + 1 AS record, {staged_columns} "
                f"FROM (SELECT file_row_number, {select} FROM read_parquet(?, file_row_number = true))",
                [str(path)],
            )
        else:
            read_names = [name if name is not None else f"_ignored_{i}" for i, name in enumerate(names)]
            con.execute(
                f"CREATE TABLE raw AS SELECT row_number() OVER () AS record, {staged_columns} FROM read_csv(?, "
                "header = ?, names = ?, all_varchar = true, compression = ?, delim = ?, store_rejects = true, "
                "rejects_table = 'csv_rejects', rejects_scan = 'csv_scans', max_line_size = 10000000)",
                [str(path), not headerless, read_names, compression, delimiter],
            )
            staged.rejected = [
                (line - staged.header_lines, error_type.lower(), csv_line)
                for line, error_type, csv_line in con.execute(
                    "SELECT DISTINCT ON (line) line, error_type, csv_line FROM csv_rejects ORDER BY line"
                ).fetchall()
            ]
    except duckdb.Error as error:
        raise ImportFailed(f"{path}: cannot read it ({first_line(error)})") from None
    staged.rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    return staged
