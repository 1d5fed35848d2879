"""A view spec: one readable line that says what a view shows and how to get it again.

`view=1&pane=timeline&from=2015-10-01&to=2016-05-31&nat=Iranian,Afghan&basis=tally&sel=E042&data=built-in&v=files:3f2a9c1b07aa`

Parts are `key=value` joined by `&`, in a fixed order; a list's items are joined by `,`. Each value is
percent-encoded where it holds a character the line uses (`&`, `=`, `,`, `%`, `+`, `~`, quotes, controls);
letters of any script stay as they are, and a space is written `+`. `~` alone is the unknown value of a
nationality or front. The file form is TOML with the same keys (`view = 1`, `nat = ["Iranian", "~"]`).
Knows nothing of the UI: the app, the CLI and the exports all read and write specs through here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import unquote_plus

from explorer.db.dimensions import DIMENSIONS
from explorer.db.errors import ExplorerError
from explorer.db.filters import Filters

SPEC_VERSION = "1"
PANES = ("timeline", "actors", "casualties", "sql", "map")
BASES = ("tally", "incident", "individual", "cumulative")
BUILTIN = "built-in"
UNKNOWN_VALUE = "~"
SAFE = frozenset("-_./:@()!*")
"""Characters written as they are, besides letters and digits of any script."""
DIMENSION_KEYS = tuple(dimension.spec_key for dimension in DIMENSIONS)
KEYS = ("view", "pane", "from", "to", *DIMENSION_KEYS, "actor", "area", "text", "imprecise", "basis", "chart", "kind", "pivot",
        "sort", "sel", "sql", "data", "v")
LIST_KEYS = frozenset({*DIMENSION_KEYS, "actor", "area", "v"})
MAX_SPEC_BYTES = 1 << 20
CITATION_VIEW_LABEL = "View: "
"""How a citation names its view spec, on a line of its own (so that `--view` reads a citation file too)."""


class InvalidViewSpec(ExplorerError):
    """A view spec (string or file) that cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class ViewSpec:
    """What a view shows: the data and its versions, the filter, the pane and how it is shown."""

    filters: Filters = field(default_factory=Filters)
    pane: str = "timeline"
    data_dir: str | None = None
    """The data directory (absolute), or None for the built-in data."""
    versions: dict[str, str] = field(default_factory=dict, compare=True, hash=False)
    basis: str | None = None
    """The chart's basis, when chosen."""
    chart_dataset: str | None = None
    """The dataset the chart draws, where its basis has several."""
    kind: str | None = None
    """The casualty table's basis, when the casualties pane shows one."""
    pivot: bool = False
    sort: str | None = None
    """The open table's sort column."""
    sort_reverse: bool = False
    selected: str | None = None
    """The selected record's key: an event id, an actor id, an occurrence's key."""
    sql: str | None = None


def _quote(text: str, unsafe: str = "") -> str:
    """Percent-encode what the line uses; a space becomes `+`."""
    out = []
    for char in text:
        if char == " ":
            out.append("+")
        elif (char.isalnum() and char.isprintable() or char in SAFE) and char not in unsafe:
            out.append(char)
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8", errors="surrogatepass")))
    return "".join(out)


def _unquote(text: str, key: str) -> str:
    try:
        return unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidViewSpec(f"view spec part {key!r}: a %-escape is not UTF-8 text (write characters as they are, or %XX of their UTF-8 bytes)") from None


def _values(spec: ViewSpec) -> dict[str, str | list[str]]:
    """The spec's parts that differ from an empty view, by key, as text."""
    f = spec.filters
    parts: dict[str, str | list[str]] = {"view": SPEC_VERSION, "pane": spec.pane}
    if f.date_from:
        parts["from"] = f.date_from.isoformat()
    if f.date_to:
        parts["to"] = f.date_to.isoformat()
    for dimension, values in f.choices():
        parts[dimension.spec_key] = sorted(values, key=lambda value: (value is None, value or ""))
    if f.actor_ids:
        parts["actor"] = sorted(f.actor_ids)
    if f.area is not None:
        parts["area"] = [repr(float(bound)) for bound in f.area]  # west, south, east, north: exact when read back
    if f.text:
        parts["text"] = f.text
    if not f.include_imprecise:
        parts["imprecise"] = "out"
    for key, value in (("basis", spec.basis), ("chart", spec.chart_dataset), ("kind", spec.kind), ("sel", spec.selected),
                       ("sql", spec.sql)):
        if value is not None:
            parts[key] = value
    if spec.pivot:
        parts["pivot"] = "yes"
    if spec.sort:
        parts["sort"] = spec.sort + ("-" if spec.sort_reverse else "")
    parts["data"] = spec.data_dir or BUILTIN
    if spec.versions:
        parts["v"] = [f"{name}:{version}" for name, version in sorted(spec.versions.items())]
    return {key: parts[key] for key in KEYS if key in parts}


