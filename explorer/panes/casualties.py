"""Casualties: one table per basis (c switches), a nationality × front pivot (p), every report in the detail."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from explorer.db import queries
from explorer.db.filters import Filters
from explorer.db.schema import CASUALTY_KIND_MEANINGS, CASUALTY_KINDS, UNKNOWN
from explorer.format import counted, counted_noun, figure, period
from explorer.db.paging import QueryRows, RowQuery
from explorer.export import CitedRecord
from explorer.panes.base import Pane
from explorer.widgets.detail import Detail, DetailScroll, DetailText, url_lines
from explorer.widgets.chart import BASIS_NAMES
from explorer.widgets.record_table import PAGE_ROWS, Column, ListRows, RecordTable
from explorer.workers import engine_work
from explorer.engine import Cursor


KIND_SINGULAR = {"individual": "named individual", "incident": "incident", "tally": "tally", "cumulative": "cumulative total"}


def _killed(row: dict) -> str:
    return counted(row["killed"], row["killed_low"], row["killed_high"], row["killed_reports"], row["killed_qualifier"])


def _wounded(row: dict) -> str:
    if row["wounded"] is None and row["wounded_high"] is None:
        return ""
    return counted(row["wounded"], row["wounded_low"], row["wounded_high"], row["wounded_reports"], row["wounded_qualifier"])


def _rate(row: dict) -> str:
    return "" if row.get("killed_per_month") is None else f"{row['killed_per_month']:,.1f}"


COLUMNS = {
    "individual": [
        Column("first_date", "Died", lambda r: str(r["first_date"] or "unknown")),
        Column("person_name", "Name", width=26),
        Column("nationality", "Nationality"),
        Column("actor_name", "Actor"),
        Column("ranks", "Rank / affiliation"),
        Column("front", "Front"),
    ],
    "incident": [
        Column("first_date", "Date", lambda r: str(r["first_date"] or "unknown")),
        Column("nationality", "Nationality"),
        Column("killed", "Killed", _killed),
        Column("wounded", "Wounded", _wounded),
        Column("front", "Front"),
        Column("actor_name", "Actor"),
        Column("ranks", "Ranks"),
    ],
    "tally": [
        Column("first_date", "Period", lambda r: period(r["first_date"], r["last_date"])),
        Column("nationality", "Nationality"),
        Column("killed", "Killed", _killed),
        Column("killed_per_month", "/month", _rate, numeric=True),
        Column("individuals_in_period", "Named then", sortable=False, numeric=True),
        Column("incident_killed_in_period", "In incidents then", sortable=False, numeric=True),
        Column("actor_name", "Actor"),
        Column("wounded", "Wounded", _wounded),
        Column("front", "Front"),
    ],
    "cumulative": [
        Column("first_date", "As of", lambda r: str(r["first_date"])),
        Column("nationality", "Nationality"),
        Column("killed", "Killed", _killed),
        Column("wounded", "Wounded", _wounded),
        Column("actor_name", "Actor"),
        Column("ranks", "Who"),
    ],
}


@dataclass
class CasualtiesData:
    filters: Filters
    occurrences: dict[str, list[dict]]
    """The first page of occurrences of each basis, in date order."""
    rows: dict[str, RowQuery | None]
    """Every occurrence of each basis under the filter, read a page at a time as the table scrolls."""
    counts: dict[str, int]
    pivots: dict[str, list[dict]]
    reports: int


def _pivot_records(rows: list[dict]) -> tuple[list[str], list[dict]]:
    """Long (dataset, nationality, front, killed) rows → one record per dataset and nationality, fronts as columns."""
    fronts = sorted({row["front"] for row in rows}, key=lambda front: (front == UNKNOWN, front))
    summed = bool(rows) and rows[0]["aggregate"] == "sum of occurrences"
    combine = sum if summed else max
    records: dict[tuple[str, str], dict] = {}
    for row in rows:
        record = records.setdefault((row["dataset"], row["nationality"]), {"dataset": row["dataset"], "nationality": row["nationality"]})
        record[row["front"]] = row["killed"]
    for record in records.values():
        values = [record[front] for front in fronts if record.get(front) is not None]
        record["total"] = combine(values) if values else None
    result = sorted(records.values(), key=lambda r: (r["dataset"], r["nationality"] == UNKNOWN, -(r["total"] or 0)))
    for dataset in sorted({row["dataset"] for row in rows}):
        of_dataset = [r for r in result if r["dataset"] == dataset]
        total = {"dataset": dataset, "nationality": "all (sum)" if summed else "all (highest one)"}
        for front in (*fronts, "total"):
            values = [r[front] for r in of_dataset if r.get(front) is not None]
            total[front] = combine(values) if values else None
        result.append(total)
    return fronts, result


class CasualtiesPane(Pane):
    """`c` switches basis, `p` shows the pivot, enter opens every report of the highlighted occurrence."""

    title = "Casualties"
    summary = "The casualty tables and pivot"
    main_widget = "#casualty-table"
    counted_table = "casualties"
    counted_unit = "report"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = "incident"
        self.pivot = False
        self.data = CasualtiesData(Filters(), {kind: [] for kind in CASUALTY_KINDS}, dict.fromkeys(CASUALTY_KINDS),
                                   dict.fromkeys(CASUALTY_KINDS, 0), {kind: [] for kind in CASUALTY_KINDS}, 0)
        self.reports: dict[tuple[str, str], list[dict]] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="kind-switch")
        with Horizontal(classes="pane-body"):
            yield RecordTable(COLUMNS[self.kind], id="casualty-table")
            with DetailScroll(classes="detail-scroll"):
                yield Detail(classes="detail")

    def load(self, con: Cursor, filters: Filters) -> CasualtiesData:
        counts = queries.occurrence_counts(con, filters)
        rows = {kind: queries.occurrence_rows(con, filters, kind) for kind in CASUALTY_KINDS}
        occurrences = {kind: rows[kind].page(con, rows[kind].default, 0, PAGE_ROWS, counts[kind]) for kind in CASUALTY_KINDS}
        if occurrences["tally"]:
            queries.add_tally_context(con, filters, occurrences["tally"])
        pivots = {kind: queries.casualty_pivot(con, filters, kind).to_pylist() for kind in CASUALTY_KINDS}
        reports = queries.row_count(con, filters, "casualties")
        return CasualtiesData(filters, occurrences, rows, counts, pivots, reports)

    def row_count(self, data: CasualtiesData) -> int:
        return data.reports

    def show(self, data: CasualtiesData) -> None:
        self.data = data
        self._show_kind()

    def cycle_kind(self) -> None:
        self.kind = CASUALTY_KINDS[(CASUALTY_KINDS.index(self.kind) + 1) % len(CASUALTY_KINDS)]
        self._show_kind()

    def toggle_pivot(self) -> None:
        self.pivot = not self.pivot
        self._show_kind()

    def _show_kind(self) -> None:
        table = self.query_one("#casualty-table", RecordTable)
        if self.pivot:
            fronts, records = _pivot_records(self.data.pivots[self.kind])
            columns = [Column("dataset", "Dataset"), Column("nationality", "Nationality"), Column("total", "Total", numeric=True)]
            columns += [Column(front, front, numeric=True) for front in fronts]
            table.set_source(ListRows(records, columns, key="nationality"), columns=columns)
        else:
            occurrences, rows = self.data.occurrences[self.kind], self.data.rows[self.kind]
            several_datasets = len({row["dataset"] for row in occurrences}) > 1
            columns = COLUMNS[self.kind] + ([Column("dataset", "Dataset")] if several_datasets else [])
            if rows is None:
                table.set_records([], columns=columns)
            else:
                filters = self.data.filters
                enrich = (lambda con, page: queries.add_tally_context(con, filters, page)) if self.kind == "tally" else None
                table.set_source(QueryRows(rows, self.data.counts[self.kind], self.app.catalog.cursor, enrich),
                                 first_rows=occurrences, columns=columns)
        self._show_switch()
        self.show_detail()

    def _show_switch(self) -> None:
        parts = []
        for kind in CASUALTY_KINDS:
            count = self.data.counts[kind]
            name = f" {BASIS_NAMES[kind].split()[0]} {count:,} "
            parts.append(f"[reverse]{name}[/reverse]" if kind == self.kind else name)
        if self.pivot:
            how = "sums of occurrences" if self.kind in queries.SUMMED_KINDS else "highest single figure, never summed (they overlap)"
            view = f"pivot of killed: {how}"
        else:
            view = escape(CASUALTY_KIND_MEANINGS[self.kind]) + ", each occurrence once"
        occurrences = sum(self.data.counts.values())
        view = f"[dim]{view} · {occurrences:,} occurrences from {counted_noun(self.data.reports, 'report')}[/dim]"
        self.query_one("#kind-switch", Static).update("".join(parts) + f"  [dim]c basis · p pivot[/dim]\n{view}")

    def current_table(self) -> RecordTable:
        return self.query_one("#casualty-table", RecordTable)

    @on(RecordTable.RecordHighlighted, "#casualty-table")
    def _highlighted(self, event: RecordTable.RecordHighlighted) -> None:
        self.show_detail()
        record = event.record
        if record and "occurrence_id" in record and (record["dataset"], record["occurrence_id"]) not in self.reports:
            self._load_reports(record["dataset"], record["occurrence_id"])

    @engine_work("looking up the reports of the occurrence", group="occurrence-reports")
    def _load_reports(self, dataset: str, occurrence_id: str) -> None:
        rows = queries.casualty_reports(self.app.catalog.cursor(), Filters(), occurrence_id=occurrence_id, dataset=dataset).to_pylist()
        self.app.call_from_thread(self._reports_loaded, (dataset, occurrence_id), rows)

    def _reports_loaded(self, key: tuple[str, str], rows: list[dict]) -> None:
        self.reports[key] = rows
        self.show_detail()

    def cited_record(self) -> CitedRecord | None:
        record = self.current_table().current_record
        if record is None or "occurrence_id" not in record:
            return None
        reports = self.reports.get((record["dataset"], record["occurrence_id"]))
        sources = tuple(dict.fromkeys((report["source"], report["source_url"]) for report in reports)) if reports else \
            tuple((source, None) for source in record["sources"] or ())
        who = record["person_name"] or record["nationality"] or "nationality unknown"
        what = f"{who}: killed {_killed(record)}, {KIND_SINGULAR[record['kind']]}, {period(record['first_date'], record['last_date'])}"
        return CitedRecord(what, record["occurrence_id"], record["dataset"], sources)

    def detail_text(self) -> DetailText:
        record = self.current_table().current_record
        if record is None:
            return DetailText(["Nothing under this filter."])
        if "occurrence_id" not in record:
            return DetailText(["Pivot: " + escape(f"{record['dataset']} · {record['nationality']} · total {figure(record.get('total'))}")])
        who = record["person_name"] or record["nationality"] or "nationality unknown"
        lines = [
            f"[b]{escape(who)}[/b] — {KIND_SINGULAR[record['kind']]}",
            f"{period(record['first_date'], record['last_date'])} · {escape(record['front'] or 'front unknown')} · {escape(record['actor_name'] or 'actor unknown')}",
            f"[b]Killed[/b]: {_killed(record)}" + (f" · [b]wounded[/b]: {_wounded(record)}" if _wounded(record) else ""),
        ]
        if record.get("killed_per_month") is not None:
            lines.append(f"[b]Monthly rate[/b]: {_rate(record)} over {counted_noun(record['months'], 'month')}; beside it, "
                         f"{counted_noun(record['individuals_in_period'], 'named individual')} and "
                         f"{counted_noun(record['incident_killed_in_period'], 'incident death')} reported for the same nationality and period")
        reports = self.reports.get((record["dataset"], record["occurrence_id"]))
        lines.append(f"[b]Reports[/b] ({record['reports']}):")
        for report in reports or []:
            killed = figure(report["killed"], report["killed_qualifier"], report["killed_high"])
            lines.append(f"• {period(report['period_start'], report['period_end'])} — killed {killed}"
                         + (f", wounded {figure(report['wounded'], report['wounded_qualifier'], report['wounded_high'])}" if report["wounded"] or report["wounded_high"] else ""))
            if report["ranks"]:
                lines.append(f"  ranks: {escape(report['ranks'])}")
            if report["note"]:
                lines.append(f"  note: {escape(report['note'])}")
            lines.append(f"  source: {escape(report['source'])}")
            lines += url_lines("url", report["source_url"], indent="  ")
            lines.append(f"  [dim]{escape(report['casualty_id'])} · dataset {escape(report['dataset'])}[/dim]")
        return DetailText(lines)
