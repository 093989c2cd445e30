"""``risklens labels agreement``: which second annotation, which split, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.labels.annotations import Annotation, write_annotations
from risklens.labels.workflow import UserError, agreement_report


def _record(rid: str, labels: tuple[str, ...], split: str, annotator: str) -> Annotation:
    return Annotation(
        id=rid, doc=f"corpus/x/{split}.md", labels=labels, split=split, kind="gold", annotator=annotator,
        doc_hash="0" * 16, start=0, end=10, text_hash="0" * 16,
    )


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    gold = [
        _record("a", ("rd_failure",), "train", "ann-1"),
        _record("b", ("stock_price",), "test", "ann-1"),
        _record("c", (), "test", "ann-1"),
    ]
    write_annotations(tmp_path / "gold.jsonl", gold)
    second = [
        _record("a", ("technology_iteration",), "train", "ann-2"),  # disagrees
        _record("b", ("stock_price",), "test", "ann-2"),
        _record("c", (), "test", "ann-2"),
    ]
    write_annotations(tmp_path / "agreement" / "second.jsonl", second)
    write_annotations(tmp_path / "agreement" / "blind.jsonl", [_record("b", (), "test", "ann-3")])
    return tmp_path


def test_split_keeps_only_that_splits_gold(data_dir: Path) -> None:
    everything = agreement_report(data_dir)
    assert (everything["items"], everything["exact_match"]) == (3, 2)
    test_only = agreement_report(data_dir, split="test")
    assert (test_only["items"], test_only["exact_match"], test_only["micro_f1"]) == (2, 2, 1.0)
    assert test_only["split"] == "test"


def test_second_names_another_campaign_relative_to_the_data_dir(data_dir: Path) -> None:
    report = agreement_report(data_dir, second=Path("agreement/blind.jsonl"))
    assert (report["items"], report["exact_match"], report["micro_f1"]) == (1, 0, 0.0)
    assert report["second"].endswith("blind.jsonl")


def test_missing_file_and_empty_split_are_user_errors(data_dir: Path) -> None:
    with pytest.raises(UserError, match="--second"):
        agreement_report(data_dir, second=Path("agreement/none.jsonl"))
    with pytest.raises(UserError, match="split 'dev'"):
        agreement_report(data_dir, split="dev")
