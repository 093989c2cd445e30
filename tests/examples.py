"""Made-up risk-factor paragraphs (written for these tests), the one copy the tests share.

The training tests build their tiny dataset from ``ROWS``; the fusion and calibration tests
take them as ``(paragraphs, multi-hot targets)`` from ``example_paragraphs``.
"""

from __future__ import annotations

import numpy as np

from risklens.labels.taxonomy import LABEL_INDEX, LABELS
from risklens.model.inputs import Paragraph

# (heading, text, leaves)
ROWS: list[tuple[str, str, list[str]]] = [
    ("（一）应收账款回收风险", "公司应收账款余额较大，若客户付款延迟，可能产生坏账损失。", ["receivables_credit"]),
    ("（二）存货跌价风险", "公司存货金额较高，若市场价格下降，需要计提存货跌价准备。", ["inventory_impairment"]),
    ("（三）市场竞争风险", "行业竞争加剧，新进入者增多，公司市场份额可能下降。", ["market_competition"]),
    ("（四）税收优惠变化风险", "公司享受高新技术企业所得税优惠，若政策变化将影响利润。", ["tax_and_subsidy"]),
    ("（五）客户集中风险", "公司主要客户集中度较高，若大客户减少采购，收入将下降。", ["customer_concentration"]),
    ("（六）募投项目风险", "募投项目建成后新增折旧较多，若效益不及预期将影响业绩。", ["proceeds_projects"]),
    ("（七）汇率波动风险", "公司出口收入以美元结算，汇率波动产生汇兑损益。", ["fx_and_interest_rate"]),
    ("（八）即期回报摊薄风险", "本次发行完成后，公司股本增加，每股收益可能被摊薄。", ["dilution_roe"]),
    ("一、经营风险", "投资者在评价公司本次发行时，应特别考虑下述各项风险。", []),
    ("（九）核心技术人员流失风险", "若核心技术人员离职，公司研发可能受到影响。", ["core_talent_and_know_how"]),
    ("（十）研发失败风险", "公司在研项目可能失败，研发投入无法收回。", ["rd_failure"]),
    ("（十一）原材料价格波动风险", "原材料价格波动较大，公司采购成本可能上升，毛利率下降。", ["supply_chain", "gross_margin"]),
]


def example_paragraphs() -> tuple[list[Paragraph], np.ndarray]:
    """``ROWS`` as paragraphs and a (n, L) multi-hot target matrix."""
    paragraphs = [Paragraph(text=text, heading=heading) for heading, text, _ in ROWS]
    targets = np.zeros((len(ROWS), len(LABELS)))
    for i, (_, _, leaves) in enumerate(ROWS):
        for leaf in leaves:
            targets[i, LABEL_INDEX[leaf]] = 1.0
    return paragraphs, targets
