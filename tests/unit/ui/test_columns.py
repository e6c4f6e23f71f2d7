"""Columns dropped by priority at narrow widths, widened by priority when there is room."""

from __future__ import annotations

import pytest

from console.ui.columns import ColumnNeed, fit_columns

OPERATORS = (  # in display order; rank 0 matters most
    ColumnNeed("operator", 20, 24, 0),  # a whole name
    ColumnNeed("msgs", 4, 4, 3),
    ColumnNeed("share", 5, 5, 5),
    ColumnNeed("usual", 5, 5, 7),
    ColumnNeed("move", 8, 8, 2),
    ColumnNeed("dlvd", 5, 5, 6),
    ColumnNeed("rejected", 3, 3, 4),
    ColumnNeed("trend", 19, 19, 1),  # the sparkline and "▲spike"
)


def test_everything_fits_when_wide_and_each_column_gets_its_most() -> None:
    widths = fit_columns(OPERATORS, 200)
    assert list(widths) == [need.name for need in OPERATORS]  # display order kept
    assert widths == {need.name: need.most for need in OPERATORS}


def test_at_80_columns_the_trend_stays_and_the_least_important_go_first() -> None:
    widths = fit_columns(OPERATORS, 76)
    assert "trend" in widths and "operator" in widths and "move" in widths
    assert "usual" not in widths and "dlvd" not in widths  # ranks 7 and 6: the first to go
    assert widths["operator"] >= 20  # the name whole, not cut to make room
    assert sum(widths.values()) + 2 * len(widths) <= 76


def test_a_column_is_dropped_only_when_the_more_important_ones_leave_it_no_room() -> None:
    for width in range(12, 120):
        widths = fit_columns(OPERATORS, width)
        for need in OPERATORS:
            if need.name in widths:
                continue
            before = [n for n in OPERATORS if n.name in widths and n.rank < need.rank]
            assert sum(n.least + 2 for n in before) + need.least + 2 > width, (width, need)


def test_a_narrow_lower_column_may_fill_the_gap_a_wide_one_left() -> None:
    needs = (ColumnNeed("a", 10, 10, 0), ColumnNeed("wide", 20, 20, 1), ColumnNeed("n", 3, 3, 2))
    assert fit_columns(needs, 20, gap=1) == {"a": 10, "n": 3}


def test_spare_room_widens_by_rank() -> None:
    needs = (ColumnNeed("name", 10, 30, 0), ColumnNeed("trend", 6, 12, 1))
    assert fit_columns(needs, 30, gap=2) == {"name": 20, "trend": 6}
    assert fit_columns(needs, 60, gap=2) == {"name": 30, "trend": 12}


def test_the_first_column_is_shown_even_when_nothing_fits() -> None:
    assert fit_columns(OPERATORS, 5) == {"operator": 20}


def test_a_column_must_need_at_least_one_cell() -> None:
    with pytest.raises(ValueError):
        ColumnNeed("x", 0, 3, 0)
    with pytest.raises(ValueError):
        ColumnNeed("x", 5, 3, 0)
