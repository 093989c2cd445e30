from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from risklens.labels.taxonomy import GROUP_OF, LABELS
from risklens.scoring.profile import (
    TOP_K,
    DocumentInfo,
    FilingProfile,
    build_profile,
    channel_terms,
    noisy_or_top,
    pool_repeats,
    text_ids,
)
from tests.scoring.fakes import Para, paras
from tests.scoring.schema_check import assert_matches_schema

THRESHOLDS = dict.fromkeys(LABELS, 0.5)
DOC = DocumentInfo(name="made-up.txt", doc_id="abc", reader="text", pages=9)


def probs_for(n: int, cells: dict[tuple[int, str], float], floor: float = 0.01) -> np.ndarray:
    out = np.full((n, len(LABELS)), floor)
    for (row, leaf), p in cells.items():
        out[row, LABELS.index(leaf)] = p
    return out


def test_noisy_or_uses_only_the_top_k_probabilities() -> None:
    column = np.array([[0.5], [0.5], [0.5], [0.5]])
    assert noisy_or_top(column, k=3)[0] == pytest.approx(1 - 0.5**3)
    assert noisy_or_top(np.zeros((0, 2))).tolist() == [0.0, 0.0]


def test_many_faint_paragraphs_do_not_add_up_to_a_disclosure() -> None:
    items = paras(*[("risk_factors", f"第{i}段无关内容") for i in range(300)])
    profile = build_profile(items, np.full((300, len(LABELS)), 0.02), THRESHOLDS, document=DOC)
    leaf = profile.leaf("trial_goods")
    assert leaf.disclosure == pytest.approx(1 - 0.98**TOP_K, abs=1e-4)
    assert leaf.score < 7 and leaf.paragraphs == 0 and not leaf.disclosed


def test_counts_evidence_pages_and_headings() -> None:
    items = paras(
        ("risk_factors", "甲：应收账款余额较高。"),
        ("risk_factors", "乙：应收账款回收放缓。"),
        ("risk_factors", "丙：与应收无关。"),
        ("risk_factors", "丁：坏账准备增加。"),
        ("risk_factors", "戊：账龄变长。"),
    )
    probs = probs_for(5, {(0, "receivables_credit"): 0.7, (1, "receivables_credit"): 0.9,
                          (3, "receivables_credit"): 0.6, (4, "receivables_credit"): 0.55,
                          (2, "receivables_credit"): 0.3})
    leaf = build_profile(items, probs, THRESHOLDS, document=DOC).leaf("receivables_credit")
    assert leaf.paragraphs == 4
    assert [e.paragraph_id for e in leaf.evidence] == ["p1", "p0", "p3"]  # top 3, most probable first
    assert leaf.evidence[0].page == 2 and leaf.evidence[0].heading.endswith("第1项")
    assert leaf.evidence[0].labels == ["receivables_credit"]
    assert leaf.first_position == 1


def test_verbatim_repeats_count_once_in_disclosure_and_evidence() -> None:
    text = "公司被列入出口管制名单，芯片采购受限。"
    once = paras(("risk_factors", text))
    twice = paras(("major_matters", text.replace("，", "， ")), ("risk_factors", text))
    p = {(0, "entity_list_sanctions"): 0.8}
    single = build_profile(once, probs_for(1, p), THRESHOLDS, document=DOC).leaf("entity_list_sanctions")
    double = build_profile(twice, probs_for(2, {**p, (1, "entity_list_sanctions"): 0.8}), THRESHOLDS, document=DOC).leaf(
        "entity_list_sanctions"
    )
    assert double.disclosure == single.disclosure == pytest.approx(0.8)
    assert len(double.evidence) == 1
    assert double.score > single.score  # named in 重大事项提示 as well: higher prominence


def test_rank_in_the_risk_section_raises_the_score() -> None:
    first = paras(("risk_factors", "甲"), *[("risk_factors", f"乙{i}") for i in range(9)])
    probs_first = probs_for(10, {(0, "gross_margin"): 0.7})
    probs_last = probs_for(10, {(9, "gross_margin"): 0.7})
    early = build_profile(first, probs_first, THRESHOLDS, document=DOC).leaf("gross_margin")
    late = build_profile(first, probs_last, THRESHOLDS, document=DOC).leaf("gross_margin")
    assert early.disclosure == late.disclosure
    assert early.rank_factor == 1.0 and late.rank_factor == pytest.approx(0.1)
    assert early.score > late.score
    disclosure = 1 - 0.3 * 0.99 * 0.99  # the two next-best paragraphs sit at the 0.01 floor
    assert early.prominence == 0.5 and late.prominence == pytest.approx(0.05)
    assert early.score == pytest.approx(100 * disclosure * (0.6 + 0.4 * 0.5), abs=0.1)
    assert late.score == pytest.approx(100 * disclosure * (0.6 + 0.4 * 0.05), abs=0.1)


