"""The Word reader: a .docx built here with python-docx, read with the common contract."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from risklens.filings import UnsupportedFormat, extract_paragraphs, load_document
from risklens.filings.errors import DecompressionLimit
from risklens.filings.limits import ParseLimits
from risklens.filings.readers.docx import looks_like_docx, split_run_on

RISK_1 = "公司主要原材料为铜材和特种塑料，其价格受大宗商品市场影响波动较大，若采购价格持续上涨，公司毛利率将下降。"
RISK_2 = "公司被列入实体清单后，部分进口芯片的采购受到限制，若限制范围扩大，公司产品交付可能延迟。"


def word_file(*, run_on: bool = False) -> bytes:
    """A made-up prospectus chapter as .docx (headings as Word headings, one table)."""
    document = docx.Document()
    document.add_paragraph("远山精密制造股份有限公司 招股说明书")
    if run_on:  # a whole chapter in one Word paragraph, as converted filings often are
        document.add_paragraph(
            "第三节 发行人基本情况" + "公司主营业务为精密零部件的制造。" * 16
            + "第四节 风险因素一、经营风险（一）原材料价格波动的风险" + RISK_1
            + "（二）被列入实体清单的风险" + RISK_2
        )
        document.add_paragraph("第五节 业务与技术")
    else:
        document.add_heading("第四节 风险因素", level=1)
        document.add_heading("一、经营风险", level=2)
        document.add_heading("（一）原材料价格波动的风险", level=3)
        document.add_paragraph(RISK_1)
        table = document.add_table(rows=2, cols=2)
        for r, cells in enumerate([("项目", "金额"), ("铜材", "1,200万元")]):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
        document.add_heading("（二）被列入实体清单的风险", level=3)
        document.add_paragraph(RISK_2)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_headings_and_unknown_pages(tmp_path: Path) -> None:
    path = tmp_path / "draft.docx"
    path.write_bytes(word_file())
    doc = load_document(path)
    assert doc.reader == "docx"
    assert doc.pages == 0  # Word has no pages: unknown, not a guess
    paragraphs = extract_paragraphs(doc, "risk")
    assert [p.text for p in paragraphs] == [RISK_1, RISK_2]
    assert paragraphs[0].heading == "第四节 风险因素 / 一、经营风险 / （一）原材料价格波动的风险"
    assert {p.section for p in paragraphs} == {"risk_factors"}
    assert {p.page for p in paragraphs} == {None}  # unknown: null in JSONL, never a guess
    assert all(doc.text[p.start : p.end] == p.text for p in paragraphs)
    assert any(doc.block_text(b) == "项目|金额" and b.kind == "table" for b in doc.blocks)


def test_a_chapter_in_one_word_paragraph_is_split_at_its_numbered_headings() -> None:
    doc = load_document(word_file(run_on=True), name="run-on.docx")
    paragraphs = extract_paragraphs(doc, "risk")
    assert [p.text for p in paragraphs] == [RISK_1, RISK_2]
    assert paragraphs[1].heading.endswith("（二）被列入实体清单的风险")
    assert split_run_on("短段落。1、不拆") == ["短段落。1、不拆"]  # short paragraphs stay whole


def test_a_zip_that_is_not_word_and_a_word_zip_bomb(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("notes.txt", "hello")
    assert not looks_like_docx(archive.getvalue())
    with pytest.raises(UnsupportedFormat, match="ZIP container but not a Word"):
        load_document(archive.getvalue(), name="archive.zip")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:document/>" + b" " * (3 * 1024 * 1024))
    limits = ParseLimits(max_stream_bytes=1024 * 1024, sandbox=False)
    with pytest.raises(DecompressionLimit, match="inflate to"):
        load_document(bomb.getvalue(), name="bomb.docx", limits=limits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a title glued to the text after it, and to the end of the item before it
        ("九、未来发展的展望（一）公司面临的主要风险目前行业需求放缓。",
         ["九、未来发展的展望", "（一）公司面临的主要风险", "目前行业需求放缓。"]),
        ("（五）公司面临的风险一是原材料价格上涨；", ["（五）公司面临的风险", "一是原材料价格上涨；"]),
        ("（3）对公司未来发展战略和经营目标的实现产生不利影响的风险因素以及采取的对策：公司将加强管理。",
         ["（3）对公司未来发展战略和经营目标的实现产生不利影响的风险因素以及采取的对策", "公司将加强管理。"]),
        # unnumbered, between a sentence end and a numbered item
        ("产能已全部投产。公司面临的风险和应对措施1、市场竞争风险", ["产能已全部投产。", "公司面临的风险和应对措施", "1、市场竞争风险"]),
        ("（四）、可能面对的风险", ["（四）可能面对的风险"]),  # the 、 the other formats do not print
        ("（四）可能面对的风险。", ["（四）可能面对的风险。"]),  # already a line of its own: unchanged
        ("公司面临的风险主要是市场竞争。", ["公司面临的风险主要是市场竞争。"]),  # a sentence, not a title
        ("（二）市场风险及对策分析", ["（二）市场风险及对策分析"]),  # names one risk: no block title
    ],
)
def test_a_risk_block_title_gets_a_line_of_its_own(text: str, expected: list[str]) -> None:
    assert split_run_on(text) == expected


def test_a_chapter_with_its_risk_title_glued_to_the_text_yields_the_block() -> None:
    document = docx.Document()
    document.add_paragraph("第四节 管理层讨论与分析")
    document.add_paragraph("九、公司未来发展的展望（四）可能面对的风险和机遇" + RISK_1)
    document.add_paragraph("（五）对公司未来发展战略和经营目标的实现产生不利影响的风险因素以及采取的对策：" + RISK_2)
    document.add_paragraph("十、接待调研、沟通、采访等活动情况")
    out = io.BytesIO()
    document.save(out)
    paragraphs = extract_paragraphs(load_document(out.getvalue(), name="mdna.docx"), "risk")
    assert [(p.section, p.text) for p in paragraphs] == [("annual_report_risks", RISK_1), ("annual_report_risks", RISK_2)]
    assert paragraphs[0].heading.endswith("（四）可能面对的风险和机遇")
