from __future__ import annotations

import pytest

from risklens.labels.silver import RULES, RuleLabeller


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("第四节 风险因素 / 一、国际经营风险 / （一）被美国商务部列入“实体清单”的风险", ["entity_list_sanctions"]),
        ("（五）应收账款余额较大及坏账风险", ["receivables_credit"]),
        ("（六）试用商品管理及存货跌价风险", ["trial_goods", "inventory_impairment"]),
        ("（二）研发失败或研发成果无法转化的风险", ["rd_failure"]),
        ("四、股票价格波动风险", ["stock_price"]),
        ("（三）净资产收益率下降及即期回报被摊薄的风险", ["dilution_roe"]),
    ],
)
def test_headings_map_to_their_leaves(heading: str, expected: list[str]) -> None:
    assert RuleLabeller().predict(heading) == expected


def test_generic_heading_falls_through_to_nothing() -> None:
    assert RuleLabeller().predict("第四节 风险因素 / 二、经营风险") == []


def test_innermost_matching_heading_wins_over_parents() -> None:
    heading = "第四节 风险因素 / 三、财务风险 / （二）税收优惠政策变化的风险"
    assert RuleLabeller().predict(heading) == ["tax_and_subsidy"]


def test_parent_heading_used_when_innermost_is_silent() -> None:
    assert RuleLabeller().predict("四、股票价格波动风险 / （一）概述") == ["stock_price"]


def test_heading_plus_text_mode_adds_body_matches() -> None:
    labeller = RuleLabeller(mode="heading+text")
    labels = labeller.predict("（一）应收账款回收风险", "若汇率大幅波动，公司的汇兑损失将增加。")
    assert labels == ["receivables_credit", "fx_and_interest_rate"]


def test_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        RuleLabeller(mode="body")


def test_every_rule_compiles_and_names_real_leaves() -> None:
    assert all(rule.leaves for rule in RULES)
