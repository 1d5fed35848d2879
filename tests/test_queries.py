"""The named queries and the counting model, pinned down on the real built-in dataset."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from explorer.db import queries
from explorer.db.catalog import open_catalog
from explorer.db.schema import SIDES
from explorer.db.filters import Filters

IRANIAN = frozenset({"Iranian"})
OCT_2015_FEB_2016 = dict(date_from=date(2015, 10, 1), date_to=date(2016, 2, 29))


def by(table, column):
    return {row[column]: row for row in table.to_pylist()}


def test_khan_tuman_is_counted_once_at_its_lowest_figure(con):
    may_7 = Filters(date_from=date(2016, 5, 7), date_to=date(2016, 5, 7), nationalities=IRANIAN)
    occurrences = queries.casualty_occurrences(con, may_7, "incident")
    assert occurrences.num_rows == 1
    khan_tuman = occurrences.to_pylist()[0]
    assert (khan_tuman["killed"], khan_tuman["killed_low"], khan_tuman["killed_high"], khan_tuman["reports"]) == (13, 13, 20, 4)
    assert khan_tuman["front"] == "Aleppo" and khan_tuman["actor_name"] == "IRGC"
    assert khan_tuman["event_id"] == "E078"
    reports = queries.casualty_reports(con, Filters(), occurrence_id=khan_tuman["occurrence_id"])
    assert sorted(reports["killed"].to_pylist()) == [13, 17, 20, 20]
    assert len(set(reports["source"].to_pylist())) == 3


def test_an_occurrence_shows_all_its_reports_when_one_matches(con):
    """Hamedani's death is reported on 7, 8 and 10 October 2015: a filter on the 10th still shows the disagreement."""
    october_10 = Filters(date_from=date(2015, 10, 10), date_to=date(2015, 10, 10))
    hamedani = by(queries.casualty_occurrences(con, october_10, "incident"), "occurrence_id")["hamedani-2015-10"]
    assert hamedani["reports"] == 3 and hamedani["killed"] == 1
    assert (hamedani["earliest_reported_date"], hamedani["latest_reported_date"]) == (date(2015, 10, 7), date(2015, 10, 10))
    assert hamedani["first_date"] == date(2015, 10, 8)  # the counted report: the IRGC's account


FILTERS_TO_COMPARE = [
    Filters(),
    Filters(date_from=date(2015, 10, 10), date_to=date(2015, 10, 10)),
    Filters(date_from=date(2016, 5, 7), date_to=date(2016, 5, 8), nationalities=IRANIAN),
    Filters(nationalities=frozenset({"Russian", None})),
    Filters(fronts=frozenset({"Aleppo"}), include_imprecise=False),
    Filters(fronts=frozenset({None}), date_from=date(2013, 1, 1)),
    Filters(actor_ids=frozenset({"irgc", "fatemiyoun"}), date_to=date(2015, 12, 31)),
    Filters(include_imprecise=False, date_from=date(2015, 9, 30), date_to=date(2016, 3, 31)),
]


@pytest.mark.parametrize("filters", FILTERS_TO_COMPARE, ids=lambda filters: filters.summary())
def test_occurrences_are_those_with_a_report_under_the_filter(con, filters):
    """The cached occurrences are chosen by their own columns; they must be exactly the
    occurrences with at least one report under the filter, worked out from the reports."""
    predicate = filters.casualties()
    expected = set(con.execute(f"SELECT DISTINCT dataset, occurrence_id FROM casualties WHERE {predicate.sql}",
                               list(predicate.params)).fetchall())
    shown = queries.casualty_occurrences(con, filters)
    assert set(zip(shown["dataset"].to_pylist(), shown["occurrence_id"].to_pylist())) == expected
    assert shown.num_rows == len(expected)
    assert sum(queries.occurrence_counts(con, filters).values()) == len(expected)


def test_an_events_occurrences_include_those_reported_against_it_once(con):
    for (event_id,) in con.execute("SELECT DISTINCT event_id FROM casualties WHERE event_id IS NOT NULL").fetchall():
        expected = set(con.execute("SELECT DISTINCT occurrence_id FROM casualties WHERE event_id = ?", [event_id]).fetchall())
        assert {(row,) for row in queries.event_occurrences(con, event_id)["occurrence_id"].to_pylist()} == expected


