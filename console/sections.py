"""The console's sections: one Textual mode each, a key away and in the command palette."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    mode: str
    title: str
    key: str
    summary: str
    status: str


SECTIONS: tuple[Section, ...] = (
    Section("home", "Home", "f1", "Who you are connected as, and what each section does.", "ready"),
    Section(
        "rooms",
        "Rooms",
        "f2",
        "Create video-interaction rooms and text the customer the guest link "
        "with a call reference.",
        "coming: the login and rooms issue",
    ),
    Section(
        "inbox",
        "Inbox",
        "f3",
        "Answer customers on WhatsApp, Viber and SMS in one omnichannel inbox.",
        "coming: the inbox issue",
    ),
    Section(
        "feed",
        "Feed",
        "f4",
        "Watch SMS and chat delivery receipts stream in live.",
        "coming: the feed issue",
    ),
    Section(
        "compose",
        "Compose",
        "f5",
        "Write an SMS and see its encoding (GSM-7 or UCS-2) and segment count as you type.",
        "ready",
    ),
)
SECTION_BY_MODE = {section.mode: section for section in SECTIONS}
