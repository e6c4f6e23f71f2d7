"""Settings precedence and validation: flags > environment > TOML > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.config import (
    REGIONS,
    Endpoints,
    SettingsError,
    load_settings,
    mask_key,
    normalize_region,
    read_config_file,
)


def test_defaults_start_the_embedded_sandbox() -> None:
    settings = load_settings({}, {}, {})
    assert settings.embedded_sandbox
    assert settings.mode_label == "sandbox"
    assert settings.region == "asia"


def test_flags_beat_environment_beat_toml() -> None:
    toml = {"api_key": "toml-key", "subaccount": "toml-sub", "region": "europe"}
    env = {"CPAAS_API_KEY": "env-key", "CPAAS_SUBACCOUNT": "env-sub"}
    flags = {"subaccount": "flag-sub"}
    settings = load_settings(flags, env, toml)
    assert settings.api_key == "env-key"
    assert settings.subaccount == "flag-sub"
    assert settings.region == "europe"
    assert not settings.embedded_sandbox
    assert settings.mode_label == "Europe"


def test_environment_region_beats_toml_and_flag_beats_environment() -> None:
    base = {"CPAAS_API_KEY": "k" * 20, "CPAAS_SUBACCOUNT": "acme"}
    assert load_settings({}, {**base, "CPAAS_REGION": "na"}, {"region": "eu"}).region == (
        "north-america"
    )
    flags = {"region": "indonesia"}
    assert load_settings(flags, {**base, "CPAAS_REGION": "na"}, {}).region == "indonesia"


@pytest.mark.parametrize(
    ("region", "sms", "chatapps"),
    [
        ("asia", "https://sms.8x8.com", "https://chatapps.8x8.com"),
        ("europe", "https://sms.8x8.uk", "https://chatapps.8x8.uk"),
        ("north-america", "https://sms.us.8x8.com", "https://chatapps.us.8x8.com"),
        ("indonesia", "https://sms.8x8.id", "https://chatapps.8x8.id"),
    ],
)
def test_regional_hosts_follow_8x8(region: str, sms: str, chatapps: str) -> None:
    endpoints = Endpoints.for_region(region)
    assert (endpoints.sms, endpoints.chatapps) == (sms, chatapps)
    assert endpoints.video == "https://video-agent.8x8.com"


def test_sandbox_serves_every_product_under_a_prefix() -> None:
    endpoints = Endpoints.for_server("http://127.0.0.1:8800/")
    assert endpoints.sms == "http://127.0.0.1:8800/sms"
    assert endpoints.chatapps == "http://127.0.0.1:8800/chatapps"
    assert endpoints.video == "http://127.0.0.1:8800/video"


def test_unknown_region_names_the_choices() -> None:
    with pytest.raises(SettingsError, match="asia, europe, north-america, indonesia"):
        normalize_region("mars")
    assert set(REGIONS) == {"asia", "europe", "north-america", "indonesia"}


def test_a_key_without_a_subaccount_is_refused_with_the_fix() -> None:
    with pytest.raises(SettingsError, match="CPAAS_SUBACCOUNT"):
        load_settings({}, {"CPAAS_API_KEY": "secret"}, {})


@pytest.mark.parametrize("bad", ["ab", "has space", "x" * 51, "semi;colon"])
def test_bad_subaccount_is_refused(bad: str) -> None:
    with pytest.raises(SettingsError, match="Sub-account"):
        load_settings({"subaccount": bad}, {}, {})


def test_server_must_be_a_url() -> None:
    with pytest.raises(SettingsError, match=r"http://127\.0\.0\.1:8800"):
        load_settings({"server": "localhost:8800"}, {}, {})
    settings = load_settings({"server": "http://127.0.0.1:8800/"}, {}, {})
    assert settings.server == "http://127.0.0.1:8800"
    assert not settings.embedded_sandbox


def test_mask_key_shows_only_the_last_six() -> None:
    assert mask_key("abcdefghijklmnop") == "••••••klmnop"
    assert "abcdefghij" not in mask_key("abcdefghijklmnop")
    assert mask_key(None) == "(no key)"
    assert mask_key("short") == "••••••rt"


def test_settings_repr_hides_the_key() -> None:
    settings = load_settings({}, {"CPAAS_API_KEY": "supersecretkey", "CPAAS_SUBACCOUNT": "ab1"}, {})
    assert "supersecretkey" not in repr(settings)


def test_toml_file_is_read_and_errors_are_readable(tmp_path: Path) -> None:
    good = tmp_path / "config.toml"
    good.write_text('region = "eu"\n[keymap]\n"section.feed" = "ctrl+f"\n')
    data = read_config_file(good)
    settings = load_settings({}, {}, data)
    assert settings.region == "europe"
    assert settings.keymap == {"section.feed": "ctrl+f"}
    assert read_config_file(tmp_path / "missing.toml") == {}
    bad = tmp_path / "bad.toml"
    bad.write_text("region = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        read_config_file(bad)


def test_keymap_must_map_strings() -> None:
    with pytest.raises(SettingsError, match="keymap"):
        load_settings({}, {}, {"keymap": {"section.feed": 3}})


def test_relay_and_events_token_for_live_events() -> None:
    env = {
        "CPAAS_API_KEY": "k" * 20,
        "CPAAS_SUBACCOUNT": "acme",
        "CPAAS_RELAY_URL": "https://relay.example.com/",
        "CPAAS_EVENTS_TOKEN": "events-secret",
    }
    settings = load_settings({}, env, {})
    assert settings.relay == "https://relay.example.com"
    assert settings.events_token == "events-secret"
    assert "events-secret" not in repr(settings)
    assert load_settings({"relay": "http://127.0.0.1:8801"}, env, {}).relay == (
        "http://127.0.0.1:8801"
    )
    with pytest.raises(SettingsError, match="Relay"):
        load_settings({"relay": "relay.example.com"}, env, {})


def test_history_retention_is_configurable_in_toml() -> None:
    settings = load_settings({}, {}, {"history": {"max_age_days": 7, "max_records": 500}})
    assert (settings.history_max_age_days, settings.history_max_records) == (7, 500)
    defaults = load_settings({}, {}, {})
    assert (defaults.history_max_age_days, defaults.history_max_records) == (90, 100_000)
    with pytest.raises(SettingsError, match="max_records"):
        load_settings({}, {}, {"history": {"max_records": 0}})
    with pytest.raises(SettingsError, match=r"\[history\]"):
        load_settings({}, {}, {"history": "forever"})


def test_the_agent_name_comes_from_the_flag_then_the_config_then_the_os_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("console.config.os_user", lambda: "ana")
    assert load_settings({}, {}, {}).agent == "ana"
    assert load_settings({}, {}, {"inbox": {"agent": " Bob "}}).agent == "Bob"
    assert load_settings({"agent": "Cleo"}, {}, {"inbox": {"agent": "Bob"}}).agent == "Cleo"
    monkeypatch.setattr("console.config.os_user", lambda: "\x1b[2J")
    assert load_settings({}, {}, {}).agent == "agent"  # an unusable OS name: a neutral one


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ({"inbox": {"agent": "a\x07b"}}, "control characters"),
        ({"inbox": {"agent": "x" * 65}}, "longer than 64"),
        ({"inbox": {"bell": "yes"}}, "bell must be true or false"),
        ({"inbox": "loud"}, r"\[inbox\] must be a table"),
    ],
)
def test_a_bad_inbox_setting_is_refused_by_name(toml: dict[str, object], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        load_settings({}, {}, toml)


def test_the_bell_is_off_unless_the_config_turns_it_on() -> None:
    assert load_settings({}, {}, {}).inbox_bell is False
    assert load_settings({}, {}, {"inbox": {"bell": True}}).inbox_bell is True


def test_the_feeds_row_bound_is_configurable_in_toml() -> None:
    assert load_settings({}, {}, {}).feed_max_rows == 100_000
    assert load_settings({}, {}, {"feed": {"max_rows": 5000}}).feed_max_rows == 5000
    with pytest.raises(SettingsError, match=r"\[feed\] max_rows"):
        load_settings({}, {}, {"feed": {"max_rows": -1}})
    with pytest.raises(SettingsError, match=r"\[feed\]"):
        load_settings({}, {}, {"feed": 10})


def test_the_confirmation_threshold_of_a_single_send() -> None:
    assert load_settings({}, {}, {}).confirm_above == 5.0
    assert load_settings({}, {}, {"compose": {"confirm_above": 0}}).confirm_above == 0.0
    assert load_settings({}, {}, {"compose": {"confirm_above": 2.5}}).confirm_above == 2.5
    for bad in (-1, "5", True, float("nan"), float("inf")):
        with pytest.raises(SettingsError, match=r"\[compose\] confirm_above"):
            load_settings({}, {}, {"compose": {"confirm_above": bad}})


def test_an_events_token_in_config_toml_is_refused_not_read() -> None:
    with pytest.raises(SettingsError, match="never goes in a file") as refused:
        load_settings({}, {}, {"events_token": "agent-secret-123"})
    assert "agent-secret-123" not in str(refused.value)
    assert "CPAAS_EVENTS_TOKEN" in str(refused.value)


def test_how_long_a_customer_may_wait_before_the_row_warns() -> None:
    assert load_settings({}, {}, {}).reply_within == 15 * 60
    assert load_settings({}, {}, {"inbox": {"reply_within_minutes": 5}}).reply_within == 300
    for bad in (0, -3, "5", True, 10**6):
        with pytest.raises(SettingsError, match=r"\[inbox\] reply_within_minutes"):
            load_settings({}, {}, {"inbox": {"reply_within_minutes": bad}})
