"""A Textual stylesheet that does not parse the same CSS twice with the same variables.

Textual 8.2.8 re-parses every stylesheet from scratch (a fresh ``Stylesheet``, an empty
parse cache) whenever a screen brings CSS of its own or a mode's screen is installed
(``App.refresh_css``), although the theme's variables have not changed: before Home's first
frame that was a second tokenisation of all of Textual's and the console's CSS (~8 ms), and
again at each section's first opening. Here a re-parse with the same variables reuses the
rules already parsed for the same CSS; new variables (another theme) parse everything again,
as before. This leans on Textual's internals (pinned: textual==8.2.8); tests/unit/ui/
test_stylesheet.py and the snapshot tests cover it.
"""

from __future__ import annotations

from textual.css.stylesheet import Stylesheet


class ReusingStylesheet(Stylesheet):
    def set_variables(self, variables: dict[str, str]) -> None:
        if variables == self._variables:
            return  # the same theme: what was parsed stays right
        super().set_variables(variables)

    def reparse(self) -> None:
        """Textual's re-parse (into a fresh stylesheet, so an error leaves this one intact),
        starting from the rules already parsed with these variables."""
        fresh = ReusingStylesheet(variables=self._variables)
        fresh._parse_cache = self._parse_cache
        for read_from, (css, is_defaults, tie_breaker, scope) in self.source.items():
            fresh.add_source(
                css,
                read_from=read_from,
                is_default_css=is_defaults,
                tie_breaker=tie_breaker,
                scope=scope,
            )
        try:
            fresh.parse()
        except Exception:
            self._invalid_css.update(fresh._invalid_css)
            raise
        self._rules = fresh.rules
        self._rules_map = None
        self.source = fresh.source
        self._require_parse = False
