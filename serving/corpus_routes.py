"""``/v1/corpus``: the stored filings of ``risklens serve --db FILE``, read-only.

Same auth, limits and error envelope as the other ``/v1`` routes. Each request opens the
database read-only in a worker (DuckDB shares one instance per process, so this is cheap)
and closes it again, so a ``risklens corpus build`` of another file never blocks the server.
Without ``--db`` every route answers 404 ``corpus_disabled``.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from risklens.corpus.query import (
    FilingFilter,
    QueryError,
    disclosure_stats,
    filing_profile,
    find_filings,
)
from risklens.corpus.store import CorpusStore, StoreError, open_store
from risklens.serving.auth import require_token, state_of
from risklens.serving.errors import ApiError, without_paths
from risklens.serving.jobs import run_job
from risklens.serving.routes import errors
from risklens.serving.schemas import CorpusFilingsPage, CorpusProfile, CorpusStats

T = TypeVar("T")
MAX_PAGE = 500

corpus = APIRouter(prefix="/v1/corpus", tags=["corpus"], dependencies=[Depends(require_token)])


async def _query(request: Request, question: Callable[[CorpusStore], T]) -> T:
    """``question(store)`` on the read-only database, in the worker pool."""
    state = state_of(request)
    db = state.settings.db
    if db is None:
        raise ApiError(404, "corpus_disabled", "this server has no corpus; start it with `risklens serve --db FILE`.")

    return await run_job(state, lambda _deadline: read_corpus(db, question))


def read_corpus(db: pathlib.Path, question: Callable[[CorpusStore], T]) -> T:
    """``question(store)`` on the database ``db`` opened read-only (in a worker); a bad query
    is a 422 ``invalid_query``, an unreadable database a 503 ``store_unavailable``. The corpus
    routes and the corpus pages both ask through here."""
    try:
        with open_store(db, read_only=True) as store:
            return question(store)
    except QueryError as exc:
        raise ApiError(422, "invalid_query", str(exc)) from None
    except StoreError as exc:
        raise ApiError(503, "store_unavailable", f"the corpus database cannot be read ({without_paths(str(exc))}).") from None


@corpus.get("/filings", response_model=CorpusFilingsPage, summary="stored filings that disclose a leaf, best score first",
            responses=errors(401, 404, 422, 503, 504))
async def corpus_filings(
    request: Request,
    leaf: Annotated[str, Query(min_length=1, max_length=60, description="a leaf id of the taxonomy")],
    kind: Annotated[str | None, Query(max_length=40, description="prospectus, refinancing_prospectus, annual_report, inquiry_response")] = None,
    since: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    until: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    industry: Annotated[str | None, Query(max_length=10, description="CSRC code or its prefix, e.g. C39")] = None,
    company: Annotated[str | None, Query(max_length=100, description="name (part) or stock code")] = None,
    min_score: Annotated[float, Query(ge=0, le=100)] = 0.0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """`risklens corpus query` over HTTP, one page at a time (`next_offset` is null on the last)."""
    def question(store: CorpusStore) -> list[dict[str, Any]]:
        where = FilingFilter(leaf, kind=kind, since=since, until=until, industry=industry, company=company,
                             min_score=min_score, limit=limit + 1, offset=offset)
        return find_filings(store, where)

    rows = await _query(request, question)
    more = len(rows) > limit
    return {"filings": rows[:limit], "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}


@corpus.get("/filings/{filing}", response_model=CorpusProfile, summary="one stored profile, without re-scoring",
            responses=errors(401, 404, 422, 503, 504))
async def corpus_filing(
    request: Request,
    filing: Annotated[str, Path(min_length=1, max_length=300, description="the filing's id (or a unique prefix) or file name")],
) -> dict[str, Any]:
    """`risklens corpus show` over HTTP."""
    return await _query(request, lambda store: filing_profile(store, filing))


@corpus.get("/stats", response_model=CorpusStats, summary="share of filings disclosing each leaf, overall or by year, kind or industry",
            responses=errors(401, 404, 422, 503, 504))
async def corpus_stats(
    request: Request, by: Literal["year", "kind", "industry"] | None = None
) -> dict[str, Any]:
    """`risklens corpus stats` over HTTP: per leaf (and bucket), filings, disclosing and share."""
    return {"by": by, "rows": await _query(request, lambda store: disclosure_stats(store, by))}


class CorpusTimeline(BaseModel):
    """A company's stored filings in date order and, between consecutive ones, the risks added, removed, changed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key": "688000",
        "filings": [{"id": "3f2a9c0d1b7e5a44", "name": "a.md", "kind": "prospectus", "company": "示例科技股份有限公司",
                     "stock_code": "688000", "year": 2023, "report_date": "2023-03-01", "industry": "C39", "paragraphs": 12},
                    {"id": "77d0e1c2b3a49586", "name": "b.md", "kind": "annual_report", "company": "示例科技股份有限公司",
                     "stock_code": "688000", "year": 2024, "report_date": None, "industry": None, "paragraphs": 9}],
        "steps": [{"old": "3f2a9c0d1b7e5a44", "new": "77d0e1c2b3a49586", "added": ["trial_goods"], "removed": [],
                   "changed": [], "changes": {"trial_goods": {"status": "added", "old_score": 0.4, "new_score": 71.2,
                                                              "delta": 70.8, "reasons": ["…"]}}}],
    }]})

    key: str
    filings: list[dict[str, Any]]
    steps: list[dict[str, Any]]


@corpus.get("/companies/{code}/timeline", response_model=CorpusTimeline, summary="a company's stored filings in date order, with the risks added, "
            "removed and changed between consecutive ones", responses=errors(401, 404, 422, 503, 504))
async def corpus_timeline(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=100, description="stock code, or part of the company's name")],
) -> dict[str, Any]:
    """`risklens corpus timeline` over HTTP (the JSON of `--format json`)."""
    from risklens.corpus.timeline import company_timeline

    timeline = await _query(request, lambda store: company_timeline(store, code))
    return json.loads(json.dumps(timeline.to_dict(), ensure_ascii=False, default=str))
