from __future__ import annotations

import re
from pathlib import Path

import pytest

from risklens.scoring.batch import render_comparison, render_profiles
from risklens.scoring.compare import compare_filings
from risklens.scoring.profile import DocumentInfo, build_profile
from risklens.scoring.report_text import pad
from risklens.scoring.score import ScoredFiling, score_source
from tests.scoring.fakes import KeywordClassifier, paras


@pytest.fixture()
def scored(filing_file: Path) -> ScoredFiling:
    return score_source(filing_file, KeywordClassifier(version="7"))


def test_html_report_is_self_contained_and_shows_scores_evidence_and_versions(scored: ScoredFiling) -> None:
    html = render_profiles([scored.profile], "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    # the only URL is the SVG namespace; nothing is fetched
    assert set(re.findall(r"https?://[^\s\"']+", html)) == {"http://www.w3.org/2000/svg"}
    assert "default-src 'none'" in html
    assert html.count("<svg") == 1 and "<rect" in html
    assert "fake-keywords" in html and ">7<" in html and "risk-taxonomy.v1" in html
    # evidence paragraphs are highlighted, with heading path and page
    mark = re.search(r"<mark>([^<]*应收账款[^<]*)</mark>", html)
    assert mark is not None
    assert "p.6 · 第四节 风险因素 / 二、财务风险 / （一）应收账款回收的风险" in html
    assert 'class="para hit"' in html and 'class="para miss"' in html


def test_html_escapes_paragraph_text() -> None:
    items = paras(("risk_factors", "<script>alert(1)</script> 应收账款"))
    scored_profile = build_profile(
        items, KeywordClassifier().predict_proba([{"text": items[0].text}]), KeywordClassifier().thresholds,
        document=DocumentInfo(name="<b>x</b>.txt"),
    )
    html = render_profiles([scored_profile], "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html


def test_table_ranks_disclosed_risks_with_their_first_evidence(scored: ScoredFiling) -> None:
    table = render_profiles([scored.profile], "table", top=3)
    lines = table.splitlines()
    ranked = [line for line in lines if re.match(r"^\s*\d+\s+\d+\.\d", line)]
    assert len(ranked) == 3
    assert "entity_list_sanctions" in ranked[0]  # named in 重大事项提示 and in the section
    assert "p.2" in ranked[0] or "p.5" in ranked[0]
    assert "(+1 more disclosed risks" in table


def test_markdown_lists_evidence_and_the_formula(scored: ScoredFiling) -> None:
    md = render_profiles([scored.profile], "md")
    assert md.startswith("# Risk profile: ")
    assert "| 1 | `entity_list_sanctions` |" in md
    assert "> 报告期各期末，公司应收账款账面价值较高" in md
    assert "risk-profile.v1" in md


def test_json_is_an_object_for_one_file_and_an_array_for_several(scored: ScoredFiling) -> None:
    import json

    one = json.loads(render_profiles([scored.profile], "json"))
    two = json.loads(render_profiles([scored.profile, scored.profile], "json"))
    assert isinstance(one, dict) and one["document"]["pages"] == 6
    assert isinstance(two, list) and len(two) == 2
    with pytest.raises(ValueError, match="format must be one of"):
        render_profiles([scored.profile], "pdf")


def test_comparison_renders_in_every_format(filing_file: Path, later_filing_file: Path) -> None:
    classifier = KeywordClassifier()
    comparison = compare_filings(score_source(filing_file, classifier), score_source(later_filing_file, classifier))
    table = render_comparison(comparison, "table")
    assert "added (1):" in table and "trial_goods" in table
    assert "removed (2):" in table and "changed (1):" in table
    assert "evidence rewritten" in table
    html = render_comparison(comparison, "html")
    assert "<script" not in html.lower() and 'class="status-added"' in html
    assert html.count('<div class="cols">') >= 3  # evidence side by side
    assert '"summary"' in render_comparison(comparison, "json")


def test_padding_counts_wide_characters_twice() -> None:
    assert pad("风险因素", 5) == "风险 "  # a third wide character would need column 6
    assert pad("a风险", 8) == "a风险   "  # 1 + 2 + 2 columns, three spaces to 8
    assert pad("风险ab", 6) == "风险ab"
