"""Bearer-token check for the ``/v1`` routes, and the rules for feedback and admin routes.

When the server has a token (``$RISKLENS_API_TOKEN``), every ``/v1`` request must send
``Authorization: Bearer <token>``; the comparison runs in constant time
(``hmac.compare_digest``) so response timing leaks nothing about the token. Without a
token the read routes are open, feedback is refused (403) unless the server was started
with ``--allow-feedback``, and admin routes are refused (403) always.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from risklens.serving.errors import ApiError
from risklens.serving.state import TOKEN_ENV, ServerState

bearer = HTTPBearer(auto_error=False, description=f"the server's ${TOKEN_ENV}, when it has one")


def state_of(request: Request) -> ServerState:
    """The ``ServerState`` of the app serving ``request``."""
    state: ServerState = request.app.state.risklens
    return state


def token_matches(sent: str, expected: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


async def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    """Dependency of every /v1 route: 401 unless the bearer token matches (when one is set)."""
    expected = state_of(request).settings.token
    if not expected:
        return
    if credentials is None or not token_matches(credentials.credentials, expected):
        raise ApiError(
            401,
            "unauthorized",
            "missing or wrong bearer token; send 'Authorization: Bearer <token>' with the server's "
            f"{TOKEN_ENV}.",
            headers={"WWW-Authenticate": "Bearer"},
        )


def check_feedback_allowed(state: ServerState) -> None:
    """403 when the server has no token and was not started with --allow-feedback."""
    if not state.settings.token and not state.settings.allow_feedback:
        raise ApiError(
            403,
            "feedback_disabled",
            f"feedback is disabled: this server runs without {TOKEN_ENV}; set a token, or start it "
            "with --allow-feedback to accept unauthenticated labels.",
        )


def check_admin_allowed(state: ServerState) -> None:
    """403 when the server has no token: admin routes always need one."""
    if not state.settings.token:
        raise ApiError(
            403,
            "admin_disabled",
            f"admin routes need the server to run with {TOKEN_ENV} set; send SIGHUP to reload instead.",
        )
