"""The analyst's own state: query history and the SQL editor's text, in the XDG state directory.

Every write goes to a temporary file that is renamed over the old one, so a crash never
leaves a half-written file. `CONFLICT_EXPLORER_STATE_DIR` overrides the location.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HISTORY_LIMIT = 1000


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


@dataclass(frozen=True)
class HistoryEntry:
    sql: str
    ran_at: float
    rows: int | None
    error: str | None
    elapsed: float


class QueryHistory:
    """Every query run, newest last; kept to the last HISTORY_LIMIT."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or state_dir()) / "history.json"
        self.entries: list[HistoryEntry] = self._load()

    def _load(self) -> list[HistoryEntry]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [HistoryEntry(**entry) for entry in raw]
        except (OSError, ValueError, TypeError):
            return []

    def add(self, sql: str, rows: int | None, error: str | None, elapsed: float) -> None:
        self.entries.append(HistoryEntry(sql.strip(), time.time(), rows, error, round(elapsed, 4)))
        self.entries = self.entries[-HISTORY_LIMIT:]
        try:
            write_atomically(self.path, json.dumps([asdict(entry) for entry in self.entries], ensure_ascii=False, indent=0))
        except OSError:
            pass  # history is a convenience: an unwritable state directory must not stop a query

    def search(self, text: str) -> list[HistoryEntry]:
        """Newest first, those containing `text` (case-insensitive)."""
        needle = text.casefold()
        return [entry for entry in reversed(self.entries) if needle in entry.sql.casefold()]


class EditorState:
    """The SQL editor's text, kept across restarts."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or state_dir()) / "editor.sql"

    def load(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def save(self, text: str) -> None:
        try:
            write_atomically(self.path, text)
        except OSError:
            pass
