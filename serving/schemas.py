"""Request and response bodies of the HTTP API (pydantic), so the OpenAPI schema is the contract.

Paragraph records follow ``TAXONOMY.md``: input ``{"id"?, "text", "heading"?}``, output
``{"id", "labels", "scores"}`` with a calibrated probability for every leaf. Profiles and
comparisons mirror ``FilingProfile.to_dict`` and ``Comparison.to_dict`` (a test checks
that they validate). The examples are made up for the documentation.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from risklens.serving.limits import (
    MAX_HEADING_CHARS,
    MAX_ID_CHARS,
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
)

EXAMPLE_TEXT = (
    "报告期内，公司前五名客户的销售收入占营业收入的比例超过七成，若主要客户削减采购或转向其他供应商，"
    "公司的经营业绩将受到不利影响。"
)
EXAMPLE_HEADING = "第三节 风险因素 / 一、经营风险 / （二）客户集中度较高的风险"
EXAMPLE_FILING = "第三节 风险因素\n\n一、经营风险\n\n（二）客户集中度较高的风险\n\n" + EXAMPLE_TEXT + "\n"
EXAMPLE_EVIDENCE: dict[str, Any] = {
    "paragraph_id": "3f2a9c0d1b7e5a44-0004",
    "section": "risk_factors",
    "heading": EXAMPLE_HEADING,
    "page": 12,
    "start": 1830,
    "end": 1893,
    "probability": 0.93,
    "labels": ["customer_concentration"],
    "text": EXAMPLE_TEXT,
}
EXAMPLE_SCORE: dict[str, Any] = {
    "id": "customer_concentration",
    "kind": "leaf",
    "group": "operations",
    "zh": "客户集中与大客户依赖",
    "en": "customer concentration",
    "score": 74.4,
    "disclosure": 0.93,
    "highlight": 0.0,
    "rank_factor": 1.0,
    "prominence": 0.5,
    "paragraphs": 1,
    "first_position": 1,
    "evidence": [EXAMPLE_EVIDENCE],
    "rank": 1,
    "disclosed": True,
}
EXAMPLE_MODEL: dict[str, Any] = {"name": "risklens-classifier", "version": "v3", "taxonomy_version": "risk-taxonomy.v1"}
EXAMPLE_DOCUMENT: dict[str, Any] = {"name": "example-prospectus.txt", "doc_id": "3f2a9c0d1b7e5a44", "reader": "text", "pages": 1}


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable error code, e.g. paragraph_too_long")
    message: str = Field(description="one line for a person: what was wrong and what to do")
    details: list[dict[str, Any]] | None = Field(default=None, description="validation errors, when any")


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer."""

    error: ErrorDetail

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "too_many_paragraphs",
                        "message": "paragraphs: at most 512 per request, got 600; split them over several requests.",
                    }
                }
            ]
        }
    )


HeadingText = Annotated[str, Field(max_length=MAX_HEADING_CHARS)]

# ------------------------------------------------------------------ classify
class ParagraphIn(BaseModel):
    """One paragraph to classify; extra keys (labels, source, …) are ignored."""

    id: str | None = Field(default=None, max_length=MAX_ID_CHARS, description="echoed back")
    text: str = Field(min_length=1, max_length=MAX_PARAGRAPH_CHARS, description="the paragraph")
    heading: HeadingText | list[HeadingText] | None = Field(
        default=None,
        description='heading path, outermost first, joined with " / " (or a list of headings)',
    )


class ClassifyRequest(BaseModel):
    paragraphs: list[ParagraphIn] = Field(min_length=1, max_length=MAX_PARAGRAPHS)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"paragraphs": [{"id": "p1", "text": EXAMPLE_TEXT, "heading": EXAMPLE_HEADING}]}
            ]
        }
    )


class ModelSummary(BaseModel):
    name: str | None = None
    version: str | None = None
    taxonomy_version: str | None = None
    base_model: str | None = None
    created: str | None = None


class ParagraphOut(BaseModel):
    id: str | None = Field(description="the id sent, or null")
    labels: list[str] = Field(description="leaves at or above their tuned thresholds")
    scores: dict[str, float] = Field(description="calibrated probability of every leaf")


