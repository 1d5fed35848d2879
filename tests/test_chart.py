"""The timeline's chart as an analyst meets it: the basis it opens on, the log scale, and a hint line
that names only keys that work where the focus is."""

from __future__ import annotations

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import settle, shown_text

from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog
from explorer.widgets.chart import AXIS_WIDTH, EIGHTHS, MonthlyChart
from explorer.widgets.series import BAR_GLYPHS


@pytest.fixture
def app(catalog):
    return ExplorerApp(catalog)


def status_line(chart: MonthlyChart) -> str:
    return shown_text(chart).splitlines()[-1]


def plot_rows(chart: MonthlyChart) -> range:
    return range(1, chart.size.height - 3)


def cursor_column(chart: MonthlyChart) -> int:
    """Where the highlighted month is drawn: its mark in the events row is shown reversed."""
    column = 0
    for segment in chart.render_line(chart.size.height - 3):
        if segment.style and segment.style.reverse:
            return column
        column += segment.cell_length
    raise AssertionError("no month highlighted")


def bar_height(chart: MonthlyChart, column: int) -> float:
    """How many rows the bar at `column` fills, eighths counted."""
    height = 0.0
    for y in plot_rows(chart):
        glyph = chart.render_line(y).text[column]
        height += 1 if glyph in BAR_GLYPHS else EIGHTHS.index(glyph) / 8 if glyph in EIGHTHS else 0
    return height


