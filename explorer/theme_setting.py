"""The theme the analyst chose (ctrl+p → Change theme), kept across restarts.

It is kept in a file of its own beside the config file, `$XDG_CONFIG_HOME/conflict-explorer/theme`,
so the user's config.toml is never rewritten; the file is replaced atomically. A file that cannot be
read, or names a theme this version does not have, is ignored: the app opens on its default theme.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from explorer.config import config_path
from explorer.db.state import write_atomically

if TYPE_CHECKING:
    from textual.app import App

THEME_BYTES = 256
"""A theme's name is short: a longer file is not one this app wrote."""


def theme_path() -> Path:
    return config_path().with_name("theme")


def saved_theme() -> str | None:
    """The theme saved last, if the file holds one name; None otherwise."""
    try:
        with theme_path().open("rb") as stream:
            data = stream.read(THEME_BYTES + 1)
        name = data.decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if name and len(data) <= THEME_BYTES and "\n" not in name else None


def save_theme(name: str) -> None:
    """Write `name` as the theme to open on, unless it is already the one saved."""
    if saved_theme() != name:
        write_atomically(theme_path(), name + "\n")


def keep_theme(app: App) -> None:
    """Open `app` on the theme saved last, and save every theme chosen from now on."""
    saved = saved_theme()
    if saved in app.available_themes:
        app.theme = saved

    def save(name: str) -> None:
        try:
            save_theme(name)
        except OSError as error:
            app.notify(f"The theme cannot be kept for next time: {theme_path()}: {error.strerror}", severity="warning")

    app.watch(app, "theme", save, init=False)
