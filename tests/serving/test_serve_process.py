"""One real `risklens serve` process on 127.0.0.1 and a free port, spoken to over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from risklens.labels.taxonomy import LABELS
from tests.scoring.fakes import FILING_MD


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited early: {log.read_text()[-2000:]}"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become ready")


def test_real_server_over_http(tiny_model: Path, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RISKLENS_API_TOKEN": "tok", "RISKLENS_STORE": str(tmp_path / "store.sqlite")}
    command = [sys.executable, "-m", "risklens", "serve", "--model", str(tiny_model), "--port", str(port)]
    log = tmp_path / "serve.log"  # a file, not a pipe: a full pipe would block the server
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_ready(base, process, log)
        auth = {"Authorization": "Bearer tok"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            classified = client.post("/v1/classify", json={"paragraphs": [{"id": "1", "text": "公司应收账款余额较大"}]})
            assert classified.status_code == 200
            assert list(classified.json()["paragraphs"][0]["scores"]) == list(LABELS)
            profile = client.post("/v1/filings", files={"file": ("f.md", FILING_MD.encode())})
            assert profile.status_code == 200 and profile.json()["document"]["pages"] == 6
            too_big = client.post("/v1/classify", content=b"x" * (26 * 1024 * 1024), headers={"content-type": "application/json"})
            assert too_big.status_code == 413
            assert httpx.post(f"{base}/v1/classify", json={"paragraphs": [{"text": "x"}]}).status_code == 401
            feedback = client.post("/v1/feedback", json={"paragraphs": [{"text": "公司存货较多。", "labels": ["inventory_impairment"]}]})
            assert feedback.json() == {"stored": 1}
            process.send_signal(signal.SIGHUP)  # reload from the same --model, without dropping requests
            assert client.get("/v1/model").status_code == 200
            reloaded = client.post("/v1/admin/reload")
            assert reloaded.status_code == 200 and reloaded.json()["model"]["name"] == "tiny-random"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    stderr = log.read_text(encoding="utf-8")
    assert process.returncode in (0, -signal.SIGTERM), stderr[-2000:]  # uvicorn re-raises SIGTERM after a clean shutdown
    assert "Application shutdown complete" in stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events if "event" in e].count("model_loaded") >= 2
    assert any(e.get("event") == "sighup" for e in events)
    requests = [e for e in events if e.get("path") == "/v1/classify"]
    assert {e["status"] for e in requests} >= {200, 401, 413}
    assert all("latency_ms" in e for e in requests)
