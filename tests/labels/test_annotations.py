from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.labels.annotations import (
    Annotation,
    AnnotationError,
    load_all,
    read_annotations,
    text_hash,
    write_annotations,
)
from risklens.labels.dataset import build_rows, compute_stats, validate_splits
from risklens.labels.resolve import resolve_one


def _record(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "r1", "doc": "synthetic", "labels": ["rd_failure"], "split": "train",
        "kind": "synthetic", "annotator": "a", "text": "公司在研项目可能失败。",
    }
    base.update(overrides)
    return base


def test_synthetic_record_round_trips(tmp_path: Path) -> None:
    record = Annotation.from_json(_record(), where="t")
    path = tmp_path / "a.jsonl"
    write_annotations(path, [record])
    assert read_annotations(path) == [record]


def test_extra_fields_round_trip_byte_for_byte(tmp_path: Path) -> None:
    """Rewriting a stored file (as a later labelling round does) must not nest ``extra``."""
    line = json.dumps({"annotator": "a", "doc": "corpus/x.md", "doc_hash": "0", "end": 3, "extra": {"page": 4},
                       "heading": "h", "id": "g1", "kind": "gold", "labels": [], "section": "risk_factors", "split": "train",
                       "start": 0, "text_hash": "x"},
                      ensure_ascii=False, sort_keys=True) + "\n"
    path = tmp_path / "g.jsonl"
    path.write_text(line, encoding="utf-8")
    write_annotations(path, read_annotations(path))
    assert path.read_text(encoding="utf-8") == line


def test_corpus_backed_record_may_not_carry_text() -> None:
    with pytest.raises(AnnotationError, match="stand-off"):
        Annotation.from_json(_record(kind="gold", doc="corpus/x.md", doc_hash="0", start=0, end=3, text_hash="x"), where="t")


def test_synthetic_record_may_not_be_in_test() -> None:
    with pytest.raises(AnnotationError, match="test split"):
        Annotation.from_json(_record(split="test"), where="t")


def test_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_record()) + "\n" + json.dumps(_record(labels=["rd_fail"])) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"bad\.jsonl:2: unknown label 'rd_fail'"):
        read_annotations(path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(_record()) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps(_record()) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match="duplicate record id"):
        load_all(tmp_path)


def _stand_off(tmp_path: Path, text: str, whole: str, **overrides: object) -> Annotation:
    from risklens.labels.sources import file_hash

    source = tmp_path / "corpus" / "rare" / "paragraphs.jsonl"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(json.dumps({"text": whole, "company": "甲"}, ensure_ascii=False) + "\n", encoding="utf-8")
    start = whole.index(text)
    raw: dict[str, object] = {
        "id": "s1", "doc": "corpus/rare/paragraphs.jsonl#L1", "labels": ["entity_list_sanctions"],
        "split": "test", "kind": "gold", "annotator": "a", "doc_hash": file_hash(source),
        "start": start, "end": start + len(text), "text_hash": text_hash(text), "company": "甲",
    }
    raw.update(overrides)
    return Annotation.from_json(raw, where="t")


def test_stand_off_record_resolves_to_its_text(tmp_path: Path) -> None:
    whole = "前言。公司被列入实体清单，采购芯片受限。后记。"
    record = _stand_off(tmp_path, "公司被列入实体清单，采购芯片受限。", whole)
    assert resolve_one(record, tmp_path).text == "公司被列入实体清单，采购芯片受限。"


def test_changed_text_fails_loudly_naming_the_record(tmp_path: Path) -> None:
    whole = "前言。公司被列入实体清单，采购芯片受限。后记。"
    record = _stand_off(tmp_path, "公司被列入实体清单，采购芯片受限。", whole, text_hash="0000000000000000")
    with pytest.raises(AnnotationError, match=r"record 's1'.*no longer matches its hash"):
        resolve_one(record, tmp_path)


def test_a_document_in_two_splits_is_refused(tmp_path: Path) -> None:
    whole = "前言。公司被列入实体清单，采购芯片受限。后记。"
    first = _stand_off(tmp_path, "公司被列入实体清单", whole)
    second = _stand_off(tmp_path, "采购芯片受限", whole, id="s2", split="train")
    with pytest.raises(AnnotationError, match="appears in split"):
        validate_splits([first, second])


def test_build_rows_drops_silver_of_test_documents(tmp_path: Path) -> None:
    whole = "前言。公司被列入实体清单，采购芯片受限。后记。"
    gold = _stand_off(tmp_path, "公司被列入实体清单", whole)
    silver = _stand_off(tmp_path, "采购芯片受限", whole, id="s2", split="train", kind="silver")
    rows = build_rows([gold, silver], tmp_path)
    assert [(row.id, row.split) for row in rows] == [("s1", "test")]
    stats = compute_stats([gold, silver])
    assert stats.per_label["entity_list_sanctions"]["gold_test"] == 1


def test_build_rows_lets_a_read_label_override_silver_on_the_same_paragraph(tmp_path: Path) -> None:
    whole = "前言。公司被列入实体清单，采购芯片受限。后记。"
    gold = _stand_off(tmp_path, "公司被列入实体清单", whole, split="train")
    same = _stand_off(tmp_path, "公司被列入实体清单", whole, id="s2", split="train", kind="silver")
    other = _stand_off(tmp_path, "采购芯片受限", whole, id="s3", split="train", kind="silver")
    rows = build_rows([gold, same, other], tmp_path)
    assert sorted(row.id for row in rows) == ["s1", "s3"]


STAND_OFF = {"kind": "gold", "text": None, "doc": "corpus/x.md", "doc_hash": "0" * 16, "start": 0, "end": 9,
             "text_hash": "1" * 16}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "model"}, "kind must be one of"),
        ({"split": "val"}, "split must be one of"),
        ({"labels": "rd_failure"}, "labels must be a list"),
        ({"labels": ["rd_failures"]}, "unknown label 'rd_failures'"),
        ({"text": "  "}, "must carry its own 'text'"),
        ({"split": "test"}, "may not be in the test split"),
        ({"kind": "gold"}, r"corpus-backed \(gold\) records are stand-off"),
        ({**STAND_OFF, "doc_hash": None}, "stand-off record is missing 'doc_hash'"),
        ({**STAND_OFF, "start": 9}, "0 <= start < end"),
        ({**STAND_OFF, "end": "9"}, "0 <= start < end"),
    ],
)
def test_every_invalid_field_is_named_with_the_record(overrides: dict[str, object], message: str) -> None:
    record = {k: v for k, v in _record(**overrides).items() if v is not None}  # None: leave the key out
    with pytest.raises(AnnotationError, match=f"^labels.jsonl:7: .*{message}"):
        Annotation.from_json(record, where="labels.jsonl:7")


def test_missing_fields_and_non_objects_are_named() -> None:
    with pytest.raises(AnnotationError, match=r"^f:1: missing field\(s\) split, annotator\.$"):
        Annotation.from_json({"id": "a", "doc": "d", "labels": [], "kind": "gold"}, where="f:1")
    with pytest.raises(AnnotationError, match=r"^f:2: expected a JSON object, got list\.$"):
        Annotation.from_json([], where="f:2")  # type: ignore[arg-type]
    valid = Annotation.from_json({k: v for k, v in _record(**STAND_OFF).items() if v is not None}, where="f:3")
    assert (valid.kind, valid.start, valid.end, valid.text) == ("gold", 0, 9, None)
