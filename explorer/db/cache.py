"""The cache: one DuckDB database per data directory, holding its tables and the counting model.

A private connection that runs only our own SQL builds it once; from then on it is only ever
attached READ_ONLY (see catalog), so nothing typed by a user can change it. It protects itself
twice: DuckDB checksums every block it reads, so a damaged block is an error and never a wrong
number, and every opening checks the whole file against the CRC-32s recorded at build in
`manifest.json`, so a truncated, emptied or damaged file is rebuilt before anything reads it.

It is keyed by each data file's path, size, modification and change times, inode and device: a
file rewritten with its size and modification time put back still has a new change time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from explorer.db.errors import DataDirectoryError

CACHE_FORMAT = 9
"""Bump when what the cache holds or how it is computed changes, so older caches are not read."""
DATABASE = "data.duckdb"
MANIFEST = "manifest.json"
CHUNK_BYTES = 32 << 20
"""The file is checked in chunks of this size, one CRC-32 each, on several threads at once."""
CACHES_KEPT = 16
BUILDING_PREFIX = ".building-"
"""A cache being built: `.building-<key>-<pid>`, renamed into place when complete."""
SPILL_PREFIX = "conflict-explorer-spill-"
PRIVATE_CACHE_PREFIX = "conflict-explorer-cache-"
"""Folders in the temporary directory, `<prefix><pid>-<random>`: removed on close, or by the next start
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
    return hashlib.sha256(json.dumps([CACHE_FORMAT, duckdb.__version__, files]).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CacheFile:
    """The cache database of one data directory, checked and ready to attach read-only."""

    path: Path
    private: bool = False
    """Built in a private temporary folder (the cache folder could not be written): removed on close."""
    note: str | None = None
    """One line for the user when this opening had to rebuild a damaged cache."""

    def discard(self) -> None:
        if self.private:
            shutil.rmtree(self.path.parent, ignore_errors=True)


def _chunk_crcs(path: Path, threads: int) -> list[int]:
    """CRC-32 of each CHUNK_BYTES of the file (zlib releases the GIL, so the chunks go in parallel)."""
    size = path.stat().st_size

    def crc(offset: int) -> int:
        with path.open("rb") as handle:
            handle.seek(offset)
            return zlib.crc32(handle.read(CHUNK_BYTES))

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return list(pool.map(crc, range(0, size, CHUNK_BYTES)))


def _write_manifest(folder: Path, key: str, threads: int) -> None:
    database = folder / DATABASE
    manifest = {"format": CACHE_FORMAT, "key": key, "size": database.stat().st_size,
                "chunk_bytes": CHUNK_BYTES, "crc32": _chunk_crcs(database, threads)}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def check_cache(folder: Path, key: str, threads: int) -> str | None:
    """None if the folder holds this key's complete, undamaged cache; else what is wrong with it."""
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
    try:
        if database.stat().st_size != size:
            return f"its size is {database.stat().st_size:,} bytes, not {size:,}"
        found = _chunk_crcs(database, threads)
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    damaged = next((index for index, (one, other) in enumerate(zip(found, crcs)) if one != other), None)
    if damaged is not None or len(found) != len(crcs):
        return f"its contents changed after byte {(damaged or 0) * CHUNK_BYTES:,}"
    return None


def _process_gone(name: str, prefix: str) -> bool:
    """Whether the process whose id follows `prefix` in `name` has ended."""
    pid = name.removeprefix(prefix).split("-")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_leftovers(root: Path) -> None:
    """Half-built caches and spill folders of processes that were killed: nobody else removes them."""
    places = [(root, BUILDING_PREFIX), (Path(tempfile.gettempdir()), SPILL_PREFIX),
              (Path(tempfile.gettempdir()), PRIVATE_CACHE_PREFIX)]
    for folder, prefix in places:
        try:
            leftovers = [path for path in folder.iterdir() if path.name.startswith(prefix)]
        except OSError:
            continue
        for path in leftovers:
            if prefix == BUILDING_PREFIX:
                gone = _process_gone(path.name.rpartition("-")[2], "")
            else:
                gone = _process_gone(path.name, prefix)
            if gone:
                shutil.rmtree(path, ignore_errors=True)


def private_folder(prefix: str) -> Path:
    """A new folder in the temporary directory, named so that a later start can tell its process has gone."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


def _forget_old_caches(root: Path, keep: Path) -> None:
    """Keep the most recently built caches only (a changed directory leaves its old one behind)."""
    folders = sorted((path for path in root.iterdir() if path.is_dir() and path != keep and not path.name.startswith(".")),
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
    problem = check_cache(folder, key, threads) if folder.exists() else None
    if folder.exists() and problem is None:
        return CacheFile(folder / DATABASE)
    note = f"the cache of this data directory was rebuilt: {problem}" if problem else None
    building = root / f"{BUILDING_PREFIX}{key}-{os.getpid()}"
    try:
        shutil.rmtree(building, ignore_errors=True)
        _build(building, key, build, threads)
    except (OSError, duckdb.IOException):
        shutil.rmtree(building, ignore_errors=True)
        return _open_private(key, build, threads, note)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    try:
        if folder.exists():
            stale = root / f"{BUILDING_PREFIX}stale-{key}-{os.getpid()}"
            folder.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
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
    except (OSError, duckdb.IOException) as error:
        shutil.rmtree(folder, ignore_errors=True)
        reason = error.strerror if isinstance(error, OSError) else str(error).splitlines()[0]
        raise DataDirectoryError(
            f"cannot write the cache ({reason}): set CONFLICT_EXPLORER_CACHE_DIR to a writable folder with free space"
        ) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return CacheFile(folder / DATABASE, private=True, note=note)
