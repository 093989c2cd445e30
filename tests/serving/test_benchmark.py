"""The load test's bookkeeping (the load test itself is `risklens benchmark serve`, not a test)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from risklens.commands.benchmark_serve import add_arguments, markdown, run
from risklens.serving.benchmark import MemoryWatch, Sample, load_paragraphs, summarize


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
