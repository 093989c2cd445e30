"""``risklens benchmark predict``: paragraphs/s of predict vs plain pipelines (fp32, bf16), as JSON and Markdown.

The measuring is :func:`risklens.model.benchmark.benchmark` (every variant in a fresh
process); this module picks the model and the paragraphs, writes ``OUT.json`` and
``OUT.md`` and prints the Markdown table. Exit code 0, or 2 when an input is unusable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from risklens.model.benchmark import DEFAULT_VARIANTS, VARIANTS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--data", type=Path, required=True, metavar="FILE.jsonl",
                        help="real paragraphs (TAXONOMY.md JSONL; labels optional)")
    parser.add_argument("--limit", type=int, default=400, help="paragraphs to use (default 400)")
    parser.add_argument("--batch-size", type=int, default=32, help="predict batch size (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in every variant (default 2)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(DEFAULT_VARIANTS),
                        help="pipeline = transformers pipeline in fp32, pipeline-bf16 = at its best dtype; "
                             "predict-* = RiskClassifier.predict at that precision; predict-bf16-window128 = "
                             "128-token windows; predict-onnx* = the encoder on ONNX Runtime; student-* = predict-* on "
                             "--student (default: the first five)")
    parser.add_argument("--calibration", type=Path, default=None, metavar="FILE.jsonl",
                        help="paragraphs that calibrate predict-onnx-int8-static and *-openvino-int8 (default: dev.jsonl beside --data)")
    parser.add_argument("--student", type=Path, default=None, metavar="DIR",
                        help="a distilled student model that the student-* variants run (predict-* on it)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="rounds over all variants, interleaved; the table shows medians (default 1)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark-predict"),
                        help="report path without extension (default reports/benchmark-predict)")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.report_files import write_report
    from risklens.model.benchmark import benchmark, read_records, to_markdown
    from risklens.model.registry import resolve_model

    if args.limit < 1:
        return _fail(f"--limit must be >= 1, got {args.limit}.")
    if args.repeats < 1:
        return _fail(f"--repeats must be >= 1, got {args.repeats}.")
    if args.student is not None and not (args.student / "config.json").is_file():
        return _fail(f"--student {args.student}: not a model folder (no config.json); pass a trained student.")
    try:
        model = resolve_model(args.model)
        records = read_records(args.data, args.limit)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    print(f"risklens benchmark predict: {model.describe()}", file=sys.stderr)
    model_dir = model.path
    calibration = args.calibration or args.data.with_name("dev.jsonl")
    report = benchmark(model_dir, records, variants=args.variants, batch_size=args.batch_size, threads=args.threads,
                       repeats=args.repeats, calibration=calibration if calibration.is_file() else None,
                       student=args.student)
    report["data"] = str(args.data)
    write_report("predict", args.out, report, to_markdown(report))
    return 0


def _fail(message: str) -> int:
    print(f"risklens benchmark predict: {message}", file=sys.stderr)
    return 2
