"""The team sessions' cards, rendered with realistic (and the longest allowed) data for
tests/test_card_validation.py, which parses every card the bot can send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cards import reports
from cards import sessions as cards
from cards.i18n import Texts
from dialogs.rules import sessions as rules
from dialogs.rules.limits import MAX_COMMENT_CHARACTERS, MAX_MINUTES_PER_ENTRY
from dialogs.rules.periods import HELSINKI, parse_period
from dialogs.rules.stats import changes
from storage.collaboration_stats import SessionFigures
from storage.stats_repository import Figures
from tests.support.time import WEDNESDAY_MORNING

Add = Callable[[Callable, str, dict], None]
SLOTS = tuple(datetime(2026, 11, day, hour, 30, tzinfo=HELSINKI) for day, hour in ((27, 13), (30, 9), (30, 14)))
MEETING = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"
CHAT = "https://teams.microsoft.com/l/chat/0/0?users=00000000-0000-0000-0000-0000000000b1"


def _view(**overrides) -> cards.SessionView:
    values = dict(request_id=41, topic="Outlookin kalenteri ja Teams-kokouskutsut", unit="Osasto 3",
                  booker_name="Maija Virtanen", booker_aad_object_id="00000000-0000-0000-0000-0000000000a1",
                  headcount=12, duration_minutes=60, slots=SLOTS, note="Kalenterin jakaminen ja kokouskutsut.",
                  chosen=SLOTS[1], mentor_name="Pekka Korhonen",
                  mentor_aad_object_id="00000000-0000-0000-0000-0000000000b1", meeting_url=MEETING,
                  participants_named=6)
    return cards.SessionView(**{**values, **overrides})


def render_session_cards(add: Add) -> None:
    longest = _view(topic="T" * rules.MAX_TOPIC_CHARACTERS, note="N" * rules.MAX_NOTE_CHARACTERS,
                    unit="Sosiaali- ja terveyspalvelut, kotihoito ja kuntoutus")
    limits = {"topic": rules.MAX_TOPIC_CHARACTERS, "note": rules.MAX_NOTE_CHARACTERS,
              "headcount": rules.MAX_HEADCOUNT, "duration": rules.DEFAULT_DURATION}
    units = [(f"unit-{i}", f"Yksikkö {i}, pitkä nimi alueineen") for i in range(120)]
    for texts in (Texts("fi"), Texts("sv"), Texts("en")):
        lang = texts.language
        add(cards.booking_form_card, f"{lang}/120 units",
            cards.booking_form_card(texts, form="0123456789abcdef", units=units, unit="unit-3", limits=limits,
                                    examples=SLOTS[:2]))
        add(cards.booked_card, lang, cards.booked_card(texts, _view(chosen=None, mentor_name=None)))
        add(cards.session_offer_card, f"{lang}/3 slots", cards.session_offer_card(texts, _view(chosen=None)))
        add(cards.confirmed_card, f"{lang}/coming",
            cards.confirmed_card(texts, _view(meeting_url=None), chat_url=CHAT, meeting="coming", reminded=True))
        add(cards.session_working_card, f"{lang}/with meeting", cards.session_working_card(
            texts, _view(), chat_url=CHAT, minutes_limit=MAX_MINUTES_PER_ENTRY, participants_limit=rules.MAX_HEADCOUNT))
        add(cards.meeting_card, lang, cards.meeting_card(texts, _view()))
        add(cards.reminder_card, lang, cards.reminder_card(texts, _view()))
        add(cards.resolved_card, lang, cards.resolved_card(texts, _view(), minutes=75, participants=11, asked=5,
                                                             unreached=1))
        add(cards.session_feedback_card, lang,
            cards.session_feedback_card(texts, _view(), comment_limit=MAX_COMMENT_CHARACTERS))
        add(cards.session_unanswered_card, lang, cards.session_unanswered_card(texts, _view(chosen=None)))
        add(cards.session_cancelled_card, lang, cards.session_cancelled_card(texts, _view()))
    fi = Texts("fi")
    add(cards.session_offer_card, "fi/one slot, the longest texts",
        cards.session_offer_card(fi, _view(chosen=None, slots=SLOTS[:1], topic=longest.topic, note=longest.note)))
    add(cards.confirmed_card, "fi/manual, no chat", cards.confirmed_card(fi, longest, chat_url="", meeting="manual",
                                                                         reminded=False))
    add(cards.confirmed_card, "fi/failed", cards.confirmed_card(fi, longest, chat_url=CHAT, meeting="failed",
                                                                reminded=True))
    add(cards.session_working_card, "fi/no meeting, the longest texts", cards.session_working_card(
        fi, _view(meeting_url=None, topic=longest.topic, note=longest.note), chat_url=CHAT,
        minutes_limit=MAX_MINUTES_PER_ENTRY, participants_limit=rules.MAX_HEADCOUNT))
    add(cards.reminder_card, "fi/no meeting", cards.reminder_card(fi, _view(meeting_url=None, note=None)))
    month = parse_period("month", WEDNESDAY_MORNING)
    figures = Figures(questions=12, handed_to_mentors=4, resolved=3,
                      sessions=SessionFigures(booked=3, held=2, participants=19, minutes=150, feedback_count=7,
                                              feedback_mean=4.3))
    add(reports.stats_card, "fi/with team sessions", reports.stats_card(
        fi, scope="Osasto 3", period=month, previous_period=month.previous(), figures=figures,
        delta=changes(figures, Figures())))
