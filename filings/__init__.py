"""Filings ingestion: any user-supplied filing to clean, addressable paragraphs.

    doc = load_document(Path("prospectus.pdf"))       # or bytes, with name=...
    paragraphs = extract_paragraphs(doc, "risk")     # "risk" | "major" | "all"
    doc.text[p.start:p.end] == p.text                # always

``ingest(path)`` does both. Errors a user can cause are ``FilingError`` subclasses
(``filings.errors``) whose ``str()`` is one line naming the file and the problem.
"""

from __future__ import annotations

from pathlib import Path

from risklens.filings.document import Block, Document
from risklens.filings.errors import (
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    FilingError,
    NeedsOcr,
    NoRiskSection,
    UnsupportedFormat,
)
from risklens.filings.loader import load_document
from risklens.filings.paragraphs import Paragraph, all_paragraphs, extract_paragraphs
from risklens.filings.sections import (
    ANNUAL_REPORT_RISKS,
    INQUIRY_RISK_PROMPT,
    MAJOR_MATTERS,
    OTHER,
    RISK_FACTORS,
    RISK_SECTIONS,
    SPECIAL_RISKS,
)

__all__ = [
    "ANNUAL_REPORT_RISKS",
    "INQUIRY_RISK_PROMPT",
    "MAJOR_MATTERS",
    "OTHER",
    "RISK_FACTORS",
    "RISK_SECTIONS",
    "SPECIAL_RISKS",
    "Block",
    "CorruptPdf",
    "Document",
    "EmptyFile",
    "EncryptedPdf",
    "FilingError",
    "NeedsOcr",
    "NoRiskSection",
    "Paragraph",
    "UnsupportedFormat",
    "all_paragraphs",
    "extract_paragraphs",
    "ingest",
    "load_document",
]


def ingest(path: Path | str | bytes, sections: str = "risk", *, name: str | None = None) -> tuple[Document, list[Paragraph]]:
    """Load a filing and extract the paragraphs of ``sections`` in one call."""
    doc = load_document(path, name=name)
    return doc, extract_paragraphs(doc, sections)
