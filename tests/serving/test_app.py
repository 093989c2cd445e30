from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

import risklens
from risklens.labels.taxonomy import LABELS
from risklens.model.registry import ResolvedModel
from risklens.scoring.compare import Comparison
from risklens.scoring.profile import FilingProfile
from risklens.serving.app import create_app
from risklens.serving.limits import MAX_PARAGRAPHS
from risklens.serving.schemas import ClassifyResponse
from risklens.serving.state import ServerSettings
from tests.scoring.fakes import FILING_MD, LATER_FILING_MD, KeywordClassifier
from tests.scoring.schema_check import assert_matches_schema

TOKEN = "s3cret-token"


def fake_settings(loader: Callable[[Path], Any], **overrides: Any) -> ServerSettings:
    options: dict[str, Any] = {
        "model": Path("fake-model"),
        "resolver": lambda explicit: ResolvedModel(Path("fake-model"), "explicit"),
        "loader": loader,
        "background_load": False,
        "speed_probe": lambda classifier, batch_size: None,  # fakes have no speed to bound cost by
    }
    options.update(overrides)
    return ServerSettings(**options)


@pytest.fixture()
def client(fake_loader: Callable[[Path], KeywordClassifier]) -> Iterator[TestClient]:
    with TestClient(create_app(fake_settings(fake_loader))) as test_client:
        yield test_client


def blank_pdf(pages: int) -> bytes:
    import pypdfium2

    pdf = pypdfium2.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def error_code(response: Any) -> str:
    body = response.json()
    assert body["error"]["message"], body
    return str(body["error"]["code"])


