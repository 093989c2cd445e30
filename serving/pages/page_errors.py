"""Every error a browser meets on a page path is a page: a JSON error envelope becomes the error page.

Most page errors are rendered by the page routes themselves (``base.error_page``). The rest
are answered before or beside them, in the API's JSON envelope: the guards'
413 ``body_too_large`` (from a form's Content-Length, before any route runs), FastAPI's
404 for an unknown path and 422 for a malformed path parameter, a 405. ``PageErrorsMiddleware``
turns such an answer into the same page — title, advice, English, code, status kept — when
the request is a page request (``base.wants_page``: not under ``/v1``, and it accepts
``text/html``). The ``/v1`` API and clients that do not ask for HTML keep JSON unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from risklens.serving.pages.base import error_page, wants_page

KEPT_HEADERS = ("connection", "www-authenticate", "retry-after", "allow")
"""Headers of the JSON answer that still hold for its page (closing, auth scheme, when to retry)."""


def _error_of(body: bytes) -> tuple[str, str]:
    """The code and message of an ``{"error": {"code", "message"}}`` body (``error`` when unreadable)."""
    try:
        error: Any = json.loads(body).get("error") or {}
        return str(error.get("code") or "error"), str(error.get("message") or "")
    except (ValueError, AttributeError):
        return "error", ""


class PageErrorsMiddleware:
    """The error page instead of a JSON error answer, for page requests only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not wants_page(scope):
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def page_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and content_type.startswith("application/json"):
                    held = message  # answered below, once its body is complete
                    return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._send_page(scope, send, held, b"".join(chunks))

        await self.app(scope, receive, page_send)

    @staticmethod
    async def _send_page(scope: Scope, send: Send, start: Message, body: bytes) -> None:
        code, message = _error_of(body)
        code = "page_not_found" if code == "not_found" else code  # the router's 404: no such page, not a lost result
        answer = error_page(Request(scope), None, int(start["status"]), code, message)
        kept = [(k, v) for k, v in start.get("headers", []) if k.decode("latin-1").lower() in KEPT_HEADERS]
        headers = [(k, v) for k, v in answer.raw_headers if k.decode("latin-1").lower() not in KEPT_HEADERS]
        await send({"type": "http.response.start", "status": start["status"], "headers": headers + kept})
        await send({"type": "http.response.body", "body": bytes(answer.body)})
