"""The explorer: a filter bar over the timeline, actors and casualties panes, sliced together."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from datetime import date
from pathlib import Path
from collections.abc import Iterable

from textual import events, on
from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.scrollbar import ScrollBar
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Label, Static, Tab, TabbedContent, TabPane, TextArea, Tree
from textual.worker import get_current_worker

from explorer import export
from explorer.db import queries
from explorer.db.errors import ExplorerError, InvalidFilter
from explorer.db.dimensions import DIMENSION_BY_NAME, DIMENSIONS
from explorer.db.filters import Filters, parse_date_bound
from explorer.db.schema import UNKNOWN
from explorer.db.versions import changed_versions
from explorer.export import record_citation
from explorer.format import counted_noun, short_count
from explorer.idle_gc import CHECK_SECONDS as GC_CHECK_SECONDS, IdleCollector
from explorer.panes.actors import ActorsPane
from explorer.panes.base import Pane
from explorer.panes.casualties import COLUMNS as CASUALTY_COLUMNS
from explorer.panes.casualties import CasualtiesPane
from explorer.panes.map import MapPane
from explorer.panes.sql import SqlPane
from explorer.panes.timeline import TimelinePane
from explorer.screen_diff import DiffedUpdate, ScreenDiff
from explorer.terminal import CHECK_SECONDS, terminal_fd, terminal_gone
from explorer.theme_setting import keep_theme
from explorer.view_spec import ViewSpec, encode
from explorer.widgets.chart import MonthlyChart, month_range
from explorer.widgets.filter_bar import FilterBar
from explorer.widgets.footer import KeyFooter
from explorer.widgets.pane_tabs import PaneTabs
from explorer.widgets.map_canvas import MapCanvas
from explorer.widgets.scrollbar import CompactScrollBarRender
from explorer.widgets.record_table import RecordTable
from explorer.widgets.result_grid import ResultGrid
from explorer.widgets.choice import ListChoiceScreen
from explorer.widgets.screens import DetailScreen, ExportScreen, HelpScreen, MainScreen
from explorer.widgets.value_picker import PickerHost, ValuePicker
from explorer.workers import ReportsWorkerFailures, engine_work
from explorer.engine import Cancelled, Cursor, Engine, neutral_errors

TABS = (("timeline", TimelinePane), ("actors", ActorsPane), ("casualties", CasualtiesPane), ("sql", SqlPane), ("map", MapPane))
"""Every pane in tab order. A pane is one module and one entry here: its number key, tab, palette entry
and focus follow from its class's `title`, `summary` and `main_widget`."""
PANES = tuple((pane_id, pane_class) for pane_id, pane_class in TABS if issubclass(pane_class, Pane))
"""The panes that follow the filter (the SQL pane follows it through its filtered_* views)."""
FULL_REPAINT_VARIABLE = "CONFLICT_EXPLORER_FULL_REPAINT"
TERMINAL_GONE_EXIT = 129
"""The exit status once the terminal has gone, as after a SIGHUP (128 + 1)."""
"""Set (to anything) to write Textual's updates whole, not only the cells they change."""
GIL_SWITCH_SECONDS = 0.001
"""How long a thread may hold the GIL while another waits (Python's default: 5 ms). The query workers
hold it only between DuckDB calls; a short turn lets them go on while the UI thread draws."""


def _month_end(month: date) -> date:
    following = month_range(month, date(month.year + 1, 12, 1))[1]
    return date.fromordinal(following.toordinal() - 1)


ScrollBar.renderer = CompactScrollBarRender  # every scroll bar of the app: see its docstring


def relabel(tab: Tab, label: str) -> None:
    """`tab.label = label`, with no layout pass when the label keeps its width (Tab's setter always asks for one)."""
    content = Content.from_text(label, markup=False)
    if content.cell_length != tab.label.cell_length:
        tab.label = content  # the tabs after it move, and the underline follows (Tab.Relabelled)
        return
    tab._label = content  # what `Tab.label` gives; nothing moves, so the underline stays
    Static.update(tab, content, layout=False)


