"""What reaches the terminal: only the cells that change, with each colour said once.

Textual repaints a widget's whole region when the widget refreshes, and writes every segment as
`ESC[style m` text `ESC[0m`. Over SSH that is most of what a keystroke costs: moving one row
repaints the whole detail pane, blank lines and all. `ScreenDiff` keeps what the terminal shows,
cell by cell, and turns each of Textual's updates into the writes of the cells that differ, grouped
into runs (a cursor move costs more than a few unchanged cells), with an SGR sequence only where the
style changes. What the terminal shows afterwards is what Textual's own update would have left; the
shadow is forgotten (the next update writes every cell it covers) on a resize, a suspend and a
resume, and whenever an update holds something it cannot follow (Textual's own control segments,
a combining mark with nothing to join). Control characters in the data (a tab, ESC) take no cell in
Textual's layout and are left out, so text from a data file can never send the terminal a command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rich.cells import cell_len, split_graphemes
from rich.console import Console
from rich.segment import Segment
from rich.color import ColorSystem
from rich.style import Style
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.strip import Strip

Cell = tuple[str, Style | None]
"""One cell as written: its text (a wide character's second cell is `TAIL`) and its style."""

TAIL = ""
"""The text of the cell a wide character's right half occupies."""

PLAIN = ("", "", "")
"""The SGR state after a reset."""

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Control characters: a terminal acts on them (a tab moves on, ESC starts a sequence), they take no cell."""

MERGE_GAP = 6
"""Unchanged cells between two changed runs that are written again rather than moved over (a move is ~8 bytes)."""


def _move(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


class ScreenDiff:
    """The terminal's cells as last written (None: not known), and the writes that bring it to an update."""

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None
        self.rows: list[list[Cell | None]] = []

    def forget(self, size: tuple[int, int] | None = None) -> None:
        """Know nothing of the screen (the next update writes every cell it covers)."""
        self.size = size
        self.rows = [[None] * size[0] for _ in range(size[1])] if size else []

    def render(self, update: CompositorUpdate, console: Console, size: tuple[int, int]) -> str | None:
        """The writes that make the terminal show what `update` paints, or None when it cannot be followed
        (the caller then writes Textual's own rendering, and the lines it covers are forgotten)."""
        if size != self.size:
            self.forget(size)
        lines = list(_painted_lines(update))
        painted: list[tuple[int, int, list[Cell]]] = []
        for y, x, strips in lines:
            cells = _cells(strips)
            if cells is None or not 0 <= y < size[1]:
                for forgotten_y, _, _ in lines:
                    if 0 <= forgotten_y < size[1]:
                        self.rows[forgotten_y] = [None] * size[0]
                return None
            painted.append((y, x, cells))
        color_system = console._color_system or ColorSystem.TRUECOLOR  # as Textual's strips render
        lines_painted: dict[int, dict[int, Cell]] = {}
        for y, x, cells in painted:
            line = lines_painted.setdefault(y, {})
            for offset, cell in enumerate(cells[: max(0, size[0] - x)]):
                line[x + offset] = cell
        out: list[str] = []
        current = [None]  # the SGR parameters in force (None: not known)
        for y in sorted(lines_painted):
            row, line = self.rows[y], lines_painted[y]
            for start, end in _changed_runs(row, line):
                out.append(_move(start, y))
                _write_cells(out, row, line, start, end, current, color_system)
        if current[0] not in (None, PLAIN):
            out.append("\x1b[0m")
        return "".join(out)


def _painted_lines(update: CompositorUpdate) -> Iterator[tuple[int, int, list[Strip]]]:
    """(y, x, strips) of each stretch of a line the update writes, as Textual's own rendering writes it."""
    if isinstance(update, LayoutUpdate):
        for y, line in enumerate(update.strips, update.region.y):
            yield y, update.region.x, list(line)
        return
    if isinstance(update, ChopsUpdate):
        for y, x1, x2 in update.spans:
            for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items()):
                if strip is None or x > x2 or end <= x1:
                    continue
                if not (x2 > x >= x1 and end <= x2):
                    strip = strip.crop(0, min(end, x2) - x)
                yield y, x, [strip]
        return
    raise TypeError(type(update).__name__)


def _cells(strips: Iterable[Strip]) -> list[Cell] | None:
    """The cells the strips write, left to right; None if they hold what a cell cannot say."""
    cells: list[Cell] = []
    for strip in strips:
        for text, style, control in strip:
            if control:
                return None
            # A control character in the data (a tab, an escape sequence in an imported title) takes no cell in
            # Textual's layout; written out, it would move or restyle what follows, or reach the terminal as a
            # command (OSC 52 writes the clipboard). It is left out: the screen shows the text as laid out.
            text = CONTROL.sub("", text)
            # Graphemes as Rich measures them (and so as Textual lays them out): a variation selector 16 makes
            # a narrow emoji wide ("❤️" is two cells), a zero width joiner joins the next character.
            for start, end, width in split_graphemes(text)[0]:
                grapheme = text[start:end]
                if width == 1:
                    cells.append((grapheme, style))
                elif width == 2:
                    cells.append((grapheme, style))
                    cells.append((TAIL, style))
                elif width == 0 and cells and cells[-1][0] != TAIL:
                    cells[-1] = (cells[-1][0] + grapheme, cells[-1][1])  # a combining mark joins its letter
                else:
                    return None
    return cells


