"""What an asker meets, per labelled set: answered correctly at once, the right entry shown
(answer or suggestion), wrong confident answers, off-topic questions not answered; with the
calibration set also cross-validated, and the effect of feeding back confirmed paraphrases.

    .venv/bin/python bench/faq_sets.py
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faq_eval import FRESH_FILE, LABELLED_FILE, Labelled, load_faq, load_labelled  # noqa: E402
from dialogs.rules.faq_matching import ANSWERED, SUGGESTED, FaqMatcher, Thresholds  # noqa: E402
from storage.faq_repository import FaqRecord  # noqa: E402

FOLDS = 5
# The targets for the fresh set (benchmarks, not tests).
TARGETS = {"answered": 0.75, "shown": 0.95, "wrong": 0.03, "off_topic": 0.90}


@dataclass
class Tally:
    answered: int = 0  # the right entry, answered at once
    shown: int = 0  # the right entry answered or among the suggestions
    wrong: int = 0  # a confident answer with the wrong entry
    off_topic_kept: int = 0  # off-topic questions not answered
    in_domain: int = 0
    off_topic: int = 0

    def add(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))

    def row(self, name: str) -> str:
        return (f"| {name} | {self.in_domain} / {self.off_topic} | {self.answered / self.in_domain:.3f} "
                f"| {self.shown / self.in_domain:.3f} | {self.wrong / self.in_domain:.3f} "
                f"| {self.off_topic_kept / self.off_topic:.3f} |")


Ranked = list[tuple[Labelled, tuple]]  # each question with its top-3 candidates


def ranked(matcher: FaqMatcher, labelled: list[Labelled]) -> Ranked:
    """Ranking does not depend on the thresholds: rank once, decide many times."""
    return [(item, tuple(matcher.rank(item.question, limit=3))) for item in labelled]


def tally(matcher: FaqMatcher, labelled: list[Labelled] | Ranked) -> Tally:
    items = labelled if labelled and isinstance(labelled[0], tuple) else ranked(matcher, labelled)
    result = Tally()
    for item, candidates in items:
        match = matcher.decide(candidates)
        shown = ([match.best.entry_id] if match.outcome == ANSWERED
                 else [c.entry_id for c in match.candidates] if match.outcome == SUGGESTED else [])
        if item.expected is None:
            result.off_topic += 1
            result.off_topic_kept += match.outcome != ANSWERED
            continue
        result.in_domain += 1
        result.shown += any(item.answered_by(entry_id) for entry_id in shown)
        if match.outcome == ANSWERED:
            result.answered += item.answered_by(match.best.entry_id)
            result.wrong += not item.answered_by(match.best.entry_id)
    return result


def choose_thresholds(matcher: FaqMatcher, items: Ranked) -> Thresholds:
    """The thresholds that serve askers best on `items`, keeping wrong answers ≤ 2 % and
    off-topic answers ≤ 5 %: an answer at once counts most, the right suggestion next."""
    best: tuple[tuple, Thresholds] | None = None
    grid = [x / 50 for x in range(5, 36)]  # 0.10 ... 0.70 in steps of 0.02
    for confident, margin, suggest in itertools.product(grid, [x / 50 for x in range(0, 11)], grid):
        if suggest > confident:
            continue
        thresholds = Thresholds(confident, margin, suggest)
        figures = tally(_with(matcher, thresholds), items)
        if figures.wrong > 0.02 * figures.in_domain or figures.off_topic_kept < 0.95 * figures.off_topic:
            continue
        key = (figures.answered + 0.6 * figures.shown, -figures.wrong)
        if best is None or key > best[0]:
            best = (key, thresholds)
    return best[1] if best else Thresholds()


def _with(matcher: FaqMatcher, thresholds: Thresholds) -> FaqMatcher:
    """The same index with other thresholds (no rebuild)."""
    clone = FaqMatcher.__new__(FaqMatcher)
    clone.__dict__.update(matcher.__dict__)
    clone.thresholds = thresholds
    return clone


def cross_validated(entries: list[FaqRecord], labelled: list[Labelled]) -> Tally:
    """Thresholds chosen on four folds, scored on the fifth, pooled over the five."""
    matcher = FaqMatcher(entries)
    items = ranked(matcher, labelled)
    random.Random(11).shuffle(items)
    pooled = Tally()
    for fold in range(FOLDS):
        held_out = items[fold::FOLDS]
        calibration = [item for index, item in enumerate(items) if index % FOLDS != fold]
        pooled = pooled.add(tally(_with(matcher, choose_thresholds(matcher, calibration)), held_out))
    return pooled


def with_confirmed_paraphrases(entries: list[FaqRecord], confirmed: list[Labelled]) -> list[FaqRecord]:
    """Each entry with one confirmed paraphrase (the first calibration question for it) approved
    as a variant in the question's language, as a coordinator's approval does."""
    first: dict[str, Labelled] = {}
    for item in confirmed:
        if item.expected and item.expected not in first:
            first[item.expected] = item
    fed = []
    for entry in entries:
        item = first.get(entry.id)
        if item is None:
            fed.append(entry)
            continue
        language = item.language if item.language in entry.texts else next(iter(entry.texts))
        text = entry.texts[language]
        texts = {**entry.texts, language: dataclasses.replace(text, variants=(*text.variants, item.question))}
        fed.append(dataclasses.replace(entry, texts=texts))
    return fed


def main() -> int:
    entries = load_faq()
    calibration, fresh = load_labelled(LABELLED_FILE), load_labelled(FRESH_FILE)
    print("| set | in-domain / off-topic | answered correctly at once | correct entry shown "
          "| wrong confident answers | off-topic not answered |")
    print("|---|---|---|---|---|---|")
    print(tally(FaqMatcher(entries), calibration).row("calibration set, thresholds tuned on it"))
    print(cross_validated(entries, calibration).row("calibration set, 5-fold cross-validated"))
    before = tally(FaqMatcher(entries), fresh)
    print(before.row("fresh set (never tuned on)"))
    for language in ("fi", "sv", "en"):
        print(tally(FaqMatcher(entries), [i for i in fresh if i.language == language]).row(f"fresh set, {language}"))
    after = tally(FaqMatcher(with_confirmed_paraphrases(entries, calibration)), fresh)
    print(after.row("fresh set, after one confirmed paraphrase per entry"))
    print(f"\ntargets on the fresh set: answered ≥ {TARGETS['answered']}, shown ≥ {TARGETS['shown']}, "
          f"wrong ≤ {TARGETS['wrong']}, off-topic ≥ {TARGETS['off_topic']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