class ExplorerApp(ReportsWorkerFailures, App):
    """conflict-explorer: every pane follows one filter; every action has a key."""

    TITLE = "conflict-explorer"
    CSS_PATH = ["styles/app.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        *(Binding(str(number), f"show_pane('{pane_id}')", pane_class.title, show=False, priority=True,
                  tooltip=f"{pane_class.title}: {pane_class.summary[:1].lower()}{pane_class.summary[1:]}")
          for number, (pane_id, pane_class) in enumerate(TABS, start=1)),
        Binding("d", "focus_dates", "Dates", show=False, tooltip="type the date range (enter applies, esc returns)"),
        *(Binding(dimension.key, f"pick('{dimension.name}')", dimension.label.capitalize(),
                  show=dimension.show_key,
                  tooltip=f"{dimension.description} (unknown included; type to narrow)") for dimension in DIMENSIONS),
        Binding("x", "remove_filter_part", "Remove part", show=False, tooltip="remove one part of the filter (the dates, a value, an actor, the search, imprecise left out)"),
        Binding("slash", "prompt('search')", "Search", key_display="/", priority=True,
                tooltip="find rows holding every word typed (events: text, front, place, actors' names; casualties: person, nationality, front, ranks, sources)"),
        Binding("n", "find(True)", "Next match", show=False, tooltip="the next row the search finds"),
        Binding("N", "find(False)", "Previous match", show=False, tooltip="the previous row the search finds"),
        Binding("equals_sign", "search_as_filter", "Search as filter", key_display="=", show=False,
                tooltip="keep only the events the last search finds (a filter part like the others)"),
        Binding("colon", "prompt('date')", "Jump to date", key_display=":", show=False, priority=True,
                tooltip="move the events list and the chart to a typed day, month or year"),
        Binding("i", "toggle_imprecise", "Imprecise", show=False,
                tooltip="show or leave out imprecise rows: unknown dates, periods over a year, country-wide figures"),
        Binding("r", "reset_filters", "Reset", tooltip="reset the filter: show everything"),
        Binding("w", "preset_whole_span", "Whole span", show=False, tooltip="preset: clear the date range"),
        Binding("y", "preset_event_year", "Event's year", show=False, tooltip="preset: the selected event's year"),
        Binding("m", "narrow_to_event('month')", "Event's month", show=False, tooltip="narrow the dates to the selected event's month"),
        Binding("M", "narrow_to_event('quarter')", "Event's quarter", show=False,
                tooltip="narrow the dates to the quarter around the selected event"),
        Binding("a", "add_actor", "Add actor", show=False, tooltip="add the highlighted actor (Actors pane) to the filter, or take it out (✓)"),
        Binding("b", "cycle_basis", "Chart basis", show=False,
                tooltip="chart basis: tallies, incidents, individuals, cumulative, one dataset at a time (never stacked together)"),
        Binding("c", "cycle_kind", "Casualty basis", show=False, tooltip="casualty table basis: incidents, tallies, individuals, cumulative"),
        Binding("p", "toggle_pivot", "Pivot", show=False, tooltip="killed by nationality × front, per basis and dataset"),
        Binding("e", "export", "Export", show=False,
                tooltip="export the current table's data (.csv, .parquet or .json), with a citation file beside it"),
        Binding("V", "copy_view", "Copy view", show=False,
                tooltip="copy this view's spec (filter, pane, basis, sort, selection, data versions): --view SPEC reopens it"),
        Binding("C", "copy_citation", "Cite", show=False,
                tooltip="copy a citation of the selected record: source, URL, dataset and version, access date, view spec"),
        Binding("o", "open_url", "Open URL", show=False,
                tooltip="open the selected record's source URL in the browser (over SSH: copy it)"),
        Binding("O", "copy_url", "Copy URL", show=False, tooltip="copy the selected record's source URL(s)"),
        Binding("escape", "leave_field", "Back to pane", show=False, tooltip="leave the date fields"),
        Binding("ctrl+l", "redraw", "Redraw", show=False, tooltip="write the whole screen again (if another program wrote over it)"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="this list of keys"),
        Binding("q", "quit", "Quit", tooltip="quit"),
    ]

    filters: reactive[Filters] = reactive(Filters, init=False, repaint=False)

    def __init__(self, catalog: Engine, view: ViewSpec | None = None) -> None:
        super().__init__()
        keep_theme(self)
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"  # over SSH every frame of a slide costs; the tab underline jumps instead
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        self.catalog = catalog
        self.sub_title = str(catalog.data_dir)
        self.refreshes = 0
        """How many times the panes have been refreshed (once per filter change)."""
        self._refresh_cursor: Cursor | None = None
        self._count_cursor: Cursor | None = None
        """The cursor of the last refresh's counts of the tabs out of sight (see `refresh_panes`)."""
        self._stale: set[str] = set()
        """Panes out of sight whose data is older than the filter: they load when their tab opens."""
        self._last_refresh: tuple[Filters, Cursor] | None = None
        self._pane_load_lock = threading.Lock()
        """One pane load at a time on the last refresh's cursor."""
        self.pane_loads = 0
        """How many panes have loaded on opening their tab (for tests)."""
        self._count_widths: dict[tuple[str, str], int] = {}
        """The widest count each tab has shown, full or short: a narrower one keeps that width (blank after it),
        so no tab moves."""
        self._tab_counts: dict[str, int] = {}
        """The count each tab shows (a pane's rows under the filter, as last loaded)."""
        self._tabs_mode = "full"
        """How the tabs show their counts: "full", "short" (`2.5M`: the full ones would not fit the width) or "none"."""
        self.actor_names: dict[str, str] = {}
        """Every actor's short name by id, to show the filter's actors by name."""
        self.last_search = ""
        self._prompt_mode = ""
        self.view = view
        """The view asked for at start (`--view`), applied on mount."""
        self._selection_wanted: tuple[str, str] | None = None
        """(pane, key) of the record a view selects, once its pane has loaded."""
        self.view_note = ""
        """What opening the view found (the data changed since it was made), also notified."""
        self.screen_diff = None if os.environ.get(FULL_REPAINT_VARIABLE) else ScreenDiff()
        """What the terminal shows, so that only changed cells are written (over SSH, bytes are time)."""
        self.idle_gc = IdleCollector(lambda: any(worker.is_running for worker in self.workers))
        """Python's full garbage collections, put off until no key is waiting for them."""

    def _display(self, screen: Screen, renderable) -> None:
        if self.screen_diff is not None and isinstance(renderable, CompositorUpdate) and not self.is_inline:
            renderable = DiffedUpdate(renderable, self.screen_diff, (self.size.width, self.size.height))
        super()._display(screen, renderable)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.idle_gc.touch()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.idle_gc.stop()

    def _check_terminal(self, fd: int) -> None:
        """Close the app once its terminal has gone (see `terminal_gone`)."""
        if terminal_gone(fd):
            self.exit(return_code=TERMINAL_GONE_EXIT)

    def _forget_screen(self, _app: App | None = None) -> None:
        if self.screen_diff is not None:
            self.screen_diff.forget()

    def action_redraw(self) -> None:
        """Write the whole screen again (after another program wrote over it)."""
        self._forget_screen()
        self.screen.refresh(repaint=True)

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        with PaneTabs(id="panes"):
            for number, (pane_id, pane_class) in enumerate(TABS, start=1):
                with TabPane(f"{number} {pane_class.title}", id=f"tab-{pane_id}"):
                    yield SqlPane(self.catalog, id=pane_id) if pane_class is SqlPane else pane_class(id=pane_id)
        with Horizontal(id="prompt-bar"):
            yield Label("", id="prompt-sign")
            yield Input(id="prompt", compact=True)
        yield KeyFooter(compact=True)
        yield PickerHost(id="picker-host")

    def on_mount(self) -> None:
        terminal = None if self.is_headless else terminal_fd()
        if terminal is not None:
            self.set_interval(CHECK_SECONDS, lambda: self._check_terminal(terminal))
        self.idle_gc.start()
        self.set_interval(GC_CHECK_SECONDS, self.idle_gc.check)
        self.app_suspend_signal.subscribe(self, self._forget_screen)
        self.app_resume_signal.subscribe(self, self._forget_screen)
        if self.catalog.cache.note:
            self.notify(self.catalog.cache.note.capitalize(), severity="warning", timeout=10)
        if self.catalog.cache.check is not None:
            self.catalog.cache.check.when_damaged(self._cache_damaged)
        self._show_prompt(False)
        if self.view is not None:
            self._apply_view(self.view)
        self.query_one(FilterBar).show_filters(self.filters)
        self.refresh_panes(self.filters, self.panes)
        self._focus_pane("timeline")
        self._load_actor_names()

    # --- views: open one, describe the current one ----------------------------------------

    def _apply_view(self, view: ViewSpec) -> None:
        """Everything a view spec sets, before the first refresh: the filter, the pane, how it is shown, the selection."""
        self.set_reactive(ExplorerApp.filters, view.filters)
        self.query_one(SqlPane).set_filters(view.filters)
        if view.basis is not None:
            chart = self.query_one(MonthlyChart)
            chart.basis_chosen, chart.basis, chart.dataset = True, view.basis, view.chart_dataset
        casualties = self.query_one(CasualtiesPane)
        casualties.kind, casualties.pivot = view.kind or casualties.kind, view.pivot
        if view.pane != "sql":
            table = self.query_one(f"#{view.pane}", Pane).current_table()
            if table is not None and view.sort is not None:
                self._sort_as_viewed(view, table)
            if view.selected is not None:
                self._selection_wanted = (view.pane, view.selected)
        elif view.sql:
            self.call_after_refresh(self.query_one(SqlPane).open_query, view.sql)
        if view.pane != "timeline":  # once the tabs are mounted (the refresh then loads it when it opens)
            self.call_after_refresh(self.action_show_pane, view.pane)
        self._compare_versions(view)

    def _sort_as_viewed(self, view: ViewSpec, table: RecordTable) -> None:
        """The view's sort, if its table has that column (a pivot's columns are the fronts: any goes)."""
        columns = CASUALTY_COLUMNS[view.kind or "incident"] if view.pane == "casualties" and not view.pivot else \
            table.record_columns if not view.pivot else None
        if columns is not None and view.sort not in {column.key for column in columns if column.sortable}:
            self.notify(f"The view sorts by {view.sort!r}, which this table does not have: it is shown in its own order",
                        severity="warning", timeout=10)
            return
        table.sort_column, table.sort_reverse = view.sort, view.sort_reverse

    @engine_work("comparing the data's versions with the view's", group="versions")
    def _compare_versions(self, view: ViewSpec) -> None:
        """Say so when the data changed since the view was made (its versions differ), or is another directory."""
        now = export.current_spec(view, self.catalog.data_dir)
        notes = []
        if view.data_dir != now.data_dir:
            notes.append(f"the view was made on {view.data_dir or 'the built-in data'}, this is {now.data_dir or 'the built-in data'}")
        changes = changed_versions(view.versions, now.versions) if view.versions else []
        if changes:
            notes.append("the data changed since the view was made: " + "; ".join(changes))
        if notes:
            self.call_from_thread(self._say_view_note, "; ".join(notes).capitalize() + ". What is shown is the data as it is now.")

    def _say_view_note(self, note: str) -> None:
        self.view_note = note
        self.notify(note, title="View", severity="warning", timeout=30)

    def current_view(self) -> ViewSpec:
        """The view as it stands (the data's versions are added by `export.current_spec`, off the UI thread)."""
        pane_id = self._open_pane_id
        chart = self.query_one(MonthlyChart)
        casualties = self.query_one(CasualtiesPane)
        sort, reverse, selected, sql = None, False, None, None
        if pane_id == "sql":
            sql = self.query_one(SqlPane).current_query()
        else:
            pane = self.query_one(f"#{pane_id}", Pane)
            table = pane.current_table()
            if table is not None and table.sort_column is not None:
                sort, reverse = table.sort_column, table.sort_reverse
            selected = pane.selected_key()
        several = len(chart.data.datasets(chart.basis)) > 1
        return ViewSpec(self.filters, pane=pane_id, basis=chart.basis if chart.basis_chosen else None,
                        chart_dataset=chart.shown_dataset if chart.basis_chosen and several else None,
                        kind=casualties.kind if pane_id == "casualties" else None,
                        pivot=casualties.pivot and pane_id == "casualties", sort=sort, sort_reverse=reverse,
                        selected=selected, sql=sql)

    def _select_wanted(self, pane: Pane) -> None:
        """Select the record the view named, once its pane shows its rows."""
        if self._selection_wanted is not None and self._selection_wanted[0] == pane.id:
            pane.select_key(self._selection_wanted[1])
            self._selection_wanted = None

    def action_copy_view(self) -> None:
        self._copy_with_versions(self.current_view(), None)

    def action_copy_citation(self) -> None:
        record = self._pane().cited_record() if self._open_pane_id != "sql" else None
        if record is None:
            self.notify("Select a record first (an event, an actor or a casualty occurrence): its citation is copied",
                        severity="warning")
            return
        self._copy_with_versions(self.current_view(), record)

    @engine_work("reading the data's versions", group="copy-view")
    def _copy_with_versions(self, view: ViewSpec, record: export.CitedRecord | None) -> None:
        """The spec with the data's versions (a checksum of large files takes a moment), then the copy."""
        spec = export.current_spec(view, self.catalog.data_dir)
        text = encode(spec) if record is None else record_citation(record, spec.versions, encode(spec), date.today())
        self.call_from_thread(self._copied, text, "the view spec" if record is None else "a citation of the selected record")

    def _copied(self, text: str, what: str) -> None:
        self.copy_to_clipboard(text)
        self.notify(f"Copied {what} to the clipboard: {text.splitlines()[0][:160]}", timeout=6)

    def _selected_urls(self) -> list[str]:
        record = self._pane().cited_record() if self._open_pane_id != "sql" else None
        urls = [url for _, url in record.sources if url] if record is not None else []
        if not urls:
            self.notify("The selected record has no source URL" if record is not None else "Select a record first",
                        severity="warning")
        return urls

    def action_open_url(self) -> None:
        urls = self._selected_urls()
        if not urls:
            return
        if not can_open_browser():
            self._copied(urls[0], "the URL (no browser here: over SSH, or no display)")
            return
        self.open_url(urls[0])
        self.notify(f"Opening {urls[0]}" + (f" (the first of {len(urls)}; O copies them all)" if len(urls) > 1 else ""), timeout=4)

    def action_copy_url(self) -> None:
        urls = self._selected_urls()
        if urls:
            self._copied("\n".join(urls), "the URL" if len(urls) == 1 else f"{len(urls)} URLs")

    @engine_work("reading the actors' names", group="actor-names")
    def _load_actor_names(self) -> None:
        names = {row["actor_id"]: row["short_name"] for row in queries.actor_hierarchy(self.catalog.cursor()).to_pylist()}
        self.call_from_thread(self._actor_names_loaded, names)

    def _actor_names_loaded(self, names: dict[str, str]) -> None:
        self.actor_names = names
        self.query_one(FilterBar).actor_names = names
        self.query_one(FilterBar).show_filters(self.filters)

    def _cache_damaged(self, problem: str) -> None:
        """Called from the cache's check (a thread) or at once: what was shown came from blocks DuckDB checked."""
        message = (f"The cache of this data directory is damaged ({problem}). What is shown was read from blocks "
                   "DuckDB checked; quit and start again to rebuild it.")
        if threading.current_thread() is threading.main_thread():
            self.notify(message, severity="error", timeout=30)
        else:
            self.call_from_thread(self.notify, message, severity="error", timeout=30)

    # --- the filter and the refresh --------------------------------------------------------

    def watch_filters(self, filters: Filters) -> None:
        self.query_one(FilterBar).show_filters(filters)
        self.query_one(SqlPane).set_filters(filters)
        self.refresh_panes(filters, self.panes)

    @property
    def panes(self) -> list[Pane]:
        return [self.query_one(f"#{pane_id}", Pane) for pane_id, _ in PANES]

    @engine_work("the refresh after the filter changed", group="refresh")
    def refresh_panes(self, filters: Filters, panes: list[Pane]) -> None:
        """One filter's queries, off the UI thread: the open pane's data, every pane's row count.

        A newer filter interrupts these. Panes out of sight load when their tab opens."""
        worker = get_current_worker()
        for cursor in (self._refresh_cursor, self._count_cursor):
            if cursor is not None:
                cursor.interrupt()
        if self._refresh_cursor is not None:
            for pane in panes:
                pane.interrupt()
        con = self._refresh_cursor = self.catalog.cursor()
        counter = self._count_cursor = con.cursor()
        open_pane = self._open_pane_id
        others = [pane for pane in panes if pane.id != open_pane]

        def count_others() -> list[int]:
            return [pane.count(counter, filters) for pane in others if not worker.is_cancelled]

        results = []
        try:
            # The other tabs' counts run beside the open pane's queries, on a cursor of their own.
            with neutral_errors(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="refresh-counts") as pool:
                counts = pool.submit(count_others)
                try:
                    loaded = {pane.id: pane.load(con, filters) for pane in panes if pane.id == open_pane}
                    counted = dict(zip((pane.id for pane in others), counts.result()))
                except BaseException:
                    counter.interrupt()
                    raise
            if worker.is_cancelled:
                return
            for pane in panes:
                data = loaded.get(pane.id)
                results.append((pane, data, pane.row_count(data) if data is not None else counted[pane.id]))
        except Cancelled:
            return
        if not worker.is_cancelled:
            self.call_from_thread(self._show_results, filters, con, results)

    def _show_results(self, filters: Filters, con: Cursor, results: list) -> None:
        if filters != self.filters:
            return
        self._last_refresh = (filters, con)
        for pane, data, count in results:
            self._label_tab(pane, count)
            if data is not None:
                self._stale.discard(pane.id)
                pane.show(data)
                self._select_wanted(pane)
            else:
                self._stale.add(pane.id)
        if self._open_pane_id in self._stale:  # the tab changed while the refresh ran
            self._load_open_pane(self._open_pane_id)
        self.refreshes += 1

    def _label_tab(self, pane: Pane, count: int) -> None:
        self._tab_counts[pane.id] = count
        self._label_tabs()

    def _label_tabs(self) -> None:
        """Each counted tab's label: `1 Timeline 2,500,000`; where the full labels would not fit the
        terminal's width (the row of tabs would scroll, hiding the last), `1 Timeline 2.5M`; where even
        those would not, `1 Timeline` (the summary line and each pane still give the counts)."""
        mode = self._tabs_mode = self._tab_mode(self.size.width)
        texts = self._tab_texts(mode)
        tabs = self.query_one(TabbedContent)
        for pane_id, (number, title, shown) in texts.items():
            if pane_id not in self._tab_counts:
                continue
            key = (pane_id, mode)
            width = self._count_widths[key] = max(self._count_widths.get(key, 0), len(shown))
            label = f"{number} {title}" if mode == "none" else f"{number} {title} {shown.ljust(width)}"
            relabel(tabs.get_tab(f"tab-{pane_id}"), label)

    def _tab_mode(self, width: int) -> str:
        """How the tabs show their counts at `width`: "full", "short" or "none", the first that fits."""
        for mode in ("full", "short"):
            if sum(len(f"{number} {title} {shown}".rstrip()) + 2  # each tab has a cell either side
                   for number, title, shown in self._tab_texts(mode).values()) <= width:
                return mode
        return "none"

    def _tab_texts(self, mode: str) -> dict[str, tuple[int, str, str]]:
        """(number, title, count shown) of every tab; an uncounted tab shows no count."""
        texts = {}
        for number, (pane_id, pane_class) in enumerate(TABS, start=1):
            count = self._tab_counts.get(pane_id)
            unit = getattr(pane_class, "counted_unit", "")
            if count is None or mode == "none":
                shown = ""
            elif mode == "short":
                shown = short_count(count) + (f" {unit}s" if unit and count != 1 else f" {unit}" if unit else "")
            else:
                shown = counted_noun(count, unit) if unit else f"{count:,}"
            texts[pane_id] = (number, pane_class.title, shown)
        return texts

    def on_resize(self, event: events.Resize) -> None:
        if self._tab_counts and self._tab_mode(event.size.width) != self._tabs_mode:
            self.call_after_refresh(self._label_tabs)  # short counts or full ones, once the screen has its new size

    @property
    def _open_pane_id(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    @engine_work("loading the pane", group="pane-load", exclusive=False)
    def _load_open_pane(self, pane_id: str) -> None:
        """Load a pane whose tab has just opened, on the last refresh's cursor (its occurrences are ready there)."""
        filters, con = self._last_refresh
        pane = self.query_one(f"#{pane_id}", Pane)
        try:
            with self._pane_load_lock, neutral_errors():
                data = pane.load(con, filters)
        except Cancelled:
            return
        self.call_from_thread(self._show_loaded_pane, filters, pane, data)

    def _show_loaded_pane(self, filters: Filters, pane: Pane, data: object) -> None:
        if filters != self.filters or pane.id not in self._stale:
            return
        self._stale.discard(pane.id)
        pane.show(data)
        self._select_wanted(pane)
        self._label_tab(pane, pane.row_count(data))
        self.pane_loads += 1

    @on(FilterBar.DatesChanged)
    def _dates_changed(self, event: FilterBar.DatesChanged) -> None:
        self.filters = replace(self.filters, date_from=event.date_from, date_to=event.date_to)

    @on(FilterBar.Invalid)
    def _dates_invalid(self, event: FilterBar.Invalid) -> None:
        self.query_one(FilterBar).show_summary(self.filters, event.reason)

    @on(Input.Submitted, "#date-from, #date-to")
    def _dates_submitted(self) -> None:
        """Enter in a date field applies it (the filter bar did) and returns to the pane."""
        self.action_leave_field()

    @on(MapCanvas.AreaChosen)
    def _area_chosen(self, event: MapCanvas.AreaChosen) -> None:
        self.filters = replace(self.filters, area=event.area)

    @on(MonthlyChart.MonthChosen)
    def _month_chosen(self, event: MonthlyChart.MonthChosen) -> None:
        self.filters = replace(self.filters, date_from=event.month, date_to=_month_end(event.month))

    # --- actions ---------------------------------------------------------------------------

    def _pane(self) -> Pane:
        active = self.query_one(TabbedContent).active
        return self.query_one(f"#{active.removeprefix('tab-')}", Pane)

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{pane_id}"
        self._focus_pane(pane_id)  # now: the keys typed after the pane key are the pane's

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id.removeprefix("tab-")
        if pane_id in self._stale and self._last_refresh is not None and self._last_refresh[0] == self.filters:
            self._load_open_pane(pane_id)
        self._focus_pane(pane_id)

    def _focus_pane(self, pane_id: str) -> None:
        """Focus the pane's main widget: its table, or the actor tree."""
        self._focus_now(self.query_one(dict(TABS)[pane_id].main_widget))

    def _focus_now(self, widget: Widget) -> None:
        """Focus `widget` before the next key is read, not after the messages already queued (as
        `Widget.focus` does): keys that come in one burst (a paste, a lagging SSH link, keys typed during
        start-up) go where the key before them pointed, not to the pane as commands."""
        self.screen.set_focus(widget)

    def action_focus_dates(self) -> None:
        self._focus_now(self.query_one("#date-from", Input))

    def action_leave_field(self) -> None:
        if isinstance(self.focused, Input):
            self._close_prompt()
            self.action_show_pane(self._open_pane_id)

    # --- the prompt: search and jump to a date ---------------------------------------------

    PROMPTS = {"search": ("/", "words to find; enter finds, esc closes"),
               "date": (":", "a day, month or year to jump to (2016-05-01, 2016-05, 2016); enter jumps")}

    def action_prompt(self, mode: str) -> None:
        if self._open_pane_id == "sql":
            return
        prompt = self.query_one("#prompt", Input)
        self._prompt_mode = mode
        sign, hint = self.PROMPTS[mode]
        self.query_one("#prompt-sign", Label).update(f"{sign} ")
        if mode == "search" and self.last_search:
            hint = f"words to find; enter alone finds “{self.last_search}” again, esc closes"
        prompt.placeholder = hint
        prompt.value = ""
        self._show_prompt(True)
        self._focus_now(prompt)

    def _show_prompt(self, shown: bool) -> None:
        """The prompt takes the footer's line while open: the panes keep their size, so neither
        opening nor closing it redraws them."""
        self.query_one("#prompt-bar").display = shown
        self.query_one(KeyFooter).show(not shown)

    def _close_prompt(self) -> None:
        self._show_prompt(False)

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        text, mode = event.value.strip(), self._prompt_mode
        self._close_prompt()
        if mode == "date" and text:
            self.jump_to_date(text)  # it opens the timeline and gives it the focus
            return
        self._focus_pane(self._open_pane_id)
        if mode == "search":
            self.last_search = text = text or self.last_search
            if text:
                self._pane().search(text)

    def jump_to_date(self, text: str) -> None:
        """Show the timeline at the first event on or after a typed day, month or year."""
        try:
            day = parse_date_bound(text, end=False)
        except InvalidFilter as error:
            self.notify(str(error), severity="warning")
            self._focus_pane(self._open_pane_id)
            return
        self.action_show_pane("timeline")
        self.call_after_refresh(self._focus_pane, "timeline")
        self.query_one(TimelinePane).jump_to(day)

    def action_find(self, forward: bool) -> None:
        self._pane().find_next(forward)

    @on(RecordTable.SearchDone)
    def _search_done(self, event: RecordTable.SearchDone) -> None:
        if event.note:
            self.notify(event.note, severity="information" if event.found else "warning", timeout=4)

    def action_search_as_filter(self) -> None:
        if not self.last_search.strip():
            self.notify("Search first (/), then = keeps the events it finds", severity="warning")
            return
        self.filters = replace(self.filters, text=self.last_search)

    def action_remove_filter_part(self) -> None:
        parts = self.filters.parts(self.actor_names)
        if not parts:
            self.notify("The filter shows everything: nothing to remove", timeout=3)
            return

        def remove(index: int | None) -> None:
            if index is not None:
                self.filters = parts[index][1]

        self.push_screen(ListChoiceScreen("Remove which part?", [label for label, _ in parts]), remove)

    def action_reset_filters(self) -> None:
        """Everything shown again (x removes one part)."""
        self.filters = Filters()
        self.notify("Filter reset: everything shown", timeout=2)

    def action_toggle_imprecise(self) -> None:
        self.filters = replace(self.filters, include_imprecise=not self.filters.include_imprecise)

    def action_preset_whole_span(self) -> None:
        self.filters = replace(self.filters, date_from=None, date_to=None)

    def _selected_event_date(self) -> date | None:
        event = self.query_one(TimelinePane).selected_event
        if event is None or event["date"] is None:
            self.notify("Select a dated event in the timeline first", severity="warning")
            return None
        return event["date"]

    def action_preset_event_year(self) -> None:
        when = self._selected_event_date()
        if when:
            self.filters = replace(self.filters, date_from=date(when.year, 1, 1), date_to=date(when.year, 12, 31))

    def action_narrow_to_event(self, span: str) -> None:
        """The selected event's month, or the quarter around it (the month before to the month after)."""
        when = self._selected_event_date()
        if not when:
            return
        month = when.replace(day=1)
        if span == "month":
            self.filters = replace(self.filters, date_from=month, date_to=_month_end(month))
            return
        before = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        after = month_range(month, date(month.year + 1, 12, 1))[1]
        self.filters = replace(self.filters, date_from=before, date_to=_month_end(after))

    def action_add_actor(self) -> None:
        actor_id = self.query_one(ActorsPane).selected_actor_id
        if actor_id is None:
            self.notify("Highlight an actor in the Actors pane first (2)", severity="warning")
            return
        self.filters = replace(self.filters, actor_ids=self.filters.actor_ids ^ {actor_id})  # again: out of the filter

    def action_cycle_basis(self) -> None:
        self.query_one(MonthlyChart).cycle_basis()

    def action_cycle_kind(self) -> None:
        self.query_one(CasualtiesPane).cycle_kind()

    def action_toggle_pivot(self) -> None:
        self.query_one(CasualtiesPane).toggle_pivot()

    def action_open_detail(self) -> None:
        if self.query_one(TabbedContent).active != "tab-sql":
            self.push_screen(DetailScreen(self._pane().detail_text()))

    @on(RecordTable.RowSelected)
    @on(Tree.NodeSelected)
    def _record_chosen(self) -> None:
        """Enter on a table row or an actor opens its full detail."""
        self.action_open_detail()

    @engine_work("counting the values to choose from", group="facets")
    def action_pick(self, facet: str) -> None:
        counts = queries.facet_counts(self.catalog.cursor(), self.filters, facet).to_pylist()
        self.call_from_thread(self._open_picker, facet, counts)

    def _open_picker(self, facet: str, counts: list[dict]) -> None:
        dimension = DIMENSION_BY_NAME[facet]
        selected = self.filters.values(dimension)
        choices = [
            (None if row["is_unknown"] else row["value"],
             f"{UNKNOWN if row['is_unknown'] else row['value']}  (" + " · ".join(
                 counted_noun(row[column], noun) for column, noun in (("casualty_reports", "casualty report"), ("events", "event"))
                 if row[column] is not None) + ")")  # a table the dimension does not narrow has no count
            for row in counts
        ]
        def apply(values: frozenset | None) -> None:
            if values is not None:
                self.filters = self.filters.choosing(dimension, values)

        for open_picker in self.screen.query(ValuePicker):
            open_picker.remove()
        ValuePicker(dimension.title, choices, selected, apply).open_over(self.screen, self.query_one(PickerHost))

    def action_export(self) -> None:
        if self._open_pane_id == "sql":
            self.query_one(SqlPane).action_export()
            return
        pane = self._pane()
        view = self.current_view()
        suggestion = Path.cwd() / f"conflict-explorer-{pane.id}.csv"

        def write(path: Path | None) -> None:
            if path is not None:
                self.notify(f"Writing {path}…", timeout=3)
                self._write_view(view, path)

        self.push_screen(ExportScreen(suggestion, self.catalog.data_dir, "Export the current table (.csv, .parquet or .json)"), write)

    @engine_work("writing the table", group="export", exclusive=False)
    def _write_view(self, view: ViewSpec, path: Path) -> None:
        """Off the UI thread: a table of millions of rows takes seconds to write."""
        con = self.catalog.cursor()
        try:
            origin = export.provenance(con, self.catalog.data_dir, view)
            rows = export.write_export(export.view_source(con, view), path, export.format_of(path), origin)
        except ExplorerError as error:
            self.call_from_thread(self.notify, f"Could not write {path}: {error}", severity="error")
            return
        except OSError as error:
            self.call_from_thread(self.notify, f"Could not write {path}: {error.strerror}", severity="error")
            return
        self.call_from_thread(self.notify, f"Wrote {rows:,} rows to {path}, and its citation beside it", timeout=6)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        def keys(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
            return [(binding.key_display or binding.key, binding.tooltip or binding.description) for binding in bindings]

        return [
            ("Everywhere", keys(self.BINDINGS) + [("ctrl+p", "command palette: every action by name"), ("tab / shift+tab", "move focus")]),
            ("Timeline (whatever has focus)", keys(TimelinePane.BINDINGS)),
            ("Chart (timeline)", keys(MonthlyChart.BINDINGS)),
            ("Search prompt (/)", [("words", "every word must occur, in any case, in any column searched"),
                                   ("enter", "find from the selected row on; alone: the last search again"), ("escape", "close")]),
            ("Tables", keys(RecordTable.BINDINGS) + [("↑ ↓ pgup pgdn", "move")]),
            ("Actor tree", [("↑ ↓ / j k", "move"), ("space", "fold / unfold"), ("† 302 named · 36 in incidents", "killed under the filter, by basis (never added)")]),
            ("Date fields", [("2015-10-01, 2015-10, 2015", "a day, a month or a year"), ("enter", "apply now"), ("escape", "back to the pane")]),
            ("Pickers", [("letters", "narrow the list to the values holding them")] + keys(ValuePicker.BINDINGS)
             + [("space", "tick or untick a value")]),
            ("Map", [(binding.key_display or binding.key, binding.tooltip) for binding in MapCanvas.BINDINGS if binding.tooltip]),
            ("SQL pane", keys(SqlPane.BINDINGS)),
            ("SQL results", keys(ResultGrid.BINDINGS)),
        ]

    PALETTE = [
        *((f"Go to {pane_class.title}", pane_class.summary, f"show_pane('{pane_id}')") for pane_id, pane_class in TABS),
        ("Search", "Find rows holding every word typed", "prompt('search')"),
        ("Next match", "The next row the search finds", "find(True)"),
        ("Previous match", "The previous row the search finds", "find(False)"),
        ("Search as filter", "Keep only the events the last search finds", "search_as_filter"),
        ("Jump to a date", "Move the events list and the chart to a day, month or year", "prompt('date')"),
        ("Type the date range", "The filter's first and last day", "focus_dates"),
        *((f"Choose {dimension.title.lower()}", f"Filter by {dimension.label}", f"pick('{dimension.name}')")
          for dimension in DIMENSIONS),
        ("Remove one part of the filter", "A date range, a value, an actor, a search", "remove_filter_part"),
        ("Reset filter", "Show everything", "reset_filters"),
        ("Show or leave out imprecise rows", "Unknown dates, year-long or country-wide figures", "toggle_imprecise"),
        ("Preset: whole span", "Clear the date range", "preset_whole_span"),
        ("Preset: the selected event's year", "Date range = that year", "preset_event_year"),
        ("Preset: the selected event's month", "Date range = that month", "narrow_to_event('month')"),
        ("Preset: the quarter around the selected event", "The month before to the month after", "narrow_to_event('quarter')"),
        ("Add the highlighted actor to the filter", "From the Actors pane", "add_actor"),
        ("Cycle the chart's basis", "Tallies, incidents, individuals, cumulative", "cycle_basis"),
        ("Cycle the casualty basis", "Incidents, tallies, individuals, cumulative", "cycle_kind"),
        ("Toggle the casualty pivot", "Killed by nationality × front", "toggle_pivot"),
        ("Export the current table", "Its data as .csv, .parquet or .json, with a citation file; asks for a path", "export"),
        ("Copy the view spec", "Filter, pane, basis, sort, selection and data versions: --view SPEC reopens it", "copy_view"),
        ("Copy a citation of the selected record", "Source, URL, dataset and version, access date, view spec", "copy_citation"),
        ("Open the selected record's URL", "In the browser; over SSH it is copied instead", "open_url"),
        ("Copy the selected record's URL", "Through the terminal's clipboard (works over SSH)", "copy_url"),
        ("Help: every key", "Every key on one screen", "help"),
    ]
    """The command palette's own entries: (title, what it does, action); each shows its key."""

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Keys":  # Textual's panel of the focused widget's keys, apart from our "Help: every key"
                command = SystemCommand("Keys of the focused widget", command.help, command.callback)
            yield command
        keys = {}
        for binding in self.BINDINGS:
            keys.setdefault(binding.action, binding.key_display or binding.key.split(",")[0])
        for title, help_text, action in self.PALETTE:
            key = keys.get(action)
            yield SystemCommand(f"{title}  ‹{key}›" if key else title, help_text, partial(self.run_action, action))
        if self._open_pane_id == "sql":
            sql = self.query_one(SqlPane)
            for name, help_text, key, callback in getattr(sql, "palette_commands", list)():
                yield SystemCommand(f"SQL: {name}  ‹{key}›" if key else f"SQL: {name}", help_text, callback)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a date field has focus, the letter and digit keys type into it instead of acting. The keys
        that move the focus (a pane's digit, `/`, `:`) act first (priority bindings), so that the keys typed
        after them in one burst go where they point; they stand aside where text is typed and over a dialog."""
        if isinstance(self.focused, Input) and action in TYPED_KEY_ACTIONS:
            return False
        if action in FOCUS_MOVING_ACTIONS:
            focused = self.focused
            typing = isinstance(focused, (Input, TextArea)) or (
                focused is not None and any(isinstance(widget, ValuePicker) for widget in focused.ancestors_with_self))
            own_search = action == "prompt" and self._open_pane_id == "sql"  # its results have a `/` of their own
            return not typing and not own_search and isinstance(self.screen, MainScreen)
        return True


def can_open_browser() -> bool:
    """Whether a browser can open here: not over SSH, and a display (or macOS, or Windows)."""
    over_ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY")
    display = sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    return bool(display and not over_ssh)


TYPED_KEY_ACTIONS = frozenset(
    binding.action.split("(")[0] for binding in ExplorerApp.BINDINGS if len(binding.key) == 1 or binding.key == "question_mark"
)
"""Actions bound to keys that a date field needs for typing."""
FOCUS_MOVING_ACTIONS = frozenset({"show_pane", "prompt"})
"""Bound with priority: handled as soon as read, before the keys after them are given to a widget."""
