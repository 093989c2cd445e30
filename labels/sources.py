"""Where annotated text comes from: filings, or single records of the corpus's own datasets.

A stand-off ``doc`` is a path relative to the corpus root (``../shared``):

- ``seeds/002_….txt``, ``corpus/ipo-2024-2025/….md``, a PDF … — a filing, normalised by
  ``filings.load_document``; offsets index that normalised text;
- ``corpus/rare/paragraphs.jsonl#L12`` — the ``text`` field of line 12 (1-based);
- ``corpus/passages/train_set.tsv#id=345`` — the ``passage`` field of the row with that id.

``doc_hash`` is always the content hash of the whole file (the same one ``filings`` uses),
so an edited corpus file is noticed even when the paragraph itself still matches.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


class SourceError(ValueError):
    """A document reference that cannot be resolved under the corpus root."""


@dataclass(frozen=True)
class SourceText:
    """The resolved text of a ``doc`` reference and the hash of the file it came from."""

    doc: str
    text: str
    file_hash: str


def file_hash(path: Path) -> str:
    """First 16 hex digits of SHA-256 over the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _split_ref(doc: str) -> tuple[str, str]:
    path, _, fragment = doc.partition("#")
    return path, fragment


def resolve_source(root: Path, doc: str) -> SourceText:
    """Resolve ``doc`` under ``root``; raises ``SourceError`` naming what is missing."""
    return _resolve_cached(str(root.resolve()), doc)


@lru_cache(maxsize=256)
def _resolve_cached(root_str: str, doc: str) -> SourceText:
    root = Path(root_str)
    rel, fragment = _split_ref(doc)
    path = root / rel
    if not path.is_file():
        raise SourceError(
            f"{doc}: file {path} not found under the corpus root {root}; pass --corpus pointing at "
            "the folder that holds seeds/ and corpus/ (default ../shared)."
        )
    digest = file_hash(path)
    if not fragment:
        from risklens.filings import (
            load_document,  # labels may use filings; imported lazily (heavy)
        )

        document = load_document(path)
        return SourceText(doc=doc, text=document.text, file_hash=digest)
    if fragment.startswith("L") and path.suffix == ".jsonl":
        number = int(fragment[1:])
        with path.open(encoding="utf-8") as handle:
            for index, line in enumerate(handle, start=1):
                if index == number:
                    return SourceText(doc=doc, text=str(json.loads(line)["text"]), file_hash=digest)
        raise SourceError(f"{doc}: {path} has no line {number}.")
    if fragment.startswith("id=") and path.suffix == ".tsv":
        wanted = fragment[3:]
        csv.field_size_limit(sys.maxsize)
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("id") == wanted:
                    return SourceText(doc=doc, text=row["passage"], file_hash=digest)
        raise SourceError(f"{doc}: {path} has no row with id {wanted}.")
    raise SourceError(f"{doc}: unknown fragment '#{fragment}' (expected #L<line> for .jsonl or #id=<id> for .tsv).")
