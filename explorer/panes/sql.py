"""SQL: an editor over the data's views, results paged from DuckDB, history, export and copy.

Every statement goes through the read-only guard; queries run in a worker and ctrl+g stops them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static, TextArea, Tree
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from explorer import export
from explorer.db.errors import ExplorerError
from explorer.db.filters import Filters
from explorer.db.guard import HINT_STARTS
from explorer.db.sql_session import ResultSet, quote_identifier
from explorer.db.state import EditorState, QueryHistory
from explorer.engine import Engine
from explorer.db.statements import (
    as_new_statement,
    insertion_point,
    statement_at,
    with_filter,
)
from explorer.format import cell, counted_noun
from explorer.view_spec import ViewSpec
from explorer.widgets.result_grid import PAGE_ROWS, ResultGrid
from explorer.widgets.screens import ExportScreen
from explorer.workers import ReportsWorkerFailures, engine_work

STARTER = """-- ctrl+j runs the statement under the cursor, ctrl+r recalls one.
-- events, actors, casualties, forces; filtered_*: under the filter.
SELECT nationality, kind, count(*) AS reports FROM filtered_casualties
GROUP BY ALL ORDER BY reports DESC;
"""
SAVE_DELAY = 1.0


class HistoryScreen(ModalScreen[str | None]):
    """Every query run, newest first: type to search, ↓ to choose, enter to insert it into the editor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "choose", "Choose", show=False),
    ]
    PREVIEW_LINES = 8

    def __init__(self, history: QueryHistory) -> None:
        super().__init__()
        self.history = history
        self._matches = history.search("")

    def compose(self) -> ComposeResult:
        with Vertical(id="history"):
            yield Static("[b]Query history[/b] — type to search · ↓: choose · enter: insert into the editor as a new "
                         "statement (ctrl+z undoes) · esc: close")
            yield Input(placeholder="search", id="history-search")
            yield OptionList(id="history-list")
            yield Static(id="history-preview")

    def on_mount(self) -> None:
        self._fill("")

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_choose(self) -> None:
        """↓ in the search field moves into the list (the list handles ↓ itself)."""
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0
            options.focus()

    @on(Input.Submitted)
    def _take_first(self) -> None:
        """Enter in the search field takes the newest match."""
        if self._matches:
            self.dismiss(self._matches[0].sql)

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        self._matches = self.history.search(text)
        for index, entry in enumerate(self._matches):
            outcome = f"error: {entry.error}" if entry.error else f"{entry.rows:,} rows" if entry.rows is not None else "ok"
            first_line = " ".join(entry.sql.split())[:100]
            options.add_option(Option(f"{escape(first_line)}  [dim]{escape(outcome)}[/dim]", id=str(index)))
        self._preview(0 if self._matches else None)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview(int(event.option.id))

    def _preview(self, index: int | None) -> None:
        """The whole query (its first lines), as the list shows only the start of each."""
        lines = self._matches[index].sql.splitlines() if index is not None else []
        more = ["…"] if len(lines) > self.PREVIEW_LINES else []
        self.query_one("#history-preview", Static).update(escape("\n".join(lines[: self.PREVIEW_LINES] + more)))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._matches[int(event.option.id)].sql)


def error_text(message: str) -> str:
    """A one-line error with its hints (Did you mean, candidate bindings) and the place it points to on lines of their own."""
    for start in (*HINT_STARTS, "(LINE "):
        message = message.replace(f" {start}", f"\n{start}")
    return message


