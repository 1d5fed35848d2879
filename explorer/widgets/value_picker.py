"""A multi-select of a filter's values, each with its count under the other filters; typing narrows it.

It opens over the panes in the same screen, not as a screen of its own: only its own region is then
painted (a modal screen repaints the whole terminal several times as it opens, about ten times the
bytes over an SSH link). While it is open it keeps the focus, so the app's keys do not act.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, SelectionList, Static
from textual.widgets.selection_list import Selection

UNKNOWN_VALUE = "\x00unknown"
"""Stands for 'value unknown' in the list (SelectionList values cannot be None)."""
HELD_FOCUS = "-held-focus"
"""The class of the widget that had the focus while the picker has it: styled as focused, so that it is not repainted."""
CHROME_LINES = 6
"""The picker's lines besides its list: border, title, typed text and its margin, ticked values."""


class ValuePicker(Vertical):
    """Typing narrows the list to the values holding the text, space toggles a value, enter applies,
    escape forgets the typed text (then cancels), ctrl+x clears every tick. `done` receives the ticked
    values, or None when cancelled; the picker has gone by then."""

    BINDINGS = [
        Binding("enter", "apply", "Apply", priority=True, tooltip="apply the ticked values"),
        Binding("escape", "cancel", "Cancel", tooltip="forget the typed text; again: close without applying"),
        Binding("ctrl+x", "clear", "Clear all", tooltip="untick every value"),
        Binding("backspace", "erase", "Erase", show=False, tooltip="erase the last typed letter"),
        Binding("tab,shift+tab", "stay", "Stay", show=False, key_display="tab", tooltip="the focus stays in the picker until it closes"),
    ]

    def __init__(self, title: str, choices: list[tuple[str | None, str]], selected: frozenset,
                 done: Callable[[frozenset | None], None] | None = None) -> None:
        """`choices`: (value, label) pairs; value None means unknown."""
        super().__init__(id="picker")
        self.title_text = title
        self.choices = choices
        self.ticked = {UNKNOWN_VALUE if value is None else value for value in selected}
        self.typed = ""
        self._done = done
        self._answered = False
        self._focused_before: Widget | None = None
        """Where the focus returns when the picker closes (None: where the user put it)."""
        self._held: Widget | None = None
        """The widget that had the focus, styled as focused meanwhile (`HELD_FOCUS`)."""

    def compose(self) -> ComposeResult:
        yield Label(f"[b]{self.title_text}[/b]  type: narrow · space: tick · enter: apply", id="picker-title")
        yield Static("", id="picker-typed")
        yield SelectionList(*self._options(), id="picker-list")
        yield Static("", id="picker-selected")

    def open_over(self, screen: Widget, host: Widget | None = None) -> None:
        """Mount the picker centred over `screen`, sized to its values, in `host` (see `PickerHost`; default: the
        screen), and give it the focus."""
        self._focused_before = self._held = self.app.focused
        if self._held is not None:
            self._held.add_class(HELD_FOCUS)  # it keeps its focused look: no repaint of it
        width = min(90, max(30, screen.size.width * 4 // 5))
        height = min(max(CHROME_LINES + 3, len(self.choices) + CHROME_LINES + 1), max(CHROME_LINES + 3, screen.size.height * 4 // 5))
        offset = ((screen.size.width - width) // 2, (screen.size.height - height) // 2)
        if host is None:
            self.styles.width, self.styles.height, self.styles.offset = width, height, offset
            screen.mount(self)
            return
        host.styles.width, host.styles.height, host.styles.offset = width, height, offset
        host.mount(self)

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
        self.query_one(SelectionList).focus()

    def on_key(self, event: events.Key) -> None:
        """Printable keys (but space, which ticks) narrow the list."""
        if event.is_printable and event.character and event.character != " ":
            event.stop()
            event.prevent_default()
            self._narrow(self.typed + event.character)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """The focus went elsewhere (a click on a pane): the picker closes without applying."""
        self.call_after_refresh(self._close_if_left)

    def _close_if_left(self) -> None:
        focused = self.app.focused
        if not self._answered and self.is_attached and (focused is None or self not in focused.ancestors_with_self):
            self._focused_before = None  # the user chose where the focus goes
            self._close(None)

    def action_stay(self) -> None:
        """Tab stays in the picker, as in a dialog."""

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
        self._close(frozenset(None if value == UNKNOWN_VALUE else value for value in self.ticked))

    def action_cancel(self) -> None:
        if self.typed:
            self._narrow("")
            return
        self._close(None)

    def action_clear(self) -> None:
        self.ticked = set()
        self.query_one(SelectionList).deselect_all()
        self._show_selected()

    def _close(self, result: frozenset | None) -> None:
        if self._answered:
            return
        self._answered = True
        before, held = self._focused_before, self._held
        if before is not None and before.is_attached and before.focusable:
            before.focus(scroll_visible=False)
        if held is not None:
            held.call_later(held.remove_class, HELD_FOCUS)  # after its Focus event, which then repaints nothing
        if isinstance(self.parent, PickerHost):
            self.parent.styles.width = self.parent.styles.height = 0
        self.remove()
        if self._done is not None:
            self._done(result)


class PickerHost(Widget):
    """Where a picker opens: a fixed, empty region over the screen, sized to the picker as it opens. A picker
    mounted here repaints its own region only; mounted in a pane or the screen, the whole parent repaints."""
