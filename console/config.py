"""Settings: flags > environment > TOML file > defaults, and the 8x8 hosts per region.

Pure: `load_settings` takes plain mappings so it is unit-testable without touching disk.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VIDEO_HOST = "https://video-agent.8x8.com"


@dataclass(frozen=True)
class Region:
    """One 8x8 region: its name, label and the SMS and Chat Apps hosts."""

    name: str
    label: str
    sms: str
    chatapps: str


REGIONS: dict[str, Region] = {
    "asia": Region("asia", "Asia Pacific", "https://sms.8x8.com", "https://chatapps.8x8.com"),
    "europe": Region("europe", "Europe", "https://sms.8x8.uk", "https://chatapps.8x8.uk"),
    "north-america": Region(
        "north-america", "North America", "https://sms.us.8x8.com", "https://chatapps.us.8x8.com"
    ),
    "indonesia": Region("indonesia", "Indonesia", "https://sms.8x8.id", "https://chatapps.8x8.id"),
}
REGION_ALIASES = {
    "ap": "asia",
    "apac": "asia",
    "sg": "asia",
    "eu": "europe",
    "uk": "europe",
    "na": "north-america",
    "us": "north-america",
    "id": "indonesia",
}
DEFAULT_REGION = "asia"
DEFAULT_SANDBOX_SUBACCOUNT = "sandbox"
# What `agent-console` does when no API key is configured (`start` in config.toml): the agent
# chose it once on the login screen, and the console writes it there.
START_SANDBOX = "sandbox"  # the embedded sandbox, no prompt (also the default)
START_LOGIN = "login"  # the login screen
START_CHOICES = (START_SANDBOX, START_LOGIN)
# What `--demo` ignores in the environment and config.toml: whatever would take the console
# anywhere but the embedded sandbox, or to the login screen.
DEMO_IGNORES = (
    "api_key",
    "subaccount",
    "account_id",
    "region",
    "server",
    "relay",
    "events_token",
    "start",
)
DEMO_REFUSES = ("api_key", "server", "relay", "account_id")  # flags that contradict --demo


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message says which and why."""


@dataclass(frozen=True)
class Endpoints:
    """Base URLs, one per 8x8 product. Paths such as /api/v1/... are appended by the client."""

    sms: str
    chatapps: str
    video: str
    label: str

    @classmethod
    def for_region(cls, region: str) -> Endpoints:
        r = REGIONS[normalize_region(region)]
        return cls(sms=r.sms, chatapps=r.chatapps, video=VIDEO_HOST, label=r.label)

    @classmethod
    def for_server(cls, base_url: str, label: str = "sandbox") -> Endpoints:
        """One server (the sandbox) serving every product under /sms, /chatapps, /video."""
        base = base_url.rstrip("/")
        return cls(
            sms=f"{base}/sms", chatapps=f"{base}/chatapps", video=f"{base}/video", label=label
        )


def normalize_region(value: str) -> str:
    key = value.strip().lower().replace("_", "-").replace(" ", "-")
    key = REGION_ALIASES.get(key, key)
    if key not in REGIONS:
        known = ", ".join(REGIONS)
        raise SettingsError(f"Unknown region {value!r}: use one of {known}.")
    return key


@dataclass(frozen=True)
class Settings:
    """Everything the console needs to start. The API key is never written anywhere."""

    api_key: str | None = field(default=None, repr=False)
    subaccount: str | None = None
    account_id: str | None = None  # for the configuration API, balance and prices
    region: str = DEFAULT_REGION
    server: str | None = None
    data_dir: Path | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)
    sandbox_seed: int | None = None
    sandbox_speed: float = 1.0
    relay: str | None = None
    events_token: str | None = field(default=None, repr=False)
    history_max_age_days: int = 90
    history_max_records: int = 100_000
    agent: str = "agent"  # this agent's name in the team inbox (default: the OS user)
    inbox_bell: bool = False  # ring the terminal bell when a customer writes
    reply_within: float = 15 * 60.0  # seconds a customer may wait before the row warns
    start: str = START_SANDBOX
    feed_max_rows: int = 100_000
    confirm_above: float = 5.0  # a single SMS costing more than this asks first (a batch always)
    demo: bool = False  # --demo: the embedded sandbox whatever the environment and file say

    @property
    def embedded_sandbox(self) -> bool:
        """No key and no server: start the embedded sandbox and log into it."""
        return self.server is None and not self.api_key

    @property
    def login_first(self) -> bool:
        """No key configured and the agent chose the login screen over the sandbox."""
        return self.embedded_sandbox and self.start == START_LOGIN

    @property
    def is_sandbox(self) -> bool:
        """The console talks to a sandbox (embedded or at --server), not to 8x8."""
        return self.server is not None or not self.api_key

    @property
    def mode_label(self) -> str:
        if self.embedded_sandbox:
            return "sandbox"
        if self.server is not None:
            return f"server {self.server}"
        return REGIONS[self.region].label

    def endpoints(self) -> Endpoints:
        if self.server is not None:
            return Endpoints.for_server(self.server, label=f"server {self.server}")
        return Endpoints.for_region(self.region)


