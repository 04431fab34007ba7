"""The lexical half of FAQ matching, in Finnish, Swedish and English.

Finnish inflects and compounds words ("kalenterikutsun", "etävastaanotolle") and people type in
a hurry, so the index is TF-IDF over word-bounded character n-grams (3-5), which docs/design.md
found most accurate on Finnish and which copes with typos without any language model. The
semantic half is dialogs/rules/semantic_index.py; dialogs/rules/faq_policy.py combines them.

Each entry is indexed per language as two texts: its question with its variants, and its
answer; an entry scores as its better text. This layout measured best on the labelled set.

The n-gram counts are computed as (documents x words) @ (words x n-grams), sparse matrix
products in C, which gives exactly scikit-learn's `char_wb` counts at a fraction of the cost:
an index of 10,000 entries builds in about two seconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sparse
from sklearn.feature_extraction.text import CountVectorizer

from storage.faq_repository import FaqRecord

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


class LexicalIndex:
    """An immutable index over one FAQ revision; build a new one when the FAQ changes.
    `entry_ids[i]` is the entry whose score is `scores(...)[i]`."""

    def __init__(self, entries: Sequence[FaqRecord]) -> None:
        self.entry_ids: list[str] = []
        texts: list[str] = []
        owners: list[int] = []
        for entry_index, entry in enumerate(entries):
            self.entry_ids.append(entry.id)
            for text in entry.texts.values():
                for document in (" ".join([text.question, *text.variants]), text.answer):
                    texts.append(document.casefold())
                    owners.append(entry_index)
        self._owners = np.asarray(owners, dtype=np.int64)
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

    def scores(self, question: str) -> np.ndarray:
        """Each entry's cosine with the question (0 for no n-gram in common): its better text."""
        best_per_entry = np.zeros(len(self.entry_ids), dtype=np.float32)
        if self._matrix is None:
            return best_per_entry
        columns, weights = self._query_vector(question)
        if columns.size:
            np.maximum.at(best_per_entry, self._owners, np.asarray(self._matrix[:, columns] @ weights).ravel())
        return best_per_entry

    def rank(self, question: str, limit: int = 3) -> list[tuple[str, float]]:
        """The `limit` best entries with a score above 0, best first."""
        scores = self.scores(question)
        top = np.argsort(-scores, kind="stable")[:limit]
        return [(self.entry_ids[i], round(float(scores[i]), 4)) for i in top if scores[i] > 0]
