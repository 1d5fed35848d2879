"""A record's detail: lines of Rich markup, and source URLs as terminal hyperlinks on lines of their own.

A URL is never wrapped: wrapping breaks it mid-word, and a URL copied with the mouse then breaks too. Its line
is cut with an ellipsis where the panel is narrower; the hyperlink (OSC 8, where the terminal supports it)
still holds the whole URL, and `o` / `O` open or copy it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from explorer.widgets.fixed_size import VirtualSizeFromLayout


@dataclass(frozen=True)
class Link:
    """A URL on a line of its own, after `indent`."""

    url: str
    indent: str = ""


class DetailText:
    """What a detail panel shows; `str()` gives its plain text."""

    def __init__(self, lines: Iterable[str | Link]) -> None:
        self.lines = list(lines)

    def texts(self) -> list[Text]:
        texts = []
        for line in self.lines:
            if isinstance(line, Link):
                texts.append(Text.assemble(line.indent, (line.url, Style(link=line.url)), no_wrap=True, overflow="ellipsis"))
            else:
                texts.append(Text.from_markup(line))
        return texts

    @property
    def urls(self) -> list[str]:
        return [line.url for line in self.lines if isinstance(line, Link)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.texts()

    def __str__(self) -> str:
        return "\n".join(text.plain for text in self.texts())

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DetailText) and self.lines == other.lines

    __hash__ = None


def url_lines(label: str, url: str | None, indent: str = "") -> list[str | Link]:
    """`label:` (with the keys that follow it) then the URL on its own line, or `label: —` when there is none."""
    if not url:
        return [f"{indent}{label}: —"]
    return [f"{indent}{label}: [dim]o opens · O copies · C cites[/dim]", Link(url, indent)]


class Detail(VirtualSizeFromLayout, Static):
    """The selected record's detail, beside a pane's table (`Pane.show_detail` shows it)."""


class DetailScroll(VirtualSizeFromLayout, VerticalScroll):
    """The side panel around a `Detail`, scrolling one taller than itself."""
