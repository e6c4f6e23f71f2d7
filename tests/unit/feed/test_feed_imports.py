"""The feed's model is UI-free: usable (and tested) without Textual or the API layer."""

from __future__ import annotations

import subprocess
import sys


def test_the_feed_model_needs_neither_textual_nor_the_api() -> None:
    code = (
        "import sys\n"
        "import console.feed.rows, console.feed.view, console.feed.query\n"
        "import console.feed.rate, console.feed.columns, console.feed.export\n"
        "print(sorted(m for m in ('textual', 'console.api', 'httpx') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
