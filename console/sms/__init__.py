"""Pure SMS core: GSM-7 / UCS-2 analysis and splitting, lookalikes, sender and number rules.

No I/O and no Textual. ``phonenumbers`` is imported on the first ``check_destination`` call,
not here, so importing this package stays cheap.
"""

from console.sms.analysis import (
    FORCES_UCS2,
    MAX_SEGMENTS,
    NOT_IN_GSM7,
    Culprit,
    SmsAnalysis,
    analyze,
    normalize_encoding,
)
from console.sms.charset import GSM7_BASIC, GSM7_EXTENSION, is_gsm7
from console.sms.lookalikes import LOOKALIKES, suggest_gsm7
from console.sms.rules import (
    DestinationCheck,
    SenderCheck,
    check_destination,
    classify_sender,
    split_destinations,
)

__all__ = [
    "FORCES_UCS2",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "LOOKALIKES",
    "MAX_SEGMENTS",
    "NOT_IN_GSM7",
    "Culprit",
    "DestinationCheck",
    "SenderCheck",
    "SmsAnalysis",
    "analyze",
    "check_destination",
    "classify_sender",
    "is_gsm7",
    "normalize_encoding",
    "split_destinations",
    "suggest_gsm7",
]
