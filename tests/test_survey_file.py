"""The survey instrument file: the shipped instrument, a lossless round trip, and every broken
file refused whole with its line and field named, through `app.py import-survey`."""

from __future__ import annotations

import re

import pytest
import yaml

from dialogs.flows.survey_instruments import shipped_instrument
from dialogs.rules.survey_file import SUPERVISORS, parse_instrument_file, render_instrument_file
from dialogs.rules.topics import topic_problem
from dialogs.rules.yaml_files import FileInvalid
from storage.db import Database
from storage.survey_instruments import SHIPPED_INSTRUMENT, SurveyInstrumentRepository
from tests.test_cli import run_cli

SHIPPED = SHIPPED_INSTRUMENT.read_text(encoding="utf-8")
DIGIHEALTHCOM_AREAS = ["Human-centred remote counselling", "Digital solutions as part of work",
                       "Using and evaluating digital solutions", "Ethical competence", "ICT competence"]


def refusal(text: str) -> list[str]:
    with pytest.raises(FileInvalid) as caught:
        parse_instrument_file(text, "survey.yaml")
    return str(caught.value).splitlines()


def test_the_shipped_instrument_has_the_five_areas_and_a_supervisor_set_on_three_themes():
    instrument = shipped_instrument()
    everyone = instrument.sequence(supervisor=False)
    assert [area.title["en"] for area in everyone] == DIGIHEALTHCOM_AREAS
    assert all(4 <= len(area.items) <= 6 for area in instrument.areas)
    supervisors = [a for a in instrument.sequence(supervisor=True) if a.audience == SUPERVISORS]
    assert [area.title["en"] for area in supervisors] == [
        "Leading staff's digital competence", "Leading with digital tools", "Developing digital services"]
    assert instrument.sequence(supervisor=True)[:5] == everyone  # their own set comes after everyone's
    for area in instrument.areas:
        assert set(area.title) == {"fi", "sv", "en"}
        assert all(set(item.text) == {"fi", "sv", "en"} for item in area.items), area.id
        assert area.faq_topics and area.mentor_topics, area.id
    assert [instrument.scale_label(value, "fi") for value in (1, 5, 0)] == [
        "Ei pidä lainkaan paikkaansa", "Pitää täysin paikkansa", "En osaa sanoa"]


def test_every_faq_topic_of_the_shipped_instrument_has_entries_in_the_shipped_faq():
    faq = yaml.safe_load((SHIPPED_INSTRUMENT.parent / "faq.yaml").read_text(encoding="utf-8"))
    topics = {entry.get("topic") for entry in faq}
    for area in shipped_instrument().areas:
        assert set(area.faq_topics) <= topics, area.id


def test_export_then_import_gives_the_same_instrument():
    instrument = parse_instrument_file(SHIPPED)
    again = parse_instrument_file(render_instrument_file(instrument))
    assert again == instrument
    # Defaults the file left out are written out, so the round trip stays exact.
    minimal = parse_instrument_file(SHIPPED.replace("  minutes: 10\n", "").replace("  low_below: 3.0\n", ""))
    assert minimal.minutes == 10 and minimal.low_below == 3.0
    assert parse_instrument_file(render_instrument_file(minimal)) == minimal


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("  version: 1\n", "  version: first\n", "survey.yaml:8: instrument.version: Input should be a valid integer"),
        ("    '3': {fi: Pitää osittain paikkansa, sv: Stämmer delvis, en: Partly true}\n", "",
         "survey.yaml:19: scale.labels: Value error, the scale is 1-5: label every value; missing 3"),
        ("  low_below: 3.0", "  low_below: 6", "survey.yaml:26: scale.low_below: Input should be less than or equal"),
        ("      - id: rc-suits", "      - id: rc-video", "survey.yaml:38: areas[0].items[1].id: 'rc-video' is already"),
        ("      - id: rc-suits", "      - id: verb", "survey.yaml:38: areas[0].items[1].id: 'verb' is reserved"),
        ("    faq_topics: [remote-appointments, teams]", "    faq_topics: [Remote Appointments]",
         "survey.yaml:30: areas[0].faq_topics: Value error, 'Remote Appointments': write the topic in lower case"),
        ("          en: I can guide a client", "          de: I can guide a client",
         "survey.yaml:47: areas[0].items[2].text.de: Input should be 'fi', 'sv' or 'en'"),
        ("    title: {fi: Eettinen osaaminen, sv: Etisk kompetens, en: Ethical competence}\n", "",
         "survey.yaml:133: areas[3].title: required field is missing"),
        ("  - id: ict\n", "  - id: ict\n    colour: blue\n", "survey.yaml:169: areas[4].colour: Extra inputs"),
    ],
)
def test_a_broken_instrument_names_the_line_and_the_field(old, new, expected):
    assert old in SHIPPED
    problems = refusal(SHIPPED.replace(old, new, 1))
    assert any(line.startswith(expected) for line in problems), problems


