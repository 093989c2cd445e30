"""Turn finished annotation batches into the committed stand-off label files.

    python scripts/merge_label_batches.py --work /tmp/labelling --data labels/data

Reads ``refs.jsonl`` (the stand-off address of every sampled paragraph), the annotators'
``batch_NN.labels.jsonl`` files, the second annotation ``double.labels.jsonl`` and the
project-written ``synthetic.jsonl``; writes ``gold.jsonl``, ``agreement/second.jsonl`` and
``synthetic.jsonl`` under ``--data``. Corpus-backed records carry no text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from labels.annotations import Annotation, write_annotations

REF_KEYS = ("doc", "doc_hash", "start", "end", "text_hash", "heading", "section", "split")


def _gold(ref: dict[str, Any], labels: list[str], annotator: str, key: str) -> Annotation:
    record = {k: ref[k] for k in REF_KEYS}
    record.update({"id": f"g-{key}", "labels": labels, "annotator": annotator, "kind": "gold"})
    for extra in ("company", "prospectus", "page"):
        if extra in ref:
            record[extra] = ref[extra]
    return Annotation.from_json(record, where=f"batch item {key}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    refs = {r["key"]: r for r in map(json.loads, (args.work / "refs.jsonl").open(encoding="utf-8"))}
    gold: list[Annotation] = []
    for path in sorted(args.work.glob("batch_*.labels.jsonl")):
        annotator = f"ann-{int(path.name[6:8]) // 3 + 1}"
        for line in path.open(encoding="utf-8"):
            if line.strip():
                item = json.loads(line)
                gold.append(_gold(refs[item["key"]], item["labels"], annotator, item["key"]))
    gold.sort(key=lambda r: r.id)
    write_annotations(args.data / "gold.jsonl", gold)
    second_path = args.work / "double.labels.jsonl"
    if second_path.exists():
        second = [
            _gold(refs[item["key"]], item["labels"], "ann-second", item["key"])
            for item in map(json.loads, second_path.open(encoding="utf-8"))
        ]
        write_annotations(args.data / "agreement" / "second.jsonl", second)
    synthetic = [
        Annotation.from_json(
            {"id": item["id"], "doc": "synthetic", "text": item["text"], "heading": item["heading"],
             "labels": item["labels"], "split": item["split"], "kind": "synthetic", "annotator": "risklens-writers"},
            where=f"synthetic {item['id']}",
        )
        for item in map(json.loads, (args.work / "synthetic.jsonl").open(encoding="utf-8"))
    ]
    write_annotations(args.data / "synthetic.jsonl", synthetic)
    print(f"gold={len(gold)} synthetic={len(synthetic)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
