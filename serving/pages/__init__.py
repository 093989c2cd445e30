"""Web pages for analysts, served by the API's own app under ``/``.

Upload a filing and read its profile, compare two filings, correct labels, browse the
corpus — server-rendered Jinja2 templates with a little vanilla JavaScript, every asset
served from this package (``static/``), nothing fetched from the internet. ``/docs`` and
``/redoc`` are served offline too (``serving.pages.docs``). See serving/README.md.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from risklens.serving.pages.access import access_pages
from risklens.serving.pages.base import guard_error_html
from risklens.serving.pages.corpus import corpus_pages
from risklens.serving.pages.docs import install_docs
from risklens.serving.pages.filings import filing_pages
from risklens.serving.pages.history import history_pages
from risklens.serving.pages.render import STATIC
from risklens.serving.pages.results import ResultCache
from risklens.serving.pages.session import process_secret

__all__ = ["install_pages"]


def install_pages(app: FastAPI) -> None:
    """Mount the pages, their static files and the offline API docs on ``app``."""
    app.state.pages_secret = process_secret()
    app.state.pages_results = ResultCache()
    app.state.html_error = guard_error_html  # serving.guards answers a page request with a page
    app.mount("/static/pages", StaticFiles(directory=STATIC), name="pages-static")
    install_docs(app)
    app.include_router(access_pages)
    app.include_router(filing_pages)
    app.include_router(corpus_pages)
    app.include_router(history_pages)
