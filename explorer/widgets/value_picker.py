"""A modal multi-select of a filter's values, each with its count under the other filters; typing narrows it."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

UNKNOWN_VALUE = "\x00unknown"
"""Stands for 'value unknown' in the list (SelectionList values cannot be None)."""


class ValuePicker(ModalScreen[frozenset | None]):
    """Typing narrows the list to the values holding the text, space toggles a value, enter applies,
    escape forgets the typed text (then cancels), ctrl+x clears every tick."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True, tooltip="apply the ticked values"),
        Binding("escape", "cancel", "Cancel", tooltip="forget the typed text; again: close without applying"),
        Binding("ctrl+x", "clear", "Clear all", tooltip="untick every value"),
        Binding("backspace", "erase", "Erase", show=False, tooltip="erase the last typed letter"),
    ]

    def __init__(self, title: str, choices: list[tuple[str | None, str]], selected: frozenset) -> None:
        """`choices`: (value, label) pairs; value None means unknown."""
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.ticked = {UNKNOWN_VALUE if value is None else value for value in selected}
        self.typed = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(f"[b]{self.title_text}[/b]  type: narrow · space: tick · enter: apply", id="picker-title")
            yield Static("", id="picker-typed")
            yield SelectionList(*self._options(), id="picker-list")
            yield Static("", id="picker-selected")

    def _options(self) -> list[Selection]:
        words = self.typed.lower().split()
        return [
            Selection(label, key, key in self.ticked)
            for value, label in self.choices
            for key in [UNKNOWN_VALUE if value is None else value]
            if all(word in label.lower() for word in words)
        ]

    def on_mount(self) -> None:
        self._show_typed()
        self._show_selected()

    def on_key(self, event: events.Key) -> None:
        """Printable keys (but space, which ticks) narrow the list."""
        if event.is_printable and event.character and event.character != " ":
            event.stop()
            event.prevent_default()
            self._narrow(self.typed + event.character)

    def action_erase(self) -> None:
        if self.typed:
            self._narrow(self.typed[:-1])

    def _narrow(self, typed: str) -> None:
        self.typed = typed
        options = self.query_one(SelectionList)
        with options.prevent(SelectionList.SelectedChanged):
            options.clear_options()
            options.add_options(self._options())
        if options.option_count:
            options.highlighted = 0
        self._show_typed()

    def _show_typed(self) -> None:
        shown = self.query_one(SelectionList).option_count
        text = (f"find: {self.typed}▏ ({shown} of {len(self.choices)}) · esc: all again" if self.typed
                else f"{len(self.choices)} values · ctrl+x: untick all · esc: cancel")
        self.query_one("#picker-typed", Static).update(text)

    def on_selection_list_selected_changed(self) -> None:
        options = self.query_one(SelectionList)
        shown = {options.get_option_at_index(index).value for index in range(options.option_count)}
        self.ticked = (self.ticked - shown) | set(options.selected)
        self._show_selected()

    def _show_selected(self) -> None:
        names = sorted("unknown" if value == UNKNOWN_VALUE else value for value in self.ticked)
        self.query_one("#picker-selected", Static).update(
            "Selected: " + (", ".join(names) if names else "none — every value is shown")
        )

    def action_apply(self) -> None:
        self.dismiss(frozenset(None if value == UNKNOWN_VALUE else value for value in self.ticked))

    def action_cancel(self) -> None:
        if self.typed:
            self._narrow("")
            return
        self.dismiss(None)

    def action_clear(self) -> None:
        self.ticked = set()
        self.query_one(SelectionList).deselect_all()
        self._show_selected()
