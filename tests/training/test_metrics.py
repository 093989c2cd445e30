from __future__ import annotations

import numpy as np
import pytest

from labels.taxonomy import LABEL_INDEX, LABELS
from training.metrics import group_matrix, multilabel_metrics, samples_f1


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
