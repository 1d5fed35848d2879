"""A virtual table over a ResultSet: it renders only the visible rows, fetched from DuckDB a page at a time.

Pages are fetched in a worker thread, never while drawing: a row whose page has not arrived yet is
drawn as a dim `…`, and the grid repaints when its page comes. The pages around the view (a screen
above and below) are fetched ahead, so scrolling meets rows already there.

Columns are as wide as the values in view (and their type) need: they grow as wider values scroll
into view, and never shrink under the cursor. Numbers are aligned right.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from explorer.db.errors import ExplorerError
from explorer.db.sql_session import ResultSet
from explorer.format import cell
from explorer.widgets import edges
from explorer.workers import ReportsWorkerFailures, engine_work

PAGE_ROWS = 200
MAX_CACHED_PAGES = 20
PLACEHOLDER = "…"
"""Drawn for a row whose page is still being fetched."""
PLAIN = Style()
"""A segment's style where it has none of its own (Textual's NO_COLOR filter reads every segment's style)."""
MAX_COLUMN_WIDTH = 40
NULL_TEXT = "NULL"
TYPE_WIDTHS = {"BOOLEAN": 5, "TIME": 8, "DATE": 10, "TIMESTAMP": 19, "TIMESTAMP WITH TIME ZONE": 25, "UUID": 36}
"""The width a value of these types takes (at least), whatever rows are in view."""
NUMERIC_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                           "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL"})


def _show(value: object) -> str:
    return NULL_TEXT if value is None else cell(value).replace("\n", " ")


def _base_type(kind: str) -> str:
    """`DECIMAL(18,3)` → `DECIMAL`."""
    return kind.split("(")[0].strip().upper()


