"""Fits the FAQ answer policy (dialogs/rules/faq_policy.py) on the calibration sets and writes
dialogs/rules/faq_policy.json.

    .venv/bin/python bench/faq_calibrate.py          # fit, report cross-validation, write
    .venv/bin/python bench/faq_calibrate.py --check  # fit and report only

The whole fit (both logistic models and their thresholds, for the hybrid and for n-grams alone)
is cross-validated: fitted on four folds of the calibration questions, scored on the fifth. The
answer threshold is the one that answers most on the questions fitted on while answering at most
2 % of in-domain questions wrongly and at most a share `cap` of off-topic ones; the suggestion
threshold the highest that still shows the right entry for 98 % (95 % without embeddings). Of
each fusion weight and cap, the one answering most questions correctly at once under
cross-validation is kept, provided its cross-validated figures keep headroom under the targets
the evaluation set is held to (off-topic answered ≤ 10 %, wrong ≤ 3 %, right entry shown
≥ 95 %): off-topic not answered ≥ 0.92, wrong ≤ 0.02, shown ≥ 0.96, and at least a fifth of
the off-topic questions offered a digimentor with no suggestions. Then the policy is fitted
again on all the calibration questions. The evaluation set is not read.

A third pair of models is fitted, with the chosen weight and cap, for a first start's first
stage, when only the entries' bare questions are embedded; like the n-grams alone, it shows
the right entry for 95 % rather than 98 %. Its cross-validated figures must keep the same
limits on wrong and off-topic answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faq_sets import (  # noqa: E402
    CALIBRATION_SETS,
    ScoreTable,
    Tally,
    Vectors,
    file_digest,
    folds_of,
    load_faq,
    load_labelled,
    score_table,
    tally,
)
from dialogs.rules.faq_policy import (  # noqa: E402
    HYBRID_FEATURES,
    LEXICAL_FEATURES,
    MAX_SUGGESTIONS,
    PARAMETERS_FILE,
    LogisticModel,
    ModelPair,
    Policy,
    hybrid_ranking,
    lexical_ranking,
)

WEIGHTS = (0.5, 0.6, 0.7)
CAPS = (0.05, 0.06, 0.07, 0.08)  # the share of off-topic questions the answer threshold may answer
CV_OFF_TOPIC_KEPT, CV_WRONG, CV_SHOWN = 0.92, 0.02, 0.96
# Greetings, thanks and questions about lunch are a fifth or more of the off-topic questions:
# at least that many should get the digimentor offer with no unrelated suggestions.
CV_NOTHING = 0.20
FOLDS = 5
SUGGESTION_GAP = 1.5  # the right entry at rank 2-3 was never more than 0.9 behind the first
MAX_WRONG, MIN_SHOWN = 0.02, 0.98
# Without embeddings the right entry cannot be shown as often without suggesting something for
# nearly every off-topic question too; the fallback keeps suggestions for the likelier cases.
MIN_SHOWN_LEXICAL = 0.95
# The bare questions alone are a stage of minutes on a first start: held to the fallback's bar.
MIN_SHOWN_QUESTIONS = 0.95
# The n-grams alone decide without an embedding only where, on the calibration questions,
# at most 1 in 100 answered that way was wrong or off-topic, over at least 20 questions.
DECISIVE_ERRORS, DECISIVE_SUPPORT = 0.01, 20
THRESHOLDS = np.round(np.arange(0.01, 0.995, 0.01), 2)


def _rankings(table: ScoreTable, weight: float | None):
    if weight is None:
        return [lexical_ranking(table.lexical[r]) for r in range(len(table.items))]
    return [hybrid_ranking(table.lexical[r], table.semantic[r], weight) for r in range(len(table.items))]


def _fit_model(features: tuple[str, ...], rankings, labels: np.ndarray) -> LogisticModel:
    x = np.array([[ranking.features[name] for name in features] for ranking in rankings])
    scaler = StandardScaler().fit(x)
    if labels.min() == labels.max():
        raise SystemExit("a calibration fold has only one kind of question: the sets are too small")
    model = LogisticRegression(C=1.0, max_iter=5000).fit(scaler.transform(x), labels)
    return LogisticModel(features, tuple(scaler.mean_.round(6)), tuple(scaler.scale_.round(6)),
                         tuple(model.coef_[0].round(6)), round(float(model.intercept_[0]), 6), 0.5)


def _shown_within_gap(ranking, entry_ids) -> list[str]:
    first = ranking.fused[ranking.order[0]]
    return [entry_ids[i] for i in ranking.order[:MAX_SUGGESTIONS] if first - ranking.fused[i] <= SUGGESTION_GAP]


def fit_pair(table: ScoreTable, weight: float | None, cap: float, min_shown: float | None = None) -> ModelPair:
    """The answer and related models with their thresholds, for the hybrid (a weight) or for
    n-grams alone (None)."""
    if min_shown is None:
        min_shown = MIN_SHOWN if weight is not None else MIN_SHOWN_LEXICAL
    features = LEXICAL_FEATURES if weight is None else HYBRID_FEATURES
    rankings = _rankings(table, weight)
    items, ids = table.items, table.entry_ids
    top_right = np.array([bool(item.expected) and item.answered_by(ids[r.order[0]])
                          for item, r in zip(items, rankings, strict=True)])
    some_right = np.array([bool(item.expected) and any(item.answered_by(e) for e in _shown_within_gap(r, ids))
                           for item, r in zip(items, rankings, strict=True)])
    answer = _fit_model(features, rankings, top_right)
    related = _fit_model(features, rankings, some_right)
    in_domain = np.array([item.expected is not None for item in items])
    p_answer = np.array([answer.probability(r.features) for r in rankings])
    p_related = np.array([related.probability(r.features) for r in rankings])

    best_threshold, best_answered = 0.99, -1
    for threshold in THRESHOLDS:
        answered = p_answer >= threshold
        wrong = (answered & in_domain & ~top_right).sum()
        off_topic_answered = (answered & ~in_domain).sum()
        if wrong > MAX_WRONG * in_domain.sum() or off_topic_answered > cap * (~in_domain).sum():
            continue
        if (answered & top_right).sum() > best_answered:
            best_threshold, best_answered = float(threshold), int((answered & top_right).sum())
    answered = p_answer >= best_threshold
    related_threshold = 0.0
    for threshold in THRESHOLDS:  # the highest that still shows the right entry often enough
        shown = (answered & top_right) | (~answered & (p_related >= threshold) & some_right)
        if shown[in_domain].mean() >= min_shown:
            related_threshold = float(threshold)
    return ModelPair(_with_threshold(answer, best_threshold), _with_threshold(related, related_threshold))


def _with_threshold(model: LogisticModel, threshold: float) -> LogisticModel:
    return LogisticModel(model.features, model.mean, model.scale, model.coefficients, model.intercept, threshold)


def decisive_threshold(table: ScoreTable, lexical: ModelPair) -> float:
    rankings = _rankings(table, None)
    p = np.array([lexical.answer.probability(r.features) for r in rankings])
    right = np.array([bool(item.expected) and item.answered_by(table.entry_ids[r.order[0]])
                      for item, r in zip(table.items, rankings, strict=True)])
    for threshold in THRESHOLDS:
        if threshold < lexical.answer.threshold:
            continue
        taken = p >= threshold
        if taken.sum() >= DECISIVE_SUPPORT and (taken & ~right).sum() <= DECISIVE_ERRORS * taken.sum():
            return float(threshold)
    return 1.01  # never: always embed


def fit(table: ScoreTable, questions: ScoreTable, weight: float, cap: float) -> Policy:
    """`questions`: the same questions scored against the entries' bare questions."""
    lexical = fit_pair(table, None, cap)
    return Policy(weight, SUGGESTION_GAP, decisive_threshold(table, lexical), fit_pair(table, weight, cap), lexical,
                  fit_pair(questions, weight, cap, MIN_SHOWN_QUESTIONS))


