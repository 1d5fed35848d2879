"""Make the README's SVG screenshots from the real app, headless: `python screenshots/make_screenshots.py`.

Each shot drives the app with the keys an analyst would press, then saves the screen."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from textual.widgets import SelectionList

from explorer.app import ExplorerApp
from explorer.db.catalog import open_catalog

HERE = Path(__file__).resolve().parent


async def settle(app, pilot) -> None:
    for _ in range(5):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def pick_nationality(app, pilot, nationality: str) -> None:
    await pilot.press("t")
    await settle(app, pilot)
    options = app.screen.query_one(SelectionList)
    values = [options.get_option_at_index(index).value for index in range(options.option_count)]
    options.highlighted = values.index(nationality)
    await pilot.press("space", "enter")
    await settle(app, pilot)


async def timeline_iranian(app, pilot) -> None:
    await pick_nationality(app, pilot, "Iranian")
    app.query_one("#chart").focus()
    await pilot.press("home", *["right"] * 58)  # November 2015


async def casualties_khan_tuman(app, pilot) -> None:
    await pilot.press("d", *"2016-05", "tab", *"2016-05", "enter")
    await pick_nationality(app, pilot, "Iranian")
    await pilot.press("3")
    await settle(app, pilot)
    await pilot.press("down", "down")


async def tallies(app, pilot) -> None:
    await pick_nationality(app, pilot, "Iranian")
    await pilot.press("3", "c")
    await settle(app, pilot)
    await pilot.press(*["down"] * 14)


async def actors(app, pilot) -> None:
    await pilot.press("2")
    await settle(app, pilot)
    await pilot.press(*["down"] * 6)


async def pivot(app, pilot) -> None:
    await pilot.press("3", "c", "c", "p")


async def nationality_picker(app, pilot) -> None:
    await pilot.press("t")


async def search_khan_tuman(app, pilot) -> None:
    await pilot.press("3")
    await settle(app, pilot)
    await pilot.press("slash", *"khan", "space", *"tuman", "enter")


async def sql(app, pilot) -> None:
    from textual.widgets import TextArea

    await pilot.press("4")
    await settle(app, pilot)
    editor = app.query_one(TextArea)
    editor.cursor_blink = False
    editor.move_cursor((3, 0))
    await pilot.press("ctrl+j")


async def help_screen(app, pilot) -> None:
    await pilot.press("question_mark")


async def map_aleppo(app, pilot) -> None:
    await pilot.press("5")


SHOTS = {
    "timeline": (timeline_iranian, (120, 40)),
    "timeline-80x24": (timeline_iranian, (80, 24)),
    "casualties": (casualties_khan_tuman, (120, 40)),
    "search": (search_khan_tuman, (100, 30)),
    "tallies": (tallies, (120, 40)),
    "actors": (actors, (120, 40)),
    "pivot": (pivot, (120, 32)),
    "nationality-picker": (nationality_picker, (100, 30)),
    "sql": (sql, (120, 36)),
    "help": (help_screen, (100, 40)),
    "map": (map_aleppo, (120, 36)),
}


async def shoot(name: str) -> Path:
    """One screenshot, with a private state folder so the user's own SQL history never shows."""
    steps, size = SHOTS[name]
    with open_catalog() as catalog:
        app = ExplorerApp(catalog)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await steps(app, pilot)
            await settle(app, pilot)
            return Path(app.save_screenshot(filename=f"{name}.svg", path=str(HERE)))


def main() -> None:
    with tempfile.TemporaryDirectory() as state:
        os.environ["CONFLICT_EXPLORER_STATE_DIR"] = state
        for name in sys.argv[1:] or SHOTS:
            print(asyncio.run(shoot(name)))


if __name__ == "__main__":
    main()
