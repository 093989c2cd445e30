"""Real filings from ../shared/corpus: annual-report PDFs and one file of each corpus format."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.filings import ANNUAL_REPORT_RISKS, RISK_FACTORS, ingest, load_document
from risklens.filings.report import MIN_RISK_HEADINGS, report_file

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize(
    ("name", "pages", "items"),
    [("四方科技_2019_年度报告.pdf", {19, 20}, 6), ("生物股份_2020_年度报告.pdf", {30, 31}, 6)],
)
def test_annual_reports_yield_their_risk_block_with_pdf_pages(
    corpus_dir: Path, name: str, pages: set[int], items: int
) -> None:
    doc, paragraphs = ingest(corpus_dir / "annual-reports" / name)
    assert doc.reader == "pdf"
    assert {p.section for p in paragraphs} == {ANNUAL_REPORT_RISKS}
    assert {p.page for p in paragraphs} == pages
    assert all(p.heading_levels[-2].endswith("可能面对的风险") for p in paragraphs)
    numbers = [p.heading_levels[-1].split("、")[0] for p in paragraphs]
    assert sorted(set(numbers), key=int) == [str(n) for n in range(1, items + 1)]
    # Items come in reading order and pages never go backwards.
    assert [p.page for p in paragraphs] == sorted(p.page for p in paragraphs)
    assert all(doc.page_at(p.start) == p.page for p in paragraphs)


@pytest.mark.parametrize(
    "relative",
    [
        "ipo-2007-2021/上海派能能源科技股份有限公司.txt",
        "ipo-2024-2025/688775_影石创新科技_完整解析.md",
        "refinancing/潞安环保_2017_公司债募集说明书.txt",
    ],
)
def test_each_corpus_format_yields_a_risk_factor_body(corpus_dir: Path, relative: str) -> None:
    report = report_file(corpus_dir / relative)
    assert report.headings.get(RISK_FACTORS, 0) >= MIN_RISK_HEADINGS, report.reason()


def test_page_lines_headers_footers_and_tables_stay_out(corpus_dir: Path) -> None:
    doc = load_document(corpus_dir / "ipo-2007-2021" / "上海派能能源科技股份有限公司.txt")
    assert doc.reader == "page_lines"
    assert "\n1-1-" not in doc.text
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert tables and all(" | " in doc.block_text(b) or doc.block_text(b) for b in tables)