def mask_key(key: str | None) -> str:
    """Show only the last 6 characters of a key, as the 8x8 portal does."""
    if not key:
        return "(no key)"
    tail = key[-6:] if len(key) > 6 else key[-2:]
    return "•" * 6 + tail


def read_config_file(path: Path) -> dict[str, Any]:
    """Read the TOML settings file; a missing file is an empty config."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error}).") from error


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


def load_settings(
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    toml: Mapping[str, Any],
) -> Settings:
    """Merge flags > environment > TOML > defaults into validated Settings.

    With ``demo`` among the flags, the console starts the embedded sandbox whatever the
    environment and the file say: their key, server, relay and start are not read."""
    demo = bool(flags.get("demo"))
    if demo:
        given = [f"--{name.replace('_', '-')}" for name in DEMO_REFUSES if flags.get(name)]
        if given:
            raise SettingsError(
                f"--demo starts the embedded sandbox: it cannot be used with {', '.join(given)}."
            )
        environ = {name: value for name, value in environ.items() if not name.startswith("CPAAS_")}
        toml = {name: value for name, value in toml.items() if name not in DEMO_IGNORES}
    api_key = _first(flags.get("api_key"), environ.get("CPAAS_API_KEY"), toml.get("api_key"))
    subaccount = _first(
        flags.get("subaccount"), environ.get("CPAAS_SUBACCOUNT"), toml.get("subaccount")
    )
    account_id = _first(
        flags.get("account_id"), environ.get("CPAAS_ACCOUNT_ID"), toml.get("account_id")
    )
    if account_id is not None:
        _check_account(str(account_id))
    region_raw = _first(flags.get("region"), environ.get("CPAAS_REGION"), toml.get("region"))
    server = _first(flags.get("server"), toml.get("server"))
    data_dir_raw = _first(flags.get("data_dir"), toml.get("data_dir"))
    keymap = toml.get("keymap", {})
    if not isinstance(keymap, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keymap.items()
    ):
        raise SettingsError("[keymap] must map binding ids to key strings.")
    region = normalize_region(region_raw) if region_raw else DEFAULT_REGION
    if server is not None:
        server = str(server).rstrip("/")
        if not server.startswith(("http://", "https://")):
            raise SettingsError(f"--server {server!r}: give a URL such as http://127.0.0.1:8800.")
    if api_key is not None and not subaccount and server is None:
        raise SettingsError(
            "An API key needs a sub-account: set CPAAS_SUBACCOUNT or pass --subaccount."
        )
    if subaccount is not None:
        _check_subaccount(str(subaccount))
    relay = _first(flags.get("relay"), environ.get("CPAAS_RELAY_URL"), toml.get("relay"))
    if relay is not None:
        relay = str(relay).rstrip("/")
        if not relay.startswith(("http://", "https://", "ws://", "wss://")):
            raise SettingsError(f"Relay {relay!r}: give a URL such as https://relay.example.com.")
    if toml.get("events_token") is not None:
        raise SettingsError(
            "events_token in config.toml: an agent's relay token is a secret and never goes in "
            "a file. Remove it; set CPAAS_EVENTS_TOKEN, or keep it in the OS keyring with "
            "`agent-console events-token --relay URL`."
        )
    events_token = _first(environ.get("CPAAS_EVENTS_TOKEN"))
    history = toml.get("history", {})
    if not isinstance(history, Mapping):
        raise SettingsError("[history] must be a table: max_age_days, max_records.")
    max_age_days = _positive_int(history, "max_age_days", 90)
    max_records = _positive_int(history, "max_records", 100_000)
    inbox = toml.get("inbox", {})
    if not isinstance(inbox, Mapping):
        raise SettingsError("[inbox] must be a table: agent, bell.")
    agent = _agent(_first(flags.get("agent"), inbox.get("agent")))
    bell = inbox.get("bell", False)
    if not isinstance(bell, bool):
        raise SettingsError(f"[inbox] bell must be true or false, not {bell!r}.")
    reply_within = inbox.get("reply_within_minutes", 15)
    if (
        isinstance(reply_within, bool)
        or not isinstance(reply_within, int | float)
        or not 0 < reply_within <= 7 * 24 * 60
    ):
        raise SettingsError(
            f"[inbox] reply_within_minutes must be minutes (1 to 10080), not {reply_within!r}."
        )
    start = toml.get("start", START_SANDBOX)
    if start not in START_CHOICES:
        raise SettingsError(f'start must be "sandbox" or "login", not {start!r}.')
    feed = toml.get("feed", {})
    if not isinstance(feed, Mapping):
        raise SettingsError("[feed] must be a table: max_rows.")
    feed_max_rows = _positive_int(feed, "max_rows", 100_000, table_name="feed")
    compose = toml.get("compose", {})
    if not isinstance(compose, Mapping):
        raise SettingsError("[compose] must be a table: confirm_above.")
    confirm_above = compose.get("confirm_above", 5.0)
    if (
        isinstance(confirm_above, bool)
        or not isinstance(confirm_above, int | float)
        or not 0 <= confirm_above < float("inf")
    ):
        raise SettingsError(
            f"[compose] confirm_above must be an amount of 0 or more, not {confirm_above!r}."
        )
    seed = flags.get("seed")
    speed = flags.get("speed")
    return Settings(
        api_key=str(api_key) if api_key is not None else None,
        subaccount=str(subaccount) if subaccount is not None else None,
        account_id=str(account_id) if account_id is not None else None,
        region=region,
        server=server,
        data_dir=Path(data_dir_raw).expanduser() if data_dir_raw else None,
        keymap=dict(keymap),
        sandbox_seed=int(seed) if seed is not None else None,
        sandbox_speed=float(speed) if speed is not None else 1.0,
        relay=relay,
        events_token=str(events_token) if events_token is not None else None,
        history_max_age_days=max_age_days,
        history_max_records=max_records,
        agent=agent,
        inbox_bell=bell,
        reply_within=float(reply_within) * 60,
        start=start,
        feed_max_rows=feed_max_rows,
        confirm_above=float(confirm_above),
        demo=demo,
    )


def os_user() -> str:
    """The OS user's name, or "agent" where there is none (a container without one)."""
    import getpass

    try:
        return getpass.getuser() or "agent"
    except (KeyError, OSError, ImportError):
        return "agent"


def _agent(value: Any) -> str:
    """This agent's name as the team sees it; the OS user by default."""
    from console.live.names import agent_name_problem

    if value is None:
        user = os_user()
        return "agent" if agent_name_problem(user) else user.strip()
    problem = agent_name_problem(value)
    if problem is not None:
        reason = problem.replace("'agent'", "the name")
        raise SettingsError(f"Agent name {value!r}: {reason}.")
    assert isinstance(value, str)
    return value.strip()


def _positive_int(
    table: Mapping[str, Any], key: str, default: int, *, table_name: str = "history"
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"[{table_name}] {key} must be a whole number above 0, not {value!r}.")
    return value


def _check_subaccount(value: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9\-._&]{3,50}", value):
        raise SettingsError(f"Sub-account {value!r} is not valid: 3–50 letters, digits or - . _ &.")


def _check_account(value: str) -> None:
    import re

    if not re.fullmatch(r"[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}", value):
        raise SettingsError(f"Account id {value!r} is not valid: 8x8's account id is a UUID.")
