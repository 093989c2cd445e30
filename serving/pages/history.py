"""A company's timeline and the disclosure trend chart, as pages of ``risklens serve --db FILE``.

``GET /corpus/company/{code}`` shows ``corpus.timeline.company_timeline``: the company's
stored filings in date order, each linking to its stored profile, and between consecutive
ones the risks added, removed and changed (the JSON of
``GET /v1/corpus/companies/{code}/timeline``, as a page). ``GET /corpus/trend`` draws
``corpus.trend_chart.trend_svg`` over ``disclosure_stats(store, "year")`` (``risklens corpus
query stats --by year``) for the leaves picked in its form (all by default), with the shares
as a table under it. Both read the database through ``serving.pages.corpus.ask``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from risklens.corpus.query import disclosure_stats
from risklens.corpus.timeline import Timeline, company_timeline
from risklens.corpus.trend_chart import HEIGHT, WIDTH, trend_svg
from risklens.labels.taxonomy import LABELS, LEAF_BY_ID
from risklens.scoring.compare import RiskChange
from risklens.serving.pages.base import gate, page
from risklens.serving.pages.corpus import ask

history_pages = APIRouter(include_in_schema=False)
LEGEND_ROOM = 150
"""Width added to the right of ``trend_svg``'s drawing: its legend ("management_and_internal_control
规模扩张管理与内部控制") is wider than the chart leaves for it and would be cut off on the page."""


def page_chart(svg: str) -> Markup:
    """``trend_svg``'s SVG with ``LEGEND_ROOM`` more width on the right for its legend
    (trend_svg escapes every name it writes, so the SVG is trusted)."""
    return Markup(svg.replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {WIDTH + LEGEND_ROOM} {HEIGHT}"', 1))


@dataclass
class TimelineEntry:
    """One stored filing of the timeline and, from the second on, what changed since the previous one."""

    filing: dict[str, Any]
    added: list[RiskChange] = field(default_factory=list)
    removed: list[RiskChange] = field(default_factory=list)
    changed: list[RiskChange] = field(default_factory=list)
    first: bool = False


def timeline_entries(timeline: Timeline) -> list[TimelineEntry]:
    """The filings in date order, each with the step that led to it (none for the first)."""
    entries = [TimelineEntry(timeline.filings[0], first=True)] if timeline.filings else []
    for filing, step in zip(timeline.filings[1:], timeline.steps, strict=True):
        by = step.comparison.by_status
        entries.append(TimelineEntry(filing, by("added"), by("removed"), by("changed")))
    return entries


@history_pages.get("/corpus/company")
async def company_search(request: Request, key: str = "") -> Response:
    """The timeline form's target: on to ``/corpus/company/{key}`` (back to /corpus when empty)."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    key = key.strip()
    return RedirectResponse(f"/corpus/company/{quote(key, safe='')}" if key else "/corpus", status_code=303)


@history_pages.get("/corpus/company/{code}")
async def company_page(request: Request, code: Annotated[str, Path(min_length=1, max_length=100)]) -> Response:
    """A company's stored filings in date order, with the risks added, removed and changed between neighbours."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    timeline = await ask(request, gated, lambda store: company_timeline(store, code))
    if isinstance(timeline, HTMLResponse):
        return timeline
    entries = timeline_entries(timeline)
    company = next((e.filing.get("company") for e in entries if e.filing.get("company")), None) or timeline.key
    return page(request, gated, "company.html", key=timeline.key, company=company, entries=entries)


@dataclass
class TrendTable:
    """The numbers under the chart: years, filings per year, and per chosen leaf its share per year."""

    years: list[int]
    filings: dict[int, int]
    undated: int
    shares: list[dict[str, Any]]


def trend_table(rows: list[dict[str, Any]], leaves: list[str]) -> TrendTable:
    """``disclosure_stats(store, "year")`` rows as a table (None where a leaf has no row for a year);
    filings without a year are counted apart: they have no place on the time axis."""
    dated = [r for r in rows if r.get("bucket") is not None]
    years = sorted({int(r["bucket"]) for r in dated})
    share = {(str(r["leaf"]), int(r["bucket"])): float(r["share"]) for r in dated}
    filings = {int(r["bucket"]): int(r["filings"]) for r in dated}
    undated = max((int(r["filings"]) for r in rows if r.get("bucket") is None), default=0)
    table = [{"leaf": LEAF_BY_ID[leaf], "shares": [share.get((leaf, year)) for year in years]} for leaf in leaves]
    return TrendTable(years, filings, undated, table)


@history_pages.get("/corpus/trend")
async def trend_page(request: Request) -> Response:
    """The share of stored filings disclosing each picked leaf, per year: ``trend_svg`` and a table."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    picked = [leaf for leaf in request.query_params.getlist("leaf") if leaf in LABELS]
    rows = await ask(request, gated, lambda store: disclosure_stats(store, "year"))
    if isinstance(rows, HTMLResponse):
        return rows
    chosen = picked or list(LABELS)
    chart = page_chart(trend_svg(rows, chosen))
    return page(request, gated, "trend.html", chart=chart, picked=set(picked), table=trend_table(rows, chosen))
