"""Cheap boundary learning: refit a trained model's TF-IDF part, calibration and fusion head.

The encoder takes an hour of both cores to fine-tune; everything after it — the TF-IDF
model, temperature, thresholds and the fusion stack — takes minutes. ``refit`` redoes those
steps for a saved model with what issue #22 asks to try:

- ``cues``: lexical boundary cues as extra fusion features (``model.cues``);
- ``hard``: hard examples (the near-miss set's ``train`` part) added to the TF-IDF training
  rows (``hard_tfidf``) and/or to the rows the fusion stack, temperature and thresholds are
  fitted on (``hard_fusion``; dev otherwise).

Encoder logits are computed once per paragraph set (``Logits``) and shared by every variant,
so trying several costs one encoder pass. Selection belongs to the caller and must use dev
and the near-miss train part only; the test split and the near-miss eval part are for the
final report.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from risklens.model.classifier import RiskClassifier
from risklens.model.fusion import FusionHead
from risklens.model.tfidf import TfidfOvR
from risklens.training.baselines import fit_tfidf_baseline
from risklens.training.calibrate import calibrate
from risklens.training.config import TrainConfig
from risklens.training.data import Example, targets_of
from risklens.training.filing_level import filing_groups


@dataclass(frozen=True)
class Variant:
    """One way to refit: which cues, and where the hard examples go."""

    name: str
    cues: tuple[str, ...] = ()
    hard_tfidf: bool = False
    hard_fusion: bool = False
    stack_C: float = 1.0


@dataclass
class Logits:
    """Raw encoder logits of a list of examples, with headings and text only."""

    examples: list[Example]
    heading: np.ndarray
    text: np.ndarray

    @classmethod
    def of(cls, classifier: RiskClassifier, examples: Sequence[Example], batch_size: int = 32) -> Logits:
        rows = list(examples)
        return cls(rows, *(classifier.encoder_logits([e.paragraph(m) for e in rows], batch_size=batch_size,
                                                     use_headings=m) for m in (True, False)))

    def __add__(self, other: Logits) -> Logits:
        return Logits(self.examples + other.examples, np.vstack([self.heading, other.heading]),
                      np.vstack([self.text, other.text]))


@dataclass
class Refitted:
    """A refitted copy of the model and what calibration measured on its fitting rows."""

    variant: Variant
    classifier: RiskClassifier
    dev_scores: dict[str, float] = field(default_factory=dict)
    tfidf_selection: dict[str, Any] = field(default_factory=dict)


def fit_tfidf(config: TrainConfig, train: Sequence[Example], dev: Sequence[Example]) -> tuple[TfidfOvR, dict[str, Any]]:
    """The TF-IDF model as training fits it (same rows, grid and thresholds on dev)."""
    return fit_tfidf_baseline(train, dev, silver_weight=config.silver_weight, max_features=config.tfidf_max_features,
                              prior_weight=config.threshold_prior_weight, lower=config.threshold_min,
                              upper=config.threshold_max)


def refit(
    classifier: RiskClassifier, variant: Variant, config: TrainConfig, tfidf: TfidfOvR, fit_rows: Logits,
) -> Refitted:
    """Temperature, thresholds and the fusion stack of ``variant`` on ``fit_rows`` (dev, plus
    the hard examples when ``variant.hard_fusion``), over ``tfidf``; the encoder is untouched."""
    fusion = FusionHead(tfidf, stack_C=variant.stack_C, cues=variant.cues)
    result = calibrate(fit_rows.heading, fit_rows.text, [e.paragraph() for e in fit_rows.examples],
                       targets_of(fit_rows.examples), fusion=fusion, prior_weight=config.threshold_prior_weight,
                       lower=config.threshold_min, upper=config.threshold_max, seed=config.seed,
                       groups=filing_groups(fit_rows.examples))
    out = copy.copy(classifier)
    out.meta = copy.deepcopy(classifier.meta)
    out.meta.temperature = result.temperature
    out.meta.encoder_thresholds = result.encoder_thresholds
    out.meta.thresholds = result.thresholds
    out.fusion = result.fusion
    out.meta.metrics = {**out.meta.metrics, "fusion_weights": result.fusion.describe() if result.fusion else {},
                        "fusion_dev_check": result.dev_scores,
                        "refit": {"variant": variant.name, "cues": list(variant.cues),
                                  "hard_tfidf": variant.hard_tfidf, "hard_fusion": variant.hard_fusion,
                                  "fit_rows": len(fit_rows.examples)}}
    return Refitted(variant, out, result.dev_scores)


def decide(classifier: RiskClassifier, logits: Logits, use_headings: bool) -> list[list[str]]:
    """The model's leaves for precomputed logits (no encoder pass)."""
    raw = logits.heading if use_headings else logits.text
    probs = classifier.proba_from_logits(raw, [e.paragraph(use_headings) for e in logits.examples],
                                         use_headings=use_headings)
    return classifier.decide(probs)
