"""The console's sections: one Textual mode each, a key away, in the command palette and on
the home screen. A section is listed here once it works; adding one is one line.

A section's actions are palette commands too, named "<Section>: <action>": `commands` lists
(action title, help, action name on the section's screen); the App opens the section first.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class Section:
    mode: str
    title: str
    key: str
    summary: str
    screen: str  # "module:Class", imported when the section is first opened
    commands: tuple[tuple[str, str, str], ...] = ()  # (title, help, screen action)

    def make_screen(self) -> Screen[None]:
        """A new screen for this section (its module is imported on first use)."""
        module, _, name = self.screen.partition(":")
        screen: Screen[None] = getattr(importlib.import_module(module), name)()
        return screen


SECTIONS: tuple[Section, ...] = (
    Section(
        "home",
        "Home",
        "f1",
        "What you are connected to, as whom, and what each section does.",
        "console.screens.home:HomeScreen",
    ),
    Section(
        "rooms",
        "Rooms",
        "f2",
        "Open a video room for the customer on the phone: guest link, SMS invite, call logs.",
        "console.screens.rooms:RoomsScreen",
        (
            ("create room", "Create a video room from the form", "create"),
            ("copy guest link", "Copy the current room's guest link", "copy_guest_link"),
            ("open agent link", "Open the current room as the agent", "open_agent_link"),
            ("suggest a call reference", "Fill in a generated call reference", "suggest"),
            ("call logs", "Show the call logs of the selected room", "call_logs"),
        ),
    ),
    Section(
        "inbox",
        "Inbox",
        "f3",
        "Customers' WhatsApp, Viber and SMS conversations, shared with your team: take, "
        "reply, resolve, snooze, label, note.",
        "console.screens.inbox:InboxScreen",
        (
            ("take", "Assign the conversation to you", "take"),
            ("assign", "Give the conversation to a colleague", "assign"),
            ("unassign", "Put the conversation back in Unassigned", "unassign"),
            ("resolve", "Mark the conversation resolved", "resolve"),
            ("reopen", "Open the conversation again", "reopen"),
            ("snooze", "Hide it until a time; it comes back by itself", "snooze"),
            ("label", "Add or remove labels", "label"),
            ("private note", "Write a note only the team sees", "note"),
            ("next conversation with activity", "Open the next unread conversation", "next"),
            ("search", "Search names, numbers, labels and every message", "search"),
            ("filter by channel", "Show one channel, or all", "channel_filter"),
            ("filter by status", "Open, pending, snoozed, resolved or any", "status_filter"),
            ("filter by label", "Show one label, or any", "label_filter"),
            (
                "customer",
                "Show or hide the customer beside the thread: other channels, rooms, last sends",
                "toggle_context",
            ),
            (
                "WhatsApp template",
                "Send one of the account's templates (after WhatsApp's 24-hour window, the only "
                "message that reaches the customer)",
                "template",
            ),
            (
                "edit canned responses",
                "The /shortcode texts of replies (canned.toml)",
                "edit_canned",
            ),
        ),
    ),
    Section(
        "feed",
        "Feed",
        "f4",
        "Delivery statuses as they arrive: one row per message, counters, filters, export.",
        "console.screens.feed:FeedScreen",
        (
            (
                "pause or follow",
                "Stay on the current row, or follow the newest again",
                "toggle_follow",
            ),
            ("numbers in full or masked", "Destination numbers in the rows", "toggle_reveal"),
            (
                "filter",
                "status:, channel:, to:, batch:, since:, until:, a umid or reference",
                "focus_filter",
            ),
            ("clear the filter", "Show every message", "clear_filter"),
            (
                "show failures",
                "Undelivered, rejected and failed messages",
                "use_filter('status:undelivered,rejected,failed')",
            ),
            (
                "show messages with no final receipt",
                "Still queued or sent after 48 hours",
                "use_filter('status:nofinal')",
            ),
            ("show the last hour", "Messages sent in the last hour", "use_filter('since:1h')"),
            ("open the timeline", "Every receipt of the selected message; ask 8x8", "open"),
            ("copy the umid", "The selected message's umid", "copy_umid"),
            ("export CSV", "The messages the filter shows, numbers masked", "export(False)"),
            ("export CSV with full numbers", "The messages the filter shows", "export(True)"),
        ),
    ),
    Section(
        "compose",
        "Compose",
        "f5",
        "Write an SMS and see its encoding (GSM-7 or UCS-2) and segment count as you type.",
        "console.screens.compose:ComposeScreen",
    ),
    Section(
        "shield",
        "Shield",
        "f7",
        "Omni Shield: operator and country share, spikes, code-99 rejections, suspensions.",
        "console.screens.shield:ShieldScreen",
    ),
    Section(
        "tools",
        "Tools",
        "f8",
        "The account's webhooks (point them at your relay and prove it), balance and prices.",
        "console.screens.tools:ToolsScreen",
    ),
)
SECTION_BY_MODE = {section.mode: section for section in SECTIONS}
