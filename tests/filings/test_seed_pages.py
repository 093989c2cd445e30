"""Pages of a text filing follow its printed page numbers (``1-1-94`` ends page 94)."""

from __future__ import annotations

from pathlib import Path

from risklens.filings import extract_paragraphs, load_document
from risklens.filings.readers.text import read_text


def test_seed_002_risk_factors_sit_after_printed_page_94(seeds_dir: Path) -> None:
    document = load_document(seeds_dir / "002_1b7f672a21a59f37.txt")
    pages = {p.section: p.page for p in extract_paragraphs(document, "risk")}
    assert pages["risk_factors"] == 95
    assert 1 <= pages["major_matters"] <= 7


def test_numbered_list_items_are_not_taken_for_glued_page_headers() -> None:
    lines = ["正文开始"]
    for year in (2020, 2021, 2022):
        lines += [f"1 {year}年", "公司收入增长。"]
    lines += ["1-1-7", "下一页正文"]
    document = read_text("\n".join(lines))
    assert {line.page for line in document.lines if line.text == "下一页正文"} == {8}
