"""The IT helpdesk beside the FAQ and the digimentors: questions about faults rather than
know-how (a locked account, a broken device, an error code) are the helpdesk's, because a
colleague cannot unlock an account or mend a screen.

This sits beside the FAQ matching and changes nothing in it: the matcher decides first, and a
confident answer wins. Only a question the FAQ could not answer at once is looked at for signs
of a fault; the words are Finnish, Swedish and English stems (Finnish inflects: "tunnukseni",
"tunnusta", "näytön", "näyttö"), and a fault needs both halves near each other (an account word
and a lock word, a device and a breakage), so that "how do I lock my screen" stays know-how.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOCKED_ACCOUNT, BROKEN_DEVICE, ERROR_CODE = "locked_account", "broken_device", "error_code"
# A question the FAQ answered with an entry the FAQ file marks as the helpdesk's.
HELPDESK_ENTRY = "entry"
FAULTS = (LOCKED_ACCOUNT, BROKEN_DEVICE, ERROR_CODE)
_NEAR = 40  # characters between the two halves of a fault

_ACCOUNT = (r"tunnu[sk]\w*|käyttäjätun\w*|käyttäjätil\w*|\btil(?:i|in|ini|ille|iä|issä|ini)\b|salasan\w*|"
            r"konto\w*|lösenord\w*|användar\w*|"
            r"account\w*|password\w*|user ?name|log-?in|sign-?in")
_LOCKED = (r"lukit\w*|lukos\w*|lukkoon|lukkiut\w*|esty\w*|estet\w*|suljet\w*|jäädytet\w*|"
           r"låst\w*|spärra\w*|utelåst\w*|blockera\w*|"
           r"locked|lock(?:ed)? out|blocked|disabled|suspended")
_DEVICE = (r"näyt(?:tö|ö|ön)\w*|tietokone\w*|\bkone(?:ni|eni|en|tta|essa)?\b|läppär\w*|kannettav\w*|puheli\w*|"
           r"kännyk\w*|tulosti\w*|\bhiir\w*|näppäimistö\w*|latur\w*|telak\w*|kuulok\w*|kamer\w*|tabletti\w*|"
           r"\bakku\w*|skärm\w*|dator\w*|laptop\w*|telefon\w*|mobil\w*|skrivare\w*|\bmus(?:en)?\b|"
           r"tangentbord\w*|laddare\w*|docka\w*|hörlur\w*|headset\w*|surfplatt\w*|batteri\w*|"
           r"screen|monitor|display|computer|\bpc\b|phone|printer|mouse|keyboard|charger|\bdock\b|"
           r"headphones|webcam|camera|tablet|ipad|iphone|battery")
_BROKEN = (r"rikki|hajo\w*|hajon\w*|ei käynnisty|ei mene päälle|ei lähde käyntiin|ei lataudu|ei lataa|halki|"
           r"haljen\w*|säröil\w*|kastu\w*|vaurio\w*|musta ruutu|ei syty|"
           r"trasig\w*|sönder|går inte (?:att )?starta|startar inte|laddar inte|sprucken|spräckt|skadad\w*|"
           r"broken|broke|cracked|smashed|damaged|won'?t (?:turn|switch|power) on|doesn'?t (?:turn|switch|power) on|"
           r"won'?t (?:start|boot|charge)|doesn'?t (?:start|boot|charge)|not charging|black screen|got wet")
_CODE = (r"\b0x[0-9a-f]{4,8}\b|\baadsts\d{3,}\b|\bcaa[0-9a-f]{5}\b|"
         r"\b(?:virhekoodi\w*|virhe|virheen|virheilmoitus\w*|felkod\w*|fel|error|error code)\s*[:#]?\s*"
         r"[a-z]{0,6}-?\d{3,}\w*")


def _near(first: str, second: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{first}).{{0,{_NEAR}}}(?:{second})|(?:{second}).{{0,{_NEAR}}}(?:{first})", re.DOTALL)


_PATTERNS = ((ERROR_CODE, re.compile(_CODE)), (LOCKED_ACCOUNT, _near(_ACCOUNT, _LOCKED)),
             (BROKEN_DEVICE, _near(_DEVICE, _BROKEN)))


def fault_kind(text: str) -> str | None:
    """locked_account, broken_device or error_code when the question reads as a fault."""
    folded = " ".join((text or "").casefold().split())
    for kind, pattern in _PATTERNS:
        if pattern.search(folded):
            return kind
    return None


# What the asker is shown.
ANSWER, ANSWER_WITH_HELPDESK, HELPDESK = "answer", "answer_with_helpdesk", "helpdesk"


@dataclass(frozen=True)
class Routing:
    shown: str | None  # ANSWER_WITH_HELPDESK or HELPDESK; None: as the FAQ decided
    reason: str | None  # a fault kind, or HELPDESK_ENTRY


def route(*, answered: bool, answered_by_helpdesk_entry: bool, suggested_helpdesk_entry: bool, fault: str | None,
          helpdesk_known: bool) -> Routing:
    """Where a question goes once the FAQ has decided. A confident answer always stands; one from
    a helpdesk entry shows the helpdesk's contact instead of the digimentor offer. Without an
    answer, a fault (or a helpdesk entry as the best suggestion) goes to the helpdesk, when the
    organisation file says how to reach it; otherwise nothing changes."""
    if answered:
        if answered_by_helpdesk_entry and helpdesk_known:
            return Routing(ANSWER_WITH_HELPDESK, HELPDESK_ENTRY)
        return Routing(None, None)
    if not helpdesk_known:
        return Routing(None, None)
    if fault is not None:
        return Routing(HELPDESK, fault)
    if suggested_helpdesk_entry:
        return Routing(HELPDESK, HELPDESK_ENTRY)
    return Routing(None, None)


_EMAIL = re.compile(r"@?([^@\s]+@[^@\s]+\.[^@\s,;:]+)[,;:]?\s+(.+)", re.DOTALL)


@dataclass(frozen=True)
class Referral:
    """`mentor @person <question>` from a helpdesk agent: who, named by e-mail or by name."""

    email: str | None
    named: str | None  # the text after "@" (or all of it): a name followed by the question
    question: str | None  # known when named by e-mail
    explicit: bool  # written with "@" or an e-mail address: a person was certainly meant


def parse_referral(argument: str) -> Referral | None:
    """The person a helpdesk agent's `mentor` names first, or None for the agent's own question.
    A Teams @mention reaches the bot as the plain name, so a leading name may be a person too."""
    text = " ".join((argument or "").split())
    email = _EMAIL.fullmatch(text)
    if email:
        return Referral(email.group(1).lower(), None, email.group(2).strip(), True)
    if text.startswith("@") and len(text) > 1:
        return Referral(None, text[1:].strip(), None, True)
    return Referral(None, text, None, False) if text else None


def split_named(text: str, names: list[str]) -> tuple[str, str] | None:
    """(the longest of `names` that `text` starts with, the question after it, possibly empty),
    case-insensitive; None when no name fits."""
    folded = text.casefold()
    best = None
    for name in names:
        key = " ".join(name.split()).casefold()
        fits = key and folded.startswith(key) and (len(folded) == len(key) or not folded[len(key)].isalnum())
        if fits and (best is None or len(key) > len(best)):
            best = key
    if best is None:
        return None
    return best, text[len(best):].lstrip(" ,:;-–").strip()


def named_as_written(text: str, words: int = 2) -> str:
    """How to quote a name that matched nobody: its first words (the question follows them)."""
    return " ".join(text.split()[:words])