def test_iranian_tally_october_2015_to_february_2016(con):
    spans = by(queries.tally_spans(con, Filters(nationalities=IRANIAN, **OCT_2015_FEB_2016)), "occurrence_id")
    winep = spans["iranian-dead-2015-10-to-2016-02-winep"]
    assert (winep["killed"], winep["wounded"], winep["reports"]) == (160, 300, 2)
    assert (winep["first_month"], winep["last_month"], winep["months"]) == (date(2015, 10, 1), date(2016, 2, 1), 5)
    assert winep["killed_per_month"] == 32
    assert spans["CR007"]["killed"] == 100, "AFP's 'more than 100' is kept beside it, not merged away"


def test_iranian_tally_march_april_2016(con):
    spans = by(queries.tally_spans(con, Filters(nationalities=IRANIAN, date_from=date(2016, 3, 1), date_to=date(2016, 4, 30))), "occurrence_id")
    assert spans["CR003"]["killed"] == 75 and spans["CR003"]["months"] == 2


def test_tally_before_october_2015_runs_far_lower(con):
    """The chart's point: Oct 2015–Feb 2016 runs at many times the earlier monthly rate."""
    spans = by(queries.tally_spans(con, Filters(nationalities=IRANIAN)), "occurrence_id")
    assert spans["CR008"]["killed_per_month"] < 4  # 113 IRGC dead, January 2013 – August 2015
    assert spans["iranian-dead-2015-10-to-2016-02-winep"]["killed_per_month"] > 8 * spans["CR008"]["killed_per_month"]


def test_cumulative_totals_match_by_their_as_of_date(con):
    november_2015 = Filters(date_from=date(2015, 11, 1), date_to=date(2015, 11, 30), nationalities=IRANIAN)
    cumulative = queries.casualty_occurrences(con, november_2015, "cumulative")
    assert set(cumulative["occurrence_id"].to_pylist()) == {"CR014", "CR015", "CR016", "CR017"}
    shamkhani = by(cumulative, "occurrence_id")["CR014"]
    assert shamkhani["killed"] is None and shamkhani["killed_high"] == 50  # 'fewer than 50'


def test_vdc_individuals_by_nationality(con):
    pivot = queries.casualty_pivot(con, Filters(), "individual")
    killed = {row["nationality"]: row["killed"] for row in pivot.to_pylist()}
    assert set(pivot["dataset"].to_pylist()) == {"vdc"}
    assert killed["Lebanese"] == 325 and killed["Iranian"] == 84 and killed["Afghan"] == 19 and killed["unknown"] == 17
    assert sum(killed.values()) == 547
    assert set(pivot["aggregate"].to_pylist()) == {"sum of occurrences"}


def test_pivot_of_overlapping_tallies_is_never_a_sum(con):
    pivot = queries.casualty_pivot(con, Filters(nationalities=IRANIAN), "tally")
    unknown_front = next(row for row in pivot.to_pylist() if row["front"] == "unknown")
    assert unknown_front["aggregate"] == "highest single figure"
    assert unknown_front["killed"] == 535  # Alfoneh to January 2018, not the sum of 18 overlapping tallies


def test_bases_are_never_added_in_the_monthly_series(con):
    series = queries.monthly_killed(con, Filters(nationalities=IRANIAN, **OCT_2015_FEB_2016))
    assert set(series["kind"].to_pylist()) <= {"individual", "incident"}
    october = [row for row in series.to_pylist() if row["month"] == date(2015, 10, 1)]
    assert {row["kind"]: row["killed"] for row in october} == {"incident": 3}  # Hamedani once, plus two officers on 12 Oct


def test_events_in_range_with_actors_and_filters(con):
    events = queries.events_in_range(con, Filters(date_from=date(2016, 5, 6), date_to=date(2016, 5, 7), fronts=frozenset({"Aleppo"})))
    titles = events["title"].to_pylist()
    assert titles == ["Jaish al-Fatah captures Khan Tuman", "13 Iranian 'advisers' killed south of Aleppo"]
    assert "Fatemiyoun" in events["actor_names"].to_pylist()[0]
    assert events["date"].to_pylist() == sorted(events["date"].to_pylist())


def test_events_by_nationality_go_through_their_actors(con):
    russian = queries.events_in_range(con, Filters(nationalities=frozenset({"Russian"})))
    assert russian.num_rows == 21
    assert all(any(a.startswith("russian") for a in ids) for ids in russian["actor_ids"].to_pylist())


def test_spanning_events_overlap_the_range(con):
    """'Iraqi militias step up Syria deployment' runs July–October 2015: a September filter finds it."""
    september = queries.events_in_range(con, Filters(date_from=date(2015, 9, 10), date_to=date(2015, 9, 20)))
    assert "Iraqi militias step up Syria deployment" in september["title"].to_pylist()


