"""Fit what turns scores into decisions, on gold dev data: thresholds, temperature, fusion.

FINDINGS.md: thresholds tuned on heading-derived (silver) dev data mis-calibrated the first
model. Everything here is fitted on gold dev paragraphs, seen both with and without their
headings, and per-leaf thresholds are shrunk toward 0.5 when a leaf has few dev positives.
Every choice between a simpler and a richer decision rule (encoder alone or the fused stack;
one threshold or one per leaf) is made on folds that hold out whole dev filings, because the
model will be judged on filings it has never seen.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from risklens.labels.taxonomy import LABELS
from risklens.model.calibration import fit_temperature, sigmoid
from risklens.model.fusion import FusionHead
from risklens.model.inputs import Paragraph

log = logging.getLogger("risklens.train")

GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def tune_thresholds(
    probs: np.ndarray,
    targets: np.ndarray,
    *,
    prior_weight: float = 4.0,
    lower: float = 0.2,
    upper: float = 0.8,
    default: float = 0.5,
) -> dict[str, float]:
    """Per-leaf thresholds maximising dev F1, shrunk toward ``default``.

    The best grid threshold ``t`` of a leaf with ``k`` dev positives becomes
    ``(k·t + w·default) / (k + w)`` with ``w = prior_weight``, clipped to [lower, upper]:
    a leaf seen twice on dev barely moves from 0.5, one seen thirty times follows its data.
    Ties between grid points go to the one closest to ``default``.
    """
    probs = np.asarray(probs, dtype=np.float64)
    targets = (np.asarray(targets) >= 0.5).astype(float)
    out: dict[str, float] = {}
    for j, label in enumerate(LABELS):
        k = float(targets[:, j].sum())
        if k == 0:
            out[label] = default
            continue
        best_t, best_f = default, -1.0
        for t in sorted(GRID, key=lambda g: abs(g - default)):
            pred = probs[:, j] >= t
            tp = float((pred * targets[:, j]).sum())
            f1 = 2 * tp / (pred.sum() + k) if pred.sum() + k else 0.0
            if f1 > best_f + 1e-12:
                best_t, best_f = float(t), f1
        shrunk = (k * best_t + prior_weight * default) / (k + prior_weight)
        out[label] = round(float(np.clip(shrunk, lower, upper)), 4)
    return out


@dataclass
class Calibration:
    """What the dev set fixes for one trained encoder."""

    temperature: float
    encoder_thresholds: dict[str, float]
    thresholds: dict[str, float]
    fusion: FusionHead | None
    dev_scores: dict[str, float] = field(default_factory=dict)  # held-out scores behind each choice


def fold_ids(n: int, folds: int, seed: int, groups: Sequence[str] | None = None) -> np.ndarray:
    """Assign ``n`` items to ``folds`` folds at random but reproducibly.

    With ``groups`` (one name per item), every item of a group lands in the same fold: the
    groups, shuffled by ``seed``, are dealt largest first to the fold holding fewest items, so
    folds stay about equal in size. A model deployed on new filings must be judged on filings
    it was not fitted on; folds that split a filing let the stack learn that filing's habits.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        ids = np.arange(n) % folds
        rng.shuffle(ids)
        return ids
    if len(groups) != n:
        raise ValueError(f"fold_ids: {n} items but {len(groups)} group names; give one per item.")
    size = Counter(groups)
    names = sorted(size)
    order = [names[i] for i in rng.permutation(len(names))]
    order.sort(key=lambda name: -size[name])  # stable: equal sizes keep the shuffled order
    load = [0] * folds
    fold_of: dict[str, int] = {}
    for name in order:
        fold = load.index(min(load))
        fold_of[name] = fold
        load[fold] += size[name]
    return np.array([fold_of[name] for name in groups], dtype=np.int64)


