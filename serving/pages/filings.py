"""The upload, profile, label-correction and comparison pages.

``POST /upload`` scores a filing with the same code as ``POST /v1/filings``
(``serving.jobs.score_upload``, the same queue, limits and timeout) and redirects to its
profile page; ``POST /compare`` does the same for two filings with
``scoring.compare.compare_filings``. Results are kept for the uploading session only
(``serving.pages.results``). A label correction goes through the function behind
``POST /v1/feedback`` (``serving.routes.store_feedback``) under the same rule
(``serving.auth.check_feedback_allowed``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from risklens.filings.limits import ParseLimits
from risklens.labels.taxonomy import LABELS
from risklens.scoring.compare import STATUS_ORDER, Comparison
from risklens.scoring.report_html import comparison_chart, comparison_html, profile_html
from risklens.scoring.score import ScoredFiling
from risklens.serving.admission import Deadline
from risklens.serving.auth import check_feedback_allowed, state_of
from risklens.serving.errors import ApiError
from risklens.serving.guards import GuardError
from risklens.serving.jobs import compare_uploads, current_model, profile_upload, run_job
from risklens.serving.pages.base import (
    HEADERS,
    api_error_page,
    check_form,
    error_page,
    gate,
    page,
    results,
    see_other,
)
from risklens.serving.pages.render import (
    char_diff,
    paragraph_views,
    profile_csv,
    report_fragment,
)
from risklens.serving.pages.session import Session
from risklens.serving.routes import scoring_answer, store_feedback
from risklens.serving.state import LoadedModel
from risklens.serving.uploads import Upload

filing_pages = APIRouter(include_in_schema=False)

ACCEPTED = (".pdf", ".txt", ".md", ".markdown")
RID = Path(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
T = TypeVar("T")


async def _form(request: Request, session: Session, malformed: str = "missing_file") -> FormData | HTMLResponse:
    """The posted form, or the page that says why it could not be read: a body the guards
    refused while it arrived (too large, stalled: their status, e.g. 413 or 408), or a
    malformed one (400)."""
    try:
        return await request.form(max_files=3, max_fields=100)
    except GuardError as exc:
        answer = error_page(request, session, exc.status_code, exc.code, str(exc.detail))
        answer.headers.update(exc.headers or {})
        return answer
    except Exception:  # a malformed multipart body
        return error_page(request, session, 400, malformed)


async def _uploads(form: FormData, names: tuple[str, ...]) -> list[Upload] | str:
    """The named files of ``form``, or the error code of the first one missing or of the
    wrong type."""
    out = []
    for name in names:
        item = form.get(name)
        if not isinstance(item, UploadFile) or not item.filename:
            return "missing_file"
        if not item.filename.lower().endswith(ACCEPTED):
            return "unsupported_format"
        out.append(Upload(data=await item.read(), name=item.filename))
    return out


async def _read_post(request: Request, names: tuple[str, ...]) -> tuple[Session, list[Upload]] | HTMLResponse:
    """The session and files of an upload form, or the page that says what is wrong."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    form = await _form(request, gated)
    if isinstance(form, HTMLResponse):
        return form
    refused = check_form(request, gated, form)
    if refused is not None:
        return refused
    files = await _uploads(form, names)
    if isinstance(files, str):
        return error_page(request, gated, 422 if files == "missing_file" else 415, files)
    return gated, files


