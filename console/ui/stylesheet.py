"""A Textual stylesheet that does not parse the same CSS twice with the same variables.

Textual 8.2.8 re-parses every stylesheet from scratch (a fresh ``Stylesheet``, an empty
parse cache) whenever a screen brings CSS of its own or a mode's screen is installed
(``App.refresh_css``), although the theme's variables have not changed: before Home's first
frame that was a second tokenisation of all of Textual's and the console's CSS (~8 ms), and
again at each section's first opening. Here a re-parse with the same variables reuses the
rules already parsed for the same CSS; new variables (another theme) parse everything again,
as before.

Textual also made a new *virtual node* for each component class of a widget (the key bar's
keys, the reply box's cursor…) at every restyle of that widget, to read the component's
styles from: each a reference cycle of ~100 objects (its styles, bindings, signals) that only
a full collection frees. The console runs those when the agent is idle (ui/gc_pacing.py), so
a shift of section switches left thousands of them set aside (``BENCH_GARBAGE``). Here a
widget keeps its virtual nodes, and a restyle applies the rules to the same ones again; the
widget is refreshed when a component's rules changed, as Textual decides.

This leans on Textual's internals (pinned: textual==8.2.8); tests/unit/ui/test_stylesheet.py
and the snapshot tests cover it.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode


class ReusingStylesheet(Stylesheet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # widget -> its virtual node for each of its component classes
        self._virtual_nodes: WeakKeyDictionary[DOMNode, dict[str, DOMNode]] = WeakKeyDictionary()

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

    def _process_component_classes(self, node: DOMNode) -> None:
        """Textual's, with each component's virtual node kept by its widget (see the module)."""
        component_classes = node._get_component_classes()
        if not component_classes:
            return
        virtuals = self._virtual_nodes.get(node)
        if virtuals is None:
            virtuals = self._virtual_nodes[node] = {}
        old_component_styles = node._component_styles.copy()
        node._component_styles.clear()
        refresh_node = False
        for component in sorted(component_classes):
            virtual_node = virtuals.get(component)
            if virtual_node is None:
                virtual_node = virtuals[component] = DOMNode(classes=component)
                virtual_node._attach(node)
                self.apply(virtual_node, animate=False)
                changed = old_component_styles.get(component) != virtual_node.styles
            else:
                before = virtual_node._css_styles._rules.copy()
                self.apply(virtual_node, animate=False)
                # as RenderStyles compares (a virtual node has no inline rules)
                changed = virtual_node._css_styles._rules != before
            refresh_node = refresh_node or changed
            node._component_styles[component] = virtual_node.styles
        if refresh_node:
            node.refresh()
