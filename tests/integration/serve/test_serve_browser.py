"""The console in a real browser: Debian's headless Chromium, driven by selenium.

The page's terminal draws on a canvas; `browser.Screen` reads what it shows from the
console's output stream, and keys are typed into the page as a person types them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from browser import (
    Screen,
    inside_the_browser,
    leaves_loopback,
    open_page,
    requested_urls,
    requests_sent,
    type_keys,
    wait_until,
)
from serve_helpers import Served, alive, consoles_and_sandboxes, wait_until_gone

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.slow

# The header once logged in: the sandbox, and the key masked to its last characters.
LOGGED_IN = r"sandbox.*•{6}\S{2,6}"
UCS2_TEXT = "Здравствуйте, ваш заказ готов"  # Cyrillic: UCS-2, 29 characters, 1 segment


@contextmanager
def tab(driver: WebDriver, url: str) -> Iterator[Screen]:
    """The page open in a new browser tab, closed (as a person closes it) at the end."""
    home = driver.current_window_handle
    driver.switch_to.new_window("tab")
    open_page(driver, url)
    try:
        yield Screen(driver)
    finally:
        driver.close()
        driver.switch_to.window(home)


def test_in_a_browser_the_console_logs_in_composes_and_quits_without_leaving_loopback(
    served: Served, chromium: WebDriver
) -> None:
    list(requested_urls(chromium))  # only what this page asks for from here on
    with tab(chromium, served.url) as screen:
        header = screen.wait_for(LOGGED_IN, where=lambda text: text.splitlines()[0])
        assert "starting" not in header.group(0)
        assert chromium.title == "agent-console"

        screen.press("\ue035")  # F5: the composer
        screen.wait_for(r"GSM-7 · 0 segments")
        type_keys(chromium, *["\t"] * 4)  # To → Country → Ref → Encoding → Message
        # A key goes to the widget focused when it arrives: type once the caret is there.
        screen.wait_for_caret_in("Message")
        type_keys(chromium, UCS2_TEXT)
        screen.wait_for(rf"(?m)^\W*{re.escape(UCS2_TEXT)}")
        meter = screen.wait_for(r"UCS-2 · (\d+) segments? · (\d+)/(\d+)")
        assert meter.groups() == ("1", "29", "70")

        consoles, sandboxes = consoles_and_sandboxes(served.pid)
        type_keys(chromium, "\ue009", "q")  # ctrl+q: quit, as in a terminal
        wait_until(
            lambda: chromium.execute_script("return document.body.classList.contains('-closed')"),
            timeout=20,
            what="the page to say the session ended",
        )
        assert "Session ended." in chromium.find_element("css selector", ".closed-dialog").text
        wait_until_gone(consoles | sandboxes, timeout=20)

        sent = list(requests_sent(chromium))
    urls = [url for url, _headers in sent]
    assert [url for url in urls if leaves_loopback(url)] == []
    # The secret went only where it opens something: the page and its websocket. No
    # request for a font, an image or a script carried it (no Referer: the page forbids it).
    carried = [
        url
        for url, headers in sent
        if served.secret in url + json.dumps(headers) and not inside_the_browser(url)
    ]
    assert carried and all(url.startswith((served.url, served.websocket())) for url in carried)
    # The check saw the page's real traffic: the font from this server, and the websocket.
    assert any(url.endswith("/static/fonts/RobotoMono-VariableFont_wght.ttf") for url in urls)
    assert any(url.startswith(served.websocket() + "?") for url in urls)


def test_in_a_browser_the_address_without_the_secret_opens_nothing(
    served: Served, chromium: WebDriver
) -> None:
    with tab(chromium, served.origin + "/") as page:
        # Chromium 150 may hand back the tab before the answer is in it (an empty <pre>).
        wait_until(
            lambda: "link that agent-console serve printed" in chromium.page_source,
            timeout=10,
            what="the page to say the address needs the link serve printed",
        )
        assert chromium.execute_script("return document.getElementById('terminal')") is None
        assert page.lines() == [""] * len(page.lines()), "no console drew anything"
    assert consoles_and_sandboxes(served.pid) == (set(), set())


def test_each_tab_runs_its_own_console_and_closing_it_ends_console_and_sandbox(
    served: Served, chromium: WebDriver
) -> None:
    with tab(chromium, served.url) as first:
        first.wait_for(LOGGED_IN)
        first_console, first_sandbox = consoles_and_sandboxes(served.pid)
        assert len(first_console) == 1 and len(first_sandbox) == 1
        with tab(chromium, served.url) as second:
            second.wait_for(LOGGED_IN)
            consoles, sandboxes = consoles_and_sandboxes(served.pid)
            second_tab = (consoles - first_console) | (sandboxes - first_sandbox)
            assert len(second_tab) == 2, "a console and a sandbox of its own"
        # The second tab is closed: its console and sandbox end; the first tab's live on.
        wait_until_gone(second_tab, timeout=20)
        assert all(alive(pid) for pid in first_console | first_sandbox)
        first.press("\ue031")  # F2: the first tab still answers
    wait_until_gone(first_console | first_sandbox, timeout=20)
    assert consoles_and_sandboxes(served.pid) == (set(), set())
    assert alive(served.pid), "serve goes on serving"
