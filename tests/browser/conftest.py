"""Fixtures of the browser tests: the system Chromium through Playwright, and a real server.

No browser is downloaded: Playwright's pip wheel brings its driver, and ``executable_path``
points at Debian's ``chromium`` (``.ci/run`` installs it with fonts-noto-cjk when missing).
Without Chromium or Playwright the tests skip on a developer machine and fail in CI, like
the corpus tests (``tests.conftest.corpus_required``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, corpus_required
from tests.serving.test_serve_process import free_port, wait_ready

CHROMIUM = Path(os.environ.get("RISKLENS_CHROMIUM", "/usr/bin/chromium"))
TOKEN = "browser-test-token"


def _need(condition: bool, message: str) -> None:
    if condition:
        return
    if corpus_required():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless system Chromium (``--no-sandbox``: tests run as root in CI)."""
    found = CHROMIUM.exists() or shutil.which("chromium") is not None
    _need(found, f"Chromium not found at {CHROMIUM}; apt-get install chromium fonts-noto-cjk (or set RISKLENS_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed; pip install -e '.[dev]'")
        raise
    executable = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium") or "")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass(frozen=True)
class Server:
    """A running ``risklens serve``: its base URL and label store."""

    base: str
    store: Path
    token: str


@pytest.fixture(scope="module")
def shipped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``risklens serve`` with the shipped model and a token, on a free loopback port."""
    model = REPO_ROOT / "model" / "default"
    _need((model / "risklens.json").exists() or model.exists(), f"the shipped model is missing at {model}")
    tmp = tmp_path_factory.mktemp("browser-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = tmp / "labels.sqlite"
    env = {**os.environ, "RISKLENS_API_TOKEN": TOKEN, "RISKLENS_HOME": str(tmp / "home"), "RISKLENS_STORE": str(store)}
    command = [sys.executable, "-m", "risklens", "serve", "--model", str(model), "--port", str(port), "--store", str(store)]
    log = tmp / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    try:
        wait_ready(base, process, log)
        yield Server(base, store, TOKEN)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def corpus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``risklens serve --db`` over a tiny database of two versions of the bundled example
    (built here with the keyword classifier), with a tiny random model and no token."""
    from risklens.corpus.build import BuildOptions, build_corpus
    from risklens.corpus.store import open_store
    from risklens.model.testing import make_tiny_classifier
    from tests.corpus.test_timeline import two_versions
    from tests.scoring.fakes import KeywordClassifier

    tmp = tmp_path_factory.mktemp("browser-corpus")
    db = tmp / "corpus.duckdb"
    with open_store(db) as store:
        build_corpus(two_versions(tmp / "in"), store, KeywordClassifier(), BuildOptions(workers=0))
    model = make_tiny_classifier(tmp / "model")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "RISKLENS_API_TOKEN"} | {"RISKLENS_HOME": str(tmp / "home")}
    command = [sys.executable, "-m", "risklens", "serve", "--model", str(model), "--port", str(port), "--db", str(db)]
    log = tmp / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    try:
        wait_ready(base, process, log)
        yield Server(base, tmp / "labels.sqlite", "")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (a pytest tmp folder; RISKLENS_SCREENSHOTS overrides it,
    e.g. docs/screenshots to refresh the committed set)."""
    chosen = os.environ.get("RISKLENS_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
