"""Grouping the FAQ's gaps: questions that say the same thing in other words belong together,
so that the coordinator sees "7 people asked about shift lists", not seven rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from dialogs.rules.faq_matching import normalise

SIMILAR = 0.45


@dataclass(frozen=True)
class GapGroup:
    question_ids: tuple[int, ...]
    representative: str  # the group's first (newest) question
    unanswered: int
    not_helpful: int

    @property
    def size(self) -> int:
        return len(self.question_ids)


def group_gaps(items: Sequence[tuple[int, str, str]], limit: int = 10) -> list[GapGroup]:
    """items: (question id, masked text, reason) newest first. Greedy single-pass clustering on
    character n-gram TF-IDF cosine, biggest groups first."""
    if not items:
        return []
    texts = [normalise(text) or "-" for _, text, _ in items]
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(texts)
    similarity = (vectors @ vectors.T).toarray()
    assigned = np.full(len(items), -1)
    groups: list[list[int]] = []
    for index in range(len(items)):
        if assigned[index] >= 0:
            continue
        members = [j for j in range(index, len(items)) if assigned[j] < 0 and similarity[index, j] >= SIMILAR]
        for j in members:
            assigned[j] = len(groups)
        groups.append(members)
    result = [
        GapGroup(
            question_ids=tuple(items[j][0] for j in members),
            representative=items[members[0]][1],
            unanswered=sum(1 for j in members if items[j][2] == "unanswered"),
            not_helpful=sum(1 for j in members if items[j][2] == "not_helpful"),
        )
        for members in groups
    ]
    return sorted(result, key=lambda group: -group.size)[:limit]
