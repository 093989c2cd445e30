"""``risklens compare OLD NEW``: risks added, removed and changed between two filings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from risklens.commands.score import file_bar

HELP = "compare two filings of one issuer: risks added, removed and materially changed"
DESCRIPTION = """\
Score both filings, align their risk paragraphs (heading and char n-gram TF-IDF similarity,
one-to-one Hungarian matching) and report the risks that were added, removed, or changed
(score moved by 15 points or more, or the evidence was rewritten), with the evidence
paragraphs of both filings side by side."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", type=Path, metavar="OLD", help="the earlier filing")
    parser.add_argument("new", type=Path, metavar="NEW", help="the later filing")
    parser.add_argument("--model", type=Path, default=None, metavar="DIR",
                        help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--format", choices=("table", "json", "html", "md"), default="table")
    parser.add_argument("--out", type=Path, default=None, metavar="PATH", help="write here instead of stdout")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="paragraph windows per encoder batch")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import load_chosen_model
    from risklens.corpus.baseline import describe_document
    from risklens.scoring.batch import render_comparison, score_files, write_output
    from risklens.scoring.compare import compare_filings

    try:
        classifier = load_chosen_model("compare", args.model)
    except (FileNotFoundError, ValueError) as exc:
        print(f"risklens compare: {exc}", file=sys.stderr)
        return 1
    result = score_files([args.old, args.new], classifier, batch_size=args.batch_size, progress=None if args.no_progress else file_bar,
                         describe=describe_document)
    if result.errors:
        for error in result.errors:
            print(f"risklens compare: {error}", file=sys.stderr)
        return 1
    old, new = result.scored
    try:
        write_output(render_comparison(compare_filings(old, new), args.format), args.out)
    except OSError as exc:
        print(f"risklens compare: cannot write {args.out} ({exc.strerror or exc}); choose another --out.", file=sys.stderr)
        return 1
    if args.out is not None:
        print(f"risklens compare: wrote {args.out}", file=sys.stderr)
    return 0
