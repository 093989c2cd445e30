"""Build the training dataset (a ``datasets.DatasetDict``) and JSONL exports from annotations.

Splits are by document: ``validate_splits`` refuses a document that appears in two splits,
so no filing leaks from train into test. Silver records are training-only and are dropped
when their document is in dev or test for gold.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from risklens.labels.annotations import SPLITS, Annotation, AnnotationError
from risklens.labels.resolve import Resolved, resolve_all
from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION, to_multi_hot


def split_key(record: Annotation) -> str:
    """The unit of splitting: the filing a record comes from.

    Records of ``corpus/rare/paragraphs.jsonl`` come from many filings; their filing is the
    ``company`` field kept in ``extra``. Passages are keyed by their prospectus name.
    """
    base = record.doc.partition("#")[0]
    if "company" in record.extra:
        return f"{base}:{record.extra['company']}"
    if "prospectus" in record.extra:
        return f"{base}:{record.extra['prospectus']}"
    return base


def validate_splits(records: Iterable[Annotation]) -> dict[str, str]:
    """Map each document to its split; raise when a document sits in two splits."""
    where: dict[str, str] = {}
    for record in records:
        if record.kind == "silver":
            continue
        key = split_key(record)
        previous = where.setdefault(key, record.split)
        if previous != record.split:
            raise AnnotationError(
                f"document {key} appears in split {previous!r} and in {record.split!r} "
                f"(record {record.id!r}); splits must be by document."
            )
    return where


@dataclass(frozen=True)
class Row:
    """One dataset row: resolved text plus labels and provenance."""

    id: str
    doc: str
    text: str
    heading: str
    label_ids: tuple[str, ...]
    kind: str
    split: str

    def to_features(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc": self.doc,
            "text": self.text,
            "heading": self.heading,
            "labels": to_multi_hot(self.label_ids),
            "label_ids": list(self.label_ids),
            "kind": self.kind,
        }

    def to_taxonomy_jsonl(self) -> dict[str, Any]:
        """The TAXONOMY.md JSONL format (what ``risklens evaluate`` reads)."""
        return {
            "id": self.id,
            "text": self.text,
            "heading": self.heading,
            "labels": list(self.label_ids),
            "source": self.doc,
            "split": self.split,
            "kind": self.kind,
        }


def build_rows(
    records: Sequence[Annotation],
    corpus_root: Path,
    *,
    include_silver: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[Row]:
    """Resolve records into rows.

    Silver rows of dev/test documents are dropped, and so is a silver row whose paragraph
    also carries a gold or synthetic label: the read label overrides the heading rule
    instead of teaching the model two different answers for the same text.
    """
    doc_split = validate_splits(records)
    read = {(r.doc, r.text_hash) for r in records if r.kind != "silver" and r.text_hash}
    chosen: list[Annotation] = []
    for record in records:
        if record.kind == "silver" and (
            not include_silver
            or doc_split.get(split_key(record), "train") != "train"
            or (record.doc, record.text_hash) in read
        ):
            continue
        chosen.append(record)
    resolved: list[Resolved] = resolve_all(chosen, corpus_root, progress=progress)
    return [
        Row(
            id=item.annotation.id,
            doc=item.annotation.doc,
            text=item.text,
            heading=item.annotation.heading,
            label_ids=item.annotation.labels,
            kind=item.annotation.kind,
            split="train" if item.annotation.kind == "silver" else item.annotation.split,
        )
        for item in resolved
    ]


def to_dataset_dict(rows: Sequence[Row]) -> Any:
    """A ``datasets.DatasetDict`` with train / dev / test (label names in the info)."""
    import datasets  # heavy; only needed here

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "doc": datasets.Value("string"),
            "text": datasets.Value("string"),
            "heading": datasets.Value("string"),
            "labels": datasets.Sequence(datasets.Value("float32"), length=len(LABELS)),
            "label_ids": datasets.Sequence(datasets.Value("string")),
            "kind": datasets.Value("string"),
        }
    )
    by_split: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_split[row.split].append(row.to_features())
    info = datasets.DatasetInfo(
        description=f"RiskLens risk paragraphs, labels in {TAXONOMY_VERSION} order: {', '.join(LABELS)}",
        features=features,
    )
    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_list(by_split[split], features=features, info=info)
            if by_split.get(split)
            else datasets.Dataset.from_dict({name: [] for name in features}, features=features, info=info)
            for split in SPLITS
        }
    )


def write_jsonl(rows: Iterable[Row], path: Path) -> int:
    """Write rows in the TAXONOMY.md JSONL format; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row.to_taxonomy_jsonl(), ensure_ascii=False) + "\n")
            count += 1
    return count


@dataclass(frozen=True)
class Stats:
    """Counts that the dataset card and ``risklens labels stats`` report."""

    by_kind: dict[str, int]
    by_split: dict[str, dict[str, int]]
    per_label: dict[str, dict[str, int]]
    empty_gold: int
    gold_documents: int
    docs_by_split: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "by_kind": self.by_kind,
            "by_split": self.by_split,
            "per_label": self.per_label,
            "empty_gold": self.empty_gold,
            "gold_documents": self.gold_documents,
            "docs_by_split": self.docs_by_split,
        }


def compute_stats(records: Sequence[Annotation]) -> Stats:
    """Per kind, split and label counts (gold and synthetic per label, silver apart)."""
    by_kind = Counter(record.kind for record in records)
    by_split: dict[str, Counter[str]] = defaultdict(Counter)
    per_label: dict[str, Counter[str]] = {label: Counter() for label in LABELS}
    docs: dict[str, set[str]] = defaultdict(set)
    empty_gold = 0
    for record in records:
        by_split[record.split][record.kind] += 1
        for label in record.labels:
            per_label[label][record.kind] += 1
            if record.kind == "gold":
                per_label[label][f"gold_{record.split}"] += 1
        if record.kind == "gold":
            docs[record.split].add(split_key(record))
            if not record.labels:
                empty_gold += 1
    return Stats(
        by_kind=dict(by_kind),
        by_split={split: dict(counts) for split, counts in by_split.items()},
        per_label={label: dict(counts) for label, counts in per_label.items()},
        empty_gold=empty_gold,
        gold_documents=len(set().union(*docs.values())) if docs else 0,
        docs_by_split={split: len(keys) for split, keys in docs.items()},
    )
