"""View specs: every view survives the round trip through its line and its file form; a bad spec says what to fix."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from conftest import DATA_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.db.filters import Filters
from explorer.db.versions import changed_versions, dataset_versions
from explorer.view_spec import (
    BASES,
    PANES,
    InvalidViewSpec,
    ViewSpec,
    decode,
    encode,
    from_toml,
    read,
    to_toml,
)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
odd = st.sampled_from(["", "a,b", "x&y=z", "'quoted'", '"dq"', "100%", "a+b", "~", "unknown", "Ir\u0101n\u012b", "ایرانی", " sp ace "])
value = st.one_of(text, odd)
values = st.frozensets(st.one_of(value, st.none()), max_size=4)
dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))


@st.composite
def filters(draw) -> Filters:
    first, last = sorted([draw(dates) or date(2000, 1, 1), draw(dates) or date(2000, 1, 1)])
    area = None
    if draw(st.booleans()):
        west, east = sorted(draw(st.lists(st.floats(-180, 180), min_size=2, max_size=2, unique=True)))
        south, north = sorted(draw(st.lists(st.floats(-90, 90), min_size=2, max_size=2, unique=True)))
        area = (west, south, east, north)
    return Filters(date_from=first if draw(st.booleans()) else None, date_to=last if draw(st.booleans()) else None,
                   nationalities=draw(values), fronts=draw(values), sides=draw(values), area=area,
                   actor_ids=draw(st.frozensets(value, max_size=3)),
                   include_imprecise=draw(st.booleans()), text=draw(value))


@st.composite
def specs(draw) -> ViewSpec:
    return ViewSpec(
        filters=draw(filters()), pane=draw(st.sampled_from(PANES)),
        data_dir=draw(st.one_of(st.none(), value.map(lambda name: "/data/" + name))),
        versions=draw(st.dictionaries(value, value, max_size=3)),
        basis=draw(st.one_of(st.none(), st.sampled_from(BASES))), chart_dataset=draw(st.one_of(st.none(), value)), kind=draw(st.one_of(st.none(), st.sampled_from(BASES))),
        pivot=draw(st.booleans()), sort=draw(st.one_of(st.none(), st.sampled_from(["date", "title", "killed", "actor_names"]))),
        sort_reverse=draw(st.booleans()), selected=draw(st.one_of(st.none(), value)), sql=draw(st.one_of(st.none(), value)),
    )


def normalised(spec: ViewSpec) -> ViewSpec:
    """Reverse without a column means nothing, and is not written."""
    return spec if spec.sort else ViewSpec(**{**spec.__dict__, "sort_reverse": False})


@settings(max_examples=300, deadline=None)
@given(specs())
def test_the_line_round_trips(spec):
    line = encode(spec)
    assert "\n" not in line and line.startswith("view=1&")
    assert decode(line) == normalised(spec)


@settings(max_examples=200, deadline=None)
@given(specs())
def test_the_file_form_round_trips(spec):
    plain = [v for v in (*spec.filters.nationalities, *spec.filters.fronts, *spec.filters.sides) if v == "~"]  # "~" is the unknown value in a file
    if not plain:
        assert from_toml(to_toml(spec)) == normalised(spec)


def test_a_spec_reads_like_the_view():
    spec = ViewSpec(Filters(date_from=date(2015, 10, 1), date_to=date(2016, 5, 31), nationalities=frozenset({"Iranian", "Afghan", None})),
                    pane="timeline", basis="tally", selected="E042", versions={"files": "3f2a9c1b07aa"})
    assert encode(spec) == ("view=1&pane=timeline&from=2015-10-01&to=2016-05-31&nat=Afghan,Iranian,~&basis=tally&sel=E042"
                            "&data=built-in&v=files:3f2a9c1b07aa")


@pytest.mark.parametrize(("spec", "says"), [
    ("", "the view spec is empty"),
    ("pane=timeline", "lacks view=1"),
    ("view=2&pane=timeline", "version '2' is not known"),
    ("view=1&pane=chart", "pane='chart': choose one of timeline, actors, casualties, sql, map"),
    ("view=1&area=36,35,37", "give west,south,east,north"),
    ("view=1&area=37,35,36,36", "west below east"),
    ("view=1&area=a,b,c,d", "give west,south,east,north"),
    ("view=1&colour=red", "'colour' is not known"),
    ("view=1&pane", "has no '='"),
    ("view=1&from=2015-13-01", "from='2015-13-01' is not a date"),
    ("view=1&from=2016-01-01&to=2015-01-01", "the range starts (2016-01-01) after it ends"),
    ("view=1&pane=sql&pane=actors", "'pane' is given twice"),
    ("view=1&text=%FF", "not UTF-8"),
    ("view=1&v=builtin", "not dataset:version"),
    ("view=1&actor=~", "'~' (unknown) is not a value here"),
])
def test_a_bad_spec_says_what_to_fix(spec, says):
    with pytest.raises(InvalidViewSpec) as raised:
        decode(spec)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_a_hand_written_file_may_use_tomls_dates_and_booleans():
    spec = from_toml('view = 1\npane = "casualties"\nfrom = 2015-10-01\npivot = true\nimprecise = false\nnat = ["Iranian", "~"]\n')
    assert spec == ViewSpec(Filters(date_from=date(2015, 10, 1), nationalities=frozenset({"Iranian", None}), include_imprecise=False),
                            pane="casualties", pivot=True)
    with pytest.raises(InvalidViewSpec, match="'colour' is not known"):
        from_toml('view = 1\ncolour = "red"\n')


def test_files_and_citations_are_read_too(tmp_path):
    spec = ViewSpec(Filters(text="khan tuman"), pane="casualties", kind="tally")
    (tmp_path / "view.toml").write_text(to_toml(spec), encoding="utf-8")
    (tmp_path / "view.txt").write_text(encode(spec) + "\n", encoding="utf-8")
    (tmp_path / "x.citation.txt").write_text(f"Exported by conflict-explorer\nView: {encode(spec)}\n", encoding="utf-8")
    for name in ("view.toml", "view.txt", "x.citation.txt"):
        assert read(str(tmp_path / name)) == spec
    (tmp_path / "bad.toml").write_text("pane = [", encoding="utf-8")
    with pytest.raises(InvalidViewSpec, match="is not TOML"):
        read(str(tmp_path / "bad.toml"))
    with pytest.raises(InvalidViewSpec, match="neither a view spec"):
        read(str(tmp_path / "missing.toml"))


def test_versions_of_the_built_in_data_are_a_checksum_of_its_files(data_copy):
    versions = dataset_versions(DATA_DIR)
    assert list(versions) == ["files"] and len(versions["files"]) == 12
    assert dataset_versions(data_copy) == versions  # the same bytes
    with (data_copy / "events.parquet").open("ab") as handle:
        handle.write(b"\0")
    assert changed_versions(versions, dataset_versions(data_copy)) == [f"files was {versions['files']}, is {dataset_versions(data_copy)['files']}"]


def test_the_view_module_needs_no_textual():
    code = "import sys, explorer.view_spec, explorer.export; assert 'textual' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _cli(*args: str | bytes, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, timeout=60, check=False, cwd=cwd)


def test_a_spec_of_bytes_that_are_not_utf8_is_refused_in_one_line(tmp_path):
    ran = _cli("export", b"view=1&text=\xff", "--out", str(tmp_path / "out.csv"))
    assert ran.returncode == 2 and b"Traceback" not in ran.stderr, ran.stderr
    assert b"not UTF-8" in ran.stderr and ran.stderr.count(b"\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_view_file_that_never_ends_is_refused_not_read_forever(tmp_path):
    ran = _cli("export", "/dev/zero", "--out", str(tmp_path / "out.csv"))
    assert ran.returncode == 2 and b"too large to be a view file" in ran.stderr, ran.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_view_file_with_a_byte_order_mark_is_read(tmp_path):
    spec = ViewSpec(pane="actors")
    (tmp_path / "view.txt").write_bytes(b"\xef\xbb\xbf" + encode(spec).encode() + b"\r\n")
    (tmp_path / "view.toml").write_bytes(b"\xef\xbb\xbf" + to_toml(spec).encode())
    assert read(str(tmp_path / "view.txt")) == spec
    assert read(str(tmp_path / "view.toml")) == spec


def test_a_spec_longer_than_a_file_name_may_be_is_read_as_a_spec(tmp_path):
    spec = ViewSpec(Filters(text="x" * 300), pane="sql", sql="SELECT " + ", ".join(f"{n} AS c{n}" for n in range(60)))
    assert read(encode(spec)) == spec
    ran = _cli("export", encode(spec), "--out", str(tmp_path / "out.csv"))
    assert ran.returncode == 0, ran.stderr


def test_an_area_of_toml_booleans_is_refused():
    with pytest.raises(InvalidViewSpec) as raised:
        from_toml("view = 1\narea = [true, 1, 2, 3]\n")
    assert "give west,south,east,north" in str(raised.value)


@pytest.mark.parametrize(("area", "shown"), [((-0.01, -0.02, 0.01, 0.02), "0.02°S–0.02°N 0.01°W–0.01°E"),
                                             ((37.14, 36.19, 37.306, 36.46), "36.2–36.5°N 37.1–37.3°E")])
def test_an_area_reads_with_bounds_told_apart(area, shown):
    from explorer.geo import area_text

    assert area_text(area) == shown
