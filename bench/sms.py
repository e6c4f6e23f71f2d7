"""Time console.sms.analyze, alone and next to PyPI smsutil on the same texts.

Run: ``python bench/sms.py``. Prints figures only (min over repeats, µs per call); the
budget (DESIGN.md) is well under 100 µs for 1,530 characters and several times faster than
smsutil (aim 5×).

The comparison does not flatter: the two implementations are timed alternately (one repeat
of ours, one of smsutil's, and so on), so a busy moment of the machine costs both alike, and
short texts (up to 160 characters: what the composer analyses while the agent types) are
reported apart from long ones, where a per-character advantage dominates.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from collections.abc import Callable

from console.sms import analyze

REPEATS = 7
SHORT = 160  # characters: one SMS, what the composer analyses on every key
SENTENCE = (
    "Hello Sam, your order 48213 has shipped and will arrive on Friday. Reply STOP to opt out. "
)


def fit(text: str, length: int) -> str:
    """Repeat ``text`` and cut it to ``length`` characters (never inside a surrogate pair)."""
    return (text * (length // len(text) + 1))[:length]


def per_call(function: Callable[[], object]) -> float:
    """Min over REPEATS of the mean time of one call, in µs."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=REPEATS, number=number)) / number * 1e6


def corpus() -> dict[str, list[str]]:
    lengths = [20, 70, 71, 140, 160, 161, 306, 307, 612, 1000, 1530]
    return {
        "GSM-7": [fit(SENTENCE, n) for n in lengths],
        "GSM-7 + extension": [
            fit(SENTENCE.replace("order", "order [#{ref}] €"), n) for n in lengths
        ],
        "UCS-2 (Cyrillic, quotes)": [
            fit("Здравствуйте, ваш заказ 48213 отправлен — «спасибо»! ", n) for n in lengths
        ],
        "UCS-2 (CJK)": [fit("您的订单48213已发货，预计周五送达。回复TD退订。", n) for n in lengths],
        "emoji + ZWJ": [
            fit("Your order shipped 🚚📦 — see you Friday 👨\u200d👩\u200d👧 🎉 ", n)
            for n in lengths
        ],
    }


def main() -> None:
    try:
        import smsutil
    except ImportError:  # pragma: no cover - bench extra not installed
        smsutil = None
    print(f"Python {sys.version.split()[0]}; min of {REPEATS} repeats; µs per call")
    print()
    print("analyze(text)")
    singles = {
        "160-char GSM-7": fit(SENTENCE, 160),
        "1,530-char GSM-7": fit(SENTENCE, 1530),
        "1,530-char GSM-7 + extension": corpus()["GSM-7 + extension"][-1],
        "1,530-char UCS-2": corpus()["UCS-2 (Cyrillic, quotes)"][-1],
        "1,530-char emoji": corpus()["emoji + ZWJ"][-1],
    }
    for label, text in singles.items():
        print(f"  {label:<32} {per_call(lambda t=text: analyze(t)):8.2f}")
    text = singles["1,530-char UCS-2"]
    full = per_call(lambda: _everything(text))
    print(f"  {'  then .culprits, .suggestion':<32} {full:8.2f}   (both lazy; 1,126 culprits)")
    print()
    for title, keep in (
        ("short texts (≤160 characters: while typing)", lambda n: n <= SHORT),
        ("long texts (>160 characters)", lambda n: n > SHORT),
    ):
        print(f"{title}: total per pass, analyze vs smsutil.split, timed alternately")
        compare({c: [t for t in ts if keep(len(t))] for c, ts in corpus().items()}, smsutil)
        print()


def alternately(first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """µs per call of each, their repeats interleaved (min over REPEATS for each)."""
    timers = timeit.Timer(first), timeit.Timer(second)
    numbers = [timer.autorange()[0] for timer in timers]
    best = [float("inf"), float("inf")]
    for _ in range(REPEATS):
        for index, timer in enumerate(timers):
            took = timer.timeit(numbers[index]) / numbers[index]
            best[index] = min(best[index], took)
    return best[0] * 1e6, best[1] * 1e6


def compare(categories: dict[str, list[str]], smsutil: object | None) -> None:
    header = f"  {'category':<26} {'texts':>5} {'chars':>6} {'analyze':>9}"
    if smsutil is not None:
        header += f" {'smsutil':>9} {'ratio':>7}"
    print(header)
    ours_total = theirs_total = 0.0
    ratios: list[float] = []
    for category, texts in categories.items():
        line = f"  {category:<26} {len(texts):>5} {sum(map(len, texts)):>6}"
        if smsutil is not None:
            split = smsutil.split  # type: ignore[attr-defined]
            ours, theirs = alternately(
                lambda texts=texts: [analyze(t) for t in texts],
                lambda texts=texts, split=split: [split(t) for t in texts],
            )
            theirs_total += theirs
            ratios.append(theirs / ours)
            line += f" {ours:9.1f} {theirs:9.1f} {theirs / ours:6.1f}×"
        else:
            ours = per_call(lambda texts=texts: [analyze(t) for t in texts])
            line += f" {ours:9.1f}"
        ours_total += ours
        print(line)
    line = f"  {'all':<26} {'':>5} {'':>6} {ours_total:9.1f}"
    if smsutil is not None:
        line += f" {theirs_total:9.1f} {theirs_total / ours_total:6.1f}×"
    print(line)
    if ratios:
        print(f"  geometric mean of the category ratios: {statistics.geometric_mean(ratios):.1f}×")


def _everything(text: str) -> object:
    result = analyze(text)
    return result.culprits, result.suggestion


if __name__ == "__main__":
    main()
