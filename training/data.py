"""Labelled paragraphs for training and evaluation: the saved DatasetDict and JSONL files.

The coordinator's dataset (``datasets.DatasetDict`` saved with ``save_to_disk``) has splits
train / dev / test and columns id, doc, text, heading, labels (30-long multi-hot in taxonomy
order; silver rows may hold soft targets in [0, 1]), label_ids and kind (gold / silver /
synthetic). Evaluation files use the TAXONOMY.md JSONL format. Both become lists of ``Example``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from risklens.labels.taxonomy import LABELS, UnknownLabelError, to_multi_hot, validate_labels
from risklens.model.files import iter_jsonl
from risklens.model.inputs import Paragraph, as_paragraph

if TYPE_CHECKING:
    import datasets

KINDS = ("gold", "silver", "synthetic")
REQUIRED_COLUMNS = ("id", "text", "heading", "labels", "kind")


class DataError(ValueError):
    """Input data the user supplied is missing, malformed or in the wrong format."""


@dataclass(frozen=True)
class Example:
    """One labelled paragraph."""

    id: str
    text: str
    heading: str
    labels: tuple[str, ...]
    kind: str = "gold"
    doc: str = ""
    targets: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)), compare=False)
    text_targets: np.ndarray | None = field(default=None, compare=False)
    """Targets for the text-only input when they differ from ``targets`` (a teacher scores a paragraph
    without its heading differently); ``None`` = the same targets in both input modes."""

    def target_for(self, with_heading: bool) -> np.ndarray:
        """What the row teaches for its heading + text input, or for its text alone."""
        return self.targets if with_heading or self.text_targets is None else self.text_targets

    def paragraph(self, with_heading: bool = True) -> Paragraph:
        return Paragraph(text=self.text, heading=self.heading if with_heading else "", id=self.id)


@dataclass
class Splits:
    """The three splits of a dataset."""

    train: list[Example]
    dev: list[Example]
    test: list[Example]

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for name in ("train", "dev", "test"):
            counts: dict[str, int] = {}
            for example in getattr(self, name):
                counts[example.kind] = counts.get(example.kind, 0) + 1
            out[name] = counts
        return out


def make_example(
    *, id: str, text: str, heading: str, labels: Iterable[str], kind: str = "gold", doc: str = ""
) -> Example:
    """Build an Example, validating labels and kind."""
    if kind not in KINDS:
        raise DataError(f"example {id}: kind must be one of {KINDS}, got {kind!r}.")
    ordered = validate_labels(labels, where=f"example {id}")
    return Example(
        id=id, text=text, heading=heading or "", labels=tuple(ordered), kind=kind, doc=doc,
        targets=np.asarray(to_multi_hot(ordered), dtype=np.float64),
    )


def targets_of(examples: Sequence[Example]) -> np.ndarray:
    """(n, 30) multi-hot matrix."""
    if not examples:
        return np.zeros((0, len(LABELS)))
    return np.vstack([e.targets for e in examples])


def open_dataset_dict(directory: Path) -> datasets.DatasetDict:
    """The DatasetDict saved at ``directory``, or ``DataError`` saying what is there instead."""
    import datasets

    try:
        loaded = datasets.load_from_disk(str(directory))
    except (FileNotFoundError, ValueError) as exc:
        raise DataError(
            f"{directory}: not a saved datasets.DatasetDict ({exc}); build one with `risklens labels build`."
        ) from exc
    if not isinstance(loaded, datasets.DatasetDict):
        raise DataError(f"{directory}: expected a DatasetDict with train/dev/test, got a single Dataset.")
    return loaded


def load_dataset_dir(path: str | Path) -> Splits:
    """Read a DatasetDict saved with ``save_to_disk`` into train / dev / test examples."""
    directory = Path(path)
    if not directory.exists():
        raise DataError(
            f"{directory}: dataset not found; expected a datasets.DatasetDict saved with "
            f"save_to_disk (build it with `risklens labels build`)."
        )
    loaded = open_dataset_dict(directory)
    missing = [split for split in ("train", "dev") if split not in loaded]
    if missing:
        raise DataError(f"{directory}: DatasetDict lacks split(s) {missing}; it has {list(loaded)}.")
    splits: dict[str, list[Example]] = {}
    for split in ("train", "dev", "test"):
        if split not in loaded:
            splits[split] = []
            continue
        table = loaded[split]
        absent = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
        if absent and len(table):
            raise DataError(f"{directory}: split {split!r} lacks column(s) {absent}.")
        splits[split] = [_from_row(row, f"{directory}:{split}") for row in table]
    return Splits(**splits)


def _from_row(row: dict[str, Any], where: str) -> Example:
    vector = np.asarray(row["labels"], dtype=np.float64)
    if vector.shape != (len(LABELS),):
        raise DataError(f"{where} row {row.get('id')}: 'labels' must be {len(LABELS)} values, got {vector.shape}.")
    labels = tuple(label for label, v in zip(LABELS, vector, strict=True) if v >= 0.5)
    kind = str(row.get("kind") or "gold")
    if kind not in KINDS:
        raise DataError(f"{where} row {row.get('id')}: kind must be one of {KINDS}, got {kind!r}.")
    text_targets = None
    if kind == "silver":  # silver targets may be soft (a teacher's probabilities, ``training.transfer``)
        targets = _soft(vector, where, row, "labels")
        if row.get("text_labels") is not None:  # the teacher's probabilities for the text alone
            text_targets = _soft(np.asarray(row["text_labels"], dtype=np.float64), where, row, "text_labels")
    else:
        targets = (vector >= 0.5).astype(np.float64)
    return Example(
        id=str(row["id"]), text=str(row["text"]), heading=str(row.get("heading") or ""),
        labels=labels, kind=kind, doc=str(row.get("doc") or ""), targets=targets, text_targets=text_targets,
    )


def _soft(vector: np.ndarray, where: str, row: dict[str, Any], column: str) -> np.ndarray:
    """A silver row's soft targets, checked: 30 values in [0, 1]."""
    if vector.shape != (len(LABELS),) or not np.all((vector >= 0) & (vector <= 1)):
        raise DataError(f"{where} row {row.get('id')}: silver {column!r} must be {len(LABELS)} values in [0, 1], "
                        f"got shape {vector.shape}, range {vector.min(initial=0)}..{vector.max(initial=0)}.")
    return vector.copy()


def read_jsonl(path: str | Path, *, require_labels: bool = True) -> list[Example]:
    """Read a TAXONOMY.md JSONL file; ``labels`` must be present when ``require_labels``."""
    file = Path(path)
    examples: list[Example] = []
    try:
        records = list(iter_jsonl(file))
    except (FileNotFoundError, ValueError) as exc:
        raise DataError(str(exc)) from None
    for number, record in records:
        if require_labels and not isinstance(record.get("labels"), list):
            raise DataError(
                f"{file}:{number}: expected a 'labels' list (may be []); evaluation needs labelled data."
            )
        kind = str(record["kind"]) if record.get("kind") in KINDS else "gold"
        try:
            paragraph = as_paragraph(record, number)
        except ValueError as exc:
            raise DataError(f"{file}:{number}: {exc}") from None
        try:
            examples.append(
                make_example(
                    id=str(record.get("id", f"{file.stem}-{number}")), text=paragraph.text,
                    heading=paragraph.heading, labels=record.get("labels") or [], kind=kind,
                    doc=str(record.get("source") or ""),
                )
            )
        except UnknownLabelError as exc:
            raise DataError(f"{file}:{number}: {exc}") from exc
    if not examples:
        raise DataError(f"{file}: no records; expected one JSON object per line.")
    return examples
