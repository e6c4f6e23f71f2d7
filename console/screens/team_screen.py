"""TeamScreen (the palette's "Team"): the roster — who is online, idle for how long, which
conversation they have open — from the presence every console posts to the relay."""

from __future__ import annotations

from collections.abc import Sequence

from console.screens.text_panel import TextPanel
from console.ui.text import plain


class TeamScreen(TextPanel):
    """Escape or `q` closes it."""

    WIDTH = 72

    def __init__(self, lines: Sequence[str], *, relay: bool) -> None:
        text = "\n".join(lines)
        if not relay:
            text += "\n\nNo relay: the team is not shared (see --relay)."
        super().__init__("Team", plain(text, newlines=True))
