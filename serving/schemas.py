"""Request and response bodies of the HTTP API (pydantic), so the OpenAPI schema is the contract.

Paragraph records follow ``TAXONOMY.md``: input ``{"id"?, "text", "heading"?}``, output
``{"id", "labels", "scores"}`` with a calibrated probability for every leaf. Profiles and
comparisons mirror ``FilingProfile.to_dict`` and ``Comparison.to_dict`` (a test checks
that they validate). The examples are made up for the documentation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from serving.limits import MAX_HEADING_CHARS, MAX_ID_CHARS, MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS

EXAMPLE_TEXT = (
    "报告期内，公司前五名客户的销售收入占营业收入的比例超过七成，若主要客户削减采购或转向其他供应商，"
    "公司的经营业绩将受到不利影响。"
)
EXAMPLE_HEADING = "第三节 风险因素 / 一、经营风险 / （二）客户集中度较高的风险"


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


# ------------------------------------------------------------------ classify
class ParagraphIn(BaseModel):
    """One paragraph to classify; extra keys (labels, source, …) are ignored."""

    id: str | None = Field(default=None, max_length=MAX_ID_CHARS, description="echoed back")
    text: str = Field(min_length=1, max_length=MAX_PARAGRAPH_CHARS, description="the paragraph")
    heading: str | list[str] | None = Field(
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

    model_config = ConfigDict(extra="allow")


# ------------------------------------------------------------------ filings
class FilingText(BaseModel):
    """A filing sent as JSON text (PDFs go as multipart or raw application/pdf)."""

    text: str = Field(min_length=1, description="the filing's text (UTF-8)")
    name: str | None = Field(default=None, max_length=300, description="reported back as the document name")


class CompareRequest(BaseModel):
    old: FilingText
    new: FilingText


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
    first_position: int | None
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
    leaves: list[RiskScoreOut]
    groups: list[RiskScoreOut]
    paragraphs: list[ParagraphResultOut]


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
    counterpart: ParagraphRefOut | None
    similarity: float | None


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


class ReloadResponse(BaseModel):
    reloaded: bool
    model: ModelSummary
    previous: ModelSummary | None


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    ready: bool
    model: ModelSummary | None = None
    reason: str | None = None
