"""A virtual table over a ResultSet: it renders only the visible rows, fetched from DuckDB a page at a time."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
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


def _show(value: object) -> str:
    return NULL_TEXT if value is None else cell(value).replace("\n", " ")


class ResultGrid(ScrollView, can_focus=True):
    """Arrows move the cell cursor; the pane's keys sort, filter, count and copy from it."""

    BINDINGS = [
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

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result: ResultSet | None = None
        self.row_count = 0
        self.widths: list[int] = []
        self._pages: dict[int, list[tuple]] = {}

    def set_result(self, result: ResultSet | None, row_count: int = 0, first_page: list[tuple] | None = None) -> None:
        """Show a result; `first_page` (fetched off the UI thread) saves a round trip."""
        same_columns = result is not None and self.result is not None and result.columns == self.result.columns
        self.result, self.row_count = result, row_count
        self._pages = {0: first_page} if first_page is not None else {}
        self.cursor_row = 0
        if not same_columns:
            self.cursor_column = 0
        self.widths = []
        if result is not None:
            first = self._page(0)
            self.widths = [
                min(MAX_COLUMN_WIDTH, max([len(name)] + [len(_show(row[i])) for row in first]))
                for i, name in enumerate(result.columns)
            ]
        self.virtual_size = Size(sum(width + 2 for width in self.widths) + 1, self.row_count + 1)
        self.scroll_home(animate=False)
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

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if self.result is None:
            return Strip.blank(width)
        header = Style(bold=True, reverse=True)
        if y == 0:
            segments = [Segment(" ", header)]
            for name, column_width in zip(self.result.columns, self.widths):
                segments.append(Segment(name[:column_width].ljust(column_width) + "  ", header))
            return Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width, header)
        index = scroll_y + y - 1
        row = self.row(index)
        if row is None:
            return Strip.blank(width)
        segments = [Segment(" ")]
        for column, (value, column_width) in enumerate(zip(row, self.widths)):
            text = _show(value)
            text = text if len(text) <= column_width else text[: column_width - 1] + "…"
            style = Style(dim=True, italic=True) if value is None else Style()
            if index == self.cursor_row:
                style += Style(reverse=True) if column == self.cursor_column and self.has_focus else Style(underline=True)
            segments.append(Segment(text.ljust(column_width), style))
            segments.append(Segment("  "))
        return Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width)

    def watch_cursor_row(self) -> None:
        self._keep_cursor_visible()
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
