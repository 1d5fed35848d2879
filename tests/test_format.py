"""How figures read on screen: qualifiers, ranges and the number of reports."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from explorer.format import counted, counted_noun, figure, period, short_count


def test_reported_figures_keep_their_qualifier():
    assert figure(100, "at least") == "≥100"
    assert figure(50, "about") == "~50"
    assert figure(None, "at most", 50) == "≤50"
    assert figure(1300, "about", 1500) == "1,300–1,500"
    assert figure(None) == "—"


def test_counted_occurrence_shows_range_and_reports():
    assert counted(13, 13, 20, 4) == "13 (13–20 · 4 reports)"
    assert counted(1, 1, 1, 3) == "1 (3 reports)"
    assert counted(100, 100, 100, 1, "at least") == "≥100"
    assert counted(1300, 1300, 1500, 1, "about") == "~1,300 (1,300–1,500 · 1 report)"
    assert counted(None, None, 50, 1, "at most") == "≤50"


def test_periods():
    assert period(date(2015, 10, 1), date(2016, 2, 29)) == "2015-10-01 → 2016-02-29"
    assert period(None, date(2016, 5, 31)) == "as of 2016-05-31"
    assert period(date(2016, 5, 7), date(2016, 5, 7)) == "2016-05-07"
    assert period(None, None) == "date unknown"


def test_counted_noun_is_singular_for_one_only():
    assert counted_noun(1, "event") == "1 event"
    assert counted_noun(0, "casualty report") == "0 casualty reports"
    assert counted_noun(2000, "row") == "2,000 rows"


def _value(shown: str) -> float:
    units = {"k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    return float(shown[:-1]) * units[shown[-1]] if shown[-1] in units else float(shown)


@given(st.integers(min_value=0, max_value=10**14))
def test_a_short_count_is_five_characters_at_most_and_within_5_percent(count):
    shown = short_count(count)
    assert len(shown) <= 5, shown
    assert shown == str(count) if count < 1000 else abs(_value(shown) - count) <= 0.05 * count, (count, shown)
    assert not shown.startswith("1000"), shown  # 999,999 is 1M


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_a_larger_count_never_reads_smaller(a, b):
    low, high = sorted((a, b))
    assert _value(short_count(low)) <= _value(short_count(high))