def test_imprecise_rows_can_be_left_out(con):
    everything = queries.events_in_range(con, Filters())
    precise = queries.events_in_range(con, Filters(include_imprecise=False))
    assert everything.num_rows - precise.num_rows == 8  # the 8 events dated only to a year
    assert "year" not in precise["date_precision"].to_pylist()
    reports = queries.casualty_reports(con, Filters(include_imprecise=False))
    assert reports.num_rows < queries.casualty_reports(con, Filters()).num_rows
    assert None not in reports["period_end"].to_pylist()


def test_actors_with_casualties_keep_bases_apart(con):
    actors = by(queries.actors_with_casualties(con, Filters(nationalities=IRANIAN)), "actor_id")
    assert set(actors) == {"iran_government", "irgc", "quds_force", "irgc_ground_forces", "basij", "artesh", "artesh_65th_brigade"}
    irgc = actors["irgc"]
    assert irgc["parent_id"] == "iran_government"
    assert irgc["killed_individual"] is None
    assert irgc["killed_tally_max"] == 353
    assert actors["quds_force"]["parent_id"] == "irgc"
    hezbollah = by(queries.actors_with_casualties(con, Filters()), "actor_id")["hezbollah"]
    assert hezbollah["killed_individual"] == 302  # VDC rows whose rank names Hezbollah


def test_actor_filter(con):
    quds = Filters(actor_ids=frozenset({"quds_force"}))
    assert queries.events_in_range(con, quds).num_rows == 5
    assert set(queries.casualty_reports(con, quds)["actor_id"].to_pylist()) == {"quds_force"}
    assert queries.actors_with_casualties(con, quds)["actor_id"].to_pylist() == ["quds_force"]


def test_forces_estimates_disagree_side_by_side(con):
    autumn = queries.forces_estimates(con, Filters(date_from=date(2015, 9, 1), date_to=date(2015, 11, 30), nationalities=IRANIAN))
    personnel = [(row["personnel"], row["personnel_qualifier"], row["personnel_high"]) for row in autumn.to_pylist()]
    assert (3000, "about", None) in personnel and (None, "at most", 2000) in personnel and (1300, "exact", None) in personnel


@pytest.mark.parametrize("facet", queries.FACETS)
def test_facet_counts_cover_every_value_and_unknown(con, facet):
    counts = queries.facet_counts(con, Filters(), facet)
    rows = counts.to_pylist()
    assert rows[-1]["value"] == "unknown" and rows[-1]["is_unknown"]
    total = sum(row["casualty_reports"] for row in rows)
    assert total == 634
    known = {row["value"] for row in rows if not row["is_unknown"]}
    if facet == "side":  # a report's side is its actor's
        assert known == set(SIDES)
        return
    column = "nationality" if facet == "nationality" else "front"
    assert known >= {v for v in queries.casualty_reports(con, Filters())[column].to_pylist() if v}


def test_facet_counts_follow_the_other_filters_only(con):
    aleppo = Filters(fronts=frozenset({"Aleppo"}), nationalities=IRANIAN)
    nationality = by(queries.facet_counts(con, aleppo, "nationality"), "value")
    assert nationality["Iranian"]["casualty_reports"] == 10  # Hamedani ×3, Khan Tuman ×4, Artesh ×2, one tally
    assert nationality["Lebanese"]["casualty_reports"] == 1, "the nationality facet ignores the nationality filter"
    front = by(queries.facet_counts(con, aleppo, "front"), "value")
    assert front["Hawran/Daraa/Quneitra"]["casualty_reports"] == 2, "the front facet ignores the front filter"


def test_row_counts_and_span(con):
    assert queries.row_counts(con, Filters()) == {"events": 80, "actors": 34, "casualties": 634, "forces": 14}
    assert queries.data_span(con) == (date(1979, 1, 1), date(2018, 1, 31))


@pytest.mark.parametrize("nationalities", [{"Iranian"}, {"Russian", "Syrian"}, {None}, {"Iranian", None}])
def test_events_by_nationality_agree_in_the_cache_and_through_the_actor_lookup(con, nationalities):
    """The panes read `events_by_date`'s list of nationalities; the SQL pane's views look the actors up. Same events."""
    filters = Filters(nationalities=frozenset(nationalities))
    chosen = []
    for table, predicate in (("events", filters.events()), ("events_by_date", filters.events(cached=True))):
        chosen.append({row[0] for row in con.execute(f"SELECT event_id FROM {table} WHERE {predicate.sql}", list(predicate.params)).fetchall()})
    assert filters.events().sql != filters.events(cached=True).sql
    assert chosen[0] == chosen[1]
    assert chosen[0] or nationalities == {None}  # every built-in event has an actor of a known country
    assert chosen[0] == set(queries.events_in_range(con, filters)["event_id"].to_pylist())


