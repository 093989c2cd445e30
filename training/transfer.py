"""A transfer set: the unlabelled risk paragraphs of a corpus with a teacher's probabilities.

Distilling a smaller student (issue #23) and self-training the full encoder (issue #22)
both learn from paragraphs nobody labelled, with the teacher's calibrated probabilities as
soft targets. ``transfer_examples`` harvests the risk paragraphs of the train split's
documents (never a dev or test document, nor one the caller excludes, such as the near-miss
eval part's), drops every paragraph whose text is already labelled, and scores the rest
with the teacher (heading and text, the full fused pipeline). ``with_transfer`` writes a copy of
a DatasetDict whose train split also holds them as ``silver`` rows whose ``labels`` are the
probabilities; the training loop samples silver rows every epoch and trains on their
targets as given, so ``--silver-weight`` and ``--silver-per-epoch`` set how much they count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from risklens.filings.errors import FilingError
from risklens.labels.annotations import text_hash
from risklens.labels.harvest import Harvested, harvest_file
from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import Paragraph
from risklens.training.data import Example, Splits, open_dataset_dict

log = logging.getLogger("risklens.train")
Progress = Callable[[int, int], None]

FILING_SUFFIXES = (".pdf", ".txt", ".md", ".docx")
SKIP_FOLDERS = ("rare", "passages")
"""Corpus folders that are paragraph collections, not filings (the gold set samples them)."""


@dataclass(frozen=True)
class TransferSet:
    """The scored transfer paragraphs and what was left out, for the run log and the card."""

    examples: list[Example]
    files: int
    failed: int
    left_out: dict[str, int]


def corpus_filings(corpus_root: Path) -> list[Path]:
    """Every filing under ``corpus_root`` (``seeds/`` and ``corpus/**``), in a stable order."""
    found = [p for p in sorted(corpus_root.glob("seeds/*")) + sorted(corpus_root.glob("corpus/**/*"))
             if p.is_file() and p.suffix.lower() in FILING_SUFFIXES
             and not any(part in SKIP_FOLDERS for part in p.relative_to(corpus_root).parts[:-1])]
    return found


def harvest_files(paths: list[Path], corpus_root: Path, tag: str,
                  progress: Progress | None = None) -> tuple[list[Harvested], int]:
    """The risk paragraphs of ``paths`` in order, and how many filings could not be read
    (skipped and logged under ``tag``, as the corpus build skips them)."""
    out: list[Harvested] = []
    failed = 0
    for done, path in enumerate(paths, start=1):
        try:
            out.extend(harvest_file(path, corpus_root))
        except FilingError as exc:
            log.info("%s: skip %s: %s", tag, path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            failed += 1
        if progress is not None:
            progress(done, len(paths))
    return out, failed


def train_documents(splits: Splits, exclude_docs: Iterable[str] = ()) -> set[str]:
    """Documents with gold training rows, minus ``exclude_docs``: the only ones a transfer set reads.

    Unlabelled documents stay out on purpose: no new filing enters training through a
    teacher's guesses, so they remain fresh ground for evaluation (the near-miss eval part).
    """
    held_out = {e.doc.partition("#")[0] for e in splits.dev + splits.test if e.doc} | set(exclude_docs)
    return {e.doc for e in splits.train if e.kind == "gold" and e.doc and "#" not in e.doc} - held_out


def unlabelled_paragraphs(
    corpus_root: Path, splits: Splits, exclude_docs: Iterable[str] = (), progress: Progress | None = None,
) -> tuple[list[Harvested], int, int, dict[str, int]]:
    """Unlabelled risk paragraphs of the train documents: (paragraphs, files read, failed, left out by reason)."""
    allowed = train_documents(splits, exclude_docs)
    labelled = {text_hash(e.text) for e in splits.train + splits.dev + splits.test}
    paths = [p for p in corpus_filings(corpus_root) if p.relative_to(corpus_root).as_posix() in allowed]
    kept: list[Harvested] = []
    seen: set[str] = set()
    left_out = {"labelled": 0, "duplicate": 0}
    found, failed = harvest_files(paths, corpus_root, "transfer", progress)
    for paragraph in found:
        reason = ("labelled" if paragraph.text_hash in labelled
                  else "duplicate" if paragraph.text_hash in seen else "")
        if reason:
            left_out[reason] += 1
            continue
        seen.add(paragraph.text_hash)
        kept.append(paragraph)
    return kept, len(paths), failed, left_out


def transfer_examples(
    teacher: RiskClassifier, corpus_root: Path, splits: Splits, *, exclude_docs: Iterable[str] = (),
    batch_size: int = 32, progress: Progress | None = None,
) -> TransferSet:
    """The corpus's unlabelled risk paragraphs with ``teacher``'s probabilities as targets."""
    paragraphs, files, failed, left_out = unlabelled_paragraphs(corpus_root, splits, exclude_docs)
    log.info("transfer: %d paragraphs from %d files (%d unreadable); left out %s", len(paragraphs), files, failed,
             left_out)
    probs = teacher.predict_proba([Paragraph(text=p.text, heading=p.heading) for p in paragraphs],
                                  batch_size=batch_size, progress=progress) if paragraphs else np.zeros((0, len(teacher.labels)))
    labels = teacher.labels
    examples = [
        Example(id=f"transfer:{p.doc}#{p.start}", text=p.text, heading=p.heading, kind="silver", doc=p.doc,
                labels=tuple(label for label, value in zip(labels, row, strict=True) if value >= 0.5),
                targets=np.asarray(row, dtype=np.float64))
        for p, row in zip(paragraphs, probs, strict=True)
    ]
    return TransferSet(examples, files, failed, left_out)


def with_transfer(dataset_dir: Path, examples: list[Example], out_dir: Path) -> dict[str, Any]:
    """Save a copy of the DatasetDict at ``dataset_dir`` whose train split also holds ``examples``
    (``labels`` = their soft targets); returns the row counts per split."""
    import datasets

    loaded = open_dataset_dict(dataset_dir)
    train = loaded["train"]
    if not examples:
        loaded.save_to_disk(str(out_dir))
        return {split: len(table) for split, table in loaded.items()}
    extra = datasets.Dataset.from_list(
        [{"id": e.id, "doc": e.doc, "text": e.text, "heading": e.heading,
          "labels": [float(v) for v in e.targets], "label_ids": list(e.labels), "kind": e.kind}
         for e in examples],
        features=train.features,
    )
    loaded["train"] = datasets.concatenate_datasets([train, extra])
    loaded.save_to_disk(str(out_dir))
    return {split: len(table) for split, table in loaded.items()}
