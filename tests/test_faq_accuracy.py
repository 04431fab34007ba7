"""FAQ matching on the labelled sets, scored the way the bot decides (bench/faq_sets.py), and the
calibrated policy's bookkeeping. The evaluation sets' figures are benchmarks (bench/faq_eval.py),
not assertions: asserting them here would make them one more thing to tune against."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from bench.faq_calibrate import WEIGHTS
from bench.faq_sets import (
    CALIBRATION_SETS,
    EVALUATION_SETS,
    ScoreTable,
    Vectors,
    file_digest,
    load_faq,
    load_labelled,
    score_table,
    tally,
)
from cards.i18n import LANGUAGES
from dialogs.embedding import EmbeddingUnavailable
from dialogs.rules.faq_policy import ANSWERED, PARAMETERS_FILE, calibrated_policy, decide


@pytest.fixture(scope="module")
def calibration() -> ScoreTable:
    try:
        vectors = Vectors()
    except EmbeddingUnavailable as unavailable:
        pytest.fail(f"the embedding model must run where the suite runs: {unavailable}")
    entries = load_faq()
    tables = [score_table(entries, load_labelled(path), vectors) for path in CALIBRATION_SETS.values()]
    return tables[0] + tables[1]


@pytest.fixture(scope="module")
def calibration_bare_questions() -> ScoreTable:
    """The same questions against the entries' bare questions, as a large first start has them
    embedded before their variants."""
    vectors, entries = Vectors(), load_faq()
    tables = [score_table(entries, load_labelled(path), vectors, questions_only=True)
              for path in CALIBRATION_SETS.values()]
    return tables[0] + tables[1]


def test_the_sets_are_big_enough_and_kept_apart():
    calibration = [item for path in CALIBRATION_SETS.values() for item in load_labelled(path)]
    entries = {entry.id for entry in load_faq()}
    assert len(calibration) >= 600 and sum(1 for item in calibration if item.expected is None) >= 300
    assert {item.expected for item in calibration if item.expected} == entries
    for path in EVALUATION_SETS.values():
        evaluation = load_labelled(path)
        assert len(evaluation) >= 300 and sum(1 for item in evaluation if item.expected is None) >= 60
        assert {item.language for item in evaluation} == {"fi", "sv", "en"}
        assert {item.expected for item in evaluation if item.expected} <= entries
        # No evaluation question is also a calibration question.
        assert not {item.question.casefold() for item in evaluation} & {i.question.casefold() for i in calibration}


def test_the_policy_was_fitted_on_the_calibration_sets_as_they_are_now():
    """A calibration set changed without running bench/faq_calibrate.py again fails here."""
    recorded = json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))["calibrated_on"]
    assert {entry["file"] for entry in recorded.values()} == {
        str(path.relative_to(PARAMETERS_FILE.parents[2])) for path in CALIBRATION_SETS.values()}
    for name, path in CALIBRATION_SETS.items():
        assert recorded[name]["sha256"] == file_digest(path), f"{path.name} changed: recalibrate"
    assert calibrated_policy().fusion_weight in WEIGHTS


def test_shipped_faq_has_at_least_40_entries_in_three_languages():
    entries = load_faq()
    assert len(entries) >= 40
    assert all(set(entry.texts) == set(LANGUAGES) for entry in entries)


def test_the_calibration_questions_are_answered_as_calibrated(calibration):
    """The fitted policy on the questions it was fitted on: a change to the matchers, the
    features or the FAQ that makes askers' experience worse fails here."""
    figures = tally(calibrated_policy(), calibration)
    assert figures.rate("answered") >= 0.75
    assert figures.rate("shown") >= 0.95
    assert figures.rate("wrong") <= 0.02
    assert figures.rate("off_topic_kept") >= 0.90
    assert figures.rate("off_topic_nothing") >= 0.30  # clearly off-topic: straight to a person


def test_embeddings_are_worth_their_cost(calibration):
    with_both, ngrams_only = tally(calibrated_policy(), calibration), tally(calibrated_policy(), calibration,
                                                                           semantic=False)
    assert with_both.answered >= ngrams_only.answered + 0.08 * with_both.in_domain
    assert with_both.shown >= ngrams_only.shown


def test_without_embeddings_the_fallback_still_answers_most(calibration):
    figures = tally(calibrated_policy(), calibration, semantic=False)
    assert figures.rate("answered") >= 0.60
    assert figures.rate("wrong") <= 0.02
    assert figures.rate("off_topic_kept") >= 0.90


def test_a_first_starts_bare_questions_already_answer_more_than_ngrams(calibration, calibration_bare_questions):
    first_stage = tally(calibrated_policy(), calibration_bare_questions)
    ngrams_only = tally(calibrated_policy(), calibration, semantic=False)
    assert first_stage.answered > ngrams_only.answered
    assert first_stage.rate("wrong") <= 0.02
    assert first_stage.rate("off_topic_kept") >= 0.90


def test_scores_against_bare_questions_are_decided_by_their_own_models():
    never_sure = dataclasses.replace(calibrated_policy().questions.answer, threshold=1.01)
    policy = dataclasses.replace(calibrated_policy(),
                                 questions=dataclasses.replace(calibrated_policy().questions, answer=never_sure))
    lexical, semantic = np.array([0.9, 0.05, 0.0]), np.array([0.95, 0.75, 0.74])
    assert decide(policy, ["a", "b", "c"], lexical, semantic).outcome == ANSWERED
    assert decide(policy, ["a", "b", "c"], lexical, semantic, questions_only=True).outcome != ANSWERED
