"""Topic ids: what an FAQ entry is about and what a mentor knows, matched to each other.

Finnish topic names are written with å, ä and ö ("sähköposti", "etätyö",
"potilastietojärjestelmä"), so those are id letters too. Only what cannot be an id is refused,
and the refusal says why."""

from __future__ import annotations

import re

MAX_LENGTH = 50
_ID = re.compile(r"[a-z0-9åäö][a-z0-9åäö-]*")
_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789åäö-")


def topic_problem(topic: str) -> str | None:
    """Why `topic` cannot be a topic id, or None when it can."""
    if not topic:
        return "a topic cannot be empty"
    if len(topic) > MAX_LENGTH:
        return f"a topic has at most {MAX_LENGTH} characters"
    if topic != topic.lower():
        return "write the topic in lower case"
    if " " in topic:
        return "use a dash instead of a space, e.g. 'etä-vastaanotto'"
    strange = sorted(set(topic) - _ALLOWED)
    if strange:
        return f"a topic is letters (a-z, å, ä, ö), digits and dashes; {''.join(strange)!r} is not"
    if not _ID.fullmatch(topic):
        return "a topic starts with a letter or a digit"
    return None


def check_topic(topic: str) -> str:
    """The topic, or ValueError saying why it cannot be one (for pydantic validators)."""
    problem = topic_problem(topic)
    if problem:
        raise ValueError(f"{topic!r}: {problem}")
    return topic


# Words between topics in "excel, teams and outlook" / "excelissä ja teamsissa" / "excel och teams".
_JOINERS = {"and", "ja", "sekä", "och", "samt", "&", "with", "in", "on", "kanssa", "med", "i", "myös", "also"}


def topics_named(text: str, known: set[str]) -> tuple[list[str], list[str]]:
    """(known topics the text names, the other words): "excelissä ja teamsissa" names excel and
    teams, because a Finnish inflection only adds to the end of the word."""
    found: list[str] = []
    unknown: list[str] = []
    for word in re.split(r"[\s,;/+]+", (text or "").casefold()):
        word = word.strip(".!?:()\"'")
        if not word or word in _JOINERS:
            continue
        matches = [topic for topic in known if word == topic or (len(topic) >= 3 and word.startswith(topic))]
        if matches:
            topic = max(matches, key=len)
            if topic not in found:
                found.append(topic)
        else:
            unknown.append(word)
    return found, unknown
