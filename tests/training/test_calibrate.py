from __future__ import annotations

import numpy as np
import pytest

from risklens.labels.taxonomy import LABELS
from risklens.model.fusion import FusionHead, fit_lexical
from risklens.model.inputs import Paragraph
from risklens.training.calibrate import calibrate, choose_thresholds, fold_ids, tune_thresholds
from risklens.training.data import make_example
from risklens.training.filing_level import filing_groups
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
    assert set(result.dev_scores) == {"encoder", "fused_cross_fitted", "encoder_thresholds_per_leaf_cv",
                                      "encoder_thresholds_global_cv"}
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


def test_grouped_folds_keep_each_group_whole_and_balance_the_folds() -> None:
    groups = ["a"] * 6 + ["b"] * 5 + ["c"] * 4 + ["d"] * 3 + ["e"] * 2 + [f"one-{i}" for i in range(10)]
    ids = fold_ids(len(groups), 3, seed=13, groups=groups)
    for name in set(groups):
        assert len({int(ids[i]) for i, g in enumerate(groups) if g == name}) == 1, name
    sizes = np.bincount(ids, minlength=3)
    assert sizes.max() - sizes.min() <= 1  # 30 items over three folds
    assert np.array_equal(ids, fold_ids(len(groups), 3, seed=13, groups=groups))  # reproducible
    with pytest.raises(ValueError, match="one per item"):
        fold_ids(5, 3, seed=13, groups=["a", "b"])


class RecordingHead:
    """A stand-in fusion stack that remembers which paragraphs each fold fitted and scored."""

    def __init__(self) -> None:
        self.folds: list[tuple[set[str], set[str]]] = []
        self._fitted: set[str] = set()

    def fit(self, scaled: np.ndarray, paragraphs: list[Paragraph], targets: np.ndarray, flags: list[bool]) -> None:
        self._fitted = {p.text for p in paragraphs}

    def predict_proba(self, scaled: np.ndarray, paragraphs: list[Paragraph], flags: list[bool]) -> np.ndarray:
        self.folds.append((self._fitted, {p.text for p in paragraphs}))
        return 1.0 / (1.0 + np.exp(-scaled))


def test_calibration_holds_out_whole_filings_when_it_knows_them() -> None:
    paragraphs, targets = example_paragraphs()
    filing = [f"filing-{i % 4}" for i in range(len(paragraphs))]
    by_text = {p.text: f for p, f in zip(paragraphs, filing, strict=True)}
    logits = np.where(targets > 0, 4.0, -4.0)
    head = RecordingHead()
    calibrate(logits, logits, paragraphs, targets, fusion=head, folds=3, groups=filing)  # type: ignore[arg-type]
    assert len(head.folds) == 3
    for fitted, scored in head.folds:
        assert {by_text[t] for t in fitted}.isdisjoint({by_text[t] for t in scored})


def test_filing_groups_name_the_filing_or_the_single_record() -> None:
    rows = [make_example(id="p1", text="甲", heading="", labels=[], doc="corpus/x.pdf"),
            make_example(id="p2", text="乙", heading="", labels=[], doc="corpus/x.pdf"),
            make_example(id="r1", text="丙", heading="", labels=[], doc="corpus/rare/paragraphs.jsonl#L3")]
    assert filing_groups(rows) == ["corpus/x.pdf", "corpus/x.pdf", "record:r1"]


def test_a_dev_set_of_one_filing_falls_back_to_paragraph_folds(caplog: pytest.LogCaptureFixture) -> None:
    paragraphs, targets = example_paragraphs()
    logits = np.where(targets > 0, 4.0, -4.0)
    head = RecordingHead()
    with caplog.at_level("WARNING", logger="risklens.train"):
        calibrate(logits, logits, paragraphs, targets, fusion=head, folds=3,  # type: ignore[arg-type]
                  groups=["one-filing"] * len(paragraphs))
    assert len(head.folds) == 3 and all(fitted and scored for fitted, scored in head.folds)
    assert "dev holds one filing" in caplog.text


def test_per_leaf_thresholds_must_beat_one_threshold_on_held_out_folds() -> None:
    rng = np.random.default_rng(1)
    n = 600
    folds = np.arange(n) % 5
    targets = np.zeros((n, len(LABELS)))
    targets[:, :4] = rng.random((n, 4)) < 0.3
    probs = np.where(targets > 0, 0.75, 0.25) + rng.normal(0, 0.05, targets.shape)
    # leaves 0-1 are scored low: their positives sit at 0.35 and their negatives at 0.15
    probs[:, :2] = np.where(targets[:, :2] > 0, 0.35, 0.15) + rng.normal(0, 0.03, (n, 2))
    tuning = {"prior_weight": 4.0, "lower": 0.1, "upper": 0.9, "min_gain": 0.005}
    cuts, scores = choose_thresholds(probs, targets, folds, **tuning)
    assert scores["per_leaf_cv"] > scores["global_cv"] + 0.005 and cuts[LABELS[0]] < cuts[LABELS[2]]
    same = np.where(targets > 0, 0.75, 0.25) + rng.normal(0, 0.05, targets.shape)  # one scale for every leaf
    cuts, scores = choose_thresholds(same, targets, folds, **tuning)
    assert len(set(cuts.values())) == 1  # per-leaf thresholds add nothing held-out: one threshold