@filing_pages.get("/")
async def home(request: Request) -> Response:
    """The start page: upload one filing, or two to compare."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    return page(request, gated, "home.html", accepted=",".join(ACCEPTED))


@filing_pages.post("/upload")
async def upload(request: Request) -> Response:
    """Score one uploaded filing, then show its profile."""
    read = await _read_post(request, ("file",))
    if isinstance(read, HTMLResponse):
        return read
    session, (filing,) = read
    settings = state_of(request).settings
    return await _run_and_show(
        request, session, "profile",
        lambda loaded, deadline, limits: profile_upload(loaded, filing, settings, deadline, limits),
    )


async def _run_and_show(
    request: Request, session: Session, kind: Literal["profile", "compare"],
    work: Callable[[LoadedModel, Deadline, ParseLimits], object],
) -> Response:
    """Run ``work`` as a job under the server's limits, keep its result for this session and
    send the browser to its page (``/profile/ID`` or ``/compare/ID``); an error is a page."""
    state = state_of(request)
    try:
        loaded = current_model(state)
        limits = state.settings.parse_limits()
        result = await run_job(state, lambda deadline: work(loaded, deadline, limits))
    except ApiError as exc:
        return api_error_page(request, session, exc)
    rid = results(request).put(session.sid, kind, result)
    return see_other(request, session, f"/{kind}/{rid}")


def _stored(request: Request, session: Session, kind: str, rid: str) -> Any:
    """The session's result ``kind``/``rid`` (a scored filing or a comparison), or the 404 page."""
    found = results(request).get(session.sid, kind, rid)
    return found if found is not None else error_page(request, session, 404, "not_found")


def _scored(request: Request, session: Session, rid: str) -> ScoredFiling | HTMLResponse:
    return _stored(request, session, "profile", rid)


def _open(request: Request, rid: str, lookup: Callable[[Request, Session, str], T | HTMLResponse]
          ) -> tuple[Session, T] | HTMLResponse:
    """The GET pages' start: the session (or the login/401 page), then its result (or the 404 page)."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    found = lookup(request, gated, rid)
    return found if isinstance(found, HTMLResponse) else (gated, found)


@filing_pages.get("/profile/{rid}")
async def profile_page(request: Request, rid: Annotated[str, RID], saved: int | None = None) -> Response:
    """A scored upload: the CLI report, then every paragraph with its probabilities and labels."""
    opened = _open(request, rid, _scored)
    if isinstance(opened, HTMLResponse):
        return opened
    gated, scored = opened
    return page(
        request, gated, "profile.html", rid=rid, name=scored.profile.document.name,
        report=report_fragment(scored), paragraphs=paragraph_views(scored),
        saved=saved,
    )


def _download(body: str | bytes, media_type: str, filename: str) -> Response:
    headers = {**HEADERS, "Content-Disposition": f"attachment; filename=\"{filename}\""}
    return Response(body, media_type=media_type, headers=headers)


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in stem)[:60] or "filing"


@filing_pages.get("/profile/{rid}/download.{fmt}")
async def profile_download(
    request: Request, rid: Annotated[str, RID], fmt: Literal["json", "csv", "html"]
) -> Response:
    """The profile as JSON (= POST /v1/filings), CSV (one row per leaf) or the CLI's HTML."""
    opened = _open(request, rid, _scored)
    if isinstance(opened, HTMLResponse):
        return opened
    _, scored = opened
    stem = f"{_stem(scored.profile.document.name)}-risk-profile"
    if fmt == "json":
        answer = scoring_answer(scored.profile.to_dict())
        return _download(bytes(answer.body), "application/json", f"{stem}.json")
    if fmt == "csv":
        return _download("\ufeff" + profile_csv(scored), "text/csv; charset=utf-8", f"{stem}.csv")
    return _download(profile_html([scored.profile]), "text/html; charset=utf-8", f"{stem}.html")


def _correction(scored: ScoredFiling, form: FormData) -> dict[str, Any] | None:
    """The feedback item of a label form: the paragraph and the ticked leaves."""
    try:
        index = int(str(form.get("paragraph", "")))
    except ValueError:
        return None
    if not 0 <= index < len(scored.paragraphs):
        return None
    labels = [str(value) for value in form.getlist("labels")]
    if any(label not in LABELS for label in labels):
        return None
    paragraph = scored.paragraphs[index]
    return {
        "id": f"{scored.profile.document.name}#{paragraph.id}",
        "text": paragraph.text,
        "heading": paragraph.heading or None,
        "labels": [label for label in LABELS if label in labels],
    }


