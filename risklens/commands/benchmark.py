"""``risklens benchmark``: speed measurements that write reports (never timed tests).

Each target lives beside the code it measures and is imported only when asked for:
``ingest`` → ``filings.benchmark``, ``predict`` → ``model.benchmark``,
``serve`` → ``serving.benchmark``. Each module exposes ``add_arguments(parser)`` and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib

HELP = "measure speed and memory (ingestion, prediction, the HTTP server) and write a report"

TARGETS: dict[str, tuple[str, str]] = {
    "ingest": ("risklens.filings.benchmark", "PDFs and page-lines files to paragraphs: pages/s, peak memory"),
    "predict": ("risklens.model.benchmark", "paragraphs/s of predict vs a plain transformers pipeline"),
    "serve": ("risklens.serving.benchmark", "load test of a real `risklens serve` on loopback"),
    "corpus": ("risklens.corpus.benchmark", "corpus store at 10,000 filings / 1M paragraphs: query p50/p95, size; build throughput"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, (module_name, help_text) in TARGETS.items():
        target = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            target.set_defaults(_bench=None, _bench_name=name)
            continue
        module.add_arguments(target)
        target.set_defaults(_bench=module.run, _bench_name=name)


def run(args: argparse.Namespace) -> int:
    if args._bench is None:
        print(f"risklens benchmark {args._bench_name}: not available yet.")
        return 2
    return int(args._bench(args))
