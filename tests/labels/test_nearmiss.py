"""The near-miss set: its checks, and the committed file (resolved against ../shared)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from risklens.labels.annotations import AnnotationError, load_all
from risklens.labels.nearmiss import (
    EMPTY_GROUPS,
    GROUPS,
    MINED_CHECK_FILE,
    NEAR_MISS_FILE,
    check_disjoint,
    load_near_miss,
    read_near_miss,
)
from risklens.labels.taxonomy import LABELS

DATA = Path(__file__).resolve().parents[2] / "labels" / "data"


def _record(i: int, doc: str, group: str, part: str, labels: list[str]) -> dict[str, object]:
    return {"id": f"nm-{i}", "doc": doc, "doc_hash": "0" * 16, "start": 0, "end": 10, "text_hash": "1" * 16,
            "labels": labels, "split": "train", "kind": "gold", "annotator": "a", "group": group, "part": part}


def _write(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    path = tmp_path / "nm.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def test_a_valid_file_reads_with_group_and_part(tmp_path: Path) -> None:
    path = _write(tmp_path, [_record(1, "a.md", "sanctions_vs_trade", "eval", ["overseas_and_trade"]),
                             _record(2, "b.md", "negated_risk", "train", [])])
    records = read_near_miss(path)
    assert [(r.extra["group"], r.extra["part"]) for r in records] == [("sanctions_vs_trade", "eval"),
                                                                      ("negated_risk", "train")]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (_record(1, "a.md", "trade", "eval", []), "'group' must be one of"),
        (_record(1, "a.md", "negated_risk", "test", []), "'part' must be one of"),
        (_record(1, "a.md", "non_risk_statement", "eval", ["earnings_decline"]), "label it \\[\\]"),
        ({**_record(1, "a.md", "negated_risk", "eval", []), "split": "dev"}, "train-split documents only"),
    ],
)
def test_bad_records_are_refused_with_the_reason(tmp_path: Path, record: dict[str, object], message: str) -> None:
    with pytest.raises(AnnotationError, match=message):
        read_near_miss(_write(tmp_path, [record]))


def test_parts_are_split_by_document(tmp_path: Path) -> None:
    path = _write(tmp_path, [_record(1, "a.md", "negated_risk", "eval", []),
                             _record(2, "a.md", "negated_risk", "train", [])])
    with pytest.raises(AnnotationError, match="both parts"):
        read_near_miss(path)


def test_records_from_dev_or_test_documents_are_refused(tmp_path: Path) -> None:
    records = read_near_miss(_write(tmp_path, [_record(1, "a.md", "negated_risk", "eval", [])]))
    check_disjoint(records, {"a.md": "train"})
    with pytest.raises(AnnotationError, match="is a test document"):
        check_disjoint(records, {"a.md": "test"})


def test_the_committed_set_covers_every_group_in_both_parts_away_from_dev_and_test() -> None:
    records = read_near_miss(DATA / NEAR_MISS_FILE)
    assert len(records) >= 60
    assert not any("text" in r.to_json() for r in records)  # stand-off only
    check_disjoint(records, {r.doc: r.split for r in load_all(DATA) if r.kind == "gold"})
    parts = Counter((r.extra["group"], r.extra["part"]) for r in records)
    for group in GROUPS:
        assert parts[(group, "eval")] >= 5 and parts[(group, "train")] >= 1, group
    positives = Counter(label for r in records if r.extra["part"] == "eval" for label in r.labels)
    assert positives["entity_list_sanctions"] >= 5 and positives["trial_goods"] >= 2
    assert all(not r.labels for r in records if r.extra["group"] in EMPTY_GROUPS)
    assert all(set(r.labels) <= set(LABELS) for r in records)


def test_the_committed_set_resolves_against_the_corpus(shared_dir: Path) -> None:
    items = load_near_miss(DATA / NEAR_MISS_FILE, shared_dir)
    assert len(items) == len(read_near_miss(DATA / NEAR_MISS_FILE))
    assert all(item.text.strip() for item in items)
    assert {item.part for item in load_near_miss(DATA / NEAR_MISS_FILE, shared_dir, "train")} == {"train"}


def test_the_mined_check_is_empty_held_out_and_shares_no_document_with_any_label() -> None:
    records = read_near_miss(DATA / MINED_CHECK_FILE)
    assert len(records) >= 50
    assert all(not r.labels and r.extra["part"] == "eval" for r in records)
    assert not any("text" in r.to_json() for r in records)
    labelled = {r.doc for r in load_all(DATA)} | {r.doc for r in read_near_miss(DATA / NEAR_MISS_FILE)}
    assert not {r.doc for r in records} & labelled  # held out by document: no training row comes from them
    mined = [r for r in load_all(DATA) if r.annotator.startswith("hn-s9-")]
    assert len(mined) >= 500 and all(r.split == "train" for r in mined)
    assert not {r.text_hash for r in records} & {r.text_hash for r in mined}


def test_the_mined_check_resolves_against_the_corpus(shared_dir: Path) -> None:
    items = load_near_miss(DATA / MINED_CHECK_FILE, shared_dir)
    assert len(items) == len(read_near_miss(DATA / MINED_CHECK_FILE))
    assert all(item.text.strip() and item.group in EMPTY_GROUPS for item in items)
