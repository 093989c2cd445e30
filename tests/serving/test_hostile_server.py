"""A real `risklens serve` under a 6 GB address-space cap survives every hostile probe.

One server process (tiny random model, token, short timeouts) takes, in turn: a deflate
bomb, a page bomb, a real PDF with 2% of its bytes overwritten, the cut-off downloads of
the corpus, a classify far over its cost followed by a small one, 300 connections that
never finish their request head, a body that stalls, and unauthenticated 22 MB bodies.
After each the process must be alive and /healthz must answer; the bombs are made here.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.filings.pdfgen import make_pdf
from tests.serving.test_serve_process import free_port, wait_ready

TOKEN = "hostile-probe-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ADDRESS_SPACE = 6 * 1024**3
TRAMPOLINE = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap})); "
    "os.execv(sys.executable, [sys.executable, '-m', 'risklens', *sys.argv[1:]])"
)
RISK_PAGE = ["第二节 风险因素", "一、经营风险", "（一）客户集中的风险", "公司前五名客户收入占比较高，若主要客户减少采购，公司收入可能下降。"]


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base: str, port: int, log: Path) -> None:
        self.process, self.base, self.port, self.log = process, base, port, log

    def alive(self) -> None:
        assert self.process.poll() is None, f"server died: {self.log.read_text()[-3000:]}"
        started = time.monotonic()
        assert httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 2

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", headers=AUTH, timeout=60, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from risklens.model.testing import make_tiny_classifier

    root = tmp_path_factory.mktemp("hostile")
    model = make_tiny_classifier(root / "model")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RISKLENS_API_TOKEN": TOKEN, "RISKLENS_HOME": str(root / "home")}
    command = [
        sys.executable, "-c", TRAMPOLINE.format(cap=ADDRESS_SPACE), "serve", "--model", str(model),
        "--port", str(port), "--timeout", "4", "--header-timeout", "2", "--body-timeout", "2",
    ]
    log = root / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_ready(base, process, log)
        yield Server(process, base, port, log)
    finally:
        process.terminate()
        process.wait(20)


def test_a_deflate_bomb_is_refused(server: Server) -> None:
    bomb = make_pdf([RISK_PAGE], bomb_padding=200 * 1024 * 1024)
    answer = server.post("/v1/filings", files={"file": ("bomb.pdf", bomb, "application/pdf")})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "decompression_limit"
    server.alive()


def test_a_page_bomb_is_refused(server: Server) -> None:
    pages = [[f"第{n}页"] for n in range(1_001)]
    answer = server.post("/v1/filings", files={"file": ("pages.pdf", make_pdf(pages), "application/pdf")})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_many_pages"
    server.alive()


@pytest.mark.corpus
def test_a_corrupt_real_pdf_is_a_clear_error(server: Server, corpus_dir: Path) -> None:
    data = bytearray(sorted((corpus_dir / "annual-reports").glob("*.pdf"))[0].read_bytes())
    rng = random.Random(7)
    for _ in range(len(data) // 50):
        data[rng.randrange(len(data))] = rng.randrange(256)
    answer = server.post("/v1/filings", files={"file": ("damaged.pdf", bytes(data), "application/pdf")})
    assert answer.status_code in (200, 413, 422), answer.text
    if answer.status_code != 200:
        assert answer.json()["error"]["message"].startswith("damaged.pdf: ")
    server.alive()


@pytest.mark.corpus
def test_the_cut_off_downloads(server: Server, corpus_dir: Path) -> None:
    codes: dict[str, int] = {}
    for path in sorted((corpus_dir / "broken-pdf").glob("*.pdf")):
        answer = server.post("/v1/filings", files={"file": (path.name, path.read_bytes(), "application/pdf")})
        assert answer.status_code in (200, 422), answer.text
        if answer.status_code == 200:
            document = answer.json()["document"]
            assert document["recovered"] is True and document["pages_read"] >= 30
        codes[path.name] = answer.status_code
    assert sorted(codes.values()).count(200) == 3, codes
    server.alive()


def test_a_huge_classify_stops_and_the_next_request_answers(server: Server) -> None:
    paragraph = "公司前五名客户收入占比较高，若主要客户减少采购，公司收入可能下降。" * 450  # ~15,000 characters
    huge = {"paragraphs": [{"id": str(n), "text": paragraph} for n in range(512)]}
    baseline = server.rss()
    started = time.monotonic()
    answer = server.post("/v1/classify", json=huge)
    assert answer.status_code in (413, 504), answer.text
    assert answer.json()["error"]["code"] in ("too_costly", "timeout")
    small_started = time.monotonic()
    small = server.post("/v1/classify", json={"paragraphs": [{"text": "公司应收账款余额较大。"}]})
    assert small.status_code == 200
    assert time.monotonic() - small_started < 30, "the small request waited behind the huge one"
    assert time.monotonic() - started < 60
    assert server.rss() - baseline < 150 * 1024 * 1024, "memory did not return near its baseline"
    server.alive()


def test_stalled_request_heads_do_not_block_healthz_and_are_closed(server: Server) -> None:
    stalled = []
    for _ in range(300):
        connection = socket.create_connection(("127.0.0.1", server.port))
        connection.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\n")
        stalled.append(connection)
    try:
        server.alive()
        time.sleep(3.5)  # past the 2 s header timeout
        still_open = 0
        for connection in stalled:
            connection.settimeout(0.05)
            try:
                still_open += connection.recv(1) != b""
            except TimeoutError:
                still_open += 1
            except OSError:
                pass
        assert still_open == 0
    finally:
        for connection in stalled:
            connection.close()
    server.alive()


def test_a_stalled_body_gets_408(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(
            b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"par"
        )
        connection.settimeout(20)
        head = connection.recv(200)
    assert head.startswith(b"HTTP/1.1 408")
    server.alive()


def test_unauthenticated_large_bodies_are_refused_unread(server: Server) -> None:
    before = server.rss()
    body = b"{" + b" " * (22 * 1024 * 1024) + b"}"
    for _ in range(16):
        try:
            answer = httpx.post(f"{server.base}/v1/classify", content=body,
                                headers={"content-type": "application/json"}, timeout=30)
            assert answer.status_code == 401
        except httpx.TransportError:
            pass  # the server answered 401 and closed while the client was still sending
    assert server.rss() - before < 100 * 1024 * 1024
    server.alive()
