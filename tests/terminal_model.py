"""A terminal model for what pyte does not model: a wide character broken by a write over one of its halves
(xterm blanks the other half), and widths as Rich measures them, so as Textual lays cells out (a variation
selector 16 makes a narrow emoji two cells wide, as kitty, WezTerm, iTerm2 and Windows Terminal show it).
It follows what Textual's updates and `ScreenDiff` write: cursor moves, SGR, text; line wrap is off."""

from __future__ import annotations

import re

from rich.cells import split_graphemes

TAIL = "<right half>"
BROKEN = "<blanked>"
TOKEN = re.compile(r"\x1b\[([0-9;:?<>=$]*)([A-Za-z@])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|([\x00-\x1f\x7f])"
                   r"|([^\x00-\x1f\x7f\x1b]+)", re.S)
RESETS = {22: {1, 2}, 23: {3}, 24: {4, 21}, 25: {5, 6}, 27: {7}, 28: {8}, 29: {9}, 54: {51, 52}, 55: {53}}


class WideTerminal:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[(" ", None)] * width for _ in range(height)]
        self.x = self.y = 0
        self.attributes: frozenset[int] = frozenset()
        self.foreground = self.background = None
        self.unexpected: list[str] = []

    def feed(self, text: str) -> None:
        for match in TOKEN.finditer(text):
            parameters, final, control, printable = match.groups()
            if final == "H":
                y, x = ([*parameters.split(";"), "", ""])[:2]
                self.y, self.x = min(int(y or 1), self.height) - 1, min(int(x or 1), self.width) - 1
            elif final == "m":
                self._sgr(parameters.split(";") if parameters else ["0"])
            elif final:
                self.unexpected.append(parameters + final)
            elif control == "\n":
                self.y = min(self.y + 1, self.height - 1)
            elif control:
                self.unexpected.append(repr(control))
            elif printable:
                self._print(printable)

    def _sgr(self, codes: list[str]) -> None:
        attributes, index = set(self.attributes), 0
        while index < len(codes):
            code = int(codes[index] or 0)
            if code in (38, 48):
                length = 3 if codes[index + 1] == "5" else 5
                colour = tuple(codes[index + 1: index + length])
                if code == 38:
                    self.foreground = colour
                else:
                    self.background = colour
                index += length
                continue
            if code == 0:
                attributes, self.foreground, self.background = set(), None, None
            elif 1 <= code <= 9 or code in (21, 51, 52, 53):
                attributes.add(code)
            elif code in RESETS:
                attributes -= RESETS[code]
            elif 30 <= code <= 37 or 90 <= code <= 97 or code == 39:
                self.foreground = None if code == 39 else code
            elif 40 <= code <= 47 or 100 <= code <= 107 or code == 49:
                self.background = None if code == 49 else code
            else:
                self.unexpected.append(f"SGR {code}")
            index += 1
        self.attributes = frozenset(attributes)

    def _print(self, text: str) -> None:
        row = self.rows[self.y]
        style = (self.attributes, self.foreground, self.background)
        for start, end, width in split_graphemes(text)[0]:
            grapheme = text[start:end]
            if width == 0:  # joins the character before the cursor
                x = self.x - 1 - (self.x > 1 and row[self.x - 1][0] == TAIL)
                if x >= 0:
                    row[x] = (row[x][0] + grapheme, row[x][1])
                continue
            x = self.x
            if x + width > self.width:
                self.unexpected.append(f"{grapheme!r} past the last column")
                x = self.width - width
            if x > 0 and row[x][0] == TAIL:  # over the right half of a wide character: its left half is blanked
                row[x - 1] = (" ", BROKEN)
            last = x + width - 1
            if last + 1 < self.width and row[last + 1][0] == TAIL and row[last][0] != TAIL:
                row[last + 1] = (" ", BROKEN)  # over the left half: its right half is blanked
            row[x] = (grapheme, style)
            if width == 2:
                row[x + 1] = (TAIL, style)
            self.x = min(x + width, self.width - 1)

    def display(self) -> list[str]:
        return ["".join("" if text == TAIL else text for text, _ in row) for row in self.rows]

    def first_difference(self, other: WideTerminal) -> str | None:
        for y, (left, right) in enumerate(zip(self.rows, other.rows)):
            for x, (a, b) in enumerate(zip(left, right)):
                if a != b:
                    return f"line {y}, column {x}: {a} against {b}\n{self.display()[y]!r}\n{other.display()[y]!r}"
        return None
