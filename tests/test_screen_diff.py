"""Only changed cells reach the terminal, and the terminal still shows what Textual painted.

Each check replays two byte streams into a real terminal emulator (pyte): Textual's own rendering of
every update, and the cells `ScreenDiff` writes for it. The screens must agree cell by cell (text,
colours, attributes) after every update, while the diffed stream is the smaller."""

from __future__ import annotations

from pathlib import Path

import pyte
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

import explorer.app
from explorer.app import ExplorerApp
from explorer.screen_diff import TAIL, DiffedUpdate, ScreenDiff, _cells
from conftest import settle
from terminal_model import WideTerminal


class Terminal:
    """A pyte screen fed with one stream of terminal output."""

    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self.bytes = 0

    def feed(self, text: str) -> None:
        self.bytes += len(text.encode())
        self.stream.feed(text)

    def cells(self) -> list[list[tuple]]:
        buffer, (width, height) = self.screen.buffer, (self.screen.columns, self.screen.lines)
        return [[(cell.data, cell.fg, cell.bg, cell.bold, cell.italics, cell.underscore, cell.reverse, cell.strikethrough)
                 for cell in (buffer[y][x] for x in range(width))] for y in range(height)]


def first_difference(whole: Terminal, diffed: Terminal) -> str | None:
    for y, (left, right) in enumerate(zip(whole.cells(), diffed.cells())):
        for x, (a, b) in enumerate(zip(left, right)):
            if a != b:
                shown = ["".join(cell[0] for cell in line) for line in (left, right)]
                return f"line {y}, column {x}: Textual's {a} against the diff's {b}\n{shown[0]}\n{shown[1]}"
    return None


def forget_rendered(update: CompositorUpdate) -> None:
    """Textual's strips keep the bytes they rendered to, and Rich's styles their SGR codes, across apps in
    one process (`Strip.blank` is cached for the process): a strip first rendered by an earlier test's app
    in 16 colours would write 16-colour codes here. The reference is the update's cells, rendered now."""
    lines = update.strips if isinstance(update, LayoutUpdate) else \
        [[strip for strip in chops.values() if strip is not None] for chops in update.chops] if isinstance(update, ChopsUpdate) else []
    for line in lines:
        for strip in line:
            strip._render_cache = None
            for segment in strip:
                if segment.style is not None:
                    segment.style._ansi = None


class TwoStreamApp(ExplorerApp):
    """The real app, each update written both ways into its own emulated terminal (headless: nothing else is written)."""

    CSS_PATH = [str(Path(explorer.app.__file__).parent / path) for path in ExplorerApp.CSS_PATH]

    def __init__(self, *args, size: tuple[int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.whole, self.diffed = Terminal(*size), Terminal(*size)
        self.differences: list[str] = []
        self.updates = 0

    def _display(self, screen, renderable) -> None:
        if isinstance(renderable, CompositorUpdate) and self._running:
            size = (self.size.width, self.size.height)
            forget_rendered(renderable)
            self.whole.feed(renderable.render_segments(self.console))
            self.diffed.feed(DiffedUpdate(renderable, self.screen_diff, size).render_segments(self.console))
            self.updates += 1
            found = first_difference(self.whole, self.diffed)
            if found and not self.differences:
                self.differences.append(f"after update {self.updates}: {found}")
        super()._display(screen, renderable)


KEYS = ["down", "down", "t", "space", "down", "space", "enter", "2", "down", "3", "c", "4", "5", "1", "slash",
        *"khan", "enter", "n", "G", "g", "ctrl+l", "question_mark", "escape", "x", "r"]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_diffed_stream_leaves_the_screen_textual_paints_at_every_update(catalog, size):
    app = TwoStreamApp(catalog, size=size)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in KEYS:
            await pilot.press(key)
            await settle(pilot)
            assert not app.differences, f"after {key}: {app.differences[0]}"
    assert app.updates > len(KEYS)
    assert app.diffed.bytes < app.whole.bytes * 0.6, (app.diffed.bytes, app.whole.bytes)


async def test_a_resize_writes_every_cell_again(catalog):
    app = TwoStreamApp(catalog, size=(100, 30))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.whole, app.diffed = Terminal(90, 28), Terminal(90, 28)  # a resized terminal keeps nothing we can count on
        await pilot.resize_terminal(90, 28)
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)
        assert not app.differences, app.differences[0]
        assert app.screen_diff.size == (90, 28)
        assert "Timeline" in app.diffed.screen.display[2]


async def test_ctrl_l_writes_the_whole_screen_again(catalog):
    app = TwoStreamApp(catalog, size=(80, 24))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.diffed = Terminal(80, 24)  # another program wrote over the screen: the diff cannot know
        before = app.diffed.bytes
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.diffed.bytes > before
        assert first_difference(app.whole, app.diffed) is None


# --- any update, any screen: a property of the diff itself --------------------------------------------

WIDTH, HEIGHT = 24, 6
COLOURS = [None, Color.parse("red"), Color.parse("#102030"), Color.parse("color(123)"), Color.parse("bright_blue")]
styles = st.builds(lambda fg, bg, bold, reverse, link: Style(color=fg, bgcolor=bg, bold=bold, reverse=reverse,
                                                             link="https://example.org/a" if link else None),
                   st.sampled_from(COLOURS), st.sampled_from(COLOURS), st.booleans(), st.booleans(),
                   st.booleans()) | st.none()
CHARACTERS = ["a", "b", " ", "x", "—", "é", "漢", "字"]
"""Narrow letters, a dash, an accented letter and wide characters. (A combining accent is left out here: pyte
wraps before joining one written in the last column, as terminals do not; `_cells` is checked for it below.)"""


def _strip(segments: list[tuple[str, Style | None]], width: int) -> Strip:
    return Strip([Segment(text, style) for text, style in segments]).crop(0, width).adjust_cell_length(width)


@st.composite
def updates(draw) -> CompositorUpdate:
    """A layout update of a region, or chops over a few lines, of random styled text (wide characters too)."""
    x, y = draw(st.integers(0, WIDTH - 1)), draw(st.integers(0, HEIGHT - 1))
    width, height = draw(st.integers(1, WIDTH - x)), draw(st.integers(1, HEIGHT - y))
    line = st.lists(st.tuples(st.lists(st.sampled_from(CHARACTERS), min_size=1, max_size=6).map("".join), styles), min_size=1, max_size=4)
    if draw(st.booleans()):
        return LayoutUpdate([[_strip(draw(line), width)] for _ in range(height)], Region(x, y, width, height))
    chops, chop_ends, spans = [{} for _ in range(HEIGHT)], [[] for _ in range(HEIGHT)], []
    for row in range(y, y + height):
        cut = draw(st.integers(1, WIDTH - 1))  # two chops, as where two widgets meet on a line
        chops[row] = {0: _strip(draw(line), cut), cut: _strip(draw(line), WIDTH - cut)}
        chop_ends[row] = [cut, WIDTH]
        spans.append((row, x, x + width))
    return ChopsUpdate(chops, spans, chop_ends)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(updates(), min_size=1, max_size=8), st.sampled_from(["truecolor", "256", "standard"]))
