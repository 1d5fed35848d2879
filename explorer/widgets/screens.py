"""Modal screens: the help screen, a record's full detail, and the export prompt."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from explorer.db.errors import ExplorerError
from explorer.export import check_target, existing, format_of

KEY_COLUMN = 16
"""The width of the help's key column: a longer key wraps within it."""


class MainScreen(Screen):
    """The app's screen. A focus change repaints only the widgets it restyles: Textual's own screen repaints
    the whole terminal on each (its `focused` repaints), which over an SSH link costs a screenful of bytes
    for a picker opening, a pane switch or a filter applied."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    AUTO_FOCUS = "#events"
    """The events list from the first frame: a key typed while the app starts (`3`, `/`) then acts as it
    would a moment later, instead of being typed into the date box, the first widget that takes focus."""


class HelpScreen(ModalScreen[None]):
    """Every key, grouped by where it works: keys right-aligned in one column, descriptions in the next,
    a long description wrapping under itself, never under the keys."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        parts: list[Text | Table] = [Text.assemble(("Keys", "bold"), " · esc closes · ctrl+p: every action by name\n")]
        for title, keys in self.sections:
            table = Table.grid(padding=(0, 0, 0, 2))
            table.add_column(justify="right", style="bold", min_width=KEY_COLUMN, max_width=KEY_COLUMN)
            table.add_column(ratio=1)
            for key, description in keys:
                table.add_row(Text(key), Text(description))
            parts += [Text(title, style="bold"), table, Text()]
        with VerticalScroll(id="help"):
            yield Static(Group(*parts), id="help-text")


class DetailScreen(ModalScreen[None]):
    """A record's full detail, scrollable, for terminals too narrow for the side panel."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-modal"):
            yield Static(self.text, markup=True)


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write an export; refuses the data directory, asks before overwriting."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggestion: Path, data_dir: Path, title: str) -> None:
        super().__init__()
        self.title_text = title
        self.suggestion = suggestion
        self.data_dir = data_dir.resolve()
        self._confirmed: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label(f"[b]{escape(self.title_text)}[/b] — enter: write · esc: cancel")
            yield Input(str(self.suggestion), id="export-path")
            yield Static("", id="export-message")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        message = self.query_one("#export-message", Static)
        try:
            resolved = check_target(Path(event.value), self.data_dir)
            format_of(resolved)
        except ExplorerError as error:
            message.update(f"✗ {escape(str(error))}")
            return
        found = existing(resolved)
        if found is not None and self._confirmed != resolved:
            self._confirmed = resolved
            message.update(f"{escape(str(found))} exists: press enter again to overwrite it.")
            return
        self.dismiss(resolved)

    def action_cancel(self) -> None:
        self.dismiss(None)
