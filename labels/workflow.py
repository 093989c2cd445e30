"""The plain functions behind ``risklens labels …``: they read and write label data and
return what they found; ``risklens/commands/labels.py`` parses the arguments and prints.

Errors a user can cause are raised as ``UserError`` with one line that names the input and
what to do.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from risklens.labels.agreement import agreement
from risklens.labels.annotations import (
    Annotation,
    AnnotationError,
    load_all,
    read_annotations,
    text_hash,
    write_annotations,
)
from risklens.labels.dataset import (
    Stats,
    build_rows,
    compute_stats,
    to_dataset_dict,
    validate_splits,
    write_jsonl,
)
from risklens.labels.labelstudio import LabelStudioError, Task, export_tasks, import_tasks
from risklens.labels.resolve import resolve_all
from risklens.labels.silver import RuleLabeller
from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION

SECOND_ANNOTATOR_FILE = Path("agreement") / "second.jsonl"


class UserError(Exception):
    """A problem with the user's input, reported as one line."""


def _load(data_dir: Path) -> list[Annotation]:
    if not data_dir.is_dir():
        raise UserError(f"annotation folder {data_dir} not found; pass --data pointing at labels/data.")
    try:
        return load_all(data_dir)
    except AnnotationError as exc:
        raise UserError(str(exc)) from None


def validate(data_dir: Path, corpus_root: Path) -> Counter[str]:
    """Parse, resolve and split-check every record; returns how many there are of each kind."""
    records = _load(data_dir)
    try:
        validate_splits(records)
        resolve_all(records, corpus_root)
    except AnnotationError as exc:
        raise UserError(str(exc)) from None
    return Counter(record.kind for record in records)


def stats(data_dir: Path) -> Stats:
    """Counts per kind, split and label of the annotations in ``data_dir``."""
    return compute_stats(_load(data_dir))


