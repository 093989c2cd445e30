"""The corpus database's tables, as DuckDB DDL, and the schema version they carry.

Probabilities are stored as **30 REAL columns** (``p_<leaf>``), not one ``FLOAT[30]``:
DuckDB stores each column apart with min/max zone maps per row group, so a query on one
leaf (``WHERE p_entity_list_sanctions >= 0.5``) reads 4 bytes a row of that column and
skips row groups whose maximum is below the cut; an array column is one child vector of
30 values a row, read whole to look at one element. The columns follow the taxonomy
(``risk-taxonomy.v1``), which ``schema_info`` records: a new taxonomy is a new schema.

No secondary indexes: DuckDB's ART indexes slow bulk inserts and its scans of a filing id
column over a million rows take milliseconds. Pages are NULL where the format has none (Word files): unknown, not page 1.
"""

from __future__ import annotations

from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION

SCHEMA_VERSION = 1
"""Bump on any change to the tables below; ``store.open_store`` refuses other versions."""


def prob_column(leaf: str) -> str:
    """The column of ``paragraphs`` that holds the probability of ``leaf``."""
    if leaf not in LABELS:
        raise ValueError(f"unknown leaf {leaf!r}; expected one of the {len(LABELS)} leaves of {TAXONOMY_VERSION}.")
    return f"p_{leaf}"


PROB_COLUMNS: tuple[str, ...] = tuple(prob_column(leaf) for leaf in LABELS)

_PROBS = ",\n    ".join(f"{column} REAL NOT NULL" for column in PROB_COLUMNS)

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS schema_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
)""",
    # One row per distinct content: id is the content hash of the file's bytes.
    """CREATE TABLE IF NOT EXISTS filings (
    id VARCHAR PRIMARY KEY,
    path VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR,
    company VARCHAR,
    stock_code VARCHAR,
    year INTEGER,
    report_date DATE,
    industry VARCHAR,
    reader VARCHAR NOT NULL,
    pages INTEGER,
    recovered BOOLEAN NOT NULL,
    paragraphs INTEGER NOT NULL,
    model_name VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    taxonomy_version VARCHAR NOT NULL,
    profile_version VARCHAR NOT NULL,
    scored_at TIMESTAMP NOT NULL
)""",
    f"""CREATE TABLE IF NOT EXISTS paragraphs (
    filing_id VARCHAR NOT NULL,
    paragraph_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    section VARCHAR NOT NULL,
    heading VARCHAR NOT NULL,
    page INTEGER,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    labels VARCHAR[] NOT NULL,
    {_PROBS}
)""",
    # Leaves and groups of each filing's profile (kind 'leaf' or 'group'). The place and
    # opening of the top evidence paragraph are copied here, so `corpus query` over a
    # market needs no join with the million-row paragraphs table (p95 296 -> ~30 ms at
    # 10,000 filings, see README).
    """CREATE TABLE IF NOT EXISTS risks (
    filing_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    risk VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    score REAL NOT NULL,
    disclosure REAL NOT NULL,
    highlight REAL NOT NULL,
    rank_factor REAL NOT NULL,
    prominence REAL NOT NULL,
    disclosed BOOLEAN NOT NULL,
    paragraphs INTEGER NOT NULL,
    first_position INTEGER,
    evidence_ids VARCHAR[] NOT NULL,
    evidence_probs REAL[] NOT NULL,
    evidence_heading VARCHAR,
    evidence_page INTEGER,
    evidence_snippet VARCHAR
)""",
    # The latest failure of each path; deleted when the path is later scored.
    """CREATE TABLE IF NOT EXISTS failures (
    path VARCHAR PRIMARY KEY,
    content_hash VARCHAR,
    stage VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    error VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
)""",
    # A path whose bytes equal a stored filing's under another path: recorded, not re-scored.
    """CREATE TABLE IF NOT EXISTS duplicates (
    path VARCHAR PRIMARY KEY,
    filing_id VARCHAR NOT NULL,
    seen_at TIMESTAMP NOT NULL
)""",
)

SNIPPET_CHARS = 80
"""Characters of the top evidence paragraph kept in ``risks.evidence_snippet``."""

SCHEMA_INFO: dict[str, str] = {
    "schema_version": str(SCHEMA_VERSION),
    "taxonomy_version": TAXONOMY_VERSION,
}
