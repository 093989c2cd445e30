"""Inter-annotator agreement on double-annotated paragraphs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from risklens.labels.taxonomy import LABELS


@dataclass(frozen=True)
class Agreement:
    """Overall and per-label agreement between two annotators over the same paragraphs."""

    items: int
    exact: int
    micro_f1: float
    per_label: dict[str, dict[str, float]]  # label -> {a, b, both, f1, kappa}

    def to_json(self) -> dict[str, object]:
        return {
            "items": self.items,
            "exact_match": self.exact,
            "exact_match_rate": self.exact / self.items if self.items else 0.0,
            "micro_f1": self.micro_f1,
            "per_label": self.per_label,
        }


def _kappa(both: int, only_a: int, only_b: int, neither: int) -> float:
    n = both + only_a + only_b + neither
    if n == 0:
        return float("nan")
    observed = (both + neither) / n
    pa, pb = (both + only_a) / n, (both + only_b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(first: Mapping[str, Sequence[str]], second: Mapping[str, Sequence[str]]) -> Agreement:
    """Compare two annotators' labels on the ids both labelled.

    Micro-F1 treats annotator A as reference (it is symmetric anyway); Cohen's kappa per
    label corrects for chance agreement on frequent labels.
    """
    ids = sorted(set(first) & set(second))
    exact = sum(1 for i in ids if set(first[i]) == set(second[i]))
    tp = fp = fn = 0
    per_label: dict[str, dict[str, float]] = {}
    for label in LABELS:
        both = only_a = only_b = neither = 0
        for i in ids:
            in_a, in_b = label in first[i], label in second[i]
            both += in_a and in_b
            only_a += in_a and not in_b
            only_b += in_b and not in_a
            neither += not in_a and not in_b
        tp, fp, fn = tp + both, fp + only_b, fn + only_a
        if both + only_a + only_b:
            f1 = 2 * both / (2 * both + only_a + only_b)
            per_label[label] = {
                "a": both + only_a,
                "b": both + only_b,
                "both": both,
                "f1": round(f1, 4),
                "kappa": round(_kappa(both, only_a, only_b, neither), 4),
            }
    micro = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else 1.0
    return Agreement(items=len(ids), exact=exact, micro_f1=micro, per_label=per_label)


def majority(label_sets: Sequence[Sequence[str]]) -> list[str]:
    """Per-leaf majority of an odd number of independent annotations, in taxonomy order.

    Used to settle a paragraph two annotators disagree on with a third, blind annotation:
    a leaf stays when more than half of the annotators gave it, so no single reading —
    including the adjudicator's — decides alone.
    """
    if not label_sets or len(label_sets) % 2 == 0:
        raise ValueError(f"majority needs an odd number of annotations, got {len(label_sets)}.")
    need = len(label_sets) // 2 + 1
    return [label for label in LABELS if sum(label in labels for labels in label_sets) >= need]
