"""Shared fixtures: the real built-in dataset, copies of it to damage, and file fingerprints."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from textual.screen import Screen
from textual.widgets import TabbedContent
from textual.worker import WorkerCancelled, WorkerFailed

from explorer.builtin import builtin_data_dir
from explorer.db.catalog import open_catalog

DATA_DIR = builtin_data_dir()
TABLE_FILES = ("events.parquet", "actors.parquet", "casualties.parquet", "forces.parquet")


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


async def settle(pilot) -> None:
    """Wait until the app's workers are done and the screen has caught up."""
    for _ in range(5):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue  # an older filter's refresh, replaced by a newer one
        except WorkerFailed:
            continue  # the app reports a failed worker itself (see explorer/workers.py); tests read its notices
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()  # the tabs' underline follows a label that grew a count
    await pilot.pause()


@contextmanager
def layout_passes() -> Iterator[list[list[str]]]:
    """Every layout pass of a screen while inside (Textual's reflow of every widget's region, not a
    scroll's): for each, the widgets that asked for it, as `Class#id` (or `Class.classes`)."""
    passes: list[list[str]] = []
    reflow = Screen._refresh_layout

    def counted(screen, size=None, scroll=False):
        if not (scroll and not screen._layout_widgets):  # what Textual reflows in full
            asking = set().union(*screen._layout_widgets.values())
            passes.append(sorted(f"{type(w).__name__}#{w.id}" if w.id else f"{type(w).__name__}.{'.'.join(sorted(w.classes))}"
                                 for w in asking))
        return reflow(screen, size, scroll)

    with mock.patch.object(Screen, "_refresh_layout", counted):
        yield passes


def tab_label(app, pane: str) -> str:
    """What the pane's tab says: a count narrower than the widest it has shown keeps that width, in blanks after it."""
    return str(app.query_one(TabbedContent).get_tab(f"tab-{pane}").label).rstrip()


def screen_lines(app, widget) -> list[str]:
    """The widget's lines as the screen shows them (its scroll bar's cells left out)."""
    region = widget.scrollable_content_region
    strips = app.screen._compositor.render_update(full=True).strips
    return ["".join(strip.text for strip in strips[y])[region.x:region.right] for y in range(region.y, region.bottom)]


def shown_text(widget) -> str:
    """The lines a Line API widget draws (its content area), as the screen shows them."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


@pytest.fixture(autouse=True)
def private_state(tmp_path, tmp_path_factory, monkeypatch) -> Path:
    """Query history, editor text and the occurrences cache go to private folders; no user config file is read."""
    state = tmp_path / "state"
    monkeypatch.setenv("CONFLICT_EXPLORER_STATE_DIR", str(state))
    monkeypatch.setenv("CONFLICT_EXPLORER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    return state


@pytest.fixture(scope="session")
def catalog(tmp_path_factory):
    """The built-in dataset, opened once, with its occurrences cache in a private folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFLICT_EXPLORER_CACHE_DIR", str(tmp_path_factory.mktemp("session-cache")))
        opened = open_catalog()
    with opened:
        yield opened


@pytest.fixture
def con(catalog):
    return catalog.cursor()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the built-in data directory's Parquet files."""
    target = tmp_path / "data"
    target.mkdir()
    for name in TABLE_FILES:
        shutil.copy2(DATA_DIR / name, target / name)
    return target
