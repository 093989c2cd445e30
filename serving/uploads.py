"""Read filings out of HTTP requests: multipart files, JSON text or raw bytes.

``POST /v1/filings`` and ``POST /v1/compare`` accept three shapes, chosen by Content-Type:

* ``multipart/form-data`` with a file field (``file``; ``old`` and ``new`` for compare);
* ``application/json``: ``{"text": …, "name"?}`` (compare: ``{"old": {…}, "new": {…}}``);
* the raw bytes as ``application/pdf``, ``text/plain`` or ``application/octet-stream``,
  with ``?name=`` for the document name (filings only).

What the bytes are (PDF, text, page-lines JSON, Markdown) is decided by ``filings`` from
the content, not from the Content-Type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from risklens.serving.errors import ApiError, validation_error
from risklens.serving.schemas import CompareRequest, FilingText

RAW_TYPES = ("application/pdf", "application/octet-stream", "text/plain", "text/markdown")
MAX_FORM_FIELDS = 1_000
"""Parts of a multipart body besides its files that the server parses (and ignores); the
25 MB body limit bounds them too."""
FILE_TYPES = ("application/pdf", "text/plain", "text/markdown", "application/json")
"""What a filing file may be (the page-lines format is JSON lines); documented per file field."""


@dataclass(frozen=True)
class Upload:
    """One filing's bytes and the name it is reported under."""

    data: bytes
    name: str


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _unsupported(media_type: str, fields: str) -> ApiError:
    return ApiError(
        415,
        "unsupported_media_type",
        f"Content-Type {media_type or '(none)'} is not accepted; send multipart/form-data with "
        f"{fields}, application/json, or the raw file as application/pdf or text/plain.",
    )


async def _json_body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(list(exc.errors())) from None


async def _form_files(request: Request, names: tuple[str, ...]) -> list[Upload]:
    form = await request.form(max_files=len(names) + 2, max_fields=MAX_FORM_FIELDS)
    out = []
    for field_name in names:
        item = form.get(field_name)
        if not isinstance(item, UploadFile):
            wanted = " and ".join(f"'{n}'" for n in names)
            raise ApiError(
                422,
                "invalid_request",
                f"multipart field '{field_name}' is missing or not a file; send the filing(s) as file "
                f"field(s) {wanted}.",
            )
        data = await item.read()
        out.append(Upload(data=data, name=item.filename or field_name))
    return out


async def read_filing(request: Request) -> Upload:
    """The single filing of a ``POST /v1/filings`` request."""
    media_type = _media_type(request)
    if media_type == "multipart/form-data":
        return (await _form_files(request, ("file",)))[0]
    if media_type == "application/json":
        body: FilingText = await _json_body(request, FilingText)
        return Upload(data=body.text.encode("utf-8"), name=body.name or "filing.txt")
    if media_type in RAW_TYPES:
        name = request.query_params.get("name") or ("upload.pdf" if media_type == "application/pdf" else "upload.txt")
        return Upload(data=await request.body(), name=name)
    raise _unsupported(media_type, "a file field 'file'")


async def read_filing_pair(request: Request) -> tuple[Upload, Upload]:
    """The old and new filings of a ``POST /v1/compare`` request."""
    media_type = _media_type(request)
    if media_type == "multipart/form-data":
        old, new = await _form_files(request, ("old", "new"))
        return old, new
    if media_type == "application/json":
        body: CompareRequest = await _json_body(request, CompareRequest)
        return (
            Upload(data=body.old.text.encode("utf-8"), name=body.old.name or "old.txt"),
            Upload(data=body.new.text.encode("utf-8"), name=body.new.name or "new.txt"),
        )
    raise _unsupported(media_type, "file fields 'old' and 'new'")


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with every ``$ref`` to its ``$defs`` replaced inline."""
    schema = json.loads(json.dumps(model.model_json_schema()))
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def request_body_openapi(model: type[BaseModel], files: tuple[str, ...], raw: bool) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route that reads its body itself."""
    file_schema = {
        "type": "string", "format": "binary", "minLength": 1,
        "description": "a PDF with a text layer, or the filing's text (UTF-8 or GB18030; plain, Markdown "
        "or page-lines JSON); what it is is read from the content. Other files (images, Word, archives) "
        "get 415; a file without a readable risk section 422.",
    }
    properties = {name: file_schema for name in files}
    content: dict[str, Any] = {
        "multipart/form-data": {
            "schema": {
                "type": "object", "properties": properties, "required": list(files),
                "description": f"other fields are ignored (at most {MAX_FORM_FIELDS:,} are parsed)",
            },
            "encoding": {name: {"contentType": ", ".join(FILE_TYPES)} for name in files},
        },
        "application/json": {"schema": inline_schema(model)},
    }
    if raw:
        content["application/pdf"] = {"schema": {**file_schema, "description": "the PDF's bytes"}}
        content["text/plain"] = {"schema": {"type": "string", "minLength": 1, "description": "the filing's text"}}
    return {"requestBody": {"required": True, "content": content}}
