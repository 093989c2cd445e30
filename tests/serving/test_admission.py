"""Admission control, cancellation, the cost bound and the token before the body."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from risklens.serving.admission import Admission, Cancelled, Deadline, check_cost
from risklens.serving.app import create_app
from risklens.serving.errors import ApiError
from tests.scoring.fakes import FILING_MD, KeywordClassifier
from tests.serving.test_app import TOKEN, fake_settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class SlowBatches(KeywordClassifier):
    """Runs paragraphs in batches of ``batch_size``, ``per_batch`` seconds each, reporting progress."""

    def __init__(self, per_batch: float) -> None:
        super().__init__()
        self.per_batch = per_batch
        self.batches_run = 0

    def predict_proba(self, paragraphs: Iterable[object], batch_size: int = 32, progress: Any = None) -> np.ndarray:
        items = list(paragraphs)
        for start in range(0, len(items), batch_size):
            time.sleep(self.per_batch)
            self.batches_run += 1
            if progress is not None:
                progress(min(start + batch_size, len(items)), len(items))
        return super().predict_proba(items, batch_size)


def test_a_timed_out_request_stops_within_one_batch_and_frees_its_place() -> None:
    slow = SlowBatches(per_batch=0.1)
    settings = fake_settings(lambda path: slow, token=TOKEN, timeout_s=1.0, batch_size=1)
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        answer = client.post("/v1/classify", json={"paragraphs": [{"text": "存货跌价"}] * 100}, headers=AUTH)
        assert answer.status_code == 504 and answer.json()["error"]["code"] == "timeout"
        assert time.monotonic() - started < 3
        time.sleep(0.3)
        stopped_at = slow.batches_run
        time.sleep(0.5)
        assert slow.batches_run == stopped_at <= 13  # ~10 batches in the second, then at most one more
        assert client.app.state.risklens.admission.admitted == 0  # type: ignore[attr-defined]


def test_a_full_queue_answers_503_with_retry_after_and_readyz_says_saturated() -> None:
    gate = threading.Event()
    held = KeywordClassifier(gate=gate)
    settings = fake_settings(lambda path: held, token=TOKEN, queue=1)
    with TestClient(create_app(settings)) as client:
        first: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: first.update(r=client.post("/v1/classify", json={"paragraphs": [{"text": "试用"}]}, headers=AUTH))
        )
        worker.start()
        deadline = time.monotonic() + 5
        while held.calls == 0:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        busy = client.post("/v1/classify", json={"paragraphs": [{"text": "x"}]}, headers=AUTH)
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "overloaded"
        assert int(busy.headers["Retry-After"]) >= 1
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "saturated" in ready.json()["reason"]
        gate.set()
        worker.join(10)
        assert first["r"].status_code == 200
        assert client.get("/readyz").status_code == 200


def test_work_over_the_measured_speed_is_refused_before_it_starts() -> None:
    counted = KeywordClassifier()
    settings = fake_settings(lambda path: counted, token=TOKEN, timeout_s=2.0,
                             speed_probe=lambda classifier, batch_size: 100.0)  # 100 characters/s
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/classify", json={"paragraphs": [{"text": "应" * 300}]}, headers=AUTH)
        assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_costly"
        assert "300 characters" in answer.json()["error"]["message"]
        filing = client.post("/v1/filings", files={"file": ("f.md", FILING_MD.encode())}, headers=AUTH)
        assert filing.status_code == 413 and filing.json()["error"]["code"] == "too_costly"
        assert counted.calls == 0
        assert client.post("/v1/classify", json={"paragraphs": [{"text": "应收"}]}, headers=AUTH).status_code == 200


def test_the_token_is_checked_before_the_body_is_parsed(fake_loader: Any) -> None:
    with TestClient(create_app(fake_settings(fake_loader, token=TOKEN))) as client:
        answer = client.post("/v1/classify", content=b"{not json", headers={"content-type": "application/json"})
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        wrong = client.post("/v1/classify", content=b"{not json", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        parsed = client.post("/v1/classify", content=b"{not json",
                             headers={**AUTH, "content-type": "application/json"})
        assert parsed.status_code == 400  # with the token, the body is read and found malformed
        assert client.get("/healthz").status_code == 200  # open routes need no token


def test_deadline_and_admission_units() -> None:
    now = [0.0]
    deadline = Deadline(5.0, clock=lambda: now[0])
    deadline.check(1, 2)
    assert deadline.remaining == 5.0
    now[0] = 5.0
    with pytest.raises(Cancelled, match="after 3 of 9 batches"):
        deadline.check(3, 9)
    early = Deadline(60.0)
    early.cancel()
    assert early.expired and early.remaining == 0.0
    admission = Admission(2)
    release = admission.admit()
    admission.admit()
    assert admission.saturated
    with pytest.raises(ApiError) as refused:
        admission.admit()
    assert refused.value.status_code == 503 and refused.value.headers == {"Retry-After": "5"}
    release()
    release()  # freeing twice frees once
    assert admission.admitted == 1
    check_cost(1_000, None, 1.0, "x")  # no measured speed: no bound
    with pytest.raises(ApiError, match="about 10 s"):
        check_cost(1_000, 100.0, 5.0, "x")


def test_speed_is_measured_at_load(tmp_path: Path) -> None:
    from risklens.serving.state import measure_speed

    slow = SlowBatches(per_batch=0.01)
    rate = measure_speed(slow, batch_size=4)
    assert 1_000 < rate < 1_000_000


def test_the_speed_follows_finished_jobs() -> None:
    from risklens.serving.admission import SpeedMeter

    meter = SpeedMeter(1_000.0, weight=0.5)
    meter.observe(500, 0.1)  # too small to tell: skipped
    assert meter.chars_per_second == 1_000.0
    meter.observe(10_000, 1.0)  # 10,000 chars/s
    assert meter.chars_per_second == 5_500.0
    unknown = SpeedMeter(None)
    unknown.observe(4_000, 2.0)
    assert unknown.chars_per_second == 2_000.0


def test_a_slow_start_is_corrected_by_real_work() -> None:
    """A probe taken while the machine was busy must not refuse work for the model's life."""
    fast = KeywordClassifier()
    settings = fake_settings(lambda path: fast, token=TOKEN, timeout_s=3.0,
                             speed_probe=lambda classifier, batch_size: 1_000.0)  # pessimistic start
    with TestClient(create_app(settings)) as client:
        five_seconds = {"paragraphs": [{"text": "应" * 5_000}]}
        assert client.post("/v1/classify", json=five_seconds, headers=AUTH).status_code == 413
        for _ in range(3):  # 2,400 characters: under the bound, and counted
            assert client.post("/v1/classify", json={"paragraphs": [{"text": "应" * 1_200}] * 2},
                               headers=AUTH).status_code == 200
        assert client.post("/v1/classify", json=five_seconds, headers=AUTH).status_code == 200
