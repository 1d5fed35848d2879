"""Which rows an import keeps, which it skips and why: row checks in SQL, and the report the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from explorer.importers.source import Staged

EXAMPLES = 3
"""How many skipped lines the report quotes per reason."""


@dataclass(frozen=True)
class Check:
    """A row is skipped for `reason` when `failing` (SQL over table `raw`) holds; `shown` is the value quoted."""

    reason: str
    failing: str
    shown: str


@dataclass
class SkippedRows:
    reason: str
    count: int
    examples: list[tuple[int, str]]
    """(line, the offending value or line) of the first few."""


@dataclass
class ImportReport:
    """What an import read, wrote and skipped, for the terminal and the directory's manifest."""

    file_rows: int = 0
    written: dict[str, int] = field(default_factory=dict)
    skipped: list[SkippedRows] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unit: str = "line"

    @property
    def skipped_rows(self) -> int:
        return sum(group.count for group in self.skipped)

    def lines(self) -> list[str]:
        lines = [f"read {self.file_rows:,} rows; imported {self.file_rows - self.skipped_rows:,}, skipped {self.skipped_rows:,}"]
        lines += [f"  {table:<11} {count:>9,} rows written" for table, count in self.written.items()]
        for group in self.skipped:
            examples = "; ".join(f"{self.unit} {line}: {value}" for line, value in group.examples)
            more = ", ..." if group.count > len(group.examples) else ""
            lines.append(f"skipped {group.count:,} row(s): {group.reason} ({examples}{more})")
        lines += [f"note: {note}" for note in self.notes]
        return lines

    def as_dict(self) -> dict:
        return {
            "file_rows": self.file_rows,
            "written": self.written,
            "skipped": {group.reason: group.count for group in self.skipped},
        }


def _shorten(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    if not text:
        return "(empty)"
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _lines_spanned(text: str | None) -> int:
    """How many lines of the file a rejected record took: a quote left open swallows the records after it,
    and each of those is a row the file had, lost with it, so it is counted."""
    return (text or "").rstrip("\r\n").count("\n") + 1


def classify(
    con: duckdb.DuckDBPyConnection, staged: Staged, checks: list[Check], key: str | None, report: ImportReport, repeat_reason: str,
) -> None:
    """Create table `skipped` (record, reason, shown, first_record) of the rows to leave out, and view `kept` of the others.

    `key` is the SQL of a row's identity in the file: a second row with the same key is skipped."""
    whens = " ".join(f"WHEN {check.failing} THEN {index}" for index, check in enumerate(checks))
    shown = " ".join(f"WHEN {index} THEN {check.shown}" for index, check in enumerate(checks))
    first_of_key = f"min(record) OVER (PARTITION BY {key})" if key else "record"
    con.execute(f"""
        CREATE TABLE skipped AS
        SELECT record, reason, first_record, {f"CASE reason {shown} END" if checks else "NULL"}::VARCHAR AS shown FROM (
            SELECT *, CASE {whens} WHEN {first_of_key} < record THEN -1 END AS reason, {first_of_key} AS first_record
            FROM raw
        )
        WHERE reason IS NOT NULL
    """)
    con.execute("CREATE VIEW kept AS SELECT * FROM raw ANTI JOIN skipped USING (record)")
    spans = [_lines_spanned(text) for _, _, text in staged.rejected]
    report.file_rows = staged.rows + sum(spans)
    report.unit = staged.unit
    if staged.rejected:
        by_kind: dict[str, list[tuple[int, str, str, int]]] = {}
        for rejected, span in zip(staged.rejected, spans):
            kind = rejected[1] if span == 1 else f"{rejected[1]}: an unclosed quote joined {span} lines into one record"
            by_kind.setdefault(kind, []).append((*rejected, span))
        for kind, rows in by_kind.items():
            report.skipped.append(SkippedRows(
                f"malformed CSV record ({kind})", sum(span for *_, span in rows),
                [(record + staged.header_lines, _shorten(text)) for record, _, text, _ in rows[:EXAMPLES]],
            ))
    groups = con.execute(f"""
        SELECT reason, count(*), list(record ORDER BY record)[1:{EXAMPLES}], list(shown ORDER BY record)[1:{EXAMPLES}],
               list(first_record ORDER BY record)[1:{EXAMPLES}]
        FROM skipped GROUP BY reason ORDER BY count(*) DESC, reason
    """).fetchall()
    for reason, count, records, values, firsts in groups:
        if reason == -1:
            report.skipped.append(SkippedRows(
                repeat_reason, count,
                [(staged.line(record), f"same as {staged.unit} {staged.line(first)}") for record, first in zip(records, firsts)],
            ))
        else:
            report.skipped.append(SkippedRows(
                checks[reason].reason, count, [(staged.line(record), _shorten(value)) for record, value in zip(records, values)],
            ))
    if staged.missing_optional:
        report.notes.append(f"optional column(s) not in the file: {', '.join(staged.missing_optional)}")
    if staged.ignored_columns:
        shown_columns = ", ".join(staged.ignored_columns[:10]) + (", ..." if len(staged.ignored_columns) > 10 else "")
        report.notes.append(f"column(s) not used: {shown_columns} (read one as a field with --map COLUMN=FIELD)")
    if staged.headerless:
        report.notes.append("the file has no header row: read with the known column order")
