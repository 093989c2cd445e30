"""Issue #22, label round 4: the batches to label and the pool for a fresh near-miss eval part.

- Gold round 4: every unlabelled risk paragraph of the train documents that are not
  near-miss eval documents (the paragraphs ``risklens distill transfer`` would give soft
  labels), cut into batches ``batch_40.jsonl``… for annotators; ``refs.jsonl`` holds their
  stand-off addresses (split ``train``). ``merge_label_batches.py --append`` merges them.
- Near-miss pool: every risk paragraph of the filings no gold record comes from (annual
  reports, MD&A chapters, truncated PDFs), in ``nm_pool.jsonl`` with its address. These
  documents are never read by training, so near-miss paragraphs taken from them are a
  measurement on unseen filings.

    python experiments/round4_batches.py --data runs/data/dataset --corpus ../shared --out /tmp/round4

Round 5 (session of 2026-12-06) used the same cut over ``--scope corpus``: the unlabelled risk
paragraphs of every filing no evaluation reads (mostly annual reports and MD&A chapters,
the genre the near-miss eval's non-risk statements come from and no gold record did):

    python experiments/round4_batches.py --data runs/data/dataset --scope corpus --round 5 \
        --batches 4 --no-pool --out /tmp/round5
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from risklens.filings.errors import FilingError
from risklens.labels.annotations import read_annotations
from risklens.labels.harvest import harvest_file
from risklens.labels.nearmiss import read_near_miss
from risklens.training.data import load_dataset_dir
from risklens.training.transfer import SCOPES, corpus_filings, unlabelled_paragraphs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="DatasetDict of `risklens labels build`")
    parser.add_argument("--labels", type=Path, default=Path("labels/data"))
    parser.add_argument("--corpus", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--scope", choices=SCOPES, default="train", help="as `risklens distill transfer --scope`")
    parser.add_argument("--round", type=int, default=4, help="keys r<round>k0000…, batches batch_<round>0…")
    parser.add_argument("--no-pool", action="store_true", help="skip the near-miss pool")
    args = parser.parse_args()
    splits = load_dataset_dir(args.data)
    eval_docs = {r.doc for r in read_near_miss(args.labels / "near_miss/near_miss.jsonl") if r.extra["part"] == "eval"}
    paragraphs, _, _, _ = unlabelled_paragraphs(args.corpus, splits, eval_docs, scope=args.scope)
    random.Random(20261205).shuffle(paragraphs)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "refs.jsonl").open("w", encoding="utf-8") as refs:
        for i, p in enumerate(paragraphs):
            refs.write(json.dumps({"key": f"r{args.round}k{i:04d}", **p.ref(), "split": "train"}, ensure_ascii=False) + "\n")
    size = -(-len(paragraphs) // args.batches)
    for b in range(args.batches):
        with (args.out / f"batch_{10 * args.round + b:02d}.jsonl").open("w", encoding="utf-8") as handle:
            for i in range(b * size, min(len(paragraphs), (b + 1) * size)):
                p = paragraphs[i]
                handle.write(json.dumps({"key": f"r{args.round}k{i:04d}", "heading": p.heading, "text": p.text},
                                        ensure_ascii=False) + "\n")
    if args.no_pool:
        print(f"round {args.round}: {len(paragraphs)} paragraphs in {args.batches} batches")
        return 0
    gold_docs = {r.doc.partition("#")[0] for r in read_annotations(args.labels / "gold.jsonl")}
    pool = 0
    with (args.out / "nm_pool.jsonl").open("w", encoding="utf-8") as handle:
        for path in corpus_filings(args.corpus):
            rel = path.relative_to(args.corpus).as_posix()
            if rel in gold_docs:
                continue
            try:
                found = harvest_file(path, args.corpus)
            except FilingError as exc:  # report and go on, as the corpus build does
                print(f"skip {rel}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
                continue
            for p in found:
                handle.write(json.dumps({"key": f"nm{pool:04d}", **p.ref(), "text": p.text}, ensure_ascii=False) + "\n")
                pool += 1
    print(f"round 4: {len(paragraphs)} paragraphs in {args.batches} batches; near-miss pool: {pool} paragraphs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
