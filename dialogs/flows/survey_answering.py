"""Answering a survey round in chat: one card per area, back and forth, stop and resume (also
after a restart), answers saved area by area and changeable until the round closes; at the end
the respondent's own profile, where low areas link to FAQ answers and to a digimentor.

The dialog's moves are dialogs/survey_dialog.py; its state is the respondent's row
(storage/survey_responses.py). Every click is checked against that row: only someone invited to
the round has one, so a forged round id, area or another person's anything finds nothing of
theirs to show or change."""

from __future__ import annotations

from dataclasses import dataclass

from cards import survey as cards
from cards.formatting import day
from cards.i18n import Texts
from dialogs.card_action import CardAction
from dialogs.clock import Clock
from dialogs.flows.asking import Asking
from dialogs.flows.faq_library import FaqLibrary
from dialogs.flows.request_actions import RequestActions
from dialogs.flows.survey_instruments import Instruments
from dialogs.replies import Reply, refused
from dialogs.rules.people import Member
from dialogs.rules.survey_file import CANT_SAY, SCALE, Area, Instrument, localized
from dialogs.rules.survey_rounds import closed_on, last_day
from dialogs.survey_dialog import NEXT, DialogState, NotInSequence, Step, SurveyDialog, UnknownDirection
from storage.survey_models import SUPERVISOR
from storage.survey_responses import ResponseRecord, RoundClosed, StaleRevision, SurveyResponseRepository
from storage.survey_rounds import RoundRecord

# Saving retries this often when another of the person's own clicks moved the dialog meanwhile.
SAVE_ATTEMPTS = 3
_VALUES = {str(value) for value in (CANT_SAY, *SCALE)}


@dataclass(frozen=True)
class Answering:
    """A respondent's round, their response and the dialog over their areas."""

    survey_round: RoundRecord
    response: ResponseRecord
    instrument: Instrument
    dialog: SurveyDialog

    @property
    def state(self) -> DialogState:
        return DialogState(self.response.position, frozenset(self.response.saved_areas), self.response.revision)

    @property
    def areas(self) -> tuple[Area, ...]:
        return self.instrument.sequence(supervisor=self.response.staff_group == SUPERVISOR)


