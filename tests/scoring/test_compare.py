from __future__ import annotations

from pathlib import Path

from risklens.scoring.align import align, innermost_heading
from risklens.scoring.compare import CHANGE_DELTA, Comparison, compare_filings
from risklens.scoring.profile import build_profile
from risklens.scoring.score import score_source
from tests.scoring.fakes import KeywordClassifier
from tests.scoring.schema_check import assert_matches_schema


def test_innermost_heading_drops_the_enumerator() -> None:
    assert innermost_heading("第四节 风险因素 / 一、经营风险 / （二）客户集中的风险") == "客户集中的风险"
    assert innermost_heading("") == ""


def test_alignment_pairs_same_and_rewritten_paragraphs_and_leaves_new_ones_out() -> None:
    old = ["公司向前五名客户销售占比较高，存在客户集中风险。", "公司存货规模较大，存在跌价风险。"]
    new = [
        "公司存货规模较大，存在跌价风险，已计提跌价准备。",
        "公司向前五名客户销售占比较高，存在客户集中风险。",
        "公司计划开拓海外市场，面临汇率波动。",
    ]
    result = align(old, new)
    pairs = {(m.old, m.new) for m in result.matches}
    assert pairs == {(0, 1), (1, 0)}
    same = result.old_of(1)
    rewritten = result.old_of(0)
    assert same is not None and not same.rewritten and same.text_similarity > 0.99
    assert rewritten is not None and rewritten.rewritten
    assert result.unmatched_new(3) == [2]
    assert align([], new).matches == []


def test_compare_reports_added_removed_and_rewritten_risks(filing_file: Path, later_filing_file: Path) -> None:
    classifier = KeywordClassifier()
    old = score_source(filing_file, classifier)
    new = score_source(later_filing_file, classifier)
    comparison = compare_filings(old, new)

    assert [r.id for r in comparison.by_status("added")] == ["trial_goods"]
    assert {r.id for r in comparison.by_status("removed")} == {"entity_list_sanctions", "inventory_impairment"}
    receivables = comparison.risk("receivables_credit")
    assert receivables.status == "changed"
    assert any("rewritten" in reason for reason in receivables.reasons)
    assert comparison.risk("customer_concentration").status == "unchanged"

    added = comparison.risk("trial_goods")
    assert added.new_evidence and added.new_evidence[0].evidence.page == 3
    removed = comparison.risk("entity_list_sanctions")
    assert removed.old_evidence[0].counterpart is None  # no paragraph of the new filing took its place
    pair = receivables.new_evidence[0]
    assert pair.counterpart is not None and pair.counterpart.page == 6  # aligned with the old text
    assert pair.similarity is not None and pair.similarity < 0.85

    data = comparison.to_dict()
    assert_matches_schema(data, Comparison)
    assert data["summary"] == {"added": 1, "removed": 2, "changed": 1, "unchanged": 1}
    assert data["settings"]["change_delta"] == CHANGE_DELTA


def test_identical_filings_change_nothing(filing_file: Path) -> None:
    classifier = KeywordClassifier()
    scored = score_source(filing_file, classifier)
    comparison = compare_filings(scored, scored)
    assert {r.status for r in comparison.risks} == {"unchanged"}
    assert comparison.alignment.matched == len(scored.paragraphs)
    assert comparison.alignment.rewritten == 0


def test_a_large_score_move_is_a_change(filing_file: Path) -> None:
    old = score_source(filing_file, KeywordClassifier())
    new = score_source(filing_file, KeywordClassifier())
    column = new.labels.index("customer_concentration")
    new.probs[:, column] = 0.0
    new.probs[2, column] = 0.52  # same paragraph, much weaker
    new.profile = build_profile(
        new.paragraphs, new.probs, KeywordClassifier().thresholds, document=new.profile.document
    )
    risk = compare_filings(old, new).risk("customer_concentration")
    assert risk.status == "changed"
    assert risk.delta <= -CHANGE_DELTA
    assert risk.reasons == [f"score fell by {abs(risk.delta):.1f} points"]


def test_punctuation_width_does_not_count_as_a_rewrite() -> None:
    result = align(["公司所处行业,竞争激烈;若不能保持优势(尤其是价格),业绩将下滑."],
                   ["公司所处行业，竞争激烈；若不能保持优势（尤其是价格），业绩将下滑。"])
    assert result.matches[0].text_similarity > 0.99 and not result.matches[0].rewritten


def test_a_repeated_paragraph_finds_its_counterpart_through_its_copy(filing_file: Path, tmp_path: Path) -> None:
    only_body = tmp_path / "body-only.md"
    text = filing_file.read_text(encoding="utf-8")
    start = text.index("## 第5页")
    only_body.write_text(text[:text.index("## 第2页")] + text[start:], encoding="utf-8")
    classifier = KeywordClassifier()
    old = score_source(only_body, classifier)
    new = score_source(filing_file, classifier)  # the same paragraph twice: 重大事项提示 and 风险因素
    risk = compare_filings(old, new).risk("entity_list_sanctions")
    assert risk.status == "changed"  # now also named in 重大事项提示: more prominent, same text
    assert [reason.split(" by ")[0] for reason in risk.reasons] == ["score rose"]
    pair = risk.new_evidence[0]
    assert pair.evidence.section == "major_matters"  # the copy Hungarian could not pair
    assert pair.counterpart is not None and pair.similarity == 1.0
