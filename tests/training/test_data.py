from __future__ import annotations

from pathlib import Path

import pytest

from risklens.training.data import DataError, load_dataset_dir, make_example, read_jsonl


def test_dataset_dir_loads_into_examples(tiny_dataset: Path) -> None:
    splits = load_dataset_dir(tiny_dataset)
    assert splits.summary()["train"] == {"gold": 12, "silver": 6}
    first = splits.train[0]
    assert first.labels == ("receivables_credit",) and first.targets.sum() == 1


def test_missing_or_wrong_dataset_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset not found"):
        load_dataset_dir(tmp_path / "none")


def test_read_jsonl_validates_labels_and_lines(tmp_path: Path, tiny_jsonl: Path) -> None:
    assert len(read_jsonl(tiny_jsonl)) == 12
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "labels": ["receivable_credit"]}\n', "utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: .*Did you mean 'receivables_credit'"):
        read_jsonl(bad)
    bad.write_text('{"text": "x"}\n', "utf-8")
    with pytest.raises(DataError, match="expected a 'labels' list"):
        read_jsonl(bad)
    bad.write_text('{"text": 3, "labels": []}\n', "utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: expected an object with a string 'text'"):
        read_jsonl(bad)
    bad.write_text('{"text": "x", "heading": {"a": 1}, "labels": []}\n', "utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:1: .*'heading' must be a string or a list"):
        read_jsonl(bad)
    with pytest.raises(DataError, match="kind must be one of"):
        make_example(id="x", text="t", heading="", labels=[], kind="bronze")


def test_read_jsonl_joins_a_heading_list_like_prediction_input(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text('{"text": "x", "heading": ["第四节 风险因素", "", "（一）应收账款风险"], "labels": []}\n', "utf-8")
    assert read_jsonl(path)[0].heading == "第四节 风险因素 / （一）应收账款风险"
