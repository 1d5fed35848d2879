"""Filter dimensions are declarations: each one's tests agree across tables and paths, and a new one is one entry.

The last test adds two dimensions to a copy of the package, by adding two entries to `DIMENSIONS` and
nothing else, and drives the real app over them: picker, summary line, removable parts, view spec,
predicates on every table and the cache's list column all follow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import explorer
from explorer.db import queries
from explorer.db.dimensions import DIMENSIONS, Dimension
from explorer.db.filters import Filters

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def values_in_data(con, dimension: Dimension) -> list[str | None]:
    return [None if row["is_unknown"] else row["value"] for row in queries.facet_counts(con, Filters(), dimension.name).to_pylist()]


@pytest.mark.parametrize("dimension", DIMENSIONS, ids=lambda d: d.name)
@SETTINGS
@given(data=st.data())
def test_a_choice_selects_the_same_events_from_the_cache_and_through_the_lookup(con, dimension, data):
    """The panes read `events_by_date` (a list column per dimension reached through actors); the SQL
    pane's `filtered_events` reads `events` with lookups in the actors table. The same events."""
    chosen = frozenset(data.draw(st.sets(st.sampled_from(values_in_data(con, dimension)), min_size=1)))
    filters = Filters(chosen=[(dimension.name, chosen)])
    found = []
    for table, predicate in (("events", filters.events()), ("events_by_date", filters.events(cached=True))):
        found.append(sorted(row[0] for row in con.execute(f"SELECT event_id FROM {table} WHERE {predicate.sql}",
                                                           list(predicate.params)).fetchall()))
    assert found[0] == found[1]


@pytest.mark.parametrize("dimension", DIMENSIONS, ids=lambda d: d.name)
def test_the_picker_counts_what_choosing_the_value_shows(con, dimension):
    """Each value's counts in the picker are the events and casualty reports that choosing it alone shows."""
    rows = queries.facet_counts(con, Filters(), dimension.name).to_pylist()
    assert len(rows) > 2
    for row in rows:
        filters = Filters(chosen=[(dimension.name, {None if row["is_unknown"] else row["value"]})])
        assert row["events"] == queries.row_count(con, filters, "events"), row
        assert row["casualty_reports"] == queries.row_count(con, filters, "casualties"), row


@pytest.mark.parametrize("dimension", DIMENSIONS, ids=lambda d: d.name)
@SETTINGS
@given(data=st.data())
def test_a_choice_reads_back_from_the_summary_parts_and_the_view_spec(con, dimension, data):
    from explorer import view_spec

    chosen = frozenset(data.draw(st.sets(st.sampled_from(values_in_data(con, dimension)), min_size=1)))
    filters = Filters(chosen=[(dimension.name, chosen)])
    assert filters.values(dimension) == getattr(filters, dimension.field) == chosen
    assert filters == Filters(**{dimension.field: chosen}) and hash(filters) == hash(Filters(**{dimension.field: chosen}))
    parts = filters.parts()
    assert len(parts) == len(chosen) and all(text.startswith(f"{dimension.label} ") for text, _ in parts)
    assert all(rest.values(dimension) < chosen for _, rest in parts)
    spec = view_spec.ViewSpec(filters=filters)
    assert f"&{dimension.spec_key}=" in view_spec.encode(spec)
    assert view_spec.decode(view_spec.encode(spec)).filters == filters
    assert filters.choosing(dimension, ()) == Filters()


