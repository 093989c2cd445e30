"""Schema migrations of the label store (``labels.store``), tracked in ``PRAGMA user_version``.

Each migration is a SQL script that takes the database from ``version - 1`` to
``version``. ``apply_migrations`` runs every pending one inside a single ``BEGIN
IMMEDIATE`` transaction together with the ``user_version`` bump, so an interrupted upgrade
leaves the old schema intact. Migrations are append-only: once released, a script is never
edited; a change to the schema is a new entry at the end of ``MIGRATIONS``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One schema step: the version it produces, a one-line summary and its SQL."""

    version: int
    summary: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "paragraphs (inline text or stand-off reference), annotations, import batches",
        """
        CREATE TABLE paragraphs (
            id INTEGER PRIMARY KEY,
            -- identity used to de-duplicate: 'ref:<doc>|<doc_hash>|<start>|<end>|<text_hash>'
            -- for corpus-backed paragraphs, 'text:<sha256 of heading and text>' otherwise
            key TEXT NOT NULL UNIQUE,
            text TEXT,                         -- user-submitted text, stored as given
            text_hash TEXT NOT NULL,           -- labels.annotations.text_hash of the text
            heading TEXT NOT NULL DEFAULT '',
            document TEXT NOT NULL DEFAULT '', -- corpus-relative path, or the submitter's doc id
            doc_hash TEXT,                     -- stand-off only
            start INTEGER,                     -- stand-off only
            "end" INTEGER,                     -- stand-off only
            section TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            CHECK (text IS NOT NULL
                   OR (doc_hash IS NOT NULL AND start IS NOT NULL AND "end" IS NOT NULL))
        );
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL,
            annotator TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            size INTEGER NOT NULL,             -- annotations written by this batch
            created TEXT NOT NULL
        );
        CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,            -- grows with time: the latest annotation wins
            paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id),
            batch_id INTEGER NOT NULL REFERENCES batches(id),
            labels TEXT NOT NULL,              -- JSON list of leaf ids in taxonomy order
            annotator TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('gold', 'feedback', 'import')),
            item_id TEXT,                      -- the id the submitter gave the item, if any
            taxonomy_version TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE INDEX annotations_paragraph ON annotations(paragraph_id);
        CREATE INDEX annotations_batch ON annotations(batch_id);
        CREATE INDEX paragraphs_text_hash ON paragraphs(text_hash);
        """,
    ),
    Migration(
        2,
        "idempotency keys of POST /v1/feedback, each with the batch it created",
        """
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,              -- the client's Idempotency-Key header
            fingerprint TEXT NOT NULL,         -- sha256 of the validated request (annotator, items)
            batch_id INTEGER REFERENCES batches(id),  -- NULL when the request stored nothing
            stored INTEGER NOT NULL,           -- the answer given the first time
            created TEXT NOT NULL
        );
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaError(RuntimeError):
    """The database schema is newer than this RiskLens, or a migration failed."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    where: str = "label store",
) -> int:
    """Bring the schema up to the last of ``migrations``; return the number applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``) so this function owns
    the transaction. All pending steps and the version bump commit together or not at all.
    """
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(f"migrations must be numbered 1, 2, 3, …; got {migration.version} at position {expected}.")
    latest = migrations[-1].version if migrations else 0
    _check_not_newer(schema_version(conn), latest, where)
    if schema_version(conn) == latest:
        return 0  # up to date: opening a store needs no write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # again, under the lock: another process may have migrated
        _check_not_newer(current, latest, where)
        pending = [m for m in migrations if m.version > current]
        for migration in pending:
            for statement in _statements(migration.sql):
                conn.execute(statement)
        if pending:
            # PRAGMA does not take parameters; the value is an int we computed.
            conn.execute(f"PRAGMA user_version = {int(latest)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(pending)


def _check_not_newer(current: int, latest: int, where: str) -> None:
    if current > latest:
        raise SchemaError(
            f"{where}: schema version {current} was written by a newer RiskLens (this one "
            f"knows up to {latest}); upgrade RiskLens to use this store."
        )


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (``executescript`` would commit)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:60]!r}")
    return statements
