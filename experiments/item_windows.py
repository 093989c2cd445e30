"""What reading each item of a list of named risks does to a saved model's labels. An offline check.

    python experiments/item_windows.py --model model/default --data runs/data \
        --paragraphs runs/all_paras.jsonl --out runs/item-windows.json

``model.enumerations.list_items`` finds paragraphs that only list named risks ("一是…风险；二是…风险。");
with ``item_windows`` the classifier reads every item as a window of its own beside the paragraph.
For the model as saved and with the option flipped, this prints: dev and test micro/macro-F1 in
both input modes at the model's thresholds, and the largest probability change on paragraphs the
detector does not match (it must be ~0: only lists change); exact match and micro-F1 on the gold
paragraphs of every split that the detector matches; and, for ``--paragraphs`` (JSONL of
``risklens paragraphs`` over a corpus), every matched paragraph whose leaves change, for reading.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from risklens.labels.taxonomy import LABELS
from risklens.model.classifier import RiskClassifier
from risklens.model.enumerations import list_items
from risklens.model.inputs import Paragraph

MODES = ("heading", "text")


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def hot(labels: list[list[str]]) -> np.ndarray:
    return np.array([[leaf in row for leaf in LABELS] for row in labels], dtype=int)


def scored(classifier: RiskClassifier, rows: list[dict[str, object]], mode: str, items: bool) -> np.ndarray:
    """Probabilities with ``item_windows`` set to ``items`` (the model directory is not touched)."""
    classifier.meta = dataclasses.replace(classifier.meta, item_windows=items)
    paragraphs = [Paragraph(text=str(r["text"]), heading=str(r.get("heading") or "") if mode == "heading" else "")
                  for r in rows]
    return classifier.predict_proba(paragraphs, use_headings=mode == "heading")


def f1s(probs: np.ndarray, gold: np.ndarray, classifier: RiskClassifier) -> tuple[float, float, float]:
    """micro-F1, macro-F1 (leaves with a gold positive) and exact match at the model's thresholds."""
    predicted = hot(classifier.decide(probs))
    present = gold.sum(0) > 0
    return (float(f1_score(gold, predicted, average="micro", zero_division=0)),
            float(f1_score(gold[:, present], predicted[:, present], average="macro", zero_division=0)),
            float((predicted == gold).all(1).mean()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="folder with {train,dev,test}.jsonl from `risklens labels build`")
    parser.add_argument("--paragraphs", type=Path, help="JSONL of `risklens paragraphs` over a corpus")
    parser.add_argument("--out", type=Path, help="write the figures and the changed corpus paragraphs here as JSON")
    args = parser.parse_args()

    classifier = RiskClassifier.from_pretrained(args.model)
    saved = classifier.meta.item_windows
    report: dict[str, object] = {"model": str(args.model), "saved_item_windows": saved}
    print(f"{args.model}: item_windows {saved} as saved; precision {classifier.precision}")
    splits = {name: read_jsonl(args.data / f"{name}.jsonl") for name in ("train", "dev", "test")}
    for name in ("dev", "test"):
        rows = splits[name]
        matched = np.array([bool(list_items(str(r["text"]))) for r in rows])
        gold = hot([list(r["labels"]) for r in rows])  # type: ignore[call-overload]
        for mode in MODES:
            off, on = scored(classifier, rows, mode, False), scored(classifier, rows, mode, True)
            drift = float(np.abs(off[~matched] - on[~matched]).max()) if (~matched).any() else 0.0
            a, b = f1s(off, gold, classifier), f1s(on, gold, classifier)
            report[f"{name}/{mode}"] = {"matched": int(matched.sum()), "off": a, "on": b, "unmatched_max_change": drift}
            print(f"{name} {mode}: {matched.sum()} of {len(rows)} matched; micro/macro/exact off "
                  f"{a[0]:.4f}/{a[1]:.4f}/{a[2]:.4f}, on {b[0]:.4f}/{b[1]:.4f}/{b[2]:.4f}; "
                  f"largest change elsewhere {drift:.2e}")
    lists = [dict(r, split=name) for name, rows in splits.items() for r in rows if list_items(str(r["text"]))]
    if lists:
        gold = hot([list(r["labels"]) for r in lists])  # type: ignore[call-overload]
        for mode in MODES:
            off, on = scored(classifier, lists, mode, False), scored(classifier, lists, mode, True)
            a, b = f1s(off, gold, classifier), f1s(on, gold, classifier)
            report[f"gold-lists/{mode}"] = {"n": len(lists), "off": a, "on": b}
            print(f"gold lists {mode} ({len(lists)}): micro/exact off {a[0]:.3f}/{a[2]:.3f}, on {b[0]:.3f}/{b[2]:.3f}")
            for row, was, now in zip(lists, classifier.decide(off), classifier.decide(on), strict=True):
                print(f"   {row['split']} {row['id']}: gold {row['labels']} | off {was} | on {now} | {str(row['text'])[:60]}")
    if args.paragraphs:
        corpus = [r for r in read_jsonl(args.paragraphs) if list_items(str(r["text"]))]
        off, on = scored(classifier, corpus, "heading", False), scored(classifier, corpus, "heading", True)
        changed = []
        for row, was, now in zip(corpus, classifier.decide(off), classifier.decide(on), strict=True):
            if was != now:
                changed.append({"doc": row.get("doc"), "id": row.get("id"), "heading": row.get("heading"),
                                "text": row["text"], "off": was, "on": now})
        report["corpus"] = {"matched": len(corpus), "changed": changed}
        print(f"corpus: {len(corpus)} risk paragraphs are lists; leaves change on {len(changed)} (with headings):")
        for c in changed:
            print(f"   {c['off']} -> {c['on']} | {str(c['heading']).split(' / ')[-1][:20]} | {str(c['text'])[:80]}")
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
