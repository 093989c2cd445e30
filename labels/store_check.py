"""Check a label store: is it sound, what does it hold, and is anything doubled or unknown?

``check_store`` opens the SQLite file read-only (a check never migrates or writes, so it is
safe beside a running server) and reports:

- **integrity**: SQLite's ``PRAGMA integrity_check``, ``PRAGMA foreign_key_check``, the
  schema version (``PRAGMA user_version``) and its tables, and that every batch holds the
  number of annotations it recorded;
- **counts**: paragraphs, annotations, batches, idempotency keys, annotations per origin and
  per annotator;
- **duplicates**: one annotator giving one paragraph the same labels more than once, and
  batches holding exactly the same annotations (a doubled import or a retried request);
- **unknown labels**: stored label ids that are not leaves of the taxonomy.

A finding that makes the store wrong is a ``problem``; an observation that is not wrong (an
older schema RiskLens upgrades on its next write, annotators correcting themselves) is a
``note``. ``risklens labels check`` prints the report and exits 1 when there is a problem.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from risklens.labels.migrations import LATEST_VERSION, schema_version
from risklens.labels.taxonomy import LABEL_INDEX, TAXONOMY_VERSION, suggest

SHOWN = 10
"""Findings of one kind listed one by one; the rest are summed up in one line."""

TABLES_OF_VERSION = {1: ("paragraphs", "batches", "annotations"), 2: ("idempotency_keys",)}
"""The tables each schema version adds (``labels.migrations``)."""


class StoreCheckError(RuntimeError):
    """The store cannot be checked at all (missing file); names the path and what to do."""


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it and a line for a person."""

    check: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message}


