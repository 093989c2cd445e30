"""The label store: every human label RiskLens receives, kept in one SQLite file.

Feedback from the CLI and the HTTP server, completed Label Studio tasks and bulk imports
all land here, and ``risklens retrain`` reads them back as training rows. The store is
built so that no label is ever lost:

- WAL mode, ``synchronous=FULL`` and one ``BEGIN IMMEDIATE`` transaction per write, so a
  killed process leaves every committed write whole and nothing of the interrupted one;
- a busy timeout plus retries, so several processes (the server, a CLI import) can write
  at the same time;
- annotations are append-only: a new label for a known paragraph is a new row and the
  latest one wins when training rows are built (``latest()``);
- every write belongs to a ``batches`` row that records how many annotations it wrote, so
  ``integrity_check()`` can prove that each batch is all there;
- the schema is versioned (``PRAGMA user_version``) and upgraded by ``labels.migrations``.

Paragraphs are either user-submitted text, stored exactly as given, or corpus-backed
stand-off references (doc, doc_hash, start, end, text_hash — see ``labels.annotations``),
which keep no copy of the third-party text. Items use the TAXONOMY.md JSON format::

    {"text": "…", "labels": ["receivables_credit"], "heading": "…", "id": "…", "source": "…"}

plus, for corpus-backed paragraphs, ``"ref": {"doc", "doc_hash", "start", "end",
"text_hash", "section"}`` (``text`` may then be omitted; when present it must match
``text_hash``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from risklens.labels.annotations import text_hash
from risklens.labels.home import home_is_configured, risklens_home
from risklens.labels.migrations import MIGRATIONS, SchemaError, apply_migrations, schema_version
from risklens.labels.taxonomy import TAXONOMY_VERSION, validate_labels

ORIGINS = ("gold", "feedback", "import")
"""Where an annotation came from: curated gold, user feedback, or a bulk/Label Studio import."""

STORE_ENV = "RISKLENS_STORE"
STORE_FILE = "labels.sqlite"
T = TypeVar("T")


def legacy_store_path() -> Path:
    """Where stores lived before ``$RISKLENS_HOME``: ``~/.risklens/labels.sqlite``."""
    return Path.home() / ".risklens" / STORE_FILE


def default_store_path() -> Path:
    """The label store to use when none is given, first match wins.

    ``$RISKLENS_STORE``; ``$RISKLENS_HOME/labels.sqlite`` when ``$RISKLENS_HOME`` is set;
    the old ``~/.risklens/labels.sqlite`` when it exists, so an existing user's labels are
    never left behind; else ``labels.sqlite`` in the per-user data directory
    (``labels.home.risklens_home``), beside the model registry.
    """
    configured = os.environ.get(STORE_ENV)
    if configured:
        return Path(configured).expanduser()
    if not home_is_configured() and legacy_store_path().exists():
        return legacy_store_path()
    return risklens_home() / STORE_FILE


class StoreError(RuntimeError):
    """The store file cannot be opened or written (names the file and what to do)."""


class FeedbackError(ValueError):
    """A submitted item that is not a valid labelled paragraph (names the item)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# ----------------------------------------------------------------------------- items
@dataclass(frozen=True)
class FeedbackItem:
    """One validated labelled paragraph, ready to be written.

    Exactly one of ``text`` (user-submitted) and ``doc_hash``/``start``/``end``
    (stand-off) identifies the paragraph.
    """

    labels: tuple[str, ...]
    text_hash: str
    text: str | None = None
    heading: str = ""
    document: str = ""
    source: str = ""
    section: str = ""
    doc_hash: str | None = None
    start: int | None = None
    end: int | None = None
    item_id: str | None = None
    annotator: str | None = None  # per-item annotator (imports only)

    @property
    def is_stand_off(self) -> bool:
        return self.text is None

    @property
    def key(self) -> str:
        """The paragraph identity used to de-duplicate paragraphs in the store."""
        if self.text is None:
            return f"ref:{self.document}|{self.doc_hash}|{self.start}|{self.end}|{self.text_hash}"
        digest = hashlib.sha256(f"{self.heading}\x1f{self.text}".encode()).hexdigest()
        return f"text:{digest}"


