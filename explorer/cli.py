"""Command line: launch the explorer, or query / check / build data without a screen.

Only launching imports Textual; the other commands run on the data layer alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable, Sequence

import pyarrow as pa

from explorer import __version__
from explorer.db.catalog import EngineLimits, open_catalog
from explorer.db.errors import ExplorerError
from explorer.format import cell, counted_noun

COMMANDS = ("query", "check", "import", "build-data")
CELL_WIDTH = 48
"""Longest cell the `table` format prints before cutting it with an ellipsis."""

EPILOG = """commands:
  conflict-explorer [DATA_DIR]            open the explorer (default: the built-in dataset)
  conflict-explorer query "SQL" [--data DIR] [--format table|csv|json]
                                          run read-only SQL over the views events, actors,
                                          casualties, forces and print the result
  conflict-explorer check [DATA_DIR]      validate a data directory and say what is in it
  conflict-explorer import acled|ucdp|casualty-list FILE --out DIR [--append|--force]
                                          turn an ACLED export, a UCDP GED file or a list of named
                                          casualties (CSV, CSV.gz or Parquet) into a data directory
  conflict-explorer build-data            rebuild data/*.parquet from data/src/*.csv
Run `conflict-explorer COMMAND --help` for a command's options.
Engine limits can also be set in ~/.config/conflict-explorer/config.toml ([engine] memory_limit, threads)."""


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine limits")
    group.add_argument("--memory-limit", metavar="SIZE",
                       help=f"most memory DuckDB may use, e.g. 2GB (default: the config file's, else {EngineLimits.memory_limit}); "
                       "bigger work spills to a private temporary folder")
    group.add_argument("--threads", type=int, metavar="N",
                       help=f"DuckDB worker threads (default: the config file's, else {EngineLimits.threads})")


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
    parser.add_argument("data_dir", nargs="?", type=Path, metavar="DATA_DIR",
                        help="a data directory in the explorer's schema (default: the built-in dataset)")
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
    query.add_argument("--data", type=Path, metavar="DIR", help="data directory (default: the built-in dataset)")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: %(default)s)")
    _add_engine_options(query)

    check = commands.add_parser("check", help="validate a data directory",
                                description="Validate a data directory against the schema and print what it holds.")
    check.add_argument("data_dir", nargs="?", type=Path, metavar="DATA_DIR", help="default: the built-in dataset")
    _add_engine_options(check)

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
    _add_engine_options(importing)

    build = commands.add_parser("build-data", help="rebuild the built-in dataset's Parquet files from data/src",
                                description="Clean the raw VDC list, validate every source CSV and write the Parquet files.")
    build.add_argument("--src", type=Path, metavar="DIR", help="folder of source CSVs (default: data/src)")
    build.add_argument("--out", type=Path, metavar="DIR", help="folder to write the Parquet files to (default: data/)")
    return parser


# --- output formats ------------------------------------------------------------

def _plain(value: object) -> object:
    """A JSON / CSV friendly form of a cell."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _text(value: object) -> str:
    return cell(_plain(value), separator="; ")


def format_table(result: pa.Table) -> str:
    """Aligned columns for a terminal, long cells cut with an ellipsis."""
    rows = [[_text(value) for value in row.values()] for row in result.to_pylist()]
    rows = [[cell if len(cell) <= CELL_WIDTH else cell[: CELL_WIDTH - 1] + "…" for cell in row] for row in rows]
    rows = [[cell.replace("\n", " ") for cell in row] for row in rows]
    headers = result.column_names
    widths = [max([len(header)] + [len(row[i]) for row in rows]) for i, header in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("─" * w for w in widths)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.append(f"({counted_noun(len(rows), 'row')})")
    return "\n".join(lines)


def write_result(result: pa.Table, output_format: str, out) -> None:
    if output_format == "json":
        json.dump([_plain(row) for row in result.to_pylist()], out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.column_names)
        for row in result.to_pylist():
            writer.writerow([_text(value) for value in row.values()])
    else:
        out.write(format_table(result) + "\n")


# --- commands --------------------------------------------------------------------

def _query(args: argparse.Namespace) -> int:
    from explorer.db.guard import Guard, run_guarded

    with open_catalog(args.data, _limits(args), _say_building(args.data)) as catalog:
        result = run_guarded(catalog.cursor(), Guard(catalog.protected_names), args.sql)
        if result is None:
            print("ok (the statement returned no rows)")
        else:
            write_result(result, args.format, sys.stdout)
    return 0


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
        mapping=_mapping(args.mapping), dataset=args.dataset, limits=_limits(args),
    )
    report, written = run_import(request)
    for line in report.lines():
        print(line)
    print(f"wrote {written}; open it with: conflict-explorer {written}")
    return 0


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


def _say_building(data_dir: Path | None) -> Callable[[str], None] | None:
    """On a terminal, what a first opening of a data directory prints while it counts the occurrences once:
    a line to begin with, then each step with the time since the start."""
    if not sys.stderr.isatty():
        return None  # scripts read stdout and a one-line error; nothing else goes to stderr
    started: list[float] = []

    def say(step: str) -> None:
        if not started:
            started.append(time.monotonic())
            print(f"conflict-explorer: first opening of {data_dir or 'the built-in data'}: counting its casualty "
                  "occurrences once (large directories take a while; later starts read the result)",
                  file=sys.stderr, flush=True)
        print(f"  {time.monotonic() - started[0]:5.0f} s  {step} ...", file=sys.stderr, flush=True)
    return say


def _launch(args: argparse.Namespace) -> int:
    catalog = open_catalog(args.data_dir, _limits(args), _say_building(args.data_dir))
    from explorer.app import ExplorerApp

    try:
        ExplorerApp(catalog).run()
    finally:
        catalog.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        args = _command_parser().parse_args(argv)
        run = {"query": _query, "check": _check, "import": _import, "build-data": _build_data}[args.command]
    else:
        args = _launch_parser().parse_args(argv)
        run = _launch
    try:
        return run(args)
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
