"""The predict benchmark's bookkeeping: medians over rounds, ratios to both pipelines, host facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.model.benchmark import add_speedups, benchmark, host_info, summarise, to_markdown


def _run(speed: float, **extra: float) -> dict[str, float]:
    return {"paragraphs_per_s": speed, "seconds": 100 / speed, "import_seconds": 1.0, "load_seconds": 0.5,
            "import_cpu_seconds": 0.9, "load_cpu_seconds": 0.4, "end_to_end_seconds": 2.0, "peak_rss_mb": 500.0,
            **extra}


def test_medians_and_both_speedups() -> None:
    results = {
        "pipeline": summarise([_run(10.0), _run(12.0), _run(11.0)]),
        "pipeline-bf16": summarise([_run(20.0), _run(19.0), _run(30.0)]),
        "predict-bf16": summarise([_run(60.0, micro_f1=0.9), _run(50.0, micro_f1=0.9), _run(70.0, micro_f1=0.9)]),
    }
    add_speedups(results)
    assert results["pipeline"]["paragraphs_per_s"] == 11.0 and len(results["pipeline"]["runs"]) == 3
    assert results["predict-bf16"]["speedup_vs_pipeline"] == round(60 / 11, 2)
    assert results["predict-bf16"]["speedup_vs_best_pipeline"] == 3.0 and results["predict-bf16"]["micro_f1"] == 0.9
    assert results["pipeline-bf16"]["speedup_vs_best_pipeline"] == 1.0


def test_markdown_names_the_host_and_its_flags() -> None:
    host = host_info()
    assert set(host["cpu_flags"]) >= {"avx512_bf16", "amx_bf16", "avx512_vnni"} and host["started"]
    results = {"pipeline-bf16": summarise([_run(20.0)]), "predict-bf16": summarise([_run(60.0)])}
    add_speedups(results)
    report = {"paragraphs": 100, "mean_chars": 200.0, "data": "x.jsonl", "model": "m", "threads": 2,
              "batch_size": 32, "repeats": 1, "host": host, "results": results}
    text = to_markdown(report)
    assert "| predict-bf16 | 60.0 | nan | 3.00 |" in text and "avx512_bf16" in text and "amx_bf16" in text


def test_rounds_must_be_positive(tmp_path: object) -> None:
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        benchmark(tmp_path, [{"text": "公司存货较多。"}], variants=["predict-fp32"], repeats=0)  # type: ignore[arg-type]


def test_student_variants_run_on_the_student_and_report_label_agreement(tmp_path: Path) -> None:
    from risklens.model.testing import make_tiny_classifier
    from risklens.training.student import cut_student

    teacher = make_tiny_classifier(tmp_path / "teacher", max_length=64)
    cut_student(teacher, tmp_path / "same", [0, 1])  # every layer: the teacher itself, so the same labels
    records = [{"text": text, "heading": "", "labels": []} for text in ("公司存货较多。", "应收账款回收风险。", "被列入实体清单。")]
    report = benchmark(teacher, records, variants=["predict-bf16", "student-bf16"], student=tmp_path / "same")
    assert report["student"] == str(tmp_path / "same")
    assert report["results"]["student-bf16"]["same_labels_as_reference"] == 1.0
    assert "predicted" not in report["results"]["student-bf16"]["runs"][0]
    assert "same labels as predict-bf16" in to_markdown(report)
    with pytest.raises(ValueError, match="--student DIR"):
        benchmark(teacher, records, variants=["student-bf16"])
