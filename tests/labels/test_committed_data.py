"""The committed label data: stand-off only, valid, and as large as the dataset card says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.labels.agreement import majority
from risklens.labels.annotations import load_all, read_annotations
from risklens.labels.dataset import build_rows, compute_stats, split_key, validate_splits
from risklens.labels.taxonomy import LABELS

DATA = Path(__file__).resolve().parents[2] / "labels" / "data"


def _raw_records() -> list[tuple[Path, dict[str, object]]]:
    out = []
    for path in sorted(DATA.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append((path, json.loads(line)))
    return out


def test_corpus_backed_records_carry_no_text() -> None:
    """No third-party sentence in the tree: only synthetic records may hold text."""
    raw = _raw_records()
    assert raw, "labels/data holds no records"
    offenders = [f"{path.name}:{rec['id']}" for path, rec in raw if rec.get("kind") != "synthetic" and "text" in rec]
    assert offenders == []


def test_gold_set_meets_the_dataset_card() -> None:
    records = load_all(DATA)
    stats = compute_stats(records)
    assert stats.by_kind["gold"] >= 3700
    assert stats.empty_gold >= 150
    real_test = [r for r in records if r.kind == "gold" and r.split == "test"]
    assert len(real_test) >= 200
    assert len([r for r in records if r.kind == "gold" and r.split == "dev"]) >= 500
    assert not [r for r in records if r.kind == "synthetic" and r.split == "test"]
    for label in LABELS:
        counts = stats.per_label[label]
        assert counts.get("gold", 0) + counts.get("synthetic", 0) >= 15, label
    gold_docs = {split_key(r) for r in records if r.kind == "gold" and "#" not in r.doc}
    assert len(gold_docs) >= 40
    assert sum(1 for d in gold_docs if d.startswith("corpus/ipo-2024-2025/")) == 6


def test_test_documents_are_used_nowhere_else() -> None:
    records = load_all(DATA)
    doc_split = validate_splits(records)  # raises if a document sits in two splits
    test_docs = {doc for doc, split in doc_split.items() if split == "test"}
    other_docs = {split_key(r) for r in records if r.kind != "silver" and r.split != "test"}
    assert len(test_docs) >= 10
    assert not test_docs & other_docs


def test_second_annotation_covers_one_hundred_gold_paragraphs() -> None:
    second = read_annotations(DATA / "agreement" / "second.jsonl")
    gold_ids = {r.id for r in load_all(DATA) if r.kind == "gold"}
    assert len(second) >= 95
    assert {r.id for r in second} <= gold_ids


@pytest.mark.corpus
def test_every_committed_record_resolves_against_the_corpus(shared_dir: Path) -> None:
    """Fails, naming the record, when the corpus or the ingestion changed under the labels."""
    records = load_all(DATA)
    rows = build_rows(records, shared_dir, include_silver=True)
    test_rows = [row for row in rows if row.split == "test"]
    assert len(test_rows) >= 200
    assert {row.kind for row in test_rows} == {"gold"}


@pytest.mark.corpus
@pytest.mark.parametrize("seed", ["002_1b7f672a21a59f37.txt", "004_5a2ba842c99afd65.txt"])
def test_every_risk_paragraph_of_the_cloudwalk_seeds_is_gold(shared_dir: Path, seed: str) -> None:
    from risklens.labels.harvest import harvest_file

    harvested = harvest_file(shared_dir / "seeds" / seed, shared_dir)
    gold = {(r.doc, r.start, r.end) for r in load_all(DATA) if r.kind == "gold"}
    missing = [h.heading for h in harvested if (h.doc, h.start, h.end) not in gold]
    assert harvested and missing == []


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_blind_second_annotation_covers_the_whole_split(split: str) -> None:
    """agreement/{split}-blind.jsonl: every gold paragraph of the split, anchored exactly like its gold record."""
    blind = {r.id: r for r in read_annotations(DATA / "agreement" / f"{split}-blind.jsonl")}
    gold = {r.id: r for r in load_all(DATA) if r.kind == "gold" and r.split == split}
    assert set(blind) == set(gold)
    for rid, record in blind.items():
        anchor = (gold[rid].doc, gold[rid].start, gold[rid].end, gold[rid].text_hash)
        assert (record.doc, record.start, record.end, record.text_hash) == anchor, rid
        assert record.annotator != gold[rid].annotator


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_every_dispute_of_an_adjudicated_split_is_settled_by_majority(split: str) -> None:
    """Where gold's first annotation and the blind one differ, gold holds the three-vote majority.

    All three splits went through the same procedure; a test record's first annotation stays
    in its votes, so the single-annotator test labels can still be recovered.
    """
    blind = {r.id: r for r in read_annotations(DATA / "agreement" / f"{split}-blind.jsonl")}
    third = {r.id: r for r in read_annotations(DATA / "agreement" / f"{split}-third.jsonl")}
    settled = 0
    for record in load_all(DATA):
        if record.kind != "gold" or record.split != split:
            continue
        adjudication = record.extra.get("adjudication")
        if not isinstance(adjudication, dict):
            assert set(record.labels) == set(blind[record.id].labels), f"{record.id}: disputed but not adjudicated"
            continue
        votes = adjudication["votes"]
        assert blind[record.id].annotator in votes and third[record.id].annotator in votes, record.id
        assert list(votes[third[record.id].annotator]) == list(third[record.id].labels), record.id
        assert list(record.labels) == majority(list(votes.values())), record.id
        settled += 1
    assert settled > 0
