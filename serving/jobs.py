"""Work off the event loop: the model a request uses, and jobs with a deadline.

Handlers stay on the event loop only to parse and answer; classification, ingestion and
label-store writes run in the worker pool through ``run_job``, which admits them through
the bounded queue and stops them at the request timeout (``serving.admission``). Each
request takes the current model once (``current_model``) and keeps it, so a reload never
changes the model under a running request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from risklens.filings.limits import ParseLimits
from risklens.scoring.score import SECTIONS, ScoredFiling, document_info, score_paragraphs
from risklens.serving.admission import Cancelled, Deadline, check_cost
from risklens.serving.coalesce import classify_observed
from risklens.serving.errors import ApiError, filing_error_status
from risklens.serving.state import LoadedModel, ServerSettings, ServerState
from risklens.serving.uploads import Upload

if TYPE_CHECKING:
    from risklens.scoring.compare import Comparison

T = TypeVar("T")


def current_model(state: ServerState) -> LoadedModel:
    """The model this request will use from start to end; 503 before the first load."""
    loaded = state.holder.current
    if loaded is None:
        reason = f"the model failed to load ({state.holder.error})" if state.holder.error else "the model is still loading"
        raise ApiError(503, "not_ready", f"{reason}; retry when GET /readyz answers 200.")
    return loaded


async def run_job(state: ServerState, job: Callable[[Deadline], T]) -> T:
    """Run ``job(deadline)`` in the worker pool, admitted by the queue, stopped at the timeout.

    503 ``overloaded`` when the queue is full. At the timeout the request answers 504 and
    the deadline is cancelled, so the job stops at its next check (after the current
    encoder batch); its queue place is freed only when it has really stopped.
    """
    deadline = Deadline(state.settings.timeout_s)
    release = state.admission.admit()
    future = asyncio.get_running_loop().run_in_executor(state.executor, job, deadline)
    return await _awaited(state, future, deadline, release)


async def run_classify(state: ServerState, loaded: LoadedModel, items: list[dict[str, Any]]) -> Sequence[Any]:
    """Predictions for ``items``, in one merged encoder pass with the other waiting requests
    (``serving.coalesce``) or, with coalescing off, as a job of their own; admitted and
    stopped as ``run_job`` does."""
    if state.coalescer is None:
        return await run_job(state, lambda deadline: classify_observed(loaded, items, state.settings.batch_size,
                                                                       deadline.check))
    deadline = Deadline(state.settings.timeout_s)
    release = state.admission.admit()
    return await _awaited(state, state.coalescer.submit(state, loaded, items, deadline), deadline, release)


async def _awaited(state: ServerState, future: asyncio.Future[T], deadline: Deadline, release: Callable[[], None]) -> T:
    """``future``'s result; at the timeout (or ``Cancelled``) a 504, with the deadline cancelled.
    ``release`` frees the queue place when the future is done, i.e. when the work has stopped."""
    future.add_done_callback(lambda _: release())
    try:
        return await asyncio.wait_for(asyncio.shield(future), state.settings.timeout_s)
    except (TimeoutError, Cancelled):
        deadline.cancel()
        future.add_done_callback(_drop_result)
        raise ApiError(
            504, "timeout",
            f"the request took longer than {state.settings.timeout_s:g} s and was stopped; "
            "send fewer paragraphs or a smaller filing.",
        ) from None


def _drop_result(future: asyncio.Future[Any]) -> None:
    """Retrieve a stopped job's outcome (``Cancelled``), so asyncio does not log it as lost."""
    if not future.cancelled():
        future.exception()


def score_upload(
    loaded: LoadedModel, upload: Upload, batch_size: int, deadline: Deadline, limits: ParseLimits
) -> ScoredFiling:
    """Ingest one uploaded filing under ``limits``, check its cost, then score it (in a worker)."""
    from risklens.filings import FilingError, extract_paragraphs, load_document

    try:
        doc = load_document(upload.data, name=upload.name, limits=limits)
        paragraphs = extract_paragraphs(doc, SECTIONS)
    except FilingError as exc:
        raise ApiError(filing_error_status(exc.code), exc.code, _http_message(exc)) from None
    deadline.check()
    chars = sum(len(p.text) for p in paragraphs)
    check_cost(chars, loaded.chars_per_second, deadline.remaining, upload.name)
    started = time.perf_counter()
    from risklens.corpus.baseline import describe_document

    scored = score_paragraphs(
        paragraphs, loaded.classifier, document=describe_document(document_info(doc), doc.text),
        batch_size=batch_size, progress=deadline.check,
    )
    loaded.speed.observe(chars, time.perf_counter() - started)
    return scored


def profile_upload(
    loaded: LoadedModel, upload: Upload, settings: ServerSettings, deadline: Deadline, limits: ParseLimits
) -> ScoredFiling:
    """``score_upload``, then the profile measured against its peers: the ``--db`` database's,
    else the model's shipped baseline (``POST /v1/filings`` and the upload page alike)."""
    from risklens.corpus.baseline import with_peers

    scored = score_upload(loaded, upload, settings.batch_size, deadline, limits)
    scored.profile = with_peers(scored.profile, settings.db, loaded.path)
    return scored


def compare_uploads(
    loaded: LoadedModel, old: Upload, new: Upload, batch_size: int, deadline: Deadline, limits: ParseLimits
) -> Comparison:
    """Score both uploads, then compare them (``POST /v1/compare`` and the compare page alike)."""
    from risklens.scoring.compare import compare_filings

    return compare_filings(score_upload(loaded, old, batch_size, deadline, limits),
                           score_upload(loaded, new, batch_size, deadline, limits))


def _http_message(exc: Exception) -> str:
    """The ingestion error for an HTTP client (no command-line advice)."""
    code = getattr(exc, "code", "")
    if code == "no_risk_section":
        return (
            f"{getattr(exc, 'name', 'filing')}: no risk-disclosure section (风险因素, 重大事项提示, 特别风险提示, "
            "可能面对的风险 or 风险提示) found; send a filing that has one, or its paragraphs to POST /v1/classify."
        )
    return str(exc)
