"""``risklens predict``: tag paragraphs of a JSONL file with the classifier."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from risklens.commands.progress import ProgressBar
from risklens.model.meta import PRECISIONS
from risklens.model.runtimes import RUNTIME_ENV, RUNTIMES

HELP = "tag paragraphs of a JSONL file: labels and scores for all 30 leaves, as JSONL"
DESCRIPTION = """Tag risk paragraphs with taxonomy v1 leaves.

Input: JSON Lines, one paragraph per line, with "text" and optional "heading" and "id"
(the TAXONOMY.md format). Output: one line per paragraph with "id", "labels" (leaves at or
above their tuned thresholds) and "scores" (calibrated probability of every leaf).

  risklens predict paragraphs.jsonl --out predictions.jsonl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="IN.jsonl", help="paragraphs to tag")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--out", type=Path, default=None, help="write predictions here (default: stdout)")
    parser.add_argument("--batch-size", type=int, default=32, help="encoder windows per batch (default 32)")
    parser.add_argument("--no-headings", action="store_true", help="ignore headings (text-only mode)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="how the encoder runs (default: bf16 where the CPU supports it, else fp32)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    add_runtime_argument(parser)


def add_runtime_argument(parser: argparse.ArgumentParser) -> None:
    """``--runtime``: what runs the encoder (predict, score and serve share it)."""
    parser.add_argument("--runtime", choices=RUNTIMES, default=None,
                        help=f"what runs the encoder: torch, ONNX Runtime (onnx: fp32, exported and cached on "
                             f"first use; needs risklens[onnx]) or OpenVINO (openvino: that export compiled, bf16 "
                             f"where the CPU has it; needs risklens[openvino]) (default: ${RUNTIME_ENV}, else torch)")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import load_chosen_model
    from risklens.model.files import read_paragraphs, write_predictions
    from risklens.model.runtimes import chosen_runtime

    if args.batch_size < 1:
        print(f"risklens predict: --batch-size must be >= 1, got {args.batch_size}.", file=sys.stderr)
        return 2
    try:
        paragraphs = read_paragraphs(args.input)
        classifier = load_chosen_model("predict", args.model, precision=args.precision, num_threads=args.threads,
                                       runtime=chosen_runtime(args.runtime))
    except (FileNotFoundError, ValueError) as exc:
        print(f"risklens predict: {exc}", file=sys.stderr)
        return 2
    if not paragraphs:
        print(f"risklens predict: {args.input} holds no paragraphs (empty or blank lines only); nothing to tag.",
              file=sys.stderr)
    if args.out is None:
        write_predictions(classifier, paragraphs, sys.stdout, batch_size=args.batch_size,
                          use_headings=not args.no_headings)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with ProgressBar("predict", unit="window", leave=True) as bar, args.out.open("w", encoding="utf-8") as handle:
        count = write_predictions(classifier, paragraphs, handle, batch_size=args.batch_size,
                                  use_headings=not args.no_headings, progress=bar)
    print(f"risklens predict: {count} paragraphs -> {args.out}", file=sys.stderr)
    return 0
