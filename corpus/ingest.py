"""One file to what the encoder needs: paragraphs, document facts and metadata.

``ingest_file`` runs in the build's worker processes (no torch there), so it takes and
returns only picklable values and never raises for a bad file: a file that cannot be
turned into risk paragraphs comes back as an ``IngestFailure`` with a stable code and a
one-line reason, and the build goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from risklens.corpus.metadata import extract_metadata
from risklens.corpus.store import FilingRecord
from risklens.filings import FilingError, Paragraph, extract_paragraphs, load_document
from risklens.filings.document import content_id
from risklens.filings.limits import DEFAULT_LIMITS, ParseLimits
from risklens.scoring.score import SECTIONS


@dataclass(frozen=True)
class Ingested:
    """A filing ready to classify."""

    record: FilingRecord
    paragraphs: list[Paragraph]


@dataclass(frozen=True)
class IngestFailure:
    """Why a file could not be ingested; ``stage`` is where it failed (read, ingest)."""

    path: str
    stage: str
    code: str
    error: str
    content_hash: str | None = None


def read_and_hash(path: Path) -> tuple[bytes, str] | IngestFailure:
    """The file's bytes and content hash (``filings`` document id), or why it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return IngestFailure(str(path), "read", "unreadable", f"{path}: cannot be read ({exc.strerror or exc})")
    return data, content_id(data)


def ingest_file(path: str, limits: ParseLimits = DEFAULT_LIMITS) -> Ingested | IngestFailure:
    """Load ``path``, extract its risk paragraphs and read its metadata."""
    read = read_and_hash(Path(path))
    if isinstance(read, IngestFailure):
        return read
    data, digest = read
    try:
        doc = load_document(data, name=path, limits=limits)
        paragraphs = extract_paragraphs(doc, SECTIONS)
    except FilingError as exc:
        return IngestFailure(path, "ingest", exc.code, str(exc), digest)
    except Exception as exc:  # a reader bug must not stop a market-wide build
        return IngestFailure(path, "ingest", "internal_error", f"{path}: {type(exc).__name__}: {exc}", digest)
    meta = extract_metadata(doc.text, Path(path).name)
    paged = doc.pages > 0
    record = FilingRecord(
        id=doc.doc_id, path=path, name=Path(path).name, reader=doc.reader,
        pages=doc.pages if paged else None, recovered=doc.recovered, meta=meta,
    )
    return Ingested(record, paragraphs)
