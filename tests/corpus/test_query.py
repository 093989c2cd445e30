"""Queries on a small built corpus, through the Python functions and the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from risklens.cli import main
from risklens.corpus.build import BuildOptions, build_corpus
from risklens.corpus.query import (
    FilingFilter,
    QueryError,
    disclosure_stats,
    filing_profile,
    find_filings,
)
from risklens.corpus.store import open_store
from tests.corpus.filings import ANNUAL_REPORT, write_good


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory, tiny_classifier: Any) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    files = write_good(root / "in", 3)
    (root / "in" / "annual.md").write_text(ANNUAL_REPORT, encoding="utf-8")
    files.append(root / "in" / "annual.md")
    with open_store(root / "c.duckdb") as store:
        build_corpus(files, store, tiny_classifier, BuildOptions(workers=0))
    return root / "c.duckdb"


def test_find_filings_filters_and_evidence(corpus_db: Path) -> None:
    with open_store(corpus_db, read_only=True) as store:
        every = find_filings(store, FilingFilter("entity_list_sanctions", disclosed_only=False))
        assert len(every) == 4
        assert [r["score"] for r in every] == sorted((r["score"] for r in every), reverse=True)
        prospectus = find_filings(store, FilingFilter("entity_list_sanctions", kind="prospectus", disclosed_only=False))
        assert {r["kind"] for r in prospectus} == {"prospectus"} and len(prospectus) == 3
        assert find_filings(store, FilingFilter("entity_list_sanctions", since=2023, until=2023, disclosed_only=False)) == prospectus
        assert find_filings(store, FilingFilter("entity_list_sanctions", until=2022, disclosed_only=False))[0]["year"] == 2022
        coded = find_filings(store, FilingFilter("entity_list_sanctions", company="688999", disclosed_only=False))
        assert [r["stock_code"] for r in coded] == ["688999"]
        assert len(find_filings(store, FilingFilter("entity_list_sanctions", industry="c3", disclosed_only=False))) == 3
        assert find_filings(store, FilingFilter("entity_list_sanctions", min_score=100.0, disclosed_only=False)) == []
        top = prospectus[0]
        assert top["evidence_page"] in {2, 5, 9}
        assert top["evidence_heading"] and top["evidence_snippet"]
    with pytest.raises(QueryError, match="did you mean 'entity_list_sanctions'"):
        FilingFilter("entity_list_sanction")


def test_stats_and_show(corpus_db: Path) -> None:
    with open_store(corpus_db, read_only=True) as store:
        overall = disclosure_stats(store)
        assert len(overall) == 30 and {r["filings"] for r in overall} == {4}
        by_kind = disclosure_stats(store, "kind")
        assert {r["bucket"] for r in by_kind} == {"prospectus", "annual_report"}
        assert all(0.0 <= r["share"] <= 1.0 and r["disclosing"] <= r["filings"] for r in by_kind)
        profile = filing_profile(store, "annual.md")
        assert profile["filing"]["stock_code"] == "688999"
        assert len(profile["leaves"]) == 30 and len(profile["groups"]) == 9
        assert [r["rank"] for r in profile["leaves"]] == list(range(1, 31))
        with pytest.raises(QueryError, match="no stored filing"):
            filing_profile(store, "nothing-like-this")


def test_command_line_formats(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "query", "--leaf", "entity_list_sanctions", "--min-score", "0", "--db", str(corpus_db),
                 "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert table and set(table[0]) >= {"score", "name", "evidence_page", "evidence_snippet"}
    assert main(["corpus", "stats", "--by", "year", "--db", str(corpus_db), "--format", "json"]) == 0
    assert {r["bucket"] for r in json.loads(capsys.readouterr().out)} == {2022, 2023}
    assert main(["corpus", "stats", "--by", "kind", "--db", str(corpus_db)]) == 0
    assert "annual_report" in capsys.readouterr().out
    assert main(["corpus", "show", "annual.md", "--db", str(corpus_db)]) == 0
    assert "688999" in capsys.readouterr().out
    assert main(["corpus", "query", "--leaf", "nope", "--db", str(corpus_db)]) == 2
    assert "unknown leaf" in capsys.readouterr().err
    assert main(["corpus", "show", "x", "--db", str(corpus_db.with_name("missing.duckdb"))]) == 2


def test_build_command_exit_code_and_summary(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_good(tmp_path / "in", 2)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    args = ["corpus", "build", str(tmp_path / "in"), "--db", str(tmp_path / "c.duckdb"), "--model", str(tiny_model_dir),
            "--workers", "0", "--no-progress"]
    assert main(args) == 1  # one file failed
    out = capsys.readouterr().out
    assert "3 files: 2 scored, 0 skipped (already stored), 0 duplicates, 1 failed" in out
    assert "[empty_file]" in out
    (tmp_path / "in" / "empty.txt").unlink()
    assert main([*args, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 2


def test_word_filings_are_stored_with_unknown_pages(tmp_path: Path, tiny_classifier: Any) -> None:
    from tests.filings.test_docx import word_file

    path = tmp_path / "draft.docx"
    path.write_bytes(word_file())
    with open_store(tmp_path / "c.duckdb") as store:
        assert build_corpus([path], store, tiny_classifier, BuildOptions(workers=0)).scored == 1
        (reader, pages), = store.connection.execute("SELECT reader, pages FROM filings").fetchall()
        assert (reader, pages) == ("docx", None)
        assert store.connection.execute("SELECT DISTINCT page FROM paragraphs").fetchall() == [(None,)]
        rows = find_filings(store, FilingFilter("entity_list_sanctions", disclosed_only=False))
        assert rows[0]["evidence_page"] is None and rows[0]["evidence_heading"]
