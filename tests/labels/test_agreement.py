from __future__ import annotations

import pytest

from risklens.labels.agreement import agreement


def test_agreement_counts_exact_matches_and_micro_f1() -> None:
    first = {"a": ["rd_failure"], "b": ["stock_price"], "c": [], "d": ["trial_goods", "inventory_impairment"]}
    second = {"a": ["rd_failure"], "b": ["issuance_failure"], "c": [], "d": ["trial_goods"], "e": ["rd_failure"]}
    result = agreement(first, second)
    assert result.items == 4
    assert result.exact == 2
    # tp = 2 (rd_failure, trial_goods), fp = 1 (issuance_failure), fn = 2 (stock_price, inventory)
    assert result.micro_f1 == pytest.approx(4 / 7)
    assert result.per_label["rd_failure"]["f1"] == 1.0
    assert result.per_label["stock_price"]["f1"] == 0.0


def test_majority_keeps_leaves_most_annotators_gave() -> None:
    from risklens.labels.agreement import majority

    votes = [["stock_price", "rd_failure"], ["rd_failure"], ["technology_iteration", "rd_failure", "stock_price"]]
    assert majority(votes) == ["rd_failure", "stock_price"]  # taxonomy order
    assert majority([["rd_failure"], [], []]) == []
    with pytest.raises(ValueError, match="odd number"):
        majority([["rd_failure"], []])
