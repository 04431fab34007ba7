"""Matching a question against the FAQ, in Finnish, Swedish and English.

Finnish inflects and compounds words ("kalenterikutsun", "etävastaanotolle") and people type in
a hurry, so the index is TF-IDF over word-bounded character n-grams (3-5), which docs/design.md
found most accurate on Finnish and which copes with typos without any language model.

Each entry is indexed per language as two texts: its question with its variants, and its
answer; an entry scores as its better text. This layout measured best on the labelled set
(bench/faq_eval.py), and the thresholds on the top score and its margin over the runner-up
were calibrated there too.

The n-gram counts are computed as (documents x words) @ (words x n-grams), sparse matrix
products in C, which gives exactly scikit-learn's `char_wb` counts at a fraction of the cost:
an index of 10,000 entries builds in about two seconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sparse
from sklearn.feature_extraction.text import CountVectorizer

from storage.faq_repository import FaqRecord

ANSWERED, SUGGESTED, NONE = "answered", "suggested", "none"


@dataclass(frozen=True)
class Thresholds:
    # Calibrated with `bench/faq_eval.py --calibrate` on tests/data/faq_eval.yaml.
    confident: float = 0.30
    margin: float = 0.03
    suggest: float = 0.22


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
_FOLD = str.maketrans("åäöáàâãéèêëíìîïóòôõúùûüýÿçñšž", "aaoaaaaeeeeiiiioooouuuuyycnsz")


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, and å/ä/ö folded so that 'paiva' finds 'päivä'."""
    return " ".join(_PUNCTUATION.sub(" ", text.casefold().translate(_FOLD)).split())


def _grams_of(token: str) -> list[str]:
    """The n-grams of one whitespace-separated token, normalised ("teams-linkki" is two words)."""
    return [gram for word in normalise(token).split() for gram in word_ngrams(word)]


def word_ngrams(word: str) -> list[str]:
    """scikit-learn's char_wb n-grams (3-5) of one word, padded with a space on each side."""
    padded = f" {word} "
    grams = []
    for n in (3, 4, 5):
        if len(padded) <= n:
            grams.append(padded)
            break
        grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


class FaqMatcher:
    """An immutable index over one FAQ revision; build a new one when the FAQ changes."""

    def __init__(self, entries: Sequence[FaqRecord], thresholds: Thresholds = Thresholds()) -> None:
        self.thresholds = thresholds
        self.entry_ids: list[str] = []
        texts: list[str] = []
        owners: list[int] = []
        languages: list[str] = []
        for entry_index, entry in enumerate(entries):
            self.entry_ids.append(entry.id)
            for language, text in entry.texts.items():
                for document in (" ".join([text.question, *text.variants]), text.answer):
                    texts.append(document.casefold())
                    owners.append(entry_index)
                    languages.append(language)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._languages = languages
        self._grams: dict[str, int] = {}
        self._matrix = None
        if texts:
            self._build(texts)

    def _build(self, texts: list[str]) -> None:
        words = CountVectorizer(analyzer=str.split, dtype=np.float32)
        doc_words = words.fit_transform(texts)
        rows: list[int] = []
        columns: list[int] = []
        for word_index, word in enumerate(words.get_feature_names_out()):
            for gram in _grams_of(word):
                rows.append(word_index)
                columns.append(self._grams.setdefault(gram, len(self._grams)))
        word_grams = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(doc_words.shape[1], len(self._grams))
        )
        counts = (doc_words @ word_grams).tocsr()
        # TF-IDF as scikit-learn's TfidfTransformer(sublinear_tf=True) computes it.
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        self._idf = (np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1).astype(np.float32)
        counts.data = (1 + np.log(counts.data)) * self._idf[counts.indices]
        row_norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        row_norms[row_norms == 0] = 1
        counts = sparse.diags(1 / row_norms).astype(np.float32) @ counts
        # Column access lets a query touch only the n-grams it contains.
        self._matrix = counts.tocsc()

    def __len__(self) -> int:
        return len(self.entry_ids)

    def _query_vector(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        for word in question.casefold().split():
            for gram in _grams_of(word):
                index = self._grams.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self._idf[columns]
        return columns, weights / np.linalg.norm(weights)

    def rank(self, question: str, limit: int = 3) -> list[Candidate]:
        if self._matrix is None:
            return []
        columns, weights = self._query_vector(question)
        if columns.size == 0:
            return []
        scores = np.asarray(self._matrix[:, columns] @ weights).ravel()
        best_per_entry = np.full(len(self.entry_ids), -1.0, dtype=np.float32)
        np.maximum.at(best_per_entry, self._owners, scores)
        top = np.argsort(best_per_entry)[::-1][:limit]
        ranked = []
        for owner in top:
            score = float(best_per_entry[owner])
            if score <= 0:
                break
            rows = np.flatnonzero((self._owners == owner) & (scores >= score - 1e-6))
            ranked.append(Candidate(self.entry_ids[owner], round(score, 4), self._languages[int(rows[0])]))
        return ranked

    def match(self, question: str) -> MatchResult:
        return self.decide(tuple(self.rank(question, limit=3)))

    def decide(self, candidates: tuple[Candidate, ...]) -> MatchResult:
        """Confident answer, suggestions, or nothing, from the ranked candidates."""
        if not candidates or candidates[0].score < self.thresholds.suggest:
            return MatchResult(NONE, candidates)
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        best = candidates[0].score
        if best >= self.thresholds.confident and best - runner_up >= self.thresholds.margin:
            return MatchResult(ANSWERED, candidates)
        return MatchResult(SUGGESTED, tuple(c for c in candidates if c.score >= self.thresholds.suggest))
