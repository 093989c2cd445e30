"""One error envelope for every failure: ``{"error": {"code", "message", "details"?}}``.

Status codes (documented per route in the OpenAPI schema):

* 400 ``malformed_json`` / ``bad_request`` — the body cannot be parsed;
* 401 ``unauthorized`` — missing or wrong bearer token;
* 403 ``forbidden`` — feedback or admin routes not enabled;
* 413 ``body_too_large``, ``too_many_paragraphs``, ``paragraph_too_long``, ``too_many_pages``,
  ``too_costly`` (more text than the timeout allows at the measured speed) and the reading
  limits of ``filings.limits`` (``document_too_complex``, ``decompression_limit``);
* 415 ``unsupported_media_type`` / ``unsupported_format`` — neither PDF nor text;
* 422 ``invalid_request`` (wrong types, empty lists) and the ingestion errors of
  ``filings.errors`` (``empty_file``, ``needs_ocr``, ``encrypted_pdf``, ``no_risk_section`` …);
* 503 ``not_ready`` — the model is still loading; ``overloaded`` — the queue is full
  (with ``Retry-After``); 504 ``timeout`` — the work stopped at the deadline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from risklens.serving.limits import MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, error_body

log = logging.getLogger("risklens.serve")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "body_timeout",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "not_ready",
    504: "timeout",
}


class ApiError(HTTPException):
    """An HTTP error with a stable code and a one-line message."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.details = details


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/\\])(?:[A-Za-z]:)?[/\\](?:[^\s/\\:;,'\"()]+[/\\])+[^\s/\\:;,'\"()]*")


def without_paths(message: str) -> str:
    """``message`` with every absolute path cut to its last part: clients never learn the
    server's folders (the full message goes to the server log)."""
    return _ABSOLUTE_PATH.sub(lambda match: "…/" + match.group(0).rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1], message)


_OVER_A_LIMIT = frozenset({"too_many_pages", "document_too_complex", "decompression_limit"})


def filing_error_status(code: str) -> int:
    """HTTP status of a ``filings.errors.FilingError`` code: 415 not a filing's format,
    413 over a reading limit (pages, memory, time, inflated bytes), 422 anything else."""
    if code == "unsupported_format":
        return 415
    return 413 if code in _OVER_A_LIMIT else 422


def _loc(loc: Sequence[Any]) -> str:
    parts = [p for p in loc if p != "body"]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _clean(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors without the echoed input (it may be megabytes)."""
    return [
        {"loc": _loc(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")} for e in errors
    ]


def validation_error(errors: Sequence[Any]) -> ApiError:
    """Turn pydantic errors into 400 (bad JSON), 413 (limits) or 422 (everything else)."""
    for e in errors:
        kind, loc, ctx = e.get("type"), tuple(e.get("loc", ())), e.get("ctx") or {}
        if kind == "json_invalid":
            reason = str(ctx.get("error", "JSON decode error"))
            where = f" at position {loc[1]}" if len(loc) > 1 else ""
            return ApiError(400, "malformed_json", f"request body is not valid JSON ({reason}{where}).")
        if loc in ((), ("body",)) and kind in ("model_attributes_type", "dict_type", "model_type"):
            return ApiError(
                422, "invalid_request",
                "request body must be a JSON object (Content-Type: application/json); see /docs for the fields.",
            )
        if kind == "too_long" and loc[-1:] == ("paragraphs",):
            got = ctx.get("actual_length", "more")
            return ApiError(
                413, "too_many_paragraphs",
                f"paragraphs: at most {MAX_PARAGRAPHS} per request, got {got}; split them over several requests.",
            )
        if kind == "string_too_long" and loc[-1:] == ("text",) and "paragraphs" in loc:
            value = e.get("input")
            got = len(value) if isinstance(value, str) else "more"
            return ApiError(
                413, "paragraph_too_long",
                f"{_loc(loc)}: at most {MAX_PARAGRAPH_CHARS:,} characters per paragraph, got {got}; split the paragraph.",
            )
        if kind == "missing" and loc == ("body",):
            return ApiError(422, "invalid_request", "request body is missing; send a JSON object (see /docs).")
    summary = "; ".join(f"{_loc(e.get('loc', ()))}: {e.get('msg')}" for e in errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return ApiError(422, "invalid_request", f"{summary}{more}.", details=_clean(errors))


def _response(exc: HTTPException) -> JSONResponse:
    code = getattr(exc, "code", None) or _STATUS_CODES.get(exc.status_code, "error")
    message = str(exc.detail)
    extra: dict[str, Any] = {}
    details = getattr(exc, "details", None)
    if details:
        extra["details"] = details
    return JSONResponse(error_body(code, message, **extra), status_code=exc.status_code, headers=exc.headers)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return _response(exc)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _response(validation_error(list(exc.errors())))


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("internal_error", "unexpected server error; the server log has the details."),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that produce the error envelope."""
    app.add_exception_handler(HTTPException, _http_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
