from __future__ import annotations

import numpy as np
import pytest

from risklens.labels.taxonomy import LABEL_INDEX, LABELS
from risklens.training.metrics import (
    bootstrap_indices,
    bootstrap_interval,
    group_matrix,
    multilabel_metrics,
    paired_bootstrap,
    samples_f1,
)


def hot(*rows: list[str]) -> np.ndarray:
    out = np.zeros((len(rows), len(LABELS)))
    for i, row in enumerate(rows):
        for label in row:
            out[i, LABEL_INDEX[label]] = 1
    return out


def test_known_counts_give_known_scores() -> None:
    gold = hot(["receivables_credit"], ["stock_price", "dilution_roe"], [])
    pred = hot(["receivables_credit"], ["stock_price"], ["force_majeure"])
    m = multilabel_metrics(gold, pred)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 1, 1)
    assert m["micro_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # macro over the three leaves with gold positives: F1 1, 1 and 0
    assert m["macro_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["exact_match"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["per_label"]["dilution_roe"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    # groups: financial right, offering right (stock_price hit), other wrong
    assert m["per_group"]["offering"]["f1"] == 1.0
    assert m["per_group"]["other"]["predicted"] == 1


def test_samples_f1_counts_empty_agreement_as_perfect() -> None:
    assert samples_f1(hot([]), hot([])) == 1.0
    assert samples_f1(hot(["rd_failure"]), hot(["rd_failure", "stock_price"])) == pytest.approx(2 / 3)


def test_group_matrix_collapses_leaves() -> None:
    groups = group_matrix(hot(["rd_failure", "technology_iteration"]))
    assert groups.sum() == 1


def test_ece_is_reported_when_probabilities_are_given() -> None:
    gold = hot(["rd_failure"], [])
    probs = gold * 0.9 + 0.05
    assert "ece" in multilabel_metrics(gold, probs >= 0.5, probs)
    with pytest.raises(ValueError, match="differ in shape"):
        multilabel_metrics(gold, gold[:1])


def random_labels(n: int, seed: int, rate: float = 0.06) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, len(LABELS))) < rate).astype(float)


def test_bootstrap_interval_brackets_the_point_estimate_and_shrinks_with_more_data() -> None:
    gold = random_labels(400, 1)
    pred = gold.copy()
    flip = np.random.default_rng(2).random(gold.shape) < 0.03
    pred[flip] = 1 - pred[flip]
    point = multilabel_metrics(gold, pred)
    ci = bootstrap_interval(gold, pred, bootstrap_indices(400, 500, seed=3))
    for name in ("micro_f1", "macro_f1"):
        lo, hi = ci[name]
        assert lo < point[name] < hi
    small = bootstrap_interval(gold[:50], pred[:50], bootstrap_indices(50, 500, seed=3))
    assert small["micro_f1"][1] - small["micro_f1"][0] > ci["micro_f1"][1] - ci["micro_f1"][0]
    # a perfect system has nowhere to move
    assert bootstrap_interval(gold, gold, bootstrap_indices(400, 100))["micro_f1"] == [1.0, 1.0]


def test_bootstrap_resampled_scores_match_multilabel_metrics() -> None:
    gold, pred = random_labels(60, 4), random_labels(60, 5)
    indices = bootstrap_indices(60, 3, seed=9)
    for row in indices:
        m = multilabel_metrics(gold[row], pred[row])
        ci = bootstrap_interval(gold, pred, row[None, :])
        assert ci["micro_f1"][0] == pytest.approx(m["micro_f1"], abs=1e-4)
        assert ci["macro_f1"][0] == pytest.approx(m["macro_f1"], abs=1e-4)


def test_paired_bootstrap_tells_a_real_gap_from_none() -> None:
    gold = random_labels(300, 6)
    good = gold.copy()
    bad = gold.copy()
    bad[np.random.default_rng(7).random(gold.shape) < 0.05] = 1
    indices = bootstrap_indices(300, 400, seed=8)
    gap = paired_bootstrap(gold, good, bad, indices)
    assert gap["micro_f1_diff"][0] > 0 and gap["micro_f1_share_better"] == 1.0
    same = paired_bootstrap(gold, bad, bad, indices)
    assert same["micro_f1_diff"] == [0.0, 0.0] and same["micro_f1_share_better"] == 0.0
    with pytest.raises(ValueError, match="at least one paragraph"):
        bootstrap_indices(0)
