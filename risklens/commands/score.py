"""``risklens score FILE…``: the risk profile of each filing, with evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from risklens.commands.progress import ProgressBar
from risklens.commands.score_peers import add_peer_arguments, chosen_baseline, peer_options

HELP = "score filings: a 0-100 risk profile per leaf and group, with evidence paragraphs"
DESCRIPTION = """\
Ingest each filing (PDF, text, page-lines JSON, Markdown), classify every paragraph of its
risk-disclosure sections and roll the probabilities up into a risk profile: a score from
0 to 100 per leaf and group (formula in serving/README.md), the number of paragraphs at
or above threshold, and the top evidence paragraphs with heading path and page.

formats: table (top risks), json (everything; an array for several files),
         html (one self-contained report), md (Markdown report)

Every profile is also measured against its peers (filings of the same kind, from the
model's shipped peer_baseline.json or from --db FILE): per leaf the share of peers that
disclose it, their median score, a relative score (0-100 percentile among the peers) and
the flags unusual, expected_absent and emphasised."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="filings to score")
    parser.add_argument("--model", type=Path, default=None, metavar="DIR",
                        help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--format", choices=("table", "json", "html", "md"), default="table")
    parser.add_argument("--out", type=Path, default=None, metavar="PATH", help="write here instead of stdout")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="risks shown by table and md (default 10)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="paragraph windows per encoder batch")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_peer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import choose_model
    from risklens.corpus.baseline import describe_document
    from risklens.corpus.store import StoreError
    from risklens.model.classifier import RiskClassifier
    from risklens.scoring.batch import render_profiles, score_files, write_output
    from risklens.scoring.peers import BaselineError, apply_peers

    if args.top < 1 or args.batch_size < 1:
        print("risklens score: --top and --batch-size must be at least 1.", file=sys.stderr)
        return 2
    try:
        options = peer_options(args)
    except ValueError as exc:
        print(f"risklens score: {exc}", file=sys.stderr)
        return 2
    try:
        model_dir = choose_model("score", args.model).path
        baseline = chosen_baseline(args, model_dir)
        classifier = RiskClassifier.from_pretrained(model_dir)
    except (FileNotFoundError, ValueError, StoreError, BaselineError) as exc:
        print(f"risklens score: {exc}", file=sys.stderr)
        return 1
    result = score_files(args.files, classifier, batch_size=args.batch_size,
                         progress=None if args.no_progress else file_bar, describe=describe_document)
    for error in result.errors:
        print(f"risklens score: {error}", file=sys.stderr)
    profiles = [apply_peers(profile, baseline, options) for profile in result.profiles]
    if profiles:
        try:
            write_output(render_profiles(profiles, args.format, args.top), args.out)
        except OSError as exc:
            print(f"risklens score: cannot write {args.out} ({exc.strerror or exc}); choose another --out.", file=sys.stderr)
            return 1
        if args.out is not None:
            print(f"risklens score: wrote {args.out}", file=sys.stderr)
    return 1 if result.errors else 0


def file_bar(name: str) -> ProgressBar:
    """The progress bar of one filing's encoder windows (``risklens compare`` draws it too)."""
    return ProgressBar(name[:30], unit="win")
