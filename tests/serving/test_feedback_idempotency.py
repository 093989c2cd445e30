"""``POST /v1/feedback`` with an ``Idempotency-Key``: a retry never stores the records twice.

The key lives in the label store with the batch it created, so the guarantee holds for a
retry on the same server, after a restart, and on another server sharing the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from risklens.labels.store import LabelStore
from risklens.serving.app import create_app
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import error_code, fake_settings

Loader = Callable[[Path], KeywordClassifier]


def body(labels: list[str], text: str = "公司向前五名客户的销售占比较高。") -> dict[str, Any]:
    return {"paragraphs": [{"id": "f1", "text": text, "heading": "客户集中", "labels": labels}], "annotator": "analyst"}


def app_client(loader: Loader, store: Path) -> TestClient:
    return TestClient(create_app(fake_settings(loader, allow_feedback=True, store=store)))


def stored_rows(store: Path) -> tuple[int, int]:
    """(annotations, batches) in the store."""
    with LabelStore(store) as opened:
        counts = opened.counts()
    return counts["annotations"], counts["batches"]


def post(client: TestClient, payload: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/v1/feedback", json=payload, headers=headers)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_stores_nothing(fake_loader: Loader, tmp_path: Path) -> None:
    store = tmp_path / "labels.sqlite"
    with app_client(fake_loader, store) as client:
        first = post(client, body(["customer_concentration"]), "req-1")
        retry = post(client, body(["customer_concentration"]), "req-1")
        other = post(client, body(["customer_concentration"]), "req-2")  # a new key is a new request
    assert (first.status_code, first.json(), first.headers["Idempotent-Replayed"]) == (200, {"stored": 1}, "false")
    assert (retry.status_code, retry.json(), retry.headers["Idempotent-Replayed"]) == (200, {"stored": 1}, "true")
    assert other.headers["Idempotent-Replayed"] == "false"
    assert stored_rows(store) == (2, 2)


def test_the_same_key_with_another_body_is_refused(fake_loader: Loader, tmp_path: Path) -> None:
    store = tmp_path / "labels.sqlite"
    with app_client(fake_loader, store) as client:
        assert post(client, body(["customer_concentration"]), "req-1").status_code == 200
        changed = post(client, body(["earnings_decline"]), "req-1")
    assert changed.status_code == 422 and error_code(changed) == "idempotency_key_reused"
    message = changed.json()["error"]["message"]
    assert "'req-1'" in message and "new key" in message
    assert stored_rows(store) == (1, 1)


def test_the_key_survives_a_restart(fake_loader: Loader, tmp_path: Path) -> None:
    store = tmp_path / "labels.sqlite"
    with app_client(fake_loader, store) as client:
        assert post(client, body([]), "before-restart").json() == {"stored": 1}
    with app_client(fake_loader, store) as restarted:
        again = post(restarted, body([]), "before-restart")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert stored_rows(store) == (1, 1)


def test_concurrent_requests_with_one_key_store_exactly_one_batch(fake_loader: Loader, tmp_path: Path) -> None:
    """Eight simultaneous copies of one request, spread over two servers sharing the store."""
    store = tmp_path / "labels.sqlite"
    copies = 8
    start = threading.Barrier(copies)
    with app_client(fake_loader, store) as one, app_client(fake_loader, store) as two:
        def send(index: int) -> httpx.Response:
            start.wait()
            return post(one if index % 2 else two, body(["supply_chain"]), "same-key")

        with ThreadPoolExecutor(copies) as pool:
            answers = list(pool.map(send, range(copies)))
    assert [a.status_code for a in answers] == [200] * copies
    assert all(a.json() == {"stored": 1} for a in answers)
    assert sorted(a.headers["Idempotent-Replayed"] for a in answers) == ["false"] + ["true"] * (copies - 1)
    assert stored_rows(store) == (1, 1)


def test_without_a_key_nothing_changes(fake_loader: Loader, tmp_path: Path) -> None:
    store = tmp_path / "labels.sqlite"
    with app_client(fake_loader, store) as client:
        answers = [post(client, body([]), None) for _ in range(2)]
    assert [a.json() for a in answers] == [{"stored": 1}, {"stored": 1}]
    assert all("Idempotent-Replayed" not in a.headers for a in answers)
    assert stored_rows(store) == (2, 2)


def test_an_empty_or_overlong_key_is_refused(fake_loader: Loader, tmp_path: Path) -> None:
    store = tmp_path / "labels.sqlite"
    with app_client(fake_loader, store) as client:
        for key in ("", "k" * 256):
            answer = post(client, body([]), key)
            assert answer.status_code == 422, key
    assert not store.exists() or stored_rows(store) == (0, 0)


def test_the_header_is_documented_in_openapi(fake_loader: Loader, tmp_path: Path) -> None:
    with app_client(fake_loader, tmp_path / "labels.sqlite") as client:
        operation = client.get("/openapi.json").json()["paths"]["/v1/feedback"]["post"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert parameter["in"] == "header" and not parameter.get("required", False)
    assert "idempotency_key_reused" in parameter["description"]
    assert parameter["schema"]["anyOf"][0]["maxLength"] == 255
    assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
