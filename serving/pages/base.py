"""What every page route shares: the session gate, rendering with security headers, errors.

A page is answered by ``page(...)``: the template rendered with the session's CSRF value
and what the server offers (token, feedback, corpus), the headers that keep it offline
and unframed, and the session cookie when the session is new. ``gate`` is the start of
every route: with ``$RISKLENS_API_TOKEN`` set and no valid cookie it answers the token
form with 401, never the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, Headers
from starlette.types import Scope

from risklens.serving.auth import state_of
from risklens.serving.errors import ApiError, without_paths
from risklens.serving.pages.messages import DETAILED, page_message
from risklens.serving.pages.render import render
from risklens.serving.pages.results import ResultCache
from risklens.serving.pages.session import Session, csrf_ok, needs_token, page_session, remember

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
"""Pages load nothing but their own server's files; no other site may frame them."""
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def results(request: Request) -> ResultCache:
    """The app's cache of scored uploads (``serving.pages.results``)."""
    cache: ResultCache = request.app.state.pages_results
    return cache


def feedback_allowed(request: Request) -> bool:
    """The rule of ``serving.auth.check_feedback_allowed``: a token, or --allow-feedback."""
    settings = state_of(request).settings
    return bool(settings.token) or settings.allow_feedback


def page(request: Request, session: Session | None, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` as the answer, with the shared context and headers."""
    settings = state_of(request).settings
    html = render(
        template,
        csrf=session.csrf if session else "",
        signed_in=session is not None and needs_token(request),
        token_needed=needs_token(request),
        corpus_enabled=settings.db is not None,
        feedback_allowed=feedback_allowed(request),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if session is not None:
        remember(response, request, session)
    return response


def error_page(request: Request, session: Session | None, status: int, code: str, detail: str = "") -> HTMLResponse:
    """A failure as a page a person reads (title, advice, English, the code for support)."""
    detail = without_paths(detail)
    message = page_message(code, detail)
    return page(request, session, "error.html", status=status, message=message, code=code, status_code=status,
                detail=detail if code in DETAILED and detail != message.advice else "")


def api_error_page(request: Request, session: Session | None, exc: ApiError) -> HTMLResponse:
    """``error_page`` for an ``ApiError`` raised by the shared scoring code."""
    return error_page(request, session, exc.status_code, exc.code, exc.message)


def login_page(request: Request, status: int = 401, wrong: bool = False, next_path: str | None = None) -> HTMLResponse:
    """The token form (401: the page behind it needs the token); after the token the
    browser goes on to ``next_path``, by default the page it asked for."""
    if next_path is None:
        path = request.url.path
        next_path = "/" if path == "/login" else path + (f"?{request.url.query}" if request.url.query else "")
    return page(request, None, "login.html", status=status, wrong=wrong, next_path=safe_next(next_path))


def gate(request: Request) -> Session | HTMLResponse:
    """The session to serve the page in, or the 401 token page when the server has a
    token and this browser has not given it."""
    session = page_session(request)
    return session if session is not None else login_page(request)


def check_form(request: Request, session: Session, form: FormData) -> HTMLResponse | None:
    """None when the form carries this session's CSRF value, else the 403 page."""
    if csrf_ok(session, form.get("csrf")):
        return None
    return error_page(request, session, 403, "csrf")


def safe_next(path: str) -> str:
    """``path`` when it is a path on this server, else ``/`` (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def see_other(request: Request, session: Session, url: str) -> Response:
    """303 to ``url`` (after a form post), setting the cookie of a new session."""
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    remember(response, request, session)
    return response


API_PATHS = ("/v1", "/healthz", "/readyz", "/openapi.json")
"""Paths (and their subpaths) that answer JSON to every client, browsers included."""


def wants_page(scope: Scope) -> bool:
    """A request a person reads in a browser: not the JSON API (``API_PATHS``), and it accepts HTML."""
    path = str(scope.get("path", ""))
    if scope.get("type") != "http" or any(path == api or path.startswith(api + "/") for api in API_PATHS):
        return False
    return "text/html" in Headers(scope=scope).get("accept", "")