class ClassifyResponse(BaseModel):
    model: ModelSummary
    paragraphs: list[ParagraphOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": {"name": "risklens-classifier", "version": "v3", "taxonomy_version": "risk-taxonomy.v1"},
                    "paragraphs": [
                        {
                            "id": "p1",
                            "labels": ["customer_concentration"],
                            "scores": {"customer_concentration": 0.93, "earnings_decline": 0.08, "...": 0.01},
                        }
                    ],
                }
            ]
        }
    )


# --------------------------------------------------------------- model info
class ModelInfo(BaseModel):
    """What ``RiskClassifier.info()`` reports, plus when the server loaded it."""

    name: str | None = None
    version: str | None = None
    taxonomy_version: str | None = None
    base_model: str | None = None
    labels: list[str] = Field(default_factory=list)
    thresholds: dict[str, float] = Field(default_factory=dict)
    temperature: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict, description="test metrics of the model")
    created: str | None = None
    loaded_at: str | None = None

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "name": "risklens-classifier",
                    "version": "v3",
                    "taxonomy_version": "risk-taxonomy.v1",
                    "base_model": "multilingual-e5-small",
                    "labels": ["rd_failure", "technology_iteration", "..."],
                    "thresholds": {"rd_failure": 0.42, "technology_iteration": 0.51, "...": 0.5},
                    "temperature": 1.3,
                    "metrics": {"test": {"macro_f1": 0.71, "micro_f1": 0.78}},
                    "created": "2025-01-01T00:00:00+00:00",
                    "loaded_at": "2025-01-02T08:00:00+00:00",
                }
            ]
        },
    )


# ------------------------------------------------------------------ filings
class FilingText(BaseModel):
    """A filing sent as JSON text (PDFs go as multipart or raw application/pdf)."""

    text: str = Field(min_length=1, description="the filing's text (UTF-8)")
    name: str | None = Field(default=None, max_length=300, description="reported back as the document name")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": EXAMPLE_FILING, "name": "example-prospectus.txt"}]}
    )


class CompareRequest(BaseModel):
    old: FilingText
    new: FilingText

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "old": {"text": EXAMPLE_FILING, "name": "ipo-prospectus.txt"},
                    "new": {"text": EXAMPLE_FILING.replace("客户集中度较高", "应收账款回收"), "name": "offering.txt"},
                }
            ]
        }
    )


class DocumentOut(BaseModel):
    name: str
    doc_id: str
    reader: str
    pages: int | None


class EvidenceOut(BaseModel):
    paragraph_id: str
    section: str
    heading: str
    page: int | None
    start: int
    end: int
    probability: float
    labels: list[str]
    text: str


class RiskScoreOut(BaseModel):
    id: str
    kind: str = Field(description='"leaf" or "group"')
    group: str
    zh: str
    en: str
    score: float = Field(description="0-100, see profile.formula")
    disclosure: float
    highlight: float
    rank_factor: float
    prominence: float
    paragraphs: int = Field(description="risk paragraphs at or above the threshold")
    first_position: int | None = None
    evidence: list[EvidenceOut]
    rank: int
    disclosed: bool


class ParagraphResultOut(BaseModel):
    id: str
    section: str
    heading: str
    page: int | None
    start: int
    end: int
    labels: list[str]
    top_score: float
    text: str


class ProfileResponse(BaseModel):
    """The risk profile of one filing (same JSON as ``risklens score --format json``)."""

    document: DocumentOut
    model: ModelSummary
    taxonomy_version: str
    profile_version: str
    formula: str
    sections: dict[str, int]
    leaves: list[RiskScoreOut] = Field(description="all 30 leaves, best score first")
    groups: list[RiskScoreOut] = Field(description="all 9 groups, best score first")
    paragraphs: list[ParagraphResultOut] = Field(description="every risk paragraph with its labels")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "document": EXAMPLE_DOCUMENT,
                    "model": EXAMPLE_MODEL,
                    "taxonomy_version": "risk-taxonomy.v1",
                    "profile_version": "risk-profile.v1",
                    "formula": "risk-profile.v1: D = noisy-OR of the top 3 paragraph probabilities; ...",
                    "sections": {"risk_factors": 1},
                    "leaves": [EXAMPLE_SCORE],
                    "groups": [{**EXAMPLE_SCORE, "id": "operations", "kind": "group", "zh": "经营风险", "en": "operations"}],
                    "paragraphs": [
                        {**{k: EXAMPLE_EVIDENCE[k] for k in ("section", "heading", "page", "start", "end", "labels", "text")},
                         "id": EXAMPLE_EVIDENCE["paragraph_id"], "top_score": 0.93}
                    ],
                }
            ]
        }
    )


