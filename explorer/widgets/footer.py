"""The key bar at the bottom: Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


KEPT_ACTIONS = ("help", "quit")
"""Shown first, wherever the footer has room for them: the way to every other key, and the way out."""
GAP = 1
"""Cells left blank before the command palette's key, so that the last key does not run into it."""


def _width(key_display: str, description: str) -> int:
    """The cells a compact key takes, with the margin after it (`^r History `)."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + 1


class KeyFooter(Footer):
    """Textual's footer rebuilds its keys (a dozen widgets, and a layout of the screen) whenever the
    bindings may have changed: at every change of focus, and twice more around a search. This one
    rebuilds only when the keys it would show differ from those it shows, and not while hidden
    (the search prompt takes its line): `show` puts it back, up to date.

    Keys that do not fit beside the command palette's key are left out whole, from the end of the
    bindings' order, but for help and quit, which are kept first (the help, `?`, lists them all):
    Textual's footer cut the last one, and showed a letter of the next in the palette key's margin."""

    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """The keys to show: those bound, less those that do not fit (all while the width is not known)."""
        keys = [(binding.key, binding.description, binding.action, binding.group, enabled, tooltip)
                for _, binding, enabled, tooltip in self.screen.active_bindings.values() if binding.show]
        width = self.size.width
        if not width:
            return tuple(keys)
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        room = width - GAP - (_width(self.app.get_key_display(palette[1]), palette[1].description) if palette else 0)
        unique, actions = [], set()
        for key in keys:  # Textual's footer shows one key per action
            if key[2] not in actions:
                actions.add(key[2])
                unique.append(key)
        needed = {key[0]: _width(self.app.get_key_display(self.screen.active_bindings[key[0]][1]), key[1]) for key in unique}
        kept = set()
        for key in [key for key in unique if key[2] in KEPT_ACTIONS] + [key for key in unique if key[2] not in KEPT_ACTIONS]:
            if needed[key[0]] > room:
                if key[2] not in KEPT_ACTIONS:
                    break  # the rest are left out in order, from the end
                continue
            room -= needed[key[0]]
            kept.add(key[0])
        return tuple(key for key in unique if key[0] in kept)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self._shown = self._keys()
        shown = {key[0] for key in self._shown}
        for widget in super().compose():
            if not isinstance(widget, FooterKey) or widget.has_class("-command-palette") or widget.key in shown:
                yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if self._bindings_ready and screen is self.screen and (not self.display or self._keys() == self._shown):
            return
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and self.display:
            self.bindings_changed(self.screen)  # the keys that fit change with the width

    def show(self, shown: bool) -> None:
        """Shown (up to date) or hidden."""
        self.display = shown
        if shown and self.is_attached:
            self.call_later(self.bindings_changed, self.screen)  # in the footer's own context: it builds its keys there
