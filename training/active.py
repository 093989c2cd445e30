"""Active learning: which harvested paragraphs are most worth an annotator's time next.

A paragraph is worth labelling when the current model is unsure about it or when it
contradicts the heading rules, and a good batch is spread over many filings instead of
forty near-copies of one boiler-plate paragraph. The priority of a paragraph is

    priority = w_margin · margin + w_entropy · entropy + w_disagree · disagreement

- ``margin``: 1 when some leaf's probability sits exactly on its decision threshold,
  falling linearly to 0 as every leaf moves to 0 or 1 (the leaf closest to its
  threshold decides);
- ``entropy``: mean binary entropy over the 30 leaves, in bits (0–1);
- ``disagreement``: Jaccard distance between the model's labels and the silver rules'
  labels for the heading (``labels.silver.RuleLabeller``); 0 when the rules say nothing,
  because a generic heading ("一、经营风险") is no evidence against the model.

Selection walks the candidates by priority and skips a paragraph when its filing already
has ``per_document`` picks, or when it is a near-duplicate (character-trigram Jaccard ≥
``near_duplicate`` after dropping digits, spaces and punctuation) of one already picked.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from risklens.labels.harvest import Harvested
from risklens.labels.labelstudio import Task
from risklens.labels.silver import RuleLabeller


@dataclass(frozen=True)
class QueueConfig:
    """How the queue is scored and diversified."""

    n: int = 50  # paragraphs to pick
    per_document: int = 5  # at most this many picks from one filing
    near_duplicate: float = 0.8  # trigram Jaccard at or above which two texts count as the same
    min_chars: int = 20  # shorter paragraphs (page debris, stray headings) are skipped
    w_margin: float = 1.0
    w_entropy: float = 0.5
    w_disagree: float = 1.0

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}.")
        if self.per_document < 1:
            raise ValueError(f"per_document must be >= 1, got {self.per_document}.")
        if not 0.0 < self.near_duplicate <= 1.0:
            raise ValueError(f"near_duplicate must be in (0, 1], got {self.near_duplicate}.")


@dataclass(frozen=True)
class Candidate:
    """A scored paragraph: why it is (or is not) worth labelling."""

    paragraph: Harvested
    priority: float
    margin: float
    entropy: float
    disagreement: float
    predicted: tuple[str, ...]
    silver: tuple[str, ...]

    def to_task(self) -> Task:
        """A Label Studio task pre-annotated with the model's labels."""
        return Task(
            text=self.paragraph.text,
            heading=self.paragraph.heading,
            ref=self.paragraph.ref(),
            predicted=self.predicted,
            score=round(self.priority, 4),
        )


