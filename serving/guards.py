"""ASGI guards that act before or while a request's body is read: token, size, stalls.

* ``TokenFirstMiddleware``: when the server has a token, a ``/v1`` request without the
  right ``Authorization: Bearer`` header is answered 401 from its headers alone, and the
  connection is closed — its body is never read or parsed. (FastAPI resolves a route's
  body before its dependencies, so the token check of ``serving.auth`` alone let 16
  unauthenticated 22 MB bodies push the server from 797 to 1,469 MB.) The route
  dependency stays, for the OpenAPI schema and as a second check.
* ``BodyTimeoutMiddleware``: each chunk of a request body must arrive within
  ``timeout_s`` of the previous one; a client that declares a Content-Length and goes
  silent gets 408 ``body_timeout`` and its connection closed instead of holding a worker.
* ``BodyLimitMiddleware``: 413 ``body_too_large`` for a body over the limit, from its
  Content-Length before reading, or as soon as the streamed bytes pass it.
"""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from risklens.serving.auth import token_matches
from risklens.serving.limits import MAX_BODY_BYTES, error_body
from risklens.serving.state import TOKEN_ENV


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    """A complete JSON error answer that also closes the connection."""
    body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class GuardError(HTTPException):
    """An HTTP error a guard raises from inside ``receive``, with a stable ``code``."""

    code = "error"


async def call_guarded(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app``; a ``GuardError`` raised before its answer started becomes that error's
    JSON answer (connection closed). FastAPI's own handlers answer the ones raised in a
    route; this catches those raised where no handler sees them."""
    started = False

    async def watching_send(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, receive, watching_send)
    except GuardError as exc:
        if started:
            raise
        await send_error(send, exc.status_code, exc.code, str(exc.detail))


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer …`` header (None when absent or another scheme)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class TokenFirstMiddleware:
    """401 for ``/v1`` requests without the server's token, before the body is read."""

    def __init__(self, app: ASGIApp, token: str | None, prefix: str = "/v1") -> None:
        self.app = app
        self.token = token
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.token or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        sent = bearer_token(scope)
        if sent is not None and token_matches(sent, self.token):
            await self.app(scope, receive, send)
            return
        await send_error(
            send, 401, "unauthorized",
            f"missing or wrong bearer token; send 'Authorization: Bearer <token>' with the server's {TOKEN_ENV}.",
            {"WWW-Authenticate": "Bearer"},
        )


class BodyTimeout(GuardError):
    """A request body stalled for longer than the body timeout (408 ``body_timeout``).

    An HTTPException, so FastAPI's body reading passes it on instead of turning it into a
    400, and the app's error handler answers it in the usual envelope.
    """

    code = "body_timeout"

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            status_code=408,
            detail=f"the request body stalled for more than {timeout_s:g} s; send it without pauses.",
            headers={"Connection": "close"},
        )


class BodyTimeoutMiddleware:
    """408 ``body_timeout`` when a body chunk takes longer than ``timeout_s`` to arrive."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = scope.get("method") in ("GET", "HEAD", "OPTIONS")

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # after the body: e.g. waiting for a disconnect, no timeout
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                raise BodyTimeout(self.timeout_s) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await call_guarded(self.app, scope, timed_receive, send)


class BodyTooLarge(GuardError):
    """A body past the limit, declared or streamed (413 ``body_too_large``)."""

    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"request body is larger than {limit // (1024 * 1024)} MB; send a smaller file "
            f"or split the paragraphs over several requests.",
        )


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
            refusal = BodyTooLarge(self.max_bytes)
            await send_error(send, 413, refusal.code, str(refusal.detail))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await call_guarded(self.app, scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
