"""Compare two filings of one issuer: risks added, removed and materially changed.

Both filings are scored (``scoring.profile``) and their risk paragraphs aligned
(``scoring.align``). Then, per leaf disclosed in either filing (at least one paragraph at
or above threshold):

* **added** — disclosed only in the new filing; **removed** — only in the old one;
* **changed** — in both, and the score moved by at least ``CHANGE_DELTA`` points, or the
  evidence was rewritten: the new top evidence paragraph is less than
  ``REWRITE_SIMILARITY`` similar (char n-gram TF-IDF cosine) to every old evidence
  paragraph of the leaf;
* **unchanged** — everything else.

Every risk carries evidence from both sides: its top paragraphs in each filing, and for
each of them the paragraph it is aligned with on the other side (if any) and how similar
the two are, so a reader sees what text appeared, vanished or was rewritten.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION
from risklens.scoring.align import MIN_SIMILARITY, SAME_SIMILARITY, Alignment, Match, align
from risklens.scoring.apidoc import COMPARISON_EXAMPLE, MODEL_SCHEMA, openapi_config
from risklens.scoring.profile import DocumentInfo, Evidence, RiskScore, text_key
from risklens.scoring.score import ScoredFiling

CHANGE_DELTA = 15.0
"""Score move (points out of 100) that makes a risk disclosed in both filings 'changed'."""
REWRITE_SIMILARITY = 0.85
"""Below this similarity to every old evidence paragraph, the new evidence is 'rewritten'."""

STATUS_ORDER = ("added", "removed", "changed", "unchanged")


@dataclass(frozen=True)
class ParagraphRef:
    """A paragraph on the other side of an alignment."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    paragraph_id: str
    section: str
    heading: str
    page: int | None
    probability: float
    text: str


@dataclass(frozen=True)
class EvidencePair:
    """An evidence paragraph of one filing with its aligned paragraph in the other filing."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    side: str = field(metadata={"description": 'which filing the evidence comes from: "old" or "new"'})
    evidence: Evidence
    counterpart: ParagraphRef | None = field(
        default=None, metadata={"description": "the aligned paragraph of the other filing"}
    )
    similarity: float | None = field(
        default=None, metadata={"description": "text similarity of the pair (null without counterpart)"}
    )


@dataclass
class RiskChange:
    """How one leaf differs between the two filings, with evidence from both sides."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    id: str
    group: str
    zh: str
    en: str
    status: str = field(metadata={"description": "added, removed, changed or unchanged"})
    old_score: float
    new_score: float
    delta: float
    old_paragraphs: int
    new_paragraphs: int
    reasons: list[str] = field(default_factory=list)
    old_evidence: list[EvidencePair] = field(default_factory=list)
    new_evidence: list[EvidencePair] = field(default_factory=list)


@dataclass(frozen=True)
class AlignmentSummary:
    """How many risk paragraphs were matched, rewritten or found on one side only."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    old_paragraphs: int
    new_paragraphs: int
    matched: int
    rewritten: int
    only_old: int
    only_new: int


@dataclass
class Comparison:
    """The result of ``risklens compare OLD NEW`` and ``POST /v1/compare``."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config(
        order=("old", "new", "model", "taxonomy_version", "settings", "alignment", "summary", "risks"),
        derived={"summary": {"type": "object", "additionalProperties": {"type": "integer"}, "title": "Summary",
                             "description": "how many risks are added, removed, changed and unchanged"}},
        examples=[COMPARISON_EXAMPLE],
    )

    old: DocumentInfo
    new: DocumentInfo
    model: dict[str, Any] = field(
        metadata={"description": "the model that scored both filings", "json_schema_extra": MODEL_SCHEMA}
    )
    alignment: AlignmentSummary
    risks: list[RiskChange]
    settings: dict[str, float]
    taxonomy_version: str = TAXONOMY_VERSION

    def by_status(self, status: str) -> list[RiskChange]:
        return [risk for risk in self.risks if risk.status == status]

    def risk(self, leaf_id: str) -> RiskChange:
        for risk in self.risks:
            if risk.id == leaf_id:
                return risk
        raise KeyError(leaf_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": asdict(self.old),
            "new": asdict(self.new),
            "model": dict(self.model),
            "taxonomy_version": self.taxonomy_version,
            "settings": dict(self.settings),
            "alignment": asdict(self.alignment),
            "summary": {status: len(self.by_status(status)) for status in STATUS_ORDER},
            "risks": [asdict(risk) for risk in self.risks],
        }


def _index(scored: ScoredFiling) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, paragraph in enumerate(scored.paragraphs):
        out.setdefault(str(paragraph.id), i)
    return out


def _ref(scored: ScoredFiling, row: int, column: int) -> ParagraphRef:
    paragraph = scored.paragraphs[row]
    return ParagraphRef(
        paragraph_id=str(paragraph.id),
        section=paragraph.section,
        heading=paragraph.heading,
        page=paragraph.page,
        probability=round(float(scored.probs[row, column]), 4),
        text=paragraph.text,
    )