async def test_one_huge_month_no_longer_flattens_the_rest_on_the_log_scale(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        chart.focus()
        totals = {month: sum(chart.data.value_at("tally", month).values()) for month in chart.data.months}
        smallest = min((month for month, total in totals.items() if total), key=totals.get)
        assert max(totals.values()) > 8 * totals[smallest]
        await pilot.press("home", *["right"] * chart.data.months.index(smallest))
        assert chart.current_month == smallest
        column = cursor_column(chart)
        rows = len(plot_rows(chart))
        assert 0 < bar_height(chart, column) <= rows / 6, "on the linear scale the small month is a sliver"
        assert "L: log scale" in status_line(chart)

        await pilot.press("L")
        assert bar_height(chart, column) >= rows / 2
        legend = shown_text(chart).splitlines()[0]
        assert legend.startswith("Tallies: killed/month over each period, log scale")
        assert "L: linear scale" in status_line(chart)

        await pilot.press("L")
        assert 0 < bar_height(chart, column) <= rows / 6
        assert "log scale" not in shown_text(chart).splitlines()[0]


async def test_the_hint_line_names_only_keys_that_work(app):
    """With the table focused ←/→ scroll the table, and enter opens the event: the chart's hint must not offer them.
    Whatever it does offer is tried here."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        assert app.focused.id == "events"
        hint = status_line(chart)
        assert "←/→" not in hint and "enter" not in hint
        assert "[ ] month" in hint, "the pane's month keys work from anywhere in the timeline"
        before = chart.cursor
        await pilot.press("right_square_bracket")
        assert chart.cursor == before + 1
        await pilot.press("left_square_bracket")
        assert chart.cursor == before
        if "L: log scale" in hint:
            await pilot.press("L")
            assert chart.log_scale
            await pilot.press("L")

        chart.focus()
        await pilot.pause()
        await pilot.press("end")
        hint = status_line(chart)
        assert hint.endswith("month · enter: narrow to it · L: log scale"), "the hints show in full even at 80 columns"
        assert "←/→" in hint
        assert "…" in hint, "the month's figures are cut short instead"
        await pilot.press("home", "right")
        assert chart.cursor == 1
        month = chart.current_month
        await pilot.press("enter")
        await settle(pilot)
        assert app.filters.date_from == month


async def test_imported_data_without_tallies_opens_on_the_first_basis_with_figures(data_copy):
    """The default basis (tallies) was empty until `b`. The user's own choice then stays, whatever the filter."""
    casualties = pq.read_table(data_copy / "casualties.parquet")
    pq.write_table(casualties.filter(pc.not_equal(casualties["kind"], "tally")), data_copy / "casualties.parquet")
    with open_catalog(data_copy) as catalog:
        app = ExplorerApp(catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            chart = app.query_one(MonthlyChart)
            assert chart.basis == "incident"
            assert shown_text(chart).startswith("Incidents: killed/month")
            assert "no tallies" not in shown_text(chart)

            await pilot.press("b")
            assert chart.basis == "individual"
            await pilot.press("i")  # a new filter: the chart's data is replaced
            await settle(pilot)
            assert chart.basis == "individual"
            await pilot.press("b")
            assert chart.basis == "cumulative"
            await pilot.press("b")
            assert chart.basis == "tally", "the empty basis can still be chosen"
            await pilot.press("i")
            await settle(pilot)
            assert chart.basis == "tally"


async def test_built_in_data_opens_on_tallies(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.query_one(MonthlyChart).basis == "tally"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_events_row_writes_each_month_s_count_once(app, size):
    """A month wider than one column shows its count once, not once per column ("66" read as 66 events)."""
    from datetime import date

    from explorer.db.filters import Filters

    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.filters = Filters(date_from=date(2015, 9, 1), date_to=date(2016, 8, 31))
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        first, shown, per = chart._window(chart.size.width - AXIS_WIDTH)
        assert per >= 2, "the months should be wider than one column here"
        row = chart.render_line(chart.size.height - 3).text
        marks = row[AXIS_WIDTH:]
        months = chart.data.months[first:first + shown]
        counted = [chart.data.events.get(month, 0) for month in months]
        assert sum(counted) > 0
        for index, count in enumerate(counted):
            mark = marks[index * per:(index + 1) * per].strip()
            assert mark == (str(count) if len(str(count)) <= per else "+") if count else mark in ("", "·"), (months[index], count, row)


@pytest.mark.parametrize("width", [80, 84, 90, 100, 120, 160])
async def test_the_years_row_says_where_the_chart_goes_on_and_never_cuts_a_year(app, width):
    """At 80 columns the chart ended at 2016 with no mark though the data runs to 2018, and after a jump a
    cut year ("2" of 2018) was left at the right edge. Each side with months out of view has its mark; every
    year shown is whole and stands at its January (or at the first month shown)."""
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(pilot)
        chart = app.query_one(MonthlyChart)
        chart.focus()
        for keys in ([], ["home"], ["end"], ["home", *["right"] * 30]):
            await pilot.press(*keys)
            first, shown, per = chart._window(chart.size.width - AXIS_WIDTH)
            years = chart.render_line(chart.size.height - 2).text
            later = first + shown < len(chart.data.months)
            plot = years[AXIS_WIDTH:AXIS_WIDTH + shown * per] if later else years[AXIS_WIDTH:].rstrip()  # a label may end past the last month
            assert years[AXIS_WIDTH - 1] == ("‹" if first > 0 else " "), (keys, years)
            assert plot.endswith("›") == later, (keys, years)
            months = chart.data.months[first:first + shown]
            for label in plot.rstrip("›").split():
                at = plot.index(label)
                assert len(label) == 4 and at % per == 0, (keys, label, years)
                month = months[at // per]
                assert label == str(month.year) and (month.month == 1 or at == 0), (keys, label, years)
            if chart.data.months[-1].year > months[-1].year:
                assert later


async def test_the_chart_says_it_is_loading_until_its_data_comes():
    """At start-up the chart said "Nothing to chart under this filter." for a quarter of a second before
    the data came. Until its first data it says it is loading; data with no months says there is nothing."""
    from textual.app import App

    from explorer.widgets.chart import ChartData

    class ChartApp(App):
        def compose(self):
            yield MonthlyChart()

    chart_app = ChartApp()
    async with chart_app.run_test(size=(80, 20)) as pilot:
        chart = chart_app.query_one(MonthlyChart)
        assert "Loading…" in shown_text(chart) and "Nothing" not in shown_text(chart)
        chart.set_data(ChartData())
        await pilot.pause()
        assert "Nothing to chart under this filter." in shown_text(chart) and "Loading" not in shown_text(chart)
