"""Corpus report: per document, the sections found and heading/paragraph counts.

Used by ``risklens paragraphs --report`` to check extraction over a whole corpus: a
prospectus passes when its 风险因素 body yields at least ``MIN_RISK_HEADINGS`` headings;
every failure is listed with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from risklens.filings.document import Document
from risklens.filings.errors import FilingError
from risklens.filings.loader import load_document
from risklens.filings.paragraphs import Paragraph, all_paragraphs
from risklens.filings.sections import (
    ANNUAL_REPORT_RISKS,
    MAJOR_MATTERS,
    RISK_FACTORS,
    RISK_MANAGEMENT,
    RISK_SECTIONS,
)

MIN_RISK_HEADINGS = 5
SUFFIXES = (".pdf", ".txt", ".md", ".text", ".markdown")


@dataclass(slots=True)
class DocumentReport:
    """What extraction found in one file."""

    name: str
    reader: str = ""
    pages: int = 0
    paragraphs: int = 0
    sections: dict[str, int] = field(default_factory=dict)  # section -> paragraphs
    headings: dict[str, int] = field(default_factory=dict)  # section -> distinct headings
    error: str = ""

    @property
    def is_annual_report(self) -> bool:
        """Judged by the file name, or by a 可能面对的风险 block without prospectus sections."""
        if "年度报告" in self.name or "年报" in self.name:
            return True
        prospectus = RISK_FACTORS in self.sections or MAJOR_MATTERS in self.sections
        return ANNUAL_REPORT_RISKS in self.sections and not prospectus

    @property
    def passed(self) -> bool:
        """A prospectus passes with ≥ 5 risk-factor headings; an annual report with its risks."""
        if self.error:
            return False
        if self.is_annual_report:  # a bank's annual report: its 风险管理 section
            return self.sections.get(ANNUAL_REPORT_RISKS, 0) > 0 or self.sections.get(RISK_MANAGEMENT, 0) > 0
        return self.headings.get(RISK_FACTORS, 0) >= MIN_RISK_HEADINGS

    def reason(self) -> str:
        """Why the document failed, in one line."""
        if self.error:
            return self.error
        if self.is_annual_report:
            return "no 可能面对的风险 / 公司面临的风险 block (nor a bank's 风险管理 section) found"
        if RISK_FACTORS not in self.sections:
            found = ", ".join(sorted(s for s in self.sections if s in RISK_SECTIONS)) or "none"
            return f"no 风险因素 chapter body found (risk sections found: {found})"
        return (
            f"风险因素 body has only {self.headings.get(RISK_FACTORS, 0)} headings "
            f"(< {MIN_RISK_HEADINGS}); its headings may not be numbered the usual way"
        )


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the filing files inside given directories (sorted)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            yield path


def summarize(doc: Document, paragraphs: list[Paragraph]) -> DocumentReport:
    """Counts per section for one loaded document."""
    report = DocumentReport(name=doc.name, reader=doc.reader, pages=doc.pages, paragraphs=len(paragraphs))
    counts = Counter(p.section for p in paragraphs)
    report.sections = dict(sorted(counts.items()))
    headings: dict[str, set[tuple[str, ...]]] = {}
    for p in paragraphs:
        if len(p.heading_levels) >= 2:
            headings.setdefault(p.section, set()).add(p.heading_levels)
    report.headings = {section: len(paths) for section, paths in sorted(headings.items())}
    return report


def report_file(path: Path) -> DocumentReport:
    """Load and summarise one file; a FilingError becomes the report's error."""
    try:
        doc = load_document(path)
    except FilingError as exc:
        return DocumentReport(name=str(path), error=str(exc.message))
    return summarize(doc, all_paragraphs(doc))


def format_report(reports: list[DocumentReport]) -> str:
    """A plain-text table, then totals and the failures with reasons."""
    lines = [f"{'doc':<44} {'reader':<10} {'pages':>5} {'paras':>6}  sections (paragraphs/headings)"]
    for r in reports:
        found = ", ".join(
            f"{section} {count}/{r.headings.get(section, 0)}"
            for section, count in r.sections.items()
            if section != "other"
        )
        status = "ok " if r.passed else "FAIL"
        lines.append(f"{Path(r.name).name[:44]:<44} {r.reader:<10} {r.pages:>5} {r.paragraphs:>6}  {status} {found or '-'}")
    prospectuses = [r for r in reports if not r.is_annual_report]
    annual = [r for r in reports if r.is_annual_report]
    ok = sum(r.passed for r in prospectuses)
    lines.append("")
    if prospectuses:
        share = 100.0 * ok / len(prospectuses)
        lines.append(
            f"prospectuses with a 风险因素 body of >= {MIN_RISK_HEADINGS} headings: "
            f"{ok}/{len(prospectuses)} ({share:.1f}%)"
        )
    if annual:
        lines.append(f"annual reports with 可能面对的风险 (or 风险管理) paragraphs: {sum(r.passed for r in annual)}/{len(annual)}")
    failures = [r for r in reports if not r.passed]
    if failures:
        lines.append("failures:")
        lines.extend(f"  {Path(r.name).name}: {r.reason()}" for r in failures)
    return "\n".join(lines)
