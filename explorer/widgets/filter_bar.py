"""The filter bar: date range fields, and the active filter as a one-line summary."""

from __future__ import annotations

from datetime import date

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from explorer.db.errors import InvalidFilter
from explorer.db.filters import Filters, show_bound, parse_date_bound
from explorer.widgets.fixed_size import ContentSizeWithoutLayout

DEBOUNCE_SECONDS = 0.4
HINTS = "d dates · x remove part · r reset"


class DateInput(ContentSizeWithoutLayout, Input):
    """A date field: its text, typed or shown for a new filter, never changes its size (its CSS width)."""


class FilterBar(Widget):
    """Typing a date waits for a pause, then asks for the new range; an invalid date keeps the last valid one."""

    BINDINGS = [Binding("escape", "app.leave_field", "Back to pane")]

    class DatesChanged(Message):
        """The analyst typed a valid date range."""

        def __init__(self, date_from: date | None, date_to: date | None) -> None:
            super().__init__()
            self.date_from = date_from
            self.date_to = date_to

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._debounce: Timer | None = None
        self.actor_names: dict[str, str] = {}
        """Actors' short names by id: the summary names the filter's actors."""
        self._shown: tuple[Filters, str] | None = None

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show_summary(*self._shown)  # a narrower line may need the compact summary, a wider one not

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-dates"):
            yield Label("From ", classes="filter-label")
            yield DateInput(placeholder="YYYY-MM-DD", id="date-from", compact=True, max_length=10)
            yield Label(" To ", classes="filter-label")
            yield DateInput(placeholder="YYYY-MM-DD", id="date-to", compact=True, max_length=10)
            yield Static(HINTS, id="filter-hints")
        yield Static("", id="filter-summary")

    def show_filters(self, filters: Filters, *, message: str = "") -> None:
        """Show the active filter in the fields and the summary line, without asking for a change."""
        for input_id, bound, end in (("#date-from", filters.date_from, False), ("#date-to", filters.date_to, True)):
            field = self.query_one(input_id, Input)
            text = "" if bound is None else show_bound(bound, end=end)
            if field.value != text and not (field.has_focus and self._parses_to(field.value, bound, end)):
                with field.prevent(Input.Changed):
                    field.value = text
        self.show_summary(filters, message)

    def show_summary(self, filters: Filters, message: str = "") -> None:
        self._shown = (filters, message)
        summary = self.query_one("#filter-summary", Static)
        summary.set_class(bool(message), "-invalid")
        width = summary.size.width or self.app.size.width

        def line(compact: int) -> str:
            text = filters.summary(self.actor_names, compact=compact)
            return f"✗ {message} · kept: {text}" if message else f"Filter: {text}"

        shown = line(0)
        for compact in (1, 2):  # too long for the line: name two values of each list, then count them
            if cell_len(shown) <= width - 2:
                break
            shown = line(compact)
        summary.update(shown, layout=False)  # one line high whatever it says: no need to lay the screen out again

    @staticmethod
    def _parses_to(text: str, bound: date | None, end: bool) -> bool:
        try:
            return parse_date_bound(text, end=end) == bound
        except InvalidFilter:
            return False

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, self._apply_dates)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._apply_dates()

    def _apply_dates(self) -> None:
        texts = self.query_one("#date-from", Input).value, self.query_one("#date-to", Input).value
        try:
            date_from = parse_date_bound(texts[0], end=False)
            date_to = parse_date_bound(texts[1], end=True)
            Filters(date_from=date_from, date_to=date_to)
        except InvalidFilter as error:
            self.post_message(self.Invalid(str(error)))
            return
        self.post_message(self.DatesChanged(date_from, date_to))

    class Invalid(Message):
        """What the analyst typed is not a date range; the last valid filter stays."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason
