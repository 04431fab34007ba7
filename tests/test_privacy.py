"""The personal-data guard: what is masked, and that the labels speak the question's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.web import FLOWS
from cards.i18n import Texts
from dialogs.rules.privacy import MaskLabels, mask_personal_data
from storage.db import Database
from storage.models import Question
from tests.support.activities import message

FI = Texts("fi")
FI_LABELS = MaskLabels.from_texts(FI)


@pytest.mark.parametrize("code", ["131052-308T", "010594Y9032", "010594Y9021", "020594X903P", "020594X902N",
                                  "030594W903B", "030694W9024", "040594V9030", "040594V902Y", "050594U903M",
                                  "050594U902L", "010516B903X", "010516B902W", "020516C903K", "020516C902J",
                                  "030516D9037", "030516D9026", "010501E9032", "020502E902X", "020503F9037",
                                  "020504A902E", "020504B904H", "131052+308T"])
def test_every_century_sign_is_masked(code):
    masked = mask_personal_data(f"potilas {code} ei pääse etävastaanotolle", FI_LABELS)
    assert masked.text == f"potilas {FI('privacy.identity_code')} ei pääse etävastaanotolle"
    assert masked.identity_codes == 1


@pytest.mark.parametrize("code", ["131052-308A", "321352-308T"], ids=["wrong-check-character", "impossible-date"])
def test_codes_with_an_invalid_checksum_or_date_are_masked_all_the_same(code):
    # A mistyped code is still personal data.
    masked = mask_personal_data(f"hetu {code} ei kelpaa", FI_LABELS)
    assert masked.text == f"hetu {FI('privacy.identity_code')} ei kelpaa"
    assert masked.identity_codes == 1


@pytest.mark.parametrize(
    "text",
    [
        "hetu 131052-308A (väärä tarkiste)",  # look-alike with a wrong check character
        "131052 -308T välilyönnillä",
        "131052308T ilman välimerkkiä",
        "pienillä 131052a308t",
    ],
)
def test_look_alikes_are_masked_too(text):
    masked = mask_personal_data(text, FI_LABELS)
    assert FI("privacy.identity_code") in masked.text
    assert "308" not in masked.text


def test_phone_numbers_and_emails_are_masked():
    text = "soita 040 123 4567 tai +358 9 310 1234 tai mailaa maija.virtanen@hyvinvointialue.fi"
    masked = mask_personal_data(text, FI_LABELS)
    phone, email = FI("privacy.phone"), FI("privacy.email")
    assert masked.text == f"soita {phone} tai {phone} tai mailaa {email}"
    assert (masked.phone_numbers, masked.emails) == (2, 1)


@pytest.mark.parametrize(
    "text",
    [
        "kirjaa 30 tiimikoulutus",
        "teams-kokous klo 14.30 huoneessa 2026",
        "excel 2016 ja office 365",
        "versio 1.5 ei toimi, virhekoodi 0x80070005",
        "osasto 3, huone 12",
        "ajalla 1.1.2026-31.1.2026",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    masked = mask_personal_data(text, FI_LABELS)
    assert masked.text == text and not masked.changed


# The same question in each language, with an identity code and a phone number in it.
QUESTIONS = {
    "fi": "miten jaan kalenterini potilaan {code} kanssa Teamsissa, soita {phone}",
    "sv": "hur delar jag min kalender med patienten {code} i Teams, ring {phone}",
    "en": "how do I share my calendar with patient {code} in Teams, call {phone}",
}
CODE, PHONE = "131052-308T", "040 123 4567"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_question_is_masked_with_labels_in_its_own_language(bot, connector, database_url, language):
    texts = Texts(language)
    # Maija's Teams is in Finnish: the labels follow the question, not her locale.
    await bot.post(message(QUESTIONS[language].format(code=CODE, phone=PHONE), service_url=connector.url,
                           locale="fi-FI"))
    notice, _card = await connector.wait_for(2)
    assert notice.text == texts("faq.masked_notice")

    database = Database(database_url)
    try:
        async with database.transaction() as session:
            [question] = (await session.scalars(select(Question))).all()
    finally:
        await database.dispose()
    assert question.language == language
    assert question.text == QUESTIONS[language].format(code=texts("privacy.identity_code"),
                                                       phone=texts("privacy.phone"))
    assert question.masked_items == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_guard_labels_follow_the_question_and_fall_back_to_the_readers_language(bot):
    asking = bot.http.server.app[FLOWS].asking
    # Swedish words from a Finnish-speaking reader: Swedish labels.
    swedish = asking.guard("min kollega kan inte öppna filen, skicka till anna.berg@example.fi", "fi")
    assert swedish.language == "sv"
    assert swedish.text.text == f"min kollega kan inte öppna filen, skicka till {Texts('sv')('privacy.email')}"
    # Too few words to tell a language: the reader's own language decides.
    for reader in ("fi", "sv", "en"):
        bare = asking.guard(CODE, reader)
        assert (bare.language, bare.text.text) == (reader, Texts(reader)("privacy.identity_code"))
