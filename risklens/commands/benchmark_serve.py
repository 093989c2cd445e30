"""``risklens benchmark serve``: load test of a real ``risklens serve`` on loopback.

Starts the server as its own process on 127.0.0.1 and a free port, waits for
``/readyz``, then runs ``--clients`` concurrent clients for ``--duration`` seconds, each
posting ``/v1/classify`` requests of ``--paragraphs`` real risk paragraphs (read from
``../shared`` through ``filings``, or from ``--source`` files); then (unless
``--no-abusive``) the same again while one more client sends requests over the server's
limits. Writes the report as JSON and Markdown, prints the Markdown, and exits 1 when a
normal client's request failed in either phase, an oversized request was not refused with
its 413, the server died or its peak memory passed ``--max-rss-gb``. The measuring is ``risklens.serving.benchmark``;
this module parses the flags, prints and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from risklens.commands.report_files import write_report

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
    parser.add_argument("--abusive", action=argparse.BooleanOptionalAction, default=True,
                        help="after the normal run, run again for --duration while one more client sends oversized "
                             "requests (too many paragraphs, too long, too many PDF pages, a 30 MB body) and report "
                             "both phases side by side (default: on)")
    parser.add_argument("--coalesce", type=int, default=None, metavar="N",
                        help="the server's --coalesce (default: the server's default, 256; 0 = every request alone)")
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
        f"{s['mean_paragraph_chars']} characters on average); server `--coalesce "
        f"{'default' if s.get('server_coalesce') is None else s['server_coalesce']}`.",
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
    if report.get("abusive_phase"):
        lines += _abusive_section(report)
    return "\n".join(lines)


def _load(values: list[float] | None) -> str:
    return " / ".join(f"{v:g}" for v in values) if values else "?"


def _abusive_section(report: dict[str, Any]) -> list[str]:
    """The normal clients alone and beside the abusive client, and what the abusive client got."""
    alone, abused = report, report["abusive_phase"]
    abuse = abused["abusive_client"]
    machine, rss = report["machine"], report["server_rss_mb"]

    def latency(phase: dict[str, Any], *keys: str) -> str:
        return " / ".join(str(phase["latency_ms"][key]) for key in keys) + " ms"

    lines = [
        "## With one client sending oversized requests",
        "",
        f"The same {report['setup']['clients']} clients ran again for {report['setup']['duration_s']:g} s while one "
        f"more client sent, one after another, requests over the server's limits: {'; '.join(abuse['kinds'])}.",
        "",
        "| normal clients | alone | beside the oversized client |",
        "|---|---:|---:|",
        f"| requests (ok / errors) | {alone['ok']} / {alone['errors']} | {abused['ok']} / {abused['errors']} |",
        f"| throughput | {alone['requests_per_s']} requests/s | {abused['requests_per_s']} requests/s |",
        f"| latency p50 / p95 / p99 | {latency(alone, 'p50', 'p95', 'p99')} | {latency(abused, 'p50', 'p95', 'p99')} |",
        f"| latency mean / max | {latency(alone, 'mean', 'max')} | {latency(abused, 'mean', 'max')} |",
        f"| statuses | {json.dumps(alone['statuses'])} | {json.dumps(abused['statuses'])} |",
        f"| server RSS peak | {rss.get('peak_normal_phase')} MB | {rss.get('peak_abusive_phase')} MB |",
        "",
        f"The oversized client: {abuse['requests']} requests, {abuse['answered_413']} refused with the expected 413 "
        f"({abuse['unexpected']} other answers); its latency p50 / p95 / p99 {latency(abuse, 'p50', 'p95', 'p99')}.",
        "",
        "| oversized request | sent as | expected | sent | answers |",
        "|---|---|---|---:|---|",
    ]
    for kind, row in abuse["kinds"].items():
        answers = ", ".join(f"{answer} × {count}" for answer, count in row["answers"].items()) or "none"
        lines.append(f"| {kind} | {row['request']} | {row['expected']} | {row['sent']} | {answers} |")
    if any(answer.startswith("503") for row in abuse["kinds"].values() for answer in row["answers"]):
        lines += ["", "503 `overloaded`: the server's admission queue was full (the normal clients' requests count "
                      "in it), so the request was refused before its limit was checked."]
    lines += [
        "",
        f"Load average (1 / 5 / 15 min) at the start {_load(machine.get('load_avg_at_start'))}, at the end "
        f"{_load(machine.get('load_avg_at_end'))}, on {machine['cpus']} CPUs shared with other jobs.",
        "",
    ]
    return lines


def _paragraph_pool(args: argparse.Namespace) -> tuple[list[dict[str, str]], int]:
    """The paragraphs the clients send, and how many filings they came from."""
    from risklens.serving.benchmark import default_sources, load_paragraphs

    sources = list(args.source) if args.source else default_sources(args.corpus)
    return load_paragraphs(sources), len(sources)


def _write(report: dict[str, Any], out: Path, max_rss_gb: float) -> None:
    write_report("serve", out, report, markdown(report, max_rss_gb), indent=1)


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
            abusive=args.abusive, coalesce=args.coalesce,
        )
    except RuntimeError as exc:
        print(f"{NAME}: {exc}; see {log_path}", file=sys.stderr)
        return 1
    _write(report, args.out, args.max_rss_gb)
    for failure in failures(report, args.max_rss_gb):
        print(f"{NAME}: FAILED: {failure}.", file=sys.stderr)
    return 1 if failures(report, args.max_rss_gb) else 0


def failures(report: dict[str, Any], max_rss_gb: float) -> list[str]:
    """What makes the run fail: errors of the normal clients in either phase, an oversized
    request not refused with its 413, a dead server, memory over the limit."""
    out = []
    abused = report.get("abusive_phase") or {}
    if report["errors"]:
        out.append(f"{report['errors']} normal requests failed")
    if abused.get("errors"):
        out.append(f"{abused['errors']} normal requests failed beside the oversized client")
    if abused and abused["abusive_client"]["unexpected"]:
        out.append(f"{abused['abusive_client']['unexpected']} oversized requests were not refused with their 413")
    if not report["server_alive_after"]:
        out.append("the server died")
    if report["server_rss_mb"]["peak"] > max_rss_gb * 1024:
        out.append(f"the server's peak memory passed {max_rss_gb} GB")
    return out
