"""Chat commands (docs/design.md, "Chat commands"): English names are stable, with Finnish and
Swedish aliases. A message is a command only when it parses as one: "log in to Outlook fails"
starts with a command word but is a question, and so is "export calendar to excel"."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from dialogs.rules.periods import looks_like_period
from dialogs.rules.topics import topics_named

MENTOR_WORK = ("mentor", "helper")  # an open helper takes offers and keeps hours like a mentor

# name -> (role needed: one, any one of several, or None for anyone; aliases). Longer aliases
# are tried first, so "my requests" wins over "my".
COMMANDS: dict[str, tuple[str | tuple[str, ...] | None, tuple[str, ...]]] = {
    "help": (None, ("help", "ohje", "ohjeet", "apua", "apu", "hjälp", "hjalp", "?")),
    "mentor": (None, ("mentor", "mentori", "digimentori", "kysy mentorilta", "fråga mentor")),
    "available": ("mentor", ("available", "paikalla", "tavoitettavissa", "tillgänglig")),
    "away": ("mentor", ("away", "poissa", "borta")),
    "my requests": (MENTOR_WORK, ("my requests", "omat pyynnöt", "omat pyynnot", "mina ärenden", "mina arenden")),
    "log": (MENTOR_WORK, ("log", "kirjaa", "logga")),
    "my hours": (MENTOR_WORK, ("my hours", "omat tunnit", "mina timmar")),
    "stats": ("coordinator", ("stats", "tilastot", "statistik")),
    "gaps": ("coordinator", ("gaps", "aukot", "luckor")),
    "export": ("coordinator", ("export", "vienti", "exportera")),
    "mentors": ("coordinator", ("mentors", "mentorit", "mentorer")),
    "faq": ("coordinator", ("faq", "ukk", "vanliga frågor")),
    # `survey` starts a round; `survey status` and `survey results` are for supervisors too.
    "survey": ("coordinator", ("survey", "kartoitus", "kartläggning", "kartlaggning")),
    "coverage": ("coordinator", ("coverage", "kattavuus", "täckning", "tackning")),
    "announce": ("coordinator", ("announce", "tiedote", "tiedota", "meddelande")),
    "impact": ("coordinator", ("impact", "vaikuttavuus", "effekt")),
    # A team session with a digitutor, booked on a form.
    "book": (None, ("book", "book a session", "varaa", "varaa koulutus", "boka", "boka utbildning")),
    # A peer-mentoring agreement, written by its mentor on a form; the sides' list.
    "agreement": (("mentor", "coordinator"), ("agreement", "sopimus", "mentorointisopimus", "avtal",
                                              "mentorsavtal")),
    "my agreements": (None, ("my agreements", "omat sopimukset", "mina avtal")),
    # Anyone who knows helps (the open and both mentor models).
    "help with": (None, ("i can help with", "i can help in", "voin auttaa", "jag kan hjälpa med",
                         "jag kan hjälpa till med", "jag kan hjälpa till i", "jag kan hjälpa i")),
    "stop helping": (None, ("stop helping", "lopetan auttamisen", "lopeta auttaminen", "en voi enää auttaa",
                            "slutar hjälpa", "sluta hjälpa")),
    # `log 45 #12 pivot tables`: a meeting of agreement 12 (parsed from `log`, never typed as is).
    "log agreement": (("mentor", "coordinator"), ()),
}

# The language of each Finnish and Swedish alias, for answering in it; English names are the
# stable names everyone may type, so they are answered in the person's own language.
ALIAS_LANGUAGES = {
    **dict.fromkeys(("ohje", "ohjeet", "apua", "apu", "mentori", "digimentori", "kysy mentorilta", "paikalla",
                     "tavoitettavissa", "poissa", "omat pyynnöt", "omat pyynnot", "kirjaa", "omat tunnit",
                     "tilastot", "aukot", "vienti", "mentorit", "ukk", "kartoitus", "kattavuus", "tiedote",
                     "tiedota", "vaikuttavuus", "varaa", "varaa koulutus", "sopimus", "mentorointisopimus",
                     "omat sopimukset", "voin auttaa", "lopetan auttamisen", "lopeta auttaminen",
                     "en voi enää auttaa"), "fi"),
    **dict.fromkeys(("hjälp", "hjalp", "fråga mentor", "tillgänglig", "borta", "mina ärenden", "mina arenden",
                     "logga", "mina timmar", "statistik", "luckor", "exportera", "mentorer", "vanliga frågor",
                     "kartläggning", "kartlaggning", "täckning", "tackning", "meddelande", "effekt", "boka",
                     "boka utbildning", "avtal", "mentorsavtal", "mina avtal", "jag kan hjälpa med",
                     "jag kan hjälpa till med", "jag kan hjälpa till i", "jag kan hjälpa i", "slutar hjälpa",
                     "sluta hjälpa"), "sv"),
}

# `survey <subcommand>`: the word after `survey` (any of its aliases), its meaning and language.
SURVEY_SUBCOMMANDS = {
    "status": ("status", None), "tila": ("status", "fi"), "tilanne": ("status", "fi"), "läge": ("status", "sv"),
    "lage": ("status", "sv"),
    "results": ("results", None), "tulokset": ("results", "fi"), "resultat": ("results", "sv"),
}
SUBCOMMAND_ROLES = {("survey", "status"): ("coordinator", "supervisor"),
                    ("survey", "results"): ("coordinator", "supervisor")}

# What may follow each command word for the message to be that command; a command missing
# here takes nothing after it ("apua kalenterin kanssa" is a question, not "help").
_ARGUMENTS = {
    "mentor": re.compile(r".+", re.DOTALL),  # the question for a person
    "log": re.compile(r"\d.*", re.DOTALL),  # minutes first: "log 30 team training"
    "away": re.compile(r"(?:(?:klo|kello|kl|till|until|at|to)\.?\s*)?\d{1,2}(?:[:.]\d{2})?(?:\s*(?:asti|saakka))?"),
    "faq": re.compile(r"[a-z0-9][a-z0-9._-]{0,99}"),  # an entry id
    # `survey status`, or `survey results [round-id] [unit-id]` (checked by the flow, which
    # answers an unknown round or unit by name rather than taking it for a question).
    "survey": re.compile(r"(?i:(?:status|tila|tilanne|läge|lage)|(?:results|tulokset|resultat)(?:\s+\S{1,100}){0,2})"),
}
# `log 45 #12 pivot tables` / `kirjaa 45 min #12`: minutes, then the agreement's number.
_AGREEMENT_LOG = re.compile(r"\d{1,4}\s*(?:min|minuuttia|minuter|minutes)?\s*#\d+(?:\s.*)?", re.DOTALL)
# "I can help with ...": topics, a few words at most. A longer sentence is a question ("voin
# auttaa kollegaa, mutta miten jaan tiedoston excelissä") unless it is mostly topics the bot
# knows ("voin auttaa excelissä ja teamsissa"); a question mark always makes it a question.
_HELP_WITH = re.compile(r"[^?]{1,200}")
HELP_WITH_MAX_WORDS = 3
HELP_WITH_MAX_OTHER_WORDS = 2  # beside named topics ("excel pivot tables")
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
    def required_role(self) -> str | tuple[str, ...] | None:
        return COMMANDS[self.name][0]

    @property
    def subcommand(self) -> str | None:
        """`status` or `results` for `survey status` / `survey results ...` (in any language)."""
        words = self.argument.split()
        found = SURVEY_SUBCOMMANDS.get(words[0].casefold()) if self.name == "survey" and words else None
        return found[0] if found else None

    @property
    def subcommand_argument(self) -> str:
        """What follows the subcommand: `3 ward-3` of `survey results 3 ward-3`."""
        return " ".join(self.argument.split()[1:])

    @property
    def required_roles(self) -> tuple[str, ...]:
        """Any one of these roles may run the command (none: anyone)."""
        roles = SUBCOMMAND_ROLES.get((self.name, self.subcommand))
        if roles:
            return roles
        role = self.required_role
        return role if isinstance(role, tuple) else (role,) if role else ()


def parse_command(text: str, unit_ids: Collection[str] = (), topics: Collection[str] = ()) -> Command | None:
    """The command `text` is, or None when it is a question. `unit_ids`: the units a report
    command may name (without them only periods are recognised); `topics`: the topics an offer
    of help may name."""
    normalised = " ".join((text or "").split())
    lowered = normalised.casefold()
    bare = _TRAILING_PUNCTUATION.sub("", lowered) or lowered
    for alias, name in _ALIASES:
        if bare == alias:
            return Command(name, "", ALIAS_LANGUAGES.get(alias))
        if lowered.startswith(alias + " "):
            argument = normalised[len(alias) + 1:].strip()
            if name == "log" and _AGREEMENT_LOG.fullmatch(argument):
                return Command("log agreement", argument, ALIAS_LANGUAGES.get(alias))
            if _accepts(name, argument, unit_ids, topics):
                return Command(name, argument, ALIAS_LANGUAGES.get(alias) or _subcommand_language(name, argument))
    return None


def _subcommand_language(name: str, argument: str) -> str | None:
    """`survey tulokset`: the Finnish word after the English name is answered in Finnish."""
    words = argument.split()
    found = SURVEY_SUBCOMMANDS.get(words[0].casefold()) if name == "survey" and words else None
    return found[1] if found else None


def offers_help(text: str) -> bool:
    """Whether `text` starts like "I can help with": only then are the known topics fetched."""
    lowered = " ".join((text or "").casefold().split())
    return any(lowered.startswith(alias + " ") for alias in COMMANDS["help with"][1])


def names_a_report(text: str) -> bool:
    """Whether `text` starts like `stats` or `export` with words after it: only then is the
    unit list worth fetching to tell a report command from a question."""
    words = (text or "").casefold().split()
    return len(words) > 1 and any(words[0] == alias for name in _REPORTS for alias in COMMANDS[name][1])


def _accepts(name: str, argument: str, unit_ids: Collection[str], topics: Collection[str]) -> bool:
    if name == "help with":
        if not _HELP_WITH.fullmatch(argument):
            return False
        named, other = topics_named(argument, set(topics))
        return (bool(named) and len(other) <= HELP_WITH_MAX_OTHER_WORDS) or len(argument.split()) <= HELP_WITH_MAX_WORDS
    if name in _REPORTS:
        words = argument.split()
        periods = [w for w in words if looks_like_period(w)]
        units = [w for w in words if w in unit_ids]
        return 0 < len(words) <= 2 and len(periods) <= 1 and len(units) <= 1 and len(periods) + len(units) == len(words)
    pattern = _ARGUMENTS.get(name)
    return pattern is not None and pattern.fullmatch(_TRAILING_PUNCTUATION.sub("", argument)) is not None
