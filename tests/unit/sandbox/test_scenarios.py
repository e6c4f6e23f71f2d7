"""The AIT scenario's live phase ends when its duration does."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from console.sandbox.scenarios import NORMAL_EVERY, AitScenario


class RecordingTimeline:
    def __init__(self) -> None:
        self.calls: list[tuple[float, Any, tuple[Any, ...]]] = []

    def call_later(self, delay: float, fn: Any, *args: Any) -> None:
        self.calls.append((delay, fn, args))


def _world(speed: float) -> Any:
    ids = iter(range(10**6))
    return SimpleNamespace(
        clock=SimpleNamespace(time=lambda: 1_000.0),
        scaled=lambda seconds: seconds / speed,
        timeline=RecordingTimeline(),
        config=SimpleNamespace(subaccount="sub"),
        new_id=lambda: f"umid-{next(ids)}",
        price_for=lambda country: 0.01,
        sms=SimpleNamespace(accept_planned=lambda record, plan: None),
        scenarios=[],
    )


def _run_normal_phase(duration: float, speed: float = 20.0) -> tuple[AitScenario, list[float]]:
    world = _world(speed)
    scenario = AitScenario(world, random.Random(7), attack_after=0.0, duration=duration)
    world.scenarios.append(scenario)
    scenario._phases = 1  # only the live OTPs: no attack in this test
    delays = []
    scenario._normal(0)
    while world.timeline.calls:
        delay, fn, args = world.timeline.calls.pop(0)
        delays.append(delay)
        fn(*args)
    return scenario, delays


def test_a_short_scenario_stops_after_its_duration_not_after_a_whole_otp_interval() -> None:
    scenario, delays = _run_normal_phase(duration=1.0)
    assert scenario.sent == 1
    assert delays == [1.0 / 20.0]  # listed as running for its 1 s, not NORMAL_EVERY (120 s)
    assert scenario.world.scenarios == []


def test_a_long_scenario_sends_one_otp_per_interval_until_its_duration() -> None:
    scenario, delays = _run_normal_phase(duration=3 * NORMAL_EVERY + 30)
    assert scenario.sent == 4  # at 0, 120, 240 and 360 s
    assert sum(delays) * 20.0 == 3 * NORMAL_EVERY + 30
    assert scenario.world.scenarios == []
