"""The analyst pages through TestClient: upload → profile → downloads, labels, compare, errors.

A keyword classifier stands in for the model (deterministic, instant); the browser tests in
tests/browser/ drive the same pages with the shipped model in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from risklens.labels.store import LabelStore
from risklens.serving.app import create_app
from risklens.serving.pages.session import COOKIE
from tests.scoring.fakes import FILING_MD, LATER_FILING_MD, KeywordClassifier
from tests.serving.test_app import TOKEN, fake_settings

Loader = Callable[[Path], KeywordClassifier]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF value"
    return found.group(1)


def upload(client: TestClient, text: str = FILING_MD, name: str = "xinghe.md") -> Any:
    csrf = csrf_of(client.get("/").text)
    return client.post("/upload", data={"csrf": csrf}, files={"file": (name, text.encode("utf-8"))})


@pytest.fixture()
def client(fake_loader: Loader, tmp_path: Path) -> Iterator[TestClient]:
    settings = fake_settings(fake_loader, allow_feedback=True, store=tmp_path / "labels.sqlite")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_home_is_chinese_first_and_sets_a_strict_http_only_cookie(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="zh-CN">' in home.text and "上传文件" in home.text and "Upload a filing" in home.text
    cookie = home.headers["set-cookie"]
    assert cookie.startswith(COOKIE) and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert 'src="/static/pages/pages.js"' in home.text
    assert "drop" in client.get("/static/pages/pages.js").text and client.get("/static/pages/pages.css").status_code == 200


def test_upload_shows_the_profile_with_probabilities_and_downloads(client: TestClient) -> None:
    answer = upload(client)
    assert answer.status_code == 200 and re.search(r"/profile/[\w-]+$", str(answer.url))
    html = answer.text
    assert "Risk profile: " in html and "<code>xinghe.md</code>" in html  # the CLI report, embedded (titled by company)
    assert "Scores by group and leaf" in html and "<svg" in html
    assert html.count('<details class="para-item') >= 3
    assert html.count('<table class="probs">') == html.count('<details class="para-item')
    first = html.split('<table class="probs">', 1)[1].split("</table>", 1)[0]
    assert first.count("<tr") == 31  # header + the 30 leaves
    assert html.count('type="checkbox" name="labels"') == 30 * html.count('<details class="para-item')
    base = str(answer.url)
    as_json = client.get(f"{base}/download.json")
    assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
    profile = as_json.json()
    assert profile["document"]["name"] == "xinghe.md" and len(profile["leaves"]) == 30
    as_csv = client.get(f"{base}/download.csv").content.decode("utf-8-sig").splitlines()
    assert as_csv[0].startswith("rank,id,zh,en") and len(as_csv) == 31
    as_html = client.get(f"{base}/download.html").text
    assert as_html.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in as_html


def test_a_result_is_visible_only_to_the_session_that_uploaded_it(client: TestClient, fake_loader: Loader) -> None:
    url = str(upload(client).url)
    path = url.split("testserver", 1)[1]
    client.cookies.clear()
    other = client.get(path)
    assert other.status_code == 404 and "找不到这个结果" in other.text
    assert "<html" in other.text and '"error"' not in other.text


def test_label_correction_reaches_the_label_store(client: TestClient, tmp_path: Path) -> None:
    answer = upload(client)
    html = answer.text
    form = html.split('action="/profile/', 1)[1]
    action = "/profile/" + form.split('"', 1)[0]
    paragraph = re.search(r'name="paragraph" value="(\d+)"', form)
    assert paragraph
    saved = client.post(action, data={"csrf": csrf_of(html), "paragraph": paragraph.group(1),
                                      "labels": ["entity_list_sanctions", "customer_concentration"]})
    assert saved.status_code == 200 and "已保存到标注库" in saved.text
    store = LabelStore(tmp_path / "labels.sqlite")
    try:
        latest = store.latest()
    finally:
        store.close()
    assert len(latest) == 1 and latest[0].annotator == "web" and latest[0].origin == "feedback"
    assert set(latest[0].labels) == {"entity_list_sanctions", "customer_concentration"}
    forged = client.post(action, data={"csrf": "forged", "paragraph": paragraph.group(1), "labels": []})
    assert forged.status_code == 403 and "表单已过期" in forged.text


def test_without_feedback_the_page_says_why(fake_loader: Loader) -> None:
    with TestClient(create_app(fake_settings(fake_loader))) as client:
        html = upload(client).text
        assert "此服务器不接收标注更正" in html and 'name="labels"' not in html


def test_compare_shows_status_sections_and_a_character_diff(client: TestClient) -> None:
    csrf = csrf_of(client.get("/").text)
    answer = client.post("/compare", data={"csrf": csrf}, files={
        "old": ("old.md", FILING_MD.encode()), "new": ("new.md", LATER_FILING_MD.encode())})
    assert answer.status_code == 200 and "/compare/" in str(answer.url)
    html = answer.text
    for heading in ("新增", "删除", "变化"):
        assert heading in html
    assert "<del>" in html or "<ins>" in html
    comparison = client.get(f"{answer.url}/download.json").json()
    assert comparison["old"]["name"] == "old.md" and comparison["new"]["name"] == "new.md"


@pytest.mark.parametrize(
    ("text", "name", "status", "words"),
    [
        ("这是一份没有风险章节的文件。\n\n公司简介如下。\n", "plain.txt", 422, "没有找到风险披露章节"),
        ("", "empty.txt", 422, "文件是空的"),
        ("x", "picture.png", 415, "不支持的文件类型"),
    ],
)
def test_errors_are_pages_a_person_reads(client: TestClient, text: str, name: str, status: int, words: str) -> None:
    answer = upload(client, text, name)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert words in answer.text and "Traceback" not in answer.text and '{"error"' not in answer.text


def test_a_scanned_pdf_gets_the_ocr_page(client: TestClient) -> None:
    from tests.serving.test_app import blank_pdf

    csrf = csrf_of(client.get("/").text)
    answer = client.post("/upload", data={"csrf": csrf}, files={"file": ("scan.pdf", blank_pdf(2), "application/pdf")})
    assert answer.status_code == 422 and "没有文字层" in answer.text


def test_a_timeout_is_a_page_and_the_api_keeps_json(fake_loader: Loader) -> None:
    slow = KeywordClassifier(delay=0.5)
    with TestClient(create_app(fake_settings(lambda path: slow, timeout_s=0.2))) as client:
        answer = upload(client)
        assert answer.status_code == 504 and "处理超时" in answer.text
        api = client.post("/v1/filings", files={"file": ("f.md", FILING_MD.encode())})
        assert api.status_code == 504 and api.json()["error"]["code"] == "timeout"


def test_token_flow(fake_loader: Loader) -> None:
    with TestClient(create_app(fake_settings(fake_loader, token=TOKEN))) as client:
        asked = client.get("/")
        assert asked.status_code == 401 and 'name="token"' in asked.text and COOKIE not in asked.headers.get("set-cookie", "")
        wrong = client.post("/login", data={"token": "nope", "next": "/"})
        assert wrong.status_code == 401 and "令牌不正确" in wrong.text
        ok = client.post("/login", data={"token": TOKEN, "next": "https://evil.example/"}, follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
        assert TOKEN not in ok.headers["set-cookie"]
        assert client.get("/").status_code == 200
        assert upload(client).status_code == 200  # feedback is allowed with a token
        assert client.post("/v1/classify", json={"paragraphs": [{"text": "x"}]}).status_code == 401  # the API still wants the header
        client.cookies.clear()
        client.cookies.set(COOKIE, "forged.0000")
        assert client.get("/").status_code == 401


def test_docs_and_redoc_use_local_assets_only(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        answer = client.get(path)
        html = answer.text
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        urls = re.findall(r'(?:src|href)=["\']([^"\']+)', html) + re.findall(r"url: ?'([^']+)'", html)
        assert urls and all(u.startswith("/") for u in urls), urls
        assert "cdn" not in html.lower() and "fonts.googleapis" not in html
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/docs/redoc.standalone.js").status_code == 200
    schema = client.get("/openapi.json").json()
    assert not any(path in schema["paths"] for path in ("/", "/upload", "/profile/{rid}"))


def test_corpus_pages_without_db_say_how_to_get_one(client: TestClient) -> None:
    answer = client.get("/corpus")
    assert answer.status_code == 404 and "--db" in answer.text



@pytest.mark.corpus
def test_hostile_uploads_are_pages_and_the_server_stays_up(client: TestClient, corpus_dir: Path) -> None:
    from tests.conftest import need_path
    from tests.filings.pdfgen import make_pdf

    cut_off = need_path(corpus_dir / "broken-pdf" / "000635_英力特_2015_年度报告.pdf", "a PDF cut off mid-download")
    good = make_pdf([["第二节 风险因素", "一、经营风险", "公司客户集中度较高，若主要客户减少采购，公司收入可能下降。"]])
    hostile = {
        "corrupt.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 64,
        "cut-off.pdf": cut_off.read_bytes(),
        "bomb.pdf": make_pdf([["第二节 风险因素"]], bomb_padding=200 * 2**20),
        "half.pdf": good[: len(good) // 2],
    }
    for name, data in hostile.items():
        csrf = csrf_of(client.get("/").text)
        answer = client.post("/upload", data={"csrf": csrf}, files={"file": (name, data, "application/pdf")})
        assert answer.headers["content-type"].startswith("text/html"), name
        assert "Traceback" not in answer.text and '{"error"' not in answer.text, name
        assert client.get("/").status_code == 200, f"the server stopped answering after {name}"
