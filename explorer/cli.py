"""Command line: launch the explorer, or query / check / build data without a screen.

Only launching imports Textual; the other commands run on the data layer alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import TextIO

from explorer import __version__
from explorer.db.catalog import EngineLimits
from explorer.db.errors import ExplorerError
from explorer.db.remote import is_remote
from explorer.start import COMMANDS
from explorer.terminal import release_echo
from explorer.engine import ENGINES, Engine, neutral_error, open_engine
from explorer.export import output_select, write_batches
from explorer.view_spec import InvalidViewSpec

SKIPPED_ROWS_STATUS = 3
"""What `import` exits with when it skipped rows, so that a script notices (unless --allow-skips)."""
BAD_SPEC_STATUS = 2
"""What the CLI exits with when a view spec cannot be read (as argparse does for a bad argument)."""

EPILOG = """commands:
  conflict-explorer [DATA_DIR]            open the explorer (default: the built-in dataset); DATA_DIR
                                          may be s3://BUCKET/PREFIX (credentials: AWS_* variables or
                                          AWS_PROFILE, as the AWS CLI reads them)
  conflict-explorer query "SQL" [--data DIR] [--format table|csv|json] [--timeout SECONDS]
                                          run read-only SQL over events, actors, casualties,
                                          forces and occurrences, and stream the result
  conflict-explorer check [DATA_DIR]      validate a data directory and say what is in it
  conflict-explorer import acled|ucdp|casualty-list FILE --out DIR [--append|--force]
                                          turn an ACLED export, a UCDP GED file or a list of named
                                          casualties (CSV, CSV.gz or Parquet) into a data directory;
                                          status 3 when rows were skipped (--allow-skips: 0)
  conflict-explorer export SPEC --format csv|parquet|json --out PATH
                                          write what a view shows (SPEC: a view spec, or a file
                                          holding one), with its citation beside it
  conflict-explorer build-data            rebuild data/*.parquet from data/src/*.csv
Run `conflict-explorer COMMAND --help` for a command's options.
Engine limits can also be set in ~/.config/conflict-explorer/config.toml ([engine] memory_limit, threads)."""


def _add_engine_options(parser: argparse.ArgumentParser, choose_engine: bool = True) -> None:
    group = parser.add_argument_group("engine")
    if choose_engine:
        group.add_argument("--engine", choices=ENGINES, default=ENGINES[0],
                           help="duckdb: embedded, on this machine (default); spark: Apache Spark through Spark Connect")
        group.add_argument("--spark-remote", metavar="URL", default="local[2]",
                           help="the Spark Connect server, sc://HOST:15002, or local[N] to start one here (default: %(default)s)")
        group.add_argument("--spark-cache", type=Path, metavar="DIR",
                           help="where Spark writes the counting model as Parquet (default: under the user cache folder)")
    group.add_argument("--memory-limit", metavar="SIZE",
                       help=f"most memory DuckDB may use, e.g. 2GB (default: the config file's, else {EngineLimits.memory_limit}); "
                       "bigger work spills to a private temporary folder")
    group.add_argument("--threads", type=int, metavar="N",
                       help=f"DuckDB worker threads (default: the config file's, else {EngineLimits.threads})")


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _data_dir(text: str) -> Path | str:
    """A data directory argument: a local folder, or an `s3://` URL kept as text (a Path would make it `s3:/`)."""
    return text if is_remote(text) else Path(text)


def _open(args: argparse.Namespace, data_dir: Path | str | None) -> Engine:
    """The data directory on the engine the options name."""
    options = {"remote": args.spark_remote, "cache_dir": args.spark_cache} if args.engine == "spark" else {}
    return _open_reporting_build(args.engine, data_dir, _limits(args), **options)


def _limits(args: argparse.Namespace) -> EngineLimits:
    from explorer.config import engine_limits

    return engine_limits(args.memory_limit, args.threads)


def _launch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conflict-explorer",
        description="A keyboard-driven terminal explorer for conflict data: events, actors and sourced casualty figures.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data_dir", nargs="?", type=_data_dir, metavar="DATA_DIR",
                        help="a data directory in the explorer's schema, or s3://BUCKET/PREFIX (default: the built-in dataset)")
    parser.add_argument("--view", metavar="SPEC",
                        help="open this view: a view spec (copied with V in the app) or a file holding one; "
                        "its data directory unless DATA_DIR is given")
    parser.add_argument("--version", action="version", version=f"conflict-explorer {__version__}")
    _add_engine_options(parser)
    return parser


def _command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conflict-explorer")
    commands = parser.add_subparsers(dest="command", required=True)

    query = commands.add_parser("query", help="run read-only SQL and print the result",
                                description="Run read-only SQL over the views events, actors, casualties and forces. "
                                "Statements that could change anything are refused.")
    query.add_argument("sql", metavar="SQL", help="one or more statements separated by ';' (the last result is printed)")
    query.add_argument("--data", type=_data_dir, metavar="DIR",
                       help="data directory, or s3://BUCKET/PREFIX (default: the built-in dataset)")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: %(default)s)")
    query.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="stop the statement if it runs longer than this")
    _add_engine_options(query)

    check = commands.add_parser("check", help="validate a data directory",
                                description="Validate a data directory against the schema and print what it holds.")
    check.add_argument("data_dir", nargs="?", type=_data_dir, metavar="DATA_DIR",
                       help="a data directory or s3://BUCKET/PREFIX (default: the built-in dataset)")
    _add_engine_options(check, choose_engine=False)

    importing = commands.add_parser(
        "import", help="import an ACLED export, a UCDP GED file or a casualty list into a data directory",
        description="Read FILE (CSV, gzip-compressed CSV or Parquet) with DuckDB and write a data directory in the "
        "explorer's schema. Rows that cannot be imported are counted and reported by reason with their line numbers.",
    )
    importing.add_argument("importer", choices=("acled", "ucdp", "casualty-list"), help="what FILE is")
    importing.add_argument("file", type=Path, metavar="FILE", help="the file to import; it is only read")
    importing.add_argument("--out", type=Path, metavar="DIR", required=True, help="the data directory to write")
    existing = importing.add_mutually_exclusive_group()
    existing.add_argument("--append", action="store_true", help="add this import to an existing data directory")
    existing.add_argument("--force", action="store_true", help="replace an existing data directory")
    importing.add_argument("--fronts", type=Path, metavar="FILE",
                           help="CSV with columns admin1,front mapping first-level divisions to fronts (adds to and overrides ours)")
    importing.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", dest="mapping",
                           help="read the file's COLUMN as our FIELD (repeatable), e.g. --map 'Date killed=date'")
    importing.add_argument("--dataset", metavar="NAME",
                           help="the dataset name every row carries (default: ACLED, UCDP GED, or 'casualty list <file name>')")
    importing.add_argument("--encoding", metavar="NAME",
                           help="the file's text encoding, e.g. cp1252 (default: UTF-8, or the one detected in a file that is not)")
    importing.add_argument("--allow-skips", action="store_true",
                           help=f"exit with status 0 even when rows were skipped (default: status {SKIPPED_ROWS_STATUS})")
    importing.add_argument("--no-cache", action="store_true",
                           help="do not build the explorer's cache now (by default it is, so that the first start is quick)")
    _add_engine_options(importing, choose_engine=False)

    export = commands.add_parser(
        "export", help="write what a view shows to a file, with its citation",
        description="Write the rows a view shows (its pane's table under its filter, in its order; for the SQL pane, its "
        "query's result) as data: ids, numbers and dates as such, sources and URLs. Beside it, NAME.citation.txt holds "
        "the view spec, the datasets' versions and how to cite them (a Parquet file holds the same as metadata).")
    export.add_argument("spec", metavar="SPEC", help="a view spec (copied with V in the app), or a file holding one")
    export.add_argument("--format", choices=("csv", "parquet", "json"), help="default: from the --out file's extension")
    export.add_argument("--out", type=Path, metavar="PATH", required=True, help="the file to write (never inside the data directory)")
    export.add_argument("--data", type=_data_dir, metavar="DIR", help="data directory, or s3://BUCKET/PREFIX (default: the spec's)")
    export.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    _add_engine_options(export)

    build = commands.add_parser("build-data", help="rebuild the built-in dataset's Parquet files from data/src",
                                description="Clean the raw VDC list, validate every source CSV and write the Parquet files.")
    build.add_argument("--src", type=Path, metavar="DIR", help="folder of source CSVs (default: data/src)")
    build.add_argument("--out", type=Path, metavar="DIR", help="folder to write the Parquet files to (default: data/)")
    return parser


# --- commands --------------------------------------------------------------------

MEMORY_MARGIN_BYTES = 512 << 20
"""What `query` may hold beyond the engine's memory limit: Python, the libraries, one batch of output."""
UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
         "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


def _memory_limit_bytes(session) -> int | None:
    """The engine's memory limit as DuckDB reports it ('1.8 GiB'), in bytes."""
    number, _, unit = str(session.scalar("SELECT current_setting('memory_limit')")).partition(" ")
    try:
        return int(float(number) * UNITS[unit])
    except (ValueError, KeyError):
        return None


def _cap_memory(session) -> None:
    """Hold this process to the engine's limit plus a margin: DuckDB's limit bounds its buffers, not every
    allocation (a huge string, a result held whole), so past the cap an allocation fails with an
    out-of-memory error instead of taking the machine's memory."""
    limit = _memory_limit_bytes(session)
    try:
        import resource

        status = Path("/proc/self/status").read_text()
        used = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmData:"))
    except (ImportError, OSError, StopIteration, ValueError):
        return  # not Linux: no cap
    if limit is not None:
        cap = used + limit + MEMORY_MARGIN_BYTES
        resource.setrlimit(resource.RLIMIT_DATA, (cap, resource.getrlimit(resource.RLIMIT_DATA)[1]))


def _stream_query(session, sql: str, output_format: str, out: TextIO | None) -> None:
    if out is None:
        raise ExplorerError("standard output is closed: there is nowhere to write the result")
    result = session.run(sql)
    if result is None:
        out.write("ok (the statement returned no rows)\n")
        return
    derivable = result.materialised is None and result.derivable
    shown = result.derived(output_select(result.columns, result.types, output_format)) if derivable else result
    try:
        with closing(shown.batches(batch_rows=10_000)) as batches:  # closed on this thread, which holds its lock
            write_batches(result.columns, batches, output_format, out, derivable)
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise ExplorerError(f"cannot write the result: {error.strerror or error}") from None


def _query(args: argparse.Namespace) -> int:
    from explorer.db.interruptible import TimedOut, run_interruptibly

    with _open(args, args.data) as catalog:
        _say_note(catalog)
        session = catalog.sql_session()
        if catalog.name == "duckdb":  # Spark's memory is the server's
            _cap_memory(session)
        try:
            run_interruptibly(lambda: _stream_query(session, args.sql, args.format, sys.stdout), session.interrupt, args.timeout)
            _say_damage(catalog)
        except TimedOut:
            raise ExplorerError(f"the statement ran longer than {args.timeout:g} s (--timeout) and was stopped") from None
        except MemoryError:
            raise ExplorerError("the result needs more memory than --memory-limit allows: select fewer rows or "
                                "shorter values, or give more memory") from None
        except Exception as error:  # an engine error while streaming: the session converts the rest
            if neutral_error(error) is error:
                raise
            raise session.error(error) from None
    return 0


def _say_damage(catalog) -> None:
    """After a query: the whole-file check of the cache, finished, found nothing, or one line says what."""
    check = catalog.cache.check
    if check is not None:
        check.done.wait()
        if check.problem:
            print(f"conflict-explorer: the cache of this data directory is damaged ({check.problem}): the result was "
                  "read from blocks DuckDB checked, and the cache is rebuilt the next time", file=sys.stderr, flush=True)


def _say_note(catalog) -> None:
    """One line on stderr when the opening had something to say (a damaged cache rebuilt)."""
    if catalog.cache.note:
        print(f"conflict-explorer: {catalog.cache.note}", file=sys.stderr, flush=True)


def _check(args: argparse.Namespace) -> int:
    from explorer.db.check import check_data_dir

    result = check_data_dir(args.data_dir, limits=_limits(args))
    for line in result.summary:
        print(line)
    for problem in result.problems:
        print(f"problem: {problem}")
    if result.problems:
        print(f"{len(result.problems)} problem(s) found", file=sys.stderr)
        return 1
    print("ok: no problems found")
    return 0


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, separator, target = pair.partition("=")
        if not separator or not column.strip() or not target.strip():
            raise ExplorerError(f"--map {pair!r}: write it as COLUMN=FIELD, e.g. --map 'Date killed=date'")
        mapping[column.strip()] = target.strip()
    return mapping


def _import(args: argparse.Namespace) -> int:
    from explorer.importers.run import ImportRequest, run_import

    request = ImportRequest(
        args.importer, args.file, args.out, append=args.append, force=args.force, fronts_file=args.fronts,
        mapping=_mapping(args.mapping), dataset=args.dataset, limits=_limits(args), encoding=args.encoding,
    )
    report, written = run_import(request)
    for line in report.lines():
        print(line)
    if not args.no_cache:
        _build_cache(written, _limits(args))
    print(f"wrote {written}; open it with: conflict-explorer {written}")
    if report.skipped_rows and not args.allow_skips:
        print(f"error: {report.skipped_rows:,} row(s) of {args.file.name} were skipped (listed above): the directory was "
              f"written without them; fix the file, or pass --allow-skips to accept them", file=sys.stderr)
        return SKIPPED_ROWS_STATUS
    return 0


def _build_cache(data_dir: Path, limits: EngineLimits) -> None:
    """Build the cache of a directory just written, as its first start would: that start is then quick.
    The directory is written and valid by now, so a failure here only leaves the work to the first start."""
    try:
        _open_reporting_build("duckdb", data_dir, limits).close()
    except ExplorerError as error:
        print(f"note: the explorer's cache was not built now ({error}); the first start builds it")
    else:
        print("built the explorer's cache: the first start reads it")


def _build_data(args: argparse.Namespace) -> int:
    from explorer.builtin import builtin_data_dir
    from explorer.builtin.build import build_data

    out_dir = args.out or builtin_data_dir()
    src_dir = args.src or out_dir / "src"
    cleaning, summary = build_data(src_dir, out_dir)
    for line in cleaning.lines():
        print(line)
    print(f"wrote {out_dir}:")
    for line in summary:
        print(line)
    return 0


class BuildLines:
    """On a terminal, what a first opening of a data directory prints while it counts the occurrences once:
    a line to begin with, then each step with the time since the start and, rewritten in place, how far
    DuckDB has gone through it."""

    def __init__(self, data_dir: Path | str | None) -> None:
        self.data_dir = data_dir
        self.started: float | None = None
        self.current = ""
        self._writing = threading.Lock()
        """Steps come from the build's thread, percentages from the one watching it."""

    def step(self, step: str) -> None:
        with self._writing:
            self._step(step)

    def _step(self, step: str) -> None:
        if self.started is None:
            self.started = time.monotonic()
            print(f"conflict-explorer: first opening of {self.data_dir or 'the built-in data'}: counting its casualty "
                  "occurrences once (large directories take a while; later starts read the result)",
                  file=sys.stderr, flush=True)
        else:
            print(f"\r{self._line(done=True)}\x1b[K", file=sys.stderr, flush=True)
        self.current = step
        print(self._line(), end="", file=sys.stderr, flush=True)

    def progress(self, percent: float) -> None:
        """How far the step's statement has gone (DuckDB's estimate, 0-100): its line is written again."""
        with self._writing:
            if self.started is not None:
                print(f"\r{self._line(percent)}\x1b[K", end="", file=sys.stderr, flush=True)

    def done(self, completed: bool = True) -> None:
        """The last step's line ends: `done` when the build completed, as it stood when it failed or was stopped."""
        with self._writing:
            if self.started is not None:
                print(f"\r{self._line(done=True)}\x1b[K" if completed else "", file=sys.stderr, flush=True)
                self.started = None

    def _line(self, percent: float | None = None, done: bool = False) -> str:
        """The step's line, its text cut to the terminal's width: a wrapped line could not be written again in place.
        A step that has ended says `done` (DuckDB's last estimate before the end may read 70%)."""
        head = f"  {time.monotonic() - (self.started or 0.0):5.0f} s  "
        tail = " done" if done else " ..." + (f" {min(100.0, max(0.0, percent)):3.0f}%" if percent is not None else "")
        room = max(8, shutil.get_terminal_size((80, 24)).columns - 1 - len(head) - len(tail))
        step = self.current
        if len(step) > room:  # cut the words, keep the step's number: "the occurrences rep… (2 of 7)"
            words, _, number = step.rpartition(" (")
            number = f" ({number}" if words else ""
            step = (words or step)[:max(1, room - len(number) - 1)] + "…" + number
        return head + step[:room] + tail


def _build_lines(data_dir: Path | str | None) -> BuildLines | None:
    """The build's lines when stderr is a terminal (scripts read stdout and a one-line error: nothing else
    goes to stderr)."""
    return BuildLines(data_dir) if sys.stderr.isatty() else None


def _open_reporting_build(kind: str, data_dir: Path | str | None, limits: EngineLimits, **options) -> Engine:
    """`open_engine`, saying on the terminal what a first opening builds and how far it has gone."""
    lines = _build_lines(data_dir)
    try:
        engine = open_engine(kind, data_dir, limits, lines.step if lines else None,
                             on_progress=lines.progress if lines else None, **options)
    except BaseException:
        if lines is not None:
            lines.done(completed=False)
        raise
    if lines is not None:
        lines.done()
    return engine


def _spec_data_dir(spec, given: Path | str | None) -> Path | str | None:
    """The data directory a view opens: the one given, else the spec's (None: the built-in data)."""
    return given if given is not None else (_data_dir(spec.data_dir) if spec.data_dir else None)


def _launch(args: argparse.Namespace) -> int:
    from explorer import view_spec

    view = view_spec.read(args.view) if args.view is not None else None
    data_dir = _spec_data_dir(view, args.data_dir) if view is not None else args.data_dir
    catalog = _open(args, data_dir)
    _say_note(catalog)
    from explorer.app import ExplorerApp

    app = ExplorerApp(catalog, view=view)
    release_echo()  # Textual keeps the settings it finds, and puts them back at the end and when suspended
    try:
        app.run()
    finally:
        catalog.close()
    return app.return_code or 0  # 129 when the terminal went away


def _export(args: argparse.Namespace) -> int:
    from explorer import export, view_spec
    from explorer.db.versions import changed_versions, dataset_versions

    spec = view_spec.read(args.spec)
    output_format = args.format or export.format_of(args.out)
    data_dir = _spec_data_dir(spec, args.data)
    with _open(args, data_dir) as catalog:
        _say_note(catalog)
        target = export.check_target(args.out, catalog.data_dir)
        found = export.existing(target)
        if found is not None and not args.force:
            raise ExplorerError(f"{found} exists: pass --force to overwrite it")
        changes = changed_versions(spec.versions, dataset_versions(catalog.data_dir)) if spec.versions else []
        if changes:
            print(f"conflict-explorer: the data changed since the view was made ({'; '.join(changes)}): "
                  "the export holds the data as it is now", file=sys.stderr)
        con = catalog.cursor()
        if spec.pane == "sql":
            session = catalog.sql_session()
            session.set_filters(spec.filters)
            result = session.run(spec.sql or "")
            if result is None:
                raise ExplorerError("the view's query returned no rows to export")
            source = export.ResultSource(result)
        else:
            source = export.view_source(con, spec)
        origin = export.provenance(con, catalog.data_dir, spec)
        rows = export.write_export(source, target, output_format, origin)
    print(f"wrote {rows:,} rows to {target} and its citation to {export.citation_path(target)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        args = _command_parser().parse_args(argv)
        run = {"query": _query, "check": _check, "import": _import, "build-data": _build_data, "export": _export}[args.command]
    else:
        args = _launch_parser().parse_args(argv)
        run = _launch
    try:
        return run(args)
    except InvalidViewSpec as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_SPEC_STATUS
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except RuntimeError as error:
        if "interrupted" not in str(error).lower():
            raise
        print("interrupted", file=sys.stderr)  # DuckDB's word for a statement Ctrl-C stopped
        return 130
    except BrokenPipeError:
        # the reader stopped reading (`| head`): nothing more to say, and nothing to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
