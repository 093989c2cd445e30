"""The OpenAPI schema states every rule the server enforces: Schemathesis, `--checks all`.

Schemathesis generates requests from `/openapi.json` of a real `risklens serve` (tiny
random model) — valid ones, which the server must accept, and schema-violating ones, which
it must reject — and checks every answer against the documented responses. Its settings
(`schemathesis.toml` beside this file) say which documented rejections JSON Schema cannot
express: 413 for data over a limit, and 413/415/422 for a filing whose content cannot be
read. A fixed seed keeps the run repeatable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving.test_serve_process import free_port, wait_ready

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("seed", [1])
def test_the_server_keeps_the_contract_of_its_schema(tiny_model: Path, tmp_path: Path, seed: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RISKLENS_API_TOKEN": "contract", "RISKLENS_HOME": str(tmp_path / "home")}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "risklens", "serve", "--model", str(tiny_model), "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(base, server, log)
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "--config-file", str(HERE / "schemathesis.toml"),
                "run", f"{base}/openapi.json",
                "--checks", "all", "-H", "Authorization: Bearer contract",
                "--max-examples", "25", "--seed", str(seed), "--request-timeout", "30", "--no-color",
            ],
            capture_output=True, text=True, timeout=400, cwd=tmp_path,
        )
        assert server.poll() is None, log.read_text()[-3000:]
    finally:
        server.terminate()
        server.wait(20)
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert " passed" in summary and "failed" not in summary.split("SUMMARY")[-1], summary