@filing_pages.post("/profile/{rid}/labels")
async def correct_labels(request: Request, rid: Annotated[str, RID]) -> Response:
    """Store the ticked leaves of one paragraph in the label store, as POST /v1/feedback does."""
    gated = gate(request)
    if isinstance(gated, HTMLResponse):
        return gated
    form = await _form(request, gated, malformed="invalid_feedback")
    if isinstance(form, HTMLResponse):
        return form
    refused = check_form(request, gated, form)
    if refused is not None:
        return refused
    scored = _scored(request, gated, rid)
    if isinstance(scored, HTMLResponse):
        return scored
    item = _correction(scored, form)
    if item is None:
        return error_page(request, gated, 422, "invalid_feedback")
    state = state_of(request)
    try:
        check_feedback_allowed(state)
        await run_job(state, lambda _deadline: store_feedback(state, [item], "web"))
    except ApiError as exc:
        return api_error_page(request, gated, exc)
    return see_other(request, gated, f"/profile/{rid}?saved={form.get('paragraph')}#p{form.get('paragraph')}")


@filing_pages.post("/compare")
async def compare(request: Request) -> Response:
    """Score two uploaded filings and compare them."""
    read = await _read_post(request, ("old", "new"))
    if isinstance(read, HTMLResponse):
        return read
    session, (old_upload, new_upload) = read
    batch_size = state_of(request).settings.batch_size
    return await _run_and_show(
        request, session, "compare",
        lambda loaded, deadline, limits: compare_uploads(loaded, old_upload, new_upload, batch_size, deadline, limits),
    )


def _comparison(request: Request, session: Session, rid: str) -> Comparison | HTMLResponse:
    return _stored(request, session, "compare", rid)


def _pair_view(pair: Any) -> dict[str, Any]:
    """One evidence pair as old and new HTML side by side (a character diff when both exist)."""
    own, other = pair.evidence.text, pair.counterpart.text if pair.counterpart else ""
    old_text, new_text = (own, other) if pair.side == "old" else (other, own)
    left, right = char_diff(old_text, new_text) if old_text and new_text else (old_text, new_text)
    refs = (pair.evidence, pair.counterpart) if pair.side == "old" else (pair.counterpart, pair.evidence)
    return {"old": left, "new": right, "old_ref": refs[0], "new_ref": refs[1], "similarity": pair.similarity,
            "key": (" ".join(old_text.split()), " ".join(new_text.split()))}


def _pair_views(comparison: Comparison) -> dict[str, list[dict[str, Any]]]:
    """Per status, each risk with its evidence pairs side by side; for unchanged risks only
    the pairs whose wording changed (so a reworded paragraph is never hidden)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for status in STATUS_ORDER:
        risks = []
        for risk in comparison.by_status(status):
            pairs, seen = [], set()
            for pair in (*risk.old_evidence[:2], *risk.new_evidence[:2]):
                view = _pair_view(pair)
                reworded = all(view["key"]) and view["key"][0] != view["key"][1]
                if view["key"] in seen or (status == "unchanged" and not reworded):
                    continue
                seen.add(view["key"])
                pairs.append(view)
            risks.append({"risk": risk, "pairs": pairs})
        out[status] = risks
    return out


@filing_pages.get("/compare/{rid}")
async def compare_page(request: Request, rid: Annotated[str, RID]) -> Response:
    """Added, removed and changed risks, with aligned evidence and a character diff."""
    opened = _open(request, rid, _comparison)
    if isinstance(opened, HTMLResponse):
        return opened
    gated, comparison = opened
    from markupsafe import Markup

    return page(
        request, gated, "compare.html", rid=rid, c=comparison, chart=Markup(comparison_chart(comparison)),
        by_status=_pair_views(comparison),
    )


@filing_pages.get("/compare/{rid}/download.{fmt}")
async def compare_download(request: Request, rid: Annotated[str, RID], fmt: Literal["json", "html"]) -> Response:
    """The comparison as JSON (= POST /v1/compare) or the CLI's HTML."""
    opened = _open(request, rid, _comparison)
    if isinstance(opened, HTMLResponse):
        return opened
    _, comparison = opened
    stem = f"{_stem(comparison.old.name)}-vs-{_stem(comparison.new.name)}"
    if fmt == "json":
        return _download(bytes(scoring_answer(comparison.to_dict()).body), "application/json", f"{stem}.json")
    return _download(comparison_html(comparison), "text/html; charset=utf-8", f"{stem}.html")
