"""The panes' tabs: Textual's tabbed content, its active tab set by the app alone."""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


class PaneTabs(TabbedContent):
    """Textual makes a pane's tab active when a widget inside it takes the focus, by a message that arrives
    later. The app focuses a pane's widget when its tab becomes active, so each pane switch sent that word
    back; a switch made just before it arrived (a key typed while the app started) was undone by it, and
    the two then undid each other, the tabs flipping between two panes some twenty times a second until
    the app was closed. Only the app's actions choose the tab here (a pane out of sight has no widget the
    user can focus)."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # Textual's own handler, on the class below, would still run