class ParagraphRefOut(BaseModel):
    paragraph_id: str
    section: str
    heading: str
    page: int | None
    probability: float
    text: str


class EvidencePairOut(BaseModel):
    side: str
    evidence: EvidenceOut
    counterpart: ParagraphRefOut | None = Field(default=None, description="the aligned paragraph of the other filing")
    similarity: float | None = Field(default=None, description="text similarity of the pair")


class RiskChangeOut(BaseModel):
    id: str
    group: str
    zh: str
    en: str
    status: str = Field(description="added, removed, changed or unchanged")
    old_score: float
    new_score: float
    delta: float
    old_paragraphs: int
    new_paragraphs: int
    reasons: list[str]
    old_evidence: list[EvidencePairOut]
    new_evidence: list[EvidencePairOut]


class AlignmentOut(BaseModel):
    old_paragraphs: int
    new_paragraphs: int
    matched: int
    rewritten: int
    only_old: int
    only_new: int


class ComparisonResponse(BaseModel):
    old: DocumentOut
    new: DocumentOut
    model: ModelSummary
    taxonomy_version: str
    settings: dict[str, float]
    alignment: AlignmentOut
    summary: dict[str, int]
    risks: list[RiskChangeOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "old": {**EXAMPLE_DOCUMENT, "name": "ipo-prospectus.txt"},
                    "new": {**EXAMPLE_DOCUMENT, "name": "offering.txt", "doc_id": "77d0e1c2b3a49586"},
                    "model": EXAMPLE_MODEL,
                    "taxonomy_version": "risk-taxonomy.v1",
                    "settings": {"change_delta": 15.0, "rewrite_similarity": 0.85, "min_match_similarity": 0.3,
                                 "same_text_similarity": 0.9},
                    "alignment": {"old_paragraphs": 1, "new_paragraphs": 1, "matched": 0, "rewritten": 0,
                                  "only_old": 1, "only_new": 1},
                    "summary": {"added": 1, "removed": 1, "changed": 0, "unchanged": 0},
                    "risks": [
                        {
                            "id": "receivables_credit", "group": "financial", "zh": "应收款项回收与信用风险",
                            "en": "receivables & credit", "status": "added", "old_score": 1.2, "new_score": 94.0,
                            "delta": 92.8, "old_paragraphs": 0, "new_paragraphs": 1,
                            "reasons": ["no paragraph of the old filing reaches the threshold; 1 in the new one"],
                            "old_evidence": [],
                            "new_evidence": [{"side": "new", "evidence": EXAMPLE_EVIDENCE, "counterpart": None, "similarity": None}],
                        },
                    ],
                }
            ]
        }
    )


# ----------------------------------------------------------------- feedback
class FeedbackParagraph(BaseModel):
    id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    text: str = Field(min_length=1, max_length=MAX_PARAGRAPH_CHARS)
    heading: str | None = Field(default=None, max_length=MAX_HEADING_CHARS)
    labels: list[str] = Field(description="the correct leaves; [] when the paragraph names no risk")


class FeedbackRequest(BaseModel):
    paragraphs: list[FeedbackParagraph] = Field(min_length=1, max_length=MAX_PARAGRAPHS)
    annotator: str | None = Field(default=None, max_length=100, description='who labelled them (default "api")')

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "paragraphs": [
                        {"id": "p1", "text": EXAMPLE_TEXT, "heading": EXAMPLE_HEADING, "labels": ["customer_concentration"]}
                    ],
                    "annotator": "analyst-1",
                }
            ]
        }
    )


class FeedbackResponse(BaseModel):
    stored: int = Field(description="paragraphs written to the label store")

    model_config = ConfigDict(json_schema_extra={"examples": [{"stored": 1}]})


class ReloadResponse(BaseModel):
    reloaded: bool
    model: ModelSummary
    previous: ModelSummary | None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reloaded": True, "model": {**EXAMPLE_MODEL, "version": "v4"}, "previous": EXAMPLE_MODEL}]}
    )


class HealthResponse(BaseModel):
    status: str

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})


class ReadyResponse(BaseModel):
    ready: bool
    model: ModelSummary | None = None
    reason: str | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ready": True, "model": EXAMPLE_MODEL}, {"ready": False, "reason": "model is loading"}]}
    )
