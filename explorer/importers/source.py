"""Reading an input file into DuckDB: recognise its layout, stage it as text columns with record numbers.

The file is read by DuckDB alone (CSV, gzip-compressed CSV or Parquet) and never loaded into Python.
Every staged column is text under our canonical name, so one set of checks serves every variant of
a layout. Line numbers follow DuckDB's: the header is line 1, each record one line after it.
"""

from __future__ import annotations

import bisect
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from explorer.db.errors import ImportFailed

DATE_FORMATS = ["%d-%b-%y", "%d-%b-%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%d.%m.%Y"]
"""Day dates as real exports write them besides ISO (2020-02-22, with any time or zone after it, which is
the date as written): 22-Feb-20, 22 February 2020, ... A year outside 1900 to next year is no date: `%Y`
takes two digits, and a two-digit year may be read in the wrong century."""

SQL_MACROS = (
    "CREATE OR REPLACE TEMP MACRO any_day(s) AS CASE WHEN regexp_matches(trim(s), '^\\d{4}-\\d{1,2}-\\d{1,2}([ T].*)?$') "
    "THEN try_strptime(regexp_extract(trim(s), '^\\d{4}-\\d{1,2}-\\d{1,2}'), '%Y-%m-%d')::DATE "
    f"ELSE try_strptime(trim(s), {DATE_FORMATS!r})::DATE END",
    "CREATE OR REPLACE TEMP MACRO day_date(s) AS CASE WHEN year(any_day(s)) BETWEEN 1900 AND year(current_date) + 1 "
    "THEN any_day(s) END",
    "CREATE OR REPLACE TEMP MACRO blank(s) AS s IS NULL OR trim(s) = ''",
    "CREATE OR REPLACE TEMP MACRO no_date(s) AS blank(s) OR regexp_full_match(trim(s), '[0\\s./:-]+') "
    "OR lower(trim(s)) IN ('n/a', 'na', 'n.a.', 'nd', 'n.d.', 'unknown', 'none', 'null', 'nil', '-', '--', '?', 'x')",
    "CREATE OR REPLACE TEMP MACRO text_or_null(s) AS nullif(trim(s), '')",
    "CREATE OR REPLACE TEMP MACRO whole_number(s) AS CASE WHEN regexp_full_match(trim(s), '\\+?\\d+(\\.0*)?') "
    "THEN try_cast(regexp_extract(trim(s), '^\\+?(\\d+)', 1) AS INTEGER) END",
    "CREATE OR REPLACE TEMP MACRO is_whole_number(s) AS blank(s) OR whole_number(s) IS NOT NULL",
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


DELIMITERS = (",", ";", "\t", "|")


def _delimiter(con: duckdb.DuckDBPyConnection, path: Path, compression: str) -> str:
    """The delimiter DuckDB's sniffer finds; when a broken record defeats it, the one the header line uses most."""
    try:
        return con.execute("SELECT Delimiter FROM sniff_csv(?, ignore_errors = true, compression = ?)",
                           [str(path), compression]).fetchall()[0][0]
    except duckdb.Error:
        opener = gzip.open if compression == "gzip" else open
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as stream:
            header = stream.readline()
        counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=counts.get)
        if counts[best] == 0:
            raise
        return best


def _header(con: duckdb.DuckDBPyConnection, path: Path, compression: str) -> tuple[list[str], str]:
    """The first row's values and the delimiter, sniffed past malformed rows."""
    try:
        delimiter = _delimiter(con, path, compression)
        rows = con.execute(
            "SELECT * FROM read_csv(?, header = false, all_varchar = true, compression = ?, delim = ?, ignore_errors = true) LIMIT 1",
            [str(path), compression, delimiter],
        ).fetchall()
    except duckdb.Error as error:
        raise ImportFailed(f"{path}: not a CSV, gzip-compressed CSV or Parquet file ({first_line(error)})") from None
    if not rows:
        raise ImportFailed(f"{path}: the file is empty")
    return [value or "" for value in rows[0]], delimiter


def _names(path: Path, layout: Layout, columns: list[str], mapping: dict[str, str]) -> list[str | None]:
    """The canonical name of each column (None: not ours). `mapping` (file column → field) wins over a
    column named like its field. Of two spellings of one field, the usual one (the field's own name, then its
    aliases in order: Province before Region) is read and the other reported unused; two columns spelled
    alike ("fatalities", "Fatalities") are refused, never guessed."""
    cleaned = [column.strip().lstrip("\ufeff").strip() for column in columns]
    exact = {key.strip(): value for key, value in mapping.items() if key.strip() in cleaned}
    lowered = {key.strip().lower(): value for key, value in mapping.items() if key.strip() not in exact}
    mapped = [exact.get(column) or lowered.get(column.lower()) for column in cleaned]  # the exact spelling wins
    names = [chosen or (None if layout.canonical(column) in mapped else layout.canonical(column))
             for chosen, column in zip(mapped, columns)]
    order = [*layout.known, *layout.aliases]

    def rank(index: int) -> int:
        spelling = cleaned[index].lower().replace(" ", "_")
        return order.index(spelling) if spelling in order else len(order)

    for name in dict.fromkeys(name for name in names if name is not None):
        where = sorted((index for index, other in enumerate(names) if other == name and mapped[index] is None), key=rank)
        if len(where) < 2:
            continue
        if rank(where[0]) == rank(where[1]):
            shown = ", ".join(f"{index + 1} ({columns[index].strip()!r})" for index in where)
            raise ImportFailed(f"{path.name}: the header has {len(where)} columns read as {name!r} (columns {shown}): "
                               f"keep one, or choose it with --map COLUMN={name}")
        for index in where[1:]:
            names[index] = None  # a less usual spelling of the same field: reported as a column not used
    return names


