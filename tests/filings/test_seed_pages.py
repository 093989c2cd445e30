"""Pages of a text filing follow its printed page numbers (``1-1-94`` ends page 94).

A page is reported only when it is known: text between printed numbers that skip pages,
text after the last printed number and text without any page mark are on an unknown page
(``Paragraph.page is None``), never on a guessed one.
"""

from __future__ import annotations

from pathlib import Path

from risklens.filings import all_paragraphs, extract_paragraphs, load_document
from risklens.filings.readers.text import read_text


def test_seed_002_risk_factors_after_the_last_printed_page_have_no_page(seeds_dir: Path) -> None:
    document = load_document(seeds_dir / "002_1b7f672a21a59f37.txt")
    risk = extract_paragraphs(document, "risk")
    assert {p.page for p in risk if p.section == "risk_factors"} == {None}  # was p.95 for all
    # Pages the text does print are still reported, and only those.
    known = {p.page for p in all_paragraphs(document)} - {None}
    assert known and known <= {6, 94}


def test_only_pages_closed_by_consecutive_printed_numbers_are_known() -> None:
    text = "\n".join(
        ["第一页的正文。", "1-1-1", "第二页的正文。", "1-1-2", "第五页的正文。", "1-1-5", "最后的正文。"]
    )
    assert read_text(text).known_pages == {1, 2}
    document = load_document(text.encode(), name="pages.txt")
    pages = {p.text: p.page for p in all_paragraphs(document)}
    assert pages == {"第一页的正文。": 1, "第二页的正文。": 2, "第五页的正文。": None, "最后的正文。": None}
    assert document.pages == 2


def test_text_without_page_marks_has_unknown_pages() -> None:
    document = load_document("一、经营风险\n公司面临市场竞争加剧的风险。\n".encode(), name="plain.txt")
    assert document.pages == 0
    assert [p.page for p in all_paragraphs(document)] == [None]


def test_numbered_list_items_are_not_taken_for_glued_page_headers() -> None:
    lines = ["正文开始"]
    for year in (2020, 2021, 2022):
        lines += [f"1 {year}年", "公司收入增长。"]
    lines += ["1-1-7", "下一页正文"]
    document = read_text("\n".join(lines))
    assert {line.page for line in document.lines if line.text == "下一页正文"} == {8}  # a guess ...
    assert 8 not in (document.known_pages or ())  # ... that no paragraph shows