def acceptable(figures: Tally) -> bool:
    return (figures.rate("off_topic_kept") >= CV_OFF_TOPIC_KEPT and figures.rate("wrong") <= CV_WRONG
            and figures.rate("shown") >= CV_SHOWN and figures.rate("off_topic_nothing") >= CV_NOTHING)


def cross_validate(table: ScoreTable, questions: ScoreTable, weight: float, cap: float) -> tuple[Tally, Tally, Tally]:
    """Pooled held-out tallies: with embeddings, without, and with the bare questions embedded."""
    folds = folds_of(table.items, FOLDS)
    hybrid, lexical_only, questions_only = Tally(), Tally(), Tally()
    for fold in range(FOLDS):
        fitted, held_out = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        policy = fit(table.subset(fitted), questions.subset(fitted), weight, cap)
        hybrid += tally(policy, table.subset(held_out))
        lexical_only += tally(policy, table.subset(held_out), semantic=False)
        questions_only += tally(policy, questions.subset(held_out))
    return hybrid, lexical_only, questions_only


def pooled(tables: list[ScoreTable], entries, *, questions_only: bool = False) -> ScoreTable:
    empty = np.empty((0, len(entries)))
    return sum(tables, start=ScoreTable([], [e.id for e in entries], empty, empty, questions_only))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report only; do not write the parameters")
    args = parser.parse_args()
    entries, vectors = load_faq(), Vectors()
    labelled = {name: load_labelled(path) for name, path in CALIBRATION_SETS.items()}
    tables = {name: score_table(entries, items, vectors) for name, items in labelled.items()}
    table = pooled(list(tables.values()), entries)
    questions = pooled([score_table(entries, items, vectors, questions_only=True) for items in labelled.values()],
                       entries, questions_only=True)
    print(f"calibration questions: {len(table.items)} "
          f"({sum(1 for i in table.items if i.expected)} in-domain); FAQ {len(entries)} entries\n")
    print(Tally.HEADER)
    results, fallbacks, first_stage = {}, {}, {}
    for weight in WEIGHTS:
        for cap in CAPS:
            results[weight, cap], fallbacks[weight, cap], first_stage[weight, cap] = cross_validate(
                table, questions, weight, cap)
            print(results[weight, cap].row(f"5-fold CV, fusion weight {weight}, cap {cap}"))
    candidates = [key for key, figures in results.items() if acceptable(figures)]
    if not candidates:
        print("\nno weight and cap keeps the cross-validated figures within their limits")
        return 1
    weight, cap = max(candidates, key=lambda key: (results[key].answered, results[key].shown))
    chosen = results[weight, cap]
    print(fallbacks[weight, cap].row(f"5-fold CV, weight {weight}, cap {cap}, without embeddings"))
    print(first_stage[weight, cap].row(f"5-fold CV, weight {weight}, cap {cap}, bare questions embedded"))
    if first_stage[weight, cap].rate("wrong") > CV_WRONG or \
            first_stage[weight, cap].rate("off_topic_kept") < CV_OFF_TOPIC_KEPT:
        print("\nthe first stage's policy answers too many questions wrongly or off-topic")
        return 1
    policy = fit(table, questions, weight, cap)
    print(tally(policy, table).row(f"fitted on all, weight {weight}, cap {cap} (in-sample: flatters)"))
    for name, part in tables.items():
        print(tally(policy, part).row(f"{name} (in-sample)"))
    print(f"\nchosen: fusion weight {weight}, off-topic cap {cap}; n-grams decisive above p = {policy.decisive}; "
          f"embedding needed for {chosen.embedded / (chosen.in_domain + chosen.off_topic):.0%} of questions")
    if args.check:
        return 0
    document = {
        "about": "Written by bench/faq_calibrate.py; do not edit by hand.",
        "calibrated_on": {name: {"file": str(path.relative_to(ROOT)), "sha256": file_digest(path)}
                          for name, path in CALIBRATION_SETS.items()},
        "faq": {"file": "storage/seed/faq.yaml", "entries": len(entries)},
        "cross_validated": {name: round(chosen.rate(name), 4)
                            for name in ("answered", "shown", "wrong", "off_topic_kept", "off_topic_nothing")},
        "cross_validated_without_embeddings": {
            name: round(fallbacks[weight, cap].rate(name), 4)
            for name in ("answered", "shown", "wrong", "off_topic_kept", "off_topic_nothing")},
        "cross_validated_bare_questions": {
            name: round(first_stage[weight, cap].rate(name), 4)
            for name in ("answered", "shown", "wrong", "off_topic_kept", "off_topic_nothing")},
        "off_topic_cap": cap,
        "policy": policy.to_json(),
    }
    PARAMETERS_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {PARAMETERS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