def test_group_score_takes_the_best_leaf_per_paragraph() -> None:
    items = paras(("risk_factors", "甲"), ("risk_factors", "乙"))
    probs = probs_for(2, {(0, "receivables_credit"): 0.6, (0, "gross_margin"): 0.6, (1, "tax_and_subsidy"): 0.2})
    profile = build_profile(items, probs, THRESHOLDS, document=DOC)
    financial = profile.group("financial")
    assert financial.disclosure == pytest.approx(1 - 0.4 * 0.8)  # max per paragraph, then noisy-OR
    assert financial.paragraphs == 1
    assert financial.evidence[0].labels == ["receivables_credit", "gross_margin"]
    assert {GROUP_OF[label] for label in financial.evidence[0].labels} == {"financial"}


def test_leaves_are_ranked_by_score_and_all_reported() -> None:
    items = paras(("risk_factors", "甲"), ("risk_factors", "乙"))
    probs = probs_for(2, {(0, "stock_price"): 0.6, (1, "fx_and_interest_rate"): 0.95})
    profile = build_profile(items, probs, THRESHOLDS, document=DOC)
    assert sorted(item.id for item in profile.leaves) == sorted(LABELS)
    assert [item.id for item in profile.disclosed()] == ["fx_and_interest_rate", "stock_price"]
    assert [item.rank for item in profile.leaves] == list(range(1, len(LABELS) + 1))


def test_profile_json_matches_the_api_schema() -> None:
    items = paras(("major_matters", "甲"), ("risk_factors", "乙"))
    profile = build_profile(items, probs_for(2, {(1, "rd_failure"): 0.9}), THRESHOLDS, document=DOC, model={"name": "m"})
    data = profile.to_dict()
    assert_matches_schema(data, FilingProfile)
    assert data["sections"] == {"major_matters": 1, "risk_factors": 1}
    assert data["leaves"][0]["id"] == "rd_failure" and data["leaves"][0]["disclosed"] is True


def test_missing_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="thresholds lack"):
        build_profile(paras(("risk_factors", "甲")), probs_for(1, {}), {"rd_failure": 0.5}, document=DOC)


def test_repeats_share_a_text_id_and_pool_to_their_maximum() -> None:
    ids = text_ids(["a b", "ab", "c"])
    assert ids.tolist() == [0, 0, 1]
    pooled = pool_repeats(np.array([[0.2, 0.9], [0.7, 0.1], [0.3, 0.3]]), ids)
    assert pooled.tolist() == [[0.7, 0.9], [0.3, 0.3]]


SECTIONS = ("risk_factors", "major_matters", "special_risks", "other")


@settings(max_examples=60, deadline=None)
@given(
    probs=arrays(np.float64, (6, 4), elements=st.floats(0, 1)),
    sections=st.lists(st.sampled_from(SECTIONS), min_size=6, max_size=6),
    row=st.integers(0, 5),
    col=st.integers(0, 3),
    bump=st.floats(0, 1),
)
def test_scores_are_monotone_in_every_paragraph_probability(
    probs: np.ndarray, sections: list[str], row: int, col: int, bump: float
) -> None:
    cut = np.full(4, 0.5)
    ids = np.array([0, 1, 2, 0, 3, 1])  # rows 3 and 5 repeat rows 0 and 1
    before = channel_terms(probs, probs >= cut, sections, ids)
    raised = probs.copy()
    raised[row, col] = min(1.0, raised[row, col] + bump)
    after = channel_terms(raised, raised >= cut, sections, ids)
    assert np.all(after.score >= before.score - 1e-9)
    assert np.all(after.counts >= before.counts)
    assert np.all((after.score >= 0) & (after.score <= 100))


def test_paragraph_protocol_accepts_frozen_dataclasses() -> None:
    item = Para("x", "risk_factors", "h", None, 0, 1, "t")
    profile = build_profile([item], probs_for(1, {(0, "dilution_roe"): 0.9}), THRESHOLDS, document=DOC)
    assert profile.leaf("dilution_roe").evidence[0].page is None


def test_a_disclosed_leaf_outranks_a_higher_scored_undisclosed_one() -> None:
    items = paras(*[("risk_factors", f"段{i}") for i in range(3)])
    probs = probs_for(3, {(0, "gross_margin"): 0.45, (1, "gross_margin"): 0.45, (2, "gross_margin"): 0.45,
                          (2, "stock_price"): 0.55})
    profile = build_profile(items, probs, THRESHOLDS, document=DOC)
    margin, price = profile.leaf("gross_margin"), profile.leaf("stock_price")
    assert margin.score > price.score and not margin.disclosed and price.disclosed
    assert price.rank == 1 and margin.rank == 2


def test_a_certain_risk_scores_60_to_100_by_prominence() -> None:
    items = paras(("major_matters", "提示"), ("risk_factors", "甲"), ("risk_factors", "乙"))
    leading = probs_for(3, {(0, "stock_price"): 1.0, (1, "stock_price"): 1.0}, floor=0.0)
    buried = probs_for(3, {(2, "stock_price"): 1.0}, floor=0.0)
    top = build_profile(items, leading, THRESHOLDS, document=DOC).leaf("stock_price")
    low = build_profile(items, buried, THRESHOLDS, document=DOC).leaf("stock_price")
    assert top.score == 100.0 and top.prominence == 1.0
    assert low.score == pytest.approx(100 * (0.6 + 0.4 * 0.5 * 0.5))  # rank 2 of 2: R = 0.5, no highlight
