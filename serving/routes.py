"""The HTTP routes: health, readiness, classify, filings, compare, model, feedback, reload.

Handlers parse and answer on the event loop; the work runs through ``serving.jobs``
(bounded queue, deadline, one model per request).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter

from risklens.labels.store import MAX_IDEMPOTENCY_KEY
from risklens.scoring.compare import Comparison
from risklens.scoring.profile import FilingProfile
from risklens.serving.accesslog import add_log_fields
from risklens.serving.admission import Deadline, check_cost
from risklens.serving.auth import (
    check_admin_allowed,
    check_feedback_allowed,
    require_token,
    state_of,
)
from risklens.serving.errors import ApiError, without_paths
from risklens.serving.events import load_and_log, log
from risklens.serving.jobs import (
    compare_uploads,
    current_model,
    profile_upload,
    run_classify,
    run_job,
)
from risklens.serving.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    CompareRequest,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    FilingText,
    HealthResponse,
    ModelInfo,
    ModelSummary,
    ReadyResponse,
    ReloadResponse,
)
from risklens.serving.state import ServerState
from risklens.serving.uploads import read_filing, read_filing_pair, request_body_openapi

T = TypeVar("T")

_ANSWER: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])
"""Writes answers with pydantic's JSON writer, as FastAPI does for response models."""

_DESCRIPTIONS = {
    400: "malformed JSON or multipart body",
    401: "missing or wrong bearer token (when the server has RISKLENS_API_TOKEN)",
    403: "route not enabled on this server",
    404: "(corpus_disabled) the server was started without --db",
    408: "the request body stalled (body_timeout)",
    413: "over a limit: body 25 MB, 512 paragraphs, 20,000 characters a paragraph, 1,000 PDF pages, "
    "more text than the timeout allows at the measured speed (too_costly), a PDF too complex to read",
    415: "neither a PDF nor text, or an unsupported Content-Type",
    422: "wrong types, empty lists, unknown labels, or a filing that cannot be read (no text layer, no risk section, …)",
    500: "the reload failed; the previous model keeps serving",
    503: "the model is still loading (see /readyz), or the queue is full (overloaded, with Retry-After)",
    504: "the request took longer than the timeout",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}


def scoring_answer(body: dict[str, Any]) -> Response:
    """A profile's or comparison's ``to_dict()`` as the JSON answer, its ``model`` with all
    five ``ModelSummary`` keys (null when unknown).

    The route's response model (the dataclass) documents the answer; the body is sent
    as it is, since re-validating it through the dataclass would order the keys by field
    and drop those ``to_dict`` derives (``disclosed``, ``summary``).
    """
    body = {**body, "model": ModelSummary.model_validate(body["model"]).model_dump()}
    return Response(_ANSWER.dump_json(body), media_type="application/json")


# ------------------------------------------------------------------- health
health = APIRouter(tags=["health"])


@health.get("/healthz", response_model=HealthResponse, summary="the process is up")
async def healthz() -> dict[str, str]:
    """Always 200 while the process serves HTTP (no model needed, no token)."""
    return {"status": "ok"}


@health.get(
    "/readyz",
    response_model=ReadyResponse,
    summary="the model is loaded",
    responses={503: {"model": ReadyResponse, "description": "the model is loading or failed to load"}},
)
async def readyz(request: Request) -> Any:
    """200 with the model once it is loaded; 503 with the reason before, and while the
    queue is full, so a load balancer sends the next request elsewhere (no token)."""
    state = state_of(request)
    loaded = state.holder.current
    if loaded is None:
        reason = f"model failed to load: {state.holder.error}" if state.holder.error else "model is loading"
        return JSONResponse({"ready": False, "reason": reason}, status_code=503)
    if state.admission.saturated:
        reason = f"saturated: {state.admission.admitted} requests queued or running (limit {state.admission.capacity})"
        return JSONResponse({"ready": False, "reason": reason}, status_code=503,
                            headers={"Retry-After": str(int(state.admission.retry_after_s))})
    return {"ready": True, "model": loaded.summary}


