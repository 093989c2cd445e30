"""Paragraph extraction on the sample prospectus, identical across all input formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.filings import (
    MAJOR_MATTERS,
    OTHER,
    RISK_FACTORS,
    SPECIAL_RISKS,
    NoRiskSection,
    extract_paragraphs,
    ingest,
    load_document,
)
from tests.filings.conftest import sample_bytes
from tests.filings.fixtures import sample

READER_OF = {"text": "text", "gb18030": "text", "markdown": "markdown", "page_lines": "page_lines", "pdf": "pdf"}


def test_every_format_gives_the_expected_risk_paragraphs(sample_file: Path, sample_format: str) -> None:
    doc, paragraphs = ingest(sample_file)
    assert doc.reader == READER_OF[sample_format]
    got = [(p.section, p.heading_levels[-1], p.text) for p in paragraphs]
    assert got == sample.EXPECTED_RISK
    assert [p.page for p in paragraphs] == sample.EXPECTED_PAGES


def test_offsets_point_into_the_normalised_text(sample_file: Path) -> None:
    doc = load_document(sample_file)
    for p in extract_paragraphs(doc, "all"):
        assert doc.text[p.start : p.end] == p.text
        assert p.text and p.text == p.text.strip()
        assert doc.page_at(p.start) == p.page


def test_heading_path_includes_the_chapter_outermost() -> None:
    doc = load_document(sample_bytes("text"), name="sample.txt")
    first_risk = next(p for p in extract_paragraphs(doc) if p.section == RISK_FACTORS)
    assert first_risk.heading == "第四节 风险因素 / 一、经营风险 / （一）原材料价格波动的风险"
    assert first_risk.heading_levels == ("第四节 风险因素", "一、经营风险", "（一）原材料价格波动的风险")


def test_headings_table_of_contents_and_debris_are_not_paragraphs() -> None:
    doc = load_document(sample_bytes("pdf"), name="sample.pdf")
    texts = [p.text for p in extract_paragraphs(doc, "all")]
    joined = "\n".join(texts)
    assert sample.HEADER.replace(" ", "") not in doc.text.replace(" ", "")
    assert "1-1-" not in doc.text
    assert "......" not in doc.text
    assert not any(t.startswith(("（一）", "一、", "第四节")) for t in texts)
    assert "12,345.67" not in joined  # the table row is kept out of prose


def test_inline_heading_is_split_into_the_path() -> None:
    doc = load_document(sample_bytes("markdown"), name="sample.md")
    by_heading = {p.heading_levels[-1]: p for p in extract_paragraphs(doc)}
    split = by_heading["（三）技术人员流失的风险"]
    assert split.text.startswith("报告期内")
    assert doc.text[split.start - len("风险") : split.start] == "风险"


def test_section_selections() -> None:
    doc = load_document(sample_bytes("page_lines"), name="sample.txt")
    major = extract_paragraphs(doc, "major")
    assert {p.section for p in major} == {MAJOR_MATTERS, SPECIAL_RISKS}
    everything = extract_paragraphs(doc, "all")
    assert everything[-1].section == OTHER
    assert everything[-1].heading == "第五节 发行人基本情况 / 一、发行人概况"


def test_ids_are_stable_and_independent_of_the_selection() -> None:
    data = sample_bytes("text")
    first = extract_paragraphs(load_document(data, name="a"), "risk")
    again = extract_paragraphs(load_document(data, name="b"), "risk")
    everything = {p.id: p for p in extract_paragraphs(load_document(data, name="c"), "all")}
    assert [p.id for p in first] == [p.id for p in again]
    assert all(everything[p.id].text == p.text for p in first)
    assert first[0].id.startswith(first[0].doc + "-")
    assert len(first[0].doc) == 16


def test_to_dict_has_the_documented_fields() -> None:
    doc = load_document(sample_bytes("text"), name="s")
    record = extract_paragraphs(doc)[0].to_dict()
    assert set(record) == {"doc", "id", "section", "heading", "heading_levels", "page", "start", "end", "text"}
    assert isinstance(record["heading_levels"], list)


def test_document_without_risk_section_says_so_and_all_still_works() -> None:
    text = "公司简介\n本公司主要从事测绘装备的研发与销售。\n一、主营业务\n公司产品包括无人机测绘系统。\n"
    doc = load_document(text.encode(), name="brief.txt")
    with pytest.raises(NoRiskSection, match=r"brief\.txt"):
        extract_paragraphs(doc, "risk")
    assert [p.text for p in extract_paragraphs(doc, "all")][-1] == "公司产品包括无人机测绘系统。"


def test_unknown_selection_is_a_filing_error() -> None:
    doc = load_document(sample_bytes("text"), name="s")
    with pytest.raises(ValueError, match="unknown sections"):
        extract_paragraphs(doc, "everything")
