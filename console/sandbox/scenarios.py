"""Scenarios: traffic the sandbox makes up to demo and test what the console shows.

``ait`` — artificially inflated traffic. Another application of the same sub-account (sender
``VerifyApp``) sends one-time passwords:

1. its past week, at once: about ``BACKFILL_PER_HOUR`` OTPs an hour over the last
   ``BACKFILL_DAYS`` days, each with one final receipt dated when it happened (as a relay's
   replay log would hand them to a console that was not running), so a console has a
   baseline to compare with;
2. live OTPs at the same pace, one every ``NORMAL_EVERY`` seconds, to the usual mix of
   countries and operators, nearly all delivered;
3. after ``attack_after`` seconds, the attack: ``ATTACK_RATE`` messages a second for
   ``ATTACK_SECONDS`` seconds to one operator in one country (Indosat, Indonesia), most of
   them rejected by Omni Shield (code 99) or never delivered (``sent`` and nothing after).

Everything runs on the world's timeline, scaled by ``--speed``; outcomes come from the
scenario's own seeded stream. Live traffic stops after ``duration`` seconds
(``NORMAL_SECONDS`` by default); a scenario is listed in ``World.scenarios`` while it runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import phonenumbers

from . import operators
from .pipeline import OMNI_SHIELD
from .records import SmsRecord, Status, Step
from .textinfo import analyse

if TYPE_CHECKING:
    from .world import World

SOURCE = "VerifyApp"
BACKFILL_DAYS = 8
BACKFILL_PER_HOUR = 30
# Live OTPs come at the past week's pace: faster, and every operator would look like a spike
# against its own history; only the attack should.
NORMAL_EVERY = 3600.0 / BACKFILL_PER_HOUR
NORMAL_SECONDS = 600.0
ATTACK_RATE = 15
ATTACK_SECONDS = 40.0
DEFAULT_ATTACK_AFTER = 20.0
# The usual mix: (country, operator name, weight).
NORMAL_MIX: tuple[tuple[str, str, int], ...] = (
    ("SG", "SingTel", 30),
    ("SG", "StarHub", 15),
    ("SG", "M1", 10),
    ("MY", "Maxis", 12),
    ("MY", "Celcom", 8),
    ("ID", "Telkomsel", 10),
    ("ID", "Indosat Ooredoo Hutchison", 3),
    ("PH", "Globe", 7),
    ("PH", "Smart", 5),
)
TARGET = ("ID", "Indosat Ooredoo Hutchison")
# Attack outcomes: (share, what happens)
ATTACK_REJECTED = 0.55  # rejected by Omni Shield, code 99
ATTACK_SILENT = 0.30  # "sent", then nothing: never delivered
UNDELIVERED = (46, "Subscriber not reachable", "undelivered_to_recipient")


@dataclass(frozen=True, slots=True)
class ScenarioState:
    name: str
    started_at: float
    attack_at: float  # wall-clock time the attack starts


@cache
def _valid_length(prefix: str) -> int:
    """The length (digits after '+') of a valid number starting with ``prefix``."""
    for length in range(8, 16):
        candidate = prefix + "1" * (length - len(prefix) + 1)
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                return length
        except phonenumbers.NumberParseException:
            continue
    raise ValueError(f"no valid number length for {prefix}")


def _operator(country: str, name: str) -> operators.Operator:
    for op in operators.COUNTRY_BY_CODE[country].operators:
        if op.name == name:
            return op
    raise KeyError((country, name))


class AitScenario:
    """The AIT scenario on one world (see the module's docstring)."""

    name = "ait"

    def __init__(
        self, world: World, rng: random.Random, attack_after: float, duration: float
    ) -> None:
        self.world = world
        self.rng = rng
        self.attack_after = attack_after
        self.duration = duration  # seconds of live OTP traffic
        self.sent = 0
        self.state: ScenarioState | None = None
        self._phases = 0  # live phases still running (normal traffic, attack)

    def _phase_done(self) -> None:
        self._phases -= 1
        if self._phases == 0 and self in self.world.scenarios:
            self.world.scenarios.remove(self)

    # -- numbers and records ---------------------------------------------------------------

    def _number(self, country: str, operator: str) -> str:
        op = _operator(country, operator)
        digits = _valid_length(op.prefix) - (len(op.prefix) - 1)
        return op.prefix + "".join(str(self.rng.randrange(10)) for _ in range(digits))

    def _record(self, country: str, operator: str, created_at: float) -> SmsRecord:
        code = self.rng.randrange(100_000, 1_000_000)
        text = f"{code} is your verification code. It expires in 5 minutes."
        info = analyse(text)
        world = self.world
        self.sent += 1
        return SmsRecord(
            umid=world.new_id(),
            subaccount=world.config.subaccount,
            source=SOURCE,
            destination=self._number(country, operator),
            country=country,
            text=text,
            encoding=info.encoding,
            sms_count=info.parts,
            per_sms=world.price_for(country),
            created_at=created_at,
            status=Status(at=created_at),
        )

    def _normal_pick(self) -> tuple[str, str]:
        total = sum(weight for _, _, weight in NORMAL_MIX)
        pick = self.rng.random() * total
        for country, operator, weight in NORMAL_MIX:
            pick -= weight
            if pick < 0:
                return country, operator
        return NORMAL_MIX[-1][0], NORMAL_MIX[-1][1]

    # -- phases ----------------------------------------------------------------------------

    def start(self) -> ScenarioState:
        world = self.world
        now = world.clock.time()
        attack_in = world.scaled(self.attack_after)
        self.state = ScenarioState(self.name, now, now + attack_in)
        self._phases = 2
        self._backfill(now)
        self._normal(0)
        world.timeline.call_later(attack_in, self._attack, 0)
        return self.state

    def _backfill(self, now: float) -> None:
        """The past week's traffic, one final receipt each, dated when it happened."""
        world = self.world
        hours = BACKFILL_DAYS * 24
        for _ in range(hours * BACKFILL_PER_HOUR):
            at = now - self.rng.uniform(120.0, hours * 3600.0)
            record = self._record(*self._normal_pick(), created_at=at)
            if self.rng.random() < 0.04:
                code, message, detail = UNDELIVERED
                record.status = Status("undelivered", detail, code, message, at=at + 3)
            else:
                record.status = Status("delivered", "delivered_to_recipient", at=at + 2)
            world.sms.keep(record)
            world.post("sms", None, world.sms.receipt(record), record.umid)

    def _normal(self, tick: int) -> None:
        world = self.world
        if tick * NORMAL_EVERY >= self.duration:
            self._phase_done()
            return
        record = self._record(*self._normal_pick(), created_at=world.clock.time())
        plan: list[Step] = [(0.2, "sent", None, None, None)]
        if self.rng.random() < 0.04:
            code, message, detail = UNDELIVERED
            plan.append((2.0, "undelivered", detail, code, message))
        else:
            plan.append((1.5, "delivered", "delivered_to_recipient", None, None))
        world.sms.accept_planned(record, plan)
        if (tick + 1) * NORMAL_EVERY >= self.duration:
            # the phase ends when its duration does, not at the next OTP it will not send
            left = self.duration - tick * NORMAL_EVERY
            world.timeline.call_later(world.scaled(left), self._phase_done)
            return
        world.timeline.call_later(world.scaled(NORMAL_EVERY), self._normal, tick + 1)

    def _attack(self, second: int) -> None:
        world = self.world
        if second >= ATTACK_SECONDS:
            self._phase_done()
            return
        for _ in range(ATTACK_RATE):
            record = self._record(*TARGET, created_at=world.clock.time())
            roll = self.rng.random()
            plan: list[Step]
            if roll < ATTACK_REJECTED:
                code, message = OMNI_SHIELD
                plan = [(0.2, "rejected", None, code, message)]
            elif roll < ATTACK_REJECTED + ATTACK_SILENT:
                plan = [(0.2, "sent", None, None, None)]
            else:
                plan = [
                    (0.2, "sent", None, None, None),
                    (1.5, "delivered", "delivered_to_recipient", None, None),
                ]
            world.sms.accept_planned(record, plan)
        world.timeline.call_later(world.scaled(1.0), self._attack, second + 1)


def start_scenario(
    world: World,
    name: str,
    attack_after: float = DEFAULT_ATTACK_AFTER,
    duration: float = NORMAL_SECONDS,
) -> ScenarioState:
    """Start a scenario by name on a running world (its timeline must be started)."""
    if name != AitScenario.name:
        raise ValueError(f"unknown scenario {name!r}")
    seed = world.config.seed
    rng = random.Random(None if seed is None else f"{seed}:scenario:{name}")
    scenario = AitScenario(world, rng, attack_after, duration)
    world.scenarios.append(scenario)
    state = scenario.start()
    return state