# ---------------------------------------------------------------- health
def test_healthz_and_readyz_once_loaded(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True and ready.json()["model"]["name"] == "fake-keywords"


def test_readyz_is_503_until_the_model_is_loaded() -> None:
    gate = threading.Event()

    def slow_loader(path: Path) -> KeywordClassifier:
        assert gate.wait(10)
        return KeywordClassifier()

    app = create_app(fake_settings(slow_loader, background_load=True))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        waiting = client.get("/readyz")
        assert waiting.status_code == 503 and waiting.json()["reason"] == "model is loading"
        early = client.post("/v1/classify", json={"paragraphs": [{"text": "应收账款"}]})
        assert early.status_code == 503 and error_code(early) == "not_ready"
        gate.set()
        deadline = time.monotonic() + 5
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "model never became ready"
            time.sleep(0.02)
        assert client.post("/v1/classify", json={"paragraphs": [{"text": "应收账款"}]}).status_code == 200


def test_readyz_reports_a_failed_load() -> None:
    def broken(path: Path) -> KeywordClassifier:
        raise FileNotFoundError("fake-model: no risklens.json")

    with TestClient(create_app(fake_settings(broken))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "no risklens.json" in ready.json()["reason"]
        assert "failed to load" in client.get("/v1/model").json()["error"]["message"]


def test_readyz_without_lifespan_is_not_ready(fake_loader: Callable[[Path], KeywordClassifier]) -> None:
    client = TestClient(create_app(fake_settings(fake_loader)))  # no `with`: lifespan never ran
    assert client.get("/readyz").status_code == 503


# -------------------------------------------------------------- classify
def test_classify_with_a_real_tiny_model(tiny_model: Path) -> None:
    settings = ServerSettings(model=tiny_model, background_load=False)
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/v1/classify",
            json={"paragraphs": [{"id": "a", "text": "公司应收账款余额较大", "heading": "风险因素"}, {"text": "存货跌价"}]},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["model"]["name"] == "tiny-random"
        first, second = body["paragraphs"]
        assert first["id"] == "a" and second["id"] is None
        assert list(first["scores"]) == list(LABELS)
        assert set(first["labels"]) <= set(LABELS)
        assert all(0.0 <= p <= 1.0 for p in first["scores"].values())
        assert "x-request-id" in response.headers


def test_classify_labels_follow_the_thresholds(client: TestClient) -> None:
    response = client.post("/v1/classify", json={"paragraphs": [{"id": "r", "text": "公司应收账款回收放缓", "labels": ["x"]}]})
    assert response.status_code == 200
    paragraph = response.json()["paragraphs"][0]
    assert paragraph["labels"] == ["receivables_credit"]
    assert paragraph["scores"]["receivables_credit"] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"paragraphs": [', {"content-type": "application/json"}, 400, "malformed_json"),
        (b"[1, 2]", {"content-type": "application/json"}, 422, "invalid_request"),
        (b'{"paragraphs": "text"}', {"content-type": "application/json"}, 422, "invalid_request"),
        (b'{"paragraphs": [{"text": 5}]}', {"content-type": "application/json"}, 422, "invalid_request"),
        (b'{"paragraphs": [{"heading": "h"}]}', {"content-type": "application/json"}, 422, "invalid_request"),
        (b'{"paragraphs": [{"text": ""}]}', {"content-type": "application/json"}, 422, "invalid_request"),
        (b'{"paragraphs": []}', {"content-type": "application/json"}, 422, "invalid_request"),
        (b"", {"content-type": "application/json"}, 422, "invalid_request"),
    ],
)
def test_classify_rejects_bad_bodies(client: TestClient, body: bytes, headers: dict[str, str], status: int, code: str) -> None:
    response = client.post("/v1/classify", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert client.post("/v1/classify", json={"paragraphs": [{"text": "存货跌价"}]}).status_code == 200


def test_wrong_types_name_the_field(client: TestClient) -> None:
    response = client.post("/v1/classify", json={"paragraphs": [{"text": "好"}, {"text": ["列表"]}]})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("paragraphs[1].text:")
    assert response.json()["error"]["details"][0]["loc"] == "paragraphs[1].text"


def test_too_many_paragraphs_and_too_long_ones_are_413(client: TestClient) -> None:
    many = client.post("/v1/classify", json={"paragraphs": [{"text": "甲"}] * (MAX_PARAGRAPHS + 1)})
    assert many.status_code == 413 and error_code(many) == "too_many_paragraphs"
    assert "513" in many.json()["error"]["message"]
    long = client.post("/v1/classify", json={"paragraphs": [{"text": "甲"}, {"text": "乙" * 20_001}]})
    assert long.status_code == 413 and error_code(long) == "paragraph_too_long"
    assert long.json()["error"]["message"].startswith("paragraphs[1].text: at most 20,000")
    assert client.post("/v1/classify", json={"paragraphs": [{"text": "乙" * 20_000}]}).status_code == 200


def test_a_50_mb_body_is_refused_and_the_server_keeps_serving(client: TestClient) -> None:
    big = b"x" * (50 * 1024 * 1024)
    for path, content_type in (("/v1/classify", "application/json"), ("/v1/filings", "application/pdf")):
        response = client.post(path, content=big, headers={"content-type": content_type})
        assert response.status_code == 413 and error_code(response) == "body_too_large"
    assert client.get("/healthz").status_code == 200
    assert client.post("/v1/classify", json={"paragraphs": [{"text": "存货跌价"}]}).status_code == 200


def test_a_streamed_body_over_the_limit_is_refused(fake_loader: Callable[[Path], KeywordClassifier]) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the middleware counts the bytes
        yield b'{"paragraphs": [{"text": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}]}'

    with TestClient(create_app(fake_settings(fake_loader, max_body_bytes=4000))) as client:
        response = client.post("/v1/classify", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413 and error_code(response) == "body_too_large"
        assert client.post("/v1/classify", json={"paragraphs": [{"text": "存货"}]}).status_code == 200


def test_requests_past_the_timeout_get_504() -> None:
    settings = fake_settings(lambda path: KeywordClassifier(delay=0.5), timeout_s=0.1)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/classify", json={"paragraphs": [{"text": "存货"}]})
        assert response.status_code == 504 and error_code(response) == "timeout"


# --------------------------------------------------------------- filings
def test_filing_as_json_multipart_and_raw_text(client: TestClient) -> None:
    answers = [
        client.post("/v1/filings", json={"text": FILING_MD, "name": "xinghe.md"}),
        client.post("/v1/filings", files={"file": ("xinghe.md", FILING_MD.encode(), "text/markdown")}),
        client.post("/v1/filings?name=xinghe.md", content=FILING_MD.encode(), headers={"content-type": "text/plain"}),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        profile = response.json()
        assert_matches_schema(profile, FilingProfile)
        assert profile["document"]["name"] == "xinghe.md" and profile["document"]["pages"] == 6
        assert list(profile["model"]) == ["name", "version", "taxonomy_version", "base_model", "created"]
        disclosed = [leaf["id"] for leaf in profile["leaves"] if leaf["disclosed"]]
        assert disclosed[0] == "entity_list_sanctions"
        assert set(disclosed) == {"entity_list_sanctions", "customer_concentration", "receivables_credit", "inventory_impairment"}
        receivables = next(leaf for leaf in profile["leaves"] if leaf["id"] == "receivables_credit")
        assert receivables["evidence"][0]["page"] == 6
        assert receivables["evidence"][0]["heading"].endswith("（一）应收账款回收的风险")


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"files": {"file": ("data.bin", bytes(range(256)) * 64, "application/octet-stream")}}, 415, "unsupported_format"),
        ({"files": {"file": ("scan.pdf", blank_pdf(2), "application/pdf")}}, 422, "needs_ocr"),
        ({"content": b"%PDF-1.7 not really", "headers": {"content-type": "application/pdf"}}, 422, "corrupt_pdf"),
        ({"content": b"", "headers": {"content-type": "text/plain"}}, 422, "empty_file"),
        ({"json": {"text": "公司简介。本公司从事软件开发。"}}, 422, "no_risk_section"),
        ({"json": {"text": ""}}, 422, "invalid_request"),
        ({"json": {"name": "x"}}, 422, "invalid_request"),
        ({"content": b'{"text": ', "headers": {"content-type": "application/json"}}, 400, "malformed_json"),
        ({"content": b"abc", "headers": {"content-type": "image/png"}}, 415, "unsupported_media_type"),
        ({"files": {"other": ("a.txt", b"abc", "text/plain")}}, 422, "invalid_request"),
        ({"files": {"file": ("big.pdf", blank_pdf(1001), "application/pdf")}}, 413, "too_many_pages"),
    ],
)
def test_filing_errors_are_documented_4xx(client: TestClient, kwargs: dict[str, Any], status: int, code: str) -> None:
    response = client.post("/v1/filings", **kwargs)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert client.get("/healthz").status_code == 200


