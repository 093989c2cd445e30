"""Errors answered outside the page routes are pages for a browser, JSON for the API.

A form posted without JavaScript reaches ``serving.guards`` before any route: its 413 (or a
stalled body's 408) must come back as the human error page (status kept) when the request is
for a page and accepts HTML; so must the router's 404 and a malformed address's 422. ``/v1``
and clients that do not ask for HTML keep the JSON envelope.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from risklens.serving.app import create_app
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import fake_settings
from tests.serving.test_pages import csrf_of

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
LIMIT = 4096


@pytest.fixture()
def client() -> Iterator[TestClient]:
    settings = fake_settings(lambda path: KeywordClassifier(), max_body_bytes=LIMIT, body_timeout_s=0.2)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def big_upload(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    csrf = csrf_of(client.get("/").text)
    return client.post(path, data={"csrf": csrf}, files={"file": ("big.txt", b"x" * (LIMIT * 2))}, headers=headers)


@pytest.mark.parametrize("path", ["/upload", "/compare"])
def test_a_too_large_form_post_is_the_error_page(client: TestClient, path: str) -> None:
    answer = big_upload(client, path, BROWSER)
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "文件太大" in answer.text and "body_too_large" in answer.text and '<html lang="zh-CN">' in answer.text
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert '{"error"' not in answer.text


def test_the_api_and_clients_without_html_keep_json(client: TestClient) -> None:
    api = big_upload(client, "/v1/filings", BROWSER)
    assert api.status_code == 413 and api.json()["error"]["code"] == "body_too_large"
    script = big_upload(client, "/upload", {"Accept": "application/json"})
    assert script.status_code == 413 and script.json()["error"]["code"] == "body_too_large"


def _post_stalled(client: TestClient, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """POST ``path`` through the ASGI app with a declared body whose rest never comes."""
    sent: list[dict[str, Any]] = []
    parts = [{"type": "http.request", "body": b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n",
              "more_body": True}]

    async def receive() -> dict[str, Any]:
        if parts:
            return parts.pop()
        await asyncio.sleep(30)  # the rest of the body never arrives
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raw = [(b"content-type", b"multipart/form-data; boundary=b"), (b"content-length", b"1000"),
           *((k.lower().encode(), v.encode()) for k, v in headers.items())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": path,
             "raw_path": path.encode(), "query_string": b"", "headers": raw, "client": ("127.0.0.1", 1),
             "server": ("testserver", 80), "scheme": "http", "root_path": ""}

    async def call() -> None:
        await asyncio.wait_for(client.app(scope, receive, send), 10)

    client.portal.call(call)  # type: ignore[union-attr]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def test_a_stalled_form_post_is_the_error_page_and_the_api_keeps_json(client: TestClient) -> None:
    status, headers, body = _post_stalled(client, "/upload", BROWSER)
    assert status == 408 and headers["content-type"].startswith("text/html")
    assert "上传中断" in body.decode() and "body_timeout" in body.decode()
    status, headers, body = _post_stalled(client, "/v1/filings", BROWSER)
    assert status == 408 and headers["content-type"] == "application/json" and b'"body_timeout"' in body


def test_unknown_and_malformed_page_addresses_are_pages(client: TestClient) -> None:
    missing = client.get("/no-such-page", headers=BROWSER)
    assert missing.status_code == 404 and "找不到这个页面" in missing.text and "<html" in missing.text
    cut = client.get("/profile/abc", headers=BROWSER)  # a result id cut short
    assert cut.status_code == 422 and "网址无效" in cut.text and '{"error"' not in cut.text
    assert "default-src 'self'" in cut.headers["content-security-policy"]
    api = client.get("/v1/no-such-route", headers=BROWSER)
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert client.get("/no-such-page").headers["content-type"] == "application/json"  # no Accept: text/html
    assert client.get("/healthz", headers=BROWSER).headers["content-type"] == "application/json"
