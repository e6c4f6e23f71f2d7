"""Every key binding of the console has an id (remappable in [keymap]) and a tooltip."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding

import console.screens
import console.widgets
from console.app import AgentConsole


def binding_owners() -> list[type]:
    owners: list[type] = [AgentConsole]
    for package in (console.screens, console.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and "BINDINGS" in vars(cls):
                    owners.append(cls)
    return owners


def test_every_binding_has_an_id_and_a_tooltip() -> None:
    found = []
    for owner in binding_owners():
        for binding in vars(owner)["BINDINGS"]:
            assert isinstance(binding, Binding), f"{owner.__name__}: use Binding(...)"
            found.append(binding)
            assert binding.id, f"{owner.__name__} {binding.key}: no id"
            assert binding.tooltip, f"{owner.__name__} {binding.id}: no tooltip"
    ids = [binding.id for binding in found]
    assert len(ids) == len(set(ids)), "binding ids are unique"
    assert {"section.home", "section.compose", "compose.send", "sent.copy_umid"} <= set(ids)
