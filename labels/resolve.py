"""Turn stand-off annotations back into text, refusing any that no longer match."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from risklens.labels.annotations import Annotation, AnnotationError, text_hash
from risklens.labels.sources import SourceError, resolve_source


@dataclass(frozen=True)
class Resolved:
    """An annotation together with its paragraph text."""

    annotation: Annotation
    text: str


def resolve_one(record: Annotation, corpus_root: Path) -> Resolved:
    """Resolve one record; raises ``AnnotationError`` naming the record on any mismatch."""
    if not record.is_stand_off:
        assert record.text is not None
        return Resolved(record, record.text)
    try:
        source = resolve_source(corpus_root, record.doc)
    except SourceError as exc:
        raise AnnotationError(f"record {record.id!r}: {exc}") from None
    if record.doc_hash and source.file_hash != record.doc_hash:
        raise AnnotationError(
            f"record {record.id!r}: {record.doc} has content hash {source.file_hash}, but the record "
            f"was made against {record.doc_hash}; the corpus file changed — re-anchor the labels."
        )
    if record.end > len(source.text):
        raise AnnotationError(
            f"record {record.id!r}: offsets {record.start}-{record.end} lie beyond the end of "
            f"{record.doc} ({len(source.text)} characters)."
        )
    text = source.text[record.start : record.end]
    if text_hash(text) != record.text_hash:
        raise AnnotationError(
            f"record {record.id!r}: the text at {record.doc}[{record.start}:{record.end}] no longer "
            f"matches its hash {record.text_hash} (got {text_hash(text)}); the ingestion changed — "
            "re-anchor the labels."
        )
    return Resolved(record, text)


def resolve_all(
    records: Iterable[Annotation],
    corpus_root: Path,
    progress: Callable[[int], None] | None = None,
) -> list[Resolved]:
    """Resolve every record (documents are read once each thanks to the source cache)."""
    out: list[Resolved] = []
    for record in records:
        out.append(resolve_one(record, corpus_root))
        if progress is not None:
            progress(1)
    return out
