"""The standalone sandbox's demo key: a file only its user reads, found by that user's
consoles on the same machine, by nobody else."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from console.sandbox.keyfile import (
    key_file,
    remove_shared_key,
    shared_demo_key,
    shared_key_dir,
    write_shared_key,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture(autouse=True)
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "runtime"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


def test_a_console_of_the_same_user_finds_the_key_for_a_loopback_url(runtime: Path) -> None:
    path = write_shared_key("http://127.0.0.1:8800", "sandbox", "sandbox_key123")
    assert path == runtime / "agent-console" / "sandbox-8800.key.json"
    assert shared_demo_key("http://127.0.0.1:8800") == "sandbox_key123"
    assert shared_demo_key("http://localhost:8800/") == "sandbox_key123"
    assert shared_demo_key("http://[::1]:8800") == "sandbox_key123"
    assert shared_demo_key("http://127.0.0.1:8801") is None  # another port: another sandbox


def test_a_url_of_another_machine_never_gets_the_local_key() -> None:
    write_shared_key("http://127.0.0.1:8800", "sandbox", "sandbox_key123")
    assert shared_demo_key("http://sandbox.example.com:8800") is None
    assert shared_demo_key("http://10.0.0.7:8800") is None
    assert shared_demo_key("not a url") is None


@posix_only
def test_the_file_and_its_folder_are_private_whatever_the_umask() -> None:
    previous = os.umask(0o022)
    try:
        path = write_shared_key("http://127.0.0.1:8800", "sandbox", "k" * 20)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["apiKey"] == "k" * 20


@posix_only
def test_a_file_others_could_read_is_not_trusted() -> None:
    path = write_shared_key("http://127.0.0.1:8800", "sandbox", "k" * 20)
    os.chmod(path, 0o644)
    assert shared_demo_key("http://127.0.0.1:8800") is None


def test_the_key_of_a_sandbox_that_is_gone_is_not_used() -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    path = write_shared_key("http://127.0.0.1:8800", "sandbox", "k" * 20)
    data = json.loads(path.read_text()) | {"pid": int(done.stdout)}
    path.write_text(json.dumps(data))
    assert shared_demo_key("http://127.0.0.1:8800") is None


def test_stopping_removes_only_its_own_file() -> None:
    path = write_shared_key("http://127.0.0.1:8800", "sandbox", "k" * 20)
    remove_shared_key(path)
    assert not path.exists()
    path = write_shared_key("http://127.0.0.1:8800", "sandbox", "k" * 20)
    path.write_text(json.dumps(json.loads(path.read_text()) | {"pid": 1}))  # a newer sandbox
    remove_shared_key(path)
    assert path.exists()


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="platformdirs runtime folder")
def test_without_a_runtime_folder_the_config_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG_DIR", str(tmp_path / "config"))
    assert shared_key_dir() == tmp_path / "config"  # never a guessable /tmp/runtime-<uid>
    assert key_file(8800) == tmp_path / "config" / "sandbox-8800.key.json"