@dataclass
class StoreReport:
    """What ``check_store`` found; ``ok`` when there is no problem (notes are fine)."""

    path: Path
    schema_version: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, check: str, message: str) -> None:
        self.problems.append(Finding(check, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "store": str(self.path),
            "ok": self.ok,
            "schema_version": self.schema_version,
            "latest_schema_version": LATEST_VERSION,
            "counts": self.counts,
            "problems": [finding.to_json() for finding in self.problems],
            "notes": self.notes,
        }


def check_store(path: Path) -> StoreReport:
    """Check the label store at ``path`` (read-only); ``StoreCheckError`` when there is no file."""
    if not path.is_file():
        raise StoreCheckError(f"{path}: no label store here; pass --store or set $RISKLENS_STORE to an existing store.")
    report = StoreReport(path=path)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    steps: list[tuple[str, Callable[[sqlite3.Connection, StoreReport], bool | None]]] = [
        ("schema", _check_schema),
        ("integrity", _check_integrity),
        ("foreign_keys", _check_foreign_keys),
        ("batches", _check_batch_sizes),
        ("counts", _count),
        ("duplicates", _check_duplicates),
        ("identical_batches", _check_identical_batches),
        ("unknown_labels", _check_labels),
    ]
    try:
        for index, (check, step) in enumerate(steps):
            if not _guarded(report, check, partial(step, conn, report), [name for name, _ in steps[index + 1:]]):
                break
    finally:
        conn.close()
    return report


def _guarded(report: StoreReport, check: str, step: Callable[[], bool | None], left: list[str]) -> bool:
    """Run one check; False (stop) when it found the store unusable or could not read it."""
    try:
        return step() is not False
    except sqlite3.DatabaseError as exc:
        skipped = f"; not run: {', '.join(left)}" if left else ""
        report.problem(
            check,
            f"the store cannot be read ({exc}){skipped}. Restore it from a backup; the sqlite3 shell's "
            "`.recover` may save what is left.",
        )
        return False


# ------------------------------------------------------------------- integrity
def _check_schema(conn: sqlite3.Connection, report: StoreReport) -> bool:
    """Schema version and tables; False when the rest of the checks cannot run."""
    version = report.schema_version = schema_version(conn)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version > LATEST_VERSION:
        report.problem("schema", f"schema version {version} was written by a newer RiskLens (this one knows up to "
                       f"{LATEST_VERSION}); upgrade RiskLens to check it.")
        return False
    if version == 0:
        report.problem("schema", "schema version 0: not a RiskLens label store (or an empty file); point --store at a label store.")
        return False
    missing = [t for v in range(1, version + 1) for t in TABLES_OF_VERSION.get(v, ()) if t not in tables]
    if missing:
        report.problem("schema", f"schema version {version} but the table(s) {', '.join(missing)} are missing; "
                       "the file was edited by hand or is damaged.")
        return False
    if version < LATEST_VERSION:
        report.notes.append(f"schema version {version} of {LATEST_VERSION}: RiskLens upgrades it the next time it opens "
                            "the store to write")
    return True


def _check_integrity(conn: sqlite3.Connection, report: StoreReport) -> None:
    """SQLite's own check of pages and indexes (the first ``SHOWN`` errors, on one line)."""
    lines = [line for row in conn.execute(f"PRAGMA integrity_check({SHOWN})") for line in str(row[0]).splitlines()]
    if lines != ["ok"]:
        shown = "; ".join(line.strip() for line in lines if line.strip() and not line.startswith("***"))
        report.problem("integrity", f"SQLite integrity_check failed: {shown}; restore the store from a backup.")


def _check_foreign_keys(conn: sqlite3.Connection, report: StoreReport) -> None:
    rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    for table, rowid, parent, _ in rows[:SHOWN]:
        report.problem("foreign_keys", f"{table} row {rowid} points to a missing {parent} row")
    _more(report, "foreign_keys", len(rows), "rows point to missing rows")


def _check_batch_sizes(conn: sqlite3.Connection, report: StoreReport) -> None:
    rows = conn.execute(
        "SELECT b.id, b.size, COUNT(a.id) FROM batches b LEFT JOIN annotations a ON a.batch_id = b.id "
        "GROUP BY b.id HAVING COUNT(a.id) != b.size ORDER BY b.id"
    ).fetchall()
    for batch_id, size, found in rows[:SHOWN]:
        report.problem("batches", f"batch {batch_id} recorded {size} annotations but holds {found}")
    _more(report, "batches", len(rows), "batches do not hold what they recorded")


def _more(report: StoreReport, check: str, total: int, what: str) -> None:
    if total > SHOWN:
        report.problem(check, f"… {total - SHOWN} more ({total} in all {what})")


# ---------------------------------------------------------------------- counts
def _count(conn: sqlite3.Connection, report: StoreReport) -> None:
    def scalar(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    counts: dict[str, Any] = {
        "paragraphs": scalar("SELECT COUNT(*) FROM paragraphs"),
        "annotations": scalar("SELECT COUNT(*) FROM annotations"),
        "batches": scalar("SELECT COUNT(*) FROM batches"),
    }
    if (report.schema_version or 0) >= 2:
        counts["idempotency_keys"] = scalar("SELECT COUNT(*) FROM idempotency_keys")
    for column in ("origin", "annotator"):
        counts[f"by_{column}"] = dict(
            conn.execute(f"SELECT {column}, COUNT(*) FROM annotations GROUP BY {column} ORDER BY COUNT(*) DESC, {column}")
        )
    report.counts = counts


# ------------------------------------------------------------------ duplicates
def _check_duplicates(conn: sqlite3.Connection, report: StoreReport) -> None:
    """The same paragraph given the same labels twice by one annotator (a doubled write)."""
    rows = conn.execute(
        "SELECT a.paragraph_id, a.annotator, a.labels, GROUP_CONCAT(a.id), p.document, p.text_hash "
        "FROM annotations a JOIN paragraphs p ON p.id = a.paragraph_id "
        "GROUP BY a.paragraph_id, a.annotator, a.labels HAVING COUNT(*) > 1 ORDER BY MIN(a.id)"
    ).fetchall()
    for paragraph_id, annotator, labels, ids, document, digest in rows[:SHOWN]:
        where = f"{document}, " if document else ""
        report.problem(
            "duplicates",
            f"paragraph {paragraph_id} ({where}text_hash {digest}) labelled {labels} {len(ids.split(','))} times by "
            f"{annotator!r} (annotations {ids.replace(',', ', ')})",
        )
    _more(report, "duplicates", len(rows), "paragraphs labelled alike twice by one annotator")
    relabelled = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM annotations GROUP BY paragraph_id, annotator "
        "HAVING COUNT(DISTINCT labels) > 1)"
    ).fetchone()[0]
    if relabelled:
        report.notes.append(f"{relabelled} paragraphs were relabelled by the same annotator (the latest label wins)")


def _check_identical_batches(conn: sqlite3.Connection, report: StoreReport) -> None:
    """Batches holding exactly the same annotations (paragraph, annotator, labels)."""
    content: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for batch_id, paragraph_id, annotator, labels in conn.execute(
        "SELECT batch_id, paragraph_id, annotator, labels FROM annotations"
    ):
        content[batch_id].append((paragraph_id, annotator, labels))
    groups: dict[str, list[int]] = defaultdict(list)
    for batch_id, rows in sorted(content.items()):
        groups[hashlib.sha256(json.dumps(sorted(rows)).encode()).hexdigest()].append(batch_id)
    same = [batches for batches in groups.values() if len(batches) > 1]
    for batches in same[:SHOWN]:
        size = len(content[batches[0]])
        listed = ", ".join(str(b) for b in batches)
        report.problem("identical_batches", f"batches {listed} hold the same {size} annotations (a repeated import or request)")
    _more(report, "identical_batches", len(same), "groups of identical batches")


# -------------------------------------------------------------- unknown labels
def _check_labels(conn: sqlite3.Connection, report: StoreReport) -> None:
    unknown: dict[str, list[int]] = defaultdict(list)
    unreadable: list[int] = []
    for annotation_id, raw in conn.execute("SELECT id, labels FROM annotations ORDER BY id"):
        labels = _label_list(raw)
        if labels is None:
            unreadable.append(annotation_id)
            continue
        for label in labels:
            if label not in LABEL_INDEX:
                unknown[str(label)].append(annotation_id)
    for label, ids in sorted(unknown.items(), key=lambda item: (-len(item[1]), item[0])):
        hint = suggest(label)
        did_you_mean = f"; did you mean '{hint}'?" if hint else ""
        report.problem(
            "unknown_labels",
            f"unknown label {label!r} (not a leaf of {TAXONOMY_VERSION}) in {len(ids)} annotations "
            f"({_ids(ids)}){did_you_mean}",
        )
    if unreadable:
        report.problem("unknown_labels", f"{len(unreadable)} annotations whose labels are not a JSON list of ids ({_ids(unreadable)})")


def _label_list(raw: object) -> list[object] | None:
    try:
        labels = json.loads(str(raw))
    except json.JSONDecodeError:
        return None
    return labels if isinstance(labels, list) else None


def _ids(ids: Iterable[int]) -> str:
    listed = list(ids)
    head = ", ".join(str(i) for i in listed[:SHOWN])
    return "ids " + head + (f", … ({len(listed)} in all)" if len(listed) > SHOWN else "")
