"""Stand-off annotations: labels that point into corpus documents instead of copying them.

A record names its document by path relative to the corpus root (``../shared`` by default)
plus the content hash ``filings`` gives that file, the ``start``/``end`` offsets into the
normalised text and a hash of the paragraph text. Resolving a record re-reads the
document through ``filings`` and refuses, naming the record, when the text at those offsets
no longer has that hash. Only ``kind: synthetic`` records (written by this project) carry
their ``text`` inline.

File format (JSON Lines, one record per line)::

    {"id": "...", "doc": "corpus/ipo-2024-2025/x.md", "doc_hash": "0123abcd...", "start": 10,
     "end": 250, "text_hash": "89ab...", "heading": "第四节 风险因素 / 一、...", "section": "risk_factors",
     "labels": ["receivables_credit"], "annotator": "a1", "split": "train", "kind": "gold"}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from risklens.labels.jsonl import iter_json_lines
from risklens.labels.taxonomy import UnknownLabelError, validate_labels

KINDS = ("gold", "silver", "synthetic")
SPLITS = ("train", "dev", "test")


class AnnotationError(ValueError):
    """A stand-off record that is malformed or no longer matches its document."""


def text_hash(text: str) -> str:
    """Hash of a paragraph's text (first 16 hex digits of SHA-256 over UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Annotation:
    """One labelled paragraph, by reference (or inline text for synthetic records)."""

    id: str
    doc: str
    labels: tuple[str, ...]
    split: str
    kind: str
    annotator: str
    heading: str = ""
    section: str = ""
    doc_hash: str = ""
    start: int = -1
    end: int = -1
    text_hash: str = ""
    text: str | None = None  # only for kind == "synthetic"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_stand_off(self) -> bool:
        return self.text is None

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["labels"] = list(self.labels)
        if record["text"] is None:
            del record["text"]
        if not record["extra"]:
            del record["extra"]
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any], *, where: str) -> Annotation:
        """Validate one JSON record (``where`` names it in errors: file and line)."""
        labels = _check_fields(record, where)
        text = record.get("text")
        if record["kind"] == "synthetic":
            _check_synthetic(record, where)
        else:
            _check_stand_off(record, where)
        extra = {k: v for k, v in record.items() if k not in cls.__dataclass_fields__}
        extra.update(record.get("extra") or {})
        return cls(
            id=str(record["id"]),
            doc=str(record["doc"]),
            labels=labels,
            split=record["split"],
            kind=record["kind"],
            annotator=str(record["annotator"]),
            heading=str(record.get("heading") or ""),
            section=str(record.get("section") or ""),
            doc_hash=str(record.get("doc_hash") or ""),
            start=int(record.get("start", -1)),
            end=int(record.get("end", -1)),
            text_hash=str(record.get("text_hash") or ""),
            text=text,
            extra=extra,
        )


def _check_fields(record: Any, where: str) -> tuple[str, ...]:
    """The checks every kind shares: a JSON object with the required fields, a known kind
    and split, and labels that are taxonomy leaves (returned as a tuple)."""
    if not isinstance(record, dict):
        raise AnnotationError(f"{where}: expected a JSON object, got {type(record).__name__}.")
    missing = [key for key in ("id", "doc", "labels", "split", "kind", "annotator") if key not in record]
    if missing:
        raise AnnotationError(f"{where}: missing field(s) {', '.join(missing)}.")
    if record["kind"] not in KINDS:
        raise AnnotationError(f"{where}: kind must be one of {KINDS}; got {record['kind']!r}.")
    if record["split"] not in SPLITS:
        raise AnnotationError(f"{where}: split must be one of {SPLITS}; got {record['split']!r}.")
    if not isinstance(record["labels"], list):
        raise AnnotationError(f"{where}: labels must be a list of leaf ids (may be empty).")
    try:
        return tuple(validate_labels(record["labels"], where=where))
    except UnknownLabelError as exc:
        raise AnnotationError(str(exc)) from None


def _check_synthetic(record: dict[str, Any], where: str) -> None:
    """A synthetic record carries its own text and stays out of the test split."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AnnotationError(f"{where}: a synthetic record must carry its own 'text'.")
    if record["split"] == "test":
        raise AnnotationError(f"{where}: synthetic records may not be in the test split.")


def _check_stand_off(record: dict[str, Any], where: str) -> None:
    """A corpus-backed record points into its document and never copies the text."""
    if record.get("text") is not None:
        raise AnnotationError(
            f"{where}: corpus-backed ({record['kind']}) records are stand-off and must not carry 'text'; "
            "store doc/start/end/text_hash instead."
        )
    for key in ("doc_hash", "start", "end", "text_hash"):
        if key not in record:
            raise AnnotationError(f"{where}: stand-off record is missing '{key}'.")
    start, end = record["start"], record["end"]
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end:
        raise AnnotationError(f"{where}: start/end must be integers with 0 <= start < end.")


def read_annotations(path: Path) -> list[Annotation]:
    """Read and validate one annotation JSONL file (errors name file and line)."""
    return [
        Annotation.from_json(raw, where=f"{path}:{number}")
        for number, raw in iter_json_lines(path, AnnotationError)
    ]


def write_annotations(path: Path, records: Iterable[Annotation]) -> int:
    """Write records as JSONL (sorted keys, UTF-8, no ASCII escaping); return the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    tmp.replace(path)
    return count


def iter_annotation_files(data_dir: Path) -> Iterator[Path]:
    """The annotation files of a data directory, in name order."""
    yield from sorted(data_dir.glob("*.jsonl"))


def load_all(data_dir: Path) -> list[Annotation]:
    """Every record of every annotation file under ``data_dir``; ids must be unique per kind."""
    records: list[Annotation] = []
    seen: dict[tuple[str, str, str], Path] = {}
    for path in iter_annotation_files(data_dir):
        for record in read_annotations(path):
            key = (record.kind, record.annotator, record.id)
            if key in seen:
                raise AnnotationError(
                    f"{path}: duplicate record id {record.id!r} for annotator {record.annotator!r} "
                    f"(also in {seen[key]})."
                )
            seen[key] = path
            records.append(record)
    return records
