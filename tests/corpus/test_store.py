"""The corpus store: schema, atomic writes, read-only opening, version checks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from risklens.corpus.metadata import FilingMetadata
from risklens.corpus.schema import PROB_COLUMNS, prob_column
from risklens.corpus.store import FilingRecord, ModelStamp, StoreError, open_store
from risklens.filings import extract_paragraphs, load_document
from risklens.labels.taxonomy import LABELS
from risklens.scoring.profile import DocumentInfo, build_profile
from risklens.scoring.score import ScoredFiling
from tests.corpus.filings import PROSPECTUS

MODEL = ModelStamp("fake", "1")


def scored_filing(seed: int = 0) -> tuple[FilingRecord, ScoredFiling]:
    doc = load_document(PROSPECTUS.encode(), name="fake.md")
    paragraphs = extract_paragraphs(doc)
    probs = np.random.default_rng(seed).random((len(paragraphs), len(LABELS)))
    profile = build_profile(paragraphs, probs, dict.fromkeys(LABELS, 0.5), document=DocumentInfo("fake.md"))
    record = FilingRecord(id=doc.doc_id, path="in/fake.md", name="fake.md", reader=doc.reader,
                          pages=doc.pages, recovered=False, meta=FilingMetadata(kind="prospectus", year=2023))
    return record, ScoredFiling(list(paragraphs), probs, LABELS, profile)


def test_write_filing_stores_every_row_and_replaces_on_rewrite(tmp_path: Path) -> None:
    record, scored = scored_filing()
    with open_store(tmp_path / "c.duckdb") as store:
        store.write_filing(record, scored, MODEL)
        store.write_filing(record, scored, ModelStamp("fake", "2"))  # a re-score replaces
        assert store.count("filings") == 1
        assert store.count("paragraphs") == len(scored.paragraphs)
        assert store.count("risks") == len(scored.profile.leaves) + len(scored.profile.groups)
        assert store.stored(record.id) is not None
        assert store.stored(record.id).model == ModelStamp("fake", "2")  # type: ignore[union-attr]
        column = prob_column("entity_list_sanctions")
        stored = [r[0] for r in store.connection.execute(f"SELECT {column} FROM paragraphs ORDER BY seq").fetchall()]
    expected = scored.probs[:, LABELS.index("entity_list_sanctions")]
    np.testing.assert_allclose(stored, expected, atol=1e-6)


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record, scored = scored_filing()
    import risklens.corpus.store as store_module

    def broken_risks(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk full")

    with open_store(tmp_path / "c.duckdb") as store:
        monkeypatch.setattr(store_module, "risk_table", broken_risks)
        with pytest.raises(RuntimeError):
            store.write_filing(record, scored, MODEL)
        monkeypatch.undo()
        store.record_failure("bad.pdf", "ingest", "corrupt_pdf", "bad.pdf: damaged")
        store.write_filing(record, scored, MODEL)
        assert (store.count("filings"), store.count("failures")) == (1, 1)
        rows = store.connection.execute("SELECT count(*), count(DISTINCT paragraph_id) FROM paragraphs").fetchone()
        assert rows == (len(scored.paragraphs), len(scored.paragraphs))


def test_read_only_needs_an_existing_corpus(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no corpus database"):
        open_store(tmp_path / "missing.duckdb", read_only=True)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a RiskLens corpus"):
        open_store(other)
    path = tmp_path / "c.duckdb"
    open_store(path).close()
    with open_store(path, read_only=True) as store:
        assert store.count("filings") == 0
        with pytest.raises(duckdb.Error):
            store.connection.execute("DELETE FROM filings")


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    with open_store(path) as store:
        store.connection.execute("UPDATE schema_info SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="corpus schema 0"):
        open_store(path, read_only=True)


def test_probabilities_have_one_column_per_leaf() -> None:
    assert len(PROB_COLUMNS) == len(LABELS) == 30
    with pytest.raises(ValueError, match="unknown leaf"):
        prob_column("entity_list")
