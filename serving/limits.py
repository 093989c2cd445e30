"""What the HTTP API accepts (the middleware that enforces the body size is in ``serving.guards``).

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

from typing import Any

MAX_BODY_BYTES = 25 * 1024 * 1024
MAX_PARAGRAPHS = 512
MAX_PARAGRAPH_CHARS = 20_000
MAX_PDF_PAGES = 1_000
REQUEST_TIMEOUT_S = 60.0
MAX_HEADING_CHARS = 2_000
MAX_ID_CHARS = 200


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON error envelope of every 4xx/5xx answer."""
    return {"error": {"code": code, "message": message, **extra}}
