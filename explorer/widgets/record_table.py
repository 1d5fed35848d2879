"""A table of records (dicts) that draws only the rows in view and sorts by the raw values of any column."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from explorer.format import cell

MAX_FIT_WIDTH = 60
"""The widest a column grows to fit its content (a fixed `width` may be wider)."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    render: Callable[[dict], str] | None = None
    """How a record shows in this column; default: the record's value for `key`."""
    width: int | None = None
    """Fixed width in cells (longer text is cut); default: fit the content."""

    def show(self, record: dict) -> str:
        return self.render(record) if self.render else cell(record.get(self.key))


def _sort_key(value: object) -> tuple:
    """None sorts last; numbers, dates and strings each among themselves."""
    if value is None:
        return (1, "")
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    if isinstance(value, str):
        return (0, value.casefold())
    return (0, value)


def _fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` cells."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


class _RecordMessage(Message):
    def __init__(self, table: RecordTable, record: dict | None) -> None:
        super().__init__()
        self.table = table
        self.record = record

    @property
    def control(self) -> RecordTable:
        return self.table


class RecordTable(ScrollView, can_focus=True):
    """Rows are records; `s` sorts by the next column, `S` reverses the order.

    The records a pane loads are few (a page of the filter's rows); their cells are formatted
    once, and only the lines in view are drawn."""

    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False, tooltip="next row"),
        Binding("up,k", "move(-1)", "Up", show=False, tooltip="previous row"),
        Binding("pagedown", "page(1)", "Page down", show=False, tooltip="a page down"),
        Binding("pageup", "page(-1)", "Page up", show=False, tooltip="a page up"),
        Binding("home,g", "jump(0)", "Top", show=False, tooltip="first row"),
        Binding("end,G", "jump(-1)", "Bottom", show=False, tooltip="last row"),
        Binding("left,h", "scroll_sideways(-4)", "Left", show=False, tooltip="scroll left"),
        Binding("right,l", "scroll_sideways(4)", "Right", show=False, tooltip="scroll right"),
        Binding("s", "next_sort", "Sort", tooltip="sort by the next column"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, tooltip="reverse the sort order"),
        Binding("enter", "select", "Detail", show=False, tooltip="the row's full detail"),
    ]

    COMPONENT_CLASSES = {"record-table--header", "record-table--even-row", "record-table--cursor"}

    DEFAULT_CSS = """
    RecordTable {
        background: $surface;
        color: $foreground;
        & > .record-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .record-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .record-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .record-table--even-row { background: $surface-darken-1 40%; }
        & > .record-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .record-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, init=False)

    class RecordHighlighted(_RecordMessage):
        """The cursor is on a new record (None when the table is empty)."""

    class RowSelected(_RecordMessage):
        """Enter (or a click on the highlighted row) asks for the record's detail."""

    def __init__(self, columns: list[Column], **kwargs) -> None:
        super().__init__(**kwargs)
        self.record_columns = columns
        self.records: list[dict] = []
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._cells: list[list[str]] = []
        self._widths: list[int] = []

    # --- content ----------------------------------------------------------------------------

    def set_records(self, records: list[dict], keep: str | None = None) -> None:
        """Show `records` in the current sort order, keeping the cursor on the record whose `keep` field matches."""
        kept = self.current_record.get(keep) if keep and self.current_record else None
        self.records = list(records)
        self._sort()
        row = 0
        if kept is not None:
            row = next((index for index, record in enumerate(self.records) if record.get(keep) == kept), 0)
        self._layout(row)

    def set_columns(self, columns: list[Column]) -> None:
        self.record_columns = columns
        if self.sort_column not in {column.key for column in columns}:
            self.sort_column = None
        self._layout(self.cursor_row)

    @property
    def row_count(self) -> int:
        return len(self.records)

    @property
    def current_record(self) -> dict | None:
        if not self.records or not (0 <= self.cursor_row < len(self.records)):
            return None
        return self.records[self.cursor_row]

    def get_row_at(self, index: int) -> list[str]:
        """The cells of row `index` as shown (before cutting to the column's width)."""
        return list(self._cells[index])

    def column_label(self, key: str) -> str:
        """A column's header as shown, with the sort arrow when it is the sort column."""
        column = next(column for column in self.record_columns if column.key == key)
        arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_column else ""
        return column.label + arrow

    def move_cursor(self, row: int) -> None:
        if self.records:
            self.cursor_row = max(0, min(len(self.records) - 1, row))

    def _sort(self) -> None:
        if self.sort_column:
            self.records.sort(key=lambda record: _sort_key(record.get(self.sort_column)), reverse=self.sort_reverse)
            if self.sort_reverse:  # keep empty values last either way
                self.records.sort(key=lambda record: record.get(self.sort_column) is None)

    def _layout(self, cursor_row: int) -> None:
        """Format every cell once, size the columns to fit, and put the cursor on `cursor_row`."""
        self._cells = [[column.show(record).replace("\n", " ") for column in self.record_columns] for record in self.records]
        self._widths = []
        for index, column in enumerate(self.record_columns):
            if column.width is not None:
                self._widths.append(column.width)
                continue
            widest = max((cell_len(row[index]) for row in self._cells), default=0)
            self._widths.append(min(MAX_FIT_WIDTH, max(widest, cell_len(self.column_label(column.key)))))
        self.virtual_size = Size(sum(width + 2 for width in self._widths), len(self.records) + 1)
        self.set_reactive(RecordTable.cursor_row, max(0, min(cursor_row, len(self.records) - 1)))
        self._keep_cursor_visible()
        self.refresh()
        self._announce()

    # --- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("record-table--header")
            texts = [self.column_label(column.key) for column in self.record_columns]
        else:
            index = scroll_y + y - 1
            if index >= len(self.records):
                return Strip.blank(width, base)
            style = base
            if index % 2:
                style += self.get_component_rich_style("record-table--even-row")
            if index == self.cursor_row:
                style += self.get_component_rich_style("record-table--cursor")
            texts = self._cells[index]
        line = "".join(f" {_fit(text, column_width)} " for text, column_width in zip(texts, self._widths))
        return Strip([Segment(line, style)]).crop(scroll_x, scroll_x + width).extend_cell_length(width, style)

    def _keep_cursor_visible(self) -> None:
        visible = max(1, self.size.height - 1)
        if self.cursor_row < self.scroll_y:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= self.scroll_y + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def watch_cursor_row(self) -> None:
        self._keep_cursor_visible()
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.RecordHighlighted(self, self.current_record))

    # --- keys and mouse ---------------------------------------------------------------------

    def action_move(self, rows: int) -> None:
        self.move_cursor(self.cursor_row + rows)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_jump(self, index: int) -> None:
        if self.records:
            self.move_cursor(index % len(self.records))

    def action_scroll_sideways(self, cells: int) -> None:
        self.scroll_to(x=self.scroll_x + cells, animate=False)

    def action_select(self) -> None:
        if self.current_record is not None:
            self.post_message(self.RowSelected(self, self.current_record))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self.records):
            if index == self.cursor_row:
                self.action_select()
            self.move_cursor(index)

    def action_next_sort(self) -> None:
        keys = [column.key for column in self.record_columns]
        if not keys:
            return
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)] if self.sort_column in keys else keys[0]
        self.sort_reverse = False
        self._resort()

    def action_reverse_sort(self) -> None:
        if not self.record_columns:
            return
        self.sort_column = self.sort_column or self.record_columns[0].key
        self.sort_reverse = not self.sort_reverse
        self._resort()

    def _resort(self) -> None:
        current = self.current_record
        self._sort()
        row = next((i for i, record in enumerate(self.records) if record is current), 0)
        self._layout(row)

    # --- export -----------------------------------------------------------------------------

    def write_csv(self, path: Path) -> int:
        """Write the shown columns of every record, in the shown order, as CSV; return the row count."""
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.label for column in self.record_columns])
            for record in self.records:
                writer.writerow([column.show(record) for column in self.record_columns])
        return len(self.records)
