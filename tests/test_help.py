"""The help screen at 80x24: a description that wraps goes on under itself, never under the keys."""

from __future__ import annotations

from conftest import settle, shown_text

from explorer.app import ExplorerApp
from explorer.widgets.screens import KEY_COLUMN, HelpScreen


async def test_wrapped_help_lines_stay_under_their_description(catalog):
    app = ExplorerApp(catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = shown_text(app.screen.query_one("#help-text")).splitlines()
        titles = {title for title, _ in app.help_sections()}
        description_column = KEY_COLUMN + 2
        continued = 0
        for line in lines[1:]:
            if not line.strip() or line.rstrip() in titles:
                continue
            assert line[:description_column].strip() or line[description_column:].startswith(line.strip()), line
            if not line[:description_column].strip():
                continued += 1
        assert continued, "at 80 columns some descriptions wrap"
        imprecise = next(index for index, line in enumerate(lines) if "show or leave out imprecise rows" in line)
        assert lines[imprecise].index("show") == description_column
        assert lines[imprecise + 1].index(lines[imprecise + 1].strip()) == description_column
        for key, description in app.help_sections()[0][1]:
            first_words = description.split()[0]
            assert any(line.lstrip().startswith(key) and first_words in line for line in lines), key
