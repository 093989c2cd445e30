"""The corpus database: open it, write one scored filing atomically, record what failed.

Each filing is written in **one transaction** (its row, its paragraphs, its risks, and
the removal of an earlier failure of its path), so a build killed at any moment — even by
SIGKILL — leaves either the whole filing or nothing of it: DuckDB's write-ahead log drops
an uncommitted transaction when the file is next opened. A re-run then finds the filing
missing and scores it.

The store is opened read-write by one process (the build) or read-only by any number
(queries); DuckDB locks the file accordingly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from risklens.corpus.metadata import FilingMetadata
from risklens.corpus.schema import DDL, PROB_COLUMNS, SCHEMA_INFO, SCHEMA_VERSION, SNIPPET_CHARS
from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION
from risklens.scoring.profile import PROFILE_VERSION, RiskScore
from risklens.scoring.score import ScoredFiling

DEFAULT_DB = Path("risklens.duckdb")


class StoreError(RuntimeError):
    """The database cannot be opened or does not hold a RiskLens corpus of this version."""


@dataclass(frozen=True)
class FilingRecord:
    """What the store keeps about a filing besides its paragraphs and risks."""

    id: str
    """Content hash of the file's bytes (``filings.Document.doc_id``)."""
    path: str
    name: str
    reader: str
    pages: int | None
    """None where the format has no pages (Word)."""
    recovered: bool
    meta: FilingMetadata = field(default_factory=FilingMetadata)
    """What the text says: kind, company, stock code, year, report date, industry."""


@dataclass(frozen=True)
class ModelStamp:
    """Which model scored a filing; a filing is re-scored when this changes (``--rescore``)."""

    name: str
    version: str


@dataclass(frozen=True)
class StoredFiling:
    """Enough of a stored filing to decide whether to skip it."""

    id: str
    path: str
    model: ModelStamp


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class CorpusStore:
    """A DuckDB corpus database; use ``open_store`` to get one."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.connection = connection
        self.path = path
        self.read_only = read_only

    # ------------------------------------------------------------------ life cycle
    def close(self) -> None:
        """Close the connection (a checkpoint folds the write-ahead log into the file)."""
        self.connection.close()

    def __enter__(self) -> CorpusStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN … COMMIT, or ROLLBACK when the block raises."""
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # ------------------------------------------------------------------ reading
    def stored(self, filing_id: str) -> StoredFiling | None:
        """The stored filing with content hash ``filing_id``, or None."""
        row = self.connection.execute(
            "SELECT id, path, model_name, model_version FROM filings WHERE id = ?", [filing_id]
        ).fetchone()
        if row is None:
            return None
        return StoredFiling(id=row[0], path=row[1], model=ModelStamp(row[2], row[3]))

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in {"filings", "paragraphs", "risks", "failures", "duplicates"}:
            raise ValueError(f"unknown table {table!r}")
        row = self.connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ writing
    def write_filing(self, record: FilingRecord, scored: ScoredFiling, model: ModelStamp) -> None:
        """Replace everything stored for ``record.id`` by this scoring, in one transaction."""
        paragraphs = paragraph_table(record.id, scored, none_pages=record.pages is None)
        risks = risk_table(record.id, [*scored.profile.leaves, *scored.profile.groups], none_pages=record.pages is None)
        with self.transaction() as con:
            for table in ("paragraphs", "risks"):
                con.execute(f"DELETE FROM {table} WHERE filing_id = ?", [record.id])
            con.execute("DELETE FROM filings WHERE id = ?", [record.id])
            con.execute(
                "INSERT INTO filings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    record.id, record.path, record.name, record.meta.kind, record.meta.company,
                    record.meta.stock_code, record.meta.year, record.meta.report_date, record.meta.industry,
                    record.reader, record.pages, record.recovered, len(scored.paragraphs),
                    model.name, model.version, TAXONOMY_VERSION, PROFILE_VERSION, _now(),
                ],
            )
            con.register("_new_paragraphs", paragraphs)
            con.execute("INSERT INTO paragraphs SELECT * FROM _new_paragraphs")
            con.unregister("_new_paragraphs")
            con.register("_new_risks", risks)
            con.execute("INSERT INTO risks SELECT * FROM _new_risks")
            con.unregister("_new_risks")
            con.execute("DELETE FROM failures WHERE path = ?", [record.path])
            con.execute("DELETE FROM duplicates WHERE path = ?", [record.path])

    def record_failure(self, path: str, stage: str, code: str, error: str, content_hash: str | None = None) -> None:
        """Remember why ``path`` could not be scored (replacing an earlier failure of it)."""
        with self.transaction() as con:
            con.execute("DELETE FROM failures WHERE path = ?", [path])
            con.execute("DELETE FROM duplicates WHERE path = ?", [path])
            con.execute(
                "INSERT INTO failures VALUES (?, ?, ?, ?, ?, ?)",
                [path, content_hash, stage, code, error, _now()],
            )

    def record_duplicate(self, path: str, filing_id: str) -> None:
        """Remember that ``path`` holds the same bytes as stored filing ``filing_id``."""
        with self.transaction() as con:
            con.execute("DELETE FROM duplicates WHERE path = ?", [path])
            con.execute("DELETE FROM failures WHERE path = ?", [path])
            con.execute("INSERT INTO duplicates VALUES (?, ?, ?)", [path, filing_id, _now()])


