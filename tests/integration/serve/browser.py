"""Driving the served console in Debian's headless Chromium, and reading what it shows.

The terminal in the page draws on a canvas, so the screen is read from the console's own
output: a script injected before the page loads records what the page's websocket
receives, and pyte (a terminal emulator) turns that stream into rows of text. Keys go to
the page's `textarea.xterm-helper-textarea`, as a person's typing does.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyte

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 1280, 800

# Runs in every page before its own scripts: keep what the terminal's websocket receives.
RECORD_OUTPUT = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder("utf-8");
  window.__consoleOutput = [];
  window.__consoleInput = [];
  window.WebSocket = class extends Native {
    send(data) {
      window.__consoleInput.push(data);
      return super.send(data);
    }
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") {
          window.__consoleOutput.push(decoder.decode(new Uint8Array(event.data), {stream: true}));
        }
      });
    }
  };
})();
"""


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        return (
            f"Chromium is not installed ({', '.join(missing)} missing): "
            "apt-get install -y chromium chromium-driver (.ci/run does this)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    return None


def start_chromium(profile: Path) -> WebDriver:
    """Headless Chromium through the system chromedriver: no browser or driver download."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--user-data-dir={profile}",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--proxy-server=direct://",
        "--proxy-bypass-list=*",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), env=_loopback_env())
    return webdriver.Chrome(service=service, options=options)


def open_page(driver: WebDriver, url: str) -> None:
    """Open ``url`` in the current tab, recording what its websocket receives (the script
    is registered per tab: each tab is its own DevTools target)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_OUTPUT})
    driver.get(url)


def _loopback_env() -> dict[str, str]:
    """chromedriver's environment without proxies: it and the tests talk on loopback."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }


@dataclass
class Screen:
    """What the console in the current tab shows, rebuilt from its output stream."""

    driver: WebDriver
    # Larger than the page's terminal: Textual places every line itself, nothing wraps.
    _emulator: pyte.Screen = field(default_factory=lambda: pyte.Screen(400, 120), repr=False)
    _stream: pyte.Stream = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._stream = pyte.Stream(self._emulator)

    def _take_output(self) -> int:
        """Feed what arrived since the last call to the emulator; how many chunks it was."""
        chunks: list[str] = self.driver.execute_script(
            "return (window.__consoleOutput || []).splice(0)"
        )
        for chunk in chunks:
            self._stream.feed(chunk)
        return len(chunks)

    def lines(self) -> list[str]:
        self._take_output()
        return [line.rstrip() for line in self._emulator.display]

    def press(self, *keys: str, timeout: float = 10.0) -> None:
        """Type each key and wait until the console answers it (redraws something), as a
        person waits to see the focus move before typing on."""
        for key in keys:
            self._take_output()
            type_keys(self.driver, key)
            wait_until(self._take_output, timeout, f"the console to answer {key!r}")

    def text(self) -> str:
        return "\n".join(self.lines())

    def caret(self) -> tuple[int, int]:
        """(column, row) of the caret: Textual keeps the terminal's cursor on the focused
        input's caret (the page hides it and draws its own)."""
        self._take_output()
        return self._emulator.cursor.x, self._emulator.cursor.y

    def wait_for_caret_in(self, title: str, timeout: float = 10.0) -> None:
        """Wait until the caret is in the box whose border shows ``title``."""

        def inside() -> bool:
            lines = self.lines()
            column, row = self.caret()
            tops = [y for y, line in enumerate(lines) if f"╭─ {title}" in line]
            return any(row == top + 1 and column < len(lines[top]) for top in tops)

        wait_until(inside, timeout, f"the caret in the {title!r} box:\n{self.text()}")

    def wait_for(
        self, pattern: str, timeout: float = 30.0, where: Callable[[str], str] | None = None
    ) -> re.Match[str]:
        """Wait until the screen shows ``pattern`` (a regular expression); return the match."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.text()
            match = re.search(pattern, where(shown) if where else shown)
            if match:
                return match
            if time.monotonic() > deadline:
                sent = self.driver.execute_script("return window.__consoleInput || []")
                raise AssertionError(
                    f"the screen never showed {pattern!r}; it shows:\n{shown}\n"
                    f"the page sent: {sent}"
                )
            time.sleep(0.1)


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail saying ``what`` if never."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return result


def type_keys(driver: WebDriver, *keys: str) -> None:
    """Type into the terminal as a person would: into xterm.js's hidden textarea, focused,
    through the keyboard (ChromeDriver 150 refuses `send_keys` on the textarea itself: xterm.js
    keeps it out of sight, so it is not "interactable")."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    area = driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea")
    driver.execute_script("arguments[0].focus()", area)
    actions = ActionChains(driver)
    held: list[str] = []
    for key in keys:
        if key in MODIFIERS:  # held down for the rest of the call, as element.send_keys does
            actions.key_down(key)
            held.append(key)
        else:
            actions.send_keys(key)
    for key in reversed(held):
        actions.key_up(key)
    actions.perform()


MODIFIERS = ("\ue008", "\ue009", "\ue00a", "\ue03d")  # shift, control, alt, meta


def requested_urls(driver: WebDriver) -> Iterator[str]:
    """Every URL the browser asked for since the last call (Chrome's performance log)."""
    for url, _headers in requests_sent(driver):
        yield url


def requests_sent(driver: WebDriver) -> Iterator[tuple[str, dict[str, str]]]:
    """(URL, headers) of every request the browser made since the last call; a websocket's
    headers are empty (Chrome logs them apart)."""
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            yield params["request"]["url"], params["request"].get("headers", {})
        elif method == "Network.webSocketCreated":
            yield params["url"], {}


def leaves_loopback(url: str) -> bool:
    """True for a URL that would reach anything but 127.0.0.1 (data: URLs reach nothing, nor
    do the browser's own pages: Chromium 150 loads its new-tab page's parts as
    chrome-untrusted:// when a tab closes, whatever the page was)."""
    if inside_the_browser(url):
        return False
    return urlsplit(url).hostname != "127.0.0.1"


def inside_the_browser(url: str) -> bool:
    """The browser's own pages and data, which reach no server: Chromium 150 asks its favicon
    service (chrome://favicon2/?pageUrl=…) about the page, and loads its new-tab page's parts
    when a tab closes."""
    return urlsplit(url).scheme in ("data", "blob", "about", "chrome", "chrome-untrusted")
