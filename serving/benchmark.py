"""Load test of a real ``risklens serve`` on loopback (``risklens benchmark serve`` runs it).

:func:`load_test` starts the server as its own process on 127.0.0.1 and a free port,
waits for ``/readyz``, then runs ``clients`` concurrent clients (threads with their own
HTTP connection) for ``duration`` seconds, each posting ``/v1/classify`` requests of
``paragraphs`` real risk paragraphs (:func:`load_paragraphs` reads them through
``filings``). With ``abusive`` it then runs the same clients for another ``duration``
seconds while one more client sends requests over the server's documented limits
(``serving.benchmark_oversized``), so the report shows what a hostile client costs everyone
else: the normal clients' latency and errors in both phases side by side, and the
oversized requests' answers (each must be a 413 naming the limit). It returns the
report as a dict: throughput, latency percentiles, errors, the server's peak resident
memory (sampled every 100 ms) and the machine's load average at start and end (the CPUs
may be shared). Flags, printing, report files and exit codes belong to the command
(``risklens.commands.benchmark_serve``).
"""

from __future__ import annotations

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

from risklens.serving.benchmark_oversized import (
    AbuseSample,
    Oversized,
    abusive_client,
    oversized_requests,
)

DEFAULT_SOURCES = ("seeds/*.txt", "corpus/ipo-2024-2025/*.md")


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

    def take_peak(self) -> int:
        """The peak since the last call (or the start), and start a new one."""
        peak, self.peak = self.peak, 0
        return peak


def load_paragraphs(sources: Sequence[Path], min_chars: int = 20, limit: int = 4000) -> list[dict[str, str]]:
    """Risk paragraphs (text + heading) of the given filings; unreadable files are skipped."""
    from risklens.filings import extract_paragraphs, load_document
    from risklens.filings.errors import FilingError

    out: list[dict[str, str]] = []
    for path in sources:
        try:
            doc = load_document(path)
            paragraphs = extract_paragraphs(doc, sections="risk")
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


def _latency_ms(latencies: Sequence[float]) -> dict[str, float]:
    return {
        "mean": round(sum(latencies) / len(latencies), 1) if latencies else 0.0,
        "p50": round(percentile(latencies, 50), 1),
        "p95": round(percentile(latencies, 95), 1),
        "p99": round(percentile(latencies, 99), 1),
        "max": round(max(latencies), 1) if latencies else 0.0,
    }


def summarize(samples: Sequence[Sample], duration: float, paragraphs_per_request: int) -> dict[str, Any]:
    """Throughput, latency percentiles (ms) and errors of the measured requests."""
    ok = [s for s in samples if s.status == 200]
    return {
        "requests": len(samples),
        "ok": len(ok),
        "errors": len(samples) - len(ok),
        "statuses": _count(str(s.status) for s in samples),
        "requests_per_s": round(len(ok) / duration, 3) if duration > 0 else 0.0,
        "paragraphs_per_s": round(len(ok) * paragraphs_per_request / duration, 2) if duration > 0 else 0.0,
        "latency_ms": _latency_ms([s.latency * 1000 for s in ok]),
    }


def classify_client(
    base: str, pool: Sequence[dict[str, str]], size: int, seed: int, deadline: float, origin: float, out: list[Sample]
) -> None:
    """Post classify requests back to back until ``deadline``; after a 503 with ``Retry-After``
    wait as told (a client that retries a refusal at once only measures its own loop)."""
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=120) as client:
        while time.perf_counter() < deadline:
            start = rng.randrange(len(pool))
            batch = [pool[(start + i) % len(pool)] for i in range(size)]
            began = time.perf_counter()
            retry_after = 0.0
            try:
                response = client.post("/v1/classify", json={"paragraphs": batch})
                status = response.status_code
                if status == 503:
                    retry_after = _seconds(response.headers.get("retry-after"))
            except httpx.HTTPError:
                status = 0
            out.append(Sample(start=began - origin, latency=time.perf_counter() - began, status=status))
            time.sleep(max(0.0, min(retry_after, deadline - time.perf_counter())))


def _seconds(header: str | None) -> float:
    try:
        return max(0.0, float(header)) if header else 0.0
    except ValueError:
        return 0.0


