"""The team sessions' background rounds (run by every process, bot/web.py): the reminder to both
sides one working day before, and the Teams meeting through Microsoft Graph.

Each step is claimed by a conditional update (storage/session_repository.py) and its messages are
stored in the outbox in the same transaction: a reminder goes out once however many processes
look, and a meeting is created by the one process holding its lease, a bounded number of times."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from cards import sessions as session_cards
from cards.i18n import Texts
from dialogs.clock import Clock
from dialogs.flows.handoff import Handoff
from dialogs.flows.sessions import TeamSessions
from dialogs.ports import Graph
from storage.outbox import Outgoing
from storage.session_repository import MEETING_ATTEMPTS


class SessionRounds:
    def __init__(self, sessions: TeamSessions, handoff: Handoff, clock: Clock, graph: Graph | None = None) -> None:
        self._sessions = sessions
        self._handoff = handoff
        self._clock = clock
        self._graph = graph

    async def run(self) -> int:
        """One round of both: how many reminders and meetings were done."""
        return await self.remind_due() + await self.create_meetings()

    async def remind_due(self) -> int:
        repository, sent = self._sessions.sessions, 0
        for request_id in await repository.reminders_due(self._clock.now()):
            request = await self._handoff.requests.get(request_id)
            session = await repository.get(request_id)
            if request is None or session is None or session.chosen_slot is None:
                continue
            view = await self._sessions.view(request, session)
            messages = [Outgoing(aad, request_id=request_id, card=session_cards.reminder_card(texts, view))
                        for aad, texts in await self._both_sides(request, view)]
            if await repository.claim_reminder(request_id, session.chosen_slot, messages):
                sent += 1
        return sent

    async def create_meetings(self) -> int:
        """The Teams meeting of each accepted session that wants one: an online event in the
        booker's calendar with the mentor and the named participants invited
        (`Calendars.ReadWrite`). A failure is tried again next round, MEETING_ATTEMPTS times in
        all; then both sides are told to send the invitation themselves."""
        if self._graph is None:
            return 0
        repository, done = self._sessions.sessions, 0
        for request_id in await repository.meetings_due(self._clock.now()):
            session = await repository.claim_meeting(request_id)
            request = await self._handoff.requests.get(request_id)
            if session is None or request is None or session.chosen_slot is None:
                continue
            view = await self._sessions.view(request, session)
            attendees = [p.email for p in [await self._handoff.directory.person(request.assigned_mentor_id),
                                           *[await self._handoff.directory.person(i) for i in session.invitees]]
                         if p is not None and p.email]
            url = await self._graph.create_meeting(
                organizer=request.asker_aad_object_id, subject=Handoff.texts_of(request)(
                    "sessions.summary", topic=session.topic, headcount=session.headcount),
                start=session.chosen_slot, end=session.chosen_slot + timedelta(minutes=session.duration_minutes),
                attendees=attendees)
            final = url is not None or session.meeting_attempts >= MEETING_ATTEMPTS
            messages = []
            if url is not None:
                view = replace(view, meeting_url=url)
                messages = [Outgoing(aad, request_id=request_id, card=session_cards.meeting_card(texts, view))
                            for aad, texts in await self._both_sides(request, view)]
            elif final:
                booker, mentor = await self._both_sides(request, view)
                messages = [Outgoing(booker[0], request_id=request_id, text=booker[1]("sessions.meeting_failed")),
                            Outgoing(mentor[0], request_id=request_id,
                                     text=mentor[1]("sessions.meeting_failed_mentor"))]
            if await repository.meeting_done(request_id, session.chosen_slot, url=url, final=final,
                                             messages=messages):
                done += 1 if final else 0
        return done

    async def _both_sides(self, request, view) -> list[tuple[str, Texts]]:
        """(aad id, texts) of the booker and of the mentor, each in their own language."""
        mentor = await self._handoff.directory.person(request.assigned_mentor_id)
        mentor_texts = Texts(mentor.languages[0]) if mentor and mentor.languages else Handoff.texts_of(request)
        return [(request.asker_aad_object_id, Handoff.texts_of(request)),
                (view.mentor_aad_object_id, mentor_texts)]
