"""The semantic half of FAQ matching: each entry's questions (with their variants), per
language, as one sentence-embedding vector each (dialogs/embedding.py); an entry scores as its
closest language. Cross-validated on the calibration sets, the question and its variants as one
text beat each variant as its own text (0.85 against 0.82 answered at once). Answers are not
embedded: their first 300 characters cost three times as much per entry, and gained only within
the noise of the cross-validation; the n-grams index the answers anyway.

A first start embeds each entry's bare questions before the full texts: they are about a
fifth of the tokens, so a large FAQ is matched by meaning within a minute or two instead of
several, under a policy fitted for questions alone (dialogs/rules/faq_policy.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from storage.faq_repository import FaqRecord

# The cosine of two unrelated texts under multilingual-e5 sits near 0.7-0.75, not 0: an entry
# with no text scores this low, so it never outranks one that has text.
FLOOR = 0.7


def semantic_documents(entries: Sequence[FaqRecord]) -> tuple[list[str], np.ndarray]:
    """The texts to embed, and the index of the entry each belongs to."""
    texts: list[str] = []
    owners: list[int] = []
    for entry_index, entry in enumerate(entries):
        for text in entry.texts.values():
            texts.append(" ".join([text.question, *text.variants]))
            owners.append(entry_index)
    return texts, np.asarray(owners, dtype=np.int64)


def question_documents(entries: Sequence[FaqRecord]) -> tuple[list[str], np.ndarray]:
    """Each entry's question per language without its variants: the first stage of a build."""
    texts: list[str] = []
    owners: list[int] = []
    for entry_index, entry in enumerate(entries):
        for text in entry.texts.values():
            texts.append(text.question)
            owners.append(entry_index)
    return texts, np.asarray(owners, dtype=np.int64)


class SemanticIndex:
    """Document vectors (rows, L2-normalised) with their owners, over one FAQ revision."""

    def __init__(self, vectors: np.ndarray, owners: np.ndarray, entry_count: int) -> None:
        if len(vectors) != len(owners):
            raise ValueError("one owner per vector")
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._entry_count = entry_count
        order = np.argsort(owners, kind="stable")
        self._order = order
        self._present, self._starts = np.unique(owners[order], return_index=True)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Each entry's best cosine with the query vector."""
        best = np.full(self._entry_count, FLOOR, dtype=np.float32)
        if self._present.size:
            cosines = (self._vectors @ np.asarray(query, dtype=np.float32))[self._order]
            best[self._present] = np.maximum.reduceat(cosines, self._starts)
        return best