def _changed_runs(row: list[Cell | None], line: dict[int, Cell]) -> list[tuple[int, int]]:
    """[start, end) columns to write so that `row` shows `line` (column: cell) where it paints: the changed
    cells, a wide character's halves together, runs apart by a few cells whose content is known joined."""
    runs: list[list[int]] = []
    for column in sorted(line):
        cell = line[column]
        if row[column] == cell:
            continue
        start = column - 1 if cell[0] == TAIL and column - 1 in line else column  # a wide character from its left half
        if runs and start - runs[-1][1] <= MERGE_GAP and _rewritable(row, line, runs[-1][1], start):
            runs[-1][1] = column + 1
        else:
            runs.append([start, column + 1])
    for run in runs:
        tail = line.get(run[1])
        if tail is not None and tail[0] == TAIL:
            run[1] += 1  # the right half of a wide character goes with it
    return [(start, end) for start, end in runs]


def _rewritable(row: list[Cell | None], line: dict[int, Cell], start: int, end: int) -> bool:
    """Whether the unchanged columns [start, end) between two runs can be written again: every cell known, and
    a wide character kept from `row` whole within them (written beside a painted cell that takes one of its
    halves, it would put the cursor off by one, and the terminal would blank what it showed)."""
    for column in range(start, end):
        if column in line:
            continue
        cell = row[column]
        if cell is None:
            return False
        if cell[0] == TAIL and not (column - 1 >= start and column - 1 not in line):
            return False
        if _wide(cell) and not (column + 1 < end and column + 1 not in line):
            return False
    return True


def _sgr(style: Style | None, color_system: ColorSystem) -> tuple[str, str, str]:
    """The SGR parameters Textual's strips write for `style`, in three parts: attributes, foreground, background
    (empty: the terminal's default), so that a change of colour alone says only that colour."""
    if style is None:
        return PLAIN
    ansi = style._ansi
    return _parts(Strip.render_ansi(style, color_system) if ansi is None else ansi)  # cached by style: it may not set _ansi


@lru_cache(maxsize=4096)
def _parts(ansi: str) -> tuple[str, str, str]:
    """SGR parameters split into attributes, foreground and background."""
    codes = ansi.split(";") if ansi else []
    attributes, foreground, background = [], [], []
    index = 0
    while index < len(codes):
        code = codes[index]
        if code in ("38", "48"):
            length = 3 if codes[index + 1 : index + 2] == ["5"] else 5
            (foreground if code == "38" else background).extend(codes[index : index + length])
            index += length
            continue
        number = int(code)
        if 30 <= number <= 39 or 90 <= number <= 97:
            foreground.append(code)
        elif 40 <= number <= 49 or 100 <= number <= 107:
            background.append(code)
        else:
            attributes.append(code)
        index += 1
    return ";".join(attributes), ";".join(foreground), ";".join(background)


def _change(before: tuple[str, str, str] | None, after: tuple[str, str, str]) -> str:
    """The shortest SGR sequence from state `before` (None: not known) to `after`."""
    if before is None or before[0] != after[0]:
        return f"\x1b[{';'.join(['0', *(part for part in after if part)])}m"
    parts = [after[1] or "39"] if before[1] != after[1] else []
    if before[2] != after[2]:
        parts.append(after[2] or "49")
    return f"\x1b[{';'.join(parts)}m" if parts else ""


def _write_cells(out: list[str], row: list[Cell | None], line: dict[int, Cell], start: int, end: int,
                 current: list, color_system) -> None:
    """Write columns [start, end) (painted cells, or the known ones between), changing the SGR state only where the style changes."""
    for column in range(start, end):
        text, style = line[column] if column in line else row[column]
        row[column] = (text, style)
        if text == TAIL:
            continue
        if style is not None and style._link:
            if current[0] != PLAIN:
                out.append("\x1b[0m")
            out.append(Strip.render_style(style, text, color_system))  # from a reset state, and ends with a reset
            current[0] = PLAIN
            continue
        sgr = _sgr(style, color_system)
        if sgr != current[0]:
            out.append(_change(current[0], sgr))
            current[0] = sgr
        out.append(text)
    # A terminal blanks the other half of a wide character written over in part: what it shows there is not known.
    if start > 0 and row[start][0] != TAIL and _wide(row[start - 1]):
        row[start - 1] = None
    if end < len(row) and row[end] is not None and row[end][0] == TAIL and not _wide(row[end - 1]):
        row[end] = None


def _wide(cell: Cell | None) -> bool:
    """Whether `cell` holds the left half of a wide character."""
    return cell is not None and cell[0] != TAIL and cell_len(cell[0]) == 2


class DiffedUpdate(CompositorUpdate):
    """A compositor update written as the cells it changes (see the module docstring)."""

    def __init__(self, update: CompositorUpdate, diff: ScreenDiff, size: tuple[int, int]) -> None:
        self.update = update
        self.diff = diff
        self.size = size

    def render_segments(self, console: Console) -> str:
        written = self.diff.render(self.update, console, self.size)
        return self.update.render_segments(console) if written is None else written

    def __rich_console__(self, console, options) -> Iterator[Segment]:
        yield from self.update.__rich_console__(console, options)

