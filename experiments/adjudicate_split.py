"""Settle one split's disputed gold labels by a third, blind annotation (per-leaf majority).

    python experiments/adjudicate_split.py --split dev \
        --second labels/data/agreement/dev-blind.jsonl --third labels/data/agreement/dev-third.jsonl

For every gold record of ``--split`` whose labels differ from ``--second``, the third
annotation must exist; the record's labels become the per-leaf majority of the three
(``labels.agreement.majority``) and ``extra.adjudication`` keeps all three label lists and
who gave them, so the change is visible and reversible. Other records are written back
byte for byte, and so are records settled by an earlier run. Prints how many records changed.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from risklens.labels.agreement import majority
from risklens.labels.annotations import read_annotations, write_annotations

GOLD = Path(__file__).resolve().parents[1] / "labels" / "data" / "gold.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", required=True, choices=("train", "dev", "test"))
    parser.add_argument("--second", type=Path, required=True)
    parser.add_argument("--third", type=Path, required=True)
    parser.add_argument("--gold", type=Path, default=GOLD)
    args = parser.parse_args()
    second = {r.id: r for r in read_annotations(args.second)}
    third = {r.id: r for r in read_annotations(args.third)}
    records = read_annotations(args.gold)
    changed = disputed = 0
    out = []
    for record in records:
        other = second.get(record.id)
        settled = "adjudication" in record.extra  # a rerun must not overwrite the original votes
        if record.split != args.split or other is None or settled or set(other.labels) == set(record.labels):
            out.append(record)
            continue
        disputed += 1
        if record.id not in third:
            raise SystemExit(f"{args.third}: no third annotation for disputed record {record.id}; label it first.")
        tie = third[record.id]
        labels = tuple(majority([record.labels, other.labels, tie.labels]))
        adjudication = {
            "rule": "per-leaf majority of three independent annotations",
            "votes": {
                record.annotator: list(record.labels),
                other.annotator: list(other.labels),
                tie.annotator: list(tie.labels),
            },
        }
        changed += set(labels) != set(record.labels)
        out.append(dataclasses.replace(record, labels=labels, extra={**record.extra, "adjudication": adjudication}))
    write_annotations(args.gold, out)
    print(f"{args.split}: {disputed} disputed records, {changed} changed labels; wrote {args.gold}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
