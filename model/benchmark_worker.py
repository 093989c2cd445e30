"""One variant of ``risklens benchmark predict``, measured inside its own fresh process.

:func:`measure` is what :mod:`risklens.model.benchmark` runs in a spawned child: it imports
what the variant needs (timed: the first ``import torch`` and transformers are part of every
CLI call), loads the model (timed apart), warms up on a few paragraphs, times one pass over
all paragraphs with their headings, and, when the paragraphs carry labels, scores a second,
untimed pass without headings so every variant reports micro/macro-F1 in both modes.

Variants:

- ``pipeline`` / ``pipeline-bf16``: ``transformers.pipeline("text-classification")`` over the
  saved directory as a user would run it, in fp32 or with the weights loaded as bf16
  (``dtype=torch.bfloat16``, the best dtype of a CPU with AVX512-BF16/AMX); one paragraph
  at a time, heading and text as a sentence pair, truncated at the encoder's limit, a flat
  0.5 threshold on sigmoid scores;
- ``predict-<precision>``: ``RiskClassifier.predict`` at that precision (``fp32``, ``bf16``
  autocast, dynamic ``int8``);
- ``predict-bf16-window128``: bf16 with 128-token windows (stride 32) instead of the model's
  256/64, to measure what shorter windows for long paragraphs cost in accuracy;
- ``predict-onnx`` / ``predict-onnx-int8``: ``RiskClassifier.predict`` with the encoder on ONNX
  Runtime (``model.runtime_onnx``) in fp32 / dynamic int8; ``predict-onnx-int8-static``: QDQ
  int8 calibrated on dev paragraphs, FFN outputs in fp32 (its file is built before the runs
  and passed as ``onnx_file``). ONNX files are built before the runs, so load is a cached load;
- ``predict-openvino-int8``: OpenVINO running NNCF's int8 IR (static scales calibrated on dev
  paragraphs, SmoothQuant), built before the runs like the ONNX int8 files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Runner = Callable[[list[dict[str, Any]], bool], list[list[str]]]
"""``run(records, use_headings)`` -> predicted labels per record."""


def measure(variant: str, model_dir: str, records: list[dict[str, Any]], batch_size: int, threads: int,
            onnx_file: str | None = None) -> dict[str, Any]:
    """Import, load, warm up, time one pass; F1 with and without headings when labels exist."""
    import resource

    started, cpu_started = time.perf_counter(), time.process_time()
    import torch

    torch.set_num_threads(threads)
    if variant.startswith("pipeline"):
        import transformers  # noqa: F401  (timed as import, as the classifier's imports are)
    else:
        import risklens.model.classifier  # noqa: F401
    imported, cpu_imported = time.perf_counter(), time.process_time()
    run = _pipeline_runner(model_dir, variant) if variant.startswith("pipeline") else _predict_runner(
        model_dir, variant, batch_size, threads, onnx_file)
    loaded, cpu_loaded = time.perf_counter(), time.process_time()
    run(records[: min(8, len(records))], True)
    t0 = time.perf_counter()
    predicted = run(records, True)
    seconds = time.perf_counter() - t0
    result: dict[str, Any] = {
        "paragraphs_per_s": round(len(records) / seconds, 2),
        "seconds": round(seconds, 2),
        "import_seconds": round(imported - started, 2),
        "load_seconds": round(loaded - imported, 2),
        "import_cpu_seconds": round(cpu_imported - cpu_started, 2),  # CPU time: less hostage to a busy host
        "load_cpu_seconds": round(cpu_loaded - cpu_imported, 2),
        "end_to_end_seconds": round(loaded - started + seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "predicted": predicted,  # the labels with headings; the parent compares variants and drops them
    }
    if all("labels" in r for r in records):
        result.update(f1_of(records, predicted))
        result.update({f"{key}_text_only": value for key, value in f1_of(records, run(records, False)).items()})
    return result


def f1_of(records: list[dict[str, Any]], predicted: list[list[str]]) -> dict[str, float]:
    """Micro/macro-F1 of ``predicted`` against the records' gold ``labels``."""
    import numpy as np

    from risklens.labels.taxonomy import LABEL_INDEX, LABELS
    from risklens.model.benchmark import micro_macro

    gold = np.zeros((len(records), len(LABELS)))
    pred = np.zeros_like(gold)
    for i, (record, labels) in enumerate(zip(records, predicted, strict=True)):
        for label in record["labels"]:
            gold[i, LABEL_INDEX[label]] = 1
        for label in labels:
            pred[i, LABEL_INDEX[label]] = 1
    return micro_macro(gold, pred)


def _predict_runner(model_dir: str, variant: str, batch_size: int, threads: int, onnx_file: str | None) -> Runner:
    from pathlib import Path

    from risklens.model.classifier import RiskClassifier

    precision, _, window = variant.removeprefix("predict-").partition("-window")
    if onnx_file:  # an int8 build, not a runtime `from_pretrained` offers
        from risklens.model.runtime_onnx import classifier_on

        clf = classifier_on(Path(model_dir), Path(onnx_file), threads=threads)
    elif precision.startswith(("onnx", "openvino")):
        clf = RiskClassifier.from_pretrained(model_dir, runtime=precision, num_threads=threads)
    else:
        clf = RiskClassifier.from_pretrained(model_dir, precision=precision)  # type: ignore[arg-type]
    if window:  # shorter windows: fewer tokens per long paragraph (attention is quadratic in them)
        clf.meta.max_length, clf.meta.stride = int(window), int(window) // 4

    def run(items: list[dict[str, Any]], use_headings: bool) -> list[list[str]]:
        return [p.labels for p in clf.predict(items, batch_size=batch_size, use_headings=use_headings)]

    return run


def _pipeline_runner(model_dir: str, variant: str) -> Runner:
    """A plain text-classification pipeline over the same weights (batch size 1, its default)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    dtype = torch.bfloat16 if variant == "pipeline-bf16" else torch.float32
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=dtype, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    limit = int(getattr(model.config, "max_position_embeddings", 512))
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu", top_k=None,
                        function_to_apply="sigmoid")

    def run(items: list[dict[str, Any]], use_headings: bool) -> list[list[str]]:
        inputs = [{"text": r["heading"], "text_pair": r["text"]} if use_headings and r.get("heading") else r["text"]
                  for r in items]
        out: list[list[dict[str, Any]]] = classify(inputs, truncation=True, max_length=limit)  # type: ignore[assignment]
        return [[s["label"] for s in scores if s["score"] >= 0.5] for scores in out]

    return run
