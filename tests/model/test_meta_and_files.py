from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from risklens.labels.taxonomy import LABELS
from risklens.model import RiskClassifier
from risklens.model.files import read_paragraphs, write_predictions
from risklens.model.meta import ModelMeta


def test_meta_validates_and_round_trips(tmp_path: Path) -> None:
    meta = ModelMeta(name="m", temperature=1.5)
    meta.save(tmp_path)
    again = ModelMeta.load(tmp_path)
    assert again.to_dict() == meta.to_dict()
    assert again.version  # defaults to the creation time
    with pytest.raises(ValueError, match="temperature must be > 0"):
        ModelMeta(temperature=0.0)
    with pytest.raises(ValueError, match="thresholds lack a value"):
        ModelMeta(thresholds={"rd_failure": 0.5})
    assert ModelMeta.from_dict({"name": "x", "added_later": 1}).name == "x"


def test_read_and_write_taxonomy_jsonl(tmp_path: Path, tiny_dir: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "公司应收账款较大", "heading": "（一）应收账款风险"}, ensure_ascii=False)
        + "\n\n" + json.dumps({"text": "汇率波动"}, ensure_ascii=False) + "\n",
        "utf-8",
    )
    paragraphs = read_paragraphs(source)
    assert [p.id for p in paragraphs] == ["a", None]
    out = io.StringIO()
    assert write_predictions(RiskClassifier.from_pretrained(tiny_dir), paragraphs, out) == 2
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records[0]["id"] == "a" and "id" not in records[1]
    assert all(list(r["scores"]) == list(LABELS) and isinstance(r["labels"], list) for r in records)


def test_read_paragraphs_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "好"}\n{"txt": "坏"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: .*'text'"):
        read_paragraphs(bad)
    bad.write_text("not json\n", "utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: not valid JSON"):
        read_paragraphs(bad)
