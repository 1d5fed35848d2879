"""A modal multi-select of a filter's values, each with its count under the other filters."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

UNKNOWN_VALUE = "\x00unknown"
"""Stands for 'value unknown' in the list (SelectionList values cannot be None)."""


class ValuePicker(ModalScreen[frozenset | None]):
    """Space toggles a value, enter applies, escape cancels, x clears."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("x", "clear", "Clear all"),
    ]

    def __init__(self, title: str, choices: list[tuple[str | None, str]], selected: frozenset) -> None:
        """`choices`: (value, label) pairs; value None means unknown."""
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(f"[b]{self.title_text}[/b]  space: toggle · enter: apply · x: clear · esc: cancel", id="picker-title")
            yield SelectionList(
                *(
                    Selection(label, UNKNOWN_VALUE if value is None else value, value in self.selected)
                    for value, label in self.choices
                ),
                id="picker-list",
            )
            yield Static("", id="picker-selected")

    def on_mount(self) -> None:
        self._show_selected()

    def on_selection_list_selected_changed(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        values = self.query_one(SelectionList).selected
        names = sorted("unknown" if value == UNKNOWN_VALUE else value for value in values)
        self.query_one("#picker-selected", Static).update(
            "Selected: " + (", ".join(names) if names else "none — every value is shown")
        )

    def action_apply(self) -> None:
        values = self.query_one(SelectionList).selected
        self.dismiss(frozenset(None if value == UNKNOWN_VALUE else value for value in values))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_clear(self) -> None:
        self.query_one(SelectionList).deselect_all()
