"""Calibration maths used at inference and fitted in training: sigmoid, temperature, thresholds.

Kept in ``model/`` because inference needs it; the fitting functions are small and
deterministic, so training (and the retraining helper) call them from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Inverse of :func:`sigmoid`, clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return np.log(p / (1 - p))


def bce(probs: np.ndarray, targets: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy over all cells."""
    p = np.clip(probs, eps, 1 - eps)
    return float(-np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p)))


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """One temperature T for all labels minimising the BCE of sigmoid(logits / T).

    A scalar keeps it robust on a dev set of ~100 paragraphs; searched on a log grid then
    refined, so it needs no optimiser and is deterministic.
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if logits.size == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    losses = [bce(sigmoid(logits / t), targets) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fine = np.linspace(lo, hi, 41)
    fine_losses = [bce(sigmoid(logits / t), targets) for t in fine]
    return float(fine[int(np.argmin(fine_losses))])


def apply_thresholds(
    probs: np.ndarray, labels: Sequence[str], thresholds: Mapping[str, float]
) -> list[list[str]]:
    """Leaves whose probability is at or above their threshold, per row, in label order."""
    cut = np.array([thresholds[label] for label in labels], dtype=np.float64)
    hits = np.asarray(probs) >= cut[None, :]
    return [[labels[int(j)] for j in np.flatnonzero(row)] for row in hits]


def expected_calibration_error(probs: np.ndarray, targets: np.ndarray, bins: int = 10) -> float:
    """ECE over all (paragraph, leaf) cells with equal-width probability bins."""
    p = np.asarray(probs, dtype=np.float64).ravel()
    y = np.asarray(targets, dtype=np.float64).ravel()
    if p.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.sum() / p.size * abs(p[sel].mean() - y[sel].mean())
    return float(total)
