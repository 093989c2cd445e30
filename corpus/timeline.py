"""A company's history: its stored filings in date order, and what changed between consecutive ones.

``company_timeline(store, "云从" | "688327")`` finds the filings whose stock code equals the
key or whose company (or file) name contains it, orders them by report date (then year,
then name), and between each filing and the next compares their risk profiles with
``risklens.scoring.compare``: the risks added, removed and changed. The profiles are rebuilt
from the stored paragraphs and probabilities (float32, so scores may differ from the stored
ones in the last decimal), with the thresholds stored as each paragraph's labels — no model
is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from risklens.corpus.query import QueryError
from risklens.corpus.schema import PROB_COLUMNS
from risklens.corpus.store import CorpusStore
from risklens.filings.paragraphs import HEADING_SEPARATOR, Paragraph
from risklens.labels.taxonomy import LABELS
from risklens.scoring.compare import STATUS_ORDER, Comparison, compare_filings
from risklens.scoring.profile import DocumentInfo, build_profile
from risklens.scoring.score import ScoredFiling

FILING_COLUMNS = ("id", "name", "kind", "company", "stock_code", "year", "report_date", "industry", "paragraphs")


@dataclass
class TimelineStep:
    """What changed from one filing to the next."""

    old_id: str
    new_id: str
    comparison: Comparison

    def to_dict(self) -> dict[str, Any]:
        risks = {status: [r.id for r in self.comparison.by_status(status)] for status in STATUS_ORDER[:3]}
        changes = {r.id: {"status": r.status, "old_score": r.old_score, "new_score": r.new_score, "delta": r.delta,
                          "reasons": list(r.reasons)}
                   for r in self.comparison.risks if r.status != "unchanged"}
        return {"old": self.old_id, "new": self.new_id, **risks, "changes": changes}


@dataclass
class Timeline:
    """A company's filings in date order and the steps between consecutive ones."""

    key: str
    filings: list[dict[str, Any]] = field(default_factory=list)
    steps: list[TimelineStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``risklens corpus timeline --format json`` and ``GET /v1/corpus/companies/{code}/timeline``."""
        return {
            "key": self.key,
            "filings": [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in f.items()} for f in self.filings],
            "steps": [step.to_dict() for step in self.steps],
        }


def _company_filings(store: CorpusStore, key: str) -> list[dict[str, Any]]:
    cursor = store.connection.execute(
        f"""SELECT {', '.join(FILING_COLUMNS)} FROM filings
            WHERE stock_code = ? OR company LIKE ? OR name LIKE ?
            ORDER BY report_date NULLS LAST, year NULLS LAST, name""",
        [key, f"%{key}%", f"%{key}%"],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stored_scoring(store: CorpusStore, filing: dict[str, Any]) -> ScoredFiling:
    """The stored paragraphs and probabilities of a filing, profiled again (no model)."""
    rows = store.connection.execute(
        f"""SELECT paragraph_id, section, heading, page, start_offset, end_offset, text, labels, {', '.join(PROB_COLUMNS)}
            FROM paragraphs WHERE filing_id = ? ORDER BY seq""",
        [filing["id"]],
    ).fetchall()
    paragraphs = [Paragraph(doc=filing["id"], id=r[0], section=r[1], heading=r[2] or "",
                            heading_levels=tuple(r[2].split(HEADING_SEPARATOR)) if r[2] else (), page=r[3],
                            start=int(r[4]), end=int(r[5]), text=r[6]) for r in rows]
    probs = np.array([r[8:] for r in rows], dtype=np.float64).reshape(len(rows), len(LABELS))
    thresholds = _thresholds(probs, [list(r[7] or []) for r in rows])
    document = DocumentInfo(name=filing["name"], doc_id=filing["id"], kind=filing["kind"], company=filing["company"],
                            stock_code=filing["stock_code"], year=filing["year"],
                            report_date=filing["report_date"].isoformat() if filing["report_date"] else None,
                            industry=filing["industry"])
    profile = build_profile(paragraphs, probs, thresholds, document=document)
    return ScoredFiling(paragraphs=list(paragraphs), probs=probs, labels=LABELS, profile=profile)


def _thresholds(probs: np.ndarray, labels: list[list[str]]) -> dict[str, float]:
    """Per leaf, the lowest stored probability labelled at/above threshold (1.0 when none was)."""
    out = {leaf: 1.0 for leaf in LABELS}
    for row, leaves in zip(probs, labels, strict=True):
        for leaf in leaves:
            j = LABELS.index(leaf)
            out[leaf] = min(out[leaf], float(row[j]))
    return out


def company_timeline(store: CorpusStore, company_or_code: str) -> Timeline:
    """The company's filings in date order with added, removed and changed risks between neighbours."""
    key = company_or_code.strip()
    if not key:
        raise QueryError("give a company name (or part of it) or a six-digit stock code.")
    filings = _company_filings(store, key)
    if not filings:
        raise QueryError(f"no stored filing of a company matching {key!r}; try part of its name or its stock code "
                         "(`risklens corpus query --company` shows what is stored).")
    companies = {f["company"] for f in filings if f["company"]}
    if len(companies) > 1 and not any(f["stock_code"] == key for f in filings):
        raise QueryError(f"{key!r} matches several companies ({', '.join(sorted(companies)[:4])}); give more of the name "
                         "or the stock code.")
    timeline = Timeline(key=key, filings=filings)
    previous: ScoredFiling | None = None
    for filing in filings:
        current = stored_scoring(store, filing)
        if previous is not None:
            timeline.steps.append(TimelineStep(previous.profile.document.doc_id, filing["id"],
                                               compare_filings(previous, current)))
        previous = current
    return timeline
