"""From a filing to its risk profile: ingest, extract risk paragraphs, classify, roll up.

The classifier is anything with ``labels``, ``thresholds``, ``info()``,
``predict_proba(paragraphs, batch_size, progress)`` and ``predict`` (same arguments,
records with ``labels`` and ``scores``) — ``model.RiskClassifier`` in
production, a small fake in tests of the arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from risklens import filings
from risklens.scoring.profile import DocumentInfo, FilingProfile, ParagraphLike, build_profile

SECTIONS = "risk"
"""What ``filings.extract_paragraphs`` returns for scoring: every risk-disclosure section (风险因素, 重大事项提示, 特别风险提示, …)."""

Progress = Callable[[int, int], None]


class ClassifierLike(Protocol):
    """The part of ``model.RiskClassifier`` that scoring uses."""

    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def thresholds(self) -> dict[str, float]: ...
    def info(self) -> dict[str, Any]: ...
    def predict_proba(
        self, paragraphs: Iterable[object], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray: ...
    def predict(
        self, paragraphs: Iterable[object], batch_size: int = 32, progress: Progress | None = None
    ) -> Sequence[Any]: ...


@dataclass
class ScoredFiling:
    """A profile plus what produced it: the paragraphs and their (n × 30) probabilities."""

    paragraphs: list[ParagraphLike]
    probs: np.ndarray
    labels: tuple[str, ...]
    profile: FilingProfile


def model_summary(info: Mapping[str, Any]) -> dict[str, Any]:
    """The model fields a profile carries (name, version, taxonomy, base model)."""
    keys = ("name", "version", "taxonomy_version", "base_model", "created")
    return {key: info.get(key) for key in keys if info.get(key) is not None}


def classifier_inputs(paragraphs: Sequence[ParagraphLike]) -> list[dict[str, str]]:
    """Paragraphs as the mappings ``predict_proba`` reads (text, heading path, id)."""
    return [{"id": str(p.id), "text": p.text, "heading": p.heading} for p in paragraphs]


def score_paragraphs(
    paragraphs: Sequence[ParagraphLike],
    classifier: ClassifierLike,
    *,
    document: DocumentInfo,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> ScoredFiling:
    """Classify ``paragraphs`` and build the profile of the filing they come from."""
    items = list(paragraphs)
    probs = np.asarray(
        classifier.predict_proba(classifier_inputs(items), batch_size, progress), dtype=np.float64
    ).reshape(len(items), len(classifier.labels))
    profile = build_profile(
        items,
        probs,
        classifier.thresholds,
        document=document,
        model=model_summary(classifier.info()),
        labels=classifier.labels,
    )
    return ScoredFiling(paragraphs=items, probs=probs, labels=tuple(classifier.labels), profile=profile)


def document_info(doc: Any) -> DocumentInfo:
    """Name, id, reader and page count of a ``filings.Document``."""
    pages = getattr(doc, "pages", None)
    if pages is not None and not isinstance(pages, int):
        try:
            pages = len(pages)
        except TypeError:
            pages = None
    return DocumentInfo(
        name=str(getattr(doc, "name", "") or ""),
        doc_id=str(getattr(doc, "doc_id", "") or ""),
        reader=str(getattr(doc, "reader", "") or ""),
        pages=pages,
        recovered=bool(getattr(doc, "recovered", False)),
        pages_read=getattr(doc, "pages_read", None),
    )


def score_document(
    doc: Any,
    classifier: ClassifierLike,
    *,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> ScoredFiling:
    """Score an ingested ``filings.Document`` (raises ``filings.errors.FilingError``)."""
    paragraphs = filings.extract_paragraphs(doc, sections=SECTIONS)
    return score_paragraphs(
        paragraphs, classifier, document=document_info(doc), batch_size=batch_size, progress=progress
    )


def score_source(
    source: Path | bytes,
    classifier: ClassifierLike,
    *,
    name: str | None = None,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> ScoredFiling:
    """Ingest a file (path or bytes: PDF, text, page-lines JSON, Markdown) and score it."""
    doc = filings.load_document(source, name=name)
    return score_document(doc, classifier, batch_size=batch_size, progress=progress)
