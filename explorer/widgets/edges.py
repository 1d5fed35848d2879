"""Lines wider than their widget: the part in view, with a mark on each edge that cuts text."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

CUT_RIGHT = "›"
"""The last cell of a line whose text goes on past the right edge."""
CUT_LEFT = "‹"
"""The first cell of a line scrolled sideways past some of its text."""


def in_view(whole: Strip, scroll_x: int, visible: int, style: Style) -> Strip:
    """Cells `scroll_x` to `scroll_x + visible` of `whole`, with `‹`/`›` where text lies beyond an edge.

    `visible` is the width text can be seen in (less a vertical scroll bar's); the strip returned
    is that wide, so the caller extends it to the widget's width."""
    shown = whole.crop(scroll_x, scroll_x + visible)
    if visible < 3:
        return shown
    if whole.crop(scroll_x + visible, whole.cell_length).text.strip():
        shown = Strip.join([shown.crop(0, visible - 1), Strip([Segment(CUT_RIGHT, style)])])
    if scroll_x > 0 and whole.crop(0, scroll_x).text.strip():
        shown = Strip.join([Strip([Segment(CUT_LEFT, style)]), shown.crop(1, visible)])
    return shown
