"""``risklens labels check``: integrity, counts, duplicates and unknown labels of the label store.

The checking is ``risklens.labels.store_check.check_store`` (read-only); this module only
parses the flags and prints the report as a table or JSON. Exit code 1 when the report has
a problem (or there is no store), 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from risklens.labels.store import default_store_path
from risklens.labels.store_check import StoreCheckError, StoreReport, check_store


def register(sub: Any) -> None:
    """Add ``check`` to the ``risklens labels`` subparsers."""
    check = sub.add_parser(
        "check",
        help="check the label store: integrity, counts, duplicates, unknown labels",
        description=(
            "Open the label store read-only and report SQLite's integrity and foreign-key checks, "
            "the schema version, counts (by origin and annotator), paragraphs labelled alike twice "
            "by one annotator, identical batches and unknown labels. Exit code 1 when anything is wrong."
        ),
    )
    check.add_argument(
        "--store", type=Path, default=None,
        help="label store (SQLite; default: $RISKLENS_STORE, else labels.sqlite in $RISKLENS_HOME or the user data dir)",
    )
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.set_defaults(_labels_run=run_check)


def run_check(args: argparse.Namespace) -> int:
    store_path: Path = args.store or default_store_path()
    try:
        report = check_store(store_path)
    except StoreCheckError as exc:
        print(f"risklens labels check: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(table_lines(report)))
    return 0 if report.ok else 1


def table_lines(report: StoreReport) -> list[str]:
    """The report as the table ``risklens labels check`` prints."""
    version = "?" if report.schema_version is None else str(report.schema_version)
    lines = [f"label store {report.path}: schema version {version} (latest {report.to_json()['latest_schema_version']})"]
    counts = report.counts
    for key in ("paragraphs", "annotations", "batches", "idempotency_keys"):
        if key in counts:
            lines.append(f"  {key.replace('_', ' '):<18}{counts[key]:>8}")
    for key in ("by_origin", "by_annotator"):
        if counts.get(key):
            listed = ", ".join(f"{name} {count}" for name, count in counts[key].items())
            lines.append(f"  {key.replace('_', ' '):<18}{listed}")
    lines.extend(f"note: {note}" for note in report.notes)
    lines.extend(f"problem [{finding.check}]: {finding.message}" for finding in report.problems)
    lines.append("ok: no problem found" if report.ok else f"{len(report.problems)} problem(s) found")
    return lines
