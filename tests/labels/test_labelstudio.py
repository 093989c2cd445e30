from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.labels.labelstudio import (
    LabelStudioError,
    Task,
    export_tasks,
    import_tasks,
    labelling_config,
)
from risklens.labels.taxonomy import LABELS


def test_config_offers_every_leaf() -> None:
    config = labelling_config()
    assert all(f'value="{label}"' in config for label in LABELS)
    assert 'choice="multiple"' in config


def test_round_trip_as_an_annotator_would_edit_it(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    ref = {"doc": "corpus/x.md", "start": 3, "end": 9, "text_hash": "abc"}
    export_tasks([Task(text="公司应收账款较高。", heading="（一）应收账款风险", ref=ref, predicted=("receivables_credit",))], path)
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert tasks[0]["predictions"][0]["result"][0]["value"]["choices"] == ["receivables_credit"]
    # the annotator accepts the suggestion and adds a second leaf; a second one cancels
    tasks[0]["annotations"] = [
        {"completed_by": {"email": "ann@example.org"}, "result": [
            {"from_name": "labels", "to_name": "text", "type": "choices",
             "value": {"choices": ["receivables_credit", "liquidity_and_debt"]}}]},
        {"completed_by": 7, "was_cancelled": True, "result": []},
    ]
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    [done] = import_tasks(path)
    assert done.labels == ("receivables_credit", "liquidity_and_debt")
    assert done.annotator == "ann@example.org"
    assert done.ref == ref


def test_unknown_choice_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": 1, "data": {"text": "x"}, "annotations": [{"result": [
        {"from_name": "labels", "type": "choices", "value": {"choices": ["stock_prices"]}}]}]}]), encoding="utf-8")
    with pytest.raises(ValueError, match="Did you mean 'stock_price'"):
        import_tasks(path)


def test_not_a_task_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(LabelStudioError, match="expected a JSON list"):
        import_tasks(path)
