"""``risklens benchmark serve``: load test of a real ``risklens serve`` on loopback.

Starts the server as its own process on 127.0.0.1 and a free port, waits for
``/readyz``, then runs ``--clients`` concurrent clients (threads with their own HTTP
connection) for ``--duration`` seconds, each posting ``/v1/classify`` requests of
``--paragraphs`` real risk paragraphs (read from ``../shared`` through ``filings``, or from
``--source`` files). It reports throughput, latency percentiles, errors and the server's
peak resident memory (sampled every 100 ms) as JSON and Markdown, and exits 1 when a
request failed or the peak memory passed ``--max-rss-gb``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_SOURCES = ("seeds/*.txt", "corpus/ipo-2024-2025/*.md")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=None,
                        help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--paragraphs", type=int, default=16, help="paragraphs per request (default 16)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared"),
                        help="where the real paragraphs come from (default ../shared: seeds and 2024-2025 prospectuses)")
    parser.add_argument("--source", type=Path, nargs="+", default=None,
                        help="filings to take paragraphs from instead of --corpus")
    parser.add_argument("--max-rss-gb", type=float, default=1.5, help="fail above this server peak memory (default 1.5)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark-serve"),
                        help="report path without extension (default reports/benchmark-serve)")


@dataclass
class Sample:
    """One request: when it started (s since load start), how long it took, the outcome."""

    start: float
    latency: float
    status: int  # HTTP status, 0 for a transport error


@dataclass
class MemoryWatch:
    """Samples the resident memory of a process and its children in a thread."""

    pid: int
    interval: float = 0.1
    peak: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def rss(self) -> int:
        import psutil

        try:
            process = psutil.Process(self.pid)
            total = process.memory_info().rss
            for child in process.children(recursive=True):
                total += child.memory_info().rss
        except psutil.Error:
            return 0
        return int(total)

    def start(self) -> threading.Thread:
        def loop() -> None:
            while not self._stop.is_set():
                self.peak = max(self.peak, self.rss())
                self.samples += 1
                self._stop.wait(self.interval)

        thread = threading.Thread(target=loop, name="rss-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def load_paragraphs(sources: Sequence[Path], min_chars: int = 20, limit: int = 4000) -> list[dict[str, str]]:
    """Risk paragraphs (text + heading) of the given filings; unreadable files are skipped."""
    from risklens import filings
    from risklens.filings.errors import FilingError

    out: list[dict[str, str]] = []
    for path in sources:
        try:
            doc = filings.load_document(path)
            paragraphs = filings.extract_paragraphs(doc, sections="risk")
        except FilingError:
            continue
        out += [{"text": p.text, "heading": p.heading} for p in paragraphs if len(p.text) >= min_chars]
        if len(out) >= limit:
            break
    return out[:limit]


def default_sources(corpus: Path) -> list[Path]:
    return [path for pattern in DEFAULT_SOURCES for path in sorted(corpus.glob(pattern))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else 0.0


def summarize(samples: Sequence[Sample], duration: float, paragraphs_per_request: int) -> dict[str, Any]:
    """Throughput, latency percentiles (ms) and errors of the measured requests."""
    ok = [s for s in samples if s.status == 200]
    latencies = [s.latency * 1000 for s in ok]
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    return {
        "requests": len(samples),
        "ok": len(ok),
        "errors": len(samples) - len(ok),
        "statuses": statuses,
        "requests_per_s": round(len(ok) / duration, 3) if duration > 0 else 0.0,
        "paragraphs_per_s": round(len(ok) * paragraphs_per_request / duration, 2) if duration > 0 else 0.0,
        "latency_ms": {
            "mean": round(sum(latencies) / len(latencies), 1) if latencies else 0.0,
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies), 1) if latencies else 0.0,
        },
    }


def _client(
    base: str, pool: Sequence[dict[str, str]], size: int, seed: int, deadline: float, origin: float, out: list[Sample]
) -> None:
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=120) as client:
        while time.perf_counter() < deadline:
            start = rng.randrange(len(pool))
            batch = [pool[(start + i) % len(pool)] for i in range(size)]
            began = time.perf_counter()
            try:
                status = client.post("/v1/classify", json={"paragraphs": batch}).status_code
            except httpx.HTTPError:
                status = 0
            out.append(Sample(start=began - origin, latency=time.perf_counter() - began, status=status))


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 600.0) -> dict[str, Any]:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        try:
            response = httpx.get(f"{base}/readyz", timeout=5)
            if response.status_code == 200:
                ready: dict[str, Any] = response.json()
                return ready
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready after {timeout:.0f} s")


def load_test(
    model: Path,
    pool: Sequence[dict[str, str]],
    *,
    clients: int,
    duration: float,
    paragraphs: int,
    log_path: Path,
) -> dict[str, Any]:
    """Run the server, drive it, stop it; returns the report dict."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key != "RISKLENS_API_TOKEN"}
    command = [sys.executable, "-m", "risklens", "serve", "--model", str(model), "--port", str(port), "--log-level", "warning"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    launched = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    watch = MemoryWatch(process.pid)
    watch.start()
    try:
        ready = _wait_ready(base, process)
        startup_s = time.perf_counter() - launched
        idle_rss = watch.rss()
        _client(base, pool, paragraphs, 0, time.perf_counter() + 2.0, time.perf_counter(), [])  # warm-up
        samples: list[Sample] = []
        origin = time.perf_counter()
        deadline = origin + duration
        threads = [
            threading.Thread(target=_client, args=(base, pool, paragraphs, seed + 1, deadline, origin, samples))
            for seed in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - origin
        alive_after = process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        watch.stop()
    import psutil

    return {
        "benchmark": "serve",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": ready.get("model"),
        "model_dir": str(model),
        "setup": {
            "clients": clients,
            "duration_s": duration,
            "paragraphs_per_request": paragraphs,
            "paragraph_pool": len(pool),
            "mean_paragraph_chars": round(sum(len(p["text"]) for p in pool) / max(len(pool), 1), 1),
            "endpoint": "POST /v1/classify on 127.0.0.1 (a real risklens serve process)",
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "startup_s": round(startup_s, 1),
        "measured_s": round(elapsed, 2),
        **summarize(samples, elapsed, paragraphs),
        "server_alive_after": alive_after,
        "server_rss_mb": {"idle_after_load": round(idle_rss / 2**20, 1), "peak": round(watch.peak / 2**20, 1)},
        "server_log": str(log_path),
    }


def markdown(report: dict[str, Any], max_rss_gb: float) -> str:
    """The Markdown version of a load-test report."""
    s, lat, rss = report["setup"], report["latency_ms"], report["server_rss_mb"]
    model = report.get("model") or {}
    peak_ok = rss["peak"] <= max_rss_gb * 1024
    lines = [
        "# `risklens benchmark serve`",
        "",
        f"{report['created']} · model `{model.get('name')}` `{model.get('version')}` ({report['model_dir']})",
        "",
        f"{s['clients']} concurrent clients for {s['duration_s']:g} s of {s['endpoint']}, "
        f"{s['paragraphs_per_request']} real risk paragraphs per request (pool of {s['paragraph_pool']}, "
        f"{s['mean_paragraph_chars']} characters on average).",
        "",
        "| metric | value |",
        "|---|---:|",
        f"| requests (ok / errors) | {report['ok']} / {report['errors']} |",
        f"| throughput | {report['requests_per_s']} requests/s · {report['paragraphs_per_s']} paragraphs/s |",
        f"| latency p50 / p95 / p99 | {lat['p50']} / {lat['p95']} / {lat['p99']} ms |",
        f"| latency mean / max | {lat['mean']} / {lat['max']} ms |",
        f"| server RSS idle / peak | {rss['idle_after_load']} / {rss['peak']} MB ({'within' if peak_ok else 'OVER'} {max_rss_gb} GB) |",
        f"| server startup to ready | {report['startup_s']} s |",
        f"| server alive after the run | {report['server_alive_after']} |",
        "",
        f"Machine: {report['machine']['cpus']} CPUs, load average {report['machine']['load_avg_1m_at_end']} at the end "
        f"(other jobs share the CPUs), {report['machine']['memory_gb']} GB RAM, Python {report['machine']['python']}.",
        f"Statuses: {json.dumps(report['statuses'])}. Server log: `{report['server_log']}`.",
        "",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    name = "risklens benchmark serve"
    if args.clients < 1 or args.duration <= 0 or args.paragraphs < 1:
        print(f"{name}: --clients, --duration and --paragraphs must be positive.", file=sys.stderr)
        return 2
    try:
        from risklens.model.registry import resolve_model_path

        model = resolve_model_path(args.model)
    except (FileNotFoundError, ValueError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    sources = list(args.source) if args.source else default_sources(args.corpus)
    pool = load_paragraphs(sources)
    if not pool:
        where = ", ".join(map(str, args.source)) if args.source else f"{args.corpus} ({', '.join(DEFAULT_SOURCES)})"
        print(f"{name}: no risk paragraphs found in {where}; pass --source FILE with a filing.", file=sys.stderr)
        return 2
    print(f"{name}: {len(pool)} paragraphs from {len(sources)} filings; {args.clients} clients x {args.duration:g} s",
          file=sys.stderr)
    try:
        report = load_test(
            model, pool, clients=args.clients, duration=args.duration, paragraphs=args.paragraphs,
            log_path=args.out.with_name(args.out.name + ".server.log"),
        )
    except RuntimeError as exc:
        print(f"{name}: {exc}; see {args.out.with_name(args.out.name + '.server.log')}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    json_path = args.out.with_name(args.out.name + ".json")
    md_path = args.out.with_name(args.out.name + ".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report, args.max_rss_gb), encoding="utf-8")
    print(markdown(report, args.max_rss_gb))
    print(f"{name}: wrote {json_path} and {md_path}", file=sys.stderr)
    over = report["server_rss_mb"]["peak"] > args.max_rss_gb * 1024
    return 1 if report["errors"] or over or not report["server_alive_after"] else 0

