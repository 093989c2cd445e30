"""The TF-IDF baseline, made fair: same training rows, settings and thresholds chosen on dev.

A straw-man baseline proves nothing. This one trains on the same rows as the encoder (gold,
synthetic, and silver weighted below gold), every paragraph seen with and without its
heading, picks C and class weighting on dev, and gets per-leaf thresholds tuned on dev
exactly like the encoder's. The fusion head reuses it as its lexical part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from risklens.labels.taxonomy import LABELS
from risklens.model.fusion import lexical_texts
from risklens.model.tfidf import TfidfOvR
from risklens.training.data import Example, targets_of

# (C, class_weight) candidates: regularisation and whether rare leaves are up-weighted.
GRID: tuple[tuple[float, str | None], ...] = ((4.0, None), (16.0, None), (4.0, "balanced"), (16.0, "balanced"))


def _texts_both_modes(rows: Sequence[Example]) -> list[str]:
    return lexical_texts([e.paragraph() for e in rows])


def fit_tfidf_baseline(
    train: Sequence[Example],
    dev: Sequence[Example] | None = None,
    *,
    silver_weight: float = 0.4,
    max_features: int = 80_000,
    grid: Sequence[tuple[float, str | None]] = GRID,
    prior_weight: float = 4.0,
    lower: float = 0.2,
    upper: float = 0.8,
) -> tuple[TfidfOvR, dict[str, Any]]:
    """Fit TF-IDF + OvR LR; with ``dev``, choose (C, class_weight) and tune thresholds there.

    Returns the fitted estimator and a small report of the selection (dev scores per candidate).
    """
    from risklens.training.calibrate import tune_thresholds
    from risklens.training.metrics import multilabel_metrics

    if not train:
        raise ValueError("the TF-IDF baseline needs training rows; the train split is empty.")
    texts = _texts_both_modes(train)
    weights = np.array([silver_weight if e.kind == "silver" else 1.0 for e in train])
    y = np.vstack([targets_of(train)] * 2)
    w = np.concatenate([weights, weights])
    candidates = list(grid) if dev else [grid[0]]
    best: tuple[float, TfidfOvR, dict[str, Any]] | None = None
    report: dict[str, Any] = {"candidates": []}
    first: TfidfOvR | None = None
    for C, class_weight in candidates:
        model = TfidfOvR(max_features=max_features, C=C, class_weight=class_weight)
        if first is None:
            first = model.fit(texts, y, sample_weight=w)
        else:  # same texts: vectorise once, refit only the regressions
            model.refit_heads(first, texts, y, sample_weight=w)
        if not dev:
            return model, report
        dev_y = np.vstack([targets_of(dev)] * 2)
        probs = model.predict_proba(_texts_both_modes(dev))
        cuts = tune_thresholds(probs, dev_y, prior_weight=prior_weight, lower=lower, upper=upper)
        cut = np.array([cuts[label] for label in LABELS])
        m = multilabel_metrics(dev_y, probs >= cut)
        score = (m["micro_f1"] + m["macro_f1"]) / 2
        report["candidates"].append({"C": C, "class_weight": class_weight, "dev_micro_f1": m["micro_f1"],
                                     "dev_macro_f1": m["macro_f1"]})
        if best is None or score > best[0]:
            best = (score, model.set_class_thresholds(cut), {"C": C, "class_weight": str(class_weight)})
    assert best is not None
    report["chosen"] = best[2]
    return best[1], report
