"""Request and response bodies of the HTTP API (pydantic), so the OpenAPI schema is the contract.

Paragraph records follow ``TAXONOMY.md``: input ``{"id"?, "text", "heading"?}``, output
``{"id", "labels", "scores"}`` with a calibrated probability for every leaf. Profiles and
comparisons have no model here: their response models are scoring's own dataclasses,
``FilingProfile`` and ``Comparison``, which carry their descriptions and examples
(``scoring.apidoc``). The examples are made up for the documentation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from risklens.labels.taxonomy import LABELS
from risklens.scoring.apidoc import EXAMPLE_FILING, EXAMPLE_HEADING, EXAMPLE_MODEL, EXAMPLE_TEXT
from risklens.serving.limits import (
    MAX_HEADING_CHARS,
    MAX_ID_CHARS,
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
)


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
LeafId = Annotated[str, Field(json_schema_extra={"enum": list(LABELS)})]
"""A leaf id of the taxonomy: the schema lists the 30; the label store checks them (422 invalid_feedback)."""

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


# ----------------------------------------------------------------- feedback
class FeedbackParagraph(BaseModel):
    id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    text: str = Field(min_length=1, max_length=MAX_PARAGRAPH_CHARS, pattern=r"\S",
                      description="the paragraph (not only white space)")
    heading: str | None = Field(default=None, max_length=MAX_HEADING_CHARS)
    labels: list[LeafId] = Field(description="the correct leaves; [] when the paragraph names no risk")


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
    stored: int = Field(
        description="paragraphs written to the label store (for a replayed Idempotency-Key: by the first request)"
    )

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


# ------------------------------------------------------------------- corpus
_EXAMPLE_ROW: dict[str, Any] = {
    "score": 94.3, "paragraphs": 6, "name": "xinghe-prospectus.pdf", "company": "星河智能科技股份有限公司",
    "stock_code": "688999", "kind": "prospectus", "year": 2023, "industry": "C39", "evidence_page": 7,
    "evidence_heading": "重大事项提示 / （一）被列入出口管制清单的风险", "evidence_snippet": "公司于报告期内被列入出口管制实体名单…",
    "evidence_id": "3f2a9c0d1b7e5a44-0003", "evidence_probability": 0.9998, "id": "3f2a9c0d1b7e5a44",
    "path": "filings/xinghe-prospectus.pdf",
}


class CorpusFilingsPage(BaseModel):
    """One page of ``risklens corpus query``: stored filings, best score first."""

    filings: list[dict[str, Any]] = Field(description="score, company, kind, year, industry and the top evidence of each")
    limit: int
    offset: int
    next_offset: int | None = Field(description="the offset of the next page; null on the last")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"filings": [_EXAMPLE_ROW], "limit": 50, "offset": 0, "next_offset": None}]}
    )


class CorpusProfile(BaseModel):
    """A stored profile (``risklens corpus show``): the filing's facts, leaf and group scores with evidence."""

    filing: dict[str, Any]
    leaves: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    sections: dict[str, int]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "filing": {"id": "3f2a9c0d1b7e5a44", "name": "xinghe-prospectus.pdf", "kind": "prospectus", "year": 2023},
                    "leaves": [{"kind": "leaf", "risk": "entity_list_sanctions", "rank": 1, "score": 94.3, "disclosed": True,
                                "paragraphs": 6, "evidence": [{"paragraph_id": "3f2a9c0d1b7e5a44-0003", "page": 7,
                                                               "probability": 0.9998}]}],
                    "groups": [{"kind": "group", "risk": "international", "rank": 1, "score": 94.3}],
                    "sections": {"major_matters": 4, "risk_factors": 30},
                }
            ]
        }
    )


class CorpusStats(BaseModel):
    """``risklens corpus stats``: per leaf (and bucket), filings, those disclosing it, and the share."""

    by: Literal["year", "kind", "industry"] | None
    rows: list[dict[str, Any]]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"by": "year", "rows": [{"bucket": 2023, "leaf": "entity_list_sanctions", "filings": 120,
                                         "disclosing": 9, "share": 0.075}]}
            ]
        }
    )
