"""The cache: one DuckDB database per data directory, holding its tables and the counting model.

A private connection that runs only our own SQL builds it once; from then on it is only ever
attached READ_ONLY (see catalog), so nothing typed by a user can change it. It protects itself
twice. DuckDB checksums every block it reads, so a damaged block is an error and never a wrong
number. And the file is checked against what was recorded at build in `manifest.json`: at
opening, its size, its first chunk (DuckDB's headers) and that no write-ahead log lies beside
it, so a truncated, emptied or replaced file is rebuilt before anything reads it; then, in a
thread while the app starts (reading the whole file takes a second at 10 million rows), the
CRC-32 of every chunk. A cache found damaged, by that check or by DuckDB, is marked so, and
the next opening rebuilds it.

It is keyed by each data file's path, size, modification and change times, inode and device: a
file rewritten with its size and modification time put back still has a new change time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from explorer.db import dimensions
from explorer.db.errors import DataDirectoryError

CACHE_FORMAT = 15
"""Bump when what the cache holds or how it is computed changes, so older caches are not read."""
DATABASE = "data.duckdb"
MANIFEST = "manifest.json"
CHUNK_BYTES = 1 << 20
"""The file is checked in chunks of this size, one CRC-32 each, on several threads at once."""
CACHES_KEPT = 16
KEY_LENGTH = 24
BUILDING_PREFIX = ".building-"
"""A cache being built: `.building-<key>-<tag>-<pid>` (see `owner_name`), renamed into place when complete."""
SPILL_PREFIX = "conflict-explorer-spill-"
PRIVATE_CACHE_PREFIX = "conflict-explorer-cache-"
"""Folders in the temporary directory, `<prefix><tag>-<pid>-<random>`: removed on close, or by the next start
once their process has gone."""


def cache_root() -> Path:
    """`$CONFLICT_EXPLORER_CACHE_DIR`, else `$XDG_CACHE_HOME/conflict-explorer` (default ~/.cache)."""
    override = os.environ.get("CONFLICT_EXPLORER_CACHE_DIR")
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "conflict-explorer"


def cache_key(paths: list[Path]) -> str:
    """What identifies the data files' current contents without reading them."""
    files = []
    for path in paths:
        stat = path.stat()
        files.append([str(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev])
    return hashlib.sha256(json.dumps([CACHE_FORMAT, dimensions.fingerprint(), duckdb.__version__, files]).encode()).hexdigest()[:KEY_LENGTH]


@dataclass(frozen=True)
class CacheFile:
    """The cache database of one data directory, checked and ready to attach read-only."""

    path: Path
    private: bool = False
    """Built in a private temporary folder (the cache folder could not be written): removed on close."""
    note: str | None = None
    """One line for the user when this opening had to rebuild a damaged cache."""
    check: WholeFileCheck | None = None
    """The check of the whole file, running, when the cache was already built (a new one was checked as built)."""

    def discard(self) -> None:
        if self.private:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def damaged(self, problem: str) -> None:
        """DuckDB found a damaged block in this cache: the next opening rebuilds it."""
        if self.check is not None:
            self.check.damaged(problem)
        elif not self.private:
            mark_damaged(self.path.parent, problem)


def _chunk_crcs(path: Path, threads: int, first_only: bool = False) -> list[int]:
    """CRC-32 of each CHUNK_BYTES of the file (zlib releases the GIL, so the chunks go in parallel)."""
    size = path.stat().st_size

    def crc(offset: int) -> int:
        with path.open("rb") as handle:
            handle.seek(offset)
            return zlib.crc32(handle.read(CHUNK_BYTES))

    offsets = range(0, min(size, CHUNK_BYTES) if first_only else size, CHUNK_BYTES)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return list(pool.map(crc, offsets))


def _write_manifest(folder: Path, key: str, threads: int) -> None:
    database = folder / DATABASE
    manifest = {"format": CACHE_FORMAT, "key": key, "size": database.stat().st_size,
                "chunk_bytes": CHUNK_BYTES, "crc32": _chunk_crcs(database, threads)}
    (folder / MANIFEST).write_text(json.dumps(manifest))


DAMAGED = "DAMAGED"
"""Written in a cache folder found damaged while in use, with what was found: the next opening rebuilds it."""
DAMAGE_MESSAGES = ("Corrupt database file", "Could not read enough bytes", "not a valid DuckDB database file")
"""How DuckDB says that a block of a database file is damaged."""


def is_damage(error: BaseException) -> bool:
    """Whether an error (DuckDB's, or ours carrying its message) says a block of the cache is damaged."""
    return any(message in str(error) for message in DAMAGE_MESSAGES)


def mark_damaged(folder: Path, problem: str) -> None:
    """Make the next opening rebuild this cache (the engine that has it open goes on reading its file)."""
    try:
        (folder / DAMAGED).write_text(problem)
        (folder / MANIFEST).unlink(missing_ok=True)
    except OSError:
        pass  # a cache folder that cannot be written: its manifest stays, and DuckDB's checksums still refuse damage


def check_cache(folder: Path, key: str, threads: int, whole: bool = True) -> str | None:
    """None if the folder holds this key's complete, undamaged cache; else what is wrong with it.
    Unless `whole`, only the first chunk is read (see the module's docstring)."""
    try:
        return f"{(folder / DAMAGED).read_text().strip() or 'it was damaged'} (found while it was in use)"
    except OSError:
        pass
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        expected = (manifest["format"], manifest["key"], manifest["chunk_bytes"])
        size, crcs = int(manifest["size"]), list(manifest["crc32"])
    except FileNotFoundError:
        return "it was not complete"
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return "its manifest is unreadable"
    if expected != (CACHE_FORMAT, key, CHUNK_BYTES):
        return "its manifest belongs to another cache"
    database = folder / DATABASE
    if (folder / f"{DATABASE}.wal").exists():
        return "a write-ahead log appeared beside it (DuckDB would replay it)"
    try:
        if not database.is_file():
            return "it is not a file"
        if database.stat().st_size != size:
            return f"its size is {database.stat().st_size:,} bytes, not {size:,}"
        found = _chunk_crcs(database, threads, first_only=not whole)
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    damaged = next((index for index, (one, other) in enumerate(zip(found, crcs)) if one != other), None)
    if damaged is not None or (whole and len(found) != len(crcs)):
        return f"its contents changed after byte {(damaged or 0) * CHUNK_BYTES:,}"
    return None


class WholeFileCheck:
    """The CRC-32 of every chunk of an opened cache, checked in a thread of its own; a damaged cache is marked."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder, self.key = folder, key
        self.problem: str | None = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []
        threading.Thread(target=self._run, name="cache-check", daemon=True).start()

    def _run(self) -> None:
        problem = check_cache(self.folder, self.key, threads=1)
        if problem is not None:
            self.damaged(problem)
        self.done.set()

    def damaged(self, problem: str) -> None:
        """Mark the cache damaged (found by this check, or by DuckDB reading a block) and tell the listeners."""
        with self._lock:
            first = self.problem is None
            self.problem = self.problem or problem
            listeners = list(self._listeners) if first else []
        if first:
            mark_damaged(self.folder, problem)
        for listener in listeners:
            listener(problem)

    def when_damaged(self, listener: Callable[[str], None]) -> None:
        """Call `listener(problem)` once the cache is found damaged (at once if it already is)."""
        with self._lock:
            if self.problem is None:
                self._listeners.append(listener)
                return
        listener(self.problem)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _process_tag() -> str:
    """This machine and process-id namespace, in 8 characters: a process id means something only within them
    (a cache or temporary folder may be shared by containers, or by machines over NFS)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return hashlib.sha256(f"{socket.gethostname()}/{namespace}".encode()).hexdigest()[:8]


PROCESS_TAG = _process_tag()
FOREIGN_LEFTOVER_SECONDS = 24 * 3600
"""A leftover of a process we cannot see (another machine or namespace) is removed once untouched this long."""


def owner_name() -> str:
    """What names a folder's owner: `<tag>-<pid>`."""
    return f"{PROCESS_TAG}-{os.getpid()}"


def _owner_gone(folder: Path, tag: str, pid: str) -> bool:
    """Whether the process that made `folder` has ended: asked of the system when it is ours to see,
    else judged by the folder having been left untouched for a day."""
    if tag != PROCESS_TAG or not pid.isdigit():
        try:
            newest = max([folder.stat().st_mtime] + [entry.stat().st_mtime for entry in folder.iterdir()])
        except OSError:
            return False
        return time.time() - newest > FOREIGN_LEFTOVER_SECONDS
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_leftovers(root: Path) -> None:
    """Half-built caches and spill folders of processes that were killed: nobody else removes them.
    Names end `-<tag>-<pid>` (builds) or go on `-<tag>-<pid>-<random>` (temporary folders)."""
    temporary = Path(tempfile.gettempdir())
    places = [(root, BUILDING_PREFIX), (temporary, SPILL_PREFIX), (temporary, PRIVATE_CACHE_PREFIX)]
    for folder, prefix in places:
        try:
            leftovers = [path for path in folder.iterdir() if path.name.startswith(prefix) and path.is_dir()]
        except OSError:
            continue
        for path in leftovers:
            parts = path.name.split("-")
            tag, pid = (parts[-2], parts[-1]) if prefix == BUILDING_PREFIX else (parts[-3], parts[-2])
            if len(parts) >= 3 and _owner_gone(path, tag, pid):
                shutil.rmtree(path, ignore_errors=True)


def private_folder(prefix: str) -> Path:
    """A new folder in the temporary directory, named so that a later start can tell its process has gone."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{owner_name()}-"))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _is_cache_folder(path: Path) -> bool:
    """One of our caches, by its name (a key) and its contents: the cache folder may be one the user also uses."""
    return (len(path.name) == KEY_LENGTH and all(char in "0123456789abcdef" for char in path.name) and path.is_dir()
            and any((path / name).exists() for name in (MANIFEST, DATABASE, "occurrences.parquet")))


def _forget_old_caches(root: Path, keep: Path) -> None:
    """Keep the most recently built caches only (a changed directory leaves its old one behind)."""
    folders = sorted((path for path in root.iterdir() if path != keep and _is_cache_folder(path)),
                     key=lambda path: path.stat().st_mtime, reverse=True)
    for stale in folders[CACHES_KEPT - 1:]:
        shutil.rmtree(stale, ignore_errors=True)


Builder = Callable[[Path], None]
"""Writes the cache database at the path it is given (see catalog)."""


def _build(folder: Path, key: str, build: Builder, threads: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    build(folder / DATABASE)
    _write_manifest(folder, key, threads)


def open_cache(key: str, build: Builder, threads: int) -> CacheFile:
    """This key's cache, checked; built first when missing, and rebuilt when it fails the check.

    A build goes to a folder of its own, renamed into place when complete, so a killed build or
    two processes building at once never leave a half-written cache where it would be read."""
    root = cache_root()
    remove_leftovers(root)
    folder = root / key
    problem = check_cache(folder, key, threads, whole=False) if folder.exists() else None
    if folder.exists() and problem is None:
        return CacheFile(folder / DATABASE, check=WholeFileCheck(folder, key))
    note = f"the cache of this data directory was rebuilt: {problem}" if problem else None
    building = root / f"{BUILDING_PREFIX}{key}-{owner_name()}"
    try:
        str(root).encode("utf-8")  # DuckDB cannot open a path that is not UTF-8
        shutil.rmtree(building, ignore_errors=True)
        _build(building, key, build, threads)
    except (OSError, UnicodeError, duckdb.IOException, duckdb.FatalException) as error:
        shutil.rmtree(building, ignore_errors=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else _first_line(error)
        unwritable = f"the cache folder {root} cannot be written ({reason}): this session builds a private cache"
        return _open_private(key, build, threads, f"{note}; {unwritable}" if note else unwritable)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    try:
        if folder.exists():
            stale = root / f"{BUILDING_PREFIX}stale-{key}-{owner_name()}"
            folder.rename(stale)
            _remove(stale)
        building.rename(folder)
    except OSError:  # another process put its own build in place meanwhile
        shutil.rmtree(building, ignore_errors=True)
        if check_cache(folder, key, threads) is not None:
            return _open_private(key, build, threads, note)
    try:
        _forget_old_caches(root, keep=folder)
    except OSError:
        pass  # another process may be forgetting the same folders
    return CacheFile(folder / DATABASE, note=note)


def _open_private(key: str, build: Builder, threads: int, note: str | None) -> CacheFile:
    """The cache folder cannot be written (a read-only home, a full disk): build one for this session only."""
    try:
        folder = private_folder(PRIVATE_CACHE_PREFIX)
    except OSError as error:
        raise DataDirectoryError(
            f"cannot write the cache anywhere ({error.strerror}): set CONFLICT_EXPLORER_CACHE_DIR to a writable folder"
        ) from None
    try:
        _build(folder, key, build, threads)
    except (OSError, duckdb.IOException, duckdb.FatalException) as error:
        shutil.rmtree(folder, ignore_errors=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else _first_line(error)
        hint = ("" if isinstance(error, duckdb.IOException) and "space" not in reason.lower()
                else ": set CONFLICT_EXPLORER_CACHE_DIR to a writable folder with free space")
        raise DataDirectoryError(f"cannot build the cache ({reason}){hint}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return CacheFile(folder / DATABASE, private=True, note=note)
