"""Domain-adaptive masked-LM pretraining: what it reads, how it masks, what it writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from risklens.cli import main
from risklens.labels.annotations import text_hash
from risklens.labels.harvest import harvest_file
from risklens.labels.taxonomy import to_multi_hot
from risklens.model.inputs import Paragraph
from risklens.training.adapt import (
    ADAPT_META,
    AdaptConfig,
    AdaptError,
    adapt_encoder,
    adaptation_paragraphs,
    mask_tokens,
)
from risklens.training.data import Example, Splits

TRAIN_DOC, DEV_DOC, UNLABELLED = "corpus/ipo/train_doc.txt", "corpus/annual/dev_doc.txt", "corpus/annual/unlabelled.txt"


def _example(doc: str, text: str) -> Example:
    return Example(id=f"{doc}:{text[:4]}", text=text, heading="", labels=(), doc=doc,
                   targets=np.asarray(to_multi_hot([]), dtype=np.float64))


def test_mask_tokens_targets_only_maskable_positions_at_about_the_rate() -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(10, 100, size=(64, 128))
    maskable = np.ones_like(ids, dtype=bool)
    maskable[:, 0] = maskable[:, -1] = False  # the special tokens
    inputs, labels = mask_tokens(ids, maskable, rng, mask_id=4, vocab_size=100, rate=0.15)
    targets = labels != -100
    assert not targets[:, 0].any() and not targets[:, -1].any()
    assert 0.13 < targets.sum() / maskable.sum() < 0.17
    np.testing.assert_array_equal(labels[targets], ids[targets])
    np.testing.assert_array_equal(inputs[~targets], ids[~targets])  # untouched outside the targets
    masked = (inputs == 4) & targets
    assert 0.75 < masked.sum() / targets.sum() < 0.85


def test_mask_tokens_gives_every_batch_a_target() -> None:
    ids = np.array([[0, 11, 12, 2]])
    maskable = np.array([[False, True, True, False]])
    _, labels = mask_tokens(ids, maskable, np.random.default_rng(1), mask_id=4, vocab_size=20, rate=0.0)
    assert (labels != -100).sum() == 1


def test_adaptation_reads_every_filing_but_the_evaluated_ones(tiny_corpus: Path) -> None:
    dev_text = harvest_file(tiny_corpus / DEV_DOC, tiny_corpus)[0].text
    splits = Splits(train=[_example(TRAIN_DOC, "训练集里的一段自写文字。")], dev=[_example(DEV_DOC, dev_text)], test=[])
    found = adaptation_paragraphs(tiny_corpus, splits)
    texts = {text_hash(p.text) for p in found.paragraphs}
    assert found.files == 2 and found.skipped == {"unreadable": 0, "no_risk_section": 0}  # train and unlabelled filings; the dev one stays out
    assert found.left_out["held_out_documents"] == 1
    assert text_hash("训练集里的一段自写文字。") in texts
    assert text_hash(dev_text) not in texts  # nor its text when another filing repeats it
    assert found.left_out["evaluated_text"] >= 1
    for paragraph in harvest_file(tiny_corpus / TRAIN_DOC, tiny_corpus):
        assert text_hash(paragraph.text) in texts
    assert adaptation_paragraphs(tiny_corpus, splits, exclude_docs={UNLABELLED}).files == 1


def test_adapt_encoder_trains_the_encoder_and_writes_a_base_model(tiny_base: Path, tmp_path: Path) -> None:
    from transformers import AutoModel, AutoModelForSequenceClassification

    paragraphs = [Paragraph(text="公司主要原材料价格波动较大，可能导致毛利率下降。", heading="原材料价格波动风险"),
                  Paragraph(text="若核心技术人员离职，公司研发进度将受到不利影响。", heading="")] * 4
    out = tmp_path / "adapted"
    report = adapt_encoder(tiny_base, paragraphs, out, AdaptConfig(max_steps=3, batch_size=4, learning_rate=1e-3,
                                                                   precision="fp32"))
    assert (report.steps, report.stopped_by, report.windows) == (3, "steps", 8)
    before, after = AutoModel.from_pretrained(tiny_base), AutoModel.from_pretrained(out)
    moved = [name for name, value in after.state_dict().items()
             if not torch.equal(value, before.state_dict()[name])]
    assert any(name.startswith("encoder.layer.") for name in moved)
    assert not any(name.startswith("pooler.") for name in moved)  # kept from the base, not re-initialised
    AutoModelForSequenceClassification.from_pretrained(out, num_labels=30)  # what `risklens train` builds on
    assert json.loads((out / ADAPT_META).read_text("utf-8"))["report"]["steps"] == 3
    with pytest.raises(AdaptError, match="not empty"):
        adapt_encoder(tiny_base, paragraphs, out, AdaptConfig(max_steps=1))
    with pytest.raises(AdaptError, match=r"no config\.json"):
        adapt_encoder(tmp_path, paragraphs, tmp_path / "other", AdaptConfig(max_steps=1))


def test_base_model_adapt_command(tiny_base: Path, tiny_dataset: Path, tiny_corpus: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "adapted"
    args = ["base-model", "adapt", "--base-model", str(tiny_base), "--data", str(tiny_dataset), "--corpus",
            str(tiny_corpus), "--near-miss", str(tmp_path / "none.jsonl"), "--out", str(out), "--max-steps", "2",
            "--batch-size", "4", "--precision", "fp32"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["files"] == 3 and (out / "config.json").is_file()
    assert main(args) == 2  # --out is not empty now
    assert "not empty" in capsys.readouterr().err
