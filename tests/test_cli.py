"""The real CLI in a subprocess: query, check, build-data, --version and the error paths."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DATA_DIR, fingerprint

SCRIPT = Path(sys.executable).with_name("conflict-explorer")


def cli(*args, cwd=None):
    """Run the installed console script (the one beside this Python), else `python -m explorer`."""
    command = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "explorer"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_version_from_the_console_script_and_the_module(tmp_path):
    assert cli("--version").stdout.strip() == "conflict-explorer 0.1.0"
    module = subprocess.run([sys.executable, "-m", "explorer", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert module.stdout.strip() == "conflict-explorer 0.1.0"


def test_help_lists_the_commands():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("query", "check", "build-data"):
        assert f"conflict-explorer {command}" in result.stdout


def test_query_table_format_from_any_directory(tmp_path):
    result = cli("query", "SELECT kind, count(*) AS reports FROM casualties GROUP BY kind ORDER BY reports DESC", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["kind", "reports"]
    assert lines[2].split() == ["individual", "547"]
    assert lines[-1] == "(4 rows)"


def test_query_csv_and_json():
    sql = "SELECT casualty_id, killed, period_start FROM casualties WHERE occurrence_id = 'khan-tuman-2016-05-iranians' ORDER BY casualty_id"
    as_csv = list(csv.DictReader(io.StringIO(cli("query", sql, "--format", "csv").stdout)))
    assert [(row["casualty_id"], row["killed"]) for row in as_csv] == [("CR004", "13"), ("CR043", "20"), ("CR046", "20"), ("CR047", "17")]
    as_json = json.loads(cli("query", sql, "--format", "json").stdout)
    assert as_json[0] == {"casualty_id": "CR004", "killed": 13, "period_start": "2016-05-07"}


def test_refused_statement_exits_non_zero_and_changes_nothing(data_copy):
    before = fingerprint(data_copy)
    result = cli("query", f"COPY (SELECT 1) TO '{data_copy}/events.parquet' (FORMAT parquet)", "--data", str(data_copy))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: COPY refused")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    result = cli("query", "DROP VIEW casualties", "--data", str(data_copy))
    assert result.returncode == 1 and "the data is read-only: DROP works only on your own" in result.stderr
    assert fingerprint(data_copy) == before


def test_failing_statement_is_one_line():
    result = cli("query", "SELECT * FROM nowhere")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nowhere" in result.stderr and "Traceback" not in result.stderr


def test_check_builtin_and_broken_directories(tmp_path, data_copy):
    result = cli("check")
    assert result.returncode == 0
    assert "ok: no problems found" in result.stdout
    assert any(line.split()[:2] == ["events", "80"] for line in result.stdout.splitlines())
    (data_copy / "actors.parquet").write_bytes(b"garbage")
    result = cli("check", str(data_copy))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {data_copy / 'actors.parquet'}: not a readable Parquet file (Invalid Input Error: File '{data_copy / 'actors.parquet'}' too small to be a Parquet file)"


def test_launch_with_bad_directory_is_one_line_without_starting_the_screen(tmp_path):
    result = cli(str(tmp_path / "missing"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'missing'}: no such data directory"


def test_engine_flags(tmp_path):
    result = cli("query", "SELECT current_setting('threads') AS t", "--threads", "1", "--format", "csv")
    assert result.stdout.splitlines() == ["t", "1"]
    result = cli("query", "SELECT 1", "--threads", "0")
    assert result.returncode == 1 and "threads must be at least 1" in result.stderr


def test_config_file_sets_the_engine_limits_and_flags_win(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[engine]\nthreads = 1\nmemory_limit = "500MB"\n', encoding="utf-8")
    monkeypatch.setenv("CONFLICT_EXPLORER_CONFIG", str(config))
    sql = "SELECT current_setting('threads') AS t, current_setting('memory_limit') AS m"
    assert cli("query", sql, "--format", "csv").stdout.splitlines()[1] == "1,476.8 MiB"
    assert cli("query", sql, "--format", "csv", "--threads", "2").stdout.splitlines()[1] == "2,476.8 MiB"
    config.write_text("[engine]\nthreads = 'many'\n", encoding="utf-8")
    result = cli("query", "SELECT 1")
    assert result.returncode == 1 and result.stderr.strip() == f"error: {config}: [engine] threads must be a int, not 'many'"
    config.write_text("[engine\n", encoding="utf-8")
    assert "not a readable TOML config file" in cli("query", "SELECT 1").stderr


def test_a_query_beyond_the_memory_limit_ends_with_a_clear_error(tmp_path):
    result = cli("query", "SELECT list(range) AS everything FROM range(200000000)", "--memory-limit", "100MB")
    assert result.returncode == 1
    assert result.stderr.startswith("error: Out of Memory Error") and result.stderr.count("\n") == 1


def test_build_data_prints_the_cleaning_report(tmp_path):
    shutil.copytree(DATA_DIR / "src", tmp_path / "src")
    result = cli("build-data", "--src", str(tmp_path / "src"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "VDC cleaning report: 550 raw rows → 547 individuals" in result.stdout
    assert "dropped: 3 exact duplicate rows" in result.stdout
    assert (tmp_path / "casualties.parquet").is_file()


def test_data_layer_and_cli_commands_do_not_import_textual():
    probe = (
        "import sys, explorer.db.queries, explorer.db.guard, explorer.db.check, explorer.cli;"
        "from explorer.cli import main; main(['query', 'SELECT 1 AS one']);"
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


IMPORT_FIXTURES = Path(__file__).parent / "fixtures" / "importers"


def test_import_then_check_then_query(tmp_path):
    out = tmp_path / "acled"
    result = cli("import", "acled", str(IMPORT_FIXTURES / "acled_bad.csv"), "--out", str(out))
    assert result.returncode == 3, result.stderr  # rows were skipped: written, and the exit status says so
    assert result.stderr.startswith("error: 6 row(s) of acled_bad.csv were skipped (listed above)")
    shutil.rmtree(out)
    result = cli("import", "acled", str(IMPORT_FIXTURES / "acled_bad.csv"), "--out", str(out), "--allow-skips")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "read 8 rows; imported 2, skipped 6"
    assert "skipped 1 row(s): fatalities not a whole number (0 to 2,147,483,647) (line 4: 'three')" in lines
    assert lines[-1] == f"wrote {out}; open it with: conflict-explorer {out}"
    assert result.stderr == ""  # no progress bar when the output is not a terminal
    assert cli("check", str(out)).stdout.splitlines()[-1] == "ok: no problems found"
    queried = cli("query", "SELECT event_id FROM events ORDER BY 1", "--data", str(out), "--format", "csv")
    assert queried.stdout.splitlines() == ["event_id", "acled:SYR70001", "acled:SYR70008"]


def test_import_errors_are_one_line(tmp_path):
    unknown = cli("import", "ucdp", str(IMPORT_FIXTURES / "not_a_known_layout.csv"), "--out", str(tmp_path / "out"))
    assert unknown.returncode == 1
    assert unknown.stderr.count("\n") == 1 and unknown.stderr.startswith("error: not_a_known_layout.csv is not a recognisable UCDP GED file")
    missing = cli("import", "acled", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    assert missing.returncode == 1 and missing.stderr == f"error: {tmp_path / 'nope.csv'}: no such file\n"
    bad_map = cli("import", "casualty-list", str(IMPORT_FIXTURES / "casualty_list.csv"), "--out", str(tmp_path / "out"), "--map", "Name")
    assert bad_map.returncode == 1 and bad_map.stderr == "error: --map 'Name': write it as COLUMN=FIELD, e.g. --map 'Date killed=date'\n"
    both = cli("import", "acled", str(IMPORT_FIXTURES / "acled_api.csv"), "--out", str(tmp_path / "out"), "--append", "--force")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert not (tmp_path / "out").exists()


SLOW = "SELECT count(*) FROM range(100000) a, range(100000) b WHERE (a.range * b.range) % 7 = 3"
"""Minutes of CPU and no memory: a count(DISTINCT ...) here spilled to disk until the disk was full."""


def _command() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "explorer"]


def test_timeout_stops_a_long_statement_with_one_line():
    result = cli("query", SLOW, "--timeout", "1")
    assert result.returncode == 1
    assert result.stderr == "error: the statement ran longer than 1 s (--timeout) and was stopped\n"


def test_ctrl_c_prints_interrupted_and_exits_130():
    import signal
    import time

    process = subprocess.Popen([*_command(), "query", SLOW], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)  # past start-up, into the statement
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and stderr == "interrupted\n"


def test_a_closed_pipe_ends_the_output_quietly():
    shell = f"{' '.join(_command())} query 'SELECT range FROM range(2000000)' --format csv | head -n 2"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120)
    assert result.stdout == "range\n0\n" and result.stderr == "" and result.returncode == 0


def test_results_stream_so_memory_stays_flat(tmp_path):
    """300 MB of result rows go through a process whose memory stays far below that."""
    script = ("import resource, subprocess, sys; "
              f"subprocess.run({[*_command(), 'query', 'SELECT repeat(chr(120), 1000) AS x FROM range(300000)', '--format', 'csv']!r}, "
              "stdout=subprocess.DEVNULL, check=True); "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    peak_kb = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True).stdout)
    assert peak_kb < 250 * 1024, f"peak {peak_kb / 1024:.0f} MB for 300 MB of rows"


def test_a_value_beyond_the_memory_limit_is_one_line_not_the_machines_memory():
    result = cli("query", "SELECT repeat('x', 4000000000) AS huge", "--memory-limit", "500MB")
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "Out of Memory Error" in result.stderr


def test_duckdbs_hints_are_kept_on_the_one_line():
    result = cli("query", "SELECT * FROM casualtie")
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and 'Did you mean "casualties"' in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file: the next test simulates the refusal")
def test_an_unreadable_data_file_is_one_line(data_copy):
    (data_copy / "events.parquet").chmod(0)
    result = cli("query", "SELECT 1", "--data", str(data_copy))
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "permission denied" in result.stderr


def test_an_unreadable_data_file_is_one_line_in_process(data_copy, monkeypatch, capsys):
    """The refusal the OS gives a user without read permission, simulated (CI runs as root, who reads anything)."""
    from pathlib import Path

    from explorer.cli import main

    original = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == "events.parquet":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert main(["query", "SELECT 1", "--data", str(data_copy)]) == 1
    assert capsys.readouterr().err == (f"error: {data_copy / 'events.parquet'}: permission denied "
                                       "(the data must be readable by you)\n")


def test_values_python_would_round_or_reject_are_written_exactly_in_every_format():
    sql = ("SELECT 12345678901234567890.1234567890::DECIMAL(38,10) AS d, 9007199254740993.5::DECIMAL(20,1) AS e, "
           "'nan'::DOUBLE AS n, 'infinity'::DATE AS i, '\\x00ab'::BLOB AS b, INTERVAL 3 DAY AS iv, TIME '10:00' AS t, 1 AS a, 2 AS a")
    as_json = cli("query", sql, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    row = json.loads(as_json.stdout, parse_float=str)[0]
    assert row == {"d": "12345678901234567890.1234567890", "e": "9007199254740993.5", "n": "nan", "i": "infinity",
                   "b": "\\x00ab", "iv": "3 days", "t": "10:00:00", "a": 1, "a_1": 2}
    as_csv = cli("query", sql, "--format", "csv")
    assert as_csv.stdout.splitlines() == ["d,e,n,i,b,iv,t,a,a",
                                          "12345678901234567890.1234567890,9007199254740993.5,nan,infinity,\\x00ab,3 days,10:00:00,1,2"]
    as_table = cli("query", sql)
    assert as_table.returncode == 0 and "12345678901234567890.1234567890" in as_table.stdout


def test_a_closed_or_full_output_is_one_line(tmp_path):
    closed = subprocess.run(["bash", "-c", f"{' '.join(_command())} query 'SELECT 1' >&-"], capture_output=True, text=True, timeout=120)
    assert closed.returncode == 1 and closed.stderr == "error: standard output is closed: there is nowhere to write the result\n"
    if Path("/dev/full").exists():
        full = subprocess.run(["bash", "-c", f"{' '.join(_command())} query 'SELECT range FROM range(100000)' > /dev/full"],
                              capture_output=True, text=True, timeout=120)
        assert full.returncode == 1 and full.stderr.startswith("error: cannot write the result: No space left on device")


@pytest.mark.parametrize("no_cache", [False, True])
def test_an_import_builds_the_explorer_s_cache_so_the_first_start_reads_it(tmp_path, no_cache):
    from explorer.db.catalog import open_catalog

    out = tmp_path / "acled"
    result = cli("import", "acled", str(IMPORT_FIXTURES / "acled_api.csv"), "--out", str(out), *(["--no-cache"] * no_cache))
    assert result.returncode == 0, result.stderr
    assert ("built the explorer's cache" in result.stdout) is not no_cache
    steps: list[str] = []
    with open_catalog(out, on_build=steps.append) as catalog:
        events = catalog.cursor().execute("SELECT count(*) FROM events").fetchall()[0][0]
    assert events > 0
    assert bool(steps) is no_cache, steps  # built at the import, the first start has nothing to build


@pytest.mark.parametrize("columns", [40, 120])
def test_a_first_opening_on_a_terminal_shows_how_far_each_step_has_gone(tmp_path, columns):
    """Each step of the cache build gets its line, rewritten in place with DuckDB's percentage while it runs
    and cut to the terminal's width (a wrapped line could not be written again); stdout holds only the result."""
    import pty
    import re

    data = tmp_path / "data"
    subprocess.run([sys.executable, str(Path(__file__).parents[1] / "benchmarks" / "generate.py"), "300000", str(data)],
                   check=True, capture_output=True, timeout=300)
    command = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "explorer"]
    env = {**os.environ, "CONFLICT_EXPLORER_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": str(columns)}
    main, secondary = pty.openpty()
    try:
        result = subprocess.run([*command, "query", "SELECT count(*) AS n FROM casualties", "--data", str(data), "--format", "csv"],
                                stdout=subprocess.PIPE, stderr=secondary, env=env, timeout=300)
    finally:
        os.close(secondary)
    chunks = []
    try:
        while chunk := os.read(main, 4096):
            chunks.append(chunk)
    except OSError:
        pass  # EIO: everything was read
    finally:
        os.close(main)
    shown = b"".join(chunks).decode()
    assert result.returncode == 0 and result.stdout.decode().split() == ["n", "300000"]
    lines = shown.replace("\r\n", "\n").split("\n")
    steps = [re.search(r"\((\d) of", line).group(1) for line in lines if re.search(r"\(\d of", line)]
    assert steps == [str(number) for number in range(1, 8)], shown
    ended = [view for line in lines for view in line.split("\r")[-1:] if re.search(r"\(\d of", view)]
    assert len(ended) == 7 and all(view.replace("\x1b[K", "").endswith(" done") for view in ended), shown
    percentages = [int(found) for found in re.findall(r"\.\.\. +(\d+)%", shown)]
    assert percentages and all(0 <= percent <= 100 for percent in percentages), shown
    views = [view.replace("\x1b[K", "") for line in lines if " s  " in line for view in line.split("\r")]
    assert views and all(view.startswith("  ") and len(view) < columns for view in views), shown