def test_any_sequence_of_updates_leaves_the_same_screen(sequence, color_system):
    console = Console(color_system=color_system, force_terminal=True, width=WIDTH, height=HEIGHT)
    whole, diffed, diff = Terminal(WIDTH, HEIGHT), Terminal(WIDTH, HEIGHT), ScreenDiff()
    for update in sequence:
        whole.feed(update.render_segments(console))
        diffed.feed(DiffedUpdate(update, diff, (WIDTH, HEIGHT)).render_segments(console))
        found = first_difference(whole, diffed)
        assert found is None, f"{found}\n{[DiffedUpdate(u, ScreenDiff(), (WIDTH, HEIGHT)).update.render_segments(console) for u in sequence]!r}"


def test_a_combining_accent_joins_its_letter_and_a_wide_character_takes_two_cells():
    style = Style(bold=True)
    assert _cells([Strip([Segment("e\u0301漢a", style)])]) == [("e\u0301", style), ("漢", style), (TAIL, style), ("a", style)]
    assert _cells([Strip([Segment("\u0301a", style)])]) is None  # nothing to join: Textual's own writing is used
    console = Console(color_system="truecolor", force_terminal=True, width=WIDTH, height=HEIGHT)
    diff = ScreenDiff()
    first = LayoutUpdate([[Strip([Segment("e\u0301 ab", style)])]], Region(0, 0, 4, 1))
    assert "e\u0301" in DiffedUpdate(first, diff, (WIDTH, HEIGHT)).render_segments(console)
    again = DiffedUpdate(first, diff, (WIDTH, HEIGHT)).render_segments(console)
    assert again == ""  # the same cells again: nothing to write


# --- widths as Textual lays them out, and wide characters broken in half (what pyte does not model) -----

def _replay(sequence: list[CompositorUpdate], color_system: str = "truecolor", size: tuple[int, int] = (WIDTH, HEIGHT)) -> str | None:
    """The first difference between the screens Textual's writes and the diff's leave in `WideTerminal`."""
    console = Console(color_system=color_system, force_terminal=True, width=size[0], height=size[1])
    whole, diffed, diff = WideTerminal(*size), WideTerminal(*size), ScreenDiff()
    for number, update in enumerate(sequence):
        whole.feed(update.render_segments(console))
        diffed.feed(DiffedUpdate(update, diff, size).render_segments(console))
        found = whole.first_difference(diffed)
        if found:
            return f"after update {number}: {found}"
    return None