def test_every_problem_is_listed_and_an_instrument_needs_an_area_for_everyone():
    text = SHIPPED.replace("      - id: rc-suits", "      - id: rc-video").replace("      - id: ict-cloud",
                                                                                     "      - id: area")
    assert len(refusal(text)) == 2
    for_supervisors = re.sub(r"(  - id: [a-z-]+\n)(    title)", r"\1    audience: supervisors\n\2", SHIPPED)
    assert "survey.yaml:27: areas: at least one area must be for everyone (audience: everyone)" in \
        refusal(for_supervisors)
    assert refusal("- a list\n") == ["survey.yaml:1: expected a mapping with instrument, scale and areas"]
    assert topic_problem("remote-appointments") is None


async def _stored(database_url: str) -> list:
    database = Database(database_url)
    try:
        return await SurveyInstrumentRepository(database).newest_versions()
    finally:
        await database.dispose()


async def test_import_survey_refuses_a_broken_file_whole_and_writes_nothing(database_url, tmp_path):
    broken = tmp_path / "survey.yaml"
    broken.write_text(SHIPPED.replace("      - id: rc-suits", "      - id: rc-video"), encoding="utf-8")
    result = run_cli("import-survey", str(broken), database_url=database_url)
    assert result.returncode == 2
    assert "survey.yaml:38: areas[0].items[1].id: 'rc-video' is already the id of item 'rc-video'" in result.stderr
    assert "nothing was written" in result.stderr
    assert await _stored(database_url) == []


async def test_import_and_export_survey_round_trip_and_a_used_version_stays_as_it_was(database_url, tmp_path):
    imported = run_cli("import-survey", str(SHIPPED_INSTRUMENT), database_url=database_url)
    assert imported.returncode == 0 and "digital-competence version 1: created" in imported.stdout
    exported = tmp_path / "exported.yaml"
    assert run_cli("export-survey", str(exported), database_url=database_url).returncode == 0
    again = run_cli("import-survey", str(exported), database_url=database_url)
    assert "version 1: unchanged" in again.stdout
    assert parse_instrument_file(exported.read_text(encoding="utf-8")) == parse_instrument_file(SHIPPED)

    # Not used by a round yet: a changed version 1 replaces the stored one.
    changed = SHIPPED.replace("  minutes: 10", "  minutes: 15")
    (tmp_path / "v1.yaml").write_text(changed, encoding="utf-8")
    assert "version 1: updated" in run_cli("import-survey", str(tmp_path / "v1.yaml"),
                                           database_url=database_url).stdout
    [stored] = await _stored(database_url)
    assert stored.definition["instrument"]["minutes"] == 15
    # A second version is the default for new rounds; the first can still be exported.
    (tmp_path / "v2.yaml").write_text(changed.replace("  version: 1", "  version: 2"), encoding="utf-8")
    assert "version 2: created" in run_cli("import-survey", str(tmp_path / "v2.yaml"),
                                           database_url=database_url).stdout
    newest = run_cli("export-survey", "-", database_url=database_url)
    assert "  version: 2\n" in newest.stdout
    first = run_cli("export-survey", "-", "--instrument", "digital-competence", "--version", "1",
                    database_url=database_url)
    assert "  version: 1\n" in first.stdout
    missing = run_cli("export-survey", "-", "--instrument", "other", database_url=database_url)
    assert missing.returncode == 2 and "no survey instrument other" in missing.stderr
