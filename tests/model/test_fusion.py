from __future__ import annotations

from pathlib import Path

import numpy as np

from risklens.labels.taxonomy import LABEL_INDEX, LABELS
from risklens.model.fusion import FEATURES, FusionHead, rule_matrix, tiny_fusion_example
from risklens.model.inputs import Paragraph


def test_rule_features_come_from_headings_only_when_headings_are_used() -> None:
    paras = [Paragraph(text="正文", heading="（五）应收账款回收风险"), Paragraph(text="应收账款")]
    rules = rule_matrix(paras, True)
    assert rules[0, LABEL_INDEX["receivables_credit"]] == 1.0
    assert rules[1].sum() == 0.0  # no heading, no rule evidence (body text is not matched)
    assert rule_matrix(paras, False).sum() == 0.0


def test_stack_learns_to_trust_the_informative_source(tmp_path: Path) -> None:
    paragraphs, targets = tiny_fusion_example()
    n = len(paragraphs)
    rng = np.random.default_rng(0)
    informative = np.where(targets > 0, 4.0, -4.0)  # an encoder that knows the answer
    head = FusionHead(max_features=300, min_df=1, stack_C=10.0)
    head.fit_lexical(paragraphs, targets)
    noisy = rng.normal(0, 1, size=targets.shape)
    logits = np.vstack([informative, noisy])
    flags = [True] * n + [False] * n
    head.fit_stack(logits, paragraphs + paragraphs, np.vstack([targets, targets]), flags)
    weights = head.describe()
    assert list(weights) == list(FEATURES)
    assert weights["enc_heading"] > 0.5  # with headings the encoder logits were right
    probs = head.predict_proba(informative, paragraphs, True)
    assert probs.shape == (n, len(LABELS))
    assert ((probs >= 0.5) == (targets > 0)).mean() > 0.97
    head.save(tmp_path)
    again = FusionHead.load(tmp_path)
    np.testing.assert_allclose(again.predict_proba(informative, paragraphs, True), probs, atol=1e-2)
