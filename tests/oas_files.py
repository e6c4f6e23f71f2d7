"""Where 8x8's OpenAPI files are: tests/oas, in the repository (see tests/oas/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OAS_DIR = Path(__file__).resolve().parent / "oas"


def load_spec(name: str) -> dict[str, Any]:
    """One of 8x8's OpenAPI files, parsed (a missing file is an error, never a skip)."""
    return json.loads((OAS_DIR / name).read_text(encoding="utf-8"))
