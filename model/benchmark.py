"""Paragraphs/s of ``RiskClassifier.predict`` vs plain pipelines (``risklens benchmark predict``).

Every variant (see :mod:`risklens.model.benchmark_worker`) runs in its own fresh process on
the same real paragraphs and the same weights: ``pipeline`` (transformers, fp32),
``pipeline-bf16`` (the pipeline at its best dtype on a CPU with native bf16), and
``predict-fp32`` / ``predict-bf16`` / ``predict-int8``. Each child reports its import time,
load time and throughput apart, and, when the paragraphs have labels, micro/macro-F1 with
and without headings.

The host is shared, so ``repeats`` runs the whole set of variants that many times in turn
(interleaved, so drift hits every variant alike); every run is kept, the table shows medians
and the speed-ups are ratios of medians taken in the same invocation. The report carries the
CPU's flags (avx512_bf16, amx_bf16, avx512_vnni, ...), the start time and the load average
before and after every run, because a number from a busy host means little without them.
``benchmark`` returns the report as a dict and ``to_markdown`` renders it; the command
(``risklens/commands/benchmark_predict.py``) writes both and prints the Markdown.
"""

from __future__ import annotations

import os
import statistics
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from risklens.model.files import iter_jsonl
from risklens.model.inputs import as_paragraph

VARIANTS = ("pipeline", "pipeline-bf16", "predict-fp32", "predict-bf16", "predict-int8", "predict-bf16-window128",
            "predict-onnx", "predict-onnx-int8", "predict-onnx-int8-static", "predict-openvino", "predict-openvino-int8",
            "student-bf16", "student-fp32", "student-onnx", "student-openvino", "student-openvino-int8")
"""``student-*`` run ``predict-*`` on the ``student`` model (a distilled one) instead of ``model_dir``."""
REFERENCE = "predict-bf16"  # every variant's labels are compared with this one's
DEFAULT_VARIANTS = VARIANTS[:5]
PIPELINES = ("pipeline", "pipeline-bf16")
STATIC_CALIBRATION = 128  # calibration paragraphs for static int8 (each window's activations are kept)
OPENVINO_CALIBRATION = 300  # calibration paragraphs for NNCF's int8 (it keeps statistics, not activations)
CALIBRATED = ("predict-onnx-int8-static", "predict-openvino-int8")
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
SPEED_KEYS = ("paragraphs_per_s", "seconds", "import_seconds", "load_seconds", "import_cpu_seconds", "load_cpu_seconds",
              "end_to_end_seconds", "peak_rss_mb")


