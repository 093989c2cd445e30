"""Boundary cues and fusion heads that use them (sentences written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from risklens.labels.taxonomy import LABEL_INDEX
from risklens.model.cues import CUE_PATTERNS, CueSnapshot, fires_on
from risklens.model.fusion import FEATURES, FUSION_FILE, FusionHead, fit_lexical
from tests.examples import example_paragraphs

NONRISK = CUE_PATTERNS["nonrisk_cue"]
SANCTION = CUE_PATTERNS["sanction_named"]


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("经核查，公司不存在对持续经营能力构成重大不利影响的情形。", True),
        ("审计截止日后，公司经营模式未发生重大变化。", True),
        ("公司预计本年度营业收入同比增长20%至30%。", True),
        ("报告期内未发生大额坏账，但若客户经营恶化，公司可能面临坏账损失的风险。", False),  # argues a risk
        ("公司应收账款余额较大，存在无法收回的风险。", False),
    ],
)
def test_nonrisk_cue(text: str, fires: bool) -> None:
    assert fires_on(text, NONRISK["says"], NONRISK["unless"]) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("公司被列入实体清单，向境外供应商采购芯片需申请许可。", True),
        ("相关原材料受出口管制，采购周期可能延长。", True),
        ("若美国对公司产品加征关税，出口业务将受到不利影响。", False),
        ("国际贸易摩擦加剧，境外供应商可能被限制向公司供货。", False),
    ],
)
def test_sanction_named_cue(text: str, fires: bool) -> None:
    assert fires_on(text, SANCTION["says"], SANCTION["unless"]) is fires


def test_cue_matrix_feeds_the_right_cells() -> None:
    snapshot = CueSnapshot.current(("nonrisk_cue", "sanction_named"))
    texts = ["公司不存在重大不利影响的情形。", "公司被列入实体清单。"]
    m = snapshot.matrix(texts)
    assert m.shape == (2, len(LABEL_INDEX), 2)
    assert m[0, :, 0].min() == 1.0 and m[1, :, 0].max() == 0.0  # paragraph-level: every leaf
    assert m[1, :, 1].sum() == 1.0 and m[1, LABEL_INDEX["entity_list_sanctions"], 1] == 1.0
    assert CueSnapshot.from_dict(snapshot.to_dict()) == snapshot
    with pytest.raises(ValueError, match="unknown fusion cue"):
        CueSnapshot.current(("negation",))


def test_a_head_with_cues_saves_its_patterns_and_scores_the_same_after_load(tmp_path: Path) -> None:
    paragraphs, targets = example_paragraphs()
    logits = np.where(targets > 0, 2.0, -2.0)
    head = FusionHead(fit_lexical(paragraphs, targets, max_features=300, min_df=1), cues=("nonrisk_cue",))
    head.fit(logits, paragraphs, targets, True)
    assert list(head.describe()) == [*FEATURES, "nonrisk_cue"]
    head.save(tmp_path)
    doc = json.loads((tmp_path / FUSION_FILE).read_text("utf-8"))
    assert doc["features"][-1] == "nonrisk_cue" and doc["cues"]["cues"][0]["name"] == "nonrisk_cue"
    again = FusionHead.load(tmp_path)
    np.testing.assert_allclose(again.predict_proba(logits, paragraphs, True), head.predict_proba(logits, paragraphs, True),
                               atol=1e-2)  # the TF-IDF arrays are stored as float32


def test_a_head_without_cues_writes_no_cue_section(tmp_path: Path) -> None:
    paragraphs, targets = example_paragraphs()
    head = FusionHead(fit_lexical(paragraphs, targets, max_features=300, min_df=1))
    head.fit(np.where(targets > 0, 2.0, -2.0), paragraphs, targets, True)
    head.save(tmp_path)
    doc = json.loads((tmp_path / FUSION_FILE).read_text("utf-8"))
    assert "cues" not in doc and doc["features"] == list(FEATURES)
