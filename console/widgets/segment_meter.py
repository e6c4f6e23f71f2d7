"""SegmentMeter: encoding, segments and room left, plus what forced UCS-2 and what a
lookalike substitution would save. Driven by an SmsAnalysis; it computes nothing itself."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from console.sms import SmsAnalysis
from console.ui.text import clean


def _show(char: str) -> str:
    if char == " ":
        return "␠"
    if not char.isprintable() or char.isspace():
        return f"U+{ord(char):04X}"
    return char


class SegmentMeter(Static):
    """Two lines: 'GSM-7 · 2 segments · 306/306 · 0 left' and what to do about it."""

    DEFAULT_CSS = """
    SegmentMeter { height: 2; }
    """

    def show(
        self, analysis: SmsAnalysis, lookalike: SmsAnalysis | None = None, cost: str = ""
    ) -> None:
        """``cost``: what the draft costs (segments × price), shown after the segments."""
        self.set_class(analysis.encoding == "UCS2", "-ucs2")
        self.set_class(analysis.too_long, "-too-long")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(analysis.summary, style="bold")
        if cost:
            text.append(f" · {clean(cost)}")
        text.append("\n")
        if analysis.too_long:
            text.append(
                f"✗ {analysis.segments} segments: an SMS has at most "
                f"{analysis.max_segments}. Shorten the text to send it.",
                style="bold",
            )
        elif analysis.culprits:
            chars: list[str] = []
            for culprit in analysis.culprits:
                shown = _show(culprit.char)
                if shown not in chars:
                    chars.append(shown)
            verb = "UCS-2 because of" if analysis.encoding == "UCS2" else "not in GSM-7"
            text.append(f"{verb}:")
            for char in chars[:12]:
                text.append(" ")
                text.append(char, style="reverse")
            if len(chars) > 12:
                text.append(f" +{len(chars) - 12} more")
            if lookalike is not None and lookalike.encoding == "GSM7":
                saved = analysis.segments - lookalike.segments
                text.append(
                    f"   ctrl+l: GSM-7 lookalikes → {lookalike.segments} "
                    f"segment{'s' if lookalike.segments != 1 else ''}"
                    + (f" (saves {saved})" if saved > 0 else "")
                )
        self.update(text, layout=False)  # two lines whatever it says: no new layout per key