def benchmark(
    model_dir: Path,
    records: list[dict[str, Any]],
    *,
    variants: list[str],
    batch_size: int = 32,
    threads: int = 2,
    repeats: int = 1,
    calibration: Path | None = None,
    student: Path | None = None,
) -> dict[str, Any]:
    """Run every variant in a fresh process, ``repeats`` rounds in turn; returns the report dict.

    ONNX variants' files are built (or found in the cache) first, in a child process, so
    their load time is a cached load; ``predict-onnx-int8-static`` and ``*-openvino-int8``
    calibrate on the paragraphs of ``calibration`` (a JSONL file, e.g. the dev split). ``student-*`` variants
    run on ``student``. Each variant's share of paragraphs with the same labels as
    ``predict-bf16`` (the shipped path) is reported as ``same_labels_as_reference``.
    """
    from risklens.model.benchmark_worker import measure
    from risklens.model.meta import ModelMeta

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1 round, got {repeats}.")
    if student is None and any(v.startswith("student-") for v in variants):
        raise ValueError("student-* variants need a student model (--student DIR).")
    host = host_info()  # before the runs: its start time and load average are the run's
    runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in variants}
    context = get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        source = str(calibration) if calibration else None
        onnx_files = pool.submit(prepare_onnx, str(model_dir), variants, source).result()
        of_student = [v.replace("student-", "predict-") for v in variants if v.startswith("student-")]
        if of_student:  # built (or found in the cache) before the timed runs, as for the teacher
            built = pool.submit(prepare_onnx, str(student), of_student, source).result()
            onnx_files |= {name.replace("predict-", "student-"): path for name, path in built.items()}
    labels: dict[str, list[list[str]]] = {}
    for _ in range(repeats):
        for variant in variants:
            before = _load_average()
            target, as_variant = (student, variant.replace("student-", "predict-")) if variant.startswith("student-") \
                else (model_dir, variant)
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                run = pool.submit(measure, as_variant, str(target), records, batch_size, threads,
                                  onnx_files.get(variant)).result()
            labels[variant] = run.pop("predicted")
            run["load_average_before"], run["load_average_after"] = before, _load_average()
            runs[variant].append(run)
    report: dict[str, Any] = {
        "model": str(model_dir),
        "fusion": ModelMeta.load(model_dir).fusion,
        "student": str(student) if student else None,
        "paragraphs": len(records),
        "mean_chars": round(sum(len(r["text"]) + len(r.get("heading") or "") for r in records) / max(len(records), 1), 1),
        "threads": threads,
        "batch_size": batch_size,
        "repeats": repeats,
        "host": host,
        "results": {variant: summarise(variant_runs) for variant, variant_runs in runs.items()},
    }
    add_speedups(report["results"])
    if REFERENCE in labels:
        for variant, predicted in labels.items():
            same = sum(set(a) == set(b) for a, b in zip(predicted, labels[REFERENCE], strict=True))
            report["results"][variant]["same_labels_as_reference"] = round(same / len(records), 4)
    return report


