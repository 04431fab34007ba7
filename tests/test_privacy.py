"""The personal-data guard."""

from __future__ import annotations

import pytest

from bot.domain.privacy import identity_code_is_valid, mask_personal_data


def test_the_worked_example_is_valid():
    assert identity_code_is_valid("131052-308T")


@pytest.mark.parametrize("code", ["131052-308T", "010594Y9032", "010594Y9021", "020594X903P", "020594X902N",
                                  "030594W903B", "030694W9024", "040594V9030", "040594V902Y", "050594U903M",
                                  "050594U902L", "010516B903X", "010516B902W", "020516C903K", "020516C902J",
                                  "030516D9037", "030516D9026", "010501E9032", "020502E902X", "020503F9037",
                                  "020504A902E", "020504B904H"])
def test_every_century_sign_is_recognised_with_its_checksum(code):
    assert identity_code_is_valid(code)
    masked = mask_personal_data(f"potilas {code} ei pääse etävastaanotolle")
    assert masked.text == "potilas [henkilötunnus] ei pääse etävastaanotolle"
    assert masked.identity_codes == 1


@pytest.mark.parametrize("code", ["131052-308A", "321352-308T", "131052Z308T"])
def test_invalid_codes_are_not_valid(code):
    assert not identity_code_is_valid(code)


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
    masked = mask_personal_data(text)
    assert "[henkilötunnus]" in masked.text
    assert "308" not in masked.text


def test_phone_numbers_and_emails_are_masked():
    text = "soita 040 123 4567 tai +358 9 310 1234 tai mailaa maija.virtanen@hyvinvointialue.fi"
    masked = mask_personal_data(text)
    assert masked.text == "soita [puhelinnumero] tai [puhelinnumero] tai mailaa [sähköposti]"
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
    masked = mask_personal_data(text)
    assert masked.text == text and not masked.changed
