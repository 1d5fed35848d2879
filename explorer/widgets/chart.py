"""Killed per month, by nationality, one basis at a time, with the events on the same time axis.

Bases are never stacked onto each other, nor are datasets: `b` cycles which basis (and, where
a basis has several datasets, which dataset) is drawn. Individuals and
incidents are monthly bars (nationalities stacked, each occurrence once); tallies are
spans over their months at their monthly rate; cumulative totals are a step line. `L` switches
to a log scale, on which a month far below the highest one still shows.

The chart opens on the first basis with figures (imported data may have no tallies) until the user
picks one with `b`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from math import expm1, log1p

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.geometry import Region
from textual.widget import Widget

from explorer.format import counted_noun
from explorer.widgets.edges import CUT_LEFT, CUT_RIGHT
from explorer.widgets.series import (
    BLACK,
    COLOR_SYSTEMS,
    MAX_SERIES,
    WHITE,
    Series,
    series_styles,
)

BASES = ("tally", "incident", "individual", "cumulative")
BASIS_TITLES = {
    "tally": "Tallies: killed/month over each period",
    "incident": "Incidents: killed/month",
    "individual": "Named individuals: killed/month",
    "cumulative": "Cumulative totals, as of each month",
}
BAR_BASES = ("tally", "incident", "individual")
BASIS_NAMES = {"tally": "tallies", "incident": "incidents", "individual": "individuals", "cumulative": "cumulative totals"}
EIGHTHS = " ▁▂▃▄▅▆▇█"
AXIS_WIDTH = 7
KEY_HINTS = (
    ((("left", "←/→"), ("left_square_bracket", "[ ]")), "month"),
    ((("enter", "enter:"),), "narrow to it"),
    ((("L", "L:"),), "{other_scale} scale"),
)
"""The keys the status line names, as bound; each is named only where it works (see `MonthlyChart.key_hints`)."""


def month_range(first: date, last: date) -> list[date]:
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def _amount(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def month_label(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


@dataclass
class ChartData:
    """Everything the chart draws, already aggregated (a few rows per month)."""

    months: list[date] = field(default_factory=list)
    bars: dict[tuple[str, str], dict[date, dict[str, float]]] = field(default_factory=dict)
    """(basis, dataset) → month → nationality → killed (individual and incident)."""
    spans: list[tuple[date, date, str, float, int, str]] = field(default_factory=list)
    """tallies: (first month, last month, nationality, killed per month, killed, dataset)."""
    steps: dict[str, dict[str, dict[date, float]]] = field(default_factory=dict)
    """cumulative: dataset → nationality → month → latest total as of that month."""
    events: dict[date, int] = field(default_factory=dict)
    long_periods: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """(basis, dataset) → (killed, occurrences) of individuals and incidents dated over more than a month: not drawn."""
    nationalities: list[str] = field(default_factory=list)
    _rates_by_month: dict[tuple[str, date], dict[str, float]] | None = field(default=None, repr=False, compare=False)

    def datasets(self, basis: str) -> list[str]:
        """The datasets with figures of `basis`, each drawn on its own."""
        if basis in ("individual", "incident"):
            found = {dataset for bar_basis, dataset in [*self.bars, *self.long_periods] if bar_basis == basis}
        elif basis == "tally":
            found = {span[5] for span in self.spans}
        else:
            found = set(self.steps)
        return sorted(found)

    def value_at(self, basis: str, month: date, dataset: str | None = None) -> dict[str, float]:
        """What the chart shows for one month, by nationality, for one dataset (default: the first)."""
        dataset = dataset or next(iter(self.datasets(basis)), None)
        if basis in ("individual", "incident"):
            return self.bars.get((basis, dataset), {}).get(month, {})
        if basis == "tally":
            return self._tally_rates().get((dataset, month), {})
        return {n: steps[month] for n, steps in self.steps.get(dataset, {}).items() if month in steps}

    def _tally_rates(self) -> dict[tuple[str, date], dict[str, float]]:
        """(dataset, month) → nationality → the highest rate of the tallies covering it, worked out once."""
        if self._rates_by_month is None:
            self._rates_by_month = {}
            for first, last, nationality, rate, _, dataset in self.spans:
                for month in month_range(first, last):
                    rates = self._rates_by_month.setdefault((dataset, month), {})
                    rates[nationality] = max(rates.get(nationality, 0.0), rate)
        return self._rates_by_month

    def peak(self, basis: str, dataset: str | None = None) -> float:
        """The top of the scale: the highest stacked bar, or the highest cumulative total."""
        if basis in BAR_BASES:
            return max((sum(self.value_at(basis, month, dataset).values()) for month in self.months), default=0.0)
        dataset = dataset or next(iter(self.datasets(basis)), None)
        return max((value for steps in self.steps.get(dataset, {}).values() for value in steps.values()), default=0.0)


class MonthlyChart(Widget, can_focus=True):
    """The chart; left / right move across months, enter narrows the filter to the month."""

    BINDINGS = [
        Binding("left,h", "move(-1)", "Month ←", key_display="← h", show=False, tooltip="previous month"),
        Binding("right,l", "move(1)", "Month →", key_display="→ l", show=False, tooltip="next month"),
        Binding("home", "move_to(0)", "First month", show=False, tooltip="first month"),
        Binding("end", "move_to(-1)", "Last month", show=False, tooltip="last month"),
        Binding("enter", "choose_month", "Narrow to month", tooltip="narrow the date filter to the highlighted month"),
        Binding("L", "toggle_log_scale", "Log scale", show=False,
                tooltip="log scale, or back to linear: months far below the highest one stay visible"),
    ]

    basis: reactive[str] = reactive("tally")
    dataset: reactive[str | None] = reactive(None)
    """The dataset drawn, where the basis has several; None: its only (or first) one."""
    cursor: reactive[int] = reactive(0)
    log_scale: reactive[bool] = reactive(False)

    class MonthChosen(Message):
        def __init__(self, month: date) -> None:
            super().__init__()
            self.month = month

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data = ChartData()
        self.basis_chosen = False
        """The user has picked the basis (`b`): it stays. Until then the chart shows the first basis with figures."""
        self.key_hints = ""
        """The keys the status line names: those that work where the focus is (see `_find_key_hints`)."""
        self._data_version = 0
        self._series: list[Series] = []
        self._strips: list[Strip] = []
        self._strips_key: tuple | None = None
        self._status_strip: tuple[str, Strip] | None = None
        """The status line as last drawn, and the key hints it was drawn with."""

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", self._focus_moved)

    def _focus_moved(self) -> None:
        """The status line names the keys that work from where the focus is: repainted when they change, alone."""
        hints = self._find_key_hints()
        if hints != self.key_hints:
            self.key_hints = hints
            if self._strips and self.data.months:
                self.refresh(Region(0, len(self._strips), self.size.width, 1))
            else:
                self.refresh()

    def set_data(self, data: ChartData) -> None:
        current = self.current_month
        self.data = data
        self._data_version += 1
        if not self.basis_chosen:
            self.basis = self._first_basis_with_figures()
        if current in data.months:
            self.cursor = data.months.index(current)
        else:
            self.cursor = max(0, min(self.cursor, len(data.months) - 1))
        self.refresh()

    def _first_basis_with_figures(self) -> str:
        for basis in BASES:
            if any(self.data.peak(basis, dataset) for dataset in self.data.datasets(basis)):
                return basis
        return self.basis

    @property
    def current_month(self) -> date | None:
        return self.data.months[self.cursor] if self.data.months and 0 <= self.cursor < len(self.data.months) else None

    def cycle_basis(self) -> None:
        """The basis's next dataset, else the next basis."""
        self.basis_chosen = True
        datasets = self.data.datasets(self.basis)
        position = datasets.index(self.shown_dataset) if self.shown_dataset in datasets else len(datasets)
        if position + 1 < len(datasets):
            self.dataset = datasets[position + 1]
        else:
            self.basis = BASES[(BASES.index(self.basis) + 1) % len(BASES)]
            self.dataset = next(iter(self.data.datasets(self.basis)), None)

    @property
    def shown_dataset(self) -> str | None:
        datasets = self.data.datasets(self.basis)
        return self.dataset if self.dataset in datasets else next(iter(datasets), None)

    def _values(self, month: date | None) -> dict[str, float]:
        return self.data.value_at(self.basis, month, self.shown_dataset) if month else {}

    def action_move(self, step: int) -> None:
        if self.data.months:
            self.cursor = max(0, min(len(self.data.months) - 1, self.cursor + step))

    def action_move_to(self, index: int) -> None:
        if self.data.months:
            self.cursor = index % len(self.data.months)

    def action_choose_month(self) -> None:
        if self.current_month:
            self.post_message(self.MonthChosen(self.current_month))

    def action_toggle_log_scale(self) -> None:
        self.log_scale = not self.log_scale

    def watch_log_scale(self) -> None:
        self.key_hints = self._find_key_hints()

    def _find_key_hints(self) -> str:
        """"←/→ [ ] month · enter: narrow to it · L: log scale" as far as it is true: a key is named only if it
        reaches the chart from where the focus is (bound on the chart while it has focus, or on the pane or app)."""
        active = self.screen.active_bindings
        reaches = {key for key, binding in active.items()
                   if binding.enabled and (binding.node is self or binding.node in self.ancestors)}
        hints = []
        for keys, meaning in KEY_HINTS:
            named = " ".join(shown for key, shown in keys if key in reaches)
            if named:
                hints.append(f"{named} {meaning.format(other_scale='linear' if self.log_scale else 'log')}")
        return " · ".join(hints)

    # --- drawing -------------------------------------------------------------

    def _series_of(self, nationality: str) -> Series:
        """A nationality's colour and glyph; those past the last but one style share it, as "others"."""
        index = self.data.nationalities.index(nationality) if nationality in self.data.nationalities else MAX_SERIES - 1
        return self._series[min(index, len(self._series) - 1)]

    def _background(self) -> Color:
        """The chart's background; with an ANSI theme, the terminal's own: taken as black or white by the theme."""
        background = self.background_colors[1]
        if background.ansi is not None:
            return BLACK if self.app.current_theme.dark else WHITE
        return background

    def _scaled(self, value: float, peak: float) -> float:
        """Where `value` stands between 0 and `peak`, on the scale in use: 0 to 1."""
        if self.log_scale:
            return log1p(max(value, 0.0)) / log1p(peak)
        return value / peak

    def _window(self, columns: int) -> tuple[int, int, int]:
        """(first month shown, months shown, columns per month) keeping the cursor in view."""
        count = len(self.data.months)
        width = max(1, min(3, columns // max(count, 1)))
        shown = max(1, columns // width)
        first = 0 if count <= shown else min(max(0, self.cursor - shown // 2), count - shown)
        return first, min(shown, count), width

    def render_line(self, y: int) -> Strip:
        """One line of the chart, drawn once per state (data, size, basis, dataset, month, scale, theme) and
        kept: a screen update redraws lines many times, and a chart has hundreds of styled runs. The status
        line, under them, is drawn apart: the keys it names change with the focus, the plot does not."""
        key = (self._data_version, self.size, self.basis, self.dataset, self.cursor, self.log_scale, self.app.no_color,
               self.app.theme, self.rich_style)
        if key != self._strips_key:
            system = None if self.app.no_color else COLOR_SYSTEMS.get(self.app.console.color_system)
            self._series = series_styles(len(self.data.nationalities), self._background(), system)
            self._strips = [self._strip(line) for line in self._lines()]
            self._strips_key, self._status_strip = key, None
        if self.data.months and y == len(self._strips):
            if self._status_strip is None or self._status_strip[0] != self.key_hints:
                self._status_strip = (self.key_hints, self._strip(self._status(self.size.width)))
            return self._status_strip[1]
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width, self.rich_style)

    def _strip(self, line: Text) -> Strip:
        """`line` as the widget wide, runs of one style joined: each run costs an escape sequence."""
        base = self.rich_style
        return Strip(line.render(self.app.console)).apply_style(base).extend_cell_length(self.size.width, base).simplify()

    def _lines(self) -> list[Text]:
        width, height = self.size.width, self.size.height
        plot_rows = max(2, height - 4)
        lines = [self._legend(width)]
        if not self.data.months:
            loaded = self._data_version > 0
            lines.append(Text("  Nothing to chart under this filter." if loaded else "  Loading…", style="" if loaded else "dim"))
            return lines
        first, shown, per = self._window(width - AXIS_WIDTH)
        months = self.data.months[first : first + shown]
        peak = self.data.peak(self.basis, self.shown_dataset) or 1.0
        grid: list[list[tuple[str, Style | None]]] = [[(" ", None)] * (shown * per) for _ in range(plot_rows)]
        for column, month in enumerate(months):
            self._draw_month(grid, column, per, month, peak, plot_rows)
        cursor_column = (self.cursor - first) * per
        for row in grid:
            for offset in range(per):
                if row[cursor_column + offset][0] == " ":
                    row[cursor_column + offset] = ("┊", Style(dim=True))
        for row in range(plot_rows):
            line = Text.assemble((f"{self._axis_label(row, plot_rows, peak):>{AXIS_WIDTH - 1}}│", "dim"))  # a dim bar would fade
            for style, cells in groupby(grid[row], key=lambda cell: cell[1]):  # a span per run, not per cell
                line.append("".join(glyph for glyph, _ in cells), style=style)
            lines.append(line)
        lines += self._axis(months, first, per)
        for line in lines:
            line.truncate(width, overflow="crop")
        return lines

    def _axis_label(self, row: int, rows: int, peak: float) -> str:
        """The peak at the top, 0 at the bottom; on a log scale also the middle row's value (where a bar that
        fills it ends, or where a line drawn on it stands)."""
        if row == 0:
            return f"{peak:,.0f}"
        if row == rows - 1:
            return "0"
        if self.log_scale and row == rows // 2:
            share = (rows - row) / rows if self.basis in BAR_BASES else (rows - 1 - row) / (rows - 1)
            return f"{expm1(log1p(peak) * share):,.0f}"
        return ""

    def _legend(self, width: int) -> Text:
        title = BASIS_TITLES[self.basis]
        if len(self.data.datasets(self.basis)) > 1:
            title = title.replace(":", f" · {self.shown_dataset}:", 1)
        if self.log_scale:
            title += ", log scale"
        legend = Text(title + " ", style="bold")
        legend.append("b: basis ", style="dim")
        left_out = self.data.long_periods.get((self.basis, self.shown_dataset)) if self.basis in BAR_BASES else None
        if left_out:
            legend.append(f"+{left_out[0]:,} over periods > 1 month, not drawn ", style="bold yellow")
        nationalities = self.data.nationalities
        named = nationalities if len(nationalities) <= MAX_SERIES else nationalities[: MAX_SERIES - 1]
        entries = [(self._series_of(nationality), nationality) for nationality in named]
        if len(named) < len(nationalities):
            entries.append((self._series[-1], f"{len(nationalities) - len(named)} others"))
        for shown, (series, label) in enumerate(entries):
            entry = f"{series.bar if self.basis in BAR_BASES else series.line}{label} "
            if len(legend) + len(entry) + 3 > width:
                legend.append(f"+{len(nationalities) - shown}", style="dim")
                break
            legend.append(entry, style=series.style)
        return legend

    def _draw_month(self, grid, column: int, per: int, month: date, peak: float, rows: int) -> None:
        values = self._values(month)
        if self.basis in BAR_BASES:
            total = sum(values.get(nationality, 0.0) for nationality in self.data.nationalities)
            height = self._scaled(total, peak) * rows if total > 0 else 0.0
            stacked, level = 0.0, 0.0
            cells: dict[int, tuple[float, Series]] = {}  # row → the series covering most of its cell, and how much
            for nationality in self.data.nationalities:
                value = values.get(nationality, 0.0)
                if not value:
                    continue
                series = self._series_of(nationality)
                stacked += value
                bottom, level = level, height * stacked / total  # each nationality its share of the month's bar
                for row_from_bottom in range(int(bottom), min(rows, int(-(-level // 1)))):
                    covered = min(level, row_from_bottom + 1) - max(bottom, row_from_bottom)
                    if covered > cells.get(row_from_bottom, (0.0, series))[0]:
                        cells[row_from_bottom] = (covered, series)
            for row_from_bottom, (_, series) in cells.items():
                fill = min(1.0, level - row_from_bottom)
                glyph = series.bar if not series.solid or fill >= 1 else EIGHTHS[max(1, round(fill * 8))]
                for offset in range(per):
                    grid[rows - 1 - row_from_bottom][column * per + offset] = (glyph, series.style)
        else:
            for nationality, value in values.items():
                series = self._series_of(nationality)
                row_from_bottom = min(rows - 1, int(self._scaled(value, peak) * (rows - 1) + 0.5))
                for offset in range(per):
                    grid[rows - 1 - row_from_bottom][column * per + offset] = (series.line, series.style)

    def _axis(self, months: list[date], first: int, per: int) -> list[Text]:
        """The events row (how many events each month) and the years row."""
        cursor_style = Style(reverse=True, bold=True)
        events = Text(f"{'events':>{AXIS_WIDTH - 1}}│", style="dim")
        for offset, month in enumerate(months):
            count = self.data.events.get(month, 0)
            figure = str(count)  # written once, left-aligned in the month's columns: "66" would read as 66 events
            mark = (figure if len(figure) <= per else "+") if count else "·" if first + offset == self.cursor else " "
            style = cursor_style if first + offset == self.cursor else Style(bold=True)
            events.append(f"{mark:<{per}}", style=style)
        later = first + len(months) < len(self.data.months)
        plot = len(months) * per
        room = plot - 1 if later else max(plot, self.size.width - AXIS_WIDTH)  # the last cell says the chart goes on
        years = [" "] * (room + (1 if later else 0))
        starts = [offset for offset, month in enumerate(months) if month.month == 1]
        if months and months[0].month != 1:
            starts.append(0)  # the year of the first month shown, where it fits before the next January's
        for offset in starts:
            label, position = str(months[offset].year), offset * per
            if position + len(label) <= room and all(ch == " " for ch in years[max(0, position - 1) : position + len(label) + 1]):
                years[position : position + len(label)] = list(label)
        if later:
            years[-1] = CUT_RIGHT
        before = CUT_LEFT if first > 0 else " "
        return [events, Text(" " * (AXIS_WIDTH - 1) + before + "".join(years), style="dim")]

    def _status(self, width: int) -> Text:
        """The month, its figures and events, cut short where needed so that the key hints always show."""
        month = self.current_month
        values = self._values(month)
        status = Text.assemble((f" {month_label(month)} ", Style(reverse=True, bold=True)))  # the month alone reversed
        unit = "/month" if self.basis == "tally" else ""
        parts = [f"{nationality} {_amount(value)}{unit}" for nationality, value in sorted(values.items(), key=lambda item: -item[1])]
        status.append(" " + (", ".join(parts) if parts else f"no {BASIS_NAMES[self.basis]}"))
        status.append(f" · {counted_noun(self.data.events.get(month, 0), 'event')}", style="dim")
        hints = Text(f" · {self.key_hints}", style="dim") if self.key_hints else Text()
        status.truncate(max(len(month_label(month)) + 2, width - hints.cell_len), overflow="ellipsis")
        status.append_text(hints)
        status.truncate(width, overflow="ellipsis")
        return status
