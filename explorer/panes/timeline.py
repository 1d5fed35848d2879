"""Timeline: the chart of killed per month and the events in date order, with the selected event's detail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from explorer.db import queries
from explorer.db.filters import Filters
from explorer.format import counted, dated, period
from explorer.db.paging import Anchor, Order, QueryRows, RowQuery
from explorer.export import CitedRecord
from explorer.panes.base import Pane
from explorer.widgets.detail import Detail, DetailScroll, DetailText, url_lines
from explorer.widgets.chart import ChartData, MonthlyChart, month_range
from explorer.widgets.record_table import PAGE_ROWS, Column, Located, RecordTable
from explorer.workers import engine_work
from explorer.engine import Cursor

EVENT_COLUMNS = [
    Column("date", "Date", lambda e: _event_date(e)),
    Column("title", "Event", width=36),
    Column("front", "Front"),
    Column("actor_names", "Actors"),
]
"""Sorting by actors orders by their ids (the names are looked up for the rows in view only)."""


def _event_date(event: dict) -> str:
    if event["date"] is None:
        return "unknown"
    return dated(event["date"], event["date_precision"]) + ("…" if event.get("end_date") else "")


@dataclass
class TimelineData:
    events: list[dict]
    """The first page of events, by date."""
    rows: RowQuery
    """Every event under the filter, read a page at a time as the table scrolls."""
    total: int
    chart: ChartData
    event_casualties: dict[str, list[dict]]
    """The linked casualties of the event the table will select, looked up with the rest."""
    kept: Located | None = None
    """Where the selected event is under the new filter, when it is not among the first rows."""
    landmark: tuple[Order, int, Anchor] | None = None
    """That event's place, from which the pages around it are read."""


@dataclass
class ChartRows:
    """The chart's series as the queries give them: a few rows per month, never the underlying rows."""

    monthly: list[dict]
    rates: list[dict]
    cumulative: list[dict]


def _chart_rows(con: Cursor, filters: Filters) -> ChartRows:
    return ChartRows(queries.monthly_killed(con, filters).to_pylist(), queries.monthly_tally_rates(con, filters).to_pylist(),
                     queries.monthly_cumulative(con, filters).to_pylist())


def _chart_data(rows: ChartRows, filters: Filters, events_per_month: dict) -> ChartData:
    """What the chart draws, from its series and the events per month (for the months it spans)."""
    monthly, rates, cumulative = rows.monthly, rows.rates, rows.cumulative
    dates = [row["month"] for row in monthly] + [row["month"] for row in rates] + [row["month"] for row in cumulative]
    if filters.date_from or filters.date_to:
        event_dates = list(events_per_month)
        first = filters.date_from or min(dates + event_dates, default=None)
        last = filters.date_to or max(dates + event_dates, default=None)
    else:
        first, last = min(dates, default=None), max(dates, default=None)
    data = ChartData()
    if first is None or last is None:
        return data
    data.months = month_range(first, last)
    totals: dict[str, float] = {}
    for row in monthly:
        if row["long_period"]:  # counted apart, never stacked into the period's first month
            killed, occurrences = data.long_periods.get((row["kind"], row["dataset"]), (0, 0))
            data.long_periods[(row["kind"], row["dataset"])] = (killed + row["killed"], occurrences + row["occurrences"])
            continue
        data.bars.setdefault((row["kind"], row["dataset"]), {}).setdefault(row["month"], {})[row["nationality"]] = row["killed"]
        totals[row["nationality"]] = totals.get(row["nationality"], 0) + row["killed"]
    tally_totals: dict[str, int] = {}
    for rate in rates:
        month = rate["month"]
        if rate["killed_per_month"] is None:
            continue
        data.spans.append((month, month, rate["nationality"], rate["killed_per_month"], rate["nationality_killed"], rate["dataset"]))
        tally_totals[rate["nationality"]] = rate["nationality_killed"] or 0
    for nationality, killed in tally_totals.items():
        totals[nationality] = totals.get(nationality, 0) + killed
    latest: dict[tuple[str, str], dict[date, int]] = {}
    for row in cumulative:
        if row["latest_killed"] is not None:
            latest.setdefault((row["dataset"], row["nationality"]), {})[row["month"]] = row["latest_killed"]
        totals[row["nationality"]] = totals.get(row["nationality"], 0) + row["killed_in_month"]
    for (dataset, nationality), by_month in latest.items():
        steps, current = {}, None
        for month in data.months:
            current = by_month.get(month, current)
            if current is not None:
                steps[month] = current
        data.steps.setdefault(dataset, {})[nationality] = steps
    data.events = events_per_month
    data.nationalities = sorted(totals, key=lambda n: (n == "unknown", -totals[n], n))
    return data


