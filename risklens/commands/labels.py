"""``risklens labels``: taxonomy, validation, statistics, dataset build, silver, Label Studio.

Each action is a small ``_action(args) -> int`` here that calls a plain function of
``risklens.labels.workflow`` and prints what it returns; ``add`` and ``queue`` (the label
store) live in ``risklens/commands/labels_store.py``. Every subparser sets ``_labels_run``,
which ``run`` calls; a ``workflow.UserError`` becomes one stderr line and exit code 1.
``check`` (the label store's health) lives in ``risklens/commands/labels_check.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from risklens.commands import labels_check, labels_store
from risklens.labels import workflow
from risklens.labels.taxonomy import LABELS, LEAVES, TAXONOMY_VERSION

HELP = "label data: taxonomy, validate, stats, build the dataset, silver labels, Label Studio, the label store"

# The annotations shipped inside the package (risklens/labels/data, also in a wheel).
DEFAULT_DATA = Path(__file__).resolve().parents[1] / "labels" / "data"


def _common(parser: argparse.ArgumentParser, *, corpus: bool = True) -> None:
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="annotation folder (default: labels/data)")
    if corpus:
        parser.add_argument(
            "--corpus", type=Path, default=Path("../shared"),
            help="corpus root holding seeds/ and corpus/ (default: ../shared)",
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="labels_command", metavar="ACTION", required=True)

    taxonomy = sub.add_parser("taxonomy", help="list the 30 leaves of taxonomy v1")
    taxonomy.add_argument("--format", choices=("table", "json"), default="table")
    taxonomy.set_defaults(_labels_run=_taxonomy)

    validate = sub.add_parser("validate", help="check every record, resolve its text, check the splits")
    _common(validate)
    validate.set_defaults(_labels_run=_validate)

    stats = sub.add_parser("stats", help="counts per kind, split and label")
    _common(stats, corpus=False)
    stats.add_argument("--format", choices=("table", "json"), default="table")
    stats.set_defaults(_labels_run=_stats)

    build = sub.add_parser("build", help="build a datasets.DatasetDict (+ JSONL per split) for training")
    _common(build)
    build.add_argument("--out", type=Path, required=True, help="output folder")
    build.add_argument("--no-silver", action="store_true", help="leave silver rows out of train")
    build.set_defaults(_labels_run=_build)

    silver = sub.add_parser("silver", help="harvest risk paragraphs and label them with the heading rules")
    _common(silver)
    silver.add_argument("--out", type=Path, default=None, help="silver JSONL (default: DATA/silver.jsonl)")
    silver.add_argument("--report", type=Path, default=None, help="write coverage and precision/recall vs gold (Markdown)")
    silver.set_defaults(_labels_run=_silver)

    agree = sub.add_parser("agreement", help="inter-annotator agreement on the double-annotated set")
    _common(agree, corpus=False)
    agree.add_argument(
        "--second", type=Path, default=None,
        help="second annotation, relative to --data (default: agreement/second.jsonl)",
    )
    agree.add_argument("--split", choices=("train", "dev", "test"), default=None, help="only this split's gold records")
    agree.set_defaults(_labels_run=_agreement)

    export = sub.add_parser("export-ls", help="export records as Label Studio tasks")
    _common(export)
    export.add_argument("--out", type=Path, required=True, help="Label Studio tasks JSON")
    export.add_argument("--split", choices=("train", "dev", "test"), default=None)
    export.add_argument("--kind", choices=("gold", "silver", "synthetic"), default="gold")
    export.set_defaults(_labels_run=_export_ls)

    imp = sub.add_parser("import-ls", help="import a Label Studio JSON export as gold stand-off records")
    _common(imp)
    imp.add_argument("file", type=Path, help="Label Studio JSON export")
    imp.add_argument("--out", type=Path, required=True, help="annotation JSONL to write")
    imp.add_argument("--split", choices=("train", "dev", "test"), default="train")
    imp.set_defaults(_labels_run=_import_ls)

    labels_store.register(sub)
    labels_check.register(sub)


def run(args: argparse.Namespace) -> int:
    try:
        return int(args._labels_run(args))
    except workflow.UserError as exc:
        print(f"risklens labels {args.labels_command}: {exc}", file=sys.stderr)
        return 1


def _taxonomy(args: argparse.Namespace) -> int:
    if args.format == "json":
        leaves = [leaf.__dict__ for leaf in LEAVES]
        print(json.dumps({"version": TAXONOMY_VERSION, "leaves": leaves}, ensure_ascii=False, indent=1))
        return 0
    print(f"{TAXONOMY_VERSION}: {len(LEAVES)} leaves")
    for leaf in LEAVES:
        print(f"{leaf.group:<14} {leaf.id:<34} {leaf.zh}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    kinds = workflow.validate(args.data, args.corpus)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    print(f"ok: {kinds.total()} records ({summary}) resolve against {args.corpus}; splits are by document.")
    return 0


def _stats(args: argparse.Namespace) -> int:
    result = workflow.stats(args.data)
    if args.format == "json":
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return 0
    print("records by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(result.by_kind.items())))
    for split, counts in sorted(result.by_split.items()):
        print(f"  {split:<5} " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) +
              f"  (gold documents: {result.docs_by_split.get(split, 0)})")
    print(f"gold paragraphs with no label ([]): {result.empty_gold}; gold documents: {result.gold_documents}")
    print(f"{'label':<34}{'gold':>6}{'train':>7}{'dev':>6}{'test':>6}{'synth':>7}{'silver':>8}")
    for label in LABELS:
        c = result.per_label[label]
        print(f"{label:<34}{c.get('gold', 0):>6}{c.get('gold_train', 0):>7}{c.get('gold_dev', 0):>6}"
              f"{c.get('gold_test', 0):>6}{c.get('synthetic', 0):>7}{c.get('silver', 0):>8}")
    return 0


def _build(args: argparse.Namespace) -> int:
    sizes = workflow.build(args.data, args.corpus, args.out, include_silver=not args.no_silver)
    listed = ", ".join(f"{split}={count}" for split, count in sizes.items())
    print(f"wrote {args.out}/dataset ({listed}) and {args.out}/{{train,dev,test}}.jsonl")
    return 0


def _silver(args: argparse.Namespace) -> int:
    out = args.out or args.data / "silver.jsonl"
    result = workflow.silver(args.data, args.corpus, out, args.report)
    lines = [
        f"silver: {result.harvested} risk-factor paragraphs harvested, {result.labelled} ({result.coverage:.1%}) "
        f"got at least one leaf from the heading rules; written to {out}",
        *[f"  {label:<34}{result.counts.get(label, 0):>6}" for label in LABELS],
    ]
    if result.failures:
        lines.append(f"{len(result.failures)} filings could not be read: " + "; ".join(result.failures))
    print("\n".join(lines))
    if args.report is not None:
        print(f"report: {args.report}")
    return 0


def _agreement(args: argparse.Namespace) -> int:
    report = workflow.agreement_report(args.data, args.second, args.split)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def _export_ls(args: argparse.Namespace) -> int:
    count = workflow.export_label_studio(args.data, args.corpus, args.out, args.split, args.kind)
    config = args.out.with_name(args.out.stem + ".config.xml")
    print(f"wrote {count} Label Studio tasks to {args.out} (config: {config})")
    return 0


def _import_ls(args: argparse.Namespace) -> int:
    from risklens.labels.annotations import AnnotationError

    try:
        count = workflow.import_label_studio(args.file, args.corpus, args.out, args.split)
    except AnnotationError as exc:  # a task whose data.ref is not a valid stand-off record
        raise workflow.UserError(str(exc)) from None
    print(f"imported {count} annotations from {args.file} into {args.out}", file=sys.stderr)
    return 0
