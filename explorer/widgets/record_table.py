"""A table of records (dicts) read a page at a time, drawn only where in view, sorted and searched by its source.

A source is either `ListRows` (records held in memory, sorted and searched here) or a
`explorer.db.paging.QueryRows` (rows under the filter in DuckDB: sorted, paged and searched there,
so every row is reachable at any size while memory stays flat)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from explorer.db.paging import Order, search_terms
from explorer.format import cell
from explorer.widgets import edges
from explorer.widgets.fixed_size import ContentSizeWithoutLayout
from explorer.widgets.value_picker import HELD_FOCUS
from explorer.workers import ReportsWorkerFailures

MAX_FIT_WIDTH = 60
"""The widest a column grows to fit its content (a fixed `width` may be wider)."""
PAGE_ROWS = 100
"""Rows read at a time."""
MAX_PAGES = 40
"""Pages kept in memory; the ones furthest from the cursor are dropped first."""
LOADING = "…"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    render: Callable[[dict], str] | None = None
    """How a record shows in this column; default: the record's value for `key`."""
    width: int | None = None
    """Fixed width in cells (longer text is cut); default: fit the content."""
    sortable: bool = True
    """False for a column the source cannot order by (worked out for the rows in view only)."""
    numeric: bool = False
    """Aligned right, label and values, so that figures line up."""

    def show(self, record: dict) -> str:
        return self.render(record) if self.render else cell(record.get(self.key))


@dataclass(frozen=True)
class Located:
    """Where a record is in a new source's default order, found off the UI thread with its first rows: the
    cursor stays on it without a round trip. `row` is None when the source does not hold it; `rows` is
    the page holding it."""

    key: object
    row: int | None
    rows: list[dict]


def _sort_key(value: object) -> tuple:
    """None sorts last; numbers, dates and strings each among themselves."""
    if value is None:
        return (1, "")
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    if isinstance(value, str):
        return (0, value.casefold())
    return (0, value)


def wrapped_note(forward: bool) -> str:
    """What a search that went round an end says."""
    return "past the last match, back to the first" if forward else "past the first match, back to the last"


def _fit(text: str, width: int, right: bool = False) -> str:
    """`text` padded (on the left if `right`) or cut (with an ellipsis) to exactly `width` cells."""
    if cell_len(text) <= width:
        return " " * (width - cell_len(text)) + text if right else set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


class RowSource(Protocol):
    """Where a table's rows come from. `immediate` sources answer on the UI thread; the others are
    called from worker threads."""

    immediate: bool
    total: int

    def read(self, order: Order | None, start: int, count: int, after: dict | None = None,
             before: dict | None = None) -> list[dict]: ...

    def locate(self, order: Order | None, key: object) -> int | None: ...

    def key_of(self, record: dict) -> object: ...

    def find(self, order: Order | None, terms: Sequence[str], start: dict | None, forward: bool = True,
             inclusive: bool = False) -> int | None: ...

    def rows_before(self, order: Order | None, value: object) -> int: ...


class ListRows:
    """Records held in memory (a pivot, a short list), sorted and searched here by their shown text."""

    immediate = True

    def __init__(self, records: list[dict], columns: list[Column], key: str | None = None) -> None:
        self.records = list(records)
        self.columns = columns
        self.key = key
        self.total = len(self.records)
        self._sorted: tuple[Order | None, list[dict]] = (None, self.records)

    def _in_order(self, order: Order | None) -> list[dict]:
        if self._sorted[0] != order:
            records = list(self.records)
            if order is not None:
                records.sort(key=lambda record: _sort_key(record.get(order.column)), reverse=order.reverse)
                if order.reverse:  # keep empty values last either way
                    records.sort(key=lambda record: record.get(order.column) is None)
            self._sorted = (order, records)
        return self._sorted[1]

    def read(self, order: Order | None, start: int, count: int, after: dict | None = None, before: dict | None = None) -> list[dict]:
        return self._in_order(order)[start:start + count]

    def key_of(self, record: dict) -> object:
        return record.get(self.key) if self.key else id(record)

    def locate(self, order: Order | None, key: object) -> int | None:
        return next((index for index, record in enumerate(self._in_order(order)) if self.key_of(record) == key), None)

    def rows_before(self, order: Order | None, value: object) -> int:
        column = order.column if order else self.columns[0].key
        return sum(1 for record in self.records if record.get(column) is not None and record.get(column) < value)

    def find(self, order: Order | None, terms: Sequence[str], start: dict | None, forward: bool = True,
             inclusive: bool = False) -> int | None:
        records = self._in_order(order)
        at = next((i for i, r in enumerate(records) if r is start), None) if start is not None else None
        if at is None:
            indexes = range(len(records)) if forward else range(len(records) - 1, -1, -1)
        elif forward:
            indexes = range(at if inclusive else at + 1, len(records))
        else:
            indexes = range(at if inclusive else at - 1, -1, -1)
        for index in indexes:
            text = " ".join(column.show(records[index]) for column in self.columns).casefold()
            if all(term.casefold() in text for term in terms):
                return index
        return None