def test_the_app_closes_when_its_terminal_goes_away_without_a_hangup_signal(tmp_path):
    """A pseudo-terminal closed by its owner with no SIGHUP (the owner died, or the app is not in its session):
    Textual's input thread read an end of input over and over, and the app ran on at a full core. It now
    sees the hang-up and ends, with status 129 as after a SIGHUP."""
    command = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "explorer"]
    env = {**os.environ, "TERM": "xterm-256color", "CONFLICT_EXPLORER_CACHE_DIR": str(tmp_path / "cache")}
    main, secondary = pty.openpty()
    app = subprocess.Popen(command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while b"Timeline" not in shown and time.monotonic() < deadline and app.poll() is None:
            if select.select([main], [], [], 0.2)[0]:
                shown += os.read(main, 65536)
        assert b"Timeline" in shown, shown[-500:]  # the app is up and drawing
        os.close(main)
        assert app.wait(timeout=20) == 129
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def test_a_key_typed_while_the_explorer_starts_is_not_echoed_and_reaches_it(tmp_path):
    """A key typed before the first screen was written at the top of the terminal by its echo until the app
    painted over it. The echo is held from the script's first moment (the input's other settings kept, so the
    key waits for the app), given back just before Textual takes the terminal over, and is there after the end."""
    import termios

    command = [sys.executable, "-m", "explorer"]
    env = {**os.environ, "TERM": "xterm-256color", "CONFLICT_EXPLORER_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([*command, "query", "SELECT 1"], env=env, check=True, capture_output=True, timeout=120)  # the cache: no build lines
    main, secondary = pty.openpty()
    before = termios.tcgetattr(secondary)
    app = subprocess.Popen(command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True)
    shown = b""

    def read_until(wanted: bytes, seconds: float) -> None:
        nonlocal shown
        deadline = time.monotonic() + seconds
        while wanted not in shown and time.monotonic() < deadline and app.poll() is None:
            if select.select([main], [], [], 0.1)[0]:
                shown += os.read(main, 65536)

    try:
        deadline = time.monotonic() + 20
        held = False
        while not held and time.monotonic() < deadline and app.poll() is None:
            local = termios.tcgetattr(secondary)[3]
            held = not local & termios.ECHO and bool(local & termios.ICANON)  # Textual's own mode leaves ICANON off
            time.sleep(0.002)
        assert held, "the echo was not held while the explorer started"
        os.write(main, b"3")
        read_until(b"c basis", 60)
        assert b"c basis" in shown, shown[-800:]  # the key reached the app: the Casualties pane is open
        assert b"3" not in shown.split(b"\x1b[?1049h")[0], shown[:200]  # nothing echoed before the app's screen
        os.write(main, b"q")
        assert app.wait(timeout=20) == 0
        assert termios.tcgetattr(secondary)[3] == before[3], "the terminal's echo and modes are back as they were"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        os.close(secondary)
        os.close(main)
