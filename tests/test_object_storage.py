"""Data directories in object storage, against a real S3-compatible server (moto's, on loopback).

The built-in data is uploaded to a bucket, then opened through the data layer, the real CLI in a
subprocess and the real app through the Pilot, and every figure is compared with the local directory's.
"""

from __future__ import annotations

import io
import json
import os
import pty
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from moto.server import ThreadedMotoServer

from explorer.app import ExplorerApp
from explorer.db import queries, remote
from explorer.db.catalog import open_catalog
from explorer.db.errors import DataDirectoryError, ExplorerError
from explorer.db.filters import Filters
from explorer.db.sql_session import SqlSession
from explorer.db.versions import dataset_versions
from explorer.widgets.chart import MonthlyChart
from test_app import _tree_nodes, pick, tab_labels, table
from test_cli import cli
from conftest import DATA_DIR, TABLE_FILES, settle

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
IRANIAN = Filters(nationalities=frozenset({"Iranian"}))


@pytest.fixture(scope="session")
def endpoint():
    """A moto S3 server on a free loopback port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(endpoint, tmp_path, monkeypatch) -> dict[str, str]:
    """The environment a user of the local server would set; no profile file of this machine is read."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    values = {**KEYS, "AWS_ENDPOINT_URL": endpoint, "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
              "AWS_CONFIG_FILE": str(tmp_path / "no-config"), "CONFLICT_EXPLORER_S3_TIMEOUT": "5"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                        region_name="us-east-1")


def new_bucket(client) -> str:
    name = f"conflict-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


def upload(client, bucket: str, prefix: str, folder: Path = DATA_DIR) -> None:
    for name in TABLE_FILES:
        client.upload_file(str(folder / name), bucket, f"{prefix}/{name}".lstrip("/"))


def listing(client, bucket: str) -> list[tuple[str, str, int]]:
    """Every object of the bucket with its ETag and size."""
    found = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted((item["Key"], item["ETag"], item["Size"]) for item in found)


@pytest.fixture
def bucket_url(s3_env, client) -> str:
    """The built-in data uploaded under a prefix with a space and a non-ASCII letter in it."""
    bucket = new_bucket(client)
    upload(client, bucket, "syria data/ç")
    return f"s3://{bucket}/syria data/ç"


@pytest.fixture
def s3_catalog(bucket_url):
    with open_catalog(bucket_url) as opened:
        yield opened


def figures(con, filters: Filters) -> dict:
    """What the panes show, from the data layer."""
    return {
        "counts": queries.row_counts(con, filters),
        "events": queries.events_in_range(con, filters).to_pylist(),
        "monthly": queries.monthly_killed(con, filters).to_pylist(),
        "tallies": queries.monthly_tally_rates(con, filters).to_pylist(),
        "actors": queries.actors_with_casualties(con, filters).to_pylist(),
        **{kind: queries.casualty_occurrences(con, filters, kind).to_pylist() for kind in ("individual", "incident", "tally")},
        "pivot": queries.casualty_pivot(con, filters, "individual").to_pylist(),
    }


def test_an_s3_directory_shows_the_same_figures_as_the_local_one(s3_catalog, con):
    assert str(s3_catalog.data_dir) == s3_catalog.data_dir.location.url
    for filters in (Filters(), IRANIAN, Filters(fronts=frozenset({"Aleppo"}), include_imprecise=False)):
        assert figures(s3_catalog.cursor(), filters) == figures(con, filters)
    assert dataset_versions(s3_catalog.data_dir)["files"] != dataset_versions(DATA_DIR)["files"]  # ETags, not bytes


def test_versions_come_from_the_buckets_imports_json(bucket_url, client):
    bucket, _, prefix = bucket_url[len("s3://"):].partition("/")
    entry = {"dataset": "UCDP GED", "importer": "ucdp", "version": "GED 25.1", "sha256": "ab" * 32,
             "file": "GEDEvent_v25_1.csv", "imported_at": "2026-11-27T00:00:00+00:00"}
    client.put_object(Bucket=bucket, Key=f"{prefix}/imports.json", Body=json.dumps([entry]).encode())
    with open_catalog(bucket_url) as opened:
        assert dataset_versions(opened.data_dir) == {"UCDP GED": "GED 25.1"}