# --------------------------------------------------------------------- scores
def threshold_margin(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Per row, 1 − the smallest normalised distance of any leaf to its threshold (0–1)."""
    p = np.asarray(probs, dtype=np.float64)
    t = np.clip(np.asarray(thresholds, dtype=np.float64), 1e-6, 1 - 1e-6)[None, :]
    span = np.where(p < t, t, 1.0 - t)  # distance to 0 below the threshold, to 1 above it
    closeness = 1.0 - np.abs(p - t) / span
    return np.asarray(np.clip(closeness.max(axis=1), 0.0, 1.0))


def mean_entropy(probs: np.ndarray) -> np.ndarray:
    """Mean binary entropy of the leaves, in bits (0 = certain, 1 = every leaf at 0.5)."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-9, 1 - 1e-9)
    bits = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    return np.asarray(bits.mean(axis=1))


def disagreement(predicted: Iterable[str], silver: Iterable[str]) -> float:
    """Jaccard distance between model and rule labels; 0 when the rules found nothing."""
    a, b = set(predicted), set(silver)
    if not b:
        return 0.0
    return 1.0 - len(a & b) / len(a | b)


def score_candidates(
    paragraphs: Sequence[Harvested],
    probs: np.ndarray,
    thresholds: Sequence[float],
    predicted: Sequence[Sequence[str]],
    config: QueueConfig,
    labeller: RuleLabeller | None = None,
) -> list[Candidate]:
    """Combine margin, entropy and rule disagreement into one priority per paragraph."""
    if len(paragraphs) != len(probs) or len(paragraphs) != len(predicted):
        raise ValueError(
            f"got {len(paragraphs)} paragraphs, {len(probs)} probability rows and "
            f"{len(predicted)} label lists; they must match."
        )
    rules = labeller or RuleLabeller()
    margins = threshold_margin(probs, thresholds) if len(paragraphs) else np.zeros(0)
    entropies = mean_entropy(probs) if len(paragraphs) else np.zeros(0)
    out: list[Candidate] = []
    for i, paragraph in enumerate(paragraphs):
        silver = tuple(rules.predict(paragraph.heading))
        disagree = disagreement(predicted[i], silver)
        priority = (
            config.w_margin * float(margins[i])
            + config.w_entropy * float(entropies[i])
            + config.w_disagree * disagree
        )
        out.append(
            Candidate(
                paragraph=paragraph,
                priority=priority,
                margin=float(margins[i]),
                entropy=float(entropies[i]),
                disagreement=disagree,
                predicted=tuple(predicted[i]),
                silver=silver,
            )
        )
    return out


# ------------------------------------------------------------------ diversity
_NOISE = re.compile(r"[\s\d０-９.,，。;；:：、()（）%％\-—《》“”\"'·/]+")


def normalise(text: str) -> str:
    """Text without digits, spaces and punctuation: what stays the same across years."""
    return _NOISE.sub("", text)


def trigrams(text: str) -> frozenset[str]:
    norm = normalise(text)
    if len(norm) < 3:
        return frozenset({norm}) if norm else frozenset()
    return frozenset(norm[i : i + 3] for i in range(len(norm) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def select_diverse(candidates: Sequence[Candidate], config: QueueConfig) -> list[Candidate]:
    """The top ``config.n`` candidates by priority, capped per filing and de-duplicated."""
    ranked = sorted(
        candidates,
        key=lambda c: (-c.priority, c.paragraph.doc, c.paragraph.start),
    )
    per_doc: Counter[str] = Counter()
    chosen: list[Candidate] = []
    chosen_grams: list[frozenset[str]] = []
    seen_exact: set[str] = set()
    for candidate in ranked:
        if len(chosen) >= config.n:
            break
        paragraph = candidate.paragraph
        if per_doc[paragraph.doc] >= config.per_document:
            continue
        norm = normalise(paragraph.text)
        if norm in seen_exact:
            continue
        grams = trigrams(paragraph.text)
        if any(jaccard(grams, other) >= config.near_duplicate for other in chosen_grams):
            continue
        seen_exact.add(norm)
        chosen_grams.append(grams)
        per_doc[paragraph.doc] += 1
        chosen.append(candidate)
    return chosen


# ----------------------------------------------------------------- the queue
@dataclass(frozen=True)
class Exclusions:
    """Paragraphs that already have a label (from the store or the gold files)."""

    text_hashes: frozenset[str] = frozenset()
    spans: frozenset[tuple[str, int, int]] = frozenset()

    def __contains__(self, paragraph: object) -> bool:
        if not isinstance(paragraph, Harvested):
            return False
        return paragraph.text_hash in self.text_hashes or (
            (paragraph.doc, paragraph.start, paragraph.end) in self.spans
        )


def candidate_pool(
    paragraphs: Iterable[Harvested],
    config: QueueConfig,
    *,
    exclude: Exclusions | None = None,
    max_pool: int = 0,
    seed: int = 0,
) -> list[Harvested]:
    """Paragraphs eligible for the queue: long enough, not yet labelled, optionally sampled."""
    excluded = exclude or Exclusions()
    pool = [
        p for p in paragraphs if len(p.text.strip()) >= config.min_chars and p not in excluded
    ]
    if max_pool and len(pool) > max_pool:
        pool = random.Random(seed).sample(pool, max_pool)
    return pool


def active_thresholds(model: Any) -> list[float]:
    """The thresholds ``model.decide`` applies (fused, or the encoder's when no fusion head)."""
    table = model.meta.encoder_thresholds if model.fusion is None else model.meta.thresholds
    return [float(table[label]) for label in model.labels]


def rank_paragraphs(
    model: Any,
    paragraphs: Sequence[Harvested],
    config: QueueConfig,
    *,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> list[Candidate]:
    """Score paragraphs with ``model`` (a ``RiskClassifier``) and pick a diverse queue."""
    if not paragraphs:
        return []
    inputs = [{"text": p.text, "heading": p.heading} for p in paragraphs]
    probs = model.predict_proba(inputs, batch_size, progress)
    predicted = model.decide(probs)
    candidates = score_candidates(paragraphs, probs, active_thresholds(model), predicted, config)
    return select_diverse(candidates, config)


def gold_exclusions(data_dir: Path) -> Exclusions:
    """Stand-off spans and text hashes of every record in the annotation folder."""
    from risklens.labels.annotations import load_all

    if not data_dir.is_dir():
        return Exclusions()
    records = load_all(data_dir)
    return Exclusions(
        text_hashes=frozenset(r.text_hash for r in records if r.text_hash),
        spans=frozenset((r.doc, r.start, r.end) for r in records if r.is_stand_off),
    )


def merge(*parts: Exclusions) -> Exclusions:
    return Exclusions(
        text_hashes=frozenset().union(*(p.text_hashes for p in parts)),
        spans=frozenset().union(*(p.spans for p in parts)),
    )


def summarise(chosen: Sequence[Candidate]) -> str:
    """One line for the CLI: how many picks, from how many filings, mean scores."""
    if not chosen:
        return "no paragraph qualified"
    docs = len({c.paragraph.doc for c in chosen})
    count = len(chosen)
    margin = sum(c.margin for c in chosen) / count
    disagree = sum(c.disagreement for c in chosen) / count
    priority = sum(c.priority for c in chosen) / count
    return (
        f"{count} paragraphs from {docs} filings; mean margin {margin:.2f}, "
        f"rule disagreement {disagree:.2f}, priority {priority:.2f}"
    )


__all__ = [
    "Candidate",
    "Exclusions",
    "QueueConfig",
    "active_thresholds",
    "candidate_pool",
    "disagreement",
    "gold_exclusions",
    "mean_entropy",
    "merge",
    "rank_paragraphs",
    "score_candidates",
    "select_diverse",
    "summarise",
    "threshold_margin",
]