def paragraph_table(filing_id: str, scored: ScoredFiling, *, none_pages: bool = False) -> pa.Table:
    """The ``paragraphs`` rows of a scored filing, as an Arrow table in column order."""
    column = {label: j for j, label in enumerate(scored.labels)}
    probs = np.asarray(scored.probs, dtype=np.float32).reshape(len(scored.paragraphs), len(scored.labels))
    labels_of = {result.id: result.labels for result in scored.profile.paragraphs}
    items = scored.paragraphs
    data: dict[str, Any] = {
        "filing_id": pa.array([filing_id] * len(items), pa.string()),
        "paragraph_id": pa.array([str(p.id) for p in items], pa.string()),
        "seq": pa.array(list(range(len(items))), pa.int32()),
        "section": pa.array([p.section for p in items], pa.string()),
        "heading": pa.array([p.heading for p in items], pa.string()),
        "page": pa.array([None if none_pages else p.page for p in items], pa.int32()),
        "start_offset": pa.array([int(p.start) for p in items], pa.int32()),
        "end_offset": pa.array([int(p.end) for p in items], pa.int32()),
        "text": pa.array([p.text for p in items], pa.string()),
        "labels": pa.array([labels_of.get(str(p.id), []) for p in items], pa.list_(pa.string())),
    }
    for leaf, name in zip(LABELS, PROB_COLUMNS, strict=True):
        data[name] = pa.array(probs[:, column[leaf]], pa.float32())
    return pa.table(data)


def risk_table(filing_id: str, items: list[RiskScore], *, none_pages: bool = False) -> pa.Table:
    """The ``risks`` rows of a profile's leaves and groups, as an Arrow table."""
    top = [r.evidence[0] if r.evidence else None for r in items]
    return pa.table({
        "filing_id": pa.array([filing_id] * len(items), pa.string()),
        "kind": pa.array([r.kind for r in items], pa.string()),
        "risk": pa.array([r.id for r in items], pa.string()),
        "rank": pa.array([r.rank for r in items], pa.int32()),
        "score": pa.array([r.score for r in items], pa.float32()),
        "disclosure": pa.array([r.disclosure for r in items], pa.float32()),
        "highlight": pa.array([r.highlight for r in items], pa.float32()),
        "rank_factor": pa.array([r.rank_factor for r in items], pa.float32()),
        "prominence": pa.array([r.prominence for r in items], pa.float32()),
        "disclosed": pa.array([r.disclosed for r in items], pa.bool_()),
        "paragraphs": pa.array([r.paragraphs for r in items], pa.int32()),
        "first_position": pa.array([r.first_position for r in items], pa.int32()),
        "evidence_ids": pa.array([[e.paragraph_id for e in r.evidence] for r in items], pa.list_(pa.string())),
        "evidence_probs": pa.array([[e.probability for e in r.evidence] for r in items], pa.list_(pa.float32())),
        "evidence_heading": pa.array([e.heading if e else None for e in top], pa.string()),
        "evidence_page": pa.array([None if e is None or none_pages else e.page for e in top], pa.int32()),
        "evidence_snippet": pa.array([e.text[:SNIPPET_CHARS] if e else None for e in top], pa.string()),
    })


DUCKDB_MEMORY = "512MB"
"""DuckDB's memory limit per connection (it spills to disk beyond it)."""


def open_store(path: Path | str = DEFAULT_DB, *, read_only: bool = False) -> CorpusStore:
    """Open (read-write: create) the corpus database at ``path``.

    Read-only needs an existing database. Raises ``StoreError`` naming the file when it
    cannot be opened or holds another schema version.
    """
    path = Path(path)
    if read_only and not path.is_file():
        raise StoreError(f"{path}: no corpus database there; build one with `risklens corpus build PATH… --db {path}`.")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # DuckDB's buffer pool may grow to 80% of the machine's memory by default; a build
        # beside the encoder must stay within its own budget (peak RSS <= 2.5 GB in all).
        con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": DUCKDB_MEMORY})
    except duckdb.Error as exc:
        raise StoreError(f"{path}: cannot open the corpus database ({str(exc).splitlines()[0]}); "
                         "is another `risklens corpus build` writing to it?") from None
    try:
        _check_or_create_schema(con, path, read_only)
    except BaseException:
        con.close()
        raise
    return CorpusStore(con, path, read_only)


def _check_or_create_schema(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "schema_info" in tables:
        info = dict(con.execute("SELECT key, value FROM schema_info").fetchall())
        found = info.get("schema_version")
        if found != str(SCHEMA_VERSION) or info.get("taxonomy_version") != TAXONOMY_VERSION:
            raise StoreError(
                f"{path}: corpus schema {found} / {info.get('taxonomy_version')}, expected "
                f"{SCHEMA_VERSION} / {TAXONOMY_VERSION}; build a new database with this version of RiskLens."
            )
        return
    if tables:
        raise StoreError(f"{path}: a DuckDB database, but not a RiskLens corpus (tables {sorted(tables)[:5]}); choose another --db.")
    if read_only:
        raise StoreError(f"{path}: an empty database, not a RiskLens corpus; build one with `risklens corpus build`.")
    con.execute("BEGIN TRANSACTION")
    for statement in DDL:
        con.execute(statement)
    con.executemany("INSERT INTO schema_info VALUES (?, ?)", list(SCHEMA_INFO.items()))
    con.execute("COMMIT")
