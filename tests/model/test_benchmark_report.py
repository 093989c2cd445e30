from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from risklens.model.benchmark import micro_macro, read_records, to_markdown


def test_read_keeps_text_heading_and_labels_up_to_the_limit(tmp_path: Path) -> None:
    data = tmp_path / "p.jsonl"
    rows = [{"text": f"第{i}段", "heading": ["一", "二"], "labels": []} for i in range(5)]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    records = read_records(data, 3)
    assert len(records) == 3 and records[0]["heading"] == "一 / 二" and records[0]["labels"] == []
    with pytest.raises(ValueError, match="limit must be at least 1"):
        read_records(data, 0)
    data.write_text('{"heading": "一"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"p\.jsonl:1: "):
        read_records(data, 3)


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
    assert "fusion head" not in text  # a report that does not say whether the model is fused
    assert "and the fusion head." in to_markdown({**report, "fusion": True})
    assert "the encoder alone (the model has no fusion head)" in to_markdown({**report, "fusion": False})


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    """Enough of a model folder for the command's check (the measuring is not run here)."""
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text("{}", "utf-8")
    return path


def test_the_command_checks_its_inputs_before_measuring(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad --limit, bad data and a folder without a model: exit 2 and one stderr line each."""
    from risklens.cli import main

    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"text": "公司应收账款余额较大。"}, ensure_ascii=False) + "\n", "utf-8")
    out = tmp_path / "reports" / "bench"
    cases = [
        (["--model", str(model_dir), "--data", str(data), "--limit", "0"], "--limit must be >= 1, got 0."),
        (["--model", str(model_dir), "--data", str(tmp_path / "none.jsonl")], "none.jsonl"),
        (["--model", str(tmp_path), "--data", str(data)], f"{tmp_path}: not a model directory (no config.json)"),
    ]
    for flags, message in cases:
        assert main(["benchmark", "predict", *flags, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("risklens benchmark predict: ") and message in err
    assert not out.parent.exists()


def test_the_command_writes_json_and_markdown_and_prints_the_table(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The measuring (a fresh process per variant, seconds each) is replaced by a recorder."""
    from risklens.cli import main
    from risklens.model import benchmark as bench

    seen: dict[str, Any] = {}

    def fake_benchmark(model_dir: Path, records: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
        seen.update(model_dir=model_dir, records=records, **options)
        result = {"paragraphs_per_s": 5.0, "seconds": 0.8, "load_seconds": 1.0, "peak_rss_mb": 300}
        return {"model": str(model_dir), "paragraphs": len(records), "mean_chars": 12.0, "threads": options["threads"],
                "batch_size": options["batch_size"], "results": {"predict-fp32": result}}

    monkeypatch.setattr(bench, "benchmark", fake_benchmark)
    data = tmp_path / "p.jsonl"
    rows = [{"text": "公司应收账款余额较大。" * (i + 1), "heading": "风险因素"} for i in range(4)]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "reports" / "bench"
    flags = ["--model", str(model_dir), "--data", str(data), "--variants", "predict-fp32", "--threads", "1", "--limit", "3"]
    assert main(["benchmark", "predict", *flags, "--out", str(out)]) == 0

    assert (seen["model_dir"], seen["variants"], seen["threads"], seen["batch_size"]) == (model_dir, ["predict-fp32"], 1, 32)
    assert [r["text"] for r in seen["records"]] == [row["text"] for row in rows[:3]]
    report = json.loads((tmp_path / "reports" / "bench.json").read_text("utf-8"))
    assert report["paragraphs"] == 3 and report["data"] == str(data)
    printed = capsys.readouterr()
    assert printed.out == (tmp_path / "reports" / "bench.md").read_text("utf-8") + "\n"
    assert "| predict-fp32 | 5.0 |" in printed.out and f"wrote {out}.json and {out}.md" in printed.err
