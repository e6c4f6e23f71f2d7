"""Writing the console's choices into config.toml: the user's comments and settings stay."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.config import SettingsError, load_settings
from console.configfile import set_top_level, toml_value, update_config_file

USERS_FILE = """\
# my console
region = "europe"   # we are in Dublin
start = "sandbox"  # first run
subaccount = "acme_support"
note = "see #42" # a hash in a string

# keys I like
[keymap]
"section.compose" = "ctrl+o"

[history]
max_age_days = 30
"""


def test_a_key_is_replaced_in_place_with_its_comment() -> None:
    result = set_top_level(USERS_FILE, {"start": "login"})
    assert 'start = "login"  # first run\n' in result
    assert result.replace('start = "login"', 'start = "sandbox"') == USERS_FILE
    assert tomllib.loads(result)["start"] == "login"


def test_a_new_key_goes_above_the_first_table_and_its_comment() -> None:
    text = USERS_FILE.replace('start = "sandbox"  # first run\n', "")
    result = set_top_level(text, {"start": "login"})
    lines = result.splitlines()
    assert lines.index('start = "login"') < lines.index("# keys I like")
    parsed = tomllib.loads(result)
    assert parsed["start"] == "login" and parsed["keymap"] == {"section.compose": "ctrl+o"}
    assert "# we are in Dublin" in result


def test_an_empty_or_table_only_file_gets_the_key() -> None:
    assert set_top_level("", {"start": "login"}) == 'start = "login"\n'
    assert tomllib.loads(set_top_level("[history]\nmax_age_days = 3", {"start": "login"})) == {
        "start": "login",
        "history": {"max_age_days": 3},
    }
    assert set_top_level('region = "asia"', {"start": "login"}) == (
        'region = "asia"\nstart = "login"\n'
    )


def test_a_key_that_only_appears_inside_a_table_is_added_at_the_top_level() -> None:
    result = set_top_level('[other]\nstart = "x"\n', {"start": "login"})
    assert tomllib.loads(result) == {"start": "login", "other": {"start": "x"}}


def test_a_file_that_is_not_toml_or_cannot_be_edited_safely_is_left_alone() -> None:
    with pytest.raises(SettingsError, match="not valid TOML"):
        set_top_level("start = ", {"start": "login"})
    tricky = 'note = """\nstart = "sandbox"\n"""\n'
    with pytest.raises(SettingsError):
        set_top_level(tricky, {"start": "login"})
    with pytest.raises(SettingsError):
        set_top_level("", {"a.b": "x"})


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_any_string_value_round_trips(value: str) -> None:
    assert tomllib.loads(f"v = {toml_value(value)}")["v"] == value
    assert tomllib.loads(set_top_level(USERS_FILE, {"start": value}))["start"] == value


def test_a_lone_surrogate_is_written_as_the_replacement_character() -> None:
    literal = toml_value("a\ud800b")
    assert tomllib.loads("v = " + literal)["v"] == "a\ufffdb"


def test_the_file_is_written_atomically_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "config.toml"
    update_config_file(path, {"start": "login"})
    assert path.read_text() == 'start = "login"\n'
    assert os.stat(path).st_mode & 0o777 == 0o600
    path.write_text(USERS_FILE)
    os.chmod(path, 0o640)
    update_config_file(path, {"start": "login"})
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]
    assert load_settings({}, {}, tomllib.loads(path.read_text())).start == "login"


def test_a_broken_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("start = \n# half-edited\n")
    with pytest.raises(SettingsError):
        update_config_file(path, {"start": "login"})
    assert path.read_text() == "start = \n# half-edited\n"


def test_the_start_choice_is_read_and_checked() -> None:
    assert load_settings({}, {}, {}).start == "sandbox"
    assert load_settings({}, {}, {}).login_first is False
    assert load_settings({}, {}, {"start": "login"}).login_first is True
    keyed = load_settings({}, {"CPAAS_API_KEY": "k" * 20, "CPAAS_SUBACCOUNT": "acme"}, {})
    assert not keyed.is_sandbox
    assert load_settings({}, {"CPAAS_API_KEY": "k" * 20}, {"start": "login", "subaccount": "a1b"})
    with pytest.raises(SettingsError, match="start must be"):
        load_settings({}, {}, {"start": "prompt"})
