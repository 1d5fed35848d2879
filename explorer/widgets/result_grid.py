"""A virtual table over a ResultSet: it renders only the visible rows, fetched from DuckDB a page at a time.

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

from explorer.db.errors import QueryError
from explorer.db.sql_session import ResultSet
from explorer.format import cell

PAGE_ROWS = 200
MAX_CACHED_PAGES = 20
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


class ResultGrid(ScrollView, can_focus=True):
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
        self._measured: tuple[int, int] | None = None
        """The rows whose values the widths were last fitted to."""

    def set_result(self, result: ResultSet | None, row_count: int = 0, first_page: list[tuple] | None = None) -> None:
        """Show a result; `first_page` (fetched off the UI thread) saves a round trip."""
        same_columns = result is not None and self.result is not None and result.columns == self.result.columns
        self.result, self.row_count, self.message = result, row_count, ""
        self._pages = {0: first_page} if first_page is not None else {}
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
            self.refresh()

    def _page(self, index: int) -> list[tuple]:
        if index not in self._pages:
            if len(self._pages) >= MAX_CACHED_PAGES:
                self._pages.pop(next(iter(self._pages)))
            try:
                self._pages[index] = self.result.fetch(index * PAGE_ROWS, PAGE_ROWS) if self.result else []
            except QueryError as error:
                self._pages[index] = []
                self.post_message(self.Failed(str(error)))
        return self._pages[index]

    def row(self, index: int) -> tuple | None:
        if not 0 <= index < self.row_count:
            return None
        rows = self._page(index // PAGE_ROWS)
        offset = index % PAGE_ROWS
        return rows[offset] if offset < len(rows) else None

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
            return Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width, header)
        index = scroll_y + y - 1
        row = self.row(index)
        if row is None:
            return Strip.blank(width)
        match_style = self.get_component_rich_style("result-grid--match") if self.search else Style()
        segments = [Segment(" ")]
        for column, (value, column_width, right) in enumerate(zip(row, self.widths, self.right_aligned)):
            text = _show(value)
            style = Style(dim=True, italic=True) if value is None else Style()
            if self.search and self.search in text.lower():
                style += match_style
            text = text if len(text) <= column_width else text[: column_width - 1] + "…"
            if index == self.cursor_row:
                style += Style(reverse=True) if column == self.cursor_column and self.has_focus else Style(underline=True)
            segments.append(Segment((text.rjust if right else text.ljust)(column_width), style))
            segments.append(Segment("  "))
        return Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width)

    def _message_line(self, y: int, width: int) -> Strip:
        lines = [wrapped for line in self.message.splitlines() for wrapped in textwrap.wrap(line, max(10, width - 2)) or [""]]
        if y >= len(lines):
            return Strip.blank(width)
        return Strip([Segment(" " + lines[y], self.get_component_rich_style("result-grid--message"))]).extend_cell_length(width)

    def watch_cursor_row(self) -> None:
        self._keep_cursor_visible()
        self.post_message(self.CursorMoved(self.cursor_row, self.row_count))
        self.refresh()

    def watch_cursor_column(self) -> None:
        left = sum(width + 2 for width in self.widths[: self.cursor_column])
        if left < self.scroll_x or left + 2 > self.scroll_x + self.size.width:
            self.scroll_to(x=left, animate=False)
        self.refresh()

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
