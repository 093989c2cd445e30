"""A filing's risk profile: calibrated paragraph probabilities rolled up into 0–100 scores.

Formula ``risk-profile.v1`` (also in ``serving/README.md`` and every report). For one leaf,
with ``p_i`` the calibrated probability that risk paragraph ``i`` discusses it and ``t``
the leaf's tuned threshold:

* **disclosure** ``D = 1 − Π (1 − p_i)`` over the ``TOP_K = 3`` highest ``p_i`` among the
  filing's distinct risk paragraphs (noisy-OR: one clear paragraph is enough, a second and
  third add confidence with diminishing returns; only the top three count, so the faint
  probabilities of a 300-paragraph filing cannot pile up into a false disclosure; verbatim
  repeats — 重大事项提示 often copies a risk factor — count once, at their highest ``p``).
* **highlight** ``M = max p_i`` over the paragraphs of 重大事项提示 / 特别风险提示: the issuer
  chose to name the risk up front.
* **rank** ``R = 1 − k / n``: the first paragraph of the risk-factor section (in reading
  order, ``k`` counted from 0 of ``n``) at or above ``t``; 0 when none is. Filings put the
  risks they consider most material first.
* **prominence** ``P = 0.5·M + 0.5·R`` and **score** ``S = 100 · D · (0.6 + 0.4·P)``.
  A risk disclosed with certainty scores 60 when it only sits at the end of the risk
  factors and rises to 100 when it is named in 重大事项提示 and leads the section, so
  prominence still ranks the risks a confident model puts at ``D ≈ 1``; ``D = 0`` stays 0.

Every term is non-decreasing in every ``p_i`` of the leaf, so the score is monotone in the
paragraph probabilities (a property test checks it). A **group** uses the same formula
with a paragraph's group probability = the maximum over the group's leaves (leaves of one
group are correlated, so their noisy-OR would double count), and a paragraph hits the
group when it hits any of its leaves. **paragraphs** counts the risk paragraphs at or
above the threshold (a leaf with at least one is *disclosed*; disclosed leaves rank
before the others); **evidence** lists the top ``EVIDENCE_K`` of them by probability
with heading path and page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from risklens.labels.taxonomy import GROUP_OF, GROUPS, LABELS, LEAF_BY_ID, TAXONOMY_VERSION
from risklens.scoring.apidoc import MODEL_SCHEMA, PROFILE_EXAMPLE, openapi_config
from risklens.scoring.peer_group import PeerGroup

PROFILE_VERSION = "risk-profile.v1"
TOP_K = 3
"""Paragraphs whose probabilities enter the noisy-OR disclosure term."""
EVIDENCE_K = 3
"""Evidence paragraphs reported per leaf and group."""
HIGHLIGHT_WEIGHT = 0.5
RANK_WEIGHT = 0.5
BASE = 0.6
"""Share of the score a disclosed risk gets without any prominence."""

HIGHLIGHT_SECTIONS = frozenset({"major_matters", "special_risks"})
"""Sections where issuers name their most material risks up front."""
BODY_SECTIONS = frozenset({"risk_factors", "annual_report_risks", "inquiry_risk_prompt"})
"""The risk-factor body whose order gives the rank term."""

GROUP_NAMES: dict[str, tuple[str, str]] = {
    "technology": ("技术风险", "technology"),
    "operations": ("经营风险", "operations"),
    "international": ("国际经营与制裁风险", "international"),
    "financial": ("财务风险", "financial"),
    "governance": ("内控与公司治理风险", "governance"),
    "legal": ("法律风险", "legal"),
    "industry": ("行业风险", "industry"),
    "offering": ("募投与发行风险", "offering"),
    "other": ("其他风险", "other"),
}

FORMULA = (
    f"{PROFILE_VERSION}: D = noisy-OR of the top {TOP_K} paragraph probabilities; "
    f"M = max probability in 重大事项提示/特别风险提示; R = 1 - k/n for the first risk-factor "
    f"paragraph at/above threshold; P = {HIGHLIGHT_WEIGHT}*M + {RANK_WEIGHT}*R; "
    f"score = 100 * D * ({BASE} + {1 - BASE:.1f}*P). Groups: paragraph probability = max over the group's leaves."
)


class ParagraphLike(Protocol):
    """What the profile needs of a paragraph (``filings.Paragraph`` provides it)."""

    @property
    def id(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def page(self) -> int | None: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class DocumentInfo:
    """Which filing a profile describes."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    name: str
    doc_id: str = ""
    reader: str = ""
    pages: int | None = None
    recovered: bool = field(
        default=False,
        metadata={"description": "the file was damaged (e.g. a cut-off download) and was read only as far as it goes"},
    )
    pages_read: int | None = field(
        default=None, metadata={"description": "pages that yielded text, where the reader counts them (PDF)"}
    )
    kind: str | None = field(default=None, metadata={"description": "filing kind read from the text (prospectus, …)"})
    company: str | None = field(default=None, metadata={"description": "issuer named on the cover"})
    stock_code: str | None = None
    year: int | None = None
    report_date: str | None = field(default=None, metadata={"description": "ISO date on the cover"})
    industry: str | None = field(default=None, metadata={"description": "CSRC industry code stated in the filing"})

    def title(self) -> str:
        """Company, kind and date from the metadata ("云从… · refinancing_prospectus · 2022-04-07"), else the name."""
        parts = [p for p in (self.company, self.kind, self.report_date or (str(self.year) if self.year else None)) if p]
        return " · ".join(parts) if self.company else self.name