def test_no_risk_section_message_gives_http_advice(client: TestClient) -> None:
    response = client.post("/v1/filings", json={"text": "公司简介。本公司从事软件开发。", "name": "intro.txt"})
    message = response.json()["error"]["message"]
    assert message.startswith("intro.txt: no risk-disclosure section") and "--sections" not in message


# --------------------------------------------------------------- compare
def test_compare_as_json_and_multipart(client: TestClient) -> None:
    answers = [
        client.post("/v1/compare", json={"old": {"text": FILING_MD, "name": "old.md"}, "new": {"text": LATER_FILING_MD, "name": "new.md"}}),
        client.post("/v1/compare", files={"old": ("old.md", FILING_MD.encode()), "new": ("new.md", LATER_FILING_MD.encode())}),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        comparison = response.json()
        assert_matches_schema(comparison, Comparison)
        assert comparison["summary"] == {"added": 1, "removed": 2, "changed": 1, "unchanged": 1}
        assert comparison["old"]["name"] == "old.md" and comparison["new"]["name"] == "new.md"


def test_compare_errors(client: TestClient) -> None:
    missing = client.post("/v1/compare", files={"old": ("old.md", FILING_MD.encode())})
    assert missing.status_code == 422 and "'new'" in missing.json()["error"]["message"]
    raw = client.post("/v1/compare", content=b"abc", headers={"content-type": "text/plain"})
    assert raw.status_code == 415
    unreadable = client.post("/v1/compare", json={"old": {"text": FILING_MD}, "new": {"text": "没有风险章节的文本。"}})
    assert unreadable.status_code == 422 and error_code(unreadable) == "no_risk_section"


# ----------------------------------------------------------------- model
def test_model_info(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert info["name"] == "fake-keywords" and info["taxonomy_version"] == "risk-taxonomy.v1"
    assert info["labels"] == list(LABELS) and set(info["thresholds"]) == set(LABELS)
    assert info["metrics"] == {"test": {"macro_f1": 0.5}} and info["loaded_at"]


# ------------------------------------------------------------------ auth
def test_token_is_required_on_v1_when_set(fake_loader: Callable[[Path], KeywordClassifier]) -> None:
    with TestClient(create_app(fake_settings(fake_loader, token=TOKEN))) as client:
        body = {"paragraphs": [{"text": "存货"}]}
        none = client.post("/v1/classify", json=body)
        assert none.status_code == 401 and error_code(none) == "unauthorized"
        assert none.headers["www-authenticate"] == "Bearer"
        wrong = client.post("/v1/classify", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        basic = client.get("/v1/model", headers={"Authorization": f"Basic {TOKEN}"})
        assert basic.status_code == 401
        ok = client.post("/v1/classify", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert client.post("/v1/filings", json={"text": FILING_MD}).status_code == 401
        assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


# -------------------------------------------------------------- feedback
def feedback_body(labels: list[str]) -> dict[str, Any]:
    return {"paragraphs": [{"id": "f1", "text": "公司向前五名客户的销售占比较高。", "heading": "客户集中", "labels": labels}], "annotator": "analyst"}


def test_feedback_is_403_without_token_or_flag(client: TestClient) -> None:
    response = client.post("/v1/feedback", json=feedback_body(["customer_concentration"]))
    assert response.status_code == 403 and error_code(response) == "feedback_disabled"
    assert "--allow-feedback" in response.json()["error"]["message"]
    invalid = client.post("/v1/feedback", json={"paragraphs": []})
    assert invalid.status_code == 403  # the route is closed before the body is judged


def test_feedback_with_allow_flag_reaches_the_label_store(
    fake_loader: Callable[[Path], KeywordClassifier], tmp_path: Path
) -> None:
    from risklens.labels.store import LabelStore

    store = tmp_path / "labels.sqlite"
    with TestClient(create_app(fake_settings(fake_loader, allow_feedback=True, store=store))) as client:
        response = client.post("/v1/feedback", json=feedback_body(["customer_concentration"]))
        assert response.status_code == 200, response.text
        assert response.json() == {"stored": 1}
        unknown = client.post("/v1/feedback", json=feedback_body(["customer_concentraton"]))
        assert unknown.status_code == 422 and error_code(unknown) == "invalid_feedback"
        assert "customer_concentration" in unknown.json()["error"]["message"]  # did you mean
        assert client.post("/v1/feedback", json={"paragraphs": []}).status_code == 422
    with LabelStore(store) as opened:
        rows = opened.latest()
    assert [(list(row.labels), row.annotator, row.origin) for row in rows] == [(["customer_concentration"], "analyst", "feedback")]


def test_feedback_needs_the_token_when_one_is_set(fake_loader: Callable[[Path], KeywordClassifier], tmp_path: Path) -> None:
    settings = fake_settings(fake_loader, token=TOKEN, store=tmp_path / "s.sqlite")
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/feedback", json=feedback_body([])).status_code == 401
        ok = client.post("/v1/feedback", json=feedback_body([]), headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json() == {"stored": 1}


# ---------------------------------------------------------------- reload
def test_reload_needs_a_token(client: TestClient) -> None:
    response = client.post("/v1/admin/reload")
    assert response.status_code == 403 and error_code(response) == "admin_disabled"


def test_reload_swaps_the_model_and_running_requests_finish_on_the_old_one() -> None:
    gate = threading.Event()
    versions = iter(["1", "2"])

    def loader(path: Path) -> KeywordClassifier:
        version = next(versions)
        return KeywordClassifier(version=version, gate=gate if version == "1" else None)

    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(fake_settings(loader, token=TOKEN))) as client:
        results: dict[str, Any] = {}

        def slow_request() -> None:
            results["old"] = client.post("/v1/classify", json={"paragraphs": [{"text": "存货跌价"}]}, headers=auth)

        worker = threading.Thread(target=slow_request)
        worker.start()
        deadline = time.monotonic() + 5
        while client.app.state.risklens.holder.current.classifier.calls == 0:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        reload = client.post("/v1/admin/reload", headers=auth)  # while the first request is in flight
        assert reload.status_code == 200, reload.text
        assert reload.json()["model"]["version"] == "2" and reload.json()["previous"]["version"] == "1"
        fresh = client.post("/v1/classify", json={"paragraphs": [{"text": "存货跌价"}]}, headers=auth)
        assert fresh.json()["model"]["version"] == "2"
        gate.set()
        worker.join(10)
        assert results["old"].status_code == 200
        assert results["old"].json()["model"]["version"] == "1"


def test_a_failed_reload_keeps_the_old_model() -> None:
    calls = {"n": 0}

    def loader(path: Path) -> KeywordClassifier:
        calls["n"] += 1
        if calls["n"] > 1:
            raise ValueError("fake-model: config.json id2label is not the 30 taxonomy leaves")
        return KeywordClassifier(version="1")

    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(fake_settings(loader, token=TOKEN))) as client:
        failed = client.post("/v1/admin/reload", headers=auth)
        assert failed.status_code == 500 and error_code(failed) == "reload_failed"
        assert "still serving 1" in failed.json()["error"]["message"]
        assert client.get("/readyz").status_code == 200
        assert client.get("/v1/model", headers=auth).json()["version"] == "1"


# ------------------------------------------------------------ log, docs
def test_one_json_log_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="risklens.access"):
        client.post("/v1/classify", json={"paragraphs": [{"text": "存货"}, {"text": "应收"}]})
        client.post("/v1/classify", json={"paragraphs": []})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "risklens.access"]
    assert [(line["path"], line["status"]) for line in lines] == [("/v1/classify", 200), ("/v1/classify", 422)]
    assert lines[0]["paragraphs"] == 2 and lines[0]["model_version"] == "1"
    assert all(line["latency_ms"] >= 0 and len(line["request_id"]) == 12 for line in lines)


def test_openapi_documents_every_route_with_examples_and_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/healthz", "/readyz", "/v1/classify", "/v1/filings", "/v1/compare", "/v1/model", "/v1/feedback", "/v1/admin/reload",
        "/v1/corpus/filings", "/v1/corpus/filings/{filing}", "/v1/corpus/stats", "/v1/corpus/companies/{code}/timeline",
    }
    classify = paths["/v1/classify"]["post"]
    assert {"400", "401", "413", "422", "503", "504"} <= set(classify["responses"])
    assert classify["security"] == [{"HTTPBearer": []}]
    components = schema["components"]["schemas"]
    assert components["ClassifyRequest"]["examples"][0]["paragraphs"][0]["text"]
    assert components["FeedbackRequest"]["examples"]
    filings = paths["/v1/filings"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json", "application/pdf", "text/plain"} <= set(filings)
    assert "$ref" not in json.dumps(paths["/v1/compare"]["post"]["requestBody"])
    for path, methods in paths.items():
        for operation in methods.values():
            assert operation.get("summary"), path
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            name = ok["$ref"].rsplit("/", 1)[-1]
            assert components[name].get("examples"), f"{path}: no example answer"
    for cls in (FilingProfile, Comparison, ClassifyResponse):
        for example in components[cls.__name__]["examples"]:
            TypeAdapter(cls).validate_python(example)  # the documented examples are valid answers
    assert components["RiskScore"]["properties"]["disclosed"]["type"] == "boolean"  # derived by to_dict
    assert "Bearer" in schema["info"]["description"]


def test_the_app_builds_without_loading_anything() -> None:
    loads: list[Path] = []

    def loader(path: Path) -> KeywordClassifier:
        loads.append(path)
        return KeywordClassifier()

    app = create_app(fake_settings(loader))
    assert isinstance(app, FastAPI) and loads == []
    assert app.version == risklens.__version__  # read from the metadata, not imported from the shell


def test_concurrent_requests_share_one_model_and_get_their_own_answers(tiny_model: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"公司第{i}项业务的应收账款余额{'较大' * (i % 5 + 1)}" for i in range(16)]
    with TestClient(create_app(ServerSettings(model=tiny_model, background_load=False))) as client:
        def ask(i: int) -> dict[str, Any]:
            body = {"paragraphs": [{"id": str(i), "text": texts[i]}, {"id": f"{i}b", "text": texts[(i + 1) % 16]}]}
            response = client.post("/v1/classify", json=body)
            assert response.status_code == 200
            return dict(response.json())

        sequential = [ask(i) for i in range(16)]
        with ThreadPoolExecutor(8) as pool:
            concurrent = list(pool.map(ask, range(16)))
    for one, other in zip(sequential, concurrent, strict=True):
        assert [p["id"] for p in one["paragraphs"]] == [p["id"] for p in other["paragraphs"]]
        for a, b in zip(one["paragraphs"], other["paragraphs"], strict=True):
            assert a["scores"] == pytest.approx(b["scores"], abs=1e-5)