class ResultGrid(ReportsWorkerFailures, ScrollView, can_focus=True):
    """Arrows move the cell cursor; the pane's keys sort, filter, count, search and copy from it."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"result-grid--match", "result-grid--message"}
    DEFAULT_CSS = """
    ResultGrid > .result-grid--match { background: $warning 40%; }
    ResultGrid > .result-grid--message { color: $text-error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1, 0)", "Up", show=False),
        Binding("down,j", "move(1, 0)", "Down", show=False),
        Binding("left,h", "move(0, -1)", "Left", show=False),
        Binding("right,l", "move(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First row", show=False),
        Binding("end,G", "jump(-1)", "Last row", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)
    cursor_column: reactive[int] = reactive(0)

    @dataclass
    class Failed(Message):
        """A page could not be fetched."""

        reason: str

    @dataclass
    class PageFetched(Message):
        """A page of `result` arrived from the fetching thread (`rows` is None when the fetch failed)."""

        result: ResultSet
        index: int
        rows: list[tuple] | None

    @dataclass
    class CursorMoved(Message):
        """The cursor is on another row (or the grid shows another result): `row` of `row_count`, from 0."""

        row: int
        row_count: int

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: ResultSet | None = None
        self.row_count = 0
        self.widths: list[int] = []
        self.right_aligned: list[bool] = []
        self.search = ""
        """Cells that contain this (in lower case) are highlighted."""
        self.message = ""
        """Shown when there is no result: why the statement failed, hints on lines of their own."""
        self._pages: dict[int, list[tuple]] = {}
        self._fetching: int | None = None
        """The page a worker is fetching now: one at a time, the one in view first."""
        self._wanted: list[int] = []
        """Pages to fetch next, most wanted first: those in view, then those around it."""
        self._measured: tuple[int, int] | None = None
        """The rows whose values the widths were last fitted to."""

    def set_result(self, result: ResultSet | None, row_count: int = 0, first_page: list[tuple] | None = None) -> None:
        """Show a result; `first_page` (fetched off the UI thread) saves a round trip."""
        same_columns = result is not None and self.result is not None and result.columns == self.result.columns
        self.result, self.row_count, self.message = result, row_count, ""
        self._pages = {0: first_page} if first_page is not None else {}
        self._fetching, self._wanted = None, []
        self._measured = None
        if not same_columns:
            self.cursor_column = 0
        self.widths, self.right_aligned = [], []
        if result is not None:
            types = [_base_type(kind) for kind in result.types]
            self.widths = [max(len(name), TYPE_WIDTHS.get(kind, 1)) for name, kind in zip(result.columns, types)]
            self.right_aligned = [kind in NUMERIC_TYPES for kind in types]
            self._fit_columns(0, max(1, self.size.height - 1))
        self._set_virtual_size()
        self.scroll_home(animate=False)
        self.set_reactive(ResultGrid.cursor_row, 0)
        self.post_message(self.CursorMoved(0, self.row_count))
        self.refresh()

    def show_message(self, message: str) -> None:
        """Show no result but `message` (each of its lines wrapped to the width)."""
        self.set_result(None)
        self.message = message
        self.refresh()

    def _set_virtual_size(self) -> None:
        self.virtual_size = Size(sum(width + 2 for width in self.widths) + 1, self.row_count + 1)

    def _fit_columns(self, first: int, last: int) -> None:
        """Widen the columns to the values of rows first..last (those in view): widths only grow."""
        if self.result is None or self._measured == (first, last):
            return
        self._measured = (first, last)
        widths = list(self.widths)
        for index in range(first, min(last, self.row_count)):
            row = self.row(index)
            for column, value in enumerate(row or ()):
                widths[column] = max(widths[column], min(MAX_COLUMN_WIDTH, len(_show(value))))
        if widths != self.widths:
            self.widths = widths
            self._set_virtual_size()
            self._keep_column_visible()  # the columns before it grew: the cursor's column moved right
            self.refresh()

    def row(self, index: int) -> tuple | None:
        """Row `index` if its page has been fetched (see `loaded`); never waits for DuckDB."""
        rows = self._pages.get(index // PAGE_ROWS) if 0 <= index < self.row_count else None
        offset = index % PAGE_ROWS
        return rows[offset] if rows is not None and offset < len(rows) else None

    def loaded(self, index: int) -> bool:
        """Whether row `index`'s page is here (a row of NULLs and a row still on its way both read as None)."""
        return index // PAGE_ROWS in self._pages

    def add_page(self, result: ResultSet, index: int, rows: list[tuple]) -> None:
        """Keep page `index` of `result`, fetched elsewhere off the UI thread (a search fetches its match's page)."""
        if result is self.result:
            self._pages[index] = rows
            self._evict()
            self._measured = None
            self.refresh()

    def _pages_in_view(self, margin: int = 0) -> list[int]:
        """The pages of the rows in view (with `margin` rows above and below), the cursor's first."""
        top = round(self.scroll_offset.y)
        first, last = max(0, top - margin), min(self.row_count, top + max(1, self.size.height - 1) + margin) - 1
        pages = [self.cursor_row // PAGE_ROWS] if first <= self.cursor_row <= last else []
        return pages + [page for page in range(first // PAGE_ROWS, last // PAGE_ROWS + 1) if page not in pages]

    def _want_pages_in_view(self) -> None:
        """Fetch the pages in view that are missing, then those a screen above and below."""
        if self.result is None:
            return
        screen = max(1, self.size.height - 1)
        wanted = self._pages_in_view() + self._pages_in_view(screen)
        self._wanted = [page for page in dict.fromkeys(wanted) if page not in self._pages]
        self._fetch_next()

    def _fetch_next(self) -> None:
        if self._fetching is None and self._wanted and self.result is not None:
            self._fetching = self._wanted.pop(0)
            self._fetch_page(self.result, self._fetching)

    @engine_work("fetching a page of the result", group="result-pages", exclusive=False)
    def _fetch_page(self, result: ResultSet, index: int) -> None:
        """One page from DuckDB, off the UI thread (the session's lock may make it wait for an export's batch)."""
        rows = None
        try:
            rows = result.fetch(index * PAGE_ROWS, PAGE_ROWS)
        except ExplorerError as error:
            self.post_message(self.Failed(str(error)))
        finally:  # whatever happened, the next page is fetched
            self.post_message(self.PageFetched(result, index, rows))

    def on_result_grid_page_fetched(self, message: PageFetched) -> None:
        message.stop()
        if message.result is not self.result:
            return  # a page of a result no longer shown
        if self._fetching == message.index:
            self._fetching = None
        self._pages[message.index] = message.rows or []  # a failed page stays empty: it was reported, and is not asked for again
        self._evict()
        self._measured = None
        if message.index in self._pages_in_view():
            self.refresh()
        self._fetch_next()

    def _evict(self) -> None:
        """Hold at most MAX_CACHED_PAGES pages, the oldest dropped first, never one in view."""
        in_view = set(self._pages_in_view())
        for index in [page for page in self._pages if page not in in_view][: max(0, len(self._pages) - MAX_CACHED_PAGES)]:
            del self._pages[index]

    @property
    def current_value(self) -> object:
        row = self.row(self.cursor_row)
        return None if row is None or not self.widths else row[self.cursor_column]

    @property
    def current_column_name(self) -> str | None:
        return self.result.columns[self.cursor_column] if self.result and self.widths else None

    def matching_column(self, index: int) -> int | None:
        """The first column of row `index` whose value, as shown, contains the search text."""
        row = self.row(index)
        if row is None or not self.search:
            return None
        return next((column for column, value in enumerate(row) if self.search in _show(value).lower()), None)

    def go_to(self, index: int, column: int | None = None) -> None:
        """Put the cursor on row `index` (and `column`, if given), scrolled into view."""
        if column is not None and 0 <= column < len(self.widths):
            self.cursor_column = column
        self.cursor_row = max(0, min(self.row_count - 1, index))

    def render_lines(self, crop: Region) -> list[Strip]:
        """Fit the columns to the rows about to be drawn, then draw them."""
        top = round(self.scroll_offset.y)
        self._want_pages_in_view()
        self._fit_columns(top, top + max(1, self.size.height - 1))
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if self.result is None:
            return self._message_line(y, width)
        header = Style(bold=True, reverse=True)
        if y == 0:
            segments = [Segment(" ", header)]
            for name, column_width, right in zip(self.result.columns, self.widths, self.right_aligned):
                name = name[:column_width]
                segments.append(Segment((name.rjust if right else name.ljust)(column_width) + "  ", header))
            return edges.in_view(Strip(segments), scroll_x, self.scrollable_content_region.width, header).extend_cell_length(width, header)
        index = scroll_y + y - 1
        if not 0 <= index < self.row_count:
            return Strip.blank(width, PLAIN)
        row = self.row(index)
        if row is None:  # on its way, or its page could not be read (the status said why)
            return Strip([Segment(" " + PLACEHOLDER, Style(dim=True))]).extend_cell_length(width, PLAIN) if not self.loaded(index) else Strip.blank(width, PLAIN)
        match_style = self.get_component_rich_style("result-grid--match") if self.search else Style()
        segments = [Segment(" ", PLAIN)]
        for column, (value, column_width, right) in enumerate(zip(row, self.widths, self.right_aligned)):
            text = _show(value)
            style = Style(dim=True, italic=True) if value is None else Style()
            if self.search and self.search in text.lower():
                style += match_style
            text = text if len(text) <= column_width else text[: column_width - 1] + "…"
            if index == self.cursor_row:
                style += Style(reverse=True) if column == self.cursor_column and self.has_focus else Style(underline=True)
            segments.append(Segment((text.rjust if right else text.ljust)(column_width), style))
            segments.append(Segment("  ", PLAIN))
        return edges.in_view(Strip(segments), scroll_x, self.scrollable_content_region.width, PLAIN).extend_cell_length(width, PLAIN)

    def _message_line(self, y: int, width: int) -> Strip:
        lines = [wrapped for line in self.message.splitlines() for wrapped in textwrap.wrap(line, max(10, width - 2)) or [""]]
        if y >= len(lines):
            return Strip.blank(width, PLAIN)
        return Strip([Segment(" " + lines[y], self.get_component_rich_style("result-grid--message"))]).extend_cell_length(width)

    def watch_cursor_row(self) -> None:
        self._keep_cursor_visible()
        self.post_message(self.CursorMoved(self.cursor_row, self.row_count))
        self.refresh()

    def watch_cursor_column(self) -> None:
        self._keep_column_visible()
        self.refresh()

    def _keep_column_visible(self) -> None:
        """Scroll sideways so the cursor's column is in view: whole if it fits, else from its start."""
        if not self.widths or self.cursor_column >= len(self.widths):
            return
        left = 1 + sum(width + 2 for width in self.widths[: self.cursor_column])
        right = left + (self.widths[self.cursor_column] if self.widths else 0)
        visible = self.scrollable_content_region.width - 1  # a cell for the edge's mark
        if left - 1 < self.scroll_x or right > self.scroll_x + visible:
            self.scroll_to(x=left - 1 if left - 1 < self.scroll_x or right - left > visible else right - visible,
                           animate=False, immediate=True)

    def _keep_cursor_visible(self) -> None:
        visible = max(1, self.size.height - 1)
        if self.cursor_row < self.scroll_y:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= self.scroll_y + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_move(self, rows: int, columns: int) -> None:
        if self.row_count:
            self.cursor_row = max(0, min(self.row_count - 1, self.cursor_row + rows))
        if self.widths:
            self.cursor_column = max(0, min(len(self.widths) - 1, self.cursor_column + columns))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2), 0)

    def action_jump(self, index: int) -> None:
        if self.row_count:
            self.cursor_row = index % self.row_count
