"""``risklens labels``: taxonomy, validation, statistics, dataset build, silver, Label Studio."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from risklens.labels import workflow

HELP = "label data: taxonomy, validate, stats, build the dataset, silver labels, Label Studio"

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "labels" / "data"


def _common(parser: argparse.ArgumentParser, *, corpus: bool = True) -> None:
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="annotation folder (default: labels/data)")
    if corpus:
        parser.add_argument(
            "--corpus", type=Path, default=Path("../shared"),
            help="corpus root holding seeds/ and corpus/ (default: ../shared)",
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="labels_command", metavar="ACTION", required=True)

    sub.add_parser("taxonomy", help="list the 30 leaves of taxonomy v1").add_argument(
        "--format", choices=("table", "json"), default="table"
    )

    validate = sub.add_parser("validate", help="check every record, resolve its text, check the splits")
    _common(validate)

    stats = sub.add_parser("stats", help="counts per kind, split and label")
    _common(stats, corpus=False)
    stats.add_argument("--format", choices=("table", "json"), default="table")

    build = sub.add_parser("build", help="build a datasets.DatasetDict (+ JSONL per split) for training")
    _common(build)
    build.add_argument("--out", type=Path, required=True, help="output folder")
    build.add_argument("--no-silver", action="store_true", help="leave silver rows out of train")

    silver = sub.add_parser("silver", help="harvest risk paragraphs and label them with the heading rules")
    _common(silver)
    silver.add_argument("--out", type=Path, default=None, help="silver JSONL (default: DATA/silver.jsonl)")
    silver.add_argument("--report", type=Path, default=None, help="write coverage and precision/recall vs gold (Markdown)")

    agree = sub.add_parser("agreement", help="inter-annotator agreement on the double-annotated set")
    _common(agree, corpus=False)
    agree.add_argument(
        "--second", type=Path, default=None,
        help="second annotation, relative to --data (default: agreement/second.jsonl)",
    )
    agree.add_argument("--split", choices=("train", "dev", "test"), default=None, help="only this split's gold records")

    export = sub.add_parser("export-ls", help="export records as Label Studio tasks")
    _common(export)
    export.add_argument("--out", type=Path, required=True, help="Label Studio tasks JSON")
    export.add_argument("--split", choices=("train", "dev", "test"), default=None)
    export.add_argument("--kind", choices=("gold", "silver", "synthetic"), default="gold")

    imp = sub.add_parser("import-ls", help="import a Label Studio JSON export as gold stand-off records")
    _common(imp)
    imp.add_argument("file", type=Path, help="Label Studio JSON export")
    imp.add_argument("--out", type=Path, required=True, help="annotation JSONL to write")
    imp.add_argument("--split", choices=("train", "dev", "test"), default="train")

    try:  # the label store (issue 7) adds `labels add` and `labels queue`
        labels_store = importlib.import_module("risklens.commands.labels_store")
    except ModuleNotFoundError as exc:
        if exc.name != "risklens.commands.labels_store":
            raise
    else:
        labels_store.register(sub)


def run(args: argparse.Namespace) -> int:
    action = args.labels_command
    if hasattr(args, "_labels_run"):
        return int(args._labels_run(args))
    try:
        if action == "taxonomy":
            return workflow.print_taxonomy(args.format)
        if action == "validate":
            return workflow.validate(args.data, args.corpus)
        if action == "stats":
            return workflow.stats(args.data, args.format)
        if action == "build":
            return workflow.build(args.data, args.corpus, args.out, include_silver=not args.no_silver)
        if action == "silver":
            return workflow.silver(args.data, args.corpus, args.out or args.data / "silver.jsonl", args.report)
        if action == "agreement":
            print(json.dumps(workflow.agreement_report(args.data, args.second, args.split), ensure_ascii=False, indent=1))
            return 0
        if action == "export-ls":
            return workflow.export_label_studio(args.data, args.corpus, args.out, args.split, args.kind)
        if action == "import-ls":
            return workflow.import_label_studio(args.file, args.corpus, args.out, args.split)
    except workflow.UserError as exc:
        print(f"risklens labels {action}: {exc}", file=sys.stderr)
        return 1
    raise AssertionError(f"unhandled labels action {action}")
