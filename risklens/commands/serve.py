"""``risklens serve``: the HTTP API (FastAPI + uvicorn)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from risklens.commands.predict import add_runtime_argument

HELP = "serve the HTTP API: classify paragraphs, score and compare filings, take feedback"
DESCRIPTION = """\
Routes: POST /v1/classify, /v1/filings, /v1/compare, /v1/feedback, /v1/admin/reload;
GET /v1/model, /healthz, /readyz; the OpenAPI schema at /openapi.json and /docs.

When RISKLENS_API_TOKEN is set every /v1 route needs 'Authorization: Bearer <token>'.
Feedback needs the token, or --allow-feedback on a server without one. SIGHUP or
POST /v1/admin/reload loads the model again (e.g. after `risklens models promote`)
without dropping requests. One JSON log line per request goes to stderr."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=None, metavar="DIR",
                        help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--allow-feedback", action="store_true",
                        help="accept POST /v1/feedback without a token (only when RISKLENS_API_TOKEN is unset)")
    parser.add_argument("--store", type=Path, default=None, metavar="PATH",
                        help="label store for feedback (default: $RISKLENS_STORE, else labels.sqlite in $RISKLENS_HOME or the user data dir)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="seconds before a request answers 504 (default 60)")
    parser.add_argument("--workers", type=int, default=2, metavar="N", help="worker threads for inference and ingestion (default 2)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="paragraph windows per encoder batch")
    parser.add_argument("--coalesce", type=int, default=256, metavar="N",
                        help="classify requests waiting for the encoder share one pass of up to N paragraphs "
                             "(default 256; 0 = every request alone)")
    parser.add_argument("--db", type=Path, default=None, metavar="FILE",
                        help="a corpus database (risklens corpus build) to serve read-only under /v1/corpus")
    parser.add_argument("--queue", type=int, default=32, metavar="N",
                        help="requests admitted at once, running or waiting; more get 503 overloaded (default 32)")
    parser.add_argument("--header-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="a connection must send a complete request head within this (default 10)")
    parser.add_argument("--body-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="longest pause inside a request body before 408 (default 30)")
    parser.add_argument("--max-connections", type=int, default=512, metavar="N",
                        help="open connections and requests at once; more get 503 (default 512)")
    add_runtime_argument(parser)
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")


def run(args: argparse.Namespace) -> int:
    from risklens.model.runtimes import chosen_runtime
    from risklens.serving.server import port_problem, serve
    from risklens.serving.state import ServerSettings

    positive = (args.timeout, args.workers, args.batch_size, args.queue, args.header_timeout, args.body_timeout,
                args.max_connections)
    if not 0 < args.port < 65536 or min(positive) <= 0 or args.coalesce < 0:
        print("risklens serve: --port must be 1-65535 and --timeout, --workers, --batch-size, --queue, "
              "--header-timeout, --body-timeout, --max-connections positive.", file=sys.stderr)
        return 2
    try:
        runtime = chosen_runtime(args.runtime)
    except ValueError as exc:
        print(f"risklens serve: {exc}", file=sys.stderr)
        return 2
    extra: dict[str, Any] = {} if runtime == "torch" else {"loader": runtime_loader(runtime)}
    settings = ServerSettings.from_env(
        **extra,
        model=args.model,
        allow_feedback=args.allow_feedback,
        store=args.store,
        timeout_s=args.timeout,
        workers=args.workers,
        batch_size=args.batch_size,
        queue=args.queue,
        coalesce=args.coalesce,
        db=args.db,
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
        max_connections=args.max_connections,
    )
    try:
        model = settings.resolver(settings.model)
    except (FileNotFoundError, ValueError) as exc:
        print(f"risklens serve: {exc}", file=sys.stderr)
        return 1
    if args.db is not None and not args.db.is_file():
        print(f"risklens serve: {args.db}: no corpus database there; build one with "
              f"`risklens corpus build PATH… --db {args.db}`.", file=sys.stderr)
        return 1
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"risklens serve: {problem}", file=sys.stderr)
        return 1
    auth = "token required on /v1" if settings.token else "no token (set RISKLENS_API_TOKEN to require one)"
    print(f"risklens serve: {model.describe()}", file=sys.stderr)
    print(f"risklens serve: http://{args.host}:{args.port} · {auth}", file=sys.stderr)
    return serve(settings, args.host, args.port, args.log_level)


def runtime_loader(runtime: str) -> Any:
    """The server's model loader with the encoder on ``runtime`` (reloads keep it)."""

    def load(path: Path) -> Any:
        from risklens.model.classifier import RiskClassifier

        return RiskClassifier.from_pretrained(path, runtime=runtime)

    return load
