"""Paper answers entered by a coordinator: `app.py import-survey-answers ROUND FILE` reads a CSV
of paper forms into an open round (dialogs/rules/survey_paper.py), whole or not at all."""

from __future__ import annotations

from dialogs.flows.survey_instruments import Instruments
from dialogs.rules.survey_file import SUPERVISORS
from dialogs.rules.survey_paper import parse_paper_answers
from dialogs.rules.yaml_files import FileError, FileInvalid
from storage.audit_repository import CLI_ACTOR
from storage.directory_repository import DirectoryRepository
from storage.survey_responses import RoundClosed, SurveyResponseRepository
from storage.survey_rounds import SurveyRoundRepository


class PaperAnswers:
    def __init__(self, instruments: Instruments, rounds: SurveyRoundRepository, responses: SurveyResponseRepository,
                 directory: DirectoryRepository) -> None:
        self._instruments = instruments
        self._rounds = rounds
        self._responses = responses
        self._directory = directory

    async def import_file(self, round_id: int, text: str, filename: str) -> tuple[int, int]:
        """(forms added, forms replaced); FileInvalid for a file refused whole, also when the
        round does not exist, is a pre-test or has closed (its results are already written)."""
        survey_round = await self._rounds.get(round_id)
        if survey_round is None or survey_round.pretest:
            raise FileInvalid(filename, [FileError(1, "", f"there is no survey round {round_id} to enter paper "
                                                          "answers into" + (" (it is a pre-test)"
                                                                            if survey_round else ""))])
        instrument = await self._instruments.get(survey_round.instrument_id, survey_round.instrument_version)
        forms = parse_paper_answers(text, instrument, set(await self._directory.unit_parents()), filename)
        everyone = len(instrument.sequence(supervisor=False))
        areas_of_group = {"staff": everyone, "supervisor": everyone + sum(
            a.audience == SUPERVISORS for a in instrument.areas)}
        try:
            return await self._responses.import_paper(
                round_id, [(f.form, f.unit_id, f.staff_group, f.answers) for f in forms],
                areas_of_group=areas_of_group, actor=CLI_ACTOR)
        except RoundClosed:
            raise FileInvalid(filename, [FileError(1, "", f"round {round_id} has closed: paper answers are entered "
                                                          "while it is open, before its results are written")]) \
                from None
