"""Who the sides of a peer-mentoring agreement are, and how each sees it.

The mentor is one person. The mentee is a person, or a team (a unit): a team is answered for by
its supervisors, or, where it has none, by the coordinators whose units include it; any of
them may accept, and whoever answers becomes the team's contact for reminders and the close.
"""

from __future__ import annotations

from dataclasses import dataclass

from cards.agreements import AgreementView
from cards.i18n import Texts
from dialogs.redacted import readable
from dialogs.rules.language import preferred_language
from dialogs.rules.people import Member
from dialogs.rules.periods import HELSINKI
from dialogs.rules.units import lineage, subtree, unit_name
from storage.agreement_repository import AgreementRecord
from storage.directory_repository import DirectoryRepository


@dataclass(frozen=True)
class Side:
    person_id: int
    aad_object_id: str
    language: str


class AgreementSides:
    def __init__(self, directory: DirectoryRepository) -> None:
        self._directory = directory

    async def person(self, person_id: int | None) -> Side | None:
        if person_id is None:
            return None
        summary = await self._directory.person(person_id)
        if summary is None:
            return None
        settings = await self._directory.settings()
        return Side(person_id, summary.aad_object_id,
                    preferred_language(None, summary.languages or (settings.default_language,)))

    async def team_answerers(self, unit_id: str) -> tuple[list[Side], set[int]]:
        """(whom a team's proposal is sent to, everyone who may answer it): its supervisors, or,
        when it has none, the coordinators of the unit or of a unit above it; either may answer."""
        supervisors = await self._directory.people_with_role("supervisor", unit_id)
        coordinators = await self._directory.coordinators_of(lineage(unit_id, await self._directory.unit_parents()))
        recipients = [await self.person(person_id) for person_id, _ in supervisors or coordinators]
        return [side for side in recipients if side], {person_id for person_id, _ in supervisors + coordinators}

    async def mentee_sides(self, record: AgreementRecord) -> list[Side]:
        """Who speaks for the mentee now: the person, a team's contact once it answered, or
        (while proposed) those a team's proposal went to."""
        if record.mentee_person_id is not None:
            side = await self.person(record.mentee_person_id)
            return [side] if side else []
        if record.mentee_contact_id is not None:
            side = await self.person(record.mentee_contact_id)
            return [side] if side else []
        recipients, _ = await self.team_answerers(record.mentee_unit_id)
        return recipients

    async def answers_for_mentee(self, record: AgreementRecord, member: Member) -> bool:
        """Whether the member may accept or decline the proposal for the mentee side."""
        if member.person_id is None:
            return False
        if record.mentee_person_id is not None:
            return member.person_id == record.mentee_person_id
        _, answerers = await self.team_answerers(record.mentee_unit_id)
        return member.person_id in answerers

    async def everyone(self, record: AgreementRecord) -> list[Side]:
        """Both sides: the mentor first."""
        mentor = await self.person(record.mentor_id)
        return [side for side in [mentor, *await self.mentee_sides(record)] if side]

    @staticmethod
    def is_side(record: AgreementRecord, member: Member) -> bool:
        """A side of an agreement that has been answered: its mentor, its mentee, a team's contact."""
        return member.person_id is not None and member.person_id in (
            record.mentor_id, record.mentee_person_id, record.mentee_contact_id)

    async def units_answered_for(self, member: Member) -> set[str]:
        """The teams whose proposals the member may answer (for `my agreements`)."""
        units = {member.unit_id} if member.unit_id and member.has_role("supervisor") else set()
        if member.has_role("coordinator"):
            units |= subtree(await self._directory.coordinated_units(member.person_id),
                             await self._directory.unit_parents())
        return units

    async def mentee_name(self, person_id: int | None, unit_id: str | None, texts: Texts) -> str:
        """The mentee as the cards name them: a team by its unit's name, a person by their name."""
        if unit_id is not None:
            return unit_name(await self._directory.unit_names(), unit_id, texts.language) or unit_id
        person = await self._directory.person(person_id) if person_id is not None else None
        return readable(person.name, texts) if person else "–"

    async def view(self, record: AgreementRecord, texts: Texts) -> AgreementView:
        mentor = await self._directory.person(record.mentor_id)
        mentee = await self.mentee_name(record.mentee_person_id, record.mentee_unit_id, texts)
        return AgreementView(
            agreement_id=record.id, topic=readable(record.topic, texts),
            mentor_name=readable(mentor.name, texts) if mentor else "–", mentee=mentee,
            starts=record.starts, ends=record.ends, planned_meetings=record.planned_meetings,
            minutes_per_meeting=record.minutes_per_meeting, state=record.state,
            goals=tuple(readable(goal, texts) for goal in record.goals), meetings_logged=record.meetings_logged,
            minutes_logged=record.minutes_logged, team=record.mentee_unit_id is not None,
            ended=record.closed_at.astimezone(HELSINKI).date() if record.closed_at else None)

