"""A DataTable of records (dicts) that sorts by the raw values of any column from the keyboard."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from explorer.format import cell


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


class RecordTable(DataTable):
    """Rows are records; `s` sorts by the next column, `S` reverses the order."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, tooltip="next row"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="previous row"),
        Binding("g", "scroll_top", "Top", show=False, tooltip="first row"),
        Binding("G", "scroll_bottom", "Bottom", show=False, tooltip="last row"),
        Binding("s", "next_sort", "Sort", tooltip="sort by the next column"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, tooltip="reverse the sort order"),
        Binding("enter", "select_cursor", "Detail", show=False, tooltip="the row's full detail"),
    ]

    class RecordHighlighted(Message):
        """The cursor is on a new record (None when the table is empty)."""

        def __init__(self, table: RecordTable, record: dict | None) -> None:
            super().__init__()
            self.table = table
            self.record = record

        @property
        def control(self) -> RecordTable:
            return self.table

    def __init__(self, columns: list[Column], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.record_columns = columns
        self.records: list[dict] = []
        self.sort_column: str | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for column in self.record_columns:
            self.add_column(column.label, key=column.key, width=column.width)

    def set_records(self, records: list[dict], keep: str | None = None) -> None:
        """Show `records` in the current sort order, keeping the cursor on the record whose `keep` field matches."""
        kept = self.current_record.get(keep) if keep and self.current_record else None
        self.records = list(records)
        self._sort()
        self._render_rows()
        if kept is not None:
            for index, record in enumerate(self.records):
                if record.get(keep) == kept:
                    self.move_cursor(row=index)
                    break
        self._announce()

    def set_columns(self, columns: list[Column]) -> None:
        self.record_columns = columns
        self.clear(columns=True)
        self._add_columns()
        if self.sort_column not in {column.key for column in columns}:
            self.sort_column = None

    def _sort(self) -> None:
        if self.sort_column:
            self.records.sort(key=lambda record: _sort_key(record.get(self.sort_column)), reverse=self.sort_reverse)
            if self.sort_reverse:  # keep empty values last either way
                self.records.sort(key=lambda record: record.get(self.sort_column) is None)

    def _render_rows(self) -> None:
        self.clear()
        for index, record in enumerate(self.records):
            self.add_row(*(column.show(record) for column in self.record_columns), key=str(index))
        for column in self.record_columns:
            arrow = (" ▼" if self.sort_reverse else " ▲") if column.key == self.sort_column else ""
            self.columns[column.key].label = column.label + arrow
        self.refresh()

    @property
    def current_record(self) -> dict | None:
        if not self.records or not (0 <= self.cursor_row < len(self.records)):
            return None
        return self.records[self.cursor_row]

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
        self._render_rows()
        if current is not None:
            self.move_cursor(row=next(i for i, record in enumerate(self.records) if record is current))
        self._announce()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.RecordHighlighted(self, self.current_record))

    def write_csv(self, path: Path) -> int:
        """Write the shown columns of every record, in the shown order, as CSV; return the row count."""
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.label for column in self.record_columns])
            for record in self.records:
                writer.writerow([column.show(record) for column in self.record_columns])
        return len(self.records)
