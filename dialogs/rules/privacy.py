"""The personal-data guard: every question passes through `mask_personal_data` before it is
stored, matched, logged or forwarded to a mentor.

Health-care staff sometimes paste patient details into a question. Finnish personal identity
codes (DDMMYYCZZZQ) are masked whether or not their date and check character hold, because a
mistyped code is still personal data. Phone numbers and e-mail addresses are masked too. Each
is replaced by a label in the question's language ("[henkilötunnus]", "[personbeteckning]").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_IDENTITY_CODE = re.compile(
    r"(?<![0-9A-Za-z])(\d{2})(\d{2})(\d{2})\s?([-+A-FU-Ya-fu-y])\s?(\d{3})([0-9A-Za-z])(?![0-9A-Za-z])"
)
# A run of six digits followed by four more characters without a century sign is a common
# typing slip for an identity code; it is masked as a look-alike.
_IDENTITY_LOOKALIKE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{3})([0-9A-Za-z])(?![0-9A-Za-z])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d{1,3}(?:[\s-]?\(?\d+\)?){2,6}(?!\w)"  # +358 40 123 4567, 0046-8-123 456
    r"|(?<![\w+])0\d{1,3}(?:[\s-]?\d){5,9}(?!\w)"  # 040 123 4567, 09-1234 5678, 0401234567
)
_MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class MaskLabels:
    identity_code: str
    phone: str
    email: str

    @classmethod
    def from_texts(cls, texts: Callable[..., str]) -> "MaskLabels":
        return cls(texts("privacy.identity_code"), texts("privacy.phone"), texts("privacy.email"))


# For work that only needs personal data gone, such as telling the language of a question.
BLANK = MaskLabels("", "", "")


@dataclass(frozen=True)
class MaskedText:
    text: str
    identity_codes: int = 0
    phone_numbers: int = 0
    emails: int = 0

    @property
    def masked_count(self) -> int:
        return self.identity_codes + self.phone_numbers + self.emails

    @property
    def changed(self) -> bool:
        return self.masked_count > 0


def mask_personal_data(text: str, labels: MaskLabels) -> MaskedText:
    counts = {"identity_codes": 0, "phone_numbers": 0, "emails": 0}

    def replace(kind: str, mask: str):
        def substitute(_match: re.Match) -> str:
            counts[kind] += 1
            return mask

        return substitute

    masked = _IDENTITY_CODE.sub(replace("identity_codes", labels.identity_code), text)
    masked = _IDENTITY_LOOKALIKE.sub(replace("identity_codes", labels.identity_code), masked)
    masked = _EMAIL.sub(replace("emails", labels.email), masked)

    def phone(match: re.Match) -> str:
        if sum(ch.isdigit() for ch in match.group(0)) < _MIN_PHONE_DIGITS:
            return match.group(0)
        counts["phone_numbers"] += 1
        return labels.phone

    masked = _PHONE.sub(phone, masked)
    return MaskedText(masked, **counts)
