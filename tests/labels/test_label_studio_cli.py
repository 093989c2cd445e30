"""Label Studio exports on the command line: imported once, and bad labels named in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from risklens.cli import main
from risklens.labels.store import LabelStore

RECEIVABLES = "报告期各期末，公司应收账款余额持续增加，若客户回款放缓，公司将面临坏账风险。"
TAX = "公司享受高新技术企业所得税优惠，若资格到期未能续期，税负将上升。"


def annotation(who: str, choices: list[str]) -> dict[str, Any]:
    return {"completed_by": {"email": who},
            "result": [{"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": choices}}]}


def write_export(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    return path


def export_tasks(tax_labels: list[str]) -> list[dict[str, Any]]:
    return [
        {"id": 1, "data": {"text": RECEIVABLES, "heading": "（一）应收账款风险"},
         "annotations": [annotation("a@x.org", ["receivables_credit"]), annotation("b@x.org", ["receivables_credit"])]},
        {"id": 2, "data": {"text": TAX, "heading": "（二）税收优惠风险"}, "annotations": [annotation("a@x.org", tax_labels)]},
    ]


def add(export: Path, store: Path) -> int:
    return main(["labels", "add", "--label-studio", str(export), "--store", str(store)])


def test_the_same_export_twice_is_stored_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    export = write_export(tmp_path / "ls.json", export_tasks(["tax_and_subsidy"]))
    assert add(export, store) == 0
    assert capsys.readouterr().out.startswith(f"stored 3 annotations (origin import) in {store}; ")
    assert add(export, store) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"stored 0 annotations (origin import) in {store} — nothing new: all 3 annotations")
    assert "the store now holds 3 annotations of 2 paragraphs" in out
    with LabelStore(store) as opened:
        assert opened.counts()["annotations"] == 3 and opened.counts()["batches"] == 1


def test_a_re_export_stores_only_what_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    assert add(write_export(tmp_path / "v1.json", export_tasks(["tax_and_subsidy"])), store) == 0
    capsys.readouterr()
    changed = write_export(tmp_path / "v2.json", export_tasks(["tax_and_subsidy", "earnings_decline"]))
    assert add(changed, store) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"stored 1 annotations (origin import) in {store}, skipped 2 of 3 already in the store")
    with LabelStore(store) as opened:
        latest = {(a.annotator, a.text): a.labels for a in opened.latest()}
    assert latest[("a@x.org", TAX)] == ("earnings_decline", "tax_and_subsidy")


def test_jsonl_feedback_is_not_deduplicated(tmp_path: Path) -> None:
    """Plain JSONL keeps its meaning: every line is a new annotation."""
    store = tmp_path / "s.sqlite"
    source = tmp_path / "fb.jsonl"
    source.write_text(json.dumps({"text": TAX, "labels": ["tax_and_subsidy"]}, ensure_ascii=False) + "\n", "utf-8")
    for _ in range(2):
        assert main(["labels", "add", str(source), "--store", str(store), "--annotator", "r"]) == 0
    with LabelStore(store) as opened:
        assert opened.counts()["annotations"] == 2


def bad_export(tmp_path: Path) -> Path:
    tasks = export_tasks(["tax_and_subsidy"])
    tasks[1]["id"] = 42
    tasks[1]["annotations"] = [annotation("a@x.org", ["tax_subsidy"])]
    return write_export(tmp_path / "bad.json", tasks)


def test_import_ls_names_file_task_and_unknown_label_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = bad_export(tmp_path)
    out = tmp_path / "out.jsonl"
    code = main(["labels", "import-ls", str(export), "--out", str(out), "--corpus", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"risklens labels import-ls: {export} task #2 (id 42): unknown label 'tax_subsidy'")
    assert "Did you mean 'tax_and_subsidy'?" in err
    assert not out.exists()


def test_add_label_studio_names_the_unknown_label_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.sqlite"
    assert add(bad_export(tmp_path), store) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "task #2 (id 42): unknown label 'tax_subsidy'" in err
    with LabelStore(store) as opened:
        assert opened.counts()["annotations"] == 0
