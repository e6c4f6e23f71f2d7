"""Which columns of a table fit a width, and how wide each is, by priority: the least
important go first, instead of the table running off the screen or every column being cut.

Pure (no Textual): a screen says what each column needs, at least and at most, and how much
it matters; `fit_columns` answers for the width it has. The Shield's operators (the trend
stays at 80 columns) and Tools' webhooks use it; the feed has its own (console/feed/columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ColumnNeed:
    """A column as a table wants it: `least` cells for it to be worth showing, up to `most`
    when there is room; `rank` 0 matters most (never dropped while it fits alone)."""

    name: str
    least: int
    most: int
    rank: int

    def __post_init__(self) -> None:
        if self.least < 1 or self.most < self.least:
            raise ValueError(f"column {self.name!r}: need 1 <= least <= most")


def fit_columns(needs: Sequence[ColumnNeed], width: int, gap: int = 2) -> dict[str, int]:
    """The columns shown in `width` cells (each followed by `gap` cells of padding), in the
    order given, with their widths.

    Columns are taken by rank, each at its least; one that does not fit is dropped, and a
    narrower one of lower rank may still fit. What room is left then widens the shown
    columns toward their most, again by rank. The most important column is always shown,
    at its least even when that is wider than `width` (the table scrolls then).
    """
    by_rank = sorted(needs, key=lambda need: need.rank)
    chosen: dict[str, int] = {}
    used = 0
    for need in by_rank:
        cost = need.least + gap
        if used + cost <= width or not chosen:
            chosen[need.name] = need.least
            used += cost
    spare = max(width - used, 0)
    for need in by_rank:
        if need.name in chosen and spare > 0:
            grow = min(need.most - need.least, spare)
            chosen[need.name] += grow
            spare -= grow
    return {need.name: chosen[need.name] for need in needs if need.name in chosen}
