"""What every pane does: load its data off the UI thread, show it, and describe its selection."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.widgets import Static

from explorer.db import queries
from explorer.db.filters import Filters
from explorer.export import CitedRecord
from explorer.widgets.detail import DetailText
from explorer.widgets.record_table import RecordTable
from explorer.workers import ReportsWorkerFailures
from explorer.engine import Cursor

class Pane(ReportsWorkerFailures, Vertical):
    """A top-level view. `load` runs in a worker thread and must not touch widgets; `show` runs on the UI thread."""

    title = ""
    summary = ""
    """What the pane shows, in a few words (its key's tooltip, its palette entry)."""
    main_widget = ""
    """The selector of the widget its tab focuses."""
    counted_table = ""
    """The table whose rows under the filter the tab counts."""
    counted_unit = ""
    """What the tab's count counts (singular), where the pane's own title does not say it (casualties: report)."""
    _detail_shown: DetailText | None = None
    """What the detail panel was last given (`show_detail` gives it again only when it changes)."""

    def load(self, con: Cursor, filters: Filters) -> Any:
        raise NotImplementedError

    def show(self, data: Any) -> None:
        raise NotImplementedError

    def interrupt(self) -> None:
        """Stop the queries `load` runs on cursors of its own (a newer filter has come)."""

    def row_count(self, data: Any) -> int:
        raise NotImplementedError

    def count(self, con: Cursor, filters: Filters) -> int:
        """The tab's count without loading the pane (the same number `row_count` gives for its data)."""
        return queries.row_count(con, filters, self.counted_table)

    def current_table(self) -> RecordTable | None:
        """The table that `export` writes, if this pane shows one."""
        return None

    def detail_text(self) -> DetailText:
        """The selection's full detail."""
        return DetailText([])

    def selected_key(self) -> str | None:
        """The selected record's key, as a view spec keeps it."""
        table = self.current_table()
        key = table.selected_key() if table is not None else None
        return None if key is None else str(key)

    def select_key(self, key: str) -> None:
        """Select the record with `key` (from a view spec), wherever it is."""
        table = self.current_table()
        if table is not None:
            table.select_key(key)

    def cited_record(self) -> CitedRecord | None:
        """The selected record, as a citation names it (None where nothing citable is selected)."""
        return None

    def search(self, text: str) -> None:
        """Find the first row at or after the selection holding every word of `text` (marked where shown)."""
        table = self.current_table()
        if table is None:
            self.app.notify("Nothing to search in this pane", severity="warning")
            return
        table.search(text)

    def find_next(self, forward: bool = True) -> None:
        """The next (or previous) row the last search finds."""
        table = self.current_table()
        if table is not None:
            table.find(forward)

    def show_detail(self) -> None:
        """Show the selected record's detail, with a layout pass only when its height changes: a layout pass
        repaints every table's scrollbars too, which over SSH costs more than the detail itself. A detail out
        of sight (a narrow terminal hides it) gets its height from the layout pass that shows it."""
        detail = self.query_one(".detail", Static)
        text = self.detail_text()
        if text == self._detail_shown:  # e.g. the table announcing the row `show` has just shown: no second paint
            return
        self._detail_shown = text
        height = detail.size.height
        detail.update(text, layout=False)
        detail.clear_cached_dimensions()
        if not detail.is_on_screen:
            return
        lines = detail.get_content_height(detail.size, self.app.size, detail.size.width)
        least = detail.styles.min_height  # as tall as its panel (app.tcss): a shorter text keeps the panel's height
        panel = detail.parent.scrollable_content_region.size
        if (max(lines, int(least.resolve(panel, self.app.size))) if least else lines) != height:
            detail.refresh(layout=True)
