"""FeedScreen: placeholder until its issue lands."""

from __future__ import annotations

from console.screens.section import SectionScreen


class FeedScreen(SectionScreen):
    MODE = "feed"
