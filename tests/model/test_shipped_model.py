"""The shipped model on CloudWalk's own risk factors (seed 002, its 2023 募集说明书).

The four risks the project started from must each come out with their leaf at p >= 0.8.
Paragraphs are read from ../shared at test time (third-party text is never copied here).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from risklens.model import RiskClassifier
from risklens.model.registry import SHIPPED_MODEL as DEFAULT_MODEL_DIR
from tests.conftest import corpus_required

pytestmark = [pytest.mark.shipped_model, pytest.mark.corpus]

# heading keyword in seed 002 -> the leaf its paragraph must get
NAMED_RISKS = {
    "实体清单": "entity_list_sanctions",
    "应收账款": "receivables_credit",
    "试用商品": "trial_goods",
    "研发失败": "rd_failure",
}
HEADING = re.compile(r"^\s*(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+节)")


def risk_paragraph(lines: list[str], keyword: str) -> tuple[str, str]:
    """The first heading line naming ``keyword`` and the body text below it."""
    for i, line in enumerate(lines):
        if keyword in line and HEADING.match(line) and "风险" in line:
            body: list[str] = []
            for following in lines[i + 1 :]:
                if HEADING.match(following):
                    break
                body.append(following.strip())
            return line.strip(), "".join(body)
    raise AssertionError(f"no heading with {keyword!r} in seed 002")


@pytest.fixture(scope="module")
def shipped() -> RiskClassifier:
    if not (DEFAULT_MODEL_DIR / "config.json").is_file():
        message = f"no shipped model at {DEFAULT_MODEL_DIR}; train one (see its model card) and copy model-best there."
        if corpus_required():
            pytest.fail(message)
        pytest.skip(message)
    return RiskClassifier.from_pretrained(DEFAULT_MODEL_DIR)


@pytest.mark.parametrize("keyword", sorted(NAMED_RISKS))
def test_each_named_risk_paragraph_is_found_in_the_seed(seeds_dir: Path, keyword: str) -> None:
    seed = next(seeds_dir.glob("002_*.txt"))
    heading, text = risk_paragraph(seed.read_text("utf-8").splitlines(), keyword)
    assert keyword in heading and heading.startswith("（")
    assert 100 < len(text) < 1500 and "。" in text


@pytest.mark.parametrize(("keyword", "leaf"), sorted(NAMED_RISKS.items()))
def test_cloudwalk_named_risks_get_their_leaf(shipped: RiskClassifier, seeds_dir: Path, keyword: str, leaf: str) -> None:
    seed = next(seeds_dir.glob("002_*.txt"))
    heading, text = risk_paragraph(seed.read_text("utf-8").splitlines(), keyword)
    assert len(text) > 100  # the paragraph body, not just its heading
    prediction = shipped.predict([{"text": text, "heading": heading}])[0]
    assert prediction.scores[leaf] >= 0.8, (heading, round(prediction.scores[leaf], 3))
    assert leaf in prediction.labels


def test_a_list_of_named_risks_gets_every_item_leaf(shipped: RiskClassifier) -> None:
    """Annual reports often name their risks in one line; the shipped model reads each item (item_windows)."""
    assert shipped.meta.item_windows
    text = "一是汇率波动风险；二是原材料价格上涨风险；三是核心人员流失风险。"  # written for this test
    for heading in ("第三节 管理层讨论与分析 / （四）可能面对的风险", ""):
        labels = shipped.predict([{"text": text, "heading": heading}], use_headings=bool(heading))[0].labels
        assert {"fx_and_interest_rate", "supply_chain", "core_talent_and_know_how"} <= set(labels), (heading, labels)
