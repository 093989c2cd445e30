"""The corpus pages of ``risklens serve --db FILE``: search form, results, a stored profile."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from risklens.corpus.store import open_store
from risklens.serving.app import create_app
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import fake_settings
from tests.serving.test_corpus_routes import corpus_db

__all__ = ["corpus_db"]


def test_search_form_results_and_a_stored_profile(corpus_db: Path) -> None:
    with open_store(corpus_db, read_only=True) as store:
        filing_id, name = store.connection.execute("SELECT id, name FROM filings ORDER BY id LIMIT 1").fetchone()
        disclosing = store.connection.execute(
            "SELECT count(*) FROM risks WHERE kind = 'leaf' AND risk = 'rd_failure' AND disclosed"
        ).fetchone()[0]
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), db=corpus_db))) as client:
        home = client.get("/")
        assert 'href="/corpus"' in home.text
        form = client.get("/corpus")
        assert form.status_code == 200 and '<select name="leaf"' in form.text and "结果" not in form.text
        found = client.get("/corpus", params={"leaf": "rd_failure", "kind": "", "since": "1990", "company": ""})
        assert found.status_code == 200 and "结果" in found.text
        assert found.text.count('href="/corpus/filings/') == min(disclosing, 50)
        stored = client.get(f"/corpus/filings/{filing_id}")
        assert stored.status_code == 200 and name in stored.text and "已披露的风险" in stored.text
        missing = client.get("/corpus/filings/no-such-filing")
        assert missing.status_code == 422 and "查询条件无效" in missing.text