def _opt_str(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FeedbackError(f"{where}: '{key}' must be a string, got {type(value).__name__}.")
    return value


def parse_item(item: Mapping[str, Any], *, where: str = "item") -> FeedbackItem:
    """Validate one TAXONOMY.md-format item; ``FeedbackError`` names ``where`` on any problem."""
    if not isinstance(item, Mapping):
        raise FeedbackError(f"{where}: expected a JSON object with 'text' and 'labels', got {type(item).__name__}.")
    item_id = item.get("id")
    if item_id is not None:
        item_id = str(item_id)
        where = f"{where} (id {item_id!r})"
    if "labels" not in item:
        raise FeedbackError(f"{where}: missing 'labels' (a list of leaf ids, [] when no risk is discussed).")
    raw_labels = item["labels"]
    if not isinstance(raw_labels, list | tuple):
        raise FeedbackError(f"{where}: 'labels' must be a list of leaf ids, got {type(raw_labels).__name__}.")
    try:
        labels = tuple(validate_labels(raw_labels, where=where))
    except ValueError as exc:
        raise FeedbackError(str(exc)) from None
    text = item.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise FeedbackError(f"{where}: 'text' must be a non-empty string.")
    heading = _opt_str(item, "heading", where)
    source = _opt_str(item, "source", where)
    annotator = _opt_str(item, "annotator", where) or None
    ref = item.get("ref")
    if ref:
        return _stand_off_item(ref, text, labels, heading, source, item_id, annotator, where)
    if text is None:
        raise FeedbackError(f"{where}: missing 'text' (the paragraph to label).")
    return FeedbackItem(
        labels=labels,
        text_hash=text_hash(text),
        text=text,
        heading=heading,
        document=_opt_str(item, "doc", where),
        source=source,
        item_id=item_id,
        annotator=annotator,
    )


def _stand_off_item(
    ref: object,
    text: str | None,
    labels: tuple[str, ...],
    heading: str,
    source: str,
    item_id: str | None,
    annotator: str | None,
    where: str,
) -> FeedbackItem:
    if not isinstance(ref, Mapping):
        raise FeedbackError(f"{where}: 'ref' must be an object with doc, doc_hash, start, end, text_hash.")
    missing = [key for key in ("doc", "doc_hash", "start", "end", "text_hash") if ref.get(key) in (None, "")]
    if missing:
        raise FeedbackError(f"{where}: 'ref' lacks {', '.join(missing)}.")
    start, end = ref["start"], ref["end"]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
        raise FeedbackError(f"{where}: ref start/end must be integers with 0 <= start < end; got {start!r}, {end!r}.")
    expected = str(ref["text_hash"])
    if text is not None and text_hash(text) != expected:
        raise FeedbackError(
            f"{where}: 'text' does not match ref.text_hash {expected} (got {text_hash(text)}); "
            "the task text was edited or belongs to another paragraph."
        )
    return FeedbackItem(
        labels=labels,
        text_hash=expected,
        text=None,  # corpus text is third-party: keep the reference, not a copy
        heading=heading or str(ref.get("heading") or ""),
        document=str(ref["doc"]),
        source=source,
        section=str(ref.get("section") or ""),
        doc_hash=str(ref["doc_hash"]),
        start=start,
        end=end,
        item_id=item_id,
        annotator=annotator,
    )


# ------------------------------------------------------------------------ read side
@dataclass(frozen=True)
class StoredAnnotation:
    """An annotation joined with its paragraph, as read back from the store."""

    id: int
    paragraph_id: int
    batch_id: int
    labels: tuple[str, ...]
    annotator: str
    origin: str
    created: str
    taxonomy_version: str
    item_id: str | None
    text: str | None
    text_hash: str
    heading: str
    document: str
    source: str
    section: str
    doc_hash: str | None
    start: int | None
    end: int | None

    @property
    def is_stand_off(self) -> bool:
        return self.text is None

    def ref(self) -> dict[str, Any] | None:
        """The stand-off reference of a corpus-backed paragraph (None for inline text)."""
        if self.text is not None:
            return None
        return {
            "doc": self.document,
            "doc_hash": self.doc_hash,
            "start": self.start,
            "end": self.end,
            "text_hash": self.text_hash,
            "section": self.section,
        }

    def to_json(self) -> dict[str, Any]:
        """An item ``parse_item`` reads back (export → import round-trips)."""
        out: dict[str, Any] = {"id": self.item_id or f"store-{self.id}"}
        if self.text is not None:
            out["text"] = self.text
            if self.document:
                out["doc"] = self.document
        else:
            out["ref"] = self.ref()
        out.update(
            heading=self.heading,
            labels=list(self.labels),
            source=self.source,
            annotator=self.annotator,
            origin=self.origin,
            created=self.created,
            taxonomy_version=self.taxonomy_version,
        )
        return out


_SELECT = """
    SELECT a.id, a.paragraph_id, a.batch_id, a.labels, a.annotator, a.origin, a.created,
           a.taxonomy_version, a.item_id, p.text, p.text_hash, p.heading, p.document,
           p.source, p.section, p.doc_hash, p.start, p."end"
    FROM annotations a JOIN paragraphs p ON p.id = a.paragraph_id
"""


def _row_to_annotation(row: Sequence[Any]) -> StoredAnnotation:
    return StoredAnnotation(
        id=row[0],
        paragraph_id=row[1],
        batch_id=row[2],
        labels=tuple(json.loads(row[3])),
        annotator=row[4],
        origin=row[5],
        created=row[6],
        taxonomy_version=row[7],
        item_id=row[8],
        text=row[9],
        text_hash=row[10],
        heading=row[11],
        document=row[12],
        source=row[13],
        section=row[14],
        doc_hash=row[15],
        start=row[16],
        end=row[17],
    )


@dataclass(frozen=True)
class BatchResult:
    """One committed write: its batch id and how many annotations it holds."""

    batch_id: int
    size: int


@dataclass(frozen=True)
class ImportReport:
    """What ``import_records`` committed, and how many known items it skipped (``skip_known``)."""

    batches: int
    annotations: int
    skipped: int = 0


@dataclass(frozen=True)
class FeedbackReceipt:
    """The answer to one feedback submission.

    ``replayed`` is True when the submission's idempotency key had already stored this
    request: nothing new was written and ``stored``/``batch_id`` are the first answer's.
    """

    stored: int
    batch_id: int | None
    replayed: bool = False


class IdempotencyKeyReused(ValueError):
    """An idempotency key sent again with a different request (names the key and its batch)."""


MAX_IDEMPOTENCY_KEY = 255
"""Longest idempotency key accepted (characters)."""


# ----------------------------------------------------------------------------- store
class LabelStore:
    """An SQLite label store (WAL, versioned schema, one transaction per write).

    Safe to share between threads of one process (a lock serialises use of the
    connection) and to open from several processes at once (busy timeout + retries).
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float = 30.0,
        retries: int = 5,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.retries = retries
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(self.path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the label store ({exc}); pass --store or set ${STORE_ENV}.") from None
        try:
            self._retry(self._setup)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(
                f"{self.path}: not a RiskLens label store ({exc}); point --store or ${STORE_ENV} "
                "at a label store or a new file."
            ) from None
        except SchemaError:
            self._conn.close()
            raise

    def _setup(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: SQLite refused WAL mode (got {mode!r}); put the store on a local disk.")
        conn.execute("PRAGMA synchronous = FULL")  # a committed label survives a power cut
        conn.execute("PRAGMA foreign_keys = ON")
        apply_migrations(conn, MIGRATIONS, where=str(self.path))

    # ----------------------------------------------------------- life cycle
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return schema_version(self._conn)

    # ------------------------------------------------------- transactions
    def _retry(self, action: Callable[[], T]) -> T:
        """Run ``action``, retrying with back-off while another process holds the lock."""
        for attempt in range(self.retries + 1):
            try:
                with self._lock:
                    return action()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if attempt == self.retries:
                    raise StoreError(
                        f"{self.path}: the store stayed locked by another writer through "
                        f"{self.retries + 1} waits of {self.busy_timeout:g} s; try again later."
                    ) from exc
                time.sleep(min(2.0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")

    def _transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` inside one ``BEGIN IMMEDIATE`` … ``COMMIT`` (with retries)."""

        def attempt() -> T:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt)

    def _write_batch(
        self,
        items: Sequence[FeedbackItem],
        *,
        annotator: str,
        origin: str,
        source: str,
        skip_known: bool = False,
    ) -> BatchResult | None:
        """Write ``items`` as one batch (None when ``skip_known`` left nothing to write)."""
        created = _now()

        def body(conn: sqlite3.Connection) -> BatchResult | None:
            todo = _unknown_items(conn, items, annotator) if skip_known else items
            if not todo:
                return None
            return _insert_batch(conn, todo, annotator=annotator, origin=origin, source=source, created=created)

        return self._transaction(body)

    # ------------------------------------------------------------- writes
    def add_feedback(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        annotator: str,
        origin: str = "feedback",
    ) -> int:
        """Validate and store labelled paragraphs in one transaction; return how many.

        Every item is checked before anything is written, so a bad item (unknown label,
        missing text, …) raises ``FeedbackError`` naming it and nothing is stored.
        ``annotator`` is recorded for every item (per-item "annotator" keys are ignored:
        the caller, e.g. the server, knows who is submitting).
        """
        return self.submit_feedback(items, annotator=annotator, origin=origin).stored

    def submit_feedback(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        annotator: str,
        origin: str = "feedback",
        idempotency_key: str | None = None,
    ) -> FeedbackReceipt:
        """``add_feedback`` that can be retried safely: store ``items`` at most once per key.

        With ``idempotency_key`` the key is written in the same transaction as the batch it
        created, with a fingerprint of the validated request. A later call with the same key
        and the same request writes nothing and returns the first receipt (``replayed``);
        with a different request it raises ``IdempotencyKeyReused``. The check runs under
        the store's write lock, so it holds across restarts and for several processes
        sharing the file: of two concurrent calls with one key, exactly one writes.
        """
        _check_origin(origin)
        _check_annotator(annotator)
        parsed = [
            _without_annotator(parse_item(item, where=f"item {index + 1}")) for index, item in enumerate(items)
        ]
        if idempotency_key is None:
            result = self._write_batch(parsed, annotator=annotator, origin=origin, source="feedback") if parsed else None
            return FeedbackReceipt(stored=result.size, batch_id=result.batch_id) if result else FeedbackReceipt(0, None)
        _check_idempotency_key(idempotency_key)
        fingerprint = _fingerprint(parsed, annotator=annotator, origin=origin)
        created = _now()

        def body(conn: sqlite3.Connection) -> FeedbackReceipt:
            first = conn.execute(
                "SELECT fingerprint, batch_id, stored, created FROM idempotency_keys WHERE key = ?", (idempotency_key,)
            ).fetchone()
            if first is not None:
                return _replay(idempotency_key, fingerprint, first)
            result = (
                _insert_batch(conn, parsed, annotator=annotator, origin=origin, source="feedback", created=created)
                if parsed
                else None
            )
            receipt = FeedbackReceipt(stored=result.size, batch_id=result.batch_id) if result else FeedbackReceipt(0, None)
            conn.execute(
                "INSERT INTO idempotency_keys (key, fingerprint, batch_id, stored, created) VALUES (?, ?, ?, ?, ?)",
                (idempotency_key, fingerprint, receipt.batch_id, receipt.stored, created),
            )
            return receipt

        return self._transaction(body)

    def import_records(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        annotator: str,
        origin: str = "import",
        batch_size: int = 500,
        source: str = "",
        on_batch: Callable[[BatchResult], None] | None = None,
        skip_known: bool = False,
    ) -> ImportReport:
        """Import many items, committing one transaction per ``batch_size`` items.

        A crash loses at most the batch in flight; every committed batch is whole. A bad
        item raises ``FeedbackError`` naming its position (``record N``) before its batch is
        written; the batches before it stay committed. Items may carry their own
        "annotator" (Label Studio imports do); ``annotator`` is the default.

        With ``skip_known``, an item is skipped (and counted in ``skipped``) when its
        annotator's latest label of the same paragraph is the same label set: importing
        one export twice stores nothing the second time, while a changed label is stored
        (and, being the latest, wins). The check runs inside each batch's transaction, so
        two imports of one export running at once do not double it either.
        """
        _check_origin(origin)
        _check_annotator(annotator)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        batches = total = skipped = 0
        pending: list[FeedbackItem] = []

        def flush() -> None:
            nonlocal batches, total, skipped
            result = self._write_batch(pending, annotator=annotator, origin=origin, source=source, skip_known=skip_known)
            written = result.size if result else 0
            skipped += len(pending) - written
            pending.clear()
            if result is None:
                return
            batches += 1
            total += written
            if on_batch is not None:
                on_batch(result)

        for index, record in enumerate(records):
            pending.append(parse_item(record, where=f"record {index + 1}"))
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
        return ImportReport(batches=batches, annotations=total, skipped=skipped)

    # -------------------------------------------------------------- reads
    def annotations(self, *, origin: str | None = None) -> Iterator[StoredAnnotation]:
        """Every annotation, oldest first (optionally of one origin)."""
        query = _SELECT + (" WHERE a.origin = ?" if origin else "") + " ORDER BY a.id"
        with self._lock:
            rows = self._conn.execute(query, (origin,) if origin else ()).fetchall()
        for row in rows:
            yield _row_to_annotation(row)

    def latest(self) -> list[StoredAnnotation]:
        """One annotation per paragraph: the most recent one (what training uses)."""
        query = (
            _SELECT
            + " WHERE a.id IN (SELECT MAX(id) FROM annotations GROUP BY paragraph_id) ORDER BY a.id"
        )
        with self._lock:
            rows = self._conn.execute(query).fetchall()
        return [_row_to_annotation(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Paragraphs, annotations, batches, and annotations per origin."""
        with self._lock:
            conn = self._conn
            out = {
                "paragraphs": conn.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0],
                "annotations": conn.execute("SELECT COUNT(*) FROM annotations").fetchone()[0],
                "batches": conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0],
            }
            for origin, count in conn.execute("SELECT origin, COUNT(*) FROM annotations GROUP BY origin"):
                out[f"origin:{origin}"] = count
        return out

    def labelled_keys(self) -> tuple[set[str], set[tuple[str, int, int]]]:
        """Text hashes and (doc, start, end) spans of every paragraph in the store.

        The active-learning queue uses them to skip paragraphs that already have a label.
        """
        with self._lock:
            rows = self._conn.execute('SELECT text_hash, document, start, "end" FROM paragraphs').fetchall()
        hashes = {row[0] for row in rows}
        spans = {(row[1], row[2], row[3]) for row in rows if row[2] is not None}
        return hashes, spans

    def export_jsonl(self, path: Path, *, latest_only: bool = False) -> int:
        """Write annotations as JSONL items (``parse_item`` format); return the count."""
        records = self.latest() if latest_only else list(self.annotations())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        tmp.replace(path)
        return len(records)

    # ------------------------------------------------------------ checking
    def integrity_check(self) -> list[str]:
        """Problems found (empty when the store is sound).

        Runs SQLite's ``PRAGMA integrity_check`` and ``foreign_key_check``, checks that every
        batch holds exactly the annotations it recorded, and that every stored label is a
        leaf of the taxonomy.
        """
        problems: list[str] = []
        with self._lock:
            conn = self._conn
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.extend(f"integrity_check: {line}" for line in result)
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"foreign key: {table} row {rowid} points to a missing {parent} row")
            for batch_id, size, found in conn.execute(
                "SELECT b.id, b.size, COUNT(a.id) FROM batches b LEFT JOIN annotations a "
                "ON a.batch_id = b.id GROUP BY b.id HAVING COUNT(a.id) != b.size"
            ):
                problems.append(f"batch {batch_id}: recorded {size} annotations, holds {found}")
            label_sets = [row[0] for row in conn.execute("SELECT DISTINCT labels FROM annotations")]
        for raw in label_sets:
            try:
                validate_labels(json.loads(raw), where="stored labels")
            except (ValueError, TypeError) as exc:
                problems.append(str(exc))
        return problems


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _check_origin(origin: str) -> None:
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}; got {origin!r}.")


def _check_annotator(annotator: str) -> None:
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError("annotator must be a non-empty name (who gave these labels).")


def _without_annotator(item: FeedbackItem) -> FeedbackItem:
    return item if item.annotator is None else replace(item, annotator=None)


def _insert_batch(
    conn: sqlite3.Connection,
    items: Sequence[FeedbackItem],
    *,
    annotator: str,
    origin: str,
    source: str,
    created: str,
) -> BatchResult:
    """Insert a ``batches`` row, the paragraphs not yet known and one annotation per item
    (inside the caller's transaction)."""
    cursor = conn.execute(
        "INSERT INTO batches (origin, annotator, source, size, created) VALUES (?, ?, ?, ?, ?)",
        (origin, annotator, source, len(items), created),
    )
    batch_id = int(cursor.lastrowid or 0)
    for item in items:
        conn.execute(
            'INSERT OR IGNORE INTO paragraphs (key, text, text_hash, heading, document, doc_hash, '
            'start, "end", section, source, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (
                item.key, item.text, item.text_hash, item.heading, item.document, item.doc_hash,
                item.start, item.end, item.section, item.source, created,
            ),
        )
        paragraph_id = conn.execute("SELECT id FROM paragraphs WHERE key = ?", (item.key,)).fetchone()[0]
        conn.execute(
            "INSERT INTO annotations (paragraph_id, batch_id, labels, annotator, origin, item_id, "
            "taxonomy_version, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                paragraph_id, batch_id, json.dumps(list(item.labels)), item.annotator or annotator,
                origin, item.item_id, TAXONOMY_VERSION, created,
            ),
        )
    return BatchResult(batch_id=batch_id, size=len(items))


def _unknown_items(conn: sqlite3.Connection, items: Sequence[FeedbackItem], annotator: str) -> list[FeedbackItem]:
    """The items that change what their annotator last said about their paragraph.

    Repeats inside ``items`` count too: the second of two identical items is dropped.
    """
    said: dict[tuple[str, str], tuple[str, ...] | None] = {}
    out: list[FeedbackItem] = []
    for item in items:
        who = item.annotator or annotator
        slot = (item.key, who)
        if slot not in said:
            row = conn.execute(
                "SELECT a.labels FROM annotations a JOIN paragraphs p ON p.id = a.paragraph_id "
                "WHERE p.key = ? AND a.annotator = ? ORDER BY a.id DESC LIMIT 1",
                slot,
            ).fetchone()
            said[slot] = tuple(json.loads(row[0])) if row else None
        if said[slot] == item.labels:
            continue
        said[slot] = item.labels
        out.append(item)
    return out


def _check_idempotency_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError(
            f"idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY} characters, not blank; got {str(key)[:40]!r} "
            f"({len(str(key))} characters). Send a fresh random id (a UUID) per new request."
        )


def _fingerprint(items: Sequence[FeedbackItem], *, annotator: str, origin: str) -> str:
    """A hash of the validated request, so a retry is recognised whatever its JSON key order."""
    request = {"annotator": annotator, "origin": origin, "items": [asdict(item) for item in items]}
    return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _replay(key: str, fingerprint: str, first: Sequence[Any]) -> FeedbackReceipt:
    """The first receipt of ``key``, or ``IdempotencyKeyReused`` when the request differs."""
    first_fingerprint, batch_id, stored, created = first
    if first_fingerprint != fingerprint:
        where = f"batch {batch_id}" if batch_id is not None else "no batch"
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key[:80]!r} was first used on {created} for a different request "
            f"(it stored {stored} paragraphs, {where}); send a new key for a new request."
        )
    return FeedbackReceipt(stored=int(stored), batch_id=batch_id, replayed=True)