def _match_of(row: int, side: str, here: ScoredFiling, alignment: Alignment) -> Match | None:
    """The alignment of ``row``, or of a verbatim repeat of it (重大事项提示 copies risk
    factors, and only one copy can be paired one to one)."""
    def find(r: int) -> Match | None:
        return alignment.new_of(r) if side == "old" else alignment.old_of(r)

    direct = find(row)
    if direct is not None:
        return direct
    key = text_key(here.paragraphs[row].text)
    for other, paragraph in enumerate(here.paragraphs):
        if other != row and text_key(paragraph.text) == key:
            match = find(other)
            if match is not None:
                return match
    return None


def _pairs(
    side: str,
    evidence: list[Evidence],
    here: ScoredFiling,
    there: ScoredFiling,
    alignment: Alignment,
    column_there: int,
) -> list[EvidencePair]:
    """Attach to every evidence paragraph its aligned paragraph on the other side."""
    index = _index(here)
    out = []
    for item in evidence:
        row = index.get(item.paragraph_id)
        match = None
        if row is not None:
            match = _match_of(row, side, here, alignment)
        if match is None:
            out.append(EvidencePair(side=side, evidence=item, counterpart=None, similarity=None))
            continue
        other = match.new if side == "old" else match.old
        out.append(
            EvidencePair(
                side=side,
                evidence=item,
                counterpart=_ref(there, other, column_there),
                similarity=match.text_similarity,
            )
        )
    return out


def _evidence_similarity(
    old_leaf: RiskScore, new_leaf: RiskScore, old: ScoredFiling, new: ScoredFiling, alignment: Alignment
) -> float | None:
    """Best text similarity of the new top evidence paragraph to any old evidence paragraph."""
    if not old_leaf.evidence or not new_leaf.evidence:
        return None
    new_row = _index(new).get(new_leaf.evidence[0].paragraph_id)
    old_index = _index(old)
    old_rows = [old_index[e.paragraph_id] for e in old_leaf.evidence if e.paragraph_id in old_index]
    if new_row is None or not old_rows:
        return None
    return float(np.max(alignment.text_similarity[old_rows, new_row]))


def _order(risk: RiskChange) -> tuple[int, float]:
    """Added, removed, changed, unchanged; within each, the biggest move or score first."""
    weight = abs(risk.delta) if risk.status == "changed" else max(risk.old_score, risk.new_score)
    return STATUS_ORDER.index(risk.status), -weight


def compare_filings(old: ScoredFiling, new: ScoredFiling) -> Comparison:
    """Align two scored filings and report the risks added, removed and changed."""
    alignment = align(
        [p.text for p in old.paragraphs],
        [p.text for p in new.paragraphs],
        [p.heading for p in old.paragraphs],
        [p.heading for p in new.paragraphs],
    )
    risks: list[RiskChange] = []
    for leaf_id in LABELS:
        before, after = old.profile.leaf(leaf_id), new.profile.leaf(leaf_id)
        if not before.disclosed and not after.disclosed:
            continue
        delta = round(after.score - before.score, 1)
        reasons: list[str] = []
        if after.disclosed and not before.disclosed:
            status = "added"
            reasons.append(f"no paragraph of the old filing reaches the threshold; {after.paragraphs} in the new one")
        elif before.disclosed and not after.disclosed:
            status = "removed"
            reasons.append(f"{before.paragraphs} paragraph(s) in the old filing; none reaches the threshold in the new one")
        else:
            if abs(delta) >= CHANGE_DELTA:
                reasons.append(f"score {'rose' if delta > 0 else 'fell'} by {abs(delta):.1f} points")
            similarity = _evidence_similarity(before, after, old, new, alignment)
            if similarity is not None and similarity < REWRITE_SIMILARITY:
                reasons.append(
                    f"evidence rewritten (closest old evidence paragraph has similarity {similarity:.2f})"
                )
            status = "changed" if reasons else "unchanged"
        column_old = old.labels.index(leaf_id)
        column_new = new.labels.index(leaf_id)
        risks.append(
            RiskChange(
                id=leaf_id,
                group=after.group,
                zh=after.zh,
                en=after.en,
                status=status,
                old_score=before.score,
                new_score=after.score,
                delta=delta,
                old_paragraphs=before.paragraphs,
                new_paragraphs=after.paragraphs,
                reasons=reasons,
                old_evidence=_pairs("old", before.evidence, old, new, alignment, column_new),
                new_evidence=_pairs("new", after.evidence, new, old, alignment, column_old),
            )
        )
    risks.sort(key=_order)
    rewritten = sum(1 for m in alignment.matches if m.rewritten)
    summary = AlignmentSummary(
        old_paragraphs=len(old.paragraphs),
        new_paragraphs=len(new.paragraphs),
        matched=len(alignment.matches),
        rewritten=rewritten,
        only_old=len(old.paragraphs) - len(alignment.matches),
        only_new=len(new.paragraphs) - len(alignment.matches),
    )
    return Comparison(
        old=old.profile.document,
        new=new.profile.document,
        model=dict(new.profile.model),
        alignment=summary,
        risks=risks,
        settings={
            "change_delta": CHANGE_DELTA,
            "rewrite_similarity": REWRITE_SIMILARITY,
            "min_match_similarity": MIN_SIMILARITY,
            "same_text_similarity": SAME_SIMILARITY,
        },
    )