MONTHLY_FILTERS = FILTERS_TO_COMPARE + [
    Filters(date_from=date(2015, 10, 17)),
    Filters(date_to=date(2016, 2, 9), fronts=frozenset({"Aleppo", None})),
    Filters(date_from=date(2016, 5, 3), date_to=date(2016, 5, 21), include_imprecise=False),
    Filters(date_from=date(2013, 6, 30), date_to=date(2016, 7, 1), nationalities=frozenset({"Afghan", "Iranian"})),
]


def monthly_from_occurrences(con, filters):
    """Killed per month summed from every occurrence under the filter, one by one: what the summary must give."""
    con.register("shown_occurrences", queries.casualty_occurrences(con, filters))
    return sorted(con.execute(
        f"""SELECT dataset, kind, date_trunc('month', first_date)::DATE, coalesce(nationality, 'unknown'), {queries.long_period()},
               sum(killed)::BIGINT, count(*)
           FROM shown_occurrences WHERE kind IN ('individual', 'incident') AND first_date IS NOT NULL GROUP BY ALL"""
    ).fetchall(), key=str)


def monthly_rows(con, filters):
    return sorted((tuple(row.values()) for row in queries.monthly_killed(con, filters).to_pylist()), key=str)


@pytest.mark.parametrize("filters", MONTHLY_FILTERS, ids=lambda filters: filters.summary())
def test_monthly_killed_from_the_summary_equals_every_occurrence_summed(con, filters):
    expected = monthly_from_occurrences(con, filters)
    assert expected, "the filter should show some individuals or incidents"
    assert monthly_rows(con, filters) == expected


def test_monthly_killed_counts_occurrences_that_span_months_once(data_copy):
    """Incidents over several months (one reported once, one twice) are summed in their first month
    when the range reaches any day of them, whether the range's ends fall inside their months or not."""
    casualties = data_copy / "casualties.parquet"
    with duckdb.connect() as writer:
        writer.execute(f"""
            CREATE TABLE spanning AS SELECT * FROM read_parquet('{casualties}') WHERE casualty_id = (
                SELECT min(casualty_id) FROM read_parquet('{casualties}') WHERE kind = 'incident')""")
        for casualty_id, occurrence_id, start, end, killed in (
            ("test-span-1", "test-span-a", "2015-09-20", "2015-11-10", 7),
            ("test-span-2", "test-span-b", "2015-10-25", "2015-12-05", 4),
            ("test-span-3", "test-span-b", "2015-10-28", "2015-12-02", 9),
        ):
            writer.execute("""
                INSERT INTO spanning SELECT * REPLACE (?::VARCHAR AS casualty_id, ?::VARCHAR AS occurrence_id, ?::DATE AS period_start,
                    ?::DATE AS period_end, ?::INTEGER AS killed, 'day' AS date_precision, NULL::VARCHAR AS event_id)
                FROM spanning LIMIT 1""", [casualty_id, occurrence_id, start, end, killed])
        writer.execute(f"""COPY (SELECT * FROM read_parquet('{casualties}') UNION ALL SELECT * FROM spanning WHERE casualty_id LIKE 'test-%')
                           TO '{data_copy / "with-spans.parquet"}' (FORMAT parquet)""")
    (data_copy / "with-spans.parquet").replace(casualties)
    with open_catalog(data_copy) as catalog:
        con = catalog.cursor()
        for date_from, date_to in ((date(2015, 11, 5), date(2015, 11, 20)), (date(2015, 10, 1), date(2015, 10, 31)),
                                   (date(2015, 11, 11), None), (None, date(2015, 9, 19)), (date(2015, 12, 3), date(2016, 1, 4)),
                                   (date(2015, 8, 1), date(2015, 9, 20)), (date(2015, 12, 6), None)):
            filters = Filters(date_from=date_from, date_to=date_to)
            assert monthly_rows(con, filters) == monthly_from_occurrences(con, filters)
        november = Filters(date_from=date(2015, 11, 5), date_to=date(2015, 11, 20))
        spans = {row["occurrence_id"]: row["killed"] for row in queries.casualty_occurrences(con, november).to_pylist()
                 if row["occurrence_id"].startswith("test-")}
        assert spans == {"test-span-a": 7, "test-span-b": 4}
