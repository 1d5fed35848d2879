"""Settings from the user's config file: `$XDG_CONFIG_HOME/conflict-explorer/config.toml`.

    [engine]
    memory_limit = "4GB"   # most memory DuckDB may use; bigger work spills to a private folder
    threads = 2

`CONFLICT_EXPLORER_CONFIG` names another file. Command-line flags win over the file. The theme chosen
in the app is kept beside it, in a file of its own (explorer/theme_setting.py): this one is only read.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from explorer.db.catalog import EngineLimits
from explorer.db.errors import ExplorerError

KNOWN_ENGINE_KEYS = {"memory_limit": str, "threads": int}


def config_path() -> Path:
    override = os.environ.get("CONFLICT_EXPLORER_CONFIG")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "conflict-explorer" / "config.toml"


def engine_limits(memory_limit: str | None = None, threads: int | None = None, path: Path | None = None) -> EngineLimits:
    """The engine limits: flags first, then the config file, then the defaults."""
    path = path or config_path()
    settings: dict = {}
    if path.is_file():
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8")).get("engine", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ExplorerError(f"{path}: not a readable TOML config file ({error})") from None
        for key, value in settings.items():
            expected = KNOWN_ENGINE_KEYS.get(key)
            if expected is None:
                raise ExplorerError(f"{path}: unknown setting [engine] {key} (known: {', '.join(KNOWN_ENGINE_KEYS)})")
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ExplorerError(f"{path}: [engine] {key} must be a {expected.__name__}, not {value!r}")
    limits = EngineLimits(
        memory_limit=memory_limit or settings.get("memory_limit", EngineLimits.memory_limit),
        threads=threads if threads is not None else settings.get("threads", EngineLimits.threads),
    )
    if limits.threads < 1:
        raise ExplorerError(f"threads must be at least 1, not {limits.threads}")
    return limits