def _check_mapping(path: Path, layout: Layout, columns: list[str], mapping: dict[str, str]) -> None:
    present = {column.strip().lstrip("\ufeff").strip().lower() for column in columns}
    for column, target in mapping.items():
        if column.strip().lower() not in present:
            raise ImportFailed(f"--map {column}={target}: {path.name} has no column {column!r} (it has: {', '.join(columns)})")
        if target not in layout.known:
            raise ImportFailed(f"--map {column}={target}: {target!r} is not a field (fields: {', '.join(layout.known)})")


@dataclass
class Recognised:
    """An input file whose layout is known: what to read, and how."""

    path: Path
    """The file the user gave (named in messages)."""
    read_path: Path
    """What DuckDB reads: the file, or its UTF-8 copy."""
    kind: str
    compression: str
    columns: list[str]
    names: list[str | None]
    headerless: bool
    delimiter: str
    notes: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    """A Parquet file's column types (a CSV's columns are all text)."""


def recognise(con: duckdb.DuckDBPyConnection, path: Path, layout: Layout, mapping: dict[str, str] | None = None,
              encoding: str | None = None, folder: Path | None = None) -> Recognised:
    """The file's format, encoding and columns, or ImportFailed saying what is wrong with it (in one line).
    Text that is not UTF-8 is copied as UTF-8 into `folder` first (see encoding)."""
    from explorer.importers.encoding import as_utf8

    mapping = mapping or {}
    if path.is_dir():
        raise ImportFailed(f"{path}: a folder, not a file: give the export file itself")
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    try:
        kind, compression = file_format(path)
    except OSError as error:
        raise ImportFailed(f"{path}: cannot read it ({error.strerror})") from None
    headerless, delimiter, read_path, notes, types = False, ",", path, [], []
    if kind == "parquet":
        try:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            columns, types = [row[0] for row in described], [row[1] for row in described]
        except duckdb.Error as error:
            raise ImportFailed(f"{path}: not a readable Parquet file ({first_line(error)})") from None
    else:
        try:
            read_path, compression, note = as_utf8(path, compression, encoding, folder or path.parent)
        except OSError as error:
            raise ImportFailed(f"{path}: cannot read it ({error.strerror or error})") from None
        notes += [note] if note else []
        columns, delimiter = _header(con, read_path, compression)
    _check_mapping(path, layout, columns, mapping)
    names = _names(path, layout, columns, mapping)
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
    return Recognised(path, read_path, kind, compression, columns, names, headerless, delimiter, notes, types)


def _as_text(column: str, column_type: str) -> str:
    """A typed Parquet column as the text a CSV would hold: a whole number stored as a float is written without
    its '.0' (an id of 1.0 is the id 1, a code 2.0 the code 2)."""
    quoted = '"' + column.replace('"', '""') + '"'
    if column_type.upper() in ("DOUBLE", "FLOAT", "REAL") or column_type.upper().startswith("DECIMAL"):
        return (f"CASE WHEN {quoted} = trunc({quoted}) AND abs({quoted}) < 1e15 THEN CAST(CAST({quoted} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({quoted} AS VARCHAR) END")
    return f"CAST({quoted} AS VARCHAR)"


ROW_KEY = "_row_key"
"""A staged column: a digest of every column of the file's record, ours or not (what 'exact repeat' compares)."""


def stage(con: duckdb.DuckDBPyConnection, recognised: Recognised, layout: Layout) -> Staged:
    """Read the recognised file into table `raw`: record number, our columns as text, and ROW_KEY."""
    path, kind, names, columns, headerless = recognised.path, recognised.kind, recognised.names, recognised.columns, recognised.headerless
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
            every = [_as_text(column, column_type) for column, column_type in zip(columns, recognised.types)]
            select = ", ".join(f'{cast} AS "{name}"' for cast, name in zip(every, names) if name is not None)
            con.execute(
                f"CREATE TABLE raw AS SELECT file_row_number + 1 AS record, {staged_columns}, {ROW_KEY} "
                f"FROM (SELECT file_row_number, {select}, md5(list_value({', '.join(every)})::VARCHAR) AS {ROW_KEY} "
                "FROM read_parquet(?, file_row_number = true))",
                [str(recognised.read_path)],
            )
        else:
            read_names = [name if name is not None else f"_ignored_{i}" for i, name in enumerate(names)]
            every = ", ".join(f'"{name}"' for name in read_names)
            read = (f"CREATE OR REPLACE TABLE raw AS SELECT row_number() OVER () AS record, {staged_columns}, "
                    f"md5(list_value({every})::VARCHAR) AS {ROW_KEY} FROM read_csv(?, "
                    "header = ?, names = ?, all_varchar = true, compression = ?, delim = ?, store_rejects = true, "
                    "rejects_table = 'csv_rejects', rejects_scan = 'csv_scans', max_line_size = 10000000{quote})")
            arguments = [str(recognised.read_path), not headerless, read_names, recognised.compression, recognised.delimiter]
            try:  # RFC 4180's quote, even where the sniffer saw none in the rows it read: quotes may come late
                con.execute(read.format(quote=", quote = '\"', escape = '\"'"), arguments)
            except duckdb.InvalidInputException:  # a broken record defeats the sniffer with the quote set: let it choose
                con.execute(read.format(quote=""), arguments)
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
