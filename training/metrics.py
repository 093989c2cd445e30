"""Multi-label metrics: micro / macro / samples F1, exact match, per-leaf and per-group scores.

Conventions (stated in every report): macro-F1 averages the leaves that have at least one
gold positive in the evaluated set (a leaf absent from a 200-paragraph test set says nothing
about the model, but its false positives still count in micro-F1); samples-F1 scores a
paragraph with no gold and no predicted labels as 1 (``[]`` is a real answer here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from risklens.labels.taxonomy import GROUP_OF, GROUPS, LABELS
from risklens.model.calibration import expected_calibration_error


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    tp, fp, fn = float(tp), float(fp), float(fn)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def group_matrix(y: np.ndarray) -> np.ndarray:
    """Collapse (n, 30) leaf indicators into (n, 9) group indicators."""
    out = np.zeros((y.shape[0], len(GROUPS)))
    for j, label in enumerate(LABELS):
        g = GROUPS.index(GROUP_OF[label])
        out[:, g] = np.maximum(out[:, g], y[:, j])
    return out


def _table(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    tp = (y_true * y_pred).sum(axis=0)
    fp = ((1 - y_true) * y_pred).sum(axis=0)
    fn = (y_true * (1 - y_pred)).sum(axis=0)
    per: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        p, r, f = _prf(tp[j], fp[j], fn[j])
        per[name] = {
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "support": int(y_true[:, j].sum()), "predicted": int(y_pred[:, j].sum()),
        }
    _, _, micro = _prf(tp.sum(), fp.sum(), fn.sum())
    present = [per[name]["f1"] for j, name in enumerate(names) if y_true[:, j].sum() > 0]
    macro = float(np.mean(present)) if present else 0.0
    return {
        "micro_f1": round(micro, 4), "macro_f1": round(macro, 4), "per_label": per,
        "tp": int(tp.sum()), "fp": int(fp.sum()), "fn": int(fn.sum()),
    }


def samples_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean per-paragraph F1; a paragraph with no gold and no predicted labels scores 1."""
    scores = []
    for t, p in zip(y_true, y_pred, strict=True):
        if t.sum() == 0 and p.sum() == 0:
            scores.append(1.0)
            continue
        tp = float((t * p).sum())
        scores.append(2 * tp / (t.sum() + p.sum()))
    return float(np.mean(scores)) if scores else 0.0


def _binarise(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0/1 float matrices of equal shape (ValueError naming both shapes otherwise)."""
    y_true = (np.asarray(y_true) >= 0.5).astype(float)
    y_pred = (np.asarray(y_pred) >= 0.5).astype(float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape.")
    return y_true, y_pred


def multilabel_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, probs: np.ndarray | None = None
) -> dict[str, Any]:
    """All headline metrics for one (model, mode): leaves, groups, exact match, ECE."""
    y_true, y_pred = _binarise(y_true, y_pred)
    leaves = _table(y_true, y_pred, LABELS)
    groups = _table(group_matrix(y_true), group_matrix(y_pred), GROUPS)
    out: dict[str, Any] = {
        "n": int(y_true.shape[0]),
        "micro_f1": leaves["micro_f1"],
        "macro_f1": leaves["macro_f1"],
        "samples_f1": round(samples_f1(y_true, y_pred), 4),
        "exact_match": round(float((y_true == y_pred).all(axis=1).mean()) if len(y_true) else 0.0, 4),
        "tp": leaves["tp"], "fp": leaves["fp"], "fn": leaves["fn"],
        "labels_per_paragraph": round(float(y_pred.sum(axis=1).mean()) if len(y_pred) else 0.0, 3),
        "gold_labels_per_paragraph": round(float(y_true.sum(axis=1).mean()) if len(y_true) else 0.0, 3),
        "group_micro_f1": groups["micro_f1"],
        "group_macro_f1": groups["macro_f1"],
        "per_label": leaves["per_label"],
        "per_group": groups["per_label"],
    }
    if probs is not None:
        out["ece"] = round(expected_calibration_error(np.asarray(probs), y_true), 4)
    return out


def _cell_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y_true, y_pred = _binarise(y_true, y_pred)
    return y_true * y_pred, (1 - y_true) * y_pred, y_true * (1 - y_pred)


def _f1_of_sums(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Micro- and macro-F1 for each row of (B, L) summed counts (macro over leaves with support)."""
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        micro = np.where(denominator.sum(axis=1) > 0, 2 * tp.sum(axis=1) / denominator.sum(axis=1), 0.0)
        per_leaf = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    present = (tp + fn) > 0
    macro = np.where(present.any(axis=1), (per_leaf * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1), 0.0)
    return micro, macro


def bootstrap_indices(n: int, resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """(resamples, n) paragraph indices drawn with replacement, reproducibly."""
    if n < 1:
        raise ValueError("bootstrap needs at least one paragraph.")
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def resampled_f1(y_true: np.ndarray, y_pred: np.ndarray, indices: np.ndarray) -> dict[str, np.ndarray]:
    """Micro- and macro-F1 of one system on every resample (rows of ``indices``).

    Computed once per system, these feed both its interval and its paired comparisons.
    """
    tp, fp, fn = _cell_counts(y_true, y_pred)
    micro, macro = [], []
    for start in range(0, len(indices), 250):  # bounded memory: 250 x n x L cells at a time
        rows = indices[start : start + 250]
        m, a = _f1_of_sums(tp[rows].sum(axis=1), fp[rows].sum(axis=1), fn[rows].sum(axis=1))
        micro.append(m)
        macro.append(a)
    return {"micro_f1": np.concatenate(micro), "macro_f1": np.concatenate(macro)}


def _percentile_range(values: np.ndarray, level: float) -> list[float]:
    tail = (1 - level) / 2 * 100
    return [round(float(np.percentile(values, tail)), 4), round(float(np.percentile(values, 100 - tail)), 4)]


def interval_of(scores: dict[str, np.ndarray], level: float = 0.95) -> dict[str, list[float]]:
    """Percentile interval of each metric in ``resampled_f1`` output."""
    return {name: _percentile_range(values, level) for name, values in scores.items()}


def compare_resampled(
    scores_a: dict[str, np.ndarray], scores_b: dict[str, np.ndarray], level: float = 0.95
) -> dict[str, Any]:
    """Interval of the differences (A − B) and the share of resamples in which A scores higher."""
    out: dict[str, Any] = {}
    for name in scores_a:
        diff = scores_a[name] - scores_b[name]
        out[f"{name}_diff"] = _percentile_range(diff, level)
        out[f"{name}_share_better"] = round(float((diff > 0).mean()), 4)
    return out


def bootstrap_interval(
    y_true: np.ndarray, y_pred: np.ndarray, indices: np.ndarray, level: float = 0.95
) -> dict[str, list[float]]:
    """Percentile bootstrap interval of micro- and macro-F1, resampling whole paragraphs.

    A test split of a few hundred paragraphs moves micro-F1 by a couple of points from one
    sample to the next; the interval says how far apart two figures must be to mean anything.
    """
    return interval_of(resampled_f1(y_true, y_pred, indices), level)


def paired_bootstrap(
    y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, indices: np.ndarray, level: float = 0.95
) -> dict[str, Any]:
    """How sure is "A beats B"? Both systems scored on the same resampled paragraphs.

    Returns the interval of the micro- and macro-F1 differences (A − B) and the share of
    resamples in which A scores higher.
    """
    return compare_resampled(resampled_f1(y_true, pred_a, indices), resampled_f1(y_true, pred_b, indices), level)
