"""Answers never show the server's folders; every model load leaves one log event."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from risklens.serving.app import create_app
from risklens.serving.errors import without_paths
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import TOKEN, fake_settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    out = []
    for record in caplog.records:
        try:
            line = json.loads(record.getMessage())
        except ValueError:
            continue
        if isinstance(line, dict) and "event" in line:
            out.append(line)
    return out


def test_paths_are_cut_to_their_last_part() -> None:
    assert without_paths("/srv/risk/models/v3: not a model directory") == "…/v3: not a model directory"
    assert without_paths("cannot open /home/u/.risklens/labels.sqlite (disk full)") == "cannot open …/labels.sqlite (disk full)"
    assert without_paths("ratio 0.5/1, see http://host/a/b") == "ratio 0.5/1, see http://host/a/b"


def test_a_failed_admin_reload_names_no_path_and_every_load_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    calls = {"n": 0}

    def loader(path: Path) -> KeywordClassifier:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("/srv/secret/models/v9/config.json: id2label is not the 30 leaves")
        return KeywordClassifier(version=str(calls["n"]))

    caplog.set_level(logging.INFO, logger="risklens.serve")
    with TestClient(create_app(fake_settings(loader, token=TOKEN))) as client:
        failed = client.post("/v1/admin/reload", headers=AUTH)
        assert failed.status_code == 500
        message = failed.json()["error"]["message"]
        assert "/srv/secret" not in message and "…/config.json: id2label" in message
        assert client.post("/v1/admin/reload", headers=AUTH).status_code == 200
    triggers = [(e["event"], e.get("trigger")) for e in events(caplog) if e["event"].startswith("model_load")]
    assert triggers == [("model_loaded", "startup"), ("model_load_failed", "admin"), ("model_loaded", "admin")]


def test_store_unavailable_names_no_path(tmp_path: Path, fake_loader: Any) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the store's folder should be")
    settings = fake_settings(fake_loader, token=TOKEN, store=blocked / "store.sqlite")
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/feedback", headers=AUTH,
                             json={"paragraphs": [{"text": "公司存货较多。", "labels": ["inventory_impairment"]}]})
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "store_unavailable"
    assert str(tmp_path) not in answer.json()["error"]["message"]
