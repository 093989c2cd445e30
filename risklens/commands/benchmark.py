"""``risklens benchmark``: speed measurements that write reports (never timed tests).

Each target has its own command module, imported when the parser is built:
``ingest`` → ``risklens.commands.benchmark_ingest`` (measuring in ``risklens.filings.benchmark``),
``predict`` → ``risklens.commands.benchmark_predict`` (measuring in ``risklens.model.benchmark``),
``serve`` → its load test. Each module exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib

HELP = "measure speed and memory (ingestion, prediction, the HTTP server) and write a report"

TARGETS: dict[str, tuple[str, str]] = {
    "ingest": ("risklens.commands.benchmark_ingest", "PDFs and page-lines files to paragraphs: pages/s, peak memory"),
    "predict": ("risklens.commands.benchmark_predict", "paragraphs/s of predict vs a plain transformers pipeline"),
    "serve": ("risklens.commands.benchmark_serve", "load test of a real `risklens serve` on loopback"),
    "corpus": ("risklens.commands.benchmark_corpus", "corpus store at 10,000 filings / 1M paragraphs: query p50/p95, size; build throughput"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, (module_name, help_text) in TARGETS.items():
        target = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(target)
        target.set_defaults(_bench=module.run)


def run(args: argparse.Namespace) -> int:
    return int(args._bench(args))