class SurveyAnswering:
    def __init__(self, instruments: Instruments, responses: SurveyResponseRepository, library: FaqLibrary,
                 asking: Asking, requests: RequestActions, clock: Clock) -> None:
        self._instruments = instruments
        self._responses = responses
        self._library = library
        self._asking = asking
        self._requests = requests
        self._clock = clock

    async def _answering(self, round_id: int, member: Member) -> Answering | None:
        if member.person_id is None:
            return None
        found = await self._responses.of(round_id, member.person_id)
        if found is None:
            return None
        survey_round, response = found
        instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
        if instrument is None:
            return None
        areas = instrument.sequence(supervisor=response.staff_group == SUPERVISOR)
        return Answering(survey_round, response, instrument, SurveyDialog([area.id for area in areas]))

    async def _load(self, action: CardAction, member: Member, texts: Texts) -> Answering | Reply:
        round_id = action.integer("round_id")
        if round_id is None:
            return refused(texts, "bad_data")
        answering = await self._answering(round_id, member)
        if answering is None:
            return Reply(text=texts("survey_refusal.not_invited"))
        return answering

    # -- openSurvey ----------------------------------------------------------------------------
    async def open(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """Starts, or resumes where the respondent stopped; with `area`, at that area."""
        answering = await self._load(action, member, texts)
        if isinstance(answering, Reply):
            return answering
        if not answering.survey_round.open_at(self._clock.now()):
            return await self._closed(answering, texts)
        area_id = action.text("area", 100)
        if area_id is not None:
            try:
                position = answering.dialog.resume(answering.state, area_id).position
            except NotInSequence:
                return Reply(text=texts("survey_refusal.not_your_area"))
            try:
                response = await self._responses.move(answering.response, position)
            except RoundClosed:
                return await self._closed(answering, texts)
            except StaleRevision:
                return await self.open(action, member, texts)  # their other card moved it: read again
            answering = Answering(answering.survey_round, response, answering.instrument, answering.dialog)
        return await self._where_they_are(answering, texts)

    async def _where_they_are(self, answering: Answering, texts: Texts, *, problem: str | None = None) -> Reply:
        area_id = answering.dialog.current(answering.state)
        if area_id is None:
            return Reply(card=cards.profile_card(texts, await self._profile(answering, texts)))
        values = await self._responses.answers(answering.response.id)
        return Reply(card=cards.area_card(texts, self._page(answering, area_id, values, texts), problem=problem))

    def _page(self, answering: Answering, area_id: str, values: dict[str, int], texts: Texts) -> cards.AreaPage:
        language = texts.language
        area = answering.instrument.area(area_id)
        number, of = answering.dialog.progress(area_id)
        labels = [(value, answering.instrument.scale_label(value, language)) for value in (1, 2, 3, 4, 5, CANT_SAY)]
        return cards.AreaPage(
            round_id=answering.survey_round.id, survey_name=answering.instrument.name(language), area_id=area_id,
            title=localized(area.title, language), number=number, of=of,
            items=[(item.id, localized(item.text, language)) for item in area.items], labels=labels,
            values={item: value for item, value in values.items() if item in area.item_ids},
            revision=answering.response.revision, closes_on=last_day(answering.survey_round.closes_at))

    async def _closed(self, answering: Answering, texts: Texts) -> Reply:
        text = texts("survey_refusal.closed", closed=day(closed_on(answering.survey_round), texts.language))
        if not answering.response.saved_areas:
            return Reply(text=text)
        return Reply(text=text, card=cards.profile_card(texts, await self._profile(answering, texts)))

    # -- answerSurvey --------------------------------------------------------------------------
    async def answer(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        answering = await self._load(action, member, texts)
        if isinstance(answering, Reply):
            return answering
        area_id, direction = action.text("area", 100), action.text("direction", 10)
        if area_id is None or direction is None:
            return refused(texts, "bad_data")
        area = answering.instrument.area(area_id)
        if area is None or area_id not in answering.dialog.areas:
            return Reply(text=texts("survey_refusal.not_your_area"))
        if not answering.survey_round.open_at(self._clock.now()):
            return await self._closed(answering, texts)
        revision = action.integer("revision")
        if revision is not None and revision != answering.response.revision:
            # A card older than the last change (another card, another device): shown where they are.
            reply = await self._where_they_are(answering, texts)
            return Reply(text=texts("survey_refusal.stale"), card=reply.card)
        given, bad = _values(action, area)
        if bad or (direction == NEXT and any(value is None for value in given.values())):
            problem = texts("survey_refusal.bad_value" if bad else "survey_refusal.answer_all")
            saved = await self._responses.answers(answering.response.id)
            values = {**saved, **{item: value for item, value in given.items() if value is not None}}
            page = self._page(answering, area_id, values, texts)
            return Reply(card=cards.area_card(texts, page, problem=problem))
        for _ in range(SAVE_ATTEMPTS):
            try:
                step = answering.dialog.answer(answering.state, area_id, direction,
                                               answered=any(value is not None for value in given.values()))
            except UnknownDirection:
                return refused(texts, "bad_data")
            try:
                return await self._saved(answering, area, given, step, texts)
            except RoundClosed:
                return await self._closed(answering, texts)
            except StaleRevision:
                if revision is not None:
                    reply = await self._where_they_are(answering, texts)
                    return Reply(text=texts("survey_refusal.stale"), card=reply.card)
                # Their other click moved the dialog meanwhile: read it again and retry.
                answering = await self._answering(answering.survey_round.id, member)
                if answering is None:
                    return Reply(text=texts("survey_refusal.not_invited"))
        return Reply(text=texts("survey_refusal.busy"))

    async def _saved(self, answering: Answering, area: Area, given: dict[str, int | None], step: Step,
                     texts: Texts) -> Reply:
        response = await self._responses.save(answering.response, area_id=area.id, answers=given,
                                              position=step.state.position, saved_areas=tuple(sorted(step.state.saved)),
                                              reached_end=step.reached_end)
        answering = Answering(answering.survey_round, response, answering.instrument, answering.dialog)
        if step.paused:
            return Reply(card=cards.paused_card(
                texts, round_id=answering.survey_round.id, survey_name=answering.instrument.name(texts.language),
                saved=len(response.saved_areas), of=answering.dialog.end,
                closes_on=last_day(answering.survey_round.closes_at)))
        return await self._where_they_are(answering, texts)

    # -- the profile ---------------------------------------------------------------------------
    async def _profile(self, answering: Answering, texts: Texts) -> cards.Profile:
        language = texts.language
        answers = await self._responses.answers(answering.response.id)
        booked = await self._responses.booked_areas(answering.response.id)
        low_below = answering.instrument.low_below
        areas = []
        for area in answering.areas:
            values = [answers[item] for item in area.item_ids if item in answers]
            scores = [value for value in values if value != CANT_SAY]
            mean = round(sum(scores) / len(scores), 1) if scores else None
            low = mean is not None and mean < low_below
            faq = [(view.title, view.answer) for view in await self._library.on_topics(
                list(area.faq_topics), language)] if low else []
            areas.append(cards.ProfileArea(area.id, localized(area.title, language), mean, len(values),
                                           len(area.items), low=low, faq=faq, bookable=bool(area.mentor_topics),
                                           booked=area.id in booked))
        survey_round = answering.survey_round
        return cards.Profile(round_id=survey_round.id, survey_name=answering.instrument.name(language), areas=areas,
                             open=survey_round.open_at(self._clock.now()), closes_on=last_day(survey_round.closes_at),
                             first_area=answering.dialog.areas[0], low_below=low_below)

    # -- bookSurveyMentor ----------------------------------------------------------------------
    async def book(self, action: CardAction, member: Member, texts: Texts) -> Reply:
        """A hand-off to a digimentor about an area, with its mentor topic: once per area."""
        answering = await self._load(action, member, texts)
        if isinstance(answering, Reply):
            return answering
        area = answering.instrument.area(action.text("area", 100) or "")
        if area is None or area.id not in answering.dialog.areas or not area.mentor_topics:
            return Reply(text=texts("survey_refusal.not_your_area"))
        created, question_id = await self._responses.book(answering.response.id, area.id)
        if not created:
            if question_id is None:
                return Reply(text=texts("survey_refusal.booking_underway"))
            # Clicked again: the same request's card, as asking again does.
            return await self._requests.ask(member, question_id, texts)
        question = texts("survey.booking_question", area=localized(area.title, texts.language),
                         survey=answering.instrument.name(texts.language))
        question_id, guarded = await self._asking.record_direct(member, question, texts)
        await self._responses.booked(answering.response.id, area.id, question_id)
        reply = await self._requests.ask(member, question_id, Texts(guarded.language), topic=area.mentor_topics[0])
        return reply.with_notice(texts("survey.booked_notice"))

    # -- `survey` for someone who may not start one ---------------------------------------------
    async def open_invitations(self, member: Member, texts: Texts) -> dict | None:
        """A card with the open rounds they were invited to, or None."""
        if member.person_id is None:
            return None
        rows = []
        for survey_round, response in (await self._responses.open_for(member.person_id))[:3]:
            instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
            if instrument is not None:
                of = len(instrument.sequence(supervisor=response.staff_group == SUPERVISOR))
                rows.append((survey_round.id, instrument.name(texts.language), last_day(survey_round.closes_at),
                             len(response.saved_areas), of))
        return cards.open_surveys_card(texts, rows) if rows else None


def _values(action: CardAction, area: Area) -> tuple[dict[str, int | None], bool]:
    """The area's answers on the card (None: not answered), and whether any was not on the scale."""
    given: dict[str, int | None] = {}
    bad = False
    for item in area.item_ids:
        raw = action.data.get(item)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            given[item] = None
        elif isinstance(raw, str) and raw.strip() in _VALUES:
            given[item] = int(raw.strip())
        else:
            given[item], bad = None, True
    return given, bad
