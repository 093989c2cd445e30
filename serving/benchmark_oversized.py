"""Requests over the server's documented limits, sent the hard way (``benchmark serve``'s abusive client).

:func:`oversized_requests` builds one request over each limit of ``serving.limits`` —
too many paragraphs, a paragraph too long, a PDF with too many pages, a body too large
(declared, and streamed chunked) — from real paragraphs. :func:`abusive_client` sends
them in turn over raw connections and records each answer's status and error code; the
server must refuse every one with 413 and the limit's code, without slowing the others.
"""

from __future__ import annotations

import io
import json
import select
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

OVERSIZED_BODY_BYTES = 30 * 1024 * 1024
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Oversized:
    """One request over a documented server limit, and the error code it must get with its 413."""

    kind: str
    """What is over the limit, for the report (``513 paragraphs``, ``30 MB body``, …)."""
    path: str
    content_type: str
    body: bytes
    expected_code: str
    chunked: bool = False
    """Send the body chunked, without Content-Length: the server finds out only by reading it."""


@dataclass
class AbuseSample:
    """One oversized request: its kind, when it started, how long it took, the answer."""

    kind: str
    start: float
    latency: float
    status: int  # HTTP status, 0 when no answer could be read
    code: str  # the error code of the answer, "" when none


def blank_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` empty pages (1,001 of them are ~120 KB)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument.new()
    try:
        for _ in range(pages):
            pdf.new_page(595, 842)
        buffer = io.BytesIO()
        pdf.save(buffer)
    finally:
        pdf.close()
    return buffer.getvalue()


def oversized_requests(pool: Sequence[dict[str, str]], max_paragraphs: int = 512, max_chars: int = 20_000,
                       max_pages: int = 1_000, body_bytes: int = OVERSIZED_BODY_BYTES) -> list[Oversized]:
    """One request over each limit of ``serving.limits`` (defaults: the server's), from the pool's paragraphs.

    Paragraphs over the count or length limit, a PDF over the page limit, and a body over
    the size limit sent twice: declared (Content-Length) and streamed (chunked).
    """

    def classify_body(paragraphs: list[dict[str, str]]) -> bytes:
        return json.dumps({"paragraphs": paragraphs}, ensure_ascii=False).encode("utf-8")

    many = [pool[i % len(pool)] for i in range(max_paragraphs + 1)]
    text = pool[0]["text"]
    long_text = (text * (max_chars // len(text) + 2))[: max_chars + 1]
    per_copy = len(classify_body([pool[0]])) - len(b'{"paragraphs": []}') + 2
    huge = classify_body([pool[0]] * (body_bytes // per_copy + 1))
    mb = f"{body_bytes / 2**20:g} MB"
    return [
        Oversized(f"{len(many)} paragraphs", "/v1/classify", "application/json", classify_body(many),
                  "too_many_paragraphs"),
        Oversized(f"a paragraph of {len(long_text):,} characters", "/v1/classify", "application/json",
                  classify_body([{"text": long_text, "heading": pool[0]["heading"]}]), "paragraph_too_long"),
        Oversized(f"a PDF of {max_pages + 1:,} pages", "/v1/filings?name=pages.pdf", "application/pdf",
                  blank_pdf(max_pages + 1), "too_many_pages"),
        Oversized(f"a {mb} body (Content-Length)", "/v1/classify", "application/json", huge, "body_too_large"),
        Oversized(f"a {mb} body (chunked)", "/v1/classify", "application/json", huge, "body_too_large",
                  chunked=True),
    ]


def _answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def _send_body(sock: socket.socket, request: Oversized) -> None:
    """Send the body in chunks, stopping as soon as the server has answered (as it may early)."""
    for start in range(0, len(request.body), _CHUNK):
        if _answered(sock):
            return
        chunk = request.body[start : start + _CHUNK]
        sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if request.chunked else chunk)
    if request.chunked:
        sock.sendall(b"0\r\n\r\n")


def _read_answer(sock: socket.socket) -> tuple[int, str]:
    """Status and error code of the answer on ``sock`` (0, "" when there is none)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass  # a reset after the answer: keep what arrived
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return 0, ""
    try:
        code = str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        code = ""
    return int(parts[1]), code


def send_oversized(host: str, port: int, request: Oversized, timeout: float = 120.0) -> tuple[int, str]:
    """Post ``request`` over a raw connection; the answer's status and error code.

    A raw socket rather than httpx: a server that refuses a 30 MB body answers and
    closes while the client is still sending, and an HTTP client that writes the whole
    body before it reads reports a broken pipe instead of the 413 it was sent.
    """
    length = "Transfer-Encoding: chunked" if request.chunked else f"Content-Length: {len(request.body)}"
    head = (f"POST {request.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {request.content_type}\r\n"
            f"{length}\r\nConnection: close\r\n\r\n")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            try:
                sock.sendall(head.encode("ascii"))
                _send_body(sock, request)
            except OSError:
                pass  # the server closed while we were sending: read what it answered
            return _read_answer(sock)
    except OSError:
        return 0, ""


def abusive_client(
    port: int, requests: Sequence[Oversized], deadline: float, origin: float, out: list[AbuseSample]
) -> None:
    """Send the oversized requests in turn, one at a time, until ``deadline`` (each at least once)."""
    turn = 0
    while turn < len(requests) or time.perf_counter() < deadline:
        request = requests[turn % len(requests)]
        turn += 1
        began = time.perf_counter()
        status, code = send_oversized("127.0.0.1", port, request)
        out.append(AbuseSample(request.kind, began - origin, time.perf_counter() - began, status, code))
