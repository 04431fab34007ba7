"""Paper answers: `app.py import-survey-answers ROUND FILE` enters a CSV of paper forms into an
open round, whole or not at all; a form imported again is replaced; they count in the results."""

from __future__ import annotations

import pytest

from dialogs.flows.survey_instruments import shipped_instrument
from storage.survey_models import SurveyAnswer, SurveyResponse
from tests.support.office import FI
from tests.support.privacy_stage import run_cli
from tests.support.survey_office import KAISA, WARD_3, SurveyOffice, said

ITEMS = [item.id for area in shipped_instrument().sequence(supervisor=False) for item in area.items]
HEADER = "form,unit,group," + ",".join(ITEMS)


def row(form: str, unit: str = "ward-3", value: str = "5", group: str = "staff", first: str | None = None) -> str:
    """A form with every statement `value` (and the first one `first`)."""
    values = [value] * len(ITEMS)
    if first is not None:
        values[0] = first
    return f"{form},{unit},{group}," + ",".join(values)


@pytest.fixture
async def office(bot, connector, database_url) -> SurveyOffice:
    office = await SurveyOffice(bot, connector, database_url).setup()
    await office.start_round(units="sote")
    return office


def cli(office: SurveyOffice, tmp_path, text: str, round_id: int = 1):
    path = tmp_path / "paper.csv"
    path.write_text(text, encoding="utf-8")
    result = run_cli("import-survey-answers", str(round_id), str(path), database_url=office.database_url)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


async def test_paper_forms_are_entered_replaced_when_entered_again_and_counted_in_the_results(office, tmp_path):
    # Excel writes a byte-order mark and semicolons in Finland; one statement left empty.
    forms = "\ufeff" + "\n".join([HEADER, row("P-1"), row("P-2", value="1")]).replace(",", ";") + "\n"
    code, out, err = cli(office, tmp_path, forms.replace(";5;5\n", ";5;\n", 1))
    assert (code, err) == (0, "") and "2 forms added, 0 replaced" in out
    assert await office.count(SurveyResponse, paper_form="P-1") == 1 and await office.count(SurveyAnswer) == 59
    code, out, _ = cli(office, tmp_path, "\n".join([HEADER, row("P-1", value="1"), row("P-2", value="1")]))
    assert code == 0 and "0 forms added, 2 replaced" in out
    assert await office.count(SurveyResponse, person_id=None) == 2 and await office.count(SurveyAnswer) == 60
    await office.say(KAISA, "kartoitus tila")
    assert FI("survey.status_paper", count="2") in said(office.cards(KAISA)[-1])
    # With four who answered in chat (2 each) and two forms (1 each), ward 3 has six: shown on its own.
    for person in WARD_3:
        await office.answer_all(person, office.round_of(person), value=2)
    await office.close(KAISA, 1)
    await office.say(KAISA, "kartoitus tulokset 1 ward-3")
    card = office.cards(KAISA)[-1]
    assert FI("survey.results_area", mean="1,7", respondents="6") in said(card)
    assert FI("survey.results_paper", count="2") in said(card)
    code, _, err = cli(office, tmp_path, "\n".join([HEADER, row("P-3")]))
    assert code == 2 and "round 1 has closed" in err and await office.count(SurveyResponse, person_id=None) == 2


OK = row("OK-1")  # a valid form before the broken ones: it is not written either


@pytest.mark.parametrize(("text", "problems"), [
    ("\n".join([HEADER, OK, row("P-1", first="7")]),
     ["paper.csv:3: rc-video: expected 1-5, 0 (can't say) or empty, got '7'"]),
    ("\n".join([HEADER + ",colour", OK + ",blue"]),
     ["paper.csv:1: colour: not an item of digital-competence version 1"]),
    ("\n".join([HEADER, OK, row("P-1", unit="ward-9"), row("OK-1")]),
     ["paper.csv:3: unit: unknown unit 'ward-9'", "paper.csv:4: form: form 'OK-1' is already on line 2"]),
    ("\n".join([HEADER + ",lc-needs", OK + ",", row("P-1") + ",4"]),
     ["paper.csv:3: lc-needs: a supervisors' item: answered only with group supervisor"]),
    ("\n".join([HEADER, OK, row("P-1", group="boss")]),
     ["paper.csv:3: group: expected staff or supervisor, got 'boss'"]),
    ("form,unit,rc-video\nOK-1,ward-3,4\nP-1,ward-3,\n", ["paper.csv:3: the form has no answers"]),
    ("unit,rc-video\nward-3,4\n", ["paper.csv:1: form: required column is missing"]),
    ("", ["paper.csv:1: the file is empty: give a header row (form, unit, items)"]),
])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_broken_paper_file_is_refused_whole_naming_line_and_column(office, tmp_path, text, problems):
    code, _, err = cli(office, tmp_path, text)
    assert code == 2 and "paper.csv: refused, nothing was written" in err
    assert err.splitlines()[1:] == problems
    assert await office.count(SurveyResponse, person_id=None) == 0


async def test_paper_answers_go_only_into_an_open_round_that_is_not_a_pretest(office, tmp_path):
    code, _, err = cli(office, tmp_path, "\n".join([HEADER, row("P-1")]), round_id=9)
    assert code == 2 and "there is no survey round 9" in err
    await office.start_round(units="ward-5", pretest=True)
    code, _, err = cli(office, tmp_path, "\n".join([HEADER, row("P-1")]), round_id=2)
    assert code == 2 and "(it is a pre-test)" in err
