from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from risklens.labels import silver
from risklens.labels.taxonomy import LABEL_INDEX, LABELS
from risklens.model.fusion import (
    FEATURES,
    FUSION_FILE,
    LEGACY_RULES_SHA256,
    FusionHead,
    RuleSnapshot,
    fit_lexical,
    rule_matrix,
)
from risklens.model.inputs import Paragraph
from risklens.model.tfidf import TfidfOvR
from tests.examples import example_paragraphs


def fitted_head(tmp_path: Path | None = None) -> tuple[FusionHead, list[Paragraph], np.ndarray]:
    """A head whose encoder logits are the answer, fitted on the example rows (saved when asked)."""
    paragraphs, targets = example_paragraphs()
    informative = np.where(targets > 0, 4.0, -4.0)
    head = FusionHead(fit_lexical(paragraphs, targets, max_features=300, min_df=1), stack_C=10.0)
    head.fit(informative, paragraphs, targets, True)
    if tmp_path is not None:
        head.save(tmp_path)
    return head, paragraphs, informative


def test_rule_features_come_from_headings_only_when_headings_are_used() -> None:
    paras = [Paragraph(text="正文", heading="（五）应收账款回收风险"), Paragraph(text="应收账款")]
    rules = rule_matrix(paras, True)
    assert rules[0, LABEL_INDEX["receivables_credit"]] == 1.0
    assert rules[1].sum() == 0.0  # no heading, no rule evidence (body text is not matched)
    assert rule_matrix(paras, False).sum() == 0.0


def test_stack_learns_to_trust_the_informative_source(tmp_path: Path) -> None:
    paragraphs, targets = example_paragraphs()
    n = len(paragraphs)
    rng = np.random.default_rng(0)
    informative = np.where(targets > 0, 4.0, -4.0)  # an encoder that knows the answer
    tfidf = fit_lexical(paragraphs, targets, max_features=300, min_df=1)
    head = FusionHead(tfidf, stack_C=10.0)
    noisy = rng.normal(0, 1, size=targets.shape)
    logits = np.vstack([informative, noisy])
    flags = [True] * n + [False] * n
    assert head.fit(logits, paragraphs + paragraphs, np.vstack([targets, targets]), flags) is head
    assert head.tfidf is tfidf  # prefit: fit stacks on the given TF-IDF model, never refits it
    weights = head.describe()
    assert list(weights) == list(FEATURES)
    assert weights["enc_heading"] > 0.5  # with headings the encoder logits were right
    probs = head.predict_proba(informative, paragraphs, True)
    assert probs.shape == (n, len(LABELS))
    assert ((probs >= 0.5) == (targets > 0)).mean() > 0.97
    head.save(tmp_path)
    again = FusionHead.load(tmp_path)
    np.testing.assert_allclose(again.predict_proba(informative, paragraphs, True), probs, atol=1e-2)


def test_fit_refuses_an_unfitted_tfidf_model() -> None:
    paragraphs, targets = example_paragraphs()
    with pytest.raises(ValueError, match=r"fitted TfidfOvR \(prefit stacking\)"):
        FusionHead(TfidfOvR()).fit(np.zeros_like(targets), paragraphs, targets)


def test_saved_head_keeps_its_rule_table_when_the_live_table_is_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head, paragraphs, logits = fitted_head(tmp_path)
    before = FusionHead.load(tmp_path).predict_proba(logits, paragraphs, True)
    fitted_before = head.predict_proba(logits, paragraphs, True)
    saved = json.loads((tmp_path / FUSION_FILE).read_text("utf-8"))["rules"]
    assert saved["sha256"] == RuleSnapshot.current().sha256() and len(saved["table"]) == len(silver.RULES)
    # an edit of the live table: receivables headings now also fire "market_competition"
    edited = tuple(silver.Rule(r.pattern, (*r.leaves, "market_competition")) if "应收" in r.pattern else r
                   for r in silver.RULES)
    monkeypatch.setattr(silver, "RULES", edited)
    assert RuleSnapshot.current().sha256() != saved["sha256"]
    live = rule_matrix(paragraphs, True)
    assert live[0, LABEL_INDEX["market_competition"]] == 1.0  # the edit is live ...
    after = FusionHead.load(tmp_path).predict_proba(logits, paragraphs, True)
    np.testing.assert_array_equal(after, before)  # ... but the saved head does not see it
    np.testing.assert_array_equal(head.predict_proba(logits, paragraphs, True), fitted_before)  # nor the fitted one


def test_head_saved_without_a_snapshot_loads_only_while_the_table_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, paragraphs, logits = fitted_head(tmp_path)
    expected = FusionHead.load(tmp_path).predict_proba(logits, paragraphs, True)
    doc = json.loads((tmp_path / FUSION_FILE).read_text("utf-8"))
    del doc["rules"]  # as written before snapshots existed
    doc["params"].update(max_features=300, min_df=1, tfidf_C=10.0)
    (tmp_path / FUSION_FILE).write_text(json.dumps(doc), "utf-8")
    assert RuleSnapshot.current().sha256() == LEGACY_RULES_SHA256  # the table of risklens 0.1.0
    np.testing.assert_array_equal(FusionHead.load(tmp_path).predict_proba(logits, paragraphs, True), expected)
    monkeypatch.setattr(silver, "RULES", silver.RULES[:-1])
    with pytest.raises(ValueError, match=rf"{tmp_path}: its fusion head was saved without its heading rule table"):
        FusionHead.load(tmp_path)


def test_a_hand_edited_snapshot_is_refused(tmp_path: Path) -> None:
    fitted_head(tmp_path)
    doc = json.loads((tmp_path / FUSION_FILE).read_text("utf-8"))
    doc["rules"]["table"][0]["leaves"] = ["stock_price"]
    (tmp_path / FUSION_FILE).write_text(json.dumps(doc), "utf-8")
    with pytest.raises(ValueError, match="does not match its sha256"):
        FusionHead.load(tmp_path)
