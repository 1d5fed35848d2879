"""The theme chosen is the theme the next start opens on; the user's config file is never touched."""

from __future__ import annotations

import pytest
from conftest import settle

from explorer.app import ExplorerApp
from explorer.theme_setting import theme_path

CONFIG = """# my settings, with a comment the app must keep
[engine]
threads = 1
"""


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    """A private $XDG_CONFIG_HOME holding a config file of the user's own."""
    home = tmp_path / "config-home"
    monkeypatch.delenv("CONFLICT_EXPLORER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    (home / "conflict-explorer").mkdir(parents=True)
    (home / "conflict-explorer" / "config.toml").write_text(CONFIG, encoding="utf-8")
    return home / "conflict-explorer"


async def test_the_theme_chosen_is_kept_across_restarts(catalog, config_home):
    first = ExplorerApp(catalog)
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert first.theme == "textual-dark"
        first.theme = "textual-light"
        await pilot.pause()
    assert theme_path() == config_home / "theme"
    assert (config_home / "theme").read_text(encoding="utf-8") == "textual-light\n"

    second = ExplorerApp(catalog)
    async with second.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert second.theme == "textual-light"
        assert not second.current_theme.dark
        second.theme = "nord"
        await pilot.pause()

    third = ExplorerApp(catalog)
    assert third.theme == "nord"
    assert (config_home / "config.toml").read_text(encoding="utf-8") == CONFIG
    assert sorted(path.name for path in config_home.iterdir()) == ["config.toml", "theme"], "no temporary file left"


@pytest.mark.parametrize("content", [b"no-such-theme\n", b"\xff\xfe not text", b"nord\n" * 100, b""])
async def test_a_theme_file_the_app_cannot_use_is_ignored(catalog, config_home, content):
    (config_home / "theme").write_bytes(content)
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
    assert (config_home / "theme").read_bytes() == content, "left as it was until a theme is chosen"


async def test_a_theme_that_cannot_be_saved_is_told_and_the_app_goes_on(catalog, config_home):
    (config_home / "theme").mkdir()
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.pause()
        assert app.theme == "nord"
        assert any("The theme cannot be kept for next time" in notice.message for notice in app._notifications)
