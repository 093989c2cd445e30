"""The browser session of the pages: one signed cookie, and the CSRF token of its forms.

The cookie ``risklens_session`` holds a random session id and its HMAC signature,
``<sid>.<sig>``; it is HttpOnly (no script reads it), SameSite=Strict (no other site's
page sends it) and Secure on HTTPS. The signing key is the server's
``$RISKLENS_API_TOKEN`` when it has one — so a valid cookie proves its holder typed the
token once, and changing the token ends every session — else a random per-process key.
The token itself is never stored in the cookie.

Every form carries ``csrf`` = HMAC(key, "csrf:" + sid): a page of another site can
neither send the cookie (SameSite) nor know the value, so a forged post is refused twice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from risklens.serving.auth import state_of, token_matches

COOKIE = "risklens_session"
MAX_AGE_S = 12 * 3600
"""How long a browser keeps the session (the token is asked again after that)."""


@dataclass(frozen=True)
class Session:
    """One browser's session: its id, whether the cookie must be (re)sent, its CSRF value."""

    sid: str
    csrf: str
    fresh: bool = False


def _key(request: Request) -> bytes:
    token = state_of(request).settings.token
    if token:
        return ("risklens-page-session:" + token).encode("utf-8")
    secret: bytes = request.app.state.pages_secret
    return secret


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def needs_token(request: Request) -> bool:
    """True when the server has ``$RISKLENS_API_TOKEN``, so pages need a signed session."""
    return bool(state_of(request).settings.token)


def current_session(request: Request) -> Session | None:
    """The session of a valid cookie, else None (missing, forged, or signed with an old token)."""
    raw = request.cookies.get(COOKIE, "")
    sid, _, sig = raw.partition(".")
    if not sid or not sig:
        return None
    key = _key(request)
    if not hmac.compare_digest(sig, _sign(key, sid)):
        return None
    return Session(sid=sid, csrf=_sign(key, "csrf:" + sid))


def new_session(request: Request) -> Session:
    """A new session (its cookie is set by ``remember``)."""
    sid = secrets.token_urlsafe(18)
    return Session(sid=sid, csrf=_sign(_key(request), "csrf:" + sid), fresh=True)


def page_session(request: Request) -> Session | None:
    """The session a page is served in: the cookie's; a new one when the server has no
    token; None when the server has a token and the browser has not given it yet."""
    found = current_session(request)
    if found is not None:
        return found
    return None if needs_token(request) else new_session(request)


def login(request: Request, sent: str) -> Session | None:
    """A new session when ``sent`` is the server's token (constant-time), else None."""
    token = state_of(request).settings.token
    if not token or not token_matches(sent.strip(), token):
        return None
    return new_session(request)


def remember(response: Response, request: Request, session: Session) -> None:
    """Set the session cookie on ``response`` when the session is new."""
    if not session.fresh:
        return
    cookie = f"{session.sid}.{_sign(_key(request), session.sid)}"
    response.set_cookie(
        COOKIE, cookie, max_age=MAX_AGE_S, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response) -> None:
    """Remove the session cookie (log out)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def csrf_ok(session: Session, sent: object) -> bool:
    """True when a form's ``csrf`` field is this session's value."""
    return isinstance(sent, str) and hmac.compare_digest(sent, session.csrf)


def process_secret() -> bytes:
    """A random signing key for servers without a token (sessions end with the process)."""
    return secrets.token_bytes(32)
