"""Filing-level metric: does the model disclose the same set of risks per filing as the gold labels?

A reviewer reads a filing's risk profile, not single paragraphs: a leaf is *disclosed* by a
filing when at least one of its paragraphs has it (the rule of ``score --format json``).
Per filing, the predicted set is compared with the gold set; true positives, false positives
and misses are summed over filings (micro), giving precision, recall and F1 of disclosed
leaves — "8 wrong and 8 missed risks over 12 filings" in issue #22's words.

Only paragraphs of whole documents count (``doc`` without a ``#`` fragment): records that
address one line of a corpus dataset (``rare/paragraphs.jsonl#L12``, ``passages/…#id=…``)
are single paragraphs, not filings. A filing's sets are computed over the paragraphs that
have gold labels, so prediction and gold see the same paragraphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from risklens.training.data import Example


def filing_of(example: Example) -> str:
    """The filing a paragraph belongs to, or ``""`` when it is a single dataset record."""
    return "" if not example.doc or "#" in example.doc else example.doc


def filing_groups(examples: Sequence[Example]) -> list[str]:
    """Each example's filing, or its own id when it is a single dataset record: the groups
    that cross-fitting on dev holds out whole (``calibrate.fold_ids``)."""
    return [filing_of(example) or f"record:{example.id}" for example in examples]


def filing_level(examples: Sequence[Example], predicted: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Micro precision/recall/F1 of disclosed leaves over filings, and the sets per filing."""
    if len(examples) != len(predicted):
        raise ValueError(f"filing_level: {len(examples)} examples but {len(predicted)} predictions.")
    gold: dict[str, set[str]] = {}
    pred: dict[str, set[str]] = {}
    paragraphs: dict[str, int] = {}
    for example, labels in zip(examples, predicted, strict=True):
        filing = filing_of(example)
        if not filing:
            continue
        gold.setdefault(filing, set()).update(example.labels)
        pred.setdefault(filing, set()).update(labels)
        paragraphs[filing] = paragraphs.get(filing, 0) + 1
    tp = sum(len(gold[f] & pred[f]) for f in gold)
    fp = sum(len(pred[f] - gold[f]) for f in gold)
    fn = sum(len(gold[f] - pred[f]) for f in gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    filings = [
        {"filing": f, "paragraphs": paragraphs[f], "gold": sorted(gold[f]), "predicted": sorted(pred[f]),
         "wrong": sorted(pred[f] - gold[f]), "missed": sorted(gold[f] - pred[f])}
        for f in sorted(gold)
    ]
    return {"filings": len(gold), "paragraphs": sum(paragraphs.values()), "tp": tp, "fp": fp, "fn": fn,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "per_filing": filings}


def filing_level_lines(results: dict[str, dict[str, Any]], titles: dict[str, str]) -> list[str]:
    """Markdown: one row per input mode (``results``: mode -> ``filing_level`` output)."""
    if not results:
        return []
    first = next(iter(results.values()))
    lines = ["", "## Filing level", "",
             f"{first['filings']} filings ({first['paragraphs']} gold paragraphs); a leaf is disclosed when at least "
             "one of the filing's paragraphs has it; counts are summed over filings (micro).", "",
             "| mode | precision | recall | F1 | wrong / missed risks (TP) |", "|---|---|---|---|---|"]
    for mode, r in results.items():
        lines.append(f"| {titles.get(mode, mode)} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | "
                     f"{r['fp']} / {r['fn']} ({r['tp']}) |")
    return lines
