"""``risklens benchmark serve``: load test of a real ``risklens serve`` on loopback.

Starts the server as its own process on 127.0.0.1 and a free port, waits for
``/readyz``, then runs ``--clients`` concurrent clients for ``--duration`` seconds, each
posting ``/v1/classify`` requests of ``--paragraphs`` real risk paragraphs (read from
``../shared`` through ``filings``, or from ``--source`` files). Writes the report as JSON
and Markdown, prints the Markdown, and exits 1 when a request failed, the server died or
its peak memory passed ``--max-rss-gb``. The measuring is ``risklens.serving.benchmark``;
this module parses the flags, prints and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

NAME = "risklens benchmark serve"


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


def _paragraph_pool(args: argparse.Namespace) -> tuple[list[dict[str, str]], int]:
    """The paragraphs the clients send, and how many filings they came from."""
    from risklens.serving.benchmark import default_sources, load_paragraphs

    sources = list(args.source) if args.source else default_sources(args.corpus)
    return load_paragraphs(sources), len(sources)


def _write(report: dict[str, Any], out: Path, max_rss_gb: float) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out.with_name(out.name + ".json")
    md_path = out.with_name(out.name + ".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report, max_rss_gb), encoding="utf-8")
    print(markdown(report, max_rss_gb))
    print(f"{NAME}: wrote {json_path} and {md_path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.clients < 1 or args.duration <= 0 or args.paragraphs < 1:
        print(f"{NAME}: --clients, --duration and --paragraphs must be positive.", file=sys.stderr)
        return 2
    try:
        from risklens.model.registry import resolve_model_path

        model = resolve_model_path(args.model)
    except (FileNotFoundError, ValueError) as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 2
    from risklens.serving.benchmark import DEFAULT_SOURCES, load_test

    pool, filings = _paragraph_pool(args)
    if not pool:
        where = ", ".join(map(str, args.source)) if args.source else f"{args.corpus} ({', '.join(DEFAULT_SOURCES)})"
        print(f"{NAME}: no risk paragraphs found in {where}; pass --source FILE with a filing.", file=sys.stderr)
        return 2
    print(f"{NAME}: {len(pool)} paragraphs from {filings} filings; {args.clients} clients x {args.duration:g} s",
          file=sys.stderr)
    log_path = args.out.with_name(args.out.name + ".server.log")
    try:
        report = load_test(
            model, pool, clients=args.clients, duration=args.duration, paragraphs=args.paragraphs, log_path=log_path,
        )
    except RuntimeError as exc:
        print(f"{NAME}: {exc}; see {log_path}", file=sys.stderr)
        return 1
    _write(report, args.out, args.max_rss_gb)
    over = report["server_rss_mb"]["peak"] > args.max_rss_gb * 1024
    return 1 if report["errors"] or over or not report["server_alive_after"] else 0
