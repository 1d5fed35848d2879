"""The key bar at the bottom: Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's footer rebuilds its keys (a dozen widgets, and a layout of the screen) whenever the
    bindings may have changed: at every change of focus, and twice more around a search. This one
    rebuilds only when the keys it would show differ from those it shows, and not while hidden
    (the search prompt takes its line): `show` puts it back, up to date."""

    _shown: tuple | None = None

    def _keys(self) -> tuple:
        return tuple((binding.key, binding.description, binding.action, binding.group, enabled, tooltip)
                     for _, binding, enabled, tooltip in self.screen.active_bindings.values() if binding.show)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self._bindings_ready and screen is self.screen and (not self.display or self._keys() == self._shown):
            return
        super().bindings_changed(screen)

    def show(self, shown: bool) -> None:
        """Shown (up to date) or hidden."""
        self.display = shown
        if shown and self.is_attached:
            self.call_later(self.bindings_changed, self.screen)  # in the footer's own context: it builds its keys there
