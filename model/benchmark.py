"""Paragraphs/s of ``RiskClassifier.predict`` vs a plain pipeline (``risklens benchmark predict``).

Every variant runs in its own fresh process (so peak memory is its own) on the same real
paragraphs and the same weights:

- ``pipeline``: ``transformers.pipeline("text-classification")`` over the saved directory,
  one paragraph at a time (its default), heading and text as a sentence pair, truncated at
  the encoder's limit, sigmoid scores for all leaves;
- ``predict-fp32``: ``RiskClassifier.predict`` (length-sorted batches, overlapping windows,
  fusion head), fp32 weights;
- ``predict-bf16``: the same under bf16 autocast (the default where the CPU supports it);
- ``predict-int8``: the same with dynamic int8 quantisation applied at load.

When the input file has labels, micro/macro-F1 of the fp32 and int8 predictions are
reported too, so the cost of quantisation in accuracy sits beside its gain in speed.
``benchmark`` returns the report as a dict and ``to_markdown`` renders it; the command
(``risklens/commands/benchmark_predict.py``) writes both and prints the Markdown.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from risklens.model.files import iter_jsonl
from risklens.model.inputs import as_paragraph

VARIANTS = ("pipeline", "predict-fp32", "predict-bf16", "predict-int8")


def benchmark(
    model_dir: Path, records: list[dict[str, Any]], *, variants: list[str], batch_size: int = 32, threads: int = 2
) -> dict[str, Any]:
    """Run each variant in a fresh process, one after the other; returns the report dict."""
    results: dict[str, Any] = {}
    context = get_context("spawn")
    for variant in variants:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            results[variant] = pool.submit(_measure, variant, str(model_dir), records, batch_size, threads).result()
    report: dict[str, Any] = {
        "model": str(model_dir),
        "paragraphs": len(records),
        "mean_chars": round(sum(len(r["text"]) + len(r.get("heading") or "") for r in records) / max(len(records), 1), 1),
        "threads": threads,
        "batch_size": batch_size,
        "results": results,
    }
    base = results.get("pipeline", {}).get("paragraphs_per_s")
    for name, result in results.items():
        if base and name != "pipeline":
            result["speedup_vs_pipeline"] = round(result["paragraphs_per_s"] / base, 2)
    return report


def _measure(variant: str, model_dir: str, records: list[dict[str, Any]], batch_size: int, threads: int) -> dict[str, Any]:
    """Runs in a child process: load, warm up, time one pass, report speed and peak RSS."""
    import resource

    import numpy as np
    import torch

    torch.set_num_threads(threads)
    started = time.perf_counter()
    warm = records[: min(8, len(records))]
    if variant == "pipeline":
        run_once, labels_of = _pipeline_runner(model_dir)
    else:
        from risklens.model.classifier import RiskClassifier

        clf = RiskClassifier.from_pretrained(model_dir, precision=variant.removeprefix("predict-"))  # type: ignore[arg-type]

        def run_once(items: list[dict[str, Any]]) -> Any:
            return clf.predict(items, batch_size=batch_size)

        def labels_of(out: Any) -> list[list[str]]:
            return [p.labels for p in out]

    load_seconds = time.perf_counter() - started
    run_once(warm)
    t0 = time.perf_counter()
    out = run_once(records)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, Any] = {
        "paragraphs_per_s": round(len(records) / seconds, 2),
        "seconds": round(seconds, 2),
        "load_seconds": round(load_seconds, 2),
        "peak_rss_mb": round(peak_mb, 1),
    }
    if all("labels" in r for r in records):
        from risklens.labels.taxonomy import LABEL_INDEX, LABELS

        gold = np.zeros((len(records), len(LABELS)))
        pred = np.zeros_like(gold)
        for i, (record, labels) in enumerate(zip(records, labels_of(out), strict=True)):
            for label in record["labels"]:
                gold[i, LABEL_INDEX[label]] = 1
            for label in labels:
                pred[i, LABEL_INDEX[label]] = 1
        result.update(micro_macro(gold, pred))
    return result


def micro_macro(gold: Any, pred: Any) -> dict[str, float]:
    """Micro-F1 and macro-F1 (over leaves with gold positives); model/ cannot import training."""
    import numpy as np

    tp = (gold * pred).sum(axis=0)
    fp = ((1 - gold) * pred).sum(axis=0)
    fn = (gold * (1 - pred)).sum(axis=0)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    per = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    present = gold.sum(axis=0) > 0
    macro = float(per[present].mean()) if present.any() else 0.0
    return {"micro_f1": round(float(micro), 4), "macro_f1": round(macro, 4)}


def _pipeline_runner(model_dir: str) -> tuple[Any, Any]:
    """A plain text-classification pipeline over the same weights (fp32, batch size 1)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    limit = int(getattr(model.config, "max_position_embeddings", 512))
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu", top_k=None,
                        function_to_apply="sigmoid")

    def inputs(items: list[dict[str, Any]]) -> list[Any]:
        return [{"text": r["heading"], "text_pair": r["text"]} if r.get("heading") else r["text"] for r in items]

    def run_once(items: list[dict[str, Any]]) -> Any:
        return classify(inputs(items), truncation=True, max_length=limit)

    def labels_of(out: Any) -> list[list[str]]:
        return [[s["label"] for s in scores if s["score"] >= 0.5] for scores in out]

    return run_once, labels_of


def read_records(path: Path, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` paragraphs of a TAXONOMY.md JSONL file: text, heading, labels if any.

    Raises ``ValueError`` naming the file and line of a malformed record, or the file when
    it holds no paragraph.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1 paragraph; got {limit}.")
    records = []
    for number, record in iter_jsonl(path):
        try:
            paragraph = as_paragraph(record, number)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        item: dict[str, Any] = {"text": paragraph.text, "heading": paragraph.heading}
        if isinstance(record.get("labels"), list):
            item["labels"] = record["labels"]
        records.append(item)
        if len(records) >= limit:
            break
    if not records:
        raise ValueError(f"{path}: no paragraphs.")
    return records


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Prediction benchmark", "",
        f"{report['paragraphs']} paragraphs (mean {report['mean_chars']} characters incl. heading) from "
        f"{report.get('data', '?')}; model {report['model']}; {report['threads']} torch threads; "
        f"predict batch size {report['batch_size']}. Each variant ran in a fresh process.", "",
        "| variant | paragraphs/s | × pipeline | seconds | load s | peak RSS MB | micro-F1 | macro-F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report["results"].items():
        lines.append(
            f"| {name} | {r['paragraphs_per_s']:.1f} | {r.get('speedup_vs_pipeline', 1.0 if name == 'pipeline' else float('nan')):.2f} | "
            f"{r['seconds']:.1f} | {r['load_seconds']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{r.get('micro_f1', float('nan')):.3f} | {r.get('macro_f1', float('nan')):.3f} |"
        )
    lines += ["", "The pipeline row uses a fixed 0.5 threshold and truncates long paragraphs; "
              "predict uses tuned thresholds, overlapping windows and the fusion head."]
    return "\n".join(lines) + "\n"