def encode(spec: ViewSpec) -> str:
    """The spec as one line."""
    out = []
    for key, value in _values(spec).items():
        if key == "v":
            items = [_quote(name, ":,") + ":" + _quote(version, ",") for name, version in sorted(spec.versions.items())]
            out.append(f"v={','.join(items)}")  # a name never holds a bare `:`: the first one ends it
        elif isinstance(value, list):
            out.append(f"{key}={','.join(UNKNOWN_VALUE if item is None else _quote(item, ',~') for item in value)}")
        else:
            out.append(f"{key}={_quote(value, '&=')}")
    return "&".join(out)


def to_toml(spec: ViewSpec) -> str:
    """The file form: TOML, one key a line, the same keys as the line."""

    def string(text: str) -> str:
        escaped = "".join(char if char.isprintable() and char not in '"\\' else
                          ("\\" + char if char in '"\\' else f"\\u{ord(char):04X}" if ord(char) < 0x10000 else f"\\U{ord(char):08X}")
                          for char in text)
        return f'"{escaped}"'

    lines = ["# conflict-explorer view: open it with `conflict-explorer --view FILE`"]
    for key, value in _values(spec).items():
        if key == "view":
            lines.append(f"view = {SPEC_VERSION}")
        elif key == "v":
            lines.append("[v]")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(string(UNKNOWN_VALUE if item is None else item) for item in value)}]")
        else:
            lines.append(f"{key} = {string(value)}")
    if spec.versions:  # TOML: a table comes last
        lines.remove("[v]")
        lines.append("[v]")
        lines += [f"{string(name)} = {string(version)}" for name, version in sorted(spec.versions.items())]
    return "\n".join(lines) + "\n"


def decode(text: str) -> ViewSpec:
    """A spec line back into a ViewSpec; a malformed one raises InvalidViewSpec naming what to fix."""
    text = text.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, passed through from the command line as surrogates
        raise InvalidViewSpec("the view spec holds bytes that are not UTF-8 text: write characters as they are, "
                              "or %XX of their UTF-8 bytes") from None
    if not text:
        raise InvalidViewSpec("the view spec is empty: copy one with V in the app, e.g. 'view=1&pane=timeline'")
    parts: dict[str, str | list[str] | dict[str, str]] = {}
    for piece in text.split("&"):
        key, equals, raw = piece.partition("=")
        if not equals:
            raise InvalidViewSpec(f"view spec part {piece[:40]!r} has no '=': write each part as key=value, joined by &")
        if key not in KEYS:
            raise InvalidViewSpec(f"view spec part {key[:40]!r} is not known: the parts are {', '.join(KEYS)}")
        if key in parts:
            raise InvalidViewSpec(f"view spec part {key!r} is given twice: keep one")
        if key == "v":
            versions = {}
            for item in raw.split(",") if raw else []:
                name, colon, version = item.partition(":")
                if not colon:
                    raise InvalidViewSpec(f"view spec part v: {item[:40]!r} is not dataset:version")
                versions[_unquote(name, key)] = _unquote(version, key)
            parts[key] = versions
        elif key in LIST_KEYS:
            parts[key] = [None if item == UNKNOWN_VALUE else _unquote(item, key) for item in raw.split(",")]  # present: a value
        else:
            parts[key] = _unquote(raw, key)
    return _from_parts(parts)


def _text(parts: dict, key: str) -> str | None:
    value = parts.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidViewSpec(f"view spec part {key!r}: give one text value")
    return value


def _texts(parts: dict, key: str, unknown_allowed: bool) -> frozenset:
    values = parts.get(key, [])
    if not isinstance(values, list) or not all(isinstance(item, str) or item is None for item in values):
        raise InvalidViewSpec(f"view spec part {key!r}: give a list of text values")
    if None in values and not unknown_allowed:
        raise InvalidViewSpec(f"view spec part {key!r}: '~' (unknown) is not a value here")
    return frozenset(values)


def _area(parts: dict) -> tuple[float, float, float, float] | None:
    """`area=WEST,SOUTH,EAST,NORTH` in degrees, or None."""
    values = parts.get("area")
    if values is None:
        return None
    message = "view spec part 'area': give west,south,east,north in degrees (e.g. area=36.1,36.0,37.3,36.4)"
    if not isinstance(values, list) or len(values) != 4 or any(isinstance(value, bool) for value in values):
        raise InvalidViewSpec(message)
    try:
        west, south, east, north = (float(value) for value in values)
    except (TypeError, ValueError):
        raise InvalidViewSpec(message) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidViewSpec(f"{message}; west below east and south below north, within ±180 and ±90")
    return (west, south, east, north)