class _RecordMessage(Message):
    def __init__(self, table: RecordTable, record: dict | None) -> None:
        super().__init__()
        self.table = table
        self.record = record

    @property
    def control(self) -> RecordTable:
        return self.table


class RecordTable(ReportsWorkerFailures, ContentSizeWithoutLayout, ScrollView, can_focus=True):
    """Rows are records; `s` sorts by the next column, `S` reverses the order, `/` (in the pane) finds.
    New rows or wider columns lay the screen out only when a scroll bar appears or goes.

    Only the pages in view are read (off the UI thread for a DuckDB source); rows not read yet
    show `…` until their page arrives."""

    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False, tooltip="next row"),
        Binding("up,k", "move(-1)", "Up", show=False, tooltip="previous row"),
        Binding("pagedown", "page(1)", "Page down", show=False, tooltip="a page down"),
        Binding("pageup", "page(-1)", "Page up", show=False, tooltip="a page up"),
        Binding("home,g", "jump(0)", "Top", show=False, tooltip="first row"),
        Binding("end,G", "jump(-1)", "Bottom", show=False, tooltip="last row"),
        Binding("left,h", "scroll_sideways(-4)", "Left", show=False, tooltip="scroll left"),
        Binding("right,l", "scroll_sideways(4)", "Right", show=False, tooltip="scroll right"),
        Binding("s", "next_sort", "Sort", tooltip="sort every row by the next column"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, tooltip="reverse the sort order"),
        Binding("enter", "select", "Detail", show=False, tooltip="the row's full detail"),
    ]

    COMPONENT_CLASSES = {"record-table--header", "record-table--even-row", "record-table--cursor", "record-table--match"}

    DEFAULT_CSS = """
    RecordTable {
        background: $surface;
        color: $foreground;
        & > .record-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .record-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .record-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .record-table--even-row { background: $surface-darken-1 40%; }
        & > .record-table--match { text-style: bold underline; color: $text-warning; }
        &:ansi > .record-table--match { text-style: bold underline reverse; }
        & > .record-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus, &.-held-focus {
            background-tint: $foreground 5%;
            & > .record-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, init=False, repaint=False)
    """Its watcher repaints the rows it left and reached, not the whole table."""

    class RecordHighlighted(_RecordMessage):
        """The cursor is on a new record (None when the table is empty)."""

    class RowSelected(_RecordMessage):
        """Enter (or a click on the highlighted row) asks for the record's detail."""

    class SearchDone(Message):
        """A search (or a jump) ended: `note` says what happened when it did not simply land on a row."""

        def __init__(self, table: RecordTable, found: bool, note: str) -> None:
            super().__init__()
            self.table = table
            self.found = found
            self.note = note

        @property
        def control(self) -> RecordTable:
            return self.table

    def __init__(self, columns: list[Column], **kwargs) -> None:
        super().__init__(**kwargs)
        self.record_columns = columns
        self.source: RowSource = ListRows([], columns)
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.search_terms: list[str] = []
        self._pages: dict[int, list[dict]] = {}
        self._cells: dict[int, list[list[str]]] = {}
        self._pending: set[int] = set()
        self._generation = 0
        """Bumped when the source or the order changes: pages read for an older one are dropped."""
        self._widths: list[int] = []
        self._announced: object = object()
        self._finding = False
        """A search is in flight (off the UI thread): n pressed meanwhile waits in `_queued_finds`."""
        self._queued_finds: list[bool] = []
        self._find_when_read: tuple[bool, bool] | None = None

    # --- content ----------------------------------------------------------------------------

    @property
    def order(self) -> Order | None:
        return Order(self.sort_column, self.sort_reverse) if self.sort_column else None

    def set_records(self, records: list[dict], keep: str | None = None, columns: list[Column] | None = None) -> None:
        """Show records held in memory, keeping the cursor on the record whose `keep` field matches."""
        self.set_source(ListRows(records, columns or self.record_columns, keep), keep_record=bool(keep), columns=columns)

    def set_source(self, source: RowSource, first_rows: list[dict] | None = None, keep_record: bool = True,
                   columns: list[Column] | None = None, located: Located | None = None) -> None:
        """Show `source`'s rows (with `columns`, when they change with it); `first_rows` (read off the UI
        thread, in the default order) saves a round trip, and so does `located`, where the selected record
        is in it. The cursor stays on the same record when the source holds it (`keep_record`)."""
        current = self._read_row(self.cursor_row)
        kept = self.source.key_of(current) if keep_record and current is not None else None
        self.source = source
        if columns is not None:
            self.record_columns = columns
            if isinstance(source, ListRows):
                source.columns = columns
            if self.sort_column not in {column.key for column in columns if column.sortable}:
                self.sort_column, self.sort_reverse = None, False
        self._reset(first_rows if self.order is None else None)
        if kept is None:
            self._place_cursor(0)
        elif source.immediate:
            self._place_cursor(source.locate(self.order, kept) or 0)
        elif (row := self._index_if_read(kept)) is not None:  # no round trip, and no other row shown selected meanwhile
            self._place_cursor(row)
        elif located is not None and located.key == kept and self.order is None:
            if located.row is not None:
                self._store(located.row // PAGE_ROWS, located.rows)
                self._fit_columns()
            self._place_cursor(located.row or 0)
        else:
            self._place_cursor(0, announce=False)
            self._locate(self._generation, kept)

    def set_columns(self, columns: list[Column]) -> None:
        """New columns over the same rows."""
        self.set_source(self.source, columns=columns)

    def _index_if_read(self, key: object) -> int | None:
        """The index of the record with `key` among the rows read so far (the first page, after a new source)."""
        for page, rows in self._pages.items():
            for offset, record in enumerate(rows):
                if self.source.key_of(record) == key:
                    return page * PAGE_ROWS + offset
        return None

    def _read_row(self, index: int) -> dict | None:
        """Row `index` if it has been read, without asking for it."""
        rows = self._pages.get(index // PAGE_ROWS)
        return rows[index % PAGE_ROWS] if rows is not None and index % PAGE_ROWS < len(rows) else None

    def _reset(self, first_rows: list[dict] | None) -> None:
        self._generation += 1
        self._find_when_read = None
        self._pages, self._cells, self._pending = {}, {}, set()
        if first_rows is not None:
            self._store(0, first_rows[:PAGE_ROWS])
        self._fit_columns(reset=True)
        self.virtual_size = Size(sum(width + 2 for width in self._widths), self.row_count + 1)
        self.refresh()

    @property
    def row_count(self) -> int:
        return self.source.total

    @property
    def records(self) -> list[dict]:
        """The rows read so far from the top, in the shown order (every row, for a source held in memory)."""
        if isinstance(self.source, ListRows):
            return list(self.source.read(self.order, 0, self.source.total))
        rows, index = [], 0
        while index in self._pages:
            rows += self._pages[index]
            index += 1
        return rows

    @property
    def current_record(self) -> dict | None:
        return self.row(self.cursor_row)

    def row(self, index: int) -> dict | None:
        """Row `index` if it has been read (its page is asked for otherwise)."""
        if not 0 <= index < self.row_count:
            return None
        page = index // PAGE_ROWS
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            rows = self._pages.get(page)
        if rows is None or index % PAGE_ROWS >= len(rows):
            return None
        return rows[index % PAGE_ROWS]

    def get_row_at(self, index: int) -> list[str]:
        """The cells of row `index` as shown (before cutting to the column's width); empty while not read."""
        self.row(index)
        cells = self._cells.get(index // PAGE_ROWS)
        return list(cells[index % PAGE_ROWS]) if cells and index % PAGE_ROWS < len(cells) else []

    def column_label(self, key: str) -> str:
        """A column's header as shown, with the sort arrow when it is the sort column."""
        column = next(column for column in self.record_columns if column.key == key)
        arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_column else ""
        return column.label + arrow

    def move_cursor(self, row: int) -> None:
        if self.row_count:
            self.cursor_row = max(0, min(self.row_count - 1, row))

    def _place_cursor(self, row: int, announce: bool = True) -> None:
        self.set_reactive(RecordTable.cursor_row, max(0, min(row, self.row_count - 1)))
        self._keep_cursor_visible()
        self.refresh()
        if announce:
            self._announce(force=True)

    # --- pages ------------------------------------------------------------------------------

    def _format(self, rows: list[dict]) -> list[list[str]]:
        return [[column.show(record).replace("\n", " ") for column in self.record_columns] for record in rows]

    def _store(self, page: int, rows: list[dict]) -> None:
        self._pages[page] = rows
        self._cells[page] = self._format(rows)
        if len(self._pages) > MAX_PAGES:
            in_view = int(self.scroll_y) // PAGE_ROWS
            furthest = max((index for index in self._pages if index != page),
                           key=lambda index: min(abs(index - in_view), abs(index - self.cursor_row // PAGE_ROWS)))
            self._pages.pop(furthest)
            self._cells.pop(furthest)

    def _fit_columns(self, reset: bool = False) -> None:
        """Widths from the labels and the rows read so far; they only grow while the rows stay the same."""
        widths = []
        for index, column in enumerate(self.record_columns):
            if column.width is not None:
                widths.append(column.width)
                continue
            widest = max((cell_len(row[index]) for cells in self._cells.values() for row in cells), default=0)
            widest = max(widest, cell_len(self.column_label(column.key)))
            if not reset and index < len(self._widths):
                widest = max(widest, self._widths[index])
            widths.append(min(MAX_FIT_WIDTH, widest))
        self._widths = widths
        self.virtual_size = Size(sum(width + 2 for width in self._widths), self.row_count + 1)
        self.call_after_refresh(self._keep_cursor_visible)  # a wider table may gain a scrollbar over its last line

    def _request(self, page: int) -> None:
        if page in self._pending or page < 0 or page * PAGE_ROWS >= self.row_count:
            return
        start = page * PAGE_ROWS
        after = self._pages.get(page - 1, [None])[-1] if page - 1 in self._pages else None
        before = self._pages[page + 1][0] if after is None and self._pages.get(page + 1) else None
        if self.source.immediate:
            self._store(page, self.source.read(self.order, start, PAGE_ROWS, after, before))
            self._fit_columns()
            return
        self._pending.add(page)
        self.run_worker(partial(self._read_page, self._generation, self.source, self.order, page, after, before),
                        thread=True, group="record-pages", exclusive=False, exit_on_error=False,
                        description="reading a page of the table")

    def _read_page(self, generation: int, source: RowSource, order: Order | None, page: int,
                   after: dict | None, before: dict | None) -> None:
        try:
            rows = source.read(order, page * PAGE_ROWS, PAGE_ROWS, after, before)
        except BaseException:
            self.app.call_from_thread(self._pending.discard, page)
            raise
        self.app.call_from_thread(self._page_read, generation, page, rows)

    def _page_read(self, generation: int, page: int, rows: list[dict]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(page)
        self._store(page, rows)
        self._fit_columns()
        self.refresh()
        if self.cursor_row // PAGE_ROWS == page:
            self._announce()
            if self._find_when_read is not None:
                forward, including_cursor = self._find_when_read
                self._find_when_read = None
                self.find(forward, including_cursor)

    def _locate(self, generation: int, key: object) -> None:
        """Find the row with `key` (off the UI thread) and move the cursor there."""
        source, order = self.source, self.order

        def locate() -> None:
            row = source.locate(order, key)
            self.app.call_from_thread(self._located, generation, row)

        self.run_worker(locate, thread=True, group="record-locate", exclusive=True, exit_on_error=False,
                        description="finding the selected row again")

    def _located(self, generation: int, row: int | None) -> None:
        if generation == self._generation:
            self._place_cursor(row or 0)

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
            if index >= self.row_count:
                return Strip.blank(width, base)
            style = base
            if index % 2:
                style += self.get_component_rich_style("record-table--even-row")
            if index == self.cursor_row:
                style += self.get_component_rich_style("record-table--cursor")
            texts = self.get_row_at(index)
            if not texts:
                texts = [LOADING] + [""] * (len(self._widths) - 1)
        line = "".join(f" {_fit(text, column_width, column.numeric)} "
                       for text, column_width, column in zip(texts, self._widths, self.record_columns))
        segments = [Segment(line, style)]
        if y and self.search_terms:
            segments = self._marked(line, style)
        visible = self.scrollable_content_region.width  # the width less a vertical scroll bar's
        return edges.in_view(Strip(segments), scroll_x, visible, style).extend_cell_length(width, style)

    def _marked(self, line: str, style) -> list[Segment]:
        """`line` with the search's words marked."""
        pattern = "|".join(re.escape(term) for term in sorted(self.search_terms, key=len, reverse=True))
        mark = style + self.get_component_rich_style("record-table--match", partial=True)
        segments, at = [], 0
        for match in re.finditer(pattern, line, flags=re.IGNORECASE):
            if match.start() > at:
                segments.append(Segment(line[at:match.start()], style))
            segments.append(Segment(match.group(), mark))
            at = match.end()
        segments.append(Segment(line[at:], style))
        return segments

    def _keep_cursor_visible(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        if self.cursor_row < self.scroll_y:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= self.scroll_y + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._keep_cursor_visible()

    def _on_blur(self, event: events.Blur) -> None:
        """Blurred while a picker holds the focus for a moment, the table looks focused still (`HELD_FOCUS`):
        Textual's repaint of the whole table on each focus change is skipped, sparing an SSH link a screenful."""
        if not self.has_class(HELD_FOCUS):
            super()._on_blur(event)
            return
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def _on_focus(self, event: events.Focus) -> None:
        if not self.has_class(HELD_FOCUS):
            super()._on_focus(event)
            return
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def watch_cursor_row(self, old: int, new: int) -> None:
        """Repaint the two rows the cursor left and reached, unless the table scrolled (which repaints it all):
        over SSH a whole table per key press is most of what a link carries."""
        top = self.scroll_offset.y
        self._keep_cursor_visible()
        if self.scroll_offset.y == top:
            for index in (old, new):
                self.refresh(Region(0, index - top + 1, self.size.width, 1))  # the header is line 0
        else:
            self.refresh()
        self._announce()

    def _announce(self, force: bool = False) -> None:
        record = self.current_record
        if record is None and self.row_count:
            return  # its page is on its way: announced when it arrives
        if force or record is not self._announced:
            self._announced = record
            self.post_message(self.RecordHighlighted(self, record))

    # --- keys and mouse ---------------------------------------------------------------------

    def action_move(self, rows: int) -> None:
        self.move_cursor(self.cursor_row + rows)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, index: int) -> None:
        if self.row_count:
            self.move_cursor(index % self.row_count)

    def action_scroll_sideways(self, cells: int) -> None:
        self.scroll_to(x=self.scroll_x + cells, animate=False)

    def action_select(self) -> None:
        if self.current_record is not None:
            self.post_message(self.RowSelected(self, self.current_record))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < self.row_count:
            if index == self.cursor_row:
                self.action_select()
            self.move_cursor(index)

    def action_next_sort(self) -> None:
        keys = [column.key for column in self.record_columns if column.sortable]
        if not keys:
            return
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)] if self.sort_column in keys else keys[0]
        self.sort_reverse = False
        self._resort()

    def action_reverse_sort(self) -> None:
        keys = [column.key for column in self.record_columns if column.sortable]
        if not keys:
            return
        self.sort_column = self.sort_column or keys[0]
        self.sort_reverse = not self.sort_reverse
        self._resort()

    def _resort(self) -> None:
        """Every row in the new order (the source sorts them all), the cursor on the same record."""
        self.set_source(self.source)

    # --- search -----------------------------------------------------------------------------

    def search(self, text: str) -> None:
        """Find the first row at or after the cursor holding every word of `text`."""
        self.search_terms = search_terms(text)
        self.refresh()
        if self.search_terms:
            self.find(forward=True, including_cursor=True)

    def find(self, forward: bool = True, including_cursor: bool = False) -> None:
        """Move to the next (or previous) row holding the search's words, wrapping round the ends."""
        if not self.search_terms:
            self.post_message(self.SearchDone(self, False, "nothing to find: press / and type words first"))
            return
        if self._finding:
            self._queued_finds.append(forward)  # done in turn when the search in flight lands
            return
        start = self.current_record
        if start is None and self.row_count:  # the selected row's page is on its way: go on from there when it lands
            self._find_when_read = (forward, including_cursor)
            return
        inclusive = including_cursor and start is not None
        source, order, terms, generation = self.source, self.order, list(self.search_terms), self._generation

        def find() -> tuple[int | None, bool]:
            found = source.find(order, terms, start, forward, inclusive)
            if found is None and start is not None:
                return source.find(order, terms, None, forward), True
            return found, False

        if source.immediate:
            self._found(generation, forward, *find())
            return

        def find_off_thread() -> None:
            try:
                result = find()
            except BaseException:
                self.app.call_from_thread(self._search_ended)
                raise
            self.app.call_from_thread(self._found, generation, forward, *result)

        self._finding = True
        self.run_worker(find_off_thread, thread=True, group="record-search", exclusive=True, exit_on_error=False,
                        description="searching the rows")

    def _search_ended(self) -> None:
        self._finding = False
        self._queued_finds.clear()

    def _found(self, generation: int, forward: bool, row: int | None, wrapped: bool) -> None:
        self._finding = False
        if generation != self._generation:
            self._queued_finds.clear()
            self.post_message(self.SearchDone(self, False, "the rows changed while searching: press n again"))
            return
        if row is not None and self._queued_finds and not wrapped:
            self.move_cursor(row)
            self.call_after_refresh(self.find, self._queued_finds.pop(0))  # the next press, from here
            return
        self._queued_finds.clear()
        words = " ".join(self.search_terms)
        if row is None:
            self.post_message(self.SearchDone(self, False, f"no row holds “{words}”"))
            return
        only = wrapped and row == self.cursor_row
        self.move_cursor(row)
        self._announce(force=True)
        note = f"“{words}”: {wrapped_note(forward)}" if wrapped else ""
        if only:
            note = f"“{words}”: this is the only row that holds it"
        self.post_message(self.SearchDone(self, True, note))

    def selected_key(self) -> object:
        """The key of the record under the cursor (None while there is none)."""
        record = self.current_record
        return None if record is None else self.source.key_of(record)

    def select_key(self, key: object) -> None:
        """The cursor on the row with `key`, wherever it is in the order (the first row if there is none)."""
        if self.source.immediate:
            self._place_cursor(self.source.locate(self.order, key) or 0)
        else:
            self._locate(self._generation, key)

    def jump_to_value(self, value: object, past_the_end: str) -> None:
        """The cursor on the first row whose default-order column is at least `value` (the table goes back
        to its default order first)."""
        if self.sort_column is not None:
            self.sort_column, self.sort_reverse = None, False
            self.set_source(self.source, keep_record=False)
        source, order, generation = self.source, self.order, self._generation

        def jump() -> int:
            return source.rows_before(order, value)

        def landed(generation: int, row: int) -> None:
            if generation != self._generation:
                return
            self.move_cursor(row)
            self._announce(force=True)
            if row >= self.row_count:
                self.post_message(self.SearchDone(self, False, past_the_end))

        if source.immediate:
            landed(generation, jump())
            return
        self.run_worker(lambda: self.app.call_from_thread(landed, generation, jump()), thread=True, group="record-search",
                        exclusive=True, exit_on_error=False, description="finding the date")
