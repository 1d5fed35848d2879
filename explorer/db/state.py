"""The analyst's own state: query history and the SQL editor's text, in the XDG state directory.

Every write goes to a temporary file that is renamed over the old one, so a crash never
leaves a half-written file. A file that cannot be read (not JSON, wrong types, not UTF-8,
far too big) never stops the app: it is moved aside under a new name, never overwritten,
and `problem` says so once. `CONFLICT_EXPLORER_STATE_DIR` overrides the location.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HISTORY_LIMIT = 1000
HISTORY_BYTES = 2 << 20
"""The most the history file holds: the oldest queries go first."""
QUERY_BYTES = 256 << 10
"""A longer query is run but not kept in the history."""
EDITOR_BYTES = 1 << 20
"""A longer editor file is set aside: the editor would be slow to open it."""


def state_dir() -> Path:
    override = os.environ.get("CONFLICT_EXPLORER_STATE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "conflict-explorer"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def set_aside(path: Path) -> Path:
    """Rename an unreadable state file to `NAME.unreadable-N` (the first N free), so nothing overwrites it."""
    number = 1
    while (aside := path.with_name(f"{path.name}.unreadable-{number}")).exists():
        number += 1
    path.rename(aside)
    return aside


@dataclass
class StateFile:
    """One state file: read once, set aside if unreadable, and never written over while it holds what could not be read."""

    path: Path
    limit: int
    problem: str | None = None
    """Why the file could not be used, when it could not (to be told once)."""
    untouchable: bool = False
    """The unreadable file could not be moved aside, so it is never written over."""

    def read(self) -> str | None:
        """The file's text if it is readable UTF-8 within `limit` bytes; else None, and it is set aside."""
        try:
            if self.path.stat().st_size > self.limit:
                reason = f"it is larger than {self.limit >> 10:,} KB"
            else:
                return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            reason = "it is not UTF-8 text"
        except OSError as error:
            self.problem, self.untouchable = f"{self.path} cannot be read ({error.strerror})", True
            return None
        self.set_aside(reason)
        return None

    def set_aside(self, reason: str) -> None:
        try:
            self.problem = f"{self.path} could not be used ({reason}): it was kept as {set_aside(self.path).name}"
        except OSError as error:
            self.problem = f"{self.path} could not be used ({reason}) nor moved aside ({error.strerror}): it is left as it is"
            self.untouchable = True

    def write(self, text: str) -> None:
        if not self.untouchable:
            write_atomically(self.path, text)


@dataclass(frozen=True)
class HistoryEntry:
    sql: str
    ran_at: float
    rows: int | None
    error: str | None
    elapsed: float


def _history_entry(raw: object) -> HistoryEntry | None:
    """An entry as written by `add`, or None for anything else."""
    if not isinstance(raw, dict) or set(raw) != {"sql", "ran_at", "rows", "error", "elapsed"}:
        return None
    number = (int, float)
    valid = (isinstance(raw["sql"], str) and isinstance(raw["ran_at"], number) and isinstance(raw["elapsed"], number)
             and (raw["rows"] is None or isinstance(raw["rows"], int)) and (raw["error"] is None or isinstance(raw["error"], str))
             and not any(isinstance(raw[key], bool) for key in ("ran_at", "elapsed", "rows")))
    return HistoryEntry(**raw) if valid else None


class QueryHistory:
    """Every query run, newest last; kept to the last HISTORY_LIMIT queries and HISTORY_BYTES."""

    def __init__(self, directory: Path | None = None) -> None:
        self.file = StateFile((directory or state_dir()) / "history.json", HISTORY_BYTES * 2)
        self.entries: list[HistoryEntry] = self._load()

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def problem(self) -> str | None:
        return self.file.problem

    def _load(self) -> list[HistoryEntry]:
        text = self.file.read()
        if text is None:
            return []
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            raw = None
        entries = [_history_entry(item) for item in raw] if isinstance(raw, list) else [None]
        if None in entries:
            self.file.set_aside("it is not a history this app wrote")
        return [entry for entry in entries if entry is not None][-HISTORY_LIMIT:]

    def add(self, sql: str, rows: int | None, error: str | None, elapsed: float) -> None:
        sql = sql.strip()
        if len(sql.encode("utf-8")) > QUERY_BYTES:
            return
        self.entries.append(HistoryEntry(sql, time.time(), rows, error, round(elapsed, 4)))
        self.entries = self.entries[-HISTORY_LIMIT:]
        text = self._text()
        while len(text.encode("utf-8")) > HISTORY_BYTES and len(self.entries) > 1:
            self.entries = self.entries[len(self.entries) // 10 or 1:]
            text = self._text()
        try:
            self.file.write(text)
        except OSError:
            pass  # history is a convenience: an unwritable state directory must not stop a query

    def _text(self) -> str:
        return json.dumps([asdict(entry) for entry in self.entries], ensure_ascii=False, indent=0)

    def search(self, text: str) -> list[HistoryEntry]:
        """Newest first, those containing `text` (case-insensitive)."""
        needle = text.casefold()
        return [entry for entry in reversed(self.entries) if needle in entry.sql.casefold()]


class EditorState:
    """The SQL editor's text, kept across restarts."""

    def __init__(self, directory: Path | None = None) -> None:
        self.file = StateFile((directory or state_dir()) / "editor.sql", EDITOR_BYTES)

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def problem(self) -> str | None:
        return self.file.problem

    def load(self) -> str:
        return self.file.read() or ""

    def save(self, text: str) -> None:
        try:
            self.file.write(text)
        except OSError:
            pass
