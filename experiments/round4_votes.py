"""Label round 4's second and third votes: blind re-annotation, disputes, then adjudication.

    python experiments/round4_votes.py blind --work /tmp/round4     # append agreement/train-blind.jsonl,
                                                                   # write third.jsonl (the disputed items)
    python experiments/round4_votes.py third --work /tmp/round4     # append agreement/train-third.jsonl
    (round 5: the same steps with --round 5 on its work folder)
    python experiments/adjudicate_split.py --split train \\
        --second labels/data/agreement/train-blind.jsonl --third labels/data/agreement/train-third.jsonl

Every round-4 gold record (``g-r4k…``) gets a blind second annotation anchored like its gold
record (``ann-blind-r4-NN``, one annotator per batch, who never saw the first labels); the
records whose two label sets differ are written to ``third.jsonl`` for a third annotator
(``ann-third-r4``), and ``adjudicate_split.py`` settles them by per-leaf majority, as for the
earlier rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from risklens.labels.annotations import Annotation, read_annotations, write_annotations

AGREEMENT = Path(__file__).resolve().parents[1] / "labels" / "data" / "agreement"
GOLD = AGREEMENT.parent / "gold.jsonl"


def _labels(path: Path) -> dict[str, list[str]]:
    return {row["key"]: row["labels"] for row in map(json.loads, path.open(encoding="utf-8")) if row}


def _vote(gold: Annotation, labels: list[str], annotator: str) -> Annotation:
    return dataclasses.replace(gold, labels=tuple(labels), annotator=annotator,
                               extra={k: v for k, v in gold.extra.items() if k == "page"})


def _append(path: Path, records: list[Annotation]) -> None:
    kept = [r for r in read_annotations(path) if r.id not in {n.id for n in records}]
    write_annotations(path, kept + records)


def blind(work: Path, round_: int) -> None:
    gold = {r.id: r for r in read_annotations(GOLD) if r.id.startswith(f"g-r{round_}k")}
    votes, disputed = [], []
    texts = {row["key"]: row for batch in sorted(work.glob(f"batch_{round_}?.jsonl"))
             for row in map(json.loads, batch.open(encoding="utf-8"))}
    for path in sorted(work.glob(f"blind_{round_}?.labels.jsonl")):
        batch = path.name[6:8]
        for key, labels in _labels(path).items():
            record = gold[f"g-{key}"]
            votes.append(_vote(record, labels, f"ann-blind-r{round_}-{batch}"))
            if set(labels) != set(record.labels):
                disputed.append({"key": key, "heading": texts[key]["heading"], "text": texts[key]["text"]})
    missing = set(gold) - {v.id for v in votes}
    if missing:
        raise SystemExit(f"{len(missing)} round-{round_} records have no blind vote, e.g. {sorted(missing)[:3]}")
    _append(AGREEMENT / "train-blind.jsonl", votes)
    with (work / "third.jsonl").open("w", encoding="utf-8") as handle:
        for item in disputed:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{len(votes)} blind votes; {len(disputed)} disputed -> {work / 'third.jsonl'}")


def third(work: Path, round_: int) -> None:
    gold = {r.id: r for r in read_annotations(GOLD) if r.id.startswith(f"g-r{round_}k")}
    votes = [_vote(gold[f"g-{key}"], labels, f"ann-third-r{round_}") for key, labels in _labels(work / "third.labels.jsonl").items()]
    _append(AGREEMENT / "train-third.jsonl", votes)
    print(f"{len(votes)} third votes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("blind", "third"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--round", type=int, default=4, help="the label round (5: the session of 2026-12-06)")
    args = parser.parse_args()
    (blind if args.step == "blind" else third)(args.work, args.round)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
