"""Align the risk paragraphs of two filings: which old paragraph became which new one.

Similarity of two paragraphs = ``TEXT_WEIGHT`` × cosine of their character 2–3-gram
TF-IDF vectors over letters and digits only (robust to Chinese word segmentation, to
reflowed lines and to full-width vs ASCII punctuation) +
``1 − TEXT_WEIGHT`` × the same cosine on their innermost heading with the enumerator
("（四）", "3、") stripped (text alone when either heading is unknown). The Hungarian algorithm then picks the one-to-one pairing with
the largest total similarity; pairs below ``MIN_SIMILARITY`` are dropped, so a paragraph
with no counterpart stays unmatched (added or removed text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TEXT_WEIGHT = 0.75
MIN_SIMILARITY = 0.3
"""Pairs less similar than this are not the same paragraph."""
SAME_SIMILARITY = 0.9
"""Text similarity at or above which a matched paragraph counts as unchanged."""

_ENUMERATOR = re.compile(r"^\s*(?:第[一二三四五六七八九十百]+[节章]|[（(]?[一二三四五六七八九十百\d]+[)）、.．]?)\s*")


@dataclass(frozen=True)
class Match:
    """Old paragraph ``old`` (row index) aligned with new paragraph ``new``."""

    old: int
    new: int
    similarity: float
    text_similarity: float
    heading_similarity: float

    @property
    def rewritten(self) -> bool:
        """True when the text changed beyond reflowing and small edits."""
        return self.text_similarity < SAME_SIMILARITY


def innermost_heading(heading: str) -> str:
    """The last level of a " / "-joined heading path, without its enumerator."""
    last = heading.rsplit(" / ", 1)[-1] if heading else ""
    return _ENUMERATOR.sub("", last).strip()


def comparable(text: str) -> str:
    """Letters and digits only, NFKC-normalised: the same sentence with full-width or ASCII
    punctuation, other spacing or line breaks compares equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())


def _cosine(old: Sequence[str], new: Sequence[str]) -> np.ndarray:
    """Cosine similarity (len(old) × len(new)) of char 2–3-gram TF-IDF vectors."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not old or not new:
        return np.zeros((len(old), len(new)))
    texts = [comparable(t) for t in (*old, *new)]
    if not any(texts):
        return np.zeros((len(old), len(new)))
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=1)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but one-character strings: no 2-grams at all
        return np.zeros((len(old), len(new)))
    sim = (matrix[: len(old)] @ matrix[len(old) :].T).toarray()
    return np.clip(np.asarray(sim, dtype=np.float64), 0.0, 1.0)


@dataclass(frozen=True)
class Alignment:
    """Similarity matrices of two paragraph lists and the chosen one-to-one matches."""

    text_similarity: np.ndarray
    heading_similarity: np.ndarray
    matches: list[Match]

    def new_of(self, old: int) -> Match | None:
        for match in self.matches:
            if match.old == old:
                return match
        return None

    def old_of(self, new: int) -> Match | None:
        for match in self.matches:
            if match.new == new:
                return match
        return None

    def unmatched_old(self, n_old: int) -> list[int]:
        taken = {m.old for m in self.matches}
        return [i for i in range(n_old) if i not in taken]

    def unmatched_new(self, n_new: int) -> list[int]:
        taken = {m.new for m in self.matches}
        return [i for i in range(n_new) if i not in taken]


def align(
    old_texts: Sequence[str],
    new_texts: Sequence[str],
    old_headings: Sequence[str] | None = None,
    new_headings: Sequence[str] | None = None,
    *,
    min_similarity: float = MIN_SIMILARITY,
) -> Alignment:
    """Pair old and new paragraphs one to one by text and heading similarity."""
    from scipy.optimize import linear_sum_assignment

    text_sim = _cosine(old_texts, new_texts)
    old_h = [innermost_heading(h) for h in (old_headings or [""] * len(old_texts))]
    new_h = [innermost_heading(h) for h in (new_headings or [""] * len(new_texts))]
    head_sim = _cosine(old_h, new_h)
    both = np.outer([bool(h) for h in old_h], [bool(h) for h in new_h])
    combined = np.where(both, TEXT_WEIGHT * text_sim + (1.0 - TEXT_WEIGHT) * head_sim, text_sim)
    matches: list[Match] = []
    if combined.size:
        rows, cols = linear_sum_assignment(-combined)
        for r, c in zip(rows, cols, strict=True):
            if combined[r, c] >= min_similarity:
                matches.append(
                    Match(
                        old=int(r),
                        new=int(c),
                        similarity=round(float(combined[r, c]), 4),
                        text_similarity=round(float(text_sim[r, c]), 4),
                        heading_similarity=round(float(head_sim[r, c]), 4),
                    )
                )
    matches.sort(key=lambda m: m.new)
    return Alignment(text_similarity=text_sim, heading_similarity=head_sim, matches=matches)
