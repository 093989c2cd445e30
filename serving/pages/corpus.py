"""Corpus pages of ``risklens serve --db FILE``: a search form and a stored filing's profile.

They ask the same questions as ``/v1/corpus`` (``corpus.query.find_filings`` and
``filing_profile``) on the database opened read-only in the worker pool. Without ``--db``
they show a page that says how to start the server with one. A company's timeline and the
trend chart are in ``serving.pages.history``, asking through ``ask`` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from risklens.corpus.query import FilingFilter, filing_profile, find_filings
from risklens.corpus.store import CorpusStore
from risklens.labels.taxonomy import LABELS
from risklens.serving.auth import state_of
from risklens.serving.corpus_routes import read_corpus
from risklens.serving.errors import ApiError
from risklens.serving.jobs import run_job
from risklens.serving.pages.base import api_error_page, error_page, gate, page
from risklens.serving.pages.session import Session

T = TypeVar("T")
PAGE_SIZE = 50
KINDS = ("prospectus", "refinancing_prospectus", "annual_report", "inquiry_response")

corpus_pages = APIRouter(include_in_schema=False)


async def ask(request: Request, session: Session, question: Callable[[CorpusStore], T]) -> T | HTMLResponse:
    """``question(store)`` on the read-only corpus, or the page that says why not."""
    state = state_of(request)
    db = state.settings.db
    if db is None:
        return error_page(request, session, 404, "corpus_disabled")

    try:
        return await run_job(state, lambda _deadline: read_corpus(db, question))
    except ApiError as exc:
        return api_error_page(request, session, exc)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@corpus_pages.get("/corpus")
async def corpus_search(request: Request) -> Response:
    """The search form; with a leaf chosen, the stored filings that disclose it, best first."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    q = request.query_params
    leaf = q.get("leaf") or ""
    form = {key: q.get(key) or "" for key in ("leaf", "kind", "since", "until", "industry", "company")}
    rows: list[dict[str, Any]] | None = None
    if leaf in LABELS:
        where = FilingFilter(leaf, kind=form["kind"] or None, since=_int(form["since"]), until=_int(form["until"]),
                             industry=form["industry"] or None, company=form["company"] or None, limit=PAGE_SIZE)
        found = await ask(request, gated, lambda store: find_filings(store, where))
        if isinstance(found, HTMLResponse):
            return found
        rows = found
    elif state_of(request).settings.db is None:
        return error_page(request, gated, 404, "corpus_disabled")
    return page(request, gated, "corpus.html", form=form, rows=rows, kinds=KINDS, page_size=PAGE_SIZE)


@corpus_pages.get("/corpus/filings/{filing}")
async def corpus_filing(
    request: Request, filing: Annotated[str, Path(min_length=1, max_length=300)]
) -> Response:
    """A stored filing's profile (as ``risklens corpus show``), without re-scoring."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    stored = await ask(request, gated, lambda store: filing_profile(store, filing))
    if isinstance(stored, HTMLResponse):
        return stored
    disclosed = [row for row in stored["leaves"] if row.get("disclosed")]
    return page(request, gated, "corpus_filing.html", stored=stored, disclosed=disclosed)
