"""Fit the lexical baseline outside a training run (``risklens evaluate --baseline-train``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.fusion import lexical_text
from model.tfidf import TfidfOvR
from training.data import Example, targets_of


def fit_tfidf_baseline(
    train: Sequence[Example], *, silver_weight: float = 0.4, max_features: int = 80_000
) -> TfidfOvR:
    """TF-IDF + OvR LR on training rows, each seen with and without its heading.

    The same recipe as the lexical part of the fusion head, so the comparison is like for like.
    """
    if not train:
        raise ValueError("the TF-IDF baseline needs training rows; the train split is empty.")
    texts = [lexical_text(e.paragraph(), True) for e in train] + [e.text for e in train]
    weights = np.array([silver_weight if e.kind == "silver" else 1.0 for e in train])
    targets = targets_of(train)
    model = TfidfOvR(max_features=max_features)
    return model.fit(texts, np.vstack([targets, targets]), sample_weight=np.concatenate([weights, weights]))
