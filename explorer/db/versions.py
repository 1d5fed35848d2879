"""Which version of each dataset a data directory holds, so that a view spec or an export can say what it was made from.

An imported directory records each import in `imports.json`: its dataset, the version its export declares
(UCDP: `GED 25.1`; ACLED: the latest change of its rows) and the input file's SHA-256. A directory without
one (the built-in data, a hand-made one) is versioned by a checksum of its Parquet files' bytes: a checksum
tells a changed file from an unchanged one where size and time do not. One in object storage is versioned by
its objects' ETags, the store's own checksums (see remote).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from explorer.db.remote import RemoteDirectory

MANIFEST = "imports.json"
CHECKSUM_DIGITS = 12
FILES_VERSION = "files"
"""The key of a directory's only version when it has no `imports.json`: it covers every dataset in it."""


@dataclass(frozen=True)
class DatasetImport:
    """One dataset's latest import into a directory, as `imports.json` records it."""

    dataset: str
    importer: str
    version: str | None
    sha256: str
    file: str
    imported_at: str

    @property
    def label(self) -> str:
        """The version as a spec writes it: the export's own, else the input file's checksum."""
        return self.version or f"sha256 {self.sha256[:CHECKSUM_DIGITS]}"


def dataset_imports(data_dir: Path | RemoteDirectory) -> dict[str, DatasetImport]:
    """Each dataset's latest import (a later import of a dataset updates the earlier one); empty without a manifest,
    or when it cannot be read (the versions then fall back to the checksum)."""
    try:
        if isinstance(data_dir, RemoteDirectory):
            if data_dir.manifest is None:
                return {}
            entries = json.loads(data_dir.manifest)
        else:
            entries = json.loads((data_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, DatasetImport] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("dataset"), str):
            found[entry["dataset"]] = DatasetImport(
                entry["dataset"], str(entry.get("importer") or ""), entry.get("version") if isinstance(entry.get("version"), str) else None,
                str(entry.get("sha256") or ""), str(entry.get("file") or ""), str(entry.get("imported_at") or ""))
    return found


_checksums: dict[tuple, str] = {}


def files_checksum(data_dir: Path) -> str:
    """A short SHA-256 of every Parquet file's name and bytes under `data_dir`, in name order (computed once per
    set of files, as their names, sizes and times stand)."""
    files = sorted(path for path in data_dir.rglob("*.parquet") if path.is_file())
    key = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)
    if key not in _checksums:
        digest = hashlib.sha256()
        for path in files:
            digest.update(str(path.relative_to(data_dir)).encode("utf-8") + b"\0")
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        _checksums[key] = digest.hexdigest()[:CHECKSUM_DIGITS]
    return _checksums[key]


def dataset_versions(data_dir: Path | RemoteDirectory) -> dict[str, str]:
    """Dataset → version: from `imports.json`, else one checksum of the files under the key `files`."""
    imports = dataset_imports(data_dir)
    if imports:
        return {name: found.label for name, found in sorted(imports.items())}
    if isinstance(data_dir, RemoteDirectory):
        return {FILES_VERSION: data_dir.checksum()[:CHECKSUM_DIGITS]}
    return {FILES_VERSION: files_checksum(data_dir)}


def version_of(versions: dict[str, str], dataset: str) -> str | None:
    """A dataset's version, or the directory's checksum where there is no per-dataset one."""
    return versions.get(dataset) or versions.get(FILES_VERSION)


def changed_versions(then: dict[str, str], now: dict[str, str]) -> list[str]:
    """What differs between the versions a spec recorded and the directory's now, one phrase per dataset."""
    changes = []
    for name in sorted(set(then) | set(now)):
        before, after = then.get(name), now.get(name)
        if before == after:
            continue
        if before is None:
            changes.append(f"{name} {after} added")
        elif after is None:
            changes.append(f"{name} {before} no longer there")
        else:
            changes.append(f"{name} was {before}, is {after}")
    return changes
