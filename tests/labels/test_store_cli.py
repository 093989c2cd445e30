from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from risklens.cli import main
from risklens.labels.store import LabelStore

ITEMS: list[dict[str, Any]] = [
    {"id": "fb-1", "text": "公司前五大客户收入占比超过七成，若主要客户减少订单，业绩将明显下降。",
     "heading": "（一）客户集中的风险", "labels": ["customer_concentration", "earnings_decline"]},
    {"text": "公司享受高新技术企业所得税优惠，若资格到期未能续期，税负将上升。", "labels": ["tax_and_subsidy"],
     "source": "review-2025-06"},
    {"text": "投资者在评价本公司本次发行的股票时，应认真考虑下述各项风险因素。", "labels": []},
]


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


def test_labels_add_stores_a_jsonl_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_path = tmp_path / "store.sqlite"
    source = write_jsonl(tmp_path / "fb.jsonl", ITEMS)
    assert main(["labels", "add", str(source), "--store", str(store_path), "--annotator", "reviewer"]) == 0
    assert "stored 3 annotations (origin feedback)" in capsys.readouterr().out
    with LabelStore(store_path) as store:
        stored = list(store.annotations())
    assert [(a.item_id, a.labels, a.annotator, a.origin) for a in stored] == [
        ("fb-1", ("earnings_decline", "customer_concentration"), "reviewer", "feedback"),
        (None, ("tax_and_subsidy",), "reviewer", "feedback"),
        (None, (), "reviewer", "feedback"),
    ]
    assert stored[0].heading == "（一）客户集中的风险" and stored[1].source == "review-2025-06"
    assert stored[0].text == ITEMS[0]["text"]


def test_labels_add_uses_the_environment_store_and_origin_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISKLENS_STORE", str(tmp_path / "env.sqlite"))
    source = write_jsonl(tmp_path / "gold.jsonl", ITEMS[:1])
    assert main(["labels", "add", str(source), "--origin", "gold", "--annotator", "lead"]) == 0
    with LabelStore(tmp_path / "env.sqlite") as store:
        assert [a.origin for a in store.annotations()] == ["gold"]


def test_a_bad_line_names_file_and_line_and_stores_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_path = tmp_path / "store.sqlite"
    bad = [*ITEMS[:2], {"text": "公司股价可能大幅波动。", "labels": ["stock_prices"]}]
    source = write_jsonl(tmp_path / "fb.jsonl", bad)
    assert main(["labels", "add", str(source), "--store", str(store_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"risklens labels add: {source}:3: unknown label 'stock_prices'")
    assert "Did you mean 'stock_price'?" in err and "\n" not in err
    with LabelStore(store_path) as store:
        assert store.counts()["annotations"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "x", "labels": []}\n{not json}\n', "fb.jsonl:2: not valid JSON"),
        ("\n\n", "no labelled items"),
        ('{"labels": []}\n', "fb.jsonl:1: missing 'text'"),
    ],
)
def test_malformed_files_fail_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    source = tmp_path / "fb.jsonl"
    source.write_text(content, "utf-8")
    assert main(["labels", "add", str(source), "--store", str(tmp_path / "s.sqlite")]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "gbk.jsonl"
    source.write_bytes(json.dumps(ITEMS[0], ensure_ascii=False).encode("gbk"))
    assert main(["labels", "add", str(source), "--store", str(tmp_path / "s.sqlite")]) == 1
    assert capsys.readouterr().err.strip() == f"risklens labels add: {source}: not UTF-8 text; save the file as UTF-8."


def test_missing_file_and_bad_label_studio_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["labels", "add", str(tmp_path / "nope.jsonl"), "--store", str(tmp_path / "s.sqlite")]) == 1
    assert "nope.jsonl: file not found" in capsys.readouterr().err
    export = tmp_path / "ls.json"
    export.write_text('{"tasks": []}', "utf-8")
    assert main(["labels", "add", "--label-studio", str(export), "--store", str(tmp_path / "s.sqlite")]) == 1
    assert "expected a JSON list of tasks" in capsys.readouterr().err


def test_label_studio_tasks_without_reference_keep_their_text(tmp_path: Path) -> None:
    tasks = [{"id": 5, "data": {"text": ITEMS[1]["text"], "heading": "（三）税收优惠的风险"},
              "annotations": [{"completed_by": {"email": "a@b.c"},
                               "result": [{"from_name": "labels", "to_name": "text", "type": "choices",
                                           "value": {"choices": ["tax_and_subsidy"]}}]}]}]
    export = tmp_path / "ls.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    store_path = tmp_path / "s.sqlite"
    assert main(["labels", "add", "--label-studio", str(export), "--store", str(store_path), "--annotator", "lead"]) == 0
    with LabelStore(store_path) as store:
        (stored,) = store.annotations()
    assert (stored.text, stored.labels, stored.origin) == (ITEMS[1]["text"], ("tax_and_subsidy",), "import")
    assert stored.annotator == "lead" and stored.item_id == "ls-5"
