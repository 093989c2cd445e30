"""The load test's bookkeeping (the load test itself is `risklens benchmark serve`, not a test)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from risklens.commands.benchmark_serve import add_arguments, failures, markdown, run
from risklens.serving.benchmark import (
    MemoryWatch,
    Sample,
    classify_client,
    load_paragraphs,
    summarize,
    summarize_abuse,
)
from risklens.serving.benchmark_oversized import AbuseSample, oversized_requests
from risklens.serving.limits import (
    MAX_BODY_BYTES,
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
    MAX_PDF_PAGES,
)

POOL = [{"text": "公司应收账款余额较大，存在坏账风险。", "heading": "一、财务风险"},
        {"text": "原材料价格波动可能影响公司毛利率。", "heading": "二、经营风险"}]


def test_summarize_counts_errors_and_percentiles() -> None:
    samples = [Sample(start=i * 0.1, latency=(i + 1) / 100, status=200) for i in range(100)]
    samples.append(Sample(start=10.0, latency=0.5, status=0))
    samples.append(Sample(start=10.0, latency=0.5, status=503))
    summary = summarize(samples, duration=10.0, paragraphs_per_request=16)
    assert summary["requests"] == 102 and summary["ok"] == 100 and summary["errors"] == 2
    assert summary["statuses"] == {"200": 100, "0": 1, "503": 1}
    assert summary["requests_per_s"] == 10.0 and summary["paragraphs_per_s"] == 160.0
    assert summary["latency_ms"]["p50"] == pytest.approx(505, abs=1)
    assert summary["latency_ms"]["p99"] == pytest.approx(990, abs=1)
    assert summary["latency_ms"]["max"] == 1000.0


def test_markdown_flags_memory_over_the_limit() -> None:
    report = {
        "created": "now", "model": {"name": "m", "version": "1"}, "model_dir": "d",
        "setup": {"clients": 8, "duration_s": 60, "endpoint": "POST /v1/classify", "paragraphs_per_request": 16,
                  "paragraph_pool": 10, "mean_paragraph_chars": 100.0},
        "machine": {"cpus": 2, "load_avg_1m_at_end": 1.0, "memory_gb": 8.0, "python": "3.11"},
        "startup_s": 3.0, "server_alive_after": True, "statuses": {"200": 5},
        "server_log": "log", "server_rss_mb": {"idle_after_load": 500.0, "peak": 1600.0},
        **summarize([Sample(0, 0.1, 200)] * 5, 60, 16),
    }
    text = markdown(report, max_rss_gb=1.5)
    assert "OVER 1.5 GB" in text and "| requests (ok / errors) | 5 / 0 |" in text
    assert "oversized" not in text  # a report without the abusive phase (--no-abusive, older reports)


def test_paragraph_pool_comes_from_filings(filing_file: Path, tmp_path: Path) -> None:
    unreadable = tmp_path / "empty.txt"
    unreadable.write_bytes(b"")
    pool = load_paragraphs([unreadable, filing_file], min_chars=20)
    assert len(pool) == 6 and all(p["heading"] and len(p["text"]) >= 20 for p in pool)
    assert len(load_paragraphs([filing_file], min_chars=31)) == 5  # the short dividend item is left out


def test_memory_watch_sees_this_process() -> None:
    assert MemoryWatch(os.getpid()).rss() > 10 * 2**20


def test_run_refuses_bad_arguments_and_missing_paragraphs(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args(["--clients", "0"])) == 2
    empty = tmp_path / "e.txt"
    empty.write_text("没有风险章节。", encoding="utf-8")
    assert run(parser.parse_args(["--model", str(tiny_model), "--source", str(empty)])) == 2
    assert "no risk paragraphs found" in capsys.readouterr().err


def test_the_cli_dispatches_benchmark_serve_to_its_command(capsys: pytest.CaptureFixture[str]) -> None:
    from risklens.cli import main

    assert main(["benchmark", "serve", "--clients", "0"]) == 2
    assert "risklens benchmark serve: --clients, --duration and --paragraphs must be positive." in capsys.readouterr().err


def test_oversized_requests_are_each_over_the_server_limit_they_name() -> None:
    import pypdfium2

    requests = {r.expected_code + (" chunked" if r.chunked else ""): r for r in oversized_requests(POOL)}
    assert set(requests) == {"too_many_paragraphs", "paragraph_too_long", "too_many_pages", "body_too_large",
                             "body_too_large chunked"}
    assert len(json.loads(requests["too_many_paragraphs"].body)["paragraphs"]) == MAX_PARAGRAPHS + 1
    (long,) = json.loads(requests["paragraph_too_long"].body)["paragraphs"]
    assert len(long["text"]) == MAX_PARAGRAPH_CHARS + 1
    pdf = pypdfium2.PdfDocument(requests["too_many_pages"].body)
    assert len(pdf) == MAX_PDF_PAGES + 1
    pdf.close()
    for key in ("body_too_large", "body_too_large chunked"):
        body = requests[key].body
        assert len(body) >= 30 * 2**20 > MAX_BODY_BYTES
        assert len(json.loads(body)["paragraphs"]) > MAX_PARAGRAPHS  # a real classify body, just too big


def test_summarize_abuse_counts_only_the_expected_413_as_refused() -> None:
    requests = oversized_requests(POOL, body_bytes=1000)
    kind = requests[0].kind
    samples = [
        AbuseSample(kind, 0.0, 0.01, 413, "too_many_paragraphs"),
        AbuseSample(kind, 0.1, 0.02, 413, "body_too_large"),  # a 413, but for the wrong limit
        AbuseSample(kind, 0.2, 0.03, 0, ""),  # no answer
        AbuseSample(requests[2].kind, 0.3, 0.5, 413, "too_many_pages"),
    ]
    summary = summarize_abuse(samples, requests, duration=2.0)
    assert summary["requests"] == 4 and summary["answered_413"] == 2 and summary["unexpected"] == 2
    assert summary["kinds"][kind]["answers"] == {"413 too_many_paragraphs": 1, "413 body_too_large": 1, "0": 1}
    assert summary["kinds"][requests[1].kind]["sent"] == 0
    assert summary["latency_ms"]["p99"] == pytest.approx(485.9, abs=0.1)
    report = {"errors": 0, "abusive_phase": {"errors": 3, "abusive_client": summary},
              "server_alive_after": True, "server_rss_mb": {"peak": 100.0}}
    assert failures(report, max_rss_gb=1.5) == [
        "3 normal requests failed beside the oversized client",
        "2 oversized requests were not refused with their 413",
    ]


def test_a_short_real_run_reports_both_phases_and_the_oversized_answers(
    tiny_model: Path, filing_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "bench"
    args = ["--model", str(tiny_model), "--source", str(filing_file), "--clients", "2", "--duration", "1.5",
            "--paragraphs", "2", "--out", str(out)]
    assert run(parser.parse_args(args)) == 0, capsys.readouterr().err
    report = json.loads(out.with_name("bench.json").read_text(encoding="utf-8"))
    assert report["errors"] == 0 and report["ok"] > 0 and set(report["latency_ms"]) >= {"p50", "p95", "p99"}
    abused = report["abusive_phase"]
    assert abused["errors"] == 0 and abused["ok"] > 0 and set(abused["latency_ms"]) >= {"p50", "p95", "p99"}
    abuse = abused["abusive_client"]
    assert abuse["requests"] >= 5 and abuse["answered_413"] == abuse["requests"] and abuse["statuses"] == {
        "413": abuse["requests"]}
    for row in abuse["kinds"].values():  # every kind sent, and refused for its own limit
        assert row["sent"] >= 1 and row["answers"] == {row["expected"]: row["sent"]}
    assert len(report["machine"]["load_avg_at_start"]) == len(report["machine"]["load_avg_at_end"]) == 3
    assert report["server_rss_mb"]["peak_abusive_phase"] > 0
    text = out.with_name("bench.md").read_text(encoding="utf-8")
    assert "## With one client sending oversized requests" in text and "| latency p50 / p95 / p99 |" in text
    assert "413 too_many_pages ×" in text and "Load average (1 / 5 / 15 min) at the start" in text


def test_no_abusive_reaches_the_load_test(
    tiny_model: Path, filing_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from risklens.serving import benchmark

    seen: dict[str, object] = {}

    def fake_load_test(*args: object, **kwargs: object) -> dict[str, object]:
        seen.update(kwargs)
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr(benchmark, "load_test", fake_load_test)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    base = ["--model", str(tiny_model), "--source", str(filing_file), "--out", str(tmp_path / "r")]
    assert run(parser.parse_args(base)) == 1 and seen["abusive"] is True
    assert run(parser.parse_args([*base, "--no-abusive"])) == 1 and seen["abusive"] is False


def test_a_normal_client_waits_as_told_after_503_overloaded() -> None:
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Overloaded(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.send_header("Retry-After", "30")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Overloaded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        samples: list[Sample] = []
        began = time.perf_counter()
        classify_client(f"http://127.0.0.1:{server.server_port}", POOL, 2, 0, began + 1.0, began, samples)
        assert [s.status for s in samples] == [503]  # one refusal, then it waited (up to the deadline)
        assert 0.9 < time.perf_counter() - began < 5.0
    finally:
        server.shutdown()
        server.server_close()