# ----------------------------------------------------------------------- v1
v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])


@v1.post(
    "/classify",
    response_model=ClassifyResponse,
    tags=["classify"],
    summary="labels and scores for paragraphs",
    responses=errors(400, 401, 408, 413, 422, 503, 504),
)
async def classify(body: ClassifyRequest, request: Request) -> dict[str, Any]:
    """Classify up to 512 paragraphs (TAXONOMY.md format) with the current model."""
    state = state_of(request)
    loaded = current_model(state)
    items = [p.model_dump(exclude_none=True) for p in body.paragraphs]
    chars = sum(len(item["text"]) for item in items)
    check_cost(chars, loaded.chars_per_second, state.settings.timeout_s, "the request")

    predictions = await run_classify(state, loaded, items)
    add_log_fields(request, paragraphs=len(items), model_version=loaded.info.get("version"))
    return {
        "model": loaded.summary,
        "paragraphs": [
            {"id": item.get("id"), "labels": list(p.labels), "scores": {k: round(float(v), 6) for k, v in p.scores.items()}}
            for item, p in zip(items, predictions, strict=True)
        ],
    }


@v1.post(
    "/filings",
    response_model=FilingProfile,
    tags=["filings"],
    summary="the risk profile of a filing",
    responses=errors(400, 401, 408, 413, 415, 422, 503, 504),
    openapi_extra=request_body_openapi(FilingText, ("file",), raw=True),
)
async def filings_profile(request: Request) -> Response:
    """Upload a filing (PDF or text) and get its risk profile with evidence.

    Send it as multipart (field ``file``), as JSON ``{"text", "name"?}``, or as the raw
    bytes with Content-Type ``application/pdf`` / ``text/plain`` (``?name=`` names it).
    The answer is the JSON of ``risklens score --format json``.
    """
    state = state_of(request)
    loaded = current_model(state)
    upload = await read_filing(request)
    limits = state.settings.parse_limits()
    scored = await run_job(state, lambda deadline: profile_upload(loaded, upload, state.settings, deadline, limits))
    add_log_fields(
        request, document=upload.name, paragraphs=len(scored.paragraphs), model_version=loaded.info.get("version")
    )
    return scoring_answer(scored.profile.to_dict())


@v1.post(
    "/compare",
    response_model=Comparison,
    tags=["filings"],
    summary="risks added, removed and changed between two filings",
    responses=errors(400, 401, 408, 413, 415, 422, 503, 504),
    openapi_extra=request_body_openapi(CompareRequest, ("old", "new"), raw=False),
)
async def compare(request: Request) -> Response:
    """Compare an older and a newer filing of one issuer (multipart ``old``/``new`` or JSON)."""
    state = state_of(request)
    loaded = current_model(state)
    old_upload, new_upload = await read_filing_pair(request)

    limits = state.settings.parse_limits()

    def work(deadline: Deadline) -> dict[str, Any]:
        return compare_uploads(loaded, old_upload, new_upload, state.settings.batch_size, deadline, limits).to_dict()

    result = await run_job(state, work)
    add_log_fields(request, old=old_upload.name, new=new_upload.name, model_version=loaded.info.get("version"))
    return scoring_answer(result)


@v1.get(
    "/model",
    response_model=ModelInfo,
    tags=["model"],
    summary="the model being served",
    responses=errors(401, 503),
)
async def model_info(request: Request) -> dict[str, Any]:
    """Name, version, taxonomy version, labels, thresholds and test metrics."""
    loaded = current_model(state_of(request))
    return {**loaded.info, "loaded_at": loaded.loaded_at}


async def _feedback_allowed(request: Request) -> None:
    check_feedback_allowed(state_of(request))


async def _admin_allowed(request: Request) -> None:
    check_admin_allowed(state_of(request))


IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def store_feedback(
    state: ServerState, items: list[dict[str, Any]], annotator: str, idempotency_key: str | None = None
) -> Any:
    """Write labelled paragraphs to the label store, at most once per idempotency key
    (runs in a worker); returns the store's ``FeedbackReceipt``."""
    from risklens.labels.store import IdempotencyKeyReused, StoreError

    try:
        return state.label_store().submit_feedback(
            items, annotator=annotator, origin="feedback", idempotency_key=idempotency_key
        )
    except StoreError as exc:
        log.error("label store unavailable: %s", exc)
        raise ApiError(
            503, "store_unavailable",
            f"the label store cannot take feedback now ({without_paths(str(exc))}); the server log has the details.",
        ) from None
    except IdempotencyKeyReused as exc:
        raise ApiError(422, "idempotency_key_reused", str(exc)) from None
    except ValueError as exc:  # FeedbackError, unknown labels
        raise ApiError(422, "invalid_feedback", str(exc)) from None


@v1.post(
    "/feedback",
    response_model=FeedbackResponse,
    tags=["feedback"],
    summary="send corrected labels to the label store",
    responses={
        200: {
            "description": "the paragraphs were stored, or (a replayed Idempotency-Key) had been stored before",
            "headers": {
                REPLAYED_HEADER: {
                    "description": "sent with an Idempotency-Key: true when this answer repeats the first one "
                    "and nothing new was stored, false otherwise",
                    "schema": {"type": "string", "enum": ["true", "false"]},
                }
            },
        },
        **errors(400, 401, 403, 408, 413, 422, 503, 504),
    },
    dependencies=[Depends(_feedback_allowed)],
)
async def feedback(
    body: FeedbackRequest,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            min_length=1,
            max_length=MAX_IDEMPOTENCY_KEY,
            description="a unique id per request (e.g. a UUID) that makes retries safe: a request repeated "
            "with the same key and body stores nothing new and gets the first answer again (header "
            "Idempotent-Replayed: true), on this or any server sharing the label store, also after a "
            "restart; the same key with a different body is refused (422 idempotency_key_reused)",
        ),
    ] = None,
) -> dict[str, int]:
    """Store labelled paragraphs (TAXONOMY.md format) as feedback for retraining.

    Needs the token when the server has one; a server without a token refuses (403)
    unless started with ``--allow-feedback``. Send an ``Idempotency-Key`` header to retry
    safely after a lost answer.
    """
    state = state_of(request)
    items = [p.model_dump(exclude_none=True) for p in body.paragraphs]
    annotator = (body.annotator or "").strip() or "api"
    receipt = await run_job(state, lambda _deadline: store_feedback(state, items, annotator, idempotency_key))
    if idempotency_key is not None:
        response.headers[REPLAYED_HEADER] = "true" if receipt.replayed else "false"
    add_log_fields(request, stored=receipt.stored, annotator=annotator, replayed=receipt.replayed)
    return {"stored": receipt.stored}


@v1.post(
    "/admin/reload",
    response_model=ReloadResponse,
    tags=["admin"],
    summary="reload the model without dropping requests",
    responses=errors(401, 403, 500),
    dependencies=[Depends(_admin_allowed)],
)
async def reload(request: Request) -> dict[str, Any]:
    """Load the model from the resolved path (--model, $RISKLENS_MODEL, registry default)
    and swap it in; requests in flight finish on the old model. Same as SIGHUP."""
    state = state_of(request)
    previous = state.holder.current
    loop = asyncio.get_running_loop()
    try:
        loaded = await loop.run_in_executor(None, load_and_log, state, "admin")
    except Exception as exc:
        still = f"still serving {previous.info.get('version')}" if previous else "no model loaded"
        raise ApiError(
            500, "reload_failed",
            f"reload failed ({type(exc).__name__}: {without_paths(str(exc))}); {still}; the server log has the details.",
        ) from None
    add_log_fields(request, model_version=loaded.info.get("version"))
    return {"reloaded": True, "model": loaded.summary, "previous": previous.summary if previous else None}
