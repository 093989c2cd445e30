"""``/docs`` and ``/redoc`` from local files, so they render without internet.

FastAPI's default pages load Swagger UI and ReDoc from a CDN: blank on an offline machine
or behind many corporate and mainland-China networks. The ``fastapi-offline`` package
ships the same files (Swagger UI bundle and CSS, ReDoc standalone); they are served from
``/static/docs`` and the two pages point there, with ReDoc's Google fonts turned off.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_STATIC = "/static/docs"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
"""Swagger UI starts from an inline script; nothing may come from another host (ReDoc's
bundle links its maker's logo on a CDN: the policy keeps the browser from fetching it)."""


def assets_dir() -> Path:
    """The folder of Swagger UI and ReDoc files that ``fastapi-offline`` installs."""
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` with local assets (the app must have been created
    with ``docs_url=None, redoc_url=None``)."""
    app.mount(DOCS_STATIC, StaticFiles(directory=assets_dir()), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        return _offline(get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} — API",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
        ))

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return _offline(get_redoc_html(
            openapi_url=openapi_url, title=f"{app.title} — API", redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC}/favicon.png", with_google_fonts=False,
        ))


def _offline(page: HTMLResponse) -> HTMLResponse:
    """``page`` with the policy that forbids every fetch from another host."""
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page
