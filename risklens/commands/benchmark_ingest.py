"""``risklens benchmark ingest``: time filings to paragraphs, write the JSON report, print a table.

The measuring is :func:`risklens.filings.benchmark.benchmark_ingest`; this module finds the
inputs (a PDF and a page-lines file built from the corpus unless given), writes the report
and prints the table. Exit code 0 when both targets are within budget, 1 when one is over
or a run failed, 2 when an input is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def default_shared() -> Path:
    """``$RISKLENS_SHARED`` or the ``shared`` folder beside the checkout."""
    return Path(os.environ.get("RISKLENS_SHARED", Path(__file__).resolve().parents[3] / "shared"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pdf", type=Path, help="PDF to time (default: the 195-page corpus annual report)")
    parser.add_argument("--page-lines", type=Path, help="page-lines file to time (default: built from the corpus)")
    parser.add_argument("--lines", type=int, default=90_000, help="lines in the built page-lines file")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per target (best and median reported)")
    parser.add_argument("--shared", type=Path, default=None, help="the shared folder (default: ../shared)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark-ingest.json"), help="JSON report path (default: reports/benchmark-ingest.json)")


def run(args: argparse.Namespace) -> int:
    from risklens.filings.benchmark import (
        DEFAULT_PDF,
        PAGE_LINES_DIR,
        IngestBenchmarkError,
        benchmark_ingest,
        build_page_lines,
        within_budget,
    )

    shared = args.shared or default_shared()
    pdf = args.pdf or shared / DEFAULT_PDF
    with tempfile.TemporaryDirectory() as tmp:
        page_lines = args.page_lines
        built = 0
        if page_lines is None:
            source = shared / PAGE_LINES_DIR
            if not source.is_dir():
                print(f"benchmark ingest: {source} not found; pass --page-lines or --shared", file=sys.stderr)
                return 2
            page_lines = Path(tmp) / f"page_lines_{args.lines}.txt"
            built = build_page_lines(source, args.lines, page_lines)
        if not pdf.is_file():
            print(f"benchmark ingest: PDF {pdf} not found; pass --pdf or --shared", file=sys.stderr)
            return 2
        try:
            results = benchmark_ingest(pdf, page_lines, repeat=args.repeat, lines=built)
        except IngestBenchmarkError as exc:
            print(f"benchmark ingest: {exc}", file=sys.stderr)
            return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(format_table(results))
    print(f"report written to {args.out}")
    return 0 if within_budget(results) else 1


def format_table(results: dict[str, Any]) -> str:
    """The terminal table of a ``benchmark_ingest`` report, with the load average line."""
    lines = [f"{'target':<11} {'pages':>6} {'best s':>7} {'median s':>9} {'cpu s':>6} {'pages/s':>8} {'peak MB':>8}  budget"]
    for name in ("pdf", "page_lines"):
        r = results[name]
        extra = f"  ({r['lines']} lines)" if name == "page_lines" else ""
        verdict = "ok" if r["within_budget"] else "OVER"
        lines.append(
            f"{name:<11} {r['pages']:>6} {r['seconds_best']:>7} {r['seconds_median']:>9} {r['cpu_seconds_best']:>6} "
            f"{r['pages_per_second']:>8} {r['peak_rss_mb']:>8}  {verdict} (≤ {r['budget_seconds']} s){extra}"
        )
    lines.append(f"load average (1 min) during the runs: {results['pdf']['load_average_1min']}, "
                 f"{results['page_lines']['load_average_1min']} on {os.cpu_count()} CPUs")
    return "\n".join(lines)