class TimelinePane(Pane):
    """The chart over the events table; the detail beside it on wide terminals, enter opens it anywhere."""

    title = "Timeline"
    summary = "The chart and the events"
    main_widget = "#events"
    counted_table = "events"
    BINDINGS = [
        Binding("left_square_bracket", "chart_month(-1)", "Month ←", key_display="[", show=False,
                tooltip="the chart's previous month (from anywhere in the timeline)"),
        Binding("right_square_bracket", "chart_month(1)", "Month →", key_display="]", show=False,
                tooltip="the chart's next month (from anywhere in the timeline)"),
        Binding("L", "chart_log_scale", "Log scale", show=False,
                tooltip="the chart's log scale, or back to linear (from anywhere in the timeline)"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.event_casualties: dict[str, list[dict]] = {}
        """Casualty occurrences linked to each event seen so far (they do not depend on the filter)."""
        self._requested_event: str | None = None
        self._highlighted_event: str | None = None
        """The selected event's id, as the table last announced it in its default order (read by `load`, off
        the UI thread)."""
        self._chart_cursor: Cursor | None = None
        """The cursor of the chart's queries, which run beside the events' (see `load`)."""

    def compose(self) -> ComposeResult:
        yield MonthlyChart(id="chart")
        with Horizontal(classes="pane-body"):
            yield RecordTable(EVENT_COLUMNS, id="events")
            with DetailScroll(classes="detail-scroll"):
                yield Detail(classes="detail")

    def load(self, con: Cursor, filters: Filters) -> TimelineData:
        """The chart's queries run on a cursor of their own, in a thread beside the events' queries:
        DuckDB runs both at once, and each waits less for the other's Python work between calls."""
        chart_cursor = self._chart_cursor = con.cursor()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="timeline-chart") as pool:
            chart_rows = pool.submit(_chart_rows, chart_cursor, filters)
            try:
                per_month = queries.events_per_month(con, filters)
                total = sum(per_month.values())
                event_rows = queries.event_rows(con, filters, indexed=self.app.catalog.search_index)
                events = event_rows.page(con, event_rows.default, 0, PAGE_ROWS, total)
                selected, kept, landmark = self._place_selected(con, event_rows, events, total)
                casualties = self._casualties_of(con, selected)
                rows = chart_rows.result()
            except BaseException:
                chart_cursor.interrupt()
                raise
        dated = {month: count for month, count in per_month.items() if month is not None}
        return TimelineData(events, event_rows, total, _chart_data(rows, filters, dated), casualties, kept, landmark)

    def _place_selected(self, con: Cursor, event_rows: RowQuery, events: list[dict], total: int
                        ) -> tuple[str | None, Located | None, tuple[Order, int, Anchor] | None]:
        """The event the table will select under the new filter (the selected one if it holds it, else the
        first), and where it is when not among `events` (the first page). The table then keeps it selected
        with no round trip after the first paint, nor one for its page, nor a frame of another row selected."""
        first = events[0]["event_id"] if events else None
        kept = self._highlighted_event
        if kept is None or any(event["event_id"] == kept for event in events):
            return kept or first, None, None
        placed = event_rows.place(con, event_rows.default, kept, total, PAGE_ROWS)
        if placed is None:
            return first, Located(kept, None, []), None
        position, anchor, page = placed
        return kept, Located(kept, position, page), (event_rows.default, position, anchor)

    def action_chart_month(self, step: int) -> None:
        self.query_one(MonthlyChart).action_move(step)

    def action_chart_log_scale(self) -> None:
        self.query_one(MonthlyChart).action_toggle_log_scale()

    def jump_to(self, day: date) -> None:
        """The chart's cursor on `day`'s month, the events list on the first event on or after `day`."""
        self._chart_to(day)
        self.query_one("#events", RecordTable).jump_to_value(day, f"no event on or after {day} under this filter: the last one is shown")

    def _chart_to(self, day: date) -> None:
        """The chart's cursor on `day`'s month (the nearest month charted)."""
        chart = self.query_one(MonthlyChart)
        months = chart.data.months
        if months:
            month = day.replace(day=1)
            chart.cursor = min(range(len(months)), key=lambda index: abs((months[index] - month).days))

    @on(RecordTable.SearchDone, "#events")
    def _chart_to_found_event(self, message: RecordTable.SearchDone) -> None:
        """A search's match (n/N too) brings the chart to its month, as a jump does; moving row by row does not
        (the chart would be drawn again at every row)."""
        event = self.selected_event
        if message.found and event is not None and event["date"] is not None:
            self._chart_to(event["date"])

    def interrupt(self) -> None:
        if self._chart_cursor is not None:
            self._chart_cursor.interrupt()

    def _casualties_of(self, con: Cursor, selected: str | None) -> dict[str, list[dict]]:
        """The linked casualties of the event the table will select (the selected one if it stays, else
        the first), unless known: the first screen then shows them without a second round trip."""
        if selected is None or selected in self.event_casualties:
            return {}
        return {selected: queries.event_occurrences(con, selected).to_pylist()}

    def show(self, data: TimelineData) -> None:
        self.event_casualties.update(data.event_casualties)
        self.query_one(MonthlyChart).set_data(data.chart)
        self.query_one("#events", RecordTable).set_source(QueryRows(data.rows, data.total, self.app.catalog.cursor, landmark=data.landmark),
                                                          first_rows=data.events, located=data.kept)
        self.show_detail()
        self._request_event_casualties()  # now, not when the table's message arrives a frame or two later

    def row_count(self, data: TimelineData) -> int:
        return data.total

    def current_table(self) -> RecordTable:
        return self.query_one("#events", RecordTable)

    @property
    def selected_event(self) -> dict | None:
        return self.query_one("#events", RecordTable).current_record

    @on(RecordTable.RecordHighlighted, "#events")
    def _event_highlighted(self, message: RecordTable.RecordHighlighted) -> None:
        in_order = message.record is not None and message.table.order is None  # `load` reads the default order only
        self._highlighted_event = message.record["event_id"] if in_order else None
        self.show_detail()
        self._request_event_casualties()

    def _request_event_casualties(self) -> None:
        """Look up the selected event's linked casualties, unless they are known or on their way."""
        event = self.selected_event
        if event is None or event["event_id"] in self.event_casualties or event["event_id"] == self._requested_event:
            return
        self._requested_event = event["event_id"]
        self._load_event_casualties(event["event_id"])

    @engine_work("looking up the event's casualties", group="event-casualties")
    def _load_event_casualties(self, event_id: str) -> None:
        rows = queries.event_occurrences(self.app.catalog.cursor(), event_id).to_pylist()
        self.app.call_from_thread(self._event_casualties_loaded, event_id, rows)

    def _event_casualties_loaded(self, event_id: str, rows: list[dict]) -> None:
        self.event_casualties[event_id] = rows
        if self.selected_event and self.selected_event["event_id"] == event_id:
            self.show_detail()

    def cited_record(self) -> CitedRecord | None:
        event = self.selected_event
        if event is None:
            return None
        return CitedRecord(f"{event['title']}, {period(event['date'], event['end_date'])}", event["event_id"], event["dataset"],
                           ((event["source"], event["source_url"]),))

    def detail_text(self) -> DetailText:
        event = self.selected_event
        if event is None:
            return DetailText(["No event under this filter."])
        when = period(event["date"], event["end_date"]) + f" ({event['date_precision']} precision)"
        lines = [
            f"[b]{escape(event['title'])}[/b]",
            f"{when} · {escape(event['front'] or 'front unknown')}",
            "",
            escape(event["description"] or ""),
            "",
            "[b]Actors[/b]: " + escape(", ".join(event["actor_names"])),
        ]
        casualties = self.event_casualties.get(event["event_id"])
        if casualties:
            lines.append("[b]Casualties reported[/b]:")
            for row in casualties:
                figure = counted(row["killed"], row["killed_low"], row["killed_high"], row["killed_reports"], row["killed_qualifier"])
                lines.append(f"  {escape(row['nationality'] or 'nationality unknown')} killed {figure} ({row['kind']})")
        lines += ["", f"[b]Source[/b]: {escape(event['source'])}", *url_lines("[b]URL[/b]", event["source_url"]),
                  f"[dim]{escape(event['event_id'])} · dataset {escape(event['dataset'])}[/dim]"]
        return DetailText(lines)
