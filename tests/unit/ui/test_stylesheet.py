"""The console's stylesheet parses the same CSS once while the theme's variables stay, and
everything again when they change (another theme)."""

from __future__ import annotations

import gc
import weakref

from rich.text import Text
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.widget import Widget

from console.ui.stylesheet import ReusingStylesheet

CSS = "Static { color: $accent; } Label { background: $accent; }"


def sheet(accent: str) -> ReusingStylesheet:
    stylesheet = ReusingStylesheet(variables={"accent": accent})
    stylesheet.add_source(CSS, read_from=("test.tcss", ""))
    stylesheet.parse()
    return stylesheet


def colour(stylesheet: ReusingStylesheet) -> str:
    rule = next(r for r in stylesheet.rules if r.selectors == "Static")
    return str(rule.styles.color)


def test_a_reparse_with_the_same_variables_reuses_the_parsed_rules() -> None:
    stylesheet = sheet("#ff0000")
    before = list(stylesheet.rules)
    stylesheet.set_variables({"accent": "#ff0000"})
    stylesheet.reparse()
    assert [id(rule) for rule in stylesheet.rules] == [id(rule) for rule in before]


def test_new_variables_are_parsed_again() -> None:
    stylesheet = sheet("#ff0000")
    red = colour(stylesheet)
    stylesheet.set_variables({"accent": "#0000ff"})
    stylesheet.reparse()
    assert colour(stylesheet) != red
    assert "0, 0, 255" in colour(stylesheet) or "0000ff" in colour(stylesheet).lower()


def test_a_source_added_later_is_parsed_and_the_rest_reused() -> None:
    stylesheet = sheet("#ff0000")
    kept = {id(rule) for rule in stylesheet.rules}
    stylesheet.add_source("Button { color: $accent; }", read_from=("more.tcss", ""))
    stylesheet.reparse()
    ids = [id(rule) for rule in stylesheet.rules]
    assert kept <= set(ids) and len(ids) == len(kept) + 1


class Gauge(Widget):
    """A widget drawn from a component class's styles, as the key bar and the feed are."""

    COMPONENT_CLASSES = {"gauge--needle"}
    DEFAULT_CSS = """
    Gauge { height: 1; }
    Gauge > .gauge--needle { color: $accent; }
    Gauge.-hot > .gauge--needle { color: #ff0000; }
    """

    def render(self) -> Text:
        return Text("▲", style=self.get_component_rich_style("gauge--needle"))


class GaugeApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.stylesheet = ReusingStylesheet(variables=self.get_css_variables())

    def compose(self) -> ComposeResult:
        yield Gauge()


def needle(gauge: Gauge) -> str:
    return str(gauge.get_component_styles("gauge--needle").color)


async def test_a_restyle_keeps_the_component_styles_and_follows_their_rules() -> None:
    """Classes, hover and focus changes restyle a widget: its component classes' styles are
    read again, from the same virtual node (no new cycle of ~100 objects each time), and the
    widget shows what the rules now say: a class's rule, then the theme's colour again."""
    app = GaugeApp()
    async with app.run_test() as pilot:
        gauge = app.query_one(Gauge)
        virtual = gauge.get_component_styles("gauge--needle").node
        calm = needle(gauge)
        gauge.add_class("-hot")
        await pilot.pause()
        assert gauge.get_component_styles("gauge--needle").node is virtual
        assert needle(gauge) != calm and "255, 0, 0" in needle(gauge)
        assert "#ff0000" in str(gauge.render_line(0))
        gauge.remove_class("-hot")
        await pilot.pause()
        assert needle(gauge) == calm
        assert "#ff0000" not in str(gauge.render_line(0))
        # many restyles leave no cyclic garbage of virtual nodes behind
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(20):
                gauge.toggle_class("-hot")
                await pilot.pause()
            gc.collect()
            nodes = [item for item in gc.garbage if type(item) is DOMNode]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        assert nodes == []


async def test_a_theme_change_reaches_the_component_styles() -> None:
    app = GaugeApp()
    async with app.run_test() as pilot:
        gauge = app.query_one(Gauge)
        before = needle(gauge)
        app.theme = "dracula"
        await pilot.pause()
        assert needle(gauge) != before


def test_a_widget_let_go_is_not_kept_by_its_component_styles() -> None:
    """The stylesheet keeps each widget's virtual nodes, which point back at it: a widget let
    go is still freed, or every widget ever restyled (toasts, dialogs' fields) would stay in
    memory for the whole shift."""
    stylesheet = ReusingStylesheet(variables={"accent": "#ff0000"})
    stylesheet.add_source(Gauge.DEFAULT_CSS, read_from=("gauge.tcss", ""))
    stylesheet.parse()
    gauge = Gauge()
    stylesheet.apply(gauge)
    stylesheet.apply(gauge)  # a restyle: the same virtual node
    assert "255, 0, 0" in needle(gauge)
    gone = weakref.ref(gauge)
    del gauge
    gc.collect()
    assert gone() is None
