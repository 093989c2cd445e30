"""The token pages: ask for ``$RISKLENS_API_TOKEN`` once, keep the session, log out.

``POST /login`` compares the typed token in constant time and, when it matches, sets the
session cookie (``serving.pages.session``) and returns the browser to the page it asked
for; a wrong token gets the form again with 401. ``POST /logout`` drops the cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from risklens.serving.pages.base import check_form, gate, login_page, safe_next, see_other
from risklens.serving.pages.session import current_session, forget, login, needs_token

access_pages = APIRouter(include_in_schema=False)


@access_pages.get("/login")
async def login_form(request: Request) -> Response:
    """The token form (200 here: it is the page that was asked for)."""
    if not needs_token(request) or current_session(request) is not None:
        return RedirectResponse("/", status_code=303)
    return login_page(request, status=200)


@access_pages.post("/login")
async def login_submit(request: Request) -> Response:
    """Check the token; on success set the session cookie and go on to ``next``."""
    form = await request.form(max_files=0, max_fields=10)
    session = login(request, str(form.get("token", "")))
    if session is None:
        return login_page(request, status=401, wrong=True, next_path=str(form.get("next", "/")))
    return see_other(request, session, safe_next(str(form.get("next", "/"))))


@access_pages.post("/logout")
async def logout(request: Request) -> Response:
    """Drop the session cookie (CSRF-checked: another site cannot log a user out)."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    refused = check_form(request, gated, await request.form(max_files=0, max_fields=10))
    if refused is not None:
        return refused
    response = RedirectResponse("/login" if needs_token(request) else "/", status_code=303)
    forget(response)
    return response