def summarize_abuse(samples: Sequence[AbuseSample], requests: Sequence[Oversized], duration: float) -> dict[str, Any]:
    """The oversized requests' answers: statuses and codes per kind, latency percentiles (ms)."""
    latencies = [s.latency * 1000 for s in samples]
    kinds: dict[str, dict[str, Any]] = {}
    for request in requests:
        mine = [s for s in samples if s.kind == request.kind]
        kinds[request.kind] = {
            "request": f"POST {request.path.split('?')[0]} ({request.content_type}, {len(request.body):,} bytes"
                       f"{', chunked' if request.chunked else ''})",
            "expected": f"413 {request.expected_code}",
            "sent": len(mine),
            "answers": _count(f"{s.status} {s.code}".strip() for s in mine),
        }
    expected = {r.kind: r.expected_code for r in requests}
    refused = sum(1 for s in samples if s.status == 413 and s.code == expected.get(s.kind))
    return {
        "requests": len(samples),
        "answered_413": refused,
        "unexpected": len(samples) - refused,
        "statuses": _count(str(s.status) for s in samples),
        "requests_per_s": round(len(samples) / duration, 3) if duration > 0 else 0.0,
        "latency_ms": _latency_ms(latencies),
        "kinds": kinds,
    }


def _count(keys: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts


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


def run_phase(
    port: int,
    pool: Sequence[dict[str, str]],
    *,
    clients: int,
    duration: float,
    paragraphs: int,
    oversized: Sequence[Oversized] = (),
) -> dict[str, Any]:
    """``clients`` normal clients for ``duration`` s, plus one sending ``oversized`` when given.

    The normal clients' summary (:func:`summarize`) with ``measured_s``, and with
    ``oversized`` the abusive client's (:func:`summarize_abuse`) as ``abusive_client``.
    """
    base = f"http://127.0.0.1:{port}"
    samples: list[Sample] = []
    abuse: list[AbuseSample] = []
    origin = time.perf_counter()
    deadline = origin + duration
    threads = [
        threading.Thread(target=classify_client, args=(base, pool, paragraphs, seed + 1, deadline, origin, samples))
        for seed in range(clients)
    ]
    if oversized:
        threads.append(threading.Thread(target=abusive_client, args=(port, oversized, deadline, origin, abuse)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - origin
    phase = {"measured_s": round(elapsed, 2), **summarize(samples, elapsed, paragraphs)}
    if oversized:
        phase["abusive_client"] = summarize_abuse(abuse, oversized, elapsed)
    return phase


def _load_avg() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def load_test(
    model: Path,
    pool: Sequence[dict[str, str]],
    *,
    clients: int,
    duration: float,
    paragraphs: int,
    log_path: Path,
    abusive: bool = True,
    coalesce: int | None = None,
) -> dict[str, Any]:
    """Run the server, drive it (then again with an abusive client), stop it; returns the report dict.
    ``coalesce`` is the server's ``--coalesce`` (None: its default)."""
    load_at_start = _load_avg()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key != "RISKLENS_API_TOKEN"}
    command = [sys.executable, "-m", "risklens", "serve", "--model", str(model), "--port", str(port), "--log-level", "warning"]
    if coalesce is not None:
        command += ["--coalesce", str(coalesce)]
    oversized = oversized_requests(pool) if abusive else []
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
        classify_client(base, pool, paragraphs, 0, time.perf_counter() + 2.0, time.perf_counter(), [])  # warm-up
        peaks = {"startup": watch.take_peak()}
        alone = run_phase(port, pool, clients=clients, duration=duration, paragraphs=paragraphs)
        peaks["alone"] = watch.take_peak()
        with_abuse = None
        if oversized:
            with_abuse = run_phase(port, pool, clients=clients, duration=duration, paragraphs=paragraphs,
                                   oversized=oversized)
            peaks["abusive"] = watch.take_peak()
        alive_after = process.poll() is None
    finally:
        _stop(process)
        watch.stop()
    import psutil

    load_at_end = _load_avg()
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
            "server_coalesce": coalesce,
            "abusive_client": [r.kind for r in oversized] if oversized else None,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1m_at_end": load_at_end[0],
            "load_avg_at_start": load_at_start,
            "load_avg_at_end": load_at_end,
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "startup_s": round(startup_s, 1),
        **alone,
        "abusive_phase": with_abuse,
        "server_alive_after": alive_after,
        "server_rss_mb": {
            "idle_after_load": round(idle_rss / 2**20, 1),
            "peak": round(max(peaks.values()) / 2**20, 1),
            "peak_normal_phase": round(peaks["alone"] / 2**20, 1),
            "peak_abusive_phase": round(peaks["abusive"] / 2**20, 1) if "abusive" in peaks else None,
        },
        "server_log": str(log_path),
    }
