"""Test doubles and made-up filings for the scoring and serving tests (text written for these tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from risklens.labels.taxonomy import LABELS

KEYWORDS: dict[str, tuple[str, float]] = {
    "出口管制": ("entity_list_sanctions", 0.95),
    "前五名客户": ("customer_concentration", 0.9),
    "应收账款": ("receivables_credit", 0.9),
    "存货跌价": ("inventory_impairment", 0.85),
    "试用": ("trial_goods", 0.8),
}
"""Which phrase makes the fake classifier see which leaf, and how sure it is."""

FILING_MD = """星河智能科技股份有限公司 招股说明书

## 第2页

重大事项提示

一、特别提醒投资者注意下列风险

（一）被列入出口管制清单的风险

公司于报告期内被美国商务部列入出口管制实体名单，部分进口芯片和开发工具的采购受到限制，若限制范围进一步扩大，公司产品交付可能延迟。

二、本次发行前滚存利润的分配安排

本次发行前的滚存未分配利润由发行后的新老股东按持股比例共享。

## 第5页

第四节 风险因素

一、经营风险

（一）客户集中度较高的风险

报告期内，公司向前五名客户的销售额占营业收入的比例分别为百分之七十二、百分之七十五和百分之七十八，若主要客户减少订单，公司经营业绩将出现下滑。

（二）被列入出口管制清单的风险

公司于报告期内被美国商务部列入出口管制实体名单，部分进口芯片和开发工具的采购受到限制，若限制范围进一步扩大，公司产品交付可能延迟。

## 第6页

二、财务风险

（一）应收账款回收的风险

报告期各期末，公司应收账款账面价值较高，账龄一年以上的款项占比逐年上升，若客户付款能力下降，公司将面临坏账损失增加的风险。

（二）存货跌价的风险

公司存货主要为原材料和库存商品，若市场价格下跌或产品更新换代，存货可能发生跌价，需计提存货跌价准备。

第五节 发行人基本情况

公司成立于二〇一五年，注册资本五千万元。
"""

LATER_FILING_MD = """星河智能科技股份有限公司 向特定对象发行股票募集说明书

## 第3页

第五节 与本次发行相关的风险因素

一、经营风险

（一）客户集中度较高的风险

报告期内，公司向前五名客户的销售额占营业收入的比例分别为百分之七十二、百分之七十五和百分之七十八，若主要客户减少订单，公司经营业绩将出现下滑。

（二）试用商品管理的风险

为促进销售，公司向潜在客户提供试用设备，试用期间设备可能损坏或无法收回，且试用结束后客户未必采购。

## 第4页

二、财务风险

（一）应收账款回收的风险

截至最近一期末，公司应收账款余额继续增加，部分政府类客户回款周期较长，如回款不及预期，公司现金流将承压并需补提坏账准备。

第六节 其他重要事项

公司不存在其他需要披露的重要事项。
"""


@dataclass
class FakePrediction:
    id: str | None
    labels: list[str]
    scores: dict[str, float]


class KeywordClassifier:
    """Deterministic stand-in for ``RiskClassifier``: keywords decide the probabilities.

    ``gate`` (an Event) makes every call wait until it is set, to hold a request in flight.
    """

    def __init__(self, version: str = "1", gate: threading.Event | None = None, delay: float = 0.0) -> None:
        self.version = version
        self.gate = gate
        self.delay = delay
        self.calls = 0

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS

    @property
    def thresholds(self) -> dict[str, float]:
        return dict.fromkeys(LABELS, 0.5)

    def info(self) -> dict[str, Any]:
        return {
            "name": "fake-keywords",
            "version": self.version,
            "taxonomy_version": "risk-taxonomy.v1",
            "labels": list(LABELS),
            "thresholds": self.thresholds,
            "metrics": {"test": {"macro_f1": 0.5}},
        }

    def _text(self, item: object) -> str:
        if isinstance(item, str):
            return item
        assert isinstance(item, dict)
        return str(item.get("heading") or "") + " " + str(item["text"])

    def predict_proba(self, paragraphs: Iterable[object], batch_size: int = 32, progress: Any = None) -> np.ndarray:
        self.calls += 1
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        if self.delay:
            threading.Event().wait(self.delay)
        items = list(paragraphs)
        out = np.full((len(items), len(LABELS)), 0.01)
        for row, item in enumerate(items):
            text = self._text(item)
            for phrase, (leaf, p) in KEYWORDS.items():
                if phrase in text:
                    out[row, LABELS.index(leaf)] = p
        if progress is not None:
            progress(len(items), len(items))
        return out

    def predict(self, paragraphs: Iterable[object], batch_size: int = 32, progress: Any = None) -> Sequence[FakePrediction]:
        items = list(paragraphs)
        probs = self.predict_proba(items, batch_size, progress)
        return [
            FakePrediction(
                id=item.get("id") if isinstance(item, dict) else None,
                labels=[leaf for leaf, p in zip(LABELS, row, strict=True) if p >= 0.5],
                scores={leaf: float(p) for leaf, p in zip(LABELS, row, strict=True)},
            )
            for item, row in zip(items, probs, strict=True)
        ]


@dataclass(frozen=True)
class Para:
    """A hand-made paragraph for the profile arithmetic."""

    id: str
    section: str
    heading: str
    page: int | None
    start: int
    end: int
    text: str


def paras(*specs: tuple[str, str], heading: str = "风险因素") -> list[Para]:
    """Paragraphs from (section, text) pairs, pages 1, 2, …"""
    out = []
    offset = 0
    for i, (section, text) in enumerate(specs):
        out.append(Para(f"p{i}", section, f"{heading} / 第{i}项", i + 1, offset, offset + len(text), text))
        offset += len(text) + 1
    return out
