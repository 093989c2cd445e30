"""Turn finished annotation batches into the committed stand-off label files.

    python experiments/merge_label_batches.py --work /tmp/labelling --data labels/data
    python experiments/merge_label_batches.py --work /tmp/labelling3 --data labels/data --append


Reads ``refs.jsonl`` (the stand-off address of every sampled paragraph), the annotators'
``batch_NN.labels.jsonl`` files, the second annotation ``double.labels.jsonl`` and the
project-written ``synthetic.jsonl``; writes ``gold.jsonl``, ``agreement/second.jsonl`` and
``synthetic.jsonl`` under ``--data``. Corpus-backed records carry no text. With
``--append`` (a later labelling round in its own work folder) the committed gold records
are kept and this round's are added; the agreement and synthetic files are rewritten only
when the work folder has them.
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path
from typing import Any

from risklens.labels.annotations import Annotation, read_annotations, text_hash, write_annotations
from risklens.labels.sources import resolve_source

REF_KEYS = ("doc", "doc_hash", "start", "end", "text_hash", "heading", "section", "split")


def reanchor(ref: dict[str, Any], original: str, corpus: Path) -> dict[str, Any] | None:
    """Point ``ref`` at ``original`` in the document as ``filings`` normalises it today.

    Labels were given to the text the annotator read; when the ingestion has changed since,
    find that text again (exactly, nearest the old offset; else the most similar paragraph
    of the document at >= 0.85 similarity). None when it is gone.
    """
    if "#" in ref["doc"]:
        return ref
    source = resolve_source(corpus, ref["doc"])
    text = source.text
    if text_hash(text[ref["start"] : ref["end"]]) == ref["text_hash"]:
        return {**ref, "doc_hash": source.file_hash}
    hits = [i for i in range(len(text)) if text.startswith(original, i)] if original in text else []
    if hits:
        start = min(hits, key=lambda i: abs(i - ref["start"]))
        return {**ref, "doc_hash": source.file_hash, "start": start, "end": start + len(original), "text_hash": text_hash(original)}
    from risklens.filings import all_paragraphs, load_document

    best, best_ratio = None, 0.0
    for paragraph in all_paragraphs(load_document(corpus / ref["doc"])):
        if abs(paragraph.start - ref["start"]) > 20000:
            continue
        ratio = difflib.SequenceMatcher(None, original, paragraph.text, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = paragraph, ratio
    if best is None or best_ratio < 0.85:
        return None
    return {**ref, "doc_hash": source.file_hash, "start": best.start, "end": best.end, "text_hash": text_hash(best.text)}


def _gold(ref: dict[str, Any], labels: list[str], annotator: str, key: str) -> Annotation:
    record = {k: ref[k] for k in REF_KEYS}
    record.update({"id": f"g-{key}", "labels": labels, "annotator": annotator, "kind": "gold"})
    for extra in ("company", "prospectus", "page"):
        if extra in ref:
            record[extra] = ref[extra]
    return Annotation.from_json(record, where=f"batch item {key}")


def annotator_of(batch: int) -> str:
    """Round 1 (batches 00-12): four annotators, three batches each; rounds 2 (20+), 3 (30+), 4 (40+) and 5 (50+): one per batch."""
    if batch < 20:
        return f"ann-{batch // 3 + 1}"
    return f"ann-r{batch // 10}-{batch}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=Path("../shared"))
    parser.add_argument("--append", action="store_true", help="keep the committed gold records, add this round's")
    args = parser.parse_args()
    originals = {
        item["key"]: item["text"]
        for path in sorted(args.work.glob("batch_*.jsonl")) if not path.name.endswith(".labels.jsonl")
        for item in map(json.loads, path.open(encoding="utf-8"))
    }
    refs: dict[str, dict[str, Any]] = {}
    lost: list[str] = []
    for raw in map(json.loads, (args.work / "refs.jsonl").open(encoding="utf-8")):
        moved = reanchor(raw, originals[raw["key"]], args.corpus)
        if moved is None:
            lost.append(raw["key"])
        else:
            refs[raw["key"]] = moved
    if lost:
        print(f"{len(lost)} paragraphs no longer found in the corpus as ingested today: {', '.join(lost)}")
    gold: list[Annotation] = []
    for path in sorted(args.work.glob("batch_*.labels.jsonl")):
        annotator = annotator_of(int(path.name[6:8]))
        for line in path.open(encoding="utf-8"):
            if line.strip():
                item = json.loads(line)
                if item["key"] not in refs:
                    continue
                gold.append(_gold(refs[item["key"]], item["labels"], annotator, item["key"]))
    if args.append:
        new_ids = {r.id for r in gold}
        gold += [r for r in read_annotations(args.data / "gold.jsonl") if r.id not in new_ids]
    gold.sort(key=lambda r: r.id)
    write_annotations(args.data / "gold.jsonl", gold)
    second_path = args.work / "double.labels.jsonl"
    if second_path.exists():
        second = [
            _gold(refs[item["key"]], item["labels"], "ann-second", item["key"])
            for item in map(json.loads, second_path.open(encoding="utf-8"))
            if item["key"] in refs
        ]
        write_annotations(args.data / "agreement" / "second.jsonl", second)
    if not (args.work / "synthetic.jsonl").exists():
        print(f"gold={len(gold)} (synthetic.jsonl kept as it is)")
        return 0
    synthetic = [
        Annotation.from_json(
            {"id": item["id"], "doc": f"synthetic/{item['id']}", "text": item["text"], "heading": item["heading"],
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