def build(data_dir: Path, corpus_root: Path, out_dir: Path, *, include_silver: bool) -> dict[str, int]:
    """Write the DatasetDict to OUT/dataset and TAXONOMY.md JSONL files to OUT/<split>.jsonl.

    Returns the number of rows of each split of the DatasetDict.
    """
    records = _load(data_dir)
    try:
        rows = build_rows(records, corpus_root, include_silver=include_silver)
    except AnnotationError as exc:
        raise UserError(str(exc)) from None
    dataset = to_dataset_dict(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset.save_to_disk(str(out_dir / "dataset"))
    for split in ("train", "dev", "test"):
        write_jsonl([row for row in rows if row.split == split], out_dir / f"{split}.jsonl")
    (out_dir / "labels.json").write_text(json.dumps({"version": TAXONOMY_VERSION, "labels": list(LABELS)}, indent=1))
    return {split: len(dataset[split]) for split in dataset}


@dataclass
class SilverRun:
    """What ``silver`` did: paragraphs harvested, those labelled, per-leaf counts, failures."""

    harvested: int
    labelled: int
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # "file name: problem" per unreadable filing

    @property
    def coverage(self) -> float:
        """Share of harvested paragraphs that got at least one leaf."""
        return self.labelled / self.harvested if self.harvested else 0.0


def silver(data_dir: Path, corpus_root: Path, out: Path, report: Path | None) -> SilverRun:
    """Harvest the corpus, label every risk paragraph by the heading rules, write the labelled
    ones to ``out`` and, when ``report`` is given, coverage and quality against gold there."""
    from risklens.labels.harvest import harvest

    labeller = RuleLabeller()
    failures: list[str] = []
    records: list[Annotation] = []
    for item in harvest(corpus_root, on_error=lambda path, exc: failures.append(f"{path.name}: {exc}")):
        if item.section not in ("risk_factors", "annual_report_risks"):
            continue
        leaves = labeller.predict(item.heading)
        records.append(
            Annotation(
                id=f"silver-{item.doc_hash}-{item.start}",
                doc=item.doc, doc_hash=item.doc_hash, start=item.start, end=item.end,
                text_hash=item.text_hash, heading=item.heading, section=item.section,
                labels=tuple(leaves), split="train", kind="silver", annotator="rules.v1",
            )
        )
    labelled = [r for r in records if r.labels]
    write_annotations(out, labelled)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(silver_report_markdown(data_dir, corpus_root, records), encoding="utf-8")
    counts = Counter(label for r in labelled for label in r.labels)
    return SilverRun(harvested=len(records), labelled=len(labelled), counts=counts, failures=failures)


def silver_vs_gold(gold: list[Annotation]) -> dict[str, dict[str, float]]:
    """Precision/recall/F1 per label of the heading rules against gold labels."""
    labeller = RuleLabeller()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for record in gold:
        predicted = set(labeller.predict(record.heading))
        truth = set(record.labels)
        for label in predicted & truth:
            tp[label] += 1
        for label in predicted - truth:
            fp[label] += 1
        for label in truth - predicted:
            fn[label] += 1
    out: dict[str, dict[str, float]] = {}
    for label in [*LABELS, "micro"]:
        t, f_p, f_n = (sum(c.values()) for c in (tp, fp, fn)) if label == "micro" else (tp[label], fp[label], fn[label])
        p = t / (t + f_p) if t + f_p else 0.0
        r = t / (t + f_n) if t + f_n else 0.0
        out[label] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": t + f_n}
    return out


def silver_report_markdown(data_dir: Path, corpus_root: Path, records: list[Annotation]) -> str:
    gold = [r for r in _load(data_dir) if r.kind == "gold"]
    table = silver_vs_gold(gold)
    rows = [f"| {label} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | {int(v['support'])} |" for label, v in table.items()]
    covered = sum(1 for r in records if r.labels)
    return "\n".join([
        "# Silver labels: coverage and quality against gold",
        "",
        f"Harvested risk-factor paragraphs: {len(records)}; with ≥ 1 leaf from headings: {covered}.",
        f"Precision/recall of the heading rules on {len(gold)} gold paragraphs:",
        "",
        "| label | precision | recall | F1 | gold support |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ])


def agreement_report(data_dir: Path, second: Path | None = None, split: str | None = None) -> dict[str, Any]:
    """Agreement of the gold labels with an independent second annotation.

    ``second`` is a stand-off file of second labels (default ``agreement/second.jsonl``
    under ``data_dir``; a relative path is read from ``data_dir`` too); ``split`` keeps only
    gold records of that split, so the test split's label quality can be read on its own.
    """
    second_path = data_dir / (second or SECOND_ANNOTATOR_FILE)
    if not second_path.is_file():
        raise UserError(
            f"{second_path} not found: no double-annotated set to compare; "
            f"pass --second with a file under {data_dir / 'agreement'}."
        )
    gold = [r for r in _load(data_dir) if r.kind == "gold"]
    primary = {r.id: r.labels for r in gold if split is None or r.split == split}
    try:
        records = read_annotations(second_path)
    except AnnotationError as exc:
        raise UserError(str(exc)) from None
    missing = sorted({r.id for r in records} - {r.id for r in gold})
    if missing:
        raise UserError(f"{second_path}: ids not in the gold set: {', '.join(missing[:5])}")
    second_labels = {r.id: r.labels for r in records if r.id in primary}
    if not second_labels:
        raise UserError(f"{second_path}: no record of split {split!r} to compare; pick another --split.")
    report = agreement(primary, second_labels).to_json()
    report["second"] = str(second_path)
    report["split"] = split or "all"
    return report


def export_label_studio(data_dir: Path, corpus_root: Path, out: Path, split: str | None, kind: str) -> int:
    """Write the ``kind`` records (of ``split``, or all) as Label Studio tasks; returns how many."""
    records = [r for r in _load(data_dir) if r.kind == kind and (split is None or r.split == split)]
    try:
        resolved = resolve_all(records, corpus_root)
    except AnnotationError as exc:
        raise UserError(str(exc)) from None
    tasks = [Task(text=item.text, heading=item.annotation.heading, ref=_ref(item.annotation), predicted=item.annotation.labels) for item in resolved]
    return export_tasks(tasks, out)


def _ref(record: Annotation) -> dict[str, Any]:
    ref = {k: v for k, v in record.to_json().items() if k not in ("labels", "annotator", "kind", "text")}
    return ref


def import_label_studio(path: Path, corpus_root: Path, out: Path, split: str) -> int:
    """Completed Label Studio tasks → gold stand-off records (synthetic when no reference).

    Returns the number of records written to ``out``.
    """
    try:
        tasks = import_tasks(path)
    except (LabelStudioError, AnnotationError) as exc:
        raise UserError(str(exc)) from None
    records: list[Annotation] = []
    for task in tasks:
        ref = task.ref
        if ref.get("doc") and ref.get("text_hash"):
            if text_hash(task.text) != ref["text_hash"]:
                raise UserError(f"{path} task {task.task_id}: data.text was edited; its hash no longer matches ref.text_hash.")
            record = Annotation.from_json(
                {**ref, "labels": list(task.labels), "annotator": task.annotator, "kind": "gold",
                 "split": ref.get("split", split), "id": ref.get("id", f"ls-{ref['text_hash']}")},
                where=f"{path} task {task.task_id}",
            )
        else:
            record = Annotation(
                id=f"ls-{text_hash(task.text)}", doc="labelstudio", labels=task.labels, split="train" if split == "test" else split,
                kind="synthetic", annotator=task.annotator, heading=task.heading, text=task.text,
            )
        records.append(record)
    return write_annotations(out, records)
