"""Which near-miss "no leaf" paragraphs a reviewer would still see as a risk, given today's ingestion.

The near-miss set (`labels/data/near_miss/near_miss.jsonl`) froze each paragraph with the heading the
ingestion of its day gave it. Some negated and non-risk paragraphs were there only because a risk
block did not end (social-responsibility or R&D sections spilled into it); later ingestion fixes
end those blocks, so the paragraph never reaches a profile. This script reads every document of the
eval part again with today's `filings`, and for each paragraph of the negated / non-risk groups says:

- whether a risk-section paragraph of the document still covers it (same normalised offsets);
- if so, which leaves the model gives it under the heading it has today, and text only.

The issue's figure (no-leaf share over all 32, `risklens evaluate --near-miss`) is the classifier's
and stays the acceptance figure; this one is what the profile shows, and is reported beside it.

    python experiments/delivered_near_miss.py --model model/default --corpus ../shared
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from risklens.filings import ingest
from risklens.labels.nearmiss import EMPTY_GROUPS, load_near_miss
from risklens.model.classifier import RiskClassifier
from risklens.training.data import make_example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("model/default"))
    parser.add_argument("--near-miss", type=Path, default=Path("labels/data/near_miss/near_miss.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, help="write the per-paragraph rows here as JSON")
    args = parser.parse_args()

    items = [i for i in load_near_miss(args.near_miss, args.corpus, part="eval") if i.group in EMPTY_GROUPS]
    delivered: dict[str, tuple[str, str]] = {}  # id -> (heading today, section)
    for doc in sorted({i.annotation.doc for i in items}):
        _, paragraphs = ingest(args.corpus / doc)
        for item in (i for i in items if i.annotation.doc == doc):
            a = item.annotation
            cover = [p for p in paragraphs if p.start <= a.start and a.end <= p.end]
            if cover:
                delivered[a.id] = (cover[0].heading, cover[0].section)

    kept = [i for i in items if i.annotation.id in delivered]
    classifier = RiskClassifier.from_pretrained(args.model)
    rows: list[dict[str, Any]] = [{"id": i.annotation.id, "group": i.group, "doc": i.annotation.doc,
             "delivered": i.annotation.id in delivered} for i in items]
    leaves: dict[str, dict[str, list[str]]] = {i.annotation.id: {} for i in kept}
    for mode in ("heading", "text"):
        use = mode == "heading"
        examples = [make_example(id=i.annotation.id, text=i.text, heading=delivered[i.annotation.id][0],
                                 labels=(), doc=i.annotation.doc) for i in kept]
        probs = classifier.predict_proba([e.paragraph(use) for e in examples], use_headings=use)
        for item, decided in zip(kept, classifier.decide(probs), strict=True):
            leaves[item.annotation.id][mode] = decided
    for row in rows:
        row.update(leaves.get(row["id"], {}))

    print(f"negated + non-risk paragraphs of the eval part: {len(items)}")
    print(f"still inside a risk section today: {len(kept)} ({len(items) - len(kept)} left with the blocks that now end)")
    for mode in ("heading", "text"):
        flagged = [r for r in rows if r.get(mode)]
        print(f"{mode}: a leaf reaches the profile for {len(flagged)} of {len(items)} "
              f"(no leaf or not delivered: {1 - len(flagged) / len(items):.3f}); "
              f"no-leaf share among the delivered: {1 - len(flagged) / max(len(kept), 1):.3f}")
        for r in flagged:
            print(f"   {r['id']} {r['group']} {r['doc']}: {r[mode]}")
    if args.out:
        args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
