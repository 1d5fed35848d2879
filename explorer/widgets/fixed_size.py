"""Widgets whose virtual size (their content's extent) changes without laying the whole screen out again."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive


class ContentSizeWithoutLayout:
    """A mixin for a `ScrollView` (a table, a field) sized by its CSS, not by its content. Textual lays the
    whole screen out again on every change of a widget's virtual size (its content's extent), though such
    a widget keeps its size: here only its scroll bars follow, and the screen is laid out again only when
    one of them appears or goes (or the widget's CSS does size it by its content, `auto`)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def _watch_virtual_size(self, size: Size) -> None:
        if self.styles.auto_dimensions:
            self.refresh(layout=True)
        else:
            self._scroll_update(size)  # showing or hiding a scroll bar lays out (Widget.show_*_scrollbar)


class VirtualSizeFromLayout:
    """A mixin for a widget whose virtual size only the layout pass sets: a `Static`, a scrolling container
    (the space its children take). Textual lays the whole screen out a second time after each pass that
    changes such a widget's size, though that pass has placed everything already; a scroll bar shown or
    hidden still lays out (Widget.show_*_scrollbar)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