def calibrate(
    dev_logits_heading: np.ndarray,
    dev_logits_text: np.ndarray,
    dev_paragraphs: Sequence[Paragraph],
    dev_targets: np.ndarray,
    *,
    fusion: FusionHead | None,
    prior_weight: float = 4.0,
    lower: float = 0.2,
    upper: float = 0.8,
    folds: int = 5,
    seed: int = 13,
    min_gain: float = 0.005,
    groups: Sequence[str] | None = None,
) -> Calibration:
    """Temperature, encoder thresholds and (optionally) the fusion stack, all on dev.

    Both input modes are pooled: the deployed model sees text with and without headings.
    ``fusion`` holds its TF-IDF model, already fitted on training rows (prefit stacking). Fused
    thresholds are tuned on cross-fitted probabilities: each dev paragraph is scored by a
    stack fitted on the other folds, so thresholds do not reward the stack's own overfit.
    The fused pipeline is kept only when those cross-fitted scores beat the encoder alone
    on dev by ``min_gain`` (mean of micro- and macro-F1); otherwise ``fusion`` is None.
    ``groups`` names each dev paragraph's filing: folds then hold out whole filings, as the
    splits do (``filing_level.filing_groups``). Without it, or when dev holds a single filing,
    folds are random over paragraphs, and a filing's paragraphs on both sides of a fold flatter
    the stack. The same folds choose the threshold policy (``choose_thresholds``).
    """
    logits = np.vstack([dev_logits_heading, dev_logits_text])
    targets = np.vstack([dev_targets, dev_targets])
    temperature = fit_temperature(logits, targets)
    enc_probs = sigmoid(logits / temperature)
    n = len(dev_paragraphs)
    if groups is not None and len(set(groups)) < 2:
        log.warning("calibration: dev holds one filing, so no fold can hold out a whole filing; "
                    "cross-fitting over random paragraph folds instead")
        groups = None
    folds = min(folds, n if groups is None else len(set(groups)))
    assignment = fold_ids(n, folds, seed, groups)
    both = np.concatenate([assignment, assignment])  # a paragraph's two modes share a fold
    tuning = {"prior_weight": prior_weight, "lower": lower, "upper": upper, "min_gain": min_gain}
    encoder_thresholds, policy = choose_thresholds(enc_probs, targets, both, **tuning)
    scores = {f"encoder_thresholds_{name}": value for name, value in policy.items()}
    if fusion is None:
        return Calibration(temperature, encoder_thresholds, dict(encoder_thresholds), None, scores)
    paragraphs = list(dev_paragraphs) + list(dev_paragraphs)
    flags = [True] * n + [False] * n
    scaled = logits / temperature
    oof = np.zeros_like(scaled)
    for fold in range(folds):
        train_rows = np.flatnonzero(both != fold)
        test_rows = np.flatnonzero(both == fold)
        if targets[train_rows].sum() == 0:
            continue
        fusion.fit(
            scaled[train_rows], [paragraphs[i] for i in train_rows], targets[train_rows],
            [flags[i] for i in train_rows],
        )
        oof[test_rows] = fusion.predict_proba(
            scaled[test_rows], [paragraphs[i] for i in test_rows], [flags[i] for i in test_rows]
        )
    thresholds, _ = choose_thresholds(oof, targets, both, **tuning)
    fused_score = _dev_score(oof, targets, thresholds)
    encoder_score = _dev_score(enc_probs, targets, encoder_thresholds)
    scores |= {"encoder": round(encoder_score, 4), "fused_cross_fitted": round(fused_score, 4)}
    if fused_score < encoder_score + min_gain:
        # the stack does not beat the encoder on held-out dev folds: ship the encoder alone
        return Calibration(temperature, encoder_thresholds, dict(encoder_thresholds), None, scores)
    fusion.fit(scaled, paragraphs, targets, flags)
    return Calibration(temperature, encoder_thresholds, thresholds, fusion, scores)


def global_threshold(probs: np.ndarray, targets: np.ndarray, *, lower: float = 0.2, upper: float = 0.8,
                     default: float = 0.5) -> float:
    """The one threshold for every leaf that maximises the mean of micro- and macro-F1 on ``probs``
    (grid points in [lower, upper]; ties go to the one closest to ``default``)."""
    grid = sorted((float(g) for g in GRID if lower <= g <= upper), key=lambda g: abs(g - default))
    return max(grid, key=lambda g: _dev_score(probs, targets, {label: g for label in LABELS}))


def choose_thresholds(
    probs: np.ndarray, targets: np.ndarray, folds: np.ndarray, *, prior_weight: float, lower: float,
    upper: float, min_gain: float,
) -> tuple[dict[str, float], dict[str, float]]:
    """Per-leaf thresholds (``tune_thresholds``) or one global threshold, by cross-validation.

    Each candidate is tuned on all folds but one and applied to the held-out one; the pooled
    held-out decisions are scored (mean of micro- and macro-F1). Per-leaf thresholds are 30
    numbers fitted on a few hundred dev paragraphs; they are kept only when they beat the single
    threshold by ``min_gain`` on held-out folds (with folds that hold out whole filings, the
    shipped encoder's per-leaf thresholds scored 0.815 against 0.836 for one threshold).
    Returns the thresholds, refitted on every row, and the two cross-validated scores.
    """
    per_leaf = np.zeros_like(probs, dtype=bool)
    single = np.zeros_like(probs, dtype=bool)
    for fold in np.unique(folds):
        fit, held = folds != fold, folds == fold
        tuned = tune_thresholds(probs[fit], targets[fit], prior_weight=prior_weight, lower=lower, upper=upper)
        per_leaf[held] = probs[held] >= np.array([tuned[label] for label in LABELS])
        single[held] = probs[held] >= global_threshold(probs[fit], targets[fit], lower=lower, upper=upper)
    half = {label: 0.5 for label in LABELS}
    scores = {"per_leaf_cv": round(_dev_score(per_leaf.astype(float), targets, half), 4),
              "global_cv": round(_dev_score(single.astype(float), targets, half), 4)}
    if scores["per_leaf_cv"] >= scores["global_cv"] + min_gain:
        return tune_thresholds(probs, targets, prior_weight=prior_weight, lower=lower, upper=upper), scores
    return dict.fromkeys(LABELS, global_threshold(probs, targets, lower=lower, upper=upper)), scores


def _dev_score(probs: np.ndarray, targets: np.ndarray, thresholds: dict[str, float]) -> float:
    """Mean of micro- and macro-F1: how calibration judges fusion against the encoder alone, and thresholds."""
    from risklens.training.metrics import multilabel_metrics

    cut = np.array([thresholds[label] for label in LABELS])
    m = multilabel_metrics(targets, probs >= cut)
    return (m["micro_f1"] + m["macro_f1"]) / 2