def test_hive_partitioned_tables_and_a_whole_bucket(s3_env, client, con, tmp_path):
    bucket = new_bucket(client)
    for name in ("events", "actors", "forces"):
        client.upload_file(str(DATA_DIR / f"{name}.parquet"), bucket, f"{name}.parquet")
    casualties = pq.read_table(DATA_DIR / "casualties.parquet")
    years = casualties.column("period_start").to_pylist()
    for year in sorted({day.year if day else 0 for day in years}):
        mask = [(day.year if day else 0) == year for day in years]
        buffer = io.BytesIO()
        pq.write_table(casualties.filter(mask), buffer)
        client.put_object(Bucket=bucket, Key=f"casualties/year={year}/part 0.parquet", Body=buffer.getvalue())
    with open_catalog(f"s3://{bucket}") as opened:
        assert opened.tables["casualties"].hive and len(opened.tables["casualties"].remote.objects) > 3
        assert figures(opened.cursor(), IRANIAN) == figures(con, IRANIAN)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="/\\\x00", exclude_categories=("Cs", "Cc")),
                               min_size=1, max_size=8).filter(lambda part: part.strip(". ") != ""), min_size=1, max_size=3),
       trailing=st.sampled_from(["", "/", "//"]), scheme=st.sampled_from(["s3://", "S3://"]))
@example(prefix=["a%20b c", "d+e?#=é", "年 1"], trailing="/", scheme="s3://")
def test_url_spellings_open_the_same_directory(s3_env, client, prefix, trailing, scheme):
    bucket = new_bucket(client)
    key_prefix = "/".join(prefix)
    upload(client, bucket, key_prefix)
    location = remote.parse_url(f"{scheme}{bucket}/{key_prefix}{trailing}")
    assert (location.bucket, location.prefix) == (bucket, key_prefix)
    directory = remote.open_directory(f"{scheme}{bucket}/{key_prefix}{trailing}")
    assert sorted(directory.tables) == ["actors", "casualties", "events", "forces"]
    assert {stored.path for stored in directory.objects()} == {f"{bucket}/{key_prefix}/{name}" for name in TABLE_FILES}


@pytest.mark.parametrize("url", ["s3://", "s3://A_Bucket/x", "s3://b/x"])
def test_a_url_without_a_bucket_name_is_refused_in_one_line(url):
    with pytest.raises(DataDirectoryError, match="not a bucket name"):
        remote.parse_url(url)


def test_nothing_typed_can_write_to_the_bucket(s3_catalog, client, bucket_url):
    bucket, _, prefix = bucket_url[len("s3://"):].partition("/")
    before = listing(client, bucket)
    writes = [
        f"COPY events TO '{bucket_url}/copied.parquet' (FORMAT parquet)",
        f"COPY (SELECT 1) TO 's3://{bucket}/x.csv'",
        "CREATE TABLE data.scratch AS SELECT 1",
        "CREATE TABLE scratch AS SELECT 1",
        f"ATTACH 's3://{bucket}/new.duckdb' AS written",
        "INSTALL httpfs",
        "LOAD httpfs",
        f"CREATE SECRET s3 (TYPE s3, KEY_ID 'testing', SECRET 'testing', ENDPOINT '{bucket_url}')",
        f"SELECT * FROM read_parquet('{bucket_url}/events.parquet')",
        "SET enable_external_access = true",
    ]
    for statement in writes:  # on the engine itself, past the statement checker: refused by construction
        with pytest.raises(duckdb.Error):
            s3_catalog.cursor().execute(statement).fetchall()
    session = SqlSession(s3_catalog)  # as the SQL pane runs them
    for statement in writes[:2] + writes[4:]:
        with pytest.raises(ExplorerError):
            session.run(statement)
    assert listing(client, bucket) == before


