"""Append project-written paragraphs to ``labels/data/synthetic.jsonl``.

    python experiments/add_synthetic.py --prefix syn2 --annotator risklens-writers-r2 writers/out_*.jsonl

Each input line is ``{"heading", "text", "labels"}`` (extra keys ignored). Records get ids
``PREFIX-<first leaf or empty>-NN``, ``kind: synthetic``, ``split: train`` (synthetic text
never enters test), and inline text — they are ours, not a filing's. Labels are checked
against the taxonomy; a text already in the file is skipped, so a rerun adds nothing.
New records go at the end: the committed ones stay byte for byte where they are.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from risklens.labels.annotations import Annotation, read_annotations, write_annotations

DATA = Path(__file__).resolve().parents[1] / "labels" / "data" / "synthetic.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--annotator", required=True)
    parser.add_argument("--split", choices=("train", "dev"), default="train")
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    records = read_annotations(args.out) if args.out.exists() else []
    seen_text = {r.text for r in records}
    counters: Counter[str] = Counter(r.id.rsplit("-", 1)[0] for r in records)
    added = 0
    for path in args.files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if item["text"] in seen_text:
                continue
            stem = f"{args.prefix}-{item['labels'][0] if item['labels'] else 'empty'}"
            counters[stem] += 1
            record = {
                "id": f"{stem}-{counters[stem]:02d}", "doc": f"synthetic/{stem}-{counters[stem]:02d}",
                "labels": sorted(set(item["labels"])), "split": args.split, "kind": "synthetic",
                "annotator": args.annotator, "heading": item.get("heading", ""), "text": item["text"],
            }
            records.append(Annotation.from_json(record, where=f"{path}:{number}"))
            seen_text.add(item["text"])
            added += 1
    write_annotations(args.out, records)
    print(f"added {added} synthetic records; {len(records)} in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
