"""What the HTTP API accepts, and the middleware that enforces the body size.

Limits are public API (documented in the OpenAPI schema and ``serving/README.md``):

==========================  ==========  ==========================================
limit                       value       answer when exceeded
==========================  ==========  ==========================================
request body                25 MB       413 ``body_too_large`` (before reading it
                                        when Content-Length says so, else as soon
                                        as the streamed bytes pass the limit)
paragraphs per request      512         413 ``too_many_paragraphs``
characters per paragraph    20,000      413 ``paragraph_too_long``
PDF pages                   1,000       413 ``too_many_pages``
request time                60 s        504 ``timeout``
==========================  ==========  ==========================================
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 25 * 1024 * 1024
MAX_PARAGRAPHS = 512
MAX_PARAGRAPH_CHARS = 20_000
MAX_PDF_PAGES = 1_000
REQUEST_TIMEOUT_S = 60.0
MAX_HEADING_CHARS = 2_000
MAX_ID_CHARS = 200


class BodyTooLarge(HTTPException):
    """Raised while streaming a body past the limit (an HTTPException, so FastAPI keeps it)."""

    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"request body is larger than {limit // (1024 * 1024)} MB; send a smaller file "
            f"or split the paragraphs over several requests.",
        )


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON error envelope of every 4xx/5xx answer."""
    return {"error": {"code": code, "message": message, **extra}}


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(error_body(BodyTooLarge.code, BodyTooLarge(self.max_bytes).detail)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
