"""``risklens benchmark corpus``: flags, the report files and the printed table.

The measuring is ``risklens.corpus.benchmark.corpus_benchmark``; this module only parses,
writes ``--out``.json/.md and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--filings", type=int, default=10_000, help="synthetic filings (default 10,000)")
    parser.add_argument("--paragraphs-per-filing", type=int, default=100, help="paragraph rows per filing (default 100)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query (default 20)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the synthetic database goes (default: a temp dir)")
    parser.add_argument("--build", nargs="+", default=None, metavar="PATH",
                        help="also time a real `corpus build` of these paths (shipped model)")
    parser.add_argument("--engines", nargs="+", choices=("local", "ray"), default=["local"],
                        help="engines --build times, one after the other (default local)")
    parser.add_argument("--build-summary", type=Path, default=None, metavar="FILE.json",
                        help="numbers of an earlier build: scored, paragraphs, seconds, peak_rss_mb")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark-corpus"),
                        help="report path without extension (default reports/benchmark-corpus)")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.report_files import write_report
    from risklens.corpus.benchmark import corpus_benchmark, to_markdown

    report = corpus_benchmark(
        args.filings, args.paragraphs_per_filing, args.repeat, args.work_dir,
        build_paths=args.build, engines=tuple(args.engines), build_summary=args.build_summary,
    )
    write_report("corpus", args.out, report, to_markdown(report))
    return 0