def test_the_cli_queries_an_s3_directory_and_cannot_write_to_it(bucket_url, s3_env, client, tmp_path):
    env = {**os.environ}
    sql = "SELECT kind, count(*) AS occurrences, sum(killed) AS killed FROM occurrences GROUP BY ALL ORDER BY ALL"
    local = cli("query", sql, "--format", "csv")
    result = subprocess.run([*_cli_command(), "query", sql, "--data", bucket_url, "--format", "csv"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == local.stdout and "cumulative" in result.stdout
    bucket = bucket_url[len("s3://"):].partition("/")[0]
    before = listing(client, bucket)
    written = subprocess.run([*_cli_command(), "query", f"COPY events TO '{bucket_url}/x.parquet'", "--data", bucket_url],
                             capture_output=True, text=True, env=env, timeout=120)
    assert written.returncode == 1 and len(written.stderr.strip().splitlines()) == 1
    assert listing(client, bucket) == before


def _stderr_on_a_terminal(args: list[str]) -> str:
    """What the CLI writes to stderr when stderr is a terminal (where a first opening shows its progress)."""
    main, secondary = pty.openpty()
    try:
        result = subprocess.run([*_cli_command(), *args], stdout=subprocess.PIPE, stderr=secondary, timeout=120)
    finally:
        os.close(secondary)
    chunks = []
    try:
        while chunk := os.read(main, 4096):
            chunks.append(chunk)
    except OSError:
        pass  # EIO: the terminal's other end is closed and everything was read
    finally:
        os.close(main)
    assert result.returncode == 0
    return b"".join(chunks).decode()


def test_a_first_opening_from_s3_shows_its_progress_and_a_later_one_is_quiet(bucket_url):
    first = _stderr_on_a_terminal(["query", "SELECT 1", "--data", bucket_url])
    assert f"first opening of {bucket_url}: counting its casualty occurrences once" in first
    assert "the data's tables (1 of 7)" in first and "the events in date order (6 of 7)" in first
    assert _stderr_on_a_terminal(["query", "SELECT 1", "--data", bucket_url]) == ""


def test_check_reads_an_s3_directory(bucket_url):
    result = subprocess.run([*_cli_command(), "check", bucket_url], capture_output=True, text=True, timeout=120)
    local = cli("check")
    assert result.returncode == 0, result.stderr
    assert result.stdout == local.stdout and "[1 file]" in result.stdout


def _cli_command() -> list[str]:
    from test_cli import SCRIPT
    import sys

    return [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "explorer"]


def test_export_of_a_view_whose_data_is_an_s3_url(bucket_url, tmp_path):
    spec = f"view=1&pane=casualties&nat=Iranian&kind=incident&data={bucket_url.replace(' ', '+')}"
    result = subprocess.run([*_cli_command(), "export", spec, "--out", str(tmp_path / "s3.csv")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    local = subprocess.run([*_cli_command(), "export", spec.replace(f"data={bucket_url.replace(' ', '+')}", "data=built-in"),
                            "--out", str(tmp_path / "local.csv")], capture_output=True, text=True, timeout=120)
    assert local.returncode == 0, local.stderr
    assert (tmp_path / "s3.csv").read_text() == (tmp_path / "local.csv").read_text()
    assert f"data={bucket_url.replace(' ', '+')}" in (tmp_path / "s3.csv.citation.txt").read_text()


def test_a_changed_object_rebuilds_the_cache(bucket_url, client):
    with open_catalog(bucket_url) as first:
        key = first.cache.path.parent.name
        assert first.cursor().execute("SELECT count(*) FROM events").fetchone() == (80,)
    with open_catalog(bucket_url) as again:
        assert again.cache.path.parent.name == key
    events = pq.read_table(DATA_DIR / "events.parquet").slice(1)
    buffer = io.BytesIO()
    pq.write_table(events, buffer)
    bucket, _, prefix = bucket_url[len("s3://"):].partition("/")
    client.put_object(Bucket=bucket, Key=f"{prefix}/events.parquet", Body=buffer.getvalue())
    with open_catalog(bucket_url) as changed:
        assert changed.cache.path.parent.name != key
        assert changed.cursor().execute("SELECT count(*) FROM events").fetchone() == (79,)


async def test_the_app_on_an_s3_directory_shows_and_filters_like_the_local_one(s3_catalog, catalog):
    seen = []
    for opened in (s3_catalog, catalog):
        app = ExplorerApp(opened)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            shown = {"tabs": tab_labels(app), "events": table(app, "#events").records,
                     "chart": app.query_one(MonthlyChart).data.value_at("individual", app.query_one(MonthlyChart).data.months[-12])}
            await pick(app, pilot, "t", {"Iranian"})
            chart = app.query_one(MonthlyChart).data
            shown |= {"filtered tabs": tab_labels(app), "filtered events": table(app, "#events").records,
                      "tally": [chart.value_at("tally", month) for month in chart.months]}
            await pilot.press("3")
            await settle(pilot)
            shown["casualties"] = table(app, "#casualty-table").records
            await pilot.press("2")
            await settle(pilot)
            shown["actors"] = sorted(str(node.label) for node in _tree_nodes(app.query_one("#actor-tree").root))
            seen.append(shown)
    assert seen[0] == seen[1]
    assert seen[0]["filtered tabs"][0] != seen[0]["tabs"][0]


# --- each failure is one line -----------------------------------------------------------------


def test_no_credentials(s3_env, bucket_url, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(DataDirectoryError, match="^no credentials for object storage: set AWS_ACCESS_KEY_ID"):
        open_catalog(bucket_url)
    monkeypatch.setenv("AWS_PROFILE", "analyst")
    with pytest.raises(DataDirectoryError, match="the profile 'analyst', which is in neither"):
        open_catalog(bucket_url)


def test_credentials_region_and_endpoint_from_a_profile(s3_env, bucket_url, con, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)
    (tmp_path / "no-credentials").write_text("[analyst]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    (tmp_path / "no-config").write_text(f"[profile analyst]\nregion = eu-west-1\nendpoint_url = {s3_env['AWS_ENDPOINT_URL']}\n")
    monkeypatch.setenv("AWS_PROFILE", "analyst")
    found = remote.settings()
    assert (found.region, found.endpoint, found.origin) == ("eu-west-1", s3_env["AWS_ENDPOINT_URL"], "the profile 'analyst'")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    assert (remote.settings().region, remote.settings().endpoint) == ("us-east-2", "http://127.0.0.1:1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    with open_catalog(bucket_url) as opened:
        assert figures(opened.cursor(), IRANIAN)["counts"] == queries.row_counts(con, IRANIAN)


def test_wrong_credentials(s3_env, bucket_url, monkeypatch):
    import moto.settings

    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # the server now checks every key
    with pytest.raises(DataDirectoryError, match=r"access denied by http://127\.0\.0\.1:\d+ \(HTTP 403\): check the credentials "
                       "from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$"):
        open_catalog(bucket_url)


def test_no_such_bucket(s3_env):
    with pytest.raises(DataDirectoryError, match=r"^s3://no-such-bucket-here/x: no such bucket at http://127"):
        open_catalog("s3://no-such-bucket-here/x")


def test_an_empty_prefix_and_a_missing_table(s3_env, bucket_url, client):
    bucket = bucket_url[len("s3://"):].partition("/")[0]
    with pytest.raises(DataDirectoryError, match=rf"^s3://{bucket}/nothing: no tables found \(expected events"):
        open_catalog(f"s3://{bucket}/nothing/")
    with pytest.raises(DataDirectoryError, match=rf"^s3://{bucket}: no tables found .*; they may be under s3://{bucket}/syria data/ç$"):
        open_catalog(f"s3://{bucket}")
    client.delete_object(Bucket=bucket, Key="syria data/ç/forces.parquet")
    with pytest.raises(DataDirectoryError, match="table 'forces' is missing"):
        open_catalog(bucket_url)


def test_an_object_that_is_not_parquet(s3_env, bucket_url, client):
    bucket = bucket_url[len("s3://"):].partition("/")[0]
    client.put_object(Bucket=bucket, Key="syria data/ç/events.parquet", Body=b"event_id,title\nE1,not parquet\n")
    with pytest.raises(DataDirectoryError, match=r"^s3://.*/events\.parquet: not a readable Parquet file \("):
        open_catalog(bucket_url)


@pytest.fixture
def silent_endpoint():
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept())
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection, _ in held:
        connection.close()


def test_an_unreachable_endpoint_fails_within_the_timeout(s3_env, silent_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    monkeypatch.setenv("CONFLICT_EXPLORER_S3_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(DataDirectoryError, match=r"cannot reach http://127\.0\.0\.1:\d+ \(timed out\)"):
        open_catalog("s3://bucket/data")
    assert time.monotonic() - started < remote.REQUEST_ATTEMPTS * 1 + 5
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(DataDirectoryError, match=r"cannot reach .* \(could not connect\): check AWS_ENDPOINT_URL"):
        open_catalog("s3://bucket/data")


def test_the_cli_says_each_failure_in_one_line_and_never_opens_the_screen(s3_env):
    for args in (["s3://no-such-bucket-here/data"], ["query", "SELECT 1", "--data", "s3://no-such-bucket-here"],
                 ["--view", "view=1&pane=timeline&data=s3://no-such-bucket-here/x"]):
        result = subprocess.run([*_cli_command(), *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert result.returncode == 1, result
        assert result.stderr.startswith("error: s3://no-such-bucket-here") and "no such bucket" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
