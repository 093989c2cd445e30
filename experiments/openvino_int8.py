"""Probe: OpenVINO int8 (NNCF post-training quantisation, calibrated on dev) against OpenVINO bf16.

Issue #23 asks for int8 weights and activations calibrated on dev with the known remedies for
BERT's FFN outliers (static scales, per-channel weights, SmoothQuant, outlier layers kept in
bf16), measured on this host. NNCF's ``ModelType.TRANSFORMER`` applies SmoothQuant and keeps
the scales static; ``--keep-ffn-output`` also leaves the twelve FFN output projections in bf16.

    python experiments/openvino_int8.py --model model/default --dev runs/data/dev.jsonl \
        --test runs/data/test.jsonl --out runs/ov-int8 [--keep-ffn-output] [--repeats 3]

The int8 IR is ``runtime_openvino.build_int8``'s (the benchmark's variant, cached per user and per
calibration set). Writes ``OUT/report.json``: dev and test micro-F1 with headings and text only through the full
``predict`` (fusion and thresholds as fitted for the unquantised encoder), the share of test
paragraphs with the same labels as OpenVINO bf16, and encoder paragraphs/s of both (interleaved).
Needs ``pip install nncf openvino onnx``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from risklens.labels.taxonomy import LABELS
from risklens.model.classifier import RiskClassifier
from risklens.model.runtime_onnx import classifier_on
from risklens.model.runtime_openvino import build_int8
from risklens.training.data import Example, read_jsonl
from risklens.training.metrics import multilabel_metrics


def _scores(classifier: RiskClassifier, rows: list[Example]) -> dict[str, float]:
    gold = np.asarray([[label in row.labels for label in LABELS] for row in rows])
    out = {}
    for mode, headings in (("heading", True), ("text", False)):
        items = [{"text": r.text, "heading": r.heading if headings else ""} for r in rows]
        predicted = np.asarray([[label in p.labels for label in LABELS] for p in classifier.predict(items, 32)])
        out[mode] = multilabel_metrics(gold, predicted)["micro_f1"]
    return out


def _labels(classifier: RiskClassifier, rows: list[Example]) -> list[tuple[str, ...]]:
    return [tuple(p.labels) for p in classifier.predict([{"text": r.text, "heading": r.heading} for r in rows], 32)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("model/default"))
    parser.add_argument("--dev", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep-ffn-output", action="store_true")
    parser.add_argument("--calibration", type=int, default=300, help="dev paragraphs to calibrate on")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    dev, test = read_jsonl(args.dev), read_jsonl(args.test)
    bf16 = RiskClassifier.from_pretrained(args.model, runtime="openvino")
    calibration = [{"text": r.text, "heading": r.heading} for r in dev[: args.calibration]]
    name = hashlib.sha256(args.dev.read_bytes()).hexdigest()[:12] + f"-{args.calibration}"
    started = time.perf_counter()
    xml = build_int8(args.model, calibration, name, keep_ffn_output=args.keep_ffn_output)
    quantise_s = time.perf_counter() - started
    int8 = classifier_on(args.model, xml)
    report: dict[str, Any] = {"keep_ffn_output": args.keep_ffn_output, "ir": str(xml),
                              "quantise_s": round(quantise_s, 1)}  # 0 when the IR was in the cache
    for name, classifier in (("openvino-bf16", bf16), ("openvino-int8", int8)):
        report[name] = {"dev": _scores(classifier, dev), "test": _scores(classifier, test)}
    reference = _labels(bf16, test)
    report["same_labels_test"] = round(float(np.mean([a == b for a, b in zip(reference, _labels(int8, test),
                                                                               strict=True)])), 4)
    items = [{"text": r.text, "heading": r.heading} for r in test]
    times: dict[str, list[float]] = {"openvino-bf16": [], "openvino-int8": []}
    for _ in range(args.repeats):
        for name, classifier in (("openvino-bf16", bf16), ("openvino-int8", int8)):
            started = time.perf_counter()
            classifier.predict_proba(items, 32)
            times[name].append(time.perf_counter() - started)
    report["paragraphs_per_s"] = {name: round(len(items) / statistics.median(t), 1) for name, t in times.items()}
    (args.out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
