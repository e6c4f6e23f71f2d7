"""Every key discoverable at 80 columns: the key bar never cuts a word and keeps F9 and `?`;
`?` lists the section's keys and the global ones from the bindings in force (a [keymap]
remap shows)."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import console_for, open_section, screen_text, wait_for

from console.screens.feed import FeedScreen
from console.screens.keys_screen import KeysScreen
from console.screens.rooms import RoomsScreen
from console.screens.shield import ShieldScreen
from console.screens.tools import ToolsScreen
from console.ui.key_fit import SHORT
from console.widgets.key_bar import KeyBar


def bottom_line(app) -> str:  # type: ignore[no-untyped-def]
    return screen_text(app).splitlines()[-1]


async def test_at_80_columns_every_section_keeps_whole_words_f9_and_the_palette(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for key, screen_type in (
            ("f2", RoomsScreen), ("f4", FeedScreen), ("f7", ShieldScreen), ("f8", ToolsScreen),
        ):  # fmt: skip
            await open_section(app, pilot, key, screen_type)
            await pilot.pause()
            line = bottom_line(app)
            assert "…" not in line and "▏" not in line, line
            assert line.rstrip().endswith("f9 Log out  ^p Palette"), line
            allowed = {"Keys", "Log out", "Palette", *SHORT.values()}
            allowed |= {a.binding.description for a in app.screen.active_bindings.values()}
            for segment in filter(None, (part.strip() for part in line.split("  "))):
                _, label = segment.split(" ", 1)
                assert label in allowed, f"{label!r} is a whole label: {line!r}"
        assert "^y Copy link" in bottom_line(app) or "p Relay" in bottom_line(app)


async def test_question_mark_lists_the_sections_keys_and_the_global_ones_remapped(
    sandbox_url: str, tmp_path: Path
) -> None:
    app = console_for(sandbox_url, data_dir=tmp_path, keymap={"feed.export": "e"})
    async with app.run_test(size=(160, 48)) as pilot:
        await open_section(app, pilot, "f4", FeedScreen)
        await pilot.pause()
        line = bottom_line(app)
        assert " e Export CSV " in line, "the key bar shows the remapped key"
        assert " f1 Home " in line and " f7 Shield " in line, "at 160 columns, the sections"
        assert " f4 Feed " not in line, "not the section already open"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen))
        text = str(app.screen.query_one("#panel-text").render())
        assert "Export CSV — Export the messages" in text
        assert "\ne " in text.split("Everywhere")[0], "the remapped key is listed"
        assert "Scroll Left" not in text, "only the console's keys, not every widget's"
        everywhere = text.split("Everywhere")[1]
        for line in ("f9", "Log out", "f5", "Compose", "Quit", "?"):
            assert line in everywhere, line
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedScreen))
        assert app.screen.query_one(KeyBar)
