"""The relay's agents file: a token is shown once and kept only as a salted hash; the relay
knows each agent by their own token and follows the file when it changes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from console.live.agents import (
    AgentDirectory,
    AgentsError,
    add_agent,
    read_agents,
    remove_agent,
)


def test_add_agent_returns_a_token_the_file_does_not_hold(tmp_path: Path) -> None:
    path = tmp_path / "relay" / "agents.toml"
    token = add_agent(path, "ana")
    other = add_agent(path, "bob")
    text = path.read_text()
    assert token not in text and other not in text
    assert len(token) >= 40 and token != other  # 256 random bits each
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in read_agents(path)] == ["ana", "bob"]
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_an_existing_name_is_refused_unless_rotated_and_then_the_old_token_stops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "agents.toml"
    first = add_agent(path, "ana")
    with pytest.raises(AgentsError, match="already has a token; --rotate"):
        add_agent(path, "ana")
    with pytest.raises(AgentsError, match="differ in case"):
        add_agent(path, "ANA", rotate=True)
    second = add_agent(path, " ana ", rotate=True)  # names are trimmed, as the inbox shows them
    directory = AgentDirectory(path)
    assert directory.agent_for(second.encode()) == "ana"
    assert directory.agent_for(first.encode()) is None
    assert directory.names == ("ana",)


def test_a_token_names_its_agent_and_nothing_else_does(tmp_path: Path) -> None:
    path = tmp_path / "agents.toml"
    tokens = {name: add_agent(path, name) for name in ("ana", "bob", "Zoë Quinn")}
    directory = AgentDirectory(path)
    for name, token in tokens.items():
        assert directory.agent_for(token.encode()) == name
    for wrong in (None, b"", tokens["ana"][:-1].encode(), tokens["ana"].encode() + b"x"):
        assert directory.agent_for(wrong) is None


def test_the_directory_follows_the_file_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = tmp_path / "agents.toml"
    ana = add_agent(path, "ana")
    now = [0.0]
    directory = AgentDirectory(path, clock=lambda: now[0])
    bob = add_agent(path, "bob")  # another process adds an agent
    assert directory.agent_for(bob.encode()) is None  # checked at most once a second
    now[0] += 1.5
    assert directory.agent_for(bob.encode()) == "bob"
    assert remove_agent(path, "bob") and not remove_agent(path, "bob")
    directory.reload()  # SIGHUP
    assert directory.agent_for(bob.encode()) is None
    path.write_text("[[agent]\nbroken")  # a hand edit gone wrong keeps the agents last read
    os.chmod(path, 0o600)
    now[0] += 1.5
    assert directory.agent_for(ana.encode()) == "ana"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[[agent]]\nname = 'ana'\n", "hex 'salt' and 'sha256'"),
        ('[[agent]]\nname = "a\\u001bb"\nsalt = "aa"\nsha256 = "bb"\n', "control characters"),
        ("[[agent]]\nname = 'ana'\nsalt = 'aa'\nsha256 = 'bb'\n", "32 bytes"),
        ("token = 'plain'\n", "unknown table or key 'token'"),
        ("agent = 3\n", "array of tables"),
        ("[[agent]\n", "not valid TOML"),
    ],
)
def test_an_unusable_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "agents.toml"
    path.write_text(text)
    os.chmod(path, 0o600)
    with pytest.raises(AgentsError, match=reason):
        AgentDirectory(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_file_others_may_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "agents.toml"
    add_agent(path, "ana")
    os.chmod(path, 0o666)
    with pytest.raises(AgentsError, match="others may write"):
        read_agents(path)


@pytest.mark.parametrize("name", ["", "   ", "a\x1b[2Jb", "x" * 65])
def test_a_bad_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(AgentsError, match="Agent name"):
        add_agent(tmp_path / "agents.toml", name)
    assert not (tmp_path / "agents.toml").exists()
