"""The CloudWalk seeds: 第六节's risk items, 重大事项提示's own list, 004's 风险提示 passages.

The seed text is third-party, so these tests check structure (headings named in the
issue, counts, whole paragraphs), never copied passages.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from risklens.filings import INQUIRY_RISK_PROMPT, MAJOR_MATTERS, RISK_FACTORS, Paragraph, ingest

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def prospectus(seeds_dir: Path) -> list[Paragraph]:
    _, paragraphs = ingest(seeds_dir / "002_1b7f672a21a59f37.txt")
    return paragraphs


def _leaves(paragraphs: list[Paragraph], section: str) -> list[tuple[str, ...]]:
    seen: dict[tuple[str, ...], None] = {}
    for p in paragraphs:
        if p.section == section:
            seen.setdefault(p.heading_levels, None)
    return list(seen)


def test_chapter_six_has_eleven_leaf_items_under_the_right_parents(prospectus: list[Paragraph]) -> None:
    leaves = _leaves(prospectus, RISK_FACTORS)
    assert len(leaves) == 11
    assert all(leaf[0] == "第六节 与本次发行相关的风险因素" for leaf in leaves)
    parents = Counter(leaf[1].split("、")[0] for leaf in leaves)
    assert parents == {"一": 6, "二": 2, "三": 2, "四": 1}
    assert ("第六节 与本次发行相关的风险因素", "四、股票价格波动风险") in leaves


@pytest.mark.parametrize(
    ("leaf_start", "fragment", "paragraphs"),
    [
        ("（四）", "实体清单", 2),
        ("（五）", "应收账款占比较高及坏账风险", 1),
        ("（六）", "试用商品管理及存货跌价风险", 1),
        ("（二）", "研发失败或研发成果无法转化的风险", 1),
    ],
)
def test_named_items_are_rejoined_whole(
    prospectus: list[Paragraph], leaf_start: str, fragment: str, paragraphs: int
) -> None:
    items = [
        p
        for p in prospectus
        if p.section == RISK_FACTORS
        and p.heading_levels[-1].startswith(leaf_start)
        and fragment in p.heading_levels[-1]
    ]
    assert len(items) == paragraphs
    for p in items:
        assert p.heading_levels[1].startswith("一、")
        assert p.text.endswith("。") and "\n" not in p.text and len(p.text) > 60
        assert not p.text.startswith(("（", "一、"))


def test_major_matters_has_its_own_risk_list(prospectus: list[Paragraph]) -> None:
    risk_leaves = [leaf for leaf in _leaves(prospectus, MAJOR_MATTERS) if leaf[-1].endswith("风险")]
    assert len(risk_leaves) == 6
    assert all(leaf[0] == "重大事项提示" for leaf in risk_leaves)
    assert any("实体清单" in leaf[-1] for leaf in risk_leaves)
    assert any("研发失败" in leaf[-1] for leaf in risk_leaves)


def test_offsets_hold_on_the_seed(seeds_dir: Path) -> None:
    doc, paragraphs = ingest(seeds_dir / "002_1b7f672a21a59f37.txt", "all")
    assert all(doc.text[p.start : p.end] == p.text for p in paragraphs)


def test_inquiry_response_yields_its_risk_prompt_passages(seeds_dir: Path) -> None:
    doc, paragraphs = ingest(seeds_dir / "004_5a2ba842c99afd65.txt")
    assert {p.section for p in paragraphs} == {INQUIRY_RISK_PROMPT}
    passages = Counter(p.heading for p in paragraphs)
    assert len(passages) == 2
    assert all(heading.endswith("、风险提示") for heading in passages)
    assert all(count >= 3 for count in passages.values())
    assert all(doc.text[p.start : p.end] == p.text for p in paragraphs)
