"""Web pages for analysts, served by the API's own app under ``/``.

Upload a filing and read its profile, compare two filings, correct labels, browse the
corpus — server-rendered Jinja2 templates with a little vanilla JavaScript, every asset
served from this package (``static/``), nothing fetched from the internet. ``/docs`` and
``/redoc`` are served offline too (``serving.pages.docs``); an error answered in JSON
before or beside the page routes (guards, unknown paths) becomes the error page for a
browser (``serving.pages.page_errors``). See serving/README.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from risklens.serving.pages.access import access_pages
from risklens.serving.pages.corpus import corpus_pages
from risklens.serving.pages.docs import install_docs
from risklens.serving.pages.filings import filing_pages
from risklens.serving.pages.history import history_pages
from risklens.serving.pages.page_errors import PageErrorsMiddleware
from risklens.serving.pages.render import STATIC
from risklens.serving.pages.results import ResultCache
from risklens.serving.pages.session import process_secret

__all__ = ["install_pages"]


def install_pages(app: FastAPI) -> None:
    """Mount the pages, their static files and the offline API docs on ``app``."""
    app.state.pages_secret = process_secret()
    app.state.pages_results = ResultCache()
    app.mount("/static/pages", StaticFiles(directory=STATIC), name="pages-static")
    install_docs(app)
    app.include_router(access_pages)
    app.include_router(filing_pages)
    app.include_router(corpus_pages)
    app.include_router(history_pages)
    app.add_middleware(PageErrorsMiddleware)  # outermost: JSON errors of page requests become pages