class SqlPane(ReportsWorkerFailures, Vertical):
    """The editor over the results; the footer shows the keys."""

    title = "SQL"
    summary = "Ad-hoc SQL over the same data"
    main_widget = "#sql-editor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+j,ctrl+enter", "run", "Run", key_display="^j", tooltip="run the statement under the cursor, or the selection", priority=True),
        Binding("escape", "switch_focus", "Editor ⇄ results", tooltip="move between the editor and the results", priority=True),  # second: the way out of the editor stays in a narrow footer
        Binding("ctrl+g", "cancel", "Stop", tooltip="stop the running query or search", priority=True),
        Binding("ctrl+t", "insert_where", "Filter as SQL", priority=True,
                tooltip="write the filter bar's slice into the statement under the cursor (a WHERE clause, or the filtered_* views)"),
        Binding("ctrl+r", "history", "History", tooltip="search past queries; enter inserts one as a new statement", priority=True),
        Binding("ctrl+o", "export", "Export", tooltip="export the result to .csv, .parquet or .json", priority=True),
        Binding("ctrl+n", "complete", "Complete", tooltip="complete the table or column name before the cursor", priority=True),
        Binding("ctrl+b", "toggle_schema", "Schema", tooltip="show or hide the schema browser (enter inserts a name)", priority=True),
        Binding("ctrl+a", "select_all", "Select all", show=False, priority=True,
                tooltip="select all of the editor's text (home: start of the line; ctrl+z: undo)"),
    ]
    RESULT_BINDINGS: ClassVar[list[Binding]] = [
        Binding("s", "sort", "Sort", tooltip="sort by the column (again: descending, again: as run)"),
        Binding("equals_sign", "filter_value", "Filter value", key_display="=", tooltip="keep the rows with the cell's value"),
        Binding("v", "frequencies", "Counts", tooltip="value, count and share of the column"),
        Binding("u", "undo_view", "Back", tooltip="back to the result as run"),
        Binding("slash", "search", "Search", key_display="/", tooltip="search the result: the next row with a value containing the text"),
        Binding("n", "search_next", "Next match", show=False, tooltip="the next row that matches the search"),
        Binding("N", "search_previous", "Previous match", show=False, tooltip="the previous row that matches the search"),
        Binding("c", "copy_cell", "Copy cell", tooltip="copy the cell (OSC 52: works over SSH)"),
        Binding("y", "copy_row", "Copy row", tooltip="copy the row as TSV"),
        Binding("Y", "copy_all", "Copy all", show=False, tooltip="copy the whole result as TSV"),
    ]

    BINDINGS = BINDINGS + RESULT_BINDINGS

    def __init__(self, catalog: Engine, **kwargs) -> None:
        super().__init__(**kwargs)
        self.catalog = catalog
        self.session = catalog.sql_session()
        self.history = QueryHistory()
        self.editor_state = EditorState()
        self.filters = Filters()
        self.result: ResultSet | None = None
        """The result as run; the grid may show a sorted, filtered or counted view of it."""
        self.sort: tuple[str, bool] | None = None
        self._save_timer: Timer | None = None
        self._save_problem: str | None = None
        """Why the editor's text could not be saved last time (said once, not at every keystroke)."""
        self._editor_text: str | None = None
        """The editor's text as last changed, saved shortly after each change and on exit."""
        self.names: list[str] = []
        """Table, view and column names, for completion."""
        self.schema_requested = False
        """Whether the schema browser has been asked to fill (the first time the pane shows)."""
        self._result_status = ""
        """What the status says of the result shown; the cursor's row is added to it."""
        self.search_text = ""
        """The text `/` last searched for, which n and N search again."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="sql-top"):
            yield TextArea.code_editor(self.editor_state.load() or STARTER, id="sql-editor")
            schema: Tree[str] = Tree("Tables and views", id="sql-schema")
            schema.show_root = False
            yield schema
        yield Static("ctrl+j runs the statement under the cursor", id="sql-status")
        search = Input(id="sql-search", compact=True)
        search.display = False
        yield search
        yield ResultGrid(id="sql-results")

    def on_mount(self) -> None:
        editor = self.query_one(TextArea)
        editor.move_cursor(editor.document.end)  # typing adds to the text, and ctrl+j runs its last statement
        for problem in (self.history.problem, self.editor_state.problem):
            if problem:
                self.app.notify(problem, severity="warning", timeout=15)

    def worker_failed(self, worker: Worker, notice: str) -> None:
        if worker.group in ("sql", "sql-export", "sql-search"):
            self._status(f"✗ {notice}", error=True)

    def on_show(self) -> None:
        """Highlighting and the schema browser start the first time the pane is seen: both cost start-up time."""
        if not self.schema_requested:
            self.schema_requested = True
            editor = self.query_one(TextArea)
            where, selection = editor.cursor_location, editor.selection
            editor.language = "sql"  # it puts the cursor back at the start
            editor.selection = selection
            editor.move_cursor(where)
            self._load_schema()

    @engine_work("reading the schema", group="sql-schema")
    def _load_schema(self) -> None:
        try:
            rows = self.session.schema()
        except ExplorerError:
            return
        self.app.call_from_thread(self._show_schema, rows)

    def _show_schema(self, rows: list[tuple[str, str, str]]) -> None:
        self.names = sorted({name for row in rows for name in row[:2]}, key=str.casefold)
        tree = self.query_one("#sql-schema", Tree)
        tree.clear()
        tables: dict[str, object] = {}
        for table, column, kind in rows:
            if table not in tables:
                tables[table] = tree.root.add(escape(table), data=table, expand=False)
            tables[table].add_leaf(f"{escape(column)} [dim]{escape(kind)}[/dim]", data=column)
        tree.root.expand()

    @on(Tree.NodeSelected, "#sql-schema")
    def _insert_name(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data:
            editor = self.query_one(TextArea)
            editor.insert(event.node.data)
            editor.focus()

    def action_toggle_schema(self) -> None:
        schema = self.query_one("#sql-schema", Tree)
        schema.display = not schema.display
        if schema.display:
            schema.focus()

    def action_complete(self) -> None:
        """Complete the word before the cursor from the table and column names; several matches are listed."""
        editor = self.query_one(TextArea)
        row, column = editor.cursor_location
        line = editor.document.get_line(row)[:column]
        prefix = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", line)
        if not prefix:
            self._status("Type the start of a table or column name, then ctrl+n")
            return
        matches = [name for name in self.names if name.casefold().startswith(prefix[0].casefold())]
        if not matches:
            self._status(f"No table or column starts with {prefix[0]!r}")
            return
        common = os.path.commonprefix([match.casefold() for match in matches])
        completion = matches[0][: len(common)] if len(matches) > 1 else matches[0]
        editor.replace(completion, (row, column - len(prefix[0])), (row, column))
        if len(matches) > 1:
            self._status("Matches: " + ", ".join(matches[:12]) + (" …" if len(matches) > 12 else ""))

    # --- running ---------------------------------------------------------------------

    def set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.session.set_filters(filters)

    def action_run(self) -> None:
        editor = self.query_one(TextArea)
        sql = editor.selected_text.strip() or statement_at(editor.text, editor.document.get_index_from_location(editor.cursor_location))
        if not sql.strip():
            self._status("Nothing to run: type a statement", error=True)
            return
        self._status("running… (ctrl+g stops)")
        self.query_one(ResultGrid).set_result(None)
        self._run(sql)

    @engine_work("running the statement", group="sql")
    def _run(self, sql: str) -> None:
        worker = get_current_worker()
        try:
            result = self.session.run(sql)
            count = result.row_count if result is not None else None
            first = result.fetch(0, PAGE_ROWS) if result is not None else None
        except ExplorerError as error:
            self.history.add(sql, None, str(error), 0.0)
            self.app.call_from_thread(self._failed, str(error))
            return
        self.history.add(sql, count, None, result.elapsed if result else 0.0)
        if result is None:
            self._load_schema()  # a temporary table or view may have come or gone
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_result, result, count, first)

    def _failed(self, reason: str) -> None:
        """The statement failed: the status says so on one line, the results area in full, hints included."""
        self._status(f"✗ {reason}", error=True)
        self.query_one(ResultGrid).show_message(error_text(reason))

    def _show_result(self, result: ResultSet | None, count: int | None, first: list | None, view: str = "") -> None:
        if not view:
            self.result, self.sort = result, None
        grid = self.query_one(ResultGrid)
        grid.set_result(result, count or 0, first)
        self._result_status = ""
        if result is None:
            self._status("✓ done (the statement returns no rows)")
            return
        columns = len(result.columns)
        shape = f"✓ {counted_noun(count, 'row')} · {counted_noun(columns, 'column')}"
        self._result_status = f"{shape} · {view} (u: back)" if view else f"{shape} · {result.elapsed:.3f} s"
        self._status(self._result_status)

    @on(ResultGrid.CursorMoved)
    def _cursor_moved(self, event: ResultGrid.CursorMoved) -> None:
        self._show_position(event.row, event.row_count)

    def _show_position(self, row: int, row_count: int) -> None:
        """The status says which row the cursor is on (`row 4,999,871 of 5,000,000`) and what n and N search for."""
        if self._result_status and row_count:
            searching = f" · /{self.search_text}" if self.search_text else ""
            self._status(f"{self._result_status} · row {row + 1:,} of {row_count:,}{searching}")

    def action_cancel(self) -> None:
        self.session.interrupt()
        self.workers.cancel_group(self, "sql-search")
        self._status("stopping…")

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#sql-status", Static)
        status.set_class(error, "-error")
        status.update(escape(text))

    @on(ResultGrid.Failed)
    def _fetch_failed(self, event: ResultGrid.Failed) -> None:
        self._status(f"✗ {event.reason}", error=True)

    def action_switch_focus(self) -> None:
        """One esc, one move: from the editor to the results; from anywhere else in the pane back to the editor
        (from the search field, back to the results)."""
        focused = self.app.focused
        if focused is self.query_one("#sql-search", Input):
            focused.display = False
            self.query_one(ResultGrid).focus()
        elif isinstance(focused, TextArea):
            self.query_one(ResultGrid).focus()
        else:
            self.query_one(TextArea).focus()

    def action_select_all(self) -> None:
        self.query_one(TextArea).select_all()

    # --- editor ----------------------------------------------------------------------

    @on(TextArea.Changed)
    def _edited(self, event: TextArea.Changed) -> None:
        self._editor_text = event.text_area.text
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_editor)

    def save_editor(self) -> None:
        if self._editor_text is not None:
            problem = self.editor_state.save(self._editor_text)
            if problem and problem != self._save_problem:
                self.app.notify(f"{problem.capitalize()}: copy it elsewhere before you quit", severity="warning", timeout=15)
            self._save_problem = problem

    def on_unmount(self) -> None:
        if self._editor_text is not None:
            self.editor_state.save(self._editor_text)  # the app is closing: no one is left to tell

    def action_insert_where(self) -> None:
        """Rewrite the statement under the cursor to read the filter bar's slice: one edit, undone by ctrl+z."""
        editor = self.query_one(TextArea)
        document = editor.document
        try:
            rewrite = with_filter(editor.text, document.get_index_from_location(editor.cursor_location), self.filters)
        except ExplorerError as error:
            self._status(f"ctrl+t: {error}", error=True)
            return
        start, end = document.get_location_from_index(rewrite.start), document.get_location_from_index(rewrite.end)
        editor.history.checkpoint()
        result = editor.replace(rewrite.text, start, end, maintain_selection_offset=False)
        editor.move_cursor(result.end_location)
        editor.focus()
        self._status(f"✓ {rewrite.note} (ctrl+z undoes)")

    def action_history(self) -> None:
        self.app.push_screen(HistoryScreen(self.history), self.insert_statement)

    def current_query(self) -> str | None:
        """The query a view spec keeps: the result's as run, else the statement under the cursor."""
        if self.result is not None:
            return self.result.sql
        editor = self.query_one(TextArea)
        return statement_at(editor.text, editor.document.get_index_from_location(editor.cursor_location)).strip() or None

    def open_query(self, sql: str) -> None:
        """A view's query: inserted as a statement of its own (the editor's text stays), then run."""
        self.insert_statement(sql)
        self.action_run()

    def insert_statement(self, sql: str | None) -> None:
        """Insert `sql` as a statement of its own next to the one under the cursor, never over the editor's text:
        one edit, undone by ctrl+z; the cursor goes to it, so ctrl+j runs it."""
        if not sql:
            return
        editor = self.query_one(TextArea)
        document = editor.document
        point = insertion_point(editor.text, document.get_index_from_location(editor.cursor_location))
        text = as_new_statement(editor.text, point, sql)
        location = document.get_location_from_index(point)
        editor.history.checkpoint()
        editor.insert(text, location, maintain_selection_offset=False)
        editor.move_cursor((location[0] + 1 if text.startswith("\n") else location[0], 0))
        editor.focus()
        self._status("✓ inserted from history as a new statement: ctrl+j runs, ctrl+z undoes")

    # --- the result ------------------------------------------------------------------

    def _derive(self, sql_around: str, params: list | None, view: str) -> None:
        self._status(f"{view}… (ctrl+g stops)")
        self._derive_in_worker(self.result, sql_around, params, view)

    @engine_work("sorting, filtering or counting the result", group="sql")
    def _derive_in_worker(self, result: ResultSet, sql_around: str, params: list | None, view: str) -> None:
        """Sorting, filtering and counting run in DuckDB, off the UI thread."""
        try:
            derived = result.derived(sql_around, params)
            count, first = derived.row_count, derived.fetch(0, PAGE_ROWS)
        except ExplorerError as error:
            self.app.call_from_thread(self._status, f"✗ {error}", error=True)
            return
        self.app.call_from_thread(self._show_result, derived, count, first, view)

    def action_sort(self) -> None:
        grid = self.query_one(ResultGrid)
        column = grid.current_column_name
        if self.result is None or column is None:
            return
        if self.sort == (column, False):
            self.sort = (column, True)
        elif self.sort == (column, True):
            self.action_undo_view()
            return
        else:
            self.sort = (column, False)
        order = "DESC" if self.sort[1] else "ASC"
        self._derive(f"SELECT * FROM {{rows}} ORDER BY {quote_identifier(column)} {order} NULLS LAST", None,
                     f"sorted by {column} {order.lower()}")

    def action_filter_value(self) -> None:
        grid = self.query_one(ResultGrid)
        column = grid.current_column_name
        if self.result is None or column is None:
            return
        if not self._row_here(grid):
            return
        value = grid.current_value
        self._derive(f"SELECT * FROM {{rows}} WHERE {quote_identifier(column)} IS NOT DISTINCT FROM ?", [value],
                     f"{column} = {cell(value) if value is not None else 'NULL'}")

    def action_frequencies(self) -> None:
        column = self.query_one(ResultGrid).current_column_name
        if self.result is None or column is None:
            return
        name = quote_identifier(column)
        self._derive(
            f"SELECT {name}, count(*) AS count, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS share_percent "
            f"FROM {{rows}} GROUP BY {name} ORDER BY count DESC, {name}",
            None,
            f"counts of {column}",
        )

    def action_undo_view(self) -> None:
        if self.result is not None:
            self.sort = None
            self._show_result(self.result, self.result.row_count, None)

    def _copy(self, text: str, what: str) -> None:
        self.app.copy_to_clipboard(text)
        self.app.notify(f"Copied {what} to the clipboard", timeout=2)

    def _row_here(self, grid: ResultGrid) -> bool:
        """Whether the cursor's row has arrived from DuckDB; if not, the status says to wait for it."""
        if grid.result is not None and not grid.loaded(grid.cursor_row):
            self._status("The row is still being read: try again in a moment", error=True)
            return False
        return True

    def action_copy_cell(self) -> None:
        grid = self.query_one(ResultGrid)
        if self._row_here(grid):
            self._copy(cell(grid.current_value), "the cell")

    def action_copy_row(self) -> None:
        grid = self.query_one(ResultGrid)
        row = grid.row(grid.cursor_row) if self._row_here(grid) else None
        if row is not None:
            self._copy("\t".join(cell(value) for value in row), "the row")

    def action_copy_all(self) -> None:
        grid = self.query_one(ResultGrid)
        if grid.result is None:
            return
        lines = ["\t".join(grid.result.columns)]
        with closing(grid.result.batches()) as batches:
            for batch in batches:
                lines += ["\t".join(cell(value) for value in record.values()) for record in batch.to_pylist()]
        self._copy("\n".join(lines), f"{len(lines) - 1:,} rows")

    def action_export(self) -> None:
        grid = self.query_one(ResultGrid)
        if grid.result is None:
            self.app.notify("Run a query first: there is no result to export", severity="warning")
            return
        result = grid.result

        def write(path: Path | None) -> None:
            if path is not None:
                self._export(result, path)

        self.app.push_screen(ExportScreen(Path.cwd() / "result.csv", self.catalog.data_dir,
                                          "Export the result (.csv, .parquet or .json)"), write)

    @engine_work("the export", group="sql-export", exclusive=False)
    def _export(self, result: ResultSet, path: Path) -> None:
        try:
            spec = ViewSpec(self.filters, pane="sql", sql=result.sql)
            origin = export.provenance(self.catalog.cursor(), self.catalog.data_dir, spec)
            rows = export.write_export(export.ResultSource(result), path, export.format_of(path), origin)
        except (ExplorerError, OSError) as error:
            self.app.call_from_thread(self._status, f"✗ export: {error}", error=True)
            return
        self.app.call_from_thread(self._status, f"✓ wrote {rows:,} rows to {path}")

    # --- search ----------------------------------------------------------------------

    def action_search(self) -> None:
        """Ask for the text to search the result for (enter searches from the cursor's row on; enter alone, again)."""
        if self.query_one(ResultGrid).result is None:
            self._status("Run a query first: there is no result to search", error=True)
            return
        field = self.query_one("#sql-search", Input)
        again = f"enter alone finds {self.search_text!r} again" if self.search_text else "enter finds"
        field.placeholder = f"/ text to find in the result; {again}, esc goes back"
        field.value = ""
        field.display = True
        field.focus()

    @on(Input.Submitted, "#sql-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.display = False
        grid = self.query_one(ResultGrid)
        grid.focus()
        self.search_text = event.value.strip() or self.search_text
        grid.search = self.search_text.lower()
        grid.refresh()
        if self.search_text:
            self._search_from(grid.cursor_row, backward=False)

    def action_search_next(self) -> None:
        self._search_from(self.query_one(ResultGrid).cursor_row + 1, backward=False)

    def action_search_previous(self) -> None:
        self._search_from(self.query_one(ResultGrid).cursor_row - 1, backward=True)

    def _search_from(self, row: int, backward: bool) -> None:
        grid = self.query_one(ResultGrid)
        if grid.result is None or not self.search_text:
            self._status("Search first: / then the text", error=True)
            return
        self._status(f"searching for {self.search_text!r}… (ctrl+g stops)")
        self._search(grid.result, self.search_text, row, backward)

    @engine_work("searching the result", group="sql-search")
    def _search(self, result: ResultSet, text: str, start: int, backward: bool) -> None:
        """DuckDB finds the row (the rows are never scanned here) and its page is fetched here too; the grid
        moves to it on the UI thread."""
        try:
            found = result.find(text, start, backward)
            page = found[0] // PAGE_ROWS if found else 0
            rows = result.fetch(page * PAGE_ROWS, PAGE_ROWS) if found else []
        except ExplorerError as error:
            self.app.call_from_thread(self._status, f"✗ search: {error}", error=True)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_match, result, text, found, backward, rows)

    def _show_match(self, result: ResultSet, text: str, found: tuple[int, bool] | None, backward: bool, rows: list) -> None:
        grid = self.query_one(ResultGrid)
        if grid.result is not result:
            return  # another result is shown now
        if found is None:
            self._status(f"No row holds {text!r}", error=True)
            return
        row, wrapped = found
        grid.add_page(result, row // PAGE_ROWS, rows)
        grid.go_to(row, grid.matching_column(row))
        if wrapped:
            self.app.notify(f"The search went round: on {'from the last row' if backward else 'from the first row'}", timeout=2)
        self._show_position(grid.cursor_row, grid.row_count)

    # --- the command palette ---------------------------------------------------------

    def palette_commands(self) -> list[tuple[str, str, str, Callable[[], object]]]:
        """(name, help, keys, callback) of each of the pane's actions, for the command palette (which adds `SQL: `)."""
        commands = []
        for binding in self.BINDINGS:
            if binding.action == "switch_focus":
                continue
            keys = binding.key_display or " or ".join(binding.key.split(","))
            commands.append((binding.description, binding.tooltip, keys, getattr(self, f"action_{binding.action}")))
        return commands

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {binding.action for binding in self.RESULT_BINDINGS}:
            return isinstance(self.app.focused, ResultGrid)
        if action == "select_all":
            return isinstance(self.app.focused, TextArea)
        return True
