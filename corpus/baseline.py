"""The peer baseline of a corpus database, and the peers a freshly scored profile is measured against.

``store_baseline`` reads every stored filing's kind, industry, year and leaf scores into a
``scoring.peers.PeerBaseline`` (numbers and ids only); ``risklens corpus baseline --db FILE
--out PATH`` saves it, and the shipped ``model/default/peer_baseline.json`` is that file for
the filings in ``../shared``. ``peer_baseline`` picks the baseline for ``score`` and
``/v1/filings``: the ``--db`` database's peers when there is one, else the model's shipped
file. ``describe_document`` adds the filing's metadata (kind, company, date, industry, read
from its text as the corpus build does) to a profile's ``DocumentInfo``, so that the peers
can be chosen and reports titled by company, kind and date.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from risklens.corpus.metadata import extract_metadata
from risklens.corpus.store import CorpusStore, StoreError, open_store
from risklens.scoring.peers import (
    BaselineCache,
    BaselineError,
    PeerBaseline,
    PeerOptions,
    apply_peers,
    model_baseline,
)
from risklens.scoring.profile import DocumentInfo, FilingProfile

_CACHE = BaselineCache()


def store_baseline(store: CorpusStore) -> PeerBaseline:
    """Counts per kind, industry, year and leaf of every filing in ``store``."""
    con = store.connection
    filings = con.execute("SELECT id, kind, industry, year FROM filings ORDER BY id").fetchall()
    risks: dict[str, dict[str, tuple[float, bool]]] = {}
    for filing_id, leaf, score, disclosed in con.execute(
        "SELECT filing_id, risk, score, disclosed FROM risks WHERE kind = 'leaf'"
    ).fetchall():
        risks.setdefault(filing_id, {})[leaf] = (float(score), bool(disclosed))
    models = con.execute(
        "SELECT model_name, model_version, count(*) FROM filings GROUP BY ALL ORDER BY 3 DESC LIMIT 1"
    ).fetchall()
    baseline = PeerBaseline(source="database")
    if models:
        baseline.model = {"name": str(models[0][0]), "version": str(models[0][1])}
    for filing_id, kind, industry, year in filings:
        baseline.add_filing(filing_id, kind, industry, None if year is None else int(year), risks.get(filing_id, {}))
    return baseline


def database_baseline(db: Path) -> PeerBaseline:
    """``store_baseline`` of the database file ``db`` (read-only), cached while the file is unchanged."""
    def load() -> PeerBaseline:
        with open_store(db, read_only=True) as store:
            return store_baseline(store)

    return _CACHE.get(db, load)


def peer_baseline(db: Path | None, model_dir: Path | None) -> PeerBaseline | None:
    """The database's peers when ``db`` is given, else the model directory's shipped baseline (or None)."""
    if db is not None:
        return database_baseline(db)
    return model_baseline(model_dir)


def write_baseline(baseline: PeerBaseline, out: Path) -> dict[str, Any]:
    """Save ``baseline`` as JSON at ``out``; returns what was written."""
    data = baseline.to_dict()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return data


def describe_document(info: DocumentInfo, text: str) -> DocumentInfo:
    """``info`` with kind, company, stock code, year, date and industry read from ``text``."""
    meta = extract_metadata(text, Path(info.name).name)
    return replace(
        info, kind=meta.kind, company=meta.company, stock_code=meta.stock_code, year=meta.year,
        report_date=meta.report_date.isoformat() if meta.report_date else None, industry=meta.industry,
    )


def with_peers(profile: FilingProfile, db: Path | None, model_dir: Path | None,
               options: PeerOptions | None = None) -> FilingProfile:
    """``apply_peers`` with ``peer_baseline(db, model_dir)``; an unreadable baseline leaves the profile without peers.

    For the server: a broken baseline file must not fail every upload; the profile then says
    ``peers: null``.
    """
    try:
        baseline = peer_baseline(db, model_dir)
    except (BaselineError, StoreError, OSError):
        return profile
    return apply_peers(profile, baseline, options)
