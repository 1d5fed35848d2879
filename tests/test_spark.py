"""The Spark engine against a real local Spark Connect server: every named query gives DuckDB's numbers.

One server serves the whole session (started here from the pyspark package; Java is needed, and
CONFLICT_EXPLORER_TEST_SPARK_REMOTE=sc://HOST:PORT uses a running one instead).
"""

from __future__ import annotations

import datetime
import decimal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the Spark engine's tests need the test extra (pip install '.[test]')")

from explorer.db import geo, queries  # noqa: E402
from explorer.db.catalog import open_catalog  # noqa: E402
from explorer.db.errors import DataDirectoryError  # noqa: E402
from explorer.db.filters import Filters  # noqa: E402
from explorer.engine import open_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_ROWS = 20_000
"""Casualty reports of the synthetic directory (benchmarks/generate.py): enough for every basis, date and repeat."""

FILTERS = {
    "everything": Filters(),
    "Iranian": Filters(nationalities=frozenset({"Iranian"})),
    "Aleppo, precise": Filters(fronts=frozenset({"Aleppo"}), include_imprecise=False),
    "2016": Filters(date_from=datetime.date(2016, 1, 1), date_to=datetime.date(2016, 12, 31)),
    "pro-government, unknown nationality": Filters(sides=frozenset({"pro-government"}), nationalities=frozenset({None})),
}


@pytest.fixture(scope="session")
def spark_remote(tmp_path_factory):
    """The Spark Connect server of the session: started once, stopped at the end."""
    given = os.environ.get("CONFLICT_EXPLORER_TEST_SPARK_REMOTE")
    if given:
        yield given
        return
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed: the local Spark Connect server needs Java 17")
    from explorer.engine.spark import start_local_server

    server = start_local_server("local[2]", tmp_path_factory.mktemp("spark-server"))
    yield server.url
    server.stop()


def _open_both(data_dir, remote, cache_dir):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(cache_dir / "duckdb"))
        duck = open_catalog(data_dir)
    spark = open_engine("spark", data_dir, remote=remote, cache_dir=cache_dir / "spark")
    return duck, spark


@pytest.fixture(scope="session")
def builtin_pair(spark_remote, tmp_path_factory):
    """The built-in data on both engines."""
    duck, spark = _open_both(None, spark_remote, tmp_path_factory.mktemp("builtin-caches"))
    with duck, spark:
        yield duck, spark


@pytest.fixture(scope="session")
def synthetic_pair(spark_remote, tmp_path_factory):
    """A synthetic directory (benchmarks/generate.py) on both engines."""
    folder = tmp_path_factory.mktemp("synthetic") / "data"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(SYNTHETIC_ROWS), str(folder)],
                   check=True, capture_output=True)
    duck, spark = _open_both(folder, spark_remote, tmp_path_factory.mktemp("synthetic-caches"))
    with duck, spark:
        yield duck, spark


def plain(value):
    """A value as both engines must agree on it: whole decimals as ints, floats to 9 places, dates as dates."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def rows(result) -> list:
    """A named query's result, whatever its shape, as comparable rows (sorted: ties may come in any order)."""
    if hasattr(result, "to_pylist"):
        result = result.to_pylist()
    if isinstance(result, dict):
        result = sorted(result.items(), key=repr)
    if isinstance(result, list):
        return sorted((plain(row) for row in result), key=repr)
    return plain(result)


NAMED_QUERIES = {
    "row_counts": lambda con, f: queries.row_counts(con, f),
    "occurrence_counts": lambda con, f: queries.occurrence_counts(con, f),
    "casualty_occurrences": lambda con, f: queries.casualty_occurrences(con, f),
    "casualty_occurrences incident": lambda con, f: queries.casualty_occurrences(con, f, "incident", limit=50),
    "events_in_range": lambda con, f: queries.events_in_range(con, f),
    "actors_with_casualties": lambda con, f: queries.actors_with_casualties(con, f),
    "casualty_pivot individual": lambda con, f: queries.casualty_pivot(con, f, "individual"),
    "casualty_pivot tally": lambda con, f: queries.casualty_pivot(con, f, "tally"),
    "monthly_killed": lambda con, f: queries.monthly_killed(con, f),
    "monthly_tally_rates": lambda con, f: queries.monthly_tally_rates(con, f),
    "monthly_cumulative": lambda con, f: queries.monthly_cumulative(con, f),
    "events_per_month": lambda con, f: queries.events_per_month(con, f),
    "forces_estimates": lambda con, f: queries.forces_estimates(con, f),
    "facet_counts nationality": lambda con, f: queries.facet_counts(con, f, "nationality"),
    "facet_counts front": lambda con, f: queries.facet_counts(con, f, "front"),
    "facet_counts side": lambda con, f: queries.facet_counts(con, f, "side"),
    "casualty_reports": lambda con, f: queries.casualty_reports(con, f),
    "tally_spans": lambda con, f: queries.tally_spans(con, f),
    "events_bounds": lambda con, f: geo.events_bounds(con, f),
}
UNFILTERED = {
    "data_span": queries.data_span,
    "actor_hierarchy": queries.actor_hierarchy,
}


@pytest.mark.parametrize("name", NAMED_QUERIES)
def test_every_named_query_gives_duckdbs_numbers_on_the_builtin_data(builtin_pair, name):
    duck, spark = builtin_pair
    query = NAMED_QUERIES[name]
    shown = []
    for label, filters in FILTERS.items():
        expected = rows(query(duck.cursor(), filters))
        assert rows(query(spark.cursor(), filters)) == expected, f"{name} under {label}"
        shown.append(expected)
    assert any(shown) and any(found != shown[0] for found in shown), "the filters must tell the rows apart"


@pytest.mark.parametrize("name", NAMED_QUERIES)
def test_every_named_query_gives_duckdbs_numbers_on_synthetic_data(synthetic_pair, name):
    duck, spark = synthetic_pair
    query = NAMED_QUERIES[name]
    shown = []
    for label in ("everything", "Iranian", "2016"):
        expected = rows(query(duck.cursor(), FILTERS[label]))
        assert rows(query(spark.cursor(), FILTERS[label])) == expected, f"{name} under {label}"
        shown.append(expected)
    assert any(shown), "the synthetic data must give rows"


@pytest.mark.parametrize("name", UNFILTERED)
def test_the_unfiltered_queries_agree(builtin_pair, name):
    duck, spark = builtin_pair
    assert rows(UNFILTERED[name](spark.cursor())) == rows(UNFILTERED[name](duck.cursor()))


def test_an_unreachable_server_is_one_line_that_says_what_to_fix(tmp_path):
    with pytest.raises(DataDirectoryError, match=r"cannot reach the Spark Connect server at sc://127.0.0.1:9 .*--spark-remote") as caught:
        open_engine("spark", None, remote="sc://127.0.0.1:9", cache_dir=tmp_path)
    assert "\n" not in str(caught.value)