def test_an_emoji_with_a_variation_selector_takes_the_two_cells_textual_gives_it():
    style = Style(bold=True)
    sun = Strip([Segment("☀️ab", style)])
    assert sun.cell_length == 4  # Rich 15 measures graphemes: the selector makes the sun wide
    assert _cells([sun]) == [("☀️", style), (TAIL, style), ("a", style), ("b", style)]
    before = LayoutUpdate([[Strip([Segment("☀️ab  |x", style)])]], Region(0, 0, 8, 1))
    after = LayoutUpdate([[Strip([Segment("☀️ab  |y", style)])]], Region(0, 0, 8, 1))
    assert _replay([before, after]) is None  # the y lands in column 7, not 6


def test_control_characters_in_the_data_never_reach_the_terminal():
    style = Style(bold=True)
    assert _cells([Strip([Segment("a\tb", style)])]) == [("a", style), ("b", style)]
    # An escape sequence in the data (an event titled "a\x1b[31mb", or an OSC 52 that would write the clipboard):
    # its control characters take no cell in Textual's layout and are left out, the rest shows as the text it is
    # ("a[31mb", laid out so), in its own style, and the next line keeps its own colour.
    for hostile in ("\x1b[31m", "\x1b]52;c;aGk=\x07", "\x1b[2J", "\r", "\x9b31m"):
        console = Console(color_system="truecolor", force_terminal=True, width=WIDTH, height=HEIGHT)
        printable = "".join(character for character in hostile if character.isprintable())
        raw = LayoutUpdate([[_strip([(f"a{hostile}b ", style)], WIDTH)], [_strip([("xy", style)], WIDTH)]], Region(0, 0, WIDTH, 2))
        clean = LayoutUpdate([[_strip([(f"a{printable}b ", style)], WIDTH)], [_strip([("xy", style)], WIDTH)]], Region(0, 0, WIDTH, 2))
        written = DiffedUpdate(raw, ScreenDiff(), (WIDTH, HEIGHT)).render_segments(console)
        assert "\x1b]" not in written and "\x1b[2J" not in written and "\x9b" not in written and "\r" not in written
        shown, expected = WideTerminal(WIDTH, HEIGHT), WideTerminal(WIDTH, HEIGHT)
        shown.feed(written)
        expected.feed(clean.render_segments(console))
        assert shown.first_difference(expected) is None, repr(hostile)


def test_a_wide_character_left_whole_is_not_written_again_beside_a_cell_painted_over_its_right_half():
    style = Style(color="red")
    first = LayoutUpdate([[_strip([("ab字cd", style)], WIDTH)]], Region(0, 0, WIDTH, 1))  # 字 in columns 2 and 3
    chops = [{} for _ in range(HEIGHT)]
    chop_ends = [[] for _ in range(HEIGHT)]
    # Columns 0-1 and 3- repainted (3 is 字's right half), column 2 not: 字 must not be written again between
    # the two changed runs, its right half would push every cell after it one column on.
    chops[0] = {0: _strip([("Xb", style)], 2), 2: None, 3: _strip([("Ycd", style)], WIDTH - 3)}
    chop_ends[0] = [2, 3, WIDTH]
    second = ChopsUpdate(chops, [(0, 0, WIDTH)], chop_ends)
    assert _replay([first, second]) is None


@st.composite
def cut_updates(draw) -> CompositorUpdate:
    """Chops at up to three cuts a line, some not repainted, cropped to a span: the diff then writes runs
    with unchanged cells between them, beside wide characters an earlier update left across a cut."""
    y, height = draw(st.integers(0, HEIGHT - 1)), draw(st.integers(1, 2))
    x1 = draw(st.integers(0, WIDTH - 1))
    x2 = draw(st.integers(x1 + 1, WIDTH))
    text = st.lists(st.sampled_from(["a", "b", " ", "漢", "字", "☀️", "❤️", "e\u0301"]), min_size=1, max_size=5).map("".join)
    line = st.lists(st.tuples(text, styles), min_size=1, max_size=3)
    chops, chop_ends, spans = [{} for _ in range(HEIGHT)], [[] for _ in range(HEIGHT)], []
    for row in range(y, min(HEIGHT, y + height)):
        cuts = sorted({0, WIDTH, *draw(st.lists(st.integers(1, WIDTH - 1), max_size=3))})
        chops[row] = {start: _strip(draw(line), end - start) if draw(st.integers(0, 5)) else None
                      for start, end in zip(cuts, cuts[1:])}
        chop_ends[row] = cuts[1:]
        spans.append((row, x1, x2))
    return ChopsUpdate(chops, spans, chop_ends)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(updates() | cut_updates(), min_size=1, max_size=10), st.sampled_from(["truecolor", "256", "standard"]))
def test_any_sequence_of_updates_leaves_the_same_screen_with_wide_characters_broken_as_xterm_breaks_them(sequence, color_system):
    found = _replay(sequence, color_system)
    assert found is None, found
