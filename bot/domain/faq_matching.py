"""Matching a question against the FAQ, in Finnish, Swedish and English.

Finnish inflects and compounds words ("kalenterikutsun", "etävastaanotolle") and people type in
a hurry, so the index is TF-IDF over word-bounded character n-grams (3-5), which DESIGN.md
found most accurate on Finnish and which copes with typos without any language model. Each
entry is indexed through its question, its variants and its answer in every language it has;
an entry scores as its best-matching text. Thresholds on the top score and on its margin over
the runner-up were calibrated on tests/data/faq_eval.yaml (see bench/faq_eval.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.domain.faq_file import FaqEntrySpec

ANSWERED, SUGGESTED, NONE = "answered", "suggested", "none"


@dataclass(frozen=True)
class Thresholds:
    confident: float = 0.45
    margin: float = 0.05
    suggest: float = 0.25


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    language: str  # the language of the text that matched best


@dataclass(frozen=True)
class MatchResult:
    outcome: str
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, and å/ä/ö folded so that 'paiva' finds 'päivä'."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub(" ", folded).split())


class FaqMatcher:
    """An immutable index over one FAQ revision; build a new one when the FAQ changes."""

    def __init__(self, entries: Sequence[FaqEntrySpec], thresholds: Thresholds = Thresholds()) -> None:
        self.thresholds = thresholds
        self.entry_ids: list[str] = []
        texts: list[str] = []
        owners: list[int] = []
        languages: list[str] = []
        for entry_index, entry in enumerate(entries):
            self.entry_ids.append(entry.id)
            for language, text in entry.texts().items():
                for document in (text.question, *text.variants, f"{text.question} {text.answer}"):
                    texts.append(normalise(document))
                    owners.append(entry_index)
                    languages.append(language)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._languages = languages
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
        if texts:
            # Column access lets a query touch only the n-grams it contains.
            self._matrix = self._vectorizer.fit_transform(texts).tocsc()
        else:
            self._matrix = None

    def __len__(self) -> int:
        return len(self.entry_ids)

    def rank(self, question: str, limit: int = 3) -> list[Candidate]:
        if self._matrix is None:
            return []
        query = self._vectorizer.transform([normalise(question)])
        if query.nnz == 0:
            return []
        columns = query.indices
        scores = np.asarray(self._matrix[:, columns] @ query.data).ravel()
        best_per_entry: dict[int, tuple[float, int]] = {}
        for row in np.argsort(scores)[::-1]:
            score = float(scores[row])
            if score <= 0:
                break
            owner = int(self._owners[row])
            if owner not in best_per_entry:
                best_per_entry[owner] = (score, int(row))
                if len(best_per_entry) >= limit:
                    break
        return [
            Candidate(self.entry_ids[owner], round(score, 4), self._languages[row])
            for owner, (score, row) in best_per_entry.items()
        ]

    def match(self, question: str) -> MatchResult:
        candidates = tuple(self.rank(question, limit=3))
        if not candidates or candidates[0].score < self.thresholds.suggest:
            return MatchResult(NONE, candidates)
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if candidates[0].score >= self.thresholds.confident and candidates[0].score - runner_up >= self.thresholds.margin:
            return MatchResult(ANSWERED, candidates)
        return MatchResult(SUGGESTED, tuple(c for c in candidates if c.score >= self.thresholds.suggest))