def prepare_onnx(model_dir: str, variants: list[str], calibration: str | None) -> dict[str, str]:
    """Build the ONNX (and OpenVINO int8) files the ``predict-*`` variants need; the paths of the
    files a runtime does not build itself, by variant."""
    if not any(variant.startswith(("predict-onnx", "predict-openvino-int8")) for variant in variants):
        return {}
    import hashlib

    from risklens.model import runtime_onnx

    files = {f"predict-{runtime}": str(runtime_onnx.build(Path(model_dir), runtime))
             for runtime in ("onnx", "onnx-int8") if f"predict-{runtime}" in variants}
    files.pop("predict-onnx", None)  # built; the variant loads it as `--runtime onnx` does
    wanted = [variant for variant in CALIBRATED if variant in variants]
    if not wanted:
        return files
    if calibration is None:
        raise ValueError(f"{', '.join(wanted)} need(s) --calibration FILE.jsonl (e.g. the dev split).")
    paragraphs = [{"text": r["text"], "heading": r["heading"]} for r in read_records(Path(calibration), 100_000)]
    name = hashlib.sha256(Path(calibration).read_bytes()).hexdigest()[:12]
    if "predict-onnx-int8-static" in wanted:
        files["predict-onnx-int8-static"] = str(runtime_onnx.build_static(Path(model_dir), paragraphs[:STATIC_CALIBRATION],
                                                                          name))
    if "predict-openvino-int8" in wanted:
        from risklens.model import runtime_openvino

        files["predict-openvino-int8"] = str(runtime_openvino.build_int8(Path(model_dir),
                                                                         paragraphs[:OPENVINO_CALIBRATION], name))
    return files


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the speed figures over ``runs``, the accuracy of the first, and every run kept."""
    result: dict[str, Any] = {key: value for key, value in runs[0].items() if key not in SPEED_KEYS}
    for key in SPEED_KEYS:
        result[key] = round(statistics.median(run[key] for run in runs), 2)
    result["runs"] = runs
    return result


def add_speedups(results: dict[str, Any]) -> None:
    """``speedup_vs_pipeline`` (fp32) and ``speedup_vs_best_pipeline`` (the faster pipeline dtype)."""
    base = results.get("pipeline", {}).get("paragraphs_per_s")
    pipelines = [results[name]["paragraphs_per_s"] for name in PIPELINES if name in results]
    best = max(pipelines) if pipelines else None
    for name, result in results.items():
        if base and name != "pipeline":
            result["speedup_vs_pipeline"] = round(result["paragraphs_per_s"] / base, 2)
        if best:
            result["speedup_vs_best_pipeline"] = round(result["paragraphs_per_s"] / best, 2)


def host_info() -> dict[str, Any]:
    """CPU model and the flags that decide the fast dtypes, whether bf16 runs natively, time and load."""
    from risklens.model.cpu import bf16_supported, cpu_info

    model, flags = cpu_info() or ("?", frozenset[str]())

    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "cpu_flags": {flag: flag in flags for flag in CPU_FLAGS},
        "torch_bf16_supported": bf16_supported(),  # native bf16: torch supports it and a flag names it
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": _load_average(),
    }


def _load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


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
    """The report as Markdown: host, one row per variant (medians), accuracy in both modes."""
    host = report.get("host", {})
    flags = ", ".join(f"{flag} {'yes' if on else 'no'}" for flag, on in host.get("cpu_flags", {}).items())
    loads = [run.get("load_average_before", []) for r in report["results"].values() for run in r.get("runs", [])]
    load_text = ", ".join("/".join(f"{x:.2f}" for x in load) for load in loads if load)
    lines = [
        "# Prediction benchmark", "",
        f"{report['paragraphs']} paragraphs (mean {report['mean_chars']} characters incl. heading) from "
        f"{report.get('data', '?')}; model {report['model']}"
        + (f"; student {report['student']}" if report.get("student") else "") + f"; {report['threads']} torch threads; "
        f"predict batch size {report['batch_size']}. Each variant ran in a fresh process, "
        f"{report.get('repeats', 1)} round(s) in turn; speeds are medians over the rounds.", "",
        f"Host: {host.get('cpu', '?')}, {host.get('cpu_count', '?')} CPUs; {flags or 'flags unknown'}; "
        f"torch bf16 supported: {host.get('torch_bf16_supported', '?')}. Started {host.get('started', '?')}; "
        f"load average (1/5/15 min) before each run: {load_text or '?'}.", "",
        "| variant | paragraphs/s | × pipeline fp32 | × best pipeline | seconds | import s (CPU) | load s (CPU) | "
        "import+load+run s | peak RSS MB | micro-F1 | macro-F1 | micro-F1 text only | macro-F1 text only | "
        f"same labels as {REFERENCE} |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    nan = float("nan")
    for name, r in report["results"].items():
        lines.append(
            f"| {name} | {r['paragraphs_per_s']:.1f} | "
            f"{r.get('speedup_vs_pipeline', 1.0 if name == 'pipeline' else nan):.2f} | "
            f"{r.get('speedup_vs_best_pipeline', nan):.2f} | {r['seconds']:.1f} | "
            f"{r.get('import_seconds', nan):.2f} ({r.get('import_cpu_seconds', nan):.2f}) | "
            f"{r['load_seconds']:.2f} ({r.get('load_cpu_seconds', nan):.2f}) | "
            f"{r.get('end_to_end_seconds', nan):.1f} | {r['peak_rss_mb']:.0f} | "
            f"{r.get('micro_f1', nan):.3f} | {r.get('macro_f1', nan):.3f} | "
            f"{r.get('micro_f1_text_only', nan):.3f} | {r.get('macro_f1_text_only', nan):.3f} | "
            f"{r.get('same_labels_as_reference', nan):.3f} |"
        )
    fused = report.get("fusion")  # None: a report from before the key existed
    head = "" if fused is None else " and the fusion head" if fused else " and the encoder alone (the model has no fusion head)"
    lines += ["", "Pipelines use a fixed 0.5 threshold and truncate long paragraphs; predict uses tuned "
              f"thresholds, overlapping windows{head}. Throughput is the timed "
              "pass with headings after a warm-up on 8 paragraphs; import and load are timed apart in the same process."]
    return "\n".join(lines) + "\n"
