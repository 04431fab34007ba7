"""The personal-data guard: every question passes through `mask_personal_data` before it is
stored, matched, logged or forwarded to a mentor.

Health-care staff sometimes paste patient details into a question. Finnish personal identity
codes (DDMMYYCZZZQ) are masked whether or not their checksum holds, because a mistyped code is
still personal data; the checksum only grades how sure we are. Phone numbers and e-mail
addresses are masked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS = {
    **{sign: 1800 for sign in "+"},
    **{sign: 1900 for sign in "-YXWVU"},
    **{sign: 2000 for sign in "ABCDEF"},
}
IDENTITY_CODE_MASK = "[henkilötunnus]"
PHONE_MASK = "[puhelinnumero]"
EMAIL_MASK = "[sähköposti]"

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


def identity_code_is_valid(code: str) -> bool:
    """True when the code has a real date and a matching check character."""
    match = _IDENTITY_CODE.fullmatch(code.strip())
    if not match:
        return False
    day, month, year, sign, serial, check = match.groups()
    century = CENTURY_SIGNS.get(sign.upper())
    if century is None:
        return False
    try:
        date(century + int(year), int(month), int(day))
    except ValueError:
        return False
    expected = CHECK_CHARACTERS[int(f"{day}{month}{year}{serial}") % 31]
    return check.upper() == expected


def mask_personal_data(text: str) -> MaskedText:
    counts = {"identity_codes": 0, "phone_numbers": 0, "emails": 0}

    def replace(kind: str, mask: str):  # noqa: ANN202 - re.sub callback factory
        def substitute(_match: re.Match) -> str:
            counts[kind] += 1
            return mask

        return substitute

    masked = _IDENTITY_CODE.sub(replace("identity_codes", IDENTITY_CODE_MASK), text)
    masked = _IDENTITY_LOOKALIKE.sub(replace("identity_codes", IDENTITY_CODE_MASK), masked)
    masked = _EMAIL.sub(replace("emails", EMAIL_MASK), masked)

    def phone(match: re.Match) -> str:
        if sum(ch.isdigit() for ch in match.group(0)) < _MIN_PHONE_DIGITS:
            return match.group(0)
        counts["phone_numbers"] += 1
        return PHONE_MASK

    masked = _PHONE.sub(phone, masked)
    return MaskedText(masked, **counts)
