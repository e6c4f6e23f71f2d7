"""Regenerate screenshots/browser.png: the console served to headless Chromium.

    python scripts/browser_screenshot.py

Needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)
and the test extra (selenium, pyte). Runs `agent-console serve` on a free loopback port on
the seeded embedded sandbox, opens the composer and types a UCS-2 draft; the key shown is
the embedded sandbox's demo key, masked.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "serve"))

from browser import Screen, chromium_missing, open_page, start_chromium, type_keys  # noqa: E402
from serve_helpers import serve  # noqa: E402

DRAFT = "Здравствуйте! Ваш заказ A-1182 готов, курьер будет сегодня с 14:00 до 16:00."


def main() -> int:
    reason = chromium_missing()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    out = ROOT / "screenshots" / "browser.png"
    with tempfile.TemporaryDirectory() as scratch:
        data, profile = Path(scratch, "data"), Path(scratch, "profile")
        with serve("--seed", "7", "--data-dir", str(data)) as served:
            driver = start_chromium(profile)
            try:
                open_page(driver, served.url)
                screen = Screen(driver)
                screen.wait_for(r"sandbox.*•{6}\S+ · events live")
                screen.press("\ue035")  # F5: the composer
                screen.wait_for(r"GSM-7 · 0 segments")
                type_keys(driver, *["\t"] * 4)
                screen.wait_for_caret_in("Message")
                type_keys(driver, DRAFT)
                screen.wait_for(r"UCS-2 · 2 segments")
                out.write_bytes(driver.get_screenshot_as_png())
            finally:
                driver.quit()
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
