"""Who is talking to the bot, as the rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Member:
    aad_object_id: str
    name: str
    person_id: int | None = None
    unit_id: str | None = None
    languages: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"employee"}))

    @property
    def in_directory(self) -> bool:
        return self.person_id is not None

    def preferred_language(self, locale_language: str | None) -> str:
        """The Teams locale when the person speaks it, else their first directory language.

        Teams reports the client's UI language, which is often English even for people who
        work in Finnish; the directory says which languages they actually use.
        """
        if locale_language and (not self.languages or locale_language in self.languages):
            return locale_language
        return self.languages[0] if self.languages else (locale_language or "fi")

    def has_role(self, role: str) -> bool:
        # Admins may do everything a coordinator may.
        return role in self.roles or (role == "coordinator" and "admin" in self.roles)


def stranger(aad_object_id: str, display_name: str) -> Member:
    """Someone not (yet) in the directory is still served, as an employee with no unit."""
    return Member(aad_object_id=aad_object_id, name=display_name or "")