@pytest.mark.parametrize("make, message", [
    (lambda: Filters(colours={"red"}), "colours"),
    (lambda: Filters(chosen=[("nationalty", {"Iranian"})]), "not a dimension"),
    (lambda: Filters(chosen=[("nationalities", {"Iranian"})]), "not a dimension"),
    (lambda: Filters(chosen=[("front", {"Aleppo"}), ("front", {"Idlib"})]), "chosen twice"),
    (lambda: Filters(nationalities="Iranian"), "a set of values"),
    (lambda: Filters(actor_ids="irgc"), "a set of ids"),
    (lambda: Filters(None, None, frozenset({"Iranian"})), "positional"),
])
def test_a_filter_refuses_what_it_would_misread(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_a_keyword_replaces_a_choice_as_replace_does():
    from dataclasses import replace

    filters = Filters(fronts={"Aleppo"}, nationalities={"Iranian"})
    assert replace(filters, fronts=frozenset({"Idlib"})) == Filters(fronts={"Idlib"}, nationalities={"Iranian"})


@pytest.mark.parametrize("change, message", [
    ({"name": "front"}, "share the name"),
    ({"key": "t"}, "share the key"),
    ({"spec_key": "nat"}, "share the spec_key"),
    ({"field": "source", "actor_column": "kind"}, "is an events column"),
    ({"casualty_column": "kind"}, "casualty_column 'kind'"),
    ({"casualty_column": "colour"}, "casualty_column 'colour'"),
    ({"event_column": "colour"}, "'colour' is not a column of events"),
    ({"name": "o'brien"}, "letters, digits"),
])
def test_a_declaration_that_collides_is_refused(change, message):
    from dataclasses import replace

    from explorer.db.dimensions import check_declarations

    added = replace(Dimension("kind_of_actor", "kinds_of_actor", "Kinds", key="K", spec_key="akind", description="",
                              actor_column="kind"), **change)
    with pytest.raises(ValueError, match=message):
        check_declarations((*DIMENSIONS, added))


def test_each_dimension_key_is_free_where_a_pane_has_the_focus():
    """A dimension's key opens its picker from any pane: no pane, table or chart binds it to something else."""
    from explorer.app import TABS, ExplorerApp
    from explorer.widgets.chart import MonthlyChart
    from explorer.widgets.map_canvas import MapCanvas
    from explorer.widgets.record_table import RecordTable

    owners = [ExplorerApp, RecordTable, MonthlyChart, MapCanvas, *(pane for _, pane in TABS if pane.__name__ != "SqlPane")]
    for owner in owners:
        for binding in owner.BINDINGS:
            keys = set(binding.key.split(",")) if hasattr(binding, "key") else {binding[0]}
            action = getattr(binding, "action", "")
            for dimension in DIMENSIONS:
                if dimension.key in keys:
                    assert action == f"pick('{dimension.name}')", (owner.__name__, dimension.key, action)


def test_an_imported_country_not_in_the_list_is_chosen_as_itself(data_copy, monkeypatch, tmp_path):
    """An actor whose country the list lacks (an import's "Rojava") is found by that value in every path, as
    casualties of that nationality are; it has no listed nationality, so "unknown" finds it too (as before)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from explorer.db.catalog import open_catalog

    actors = pq.read_table(data_copy / "actors.parquet")
    hezbollah = pc.equal(actors["actor_id"], "hezbollah")
    assert pc.any(hezbollah).as_py()
    actors = actors.set_column(actors.schema.get_field_index("country"), "country",
                               pc.if_else(hezbollah, "Rojava", actors["country"]))
    pq.write_table(actors, data_copy / "actors.parquet")
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(tmp_path / "cache"))
    with open_catalog(data_copy) as catalog:
        con = catalog.cursor()
        counts = {row["value"]: row for row in queries.facet_counts(con, Filters(), "nationality").to_pylist()}
        for chosen in ({"Rojava"}, {None}, {"Rojava", "Iranian"}, {"Lebanese"}):
            filters = Filters(nationalities=chosen)
            cached, inline = filters.events(cached=True), filters.events()
            from_cache = con.execute(f"SELECT count(*) FROM events_by_date WHERE {cached.sql}", list(cached.params)).fetchall()[0][0]
            looked_up = con.execute(f"SELECT count(*) FROM events WHERE {inline.sql}", list(inline.params)).fetchall()[0][0]
            assert from_cache == looked_up, chosen
        rojava = queries.row_count(con, Filters(nationalities={"Rojava"}), "events")
        assert rojava > 0 and counts["Rojava"]["events"] == rojava
        assert counts["unknown"]["events"] == queries.row_count(con, Filters(nationalities={None}), "events")
        assert queries.row_count(con, Filters(nationalities={"Rojava"}), "actors") == 1


ADDED = '''
    Dimension(
        "actor_kind", "actor_kinds", "Actor kinds", key="K", spec_key="akind",
        description="choose actor kinds: events with an actor of the kind, its actors' casualties, its actors",
        actor_column="kind"),
    Dimension(
        "date_precision", "date_precisions", "Date precisions", key="E", spec_key="dprec",
        description="choose how precisely events are dated: those events", event_column="date_precision"),
'''

SCRIPT = r'''
import asyncio, json, sys
import explorer
from explorer.app import ExplorerApp
from explorer import view_spec
from explorer.db import queries
from explorer.db.catalog import open_catalog
from explorer.db.filters import Filters
from explorer.widgets.value_picker import ValuePicker
from textual.widgets import Static

assert explorer.__file__.startswith(sys.argv[1]), explorer.__file__
found = {}
with open_catalog() as catalog:
    con = catalog.cursor()
    militias = frozenset(r[0] for r in con.execute("SELECT actor_id FROM actors WHERE kind = 'militia'").fetchall())
    by_kind, by_actors = Filters(actor_kinds={"militia"}), Filters(actor_ids=militias)
    found["by kind"] = {t: queries.row_count(con, by_kind, t) for t in ("events", "casualties", "actors", "forces")}
    found["by actors"] = {t: queries.row_count(con, by_actors, t) for t in ("events", "casualties", "actors", "forces")}
    found["militias"] = len(militias)
    found["columns"] = [r[0] for r in con.execute("DESCRIBE events_by_date").fetchall()]
    found["kind counts"] = queries.facet_counts(con, Filters(), "actor_kind").to_pylist()
    found["kind events"] = {row["value"]: queries.row_count(con, Filters(actor_kinds={None if row["is_unknown"] else row["value"]}), "events")
                            for row in found["kind counts"]}
    found["month counts"] = queries.facet_counts(con, Filters(), "date_precision").to_pylist()
    by_month = Filters(date_precisions={"month"})
    found["by month"] = [queries.row_count(con, by_month, t) for t in ("events", "casualties")]
    found["by month in data"] = con.execute("SELECT count(*) FROM events WHERE date_precision = 'month'").fetchall()[0][0]
    spec = view_spec.ViewSpec(filters=Filters(actor_kinds={"militia", None}, date_precisions={"month"}))
    found["spec"] = view_spec.encode(spec)
    found["spec back"] = view_spec.decode(found["spec"]).filters == spec.filters

    async def drive():
        app = ExplorerApp(catalog)
        async with app.run_test(size=(120, 40)) as pilot:
            async def settle():
                for _ in range(5):
                    try:
                        await app.workers.wait_for_complete()
                    except Exception:
                        continue
                    await pilot.pause()
            await settle()
            await pilot.press("K")
            await settle()
            found["picker"] = app.screen.query_one(ValuePicker).title_text
            await pilot.press(*"militia")
            await pilot.press("space", "enter")
            await settle()
            found["app filters"] = sorted(app.filters.actor_kinds)
            found["summary"] = str(app.query_one("#filter-summary", Static).render())
            found["app events"] = queries.row_count(con, app.filters, "events")
            found["parts"] = [text for text, _ in app.filters.parts()]
            found["palette"] = [entry[0] for entry in app.PALETTE if "kind" in entry[0]]
    asyncio.run(drive())
print(json.dumps(found, default=str))
'''


def test_a_new_dimension_is_one_declaration(tmp_path):
    """Two entries added to `DIMENSIONS` in a copy of the package, and nothing else: one through the actors
    (their kind), one on the events' own column (how precisely they are dated). Every path follows."""
    root = tmp_path / "copy"
    shutil.copytree(Path(explorer.__file__).parent, root / "explorer", ignore=shutil.ignore_patterns("__pycache__"))
    data = Path(explorer.__file__).parent.parent / "data"
    if data.is_dir():
        shutil.copytree(data, root / "data")
    declarations = root / "explorer" / "db" / "dimensions.py"
    text = declarations.read_text()
    end = '\n)\n"""Every filter dimension'
    assert text.count(end) == 1
    declarations.write_text(text.replace(end, ADDED.rstrip("\n") + end))
    env = {**os.environ, "PYTHONPATH": str(root), "CONFLICT_EXPLORER_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["militias"] > 0
    assert found["by kind"] == found["by actors"]  # a kind selects what its actors select, in every table
    assert found["by kind"]["actors"] == found["militias"]
    assert "actor_kinds" in found["columns"]  # the cache grew the list column
    assert "date_precisions" not in found["columns"]  # the events' own column needs none
    counts = {row["value"]: row for row in found["kind counts"]}
    assert "militia" in counts and "unknown" in counts
    assert all(counts[value]["events"] == found["kind events"][value] for value in counts)
    assert found["by month"] == [found["by month in data"], 634]  # casualties are not narrowed by it
    assert found["by month in data"] > 0
    months = {row["value"]: row for row in found["month counts"]}
    assert months["month"]["events"] == found["by month in data"] and months["month"]["casualty_reports"] is None
    assert "unknown" not in months  # every event has a date precision; casualties are not counted (not narrowed)
    assert "akind=militia" in found["spec"] and "dprec=month" in found["spec"] and found["spec back"]
    assert found["picker"] == "Actor kinds"
    assert found["app filters"] == ["militia"]
    assert "militia" in found["summary"]
    assert found["app events"] == found["by kind"]["events"]
    assert found["parts"] == ["actor kind militia"]
    assert found["palette"] == ["Choose actor kinds"]
