"""Who is talking to the bot, as the rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.rules.language import preferred_language
from storage.directory_repository import DirectoryEntry


@dataclass(frozen=True)
class Member:
    aad_object_id: str
    name: str
    person_id: int | None = None
    unit_id: str | None = None
    languages: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"employee"}))

    @classmethod
    def from_entry(cls, entry: DirectoryEntry) -> "Member":
        return cls(entry.aad_object_id, entry.name, entry.person_id, entry.unit_id, entry.languages,
                   entry.roles or frozenset({"employee"}))

    @classmethod
    def stranger(cls, aad_object_id: str, display_name: str) -> "Member":
        """Someone not (yet) in the directory is still served, as an employee with no unit."""
        return cls(aad_object_id=aad_object_id, name=display_name or "")

    @property
    def in_directory(self) -> bool:
        return self.person_id is not None

    def preferred_language(self, locale_language: str | None) -> str:
        return preferred_language(locale_language, self.languages)

    def has_role(self, role: str) -> bool:
        # Admins may do everything a coordinator may.
        return role in self.roles or (role == "coordinator" and "admin" in self.roles)
