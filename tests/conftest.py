"""Shared fixtures: a stable environment, and never the user's real config or data."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# A 2-core CI machine running servers beside the tests: time limits per example would
# fail on load, not on bugs. Property failures still fail, and print how to reproduce.
settings.register_profile(
    "agent-console",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("agent-console")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (addopts): one and a half workers per core. Most of the suite waits on real
    servers, subprocesses and pseudo-terminals rather than computing, so a third worker on
    2 cores took the suite from 4 min 56 s to 3 min 41 s with every test passing."""
    return max(2, round((os.cpu_count() or 1) * 1.5))


@pytest.fixture(autouse=True, scope="session")
def _stable_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fixed timezone and locale; config and data in temp folders; no real API key."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    os.environ["TZ"] = "UTC"
    os.environ["LC_ALL"] = "C.UTF-8"
    os.environ["AGENT_CONSOLE_CONFIG"] = str(home / "config.toml")
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_RUNTIME_DIR"] = str(home / "runtime")  # sandbox key files
    for name in ("CPAAS_API_KEY", "CPAAS_SUBACCOUNT", "CPAAS_REGION"):
        os.environ.pop(name, None)
    if hasattr(time, "tzset"):
        time.tzset()
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def use_keyring() -> Iterator[Callable[..., object]]:
    """Install a keyring backend for one test (`use_keyring(backend)`; none given: keyring's
    fail backend, a headless machine) and put the machine's own back afterwards. Without the
    optional keyring package the console has no keyring at all (headless too), and a test
    that needs a working backend is skipped."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:

        def absent(backend: object | None = None) -> object:
            if backend is not None:
                pytest.skip("the keyring package is not installed (pip install -e '.[keyring]')")
            return None

        yield absent
        return
    original = keyring.get_keyring()

    def use(backend: object | None = None) -> object:
        chosen = backend if backend is not None else fail.Keyring()
        keyring.set_keyring(chosen)  # type: ignore[arg-type]
        return chosen

    use()
    yield use
    keyring.set_keyring(original)
