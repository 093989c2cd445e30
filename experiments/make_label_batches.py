"""Pick the gold-set candidates from the corpus and cut them into annotation batches.

This is how the committed gold set was sampled (kept for reproducibility; it writes only
outside the repository): harvest risk paragraphs through ``filings``, assign every filing
to one split, take a per-filing sample (all paragraphs of the CloudWalk seeds), add the
rare-topic paragraphs and non-risk passages, and write batches of paragraphs to label plus
the stand-off reference of each item.

    python experiments/make_label_batches.py --corpus ../shared --out /tmp/labelling
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from risklens.labels.annotations import text_hash
from risklens.labels.harvest import Harvested, harvest
from risklens.labels.sources import file_hash

PER_DOC = {"corpus/ipo-2024-2025": 34, "corpus/ipo-2007-2021": 13, "corpus/refinancing": 22, "corpus/annual-reports": 14}


def stable(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def choose_docs(by_doc: dict[str, list[Harvested]]) -> dict[str, str]:
    """Split filings: seeds/refinancing/annual reports train; 2024-25: 4 train, 1 dev, 1 test."""
    split: dict[str, str] = {}
    old = sorted((d for d in by_doc if d.startswith("corpus/ipo-2007-2021")), key=stable)
    new = sorted((d for d in by_doc if d.startswith("corpus/ipo-2024-2025")), key=stable)
    usable_old = [d for d in old if len(by_doc[d]) >= 8][:42]
    for i, doc in enumerate(usable_old):
        split[doc] = "test" if i < 14 else "dev" if i < 21 else "train"
    for i, doc in enumerate(new):
        split[doc] = "test" if i == 0 else "dev" if i == 1 else "train"
    for doc in by_doc:
        if doc.startswith(("seeds/", "corpus/refinancing", "corpus/annual-reports")):
            split[doc] = "train"
    return split


def sample(items: list[Harvested], n: int, rng: random.Random) -> list[Harvested]:
    """Spread the sample over the section: every k-th paragraph plus major-matter items."""
    if len(items) <= n:
        return items
    major = [p for p in items if p.section != "risk_factors"]
    risk = [p for p in items if p.section == "risk_factors"]
    take_major = min(len(major), max(2, n // 4))
    chosen = rng.sample(major, take_major) + rng.sample(risk, min(len(risk), n - take_major))
    return sorted(chosen, key=lambda p: p.start)


Item = dict[str, Any]  # "ref" (the stand-off address), "heading", "text", "section"; later "key"


def filing_items(by_doc: dict[str, list[Harvested]], split: dict[str, str], rng: random.Random) -> list[Item]:
    """The per-filing sample (every paragraph of the seeds), in document-name order."""
    items: list[Item] = []
    for doc, paragraphs in sorted(by_doc.items()):
        if doc not in split:
            continue
        prefix = doc.rsplit("/", 1)[0]
        chosen = paragraphs if doc.startswith("seeds/") else sample(paragraphs, PER_DOC.get(prefix, 12), rng)
        for p in chosen:
            items.append({"ref": {**p.ref(), "split": split[doc]}, "heading": p.heading, "text": p.text, "section": p.section})
    return items


def rare_items(corpus: Path) -> list[Item]:
    """Every rare-topic paragraph; companies are split 2 test, 1 dev, the rest train."""
    rare = corpus / "corpus/rare/paragraphs.jsonl"
    rare_digest = file_hash(rare)
    companies = sorted({json.loads(line)["company"] for line in rare.open(encoding="utf-8")}, key=stable)
    rare_split = {c: ("test" if i < 2 else "dev" if i < 3 else "train") for i, c in enumerate(companies)}
    items: list[Item] = []
    for number, line in enumerate(rare.open(encoding="utf-8"), start=1):
        row = json.loads(line)
        text = row["text"]
        items.append({"ref": {"doc": f"corpus/rare/paragraphs.jsonl#L{number}", "doc_hash": rare_digest, "start": 0,
                              "end": len(text), "text_hash": text_hash(text), "heading": row.get("heading", ""),
                              "section": "risk_factors", "company": row["company"], "split": rare_split[row["company"]]},
                      "heading": row.get("heading", ""), "text": text, "section": "rare"})
    return items


def passage_items(corpus: Path, rng: random.Random) -> list[Item]:
    """Non-risk passages: 70 drawn from train_set.tsv (train), 45 from dev_set.tsv (dev/test)."""
    csv.field_size_limit(sys.maxsize)
    items: list[Item] = []
    for name, count, split_name in (("train_set.tsv", 70, "train"), ("dev_set.tsv", 45, None)):
        path = corpus / "corpus/passages" / name
        digest = file_hash(path)
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline=""), delimiter="\t"))
        for row in rng.sample(rows, count):
            text = row["passage"]
            if len(text) > 1200:
                continue
            prospectus = row["name"]
            this_split = split_name or ("test" if stable(prospectus) % 3 else "dev")
            items.append({"ref": {"doc": f"corpus/passages/{name}#id={row['id']}", "doc_hash": digest, "start": 0,
                                  "end": len(text), "text_hash": text_hash(text), "heading": row["title"],
                                  "section": "other", "prospectus": prospectus, "split": this_split},
                          "heading": row["title"], "text": text, "section": "passage"})
    return items


def write_batches(items: list[Item], out: Path, batch: int, rng: random.Random) -> None:
    """refs.jsonl (key → address), batch_NN.jsonl to label, and double.jsonl (100 for a second annotator)."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "refs.jsonl").open("w", encoding="utf-8") as refs:
        for i, item in enumerate(items):
            item["key"] = f"k{i:04d}"
            refs.write(json.dumps({"key": item["key"], **item["ref"]}, ensure_ascii=False) + "\n")
    for b in range(0, len(items), batch):
        with (out / f"batch_{b // batch:02d}.jsonl").open("w", encoding="utf-8") as handle:
            for item in items[b : b + batch]:
                handle.write(json.dumps(_to_label(item), ensure_ascii=False) + "\n")
    double = rng.sample(items, 100)
    with (out / "double.jsonl").open("w", encoding="utf-8") as handle:
        for item in sorted(double, key=lambda it: str(it["key"])):
            handle.write(json.dumps(_to_label(item), ensure_ascii=False) + "\n")


def _to_label(item: Item) -> Item:
    return {"key": item["key"], "heading": item["heading"], "text": item["text"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared"), help="corpus root (default ../shared)")
    parser.add_argument("--out", type=Path, required=True, help="work folder for the batches (outside the repository)")
    parser.add_argument("--batch", type=int, default=115, help="paragraphs per batch (default 115)")
    args = parser.parse_args()
    rng = random.Random(20261122)
    by_doc: dict[str, list[Harvested]] = defaultdict(list)
    for paragraph in harvest(args.corpus, on_error=lambda p, e: print(f"skip {p.name}: {e}", file=sys.stderr)):
        by_doc[paragraph.doc].append(paragraph)
    split = choose_docs(by_doc)
    # The order of the rng calls below is what reproduces the committed gold set.
    items = filing_items(by_doc, split, rng) + rare_items(args.corpus) + passage_items(args.corpus, rng)
    rng.shuffle(items)
    write_batches(items, args.out, args.batch, rng)
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[str(item["ref"]["split"])] += 1
    print(f"{len(items)} items from {len(split)} filings + rare + passages; by split: {dict(counts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
