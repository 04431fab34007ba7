"""Survey rounds as coordinators run them: the start form, starting a round (or a pre-test to
themselves), `survey status` while it is open, closing it early, and the background sweep that
sends up to two reminders and closes rounds at their date.

Invitations and reminders go out through the outbox (storage/outbox.py), stored in the very
transaction that starts the round or claims the reminder, so each person gets each of them once
however many processes run and restart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import time, timedelta

from cards import survey as survey_cards
from cards import survey_admin as admin_cards
from cards.i18n import Texts
from dialogs.card_action import CardAction
from dialogs.clock import Clock
from dialogs.flows.directory import Directory
from dialogs.flows.survey_instruments import Instruments
from dialogs.replies import Reply, refused
from dialogs.rules.language import preferred_language
from dialogs.rules.people import Member
from dialogs.rules.survey_file import Instrument
from dialogs.rules.survey_privacy import reporting_homes
from dialogs.rules.survey_rounds import (
    BadDate,
    closing_moment,
    due_reminder,
    last_day,
    parse_closing_date,
    parse_unit_list,
    reminder_times,
)
from dialogs.rules.units import subtree, unit_name
from storage.directory_repository import DirectoryRepository
from storage.outbox import Outgoing
from storage.survey_rounds import Invitee, Overlap, RoundRecord, SurveyRoundRepository

log = logging.getLogger(__name__)
DEFAULT_OPEN_DAYS = 14
MAX_STATUS_UNITS = 12


class SurveyRounds:
    def __init__(self, instruments: Instruments, rounds: SurveyRoundRepository,
                 directory_repository: DirectoryRepository, directory: Directory, clock: Clock) -> None:
        self._instruments = instruments
        self._rounds = rounds
        self._directory_repository = directory_repository
        self._directory = directory
        self._clock = clock
        # Set by the wiring: the results card a coordinator sees after closing a round.
        self.results_after_close: Callable | None = None

    # -- scope ---------------------------------------------------------------------------------
    async def viewer_scope(self, member: Member, parents: dict[str, str | None]) -> set[str] | None:
        """What a coordinator coordinates (admins: everything, None) and a supervisor's own unit
        with the units under it."""
        scope: set[str] = set()
        if member.has_role("coordinator"):
            visible = await self._directory.visible_units(member, parents)
            if visible is None:
                return None
            scope |= visible
        if member.has_role("supervisor") and member.unit_id:
            scope |= subtree({member.unit_id}, parents)
        return scope

    async def _default_units(self, member: Member, parents: dict[str, str | None]) -> list[str]:
        units = sorted(await self._directory_repository.coordinated_units(member.person_id))
        return units or sorted(unit for unit, parent in parents.items() if parent is None)

    # -- the form and the start ----------------------------------------------------------------
    async def form(self, member: Member, texts: Texts, *, problem: str | None = None, units: str | None = None,
                   closes: str | None = None, pretest: bool = False, instrument: str | None = None) -> Reply:
        parents = await self._directory_repository.unit_parents()
        names = await self._directory_repository.unit_names()
        default_units = await self._default_units(member, parents)
        choices = await self._instruments.choices()
        today = self._clock.now()
        closes = closes or (last_day(closing_moment(today.date())) + timedelta(days=DEFAULT_OPEN_DAYS)).isoformat()
        card = admin_cards.survey_form_card(
            texts, instruments=[(_key(i), f"{i.name(texts.language)} ({texts('survey.version', version=i.version)})")
                                for i in choices],
            instrument=instrument or _key(choices[0]), units=units if units is not None else ", ".join(default_units),
            your_units=[(unit, unit_name(names, unit, texts.language)) for unit in default_units],
            closes=closes, pretest=pretest, problem=problem)
        return Reply(card=card)

    async def start(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        if member.person_id is None:
            return refused(texts, "not_in_directory")
        units_text, closes_text = action.text("units", 4000), action.text("closes", 40)
        pretest = action.flag("pretest") is True
        chosen_key = action.text("instrument", 200)

        async def again(reason: str, **params: object) -> Reply:
            """The form once more, with what they entered and what is wrong with it; nothing starts."""
            return await self.form(member, texts, problem=texts(f"survey_refusal.{reason}", **params),
                                   units=units_text, closes=closes_text, pretest=pretest, instrument=chosen_key)

        try:
            last = parse_closing_date(closes_text, self._clock.now())
        except BadDate as bad:
            return await again(bad.reason, text=closes_text or "")
        choices = {_key(i): i for i in await self._instruments.choices()}
        instrument = choices.get(chosen_key) if chosen_key else next(iter(choices.values()))
        if instrument is None:
            return await again("unknown_instrument", instrument=chosen_key)
        parents = await self._directory_repository.unit_parents()
        units = parse_unit_list(units_text) or await self._default_units(member, parents)
        allowed = await self._directory.visible_units(member, parents)
        for unit in units:
            if unit not in parents:
                return await again("unknown_unit", unit=unit)
            if allowed is not None and unit not in allowed:
                return await again("unit_not_yours", unit=unit)
        await self._instruments.ensure_stored(instrument, actor=member.aad_object_id)
        closes_at = closing_moment(last)
        started = await self._rounds.start(
            instrument_id=instrument.id, version=instrument.version, started_by=member.person_id, pretest=pretest,
            units=subtree(set(units), parents), closes_at=closes_at,
            message_for=self._messages(instrument, closes_at, pretest=pretest))
        if started is None:
            return await again("nobody_there")
        if isinstance(started, Overlap):
            names = await self._directory_repository.unit_names()
            return await again("already_open", round=started.round_id,
                               unit=unit_name(names, started.unit_id, texts.language))
        log.info("survey round started", extra={"round_id": started.id, "invited": started.invited,
                                                "pretest": pretest})
        progress = await self._rounds.progress(started.id)
        names = await self._directory_repository.unit_names()
        return Reply(card=admin_cards.round_started_card(
            texts, round_id=started.id, survey_name=instrument.name(texts.language), invited=started.invited,
            supervisors=sum(p.invited for p in progress if p.staff_group == "supervisor"),
            units=[unit_name(names, unit, texts.language) for unit in units], closes_on=last, pretest=pretest))

    def _messages(self, instrument: Instrument, closes_at, *, pretest: bool = False,
                  reminder: int = 0) -> Callable[[int, Invitee], Outgoing]:
        """One card per language and staff group, made once for everyone who shares them. A new
        round's id is known only inside the transaction that creates it: storage passes it in."""
        cards: dict[tuple[int, str, bool], dict] = {}

        def message_for(round_id: int, invitee: Invitee) -> Outgoing:
            language = preferred_language(None, invitee.languages)
            key = (round_id, language, invitee.supervisor)
            if key not in cards:
                texts = Texts(language)
                everyone = len(instrument.sequence(supervisor=False))
                cards[key] = survey_cards.invitation_card(
                    texts, round_id=round_id, survey_name=instrument.name(language),
                    intro=instrument.intro(language), areas=everyone, minutes=instrument.minutes,
                    closes_on=last_day(closes_at), pretest=pretest, reminder=reminder,
                    supervisor_areas=len(instrument.sequence(supervisor=True)) - everyone if invitee.supervisor
                    else 0)
            return Outgoing(invitee.aad_object_id, "notice", card=cards[key])

        return message_for

    # -- closing -------------------------------------------------------------------------------
    async def close_round(self, round_id: int, closed_by: int | None) -> bool:
        parents = await self._directory_repository.unit_parents()
        closed = await self._rounds.close(round_id, closed_by, lambda totals: reporting_homes(totals, parents))
        if closed:
            log.info("survey round closed", extra={"round_id": round_id, "early": closed_by is not None})
        return closed

    async def may_manage(self, member: Member, survey_round: RoundRecord) -> bool:
        if "admin" in member.roles or survey_round.started_by == member.person_id:
            return True
        allowed = await self._directory.visible_units(member, await self._directory_repository.unit_parents())
        return allowed is None or (bool(survey_round.units) and set(survey_round.units) <= allowed)

    async def close(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        round_id = action.integer("round_id")
        if round_id is None:
            return refused(texts, "bad_data")
        survey_round = await self._rounds.get(round_id)
        if survey_round is None:
            return Reply(text=texts("survey_refusal.unknown_round", round=round_id))
        if not await self.may_manage(member, survey_round):
            return Reply(text=texts("survey_refusal.round_not_yours", round=round_id))
        if not await self.close_round(round_id, member.person_id):
            return Reply(text=texts("survey_refusal.already_closed", round=round_id))
        reply = Reply(text=texts("survey.closed_now", round=round_id))
        if self.results_after_close is not None:
            results = await self.results_after_close(member, round_id, texts)
            reply = Reply(text=reply.text, card=results.card)
        return reply

    # -- status --------------------------------------------------------------------------------
    async def status(self, member: Member, texts: Texts) -> Reply:
        parents = await self._directory_repository.unit_parents()
        scope = await self.viewer_scope(member, parents)
        names = await self._directory_repository.unit_names()
        shown = []
        for survey_round in await self._rounds.rounds(open_only=True):
            if survey_round.pretest and survey_round.started_by != member.person_id:
                continue
            progress = [p for p in await self._rounds.progress(survey_round.id)
                        if scope is None or p.unit_id in scope]
            if not progress:
                continue
            instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
            shown.append(_round_status(texts, survey_round, instrument, progress, names,
                                       may_close=member.has_role("coordinator")
                                       and await self.may_manage(member, survey_round)))
        return Reply(card=admin_cards.status_card(texts, shown))

    # -- the background sweep ------------------------------------------------------------------
    async def sweep(self) -> int:
        """Closes the rounds whose date has passed and sends the reminders that are due."""
        done = 0
        for round_id in await self._rounds.due_to_close():
            done += await self.close_round(round_id, None)
        settings = await self._directory_repository.settings()
        start_of_day = time.fromisoformat(settings.working_hours_start)
        now = self._clock.now()
        for survey_round in await self._rounds.rounds(open_only=True):
            times = reminder_times(survey_round.opened_at, survey_round.closes_at, start_of_day)
            number = due_reminder(times, survey_round.reminders_sent, now)
            if number is None:
                continue
            instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
            sent = await self._rounds.claim_reminder(survey_round.id, number, self._messages(
                instrument, survey_round.closes_at, pretest=survey_round.pretest, reminder=number))
            if sent is not None:
                log.info("survey reminder sent", extra={"round_id": survey_round.id, "reminder": number,
                                                        "recipients": sent})
                done += 1
        return done


def _key(instrument: Instrument) -> str:
    return f"{instrument.id}:{instrument.version}"


def _round_status(texts: Texts, survey_round: RoundRecord, instrument: Instrument | None, progress, names,
                  *, may_close: bool) -> admin_cards.RoundStatus:
    by_unit: dict[str, list[int]] = {}
    for p in progress:
        counts = by_unit.setdefault(p.unit_id, [0, 0, 0])
        counts[0] += p.invited
        counts[1] += p.answered
        counts[2] += p.paper
    units = sorted(by_unit.items(), key=lambda item: (item[1][1] / max(item[1][0], 1), item[0]))
    rows = [(unit_name(names, unit, texts.language), invited, answered) for unit, (invited, answered, _) in units]
    return admin_cards.RoundStatus(
        round_id=survey_round.id, survey_name=instrument.name(texts.language) if instrument else "",
        pretest=survey_round.pretest, closes_on=last_day(survey_round.closes_at),
        reminders_sent=survey_round.reminders_sent,
        invited=sum(c[0] for c in by_unit.values()), answered=sum(c[1] for c in by_unit.values()),
        finished=sum(p.finished for p in progress), paper=sum(c[2] for c in by_unit.values()),
        units=rows[:MAX_STATUS_UNITS], more_units=max(0, len(rows) - MAX_STATUS_UNITS), may_close=may_close)
