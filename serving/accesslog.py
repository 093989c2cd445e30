"""One JSON log line per request: method, path, status, latency and what the route adds.

Routes add fields (paragraph count, model version, error code) through
``request.state.log``; the middleware writes the line when the response is done, on the
``risklens.access`` logger, and answers with an ``X-Request-ID`` header to match lines
with clients.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("risklens.access")


def add_log_fields(request: Request, **fields: Any) -> None:
    """Attach fields to this request's log line."""
    current = getattr(request.state, "log", None) or {}
    current.update(fields)
    request.state.log = current


class AccessLogMiddleware:
    """Measure every HTTP request and log it as a single JSON object."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            line: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request_id": request_id,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            client = scope.get("client")
            if client:
                line["client"] = client[0]
            extra = (scope.get("state") or {}).get("log")
            if isinstance(extra, dict):
                line.update(extra)
            log.info(json.dumps(line, ensure_ascii=False))
