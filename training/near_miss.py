"""Near-miss evaluation: per-group confusion on the taxonomy's hardest boundaries.

The near-miss set (``labels.nearmiss``) groups real paragraphs by the boundary they test.
For each group and input mode this reports exact match and, for the group's leaves, TP / FP /
FN with precision and recall; for the groups whose gold is ``[]`` (negated risks, non-risk
statements) the share of paragraphs that get no leaf at all, which is what a reviewer sees:
a paragraph with any leaf becomes a risk in the filing's profile. Two headline figures
follow issue #22's acceptance: ``entity_list_sanctions`` precision and recall over the whole
set, and the no-leaf share over negated and non-risk paragraphs together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from risklens.labels.nearmiss import EMPTY_GROUPS, GROUPS, NearMiss
from risklens.model.classifier import RiskClassifier
from risklens.training.data import Example, make_example

SANCTIONS = "entity_list_sanctions"


def near_miss_examples(items: Sequence[NearMiss]) -> list[Example]:
    """The near-miss paragraphs as labelled ``Example`` rows (``doc`` is the stand-off document)."""
    return [make_example(id=item.annotation.id, text=item.text, heading=item.annotation.heading,
                         labels=item.labels, doc=item.annotation.doc) for item in items]


def predict_near_miss(
    classifier: RiskClassifier, items: Sequence[NearMiss], *, batch_size: int = 32
) -> dict[str, list[list[str]]]:
    """The classifier's leaves for every near-miss paragraph, with headings and text only."""
    examples = near_miss_examples(items)
    out: dict[str, list[list[str]]] = {}
    for mode in ("heading", "text"):
        use = mode == "heading"
        probs = classifier.predict_proba([e.paragraph(use) for e in examples], batch_size=batch_size,
                                         use_headings=use)
        out[mode] = classifier.decide(probs)
    return out


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def leaf_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], leaf: str) -> dict[str, Any]:
    """TP / FP / FN and precision / recall of one leaf over paired label sets."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if leaf in g and leaf in p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if leaf not in g and leaf in p)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if leaf in g and leaf not in p)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}


def group_summary(group: str, gold: list[tuple[str, ...]], predicted: list[list[str]]) -> dict[str, Any]:
    """Exact match, the group's leaf confusion (or no-leaf share) and the leaves wrongly added."""
    exact = sum(1 for g, p in zip(gold, predicted, strict=True) if set(g) == set(p))
    wrong = Counter(label for g, p in zip(gold, predicted, strict=True) for label in p if label not in g)
    missed = Counter(label for g, p in zip(gold, predicted, strict=True) for label in g if label not in p)
    out: dict[str, Any] = {"n": len(gold), "exact": exact, "exact_match": _ratio(exact, len(gold)),
                           "wrong": dict(wrong.most_common()), "missed": dict(missed.most_common())}
    if group in EMPTY_GROUPS:
        empty = sum(1 for p in predicted if not p)
        out.update(no_leaf=empty, no_leaf_share=_ratio(empty, len(gold)))
    else:
        out["leaves"] = {leaf: leaf_counts(gold, predicted, leaf) for leaf in GROUPS[group]}
    return out


def summarize(items: Sequence[NearMiss], predicted: Mapping[str, Sequence[Sequence[str]]]) -> dict[str, Any]:
    """Per mode: per-group summaries and the two headline figures; plus the errors with headings."""
    modes: dict[str, Any] = {}
    for mode, labels in predicted.items():
        if len(labels) != len(items):
            raise ValueError(f"near-miss summary: {len(items)} paragraphs but {len(labels)} predictions ({mode}).")
        groups = {}
        for group in GROUPS:
            index = [i for i, item in enumerate(items) if item.group == group]
            if index:
                groups[group] = group_summary(group, [items[i].labels for i in index], [list(labels[i]) for i in index])
        empty_index = [i for i, item in enumerate(items) if item.group in EMPTY_GROUPS]
        no_leaf = sum(1 for i in empty_index if not labels[i])
        modes[mode] = {
            "groups": groups,
            SANCTIONS: leaf_counts([item.labels for item in items], [list(p) for p in labels], SANCTIONS),
            "no_leaf_share": _ratio(no_leaf, len(empty_index)), "no_leaf": no_leaf, "empty_n": len(empty_index),
        }
    errors = [{"id": item.annotation.id, "group": item.group, "doc": item.annotation.doc,
               "gold": list(item.labels), "predicted": list(p)}
              for item, p in zip(items, predicted.get("heading", []), strict=False) if set(p) != set(item.labels)]
    parts = sorted({item.part for item in items})
    return {"n": len(items), "parts": parts, "modes": modes, "errors": errors}


def near_miss_lines(report: dict[str, Any], titles: Mapping[str, str]) -> list[str]:
    """Markdown: the headline figures and the per-group table, for the evaluation report and the card."""
    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    lines = ["", "## Near-miss set", "",
             f"{report['n']} real paragraphs on the taxonomy's boundaries (part: {', '.join(report['parts'])}; "
             f"`{report.get('file', 'labels/data/near_miss/')}`).", "",
             "| mode | entity_list_sanctions P / R (TP/FP/FN) | negated + non-risk with no leaf |", "|---|---|---|"]
    for mode, m in report["modes"].items():
        s = m[SANCTIONS]
        lines.append(f"| {titles.get(mode, mode)} | {fmt(s['precision'])} / {fmt(s['recall'])} "
                     f"({s['tp']}/{s['fp']}/{s['fn']}) | {fmt(m['no_leaf_share'])} ({m['no_leaf']}/{m['empty_n']}) |")
    lines += ["", "| mode | group | n | exact | leaf: P / R (TP/FP/FN), or no-leaf share | leaves wrongly added |",
              "|---|---|---|---|---|---|"]
    for mode, m in report["modes"].items():
        for group, g in m["groups"].items():
            if "leaves" in g:
                cell = "; ".join(f"{leaf} {fmt(c['precision'])} / {fmt(c['recall'])} ({c['tp']}/{c['fp']}/{c['fn']})"
                                 for leaf, c in g["leaves"].items())
            else:
                cell = f"no leaf {fmt(g['no_leaf_share'])} ({g['no_leaf']}/{g['n']})"
            wrong = ", ".join(f"{k} {v}" for k, v in g["wrong"].items()) or "—"
            lines.append(f"| {titles.get(mode, mode)} | {group} | {g['n']} | {g['exact']} | {cell} | {wrong} |")
    return lines
