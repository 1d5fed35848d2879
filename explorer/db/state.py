"""The analyst's own state: query history and the SQL editor's text, in the XDG state directory.

Every write goes to a temporary file that is renamed over the old one, so a crash never
leaves a half-written file. A file that cannot be read (not JSON, wrong types, not UTF-8,
far too big) never stops the app: it is moved aside under a new name, never overwritten,
and `problem` says so once. `CONFLICT_EXPLORER_STATE_DIR` overrides the location.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    """Write through a temporary file renamed over the old one. A link is followed (the file it points to
    is replaced, the link stays), and the file keeps its permissions."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold `path`.lock while reading and writing `path`: two apps never interleave their changes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass  # no locks here (another system, or a file system without them): last writer wins
        yield


def set_aside(path: Path) -> Path:
    """Rename an unreadable state file to `NAME.unreadable-N` (the first N free), so nothing overwrites it."""
    number = 1
    while (aside := path.with_name(f"{path.name}.unreadable-{number}")).exists() or aside.is_symlink():
        number += 1
    path.rename(aside)
    return aside


@dataclass
class StateFile:
    """One state file: read, set aside if unreadable, and never written over while it holds what could not be read."""

    path: Path
    limit: int
    problem: str | None = None
    """Why the file could not be used, when it could not (to be told once)."""
    untouchable: bool = False
    """The unreadable file could not be moved aside, so it is never written over."""

    def read(self) -> str | None:
        """The file's text if it is a regular file of UTF-8 within `limit` bytes; else None, and it is set aside
        (a folder is left where it is). Never more than `limit` bytes are read: it may be a link to /dev/zero."""
        try:
            status = self.path.stat()
            if stat.S_ISDIR(status.st_mode):
                self.problem, self.untouchable = f"{self.path} is a folder, not a file: it is left as it is", True
                return None
            if not stat.S_ISREG(status.st_mode):
                reason = "it is not a regular file"
            elif status.st_size > self.limit:
                reason = f"it is larger than {self.limit >> 10:,} KB"
            else:
                with self.path.open("rb") as stream:
                    data = stream.read(self.limit + 1)
                if len(data) > self.limit:
                    reason = f"it is larger than {self.limit >> 10:,} KB"
                else:
                    return data.decode("utf-8")
        except FileNotFoundError:
            if self.path.is_symlink():
                reason = "it is a link to nothing"
            else:
                return None
        except UnicodeDecodeError:
            reason = "it is not UTF-8 text"
        except OSError as error:
            self.problem, self.untouchable = f"{self.path} cannot be read ({error.strerror}): it is left as it is", True
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


def _is_text(value: object) -> bool:
    """A string that can be written as UTF-8 (JSON may hold lone surrogates, which cannot)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _history_entry(raw: object) -> HistoryEntry | None:
    """An entry as written by `add`, or None for anything else."""
    if not isinstance(raw, dict) or set(raw) != {"sql", "ran_at", "rows", "error", "elapsed"}:
        return None
    number = (int, float)
    valid = (_is_text(raw["sql"]) and isinstance(raw["ran_at"], number) and isinstance(raw["elapsed"], number)
             and (raw["rows"] is None or isinstance(raw["rows"], int)) and (raw["error"] is None or _is_text(raw["error"]))
             and not any(isinstance(raw[key], bool) for key in ("ran_at", "elapsed", "rows")))
    return HistoryEntry(**raw) if valid else None


class _KeptInStateFile:
    """What keeps its state in one StateFile: where, and why it could not be used (to be told once)."""

    file: StateFile

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def problem(self) -> str | None:
        return self.file.problem


class QueryHistory(_KeptInStateFile):
    """Every query run, newest last; kept to the last HISTORY_LIMIT queries and HISTORY_BYTES.

    Each addition reads the file again under a lock and appends to what is there, so two apps
    open at once both keep their queries."""

    def __init__(self, directory: Path | None = None) -> None:
        self.file = StateFile((directory or state_dir()) / "history.json", HISTORY_BYTES * 2)
        self.entries: list[HistoryEntry] = self._load()

    def _load(self) -> list[HistoryEntry]:
        return self._read() or []

    def _read(self) -> list[HistoryEntry] | None:
        """The file's entries; None when there is no file or it could not be used (then it is set aside,
        keeping its good entries in the list returned by `_load`)."""
        text = self.file.read()
        if text is None:
            return None
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            raw = None
        entries = [_history_entry(item) for item in raw] if isinstance(raw, list) else [None]
        good = [entry for entry in entries if entry is not None][-HISTORY_LIMIT:]
        if None in entries:
            self.file.set_aside("it is not a history this app wrote")
        return good

    def add(self, sql: str, rows: int | None, error: str | None, elapsed: float) -> None:
        sql = sql.strip()
        if len(sql.encode("utf-8", errors="replace")) > QUERY_BYTES or not _is_text(sql):
            return
        entry = HistoryEntry(sql, time.time(), rows, error if error is None or _is_text(error) else "(unprintable error)",
                             round(elapsed, 4))
        try:
            with locked(self.path):
                on_disk = self._read() if not self.file.untouchable else None
                self.entries = [*(on_disk if on_disk is not None else self.entries), entry][-HISTORY_LIMIT:]
                text = self._text()
                while len(text.encode("utf-8")) > HISTORY_BYTES and len(self.entries) > 1:
                    self.entries = self.entries[len(self.entries) // 10 or 1:]
                    text = self._text()
                self.file.write(text)
        except OSError:
            pass  # history is a convenience: an unwritable state directory must not stop a query

    def _text(self) -> str:
        return json.dumps([asdict(entry) for entry in self.entries], ensure_ascii=False, indent=0)

    def search(self, text: str) -> list[HistoryEntry]:
        """Newest first, those containing `text` (case-insensitive)."""
        needle = text.casefold()
        return [entry for entry in reversed(self.entries) if needle in entry.sql.casefold()]


class EditorState(_KeptInStateFile):
    """The SQL editor's text, kept across restarts."""

    def __init__(self, directory: Path | None = None) -> None:
        self.file = StateFile((directory or state_dir()) / "editor.sql", EDITOR_BYTES)

    def load(self) -> str:
        return self.file.read() or ""

    def save(self, text: str) -> str | None:
        """None once saved; else why it could not be (the editor keeps the text)."""
        if self.file.untouchable:
            return f"the editor's text cannot be saved: {self.file.problem}"
        try:
            self.file.write(text)
        except OSError as error:
            return f"the editor's text cannot be saved to {self.path} ({error.strerror})"
        return None