@dataclass(frozen=True)
class Evidence:
    """One paragraph supporting a risk: where it is, how sure the model is, its text."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    paragraph_id: str
    section: str
    heading: str
    page: int | None
    start: int
    end: int
    probability: float
    labels: list[str]
    text: str


@dataclass
class RiskScore:
    """The score of one leaf or group, its terms, paragraph count and evidence."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config(
        derived={"disclosed": {"type": "boolean", "title": "Disclosed",
                               "description": "at least one paragraph at or above the threshold"}},
    )

    id: str
    kind: str = field(metadata={"description": '"leaf" or "group"'})
    group: str
    zh: str
    en: str
    score: float = field(metadata={"description": "0-100, see profile.formula"})
    disclosure: float
    highlight: float
    rank_factor: float
    prominence: float
    paragraphs: int = field(metadata={"description": "risk paragraphs at or above the threshold"})
    first_position: int | None = field(
        metadata={"description": "1-based position in the risk-factor body of the first paragraph at or above the threshold"}
    )
    evidence: list[Evidence] = field(default_factory=list)
    rank: int = 0
    peer_prevalence: float | None = field(
        default=None, metadata={"description": "share of the peer group disclosing this leaf (null: no peers)"})
    peer_median: float | None = field(
        default=None, metadata={"description": "median score of the peers that disclose this leaf"})
    relative: float | None = field(
        default=None, metadata={"description": "0-100 percentile of this score among the peers' scores (see peers)"})
    flags: list[str] = field(
        default_factory=list, metadata={"description": "unusual, expected_absent or emphasised (against the peers)"})

    @property
    def disclosed(self) -> bool:
        """True when at least one paragraph is at or above the threshold."""
        return self.paragraphs > 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["disclosed"] = self.disclosed
        return out


@dataclass
class ParagraphResult:
    """A scored risk paragraph: where it is and the leaves at or above their thresholds."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    id: str
    section: str
    heading: str
    page: int | None
    start: int
    end: int
    labels: list[str]
    top_score: float
    text: str


@dataclass
class FilingProfile:
    """Leaf and group scores of one filing, with the paragraphs they came from."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config(
        order=("document", "model", "taxonomy_version", "profile_version", "formula", "sections",
               "peers", "leaves", "groups", "paragraphs"),
        examples=[PROFILE_EXAMPLE],
    )

    document: DocumentInfo
    model: dict[str, Any] = field(
        metadata={"description": "the model that scored the filing", "json_schema_extra": MODEL_SCHEMA}
    )
    leaves: list[RiskScore] = field(metadata={"description": "all 30 leaves, best score first"})
    groups: list[RiskScore] = field(metadata={"description": "all 9 groups, best score first"})
    paragraphs: list[ParagraphResult] = field(metadata={"description": "every risk paragraph with its labels"})
    sections: dict[str, int] = field(metadata={"description": "risk paragraphs per section"})
    taxonomy_version: str = TAXONOMY_VERSION
    profile_version: str = PROFILE_VERSION
    formula: str = FORMULA
    peers: PeerGroup | None = field(
        default=None, metadata={"description": "the peer group of the peer fields and flags (null: no baseline)"})

    def leaf(self, leaf_id: str) -> RiskScore:
        """The score of one leaf (``KeyError`` for an unknown id)."""
        for item in self.leaves:
            if item.id == leaf_id:
                return item
        raise KeyError(leaf_id)

    def group(self, group_id: str) -> RiskScore:
        for item in self.groups:
            if item.id == group_id:
                return item
        raise KeyError(group_id)

    def disclosed(self) -> list[RiskScore]:
        """Leaves with at least one paragraph at/above threshold, best score first."""
        return [item for item in self.leaves if item.disclosed]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``risklens score --format json`` and ``POST /v1/filings``."""
        return {
            "document": asdict(self.document),
            "model": dict(self.model),
            "taxonomy_version": self.taxonomy_version,
            "profile_version": self.profile_version,
            "formula": self.formula,
            "sections": dict(self.sections),
            "peers": asdict(self.peers) if self.peers is not None else None,
            "leaves": [item.to_dict() for item in self.leaves],
            "groups": [item.to_dict() for item in self.groups],
            "paragraphs": [asdict(p) for p in self.paragraphs],
        }


@dataclass(frozen=True)
class ChannelTerms:
    """The formula's terms for several channels (leaves or groups) at once."""

    disclosure: np.ndarray
    highlight: np.ndarray
    rank_factor: np.ndarray
    prominence: np.ndarray
    score: np.ndarray
    counts: np.ndarray
    first_body: np.ndarray  # index into the body paragraphs, -1 when none


