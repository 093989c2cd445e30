"""A transfer set: the unlabelled risk paragraphs of a corpus with a teacher's probabilities.

Distilling a smaller student (issue #23) and self-training the full encoder (issue #22)
both learn from paragraphs nobody labelled, with the teacher's calibrated probabilities as
soft targets. ``transfer_examples`` harvests risk paragraphs, drops every paragraph whose
text is already labelled, and scores the rest with the teacher (the full fused pipeline,
once with the heading and once without, so a student learns both input modes as the
teacher reads them). Which filings it reads is the ``scope``:

- ``"train"`` (self-training): only documents of the train split, so no new filing enters
  training through a teacher's guesses and unlabelled filings stay fresh ground for evaluation;
- ``"corpus"`` (distillation): every filing no evaluation reads (never a dev or test
  document, nor one the caller excludes, such as the near-miss eval part's). A student
  should imitate the teacher on as much real text as there is.

``spans`` adds, per paragraph (the gold train paragraphs' included), up to that many runs
of whole sentences cut from it: the same language in more shapes, the augmentation of
TinyBERT (Jiao et al. 2020) without its word substitution. ``with_transfer`` writes a copy
of a DatasetDict whose train split also holds them as ``silver`` rows whose ``labels`` are
the heading + text probabilities and ``text_labels`` the text-only ones; the training loop
samples silver rows every epoch and trains on their targets as given, so
``--silver-weight`` and ``--silver-per-epoch`` set how much they count.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from risklens.filings.errors import FilingError, NoRiskSection
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
SCOPES = ("train", "corpus")
SKIP_REASONS = ("unreadable", "no_risk_section")
"""Why ``harvest_files`` skips a filing: the keys of its count (``TransferSet.skipped``)."""
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
MIN_SPAN_CHARS = 16


@dataclass(frozen=True)
class TransferSet:
    """The scored transfer paragraphs and what was left out, for the run log and the card."""

    examples: list[Example]
    files: int
    skipped: dict[str, int]  # filings not used, by reason (see ``harvest_files``)
    left_out: dict[str, int]


def corpus_filings(corpus_root: Path) -> list[Path]:
    """Every filing under ``corpus_root`` (``seeds/`` and ``corpus/**``), in a stable order."""
    found = [p for p in sorted(corpus_root.glob("seeds/*")) + sorted(corpus_root.glob("corpus/**/*"))
             if p.is_file() and p.suffix.lower() in FILING_SUFFIXES
             and not any(part in SKIP_FOLDERS for part in p.relative_to(corpus_root).parts[:-1])]
    return found


