"""The FastAPI application: ``create_app(settings)`` wires state, middleware and routes.

The model is loaded in the lifespan handler — in a background thread by default, so
``/healthz`` answers at once and ``/readyz`` turns 200 when the model is in. Nothing is
loaded at import time. With ``install_sighup`` (the ``serve`` command sets it) SIGHUP
reloads the model like ``POST /v1/admin/reload``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import FastAPI

from risklens.serving import errors
from risklens.serving.accesslog import AccessLogMiddleware
from risklens.serving.corpus_routes import corpus
from risklens.serving.events import event, load_and_log
from risklens.serving.guards import BodyLimitMiddleware, BodyTimeoutMiddleware, TokenFirstMiddleware
from risklens.serving.limits import (
    MAX_BODY_BYTES,
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
    MAX_PDF_PAGES,
)
from risklens.serving.pages import install_pages
from risklens.serving.routes import health, v1
from risklens.serving.state import TOKEN_ENV, ServerSettings, ServerState

log = logging.getLogger("risklens.serve")

DESCRIPTION = f"""
Tag the risk disclosures of Chinese A-share filings with the 30 leaves of taxonomy
`risk-taxonomy.v1`, and score whole filings.

* **Auth**: when the server has `{TOKEN_ENV}`, every `/v1` route needs
  `Authorization: Bearer <token>` (401 otherwise). `/healthz` and `/readyz` are open.
* **Limits**: body ≤ {MAX_BODY_BYTES // (1024 * 1024)} MB, ≤ {MAX_PARAGRAPHS} paragraphs a request,
  ≤ {MAX_PARAGRAPH_CHARS:,} characters a paragraph, PDF ≤ {MAX_PDF_PAGES:,} pages (413), and a request timeout (504).
* **Errors**: `{{"error": {{"code", "message"}}}}` with a stable code; see each route.
"""


def package_version() -> str:
    """The installed risklens version, from the package metadata.

    Read here rather than imported from the ``risklens`` package: that is the shell, which
    sits above serving (and may import it), so serving never imports it. Same value and
    same fallback for a source tree without install.
    """
    try:
        return metadata.version("risklens")
    except metadata.PackageNotFoundError:
        return "0.0.0+source"


def load_model(state: ServerState, trigger: str = "startup") -> None:
    """Load (or reload) the model; the outcome goes to the log, never raises."""
    with contextlib.suppress(Exception):
        load_and_log(state, trigger)


def _on_sighup(state: ServerState, loop: asyncio.AbstractEventLoop) -> None:
    event("sighup", action="reload")
    future = loop.run_in_executor(None, load_model, state, "sighup")
    state.background.add(future)
    future.add_done_callback(state.background.discard)


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """Build the app; ``settings`` default to ``ServerSettings.from_env()``."""
    settings = settings if settings is not None else ServerSettings.from_env()
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if settings.background_load:
            future = loop.run_in_executor(None, load_model, state)
            state.background.add(future)
            future.add_done_callback(state.background.discard)
        else:
            await loop.run_in_executor(None, load_model, state)
        if settings.install_sighup:
            loop.add_signal_handler(signal.SIGHUP, _on_sighup, state, loop)
        try:
            yield
        finally:
            if settings.install_sighup:
                loop.remove_signal_handler(signal.SIGHUP)
            state.close()

    app = FastAPI(
        title="RiskLens",
        version=package_version(),
        summary="Risk disclosures of Chinese A-share filings: paragraph labels, filing profiles, comparisons.",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local files by serving.pages (no CDN)
        redoc_url=None,
    )
    app.state.risklens = state
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=settings.body_timeout_s)
    app.add_middleware(TokenFirstMiddleware, token=settings.token)  # before anything reads the body
    app.add_middleware(AccessLogMiddleware)  # added last = outermost: logs 401s and 413s too
    app.include_router(health)
    app.include_router(v1)
    app.include_router(corpus)
    install_pages(app)  # the pages under / and the offline /docs, /redoc
    return app
