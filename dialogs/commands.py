"""Chat commands (docs/design.md, "Chat commands"): English names are stable, with Finnish and
Swedish aliases. A message is a command only when it parses as one: "log in to Outlook fails"
starts with a command word but is a question, and so is "export calendar to excel"."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from dialogs.rules.periods import looks_like_period

# name -> (role needed, aliases). Longer aliases are tried first, so "my requests" wins over "my".
COMMANDS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "help": (None, ("help", "ohje", "ohjeet", "apua", "apu", "hjälp", "hjalp", "?")),
    "mentor": (None, ("mentor", "mentori", "digimentori", "kysy mentorilta", "fråga mentor")),
    "available": ("mentor", ("available", "paikalla", "tavoitettavissa", "tillgänglig")),
    "away": ("mentor", ("away", "poissa", "borta")),
    "my requests": ("mentor", ("my requests", "omat pyynnöt", "omat pyynnot", "mina ärenden", "mina arenden")),
    "log": ("mentor", ("log", "kirjaa", "logga")),
    "my hours": ("mentor", ("my hours", "omat tunnit", "mina timmar")),
    "stats": ("coordinator", ("stats", "tilastot", "statistik")),
    "gaps": ("coordinator", ("gaps", "aukot", "luckor")),
    "export": ("coordinator", ("export", "vienti", "exportera")),
    "mentors": ("coordinator", ("mentors", "mentorit", "mentorer")),
    "faq": ("coordinator", ("faq", "ukk", "vanliga frågor")),
    "coverage": ("coordinator", ("coverage", "kattavuus", "täckning", "tackning")),
    "announce": ("coordinator", ("announce", "tiedote", "tiedota", "meddelande")),
    "impact": ("coordinator", ("impact", "vaikuttavuus", "effekt")),
}

# The language of each Finnish and Swedish alias, for answering in it; English names are the
# stable names everyone may type, so they are answered in the person's own language.
ALIAS_LANGUAGES = {
    **dict.fromkeys(("ohje", "ohjeet", "apua", "apu", "mentori", "digimentori", "kysy mentorilta", "paikalla",
                     "tavoitettavissa", "poissa", "omat pyynnöt", "omat pyynnot", "kirjaa", "omat tunnit",
                     "tilastot", "aukot", "vienti", "mentorit", "ukk", "kattavuus", "tiedote", "tiedota",
                     "vaikuttavuus"), "fi"),
    **dict.fromkeys(("hjälp", "hjalp", "fråga mentor", "tillgänglig", "borta", "mina ärenden", "mina arenden",
                     "logga", "mina timmar", "statistik", "luckor", "exportera", "mentorer", "vanliga frågor",
                     "täckning", "tackning", "meddelande", "effekt"), "sv"),
}

# What may follow each command word for the message to be that command; a command missing
# here takes nothing after it ("apua kalenterin kanssa" is a question, not "help").
_ARGUMENTS = {
    "mentor": re.compile(r".+", re.DOTALL),  # the question for a person
    "log": re.compile(r"\d.*", re.DOTALL),  # minutes first: "log 30 team training"
    "away": re.compile(r"(?:(?:klo|kello|kl|till|until|at|to)\.?\s*)?\d{1,2}(?:[:.]\d{2})?(?:\s*(?:asti|saakka))?"),
    "faq": re.compile(r"[a-z0-9][a-z0-9._-]{0,99}"),  # an entry id
}
_REPORTS = {"stats", "export", "impact"}  # a period and/or a unit id
_ALIASES = sorted(
    ((alias, name) for name, (_, aliases) in COMMANDS.items() for alias in aliases),
    key=lambda pair: -len(pair[0]),
)
_TRAILING_PUNCTUATION = re.compile(r"[\s.!?,:;]+$")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""
    language: str | None = None  # the alias's language; None for the English name

    @property
    def required_role(self) -> str | None:
        return COMMANDS[self.name][0]


def parse_command(text: str, unit_ids: Collection[str] = ()) -> Command | None:
    """The command `text` is, or None when it is a question. `unit_ids`: the units a report
    command may name (without them only periods are recognised)."""
    normalised = " ".join((text or "").split())
    lowered = normalised.casefold()
    bare = _TRAILING_PUNCTUATION.sub("", lowered) or lowered
    for alias, name in _ALIASES:
        if bare == alias:
            return Command(name, "", ALIAS_LANGUAGES.get(alias))
        if lowered.startswith(alias + " "):
            argument = normalised[len(alias) + 1:].strip()
            if _accepts(name, argument, unit_ids):
                return Command(name, argument, ALIAS_LANGUAGES.get(alias))
    return None


def names_a_report(text: str) -> bool:
    """Whether `text` starts like `stats` or `export` with words after it: only then is the
    unit list worth fetching to tell a report command from a question."""
    words = (text or "").casefold().split()
    return len(words) > 1 and any(words[0] == alias for name in _REPORTS for alias in COMMANDS[name][1])


def _accepts(name: str, argument: str, unit_ids: Collection[str]) -> bool:
    if name in _REPORTS:
        words = argument.split()
        periods = [w for w in words if looks_like_period(w)]
        units = [w for w in words if w in unit_ids]
        return 0 < len(words) <= 2 and len(periods) <= 1 and len(units) <= 1 and len(periods) + len(units) == len(words)
    pattern = _ARGUMENTS.get(name)
    return pattern is not None and pattern.fullmatch(_TRAILING_PUNCTUATION.sub("", argument)) is not None