def harvest_files(paths: list[Path], corpus_root: Path, tag: str,
                  progress: Progress | None = None) -> tuple[list[Harvested], dict[str, int]]:
    """The risk paragraphs of ``paths`` in order, and how many filings gave none, by reason:
    ``no_risk_section`` (read, but nothing is a risk block: most Word MD&A chapters without one)
    and ``unreadable`` (any other ingestion error). Both are logged under ``tag`` and skipped,
    as the corpus build skips them."""
    out: list[Harvested] = []
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    for done, path in enumerate(paths, start=1):
        try:
            out.extend(harvest_file(path, corpus_root))
        except FilingError as exc:
            log.info("%s: skip %s: %s", tag, path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            skipped["no_risk_section" if isinstance(exc, NoRiskSection) else "unreadable"] += 1
        if progress is not None:
            progress(done, len(paths))
    return out, skipped


def held_out_documents(splits: Splits, exclude_docs: Iterable[str] = ()) -> set[str]:
    """Documents evaluation reads (dev, test, ``exclude_docs``): no training input comes from them."""
    return {e.doc.partition("#")[0] for e in splits.dev + splits.test if e.doc} | set(exclude_docs)


def train_documents(splits: Splits, exclude_docs: Iterable[str] = ()) -> set[str]:
    """Documents with gold training rows, minus the held-out ones: what scope ``"train"`` reads."""
    held_out = held_out_documents(splits, exclude_docs)
    return {e.doc for e in splits.train if e.kind == "gold" and e.doc and "#" not in e.doc} - held_out


def filings_outside_evaluation(corpus_root: Path, splits: Splits,
                               exclude_docs: Iterable[str] = ()) -> tuple[list[Path], int]:
    """Every corpus filing no evaluation reads, and how many filings were held out for it."""
    held_out = held_out_documents(splits, exclude_docs)
    every = corpus_filings(corpus_root)
    paths = [p for p in every if p.relative_to(corpus_root).as_posix() not in held_out]
    return paths, len(every) - len(paths)


def source_filings(corpus_root: Path, splits: Splits, exclude_docs: Iterable[str] = (),
                   scope: str = "train") -> list[Path]:
    """The filings a transfer set of ``scope`` reads (see the module docstring)."""
    if scope not in SCOPES:
        raise ValueError(f"transfer scope must be one of {SCOPES}, got {scope!r}.")
    if scope == "corpus":
        return filings_outside_evaluation(corpus_root, splits, exclude_docs)[0]
    allowed = train_documents(splits, exclude_docs)
    return [p for p in corpus_filings(corpus_root) if p.relative_to(corpus_root).as_posix() in allowed]


def unlabelled_paragraphs(
    corpus_root: Path, splits: Splits, exclude_docs: Iterable[str] = (), progress: Progress | None = None,
    scope: str = "train",
) -> tuple[list[Harvested], int, dict[str, int], dict[str, int]]:
    """Unlabelled risk paragraphs of the ``scope``'s filings: (paragraphs, files read, files skipped by
    reason, paragraphs left out by reason)."""
    paths = source_filings(corpus_root, splits, exclude_docs, scope)
    labelled = {text_hash(e.text) for e in splits.train + splits.dev + splits.test}
    kept: list[Harvested] = []
    seen: set[str] = set()
    left_out = {"labelled": 0, "duplicate": 0}
    found, skipped = harvest_files(paths, corpus_root, "transfer", progress)
    for paragraph in found:
        reason = ("labelled" if paragraph.text_hash in labelled
                  else "duplicate" if paragraph.text_hash in seen else "")
        if reason:
            left_out[reason] += 1
            continue
        seen.add(paragraph.text_hash)
        kept.append(paragraph)
    return kept, len(paths), skipped, left_out


def sentence_spans(text: str, count: int, rng: random.Random, min_chars: int = MIN_SPAN_CHARS) -> list[str]:
    """Up to ``count`` distinct runs of whole sentences of ``text``, each shorter than ``text``
    and at least ``min_chars`` long; none for a one-sentence paragraph."""
    sentences = [part for part in SENTENCE_END.split(text.strip()) if part.strip()]
    n = len(sentences)
    candidates = [(i, j) for i in range(n) for j in range(i + 1, n + 1)
                  if j - i < n and len("".join(sentences[i:j]).strip()) >= min_chars]
    picked = rng.sample(candidates, min(count, len(candidates))) if count > 0 else []
    return ["".join(sentences[i:j]).strip() for i, j in sorted(picked)]


def _spans_of(sources: list[tuple[str, str, str, str]], count: int, skip: set[str],
              seed: int) -> list[tuple[str, str, str, str]]:
    """(id, doc, text, heading) of the sentence spans of ``sources`` (same tuples), minus any
    text whose hash is in ``skip`` (labelled or already taken); ``skip`` grows."""
    rng = random.Random(seed)
    out = []
    for source_id, doc, text, heading in sources:
        for k, span in enumerate(sentence_spans(text, count, rng)):
            digest = text_hash(span)
            if digest in skip:
                continue
            skip.add(digest)
            out.append((f"span:{source_id}:{k}", doc, span, heading))
    return out


def transfer_examples(
    teacher: RiskClassifier, corpus_root: Path, splits: Splits, *, exclude_docs: Iterable[str] = (),
    batch_size: int = 32, progress: Progress | None = None, scope: str = "train", spans: int = 0,
    seed: int = 13,
) -> TransferSet:
    """The unlabelled risk paragraphs of the ``scope``'s filings (and, with ``spans``, sentence
    spans of them and of the gold train paragraphs) with ``teacher``'s probabilities as targets."""
    paragraphs, files, skipped, left_out = unlabelled_paragraphs(corpus_root, splits, exclude_docs, scope=scope)
    log.info("transfer: %d paragraphs from %d files (skipped %s); left out %s", len(paragraphs), files, skipped,
             left_out)
    rows = [(f"transfer:{p.doc}#{p.start}", p.doc, p.text, p.heading) for p in paragraphs]
    if spans:
        taken = {text_hash(e.text) for e in splits.train + splits.dev + splits.test} | {p.text_hash for p in paragraphs}
        gold = [(e.id, e.doc, e.text, e.heading) for e in splits.train if e.kind == "gold"]
        added = _spans_of(gold + rows, spans, taken, seed)
        log.info("transfer: %d sentence spans (up to %d per paragraph)", len(added), spans)
        rows += added
    inputs = [Paragraph(text=text, heading=heading) for _, _, text, heading in rows]
    empty = np.zeros((0, len(teacher.labels)))
    with_heading = teacher.predict_proba(inputs, batch_size=batch_size, progress=progress) if rows else empty
    text_only = (teacher.predict_proba(inputs, batch_size=batch_size, progress=progress, use_headings=False)
                 if rows else empty)
    labels = teacher.labels
    examples = [
        Example(id=row_id, text=text, heading=heading, kind="silver", doc=doc,
                labels=tuple(label for label, value in zip(labels, row, strict=True) if value >= 0.5),
                targets=np.asarray(row, dtype=np.float64), text_targets=np.asarray(alone, dtype=np.float64))
        for (row_id, doc, text, heading), row, alone in zip(rows, with_heading, text_only, strict=True)
    ]
    return TransferSet(examples, files, skipped, left_out)


def with_transfer(dataset_dir: Path, examples: list[Example], out_dir: Path) -> dict[str, Any]:
    """Save a copy of the DatasetDict at ``dataset_dir`` whose train split also holds ``examples``
    (``labels`` = their soft targets, ``text_labels`` = their text-only ones); returns the row
    counts per split."""
    import datasets

    loaded = open_dataset_dict(dataset_dir)
    train = loaded["train"]
    if not examples:
        loaded.save_to_disk(str(out_dir))
        return {split: len(table) for split, table in loaded.items()}
    features = train.features.copy()
    features["text_labels"] = datasets.Sequence(datasets.Value("float32"))
    if "text_labels" not in train.column_names:  # rows without text-only targets learn ``labels`` in both modes
        train = train.add_column("text_labels", [None] * len(train)).cast(features)
    extra = datasets.Dataset.from_list(
        [{"id": e.id, "doc": e.doc, "text": e.text, "heading": e.heading,
          "labels": [float(v) for v in e.targets], "label_ids": list(e.labels), "kind": e.kind,
          "text_labels": None if e.text_targets is None else [float(v) for v in e.text_targets]}
         for e in examples],
        features=features,
    )
    loaded["train"] = datasets.concatenate_datasets([train, extra])
    loaded.save_to_disk(str(out_dir))
    return {split: len(table) for split, table in loaded.items()}
