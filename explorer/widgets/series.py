"""How the chart tells its series apart: a colour and a glyph each, on every terminal and theme.

A colour counts as the terminal shows it: a 16-colour terminal (TERM=linux, screen) or a 256-colour
one shows the nearest colour of its palette, where two hues may fall on one. So each hue is judged as
shown: lightened or darkened until it stands at least 3:1 against the chart's background (WCAG
contrast), and kept only if it stays clear of the hues already kept. When the hues run out, and
always under NO_COLOR, the next series take a patterned glyph: no two series share colour and glyph.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import dist

from rich._palettes import EIGHT_BIT_PALETTE, STANDARD_PALETTE, WINDOWS_PALETTE
from rich.color import ColorSystem
from rich.style import Style
from textual.color import Color, rgb_to_lab

HUES = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#9a6324")
"""The hues series take in turn (Trubetskoy's distinct colours), before each is fitted to the background."""
BAR_GLYPHS = ("█", "▓", "▒", "░", "▚", "▞", "▙", "▟", "▛", "▜", "▌", "▐", "▘", "▗", "▖", "▝")
"""Bar fills: solid while the hues last, then patterns. Only solid bars draw their top in eighths."""
LINE_GLYPHS = ("━", "═", "─", "┅", "┉", "╍", "▬", "≡", "~", "-", "┄", "╌", "•", "·", "+", "*")
MAX_SERIES = len(BAR_GLYPHS)
"""Series beyond the last but one are drawn together, as "others"."""
MIN_CONTRAST = 3.0
"""WCAG's least contrast for graphics against their background."""
MIN_DISTANCE = 20.0
"""The least CIE76 difference between two hues drawn with the same glyph: clearly two colours in a thin bar."""
PALETTES = {ColorSystem.STANDARD: STANDARD_PALETTE, ColorSystem.EIGHT_BIT: EIGHT_BIT_PALETTE,
            ColorSystem.WINDOWS: WINDOWS_PALETTE}
"""The colours Rich turns a truecolour into on terminals with fewer (what those terminals are taken to show)."""
COLOR_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR,
                 "windows": ColorSystem.WINDOWS}
"""Rich's `Console.color_system` names."""
BLACK, WHITE = Color(0, 0, 0), Color(255, 255, 255)


@dataclass(frozen=True)
class Series:
    """How one series is drawn."""

    style: Style
    bar: str
    line: str

    @property
    def solid(self) -> bool:
        return self.bar == BAR_GLYPHS[0]


def relative_luminance(colour: Color) -> float:
    """WCAG 2 relative luminance."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)


def contrast(first: Color, second: Color) -> float:
    """WCAG 2 contrast ratio, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def shown(colour: Color, system: ColorSystem) -> Color:
    """The colour a terminal with `system` shows for `colour` (Rich picks the nearest of its palette)."""
    palette = PALETTES.get(system)
    if palette is None:
        return colour
    return Color(*palette[colour.rich_color.downgrade(system).number])


def difference(first: Color, second: Color) -> float:
    """CIE76 colour difference (ΔE): about 2 is just noticeable side by side."""
    one, other = rgb_to_lab(first), rgb_to_lab(second)
    return dist((one.L, one.a, one.b), (other.L, other.a, other.b))


def _readable(hue: Color, background: Color, system: ColorSystem) -> Color | None:
    """`hue`, lightened on a dark background or darkened on a light one until it stands MIN_CONTRAST against it
    as shown; None if even white or black would not."""
    shown_background = shown(background, system)
    lighter = contrast(WHITE, shown_background) > contrast(BLACK, shown_background)
    for step in range(41):
        colour = hue.lighten(step / 40) if lighter else hue.darken(step / 40)
        if contrast(shown(colour, system), shown_background) >= MIN_CONTRAST:
            return colour
    return None


def series_colours(background: Color, system: ColorSystem) -> list[Color]:
    """The hues that stand out from `background` and from each other as a terminal with `system` shows them."""
    kept: list[Color] = []
    for hue in HUES:
        colour = _readable(Color.parse(hue), background, system)
        if colour is not None and all(difference(shown(colour, system), shown(other, system)) >= MIN_DISTANCE for other in kept):
            kept.append(colour)
    return kept


def series_styles(count: int, background: Color, system: ColorSystem | None) -> list[Series]:
    """How to draw `count` series (at most MAX_SERIES) on `background`; `system` None: no colour at all."""
    colours: list[Color | None] = [*series_colours(background, system)] if system is not None else []
    colours = colours or [None]
    styles = []
    for index in range(min(count, MAX_SERIES)):
        colour, layer = colours[index % len(colours)], index // len(colours)
        styles.append(Series(Style(color=colour.rich_color if colour else None), BAR_GLYPHS[layer], LINE_GLYPHS[layer]))
    return styles
