"""Inference pads batches to a multiple of 16 tokens: fewer shapes, the same logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import risklens.model.classifier as classifier_module
from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import Paragraph, Window
from risklens.model.pooling import collate

PARAGRAPHS = [
    Paragraph("原材料价格上涨可能压缩毛利率。", "风险因素 / 经营风险"),
    Paragraph("若关键客户减少采购，公司收入可能下降。" * 5, "风险因素"),
    Paragraph("汇率波动可能带来汇兑损失。"),
]


def _window(n: int) -> Window:
    return Window(paragraph=0, input_ids=list(range(1, n + 1)), token_type_ids=[0] * n)


def test_collate_rounds_the_width_up_and_masks_the_extra_tokens() -> None:
    batch = collate([_window(3), _window(17)], pad_id=9, pad_to_multiple_of=16)
    assert batch["input_ids"].shape == (2, 32)
    assert batch["attention_mask"].sum(dim=1).tolist() == [3, 17]
    assert bool((batch["input_ids"][0, 3:] == 9).all()) and bool((batch["input_ids"][1, 17:] == 9).all())
    assert collate([_window(16)], pad_id=0, pad_to_multiple_of=16)["input_ids"].shape == (1, 16)
    assert collate([_window(5)], pad_id=0)["input_ids"].shape == (1, 5)


def test_collate_refuses_a_multiple_below_one() -> None:
    with pytest.raises(ValueError, match="pad_to_multiple_of must be >= 1, got 0"):
        collate([_window(3)], pad_id=0, pad_to_multiple_of=0)


def test_the_encoder_sees_only_rounded_widths_and_gives_the_unrounded_logits(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir, precision="fp32")
    widths: list[int] = []
    original = collate

    def recording(windows: list[Window], pad_id: int, **kwargs: object) -> dict[str, torch.Tensor]:
        batch = original(windows, pad_id, **kwargs)  # type: ignore[arg-type]
        widths.append(int(batch["input_ids"].shape[1]))
        return batch

    monkeypatch.setattr(classifier_module, "collate", recording)
    rounded = clf.encoder_logits(PARAGRAPHS, batch_size=2)
    assert widths and all(w % classifier_module.PAD_TO_MULTIPLE_OF == 0 for w in widths)
    monkeypatch.setattr(classifier_module, "PAD_TO_MULTIPLE_OF", 1)
    widths.clear()
    exact = clf.encoder_logits(PARAGRAPHS, batch_size=2)
    assert any(w % 16 for w in widths)  # the comparison is against really unrounded batches
    np.testing.assert_allclose(rounded, exact, atol=1e-5)
