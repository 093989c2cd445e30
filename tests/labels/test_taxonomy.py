from __future__ import annotations

import re
from pathlib import Path

import pytest

from risklens.labels.taxonomy import (
    GROUP_OF,
    GROUPS,
    LABELS,
    TAXONOMY_VERSION,
    UnknownLabelError,
    from_multi_hot,
    groups_of,
    to_multi_hot,
    validate_labels,
)


def test_thirty_leaves_in_nine_groups() -> None:
    assert len(LABELS) == 30 == len(set(LABELS))
    assert len(GROUPS) == 9
    assert TAXONOMY_VERSION == "risk-taxonomy.v1"


def test_ids_match_the_published_taxonomy(shared_dir: Path) -> None:
    """The ids and their order are public API: they must equal TAXONOMY.md's table."""
    table = (shared_dir / "TAXONOMY.md").read_text(encoding="utf-8")
    published = re.findall(r"^\| (\w+) \| `(\w+)` \|", table, flags=re.MULTILINE)
    assert [leaf for _, leaf in published] == list(LABELS)
    assert {leaf: group for group, leaf in published} == GROUP_OF


def test_unknown_label_names_the_id_and_suggests_the_closest() -> None:
    with pytest.raises(UnknownLabelError, match=r"unknown label 'receivable_credit'.*receivables_credit"):
        validate_labels(["receivable_credit"])


def test_non_string_label_is_refused() -> None:
    with pytest.raises(UnknownLabelError, match="must be strings"):
        validate_labels([3])


def test_multi_hot_round_trip_keeps_taxonomy_order() -> None:
    vector = to_multi_hot(["trial_goods", "rd_failure"])
    assert sum(vector) == 2 and len(vector) == 30
    assert from_multi_hot(vector) == ["rd_failure", "trial_goods"]
    assert groups_of(["trial_goods", "rd_failure"]) == ["technology", "operations"]
