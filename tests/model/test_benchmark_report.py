from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from risklens.model.benchmark import _read, micro_macro, to_markdown


def test_read_keeps_text_heading_and_labels_up_to_the_limit(tmp_path: Path) -> None:
    data = tmp_path / "p.jsonl"
    rows = [{"text": f"第{i}段", "heading": ["一", "二"], "labels": []} for i in range(5)]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    records = _read(data, 3)
    assert len(records) == 3 and records[0]["heading"] == "一 / 二" and records[0]["labels"] == []
    with pytest.raises(ValueError, match="--limit"):
        _read(data, 0)


def test_micro_macro_and_markdown() -> None:
    gold = np.array([[1, 0], [0, 1]])
    assert micro_macro(gold, gold) == {"micro_f1": 1.0, "macro_f1": 1.0}
    assert micro_macro(gold, np.zeros_like(gold))["micro_f1"] == 0.0
    report = {"paragraphs": 2, "mean_chars": 10.0, "data": "x.jsonl", "model": "m", "threads": 2, "batch_size": 32,
              "results": {"pipeline": {"paragraphs_per_s": 10.0, "seconds": 0.2, "load_seconds": 1.0, "peak_rss_mb": 500},
                          "predict-fp32": {"paragraphs_per_s": 25.0, "seconds": 0.1, "load_seconds": 1.0,
                                           "peak_rss_mb": 520, "speedup_vs_pipeline": 2.5}}}
    text = to_markdown(report)
    assert "| predict-fp32 | 25.0 | 2.50 |" in text and "| pipeline | 10.0 | 1.00 |" in text