def _date(parts: dict, key: str) -> date | None:
    value = _text(parts, key)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidViewSpec(f"view spec part {key}={value[:40]!r} is not a date: write YYYY-MM-DD") from None


def _choice(parts: dict, key: str, choices: tuple[str, ...]) -> str | None:
    value = _text(parts, key)
    if value is not None and value not in choices:
        raise InvalidViewSpec(f"view spec part {key}={value[:40]!r}: choose one of {', '.join(choices)}")
    return value


def _from_parts(parts: dict) -> ViewSpec:
    version = parts.get("view")
    if str(version) != SPEC_VERSION:
        raise InvalidViewSpec(f"view spec version {version!r} is not known: this conflict-explorer reads view={SPEC_VERSION}"
                              if version is not None else "the view spec lacks view=1 (its first part): copy it whole")
    imprecise = _choice(parts, "imprecise", ("out", "shown"))
    pivot = _choice(parts, "pivot", ("yes", "no"))
    try:
        filters = Filters(date_from=_date(parts, "from"), date_to=_date(parts, "to"),
                          chosen=[(d.name, _texts(parts, d.spec_key, True)) for d in DIMENSIONS], area=_area(parts),
                          actor_ids=_texts(parts, "actor", False), include_imprecise=imprecise != "out",
                          text=_text(parts, "text") or "")
    except ExplorerError as error:
        raise InvalidViewSpec(f"view spec: {error}") from None
    sort = _text(parts, "sort") or None
    versions = parts.get("v", {})
    if not isinstance(versions, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in versions.items()):
        raise InvalidViewSpec("view spec part 'v': give dataset:version pairs")
    data = _text(parts, "data")
    return ViewSpec(
        filters=filters, pane=_choice(parts, "pane", PANES) or "timeline",
        data_dir=None if data in (None, BUILTIN) else data, versions=dict(versions),
        basis=_choice(parts, "basis", BASES), chart_dataset=_text(parts, "chart"), kind=_choice(parts, "kind", BASES), pivot=pivot == "yes",
        sort=sort.removesuffix("-") if sort else None, sort_reverse=bool(sort and sort.endswith("-")),
        selected=_text(parts, "sel"), sql=_text(parts, "sql"),
    )


def from_toml(text: str, origin: str = "the view file") -> ViewSpec:
    try:
        parts = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidViewSpec(f"{origin} is not TOML ({error}): write key = \"value\" lines, or one spec line") from None
    unknown = sorted(set(parts) - set(KEYS))
    if unknown:
        raise InvalidViewSpec(f"{origin}: {unknown[0]!r} is not known: the keys are {', '.join(KEYS)}")
    for key in DIMENSION_KEYS:  # in the file form, "~" is the unknown value
        if isinstance(parts.get(key), list):
            parts[key] = [None if item == UNKNOWN_VALUE else item for item in parts[key]]
    for key, value in parts.items():  # TOML's own dates and booleans, as the line writes them
        if isinstance(value, bool):
            parts[key] = "yes" if value else "no"
        elif isinstance(value, date):
            parts[key] = value.isoformat()
    if parts.get("imprecise") in ("yes", "no"):
        parts["imprecise"] = "shown" if parts["imprecise"] == "yes" else "out"
    return _from_parts(parts)


def _is_file(path: Path) -> bool:
    """Whether `path` names a file; never an error (a spec line is often longer than a file name may be)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read(argument: str) -> ViewSpec:
    """`--view`'s value: a spec line, or a file holding one (or its TOML form, or an export's citation file)."""
    path = Path(argument).expanduser()
    if "=" in argument and not _is_file(path):
        return decode(argument)
    try:
        with path.open("rb") as handle:  # at most a little over the limit: a device such as /dev/zero never ends
            data = handle.read(MAX_SPEC_BYTES + 1)
        if len(data) > MAX_SPEC_BYTES:
            raise InvalidViewSpec(f"{path}: too large to be a view file")
        text = data.decode("utf-8-sig")  # a byte order mark, as some editors write, is not part of the spec
    except FileNotFoundError:
        raise InvalidViewSpec(f"{argument[:80]!r} is neither a view spec (key=value&…) nor a file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidViewSpec(f"{path}: cannot be read as a view file ({getattr(error, 'strerror', None) or error})") from None
    for line in text.splitlines():  # a citation file: its `view:` line
        if line.startswith(CITATION_VIEW_LABEL):
            return decode(line.removeprefix(CITATION_VIEW_LABEL))
    stripped = text.strip()
    if stripped.startswith("view=") and "\n" not in stripped:
        return decode(stripped)
    return from_toml(text, str(path))
