"""The console's stylesheet parses the same CSS once while the theme's variables stay, and
everything again when they change (another theme)."""

from __future__ import annotations

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
