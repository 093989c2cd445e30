"""`risklens serve --db FILE`: the stored corpus over HTTP, read-only, with the usual auth."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from risklens.corpus.build import BuildOptions, build_corpus
from risklens.corpus.store import open_store
from risklens.serving.app import create_app
from tests.corpus.filings import write_good
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import TOKEN, fake_settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from risklens.model import RiskClassifier
    from risklens.model.testing import make_tiny_classifier

    root = tmp_path_factory.mktemp("served-corpus")
    classifier = RiskClassifier.from_pretrained(make_tiny_classifier(root / "model"), precision="fp32")
    with open_store(root / "c.duckdb") as store:
        build_corpus(write_good(root / "in", 5), store, classifier, BuildOptions(workers=0))
    return root / "c.duckdb"


def test_filings_page_by_page_profile_and_stats(corpus_db: Path) -> None:
    settings = fake_settings(lambda path: KeywordClassifier(), token=TOKEN, db=corpus_db)
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/corpus/stats").status_code == 401
        first = client.get("/v1/corpus/filings", params={"leaf": "entity_list_sanctions", "limit": 2,
                                                          "min_score": 0}, headers=AUTH).json()
        rest = client.get("/v1/corpus/filings", params={"leaf": "entity_list_sanctions", "limit": 100,
                                                         "offset": 2}, headers=AUTH).json()
        everything = client.get("/v1/corpus/filings", params={"leaf": "entity_list_sanctions", "limit": 100},
                                headers=AUTH).json()
        assert len(first["filings"]) == min(2, len(everything["filings"]))
        assert [f["id"] for f in first["filings"] + rest["filings"]] == [f["id"] for f in everything["filings"]]
        assert rest["next_offset"] is None
        if len(everything["filings"]) > 2:
            assert first["next_offset"] == 2
        with open_store(corpus_db, read_only=True) as store:
            some_id = store.connection.execute("SELECT id FROM filings ORDER BY id LIMIT 1").fetchone()[0]
        profile = client.get(f"/v1/corpus/filings/{some_id}", headers=AUTH)
        assert profile.status_code == 200 and profile.json()["filing"]["id"] == some_id
        assert len(profile.json()["leaves"]) == 30
        stats = client.get("/v1/corpus/stats", params={"by": "year"}, headers=AUTH).json()
        assert stats["by"] == "year" and {row["leaf"] for row in stats["rows"]} >= {"entity_list_sanctions"}


def test_bad_questions_and_no_database(corpus_db: Path, tmp_path: Path) -> None:
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), token=TOKEN, db=corpus_db))) as client:
        unknown = client.get("/v1/corpus/filings", params={"leaf": "entity_list_sanction"}, headers=AUTH)
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "invalid_query"
        assert "did you mean" in unknown.json()["error"]["message"]
        assert client.get("/v1/corpus/filings/nope", headers=AUTH).json()["error"]["code"] == "invalid_query"
        assert client.get("/v1/corpus/stats", params={"by": "month"}, headers=AUTH).status_code == 422
        assert client.get("/v1/corpus/filings", params={"leaf": "x", "limit": 501}, headers=AUTH).status_code == 422
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), token=TOKEN))) as client:
        off = client.get("/v1/corpus/stats", headers=AUTH)
        assert off.status_code == 404 and off.json()["error"]["code"] == "corpus_disabled"
    missing = tmp_path / "none.duckdb"
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), token=TOKEN, db=missing))) as client:
        gone = client.get("/v1/corpus/stats", headers=AUTH)
        assert gone.status_code == 503 and str(tmp_path) not in gone.json()["error"]["message"]


def test_company_timeline_route(tmp_path: Path) -> None:
    from tests.corpus.test_timeline import two_versions

    with open_store(tmp_path / "t.duckdb") as store:
        build_corpus(two_versions(tmp_path / "in"), store, KeywordClassifier(), BuildOptions(workers=0))
    settings = fake_settings(lambda path: KeywordClassifier(), token=TOKEN, db=tmp_path / "t.duckdb")
    with TestClient(create_app(settings)) as client:
        answer = client.get("/v1/corpus/companies/星衡智能/timeline", headers=AUTH)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [f["name"] for f in body["filings"]] == ["b_older.md", "a_newer.md"]
        assert body["steps"][0]["added"] == ["trial_goods"]
        missing = client.get("/v1/corpus/companies/999999/timeline", headers=AUTH)
        assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_query"


def test_filings_profile_carries_peer_fields_from_the_database(corpus_db: Path) -> None:
    from tests.scoring.fakes import FILING_MD

    settings = fake_settings(lambda path: KeywordClassifier(), token=TOKEN, db=corpus_db)
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/filings", json={"text": FILING_MD, "name": "made-up.md"}, headers=AUTH)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["peers"]["source"] == "database" and body["peers"]["n"] == 5
        assert body["document"]["kind"] == "prospectus"
        assert all("relative" in leaf and "flags" in leaf for leaf in body["leaves"])
