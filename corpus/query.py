"""Questions to the corpus store, as plain functions returning rows (dicts).

``find_filings`` answers "which filings disclose leaf L" with filters; ``disclosure_stats``
gives per leaf the share of filings disclosing it, overall or by year, kind or industry
(the trend table); ``filing_profile`` returns one stored profile without re-scoring.
Printing is the command line's job (``risklens corpus``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from risklens.corpus.schema import SNIPPET_CHARS
from risklens.corpus.store import CorpusStore
from risklens.labels.taxonomy import GROUPS, LABELS, TAXONOMY_VERSION, suggest

STATS_BY = ("year", "kind", "industry")


class QueryError(ValueError):
    """A query argument is not valid (unknown leaf, filing not found, …)."""


@dataclass(frozen=True)
class FilingFilter:
    """Filters of ``find_filings``; None means "any"."""

    leaf: str
    kind: str | None = None
    since: int | None = None
    until: int | None = None
    industry: str | None = None
    company: str | None = None
    min_score: float = 0.0
    disclosed_only: bool = True
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        check_leaf(self.leaf)
        if not 0.0 <= self.min_score <= 100.0:
            raise QueryError(f"min_score must be between 0 and 100; got {self.min_score}.")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise QueryError(f"since ({self.since}) is after until ({self.until}); swap them.")


def check_leaf(leaf: str) -> str:
    """``leaf`` if it is one of the 30 leaves, else a QueryError that suggests the nearest."""
    if leaf in LABELS:
        return leaf
    hint = suggest(leaf)
    tip = f"; did you mean {hint!r}?" if hint else f"; see `risklens labels` for the {len(LABELS)} leaves."
    raise QueryError(f"unknown leaf {leaf!r} of {TAXONOMY_VERSION}{tip}")


def _rows(store: CorpusStore, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = store.connection.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def find_filings(store: CorpusStore, where: FilingFilter) -> list[dict[str, Any]]:
    """Filings matching ``where``, best score first, with the top evidence paragraph."""
    clauses = ["r.kind = 'leaf'", "r.risk = ?", "r.score >= ?"]
    params: list[Any] = [where.leaf, where.min_score]
    if where.disclosed_only:
        clauses.append("r.disclosed")
    if where.kind is not None:
        clauses.append("f.kind = ?")
        params.append(where.kind)
    if where.since is not None:
        clauses.append("f.year >= ?")
        params.append(where.since)
    if where.until is not None:
        clauses.append("f.year <= ?")
        params.append(where.until)
    if where.industry is not None:
        clauses.append("f.industry LIKE ?")
        params.append(where.industry.upper() + "%")
    if where.company is not None:
        clauses.append("(f.stock_code = ? OR f.company LIKE ? OR f.name LIKE ?)")
        params += [where.company, f"%{where.company}%", f"%{where.company}%"]
    limit = f"LIMIT {int(where.limit)} OFFSET {max(0, int(where.offset))}" if where.limit else ""
    sql = f"""
        SELECT r.score, r.paragraphs, f.name, f.company, f.stock_code, f.kind, f.year, f.industry,
               r.evidence_page, r.evidence_heading, r.evidence_snippet,
               r.evidence_ids[1] AS evidence_id, r.evidence_probs[1] AS evidence_probability, f.id, f.path
        FROM risks r JOIN filings f ON f.id = r.filing_id
        WHERE {' AND '.join(clauses)}
        ORDER BY r.score DESC, f.name {limit}
    """
    return _rows(store, sql, params)


def disclosure_stats(store: CorpusStore, by: str | None = None) -> list[dict[str, Any]]:
    """Per leaf (and bucket of ``by``): filings, filings disclosing it, and their share."""
    if by is not None and by not in STATS_BY:
        raise QueryError(f"stats can be grouped by {', '.join(STATS_BY)}; got {by!r}.")
    bucket = f"f.{by}" if by else "'all'"
    sql = f"""
        SELECT {bucket} AS bucket, r.risk AS leaf, count(*) AS filings,
               count(*) FILTER (WHERE r.disclosed) AS disclosing,
               round(avg(CASE WHEN r.disclosed THEN 1.0 ELSE 0.0 END), 4) AS share
        FROM risks r JOIN filings f ON f.id = r.filing_id
        WHERE r.kind = 'leaf'
        GROUP BY ALL ORDER BY bucket NULLS LAST, leaf
    """
    return _rows(store, sql, [])


def resolve_filing(store: CorpusStore, key: str) -> str:
    """The id of the filing named by ``key``: an id (or unique id prefix), a path or a file name."""
    rows = store.connection.execute(
        "SELECT id FROM filings WHERE id LIKE ? OR path = ? OR name = ? ORDER BY id LIMIT 3",
        [key + "%", key, key],
    ).fetchall()
    if not rows:
        raise QueryError(f"no stored filing matches {key!r}; give an id, path or file name from `risklens corpus query`.")
    if len(rows) > 1:
        raise QueryError(f"{key!r} matches several filings ({', '.join(r[0] for r in rows)}…); give more of the id.")
    return str(rows[0][0])


def filing_profile(store: CorpusStore, key: str) -> dict[str, Any]:
    """A stored filing: its facts, leaf and group scores with evidence, section counts."""
    filing_id = resolve_filing(store, key)
    filing = _rows(store, "SELECT * FROM filings WHERE id = ?", [filing_id])[0]
    risks = _rows(store, """
        SELECT kind, risk, rank, score, disclosure, highlight, rank_factor, prominence, disclosed,
               paragraphs, first_position, evidence_ids, evidence_probs
        FROM risks WHERE filing_id = ? ORDER BY kind DESC, rank
    """, [filing_id])
    evidence = {
        row["paragraph_id"]: row
        for row in _rows(store, """
            SELECT paragraph_id, section, heading, page, left(text, ?) AS snippet
            FROM paragraphs WHERE filing_id = ?
        """, [SNIPPET_CHARS, filing_id])
    }
    for risk in risks:
        risk["evidence"] = [
            {**evidence.get(pid, {"paragraph_id": pid}), "probability": round(float(prob), 4)}
            for pid, prob in zip(risk.pop("evidence_ids"), risk.pop("evidence_probs"), strict=True)
        ]
    sections = dict(store.connection.execute(
        "SELECT section, count(*) FROM paragraphs WHERE filing_id = ? GROUP BY section ORDER BY section", [filing_id]
    ).fetchall())
    return {
        "filing": filing,
        "leaves": [r for r in risks if r["kind"] == "leaf"],
        "groups": [r for r in risks if r["kind"] == "group" and r["risk"] in GROUPS],
        "sections": sections,
    }


def failures(store: CorpusStore) -> list[dict[str, Any]]:
    """Every recorded failure: path, stage, code, one-line error, time."""
    return _rows(store, "SELECT path, stage, code, error, failed_at FROM failures ORDER BY path", [])