def text_key(text: str) -> str:
    """Whitespace-free text, so verbatim repeats with other line breaks compare equal."""
    return "".join(text.split())


def text_ids(texts: Sequence[str]) -> np.ndarray:
    """For every paragraph, the number of its distinct text (verbatim repeats share one)."""
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(text_key(text), len(ids)) for text in texts], dtype=np.int64)


def pool_repeats(probs: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """One row per distinct text: the column-wise maximum over its repeats."""
    out = np.zeros((int(ids.max()) + 1 if ids.size else 0, probs.shape[1]))
    np.maximum.at(out, ids, probs)
    return out


def noisy_or_top(probs: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Per column, ``1 − Π(1 − p)`` over the ``k`` largest values (0 for no rows)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape[0] == 0:
        return np.zeros(probs.shape[1])
    top = -np.sort(-probs, axis=0)[:k]
    return np.asarray(1.0 - np.prod(1.0 - top, axis=0))


def channel_terms(
    probs: np.ndarray, hits: np.ndarray, sections: Sequence[str], ids: np.ndarray
) -> ChannelTerms:
    """Apply the formula to an (n paragraphs × m channels) probability matrix.

    ``hits`` marks cells at or above threshold, ``sections`` the section of every row,
    ``ids`` the distinct-text number of every row (:func:`text_ids`).
    """
    probs = np.clip(np.asarray(probs, dtype=np.float64), 0.0, 1.0)
    hits = np.asarray(hits, dtype=bool)
    n, m = probs.shape
    disclosure = noisy_or_top(pool_repeats(probs, np.asarray(ids))) if n else np.zeros(m)
    highlight_rows = np.array([s in HIGHLIGHT_SECTIONS for s in sections], dtype=bool)
    highlight = probs[highlight_rows].max(axis=0) if highlight_rows.any() else np.zeros(m)
    body_rows = np.array([s in BODY_SECTIONS for s in sections], dtype=bool)
    if not body_rows.any():
        body_rows = np.ones(n, dtype=bool)
    body_hits = hits[body_rows]
    n_body = body_hits.shape[0]
    first_body = np.full(m, -1, dtype=np.int64)
    rank_factor = np.zeros(m)
    for j in range(m):
        where = np.flatnonzero(body_hits[:, j])
        if where.size:
            first_body[j] = int(where[0])
            rank_factor[j] = 1.0 - where[0] / n_body
    prominence = HIGHLIGHT_WEIGHT * highlight + RANK_WEIGHT * rank_factor
    score = 100.0 * disclosure * (BASE + (1.0 - BASE) * prominence)
    return ChannelTerms(
        disclosure=disclosure,
        highlight=highlight,
        rank_factor=rank_factor,
        prominence=prominence,
        score=score,
        counts=hits.sum(axis=0).astype(np.int64),
        first_body=first_body,
    )


def _evidence(
    column: np.ndarray,
    hit_column: np.ndarray,
    paragraphs: Sequence[ParagraphLike],
    labels_of: Sequence[list[str]],
    k: int = EVIDENCE_K,
) -> list[Evidence]:
    """The ``k`` most probable distinct paragraphs at or above threshold.

    Ties keep the paragraph that comes first in reading order; a verbatim repeat (the
    重大事项提示 copy of a risk factor) is listed once, at its most probable occurrence.
    """
    order = sorted(np.flatnonzero(hit_column), key=lambda i: (-column[i], i))
    out: list[Evidence] = []
    seen: set[str] = set()
    for i in order:
        paragraph = paragraphs[int(i)]
        key = text_key(paragraph.text)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Evidence(
                paragraph_id=str(paragraph.id),
                section=paragraph.section,
                heading=paragraph.heading,
                page=paragraph.page,
                start=int(paragraph.start),
                end=int(paragraph.end),
                probability=round(float(column[i]), 4),
                labels=list(labels_of[int(i)]),
                text=paragraph.text,
            )
        )
        if len(out) == k:
            break
    return out


def _rank(items: list[RiskScore]) -> list[RiskScore]:
    """Disclosed first, then best score (taxonomy order breaks ties); sets the 1-based ``rank``.

    A leaf no paragraph reaches the threshold for never outranks a disclosed one, even
    when several middling probabilities give it a higher score.
    """
    order = {name: i for i, name in enumerate((*LABELS, *GROUPS))}
    items.sort(key=lambda item: (not item.disclosed, -item.score, order.get(item.id, 0)))
    for position, item in enumerate(items, start=1):
        item.rank = position
    return items


def build_profile(
    paragraphs: Sequence[ParagraphLike],
    probs: np.ndarray,
    thresholds: Mapping[str, float],
    *,
    document: DocumentInfo,
    model: Mapping[str, Any] | None = None,
    labels: Sequence[str] = LABELS,
) -> FilingProfile:
    """Score a filing from its risk paragraphs and their (n × 30) calibrated probabilities.

    ``labels`` is the column order of ``probs`` (the classifier's ``labels``); the profile
    reports every leaf of the taxonomy, sorted by score.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(len(paragraphs), len(labels))
    column = {label: j for j, label in enumerate(labels)}
    missing = [label for label in LABELS if label not in column or label not in thresholds]
    if missing:
        raise ValueError(
            f"the classifier's labels or thresholds lack {missing[:3]}; expected the "
            f"{len(LABELS)} leaves of {TAXONOMY_VERSION}."
        )
    leaf_probs = probs[:, [column[label] for label in LABELS]]
    cut = np.array([float(thresholds[label]) for label in LABELS])
    leaf_hits = leaf_probs >= cut[None, :]
    sections = [p.section for p in paragraphs]
    ids = text_ids([p.text for p in paragraphs])
    labels_of = [[LABELS[j] for j in np.flatnonzero(row)] for row in leaf_hits]

    leaf_terms = channel_terms(leaf_probs, leaf_hits, sections, ids)
    leaves = [
        _score_item(
            leaf_id, "leaf", GROUP_OF[leaf_id], LEAF_BY_ID[leaf_id].zh, LEAF_BY_ID[leaf_id].en,
            leaf_terms, j,
            _evidence(leaf_probs[:, j], leaf_hits[:, j], paragraphs, labels_of),
        )
        for j, leaf_id in enumerate(LABELS)
    ]

    members = [[j for j, leaf in enumerate(LABELS) if GROUP_OF[leaf] == g] for g in GROUPS]
    n = len(paragraphs)
    group_probs = np.zeros((n, len(GROUPS)))
    group_hits = np.zeros((n, len(GROUPS)), dtype=bool)
    for g, cols in enumerate(members):
        if n:
            group_probs[:, g] = leaf_probs[:, cols].max(axis=1)
            group_hits[:, g] = leaf_hits[:, cols].any(axis=1)
    group_terms = channel_terms(group_probs, group_hits, sections, ids)
    groups = [
        _score_item(
            group_id, "group", group_id, *GROUP_NAMES.get(group_id, (group_id, group_id)),
            group_terms, g,
            _evidence(group_probs[:, g], group_hits[:, g], paragraphs, labels_of),
        )
        for g, group_id in enumerate(GROUPS)
    ]

    results = [
        ParagraphResult(
            id=str(p.id), section=p.section, heading=p.heading, page=p.page,
            start=int(p.start), end=int(p.end), labels=labels_of[i],
            top_score=round(float(leaf_probs[i].max()) if len(LABELS) else 0.0, 4),
            text=p.text,
        )
        for i, p in enumerate(paragraphs)
    ]
    counts: dict[str, int] = {}
    for section in sections:
        counts[section] = counts.get(section, 0) + 1
    return FilingProfile(
        document=document,
        model=dict(model or {}),
        leaves=_rank(leaves),
        groups=_rank(groups),
        paragraphs=results,
        sections=counts,
    )


def _score_item(
    item_id: str,
    kind: str,
    group: str,
    zh: str,
    en: str,
    terms: ChannelTerms,
    j: int,
    evidence: list[Evidence],
) -> RiskScore:
    first = int(terms.first_body[j])
    return RiskScore(
        id=item_id,
        kind=kind,
        group=group,
        zh=zh,
        en=en,
        score=round(float(terms.score[j]), 1),
        disclosure=round(float(terms.disclosure[j]), 4),
        highlight=round(float(terms.highlight[j]), 4),
        rank_factor=round(float(terms.rank_factor[j]), 4),
        prominence=round(float(terms.prominence[j]), 4),
        paragraphs=int(terms.counts[j]),
        first_position=first + 1 if first >= 0 else None,
        evidence=evidence,
    )
