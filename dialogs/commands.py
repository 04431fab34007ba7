"""Chat commands (docs/design.md, "Chat commands"): English names are stable, with Finnish and
Swedish aliases. Text that is not a command is a question."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
}

# Commands that take no argument are recognised only when nothing follows, so that a
# question such as "apua kalenterin kanssa" is treated as a question, not as "help".
_TAKES_ARGUMENTS = {"mentor", "log", "stats", "away", "faq", "export"}

_ALIASES = sorted(
    ((alias, name) for name, (_, aliases) in COMMANDS.items() for alias in aliases),
    key=lambda pair: -len(pair[0]),
)
_TRAILING_PUNCTUATION = re.compile(r"[\s.!?,:;]+$")


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""

    @property
    def required_role(self) -> str | None:
        return COMMANDS[self.name][0]


def parse_command(text: str) -> Command | None:
    normalised = " ".join((text or "").split())
    lowered = normalised.casefold()
    bare = _TRAILING_PUNCTUATION.sub("", lowered) or lowered
    for alias, name in _ALIASES:
        if bare == alias:
            return Command(name)
        if name in _TAKES_ARGUMENTS and lowered.startswith(alias + " "):
            return Command(name, normalised[len(alias) + 1:].strip())
    return None
