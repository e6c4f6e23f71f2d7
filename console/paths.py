"""Where things live on disk: config, data, and the TCSS shipped with the package."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "agent-console"


def config_dir() -> Path:
    """The per-user config folder (platformdirs), overridable with AGENT_CONSOLE_CONFIG_DIR."""
    override = os.environ.get("AGENT_CONSOLE_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    """The TOML settings file; AGENT_CONSOLE_CONFIG overrides its path (tests use it)."""
    override = os.environ.get("AGENT_CONSOLE_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


def canned_file() -> Path:
    """The inbox's canned responses (TOML), beside the settings file."""
    return config_file().parent / "canned.toml"


def data_dir() -> Path:
    """The per-user data folder where the history lives."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def styles_path(name: str) -> Path:
    """A TCSS file from the wheel (console/styles) or, in a checkout, from styles/."""
    packaged = Path(__file__).parent / "styles" / name
    if packaged.exists():
        return packaged
    return Path(__file__).parent.parent / "styles" / name
