"""Identical paragraphs are scored once and get exactly the result they would get alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import Paragraph, distinct


def test_distinct_keys_on_heading_and_text() -> None:
    paras = [Paragraph("甲公司存货较多。", "风险因素", "a"), Paragraph("乙公司客户集中。", "风险因素"),
             Paragraph("甲公司存货较多。", "风险因素", "b"), Paragraph("甲公司存货较多。", "重大事项提示")]
    unique, rows = distinct(paras)
    assert rows == [0, 1, 0, 2] and [p.id for p in unique] == ["a", None, None]
    assert distinct([]) == ([], [])


def test_repeated_paragraphs_score_as_the_distinct_ones(tiny_fused_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_fused_dir, precision="fp32")
    distinct_items = [{"text": "公司主要原材料价格上涨，毛利率可能下降。", "heading": "风险因素"},
                      {"text": "核心技术人员离职将影响研发进度。" * 30, "heading": "风险因素"},
                      {"text": "公司主要原材料价格上涨，毛利率可能下降。", "heading": "重大事项提示"}]
    repeated = [distinct_items[i] | {"id": str(n)} for n, i in enumerate([0, 1, 0, 2, 1, 1])]
    totals: dict[str, int] = {}
    for use_headings in (True, False):
        alone = clf.predict_proba(distinct_items, use_headings=use_headings,
                                  progress=lambda d, t: totals.__setitem__("alone", t))
        both = clf.predict_proba(repeated, use_headings=use_headings,
                                 progress=lambda d, t: totals.__setitem__("repeated", t))
        assert np.array_equal(both, alone[[0, 1, 0, 2, 1, 1]])
        assert totals["repeated"] == totals["alone"]  # the long paragraph's windows run once, not three times
    predictions = clf.predict(repeated)
    assert [p.id for p in predictions] == [str(n) for n in range(6)]
    assert predictions[0].scores == predictions[2].scores
