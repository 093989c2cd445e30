"""``risklens score FILE…``: the risk profile of each filing, with evidence."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from risklens.commands.predict import add_runtime_argument
from risklens.commands.progress import ProgressBar
from risklens.commands.score_peers import add_peer_arguments, chosen_baseline, peer_options

HELP = "score filings: a 0-100 risk profile per leaf and group, with evidence paragraphs"
DESCRIPTION = """\
Ingest each filing (PDF, text, page-lines JSON, Markdown), classify every paragraph of its
risk-disclosure sections and roll the probabilities up into a risk profile: a score from
0 to 100 per leaf and group (formula in serving/README.md), the number of paragraphs at
or above threshold, and the top evidence paragraphs with heading path and page.

formats: table (top risks), json (everything; an array for several files),
         html (one self-contained report), md (Markdown report);
         several at once from one scoring pass: --format html,json,md --out-dir DIR
         writes DIR/<file stem>.<ext> for each filing and format

Every profile is also measured against its peers (filings of the same kind, from the
model's shipped peer_baseline.json or from --db FILE): per leaf the share of peers that
disclose it, their median score, a relative score (0-100 percentile among the peers) and
the flags unusual, expected_absent and emphasised."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="filings to score")
    parser.add_argument("--model", type=Path, default=None, metavar="DIR",
                        help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--format", type=formats, default=("table",), metavar="FMT[,FMT…]",
                        help="table, json, html or md; several, comma-separated, with --out-dir (default table)")
    parser.add_argument("--out", type=Path, default=None, metavar="PATH", help="write here instead of stdout")
    parser.add_argument("--out-dir", type=Path, default=None, metavar="DIR",
                        help="write each filing in each --format to DIR/<file stem>.<ext> (one scoring pass)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="risks shown by table and md (default 10)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="paragraph windows per encoder batch")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_runtime_argument(parser)
    add_peer_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import choose_model
    from risklens.corpus.baseline import describe_document
    from risklens.corpus.store import StoreError
    from risklens.model.classifier import RiskClassifier
    from risklens.model.runtimes import chosen_runtime
    from risklens.scoring.batch import score_files, write_output
    from risklens.scoring.peers import BaselineError, apply_peers

    if args.top < 1 or args.batch_size < 1:
        print("risklens score: --top and --batch-size must be at least 1.", file=sys.stderr)
        return 2
    problem = check_outputs(args)
    if problem:
        print(f"risklens score: {problem}", file=sys.stderr)
        return 2
    try:
        options = peer_options(args)
    except ValueError as exc:
        print(f"risklens score: {exc}", file=sys.stderr)
        return 2
    try:
        model_dir = choose_model("score", args.model).path
        baseline = chosen_baseline(args, model_dir)
        classifier = RiskClassifier.from_pretrained(model_dir, runtime=chosen_runtime(args.runtime))
    except (FileNotFoundError, ValueError, StoreError, BaselineError) as exc:
        print(f"risklens score: {exc}", file=sys.stderr)
        return 1
    result = score_files(args.files, classifier, batch_size=args.batch_size,
                         progress=None if args.no_progress else file_bar, describe=describe_document)
    for error in result.errors:
        print(f"risklens score: {error}", file=sys.stderr)
    profiles = [apply_peers(profile, baseline, options) for profile in result.profiles]
    for target, text in _outputs(profiles, args):
        try:
            write_output(text, target)
        except OSError as exc:
            print(f"risklens score: cannot write {target} ({exc.strerror or exc}); choose another --out or --out-dir.",
                  file=sys.stderr)
            return 1
        if target is not None:
            print(f"risklens score: wrote {target}", file=sys.stderr)
    return 1 if result.errors else 0


EXTENSIONS = {"table": "txt", "json": "json", "html": "html", "md": "md"}


def formats(value: str) -> tuple[str, ...]:
    """``--format``: one format, or several comma-separated ("html,json")."""
    from risklens.scoring.batch import PROFILE_FORMATS

    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    wrong = [fmt for fmt in chosen if fmt not in PROFILE_FORMATS]
    if not chosen or wrong:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected one or more of {', '.join(PROFILE_FORMATS)}, comma-separated (e.g. html,json)")
    return chosen


def check_outputs(args: argparse.Namespace) -> str | None:
    """Why ``--format``/``--out``/``--out-dir`` cannot go together, or None when they can."""
    if args.out is not None and args.out_dir is not None:
        return "give --out (one file) or --out-dir (a file per filing and format), not both."
    if len(args.format) > 1 and args.out_dir is None:
        return f"several formats ({','.join(args.format)}) need --out-dir DIR: one file each, from one scoring pass."
    return None


def _outputs(profiles: Sequence[Any], args: argparse.Namespace) -> Iterator[tuple[Path | None, str]]:
    """(where, text) of everything to write: one stream, or a file per filing and format."""
    from risklens.scoring.batch import render_profiles

    if not profiles:
        return
    if args.out_dir is None:
        yield args.out, render_profiles(profiles, args.format[0], args.top)
        return
    stems = unique_stems([Path(p.document.name).stem for p in profiles])
    for profile, stem in zip(profiles, stems, strict=True):
        for fmt in args.format:
            yield args.out_dir / f"{stem}.{EXTENSIONS[fmt]}", render_profiles([profile], fmt, args.top)


def unique_stems(stems: Sequence[str]) -> list[str]:
    """File stems made unique ("a", "a-2", …) so two filings never overwrite each other."""
    seen: dict[str, int] = {}
    out = []
    for stem in stems:
        seen[stem] = seen.get(stem, 0) + 1
        out.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return out


def file_bar(name: str) -> ProgressBar:
    """The progress bar of one filing's encoder windows (``risklens compare`` draws it too)."""
    return ProgressBar(name[:30], unit="win")
