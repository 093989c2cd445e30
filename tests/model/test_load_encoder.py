"""The fast load path (plain-torch BERT, ``tokenizers`` alone, numpy TF-IDF) gives what transformers gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from risklens.model.classifier import RiskClassifier
from risklens.model.encoder import BertClassifier, UnsupportedEncoder, load_encoder
from risklens.model.inputs import Paragraph, make_windows
from risklens.model.pooling import collate
from risklens.model.tokenizer import WindowTokenizer

PARAGRAPHS = [
    Paragraph("公司主要原材料价格大幅上涨，可能导致毛利率下降。", "第四节 风险因素 / 一、经营风险"),
    Paragraph("若核心技术人员离职，公司的研发进度将受到不利影响。" * 6, "风险因素"),
    Paragraph("报告期内应收账款余额较高，存在坏账损失的风险。"),
    Paragraph("The company relies on a small number of customers.  Export controls may apply."),
]


def _hf(directory: Path) -> tuple[torch.nn.Module, object]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(directory), dtype=torch.float32)
    return model.eval(), AutoTokenizer.from_pretrained(str(directory))


def test_windows_match_the_transformers_tokenizer(tiny_dir: Path) -> None:
    _, hf_tokenizer = _hf(tiny_dir)
    ours = WindowTokenizer(tiny_dir)
    assert ours.pad_token_id == hf_tokenizer.pad_token_id  # type: ignore[attr-defined]
    for use_headings in (True, False):
        for max_length, stride in ((64, 8), (16, 4)):
            expected = make_windows(hf_tokenizer, PARAGRAPHS, max_length=max_length, stride=stride,
                                    max_heading_chars=16, use_headings=use_headings)
            got = make_windows(ours, PARAGRAPHS, max_length=max_length, stride=stride, max_heading_chars=16,
                               use_headings=use_headings)
            assert got == expected and len(got) > len(PARAGRAPHS)


@pytest.mark.parametrize("bf16", [False, True])
def test_logits_are_bit_identical_to_transformers(tiny_dir: Path, bf16: bool) -> None:
    hf_model, tokenizer = _hf(tiny_dir)
    ours = load_encoder(tiny_dir, bf16_linear=bf16)
    windows = make_windows(tokenizer, PARAGRAPHS, max_length=32, stride=4, max_heading_chars=16)
    padded = collate(windows, 0)
    unpadded = collate(windows[:1], 0)
    assert not bool(padded["attention_mask"].all()) and bool(unpadded["attention_mask"].all())
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for batch in (padded, unpadded):
            assert torch.equal(ours(**batch).logits, hf_model(**batch).logits)
    if bf16:
        assert ours.classifier.weight.dtype == torch.bfloat16 and ours.bert.embeddings.LayerNorm.weight.dtype == torch.float32


def test_leaving_bf16_and_saving_restore_the_files_weights(tiny_fused_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    clf = RiskClassifier.from_pretrained(tiny_fused_dir, precision="bf16")
    assert isinstance(clf.model, BertClassifier) and clf.model.classifier.weight.dtype == torch.bfloat16
    clf.save_pretrained(tmp_path / "copy", dtype="float32")
    original, copy = load_file(str(tiny_fused_dir / "model.safetensors")), load_file(str(tmp_path / "copy" / "model.safetensors"))
    assert set(copy) <= set(original) and all(torch.equal(copy[name], original[name]) for name in copy)
    reloaded = RiskClassifier.from_pretrained(tmp_path / "copy", precision="fp32")
    first = RiskClassifier.from_pretrained(tiny_fused_dir, precision="fp32")
    assert (reloaded.predict_proba(PARAGRAPHS) == first.predict_proba(PARAGRAPHS)).all()
    clf = RiskClassifier.from_pretrained(tiny_fused_dir, precision="bf16")
    clf.set_precision("fp32")
    assert clf.model.classifier.weight.dtype == torch.float32
    assert (clf.predict_proba(PARAGRAPHS) == first.predict_proba(PARAGRAPHS)).all()


def test_other_architectures_fall_back_to_transformers(tiny_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "relu"
    shutil.copytree(tiny_dir, other)
    config = json.loads((other / "config.json").read_text("utf-8"))
    config["hidden_act"] = "relu"
    (other / "config.json").write_text(json.dumps(config), "utf-8")
    with pytest.raises(UnsupportedEncoder, match="hidden_act is 'relu'"):
        load_encoder(other)
    clf = RiskClassifier.from_pretrained(other)
    assert not isinstance(clf.model, BertClassifier) and clf.predict(PARAGRAPHS)


def test_loading_and_predicting_import_neither_transformers_nor_sklearn(tiny_fused_dir: Path) -> None:
    """Those imports cost seconds of every CLI call; inference needs neither."""
    code = (
        "import sys\n"
        "from risklens.model.classifier import RiskClassifier\n"
        f"clf = RiskClassifier.from_pretrained({str(tiny_fused_dir)!r})\n"
        "assert clf.fusion is not None and clf.predict(['公司存货余额较大。'])\n"
        "print(sorted(m for m in ('transformers', 'sklearn', 'scipy', 'torch._dynamo') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
