"""Answer, suggest, or hand on: the decision on a question's FAQ scores.

Two matchers score every entry: character n-grams (dialogs/rules/faq_matching.py) and sentence
embeddings (dialogs/rules/semantic_index.py). Their scores live on different scales (n-gram
cosines mostly 0-0.5, e5 cosines 0.7-0.9), so the ranking fuses their z-scores over the
entries: (1 - w) * z(lexical) + w * z(semantic). A z-score says how far an entry stands above
this question's typical entry, which ranks well but cannot tell an off-topic question, so the
decision looks at raw scores too: two logistic models over a few features of the top entry
(its raw scores, its margins over the runner-up, whether both matchers agree), one for "this
entry answers the question" and one for "some entry shown is the right one".

- answer at once when the answer model is confident enough;
- otherwise up to three suggestions when the related model says one of them is likely right
  (the second and third only when they are close to the first);
- otherwise nothing: the asker is offered a digimentor.

Without embeddings (the model cannot load, or is busy) the same is done on n-grams alone with
models fitted for that, and while a first start has embedded only the entries' bare questions
(not yet their variants), with models fitted for those. When the n-grams alone are decisive,
embeddings are not needed at all.

Every coefficient and threshold comes from `bench/faq_calibrate.py`, fitted on the calibration
sets and written to faq_policy.json beside this file; the evaluation sets never choose anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

ANSWERED, SUGGESTED, NONE = "answered", "suggested", "none"
MAX_SUGGESTIONS = 3
PARAMETERS_FILE = Path(__file__).with_name("faq_policy.json")

HYBRID_FEATURES = ("lexical", "semantic", "fused_margin", "lexical_margin", "semantic_margin",
                   "lexical_agrees", "semantic_above_mean")
LEXICAL_FEATURES = ("lexical", "lexical_margin", "lexical_above_mean")
# Stands in for a missing runner-up (an FAQ of one entry): an unrelated text's scores.
_NO_RUNNER_UP = {"lexical": 0.0, "semantic": 0.7}


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float  # the fused score that ranked it (n-gram cosine without embeddings)


@dataclass(frozen=True)
class MatchResult:
    outcome: str
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    confidence: float | None = None  # the answer model's probability for the best entry
    semantic: bool = False  # whether embeddings took part

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class LogisticModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        x = (np.array([values[name] for name in self.features]) - self.mean) / self.scale
        return float(1 / (1 + np.exp(-(x @ np.asarray(self.coefficients) + self.intercept))))

    @classmethod
    def from_json(cls, data: dict) -> LogisticModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["coefficients"]), float(data["intercept"]), float(data["threshold"]))

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "coefficients": list(self.coefficients), "intercept": self.intercept, "threshold": self.threshold}


@dataclass(frozen=True)
class ModelPair:
    answer: LogisticModel
    related: LogisticModel


@dataclass(frozen=True)
class Policy:
    fusion_weight: float
    suggestion_gap: float  # in fused z units: how far behind the first a suggestion may be
    decisive: float  # the lexical answer probability above which embeddings are not needed
    hybrid: ModelPair
    lexical: ModelPair
    questions: ModelPair  # the hybrid while only the entries' bare questions are embedded

    @classmethod
    def from_json(cls, data: dict) -> Policy:
        def pair(part: dict) -> ModelPair:
            return ModelPair(LogisticModel.from_json(part["answer"]), LogisticModel.from_json(part["related"]))

        return cls(float(data["fusion_weight"]), float(data["suggestion_gap"]), float(data["decisive"]),
                   pair(data["hybrid"]), pair(data["lexical"]), pair(data["questions"]))

    def to_json(self) -> dict:
        def pair(models: ModelPair) -> dict:
            return {"answer": models.answer.to_json(), "related": models.related.to_json()}

        return {"fusion_weight": self.fusion_weight, "suggestion_gap": self.suggestion_gap,
                "decisive": self.decisive, "hybrid": pair(self.hybrid), "lexical": pair(self.lexical),
                "questions": pair(self.questions)}


@cache
def calibrated_policy() -> Policy:
    return Policy.from_json(json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))["policy"])


def zscores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    spread = scores.std()
    if scores.size == 0 or spread < 1e-12:
        return np.zeros_like(scores)
    return (scores - scores.mean()) / spread


@dataclass(frozen=True)
class Ranking:
    """Entries best first, with the features of the best one."""

    order: np.ndarray
    fused: np.ndarray
    features: dict[str, float]


def hybrid_ranking(lexical: np.ndarray, semantic: np.ndarray, weight: float) -> Ranking:
    fused = (1 - weight) * zscores(lexical) + weight * zscores(semantic)
    order = np.argsort(-fused, kind="stable")
    top = order[0]
    second = order[1] if order.size > 1 else None

    def runner_up(scores: np.ndarray, kind: str) -> float:
        return float(scores[second]) if second is not None else _NO_RUNNER_UP[kind]

    features = {
        "lexical": float(lexical[top]),
        "semantic": float(semantic[top]),
        "fused_margin": float(fused[top] - fused[second]) if second is not None else 0.0,
        "lexical_margin": float(lexical[top]) - runner_up(lexical, "lexical"),
        "semantic_margin": float(semantic[top]) - runner_up(semantic, "semantic"),
        "lexical_agrees": float(lexical[top] > 0 and int(np.argmax(lexical)) == int(top)),
        "semantic_above_mean": float(semantic[top] - semantic.mean()),
    }
    return Ranking(order, fused, features)


def lexical_ranking(lexical: np.ndarray) -> Ranking:
    scores = np.asarray(lexical, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    top = order[0]
    runner_up = float(scores[order[1]]) if order.size > 1 else _NO_RUNNER_UP["lexical"]
    features = {
        "lexical": float(scores[top]),
        "lexical_margin": float(scores[top]) - runner_up,
        "lexical_above_mean": float(scores[top] - scores.mean()),
    }
    # Suggestions are kept within the gap on this scale too: z-scores of the n-grams alone.
    return Ranking(order, zscores(scores), features)


def lexically_decisive(policy: Policy, lexical: np.ndarray) -> bool:
    """The n-grams alone settle it: answering needs no embedding of the question."""
    if lexical.size == 0 or float(lexical.max()) <= 0:
        return False
    return policy.lexical.answer.probability(lexical_ranking(lexical).features) >= policy.decisive


def decide(policy: Policy, entry_ids: Sequence[str], lexical: np.ndarray,
           semantic: np.ndarray | None, *, questions_only: bool = False) -> MatchResult:
    """The outcome for one question, from every entry's scores (aligned with `entry_ids`);
    `questions_only` when the semantic scores come from the entries' bare questions."""
    if not len(entry_ids):
        return MatchResult(NONE)
    if semantic is None:
        if float(lexical.max()) <= 0:  # not one n-gram in common with any entry
            return MatchResult(NONE)
        ranking, models = lexical_ranking(lexical), policy.lexical
    else:
        ranking = hybrid_ranking(lexical, semantic, policy.fusion_weight)
        models = policy.questions if questions_only else policy.hybrid
    candidates = tuple(Candidate(entry_ids[i], round(float(ranking.fused[i]), 4))
                       for i in ranking.order[:MAX_SUGGESTIONS])
    confidence = models.answer.probability(ranking.features)
    used = semantic is not None
    if confidence >= models.answer.threshold:
        return MatchResult(ANSWERED, candidates, round(confidence, 4), used)
    if models.related.probability(ranking.features) >= models.related.threshold:
        first = ranking.fused[ranking.order[0]]
        close = tuple(c for i, c in zip(ranking.order, candidates, strict=False)
                      if first - ranking.fused[i] <= policy.suggestion_gap)
        return MatchResult(SUGGESTED, close, round(confidence, 4), used)
    return MatchResult(NONE, candidates, round(confidence, 4), used)
