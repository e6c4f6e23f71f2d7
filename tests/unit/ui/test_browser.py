"""Opening a link locally only when a browser is in front of the agent."""

from __future__ import annotations

import pytest

from console.ui.browser import Browser, local_browser_expected


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "darwin", True),
        ({}, "win32", True),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "linux", False),  # a headless jump host: webbrowser would start lynx in our tty
        ({"DISPLAY": ":0", "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 50000"}, "linux", False),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", False),
    ],
)
def test_a_local_browser_is_expected_only_in_front_of_the_agent(
    environ: dict[str, str], platform: str, expected: bool
) -> None:
    assert local_browser_expected(environ, platform) is expected


def test_the_browser_opens_only_when_expected_and_reports_failure() -> None:
    opened: list[str] = []

    def opener(url: str) -> bool:
        opened.append(url)
        return True

    assert Browser(opener, environ={}, platform="linux").open("https://x") is False
    assert opened == []
    assert Browser(opener, environ={"DISPLAY": ":0"}, platform="linux").open("https://x")
    assert opened == ["https://x"]

    def broken(url: str) -> bool:
        raise OSError("no browser")

    assert Browser(broken, environ={}, platform="darwin").open("https://x") is False
