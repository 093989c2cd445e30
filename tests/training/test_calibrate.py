from __future__ import annotations

import numpy as np

from risklens.labels.taxonomy import LABELS
from risklens.model.fusion import FusionHead, fit_lexical
from risklens.training.calibrate import calibrate, tune_thresholds
from tests.examples import example_paragraphs


def test_thresholds_follow_data_with_many_positives_and_stay_near_half_with_few() -> None:
    rng = np.random.default_rng(0)
    n = 400
    targets = np.zeros((n, len(LABELS)))
    targets[:200, 0] = 1  # leaf 0: many positives, scores of positives around 0.3
    targets[:2, 1] = 1  # leaf 1: two positives
    probs = np.full((n, len(LABELS)), 0.05)
    probs[:200, 0] = 0.3 + rng.normal(0, 0.02, 200)
    probs[:2, 1] = 0.25
    cuts = tune_thresholds(probs, targets, prior_weight=4.0, lower=0.1, upper=0.9)
    assert cuts[LABELS[0]] < 0.3  # follows the data
    assert 0.35 < cuts[LABELS[1]] <= 0.5  # two positives barely move it from 0.5
    assert cuts[LABELS[5]] == 0.5  # no positives: the default


def test_calibrate_fits_temperature_thresholds_and_fusion() -> None:
    paragraphs, targets = example_paragraphs()
    logits = np.where(targets > 0, 6.0, -6.0)
    logits[:4, :3] *= -1  # a few confident mistakes: the encoder is over-confident
    head = FusionHead(fit_lexical(paragraphs, targets, max_features=300, min_df=1))
    result = calibrate(logits, logits * 0.5, paragraphs, targets, fusion=head, folds=3, min_gain=-1.0)
    assert result.temperature > 1.0
    assert set(result.thresholds) == set(LABELS) and set(result.encoder_thresholds) == set(LABELS)
    assert result.fusion is head and head.coef_ is not None
    assert set(result.dev_scores) == {"encoder", "fused_cross_fitted"}
    plain = calibrate(logits, logits, paragraphs, targets, fusion=None)
    assert plain.fusion is None and plain.thresholds == plain.encoder_thresholds


def test_fusion_is_dropped_when_it_does_not_beat_the_encoder_on_dev() -> None:
    paragraphs, targets = example_paragraphs()
    perfect = np.where(targets > 0, 5.0, -5.0)  # nothing left for fusion to add
    head = FusionHead(fit_lexical(paragraphs, targets, max_features=300, min_df=1))
    result = calibrate(perfect, perfect, paragraphs, targets, fusion=head, folds=3, min_gain=0.005)
    assert result.fusion is None
    assert result.thresholds == result.encoder_thresholds
    assert result.dev_scores["encoder"] == 1.0
