"""The loopback predicates decide whether a proxy is bypassed and where a relay may bind."""

import pytest

from console.net import is_loopback_host, is_loopback_url


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


OTHERS = ["", None, "0.0.0.0", "10.0.0.1", "example.com", "::", "localhost."]


@pytest.mark.parametrize("host", OTHERS)
def test_other_hosts(host: str | None) -> None:
    assert not is_loopback_host(host)


def test_urls() -> None:
    assert is_loopback_url("ws://127.0.0.1:8801/events")
    assert is_loopback_url("http://[::1]:80/")
    assert not is_loopback_url("wss://relay.example.com/events")
    assert not is_loopback_url("not a url")
